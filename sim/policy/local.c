/*
 * local.c — the local policy: everything on the UE, each layer on a UE
 * option, the best assignment by the forward programme along the prefixes
 * (so copies between resources count). Also what every policy answers when
 * the edge is not available (policy_decide).
 */
#include "policy/policy_int.h"

enum core_rc policy_local_create(struct policy_solver *s, struct core_err *e)
{
    const struct policy_prep how = {.ideals = false, .keep = POLICY_KEEP_FULL};

    return policy_prepare(s, &how, e);
}

enum core_rc policy_local_decide(struct policy_solver *s, const struct compute_state *st,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e)
{
    struct policy_prices pr;
    double cost;
    size_t k;
    int o;

    if (!s->local_ok) {
        for (k = 0; k < s->n && s->local_mask[k] != 0; k++)
            continue;
        return core_err(e, CORE_E_RUNTIME, "layer %zu has no UE option and the edge is not "
                        "available", k);
    }
    policy_prices_set(s, st, &pr);
    for (k = 1; k <= s->n; k++)
        policy_dp_forward(s, st, &pr, s->local_mask, s->prefix[k]);
    o = policy_dp_best_ue_end(s, s->prefix[s->n], &cost);
    CORE_ASSERT(o >= 0);
    policy_emit(s, s->prefix[s->n], o, -1, out);
    return CORE_OK;
}
