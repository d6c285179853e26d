/*
 * test_exits.c — early exits as a decision (compute.h, "Early exits";
 * policy.h's policy_chooses_exit): a plan that names an exit is priced on
 * that exit's right-sized problem (fewer layers, the head's compute, its
 * accuracy, the head's bytes when the cut is after the attach point);
 * compute_problem_check and compute_plan_check refuse bad exits; joint and
 * oracle equal brute force over every exit x cut x option assignment x
 * encoding on random chains and DAGs with random exits; every other policy
 * ends at the problem's fixed exit and none beats joint (where its plan's
 * accuracy is known: a lossy encoding at an exit has none, so no accuracy
 * term, and is no plan joint may choose); edgent takes what brute force over
 * every (exit, prefix split) on the default options ranks first: the most
 * accurate plan that meets the deadline, else the fastest.
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

/* agentutil_random_encodings on p (test_encoding.c's draws). */
static void random_encodings(struct compute_problem *p, struct core_rng *r, size_t n_enc)
{
    assert_core_rc(agentutil_random_encodings(p, r, n_enc, &err), CORE_OK);
}

/* Add an exit to p (encodings set) after layer attach with a head of
 * n_head chained layers of random prices, accuracy acc: its problem the
 * layers attach needs (as proto_problem_exit_add makes it) and the head. */
static void add_exit(struct compute_problem *p, struct core_rng *r, size_t attach,
                     size_t n_head, double acc)
{
    bool keep[COMPUTE_PLAN_MAX_LAYERS] = {false};
    int32_t newidx[COMPUTE_PLAN_MAX_LAYERS];
    size_t base = 0;
    struct compute_problem *q = core_calloc(1, sizeof(*q));
    struct compute_exit *x = &p->exits[p->n_exits++];

    assert_non_null(q);
    keep[attach] = true;
    for (size_t i = attach + 1; i-- > 0;)
        if (keep[i])
            for (uint32_t j = 0; j < p->layers[i].n_inputs; j++)
                if (p->layers[i].inputs[j] >= 0)
                    keep[p->layers[i].inputs[j]] = true;
    for (size_t g = 0; g < p->n_layers; g++)
        newidx[g] = keep[g] ? (int32_t)base++ : -1;
    snprintf(x->name, sizeof(x->name), "exit%zu", p->n_exits);
    x->attach = (uint32_t)attach;
    x->accuracy = acc;
    x->problem = q;
    assert_core_rc(compute_problem_init(q, base + n_head, p->n_options[COMPUTE_SIDE_UE],
                                        p->n_options[COMPUTE_SIDE_EDGE], &err),
                   CORE_OK);
    q->input_bytes = p->input_bytes;
    q->msg_header_bytes = p->msg_header_bytes;
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        memcpy(q->options[s], p->options[s], sizeof(q->options[s]));
        q->copy_latency_s[s] = p->copy_latency_s[s];
        q->copy_bytes_per_s[s] = p->copy_bytes_per_s[s];
        q->copy_power_w[s] = p->copy_power_w[s];
        q->default_option[s] = p->default_option[s];
    }
    for (size_t g = 0; g < p->n_layers; g++) {
        if (newidx[g] < 0)
            continue;
        q->layers[newidx[g]] = p->layers[g];
        for (uint32_t j = 0; j < q->layers[newidx[g]].n_inputs; j++)
            if (q->layers[newidx[g]].inputs[j] >= 0)
                q->layers[newidx[g]].inputs[j] = newidx[q->layers[newidx[g]].inputs[j]];
        for (int s = 0; s < COMPUTE_SIDE_COUNT; s++)
            for (size_t o = 0; o < p->n_options[s]; o++)
                agentutil_set_cost(q, (enum compute_side)s, o, (size_t)newidx[g],
                                   compute_problem_latency_s(p, (enum compute_side)s, o, g),
                                   compute_problem_energy_j(p, (enum compute_side)s, o, g));
    }
    for (size_t h = 0; h < n_head; h++) {
        struct compute_problem_layer *ly = &q->layers[base + h];

        ly->n_inputs = 1;
        ly->inputs[0] = h == 0 ? newidx[attach] : (int32_t)(base + h - 1);
        ly->out_bytes = ceil(core_rng_uniform_in(r, 10, 2e4));
        for (int s = 0; s < COMPUTE_SIDE_COUNT; s++)
            for (size_t o = 0; o < p->n_options[s]; o++)
                agentutil_set_cost(q, (enum compute_side)s, o, base + h,
                                   core_rng_uniform_in(r, 1e-4, 1e-2),
                                   core_rng_uniform_in(r, 0, 0.02));
    }
    assert_core_rc(compute_problem_encodings_init(q, p->n_encodings, &err), CORE_OK);
    for (size_t k = 0; k < p->n_encodings; k++) {
        memcpy(q->encodings[k].name, p->encodings[k].name, sizeof(q->encodings[k].name));
        if (k == 0)
            continue;
        q->encodings[k].tensor_bytes[0] = p->encodings[k].tensor_bytes[0];
        for (size_t g = 0; g < p->n_layers; g++)
            if (newidx[g] >= 0)
                q->encodings[k].tensor_bytes[1 + newidx[g]] = p->encodings[k].tensor_bytes[1 + g];
        for (size_t h = 0; h < n_head; h++)
            q->encodings[k].tensor_bytes[1 + base + h] = ceil(q->layers[base + h].out_bytes / 4);
    }
    q->fixed_encoding = p->fixed_encoding;
    q->accuracy = acc;
    assert_core_rc(compute_problem_check(q, &err), CORE_OK);
}

