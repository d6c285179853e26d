/*
 * dp.c — the dynamic programmes over a solver's family of cuts (layout in
 * policy_int.h): the objective's prices under a state, the forward step of a
 * cut's UE part from its forward parent and the backward step of its edge
 * part from its backward parent, the best end options, the valid cut of
 * least objective, and the plan a cut and its options give. Why a shortest
 * path over (position, option) is the exact optimum: policy.h.
 */
#include "policy/policy_int.h"

#include <string.h>

void policy_prices_set(const struct policy_solver *s, const struct compute_state *st,
                       struct policy_prices *pr)
{
    const struct compute_problem *p = s->p;
    size_t o;
    int sd;

    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (o = 0; o < s->n_opt[sd]; o++)
            pr->wait[sd][o] = isinf(st->wait_s[sd][o]) ? INFINITY
                                                        : st->w_latency * st->wait_s[sd][o];
    pr->copy_per_s[COMPUTE_SIDE_UE] =
        st->w_latency + st->w_energy * p->copy_power_w[COMPUTE_SIDE_UE];
    pr->copy_per_s[COMPUTE_SIDE_EDGE] = st->w_latency;
    pr->ul_per_s = st->w_latency + st->w_energy * st->ul_power_w;
    pr->dl_per_s = st->w_latency + st->w_energy * st->dl_power_w;
    pr->downlink = 0;
    /* Every plan with an edge part downloads the result once and uploads once: the
     * transfers' fixed delays count here, with the download. */
    if (st->edge_available)
        pr->downlink = pr->dl_per_s * (compute_link_time_s(p->layers[s->n - 1].out_bytes +
                                                               p->msg_header_bytes,
                                                           st->dl_rate_bps) +
                                       st->dl_delay_s) +
                       pr->ul_per_s * st->ul_delay_s;
}

void policy_dp_forward(struct policy_solver *s, const struct compute_state *st,
                       const struct policy_prices *pr, const uint16_t *mask, uint32_t c)
{
    const struct compute_problem *p = s->p;
    const struct policy_cut *k = &s->cuts[c];
    size_t no = s->n_opt[COMPUTE_SIDE_UE], o, q;
    double *f = &s->f[c * no];
    uint8_t *fa = &s->farg[c * no];
    const double *fp = k->size > 1 ? &s->f[k->fparent * no] : NULL;
    const uint8_t *fpa = k->size > 1 ? &s->farg[k->fparent * no] : NULL;
    double copy = k->size > 1 ? policy_copy_cost(s, pr, COMPUTE_SIDE_UE,
                                                 s->cuts[k->fparent].cross_bytes) : 0;

    for (o = 0; o < no; o++) {
        double best = INFINITY, layer;
        uint32_t res = p->options[COMPUTE_SIDE_UE][o].resource;
        int arg = POLICY_ARG_NONE;

        fa[o] = POLICY_ARG_NONE;
        if (!((mask[k->last] >> o) & 1))
            continue;
        layer = st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, k->last) +
                st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, k->last);
        if (!fp) {
            f[o] = pr->wait[COMPUTE_SIDE_UE][o] + layer;
            fa[o] = POLICY_ARG_START;
            continue;
        }
        for (q = 0; q < no; q++) {
            double v;

            if (fpa[q] == POLICY_ARG_NONE)
                continue;
            v = fp[q];
            if (q != o)
                v += pr->wait[COMPUTE_SIDE_UE][o];
            if (p->options[COMPUTE_SIDE_UE][q].resource != res)
                v += copy;
            if (arg == POLICY_ARG_NONE || v < best) {
                best = v;
                arg = (int)q;
            }
        }
        if (arg != POLICY_ARG_NONE) {
            f[o] = best + layer;
            fa[o] = (uint8_t)arg;
        }
    }
}

void policy_dp_backward(struct policy_solver *s, const struct compute_state *st,
                        const struct policy_prices *pr, const uint16_t *mask, uint32_t c)
{
    const struct compute_problem *p = s->p;
    const struct policy_cut *k = &s->cuts[c];
    const struct policy_cut *g = &s->cuts[k->gparent];
    size_t no = s->n_opt[COMPUTE_SIDE_EDGE], o, q;
    double *h = &s->h[c * no];
    uint8_t *ha = &s->harg[c * no];
    bool end = g->size == s->n;
    const double *hg = end ? NULL : &s->h[k->gparent * no];
    const uint8_t *hga = end ? NULL : &s->harg[k->gparent * no];
    double copy = end ? 0 : policy_copy_cost(s, pr, COMPUTE_SIDE_EDGE, g->cross_bytes);

    for (o = 0; o < no; o++) {
        double best = INFINITY, layer;
        uint32_t res = p->options[COMPUTE_SIDE_EDGE][o].resource;
        int arg = POLICY_ARG_NONE;

        ha[o] = POLICY_ARG_NONE;
        if (!((mask[k->next] >> o) & 1))
            continue;
        layer = st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, o, k->next);
        if (end) {
            h[o] = layer + pr->downlink;
            ha[o] = POLICY_ARG_END;
            continue;
        }
        for (q = 0; q < no; q++) {
            double v;

            if (hga[q] == POLICY_ARG_NONE)
                continue;
            v = hg[q];
            if (q != o)
                v += pr->wait[COMPUTE_SIDE_EDGE][q];
            if (p->options[COMPUTE_SIDE_EDGE][q].resource != res)
                v += copy;
            if (arg == POLICY_ARG_NONE || v < best) {
                best = v;
                arg = (int)q;
            }
        }
        if (arg != POLICY_ARG_NONE) {
            h[o] = layer + best;
            ha[o] = (uint8_t)arg;
        }
    }
}

