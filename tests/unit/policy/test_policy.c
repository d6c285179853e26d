/*
 * test_policy.c — the decision makers (their table: test_ops.c): obvious
 * answers on hand-built problems (a slow UE beside a fast edge and link goes
 * to the edge, a dead link stays local, an unavailable edge gives every
 * policy the local plan, split-default's fixed options and their fallback,
 * dads's minimum cut where no prefix is best, and equal to joint under
 * light load with one option a side,
 * split and resource choosing one option a side); joint against brute force (every cut x every option assignment) on small
 * chains and DAGs; the property that no policy beats joint (or any policy
 * the table calls optimal) on the state it decided for, over
 * thousands of random problems and states, and the ablation lattice
 * (policy.h) on thousands more; random's plans valid and its cuts
 * uniform (chi-square); the zoo's ResNet-18 and MobileNetV2 DAGs solved
 * exactly; no allocation per decision; outcomes heard change no built-in's
 * decision; every error and out-of-memory path. rl, which decides with a
 * trained agent, is left out of the loops over every policy: its tests
 * are test_agent*.c, and test_rl.sh through the binary.
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
#include "nn/nn.h"
#include "policy/policy.h"

static struct core_err err;

#define REL 1e-12

/* obs >= exp up to a relative 1e-12 (both infinite counts as equal). */
#define assert_not_below(obs, exp, what)                                                           \
    do {                                                                                           \
        double o_ = (obs), e_ = (exp);                                                             \
        if (!(o_ >= e_ - REL * fabs(e_) || (isinf(o_) && isinf(e_)))) {                            \
            print_error("%s: %.17g below joint's %.17g\n", (what), o_, e_);                   \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- problems ------------------------------------------------------------ */

/* A random problem (agentutil.h), its resources drawn at random. */
static void random_problem(struct compute_problem *p, struct core_rng *r, size_t n, bool dag,
                           size_t n_ue, size_t n_edge, double p_unsup, bool keep_both)
{
    assert_core_rc(agentutil_problem_drawn(p, r, n, dag, n_ue, n_edge, p_unsup, true, keep_both,
                                           &err),
                   CORE_OK);
}

static void random_state(struct compute_state *st, struct core_rng *r,
                         const struct compute_problem *p)
{
    size_t o;
    int s;

    memset(st, 0, sizeof(*st));
    st->edge_available = core_rng_uniform(r) < 0.9;
    st->ul_rate_bps = exp(core_rng_uniform_in(r, log(1e5), log(1e9)));
    st->dl_rate_bps = exp(core_rng_uniform_in(r, log(1e5), log(1e9)));
    st->ul_power_w = core_rng_uniform_in(r, 0, 3);
    st->dl_power_w = core_rng_uniform_in(r, 0, 2);
    st->signaling_s = core_rng_uniform_in(r, 0, 0.01);
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++)
        for (o = 0; o < p->n_options[s]; o++)
            st->wait_s[s][o] = core_rng_uniform(r) < 0.05 ? INFINITY
                                                          : core_rng_uniform_in(r, 0, 0.02);
    st->w_latency = core_rng_uniform(r) < 0.1 ? 0 : core_rng_uniform_in(r, 0, 2);
    st->w_energy = core_rng_uniform(r) < 0.1 ? 0 : core_rng_uniform_in(r, 0, 2);
}

static double plan_objective(const struct compute_problem *p, const struct compute_state *st,
                             const struct compute_plan *pl)
{
    struct compute_plan_cost c;

    compute_plan_cost(p, st, pl, &c);
    return c.objective;
}

/* ---- brute force --------------------------------------------------------- */

static bool is_ideal(const struct compute_problem *p, unsigned set)
{
    size_t i;
    uint32_t j;

    for (i = 0; i < p->n_layers; i++)
        if ((set >> i) & 1)
            for (j = 0; j < p->layers[i].n_inputs; j++)
                if (p->layers[i].inputs[j] >= 0 && !((set >> p->layers[i].inputs[j]) & 1))
                    return false;
    return true;
}

static size_t count_ideals(const struct compute_problem *p)
{
    unsigned set;
    size_t n = 0;

    for (set = 0; set < (1u << p->n_layers); set++)
        n += is_ideal(p, set);
    return n;
}

/* Option o of side sd for layer i where it runs it, else the side's fastest
 * that does (-1: none): the option a part put on o gives layer i. */
static int option_or_fastest(const struct compute_problem *p, enum compute_side sd, size_t o,
                             size_t i)
{
    size_t q;
    int best = -1;

    if (!isinf(compute_problem_latency_s(p, sd, o, i)))
        return (int)o;
    for (q = 0; q < p->n_options[sd]; q++)
        if (!isinf(compute_problem_latency_s(p, sd, q, i)) &&
            (best < 0 || compute_problem_latency_s(p, sd, q, i) <
                             compute_problem_latency_s(p, sd, (size_t)best, i)))
            best = (int)q;
    return best;
}

/* Whether policy kind runs each side's part on one option (its vector). */
static bool one_option_a_side(enum policy_kind kind)
{
    return kind == POLICY_SPLIT || kind == POLICY_SPLIT_DEFAULT || kind == POLICY_RESOURCE;
}

/* The least objective of policy kind's space by enumeration: joint's
 * (and random's) every cut (closed set, in index order, then the rest in
 * index order) x every supporting option assignment; local's full cut, edge's
 * empty cut (each with every assignment); split's prefixes x every pair of a
 * UE and an edge option (each part on its option, a layer it cannot run on
 * the side's fastest that can), split-default's prefixes with the default
 * pair, resource's empty and full cut with every option. The local space
 * alone when the edge is unavailable. NAN when the space is empty. */
static double brute_force_of(const struct compute_problem *p, const struct compute_state *st,
                             enum policy_kind kind)
{
    size_t n = p->n_layers, i, k;
    double best = INFINITY;
    bool found = false;
    unsigned set;

    if (!st->edge_available)
        kind = POLICY_LOCAL;
    for (set = 0; set < (1u << n); set++) {
        struct compute_plan pl;
        size_t radix[COMPUTE_PLAN_MAX_LAYERS], digit[COMPUTE_PLAN_MAX_LAYERS] = {0};
        size_t pair = 0, n_pairs = p->n_options[COMPUTE_SIDE_UE] * p->n_options[COMPUTE_SIDE_EDGE];
        bool prefix = (set & (set + 1)) == 0, ends = set == 0 || set == (1u << n) - 1;

        if (!is_ideal(p, set) || (kind == POLICY_LOCAL && set != (1u << n) - 1) ||
            (kind == POLICY_EDGE && set != 0) || (one_option_a_side(kind) && !prefix) ||
            (kind == POLICY_RESOURCE && !ends))
            continue;
        if (kind == POLICY_SPLIT_DEFAULT)
            n_pairs = 1;
        memset(&pl, 0, sizeof(pl));
        pl.n_layers = (uint32_t)n;
        for (i = 0; i < n; i++)
            if ((set >> i) & 1)
                pl.order[pl.n_ue++] = (uint16_t)i;
        k = pl.n_ue;
        for (i = 0; i < n; i++)
            if (!((set >> i) & 1))
                pl.order[k++] = (uint16_t)i;
        for (i = 0; i < n; i++)
            radix[i] = p->n_options[((set >> i) & 1) ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE];
        for (;;) {
            if (one_option_a_side(kind)) { /* the pair's vectors; an invalid 0 where none */
                size_t ou = pair % p->n_options[COMPUTE_SIDE_UE];
                size_t oe = pair / p->n_options[COMPUTE_SIDE_UE];

                if (kind == POLICY_SPLIT_DEFAULT) {
                    ou = p->default_option[COMPUTE_SIDE_UE];
                    oe = p->default_option[COMPUTE_SIDE_EDGE];
                }
                for (i = 0; i < n; i++) {
                    bool ue = (set >> i) & 1;
                    int f = option_or_fastest(p, ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE,
                                              ue ? ou : oe, i);

                    digit[i] = f < 0 ? 0 : (size_t)f;
                }
            }
            for (i = 0; i < n; i++)
                pl.option[i] = (uint8_t)digit[i];
            if (compute_plan_check(p, &pl, st->edge_available, NULL) == CORE_OK) {
                double v = plan_objective(p, st, &pl);

                if (!found || v < best)
                    best = v;
                found = true;
            }
            if (one_option_a_side(kind)) {
                if (++pair == n_pairs)
                    break;
                continue;
            }
            for (i = 0; i < n && ++digit[i] == radix[i]; i++)
                digit[i] = 0;
            if (i == n)
                break;
        }
    }
    return found ? best : NAN;
}

static double brute_force(const struct compute_problem *p, const struct compute_state *st)
{
    return brute_force_of(p, st, POLICY_JOINT);
}

/* ---- obvious answers ----------------------------------------------------- */

/* A 4-layer chain: one slow UE option (50 ms a layer), one fast edge option
 * (1 ms), 10 kB tensors. */
static void slow_ue_fast_edge(struct compute_problem *p, struct compute_state *st)
{
    size_t i;

    assert_core_rc(compute_problem_init(p, 4, 1, 1, &err), CORE_OK);
    p->input_bytes = 1e4;
    for (i = 0; i < 4; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].inputs[0] = (int32_t)i - 1;
        p->layers[i].out_bytes = 1e4;
        agentutil_set_cost(p, COMPUTE_SIDE_UE, 0, i, 0.05, 0.1);
        agentutil_set_cost(p, COMPUTE_SIDE_EDGE, 0, i, 0.001, 0.01);
    }
    p->copy_bytes_per_s[0] = p->copy_bytes_per_s[1] = 1e9;
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
    memset(st, 0, sizeof(*st));
    st->edge_available = true;
    st->ul_rate_bps = st->dl_rate_bps = 1e9;
    st->ul_power_w = st->dl_power_w = 1;
    st->w_latency = 1;
    st->w_energy = 0.1;
}