/* A random problem with encodings and 1 to 3 exits, a random fixed exit. */
static void random_problem(struct compute_problem *p, struct core_rng *r, bool dag)
{
    size_t n = 2 + core_rng_below(r, 4), n_exits = 1 + core_rng_below(r, 3);

    assert_core_rc(agentutil_problem_drawn(p, r, n, dag, 1 + core_rng_below(r, 2),
                                           1 + core_rng_below(r, 2), 0.1, true, true, &err),
                   CORE_OK);
    random_encodings(p, r, 2 + core_rng_below(r, 2));
    for (size_t k = 0; k < n_exits; k++)
        add_exit(p, r, core_rng_below(r, n - 1), 1 + core_rng_below(r, 2),
                 p->accuracy - core_rng_uniform_in(r, 0, 0.1));
    p->fixed_exit = (uint8_t)core_rng_below(r, n_exits + 1);
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
    const struct compute_problem *p; /* the problem the plans are priced on */
    const struct compute_state *st;
    double best; /* the least objective so far */
};

/* Every encoding of plan pl that brute_force admits, priced on b->p. */
static void brute_visit(void *ctx, struct compute_plan *pl)
{
    struct brute *b = ctx;
    const struct compute_problem *q = pl->exit ? b->p->exits[pl->exit - 1].problem : b->p;

    for (uint32_t en = 0; en < q->n_encodings; en++) {
        pl->encoding = (uint8_t)en;
        if (pl->n_ue == pl->n_layers && en != 0)
            break; /* a local plan sends nothing */
        if (pl->n_ue < pl->n_layers && en != 0 && isnan(compute_plan_accuracy(b->p, pl)))
            continue;
        if (compute_plan_check(b->p, pl, b->st->edge_available, NULL) == CORE_OK) {
            double v = objective(b->p, b->st, pl);

            if (v < b->best)
                b->best = v;
        }
    }
}

/* The least objective of a plan ending at exit x of p (0: its output) over
 * every ideal x every supporting option assignment x every encoding
 * (encoding 0, or one whose accuracy the plan knows), priced on p. */
