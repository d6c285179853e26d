/*
 * test_agent_pessimism.c — the learning agent's pessimism per plan
 * (policy.h, "Pessimism per plan"; agent.c, agent_train.c): on samples of
 * one compute state whose costs are the prediction plus noise, where joint's
 * plan R is seen 2,000 times,
 *   - a plan P1 that differs from R in one layer's option, seen 4 times at
 *     a cost below R's (a large correction that 4 samples cannot tell from
 *     the noise), is what the agent takes at pessimism 0 (it trusts the
 *     fitted correction) and does NOT take at pessimism 2: it keeps R;
 *   - a plan P2 that differs from R in another layer's option, seen 600
 *     times at the same gain, IS taken at pessimism 2 (the gain exceeds its
 *     uncertainty).
 * Each head's standard error comes from the data (training computes it);
 * the test only sets the pessimism. Also: the pessimism's range, an agent
 * without the model prior or without standard errors refuses one, and the
 * standard errors are >= 0 with +inf exactly for heads no training plan
 * selects.
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

#define N_STATE 4
#define N_R     2000 /* samples of joint's plan */
#define N_RARE  4    /* of the rarely seen plan */
#define N_OFTEN 600  /* of the often seen one */
#define K       2.0  /* the pessimism the tests decode with */

struct world {
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan r, p1, p2; /* joint's plan; single changes of it */
    double g1, g2;                 /* their predicted gaps over r, > 0 */
    float (*x)[N_STATE];           /* [n] the samples' features */
    struct policy_sample *s;       /* [n] */
    size_t n;
};

static double objective(const struct world *w, const struct compute_plan *pl)
{
    struct compute_plan_cost c;

    compute_plan_cost(&w->p, &w->st, pl, &c);
    return c.objective;
}

static bool same_plan(const struct compute_plan *a, const struct compute_plan *b)
{
    if (a->n_ue != b->n_ue)
        return false;
    for (uint32_t i = 0; i < a->n_layers; i++)
        if (a->option[i] != b->option[i])
            return false;
    return true;
}

/* The problem, a state, joint's plan, and its two single-layer changes of
 * least predicted gap on different layers. */
static void world_init(struct world *w)
{
    struct core_rng *r = core_rng_create(71, 0, CORE_RNG_BENCH);
    struct policy_solver *joint;
    double best[2] = {INFINITY, INFINITY};
    uint32_t layer1 = UINT32_MAX;

    memset(w, 0, sizeof(*w));
    assert_core_rc(agentutil_problem(&w->p, r, 6, false, 2, 2, 0, &err), CORE_OK);
    agentutil_state(&w->st, r, &w->p, 1, 0);
    joint = policy_solver_create(POLICY_JOINT, &w->p, &err);
    assert_non_null(joint);
    assert_core_rc(policy_decide(joint, &w->st, NULL, &w->r, &err), CORE_OK);
    policy_solver_destroy(joint);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < w->r.n_layers; i++)
            for (uint8_t o = 0; o < 2; o++) {
                struct compute_plan q = w->r;
                double g;

                if (o == w->r.option[i] || (pass == 1 && i == layer1))
                    continue;
                q.option[i] = o;
                g = objective(w, &q) - objective(w, &w->r);
                if (g > 1e-9 && g < best[pass]) {
                    best[pass] = g;
                    if (pass == 0) {
                        w->p1 = q;
                        layer1 = i;
                    } else {
                        w->p2 = q;
                    }
                }
            }
    assert_true(isfinite(best[0]) && isfinite(best[1]));
    w->g1 = best[0];
    w->g2 = best[1];
    core_rng_destroy(r);
}

/* Samples: N_R of r at its objective plus noise of sd noise, n_alt of alt
 * at its objective minus gain (plus the noise when noisy). */