static void test_joint_sends_everything_to_a_fast_edge(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;

    (void)state;
    slow_ue_fast_edge(&p, &st);
    s = policy_solver_create(POLICY_JOINT, &p, &err);
    assert_non_null(s);
    assert_true(policy_solver_exact(s));
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 0);
    /* a dead link: everything stays on the UE */
    st.ul_rate_bps = 1;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 4);
    /* a wait of 1 s at the edge: local again */
    st.ul_rate_bps = 1e9;
    st.wait_s[COMPUTE_SIDE_EDGE][0] = 1;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 4);
    policy_solver_destroy(s);
    compute_problem_fini(&p);
}

/* A large input and a small first output at a slow link: split after layer 0. */
static void test_joint_splits_where_the_tensor_is_small(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;
    enum policy_kind k;

    (void)state;
    slow_ue_fast_edge(&p, &st);
    p.input_bytes = 1e6;
    p.layers[0].out_bytes = 10;
    st.ul_rate_bps = 1e6; /* input 8 s, layer 0's output 80 us */
    for (k = POLICY_SPLIT; k <= POLICY_JOINT; k++) {
        s = policy_solver_create(k, &p, &err);
        assert_non_null(s);
        assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
        assert_int_equal(pl.n_ue, 1);
        policy_solver_destroy(s);
    }
    compute_problem_fini(&p);
}

static void test_unavailable_edge_gives_every_policy_the_local_plan(void **state)
{
    struct core_rng *r = core_rng_create(7, 0, CORE_RNG_POLICY);
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan local, pl;
    struct policy_solver *s;
    enum policy_kind k;
    int trial;

    (void)state;
    assert_non_null(r);
    for (trial = 0; trial < 50; trial++) {
        random_problem(&p, r, 2 + core_rng_below(r, 8), trial % 2, 3, 2, 0.2, true);
        random_state(&st, r, &p);
        st.edge_available = false;
        s = policy_solver_create(POLICY_LOCAL, &p, &err);
        assert_non_null(s);
        assert_core_rc(policy_decide(s, &st, r, &local, &err), CORE_OK);
        assert_int_equal(local.n_ue, p.n_layers);
        assert_core_rc(compute_plan_check(&p, &local, false, &err), CORE_OK);
        policy_solver_destroy(s);
        for (k = 0; k < POLICY_KIND_COUNT; k++) {
            if (policy_needs_agent(k))
                continue; /* rl: test_agent*.c, with a trained agent */
            s = policy_solver_create(k, &p, &err);
            assert_non_null(s);
            assert_core_rc(policy_decide(s, &st, r, &pl, &err), CORE_OK);
            assert_memory_equal(&pl, &local, sizeof(pl));
            policy_solver_destroy(s);
        }
        compute_problem_fini(&p);
    }
    core_rng_destroy(r);
}

