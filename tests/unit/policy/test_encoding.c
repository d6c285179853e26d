/*
 * test_encoding.c — the uplink's encoding as a decision (compute.h,
 * "Encodings and accuracy"; policy.h's policy_encodes): on a hand-built
 * chain, joint sends a compact encoding when the uplink is scarce and its
 * accuracy loss small, and fp32 when bandwidth is plentiful or the loss
 * weighs more; an encoding of unknown accuracy is never chosen; joint and
 * oracle equal brute force over every cut x option assignment x encoding on
 * random chains and DAGs with random encodings; every other policy sends the
 * problem's fixed encoding and none beats joint; the plan's cost prices the
 * encoded bytes and the accuracy term.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agentutil.h"
#include "testutil.h"

#include "compute/compute.h"
#include "policy/policy.h"

static struct core_err err;

#define REL 1e-12

/* ---- problems ------------------------------------------------------------ */

/* A 4-layer chain: a slow UE (200 ms a layer), a fast edge (1 ms), 10 kB
 * tensors and input; encodings fp32, int8 (a quarter of the bytes, loss
 * loss8) and int4 (an eighth, loss loss4) on every prefix, whole-model
 * accuracy 0.9. */
static void chain(struct compute_problem *p, struct compute_state *st, double loss8,
                  double loss4)
{
    assert_core_rc(compute_problem_init(p, 4, 1, 1, &err), CORE_OK);
    p->input_bytes = 1e4;
    for (size_t i = 0; i < 4; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].inputs[0] = (int32_t)i - 1;
        p->layers[i].out_bytes = 1e4;
        agentutil_set_cost(p, COMPUTE_SIDE_UE, 0, i, 0.2, 0.1);
        agentutil_set_cost(p, COMPUTE_SIDE_EDGE, 0, i, 0.001, 0.01);
    }
    p->copy_bytes_per_s[0] = p->copy_bytes_per_s[1] = 1e9;
    assert_core_rc(compute_problem_encodings_init(p, 3, &err), CORE_OK);
    p->accuracy = 0.9;
    snprintf(p->encodings[0].name, sizeof(p->encodings[0].name), "fp32");
    snprintf(p->encodings[1].name, sizeof(p->encodings[1].name), "int8");
    snprintf(p->encodings[2].name, sizeof(p->encodings[2].name), "int4");
    for (size_t t = 0; t <= 4; t++) {
        p->encodings[1].tensor_bytes[t] = 2500;
        p->encodings[2].tensor_bytes[t] = 1250;
    }
    for (size_t g = 0; g < 4; g++) {
        p->encodings[1].accuracy[g] = 0.9 - loss8;
        p->encodings[2].accuracy[g] = 0.9 - loss4;
    }
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
    memset(st, 0, sizeof(*st));
    st->edge_available = true;
    st->ul_rate_bps = 1e5; /* fp32 0.8 s, int8 0.2 s, int4 0.1 s */
    st->dl_rate_bps = 1e9;
    st->w_latency = 1;
    st->w_accuracy = 1;
}

/* agentutil_random_encodings on p, checked. */
static void random_encodings(struct compute_problem *p, struct core_rng *r, size_t n_enc)
{
    assert_core_rc(agentutil_random_encodings(p, r, n_enc, &err), CORE_OK);
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
}

static double objective(const struct compute_problem *p, const struct compute_state *st,
                        const struct compute_plan *pl)
{
    struct compute_plan_cost c;

    compute_plan_cost(p, st, pl, &c);
    return c.objective;
}

struct brute {
    const struct compute_problem *p;
    const struct compute_state *st;
    bool fixed;  /* only the problem's fixed encoding */
    double best; /* the least objective so far */
};

/* Every encoding of plan pl that brute_force admits. */
static void brute_visit(void *ctx, struct compute_plan *pl)
{
    struct brute *b = ctx;
    const struct compute_problem *p = b->p;
    size_t n = p->n_layers;

    for (uint32_t en = 0; en < (p->n_encodings ? p->n_encodings : 1); en++) {
        pl->encoding = (uint8_t)en;
        if (pl->n_ue == n && en != 0)
            break; /* a local plan sends nothing */
        if (pl->n_ue < n && b->fixed && en != p->fixed_encoding)
            continue;
        if (pl->n_ue < n && !b->fixed && en != 0 && isnan(compute_plan_accuracy(p, pl)))
            continue;
        if (compute_plan_check(p, pl, b->st->edge_available, NULL) == CORE_OK) {
            double v = objective(p, b->st, pl);

            if (v < b->best)
                b->best = v;
        }
    }
}

