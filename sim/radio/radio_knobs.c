/*
 * radio_knobs.c — the knobs of a scenario's <radio> section, declared once:
 * attribute name, type, unit, default, valid range and help for <radio>,
 * <carrier>, <deployment>, <power-control>, <handover>, <access>, <ue-power>,
 * <ue-group> and its <link>. The scenario loader applies them; a test checks that
 * scenarios/schema.xsd documents each one with the same default and unit.
 *
 * The checks that need more than one value, or the radio model's validity
 * ranges (TS 38.101-1 bandwidths per numerology, TR 38.901 heights and
 * distances), are the *_check functions here; they say what is wrong and
 * the valid range, and the loader prefixes FILE:LINE and the element.
 */
#include "radio/radio_int.h"

#include <string.h>

static const struct core_knob section_knobs[] = {
    {"sample-period", CORE_KNOB_REAL, CORE_DIM_TIME, "1 s", 1e-3, 1e6, NULL,
     offsetof(struct radio_world_config, sample_period_s),
     "Period of the radio_samples rows that coinfer radio records for each UE."},
};

const struct core_knob_table radio_section_knobs = {
    "radio", section_knobs, ARRAY_LEN(section_knobs)
};

static const char *const rate_model_names[] = {"cqi", "shannon", NULL};
static_assert(ARRAY_LEN(rate_model_names) == RADIO_RATE_MODEL_COUNT + 1, "one name each");
static const char *const cqi_table_names[] = {"64qam", "256qam", NULL};
static_assert(ARRAY_LEN(cqi_table_names) == RADIO_CQI_TABLE_COUNT + 1, "one name each");

static const struct core_knob carrier_knobs[] = {
    {"frequency", CORE_KNOB_REAL, CORE_DIM_FREQUENCY, "3.5 GHz", 0.5e9, 100e9, NULL,
     offsetof(struct radio_carrier_config, carrier_hz),
     "Centre frequency of the carrier (the TR 38.901 path-loss models hold from 0.5 to "
     "100 GHz)."},
    {"bandwidth", CORE_KNOB_REAL, CORE_DIM_FREQUENCY, "100 MHz", 5e6, 100e6, NULL,
     offsetof(struct radio_carrier_config, bandwidth_hz),
     "Channel bandwidth: one of the TS 38.101-1 FR1 bandwidths allowed for the subcarrier "
     "spacing."},
    {"scs", CORE_KNOB_REAL, CORE_DIM_FREQUENCY, "30 kHz", 15e3, 60e3, NULL,
     offsetof(struct radio_carrier_config, scs_hz),
     "Subcarrier spacing: 15, 30 or 60 kHz (numerology 0, 1, 2)."},
    {"layers", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 8, NULL,
     offsetof(struct radio_carrier_config, layers),
     "MIMO layers of every link."},
    {"overhead", CORE_KNOB_REAL, CORE_DIM_NONE, "0.14", 0, 0.99, NULL,
     offsetof(struct radio_carrier_config, overhead),
     "Fraction of resources spent on control and reference signals (TS 38.306: 0.14 "
     "downlink, 0.08 uplink in FR1)."},
    {"rate-model", CORE_KNOB_ENUM, CORE_DIM_NONE, "cqi", 0, 0, rate_model_names,
     offsetof(struct radio_carrier_config, rate_model),
     "How SINR becomes a rate: cqi (TS 38.214 CQI table and TS 38.306 rate) or shannon "
     "(Shannon bound with an SNR gap)."},
    {"snr-gap", CORE_KNOB_REAL, CORE_DIM_DB, "0 dB", 0, 30, NULL,
     offsetof(struct radio_carrier_config, snr_gap_db),
     "SNR gap of the Shannon rate model."},
    {"cqi-table", CORE_KNOB_ENUM, CORE_DIM_NONE, "64qam", 0, 0, cqi_table_names,
     offsetof(struct radio_carrier_config, cqi_table),
     "CQI table of TS 38.214: 64qam (table 5.2.2.1-2) or 256qam (table 5.2.2.1-3)."},
};

const struct core_knob_table radio_carrier_knobs = {
    "carrier", carrier_knobs, ARRAY_LEN(carrier_knobs)
};