/* A diamond, 0 -> {1, 2} -> 3, whose best cut {0, 2} is no prefix of the
 * layer order: layer 1 is slow on the UE, layer 2 slow on the edge, the
 * input large and the inner tensors small. dads (a minimum cut of the DAG)
 * finds it; split-default (the prefixes, the same options) cannot. */
static void test_dads_finds_a_cut_that_is_no_prefix(void **state)
{
    /* per layer: UE latency, edge latency, s */
    static const double t_s[4][2] = {{1e-3, 1e-3}, {0.1, 1e-3}, {1e-3, 0.5}, {0.1, 1e-3}};
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl, chain;
    struct policy_solver *s;
    size_t i;

    (void)state;
    assert_core_rc(compute_problem_init(&p, 4, 1, 1, &err), CORE_OK);
    p.input_bytes = 1e6;
    p.msg_header_bytes = 100;
    for (i = 0; i < 4; i++) {
        p.layers[i].out_bytes = 1e3;
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, i, t_s[i][0], 0);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 0, i, t_s[i][1], 0);
        snprintf(p.options[0][0].label, sizeof(p.options[0][0].label), "cpu");
        snprintf(p.options[1][0].label, sizeof(p.options[1][0].label), "gpu");
    }
    p.layers[0] = (struct compute_problem_layer){.n_inputs = 1, .inputs = {-1}, .out_bytes = 1e3};
    p.layers[1] = (struct compute_problem_layer){.n_inputs = 1, .inputs = {0}, .out_bytes = 1e3};
    p.layers[2] = (struct compute_problem_layer){.n_inputs = 1, .inputs = {0}, .out_bytes = 1e3};
    p.layers[3] = (struct compute_problem_layer){.n_inputs = 2, .inputs = {1, 2}, .out_bytes = 40};
    for (i = 0; i < COMPUTE_SIDE_COUNT; i++) {
        p.copy_latency_s[i] = 0;
        p.copy_bytes_per_s[i] = 1e9;
    }
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    memset(&st, 0, sizeof(st));
    st.edge_available = true;
    st.ul_rate_bps = st.dl_rate_bps = 1e7;
    st.w_latency = 1;

    s = policy_solver_create(POLICY_DADS, &p, &err);
    assert_non_null(s);
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    policy_solver_destroy(s);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 2);
    assert_int_equal(pl.order[0], 0);
    assert_int_equal(pl.order[1], 2);
    assert_int_equal(pl.order[2], 1);
    assert_int_equal(pl.order[3], 3);
    s = policy_solver_create(POLICY_SPLIT_DEFAULT, &p, &err);
    assert_non_null(s);
    assert_core_rc(policy_decide(s, &st, NULL, &chain, &err), CORE_OK);
    policy_solver_destroy(s);
    /* UE 2 ms, 2 kB + header up (1.68 ms), edge 2 ms, 40 B + header down;
     * the best prefix pays a 100 ms or 500 ms layer */
    assert_true(plan_objective(&p, &st, &pl) < 6e-3);
    assert_true(plan_objective(&p, &st, &chain) > 0.1);
    compute_problem_fini(&p);
}

/* With one option a side and no waits (light load) the minimum cut is the
 * best plan of every cut: dads equals joint, exact on these small DAGs, and
 * never loses to split-default (the same options, prefixes only). */
static void test_dads_is_joint_under_light_load_with_one_option_a_side(void **state)
{
    struct core_rng *r = core_rng_create(17, 0, CORE_RNG_POLICY);
    int trial;

    (void)state;
    assert_non_null(r);
    for (trial = 0; trial < 400; trial++) {
        struct compute_problem p;
        struct compute_state st;
        struct compute_plan pd, pj, ps;
        struct policy_solver *sd, *sj, *ss;
        double vd, vj, vs;

        random_problem(&p, r, 1 + core_rng_below(r, 12), trial % 4 != 0, 1, 1, 0.2, true);
        random_state(&st, r, &p);
        st.edge_available = true;
        st.wait_s[COMPUTE_SIDE_UE][0] = st.wait_s[COMPUTE_SIDE_EDGE][0] = 0;
        sd = policy_solver_create(POLICY_DADS, &p, &err);
        sj = policy_solver_create(POLICY_JOINT, &p, &err);
        ss = policy_solver_create(POLICY_SPLIT_DEFAULT, &p, &err);
        assert_non_null(sd);
        assert_non_null(sj);
        assert_non_null(ss);
        assert_true(policy_solver_exact(sj));
        assert_core_rc(policy_decide(sd, &st, r, &pd, &err), CORE_OK);
        assert_core_rc(policy_decide(sj, &st, r, &pj, &err), CORE_OK);
        assert_core_rc(policy_decide(ss, &st, r, &ps, &err), CORE_OK);
        assert_core_rc(compute_plan_check(&p, &pd, true, &err), CORE_OK);
        vd = plan_objective(&p, &st, &pd);
        vj = plan_objective(&p, &st, &pj);
        vs = plan_objective(&p, &st, &ps);
        if (!(fabs(vd - vj) <= 1e-9 * fabs(vj) || (isinf(vd) && isinf(vj)))) {
            print_error("trial %d: dads %.17g, joint %.17g\n", trial, vd, vj);
            fail();
        }
        assert_not_below(vs, vd, "split-default against dads");
        policy_solver_destroy(ss);
        policy_solver_destroy(sj);
        policy_solver_destroy(sd);
        compute_problem_fini(&p);
    }
    core_rng_destroy(r);
}

/* Split-default keeps each side's default option, and falls back to the
 * side's fastest supporting option where the default cannot run a layer. */