/* The least objective over every ideal x every supporting option
 * assignment x every encoding (encoding 0, or one whose accuracy the plan
 * knows); with fixed, only the problem's fixed encoding. */
static double brute_force(const struct compute_problem *p, const struct compute_state *st,
                          bool fixed)
{
    struct brute b = {p, st, fixed, INFINITY};

    agentutil_each_plan(p, st->edge_available, 0, brute_visit, &b);
    return b.best;
}

/* ---- the plan's cost ------------------------------------------------------ */

static void test_plan_cost_prices_the_encoded_bytes_and_the_accuracy(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct compute_plan_cost c32, c8;

    (void)state;
    chain(&p, &st, 0.001, 0.3);
    memset(&pl, 0, sizeof(pl));
    pl.n_layers = 4;
    pl.n_ue = 2;
    for (uint16_t i = 0; i < 4; i++)
        pl.order[i] = i;
    compute_plan_cost(&p, &st, &pl, &c32);
    assert_near(compute_plan_uplink_bytes(&p, &pl), 1e4, 0);
    assert_near(c32.uplink_bytes, 1e4, 0);
    assert_near(c32.accuracy, 0.9, 0);
    assert_near(c32.objective, c32.latency_s - 0.9, 1e-15);
    pl.encoding = 1;
    compute_plan_cost(&p, &st, &pl, &c8);
    assert_near(compute_plan_uplink_bytes(&p, &pl), 2500, 0);
    assert_near(c8.uplink_bytes, 2500, 0);
    assert_near(c8.uplink_s, 2500 * 8 / 1e5, 1e-15);
    assert_near(c8.accuracy, 0.899, 1e-15);
    assert_near(c8.objective, c8.latency_s - 0.899, 1e-15);
    assert_false(compute_plan_equal(&pl, &(struct compute_plan){.n_layers = 4, .n_ue = 2,
                                                               .order = {0, 1, 2, 3}}));
    /* a local plan: the whole model's accuracy, nothing sent */
    pl.n_ue = 4;
    pl.encoding = 0;
    assert_near(compute_plan_uplink_bytes(&p, &pl), 0, 0);
    assert_near(compute_plan_accuracy(&p, &pl), 0.9, 0);
    /* an encoding the problem does not offer */
    pl.n_ue = 2;
    pl.encoding = 3;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_E_INPUT);
    compute_problem_fini(&p);
}

/* The set of layers listed in l[0..n). */
static struct compute_layer_set layer_set(const size_t *l, size_t n)
{
    struct compute_layer_set s = {{0}};

    for (size_t i = 0; i < n; i++)
        compute_layer_set_add(&s, l[i]);
    return s;
}

static void test_accuracy_of_an_unmeasured_cut_that_is_no_prefix_is_unknown_but_under_fp32(
    void **state)
{
    struct compute_problem p;
    struct compute_layer_set l0 = layer_set((size_t[]){0}, 1), l1 = layer_set((size_t[]){1}, 1);
    struct compute_layer_set all = layer_set((size_t[]){0, 1, 2}, 3);
    struct compute_layer_set l01 = layer_set((size_t[]){0, 1}, 2);

    (void)state;
    assert_core_rc(compute_problem_init(&p, 3, 1, 1, &err), CORE_OK);
    assert_core_rc(compute_problem_encodings_init(&p, 2, &err), CORE_OK);
    p.accuracy = 0.9;
    p.encodings[1].accuracy[1] = 0.8;
    assert_true(isnan(compute_problem_accuracy(&p, 1, &l1, 1)));
    assert_near(compute_problem_accuracy(&p, 1, &l0, 1), 0.8, 0);
    assert_near(compute_problem_accuracy(&p, 0, &l1, 1), 0.9, 0);
    assert_near(compute_problem_accuracy(&p, 1, &all, 3), 0.9, 0);
    assert_true(isnan(compute_problem_accuracy(&p, 1, &l01, 2))); /* not measured */
    compute_problem_fini(&p);
    /* no encodings: unknown everywhere */
    assert_core_rc(compute_problem_init(&p, 3, 1, 1, &err), CORE_OK);
    assert_true(isnan(compute_problem_accuracy(&p, 0, &all, 3)));
    compute_problem_fini(&p);
}

