/*
 * adapt.c — a4, the UE's plan after an a3 took its edge part away: the plan
 * in force with the positions from the UE's part on (req->started) moved to
 * the UE, each layer on the UE option of least latency alone that supports
 * it (the first of equals), the earlier positions as they were. What every
 * policy answers to an ADAPT request.
 */
#include "policy/policy.h"

#include <math.h>

enum core_rc policy_adapt(const struct compute_decision *req, struct compute_plan *out,
                          struct core_err *e)
{
    const struct compute_problem *p = req->problem;

    if (!req->current)
        return core_err(e, CORE_E_RUNTIME, "an adaptation without a plan in force");
    *out = *req->current;
    for (uint32_t k = req->started; k < out->n_layers; k++) {
        uint32_t layer = out->order[k];
        double best = INFINITY;

        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++) {
            double t = compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, layer);

            if (t < best) {
                best = t;
                out->option[layer] = (uint8_t)o;
            }
        }
    }
    out->n_ue = out->n_layers;
    return CORE_OK;
}