static const char *const scenario_names[] = {"UMa", "UMi", "InH-mixed", "InH-open", NULL};
static_assert(ARRAY_LEN(scenario_names) == RADIO_SCENARIO_COUNT + 1, "one name each");
static const char *const sched_names[] = {"rr", "pf", NULL};
static_assert(ARRAY_LEN(sched_names) == RADIO_SCHED_COUNT + 1, "one name each");

static const struct core_knob deployment_knobs[] = {
    {"scenario", CORE_KNOB_ENUM, CORE_DIM_NONE, "UMa", 0, 0, scenario_names,
     offsetof(struct radio_deployment_config, scenario),
     "TR 38.901 scenario: UMa (urban macro), UMi (urban micro street canyon), InH-mixed or "
     "InH-open (indoor office)."},
    {"sites", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 3997, NULL,
     offsetof(struct radio_deployment_config, n_sites),
     "Sites on a hexagonal grid: 1, 7, 19, 37, ... (a centre site and whole rings)."},
    {"isd", CORE_KNOB_REAL, CORE_DIM_LENGTH, "500 m", 1, 50000, NULL,
     offsetof(struct radio_deployment_config, isd_m),
     "Inter-site distance of the hexagonal grid."},
    {"sectors", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 3, NULL,
     offsetof(struct radio_deployment_config, n_sectors),
     "Cells per site: 1 (omnidirectional) or 3 (sectors at 30, 150 and 270 degrees)."},
    {"bs-height", CORE_KNOB_REAL, CORE_DIM_LENGTH, "0 m", 0, 150, NULL,
     offsetof(struct radio_deployment_config, bs_height_m),
     "BS antenna height; 0 takes the scenario's (25 m UMa, 10 m UMi, 3 m InH)."},
    {"ue-height", CORE_KNOB_REAL, CORE_DIM_LENGTH, "1.5 m", 1, 22.5, NULL,
     offsetof(struct radio_deployment_config, ue_height_m),
     "UE antenna height (TR 38.901: 1.5 to 22.5 m outdoors, 1 to 2.5 m indoors)."},
    {"gnb-power", CORE_KNOB_REAL, CORE_DIM_POWER_DBM, "46 dBm", -30, 80, NULL,
     offsetof(struct radio_deployment_config, gnb_power_dbm),
     "Total transmit power of each cell, spread evenly over its PRBs."},
    {"ue-noise-figure", CORE_KNOB_REAL, CORE_DIM_DB, "9 dB", 0, 30, NULL,
     offsetof(struct radio_deployment_config, ue_noise_figure_db),
     "Noise figure of the UE receiver."},
    {"gnb-noise-figure", CORE_KNOB_REAL, CORE_DIM_DB, "5 dB", 0, 30, NULL,
     offsetof(struct radio_deployment_config, gnb_noise_figure_db),
     "Noise figure of the gNB receiver."},
    {"scheduler", CORE_KNOB_ENUM, CORE_DIM_NONE, "rr", 0, 0, sched_names,
     offsetof(struct radio_deployment_config, scheduler),
     "How a cell shares its PRBs among active transfers: rr (round robin) or pf "
     "(proportional fair with multiuser diversity gain)."},
    {"load", CORE_KNOB_REAL, CORE_DIM_NONE, "0.5", 0, 1, NULL,
     offsetof(struct radio_deployment_config, load),
     "Fraction of PRBs the other cells occupy: scales the interference they cause."},
    {"ul-iot", CORE_KNOB_REAL, CORE_DIM_DB, "3 dB", 0, 30, NULL,
     offsetof(struct radio_deployment_config, ul_iot_db),
     "Uplink interference over thermal from other cells' UEs when those cells are fully "
     "loaded."},
    {"shadowing", CORE_KNOB_BOOL, CORE_DIM_NONE, "true", 0, 0, NULL,
     offsetof(struct radio_deployment_config, shadowing),
     "Log-normal shadowing, correlated along each UE's path (TR 38.901 deviations)."},
    {"fading", CORE_KNOB_BOOL, CORE_DIM_NONE, "true", 0, 0, NULL,
     offsetof(struct radio_deployment_config, fading),
     "Small-scale fading of the serving link (Rayleigh, or Rician on LOS links)."},
    {"ue-interference", CORE_KNOB_BOOL, CORE_DIM_NONE, "false", 0, 0, NULL,
     offsetof(struct radio_deployment_config, ue_interference),
     "Uplink interference from the other cells' UEs that are transmitting (each at its "
     "power-controlled power on its share of its cell's PRBs, over its coupling loss to this "
     "cell) instead of ul-iot scaled by load."},
};