static void test_split_default_uses_default_options_with_fallback(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;
    size_t i;

    (void)state;
    assert_core_rc(compute_problem_init(&p, 3, 3, 2, &err), CORE_OK);
    p.input_bytes = 1e3;
    for (i = 0; i < 3; i++) {
        p.layers[i].n_inputs = 1;
        p.layers[i].inputs[0] = (int32_t)i - 1;
        p.layers[i].out_bytes = 1e3;
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, i, 0.010, 0.01); /* default, slow */
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 1, i, 0.002, 0.01); /* fast */
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 2, i, 0.005, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 0, i, 0.001, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 1, i, 0.0001, 0.01);
    }
    agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, 1, INFINITY, 0); /* the default cannot run layer 1 */
    for (i = 0; i < 3; i++)
        p.options[COMPUTE_SIDE_UE][i].resource = (uint32_t)i;
    p.copy_bytes_per_s[0] = p.copy_bytes_per_s[1] = 1e9;
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    memset(&st, 0, sizeof(st));
    st.edge_available = true;
    st.ul_rate_bps = st.dl_rate_bps = 1; /* a dead link: split stays local */
    st.w_latency = 1;
    s = policy_solver_create(POLICY_SPLIT_DEFAULT, &p, &err);
    assert_non_null(s);
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 3);
    assert_int_equal(pl.option[0], 0);
    assert_int_equal(pl.option[1], 1); /* fastest supporting UE option */
    assert_int_equal(pl.option[2], 0);
    st.ul_rate_bps = st.dl_rate_bps = 1e12; /* a perfect link: all on the edge default */
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_int_equal(pl.n_ue, 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(pl.option[i], 0);
    policy_solver_destroy(s);
    /* local picks the fast option everywhere */
    s = policy_solver_create(POLICY_LOCAL, &p, &err);
    assert_non_null(s);
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    for (i = 0; i < 3; i++)
        assert_int_equal(pl.option[i], 1);
    policy_solver_destroy(s);
    compute_problem_fini(&p);
}

/* Split puts each side's part on the one option of that side that does it
 * best, chosen per decision (a layer that option cannot run on the side's
 * fastest option that can); resource the whole model on one option. UE:
 * option 0 (the default) 10 ms a layer, option 1 2 ms but unable to run
 * layer 1, option 2 5 ms; edge: option 0 (the default) 1 ms, option 1
 * 0.1 ms; 1 kB tensors. */
static void test_split_and_resource_choose_one_option_a_side(void **state)
{
    static const uint8_t npu_with_fallback[3] = {1, 2, 1};
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    enum policy_kind k;
    size_t i;

    (void)state;
    assert_core_rc(compute_problem_init(&p, 3, 3, 2, &err), CORE_OK);
    p.input_bytes = 1e3;
    for (i = 0; i < 3; i++) {
        p.layers[i].n_inputs = 1;
        p.layers[i].inputs[0] = (int32_t)i - 1;
        p.layers[i].out_bytes = 1e3;
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, i, 0.010, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 1, i, 0.002, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 2, i, 0.005, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 0, i, 0.001, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 1, i, 0.0001, 0.01);
        p.options[COMPUTE_SIDE_UE][i].resource = (uint32_t)i;
    }
    agentutil_set_cost(&p, COMPUTE_SIDE_UE, 1, 1, INFINITY, 0);
    p.options[COMPUTE_SIDE_EDGE][1].resource = 1;
    p.copy_bytes_per_s[0] = p.copy_bytes_per_s[1] = 1e9;
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    memset(&st, 0, sizeof(st));
    st.edge_available = true;
    st.w_latency = 1;
    for (k = POLICY_RESOURCE; k <= POLICY_SPLIT; k++) {
        struct policy_solver *s = policy_solver_create(k, &p, &err);

        assert_non_null(s);
        /* a dead link: everything on the UE, on option 1 but for layer 1 */
        st.ul_rate_bps = st.dl_rate_bps = 1;
        assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
        assert_int_equal(pl.n_ue, 3);
        assert_memory_equal(pl.option, npu_with_fallback, 3);
        /* a perfect link: everything on edge option 1, not the default */
        st.ul_rate_bps = st.dl_rate_bps = 1e12;
        assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
        assert_int_equal(pl.n_ue, 0);
        for (i = 0; i < 3; i++)
            assert_int_equal(pl.option[i], 1);
        /* edge option 1 waits 10 ms: edge option 0 (3 ms) beats it and the
         * UE's 9 ms */
        st.wait_s[COMPUTE_SIDE_EDGE][1] = 0.010;
        assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
        assert_int_equal(pl.n_ue, 0);
        for (i = 0; i < 3; i++)
            assert_int_equal(pl.option[i], 0);
        /* both edge options wait 10 ms: the UE's 9 ms wins */
        st.wait_s[COMPUTE_SIDE_EDGE][0] = 0.010;
        assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
        assert_int_equal(pl.n_ue, 3);
        assert_memory_equal(pl.option, npu_with_fallback, 3);
        memset(st.wait_s, 0, sizeof(st.wait_s));
        policy_solver_destroy(s);
    }
    /* the input is 10x layer 0's output on a slow uplink: split runs layer 0
     * on the UE and the rest on the edge, which resource cannot */
    p.input_bytes = 1e5;
    p.layers[0].out_bytes = 1e2;
    st.ul_rate_bps = 1e7; /* input 80 ms, layer 0's output 80 us */
    st.dl_rate_bps = 1e12;
    for (k = POLICY_RESOURCE; k <= POLICY_SPLIT; k++) {
        struct policy_solver *s = policy_solver_create(k, &p, &err);

        assert_non_null(s);
        assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
        assert_int_equal(pl.n_ue, k == POLICY_SPLIT ? 1 : 3);
        assert_int_equal(pl.option[0], 1);
        if (k == POLICY_SPLIT)
            assert_true(pl.option[1] == 1 && pl.option[2] == 1);
        policy_solver_destroy(s);
    }
    compute_problem_fini(&p);
}

/* ---- joint against brute force and the others ----------------------- */

static void test_joint_equals_brute_force_on_small_problems(void **state)
{
    struct core_rng *r = core_rng_create(11, 0, CORE_RNG_POLICY);
    int trial, k;

    (void)state;
    assert_non_null(r);
    for (trial = 0; trial < 400; trial++) {
        struct compute_problem p;
        struct policy_solver *s;
        bool dag = trial % 2;

        random_problem(&p, r, 1 + core_rng_below(r, 6), dag, 1 + core_rng_below(r, 2),
                       1 + core_rng_below(r, 2), 0.25, false);
        s = policy_solver_create(POLICY_JOINT, &p, &err);
        if (!s) {
            /* some random problems have no valid cut (a UE-only layer after
             * an edge-only one): brute force agrees */
            struct compute_state st;

            assert_int_equal(err.rc, CORE_E_INPUT);
            random_state(&st, r, &p);
            st.edge_available = true;
            assert_true(isnan(brute_force(&p, &st)));
            compute_problem_fini(&p);
            continue;
        }
        assert_true(policy_solver_exact(s));
        assert_int_equal(policy_solver_cuts(s), count_ideals(&p));
        for (k = 0; k < 5; k++) {
            struct compute_state st;
            struct compute_plan pl;
            double bf, got;
            enum core_rc rc;

            random_state(&st, r, &p);
            bf = brute_force(&p, &st);
            rc = policy_decide(s, &st, NULL, &pl, &err);
            if (isnan(bf)) { /* local impossible and the edge unavailable */
                assert_core_rc(rc, CORE_E_RUNTIME);
                continue;
            }
            assert_core_rc(rc, CORE_OK);
            assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
            got = plan_objective(&p, &st, &pl);
            if (isinf(bf))
                assert_true(isinf(got));
            else
                assert_near(got, bf, REL * fabs(bf));
        }
        policy_solver_destroy(s);
        compute_problem_fini(&p);
    }
    core_rng_destroy(r);
}