int policy_dp_best_ue_end(const struct policy_solver *s, uint32_t c, double *cost)
{
    size_t no = s->n_opt[COMPUTE_SIDE_UE], o;
    int arg = -1;

    *cost = INFINITY;
    for (o = 0; o < no; o++)
        if (s->farg[c * no + o] != POLICY_ARG_NONE && (arg < 0 || s->f[c * no + o] < *cost)) {
            *cost = s->f[c * no + o];
            arg = (int)o;
        }
    return arg;
}

/* Best first edge option of cut c (c not full), its wait included. */
static int best_edge_start(const struct policy_solver *s, const struct policy_prices *pr,
                           uint32_t c, double *cost)
{
    size_t no = s->n_opt[COMPUTE_SIDE_EDGE], o;
    int arg = -1;

    *cost = INFINITY;
    for (o = 0; o < no; o++) {
        double v;

        if (s->harg[c * no + o] == POLICY_ARG_NONE)
            continue;
        v = pr->wait[COMPUTE_SIDE_EDGE][o] + s->h[c * no + o];
        if (arg < 0 || v < *cost) {
            *cost = v;
            arg = (int)o;
        }
    }
    return arg;
}

void policy_emit(const struct policy_solver *s, uint32_t c, int ue_o, int edge_o,
                 struct compute_plan *out)
{
    policy_emit_args(s, s->farg, s->n_opt[COMPUTE_SIDE_UE], s->harg, s->n_opt[COMPUTE_SIDE_EDGE], c,
                     ue_o, edge_o, out);
}

void policy_emit_args(const struct policy_solver *s, const uint8_t *farg, size_t fw,
                      const uint8_t *harg, size_t hw, uint32_t c, int ue_o, int edge_o,
                      struct compute_plan *out)
{
    uint32_t j = c, pos = s->cuts[c].size;
    int o = ue_o;

    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)s->n;
    out->n_ue = s->cuts[c].size;
    while (s->cuts[j].size > 0) {
        uint16_t l = s->cuts[j].last;

        out->order[--pos] = l;
        if (o >= 0) {
            out->option[l] = (uint8_t)o;
            o = s->cuts[j].size > 1 ? farg[j * fw + (size_t)o] : -1;
        }
        j = s->cuts[j].fparent;
    }
    pos = s->cuts[c].size;
    j = c;
    o = edge_o;
    while (s->cuts[j].size < s->n) {
        uint16_t l = s->cuts[j].next;

        out->order[pos++] = l;
        if (o >= 0) {
            out->option[l] = (uint8_t)o;
            o = harg[j * hw + (size_t)o];
            if (o == POLICY_ARG_END)
                o = -1;
        }
        j = s->cuts[j].gparent;
    }
}

void policy_dp_best(const struct policy_solver *s, const struct compute_state *st,
                    const struct policy_prices *pr, struct compute_plan *out)
{
    double best = INFINITY;
    uint32_t best_c = POLICY_NO_CUT, best_en = 0, en;
    int best_ue = -1, best_edge = -1;
    size_t i;

    for (i = 0; i < s->n_valid; i++) {
        uint32_t c = s->valid[i];
        const struct policy_cut *k = &s->cuts[c];
        double ue = 0, edge = 0, v;
        int ou = -1, oe = -1;

        if (k->size > 0) {
            ou = policy_dp_best_ue_end(s, c, &ue);
            if (ou < 0)
                continue;
        }
        v = ue;
        if (k->size < s->n) {
            double term;

            oe = best_edge_start(s, pr, c, &edge);
            if (oe < 0)
                continue;
            en = policy_best_encoding(s, st, pr->ul_per_s, c, edge, &term);
            v += term;
        } else {
            en = 0;
            v -= policy_local_term(s, st);
        }
        if (best_c == POLICY_NO_CUT || v < best) {
            best = v;
            best_c = c;
            best_ue = ou;
            best_edge = oe;
            best_en = en;
        }
    }
    CORE_ASSERT(best_c != POLICY_NO_CUT);
    policy_emit(s, best_c, best_ue, best_edge, out);
    out->encoding = (uint8_t)best_en;
}

uint32_t policy_best_encoding(const struct policy_solver *s, const struct compute_state *st,
                              double ul_per_s, uint32_t c, double edge, double *term)
{
    uint32_t best = s->ops->encodes ? 0 : s->p->fixed_encoding;

    *term = policy_ul_term(s, st, ul_per_s, c, best, edge);
    if (!s->ops->encodes)
        return best;
    for (uint32_t en = 1; en < s->n_enc; en++) {
        double v;

        if (isnan(policy_cut_accuracy(s, c, en)))
            continue;
        v = policy_ul_term(s, st, ul_per_s, c, en, edge);
        if (v < *term || (v == *term && en < best)) {
            *term = v;
            best = en;
        }
    }
    return best;
}
