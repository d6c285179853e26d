/*
 * solver.c — the solver a policy decides in, driven through the ops table
 * (ops.c): creation checks the problem and hands the bare solver to the
 * policy's create, decisions go to its decide (the local plan when the edge
 * is not available, whatever the policy), outcomes to its observe when it
 * has one, and destruction through its destroy. Also the accessors.
 *
 * Early exits (compute.h). On a problem that offers exits a solver holds a
 * solver of its policy on each exit's right-sized problem: a policy that
 * chooses the exit (policy_chooses_exit) decides on the problem and on each
 * of them and keeps the plan of least objective (compute_plan_cost, on the
 * problem: the first of equals, the model's output first); every other one
 * decides on its fixed exit's problem. A plan in force that ends at an exit
 * is adapted by that exit's solver on its problem.
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
    for (size_t j = 0; j < p->n_exits && !policy_needs_agent(k); j++) {
        struct core_err why;

        core_err_clear(&why);
        s->exit_solver[j] = policy_solver_create_agent(k, p->exits[j].problem, NULL, 0, &why);
        if (!s->exit_solver[j] && (why.rc != CORE_E_INPUT || p->fixed_exit == j + 1)) {
            *e = why;
            policy_solver_destroy(s);
            return NULL;
        }
    }
    return s;
}

void policy_solver_destroy(struct policy_solver *s)
{
    if (!s)
        return;
    for (size_t j = 0; j < COMPUTE_PLAN_MAX_EXITS; j++)
        policy_solver_destroy(s->exit_solver[j]);
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

/* Decide on s's own problem (no exit). */
static enum core_rc decide_here(struct policy_solver *s, const struct compute_state *st,
                                struct core_rng *rng, struct compute_plan *out,
                                struct core_err *e)
{
    enum core_rc rc = !st->edge_available ? policy_local_decide(s, st, rng, out, e)
                                          : s->ops->decide(s, st, rng, out, e);

    out->exit = 0;
    return settle_encoding(s, rc, out);
}

enum core_rc policy_decide(struct policy_solver *s, const struct compute_state *st,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e)
{
    struct compute_plan cand;
    struct compute_plan_cost c;
    double best;
    enum core_rc rc;

    if (s->ops->exits && s->ops->decide_request) /* edgent: it weighs the exits itself */
        return settle_encoding(s, s->ops->decide(s, st, rng, out, e), out);
    if (s->p->n_exits == 0)
        return decide_here(s, st, rng, out, e);
    if (!s->ops->exits) {
        uint8_t x = s->p->fixed_exit;

        if (x > 0 && !s->exit_solver[x - 1])
            x = 0; /* rl: it has no exit solvers, and ends at the output */

        rc = decide_here(x ? s->exit_solver[x - 1] : s, st, rng, out, e);
        out->exit = x;
        return rc;
    }
    rc = decide_here(s, st, rng, out, e);
    if (rc != CORE_OK)
        return rc;
    compute_plan_cost(s->p, st, out, &c);
    best = c.objective;
    for (size_t j = 0; j < s->p->n_exits; j++) {
        if (!s->exit_solver[j])
            continue;
        rc = decide_here(s->exit_solver[j], st, rng, &cand, e);
        if (rc != CORE_OK)
            return rc;
        cand.exit = (uint8_t)(j + 1);
        compute_plan_cost(s->p, st, &cand, &c);
        if (c.objective < best) {
            best = c.objective;
            *out = cand;
        }
    }
    return CORE_OK;
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
    if (req->current && req->current->exit > 0 && req->current->exit <= s->p->n_exits) {
        struct compute_decision sub = *req; /* the same request on the exit's problem */
        uint8_t x = req->current->exit;
        enum core_rc rc;

        sub.problem = compute_plan_problem(req->problem, req->current);
        if (sub.truth_problem)
            sub.truth_problem = compute_plan_problem(req->truth_problem, req->current);
        rc = s->exit_solver[x - 1] ? policy_solver_adapt(s->exit_solver[x - 1], &sub, rng, out, e)
                                   : settle_encoding(s, policy_adapt(&sub, out, e), out);
        out->exit = x;
        return rc;
    }
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
