/*
 * adapt.c — a4: the UE's plan after an a3 (DESIGN.md step 7, claim 2). The
 * request's plan in force is the network's a3: its edge part (the layers it
 * keeps, on the options it chose) is fixed, and every position from
 * req->started up to its n_ue is the UE's (the UE's own part not yet
 * started, and the layers the network handed back: all of them when it
 * withdrew the edge part). The UE re-plans those positions on its options,
 * the positions before started kept as they run.
 *
 * policy_adapt is the exact re-plan: a shortest path over (position, UE
 * option) along the plan's order under the request's state, each layer
 * priced w_latency t + w_energy E, a change of option priced its wait, a
 * change of resource the copy of the tensors crossing that boundary (the
 * same terms as the policies' forward programme, dp.c). What the built-ins
 * answer, but for the one-option-per-part family (split, split-default,
 * resource: their part on one candidate, policy_adapt_candidates in
 * split.c) and random (a uniform supported option per layer).
 */
#include "policy/policy_int.h"

#include <string.h>

/* The price of one wait at UE option o, objective units. */
static double st_wait_price(const struct compute_state *st, size_t o)
{
    return isinf(st->wait_s[COMPUTE_SIDE_UE][o]) ? INFINITY
                                                 : st->w_latency * st->wait_s[COMPUTE_SIDE_UE][o];
}

/* The price of running layer on UE option o, objective units. */
static double layer_price(const struct compute_problem *p, const struct compute_state *st,
                          size_t o, uint32_t layer)
{
    return st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, layer) +
           st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, layer);
}

/* The price of moving from option q to option o at boundary k of pl. */
static double move_price(const struct compute_problem *p, const struct compute_state *st,
                         const struct compute_plan *pl, uint32_t k, size_t q, size_t o)
{
    double v = 0;

    if (q == o)
        return 0;
    v += st_wait_price(st, o);
    if (p->options[COMPUTE_SIDE_UE][q].resource != p->options[COMPUTE_SIDE_UE][o].resource)
        v += (st->w_latency + st->w_energy * p->copy_power_w[COMPUTE_SIDE_UE]) *
             (p->copy_latency_s[COMPUTE_SIDE_UE] +
              compute_plan_crossing_bytes(p, pl, k) / p->copy_bytes_per_s[COMPUTE_SIDE_UE]);
    return v;
}

enum core_rc policy_adapt_check(const struct compute_decision *req, struct core_err *e)
{
    if (!req->current)
        return core_err(e, CORE_E_RUNTIME, "an adaptation without a plan in force");
    if (req->started > req->current->n_ue)
        return core_err(e, CORE_E_RUNTIME,
                        "an adaptation that started %u positions of a UE part of %u",
                        (unsigned)req->started, (unsigned)req->current->n_ue);
    return CORE_OK;
}

double policy_adapt_price(const struct compute_decision *req, const struct compute_plan *pl)
{
    const struct compute_problem *p = req->problem;
    double v = 0;

    for (uint32_t k = req->started; k < pl->n_ue; k++) {
        size_t o = pl->option[pl->order[k]];

        v += layer_price(p, &req->state, o, pl->order[k]);
        if (k == 0)
            v += st_wait_price(&req->state, o);
        else
            v += move_price(p, &req->state, pl, k, pl->option[pl->order[k - 1]], o);
    }
    return v;
}

enum core_rc policy_adapt(const struct compute_decision *req, struct compute_plan *out,
                          struct core_err *e)
{
    const struct compute_problem *p = req->problem;
    const struct compute_state *st = &req->state;
    size_t no = p->n_options[COMPUTE_SIDE_UE];
    uint32_t from, to;
    /* cost[k - from][o]: the least price of positions from..k with k on o;
     * arg the option of position k - 1 on that path. */
    static_assert(COMPUTE_PLAN_MAX_OPTIONS <= UINT8_MAX, "options fit a byte");
    double cost[2][COMPUTE_PLAN_MAX_OPTIONS];
    uint8_t arg[COMPUTE_PLAN_MAX_LAYERS][COMPUTE_PLAN_MAX_OPTIONS];
    enum core_rc rc = policy_adapt_check(req, e);

    if (rc != CORE_OK)
        return rc;
    *out = *req->current;
    from = req->started;
    to = out->n_ue;
    if (from == to)
        return CORE_OK;
    for (uint32_t k = from; k < to; k++) {
        const double *prev = cost[(k - from + 1) % 2];
        double *cur = cost[(k - from) % 2];
        uint32_t layer = out->order[k];

        for (size_t o = 0; o < no; o++) {
            double here = layer_price(p, st, o, layer), best = INFINITY;
            int a = -1;

            cur[o] = INFINITY;
            if (isinf(here))
                continue; /* the option does not run the layer */
            if (k == from) {
                /* from the option the last started position ran on, or the start */
                best = k == 0 ? st_wait_price(st, o)
                              : move_price(p, st, out, k, out->option[out->order[k - 1]], o);
                a = 0;
            } else {
                for (size_t q = 0; q < no; q++) {
                    double v = prev[q] + move_price(p, st, out, k, q, o);

                    if (isinf(prev[q]))
                        continue;
                    if (a < 0 || v < best) {
                        best = v;
                        a = (int)q;
                    }
                }
            }
            if (a >= 0 && !isinf(best)) {
                cur[o] = best + here;
                arg[k][o] = (uint8_t)a;
            }
        }
        for (size_t o = 0; o < no && isinf(cur[o]); o++)
            if (o + 1 == no)
                return core_err(e, CORE_E_RUNTIME,
                                "no UE option runs layer %u of the part an a3 left to the UE",
                                (unsigned)layer);
    }
    {
        const double *last = cost[(to - 1 - from) % 2];
        int o = -1;

        for (size_t q = 0; q < no; q++)
            if (!isinf(last[q]) && (o < 0 || last[q] < last[o]))
                o = (int)q;
        CORE_ASSERT(o >= 0); /* every position has a reachable option (above) */
        for (uint32_t k = to; k-- > from;) {
            out->option[out->order[k]] = (uint8_t)o;
            if (k > from)
                o = arg[k][o];
        }
    }
    return CORE_OK;
}

enum core_rc policy_adapt_random(struct policy_solver *s, const struct compute_decision *req,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e)
{
    uint8_t pick[COMPUTE_PLAN_MAX_OPTIONS];
    enum core_rc rc = policy_adapt_check(req, e);

    if (rc != CORE_OK)
        return rc;
    CORE_ASSERT(rng != NULL);
    *out = *req->current;
    for (uint32_t k = req->started; k < out->n_ue; k++) {
        uint32_t l = out->order[k];
        size_t n_pick = 0;

        for (size_t o = 0; o < s->n_opt[COMPUTE_SIDE_UE]; o++)
            if (policy_supports(s->p, COMPUTE_SIDE_UE, o, l))
                pick[n_pick++] = (uint8_t)o;
        if (n_pick == 0)
            return core_err(e, CORE_E_RUNTIME,
                            "no UE option runs layer %u of the part an a3 left to the UE",
                            (unsigned)l);
        out->option[l] = pick[core_rng_below(rng, n_pick)];
    }
    return CORE_OK;
}
