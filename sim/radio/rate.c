/*
 * rate.c — NR carriers (numerology, bandwidth, PRBs) and link rates: the
 * TS 38.306 clause 4.1.2 rate of the PRBs granted at a CQI, and a Shannon
 * mode.
 *
 * N_PRB comes from TS 38.101-1 (V17) table 5.3.2-1, "maximum transmission
 * bandwidth configuration N_RB" for FR1, reproduced below; 0 marks the
 * table's N/A (for example 100 MHz at 15 kHz SCS, or 5 MHz at 60 kHz).
 * The TS 38.306 rate with scaling factor f = 1 for one carrier is
 * layers Qm R 12 N_PRB / T_s^mu (1 - OH), T_s^mu = 1e-3 / (14 2^mu) s the
 * average OFDM symbol duration with normal cyclic prefix. Here R and Qm come
 * from the CQI table row of the SINR, not from the standard's R_max = 948/1024.
 *
 * The Shannon mode gives layers B_occ log2(1 + SINR / gap) (1 - OH) with
 * B_occ = 12 SCS N_PRB the occupied bandwidth (each layer gets the full
 * SINR: ideal spatial multiplexing). In CQI mode the rate is below layers
 * B_occ log2(1 + SINR) as well: the efficiency is (cqi.c), and
 * 12 N_PRB / T_s = 12 N_PRB SCS 14/15 < B_occ.
 *
 * Both rates are linear in the PRBs granted, so the rate of a real number of
 * PRBs M at a per-PRB SINR is the full-band rate at that SINR times M / N
 * (radio_ul_link_rate_bps returns the full-band figure; its callers scale).
 */
#include "radio/radio_int.h"

#include <stdio.h>

static const double bandwidths_mhz[] = {5, 10, 15, 20, 25, 30, 35, 40,
                                        45, 50, 60, 70, 80, 90, 100};

/* TS 38.101-1 table 5.3.2-1, rows SCS 15, 30, 60 kHz; columns bandwidths_mhz. */
static const uint16_t n_rb_table[3][ARRAY_LEN(bandwidths_mhz)] = {
    {25, 52, 79, 106, 133, 160, 188, 216, 242, 270, 0, 0, 0, 0, 0},
    {11, 24, 38, 51, 65, 78, 92, 106, 119, 133, 162, 189, 217, 245, 273},
    {0, 11, 18, 24, 31, 38, 44, 51, 58, 65, 79, 93, 107, 121, 135},
};

static int mu_of_scs(double scs_hz)
{
    for (int mu = 0; mu < 3; mu++)
        if (scs_hz == 15e3 * (1 << mu))
            return mu;
    return -1;
}

uint32_t radio_nr_n_prb(double scs_hz, double bandwidth_hz)
{
    int mu = mu_of_scs(scs_hz);

    if (mu < 0)
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(bandwidths_mhz); i++)
        if (fabs(bandwidth_hz - bandwidths_mhz[i] * 1e6) < 1.0)
            return n_rb_table[mu][i];
    return 0;
}

