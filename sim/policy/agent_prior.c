/*
 * agent_prior.c — the learning agent's model prior (policy.h, "the
 * learning agent", prior POLICY_PRIOR_MODEL): the network's predicted
 * objective of a plan under a compute state, laid out on the agent's
 * heads, so that the trained network learns only what the prediction
 * misses.
 *
 * Each term of dp.c's programme goes to the head that plays its part
 * (agent_head.c): a layer's compute to ue[i][o] / edge[i][o], a segment's
 * wait to seg_ue[o] / seg_edge[o], the uplink of cut c with the result's
 * download, the transfers' fixed delays and the signalling (the same for
 * every plan) to cut[c]; a change of resource
 * costs copy_per_s x (latency + bytes / rate), affine in the bytes, so it
 * is kept per boundary cut in pcopy[side][x] beside the learned
 * copy x bytes(x). The prior is in the training costs' normalised units,
 * (J + prior_shift - cost_mean) / cost_sd (the caller passes mean =
 * cost_mean - prior_shift): the constant goes to the cut heads (every plan
 * selects exactly one). With these heads and the learned ones at zero, the
 * decode is joint's plan, value for value. Layer and segment terms that
 * are infinite (an unavailable option, an unsupported layer) are masked by
 * policy_head_masks and left at zero here; an infinite cut term (no uplink
 * rate) cannot arise from a state with the edge available, whose rates are
 * positive (compute.h), and without the edge every cut but the full one is
 * masked.
 */
#include "policy/policy_int.h"

#include <string.h>

static float finite_or_zero(double v)
{
    return isfinite(v) ? (float)v : 0.0f;
}

void policy_head_prior(struct policy_head *h, const struct compute_state *st, double mean,
                       double sd)
{
    const struct policy_solver *s = h->s;
    const struct compute_problem *p = s->p;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    struct policy_prices pr;
    size_t c, i, o;

    if (!h->prior)
        return;
    memset(h->prior, 0, h->n_heads * sizeof(*h->prior));
    memset(h->pcopy[COMPUTE_SIDE_UE], 0, s->n_cuts * sizeof(double));
    memset(h->pcopy[COMPUTE_SIDE_EDGE], 0, s->n_cuts * sizeof(double));
    if (!st)
        return;
    policy_prices_set(s, st, &pr);
    for (c = 0; c < s->n_cuts; c++) {
        const struct policy_cut *k = &s->cuts[c];
        double v = 0;

        /* signalling: the same for every plan, here so that the prior is J itself */
        v = st->w_latency * st->signaling_s;
        if (k->size < s->n)
            v += pr.ul_per_s * compute_link_time_s(k->cross_bytes + p->msg_header_bytes,
                                                  st->ul_rate_bps) +
                pr.downlink;
        h->prior[c] = finite_or_zero((v - mean) / sd);
        h->pcopy[COMPUTE_SIDE_UE][c] = policy_copy_cost(s, &pr, COMPUTE_SIDE_UE,
                                                        k->cross_bytes) / sd;
        h->pcopy[COMPUTE_SIDE_EDGE][c] = policy_copy_cost(s, &pr, COMPUTE_SIDE_EDGE,
                                                          k->cross_bytes) / sd;
    }
    for (i = 0; i < s->n; i++) {
        for (o = 0; o < nu; o++)
            h->prior[h->off_ue + i * nu + o] = finite_or_zero(
                (st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, i) +
                 st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, i)) / sd);
        for (o = 0; o < ne; o++)
            h->prior[h->off_edge + i * ne + o] = finite_or_zero(
                st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, o, i) / sd);
    }
    for (o = 0; o < nu; o++)
        h->prior[h->off_seg_ue + o] = finite_or_zero(pr.wait[COMPUTE_SIDE_UE][o] / sd);
    for (o = 0; o < ne; o++)
        h->prior[h->off_seg_edge + o] = finite_or_zero(pr.wait[COMPUTE_SIDE_EDGE][o] / sd);
}

const float *policy_head_effective(struct policy_head *h, const float *out)
{
    size_t j;

    if (!h->prior)
        return out;
    for (j = 0; j < h->n_heads; j++)
        h->eff[j] = out[j] + h->prior[j];
    return h->eff;
}

enum core_rc policy_head_prior_enable(struct policy_head *h, struct core_err *e)
{
    const size_t nc = h->s->n_cuts;

    if (h->prior)
        return CORE_OK;
    h->prior = core_calloc(h->n_heads, sizeof(*h->prior));
    h->eff = core_calloc(h->n_heads, sizeof(*h->eff));
    h->pcopy[COMPUTE_SIDE_UE] = core_calloc(nc, sizeof(double));
    h->pcopy[COMPUTE_SIDE_EDGE] = core_calloc(nc, sizeof(double));
    if (!h->prior || !h->eff || !h->pcopy[COMPUTE_SIDE_UE] || !h->pcopy[COMPUTE_SIDE_EDGE])
        return core_err(e, CORE_E_NOMEM, "out of memory for an agent's prior over %zu cuts", nc);
    return CORE_OK;
}

static const char *const PRIOR_NAMES[] = {"none", "model"};
_Static_assert(sizeof(PRIOR_NAMES) / sizeof(PRIOR_NAMES[0]) == POLICY_PRIOR_COUNT,
               "a name for every prior");

const char *policy_prior_name(enum policy_prior k)
{
    return (unsigned)k < POLICY_PRIOR_COUNT ? PRIOR_NAMES[k] : NULL;
}

bool policy_prior_parse(const char *name, enum policy_prior *out)
{
    int k;

    for (k = 0; k < POLICY_PRIOR_COUNT; k++)
        if (strcmp(name, PRIOR_NAMES[k]) == 0) {
            *out = (enum policy_prior)k;
            return true;
        }
    return false;
}