static void test_a_measured_cut_that_is_no_prefix_gives_its_accuracy_to_plans_and_solvers(
    void **state)
{
    /* a diamond: 0 reads the input, 1 and 2 read 0, 3 reads 1 and 2 */
    struct compute_problem p;
    struct compute_state st;
    struct compute_cut_accuracy *c, *again;
    struct compute_layer_set l02 = layer_set((size_t[]){0, 2}, 2);
    struct compute_layer_set l01 = layer_set((size_t[]){0, 1}, 2);
    struct compute_plan pl = {.n_layers = 4, .n_ue = 2, .order = {0, 2, 1, 3}, .encoding = 1};
    struct compute_plan_cost cost;

    (void)state;
    assert_false(compute_layer_set_is_prefix(&l02, 2));
    assert_true(compute_layer_set_is_prefix(&l01, 2));
    assert_core_rc(compute_problem_init(&p, 4, 1, 1, &err), CORE_OK);
    p.input_bytes = 1000;
    for (size_t i = 0; i < 4; i++) {
        p.layers[i].n_inputs = 1;
        p.layers[i].inputs[0] = i == 0 ? -1 : 0;
        p.layers[i].out_bytes = 1000;
        p.latency_s[COMPUTE_SIDE_UE][i] = p.latency_s[COMPUTE_SIDE_EDGE][i] = 0.001;
    }
    p.layers[3].n_inputs = 2;
    p.layers[3].inputs[0] = 1;
    p.layers[3].inputs[1] = 2;
    p.copy_bytes_per_s[COMPUTE_SIDE_UE] = p.copy_bytes_per_s[COMPUTE_SIDE_EDGE] = 1e9;
    assert_core_rc(compute_problem_encodings_init(&p, 2, &err), CORE_OK);
    snprintf(p.encodings[0].name, sizeof(p.encodings[0].name), "fp32");
    snprintf(p.encodings[1].name, sizeof(p.encodings[1].name), "int8");
    for (size_t t = 0; t <= 4; t++)
        p.encodings[1].tensor_bytes[t] = 250;
    p.accuracy = 0.9;
    p.encodings[1].accuracy[2] = 0.85; /* the prefix {0, 1} */
    assert_core_rc(compute_problem_cut_accuracy(&p, &l02, &c, &err), CORE_OK);
    c->accuracy[1] = 0.7;
    assert_core_rc(compute_problem_cut_accuracy(&p, &l02, &again, &err), CORE_OK);
    assert_ptr_equal(again, c); /* one entry per cut */
    assert_int_equal(p.n_cut_accuracies, 1);
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    assert_near(compute_problem_accuracy(&p, 1, &l02, 2), 0.7, 0);
    assert_near(compute_problem_accuracy(&p, 1, &l01, 2), 0.85, 0);
    assert_near(compute_problem_accuracy(&p, 0, &l02, 2), 0.9, 0); /* fp32: lossless */
    /* a plan whose UE runs {0, 2}: the cut's accuracy, in its cost too */
    memset(&st, 0, sizeof(st));
    st.edge_available = true;
    st.ul_rate_bps = st.dl_rate_bps = 1e6;
    st.w_latency = 1;
    st.w_accuracy = 1;
    for (size_t k = 0; k < COMPUTE_PLAN_MAX_OPTIONS; k++)
        st.wait_s[COMPUTE_SIDE_UE][k] = st.wait_s[COMPUTE_SIDE_EDGE][k] = 0;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    assert_near(compute_plan_accuracy(&p, &pl), 0.7, 0);
    compute_plan_cost(&p, &st, &pl, &cost);
    assert_near(cost.accuracy, 0.7, 0);
    /* out of range: refused by the check */
    c->accuracy[1] = -0.1;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    compute_problem_fini(&p);
}

static void test_problem_check_refuses_bad_encodings(void **state)
{
    struct compute_problem p;
    struct compute_state st;

    (void)state;
    chain(&p, &st, 0.001, 0.3);
    p.encodings[1].accuracy[2] = 1.5;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    p.encodings[1].accuracy[2] = NAN;
    p.encodings[2].tensor_bytes[3] = 0;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    p.encodings[2].tensor_bytes[3] = 1;
    p.fixed_encoding = 3;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    p.fixed_encoding = 0;
    p.accuracy = NAN;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    p.accuracy = 0.9;
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    assert_core_rc(compute_problem_encodings_init(&p, 1, &err), CORE_E_INPUT);
    compute_problem_fini(&p);
}

