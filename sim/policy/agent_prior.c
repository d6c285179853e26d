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

/* The prior's terms that depend on the state (the prices pr, the
 * normalisation mean, sd) for the cuts and the layers; four at a time,
 * then one at a time, the same operations either way (see the file
 * comment for what each term is). */
static inline __attribute__((always_inline)) void terms(struct policy_head *h,
                                                        const struct compute_state *st,
                                                        const struct policy_prices *pr, double mean,
                                                        double sd)
{
    const struct policy_solver *s = h->s;
    const size_t nc = s->n_cuts;
    /* signalling: the same for every plan, here so that the prior is J itself */
    const double sig = st->w_latency * st->signaling_s;
    const double cu = pr->copy_per_s[COMPUTE_SIDE_UE], ce = pr->copy_per_s[COMPUTE_SIDE_EDGE];
    const policy_v4d sigv = {sig, sig, sig, sig}, zero = {0, 0, 0, 0};
    const policy_v4d ulv = {pr->ul_per_s, pr->ul_per_s, pr->ul_per_s, pr->ul_per_s};
    const policy_v4d ratev = {st->ul_rate_bps, st->ul_rate_bps, st->ul_rate_bps, st->ul_rate_bps};
    const policy_v4d dlv = {pr->downlink, pr->downlink, pr->downlink, pr->downlink};
    const policy_v4d meanv = {mean, mean, mean, mean}, sdv = {sd, sd, sd, sd};
    const policy_v4d cuv = {cu, cu, cu, cu}, cev = {ce, ce, ce, ce};
    const policy_v4d wl = {st->w_latency, st->w_latency, st->w_latency, st->w_latency};
    const policy_v4d we = {st->w_energy, st->w_energy, st->w_energy, st->w_energy};
    size_t c = 0, j;
    int side;

    for (; c + 4 <= nc; c += 4) {
        policy_v4d bits, bu, be, v, cpu, cpe;
        policy_v4i edge;
        policy_v4f f;

        memcpy(&bits, h->pbits + c, sizeof(bits));
        memcpy(&edge, h->pedge + c, sizeof(edge));
        memcpy(&bu, h->pcbase[COMPUTE_SIDE_UE] + c, sizeof(bu));
        memcpy(&be, h->pcbase[COMPUTE_SIDE_EDGE] + c, sizeof(be));
        v = (policy_v4d)POLICY_PICK(edge, (policy_v4i)(sigv + (ulv * (bits / ratev) + dlv)),
                                    (policy_v4i)sigv);
        v = (v - meanv) / sdv;
        v = (policy_v4d)((policy_v4i)v & ((v - v) == zero));
        f = __builtin_convertvector(v, policy_v4f);
        memcpy(h->prior + c, &f, sizeof(f));
        cpu = cuv * bu / sdv;
        cpe = cev * be / sdv;
        memcpy(h->pcopy[COMPUTE_SIDE_UE] + c, &cpu, sizeof(cpu));
        memcpy(h->pcopy[COMPUTE_SIDE_EDGE] + c, &cpe, sizeof(cpe));
    }
    for (; c < nc; c++) {
        double v = sig;

        if (h->pedge[c])
            v += pr->ul_per_s * (h->pbits[c] / st->ul_rate_bps) + pr->downlink;
        h->prior[c] = finite_or_zero((v - mean) / sd);
        h->pcopy[COMPUTE_SIDE_UE][c] = cu * h->pcbase[COMPUTE_SIDE_UE][c] / sd;
        h->pcopy[COMPUTE_SIDE_EDGE][c] = ce * h->pcbase[COMPUTE_SIDE_EDGE][c] / sd;
    }
    /* a layer's compute: (w_latency x latency + w_energy x energy) / sd on
     * the UE, w_latency x latency / sd on the edge */
    for (side = 0; side < COMPUTE_SIDE_COUNT; side++) {
        const size_t m = s->n * s->n_opt[side];
        const double *lat = h->plat[side], *en = side == COMPUTE_SIDE_UE ? h->pen : NULL;
        float *dst = h->prior + (side == COMPUTE_SIDE_UE ? h->off_ue : h->off_edge);

        for (j = 0; j + 4 <= m; j += 4) {
            policy_v4d l, x, v;
            policy_v4f f;

            memcpy(&l, lat + j, sizeof(l));
            if (en) {
                memcpy(&x, en + j, sizeof(x));
                v = (wl * l + we * x) / sdv;
            } else {
                v = wl * l / sdv;
            }
            v = (policy_v4d)((policy_v4i)v & ((v - v) == zero));
            f = __builtin_convertvector(v, policy_v4f);
            memcpy(dst + j, &f, sizeof(f));
        }
        for (; j < m; j++)
            dst[j] = finite_or_zero(en ? (st->w_latency * lat[j] + st->w_energy * en[j]) / sd
                                       : st->w_latency * lat[j] / sd);
    }
}