/* local, edge, resource, split and split-default are each optimal over
 * their own space. */
static void test_each_policy_is_optimal_over_its_own_space(void **state)
{
    static const enum policy_kind kinds[] = {POLICY_LOCAL, POLICY_EDGE, POLICY_RESOURCE,
                                             POLICY_SPLIT, POLICY_SPLIT_DEFAULT};
    struct core_rng *r = core_rng_create(23, 0, CORE_RNG_POLICY);
    int trial, k, compared = 0;
    size_t j;

    (void)state;
    assert_non_null(r);
    for (trial = 0; trial < 300; trial++) {
        struct compute_problem p;

        random_problem(&p, r, 1 + core_rng_below(r, 6), trial % 2, 1 + core_rng_below(r, 2),
                       1 + core_rng_below(r, 2), 0.25, false);
        for (j = 0; j < ARRAY_LEN(kinds); j++) {
            struct policy_solver *s = policy_solver_create(kinds[j], &p, &err);

            if (!s)
                continue;
            for (k = 0; k < 4; k++) {
                struct compute_state st;
                struct compute_plan pl;
                double bf, got;

                random_state(&st, r, &p);
                bf = brute_force_of(&p, &st, kinds[j]);
                if (policy_decide(s, &st, NULL, &pl, &err) != CORE_OK) {
                    assert_true(isnan(bf));
                    continue;
                }
                assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
                if (kinds[j] == POLICY_LOCAL || !st.edge_available)
                    assert_int_equal(pl.n_ue, p.n_layers);
                if (kinds[j] == POLICY_EDGE && st.edge_available)
                    assert_int_equal(pl.n_ue, 0);
                got = plan_objective(&p, &st, &pl);
                if (isinf(bf))
                    assert_true(isinf(got));
                else
                    assert_near(got, bf, REL * fabs(bf));
                compared++;
            }
            policy_solver_destroy(s);
        }
        compute_problem_fini(&p);
    }
    assert_true(compared > 2000);
    core_rng_destroy(r);
}

/* Neither joint nor any policy beats one the table says is optimal
 * (policy_optimal), on the small problems where its family is every cut. */
static void test_no_policy_beats_joint(void **state)
{
    struct core_rng *r = core_rng_create(13, 0, CORE_RNG_POLICY);
    int trial, k, cases = 0, n_optimal = 0;
    enum policy_kind opt;

    (void)state;
    assert_non_null(r);
    assert_true(policy_optimal(POLICY_JOINT));
    for (trial = 0; trial < 300; trial++) {
        struct compute_problem p;
        struct policy_solver *s[POLICY_KIND_COUNT];
        enum policy_kind kind;

        random_problem(&p, r, 1 + core_rng_below(r, 24), trial % 3 != 0,
                       1 + core_rng_below(r, 4), 1 + core_rng_below(r, 3), 0.2, true);
        for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
            if (policy_needs_agent(kind))
                continue; /* rl: test_agent*.c, with a trained agent */
            s[kind] = policy_solver_create(kind, &p, &err);
            assert_non_null(s[kind]);
        }
        for (k = 0; k < 20; k++) {
            struct compute_state st;
            struct compute_plan best, pl;
            double best_v;

            random_state(&st, r, &p);
            for (opt = 0; opt < POLICY_KIND_COUNT; opt++) {
                if (policy_needs_agent(opt))
                    continue; /* rl: test_agent*.c, with a trained agent */
                if (!policy_optimal(opt))
                    continue;
                assert_true(policy_solver_exact(s[opt]));
                assert_core_rc(policy_decide(s[opt], &st, r, &best, &err), CORE_OK);
                best_v = plan_objective(&p, &st, &best);
                for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
                    if (policy_needs_agent(kind))
                        continue; /* rl: test_agent*.c, with a trained agent */
                    assert_core_rc(policy_decide(s[kind], &st, r, &pl, &err), CORE_OK);
                    assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err),
                                   CORE_OK);
                    assert_not_below(plan_objective(&p, &st, &pl), best_v,
                                     policy_kind_name(kind));
                    cases++;
                }
            }
        }
        for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
            if (policy_needs_agent(kind))
                continue;
            policy_solver_destroy(s[kind]);
        }
        compute_problem_fini(&p);
    }
    for (opt = 0; opt < POLICY_KIND_COUNT; opt++)
        n_optimal += policy_optimal(opt);
    assert_int_equal(cases, 300 * 20 * n_optimal * (POLICY_KIND_COUNT - 1)); /* all but rl */
    core_rng_destroy(r);
}

/* The ablation lattice (policy.h), each policy under its own predictions
 * (the same problem and state for all, priced by compute_plan_cost): joint
 * <= every policy, split <= split-default, split <= resource, min(local,
 * edge) <= resource, on random chains and DAGs of up to 40 layers with up
 * to 6 UE and 4 edge options and unsupported entries. The orders the
 * lattice does not claim are seen both ways (they are not hidden ones), and
 * each claimed one strictly in some states (the policies differ). */