const struct core_knob_table radio_deployment_knobs = {
    "deployment", deployment_knobs, ARRAY_LEN(deployment_knobs)
};

static const struct core_knob pc_knobs[] = {
    {"p0", CORE_KNOB_REAL, CORE_DIM_POWER_DBM, "-90 dBm", -202, 24, NULL,
     offsetof(struct radio_pc_config, p0_dbm),
     "Nominal uplink power per 15 kHz PRB (TS 38.213 P0)."},
    {"alpha", CORE_KNOB_REAL, CORE_DIM_NONE, "0.8", 0, 1, NULL,
     offsetof(struct radio_pc_config, alpha),
     "Fraction of the path loss the uplink power compensates."},
    {"ue-max-power", CORE_KNOB_REAL, CORE_DIM_POWER_DBM, "23 dBm", -40, 33, NULL,
     offsetof(struct radio_pc_config, p_max_dbm),
     "Maximum UE output power (23 dBm: power class 3)."},
};

const struct core_knob_table radio_pc_knobs = {
    "power-control", pc_knobs, ARRAY_LEN(pc_knobs)
};

static const struct core_knob handover_knobs[] = {
    {"hysteresis", CORE_KNOB_REAL, CORE_DIM_DB, "3 dB", 0, 30, NULL,
     offsetof(struct radio_handover_config, hysteresis_db),
     "How much stronger a neighbour's RSRP must be than the serving cell's."},
    {"ttt", CORE_KNOB_REAL, CORE_DIM_TIME, "160 ms", 0, 60, NULL,
     offsetof(struct radio_handover_config, time_to_trigger_s),
     "How long the neighbour must stay stronger by the hysteresis before the handover."},
};

const struct core_knob_table radio_handover_knobs = {
    "handover", handover_knobs, ARRAY_LEN(handover_knobs)
};

static const char *const ul_access_names[] = {"dynamic", "configured", "none", NULL};
static_assert(ARRAY_LEN(ul_access_names) == RADIO_UL_ACCESS_COUNT + 1, "one name each");
static const char *const dl_access_names[] = {"scheduled", "none", NULL};
static_assert(ARRAY_LEN(dl_access_names) == RADIO_DL_ACCESS_COUNT + 1, "one name each");

#define ACC(f) offsetof(struct radio_access_config, f)