static void terms_base(struct policy_head *h, const struct compute_state *st,
                       const struct policy_prices *pr, double mean, double sd)
{
    terms(h, st, pr, mean, sd);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void terms_avx2(struct policy_head *h,
                                                       const struct compute_state *st,
                                                       const struct policy_prices *pr, double mean,
                                                       double sd)
{
    terms(h, st, pr, mean, sd);
}
#endif

void policy_head_prior(struct policy_head *h, const struct compute_state *st, double mean,
                       double sd)
{
    const struct policy_solver *s = h->s;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    struct policy_prices pr;
    size_t o;

    if (!h->prior)
        return;
    if (!st) {
        memset(h->prior, 0, h->n_heads * sizeof(*h->prior));
        memset(h->pcopy[COMPUTE_SIDE_UE], 0, s->n_cuts * sizeof(double));
        memset(h->pcopy[COMPUTE_SIDE_EDGE], 0, s->n_cuts * sizeof(double));
        return;
    }
    policy_prices_set(s, st, &pr);
#if defined(__x86_64__) && defined(__GNUC__)
    if (core_cpu_avx2())
        terms_avx2(h, st, &pr, mean, sd);
    else
#endif
        terms_base(h, st, &pr, mean, sd);
    h->prior[h->off_xb] = 0;
    for (o = 0; o < nu; o++)
        h->prior[h->off_seg_ue + o] = finite_or_zero(pr.wait[COMPUTE_SIDE_UE][o] / sd);
    for (o = 0; o < ne; o++)
        h->prior[h->off_seg_edge + o] = finite_or_zero(pr.wait[COMPUTE_SIDE_EDGE][o] / sd);
    h->prior[h->off_copy] = h->prior[h->off_copy + 1] = 0;
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
    const struct policy_solver *s = h->s;
    const struct compute_problem *p = s->p;
    const size_t nc = s->n_cuts, nu = s->n_opt[COMPUTE_SIDE_UE];
    size_t c, i, o;
    int sd;

    if (h->prior)
        return CORE_OK;
    h->prior = core_calloc(h->n_heads, sizeof(*h->prior));
    h->eff = core_calloc(h->n_heads, sizeof(*h->eff));
    h->pen = core_malloc(s->n * nu * sizeof(*h->pen));
    h->pbits = core_malloc(nc * sizeof(*h->pbits));
    h->pedge = core_malloc(nc * sizeof(*h->pedge));
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        h->pcopy[sd] = core_calloc(nc, sizeof(double));
        h->plat[sd] = core_malloc(s->n * s->n_opt[sd] * sizeof(double));
        h->pcbase[sd] = core_malloc(nc * sizeof(double));
        if (!h->pcopy[sd] || !h->plat[sd] || !h->pcbase[sd])
            break;
    }
    if (sd < COMPUTE_SIDE_COUNT || !h->prior || !h->eff || !h->pen || !h->pbits || !h->pedge)
        return core_err(e, CORE_E_NOMEM, "out of memory for an agent's prior over %zu cuts", nc);
    /* what the prior's terms take from the problem, in the heads' order */
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (i = 0; i < s->n; i++)
            for (o = 0; o < s->n_opt[sd]; o++)
                h->plat[sd][i * s->n_opt[sd] + o] = compute_problem_latency_s(p, sd, o, i);
    for (i = 0; i < s->n; i++)
        for (o = 0; o < nu; o++)
            h->pen[i * nu + o] = compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, i);
    for (c = 0; c < nc; c++) {
        const double bytes = s->cuts[c].cross_bytes;

        h->pbits[c] = (bytes + p->msg_header_bytes) * 8; /* compute_link_time_s's numerator */
        h->pedge[c] = s->cuts[c].size < s->n ? -1 : 0;
        for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) /* policy_copy_cost's second factor */
            h->pcbase[sd][c] = p->copy_latency_s[sd] + bytes / p->copy_bytes_per_s[sd];
    }
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
