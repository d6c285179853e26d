/*
 * test_samples_encode.c — the encodings of training samples (encode.c) and
 * exploration (explore.c): a state names every field once with its unit
 * and encodes a request's values (undefined ones as a flag and 0); an action
 * gives back its plan (policy_action_plan) on a branching model, and a bad
 * action is an error naming its field; exploration keeps every plan valid,
 * never takes an edge option that is not offered, reaches other cuts, and
 * with probabilities 0 changes nothing; option exploration alone keeps the
 * cut and redraws some layers; an option without a label and a layer
 * without a name are named by their index.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "policy/policy.h"

#define N 5
#define N_UE 2
#define N_EDGE 3

/* A branching model: 0 -> 1, 0 -> 2, (1, 2) -> 3 -> 4; UE option 1 does not
 * run layer 3. */
static void branch_problem(struct compute_problem *p)
{
    static const int32_t in[N][2] = {{-1, -1}, {0, -1}, {0, -1}, {1, 2}, {3, -1}};

    assert_int_equal(compute_problem_init(p, N, N_UE, N_EDGE, NULL), CORE_OK);
    p->input_bytes = 1e4;
    for (size_t i = 0; i < N; i++) {
        p->layers[i].n_inputs = in[i][1] >= 0 ? 2 : 1;
        p->layers[i].inputs[0] = in[i][0];
        p->layers[i].inputs[1] = in[i][1];
        p->layers[i].out_bytes = 1e3 * (double)(i + 1);
        for (size_t o = 0; o < N_UE; o++) {
            p->latency_s[COMPUTE_SIDE_UE][o * N + i] = i == 3 && o == 1 ? INFINITY : 1e-3;
            p->energy_j[COMPUTE_SIDE_UE][o * N + i] = 1e-3;
        }
        for (size_t o = 0; o < N_EDGE; o++) {
            p->latency_s[COMPUTE_SIDE_EDGE][o * N + i] = 1e-4 * (double)(o + 1);
            p->energy_j[COMPUTE_SIDE_EDGE][o * N + i] = 1e-2;
        }
    }
    for (size_t o = 0; o < N_UE; o++)
        snprintf(p->options[COMPUTE_SIDE_UE][o].label, 32, "u%zu", o);
    for (size_t o = 0; o < N_EDGE; o++) {
        p->options[COMPUTE_SIDE_EDGE][o].resource = (uint32_t)o;
        snprintf(p->options[COMPUTE_SIDE_EDGE][o].label, 32, "e%zu", o);
    }
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        p->copy_bytes_per_s[s] = 1e9;
        p->options[s][0].amount = 1;
    }
    assert_int_equal(compute_problem_check(p, NULL), CORE_OK);
}

static void state_of(struct compute_state *st, bool edge)
{
    memset(st, 0, sizeof(*st));
    st->edge_available = edge;
    st->ul_rate_bps = 5e7;
    st->dl_rate_bps = 1e8;
    st->w_latency = 1;
    for (size_t o = 0; o < COMPUTE_PLAN_MAX_OPTIONS; o++)
        st->wait_s[COMPUTE_SIDE_EDGE][o] = o == 1 ? INFINITY : 1e-3 * (double)o;
}

static void test_state_fields_are_named_once_with_units(void **ctx)
{
    struct compute_problem p;
    struct policy_field f;
    size_t n;
    char names[POLICY_STATE_MAX][64];

    (void)ctx;
    branch_problem(&p);
    n = policy_state_size(&p);
    assert_int_equal(n, 27 + N_UE + 2 * N_EDGE);
    for (size_t i = 0; i < n; i++) {
        policy_state_field(&p, i, &f);
        assert_true(f.name[0] != '\0');
        assert_non_null(f.unit);
        assert_true(f.description[0] != '\0');
        snprintf(names[i], sizeof(names[i]), "%s", f.name);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(names[j], names[i]);
    }
    policy_state_field(&p, 27, &f);
    assert_string_equal(f.name, "ue_wait_s[u0]");
    assert_string_equal(f.unit, "s");
    policy_state_field(&p, 27 + N_UE + 2, &f);
    assert_string_equal(f.name, "edge_available[e1]");
    compute_problem_fini(&p);
}

