/*
 * test_agent_head.c — the learning agent's value model over a family of
 * cuts (agent_head.c): on hundreds of small random chains and DAGs with
 * unsupported and unavailable options and random heads, the decode equals
 * brute force over every (cut, options) plan (with up to 9 options a side
 * too), its baseline and AVX2 copies agree bit for bit and both are a
 * plain scalar programme's, ties included, with up to 16 options a side, the log-space programme's
 * log sum exp(-value) equals the brute-force sum, and its gradient equals minus every head's
 * expected count under the softmin distribution and central finite differences; a plan's cut is
 * found from its UE layers.
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

/* Every plan valid under h's masks, by brute force: the least value, log
 * sum exp(-value) and (when grad) minus the expected head counts. */
struct brute {
    bool found;
    double best;
    double lz;
    size_t n_plans;
};

typedef void (*plan_fn)(struct policy_head *h, const float *out, uint32_t c,
                        const struct compute_plan *pl, void *ctx);

static void each_plan(struct policy_head *h, const float *out, plan_fn fn, void *ctx)
{
    const struct policy_solver *s = h->s;
    size_t i, k;

    for (i = 0; i < s->n_valid; i++) {
        const uint32_t c = s->valid[i];
        size_t digit[COMPUTE_PLAN_MAX_LAYERS] = {0}, radix[COMPUTE_PLAN_MAX_LAYERS];
        int side[COMPUTE_PLAN_MAX_LAYERS];
        struct compute_plan pl;

        if (s->cuts[c].size < s->n && !h->edge_ok)
            continue;
        policy_emit(s, c, -1, -1, &pl);
        for (k = 0; k < s->n; k++) {
            side[pl.order[k]] = k < pl.n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;
            radix[pl.order[k]] = s->n_opt[side[pl.order[k]]];
        }
        for (;;) {
            bool ok = true;

            for (k = 0; k < s->n; k++) {
                pl.option[k] = (uint8_t)digit[k];
                ok = ok && ((h->mask[side[k]][k] >> digit[k]) & 1);
            }
            if (ok)
                fn(h, out, c, &pl, ctx);
            for (k = 0; k < s->n && ++digit[k] == radix[k]; k++)
                digit[k] = 0;
            if (k == s->n)
                break;
        }
    }
}

static void brute_min_lse(struct policy_head *h, const float *out, uint32_t c,
                          const struct compute_plan *pl, void *ctx)
{
    struct brute *b = ctx;
    double v = policy_head_value(h, out, c, pl, NULL, 0);

    assert_int_equal(policy_head_cut_of(h, pl), c);
    if (!b->found || v < b->best)
        b->best = v;
    b->lz = b->found ? (b->lz > -v ? b->lz + log1p(exp(-v - b->lz)) : -v + log1p(exp(b->lz + v)))
                     : -v;
    b->found = true;
    b->n_plans++;
}

struct expect {
    double lz;
    float *grad;
};

static void brute_expect(struct policy_head *h, const float *out, uint32_t c,
                         const struct compute_plan *pl, void *ctx)
{
    struct expect *x = ctx;
    double v = policy_head_value(h, out, c, pl, NULL, 0);

    policy_head_value(h, out, c, pl, x->grad, -exp(-v - x->lz));
}

/* A random problem of 1..max_n layers with 1..max_opt options a side
 * (resources drawn at random), a random state and random heads. */
static void random_case_of(struct core_rng *r, size_t max_n, size_t max_opt,
                           struct compute_problem *p, struct compute_state *st,
                           struct policy_head *h, float **out)
{
    size_t n = 1 + core_rng_below(r, max_n), i;
    bool dag = core_rng_uniform(r) < 0.6;

    assert_core_rc(agentutil_problem_drawn(p, r, n, dag, 1 + core_rng_below(r, max_opt),
                                           1 + core_rng_below(r, max_opt), 0.2, true, true, &err),
                   CORE_OK);
    agentutil_state(st, r, p, 0.8, 0.15);
    assert_core_rc(policy_head_init(h, p, &err), CORE_OK);
    policy_head_masks(h, st);
    *out = test_malloc(h->n_heads * sizeof(**out));
    for (i = 0; i < h->n_heads; i++)
        (*out)[i] = (float)core_rng_normal(r, 0, 1);
}

/* A random problem of at most 6 layers and 3 options a side, a random
 * state and random heads. */
static void random_case(struct core_rng *r, struct compute_problem *p, struct compute_state *st,
                        struct policy_head *h, float **out)
{
    random_case_of(r, 6, 3, p, st, h, out);
}

/* Decode h's heads out and check the plan against brute force over every
 * plan: the same existence and least value, a plan of the family, valid
 * for p under st, on available options only. Whether one exists. */
