/*
 * test_truth.c — truth and model (DESIGN.md) in the collaborative world:
 * the world executes each problem's truth (its segments take the truth's
 * times and energies, not the prediction's), a UE decider that asks for
 * the truth (proto_decider.truth) gets it with every request (the truth
 * problem, and the state as it is: the edge's backlog and the radio now),
 * one that does not gets none, and a truth that is not its problem's (other
 * layers, options, or layers runnable elsewhere) is refused when the world
 * is built.
 *
 * The world: collabutil's one UE in one cell, no fading, the 5-layer chain
 * with one option a side; its truth runs the UE's layers 2x and the edge's
 * 3x as long as predicted.
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

#define UE_BIAS 2.0
#define EDGE_BIAS 3.0

/* A decider that puts the first n_ue layers on the UE (all when declined)
 * and checks what each request carries. */
struct checking {
    uint32_t n_ue;                         /* layers on the UE */
    const struct compute_problem *truth;   /* the truth it expects (NULL: none) */
    uint64_t asked;                        /* requests heard */
    uint64_t with_truth;                   /* of those, with a truth */
    struct proto_decider d;                /* what the world is given */
};

static enum core_rc checking_decide(void *ctx, const struct compute_decision *req,
                                    struct core_rng *rng, struct compute_plan *out, bool *later,
                                    struct core_err *e)
{
    struct checking *c = ctx;

    (void)rng, (void)e;
    *later = false;
    c->asked++;
    if (req->truth_problem) {
        c->with_truth++;
        assert_ptr_equal(req->truth_problem, c->truth);
        /* what the truth keeps from the request: admission, signalling, weights */
        assert_int_equal(req->truth.edge_available, req->state.edge_available);
        assert_true(req->truth.signaling_s == req->state.signaling_s);
        assert_true(req->truth.w_latency == req->state.w_latency);
        assert_true(req->truth.w_energy == req->state.w_energy);
        /* the UE's own waits are measured at the request in both */
        assert_true(req->truth.wait_s[COMPUTE_SIDE_UE][0] == req->state.wait_s[COMPUTE_SIDE_UE][0]);
        /* one UE, one cell, no fading, nothing else on the air at a decision:
         * the radio now is the radio the network saw */
        assert_true(req->truth.ul_rate_bps > 0 && req->truth.dl_rate_bps > 0);
        assert_true(req->truth.ul_power_w > 0 && req->truth.dl_power_w > 0);
        assert_true(isfinite(req->truth.wait_s[COMPUTE_SIDE_EDGE][0]));
    }
    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)req->problem->n_layers;
    out->n_ue = req->state.edge_available && req->kind != COMPUTE_DECIDE_ADAPT ? c->n_ue
                                                                                : out->n_layers;
    for (uint32_t i = 0; i < out->n_layers; i++)
        out->order[i] = (uint16_t)i;
    return CORE_OK;
}

/* The chain and its truth: the UE's layers UE_BIAS, the edge's EDGE_BIAS
 * times as long (and as costly in energy). */
static void chain_and_truth(struct compute_problem *p, struct compute_problem *t)
{
    chain_problem(p, edge_lat_s);
    chain_problem(t, edge_lat_s);
    for (size_t i = 0; i < N_LAYERS; i++) {
        t->latency_s[COMPUTE_SIDE_UE][i] *= UE_BIAS;
        t->energy_j[COMPUTE_SIDE_UE][i] *= UE_BIAS;
        t->latency_s[COMPUTE_SIDE_EDGE][i] *= EDGE_BIAS;
        t->energy_j[COMPUTE_SIDE_EDGE][i] *= EDGE_BIAS;
    }
}

/* Run the lone UE for 9 s (a request every 2 s) with the truths given (NULL:
 * none) and the decider c (asking for the truth or not); its records in rec. */
static void run_lone(const struct compute_problem *p, const struct compute_problem *const *truths,
                     struct checking *c, bool ask, struct tu_records *rec)
{
    struct tu_world t;
    struct radio_ue_group_config g;
    double x[1], y[1];
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *radio;
    struct proto_collab_world *w;
    struct core_err e = {0};

    assert_non_null(eng);
    protocol_config(&t, p, 9.0, PROTO_ARRIVAL_PERIODIC, 0.5, 1);
    t.c.truths = truths;
    radio = fixed_radio(eng, 1, &g, x, y);
    assert_non_null(radio);
    c->d.decide = checking_decide;
    c->d.ctx = c;
    c->d.truth = ask;
    tu_records_init(rec, false);
    w = proto_collab_world_create(&t.c, eng, radio, &c->d, NULL, &rec->sink, &e);
    if (!w)
        print_error("proto_collab_world_create: %s\n", e.msg);
    assert_non_null(w);
    run_to(eng, 9.0);
    proto_collab_world_destroy(w);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
}

static double sum(const double *v, double scale)
{
    double s = 0;

    for (size_t i = 0; i < N_LAYERS; i++)
        s += v[i] * scale;
    return s;
}

