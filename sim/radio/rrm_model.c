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

enum core_rc radio_rrm_query(const struct radio_rrm_request *req, struct radio_rrm_reply *rep,
                             struct core_err *e)
{
    const struct radio_carrier *c = req->carrier;
    double interf_dbm[RADIO_RRM_MAX_CELLS], load[RADIO_RRM_MAX_CELLS];
    size_t n_int = 0;
    double ul_load_sum = 0.0;

    if (req->n_cells == 0 || req->n_cells > RADIO_RRM_MAX_CELLS)
        return core_err(e, CORE_E_INPUT, "%zu cells is out of range [1, %d]", req->n_cells,
                        RADIO_RRM_MAX_CELLS);
    if (req->serving >= req->n_cells)
        return core_err(e, CORE_E_INPUT, "serving cell %u is out of range [0, %zu]",
                        (unsigned)req->serving, req->n_cells - 1);

    double prb_bw_hz = 12.0 * c->scs_hz;
    double p_prb_dbm = radio_dl_prb_power_dbm(req->gnb_power_dbm, c->n_prb);
    double cl_db = req->coupling_loss_db[req->serving];

    for (size_t i = 0; i < req->n_cells; i++) {
        if (i == req->serving)
            continue;
        interf_dbm[n_int] = p_prb_dbm - req->coupling_loss_db[i];
        load[n_int] = req->dl_load[i];
        ul_load_sum += req->ul_load[i];
        n_int++;
    }
    double dl_sinr = radio_sinr(p_prb_dbm - cl_db,
                                radio_noise_dbm(prb_bw_hz, req->ue_noise_figure_db),
                                interf_dbm, load, n_int);

    double ul_p_dbm = radio_ul_tx_power_dbm(&req->ul_pc, c->mu, c->n_prb, cl_db);
    double ul_noise_w = radio_dbm_to_w(radio_noise_dbm(prb_bw_hz, req->gnb_noise_figure_db));
    double ul_mean_load = n_int ? ul_load_sum / (double)n_int : 0.0;
    double ul_interf_w = ul_noise_w * (radio_db_to_lin(req->ul_iot_db) - 1.0) * ul_mean_load;
    double peak_bps = radio_nr_rate_bps(c, RADIO_CQI_MAX, c->n_prb);

    rep->ul_link = (struct radio_ul_link){
        .carrier = c,
        .p_prb_w = radio_dbm_to_w(req->ul_pc.p0_dbm + 10.0 * log10(ldexp(1.0, (int)c->mu)) +
                                  req->ul_pc.alpha * cl_db),
        .p_max_w = radio_dbm_to_w(req->ul_pc.p_max_dbm),
        .gain_per_w = radio_db_to_lin(-cl_db) / (ul_noise_w + ul_interf_w),
    };
    double ul_sinr = radio_ul_link_sinr(&rep->ul_link, (double)c->n_prb, NULL);

    rep->dl_sinr_db = radio_lin_to_db(dl_sinr);
    rep->ul_sinr_db = radio_lin_to_db(ul_sinr);
    rep->dl_cqi = radio_cqi_from_sinr(c->table, rep->dl_sinr_db);
    rep->ul_cqi = radio_cqi_from_sinr(c->table, rep->ul_sinr_db);
    rep->dl_full_rate_bps = radio_link_rate_bps(c, dl_sinr, c->n_prb);
    rep->ul_full_rate_bps = radio_link_rate_bps(c, ul_sinr, c->n_prb);
    rep->dl_rate_bps =
        radio_sched_share_bps(req->sched, rep->dl_full_rate_bps, req->dl_active + 1, peak_bps);
    {
        size_t n = req->ul_active + 1;

        rep->ul_rate_bps = radio_sched_share_bps(
            req->sched,
            radio_ul_link_rate_bps(&rep->ul_link, (double)c->n_prb / (double)n, NULL), n,
            peak_bps);
    }
    rep->ul_tx_power_dbm = ul_p_dbm;
    return CORE_OK;
}