static bool decode_matches_brute_force(struct policy_head *h, struct compute_problem *p,
                                       const struct compute_state *st, float *out)
{
    struct compute_plan pl;
    struct brute b = {0};
    double v;
    bool found;
    size_t i;

    each_plan(h, out, brute_min_lse, &b);
    found = policy_head_decode(h, out, &pl, &v);
    assert_int_equal(found, b.found);
    if (found) {
        uint32_t c = policy_head_cut_of(h, &pl);

        assert_near(v, b.best, 1e-9 * (1 + fabs(b.best)));
        assert_int_not_equal(c, POLICY_NO_CUT);
        assert_near(policy_head_value(h, out, c, &pl, NULL, 0), v, 1e-9 * (1 + fabs(v)));
        assert_core_rc(compute_plan_check(p, &pl, st->edge_available, &err), CORE_OK);
        for (i = 0; i < pl.n_layers; i++) {
            int sd = i < pl.n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;

            assert_false(isinf(st->wait_s[sd][pl.option[pl.order[i]]]));
        }
    }
    return found;
}

static void test_decode_equals_brute_force_over_every_plan(void **state)
{
    struct core_rng *r = core_rng_create(11, 0, CORE_RNG_BENCH);
    size_t t, none = 0;

    for (t = 0; t < 400; t++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        float *out;

        random_case(r, &p, &st, &h, &out);
        none += !decode_matches_brute_force(&h, &p, &st, out);
        test_free(out);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    /* Some cases have no plan (every option of a layer unavailable). */
    assert_true(none > 0 && none < 100);
    core_rng_destroy(r);
}

/* Up to 9 options a side: the decode's programmes take the options four
 * lanes at a time, so more than four run in blocks. */
static void test_decode_with_many_options_equals_brute_force(void **state)
{
    struct core_rng *r = core_rng_create(14, 0, CORE_RNG_BENCH);
    size_t t, wide = 0;

    for (t = 0; t < 120; t++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        float *out;

        random_case_of(r, 3, 9, &p, &st, &h, &out);
        wide += h.s->n_opt[COMPUTE_SIDE_UE] > 4 || h.s->n_opt[COMPUTE_SIDE_EDGE] > 4;
        decode_matches_brute_force(&h, &p, &st, out);
        test_free(out);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    assert_true(wide > 50);
    core_rng_destroy(r);
}

/* The decode's baseline copy and its AVX2 copy give the same plan and the
 * same value, bit for bit (core/cpu.c). */
static void test_decode_is_the_same_without_avx2(void **state)
{
    struct core_rng *r = core_rng_create(15, 0, CORE_RNG_BENCH);
    size_t t, found = 0;

    if (!core_cpu_avx2())
        skip(); /* no AVX2 copy here to compare with */
    for (t = 0; t < 400; t++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        struct compute_plan a, b;
        double va = 0, vb = 0;
        float *out;
        bool fa, fb;

        random_case_of(r, 6, t % 2 ? 9 : 3, &p, &st, &h, &out);
        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        fa = policy_head_decode(&h, out, &a, &va);
        core_cpu_avx2_off(true);
        fb = policy_head_decode(&h, out, &b, &vb);
        core_cpu_avx2_off(false);
        assert_int_equal(fa, fb);
        assert_memory_equal(&a, &b, sizeof(a));
        assert_memory_equal(&va, &vb, sizeof(va));
        found += fa;
        test_free(out);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    assert_true(found > 300);
    core_rng_destroy(r);
}

/* ---- the decode as a plain scalar programme ---------------------------------------- */

/* What agent_decode.c's lanes reproduce, one option at a time in the
 * solver's own scratch (joint's f, farg, h, harg): for each option o, the
 * first q of least prev[q] + (q != o ? segment head : 0) + (other
 * resource ? copy : 0), with strict <, then the first end options of
 * least value and the first cut of least value. */
static double ref_candidate(const struct policy_head *h, const float *out, int sd, size_t q,
                            size_t o, double prev, double copy)
{
    const struct compute_problem *p = h->s->p;
    const double seg = q == o                  ? 0
                       : sd == COMPUTE_SIDE_UE ? (double)out[h->off_seg_ue + o]
                                               : (double)out[h->off_seg_edge + q];
    const double diff = p->options[sd][q].resource != p->options[sd][o].resource;

    return (prev + seg) + diff * copy;
}

static void ref_step(struct policy_head *h, const float *out, int sd, uint32_t c)
{
    struct policy_solver *s = h->s;
    const struct policy_cut *k = &s->cuts[c];
    const size_t no = s->n_opt[sd];
    const bool ue = sd == COMPUTE_SIDE_UE;
    const uint32_t from = ue ? k->fparent : k->gparent;
    const bool first = ue ? k->size == 1 : s->cuts[k->gparent].size == s->n;
    const uint16_t layer = ue ? k->last : k->next;
    const float *lay = out + (ue ? h->off_ue : h->off_edge) + layer * no;
    double *val = (ue ? s->f : s->h) + c * no;
    uint8_t *arg = (ue ? s->farg : s->harg) + c * no;
    size_t o, q;

    for (o = 0; o < no; o++) {
        double best = INFINITY;
        int at = POLICY_ARG_NONE;

        if (((h->mask[sd][layer] >> o) & 1) && first) {
            val[o] = ue ? (double)out[h->off_seg_ue + o] + (double)lay[o] : (double)lay[o];
            arg[o] = ue ? POLICY_ARG_START : POLICY_ARG_END;
            continue;
        }
        for (q = 0; ((h->mask[sd][layer] >> o) & 1) && q < no; q++) {
            const double v = ref_candidate(h, out, sd, q, o, (ue ? s->f : s->h)[from * no + q],
                                           policy_head_copy(h, out, sd, from));

            if (v < best) {
                best = v;
                at = (int)q;
            }
        }
        val[o] = at == POLICY_ARG_NONE ? INFINITY : best + (double)lay[o];
        arg[o] = (uint8_t)at;
    }
}

static bool ref_decode(struct policy_head *h, const float *out, struct compute_plan *pl,
                       double *value)
{
    struct policy_solver *s = h->s;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    uint32_t best_c = POLICY_NO_CUT, c;
    int best_ue = -1, best_edge = -1;
    double best = INFINITY;
    size_t i, o;

    for (c = 0; c < s->n_cuts; c++)
        if (s->cuts[c].size > 0 && s->cuts[c].ue_ok)
            ref_step(h, out, COMPUTE_SIDE_UE, c);
    for (c = (uint32_t)s->n_cuts; h->edge_ok && c-- > 0;)
        if (s->cuts[c].size < s->n && s->cuts[c].edge_ok)
            ref_step(h, out, COMPUTE_SIDE_EDGE, c);
    for (i = 0; i < s->n_valid; i++) {
        const struct policy_cut *k = &s->cuts[s->valid[i]];
        double v = out[s->valid[i]], u = INFINITY, w = INFINITY;
        int ou = -1, oe = -1;

        c = s->valid[i];
        if (k->size < s->n && !h->edge_ok)
            continue;
        for (o = 0; k->size > 0 && o < nu; o++)
            if (s->farg[c * nu + o] != POLICY_ARG_NONE && s->f[c * nu + o] < u) {
                u = s->f[c * nu + o];
                ou = (int)o;
            }
        for (o = 0; k->size < s->n && o < ne; o++) {
            const double x = (double)out[h->off_seg_edge + o] + s->h[c * ne + o];

            if (s->harg[c * ne + o] != POLICY_ARG_NONE && x < w) {
                w = x;
                oe = (int)o;
            }
        }
        if ((k->size > 0 && ou < 0) || (k->size < s->n && oe < 0))
            continue;
        if (k->size > 0)
            v += u;
        if (k->size < s->n)
            v += h->bytes[c] * out[h->off_xb] + w;
        if (v < best) {
            best = v;
            best_c = c;
            best_ue = ou;
            best_edge = oe;
        }
    }
    if (best_c == POLICY_NO_CUT)
        return false;
    policy_emit(s, best_c, best_ue, best_edge, pl);
    *value = best;
    return true;
}

/* The decode is the scalar programme's, bit for bit, and so are its ties:
 * heads of a few integer values (ties everywhere) or normal, 1 to 16
 * options a side (up to four lane groups), with and without AVX2. */
static void test_decode_is_the_scalar_programme_ties_included(void **state)
{
    struct core_rng *r = core_rng_create(16, 0, CORE_RNG_BENCH);
    size_t t, found = 0, wide = 0;

    for (t = 0; t < 600; t++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        float *out;
        size_t i;
        int off;

        random_case_of(r, 5, 16, &p, &st, &h, &out);
        if (t % 2 == 0)
            for (i = 0; i < h.n_heads; i++)
                out[i] = (float)core_rng_below(r, 3);
        wide += h.s->n_opt[COMPUTE_SIDE_UE] > 12 || h.s->n_opt[COMPUTE_SIDE_EDGE] > 12;
        for (off = 0; off < 2; off++) {
            struct compute_plan a, b;
            double va = 0, vb = 0;
            bool fa, fb;

            memset(&a, 0, sizeof(a));
            memset(&b, 0, sizeof(b));
            core_cpu_avx2_off(off);
            fa = policy_head_decode(&h, out, &a, &va);
            core_cpu_avx2_off(false);
            fb = ref_decode(&h, out, &b, &vb);
            assert_int_equal(fa, fb);
            assert_memory_equal(&a, &b, sizeof(a));
            assert_memory_equal(&va, &vb, sizeof(va));
            found += fa;
        }
        test_free(out);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    assert_true(found > 800 && wide > 50);
    core_rng_destroy(r);
}

static void test_log_sum_and_gradient_equal_brute_force_softmin(void **state)
{
    struct core_rng *r = core_rng_create(12, 0, CORE_RNG_BENCH);
    size_t t;

    for (t = 0; t < 300; t++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        struct brute b = {0};
        struct expect x;
        float *out, *grad, *want;
        double lz;
        size_t i;

        random_case(r, &p, &st, &h, &out);
        each_plan(&h, out, brute_min_lse, &b);
        grad = test_calloc(h.n_heads, sizeof(*grad));
        want = test_calloc(h.n_heads, sizeof(*want));
        lz = policy_head_logz(&h, out, grad, 1.0);
        if (!b.found) {
            assert_true(lz == -INFINITY);
        } else {
            assert_near(lz, b.lz, 1e-9 * (1 + fabs(b.lz)));
            x.lz = b.lz;
            x.grad = want;
            each_plan(&h, out, brute_expect, &x);
            for (i = 0; i < h.n_heads; i++)
                assert_near(grad[i], want[i], 1e-5);
        }
        test_free(grad);
        test_free(want);
        test_free(out);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    core_rng_destroy(r);
}

static void test_conservative_gradient_matches_finite_differences(void **state)
{
    struct core_rng *r = core_rng_create(13, 0, CORE_RNG_BENCH);
    size_t t, checked = 0;

    for (t = 0; t < 60; t++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_head h;
        float *out, *grad;
        double lz;
        size_t i;

        random_case(r, &p, &st, &h, &out);
        grad = test_calloc(h.n_heads, sizeof(*grad));
        lz = policy_head_logz(&h, out, grad, 1.0);
        if (lz != -INFINITY) {
            for (i = 0; i < h.n_heads; i++) {
                const float keep = out[i];
                float up, down;
                double lp, lm;

                out[i] = up = keep + 1e-2f;
                lp = policy_head_logz(&h, out, NULL, 0);
                out[i] = down = keep - 1e-2f;
                lm = policy_head_logz(&h, out, NULL, 0);
                out[i] = keep;
                assert_near(grad[i], (lp - lm) / ((double)up - down), 2e-4);
                checked++;
            }
        }
        test_free(grad);
        test_free(out);
        policy_head_fini(&h);
        compute_problem_fini(&p);
    }
    assert_true(checked > 500);
    core_rng_destroy(r);
}

/* A plan whose UE layers are no cut of the family has none. */
static void test_a_plan_outside_the_family_has_no_cut(void **state)
{
    struct compute_problem p;
    struct policy_head h;
    struct compute_plan pl;
    size_t i;

    /* a chain of 3: {1} alone is no ideal */
    assert_core_rc(compute_problem_init(&p, 3, 1, 1, &err), CORE_OK);
    p.input_bytes = 100;
    for (i = 0; i < 3; i++) {
        p.layers[i].n_inputs = 1;
        p.layers[i].inputs[0] = (int32_t)i - 1;
        p.layers[i].out_bytes = 10;
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, i, 1e-3, 1e-3);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 0, i, 1e-4, 0);
    }
    p.copy_bytes_per_s[0] = p.copy_bytes_per_s[1] = 1e9;
    assert_core_rc(policy_head_init(&h, &p, &err), CORE_OK);
    memset(&pl, 0, sizeof(pl));
    pl.n_layers = 3;
    pl.n_ue = 1;
    pl.order[0] = 1;
    pl.order[1] = 0;
    pl.order[2] = 2;
    assert_int_equal(policy_head_cut_of(&h, &pl), POLICY_NO_CUT);
    pl.order[0] = 0;
    pl.order[1] = 1;
    assert_int_equal(h.s->cuts[policy_head_cut_of(&h, &pl)].size, 1);
    policy_head_fini(&h);
    compute_problem_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_equals_brute_force_over_every_plan),
        cmocka_unit_test(test_decode_with_many_options_equals_brute_force),
        cmocka_unit_test(test_decode_is_the_same_without_avx2),
        cmocka_unit_test(test_decode_is_the_scalar_programme_ties_included),
        cmocka_unit_test(test_log_sum_and_gradient_equal_brute_force_softmin),
        cmocka_unit_test(test_conservative_gradient_matches_finite_differences),
        cmocka_unit_test(test_a_plan_outside_the_family_has_no_cut),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
