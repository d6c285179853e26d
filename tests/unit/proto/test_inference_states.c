/*
 * test_inference_states.c — the per-inference state machine (inference.c),
 * white-box: the table of allowed moves is a machine without traps (every
 * state is reachable from a fresh inference and can end), the predicates
 * agree with the states they name, and a set of worlds that provoke every
 * protocol rule (overrides that withdraw the edge part mid-upload,
 * declines, re-decisions, handover restarts, decisions answered later)
 * make every move the table allows: a move listed but never made would be
 * dead weight, one made but not listed aborts the run.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "collabutil.h"
#include "proto/proto_int.h"

#define N_STATES PROTO_INF_STATE_COUNT

/* reach[s]: the states reachable from s in one or more moves. */
static void closure(uint32_t reach[N_STATES])
{
    bool grew = true;

    for (int s = 0; s < N_STATES; s++) {
        reach[s] = 0;
        for (int t = 0; t < N_STATES; t++)
            if (proto_inf_move_allowed(s, t))
                reach[s] |= 1u << t;
    }
    while (grew) {
        grew = false;
        for (int s = 0; s < N_STATES; s++)
            for (int t = 0; t < N_STATES; t++)
                if ((reach[s] >> t & 1u) && (reach[s] | reach[t]) != reach[s]) {
                    reach[s] |= reach[t];
                    grew = true;
                }
    }
}

static void test_states_every_state_is_reachable_and_can_end(void **state)
{
    uint32_t reach[N_STATES];

    (void)state;
    closure(reach);
    for (int s = 1; s < N_STATES; s++) {
        if (!(reach[PROTO_INF_FREE] >> s & 1u) || !(reach[s] >> PROTO_INF_FREE & 1u))
            print_error("state %s: reachable %d, can end %d\n", proto_inf_state_name(s),
                        (int)(reach[PROTO_INF_FREE] >> s & 1u),
                        (int)(reach[s] >> PROTO_INF_FREE & 1u));
        assert_true(reach[PROTO_INF_FREE] >> s & 1u);
        assert_true(reach[s] >> PROTO_INF_FREE & 1u);
    }
    /* a fresh inference starts with its request; out of range is never allowed */
    for (int t = 0; t < N_STATES; t++)
        assert_int_equal(proto_inf_move_allowed(PROTO_INF_FREE, t), t == PROTO_INF_REQUESTING);
    assert_false(proto_inf_move_allowed(N_STATES, PROTO_INF_FREE));
    assert_false(proto_inf_move_allowed(PROTO_INF_LOCAL, N_STATES));
}

static void test_states_predicates_agree_with_the_states_they_name(void **state)
{
    struct proto_inf inf;

    (void)state;
    memset(&inf, 0, sizeof(inf));
    for (int s = 1; s < N_STATES; s++) {
        bool replan, withdrawn, restart;

        inf.state = s;
        replan = proto_inf_may_replan(&inf);
        withdrawn = proto_inf_withdrawn(&inf);
        restart = proto_inf_restartable(&inf);
        /* a withdrawn inference never re-plans; one that may re-plan
         * moves to a new plan's COMPUTING or LOCAL */
        assert_false(replan && withdrawn);
        if (replan)
            assert_true(proto_inf_move_allowed(s, PROTO_INF_COMPUTING) &&
                        proto_inf_move_allowed(s, PROTO_INF_LOCAL));
        /* a restartable one moves back to REQUESTING, and only those */
        assert_int_equal(restart, proto_inf_move_allowed(s, PROTO_INF_REQUESTING));
        /* no data at the edge yet, and the UE not computing everything */
        if (restart)
            assert_true(s != PROTO_INF_AT_EDGE && s != PROTO_INF_RETURNING &&
                        s != PROTO_INF_LOCAL && s != PROTO_INF_TAKEN_BACK);
        assert_non_null(proto_inf_state_name(s));
    }
}

/* ---- worlds that make every move ---------------------------------------------------- */

static uint64_t made[N_STATES][N_STATES]; /* moves summed over the worlds */

static void add_moves(const struct proto_collab_world *w)
{
    for (int s = 0; s < N_STATES; s++)
        for (int t = 0; t < N_STATES; t++)
            made[s][t] += w->moves[s][t];
}

