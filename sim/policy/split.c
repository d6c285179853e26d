/*
 * split.c — the policies that run each side's part on one option of that
 * side (a layer the option cannot run on the side's fastest option that
 * can, as a mobile framework hands the layers its delegate cannot run back
 * to another processor), the baselines the method is measured against:
 *  - split:         Neurosurgeon as published: the best (split point among
 *                   the prefixes of the layer order, UE option, edge option),
 *                   the two options chosen per decision;
 *  - split-default: the same with each side's option fixed to its declared
 *                   default (the variant that keeps today's figures);
 *  - resource:      no split: the whole model on the best one option of
 *                   either side (AutoScale-style), i.e. split restricted to
 *                   the empty and the full cut.
 *
 * A candidate is one option vector of a side: option o's, with the
 * fallback for the layers o cannot run (split and resource have one per
 * option of the side; split-default one, the defaults'). A layer has an
 * option in every candidate exactly when some option of its side runs it,
 * so the cuts a candidate can make are the same for all: those prepared
 * with split-default's vector (policy_prepare's fixed masks). For a fixed
 * vector the forward and backward programmes are running sums along the
 * prefixes, O(n) per candidate instead of O(n options^2); they add the same
 * terms in the same order as policy_dp_forward and policy_dp_backward.
 * Split's UE candidate for a prefix and its edge candidate for the rest are
 * independent given the split point, so a decision costs O(n (options of
 * the UE + of the edge)). The state-independent terms (each candidate's
 * layer and copy terms) are kept between decisions for the weights they
 * were computed with (a scenario's weights do not change).
 *
 * Exactness over their spaces: split's candidates include split-default's
 * vector and resource's plans, and its values for them are computed by the
 * same code, so split <= split-default and split <= resource hold exactly
 * under the policies' own predictions (and, since every prefix is a cut of
 * joint's family, joint <= split).
 */
#include "policy/policy_int.h"

#include <string.h>

/* The fastest option of side sd that runs layer i (least latency alone, the
 * first of equals); -1 when none does. */
static int fastest_option(const struct compute_problem *p, enum compute_side sd, size_t i)
{
    size_t o;
    int best = -1;

    for (o = 0; o < p->n_options[sd]; o++)
        if (policy_supports(p, sd, o, i) &&
            (best < 0 || compute_problem_latency_s(p, sd, o, i) <
                             compute_problem_latency_s(p, sd, (size_t)best, i)))
            best = (int)o;
    return best;
}

/* Option o for layer i where it runs it, else the side's fastest that does
 * (-1: none). */
static int16_t option_or_fastest(const struct compute_problem *p, enum compute_side sd, size_t o,
                                 size_t i)
{
    return (int16_t)(policy_supports(p, sd, o, i) ? (int)o : fastest_option(p, sd, i));
}

/* Prepare s with the candidates of each side: every option's vector (all),
 * or the default's alone; keep says which cuts it may choose. */
static enum core_rc candidates_create(struct policy_solver *s, bool all, enum policy_keep keep,
                                      struct core_err *e)
{
    const struct policy_prep how = {.ideals = false, .keep = keep, .fixed = true};
    const struct compute_problem *p = s->p;
    size_t i, c;
    int sd;

    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        size_t n_cand = all ? s->n_opt[sd] : 1;

        s->n_cand[sd] = n_cand;
        s->cand_opt[sd] = core_malloc(n_cand * s->n * sizeof(*s->cand_opt[sd]));
        s->cand_layer[sd] = core_malloc(n_cand * s->n * sizeof(*s->cand_layer[sd]));
        s->cand_copy[sd] = core_malloc(n_cand * s->n * sizeof(*s->cand_copy[sd]));
        if (!s->cand_opt[sd] || !s->cand_layer[sd] || !s->cand_copy[sd])
            return core_err(e, CORE_E_NOMEM, "out of memory for a %s solver",
                            policy_kind_name(s->kind));
        for (c = 0; c < n_cand; c++)
            for (i = 0; i < s->n; i++)
                s->cand_opt[sd][c * s->n + i] = option_or_fastest(
                    p, (enum compute_side)sd, all ? c : p->default_option[sd], i);
        /* the cuts: every candidate has an option exactly where the
         * default's has (some option of the side runs the layer) */
        for (i = 0; i < s->n; i++)
            s->fixed_opt[sd][i] = option_or_fastest(p, (enum compute_side)sd,
                                                    p->default_option[sd], i);
    }
    return policy_prepare(s, &how, e);
}

enum core_rc policy_split_create(struct policy_solver *s, struct core_err *e)
{
    return candidates_create(s, true, POLICY_KEEP_ALL, e);
}