static void test_the_ablation_lattice_holds_on_random_states(void **state)
{
    struct core_rng *r = core_rng_create(29, 0, CORE_RNG_POLICY);
    int trial, k, states = 0;
    int joint_below_split = 0, split_below_default = 0, split_below_resource = 0;
    int resource_below_default = 0, default_below_resource = 0;
    int local_below_split = 0, split_below_local = 0, edge_below_split = 0;
    int resource_above_best_side = 0;

    (void)state;
    assert_non_null(r);
    for (trial = 0; trial < 400; trial++) {
        struct compute_problem p;
        struct policy_solver *s[POLICY_KIND_COUNT];
        enum policy_kind kind;

        random_problem(&p, r, 1 + core_rng_below(r, 40), trial % 2, 1 + core_rng_below(r, 6),
                       1 + core_rng_below(r, 4), 0.15, true);
        for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
            if (policy_needs_agent(kind))
                continue; /* rl: test_agent*.c, with a trained agent */
            s[kind] = policy_solver_create(kind, &p, &err);
            assert_non_null(s[kind]);
        }
        for (k = 0; k < 10; k++) {
            struct compute_state st;
            double v[POLICY_KIND_COUNT];

            random_state(&st, r, &p);
            st.edge_available = true;
            for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
                if (policy_needs_agent(kind))
                    continue; /* rl: test_agent*.c, with a trained agent */
                struct compute_plan pl;

                assert_core_rc(policy_decide(s[kind], &st, r, &pl, &err), CORE_OK);
                assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
                v[kind] = plan_objective(&p, &st, &pl);
            }
            for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
                if (policy_needs_agent(kind))
                    continue;
                assert_not_below(v[kind], v[POLICY_JOINT], policy_kind_name(kind));
            }
            assert_not_below(v[POLICY_SPLIT_DEFAULT], v[POLICY_SPLIT], "split-default vs split");
            assert_not_below(v[POLICY_RESOURCE], v[POLICY_SPLIT], "resource vs split");
            assert_not_below(v[POLICY_RESOURCE], fmin(v[POLICY_LOCAL], v[POLICY_EDGE]),
                             "resource vs min(local, edge)");
            states++;
            joint_below_split += v[POLICY_JOINT] < v[POLICY_SPLIT] * (1 - 1e-9);
            split_below_default += v[POLICY_SPLIT] < v[POLICY_SPLIT_DEFAULT] * (1 - 1e-9);
            split_below_resource += v[POLICY_SPLIT] < v[POLICY_RESOURCE] * (1 - 1e-9);
            resource_below_default += v[POLICY_RESOURCE] < v[POLICY_SPLIT_DEFAULT] * (1 - 1e-9);
            default_below_resource += v[POLICY_SPLIT_DEFAULT] < v[POLICY_RESOURCE] * (1 - 1e-9);
            local_below_split += v[POLICY_LOCAL] < v[POLICY_SPLIT] * (1 - 1e-9);
            split_below_local += v[POLICY_SPLIT] < v[POLICY_LOCAL] * (1 - 1e-9);
            edge_below_split += v[POLICY_EDGE] < v[POLICY_SPLIT] * (1 - 1e-9);
            resource_above_best_side +=
                fmin(v[POLICY_LOCAL], v[POLICY_EDGE]) < v[POLICY_RESOURCE] * (1 - 1e-9);
        }
        for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
            if (policy_needs_agent(kind))
                continue;
            policy_solver_destroy(s[kind]);
        }
        compute_problem_fini(&p);
    }
    print_message("%d states: joint < split %d, split < split-default %d, split < resource %d, "
                  "resource < split-default %d, split-default < resource %d, local < split %d, "
                  "split < local %d, edge < split %d, min(local, edge) < resource %d\n",
                  states, joint_below_split, split_below_default, split_below_resource,
                  resource_below_default, default_below_resource, local_below_split,
                  split_below_local, edge_below_split, resource_above_best_side);
    assert_int_equal(states, 4000);
    assert_true(joint_below_split > 0 && split_below_default > 0 && split_below_resource > 0);
    assert_true(resource_below_default > 0 && default_below_resource > 0);
    assert_true(local_below_split > 0 && split_below_local > 0 && edge_below_split > 0);
    assert_true(resource_above_best_side > 0);
    core_rng_destroy(r);
}

/* ---- random -------------------------------------------------------------- */

/* 0 -> 1 -> 2, 0 -> 3, 4 = add(2, 3), 5: nine cuts. */
static void residual(struct compute_problem *p)
{
    size_t i;
    int s;

    assert_core_rc(compute_problem_init(p, 6, 2, 2, &err), CORE_OK);
    p->input_bytes = 500;
    for (i = 0; i < 6; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].out_bytes = 100;
        for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
            agentutil_set_cost(p, s, 0, i, 0.001, 0.01);
            agentutil_set_cost(p, s, 1, i, 0.002, 0.01);
        }
    }
    p->layers[0].inputs[0] = -1;
    p->layers[1].inputs[0] = 0;
    p->layers[2].inputs[0] = 1;
    p->layers[3].inputs[0] = 0;
    p->layers[4].n_inputs = 2;
    p->layers[4].inputs[0] = 2;
    p->layers[4].inputs[1] = 3;
    p->layers[5].inputs[0] = 4;
    agentutil_set_cost(p, COMPUTE_SIDE_UE, 1, 3, INFINITY, 0); /* UE option 1 cannot run layer 3 */
    p->copy_bytes_per_s[0] = p->copy_bytes_per_s[1] = 1e9;
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
}

static void test_random_cuts_are_uniform_and_plans_valid(void **state)
{
    struct core_rng *r = core_rng_create(17, 0, CORE_RNG_POLICY);
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;
    unsigned count[64] = {0}, opt1_l0 = 0, draws = 9000, i, k;
    double chi2 = 0, expect;
    size_t n_cuts;

    (void)state;
    assert_non_null(r);
    residual(&p);
    memset(&st, 0, sizeof(st));
    st.edge_available = true;
    st.ul_rate_bps = st.dl_rate_bps = 1e6;
    st.w_latency = 1;
    s = policy_solver_create(POLICY_RANDOM, &p, &err);
    assert_non_null(s);
    n_cuts = policy_solver_cuts(s);
    assert_int_equal(n_cuts, 9);
    assert_int_equal(count_ideals(&p), 9);
    for (i = 0; i < draws; i++) {
        unsigned set = 0;

        assert_core_rc(policy_decide(s, &st, r, &pl, &err), CORE_OK);
        assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
        for (k = 0; k < pl.n_ue; k++)
            set |= 1u << pl.order[k];
        assert_true(is_ideal(&p, set));
        count[set]++;
        opt1_l0 += pl.option[0] == 1;
    }
    expect = (double)draws / (double)n_cuts;
    for (i = 0; i < 64; i++) {
        if (!is_ideal(&p, i))
            assert_int_equal(count[i], 0);
        else
            chi2 += (count[i] - expect) * (count[i] - expect) / expect;
    }
    /* 8 degrees of freedom: P(chi2 > 26.12) = 0.001 */
    if (chi2 > 26.12) {
        print_error("chi-square %g over 9 cuts exceeds 26.12\n", chi2);
        fail();
    }
    /* layer 0 has two options on either side: about half the draws each */
    assert_in_range(opt1_l0, draws / 2 - 300, draws / 2 + 300);
    policy_solver_destroy(s);
    compute_problem_fini(&p);
    core_rng_destroy(r);
}

