/*
 * test_decide.c — the decision seam: deciders that answer later.
 *
 * A decider may park an INITIAL or UPDATE request; the world stops the
 * engine after that event and the driver answers through
 * proto_collab_world_answer. Checked here: answered at the very boundary,
 * a parked world gives the same outcomes, byte for byte but for the UE's
 * own measured waits, as one whose decider answers at once; answered 20 ms later, every inference waits for
 * its plan and the records stay consistent, including inferences a
 * handover restarts while their request is parked; a dropped ticket, an
 * unknown one and a plan that does not fit are input errors that change
 * nothing; a decider that parks an override or an adaptation fails the run
 * cleanly; the request carries the UE's identity, its own waits, load,
 * battery and channel; and deciding never moves a stream but the UE's
 * policy stream.
 *
 * The worlds are collabutil's moving world (7 cells, handovers, pushes,
 * overrides, declines) and its one-cell fixed world.
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

/* ---- a deterministic decider, now or later --------------------------------------- */

/* The split a request gets: a function of the inference and the kind of
 * request alone (no stream), local when the network declined. */
static void hashed_plan(const struct compute_decision *req, struct compute_plan *out)
{
    const struct compute_problem *p = req->problem;

    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)p->n_layers;
    out->n_ue = (uint32_t)((req->inference_id * 7 + (uint64_t)req->kind * 3) % (p->n_layers + 1));
    if (!req->state.edge_available)
        out->n_ue = out->n_layers;
    for (uint32_t i = 0; i < out->n_layers; i++)
        out->order[i] = (uint16_t)i;
}

struct hashed {
    bool later;           /* park INITIAL and UPDATE requests */
    bool park_adapt;      /* park ADAPT requests too (a contract breach) */
    uint64_t asked[COMPUTE_DECIDE_KIND_COUNT]; /* requests by kind */
    struct compute_decision last; /* the last request */
};

static enum core_rc hashed_decide(void *ctx, const struct compute_decision *req,
                                  struct core_rng *rng, struct compute_plan *out, bool *later,
                                  struct core_err *e)
{
    struct hashed *h = ctx;

    (void)rng;
    h->asked[req->kind]++;
    h->last = *req;
    *later = false;
    if (req->kind == COMPUTE_DECIDE_ADAPT) {
        *later = h->park_adapt;
        return h->park_adapt ? CORE_OK : policy_adapt(req, out, e);
    }
    if (h->later) {
        *later = true;
        return CORE_OK;
    }
    hashed_plan(req, out);
    return CORE_OK;
}

/* Answer every parked decision asked at least delay_s ago with its hashed
 * plan; the number answered. */
static size_t answer_due(struct proto_collab_world *w, double now_s, double delay_s)
{
    size_t n = 0, i = 0;

    while (i < proto_collab_world_parked(w)) {
        uint64_t ticket;
        const struct compute_decision *req = proto_collab_world_parked_at(w, i, &ticket);
        struct compute_plan plan;
        struct core_err e = {0};

        if (req->t_s + delay_s > now_s + 1e-12) {
            i++;
            continue;
        }
        hashed_plan(req, &plan);
        if (proto_collab_world_answer(w, ticket, &plan, &e) != CORE_OK)
            print_error("answer %llu: %s\n", (unsigned long long)ticket, e.msg);
        assert_int_equal(e.rc, CORE_OK);
        n++;
    }
    return n;
}

/* Run the moving world to its end, answering parked decisions delay_s after
 * they were asked (0: at the boundary where they were parked). */
