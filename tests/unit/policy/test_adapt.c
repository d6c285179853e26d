/*
 * test_adapt.c — a4, the UE's plan under an a3 (adapt.c, split.c): the exact
 * re-plan is the least price over every assignment of UE options to the
 * positions the a3 leaves the UE (brute force on random problems, waits,
 * copies between resources and energies included), and keeps the a3's edge
 * part and the started positions; a layer no UE option runs is an error;
 * split's a4 puts the positions on one candidate, random's on supported
 * options from its stream.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "policy/policy_int.h"

#define N 6     /* layers */
#define N_UE 3  /* UE options: 0 and 1 on resource 0, 2 on resource 1 */
#define N_EDGE 2

/* A chain of N layers with random latencies and energies drawn from r;
 * UE option 2 does not run layer `hole` (-1: none). */
static void random_problem(struct compute_problem *p, struct core_rng *r, int hole)
{
    assert_int_equal(compute_problem_init(p, N, N_UE, N_EDGE, NULL), CORE_OK);
    p->input_bytes = 1e5;
    for (size_t i = 0; i < N; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].inputs[0] = (int32_t)i - 1;
        p->layers[i].out_bytes = 1e4 + 1e5 * core_rng_uniform(r);
        for (size_t o = 0; o < N_UE; o++) {
            double t = 1e-3 + 1e-2 * core_rng_uniform(r);

            p->latency_s[COMPUTE_SIDE_UE][o * N + i] = (int)i == hole && o == 2 ? INFINITY : t;
            p->energy_j[COMPUTE_SIDE_UE][o * N + i] = t * (0.5 + 3.0 * core_rng_uniform(r));
        }
        for (size_t o = 0; o < N_EDGE; o++) {
            p->latency_s[COMPUTE_SIDE_EDGE][o * N + i] = 1e-4 + 1e-3 * core_rng_uniform(r);
            p->energy_j[COMPUTE_SIDE_EDGE][o * N + i] = 0.01;
        }
    }
    for (size_t o = 0; o < N_UE; o++) {
        p->options[COMPUTE_SIDE_UE][o].resource = o < 2 ? 0 : 1;
        p->options[COMPUTE_SIDE_UE][o].amount = 1.0;
        snprintf(p->options[COMPUTE_SIDE_UE][o].label, sizeof(p->options[0][0].label), "u%zu", o);
    }
    for (size_t o = 0; o < N_EDGE; o++) {
        p->options[COMPUTE_SIDE_EDGE][o].resource = (uint32_t)o;
        p->options[COMPUTE_SIDE_EDGE][o].amount = 1.0;
        snprintf(p->options[COMPUTE_SIDE_EDGE][o].label, sizeof(p->options[0][0].label), "e%zu",
                 o);
    }
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        p->copy_latency_s[s] = 2e-4;
        p->copy_bytes_per_s[s] = 1e8;
        p->copy_power_w[s] = 1.5;
    }
    p->msg_header_bytes = 64.0;
    assert_int_equal(compute_problem_check(p, NULL), CORE_OK);
}

/* An a3 on p: the chain in order, the first n_ue positions on the UE with
 * options drawn from r (what the UE had decided), the rest on edge options. */
static void random_a3(const struct compute_problem *p, uint32_t n_ue, struct core_rng *r,
                      struct compute_plan *a3)
{
    memset(a3, 0, sizeof(*a3));
    a3->n_layers = N;
    a3->n_ue = n_ue;
    for (uint32_t k = 0; k < N; k++) {
        a3->order[k] = (uint16_t)k;
        a3->option[k] = (uint8_t)(k < n_ue ? core_rng_below(r, 2) : core_rng_below(r, N_EDGE));
    }
    (void)p;
}

static void random_state(struct compute_state *st, struct core_rng *r)
{
    memset(st, 0, sizeof(*st));
    st->w_latency = 1.0;
    st->w_energy = 0.5;
    for (size_t o = 0; o < N_UE; o++)
        st->wait_s[COMPUTE_SIDE_UE][o] = core_rng_below(r, 2) ? 0.0 : 5e-3 * core_rng_uniform(r);
}

static void test_adapt_is_the_least_price_over_every_assignment(void **state)
{
    struct core_rng *r = core_rng_create(3, 0, CORE_RNG_POLICY);
    size_t trials = 0;

    (void)state;
    for (int t = 0; t < 60; t++) {
        struct compute_problem p = {0};
        struct compute_plan a3, out, pl;
        struct compute_decision req = {0};
        double best = INFINITY, got;
        uint32_t n_ue = 2 + (uint32_t)core_rng_below(r, N - 1); /* 2..N: N withdraws all */
        uint32_t started = (uint32_t)core_rng_below(r, 3);
        size_t combos = 1;

        random_problem(&p, r, t % 3 == 0 ? (int)core_rng_below(r, N) : -1);
        random_a3(&p, n_ue, r, &a3);
        req.kind = COMPUTE_DECIDE_ADAPT;
        req.problem = &p;
        req.current = &a3;
        req.started = started;
        random_state(&req.state, r);
        for (uint32_t k = started; k < n_ue; k++)
            combos *= N_UE;
        for (size_t c = 0; c < combos; c++) {
            size_t code = c;

            pl = a3;
            for (uint32_t k = started; k < n_ue; k++, code /= N_UE)
                pl.option[k] = (uint8_t)(code % N_UE);
            best = fmin(best, policy_adapt_price(&req, &pl));
        }
        if (isinf(best)) { /* some layer only option 2 lacks... all options must lack it */
            compute_problem_fini(&p);
            continue;
        }
        assert_int_equal(policy_adapt(&req, &out, NULL), CORE_OK);
        got = policy_adapt_price(&req, &out);
        if (fabs(got - best) > 1e-12 * best)
            print_error("trial %d: a4 price %.17g, best %.17g\n", t, got, best);
        assert_true(fabs(got - best) <= 1e-12 * best);
        /* the a3's cut, order and edge part, and the started positions, as they were */
        assert_int_equal(out.n_ue, a3.n_ue);
        for (uint32_t k = 0; k < N; k++) {
            assert_int_equal(out.order[k], a3.order[k]);
            if (k < started || k >= n_ue)
                assert_int_equal(out.option[k], a3.option[k]);
            else
                assert_true(isfinite(compute_problem_latency_s(&p, COMPUTE_SIDE_UE,
                                                               out.option[k], k)));
        }
        assert_int_equal(compute_plan_check(&p, &out, out.n_ue < N, NULL), CORE_OK);
        trials++;
        compute_problem_fini(&p);
    }
    assert_true(trials >= 50);
    core_rng_destroy(r);
}