static const struct core_knob access_knobs[] = {
    {"uplink", CORE_KNOB_ENUM, CORE_DIM_NONE, "dynamic", 0, 0, ul_access_names, ACC(uplink),
     "How an uplink transfer gets on the air: dynamic (a scheduling request at the UE's next SR "
     "opportunity, TS 38.213 clause 9.2.4; the grant in the next slot; the PUSCH k2 slots "
     "later, TS 38.214 clause 6.1.2.1), configured (at the UE's next configured-grant "
     "occasion, no SR; TS 38.331 ConfiguredGrantConfig) or none (at once)."},
    {"sr-period", CORE_KNOB_INT, CORE_DIM_NONE, "10", 1, 640, NULL, ACC(sr_period_slots),
     "Scheduling-request periodicity, in slots of the carrier's numerology (TS 38.331 "
     "SchedulingRequestResourceConfig allows 1 to 640 slots; 10 slots, 5 ms at 30 kHz, is "
     "assumed); each UE's SR offset is its index modulo the period."},
    {"cg-period", CORE_KNOB_INT, CORE_DIM_NONE, "2", 1, 640, NULL, ACC(cg_period_slots),
     "Configured-grant periodicity, in slots (TS 38.331 ConfiguredGrantConfig; 2 slots "
     "assumed); each UE's offset is its index modulo the period."},
    {"k2", CORE_KNOB_INT, CORE_DIM_NONE, "-1", -1, 32, NULL, ACC(k2_slots),
     "Slots from an uplink grant to its PUSCH (TS 38.214 clause 6.1.2.1: 0 to 32); -1: the j "
     "of TS 38.214 table 6.1.2.1.1-4, the default table's first entry: 1 slot at 15 and 30 "
     "kHz, 2 at 60 kHz. Also sets the uplink HARQ round trip, 1 + k2 slots."},
    {"downlink", CORE_KNOB_ENUM, CORE_DIM_NONE, "scheduled", 0, 0, dl_access_names,
     ACC(downlink),
     "How a downlink transfer gets on the air: scheduled (at the next slot boundary, the "
     "PDSCH k0 slots after its PDCCH) or none (at once)."},
    {"k0", CORE_KNOB_INT, CORE_DIM_NONE, "0", 0, 32, NULL, ACC(k0_slots),
     "Slots from a downlink assignment to its PDSCH (TS 38.214 clause 5.1.2.1; 0 in the "
     "default table A, table 5.1.2.1.1-2)."},
    {"k1", CORE_KNOB_INT, CORE_DIM_NONE, "-1", -1, 15, NULL, ACC(k1_slots),
     "Slots from a PDSCH to its HARQ-ACK (TS 38.213 clause 9.2.3, dl-DataToUL-ACK: up to 15); "
     "-1: the earliest the UE's processing allows, ceil(N1 / 14) with N1 of TS 38.214 table "
     "5.3-1 (8, 10, 17 symbols at 15, 30, 60 kHz): 1, 1, 2 slots. The downlink HARQ round "
     "trip is k1 + 1 + k0 slots."},
    {"bler", CORE_KNOB_REAL, CORE_DIM_NONE, "0.1", 0, 1, NULL, ACC(bler),
     "Probability that one transmission of a transfer fails and is retransmitted one HARQ "
     "round trip later (the 10 % block error rate TS 38.214 clause 5.2.2.1 picks the CQI "
     "for); 0: no retransmissions; 1: every transfer takes max-retx of them."},
    {"max-retx", CORE_KNOB_INT, CORE_DIM_NONE, "4", 0, 32, NULL, ACC(max_retx),
     "HARQ retransmissions of a transfer at most (NR leaves the number to the gNB; LTE's "
     "default maxHARQ-Tx n5 of TS 36.331 allows 4); 0: none."},
};

const struct core_knob_table radio_access_knobs = {
    "access", access_knobs, ARRAY_LEN(access_knobs)
};

#define PWR(f) offsetof(struct radio_power_model, f)

static const struct core_knob ue_power_knobs[] = {
    {"on-power", CORE_KNOB_REAL, CORE_DIM_POWER, "1.288 W", 0, 10, NULL, PWR(p_on_w),
     "Base power of a UE's radio while it has at least one transfer (RRC_CONNECTED), drawn "
     "once however many it has and split equally among them (Huang et al., MobiSys 2012, LTE: "
     "1288 mW)."},
    {"pa-efficiency", CORE_KNOB_REAL, CORE_DIM_NONE, "0.3", 0.01, 1, NULL, PWR(pa_efficiency),
     "Radiated over drawn power of the UE's power amplifier, which an uplink transfer adds "
     "(a handset PA near full output; assumed)."},
    {"rx-power", CORE_KNOB_REAL, CORE_DIM_POWER, "0.1 W", 0, 10, NULL, PWR(p_rx_w),
     "Extra power of a downlink transfer, for the receive chain and decoding (Jensen et al., "
     "IEEE VTC-Fall 2012: tens to a hundred mW)."},
    {"tail", CORE_KNOB_REAL, CORE_DIM_TIME, "0 s", 0, 3600, NULL, PWR(tail_s),
     "RRC tail: how long a UE stays connected after its last transfer ends (the inactivity "
     "timer), charged to the transfer that ended last; 0: no tail. Huang et al., MobiSys "
     "2012, measured 11.576 s on LTE."},
    {"tail-power", CORE_KNOB_REAL, CORE_DIM_POWER, "1.06 W", 0, 10, NULL, PWR(p_tail_w),
     "Power during the RRC tail, at most on-power (Huang et al., MobiSys 2012, LTE: 1060 mW)."},
};