/* ---- the decision ----------------------------------------------------------- */

static void test_joint_chooses_int8_on_a_scarce_uplink_and_fp32_on_a_plentiful_one(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s, *split;

    (void)state;
    /* int8 saves 0.6 s for 0.001 of accuracy; int4 0.1 s more for 0.299 more */
    chain(&p, &st, 0.001, 0.3);
    s = policy_solver_create(POLICY_JOINT, &p, &err);
    split = policy_solver_create(POLICY_SPLIT, &p, &err);
    assert_non_null(s);
    assert_non_null(split);
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 0);
    assert_int_equal(pl.encoding, 1);
    assert_near(objective(&p, &st, &pl), brute_force(&p, &st, false), 1e-12);
    /* split sends the fixed encoding, fp32 */
    assert_core_rc(policy_decide(split, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.encoding, 0);
    /* plentiful bandwidth: 0.6 ms saved is not worth 0.001 of accuracy */
    st.ul_rate_bps = 1e9;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 0);
    assert_int_equal(pl.encoding, 0);
    /* accuracy worth more than 0.6 s per 0.001: fp32 on the scarce link too */
    st.ul_rate_bps = 1e5;
    st.w_accuracy = 1000;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.encoding, 0);
    /* accuracy worth nothing: the fewest bytes, int4 */
    st.w_accuracy = 0;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.encoding, 2);
    /* the local plan sends nothing and names no encoding */
    st.edge_available = false;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 4);
    assert_int_equal(pl.encoding, 0);
    policy_solver_destroy(split);
    policy_solver_destroy(s);
    compute_problem_fini(&p);
}

static void test_fixed_encoding_is_what_the_other_policies_send(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    enum policy_kind k;

    (void)state;
    chain(&p, &st, 0.001, 0.3);
    p.fixed_encoding = 2;
    for (k = 0; k < POLICY_KIND_COUNT; k++) {
        struct policy_solver *s;
        struct core_rng *r;

        if (policy_needs_agent(k) || policy_on_device(k))
            continue;
        r = core_rng_create(1, 1, CORE_RNG_POLICY);
        s = policy_solver_create(k, &p, &err);
        assert_non_null(s);
        assert_core_rc(policy_decide(s, &st, r, &pl, &err), CORE_OK);
        if (pl.n_ue < pl.n_layers && !policy_encodes(k))
            assert_int_equal(pl.encoding, 2);
        policy_solver_destroy(s);
        core_rng_destroy(r);
    }
    assert_true(policy_encodes(POLICY_JOINT));
    assert_true(policy_encodes(POLICY_ORACLE));
    assert_false(policy_encodes(POLICY_SPLIT));
    compute_problem_fini(&p);
}

static void test_encoding_of_unknown_accuracy_is_never_chosen(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;

    (void)state;
    chain(&p, &st, 0.001, 0.3);
    for (size_t g = 0; g < 4; g++)
        p.encodings[1].accuracy[g] = p.encodings[2].accuracy[g] = NAN;
    s = policy_solver_create(POLICY_JOINT, &p, &err);
    assert_non_null(s);
    st.w_accuracy = 0;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.encoding, 0);
    policy_solver_destroy(s);
    compute_problem_fini(&p);
}

