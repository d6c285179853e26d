/*
 * split.c — the split policy, Neurosurgeon-style: the best split point
 * among the prefixes of the layer order, each layer on one fixed option of
 * its side, the side's default option where it supports the layer, else
 * the side's fastest option that does.
 */
#include "policy/policy_int.h"

/* The fixed option of split: the default where it supports the layer, else
 * the side's fastest supporting option; -1 when none does. */
static int split_option(const struct compute_problem *p, enum compute_side sd, size_t i)
{
    size_t o;
    int best = -1;

    if (policy_supports(p, sd, p->default_option[sd], i))
        return (int)p->default_option[sd];
    for (o = 0; o < p->n_options[sd]; o++)
        if (policy_supports(p, sd, o, i) &&
            (best < 0 || compute_problem_latency_s(p, sd, o, i) <
                             compute_problem_latency_s(p, sd, (size_t)best, i)))
            best = (int)o;
    return best;
}

enum core_rc policy_split_create(struct policy_solver *s, struct core_err *e)
{
    const struct policy_prep how = {.ideals = false, .keep = POLICY_KEEP_ALL, .fixed = true};
    size_t i;
    int sd;

    for (i = 0; i < s->n; i++)
        for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
            s->fixed_opt[sd][i] = (int16_t)split_option(s->p, sd, i);
    return policy_prepare(s, &how, e);
}

/* The split policy: every layer has one option on each side (fixed_opt,
 * the mask's one bit), so the forward and backward programmes are running
 * sums along the prefixes, O(n) instead of O(n options^2). The sums add the
 * same terms in the same order as policy_dp_forward and policy_dp_backward,
 * so the plan is the one they would give. */
enum core_rc policy_split_decide(struct policy_solver *s, const struct compute_state *st,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e)
{
    struct policy_prices prices;
    const struct policy_prices *pr = &prices;
    const struct compute_problem *p = s->p;
    double f[COMPUTE_PLAN_MAX_LAYERS + 1], h[COMPUTE_PLAN_MAX_LAYERS + 1];
    const int16_t *ou = s->fixed_opt[COMPUTE_SIDE_UE], *oe = s->fixed_opt[COMPUTE_SIDE_EDGE];
    const double *lu = s->split_layer[COMPUTE_SIDE_UE], *le = s->split_layer[COMPUTE_SIDE_EDGE];
    const double *cu_ = s->split_copy[COMPUTE_SIDE_UE], *ce = s->split_copy[COMPUTE_SIDE_EDGE];
    double best = INFINITY;
    uint32_t best_c = POLICY_NO_CUT;
    size_t k, i;

    policy_prices_set(s, st, &prices);
    if (!s->split_cached || s->split_w[0] != st->w_latency || s->split_w[1] != st->w_energy) {
        for (k = 0; k < s->n; k++) {
            int o = ou[k], q = oe[k];

            s->split_layer[COMPUTE_SIDE_UE][k] =
                o < 0 ? 0
                      : st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, k) +
                            st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, k);
            s->split_layer[COMPUTE_SIDE_EDGE][k] =
                q < 0 ? 0 : st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, q, k);
            s->split_copy[COMPUTE_SIDE_UE][k] =
                k > 0 && o >= 0 && ou[k - 1] >= 0 &&
                        p->options[COMPUTE_SIDE_UE][ou[k - 1]].resource !=
                            p->options[COMPUTE_SIDE_UE][o].resource
                    ? policy_copy_cost(s, pr, COMPUTE_SIDE_UE, s->cuts[s->prefix[k]].cross_bytes)
                    : 0;
            s->split_copy[COMPUTE_SIDE_EDGE][k] =
                k > 0 && q >= 0 && oe[k - 1] >= 0 &&
                        p->options[COMPUTE_SIDE_EDGE][oe[k - 1]].resource !=
                            p->options[COMPUTE_SIDE_EDGE][q].resource
                    ? policy_copy_cost(s, pr, COMPUTE_SIDE_EDGE, s->cuts[s->prefix[k]].cross_bytes)
                    : 0;
        }
        s->split_w[0] = st->w_latency;
        s->split_w[1] = st->w_energy;
        s->split_cached = true;
    }
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
        if (cu_[k - 1] != 0)
            v += cu_[k - 1];
        f[k] = v + lu[k - 1];
    }
    for (i = s->n; i-- > 0 && oe[i] >= 0;) {
        int o = oe[i], q;
        double v;

        if (i == s->n - 1) {
            h[i] = le[i] + pr->downlink;
            continue;
        }
        q = oe[i + 1];
        v = h[i + 1];
        if (q != o)
            v += pr->wait[COMPUTE_SIDE_EDGE][q];
        if (ce[i + 1] != 0)
            v += ce[i + 1];
        h[i] = le[i] + v;
    }
    for (i = 0; i < s->n_valid; i++) {
        uint32_t c = s->valid[i];
        const struct policy_cut *cu = &s->cuts[c];
        double v = cu->size > 0 ? f[cu->size] : 0;

        if (cu->size < s->n)
            v += pr->ul_per_s *
                     compute_link_time_s(cu->cross_bytes + p->msg_header_bytes, st->ul_rate_bps) +
                 (pr->wait[COMPUTE_SIDE_EDGE][oe[cu->size]] + h[cu->size]);
        if (best_c == POLICY_NO_CUT || v < best) {
            best = v;
            best_c = c;
        }
    }
    CORE_ASSERT(best_c != POLICY_NO_CUT);
    policy_emit(s, best_c, -1, -1, out);
    for (k = 0; k < s->n; k++)
        out->option[out->order[k]] =
            (uint8_t)(k < out->n_ue ? ou[out->order[k]] : oe[out->order[k]]);
    return CORE_OK;
}