static double brute_force(const struct compute_problem *p, const struct compute_state *st,
                          uint8_t x)
{
    struct brute b = {p, st, INFINITY};

    agentutil_each_plan(x ? p->exits[x - 1].problem : p, st->edge_available, x, brute_visit, &b);
    return b.best;
}

/* ---- the plan's cost and checks ------------------------------------------ */

static void test_plan_at_an_exit_is_priced_on_its_right_sized_problem(void **state)
{
    struct core_rng *r = core_rng_create(21, 0, CORE_RNG_BENCH);
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    struct compute_plan_cost c, cq;
    const struct compute_problem *q;

    (void)state;
    assert_core_rc(agentutil_problem_drawn(&p, r, 4, false, 1, 1, 0, false, true, &err),
                   CORE_OK);
    random_encodings(&p, r, 2);
    add_exit(&p, r, 1, 2, 0.7);
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    q = p.exits[0].problem;
    assert_int_equal(q->n_layers, 4); /* layers 0 and 1, then the head's two */
    agentutil_state(&st, r, &p, 1, 0);
    st.w_accuracy = 2;
    /* the UE runs layers 0, 1 and the head's first; the edge the head's last */
    memset(&pl, 0, sizeof(pl));
    pl.exit = 1;
    pl.n_layers = 4;
    pl.n_ue = 3;
    for (uint16_t i = 0; i < 4; i++)
        pl.order[i] = i;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    compute_plan_cost(&p, &st, &pl, &c);
    compute_plan_cost(q, &st, &pl, &cq);
    assert_near(c.objective, cq.objective, 0);
    assert_near(c.accuracy, 0.7, 0);
    /* what crosses is the head's first tensor, not a model layer's */
    assert_near(c.uplink_bytes, q->layers[2].out_bytes + p.msg_header_bytes, 0);
    assert_near(compute_plan_uplink_bytes(&p, &pl), q->layers[2].out_bytes, 0);
    assert_near(c.ue_compute_s,
                        compute_problem_latency_s(&p, COMPUTE_SIDE_UE, 0, 0) +
                            compute_problem_latency_s(&p, COMPUTE_SIDE_UE, 0, 1) +
                            compute_problem_latency_s(q, COMPUTE_SIDE_UE, 0, 2),
                        1e-15);
    /* the objective's accuracy term is the exit's */
    assert_near(c.objective,
                        st.w_latency * c.latency_s + st.w_energy * c.ue_energy_j - 2 * 0.7,
                        1e-12);
    /* a lossy encoding's accuracy at an exit is unknown */
    pl.encoding = 1;
    assert_true(isnan(compute_plan_accuracy(&p, &pl)));
    compute_problem_fini(&p);
    core_rng_destroy(r);
}

static void test_checks_refuse_bad_exits(void **state)
{
    struct core_rng *r = core_rng_create(22, 0, CORE_RNG_BENCH);
    struct compute_problem p;
    struct compute_plan pl;

    (void)state;
    assert_core_rc(agentutil_problem_drawn(&p, r, 3, false, 1, 1, 0, false, true, &err),
                   CORE_OK);
    random_encodings(&p, r, 2);
    add_exit(&p, r, 0, 1, 0.5);
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    p.fixed_exit = 2;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    p.fixed_exit = 1;
    p.exits[0].accuracy = 1.5;
    assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
    p.exits[0].accuracy = 0.5;
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    /* a plan of the model's layers that names the exit is not its problem's */
    memset(&pl, 0, sizeof(pl));
    pl.n_layers = 3;
    pl.n_ue = 3;
    for (uint16_t i = 0; i < 3; i++)
        pl.order[i] = i;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    pl.exit = 1;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_E_INPUT);
    pl.exit = 2;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_E_INPUT);
    pl.exit = 1;
    pl.n_layers = pl.n_ue = 2;
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    compute_problem_fini(&p);
    core_rng_destroy(r);
}

/* ---- the policies ---------------------------------------------------------- */