enum core_rc policy_split_default_create(struct policy_solver *s, struct core_err *e)
{
    return candidates_create(s, false, POLICY_KEEP_ALL, e);
}

enum core_rc policy_resource_create(struct policy_solver *s, struct core_err *e)
{
    return candidates_create(s, true, POLICY_KEEP_ENDS, e);
}

void policy_candidates_release(struct policy_solver *s)
{
    for (int sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        core_free(s->cand_opt[sd]);
        core_free(s->cand_layer[sd]);
        core_free(s->cand_copy[sd]);
    }
    policy_release(s);
}

/* Fill every candidate's layer and copy terms for the weights of st. */
static void candidate_terms(struct policy_solver *s, const struct compute_state *st,
                            const struct policy_prices *pr)
{
    const struct compute_problem *p = s->p;
    size_t c, k;
    int sd;

    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (c = 0; c < s->n_cand[sd]; c++) {
            const int16_t *opt = &s->cand_opt[sd][c * s->n];
            double *layer = &s->cand_layer[sd][c * s->n];
            double *copy = &s->cand_copy[sd][c * s->n];

            for (k = 0; k < s->n; k++) {
                int o = opt[k];

                if (o < 0)
                    layer[k] = 0;
                else if (sd == COMPUTE_SIDE_UE)
                    layer[k] = st->w_latency * compute_problem_latency_s(p, sd, o, k) +
                               st->w_energy * compute_problem_energy_j(p, sd, o, k);
                else
                    layer[k] = st->w_latency * compute_problem_latency_s(p, sd, o, k);
                copy[k] = k > 0 && o >= 0 && opt[k - 1] >= 0 &&
                                  p->options[sd][opt[k - 1]].resource != p->options[sd][o].resource
                              ? policy_copy_cost(s, pr, (enum compute_side)sd,
                                                 s->cuts[s->prefix[k]].cross_bytes)
                              : 0;
            }
        }
    s->cand_w[0] = st->w_latency;
    s->cand_w[1] = st->w_energy;
    s->cand_cached = true;
}

/* f[k] (k = 1..n while every layer before k has an option): the objective
 * of running the prefix of k layers on the UE with candidate c's options,
 * its waits and copies included. */
static void forward_sums(const struct policy_solver *s, const struct policy_prices *pr, size_t c,
                         double *f)
{
    const int16_t *ou = &s->cand_opt[COMPUTE_SIDE_UE][c * s->n];
    const double *lu = &s->cand_layer[COMPUTE_SIDE_UE][c * s->n];
    const double *cu = &s->cand_copy[COMPUTE_SIDE_UE][c * s->n];
    size_t k;

    for (k = 1; k <= s->n && ou[k - 1] >= 0; k++) {
        int o = ou[k - 1];
        double v;

        if (k == 1) {
            f[k] = pr->wait[COMPUTE_SIDE_UE][o] + lu[0];
            continue;
        }
        v = f[k - 1];
        if (ou[k - 2] != o)
            v += pr->wait[COMPUTE_SIDE_UE][o];
        if (cu[k - 1] != 0)
            v += cu[k - 1];
        f[k] = v + lu[k - 1];
    }
}

/* g[i] (i = n - 1 down while every layer from i on has an option): the
 * objective of running layers i..n-1 on the edge with candidate c's
 * options, from the wait at its first option on, the downlink included. */
static void backward_sums(const struct policy_solver *s, const struct policy_prices *pr, size_t c,
                          double *g)
{
    const int16_t *oe = &s->cand_opt[COMPUTE_SIDE_EDGE][c * s->n];
    const double *le = &s->cand_layer[COMPUTE_SIDE_EDGE][c * s->n];
    const double *ce = &s->cand_copy[COMPUTE_SIDE_EDGE][c * s->n];
    double h = 0;
    size_t i;

    for (i = s->n; i-- > 0 && oe[i] >= 0;) {
        int o = oe[i], q;
        double v;

        if (i == s->n - 1) {
            h = le[i] + pr->downlink;
        } else {
            q = oe[i + 1];
            v = h;
            if (q != o)
                v += pr->wait[COMPUTE_SIDE_EDGE][q];
            if (ce[i + 1] != 0)
                v += ce[i + 1];
            h = le[i] + v;
        }
        g[i] = pr->wait[COMPUTE_SIDE_EDGE][o] + h;
    }
}

