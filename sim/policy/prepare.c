/*
 * prepare.c — what every built-in policy prepares for its problem at
 * creation, as its create asks (struct policy_prep): the options it may give
 * each layer on each side (every supporting one, or the one it fixed), the
 * UE's every supporting option for the local plan every policy falls back
 * to, the family of cuts (cuts.c), the dynamic programmes' scratch (dp.c),
 * and the cuts it may choose: those where every layer has an option on its
 * side, narrowed to the empty or the full cut for edge and local, to both
 * for resource. Nothing
 * is allocated after this: a decision works in what is prepared here.
 */
#include "policy/policy_int.h"

static void build_masks(struct policy_solver *s, const struct policy_prep *how)
{
    const struct compute_problem *p = s->p;
    size_t i, o;
    int sd;

    s->local_ok = true;
    for (i = 0; i < s->n; i++) {
        for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
            uint16_t all = 0;

            for (o = 0; o < p->n_options[sd]; o++)
                if (policy_supports(p, sd, o, i))
                    all |= (uint16_t)(1u << o);
            if (how->fixed) {
                int f = s->fixed_opt[sd][i];

                s->mask[sd][i] = f < 0 ? 0 : (uint16_t)(1u << f);
            } else {
                s->mask[sd][i] = all;
            }
            if (sd == COMPUTE_SIDE_UE)
                s->local_mask[i] = all;
        }
        s->local_ok = s->local_ok && s->local_mask[i] != 0;
    }
}

/* The cut c may be chosen: every layer has an option on its side, and it is
 * the one cut how keeps, if any. */
static bool valid_cut(const struct policy_solver *s, const struct policy_prep *how, size_t c)
{
    const struct policy_cut *ct = &s->cuts[c];

    if (!ct->ue_ok || !ct->edge_ok)
        return false;
    switch (how->keep) {
    case POLICY_KEEP_EMPTY:
        return ct->size == 0;
    case POLICY_KEEP_FULL:
        return ct->size == s->n;
    case POLICY_KEEP_ENDS:
        return ct->size == 0 || ct->size == s->n;
    default:
        return true;
    }
}

/* CORE_E_INPUT saying why no cut is valid: the first layer the side a
 * one-sided policy must use cannot run, or no plan at all. */
static enum core_rc no_valid_cut(const struct policy_solver *s, const struct policy_prep *how,
                                 struct core_err *e)
{
    enum compute_side sd = how->keep == POLICY_KEEP_EMPTY ? COMPUTE_SIDE_EDGE : COMPUTE_SIDE_UE;
    const char *name = policy_kind_name(s->kind);
    size_t c;

    for (c = 0; c < s->n && s->mask[sd][c] != 0; c++)
        continue;
    if ((how->keep == POLICY_KEEP_EMPTY || how->keep == POLICY_KEEP_FULL) && c < s->n)
        return core_err(e, CORE_E_INPUT, "the %s policy must run layer %zu on the %s, and no "
                        "option there supports it", name, c, compute_side_name(sd));
    return core_err(e, CORE_E_INPUT, "the %s policy has no plan that runs every layer on an "
                    "option of its side that supports it", name);
}

enum core_rc policy_prepare(struct policy_solver *s, const struct policy_prep *how,
                            struct core_err *e)
{
    enum core_rc rc;
    size_t c;

    build_masks(s, how);
    rc = policy_cuts_build(s, how->ideals, e);
    if (rc != CORE_OK)
        return rc;
    s->valid = core_malloc(s->n_cuts * sizeof(*s->valid));
    s->f = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_UE] * sizeof(*s->f));
    s->farg = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_UE]);
    s->h = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_EDGE] * sizeof(*s->h));
    s->harg = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_EDGE]);
    if (!s->valid || !s->f || !s->farg || !s->h || !s->harg)
        return core_err(e, CORE_E_NOMEM, "out of memory for a %s solver of %zu cuts",
                        policy_kind_name(s->kind), s->n_cuts);
    for (c = 0; c < s->n_cuts; c++)
        if (valid_cut(s, how, c))
            s->valid[s->n_valid++] = (uint32_t)c;
    /* Local with a layer no UE option runs: no plan exists, and the world
     * ends each of its inferences "no-plan" before asking (proto_decide). */
    if (s->n_valid == 0 && !(how->keep == POLICY_KEEP_FULL && !s->local_ok))
        return no_valid_cut(s, how, e);
    return CORE_OK;
}

void policy_release(struct policy_solver *s)
{
    core_free(s->cuts);
    core_free(s->enc_bytes);
    core_free(s->enc_acc);
    core_free(s->valid);
    core_free(s->f);
    core_free(s->farg);
    core_free(s->h);
    core_free(s->harg);
}
