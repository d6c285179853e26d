/*
 * rrm_model.c — the RRM's logic: for one UE, the uplink and downlink SINR,
 * CQI and expected rates under the cells' current load, from the same
 * coupling losses (path loss + shadowing - antenna gain - fading) that the
 * transfers use. A plain request -> reply function; proto/ carries the
 * messages.
 *
 * Downlink per PRB: S = P_PRB - CL_serving, I = sum over other cells of
 * load_c (P_PRB - CL_c) in linear units, N = -174 + 10 log10(12 SCS) + NF_UE.
 * Uplink: the UE power-controls on the whole band against its serving cell's
 * coupling loss (as path loss), S = P_UE - 10 log10(N_PRB) - CL per PRB,
 * N = -174 + 10 log10(12 SCS) + NF_gNB, and the other cells' UEs add
 * interference N (10^(IoT/10) - 1) times the mean UL load of the other cells
 * (no other cell: none). Rates: the carrier's rate on all PRBs at that SINR,
 * and the flows model's share with one more flow in the cell: the
 * downlink's a time share of the full-band rate, the uplink's on its
 * N_PRB / (n + 1) PRBs, power-controlled on those (radio_ul_link_rate_bps).
 */
#include "radio/radio_int.h"

void radio_rrm_other_cells(const struct radio_rrm_request *req, double *dl_interf_w,
                           double *ul_load_sum)
{
    const struct radio_carrier *c = req->carrier;
    double p_prb_dbm = radio_dl_prb_power_dbm(req->gnb_power_dbm, c->n_prb);

    *dl_interf_w = 0.0;
    *ul_load_sum = 0.0;
    for (size_t i = 0; i < req->n_cells; i++) {
        if (i == req->serving)
            continue;
        CORE_ASSERT(req->dl_load[i] >= 0.0 && req->dl_load[i] <= 1.0);
        *dl_interf_w += req->dl_load[i] * radio_dbm_to_w(p_prb_dbm - req->coupling_loss_db[i]);
        *ul_load_sum += req->ul_load[i];
    }
}

void radio_rrm_consts_init(const struct radio_rrm_request *req, struct radio_rrm_consts *k)
{
    const struct radio_carrier *c = req->carrier;
    double prb_bw_hz = 12.0 * c->scs_hz;

    k->p_prb_dbm = radio_dl_prb_power_dbm(req->gnb_power_dbm, c->n_prb);
    k->ue_noise_w = radio_dbm_to_w(radio_noise_dbm(prb_bw_hz, req->ue_noise_figure_db));
    k->gnb_noise_w = radio_dbm_to_w(radio_noise_dbm(prb_bw_hz, req->gnb_noise_figure_db));
    k->iot_factor = radio_db_to_lin(req->ul_iot_db) - 1.0;
    k->p_max_w = radio_dbm_to_w(req->ul_pc.p_max_dbm);
    k->p0_prb_dbm = req->ul_pc.p0_dbm + 10.0 * log10(ldexp(1.0, (int)c->mu));
    k->p0_band_dbm = req->ul_pc.p0_dbm + 10.0 * log10(ldexp((double)c->n_prb, (int)c->mu));
}

enum core_rc radio_rrm_query(const struct radio_rrm_request *req, struct radio_rrm_reply *rep,
                             struct core_err *e)
{
    struct radio_rrm_consts own;
    const struct radio_rrm_consts *k = req->consts;
    const struct radio_carrier *c = req->carrier;

    if (req->n_cells == 0 || req->n_cells > RADIO_RRM_MAX_CELLS)
        return core_err(e, CORE_E_INPUT, "%zu cells is out of range [1, %d]", req->n_cells,
                        RADIO_RRM_MAX_CELLS);
    if (req->serving >= req->n_cells)
        return core_err(e, CORE_E_INPUT, "serving cell %u is out of range [0, %zu]",
                        (unsigned)req->serving, req->n_cells - 1);

    if (!k) {
        radio_rrm_consts_init(req, &own);
        k = &own;
    }
    double cl_db = req->coupling_loss_db[req->serving];
    double dl_interf_w = req->dl_interf_w, ul_load_sum = req->ul_load_sum;
    size_t n_int = req->n_cells - 1;

    if (!req->others_given)
        radio_rrm_other_cells(req, &dl_interf_w, &ul_load_sum);
    double dl_sinr = radio_dbm_to_w(k->p_prb_dbm - cl_db) / (k->ue_noise_w + dl_interf_w);

    double ul_p_dbm = k->p0_band_dbm + req->ul_pc.alpha * cl_db;
    double ul_noise_w = k->gnb_noise_w;
    double ul_mean_load = n_int ? ul_load_sum / (double)n_int : 0.0;
    double ul_interf_w = req->ul_interf_given ? req->ul_interf_prb_w
                                              : ul_noise_w * k->iot_factor * ul_mean_load;

    if (ul_p_dbm >= req->ul_pc.p_max_dbm)
        ul_p_dbm = req->ul_pc.p_max_dbm; /* radio_ul_tx_power_dbm's cap */
    rep->ul_link = (struct radio_ul_link){
        .carrier = c,
        .p_prb_w = radio_dbm_to_w(k->p0_prb_dbm + req->ul_pc.alpha * cl_db),
        .p_max_w = k->p_max_w,
        .gain_per_w = radio_db_to_lin(-cl_db) / (ul_noise_w + ul_interf_w),
    };
    double ul_sinr = radio_ul_link_sinr(&rep->ul_link, (double)c->n_prb, NULL);

    rep->dl_sinr_db = radio_lin_to_db(dl_sinr);
    rep->ul_sinr_db = radio_lin_to_db(ul_sinr);
    rep->dl_cqi = radio_cqi_from_sinr(c->table, rep->dl_sinr_db);
    rep->ul_cqi = radio_cqi_from_sinr(c->table, rep->ul_sinr_db);
    rep->dl_full_rate_bps = radio_link_rate_bps(c, dl_sinr, c->n_prb);
    rep->ul_full_rate_bps = radio_link_rate_bps(c, ul_sinr, c->n_prb);
    rep->dl_sinr = dl_sinr;
    rep->ul_tx_power_dbm = ul_p_dbm;
    rep->ul_delay_s = 0.0;
    rep->dl_delay_s = 0.0;
    rep->fixed_link = false;
    radio_rrm_share(req, rep);
    return CORE_OK;
}

void radio_rrm_share(const struct radio_rrm_request *req, struct radio_rrm_reply *rep)
{
    const struct radio_carrier *c = req->carrier;
    double dl_sinr = rep->dl_sinr;
    size_t n_dl = req->dl_active + 1, n_ul = req->ul_active + 1;
    double m_prb = (double)c->n_prb / (double)n_ul;

    if (req->sched == RADIO_SCHED_PF && req->pf_rayleigh) {
        rep->dl_rate_bps = radio_pf_rate_bps(c, dl_sinr, n_dl) / (double)n_dl;
        rep->ul_rate_bps =
            radio_pf_rate_bps(c, radio_ul_link_sinr(&rep->ul_link, m_prb, NULL), n_ul) /
            (double)n_ul;
    } else {
        rep->dl_rate_bps = rep->dl_full_rate_bps / (double)n_dl;
        rep->ul_rate_bps = radio_ul_link_rate_bps(&rep->ul_link, m_prb, NULL) / (double)n_ul;
    }
}
