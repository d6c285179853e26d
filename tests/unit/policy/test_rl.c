/*
 * test_rl.c — the learning agent as a policy (rl.c): its solver takes an
 * agent and the agent's problem, decides on a whole request exactly as the
 * agent decides on the request's encoded state (policy_state_encode), gives
 * valid plans (local when the edge is not available), refuses a decision
 * on a state alone, and answers an a4 with the exact re-plan.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "agentutil.h"
#include "policy/policy.h"

#define N_SAMPLES 200

static void test_rl_decides_requests_as_its_agent_does(void **state)
{
    struct core_rng *r = core_rng_create(41, 0, CORE_RNG_POLICY);
    struct compute_problem p;
    struct policy_solver *joint, *rl;
    struct policy_agent *agent = NULL;
    static float x[N_SAMPLES][POLICY_STATE_MAX];
    static struct compute_state st[N_SAMPLES];
    static struct policy_sample samples[N_SAMPLES];
    const struct policy_train_config cfg = {.seed = 1, .steps = 30, .batch = 16,
                                            .learning_rate = 1e-2, .hidden = 8, .depth = 1,
                                            .conservative = 0.1, .holdout = 0, .threads = 1};
    struct policy_agent_problem prob;
    struct compute_decision req;
    struct compute_plan pl, want;
    struct core_err e;

    (void)state;
    assert_int_equal(agentutil_problem(&p, r, 6, true, 2, 2, 0.1, &e), CORE_OK);
    joint = policy_solver_create(POLICY_JOINT, &p, &e);
    assert_non_null(joint);
    for (int i = 0; i < N_SAMPLES; i++) {
        struct compute_plan_cost c;

        memset(&req, 0, sizeof(req));
        req.problem = &p;
        agentutil_state(&st[i], r, &p, 0.9, 0.0);
        req.state = st[i];
        req.deadline_s = 0.1;
        req.battery_j = INFINITY;
        req.ul_sinr_db = 10;
        policy_state_encode(&req, x[i]);
        assert_int_equal(policy_decide(joint, &st[i], r, &pl, &e), CORE_OK);
        compute_plan_cost(&p, &st[i], &pl, &c);
        samples[i] = (struct policy_sample){0, x[i], pl, c.objective, &st[i]};
    }
    prob = (struct policy_agent_problem){"m", "d", &p, (uint32_t)policy_state_size(&p)};
    if (policy_agent_train(&prob, 1, samples, N_SAMPLES, &cfg, NULL, NULL, 0, &agent, &e) !=
        CORE_OK)
        fail_msg("training: %s", e.msg);
    rl = policy_solver_create_agent(POLICY_RL, &p, agent, 0, &e);
    assert_non_null(rl);
    for (int i = 0; i < 50; i++) {
        memset(&req, 0, sizeof(req));
        req.kind = COMPUTE_DECIDE_INITIAL;
        req.problem = &p;
        agentutil_state(&req.state, r, &p, 0.8, 0.1);
        req.battery_j = INFINITY;
        assert_int_equal(policy_decide_request(rl, &req, r, &pl, &e), CORE_OK);
        assert_int_equal(compute_plan_check(&p, &pl, req.state.edge_available, &e), CORE_OK);
        if (!req.state.edge_available)
            assert_int_equal(pl.n_ue, p.n_layers);
        policy_state_encode(&req, x[0]);
        assert_int_equal(policy_agent_decide(agent, 0, x[0], &req.state, &want, &e), CORE_OK);
        assert_true(compute_plan_equal(&pl, &want));
    }
    /* a state alone is not enough for rl */
    assert_int_equal(policy_decide(rl, &req.state, r, &pl, &e), CORE_E_RUNTIME);
    assert_non_null(strstr(e.msg, "whole request"));
    /* its a4 is the exact re-plan */
    req.state.edge_available = true;
    assert_int_equal(policy_decide(joint, &req.state, r, &want, &e), CORE_OK);
    want.n_ue = (uint32_t)p.n_layers; /* an a3 that took the whole edge part back */
    req.kind = COMPUTE_DECIDE_ADAPT;
    req.current = &want;
    req.started = 0;
    req.state.edge_available = false;
    {
        struct compute_plan exact;
        enum core_rc a = policy_solver_adapt(rl, &req, r, &pl, &e);
        enum core_rc b = policy_adapt(&req, &exact, &e);

        assert_int_equal(a, b);
        if (a == CORE_OK)
            assert_true(compute_plan_equal(&pl, &exact));
    }
    policy_solver_destroy(rl);
    policy_solver_destroy(joint);
    policy_agent_destroy(agent);
    compute_problem_fini(&p);
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rl_decides_requests_as_its_agent_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