/* ---- the zoo's DAGs ------------------------------------------------------ */

/* Problem from zoo model z's graph: 2 UE options (one without fc support) and
 * 2 edge options, latencies from the layers' FLOPs. */
static void zoo_problem(enum nn_zoo_model z, struct compute_problem *p)
{
    struct nn_model *m = NULL;
    size_t n, i, j, o;
    int s;

    assert_core_rc(nn_zoo_build(z, 1, &m, &err), CORE_OK);
    n = nn_model_n_layers(m);
    assert_core_rc(compute_problem_init(p, n, 2, 2, &err), CORE_OK);
    p->input_bytes = (double)nn_model_tensor_bytes(m, NN_INPUT);
    p->msg_header_bytes = 40;
    for (i = 0; i < n; i++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);
        struct nn_cost c;

        nn_model_layer_cost(m, (int)i, &c);
        p->layers[i].n_inputs = (uint32_t)n_in;
        for (j = 0; j < n_in; j++)
            p->layers[i].inputs[j] = in[j];
        p->layers[i].out_bytes = (double)c.output_bytes;
        for (s = 0; s < COMPUTE_SIDE_COUNT; s++)
            for (o = 0; o < 2; o++) {
                double rate = (s ? 1e12 : 5e10) * (o ? 2 : 1);

                agentutil_set_cost(p, s, o, i, 1e-5 + (double)c.flops / rate,
                                   1e-11 * (double)c.flops);
            }
        if (nn_model_layer_op(m, (int)i) == NN_OP_FC)
            agentutil_set_cost(p, COMPUTE_SIDE_UE, 1, i, INFINITY, 0);
    }
    p->options[COMPUTE_SIDE_UE][1].resource = 1;
    p->options[COMPUTE_SIDE_EDGE][1].resource = 1;
    p->copy_bytes_per_s[0] = 1e10;
    p->copy_bytes_per_s[1] = 5e10;
    p->copy_latency_s[0] = p->copy_latency_s[1] = 1e-4;
    nn_model_destroy(m);
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
}

static void test_zoo_dags_are_solved_exactly_without_allocation(void **state)
{
    static const enum nn_zoo_model zoo[] = {NN_ZOO_RESNET18, NN_ZOO_MOBILENETV2};
    struct core_rng *r = core_rng_create(19, 0, CORE_RNG_POLICY);
    size_t z;

    (void)state;
    assert_non_null(r);
    for (z = 0; z < ARRAY_LEN(zoo); z++) {
        struct compute_problem p;
        struct policy_solver *s[POLICY_KIND_COUNT];
        enum policy_kind kind;
        unsigned long allocs;
        int k;

        zoo_problem(zoo[z], &p);
        for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
            if (policy_needs_agent(kind))
                continue; /* rl: test_agent*.c, with a trained agent */
            s[kind] = policy_solver_create(kind, &p, &err);
            assert_non_null(s[kind]);
        }
        assert_true(policy_solver_exact(s[POLICY_JOINT]));
        if (zoo[z] == NN_ZOO_RESNET18) {
            /* downsample branches beside the main path: more cuts than prefixes */
            assert_false(policy_solver_exact(s[POLICY_SPLIT]));
            assert_true(policy_solver_cuts(s[POLICY_JOINT]) > p.n_layers + 1);
        } else {
            /* each layer reads the one before (a residual add reads the block
             * input as well): the cuts are the prefixes */
            assert_true(policy_solver_exact(s[POLICY_SPLIT]));
            assert_int_equal(policy_solver_cuts(s[POLICY_JOINT]), p.n_layers + 1);
        }
        allocs = core_alloc_count();
        for (k = 0; k < 200; k++) {
            struct compute_state st;
            struct compute_plan best, pl;
            double best_v;

            random_state(&st, r, &p);
            assert_core_rc(policy_decide(s[POLICY_JOINT], &st, r, &best, &err), CORE_OK);
            best_v = plan_objective(&p, &st, &best);
            for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
                if (policy_needs_agent(kind))
                    continue; /* rl: test_agent*.c, with a trained agent */
                assert_core_rc(policy_decide(s[kind], &st, r, &pl, &err), CORE_OK);
                assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
                assert_not_below(plan_objective(&p, &st, &pl), best_v, policy_kind_name(kind));
            }
        }
        assert_int_equal(core_alloc_count(), allocs);
        for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
            if (policy_needs_agent(kind))
                continue;
            policy_solver_destroy(s[kind]);
        }
        compute_problem_fini(&p);
    }
    core_rng_destroy(r);
}

/* A DAG with more than POLICY_CUTS_MAX cuts: 20 independent branches off
 * the input (2^20 ways to take some of them). */
static void test_wide_dag_falls_back_to_the_chain_relaxation(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;
    size_t i;

    (void)state;
    /* concat reads at most 8 tensors: a tree of three concats joined by a fourth */
    assert_core_rc(compute_problem_init(&p, 24, 1, 1, &err), CORE_OK);
    p.input_bytes = 100;
    for (i = 0; i < 20; i++) {
        p.layers[i].n_inputs = 1;
        p.layers[i].inputs[0] = -1;
        p.layers[i].out_bytes = 10;
    }
    for (i = 20; i < 23; i++)
        p.layers[i].out_bytes = 10;
    for (i = 0; i < 20; i++) {
        struct compute_problem_layer *l = &p.layers[20 + i / 7];

        l->inputs[l->n_inputs++] = (int32_t)i;
    }
    p.layers[23].n_inputs = 3;
    p.layers[23].inputs[0] = 20;
    p.layers[23].inputs[1] = 21;
    p.layers[23].inputs[2] = 22;
    for (i = 0; i < 24; i++) {
        agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, i, 0.01, 0.01);
        agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 0, i, 0.001, 0);
    }
    p.copy_bytes_per_s[0] = p.copy_bytes_per_s[1] = 1e9;
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    s = policy_solver_create(POLICY_JOINT, &p, &err);
    assert_non_null(s);
    assert_false(policy_solver_exact(s));
    assert_int_equal(policy_solver_cuts(s), 25);
    memset(&st, 0, sizeof(st));
    st.edge_available = true;
    st.ul_rate_bps = st.dl_rate_bps = 1e9;
    st.w_latency = 1;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    for (i = 0; i < pl.n_layers; i++)
        assert_int_equal(pl.order[i], i); /* prefixes of the layer order only */
    assert_int_equal(pl.n_ue, 0);
    policy_solver_destroy(s);
    compute_problem_fini(&p);
}