const struct core_knob_table radio_ue_power_knobs = {
    "ue-power", ue_power_knobs, ARRAY_LEN(ue_power_knobs)
};

static const char *const link_mode_names[] = {"nr", "fixed", NULL};
static_assert(ARRAY_LEN(link_mode_names) == RADIO_LINK_MODE_COUNT + 1, "one name each");

#define LNK(f) offsetof(struct radio_link_config, f)

static const struct core_knob link_knobs[] = {
    {"mode", CORE_KNOB_ENUM, CORE_DIM_NONE, "nr", 0, 0, link_mode_names, LNK(mode),
     "How the group's transfers travel: nr (the NR cell: channel, PRB sharing, access, HARQ, "
     "backhaul) or fixed (a dedicated link per UE at ul-rate and dl-rate with a one-way "
     "latency, bypassing the NR physical layer, for Neurosurgeon-style experiments)."},
    {"ul-rate", CORE_KNOB_REAL, CORE_DIM_BITRATE, "0", 0, 1e15, NULL, LNK(ul_rate_bps),
     "Fixed link: uplink rate of each UE's own link, in bits or bytes per second (its "
     "concurrent uploads share it equally); positive when mode is fixed."},
    {"dl-rate", CORE_KNOB_REAL, CORE_DIM_BITRATE, "0", 0, 1e15, NULL, LNK(dl_rate_bps),
     "Fixed link: downlink rate of each UE's own link; positive when mode is fixed."},
    {"latency", CORE_KNOB_REAL, CORE_DIM_TIME, "0 s", 0, 10, NULL, LNK(latency_s),
     "Fixed link: one-way latency between the UE and the edge node, added to every transfer "
     "after its bytes (no backhaul on top)."},
};

const struct core_knob_table radio_link_knobs = {"link", link_knobs, ARRAY_LEN(link_knobs)};

enum core_rc radio_link_config_check(const struct radio_link_config *l, struct core_err *e)
{
    if (l->mode != RADIO_LINK_FIXED)
        return CORE_OK;
    if (!(l->ul_rate_bps > 0.0))
        return core_err(e, CORE_E_INPUT, "attribute 'ul-rate': a fixed link needs a positive "
                                         "uplink rate");
    if (!(l->dl_rate_bps > 0.0))
        return core_err(e, CORE_E_INPUT, "attribute 'dl-rate': a fixed link needs a positive "
                                         "downlink rate");
    return CORE_OK;
}

static const char *const placement_names[] = {"uniform-cell", "disc", "positions", NULL};
static_assert(ARRAY_LEN(placement_names) == RADIO_PLACE_COUNT + 1, "one name each");
static const char *const mobility_names[] = {"static", "line", "random-waypoint", NULL};
static_assert(ARRAY_LEN(mobility_names) == RADIO_MOBILITY_COUNT + 1, "one name each");