static void test_joint_and_oracle_equal_brute_force_over_exits(void **state)
{
    struct core_rng *r = core_rng_create(23, 0, CORE_RNG_BENCH);
    size_t checked = 0, exited = 0;

    (void)state;
    for (int trial = 0; trial < 300; trial++) {
        struct compute_problem p;
        struct compute_state st;
        enum policy_kind kinds[] = {POLICY_JOINT, POLICY_ORACLE};

        random_problem(&p, r, trial % 2 == 1);
        for (int k = 0; k < 2; k++) {
            struct policy_solver *s = policy_solver_create(kinds[k], &p, &err);

            assert_non_null(s);
            for (int j = 0; j < 3; j++) {
                struct compute_plan pl;
                double want = INFINITY, got;

                agentutil_state(&st, r, &p, 0.9, 0.05);
                st.w_accuracy = core_rng_uniform_in(r, 0, 0.5);
                assert_core_rc(policy_decide(s, &st, NULL, &pl, &err), CORE_OK);
                assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
                for (uint8_t x = 0; x <= p.n_exits; x++)
                    want = fmin(want, brute_force(&p, &st, x));
                got = objective(&p, &st, &pl);
                if (!(fabs(got - want) <= REL * fabs(want) || (isinf(got) && isinf(want)))) {
                    print_error("trial %d: %s's objective %.17g, brute force %.17g (exit %u, "
                                "n_ue %u of %u, edge %d)\n", trial, policy_kind_name(kinds[k]),
                                got, want, pl.exit, pl.n_ue, pl.n_layers, st.edge_available);
                    fail();
                }
                checked++;
                exited += pl.exit != 0;
            }
            policy_solver_destroy(s);
        }
        compute_problem_fini(&p);
    }
    /* exits were chosen, and not always */
    if (!(exited > checked / 10 && exited < checked)) {
        print_error("%zu of %zu plans ended at an exit\n", exited, checked);
        fail();
    }
    core_rng_destroy(r);
}

static void test_other_policies_end_at_the_fixed_exit_and_none_beats_joint(void **state)
{
    struct core_rng *r = core_rng_create(24, 0, CORE_RNG_BENCH);
    struct core_rng *pr = core_rng_create(24, 1, CORE_RNG_POLICY);

    (void)state;
    for (int trial = 0; trial < 200; trial++) {
        struct compute_problem p;
        struct compute_state st;
        struct policy_solver *joint;
        struct compute_plan jp;
        double j;

        random_problem(&p, r, trial % 2 == 1);
        agentutil_state(&st, r, &p, 0.9, 0.05);
        st.w_accuracy = core_rng_uniform_in(r, 0, 2);
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
            assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
            if (!policy_chooses_exit(k))
                assert_int_equal(pl.exit, p.fixed_exit);
            if (isnan(compute_plan_accuracy(&p, &pl)))
                goto next; /* a lossy fixed encoding at an exit: no accuracy term to compare */
            v = objective(&p, &st, &pl);
            if (!(v >= j - REL * fabs(j) || (isinf(v) && isinf(j)))) {
                print_error("trial %d: %s's %.17g below joint's %.17g\n", trial,
                            policy_kind_name(k), v, j);
                fail();
            }
        next:
            policy_solver_destroy(s);
        }
        policy_solver_destroy(joint);
        compute_problem_fini(&p);
    }
    core_rng_destroy(pr);
    core_rng_destroy(r);
}

static void test_only_joint_oracle_and_edgent_choose_the_exit(void **state)
{
    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++)
        assert_int_equal(policy_chooses_exit(k),
                         k == POLICY_JOINT || k == POLICY_ORACLE || k == POLICY_EDGENT);
    assert_string_equal(policy_kind_name(POLICY_EDGENT), "edgent");
}

/* ---- edgent ------------------------------------------------------------------ */