static void test_adapt_without_an_option_for_a_layer_is_an_error(void **state)
{
    struct core_rng *r = core_rng_create(4, 0, CORE_RNG_POLICY);
    struct compute_problem p = {0};
    struct compute_plan a3, out;
    struct compute_decision req = {0};
    struct core_err e;

    (void)state;
    random_problem(&p, r, -1);
    for (size_t o = 0; o < N_UE; o++)
        p.latency_s[COMPUTE_SIDE_UE][o * N + 3] = INFINITY;
    random_a3(&p, N, r, &a3);
    req.kind = COMPUTE_DECIDE_ADAPT;
    req.problem = &p;
    req.current = &a3;
    req.started = 1;
    random_state(&req.state, r);
    core_err_clear(&e);
    assert_int_equal(policy_adapt(&req, &out, &e), CORE_E_RUNTIME);
    assert_non_null(strstr(e.msg, "layer 3"));
    req.current = NULL;
    assert_int_equal(policy_adapt(&req, &out, &e), CORE_E_RUNTIME);
    req.current = &a3;
    req.started = N + 1;
    assert_int_equal(policy_adapt(&req, &out, &e), CORE_E_RUNTIME);
    compute_problem_fini(&p);
    core_rng_destroy(r);
}

static void test_split_adapts_on_one_candidate_random_on_supported_options(void **state)
{
    struct core_rng *r = core_rng_create(5, 0, CORE_RNG_POLICY);
    struct compute_problem p = {0};
    struct compute_plan a3, out;
    struct compute_decision req = {0};
    struct policy_solver *split, *rnd, *joint;

    (void)state;
    random_problem(&p, r, 2); /* option 2 cannot run layer 2 */
    random_a3(&p, 5, r, &a3);
    req.kind = COMPUTE_DECIDE_ADAPT;
    req.problem = &p;
    req.current = &a3;
    req.started = 1;
    random_state(&req.state, r);
    split = policy_solver_create(POLICY_SPLIT, &p, NULL);
    rnd = policy_solver_create(POLICY_RANDOM, &p, NULL);
    joint = policy_solver_create(POLICY_JOINT, &p, NULL);
    assert_true(split && rnd && joint);
    assert_int_equal(policy_solver_adapt(split, &req, NULL, &out, NULL), CORE_OK);
    {
        /* one candidate for the whole part: an option, and where it cannot run a layer
         * (option 2, layer 2) the fastest that can; the cheapest such */
        double best = INFINITY;
        bool one_of_them = false;

        for (uint8_t c = 0; c < N_UE; c++) {
            struct compute_plan pl = a3;
            double v;

            for (uint32_t k = 1; k < 5; k++) {
                uint8_t o = c;

                if (isinf(compute_problem_latency_s(&p, COMPUTE_SIDE_UE, c, k)))
                    for (uint8_t q = 0; q < N_UE; q++)
                        if (isfinite(compute_problem_latency_s(&p, COMPUTE_SIDE_UE, q, k)) &&
                            (o == c || compute_problem_latency_s(&p, COMPUTE_SIDE_UE, q, k) <
                                           compute_problem_latency_s(&p, COMPUTE_SIDE_UE, o, k)))
                            o = q;
                pl.option[k] = o;
            }
            v = policy_adapt_price(&req, &pl);
            best = fmin(best, v);
            one_of_them |= compute_plan_equal(&pl, &out);
        }
        assert_true(one_of_them);
        assert_near(policy_adapt_price(&req, &out), best, 1e-12 * best);
    }
    for (int t = 0; t < 50; t++) {
        assert_int_equal(policy_solver_adapt(rnd, &req, r, &out, NULL), CORE_OK);
        assert_int_equal(compute_plan_check(&p, &out, true, NULL), CORE_OK);
        assert_true(out.option[2] != 2);
        assert_int_equal(out.option[0], a3.option[0]);
    }
    /* joint answers the exact re-plan */
    {
        struct compute_plan exact;

        assert_int_equal(policy_solver_adapt(joint, &req, NULL, &out, NULL), CORE_OK);
        assert_int_equal(policy_adapt(&req, &exact, NULL), CORE_OK);
        assert_true(compute_plan_equal(&out, &exact));
    }
    policy_solver_destroy(split);
    policy_solver_destroy(rnd);
    policy_solver_destroy(joint);
    compute_problem_fini(&p);
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_adapt_is_the_least_price_over_every_assignment),
        TEST(test_adapt_without_an_option_for_a_layer_is_an_error),
        TEST(test_split_adapts_on_one_candidate_random_on_supported_options),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
