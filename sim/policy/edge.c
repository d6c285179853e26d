/*
 * edge.c — the edge policy: everything on the edge (the raw input goes
 * uplink), each layer on an edge option, the best assignment by the
 * backward programme along the prefixes; its one valid cut is the empty one.
 */
#include "policy/policy_int.h"

enum core_rc policy_edge_create(struct policy_solver *s, struct core_err *e)
{
    const struct policy_prep how = {.ideals = false, .keep = POLICY_KEEP_EMPTY};

    return policy_prepare(s, &how, e);
}

enum core_rc policy_edge_decide(struct policy_solver *s, const struct compute_state *st,
                                struct core_rng *rng, struct compute_plan *out,
                                struct core_err *e)
{
    struct policy_prices pr;
    size_t i;

    policy_prices_set(s, st, &pr);
    for (i = s->n; i-- > 0;)
        policy_dp_backward(s, st, &pr, s->mask[COMPUTE_SIDE_EDGE], s->prefix[i]);
    policy_dp_best(s, st, &pr, out);
    return CORE_OK;
}