enum core_rc policy_candidates_decide(struct policy_solver *s, const struct compute_state *st,
                                      struct core_rng *rng, struct compute_plan *out,
                                      struct core_err *e)
{
    struct policy_prices pr;
    const struct compute_problem *p = s->p;
    double f[COMPUTE_PLAN_MAX_LAYERS + 1], g[COMPUTE_PLAN_MAX_LAYERS];
    double fbest[COMPUTE_PLAN_MAX_LAYERS + 1], gbest[COMPUTE_PLAN_MAX_LAYERS];
    uint8_t fcand[COMPUTE_PLAN_MAX_LAYERS + 1], gcand[COMPUTE_PLAN_MAX_LAYERS];
    double best = INFINITY;
    uint32_t best_c = POLICY_NO_CUT;
    size_t c, k, i;

    policy_prices_set(s, st, &pr);
    if (!s->cand_cached || s->cand_w[0] != st->w_latency || s->cand_w[1] != st->w_energy)
        candidate_terms(s, st, &pr);
    /* Each side's best candidate for every split point (the first of equals). */
    for (c = 0; c < s->n_cand[COMPUTE_SIDE_UE]; c++) {
        forward_sums(s, &pr, c, f);
        for (k = 1; k <= s->n && s->fixed_opt[COMPUTE_SIDE_UE][k - 1] >= 0; k++)
            if (c == 0 || f[k] < fbest[k]) {
                fbest[k] = f[k];
                fcand[k] = (uint8_t)c;
            }
    }
    for (c = 0; c < s->n_cand[COMPUTE_SIDE_EDGE]; c++) {
        backward_sums(s, &pr, c, g);
        for (i = s->n; i-- > 0 && s->fixed_opt[COMPUTE_SIDE_EDGE][i] >= 0;)
            if (c == 0 || g[i] < gbest[i]) {
                gbest[i] = g[i];
                gcand[i] = (uint8_t)c;
            }
    }
    for (i = 0; i < s->n_valid; i++) {
        const struct policy_cut *cu = &s->cuts[s->valid[i]];
        double v = cu->size > 0 ? fbest[cu->size] : 0;

        if (cu->size < s->n)
            v += policy_ul_term(s, st, pr.ul_per_s, s->valid[i], p->fixed_encoding,
                                gbest[cu->size]);
        else
            v -= policy_local_term(s, st);
        if (best_c == POLICY_NO_CUT || v < best) {
            best = v;
            best_c = s->valid[i];
        }
    }
    CORE_ASSERT(best_c != POLICY_NO_CUT);
    policy_emit(s, best_c, -1, -1, out);
    out->encoding = out->n_ue < out->n_layers ? p->fixed_encoding : 0;
    for (k = 0; k < s->n; k++) {
        uint16_t l = out->order[k];

        if (k < out->n_ue)
            out->option[l] =
                (uint8_t)s->cand_opt[COMPUTE_SIDE_UE][fcand[out->n_ue] * s->n + l];
        else
            out->option[l] =
                (uint8_t)s->cand_opt[COMPUTE_SIDE_EDGE][gcand[out->n_ue] * s->n + l];
    }
    return CORE_OK;
}

void policy_candidates_plan(const struct policy_solver *s, uint32_t c, struct compute_plan *out)
{
    policy_emit(s, c, -1, -1, out);
    out->encoding = out->n_ue < out->n_layers ? s->p->fixed_encoding : 0;
    for (size_t k = 0; k < s->n; k++) {
        uint16_t l = out->order[k];
        enum compute_side sd = k < out->n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;

        out->option[l] = (uint8_t)s->cand_opt[sd][l];
    }
}

enum core_rc policy_adapt_candidates(struct policy_solver *s, const struct compute_decision *req,
                                     struct core_rng *rng, struct compute_plan *out,
                                     struct core_err *e)
{
    struct compute_plan pl;
    double best = INFINITY;
    enum core_rc rc = policy_adapt_check(req, e);

    (void)rng;
    if (rc != CORE_OK)
        return rc;
    for (size_t c = 0; c < s->n_cand[COMPUTE_SIDE_UE]; c++) {
        const int16_t *opt = &s->cand_opt[COMPUTE_SIDE_UE][c * s->n];
        uint32_t k;
        double v;

        pl = *req->current;
        for (k = req->started; k < pl.n_ue; k++) {
            int o = opt[pl.order[k]];

            if (o < 0 || !policy_supports(s->p, COMPUTE_SIDE_UE, (size_t)o, pl.order[k]))
                break;
            pl.option[pl.order[k]] = (uint8_t)o;
        }
        if (k < pl.n_ue)
            continue; /* the candidate does not run every one of them */
        v = policy_adapt_price(req, &pl);
        if (v < best) {
            best = v;
            *out = pl;
        }
    }
    if (isinf(best))
        return policy_adapt(req, out, e);
    return CORE_OK;
}
