/*
 * access.c — NR medium access of a transfer in closed form: when its data,
 * ready at some time, goes on the air (the uplink's scheduling request and
 * grant, or configured grant; the downlink's scheduling), how many HARQ
 * retransmissions it needs, and the mean of both for the network's quotes.
 * The model and its sources are radio.h's (above struct radio_access).
 *
 * Slots are counted from time 0: slot n spans [n T, (n + 1) T). A time
 * within a millionth of a slot of a boundary counts as on it, so that a
 * transfer ready exactly at a boundary (as one chained to another slot-
 * aligned event is) is not pushed a whole slot by rounding.
 */
#include "radio/radio_int.h"

/* TS 38.214 table 6.1.2.1.1-4 (j) and table 5.3-1 (N1, capability 1,
 * dmrs-AdditionalPosition pos0), by numerology 0, 1, 2. */
static const uint32_t j_slots[] = {1, 1, 2};
static const uint32_t n1_symbols[] = {8, 10, 17};

#define SYMBOLS_PER_SLOT 14
#define MU_MAX 2u

uint32_t radio_access_default_k2(uint32_t mu)
{
    CORE_ASSERT(mu <= MU_MAX);
    return j_slots[mu];
}

uint32_t radio_access_default_k1(uint32_t mu)
{
    CORE_ASSERT(mu <= MU_MAX);
    return (n1_symbols[mu] + SYMBOLS_PER_SLOT - 1) / SYMBOLS_PER_SLOT;
}

enum core_rc radio_access_init(struct radio_access *a, const struct radio_access_config *c,
                               uint32_t mu, struct core_err *e)
{
    if (mu > MU_MAX)
        return core_err(e, CORE_E_INPUT, "numerology %u is not 0, 1 or 2", (unsigned)mu);
    if (c->uplink < 0 || c->uplink >= RADIO_UL_ACCESS_COUNT || c->downlink < 0 ||
        c->downlink >= RADIO_DL_ACCESS_COUNT)
        return core_err(e, CORE_E_INPUT, "unknown uplink or downlink access");
    if (c->sr_period_slots < 1 || c->sr_period_slots > 640)
        return core_err(e, CORE_E_INPUT, "attribute 'sr-period': %ld slots is not in [1, 640]",
                        c->sr_period_slots);
    if (c->cg_period_slots < 1 || c->cg_period_slots > 640)
        return core_err(e, CORE_E_INPUT, "attribute 'cg-period': %ld slots is not in [1, 640]",
                        c->cg_period_slots);
    if (c->k2_slots < -1 || c->k2_slots > 32 || c->k0_slots < 0 || c->k0_slots > 32 ||
        c->k1_slots < -1 || c->k1_slots > 15)
        return core_err(e, CORE_E_INPUT, "k0 %ld, k1 %ld or k2 %ld slots is out of range",
                        c->k0_slots, c->k1_slots, c->k2_slots);
    if (!(c->bler >= 0.0 && c->bler <= 1.0))
        return core_err(e, CORE_E_INPUT, "attribute 'bler': %g is not in [0, 1]", c->bler);
    if (c->max_retx < 0 || c->max_retx > 32)
        return core_err(e, CORE_E_INPUT, "attribute 'max-retx': %ld is not in [0, 32]",
                        c->max_retx);
    a->slot_s = 1e-3 / (double)(1u << mu);
    a->uplink = c->uplink;
    a->downlink = c->downlink;
    a->sr_period = (uint32_t)c->sr_period_slots;
    a->cg_period = (uint32_t)c->cg_period_slots;
    a->k2 = c->k2_slots < 0 ? radio_access_default_k2(mu) : (uint32_t)c->k2_slots;
    a->k0 = (uint32_t)c->k0_slots;
    a->k1 = c->k1_slots < 0 ? radio_access_default_k1(mu) : (uint32_t)c->k1_slots;
    a->bler = c->bler;
    a->max_retx = (uint32_t)c->max_retx;
    a->ul_rtt_s = (double)(1 + a->k2) * a->slot_s;
    a->dl_rtt_s = (double)(a->k1 + 1 + a->k0) * a->slot_s;
    return CORE_OK;
}

/* The first slot that starts at or after t_s. */
static double next_slot(const struct radio_access *a, double t_s)
{
    return ceil(t_s / a->slot_s - 1e-6);
}

/* The first slot at or after slot n whose index is offset mod period. */
static double next_occasion(double n, uint32_t period, uint32_t offset)
{
    double r = fmod(n - (double)offset, (double)period);

    if (r < 0.0)
        r += (double)period;
    return r == 0.0 ? n : n + (double)period - r;
}

double radio_access_ul_start_s(const struct radio_access *a, uint32_t ue, double t_s)
{
    double n;

    switch ((enum radio_ul_access)a->uplink) {
    case RADIO_UL_DYNAMIC:
        n = next_occasion(next_slot(a, t_s), a->sr_period, ue % a->sr_period);
        return (n + 1.0 + (double)a->k2) * a->slot_s;
    case RADIO_UL_CONFIGURED:
        n = next_occasion(next_slot(a, t_s), a->cg_period, ue % a->cg_period);
        return n * a->slot_s;
    case RADIO_UL_NONE:
    case RADIO_UL_ACCESS_COUNT:
        break;
    }
    return t_s;
}

double radio_access_dl_start_s(const struct radio_access *a, double t_s)
{
    if (a->downlink != RADIO_DL_SCHEDULED)
        return t_s;
    return (next_slot(a, t_s) + (double)a->k0) * a->slot_s;
}

uint32_t radio_access_retx(const struct radio_access *a, struct core_rng *r)
{
    uint32_t n = 0;

    if (a->bler <= 0.0)
        return 0;
    if (a->bler >= 1.0)
        return a->max_retx;
    while (n < a->max_retx && core_rng_uniform(r) < a->bler)
        n++;
    return n;
}

double radio_access_mean_delay_s(const struct radio_access *a, enum radio_dir dir)
{
    double wait_slots = 0.0, retx = 0.0, p = 1.0;

    if (dir == RADIO_DIR_UL) {
        if (a->uplink == RADIO_UL_DYNAMIC)
            wait_slots = (double)a->sr_period / 2.0 + 1.0 + (double)a->k2;
        else if (a->uplink == RADIO_UL_CONFIGURED)
            wait_slots = (double)a->cg_period / 2.0;
    } else if (a->downlink == RADIO_DL_SCHEDULED) {
        wait_slots = 0.5 + (double)a->k0;
    }
    for (uint32_t k = 0; k < a->max_retx && a->bler > 0.0; k++) {
        p *= a->bler;
        retx += p;
    }
    return wait_slots * a->slot_s + retx * (dir == RADIO_DIR_UL ? a->ul_rtt_s : a->dl_rtt_s);
}