static size_t drive(struct tu_moving *m, double duration_s, double delay_s)
{
    size_t answered = 0;

    for (;;) {
        double now = core_engine_now(m->eng);
        struct core_run_limits lim = {.until_s = duration_s, .has_until = true};
        enum core_stop why;

        if (proto_collab_world_parked(m->w) > 0 && delay_s > 0) {
            /* the oldest is due first: run to its time at most */
            const struct compute_decision *req = proto_collab_world_parked_at(m->w, 0, NULL);

            lim.until_s = fmin(duration_s, fmax(now, req->t_s + delay_s));
        }
        why = core_engine_run(m->eng, &lim);
        if (why == CORE_STOP_FAILED)
            print_error("the run failed: %s\n", core_engine_error(m->eng)->msg);
        assert_true(why == CORE_STOP_REQUESTED || why == CORE_STOP_TIME);
        if (why == CORE_STOP_TIME && lim.until_s >= duration_s)
            break;
        /* the engine stops before an event later than the limit: the clock
         * stands at the last event; the decisions due are due at the limit */
        answered += answer_due(m->w, why == CORE_STOP_TIME ? lim.until_s : core_engine_now(m->eng),
                               delay_s);
    }
    return answered;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_decide_parked_and_answered_at_once_give_the_same_outcomes(void **state)
{
    struct hashed now = {.later = false}, later = {.later = true};
    struct proto_decider dn = {.decide = hashed_decide, .ctx = &now};
    struct proto_decider dl = {.decide = hashed_decide, .ctx = &later};
    struct tu_moving a = {0}, b = {0};
    struct proto_collab_stats sa, sb;
    size_t answered, ue_waits_differ = 0;

    (void)state;
    tu_moving_start(&a, 5, 8, 4.0, 20.0, PROTO_HO_REPLAN, 3.0, &dn);
    run_to(a.eng, 20.0);
    tu_moving_start(&b, 5, 8, 4.0, 20.0, PROTO_HO_REPLAN, 3.0, &dl);
    answered = drive(&b, 20.0, 0.0);
    proto_collab_world_stats(a.w, &sa);
    proto_collab_world_stats(b.w, &sb);
    printf("%zu inferences; %llu decisions parked, %zu answered; %llu re-decisions, %llu "
           "overridden, %llu replanned, %llu declined\n",
           a.rec.n_inferences, (unsigned long long)sb.parked, answered,
           (unsigned long long)sa.redecisions, (unsigned long long)sa.overridden,
           (unsigned long long)sa.replanned, (unsigned long long)sa.declined);
    assert_true(a.rec.n_inferences > 300);
    assert_true(sa.redecisions > 0 && sa.overridden > 0 && sa.replanned > 0 && sa.declined > 0);
    assert_int_equal(sa.parked, 0);
    assert_int_equal(sb.parked, later.asked[COMPUTE_DECIDE_INITIAL] +
                                    later.asked[COMPUTE_DECIDE_UPDATE]);
    assert_int_equal(answered, sb.parked); /* at the boundary, nothing is dropped */
    assert_int_equal(now.asked[COMPUTE_DECIDE_UPDATE], later.asked[COMPUTE_DECIDE_UPDATE]);
    sb.parked = 0;
    assert_memory_equal(&sa, &sb, sizeof(sa));
    assert_int_equal(a.rec.n_inferences, b.rec.n_inferences);
    /* The UE's own waits and load in the recorded state may differ: when one
     * engine event (radio flows that end together) asks several decisions of
     * one UE, an immediate answer starts the first one's UE part before the
     * next request measures the UE, a parked one after the event.
     * Everything else is the same, byte for byte. */
    for (size_t i = 0; i < a.rec.n_inferences; i++) {
        struct proto_outcome *x = &a.rec.inferences[i].o, *y = &b.rec.inferences[i].o;

        if (memcmp(x->state.wait_s[COMPUTE_SIDE_UE], y->state.wait_s[COMPUTE_SIDE_UE],
                   sizeof(x->state.wait_s[0])) != 0 ||
            x->ue_load != y->ue_load)
            ue_waits_differ++;
        memset(x->state.wait_s[COMPUTE_SIDE_UE], 0, sizeof(x->state.wait_s[0]));
        memset(y->state.wait_s[COMPUTE_SIDE_UE], 0, sizeof(y->state.wait_s[0]));
        x->ue_load = y->ue_load = 0.0;
    }
    printf("%zu of %zu rows measured other UE waits or load\n", ue_waits_differ,
           a.rec.n_inferences);
    assert_true(ue_waits_differ * 50 < a.rec.n_inferences);
    assert_memory_equal(a.rec.inferences, b.rec.inferences,
                        a.rec.n_inferences * sizeof(*a.rec.inferences));
    tu_moving_end(&a);
    tu_moving_end(&b);
}

static void test_decide_answers_20_ms_later_delay_every_inference(void **state)
{
    struct hashed later = {.later = true};
    struct proto_decider dl = {.decide = hashed_decide, .ctx = &later};
    struct tu_moving m = {0};
    struct proto_collab_stats st;
    size_t answered;

    (void)state;
    tu_moving_start(&m, 9, 12, 4.0, 20.0, PROTO_HO_REPLAN, 1.0, &dl);
    answered = drive(&m, 20.0, 0.02);
    proto_collab_world_stats(m.w, &st);
    printf("%zu inferences; %llu parked, %zu answered, %llu replanned\n", m.rec.n_inferences,
           (unsigned long long)st.parked, answered, (unsigned long long)st.replanned);
    assert_true(m.rec.n_inferences > 500);
    assert_int_equal(m.rec.n_inferences, st.done);
    /* handovers restarted some inferences whose request was parked, and
     * newer requests superseded older ones: fewer answers than parkings */
    assert_true(answered < st.parked);
    assert_true(st.replanned > 0);
    for (size_t i = 0; i < m.rec.n_inferences; i++) {
        const struct proto_outcome *o = &m.rec.inferences[i].o;
        double sum = o->ue_compute_s + o->uplink_s + o->edge_queue_s + o->edge_compute_s +
                     o->downlink_s + o->signaling_s;

        /* the plan came 20 ms after the reply: signalling holds the wait */
        assert_true(o->signaling_s >= 0.02 - 1e-9);
        assert_near(sum, o->latency_s, 1e-9);
    }
    assert_true(st.done + 12 * 4 * 2 >= st.requests); /* nothing stuck */
    tu_moving_end(&m);
}

/* One static UE, one request: the world parks it; the test answers. */
struct lone {
    struct compute_problem p;
    struct tu_world t;
    struct radio_ue_group_config g;
    double x[1], y[1];
    struct core_engine *eng;
    struct radio_world *radio;
    struct tu_records rec;
    struct proto_collab_world *w;
};

static void lone_start(struct lone *l, const struct proto_decider *d)
{
    struct core_err e = {0};

    chain_problem(&l->p, edge_lat_s);
    protocol_config(&l->t, &l->p, 3.0, PROTO_ARRIVAL_PERIODIC, 0.5, 1);
    l->eng = core_engine_create(0);
    l->radio = fixed_radio(l->eng, 1, &l->g, l->x, l->y);
    assert_non_null(l->radio);
    tu_records_init(&l->rec, false);
    l->w = proto_collab_world_create(&l->t.c, l->eng, l->radio, d, NULL, &l->rec.sink, &e);
    assert_non_null(l->w);
}

static void lone_end(struct lone *l)
{
    proto_collab_world_destroy(l->w);
    tu_records_fini(&l->rec);
    radio_world_destroy(l->radio);
    core_engine_destroy(l->eng);
    compute_problem_fini(&l->p);
}

static void test_decide_bad_answers_are_input_errors_that_change_nothing(void **state)
{
    struct hashed later = {.later = true};
    struct proto_decider d = {.decide = hashed_decide, .ctx = &later};
    struct core_run_limits lim = {.until_s = 3.0, .has_until = true};
    struct lone l = {0};
    const struct compute_decision *req;
    struct compute_plan plan;
    struct core_err e = {0};
    uint64_t ticket;

    (void)state;
    lone_start(&l, &d);
    assert_int_equal(core_engine_run(l.eng, &lim), CORE_STOP_REQUESTED);
    assert_int_equal(proto_collab_world_parked(l.w), 1);
    req = proto_collab_world_parked_at(l.w, 0, &ticket);
    assert_int_equal(req->kind, COMPUTE_DECIDE_INITIAL);
    assert_null(req->current);
    assert_int_equal(req->inference_id, 0);
    assert_int_equal(req->ue, 0);
    assert_int_equal(req->cell, 0);
    assert_true(req->state.edge_available);
    assert_true(req->state.ul_rate_bps > 0);
    assert_near(req->state.wait_s[COMPUTE_SIDE_UE][0], 0.0, 0.0); /* its own idle CPU */
    assert_near(req->ue_load, 0.0, 0.0);
    assert_true(isinf(req->battery_j));
    assert_true(isfinite(req->ul_sinr_db));
    assert_near(req->deadline_s, 0.1, 0.0);

    /* an unknown ticket */
    hashed_plan(req, &plan);
    assert_int_equal(proto_collab_world_answer(l.w, ticket + 1, &plan, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "no parked decision has ticket"));
    /* a plan of another problem's size, and one with an option out of range */
    plan.n_layers = N_LAYERS - 1;
    assert_int_equal(proto_collab_world_answer(l.w, ticket, &plan, &e), CORE_E_INPUT);
    hashed_plan(req, &plan);
    plan.option[N_LAYERS - 1] = 3;
    assert_int_equal(proto_collab_world_answer(l.w, ticket, &plan, &e), CORE_E_INPUT);
    /* nothing changed: still parked, and a good answer goes through */
    assert_int_equal(proto_collab_world_parked(l.w), 1);
    hashed_plan(proto_collab_world_parked_at(l.w, 0, &ticket), &plan);
    assert_int_equal(proto_collab_world_answer(l.w, ticket, &plan, NULL), CORE_OK);
    assert_int_equal(proto_collab_world_parked(l.w), 0);
    /* answered: the ticket is gone */
    assert_int_equal(proto_collab_world_answer(l.w, ticket, &plan, &e), CORE_E_INPUT);
    lone_end(&l);
}

static void test_decide_parking_an_adaptation_fails_the_run_cleanly(void **state)
{
    static const double slow_s[N_LAYERS] = {4.0, 4.0, 4.0, 4.0, 4.0};
    struct hashed h = {.later = false, .park_adapt = true};
    struct proto_decider d = {.decide = hashed_decide, .ctx = &h};
    struct core_run_limits lim = {.until_s = 10.0, .has_until = true};
    struct lone l = {0};
    struct core_err e = {0};
    enum core_stop why;

    (void)state;
    chain_problem(&l.p, slow_s);
    protocol_config(&l.t, &l.p, 10.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    l.t.c.protocol.override_wait_s = 0.5;
    l.eng = core_engine_create(0);
    l.radio = fixed_radio(l.eng, 1, &l.g, l.x, l.y);
    tu_records_init(&l.rec, false);
    l.w = proto_collab_world_create(&l.t.c, l.eng, l.radio, &d, NULL, &l.rec.sink, &e);
    assert_non_null(l.w);
    /* inference 0 holds the one slow edge unit; a later one's a2 is
     * withdrawn (no edge option within the wait) and its UE must adapt */
    why = core_engine_run(l.eng, &lim);
    assert_int_equal(why, CORE_STOP_FAILED);
    assert_true(h.asked[COMPUTE_DECIDE_ADAPT] > 0);
    assert_non_null(strstr(core_engine_error(l.eng)->msg, "override or adaptation later"));
    compute_problem_fini(&l.p);
    chain_problem(&l.p, edge_lat_s); /* lone_end finis it */
    lone_end(&l);
}

/* Deciding moves no stream but the deciding UE's own policy stream: a
 * decider that draws a thousand numbers from it at every request, and
 * decides without them, leaves every outcome as it was. */
static enum core_rc drawing(void *ctx, const struct compute_decision *req, struct core_rng *rng,
                            struct compute_plan *out, bool *later, struct core_err *e)
{
    int *draws = ctx;

    for (int i = 0; i < *draws; i++)
        (void)core_rng_u64(rng);
    *later = false;
    if (req->kind == COMPUTE_DECIDE_ADAPT)
        return policy_adapt(req, out, e);
    hashed_plan(req, out);
    return CORE_OK;
}

static void test_decide_draws_only_from_the_ue_policy_stream(void **state)
{
    int none = 0, many = 1000;
    struct proto_decider d0 = {.decide = drawing, .ctx = &none};
    struct proto_decider d1 = {.decide = drawing, .ctx = &many};
    struct tu_moving a = {0}, b = {0};

    (void)state;
    tu_moving_start(&a, 3, 6, 4.0, 10.0, PROTO_HO_REPLAN, 3.0, &d0);
    run_to(a.eng, 10.0);
    tu_moving_start(&b, 3, 6, 4.0, 10.0, PROTO_HO_REPLAN, 3.0, &d1);
    run_to(b.eng, 10.0);
    assert_true(a.rec.n_inferences > 100);
    assert_int_equal(a.rec.n_inferences, b.rec.n_inferences);
    assert_memory_equal(a.rec.inferences, b.rec.inferences,
                        a.rec.n_inferences * sizeof(*a.rec.inferences));
    tu_moving_end(&a);
    tu_moving_end(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_decide_parked_and_answered_at_once_give_the_same_outcomes),
        TEST(test_decide_answers_20_ms_later_delay_every_inference),
        TEST(test_decide_bad_answers_are_input_errors_that_change_nothing),
        TEST(test_decide_parking_an_adaptation_fails_the_run_cleanly),
        TEST(test_decide_draws_only_from_the_ue_policy_stream),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
