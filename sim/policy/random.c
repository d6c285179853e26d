/*
 * random.c — the random policy: a valid cut of its family (every ideal when
 * there are few enough, policy.h) drawn uniformly, then for every layer an
 * option its side supports, drawn uniformly; every draw from the deciding
 * UE's policy stream.
 */
#include "policy/policy_int.h"

enum core_rc policy_random_create(struct policy_solver *s, struct core_err *e)
{
    const struct policy_prep how = {.ideals = true, .keep = POLICY_KEEP_ALL};

    return policy_prepare(s, &how, e);
}

enum core_rc policy_random_decide(struct policy_solver *s, const struct compute_state *st,
                                  struct core_rng *rng, struct compute_plan *out,
                                  struct core_err *e)
{
    uint32_t c;
    uint8_t pick[COMPUTE_PLAN_MAX_OPTIONS];
    uint32_t k;

    CORE_ASSERT(rng != NULL);
    c = s->valid[core_rng_below(rng, s->n_valid)];
    policy_emit(s, c, -1, -1, out);
    for (k = 0; k < out->n_layers; k++) {
        enum compute_side sd = k < out->n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;
        uint16_t l = out->order[k], m = s->mask[sd][l];
        size_t n_pick = 0, o;

        for (o = 0; o < s->n_opt[sd]; o++)
            if ((m >> o) & 1)
                pick[n_pick++] = (uint8_t)o;
        out->option[l] = pick[core_rng_below(rng, n_pick)];
    }
    return CORE_OK;
}
