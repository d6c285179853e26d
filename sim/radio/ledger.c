/*
 * ledger.c — the UE's shared radio costs: the base power p_on_w drawn once
 * per UE while any of its transfers is active, split equally among them,
 * and the RRC tail after its last transfer (the rule is radio.h's, above
 * struct radio_ue_ledger).
 *
 * share_j is the running integral of the base power per active transfer,
 * int p(t) / n(t) dt over the times some transfer was active, where p(t) is
 * p_on_w, or p_on_w - p_tail_w before tail_until_s (a tail already charged
 * covers p_tail_w of the UE's draw then). n(t) changes only at a begin or
 * an end, so the integral is advanced exactly at each call, in O(1), with
 * the tail's end as the one possible break inside an interval. A transfer's
 * share is share_j at its end less share_j at its begin.
 */
#include "radio/radio_int.h"

void radio_ue_ledger_init(struct radio_ue_ledger *l, double t0_s)
{
    l->n_active = 0;
    l->t_s = t0_s;
    l->share_j = 0.0;
    l->tail_until_s = -INFINITY;
}

/* Integrate the base power per active transfer from l->t_s to t_s. */
static void advance(struct radio_ue_ledger *l, const struct radio_power_model *pm, double t_s)
{
    CORE_ASSERT(t_s >= l->t_s);
    if (l->n_active > 0 && t_s > l->t_s) {
        double covered_end_s = l->tail_until_s < t_s ? l->tail_until_s : t_s;
        double energy_j = pm->p_on_w * (t_s - l->t_s);

        if (covered_end_s > l->t_s)
            energy_j -= pm->p_tail_w * (covered_end_s - l->t_s);
        l->share_j += energy_j / (double)l->n_active;
    }
    l->t_s = t_s;
}

double radio_ue_ledger_begin(struct radio_ue_ledger *l, const struct radio_power_model *pm,
                             double t_s)
{
    advance(l, pm, t_s);
    l->n_active++;
    return l->share_j;
}

double radio_ue_ledger_end(struct radio_ue_ledger *l, const struct radio_power_model *pm,
                           double t_s, double mark, double *tail_j)
{
    double tail = 0.0;

    CORE_ASSERT(l->n_active > 0);
    advance(l, pm, t_s);
    l->n_active--;
    if (l->n_active == 0 && pm->tail_s > 0.0) {
        double from_s = l->tail_until_s > t_s ? l->tail_until_s : t_s;

        l->tail_until_s = t_s + pm->tail_s;
        tail = pm->p_tail_w * (l->tail_until_s - from_s);
    }
    if (tail_j != NULL)
        *tail_j = tail;
    return l->share_j - mark;
}

enum core_rc radio_power_model_check(const struct radio_power_model *pm, struct core_err *e)
{
    if (!(pm->p_on_w >= 0.0) || !isfinite(pm->p_on_w))
        return core_err(e, CORE_E_INPUT, "attribute 'on-power': %g W must be at least 0 W",
                        pm->p_on_w);
    if (!(pm->pa_efficiency > 0.0 && pm->pa_efficiency <= 1.0))
        return core_err(e, CORE_E_INPUT, "attribute 'pa-efficiency': %g is not in (0, 1]",
                        pm->pa_efficiency);
    if (!(pm->p_rx_w >= 0.0) || !isfinite(pm->p_rx_w))
        return core_err(e, CORE_E_INPUT, "attribute 'rx-power': %g W must be at least 0 W",
                        pm->p_rx_w);
    if (!(pm->tail_s >= 0.0) || !isfinite(pm->tail_s))
        return core_err(e, CORE_E_INPUT, "attribute 'tail': %g s must be at least 0 s",
                        pm->tail_s);
    if (!(pm->p_tail_w >= 0.0 && pm->p_tail_w <= pm->p_on_w))
        return core_err(e, CORE_E_INPUT,
                        "attribute 'tail-power': %g W must be between 0 W and 'on-power' (%g W): "
                        "the tail is the connected state without a transfer",
                        pm->p_tail_w, pm->p_on_w);
    return CORE_OK;
}