/* Random splits, answered later by delay_s when later. */
struct later {
    bool park;
    struct tu_decider d;
};

static enum core_rc maybe_later(void *ctx, const struct compute_decision *req,
                                struct core_rng *rng, struct compute_plan *out, bool *later,
                                struct core_err *e)
{
    struct later *l = ctx;

    if (req->kind != COMPUTE_DECIDE_ADAPT && l->park) {
        *later = true;
        return CORE_OK;
    }
    return tu_decide(&l->d, req, rng, out, later, e);
}

/* The moving world (seed) with random splits; parked decisions answered
 * delay_s later from a stream of the test's own. Heavy: signalling
 * messages of tens of kB (handovers catch them on the air), state pushes
 * every 10 ms (re-decisions whose a2 overtake one another) and a busy edge
 * with a tight override wait (withdrawals in the middle of those races). */
enum variant {
    PLAIN,       /* collabutil's moving world */
    HEAVY,       /* big signalling, frequent pushes, busy edge, fast UEs */
    WITHDRAWING, /* split 4, no pushes; a slow edge withdraws nearly every edge part, and
                    a3 is larger than the upload: UEs wait idle for it, handovers catch
                    them */
    WITHDRAWING_SLOW_UE, /* the same with UE layers 50 times slower: the withdrawal
                            catches the UE computing, and so do handovers */
};

static void moving(uint64_t seed, int mode, double channel_db, bool park, double delay_s,
                   enum variant v)
{
    struct later l = {.park = park};
    struct proto_decider d = {.decide = maybe_later, .ctx = &l};
    struct tu_moving m = {0};
    struct core_rng *r = core_rng_create(seed, 0, CORE_RNG_POLICY);
    const double end_s = 20.0;
    uint32_t split = 4;

    l.d.fn = v == PLAIN || v == HEAVY ? random_split : fixed_split;
    l.d.ctx = &split;
    tu_moving_setup(&m, seed, v == PLAIN ? 12 : 24, 4.0, end_s, mode, channel_db);
    if (v == WITHDRAWING || v == WITHDRAWING_SLOW_UE) {
        for (size_t i = 0; i < N_LAYERS; i++) {
            m.p.latency_s[COMPUTE_SIDE_EDGE][i] = 1.0;
            if (v == WITHDRAWING_SLOW_UE)
                m.p.latency_s[COMPUTE_SIDE_UE][i] *= 50.0;
        }
        m.g.speed_min_mps = 100.0;
        m.g.speed_max_mps = 150.0;
        m.t.c.protocol.decision_layer_bytes = 2e5;
        m.t.c.protocol.override_wait_s = 0.005;
        m.t.c.protocol.admission_wait_s = 1e9;
        m.t.c.protocol.push_period_s = 0.0;
    }
    if (v == HEAVY) {
        m.g.speed_min_mps = 100.0;
        m.g.speed_max_mps = 150.0;
        m.t.c.protocol.request_layer_bytes = 4e3;
        m.t.c.protocol.reply_bytes = 20e3;
        m.t.c.protocol.decision_layer_bytes = 8e3;
        m.t.c.protocol.push_period_s = 0.01;
        m.t.c.protocol.override_wait_s = 0.005;
        m.t.c.protocol.admission_wait_s = 0.5;
        m.t.edge_inst[0].background_load = 0.6;
    }
    tu_moving_create(&m, &d);
    for (;;) {
        double now = core_engine_now(m.eng);
        struct core_run_limits lim = {.until_s = end_s, .has_until = true};
        enum core_stop why;

        if (proto_collab_world_parked(m.w) > 0)
            lim.until_s = fmin(end_s, now + delay_s);
        why = core_engine_run(m.eng, &lim);
        assert_true(why == CORE_STOP_REQUESTED || why == CORE_STOP_TIME);
        if (why == CORE_STOP_TIME && lim.until_s >= end_s)
            break;
        now = why == CORE_STOP_TIME ? lim.until_s : core_engine_now(m.eng);
        for (size_t i = 0; i < proto_collab_world_parked(m.w);) {
            uint64_t ticket;
            const struct compute_decision *req = proto_collab_world_parked_at(m.w, i, &ticket);
            struct compute_plan plan;

            if (req->t_s + delay_s > now + 1e-12) {
                i++;
                continue;
            }
            assert_int_equal(random_split(NULL, req->problem, &req->state, r, &plan, NULL),
                             CORE_OK);
            assert_int_equal(proto_collab_world_answer(m.w, ticket, &plan, NULL), CORE_OK);
        }
    }
    add_moves(m.w);
    core_rng_destroy(r);
    tu_moving_end(&m);
}