static void test_state_encodes_the_request_and_flags_what_is_undefined(void **ctx)
{
    struct compute_problem p;
    struct compute_decision req;
    float x[POLICY_STATE_MAX];

    (void)ctx;
    branch_problem(&p);
    memset(&req, 0, sizeof(req));
    req.problem = &p;
    state_of(&req.state, true);
    req.model = 2;
    req.deadline_s = 0.25;
    req.battery_j = INFINITY;
    req.ul_sinr_db = NAN;
    req.ue_load = 0.5;
    req.window.n = 3;
    req.window.accuracy = NAN;
    req.window.latency_s = 0.125;
    req.state.wait_s[COMPUTE_SIDE_UE][1] = 0.5;
    policy_state_encode(&req, x);
    assert_float_equal(x[1], 2.0f, 0);      /* model */
    assert_float_equal(x[3], 0.25f, 0);     /* deadline */
    assert_float_equal(x[4], 0.5f, 0);      /* ue_load */
    assert_float_equal(x[5], 0.0f, 0);      /* battery_limited */
    assert_float_equal(x[6], 0.0f, 0);      /* battery_j */
    assert_float_equal(x[7], 0.0f, 0);      /* ul_sinr_known */
    assert_float_equal(x[9], 1.0f, 0);      /* edge_available */
    assert_float_equal(x[10], 5e7f, 0);     /* ul_rate_bps */
    assert_float_equal(x[17], 1.0f, 0);     /* objective_latency_weight */
    assert_float_equal(x[19], 3.0f, 0);     /* window_n */
    assert_float_equal(x[20], 0.125f, 0);   /* window_latency_s */
    assert_float_equal(x[23], 0.0f, 0);     /* window_labelled */
    assert_float_equal(x[28], 0.5f, 0);     /* ue_wait_s[u1] */
    assert_float_equal(x[29], 1.0f, 0);     /* edge_available[e0] */
    assert_float_equal(x[31], 0.0f, 0);     /* edge_available[e1]: withdrawn */
    assert_float_equal(x[32], 0.0f, 0);     /* its wait: 0 */
    assert_float_equal(x[34], 2e-3f, 1e-9); /* edge_wait_s[e2] */
    {
        struct compute_state back;

        policy_state_decode(&p, x, &back);
        assert_true(back.edge_available);
        assert_float_equal(back.ul_rate_bps, 5e7, 0);
        assert_float_equal(back.w_latency, 1.0, 0);
        assert_float_equal(back.wait_s[COMPUTE_SIDE_UE][1], 0.5, 0);
        assert_true(isinf(back.wait_s[COMPUTE_SIDE_EDGE][1])); /* withdrawn */
        assert_float_equal(back.wait_s[COMPUTE_SIDE_EDGE][2], 2e-3, 1e-9);
    }
    req.state.edge_available = false;
    policy_state_encode(&req, x);
    assert_float_equal(x[10], 0.0f, 0);     /* no rate without the edge */
    assert_float_equal(x[29], 0.0f, 0);     /* nothing offered */
    compute_problem_fini(&p);
}

static void test_an_action_gives_back_its_plan(void **ctx)
{
    struct compute_problem p;
    struct compute_plan pl, back;
    int32_t a[N];
    struct core_err e;

    (void)ctx;
    branch_problem(&p);
    /* UE part {0, 2} (an ideal of the branching model), edge {1, 3, 4}. */
    memset(&pl, 0, sizeof(pl));
    pl.n_layers = N;
    pl.n_ue = 2;
    pl.order[0] = 0, pl.order[1] = 2, pl.order[2] = 1, pl.order[3] = 3, pl.order[4] = 4;
    pl.option[0] = 1, pl.option[2] = 0, pl.option[1] = 2, pl.option[3] = 0, pl.option[4] = 1;
    assert_int_equal(compute_plan_check(&p, &pl, true, NULL), CORE_OK);
    assert_int_equal(policy_action_size(&p), N);
    policy_action_encode(&p, &pl, a);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[1], N_UE + 2);
    assert_int_equal(a[2], 0);
    assert_int_equal(a[4], N_UE + 1);
    assert_int_equal(policy_action_plan(&p, a, &back, NULL), CORE_OK);
    assert_true(compute_plan_equal(&pl, &back));
    a[2] = N_UE + N_EDGE;
    assert_int_equal(policy_action_plan(&p, a, &back, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "action field 2"));
    a[2] = 0;
    a[1] = 0; /* layer 1 on the UE ... */
    a[0] = N_UE; /* ... reading layer 0 on the edge */
    assert_int_equal(policy_action_plan(&p, a, &back, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "reads layer 0 on the edge"));
    compute_problem_fini(&p);
}

static void test_exploration_keeps_plans_valid_and_reaches_other_cuts(void **ctx)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan base, pl;
    struct policy_solver *s;
    struct core_rng *r = core_rng_create(3, 0, CORE_RNG_EXPLORATION);
    const struct policy_explore_config all = {1.0, 1.0}, none = {0.0, 0.0};
    bool seen_cut[N + 1] = {false}, seen_edge_opt[N_EDGE] = {false};

    (void)ctx;
    branch_problem(&p);
    state_of(&st, true);
    s = policy_solver_create(POLICY_JOINT, &p, NULL);
    assert_non_null(s);
    assert_int_equal(policy_decide(s, &st, NULL, &base, NULL), CORE_OK);
    pl = base;
    policy_explore(s, &st, &none, r, &pl);
    assert_true(compute_plan_equal(&pl, &base));
    for (int t = 0; t < 2000; t++) {
        pl = base;
        policy_explore(s, &st, &all, r, &pl);
        assert_int_equal(compute_plan_check(&p, &pl, true, NULL), CORE_OK);
        seen_cut[pl.n_ue] = true;
        for (uint32_t k = pl.n_ue; k < N; k++) {
            assert_int_not_equal(pl.option[pl.order[k]], 1); /* e1 is not offered */
            seen_edge_opt[pl.option[pl.order[k]]] = true;
        }
    }
    for (int c = 0; c <= N; c++)
        assert_true(seen_cut[c]);
    assert_true(seen_edge_opt[0] && seen_edge_opt[2]);
    /* No edge: only the options move, the plan stays local. */
    state_of(&st, false);
    assert_int_equal(policy_decide(s, &st, NULL, &base, NULL), CORE_OK);
    for (int t = 0; t < 200; t++) {
        pl = base;
        policy_explore(s, &st, &all, r, &pl);
        assert_int_equal(pl.n_ue, N);
        assert_int_equal(compute_plan_check(&p, &pl, false, NULL), CORE_OK);
    }
    policy_solver_destroy(s);
    core_rng_destroy(r);
    compute_problem_fini(&p);
}