/* No built-in learns: hearing how its decisions turned out changes none of
 * them (random's from the same stream state). */
static void test_builtins_decide_the_same_after_hearing_outcomes(void **state)
{
    struct compute_problem p;
    struct compute_state st;

    (void)state;
    slow_ue_fast_edge(&p, &st);
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++) {
        if (policy_needs_agent(k))
            continue; /* rl: test_agent*.c, with a trained agent */
        struct policy_solver *s = policy_solver_create(k, &p, &err);
        struct core_rng *r1 = core_rng_create(5, 0, CORE_RNG_POLICY);
        struct core_rng *r2 = core_rng_create(5, 0, CORE_RNG_POLICY);
        struct compute_plan before, after;
        struct policy_feedback fb = {&p, &st, &before, true, 0.5, 1.0, 2.0, 1};

        assert_non_null(s);
        assert_non_null(r1);
        assert_non_null(r2);
        assert_false(policy_observes(k));
        assert_core_rc(policy_decide(s, &st, r1, &before, &err), CORE_OK);
        for (int i = 0; i < 10; i++) {
            fb.latency_s = 0.1 * i;
            fb.correct = i % 3 - 1;
            policy_observe(s, &fb);
        }
        assert_core_rc(policy_decide(s, &st, r2, &after, &err), CORE_OK);
        assert_memory_equal(&before, &after, sizeof(before));
        core_rng_destroy(r1);
        core_rng_destroy(r2);
        policy_solver_destroy(s);
    }
    compute_problem_fini(&p);
}

/* ---- errors -------------------------------------------------------------- */

static void test_errors_are_reported(void **state)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct policy_solver *s;
    size_t i;

    (void)state;
    slow_ue_fast_edge(&p, &st);
    /* a problem that fails its check */
    p.copy_bytes_per_s[0] = 0;
    assert_null(policy_solver_create(POLICY_JOINT, &p, &err));
    assert_int_equal(err.rc, CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "copy bandwidth"));
    p.copy_bytes_per_s[0] = 1e9;
    /* layer 2 only on the edge: local has no plan (made all the same: the
     * world ends its inferences no-plan before asking; asked, it says
     * why), joint runs it but not without the edge */
    agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, 2, INFINITY, 0);
    s = policy_solver_create(POLICY_LOCAL, &p, &err);
    assert_non_null(s);
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_E_RUNTIME);
    assert_non_null(strstr(err.msg, "layer 2 has no UE option"));
    policy_solver_destroy(s);
    s = policy_solver_create(POLICY_JOINT, &p, &err);
    assert_non_null(s);
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
    assert_true(pl.n_ue <= 2);
    st.edge_available = false;
    assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_E_RUNTIME);
    assert_non_null(strstr(err.msg, "layer 2 has no UE option"));
    policy_solver_destroy(s);
    /* layer 1 only on the UE: edge cannot run; nor can any plan with layer 2
     * edge-only after it and layer 1 UE-only... */
    agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, 2, 0.05, 0.1);
    agentutil_set_cost(&p, COMPUTE_SIDE_EDGE, 0, 1, INFINITY, 0);
    assert_null(policy_solver_create(POLICY_EDGE, &p, &err));
    assert_non_null(strstr(err.msg, "layer 1 on the edge"));
    /* ... while layer 0 edge-only before it leaves no valid cut at all:
     * every policy refuses the problem but local, whose inferences the
     * world ends no-plan */
    agentutil_set_cost(&p, COMPUTE_SIDE_UE, 0, 0, INFINITY, 0);
    for (i = 0; i < POLICY_KIND_COUNT; i++) {
        if (policy_needs_agent(i))
            continue; /* rl: test_agent*.c, with a trained agent */
        if (i == POLICY_LOCAL) {
            s = policy_solver_create(POLICY_LOCAL, &p, &err);
            assert_non_null(s);
            policy_solver_destroy(s);
            continue;
        }
        assert_null(policy_solver_create((enum policy_kind)i, &p, &err));
        assert_int_equal(err.rc, CORE_E_INPUT);
    }
    compute_problem_fini(&p);
}

static void test_create_out_of_memory_leaks_nothing(void **state)
{
    struct compute_problem p;
    struct policy_solver *s;
    enum policy_kind kind;
    unsigned long k;

    (void)state;
    residual(&p);
    for (kind = 0; kind < POLICY_KIND_COUNT; kind++) {
        if (policy_needs_agent(kind))
            continue; /* rl: test_agent*.c, with a trained agent */
        for (k = 1;; k++) {
            core_alloc_fail_after(k);
            s = policy_solver_create(kind, &p, &err);
            core_alloc_fail_after(0);
            if (s)
                break;
            assert_int_equal(err.rc, CORE_E_NOMEM);
        }
        assert_true(k > 5);
        policy_solver_destroy(s);
    }
    policy_solver_destroy(NULL);
    compute_problem_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_joint_sends_everything_to_a_fast_edge),
        TEST(test_joint_splits_where_the_tensor_is_small),
        TEST(test_unavailable_edge_gives_every_policy_the_local_plan),
        TEST(test_dads_finds_a_cut_that_is_no_prefix),
        TEST(test_dads_is_joint_under_light_load_with_one_option_a_side),
        TEST(test_split_default_uses_default_options_with_fallback),
        TEST(test_split_and_resource_choose_one_option_a_side),
        TEST(test_joint_equals_brute_force_on_small_problems),
        TEST(test_each_policy_is_optimal_over_its_own_space),
        TEST(test_no_policy_beats_joint),
        TEST(test_the_ablation_lattice_holds_on_random_states),
        TEST(test_random_cuts_are_uniform_and_plans_valid),
        TEST(test_zoo_dags_are_solved_exactly_without_allocation),
        TEST(test_wide_dag_falls_back_to_the_chain_relaxation),
        TEST(test_builtins_decide_the_same_after_hearing_outcomes),
        TEST(test_errors_are_reported),
        TEST(test_create_out_of_memory_leaks_nothing),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