static void test_joint_and_oracle_equal_brute_force_over_encodings(void **state)
{
    struct core_rng *r = core_rng_create(12, 0, CORE_RNG_BENCH);
    size_t checked = 0, encoded = 0, offloaded = 0;

    (void)state;
    for (int trial = 0; trial < 400; trial++) {
        struct compute_problem p;
        struct compute_state st;
        size_t n = 1 + core_rng_below(r, 5);
        bool dag = trial % 2 == 1;
        enum policy_kind kinds[] = {POLICY_JOINT, POLICY_ORACLE};

        assert_core_rc(agentutil_problem_drawn(&p, r, n, dag, 1 + core_rng_below(r, 2),
                                               1 + core_rng_below(r, 2), 0.1, true, true, &err),
                       CORE_OK);
        random_encodings(&p, r, 2 + core_rng_below(r, 3));
        for (int k = 0; k < 2; k++) {
            struct policy_solver *s = policy_solver_create(kinds[k], &p, &err);

            assert_non_null(s);
            for (int j = 0; j < 3; j++) {
                struct compute_plan pl;
                double want, got;

                agentutil_state(&st, r, &p, 0.9, 0.05);
                st.w_accuracy = core_rng_uniform_in(r, 0, 0.2);
                assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
                assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
                want = brute_force(&p, &st, false);
                got = objective(&p, &st, &pl);
                if (!(fabs(got - want) <= REL * fabs(want) || (isinf(got) && isinf(want)))) {
                    print_error("trial %d: %s's objective %.17g, brute force %.17g (n_ue %u of "
                                "%u, encoding %u, edge %d)\n", trial,
                                policy_kind_name(kinds[k]), got, want, pl.n_ue, pl.n_layers,
                                pl.encoding, st.edge_available);
                    fail();
                }
                checked++;
                offloaded += pl.n_ue < pl.n_layers;
                encoded += pl.encoding != 0;
            }
            policy_solver_destroy(s);
        }
        compute_problem_fini(&p);
    }
    /* the encodings were chosen, not only fp32 */
    if (!(encoded > offloaded / 5)) {
        print_error("%zu of %zu plans (%zu offloading) chose an encoding but fp32\n", encoded,
                    checked, offloaded);
        fail();
    }
    core_rng_destroy(r);
}

static void test_no_policy_beats_joint_and_the_others_minimise_over_the_fixed_encoding(
    void **state)
{
    struct core_rng *r = core_rng_create(13, 0, CORE_RNG_BENCH);
    struct core_rng *pr = core_rng_create(13, 1, CORE_RNG_POLICY);

    (void)state;
    for (int trial = 0; trial < 300; trial++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_solver *joint;
        struct compute_plan jp;
        size_t n = 1 + core_rng_below(r, 5);
        double j;

        assert_core_rc(agentutil_problem_drawn(&p, r, n, trial % 2 == 1, 2, 2, 0.1, true, true,
                                               &err),
                       CORE_OK);
        random_encodings(&p, r, 2 + core_rng_below(r, 3));
        agentutil_state(&st, r, &p, 0.9, 0.05);
        st.w_accuracy = core_rng_uniform_in(r, 0, 20);
        joint = policy_solver_create(POLICY_JOINT, &p, &err);
        assert_non_null(joint);
        assert_core_rc(policy_decide(joint, &st, NULL, &jp, &err), CORE_OK);
        j = objective(&p, &st, &jp);
        for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++) {
            struct policy_solver *s;
            struct compute_plan pl;
            double v;

            if (policy_needs_agent(k) || policy_truth(k) || k == POLICY_JOINT)
                continue;
            s = policy_solver_create(k, &p, &err);
            if (!s)
                continue; /* no plan of its space runs every layer */
            assert_core_rc(policy_decide(s, &st, pr, &pl, &err), CORE_OK);
            if (pl.n_ue < pl.n_layers)
                assert_int_equal(pl.encoding, p.fixed_encoding);
            v = objective(&p, &st, &pl);
            if (!(v >= j - REL * fabs(j) || (isinf(v) && isinf(j)))) {
                print_error("trial %d: %s's %.17g below joint's %.17g\n", trial,
                            policy_kind_name(k), v, j);
                fail();
            }
            policy_solver_destroy(s);
        }
        /* joint, choosing the encoding, is no worse than the best plan sending the fixed one */
        {
            double bf = brute_force(&p, &st, true);

            assert_true(isinf(bf) || j <= bf + REL * fabs(bf));
        }
        policy_solver_destroy(joint);
        compute_problem_fini(&p);
    }
    core_rng_destroy(pr);
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_plan_cost_prices_the_encoded_bytes_and_the_accuracy),
        TEST(test_accuracy_of_an_unmeasured_cut_that_is_no_prefix_is_unknown_but_under_fp32),
        TEST(test_a_measured_cut_that_is_no_prefix_gives_its_accuracy_to_plans_and_solvers),
        TEST(test_problem_check_refuses_bad_encodings),
        TEST(test_joint_chooses_int8_on_a_scarce_uplink_and_fp32_on_a_plentiful_one),
        TEST(test_fixed_encoding_is_what_the_other_policies_send),
        TEST(test_encoding_of_unknown_accuracy_is_never_chosen),
        TEST(test_joint_and_oracle_equal_brute_force_over_encodings),
        TEST(test_no_policy_beats_joint_and_the_others_minimise_over_the_fixed_encoding),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