static void data_make(struct world *w, const struct compute_plan *alt, size_t n_alt, double gain,
                      double noise, bool noisy)
{
    struct core_rng *r = core_rng_create(72, (uint64_t)n_alt, CORE_RNG_BENCH);

    w->n = N_R + n_alt;
    w->x = test_malloc(w->n * sizeof(*w->x));
    w->s = test_malloc(w->n * sizeof(*w->s));
    for (size_t k = 0; k < w->n; k++) {
        const bool is_alt = k % (w->n / n_alt) == 0 && k / (w->n / n_alt) < n_alt;
        const struct compute_plan *pl = is_alt ? alt : &w->r;
        double cost = objective(w, pl) - (is_alt ? gain : 0);

        if (!is_alt || noisy)
            cost += noise * core_rng_normal(r, 0, 1);
        for (size_t j = 0; j < N_STATE; j++)
            w->x[k][j] = (float)core_rng_uniform_in(r, -1, 1);
        w->s[k] = (struct policy_sample){0, w->x[k], *pl, cost, &w->st};
    }
    core_rng_destroy(r);
}

static void world_fini(struct world *w)
{
    test_free(w->x);
    test_free(w->s);
    compute_problem_fini(&w->p);
}

static const struct policy_train_config cfg = {.seed = 3,
                                               .steps = 1500,
                                               .batch = 64,
                                               .learning_rate = 1e-2,
                                               .hidden = 8,
                                               .depth = 0,
                                               .conservative = 0,
                                               .holdout = 0.1,
                                               .threads = 1,
                                               .prior = POLICY_PRIOR_MODEL,
                                               .best_heldout = false,
                                               .shrink = 0};

/* The agent's plan for w's state at pessimism k. */
static struct compute_plan decide(struct policy_agent *a, const struct world *w, double k)
{
    const float s[N_STATE] = {0};
    struct compute_plan pl;

    assert_core_rc(policy_agent_set_pessimism(a, k, &err), CORE_OK);
    assert_core_rc(policy_agent_decide(a, 0, s, &w->st, &pl, &err), CORE_OK);
    return pl;
}

static struct policy_agent *train(struct world *w)
{
    struct policy_agent_problem pr = {
        .model = "m", .device = "d", .problem = &w->p, .n_state = N_STATE};
    struct policy_agent *a = NULL;

    assert_core_rc(policy_agent_train(&pr, 1, w->s, w->n, &cfg, NULL, NULL, 0, &a, &err), CORE_OK);
    return a;
}

static void test_a_rarely_seen_spurious_correction_does_not_change_the_plan(void **state)
{
    struct policy_agent *a;
    struct compute_plan pl, trusted;
    struct world w;
    double gain;

    (void)state;
    world_init(&w);
    /* P1 looks better than R by twice its gap, the noise is larger than
     * that gain: 4 samples cannot tell it from chance */
    gain = 3 * w.g1;
    data_make(&w, &w.p1, N_RARE, gain, 1.5 * gain, false);
    a = train(&w);
    trusted = decide(a, &w, 0);
    pl = decide(a, &w, K);
    policy_agent_destroy(a);
    world_fini(&w);
    if (!same_plan(&trusted, &w.p1))
        fail_msg("at pessimism 0 the agent should trust the rare plan's correction (gap %g, gain "
                 "%g)",
                 w.g1, gain);
    if (!same_plan(&pl, &w.r))
        fail_msg("at pessimism %g the agent should keep joint's plan", K);
}

static void test_an_often_seen_real_correction_changes_the_plan(void **state)
{
    struct policy_agent *a;
    struct compute_plan pl;
    struct world w;
    double gain;

    (void)state;
    world_init(&w);
    gain = 1.5 * w.g2;
    data_make(&w, &w.p2, N_OFTEN, gain, 1.5 * gain, true);
    a = train(&w);
    pl = decide(a, &w, K);
    policy_agent_destroy(a);
    world_fini(&w);
    if (!same_plan(&pl, &w.p2))
        fail_msg("at pessimism %g the agent should take the often seen plan (gap %g, gain %g)", K,
                 w.g2, gain);
}

