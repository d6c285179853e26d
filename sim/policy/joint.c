/*
 * joint.c — the joint policy, the method's own (DESIGN.md): the best cut
 * and the best option of every layer on both sides, decided together, for
 * the state decided in. The forward programme over every
 * cut's UE part, the backward one over every cut's edge part, then the
 * valid cut of least objective: exact over its family (every ideal when
 * there are few enough, policy.h), the optimum over every plan when the
 * family is every cut.
 */
#include "policy/policy_int.h"

enum core_rc policy_joint_create(struct policy_solver *s, struct core_err *e)
{
    const struct policy_prep how = {.ideals = true, .keep = POLICY_KEEP_ALL};

    return policy_prepare(s, &how, e);
}

enum core_rc policy_joint_decide(struct policy_solver *s, const struct compute_state *st,
                                  struct core_rng *rng, struct compute_plan *out,
                                  struct core_err *e)
{
    struct policy_prices pr;
    size_t i;

    policy_prices_set(s, st, &pr);
    for (i = 0; i < s->n_cuts; i++)
        if (s->cuts[i].size > 0 && s->cuts[i].ue_ok)
            policy_dp_forward(s, st, &pr, s->mask[COMPUTE_SIDE_UE], (uint32_t)i);
    for (i = s->n_cuts; i-- > 0;)
        if (s->cuts[i].size < s->n && s->cuts[i].edge_ok)
            policy_dp_backward(s, st, &pr, s->mask[COMPUTE_SIDE_EDGE], (uint32_t)i);
    policy_dp_best(s, st, &pr, out);
    return CORE_OK;
}
