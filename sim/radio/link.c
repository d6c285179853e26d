/*
 * link.c — the link budget: dB/linear conversions, thermal noise, uplink
 * power control, downlink power per PRB and SINR with load-weighted
 * interference.
 *
 * Uplink power control follows TS 38.213 clause 7.1.1 for PUSCH, simplified
 * to its open-loop part: P = min(P_CMAX, P_O + 10 log10(2^mu M_RB) + alpha PL),
 * without the transport-format term Delta_TF and the closed-loop adjustment
 * f; P_CMAX is the UE's maximum power (23 dBm for power class 3). The 2^mu
 * makes P_O a power per 15 kHz of bandwidth, as in the standard.
 *
 * radio_ul_link_sinr applies the same rule to a real number of PRBs M (the
 * frequency-domain share of a flow): below P_max the power per PRB and so
 * the SINR per PRB do not depend on M; at P_max they rise as M falls.
 */
#include "radio/radio_int.h"

double radio_dbm_to_w(double dbm)
{
    return pow(10.0, (dbm - 30.0) / 10.0);
}

double radio_w_to_dbm(double w)
{
    return w > 0.0 ? 10.0 * log10(w) + 30.0 : -INFINITY;
}

double radio_db_to_lin(double db)
{
    return pow(10.0, db / 10.0);
}

double radio_lin_to_db(double lin)
{
    return lin > 0.0 ? 10.0 * log10(lin) : -INFINITY;
}

double radio_noise_dbm(double bandwidth_hz, double noise_figure_db)
{
    CORE_ASSERT(bandwidth_hz > 0.0);
    return RADIO_THERMAL_NOISE_DBM_HZ + 10.0 * log10(bandwidth_hz) + noise_figure_db;
}

double radio_ul_tx_power_dbm(const struct radio_ul_pc *pc, uint32_t mu, uint32_t n_prb,
                             double pl_db)
{
    CORE_ASSERT(n_prb > 0);
    double p_dbm = pc->p0_dbm + 10.0 * log10(ldexp((double)n_prb, (int)mu)) + pc->alpha * pl_db;

    return p_dbm < pc->p_max_dbm ? p_dbm : pc->p_max_dbm;
}

double radio_dl_prb_power_dbm(double p_total_dbm, uint32_t n_prb)
{
    CORE_ASSERT(n_prb > 0);
    return p_total_dbm - 10.0 * log10((double)n_prb);
}

double radio_sinr(double signal_dbm, double noise_dbm, const double *interf_dbm,
                  const double *load, size_t n)
{
    double denom_w = radio_dbm_to_w(noise_dbm);

    for (size_t i = 0; i < n; i++) {
        CORE_ASSERT(load[i] >= 0.0 && load[i] <= 1.0);
        denom_w += load[i] * radio_dbm_to_w(interf_dbm[i]);
    }
    return radio_dbm_to_w(signal_dbm) / denom_w;
}

double radio_ul_link_sinr(const struct radio_ul_link *l, double m_prb, double *tx_power_w)
{
    double p_w = l->p_prb_w * m_prb, sinr;

    CORE_ASSERT(m_prb > 0.0);
    if (p_w <= l->p_max_w) {
        sinr = l->p_prb_w * l->gain_per_w;
    } else {
        p_w = l->p_max_w;
        sinr = l->p_max_w / m_prb * l->gain_per_w;
    }
    if (tx_power_w != NULL)
        *tx_power_w = p_w;
    return sinr;
}