/* With the edge reachable but none of its options available, every cut
 * that puts a layer there is refused: exploring the cut keeps the local
 * plan, and the options move on the UE only. */
static void test_exploration_draws_only_cuts_the_state_allows(void **ctx)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan base, pl;
    struct policy_solver *s;
    struct core_rng *r = core_rng_create(5, 0, CORE_RNG_EXPLORATION);
    const struct policy_explore_config all = {1.0, 1.0};

    (void)ctx;
    branch_problem(&p);
    state_of(&st, true);
    for (size_t o = 0; o < N_EDGE; o++)
        st.wait_s[COMPUTE_SIDE_EDGE][o] = INFINITY;
    s = policy_solver_create(POLICY_JOINT, &p, NULL);
    assert_non_null(s);
    assert_int_equal(policy_decide(s, &st, NULL, &base, NULL), CORE_OK);
    assert_int_equal(base.n_ue, N);
    for (int t = 0; t < 200; t++) {
        pl = base;
        policy_explore(s, &st, &all, r, &pl);
        assert_int_equal(pl.n_ue, N);
        assert_int_equal(compute_plan_check(&p, &pl, true, NULL), CORE_OK);
        assert_int_not_equal(pl.option[3], 1); /* u1 cannot run layer 3 */
    }
    policy_solver_destroy(s);
    core_rng_destroy(r);
    compute_problem_fini(&p);
}

static void test_option_exploration_alone_keeps_the_cut_and_moves_some_layers(void **ctx)
{
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan base, pl;
    struct policy_solver *s;
    struct core_rng *r = core_rng_create(4, 0, CORE_RNG_EXPLORATION);
    const struct policy_explore_config half = {0.0, 0.5};
    size_t moved = 0, kept = 0;

    (void)ctx;
    branch_problem(&p);
    state_of(&st, true);
    s = policy_solver_create(POLICY_JOINT, &p, NULL);
    assert_non_null(s);
    assert_int_equal(policy_decide(s, &st, NULL, &base, NULL), CORE_OK);
    for (int t = 0; t < 400; t++) {
        pl = base;
        policy_explore(s, &st, &half, r, &pl);
        assert_int_equal(pl.n_ue, base.n_ue);
        assert_int_equal(compute_plan_check(&p, &pl, true, NULL), CORE_OK);
        for (size_t i = 0; i < N; i++) {
            moved += pl.option[i] != base.option[i];
            kept += pl.option[i] == base.option[i];
        }
    }
    /* a layer is redrawn with probability 1/2 and lands elsewhere with some
     * chance below 1: some move, most stay */
    print_message("option 0.5: %zu layer options moved, %zu kept\n", moved, kept);
    assert_true(moved > 0);
    assert_true(kept > moved);
    policy_solver_destroy(s);
    core_rng_destroy(r);
    compute_problem_fini(&p);
}

static void test_fields_without_labels_or_layer_names_are_named_by_index(void **ctx)
{
    struct compute_problem p;
    struct policy_field f;
    bool named_by_index = false;

    (void)ctx;
    branch_problem(&p);
    p.options[COMPUTE_SIDE_EDGE][2].label[0] = '\0';
    for (size_t i = 0; i < policy_state_size(&p); i++) {
        policy_state_field(&p, i, &f);
        named_by_index = named_by_index || strstr(f.name, "[2]") != NULL;
        assert_null(strstr(f.name, "[e2]"));
    }
    assert_true(named_by_index);
    policy_action_field(&p, 3, NULL, NULL, &f);
    assert_string_equal(f.name, "layer[3]");
    assert_string_equal(f.unit, "1");
    assert_non_null(strstr(f.description, "edge option o as 2 + o"));
    compute_problem_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_fields_are_named_once_with_units),
        cmocka_unit_test(test_state_encodes_the_request_and_flags_what_is_undefined),
        cmocka_unit_test(test_an_action_gives_back_its_plan),
        cmocka_unit_test(test_exploration_keeps_plans_valid_and_reaches_other_cuts),
        cmocka_unit_test(test_exploration_draws_only_cuts_the_state_allows),
        cmocka_unit_test(test_option_exploration_alone_keeps_the_cut_and_moves_some_layers),
        cmocka_unit_test(test_fields_without_labels_or_layer_names_are_named_by_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