/* Edgent's ranking by brute force over every exit x prefix split of p with
 * each side on its default option (p has no unsupported entries; the UE
 * alone: the local plan), under st and deadline: the best plan's (meets,
 * accuracy, latency). */
static void edgent_brute_force(const struct compute_problem *p, const struct compute_state *st,
                               double deadline, bool *meets, double *acc, double *lat)
{
    bool any = false;

    for (uint8_t x = 0; x <= p->n_exits; x++) {
        const struct compute_problem *q = x ? p->exits[x - 1].problem : p;

        for (uint32_t k = 0; k <= q->n_layers; k++) {
            struct compute_plan pl;
            struct compute_plan_cost c;
            double a;
            bool m, better;

            memset(&pl, 0, sizeof(pl));
            pl.n_layers = (uint32_t)q->n_layers;
            pl.n_ue = k;
            pl.exit = x;
            for (uint32_t i = 0; i < pl.n_layers; i++) {
                pl.order[i] = (uint16_t)i;
                pl.option[i] = (uint8_t)q->default_option[i < k ? COMPUTE_SIDE_UE
                                                                : COMPUTE_SIDE_EDGE];
            }
            pl.encoding = k < pl.n_layers ? p->fixed_encoding : 0;
            if (k == pl.n_layers) { /* the UE alone: the branch's local plan */
                struct policy_solver *loc = policy_solver_create(POLICY_LOCAL, q, &err);

                assert_non_null(loc);
                assert_core_rc(policy_decide(loc, st, NULL, &pl, &err), CORE_OK);
                policy_solver_destroy(loc);
                pl.exit = x;
            }
            if (compute_plan_check(p, &pl, st->edge_available, NULL) != CORE_OK)
                continue; /* not a cut of a DAG, or the edge is not offered */
            compute_plan_cost(p, st, &pl, &c);
            a = isnan(c.accuracy) ? -INFINITY : c.accuracy;
            m = c.latency_s <= deadline;
            better = !any || m != *meets ? (!any || m) : m && a != *acc ? a > *acc
                                                                         : c.latency_s < *lat;
            if (better) {
                any = true;
                *meets = m;
                *acc = a;
                *lat = c.latency_s;
            }
        }
    }
    assert_true(any);
}

static void test_edgent_takes_the_most_accurate_plan_in_the_deadline_else_the_fastest(
    void **state)
{
    struct core_rng *r = core_rng_create(25, 0, CORE_RNG_BENCH);
    size_t exited = 0, missed = 0, checked = 0;

    (void)state;
    for (int trial = 0; trial < 300; trial++) {
        struct compute_problem p;
        struct compute_decision req;
        struct policy_solver *s;
        struct compute_plan pl;
        struct compute_plan_cost c;
        size_t n = 2 + core_rng_below(r, 4), n_exits = 1 + core_rng_below(r, 3);
        bool meets;
        double acc, lat, deadline;

        /* chains: edgent's partition points are the prefixes */
        assert_core_rc(agentutil_problem_drawn(&p, r, n, false, 1 + core_rng_below(r, 2),
                                               1 + core_rng_below(r, 2), 0, true, true, &err),
                       CORE_OK);
        random_encodings(&p, r, 2);
        p.fixed_encoding = 0;
        for (size_t k = 0; k < n_exits; k++)
            add_exit(&p, r, core_rng_below(r, n - 1), 1 + core_rng_below(r, 2),
                     p.accuracy - core_rng_uniform_in(r, 0, 0.1));
        assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
        s = policy_solver_create(POLICY_EDGENT, &p, &err);
        assert_non_null(s);
        memset(&req, 0, sizeof(req));
        req.kind = COMPUTE_DECIDE_INITIAL;
        req.problem = &p;
        agentutil_state(&req.state, r, &p, 0.9, 0);
        req.t_request_s = 10;
        req.t_s = 10 + core_rng_uniform_in(r, 0, 0.01);
        deadline = core_rng_uniform_in(r, 0, 0.08);
        req.deadline_s = deadline + (req.t_s - req.t_request_s);
        assert_core_rc(policy_decide_request(s, &req, NULL, &pl, &err), CORE_OK);
        assert_core_rc(compute_plan_check(&p, &pl, req.state.edge_available, &err), CORE_OK);
        compute_plan_cost(&p, &req.state, &pl, &c);
        edgent_brute_force(&p, &req.state, deadline, &meets, &acc, &lat);
        assert_int_equal(c.latency_s <= deadline, meets);
        if (meets)
            assert_near(c.accuracy, acc, 0);
        assert_near(c.latency_s, lat, 0);
        exited += pl.exit != 0;
        missed += !meets;
        checked++;
        /* without a deadline: the most accurate plan, the model's output */
        assert_core_rc(policy_decide(s, &req.state, NULL, &pl, &err), CORE_OK);
        edgent_brute_force(&p, &req.state, INFINITY, &meets, &acc, &lat);
        compute_plan_cost(&p, &req.state, &pl, &c);
        assert_near(c.accuracy, acc, 0);
        assert_near(c.latency_s, lat, 0);
        policy_solver_destroy(s);
        compute_problem_fini(&p);
    }
    /* the draws exercised exits, plans in the deadline and plans past it */
    if (!(exited > checked / 10 && missed > checked / 20 && missed < checked)) {
        print_error("%zu of %zu at an exit, %zu missed\n", exited, checked, missed);
        fail();
    }
    core_rng_destroy(r);
}

