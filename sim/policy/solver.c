/*
 * solver.c — the solver a policy decides in, driven through the ops table
 * (ops.c): creation checks the problem and hands the bare solver to the
 * policy's create, decisions go to its decide (the local plan when the edge
 * is not available, whatever the policy), outcomes to its observe when it
 * has one, and destruction through its destroy. Also the accessors.
 */
#include "policy/policy_int.h"

struct policy_solver *policy_solver_create(enum policy_kind k, const struct compute_problem *p,
                                           struct core_err *e)
{
    CORE_ASSERT((unsigned)k < POLICY_KIND_COUNT);
    if (policy_needs_agent(k)) {
        core_err(e, CORE_E_USAGE, "policy %s needs an agent (--agent FILE)",
                 policy_kind_name(k));
        return NULL;
    }
    return policy_solver_create_agent(k, p, NULL, 0, e);
}

struct policy_solver *policy_solver_create_agent(enum policy_kind k,
                                                 const struct compute_problem *p,
                                                 struct policy_agent *agent, uint32_t i,
                                                 struct core_err *e)
{
    struct policy_solver *s;

    CORE_ASSERT((unsigned)k < POLICY_KIND_COUNT);
    CORE_ASSERT(!policy_needs_agent(k) || agent != NULL);
    if (compute_problem_check(p, e) != CORE_OK)
        return NULL;
    s = core_calloc(1, sizeof(*s));
    if (!s) {
        core_err(e, CORE_E_NOMEM, "out of memory for a %s solver", policy_kind_name(k));
        return NULL;
    }
    s->kind = k;
    s->ops = policy_ops_of(k);
    s->p = p;
    s->n = p->n_layers;
    s->n_opt[COMPUTE_SIDE_UE] = p->n_options[COMPUTE_SIDE_UE];
    s->n_opt[COMPUTE_SIDE_EDGE] = p->n_options[COMPUTE_SIDE_EDGE];
    s->agent = agent;
    s->agent_problem = i;
    if (s->ops->create(s, e) != CORE_OK) {
        policy_solver_destroy(s);
        return NULL;
    }
    return s;
}

void policy_solver_destroy(struct policy_solver *s)
{
    if (!s)
        return;
    s->ops->destroy(s);
    core_free(s);
}

/* The encoding of a decided plan: none for a local plan; the problem's
 * fixed one from a policy that does not choose. */
static enum core_rc settle_encoding(const struct policy_solver *s, enum core_rc rc,
                                    struct compute_plan *out)
{
    if (rc != CORE_OK)
        return rc;
    if (out->n_ue == out->n_layers)
        out->encoding = 0;
    else if (!s->ops->encodes)
        out->encoding = s->p->fixed_encoding;
    return CORE_OK;
}

enum core_rc policy_decide(struct policy_solver *s, const struct compute_state *st,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e)
{
    if (!st->edge_available)
        return settle_encoding(s, policy_local_decide(s, st, rng, out, e), out);
    return settle_encoding(s, s->ops->decide(s, st, rng, out, e), out);
}

enum core_rc policy_decide_request(struct policy_solver *s, const struct compute_decision *req,
                                   struct core_rng *rng, struct compute_plan *out,
                                   struct core_err *e)
{
    if (s->ops->decide_request)
        return settle_encoding(s, s->ops->decide_request(s, req, rng, out, e), out);
    return policy_decide(s, &req->state, rng, out, e);
}

enum core_rc policy_solver_adapt(struct policy_solver *s, const struct compute_decision *req,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e)
{
    if (s->ops->adapt)
        return settle_encoding(s, s->ops->adapt(s, req, rng, out, e), out);
    return settle_encoding(s, policy_adapt(req, out, e), out);
}

void policy_observe(struct policy_solver *s, const struct policy_feedback *fb)
{
    if (s->ops->observe)
        s->ops->observe(s, fb);
}

enum policy_kind policy_solver_kind(const struct policy_solver *s)
{
    return s->kind;
}

bool policy_solver_exact(const struct policy_solver *s)
{
    return s->exact;
}

size_t policy_solver_cuts(const struct policy_solver *s)
{
    return s->n_cuts;
}