static void test_the_world_executes_the_truth(void **state)
{
    struct compute_problem p, t;
    const struct compute_problem *truths[1] = {&t};
    struct tu_records rec;
    size_t i;

    (void)state;
    chain_and_truth(&p, &t);
    /* everything on the UE: its compute time and energy are the truth's */
    {
        struct checking c = {.n_ue = N_LAYERS, .truth = &t};

        run_lone(&p, truths, &c, false, &rec);
        assert_true(rec.n_inferences >= 4);
        for (i = 0; i < rec.n_inferences; i++) {
            const struct proto_outcome *o = &rec.inferences[i].o;

            assert_true(o->finished);
            assert_near(o->ue_compute_s, sum(ue_lat_s, UE_BIAS), 1e-12);
        }
        tu_records_fini(&rec);
    }
    /* everything on the edge: its compute time and energy are the truth's */
    {
        struct checking c = {.n_ue = 0, .truth = &t};

        run_lone(&p, truths, &c, false, &rec);
        assert_true(rec.n_inferences >= 4);
        for (i = 0; i < rec.n_inferences; i++) {
            const struct proto_outcome *o = &rec.inferences[i].o;

            assert_near(o->edge_compute_s, sum(edge_lat_s, EDGE_BIAS), 1e-12);
            assert_near(o->edge_energy_j, sum(edge_lat_s, EDGE_BIAS * edge_power_w), 1e-12);
        }
        tu_records_fini(&rec);
    }
    /* no truths: the world executes the prediction */
    {
        struct checking c = {.n_ue = N_LAYERS, .truth = &p};

        run_lone(&p, NULL, &c, false, &rec);
        for (i = 0; i < rec.n_inferences; i++)
            assert_near(rec.inferences[i].o.ue_compute_s, sum(ue_lat_s, 1.0), 1e-12);
        tu_records_fini(&rec);
    }
    compute_problem_fini(&p);
    compute_problem_fini(&t);
}

static void test_only_a_decider_that_asks_is_told_the_truth(void **state)
{
    struct compute_problem p, t;
    const struct compute_problem *truths[1] = {&t};
    struct tu_records rec;
    struct checking asks = {.n_ue = 2, .truth = &t}, not = {.n_ue = 2, .truth = &t};
    struct checking plain = {.n_ue = 2, .truth = &p};

    (void)state;
    chain_and_truth(&p, &t);
    run_lone(&p, truths, &asks, true, &rec);
    assert_true(asks.asked >= 4);
    assert_int_equal(asks.with_truth, asks.asked);
    tu_records_fini(&rec);
    run_lone(&p, truths, &not, false, &rec);
    assert_true(not.asked >= 4);
    assert_int_equal(not.with_truth, 0);
    tu_records_fini(&rec);
    /* without truths, the truth is the problem itself */
    run_lone(&p, NULL, &plain, true, &rec);
    assert_int_equal(plain.with_truth, plain.asked);
    tu_records_fini(&rec);
    compute_problem_fini(&p);
    compute_problem_fini(&t);
}

/* A truth must be its problem priced otherwise: nothing else may differ. */
static void test_a_truth_that_is_not_its_problems_is_refused(void **state)
{
    struct compute_problem p, t;
    const struct compute_problem *truths[1] = {&t};
    struct tu_world w;
    struct radio_ue_group_config g;
    double x[1], y[1];
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *radio;
    struct tu_records rec;
    struct core_err e = {0};
    const char *const want[] = {"layers", "options", "runs other layers", "without its truth"};

    (void)state;
    assert_non_null(eng);
    radio = fixed_radio(eng, 1, &g, x, y);
    assert_non_null(radio);
    tu_records_init(&rec, false);
    for (size_t k = 0; k < ARRAY_LEN(want); k++) {
        struct proto_decider d = {.decide = checking_decide, .ctx = NULL};

        chain_and_truth(&p, &t);
        switch (k) {
        case 0:
            t.layers[2].out_bytes *= 2;
            break;
        case 1:
            t.copy_bytes_per_s[COMPUTE_SIDE_EDGE] *= 2;
            break;
        case 2:
            t.latency_s[COMPUTE_SIDE_UE][3] = INFINITY;
            break;
        default:
            truths[0] = NULL;
            break;
        }
        protocol_config(&w, &p, 1.0, PROTO_ARRIVAL_PERIODIC, 0.5, 1);
        w.c.truths = truths;
        assert_null(proto_collab_world_create(&w.c, eng, radio, &d, NULL, &rec.sink, &e));
        assert_int_equal(e.rc, CORE_E_INPUT);
        if (!strstr(e.msg, want[k])) {
            print_error("case %zu: \"%s\" does not say \"%s\"\n", k, e.msg, want[k]);
            fail();
        }
        truths[0] = &t;
        compute_problem_fini(&p);
        compute_problem_fini(&t);
    }
    tu_records_fini(&rec);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_the_world_executes_the_truth),
        TEST(test_only_a_decider_that_asks_is_told_the_truth),
        TEST(test_a_truth_that_is_not_its_problems_is_refused),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
