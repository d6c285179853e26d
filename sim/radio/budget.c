/*
 * budget.c — the link budget of one cell: what a lone UE on the first
 * cell's boresight sees at a given distance, without fading, shadowing or
 * interference (radio.h, struct radio_budget_row). The path loss is the
 * TR 38.901 one of the deployment, LOS and NLOS, and their mix weighted by
 * the LOS probability drives the SINR; the RRM's logic (radio_rrm_query with
 * one cell) turns it into SINR, CQI and rates exactly as the world does.
 */
#include "radio/radio_int.h"

enum core_rc radio_link_budget(const struct radio_world_config *cfg, double distance_m,
                               struct radio_budget_row *row, struct core_err *e)
{
    const struct radio_deployment_config *d = &cfg->deploy;
    enum radio_scenario sc = (enum radio_scenario)d->scenario;
    struct radio_carrier carrier;
    struct radio_rrm_reply rep;
    double min_m, max_m, cl_db, zero = 0.0;
    struct radio_pl_args a = {
        .scenario = sc,
        .carrier_hz = cfg->carrier.carrier_hz,
        .d2d_m = distance_m,
        .h_bs_m = radio_bs_height_m(d),
        .h_ut_m = d->ue_height_m,
        .h_e_m = 1.0,
    };
    enum core_rc rc = radio_carrier_config_check(&cfg->carrier, e);

    if (rc == CORE_OK)
        rc = radio_deployment_config_check(d, e);
    if (rc == CORE_OK)
        rc = radio_carrier_from_config(&cfg->carrier, &carrier, e);
    if (rc != CORE_OK)
        return rc;
    radio_d2d_range_m(d, &min_m, &max_m);
    if (!(distance_m >= min_m && distance_m <= max_m))
        return core_err(e, CORE_E_INPUT,
                        "distance %g m is outside the %s path-loss range [%g, %g] m", distance_m,
                        radio_scenario_name(sc), min_m, max_m);
    row->distance_m = distance_m;
    row->los_probability = radio_los_probability(sc, distance_m, d->ue_height_m);
    a.los = true;
    rc = radio_pathloss_db(&a, &row->pathloss_los_db, e);
    a.los = false;
    if (rc == CORE_OK)
        rc = radio_pathloss_db(&a, &row->pathloss_nlos_db, e);
    if (rc != CORE_OK)
        return rc;
    cl_db = row->los_probability * row->pathloss_los_db +
            (1.0 - row->los_probability) * row->pathloss_nlos_db -
            radio_antenna_gain_db((uint32_t)d->n_sectors, 0,
                                  radio_sector_boresight_rad((uint32_t)d->n_sectors, 0));
    struct radio_rrm_request req = {
        .carrier = &carrier,
        .n_cells = 1,
        .serving = 0,
        .coupling_loss_db = &cl_db,
        .dl_load = &zero,
        .ul_load = &zero,
        .gnb_power_dbm = d->gnb_power_dbm,
        .ul_pc = {cfg->pc.p_max_dbm, cfg->pc.p0_dbm, cfg->pc.alpha},
        .ue_noise_figure_db = d->ue_noise_figure_db,
        .gnb_noise_figure_db = d->gnb_noise_figure_db,
        .ul_iot_db = d->ul_iot_db,
        .sched = (enum radio_sched)d->scheduler,
    };

    rc = radio_rrm_query(&req, &rep, e);
    if (rc != CORE_OK)
        return rc;
    row->ul_sinr_db = rep.ul_sinr_db;
    row->dl_sinr_db = rep.dl_sinr_db;
    row->ul_cqi = rep.ul_cqi;
    row->dl_cqi = rep.dl_cqi;
    row->ul_rate_bps = rep.ul_full_rate_bps;
    row->dl_rate_bps = rep.dl_full_rate_bps;
    return CORE_OK;
}
