/*
 * rl.c — the learning agent as a policy (`--policy rl --agent FILE`): each
 * request's state is encoded as the samples encode it (policy_state_encode)
 * and the agent decodes its plan of least predicted cost under the
 * request's state (policy_agent_decide: the same programmes as joint's,
 * over the same family of cuts, masked by what the state allows). Its a4 is
 * the exact re-plan (policy_adapt), as every policy's that has no own.
 *
 * The solver prepares the local plan's machinery (policy_prepare) so that
 * the table's shared destroy applies; the agent's own scratch is in the
 * agent.
 */
#include "policy/policy_int.h"

enum core_rc policy_rl_create(struct policy_solver *s, struct core_err *e)
{
    const struct policy_prep how = {.ideals = true, .keep = POLICY_KEEP_ALL};

    if (!s->agent)
        return core_err(e, CORE_E_USAGE, "policy rl needs an agent (--agent FILE)");
    return policy_prepare(s, &how, e);
}

enum core_rc policy_rl_decide(struct policy_solver *s, const struct compute_state *st,
                              struct core_rng *rng, struct compute_plan *out, struct core_err *e)
{
    (void)s, (void)st, (void)rng, (void)out;
    return core_err(e, CORE_E_RUNTIME,
                    "policy rl decides on a whole request (policy_decide_request), not on a "
                    "state alone");
}

enum core_rc policy_rl_decide_request(struct policy_solver *s,
                                      const struct compute_decision *req, struct core_rng *rng,
                                      struct compute_plan *out, struct core_err *e)
{
    float x[POLICY_STATE_MAX];

    (void)rng;
    policy_state_encode(req, x);
    return policy_agent_decide(s->agent, s->agent_problem, x, &req->state, out, e);
}