/* Exploring a plan that ends at an exit explores on the exit's problem:
 * the plan still ends there and stays valid, and its cut or options move. */
static void test_exploration_of_a_plan_at_an_exit_stays_at_the_exit(void **state)
{
    struct core_rng *r = core_rng_create(29, 0, CORE_RNG_BENCH);
    struct core_rng *x = core_rng_create(29, 0, CORE_RNG_EXPLORATION);
    const struct policy_explore_config all = {1.0, 1.0};
    size_t at_exit = 0, moved = 0;

    (void)state;
    for (int trial = 0; trial < 200; trial++) {
        struct compute_problem p;
        struct compute_state st;
        struct compute_plan base, pl;
        struct policy_solver *s;

        random_problem(&p, r, trial % 2 == 1);
        s = policy_solver_create(POLICY_JOINT, &p, &err);
        assert_non_null(s);
        agentutil_state(&st, r, &p, 0.9, 0.05);
        st.w_accuracy = core_rng_uniform_in(r, 0, 0.5);
        assert_core_rc(policy_decide(s, &st, NULL, &base, &err), CORE_OK);
        if (base.exit > 0) {
            at_exit++;
            for (int t = 0; t < 20; t++) {
                pl = base;
                policy_explore(s, &st, &all, x, &pl);
                assert_int_equal(pl.exit, base.exit);
                assert_core_rc(compute_plan_check(&p, &pl, st.edge_available, &err), CORE_OK);
                moved += !compute_plan_equal(&pl, &base);
            }
        }
        policy_solver_destroy(s);
        compute_problem_fini(&p);
    }
    if (!(at_exit > 0 && moved > 0)) {
        print_error("%zu plans at an exit, %zu explorations moved one\n", at_exit, moved);
        fail();
    }
    core_rng_destroy(x);
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_plan_at_an_exit_is_priced_on_its_right_sized_problem),
        TEST(test_checks_refuse_bad_exits),
        TEST(test_joint_and_oracle_equal_brute_force_over_exits),
        TEST(test_other_policies_end_at_the_fixed_exit_and_none_beats_joint),
        TEST(test_only_joint_oracle_and_edgent_choose_the_exit),
        TEST(test_edgent_takes_the_most_accurate_plan_in_the_deadline_else_the_fastest),
        TEST(test_exploration_of_a_plan_at_an_exit_stays_at_the_exit),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