enum core_rc radio_carrier_init(struct radio_carrier *c, double scs_hz, double bandwidth_hz,
                                uint32_t layers, double overhead, enum radio_cqi_table table,
                                bool shannon, double shannon_gap_db, struct core_err *e)
{
    int mu = mu_of_scs(scs_hz);

    if (mu < 0)
        return core_err(e, CORE_E_INPUT,
                        "subcarrier spacing %g kHz is not one of 15, 30, 60 kHz (FR1)",
                        scs_hz / 1e3);
    uint32_t n_prb = radio_nr_n_prb(scs_hz, bandwidth_hz);

    if (n_prb == 0) {
        char allowed[160];
        size_t len = 0;

        allowed[0] = '\0';
        for (size_t i = 0; i < ARRAY_LEN(bandwidths_mhz); i++)
            if (n_rb_table[mu][i] != 0 && len < sizeof(allowed))
                len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%g",
                                        len ? ", " : "", bandwidths_mhz[i]);
        return core_err(e, CORE_E_INPUT,
                        "bandwidth %g MHz is not allowed at %g kHz SCS (TS 38.101-1 table "
                        "5.3.2-1 allows %s MHz)",
                        bandwidth_hz / 1e6, scs_hz / 1e3, allowed);
    }
    if (layers < 1 || layers > 8)
        return core_err(e, CORE_E_INPUT, "%u MIMO layers is out of range [1, 8]",
                        (unsigned)layers);
    if (!(overhead >= 0.0 && overhead < 1.0))
        return core_err(e, CORE_E_INPUT, "overhead %g is out of range [0, 1)", overhead);
    if (!(shannon_gap_db >= 0.0) || !isfinite(shannon_gap_db))
        return core_err(e, CORE_E_INPUT, "SNR gap %g dB is out of range [0, infinity) dB",
                        shannon_gap_db);
    CORE_ASSERT(table < RADIO_CQI_TABLE_COUNT);
    c->mu = (uint32_t)mu;
    c->scs_hz = scs_hz;
    c->bandwidth_hz = bandwidth_hz;
    c->n_prb = n_prb;
    c->layers = layers;
    c->overhead = overhead;
    c->table = table;
    c->shannon = shannon;
    c->shannon_gap_db = shannon_gap_db;
    return CORE_OK;
}

double radio_nr_rate_bps(const struct radio_carrier *c, uint32_t cqi, uint32_t n_prb)
{
    const struct radio_cqi_entry *row = radio_cqi_entry(c->table, cqi);
    double t_symbol_s = 1e-3 / (14.0 * (double)(1u << c->mu));

    return c->layers * row->qm * (row->rate_x1024 / 1024.0) * 12.0 * n_prb / t_symbol_s *
           (1.0 - c->overhead);
}

double radio_shannon_rate_bps(double bandwidth_hz, double sinr, double gap_db)
{
    return bandwidth_hz * log2(1.0 + sinr / radio_db_to_lin(gap_db));
}

double radio_link_rate_bps(const struct radio_carrier *c, double sinr, uint32_t n_prb)
{
    if (c->shannon)
        return c->layers * radio_shannon_rate_bps(12.0 * c->scs_hz * n_prb, sinr,
                                                  c->shannon_gap_db) *
               (1.0 - c->overhead);
    return radio_nr_rate_bps(c, radio_cqi_from_sinr(c->table, radio_lin_to_db(sinr)), n_prb);
}

double radio_ul_link_rate_bps(const struct radio_ul_link *l, double m_prb, double *tx_power_w)
{
    double sinr = radio_ul_link_sinr(l, m_prb, tx_power_w);
    double r_bps = radio_link_rate_bps(l->carrier, sinr, l->carrier->n_prb);

    return r_bps > l->floor_bps ? r_bps : l->floor_bps;
}

/* Midpoints in u of E[g(X_n)] = int_0^1 g(F^-1(u)) du for the Shannon mode. */
#define PF_QUAD_POINTS 512

double radio_pf_rate_bps(const struct radio_carrier *c, double sinr, size_t n)
{
    double nd = (double)n, sum = 0.0;

    CORE_ASSERT(n > 0 && sinr >= 0.0);
    if (sinr == 0.0)
        return 0.0;
    if (!c->shannon) {
        double prev_bps = 0.0;

        /* A step function of the SINR: each CQI's increment times the
         * probability that S X_n reaches its threshold, 1 - (1 - e^(-thr/S))^n. */
        for (uint32_t k = 1; k <= RADIO_CQI_MAX; k++) {
            double r_bps = radio_nr_rate_bps(c, k, c->n_prb);
            double thr = radio_db_to_lin(radio_cqi_entry(c->table, k)->sinr_min_db);

            sum += (r_bps - prev_bps) * -expm1(nd * log1p(-exp(-thr / sinr)));
            prev_bps = r_bps;
        }
        return sum;
    }
    for (int i = 0; i < PF_QUAD_POINTS; i++) {
        double u = (i + 0.5) / PF_QUAD_POINTS;
        double x = -log1p(-pow(u, 1.0 / nd));

        sum += radio_link_rate_bps(c, sinr * x, c->n_prb);
    }
    return sum / PF_QUAD_POINTS;
}