static const struct core_knob group_knobs[] = {
    {"count", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 1000000, NULL,
     offsetof(struct radio_ue_group_config, n_ues),
     "Number of UEs in the group."},
    {"placement", CORE_KNOB_ENUM, CORE_DIM_NONE, "uniform-cell", 0, 0, placement_names,
     offsetof(struct radio_ue_group_config, placement),
     "Where the UEs start: uniform-cell (UE k uniformly in cell k mod the number of cells), "
     "disc (uniformly in the disc x, y, radius) or positions (the <position> children)."},
    {"x", CORE_KNOB_REAL, CORE_DIM_LENGTH, "0 m", -1e6, 1e6, NULL,
     offsetof(struct radio_ue_group_config, x_m),
     "x of the disc's centre (disc placement, and the random waypoints' area)."},
    {"y", CORE_KNOB_REAL, CORE_DIM_LENGTH, "0 m", -1e6, 1e6, NULL,
     offsetof(struct radio_ue_group_config, y_m),
     "y of the disc's centre (disc placement, and the random waypoints' area)."},
    {"radius", CORE_KNOB_REAL, CORE_DIM_LENGTH, "0 m", 0, 1e6, NULL,
     offsetof(struct radio_ue_group_config, radius_m),
     "Radius of the disc; 0 takes the disc around the centre site that covers every cell."},
    {"mobility", CORE_KNOB_ENUM, CORE_DIM_NONE, "static", 0, 0, mobility_names,
     offsetof(struct radio_ue_group_config, mobility),
     "How the UEs move: static, line (each UE straight on at its own random heading and "
     "speed) or random-waypoint (in the disc)."},
    {"speed-min", CORE_KNOB_REAL, CORE_DIM_SPEED, "3 km/h", 0, 150, NULL,
     offsetof(struct radio_ue_group_config, speed_min_mps),
     "Lowest speed: each line UE's speed, and each random-waypoint leg's, is drawn uniformly "
     "between speed-min and speed-max from the UE's own random stream."},
    {"speed-max", CORE_KNOB_REAL, CORE_DIM_SPEED, "3 km/h", 0, 150, NULL,
     offsetof(struct radio_ue_group_config, speed_max_mps),
     "Highest speed (at least speed-min)."},
    {"pause", CORE_KNOB_REAL, CORE_DIM_TIME, "0 s", 0, 1e6, NULL,
     offsetof(struct radio_ue_group_config, pause_s),
     "Pause at each random waypoint."},
    {"uplink-bytes", CORE_KNOB_REAL, CORE_DIM_BYTES, "0 B", 0, 1e12, NULL,
     offsetof(struct radio_ue_group_config, ul_bytes),
     "Traffic: bytes each request uploads (0: no upload)."},
    {"downlink-bytes", CORE_KNOB_REAL, CORE_DIM_BYTES, "0 B", 0, 1e12, NULL,
     offsetof(struct radio_ue_group_config, dl_bytes),
     "Traffic: bytes each request downloads after its upload (0: no download)."},
    {"request-rate", CORE_KNOB_REAL, CORE_DIM_FREQUENCY, "0 Hz", 0, 1e6, NULL,
     offsetof(struct radio_ue_group_config, request_rate_hz),
     "Traffic: requests per second of each UE, a Poisson process (0: no traffic)."},
};

const struct core_knob_table radio_ue_group_knobs = {
    "ue-group", group_knobs, ARRAY_LEN(group_knobs)
};

enum core_rc radio_world_config_defaults(struct radio_world_config *cfg, struct core_err *e)
{
    enum core_rc rc;

    memset(cfg, 0, sizeof(*cfg));
    rc = core_knobs_defaults(&radio_section_knobs, cfg, e);
    if (rc == CORE_OK)
        rc = core_knobs_defaults(&radio_carrier_knobs, &cfg->carrier, e);
    if (rc == CORE_OK)
        rc = core_knobs_defaults(&radio_deployment_knobs, &cfg->deploy, e);
    if (rc == CORE_OK)
        rc = core_knobs_defaults(&radio_pc_knobs, &cfg->pc, e);
    if (rc == CORE_OK)
        rc = core_knobs_defaults(&radio_handover_knobs, &cfg->ho, e);
    if (rc == CORE_OK)
        rc = core_knobs_defaults(&radio_access_knobs, &cfg->access, e);
    if (rc == CORE_OK)
        rc = core_knobs_defaults(&radio_ue_power_knobs, &cfg->power, e);
    return rc;
}

enum core_rc radio_carrier_from_config(const struct radio_carrier_config *c,
                                       struct radio_carrier *out, struct core_err *e)
{
    return radio_carrier_init(out, c->scs_hz, c->bandwidth_hz, (uint32_t)c->layers, c->overhead,
                              (enum radio_cqi_table)c->cqi_table,
                              c->rate_model == RADIO_RATE_SHANNON, c->snr_gap_db, e);
}

enum core_rc radio_carrier_config_check(const struct radio_carrier_config *c,
                                        struct core_err *e)
{
    struct radio_carrier car;

    return radio_carrier_from_config(c, &car, e);
}

static bool is_indoor(enum radio_scenario sc)
{
    return sc == RADIO_SCENARIO_INH_MIXED || sc == RADIO_SCENARIO_INH_OPEN;
}

double radio_bs_height_m(const struct radio_deployment_config *d)
{
    return d->bs_height_m > 0.0 ? d->bs_height_m
                                : radio_default_h_bs_m((enum radio_scenario)d->scenario);
}

