/*
 * edgent.c — Edgent (Li, Zhou and Chen, "Edge Intelligence: On-Demand Deep
 * Learning Model Co-Inference with Device-Edge Synergy", MECOMM'18): joint
 * DNN partitioning and right-sizing by early exit. For every exit branch
 * (the model's output and each early exit of the problem, compute.h "Early
 * exits") and every partition point of that branch (the prefixes of its
 * layer order, the device running the first part on its default option and
 * the edge the rest on its own, as split-default places them), the
 * predicted latency (compute_plan_cost under the request's state); the
 * choice is the pair of highest expected accuracy whose latency meets the
 * inference's deadline, the lower latency among equals (then the first:
 * the output before the exits, fewer device layers first); when no pair
 * meets it, the fastest. The partition that leaves nothing to the edge is
 * the branch's local plan (each layer on its best UE option, as every
 * policy's when the edge is not available: then the only partition). An unknown accuracy (no accuracy data) ranks below
 * every known one, so without accuracy data edgent takes the fastest plan
 * that meets the deadline. Decided on a state alone (policy_decide) the
 * deadline is infinite: the most accurate plan, the fastest of those.
 *
 * Edgent's own regression latency models are the CPMM's predictions here,
 * and its "static" configuration (the bandwidth measured at decision time)
 * is every decision's state. The deadline is what is left of the
 * inference's when it decides: its deadline less the time since its
 * request (the state's round trip, or the layers already run at a
 * re-decision, whose plan then starts over only where it may).
 */
#include "policy/policy_int.h"

/* The best pair so far. */
struct pick {
    bool any;         /* a plan was considered */
    bool meets;       /* its latency meets the deadline */
    double accuracy;  /* its expected accuracy (-INFINITY: unknown) */
    double latency_s; /* its predicted latency, s */
};

/* Whether a plan (meets, acc, lat) ranks before b's. */
static bool before(const struct pick *b, bool meets, double acc, double lat)
{
    if (!b->any)
        return true;
    if (meets != b->meets)
        return meets;
    if (meets && acc != b->accuracy)
        return acc > b->accuracy;
    return lat < b->latency_s;
}

/* Consider every valid prefix plan of se (exit x of top's problem) under
 * st, keeping the best in *out and *b. */
static void consider(const struct policy_solver *top, struct policy_solver *se, uint8_t x,
                     const struct compute_state *st, double deadline_s, struct pick *b,
                     struct compute_plan *out)
{
    for (size_t i = 0; i < se->n_valid; i++) {
        uint32_t c = se->valid[i];
        struct compute_plan pl;
        struct compute_plan_cost cost;
        double acc;
        bool meets;

        if (se->cuts[c].size < se->n && !st->edge_available)
            continue;
        if (se->cuts[c].size == se->n) { /* the UE alone: the local plan of that branch */
            if (!se->local_ok || policy_local_decide(se, st, NULL, &pl, NULL) != CORE_OK)
                continue;
        } else {
            policy_candidates_plan(se, c, &pl);
        }
        pl.exit = x;
        compute_plan_cost(top->p, st, &pl, &cost);
        acc = isnan(cost.accuracy) ? -INFINITY : cost.accuracy;
        meets = cost.latency_s <= deadline_s;
        if (before(b, meets, acc, cost.latency_s)) {
            b->any = true;
            b->meets = meets;
            b->accuracy = acc;
            b->latency_s = cost.latency_s;
            *out = pl;
        }
    }
}

/* Edgent's choice under st and deadline_s into out. */
static enum core_rc edgent(struct policy_solver *s, const struct compute_state *st,
                           double deadline_s, struct core_rng *rng, struct compute_plan *out,
                           struct core_err *e)
{
    struct pick b = {.any = false};
    enum core_rc rc;

    consider(s, s, 0, st, deadline_s, &b, out);
    for (size_t j = 0; j < s->p->n_exits; j++)
        if (s->exit_solver[j])
            consider(s, s->exit_solver[j], (uint8_t)(j + 1), st, deadline_s, &b, out);
    if (b.any)
        return CORE_OK;
    /* no valid partition: the local plan */
    rc = policy_local_decide(s, st, rng, out, e);
    out->exit = 0;
    return rc;
}

enum core_rc policy_edgent_create(struct policy_solver *s, struct core_err *e)
{
    return policy_split_default_create(s, e);
}

enum core_rc policy_edgent_decide(struct policy_solver *s, const struct compute_state *st,
                                  struct core_rng *rng, struct compute_plan *out,
                                  struct core_err *e)
{
    return edgent(s, st, INFINITY, rng, out, e);
}

enum core_rc policy_edgent_decide_request(struct policy_solver *s,
                                          const struct compute_decision *req,
                                          struct core_rng *rng, struct compute_plan *out,
                                          struct core_err *e)
{
    /* what is left of the deadline: the request's round trip has been spent */
    return edgent(s, &req->state, req->deadline_s - (req->t_s - req->t_request_s), rng, out, e);
}
