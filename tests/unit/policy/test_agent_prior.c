/*
 * test_agent_prior.c — the learning agent's model prior (agent_prior.c):
 * on random problems (chains and DAGs, 1..9 options a side, unsupported
 * layers) and random states (unavailable options, no edge), every head of
 * the prior and every copy cost equal, bit for bit, the cost model's term
 * computed here one at a time from the problem's tables and dp.c's prices,
 * with the AVX2 copy and with the baseline copy (core/cpu.c); with no
 * state the prior is zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agentutil.h"
#include "testutil.h"

#include "policy/policy_int.h"

static struct core_err err;

static float finite_or_zero(double v)
{
    return isfinite(v) ? (float)v : 0.0f;
}

/* The prior's heads and copy costs of h under st, one term at a time. */
static void expected(const struct policy_head *h, const struct compute_state *st, double mean,
                     double sd, float *heads, double *copy[COMPUTE_SIDE_COUNT])
{
    const struct policy_solver *s = h->s;
    const struct compute_problem *p = s->p;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    struct policy_prices pr;
    size_t c, i, o;
    int sd_;

    memset(heads, 0, h->n_heads * sizeof(*heads));
    policy_prices_set(s, st, &pr);
    for (c = 0; c < s->n_cuts; c++) {
        const struct policy_cut *k = &s->cuts[c];
        double v = st->w_latency * st->signaling_s;

        if (k->size < s->n)
            v += pr.ul_per_s *
                     compute_link_time_s(k->cross_bytes + p->msg_header_bytes, st->ul_rate_bps) +
                 pr.downlink;
        heads[c] = finite_or_zero((v - mean) / sd);
        for (sd_ = 0; sd_ < COMPUTE_SIDE_COUNT; sd_++)
            copy[sd_][c] = policy_copy_cost(s, &pr, sd_, k->cross_bytes) / sd;
    }
    for (i = 0; i < s->n; i++) {
        for (o = 0; o < nu; o++)
            heads[h->off_ue + i * nu + o] = finite_or_zero(
                (st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, i) +
                 st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, i)) /
                sd);
        for (o = 0; o < ne; o++)
            heads[h->off_edge + i * ne + o] = finite_or_zero(
                st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, o, i) / sd);
    }
    for (o = 0; o < nu; o++)
        heads[h->off_seg_ue + o] = finite_or_zero(pr.wait[COMPUTE_SIDE_UE][o] / sd);
    for (o = 0; o < ne; o++)
        heads[h->off_seg_edge + o] = finite_or_zero(pr.wait[COMPUTE_SIDE_EDGE][o] / sd);
}

static void test_the_prior_is_the_cost_models_terms_bit_for_bit(void **state)
{
    struct core_rng *r = core_rng_create(21, 0, CORE_RNG_BENCH);
    size_t t, infinite = 0;

    print_message("AVX2 copies %s\n", core_cpu_avx2() ? "available" : "not available here");
    for (t = 0; t < 300; t++) {
        const size_t n = 1 + core_rng_below(r, 9);
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        double mean = core_rng_normal(r, 0, 1), sd = core_rng_uniform_in(r, 1e-3, 10);
        double *copy[COMPUTE_SIDE_COUNT];
        float *want;
        size_t i;
        int off, sd_;

        assert_core_rc(agentutil_problem_drawn(&p, r, n, core_rng_uniform(r) < 0.6,
                                               1 + core_rng_below(r, 9), 1 + core_rng_below(r, 9),
                                               0.2, true, true, &err),
                       CORE_OK);
        agentutil_state(&st, r, &p, 0.8, 0.15);
        assert_core_rc(policy_head_init(&h, &p, &err), CORE_OK);
        assert_core_rc(policy_head_prior_enable(&h, &err), CORE_OK);
        want = test_malloc(h.n_heads * sizeof(*want));
        for (sd_ = 0; sd_ < COMPUTE_SIDE_COUNT; sd_++)
            copy[sd_] = test_malloc(h.s->n_cuts * sizeof(double));
        expected(&h, &st, mean, sd, want, copy);
        for (i = h.off_ue; i < h.off_seg_ue; i++)
            infinite += want[i] == 0;
        for (off = 0; off < 2; off++) {
            core_cpu_avx2_off(off);
            memset(h.prior, 0xff, h.n_heads * sizeof(*h.prior));
            policy_head_prior(&h, &st, mean, sd);
            assert_memory_equal(h.prior, want, h.n_heads * sizeof(*want));
            for (sd_ = 0; sd_ < COMPUTE_SIDE_COUNT; sd_++)
                assert_memory_equal(h.pcopy[sd_], copy[sd_], h.s->n_cuts * sizeof(double));
        }
        core_cpu_avx2_off(false);
        policy_head_prior(&h, NULL, mean, sd);
        for (i = 0; i < h.n_heads; i++)
            assert_true(h.prior[i] == 0);
        for (sd_ = 0; sd_ < COMPUTE_SIDE_COUNT; sd_++)
            test_free(copy[sd_]);
        test_free(want);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    /* unsupported layers (infinite latency) are among them */
    assert_true(infinite > 100);
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_prior_is_the_cost_models_terms_bit_for_bit),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