void radio_d2d_range_m(const struct radio_deployment_config *d, double *min_m, double *max_m)
{
    if (is_indoor((enum radio_scenario)d->scenario)) {
        double dh_m = fabs(radio_bs_height_m(d) - d->ue_height_m);

        *min_m = dh_m >= 1.0 ? 0.0 : sqrt(1.0 - dh_m * dh_m);
        *max_m = dh_m >= 150.0 ? 0.0 : sqrt(150.0 * 150.0 - dh_m * dh_m);
        return;
    }
    *min_m = 10.0;
    *max_m = 5000.0;
}

double radio_cell_edge_m(const struct radio_deployment_config *d)
{
    if (d->n_sectors == 3)
        return 2.0 * d->isd_m / 3.0;
    return d->isd_m / sqrt(3.0);
}

enum core_rc radio_deployment_config_check(const struct radio_deployment_config *d,
                                           struct core_err *e)
{
    enum radio_scenario sc = (enum radio_scenario)d->scenario;
    double h_bs_m = radio_bs_height_m(d), min_m, max_m;
    uint32_t rings = 0;

    while (rings <= RADIO_MAX_RINGS && radio_hex_site_count(rings) < (size_t)d->n_sites)
        rings++;
    if (rings > RADIO_MAX_RINGS || radio_hex_site_count(rings) != (size_t)d->n_sites)
        return core_err(e, CORE_E_INPUT,
                        "attribute 'sites': %ld is not a hexagonal count 1 + 3 k (k + 1) (1, 7, "
                        "19, 37, 61, 91, ..., %zu)",
                        d->n_sites, radio_hex_site_count(RADIO_MAX_RINGS));
    if (d->n_sectors != 1 && d->n_sectors != 3)
        return core_err(e, CORE_E_INPUT, "attribute 'sectors': %ld is not 1 or 3",
                        d->n_sectors);
    if (is_indoor(sc)) {
        if (d->ue_height_m > 2.5)
            return core_err(e, CORE_E_INPUT,
                            "attribute 'ue-height': %g m is outside the %s range [1, 2.5] m",
                            d->ue_height_m, scenario_names[sc]);
    } else {
        if (d->ue_height_m < 1.5)
            return core_err(e, CORE_E_INPUT,
                            "attribute 'ue-height': %g m is outside the %s range [1.5, 22.5] m",
                            d->ue_height_m, scenario_names[sc]);
        if (h_bs_m <= d->ue_height_m)
            return core_err(e, CORE_E_INPUT,
                            "attribute 'bs-height': %g m must be above the UE height (%g m)",
                            h_bs_m, d->ue_height_m);
    }
    radio_d2d_range_m(d, &min_m, &max_m);
    if (radio_cell_edge_m(d) > max_m)
        return core_err(e, CORE_E_INPUT,
                        "attribute 'isd': %g m puts the cell edge %g m from its site, beyond "
                        "the %s path-loss range of %g m (isd at most %g m with %ld sector%s)",
                        d->isd_m, radio_cell_edge_m(d), scenario_names[sc], max_m,
                        d->n_sectors == 3 ? max_m * 1.5 : max_m * sqrt(3.0), d->n_sectors,
                        d->n_sectors == 1 ? "" : "s");
    if (radio_cell_edge_m(d) <= 2.0 * min_m)
        return core_err(e, CORE_E_INPUT,
                        "attribute 'isd': %g m leaves no room for UEs outside the %s minimum "
                        "distance of %g m",
                        d->isd_m, scenario_names[sc], min_m);
    return CORE_OK;
}

enum core_rc radio_ue_group_config_check(const struct radio_ue_group_config *g,
                                         struct core_err *e)
{
    if (g->speed_min_mps > g->speed_max_mps)
        return core_err(e, CORE_E_INPUT,
                        "attribute 'speed-min': %g m/s must not exceed 'speed-max' (%g m/s)",
                        g->speed_min_mps, g->speed_max_mps);
    if (g->mobility != RADIO_MOBILITY_STATIC && g->speed_min_mps <= 0.0)
        return core_err(e, CORE_E_INPUT,
                        "attribute 'speed-min': a moving UE needs a positive speed (got %g m/s)",
                        g->speed_min_mps);
    return CORE_OK;
}