/* Override worlds: one UE, one request a second, one slow edge unit that
 * inference 0 holds for seconds, so that the network withdraws the edge
 * part of the next ones; a large input makes the withdrawal catch the
 * upload on the air. */
/* Run the world of t (one static UE) deciding with fn(ctx) to end_s and
 * add its moves. */
static void run_static(const struct tu_world *t, double end_s, tu_decide_fn fn, void *ctx)
{
    struct tu_decider d;
    struct tu_records rec;
    struct radio_ue_group_config g;
    double x[1], y[1];
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *radio = fixed_radio(eng, 1, &g, x, y);
    struct proto_collab_world *w;

    tu_records_init(&rec, false);
    w = tu_world_create(t, eng, radio, &d, fn, ctx, &rec, NULL);
    assert_non_null(w);
    run_to(eng, end_s);
    assert_true(rec.n_inferences >= 1);
    add_moves(w);
    proto_collab_world_destroy(w);
    tu_records_fini(&rec);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
}

static void withdrawing(uint32_t split, double input_b, double decision_b, double ue_scale)
{
    static const double slow_s[N_LAYERS] = {4.0, 4.0, 4.0, 4.0, 4.0};
    struct compute_problem p = {0};
    struct tu_world t;

    chain_problem(&p, slow_s);
    p.input_bytes = input_b;
    for (size_t i = 0; i < N_LAYERS; i++)
        p.latency_s[COMPUTE_SIDE_UE][i] *= ue_scale;
    protocol_config(&t, &p, 8.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    t.c.protocol.override_wait_s = 0.5;
    t.c.protocol.decision_layer_bytes = decision_b;
    run_static(&t, 8.0, fixed_split, &split);
    compute_problem_fini(&p);
}

/* A world whose a3s hand layers back: edge option a (4 s a layer) runs
 * every layer, option b (idle, 10 ms) only the last two. The first
 * inference's edge part fills a's queue; from the second on the network
 * keeps layers 3 and 4 on b and hands 1 and 2 back to the UE, whose a4
 * keeps an edge part (TAKEN_BACK -> COMPUTING). */
static void handing_back(void)
{
    static const double ue_s[N_LAYERS] = {0.05, 0.05, 0.05, 0.05, 0.05};
    static const double edge_s[2][N_LAYERS] = {{4.0, 4.0, 4.0, 4.0, 4.0},
                                               {INFINITY, INFINITY, INFINITY, 0.01, 0.01}};
    struct compute_problem p = {0};
    struct tu_world t;
    uint32_t split = 1;

    options_problem(&p, 1, ue_s, NULL, 2, edge_s);
    protocol_config(&t, &p, 8.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    edge_side(&t, 2);
    t.c.protocol.override_wait_s = 0.5;
    run_static(&t, 8.0, fixed_split, &split);
    compute_problem_fini(&p);
}

/* Worlds where the UE cannot run layer N_LAYERS - 1 on any option. In the
 * first the edge is withdrawn for good: every request is declined and ends
 * with no plan at once (REPLYING -> FREE). In the second the network's
 * decider takes every edge part back (an a3 that withdraws it while the
 * 2 MB upload is on the air): the a4 has no plan (TAKEN_BACK_UPLOADING ->
 * FREE). */
static enum core_rc withdraw_all(void *ctx, const struct compute_decision *req,
                                 struct core_rng *rng, struct compute_plan *out, bool *later,
                                 struct core_err *e)
{
    (void)ctx, (void)rng, (void)e;
    *later = false;
    *out = *req->current;
    out->n_ue = out->n_layers;
    return CORE_OK;
}

static void no_plan_worlds(void)
{
    for (int world = 0; world < 2; world++) {
        struct compute_problem p = {0};
        struct tu_world t;
        struct tu_decider d;
        struct tu_records rec;
        struct radio_ue_group_config g;
        double x[1], y[1];
        struct core_engine *eng = core_engine_create(0);
        struct radio_world *radio = fixed_radio(eng, 1, &g, x, y);
        const struct proto_decider net = {.decide = withdraw_all, .ctx = NULL};
        struct proto_collab_world *w;
        uint32_t split = 0;

        chain_problem(&p, edge_lat_s);
        p.latency_s[COMPUTE_SIDE_UE][N_LAYERS - 1] = INFINITY;
        p.input_bytes = world == 0 ? p.input_bytes : 2e6;
        protocol_config(&t, &p, 4.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
        if (world == 0) {
            t.edge_inst[0].withdrawn_from_s = 0.0;
            t.edge_inst[0].withdrawn_until_s = 1e9;
        }
        tu_records_init(&rec, false);
        w = proto_collab_world_create(&t.c, eng, radio, tu_decider(&d, fixed_split, &split),
                                      world == 0 ? NULL : &net, &rec.sink, NULL);
        assert_non_null(w);
        run_to(eng, 4.0);
        assert_true(rec.n_inferences >= 3);
        for (size_t i = 0; i < rec.n_inferences; i++) {
            assert_true(rec.inferences[i].o.no_plan);
            assert_int_equal(rec.inferences[i].o.no_plan_layer, N_LAYERS - 1);
            assert_string_equal(rec.inferences[i].o.stage, "no-plan");
            assert_int_equal(rec.inferences[i].o.decline, world == 0 ? PROTO_DECLINE_EDGE_WITHDRAWN
                                                                   : PROTO_DECLINE_NONE);
        }
        add_moves(w);
        proto_collab_world_destroy(w);
        tu_records_fini(&rec);
        radio_world_destroy(radio);
        core_engine_destroy(eng);
        compute_problem_fini(&p);
    }
}

static void test_states_the_worlds_make_every_allowed_move(void **state)
{
    size_t listed = 0, never = 0;

    (void)state;
    memset(made, 0, sizeof(made));
    moving(21, PROTO_HO_REPLAN, 1.0, false, 0.0, PLAIN);
    moving(21, PROTO_HO_COMPLETE, 1.0, false, 0.0, PLAIN);
    moving(9, PROTO_HO_REPLAN, 1.0, true, 0.03, PLAIN);
    moving(5, PROTO_HO_REPLAN, 1.0, false, 0.0, HEAVY);
    moving(6, PROTO_HO_REPLAN, 1.0, true, 0.01, HEAVY);
    moving(7, PROTO_HO_REPLAN, 0.0, false, 0.0, WITHDRAWING);
    moving(8, PROTO_HO_REPLAN, 0.0, false, 0.0, WITHDRAWING_SLOW_UE);
    no_plan_worlds();
    withdrawing(2, 150e3, 8.0, 1.0);
    withdrawing(0, 2e6, 8.0, 1.0);     /* a3 comes during the upload: taken back uploading */
    withdrawing(0, 2e6, 8.0, 100.0);   /* ...which ends before the UE's part */
    withdrawing(4, 150e3, 1e6, 1.0);   /* the upload ends before a 1 MB a3: withdrawn idle */
    handing_back();
    for (int s = 0; s < N_STATES; s++)
        for (int t = 0; t < N_STATES; t++) {
            if (!proto_inf_move_allowed(s, t)) {
                assert_int_equal(made[s][t], 0);
                continue;
            }
            listed++;
            if (made[s][t] == 0) {
                print_message("never made: %s -> %s\n", proto_inf_state_name(s),
                              proto_inf_state_name(t));
                never++;
            }
        }
    printf("%zu moves listed, %zu made; the rarest:", listed, listed - never);
    for (uint64_t few = 1; few <= 5; few++)
        for (int a = 0; a < N_STATES; a++)
            for (int b = 0; b < N_STATES; b++)
                if (made[a][b] == few)
                    printf(" %s -> %s (%llu)", proto_inf_state_name(a), proto_inf_state_name(b),
                           (unsigned long long)few);
    printf("\n");
    assert_int_equal(never, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_states_every_state_is_reachable_and_can_end),
        TEST(test_states_predicates_agree_with_the_states_they_name),
        TEST(test_states_the_worlds_make_every_allowed_move),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