static void test_standard_errors_and_the_pessimism_range(void **state)
{
    const struct policy_agent_image *img;
    struct policy_agent *a;
    struct policy_head h;
    float *sel;
    struct world w;
    size_t j;

    (void)state;
    world_init(&w);
    data_make(&w, &w.p1, N_RARE, w.g1, w.g1, false);
    a = train(&w);
    img = policy_agent_image(a);
    assert_non_null(img->parts[0].head_se);
    /* +inf exactly where no training plan (r or p1) selects the head */
    assert_core_rc(policy_head_init(&h, &w.p, &err), CORE_OK);
    sel = test_calloc(2 * h.n_heads, sizeof(float));
    policy_head_value(&h, sel + h.n_heads, policy_head_cut_of(&h, &w.r), &w.r, sel, 1);
    policy_head_value(&h, sel + h.n_heads, policy_head_cut_of(&h, &w.p1), &w.p1, sel, 1);
    for (j = 0; j < h.n_heads; j++) {
        const float se = img->parts[0].head_se[j];

        assert_true(se >= 0);
        if ((sel[j] == 0) != isinf(se))
            fail_msg("head %zu: selected %g times, standard error %g", j, sel[j], se);
    }
    test_free(sel);
    policy_head_fini(&h);
    assert_core_rc(policy_agent_set_pessimism(a, -1, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "pessimism -1"));
    assert_core_rc(policy_agent_set_pessimism(a, NAN, &err), CORE_E_INPUT);
    assert_core_rc(policy_agent_set_pessimism(a, INFINITY, &err), CORE_E_INPUT);
    assert_core_rc(policy_agent_set_pessimism(a, 3, &err), CORE_OK);
    assert_true(policy_agent_pessimism(a) == 3);
    policy_agent_destroy(a);
    world_fini(&w);
}

/* An agent without the model prior, or without standard errors (read from
 * an old file), refuses pessimism > 0 and keeps decoding at 0. */
static void test_pessimism_needs_the_prior_and_standard_errors(void **state)
{
    struct policy_train_config c = cfg;
    struct policy_agent_problem pr;
    struct policy_agent_image img;
    struct policy_agent_part part;
    struct policy_agent *a = NULL, *b = NULL;
    struct world w;

    (void)state;
    world_init(&w);
    data_make(&w, &w.p1, N_RARE, w.g1, w.g1, false);
    pr = (struct policy_agent_problem){"m", "d", &w.p, N_STATE};
    c.prior = POLICY_PRIOR_NONE;
    c.steps = 2;
    assert_core_rc(policy_agent_train(&pr, 1, w.s, w.n, &c, NULL, NULL, 0, &a, &err), CORE_OK);
    assert_core_rc(policy_agent_set_pessimism(a, 1, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "model prior"));
    assert_core_rc(policy_agent_set_pessimism(a, 0, &err), CORE_OK);
    img = *policy_agent_image(a);
    img.config.pessimism = 1;
    assert_core_rc(policy_agent_create(&img, &b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "needs the model prior"));
    policy_agent_destroy(a);

    c.prior = POLICY_PRIOR_MODEL;
    assert_core_rc(policy_agent_train(&pr, 1, w.s, w.n, &c, NULL, NULL, 0, &a, &err), CORE_OK);
    img = *policy_agent_image(a);
    part = img.parts[0];
    img.parts = &part;
    part.head_se = NULL; /* as read from a file of format version 2 */
    img.config.pessimism = 0;
    assert_core_rc(policy_agent_create(&img, &b, &err), CORE_OK);
    assert_core_rc(policy_agent_set_pessimism(b, 1, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "train it again"));
    policy_agent_destroy(b);
    img.config.pessimism = 1;
    assert_core_rc(policy_agent_create(&img, &b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "without standard errors"));
    part = policy_agent_image(a)->parts[0];
    part.head_se[1] = NAN;
    img.config.pessimism = 0;
    assert_core_rc(policy_agent_create(&img, &b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "standard error"));
    part.head_se[1] = -1;
    assert_core_rc(policy_agent_create(&img, &b, &err), CORE_E_INPUT);
    part.head_se[1] = INFINITY;
    assert_core_rc(policy_agent_create(&img, &b, &err), CORE_OK);
    policy_agent_destroy(b);
    policy_agent_destroy(a);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_a_rarely_seen_spurious_correction_does_not_change_the_plan),
        TEST(test_an_often_seen_real_correction_changes_the_plan),
        TEST(test_standard_errors_and_the_pessimism_range),
        TEST(test_pessimism_needs_the_prior_and_standard_errors),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
