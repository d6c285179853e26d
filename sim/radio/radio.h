/*
 * radio.h — the whole public face of sim/radio: the physics of a 5G NR cell,
 * event-free. Site and sector geometry, UE placement, 3GPP TR 38.901 path
 * loss and LOS probability, spatially correlated shadowing, Doppler-correlated
 * small-scale fading, noise, power control and SINR, the TS 38.214 CQI tables,
 * NR link rates and a Shannon mode, flow-level sharing of a cell's PRBs
 * (event-driven processor sharing), the UE's radio energy (its base power
 * and RRC tail, once per UE: ledger.c) and the RRM's logic.
 *
 * Mobility (static, straight line, random waypoint) and handover with
 * hysteresis and time-to-trigger are here too.
 *
 * Apart from the radio world at the end (world.c), nothing here schedules
 * events: each piece is a plain function or a small data structure that the
 * caller drives at the times it chooses, for example every
 * radio_fading_coherence_s() for the fading. The world puts them all on the
 * event engine for proto/ and `coinfer radio`; its configuration is the
 * scenario's <radio> section, whose knobs are declared here too.
 * Every quantity is SI with its unit as suffix; levels in dB carry _db, in
 * dBm _dbm. Every function that can fail returns an enum core_rc with the
 * valid range in the message (no FILE:LINE: the scenario loader adds them).
 */
#ifndef COINFER_RADIO_H
#define COINFER_RADIO_H

#include "core/core.h"

#define RADIO_SPEED_OF_LIGHT_MPS 3.0e8 /* c as TR 38.901 uses it, m/s */

/* ======================================================================== */
/* Geometry and placement (geometry.c)                                       */
/* ======================================================================== */

/* Sites sit on a hexagonal grid: ring 0 is the centre site, ring k adds 6k
 * sites, so n_rings = 0, 1, 2 give 1, 7, 19 sites. Site i of ring k is at
 * distance up to k * inter-site distance. With three sectors per site the
 * boresights point at 30, 150 and 270 degrees (the TR 38.901 figure 7.8-1
 * layout); each sector's cell is a hexagon of circumradius isd/3 whose centre
 * lies isd/3 from the site along the boresight. With one sector the cell is
 * the site's own hexagon (circumradius isd/sqrt(3)) and the antenna is
 * omnidirectional with 0 dBi gain. */

#define RADIO_MAX_RINGS 36u /* 3,997 sites (a city at 200 m isd); more is a user error */

/* Number of sites for n_rings rings around the centre: 1 + 3 n (n + 1). */
size_t radio_hex_site_count(uint32_t n_rings);

/* Write the positions of radio_hex_site_count(n_rings) sites into x_m[], y_m[]
 * (caller-provided, that many entries), centre first, then ring by ring.
 * CORE_E_INPUT if isd_m is not positive and finite or n_rings > RADIO_MAX_RINGS. */
enum core_rc radio_hex_sites(uint32_t n_rings, double isd_m, double *x_m, double *y_m,
                             struct core_err *e);

/* Boresight azimuth of sector s (0..n_sectors-1) of a site, rad from the +x
 * axis counter-clockwise; 0 for one sector. n_sectors is 1 or 3. */
double radio_sector_boresight_rad(uint32_t n_sectors, uint32_t s);

/* Centre and circumradius of the hexagonal cell of sector s of a site at
 * (site_x_m, site_y_m). */
void radio_cell_hexagon(double site_x_m, double site_y_m, double isd_m, uint32_t n_sectors,
                        uint32_t s, double *cx_m, double *cy_m, double *circumradius_m);

/* Whether (x_m, y_m) is inside the hexagon of centre (cx_m, cy_m) and
 * circumradius r_m whose flat sides face 0, 60, ..., 300 degrees (the
 * orientation of every cell of the grid above). */
bool radio_in_hexagon(double x_m, double y_m, double cx_m, double cy_m, double r_m);

/* Horizontal antenna gain towards a UE at azimuth az_rad seen from the site,
 * dBi. One sector: 0 dBi everywhere. Three sectors: TR 38.901 table 7.3-1,
 * horizontal cut only: G = 8 dBi - min(12 (phi/65 deg)^2, 30 dB), phi the
 * angle between az_rad and the boresight wrapped to [-180, 180) degrees. The
 * vertical cut is not modelled (as if the electrical tilt pointed at every
 * UE). */
double radio_antenna_gain_db(uint32_t n_sectors, uint32_t s, double az_rad);

/* Draw a point uniformly in a hexagon (centre, circumradius; orientation as
 * radio_in_hexagon) at least min_dist_m from (bs_x_m, bs_y_m), by rejection.
 * r must be a CORE_RNG_PLACEMENT stream. CORE_E_INPUT if the hexagon leaves
 * less than 1 % of its area beyond min_dist_m (the draw would crawl). */
enum core_rc radio_place_hexagon(struct core_rng *r, double cx_m, double cy_m, double radius_m,
                                 double bs_x_m, double bs_y_m, double min_dist_m,
                                 double *x_m, double *y_m, struct core_err *e);

/* Draw a point uniformly in the annulus min_dist_m <= d <= radius_m around
 * (cx_m, cy_m). CORE_E_INPUT unless 0 <= min_dist_m < radius_m. */
enum core_rc radio_place_disc(struct core_rng *r, double cx_m, double cy_m, double radius_m,
                              double min_dist_m, double *x_m, double *y_m, struct core_err *e);

/* ======================================================================== */
/* Mobility and handover (mobility.c)                                        */
/* ======================================================================== */

enum radio_mobility_kind {
    RADIO_MOBILITY_STATIC,   /* stays put */
    RADIO_MOBILITY_LINE,     /* straight line at constant speed and heading */
    RADIO_MOBILITY_WAYPOINT, /* random waypoint in a disc, speed range, pause */
    RADIO_MOBILITY_COUNT
};

/* A UE's movement: piecewise-linear legs. Within a leg the velocity is
 * constant, so the caller may sample the position at any time and needs to
 * hear about the movement only at leg ends (radio_mobility_leg_end_s) and as
 * often as the channel needs (the shadowing's and fading's own scales). */
struct radio_mobility {
    enum radio_mobility_kind kind; /* model */
    double t_s;                    /* time of the position below, s */
    double x_m, y_m;               /* position at t_s, m */
    double vx_mps, vy_mps;         /* velocity in the current leg, m/s */
    double leg_end_s;              /* end of the current leg or pause, s (INFINITY: none) */
    bool paused;                   /* waypoint: pausing at a waypoint */
    double speed_min_mps;          /* waypoint: speed range, m/s */
    double speed_max_mps;          /* waypoint: speed range, m/s */
    double pause_s;                /* waypoint: pause at each waypoint, s */
    double area_x_m, area_y_m;     /* waypoint: centre of the disc of waypoints, m */
    double area_radius_m;          /* waypoint: its radius, m */
};

/* A static UE at (x_m, y_m). */
void radio_mobility_static(struct radio_mobility *m, double x_m, double y_m, double t0_s);

/* Straight line from (x_m, y_m) at t0_s, heading_rad from +x, speed_mps >= 0. */
void radio_mobility_line(struct radio_mobility *m, double x_m, double y_m, double heading_rad,
                         double speed_mps, double t0_s);

/* Random waypoint: from (x_m, y_m) at t0_s, walk to a waypoint drawn uniformly
 * in the disc (area_x_m, area_y_m, area_radius_m) at a speed drawn uniformly
 * in [speed_min_mps, speed_max_mps], pause pause_s, repeat. r: a
 * CORE_RNG_MOBILITY stream. CORE_E_INPUT unless 0 < min <= max, pause >= 0
 * and the radius is positive (a zero minimum speed makes the model's mean
 * speed decay to zero, Yoon et al. 2003). */
enum core_rc radio_mobility_waypoint(struct radio_mobility *m, double x_m, double y_m,
                                     double area_x_m, double area_y_m, double area_radius_m,
                                     double speed_min_mps, double speed_max_mps, double pause_s,
                                     double t0_s, struct core_rng *r, struct core_err *e);

/* Move the UE to t_s (>= m->t_s) through as many legs as that takes; returns
 * the distance travelled, m (what the shadowing process needs). */
double radio_mobility_advance(struct radio_mobility *m, double t_s, struct core_rng *r);

/* Current speed (m/s) and end of the current leg (s; INFINITY if none). */
double radio_mobility_speed_mps(const struct radio_mobility *m);
double radio_mobility_leg_end_s(const struct radio_mobility *m);

/* Handover by the strongest received power with hysteresis and
 * time-to-trigger (the A3 event of TS 38.331 with zero offsets): a neighbour
 * whose RSRP exceeds the serving cell's by more than hysteresis_db
 * continuously for time_to_trigger_s (judged at the samples fed in) becomes
 * the serving cell. */
struct radio_handover {
    uint32_t serving;         /* serving cell index */
    uint32_t candidate;       /* neighbour being timed (valid while timing) */
    bool timing;              /* the entering condition holds since since_s */
    double since_s;           /* when it started holding, s */
    double hysteresis_db;     /* margin, dB (>= 0) */
    double time_to_trigger_s; /* how long it must hold, s (>= 0) */
};

void radio_handover_init(struct radio_handover *h, uint32_t serving, double hysteresis_db,
                         double time_to_trigger_s);

/* Feed the RSRP of all n cells at t_s (non-decreasing times). Returns true if
 * the serving cell changed (h->serving is the new one): a handover event for
 * the protocol layer. */
bool radio_handover_update(struct radio_handover *h, double t_s, const double *rsrp_dbm,
                           size_t n);

/* Index of the strongest of n received powers (ties: the lowest index), the
 * initial serving cell. */
uint32_t radio_strongest_cell(const double *rsrp_dbm, size_t n);

/* ======================================================================== */
/* Path loss and LOS probability, TR 38.901 tables 7.4.1-1, 7.4.2-1 (pathloss.c) */
/* ======================================================================== */

enum radio_scenario {
    RADIO_SCENARIO_UMA,       /* urban macro */
    RADIO_SCENARIO_UMI,       /* urban micro, street canyon */
    RADIO_SCENARIO_INH_MIXED, /* indoor hotspot office, mixed office LOS probability */
    RADIO_SCENARIO_INH_OPEN,  /* indoor hotspot office, open office LOS probability */
    RADIO_SCENARIO_COUNT
};

/* Stable lower-case names ("uma", "umi", "inh-mixed", "inh-open"). */
const char *radio_scenario_name(enum radio_scenario sc);

/* The geometry of one BS-UE link. */
struct radio_pl_args {
    enum radio_scenario scenario; /* which model */
    double carrier_hz;            /* centre frequency, Hz (0.5 to 100 GHz) */
    double d2d_m;                 /* horizontal BS-UE distance, m */
    double h_bs_m;                /* BS antenna height, m (TR 38.901: 25 UMa, 10 UMi, 3 InH) */
    double h_ut_m;                /* UE antenna height, m (1.5 to 22.5 outdoors, 1 to 2.5 InH) */
    double h_e_m;                 /* effective environment height, m: UMa only (1, or from
                                     radio_uma_h_e_draw when h_ut_m >= 13); UMi uses 1 m */
    bool los;                     /* line of sight */
};

/* Path loss of TR 38.901 table 7.4.1-1 in dB, without shadowing: UMa and UMi
 * LOS with their breakpoint d'BP = 4 h'BS h'UT fc / c; NLOS as
 * max(PL_LOS, PL'_NLOS). Validity (CORE_E_INPUT with the range otherwise):
 * carrier 0.5 to 100 GHz; UMa/UMi 10 m <= d2D <= 5 km and 1.5 <= h_UT <= 22.5
 * m, h_BS > h_UT; InH 1 m <= d3D <= 150 m and 1 <= h_UT <= 2.5 m; UMa
 * 1 <= h_E < h_UT. */
enum core_rc radio_pathloss_db(const struct radio_pl_args *a, double *pl_db, struct core_err *e);

/* radio_pathloss_db for one link geometry at many distances: the terms that
 * do not depend on the distance (carrier, heights, breakpoint), computed once
 * by radio_pl_ctx_init, which checks everything radio_pathloss_db checks but
 * the distance (a->d2d_m and a->los are not read). */
struct radio_pl_ctx {
    enum radio_scenario scenario; /* which model */
    double dh_m;            /* h_BS - h_UT, m */
    double dbp_m;           /* UMa/UMi breakpoint distance d'BP, m */
    double fc_term_db;      /* the LOS formula's carrier term, 20 log10(fc), dB */
    double nlos_fc_term_db; /* the NLOS formula's carrier term (20, 21.3 or 24.9 log10(fc)), dB */
    double bp_term_db;      /* UMa/UMi LOS beyond d'BP: 9 or 9.5 log10(d'BP^2 + dh^2), dB */
    double h_term_db;       /* UMa/UMi NLOS: 0.6 or 0.3 (h_UT - 1.5), dB */
};
enum core_rc radio_pl_ctx_init(const struct radio_pl_args *a, struct radio_pl_ctx *c,
                               struct core_err *e);

/* The path loss at d2d_m (within radio_pathloss_db's range: asserted) in LOS
 * state los, dB: bit for bit radio_pathloss_db's for the same link. */
double radio_pl_ctx_db(const struct radio_pl_ctx *c, double d2d_m, bool los);

/* LOS probability of TR 38.901 table 7.4.2-1 at horizontal distance d2d_m
 * (UMa's C'(h_UT) term included for 13 < h_UT <= 23 m; h_ut_m unused
 * elsewhere). In [0, 1]; the caller checks the distance with
 * radio_pathloss_db. */
double radio_los_probability(enum radio_scenario sc, double d2d_m, double h_ut_m);

/* UMa's effective environment height (TR 38.901 note 1 of table 7.4.1-1):
 * 1 m with probability 1/(1 + C(d2D, h_UT)), otherwise uniform on
 * {12, 15, ..., h_UT - 1.5} m. Exactly 1 m when h_UT < 13 m. */
double radio_uma_h_e_draw(struct core_rng *r, double d2d_m, double h_ut_m);

/* Shadow-fading standard deviation (table 7.4.1-1; UMa NLOS 6, LOS 4; UMi
 * NLOS 7.82, LOS 4; InH NLOS 8.03, LOS 3), dB, and decorrelation distance
 * (table 7.5-6: UMa 37/50, UMi 10/13, InH 10/6 m for LOS/NLOS), m. */
double radio_shadow_sd_db(enum radio_scenario sc, bool los);
double radio_shadow_dcorr_m(enum radio_scenario sc, bool los);

/* Default BS height of the scenario (25, 10, 3 m) and Rician K-factor mean of
 * its LOS links (table 7.5-6: UMa 9, UMi 9, InH 7 dB). */
double radio_default_h_bs_m(enum radio_scenario sc);
double radio_rician_k_db(enum radio_scenario sc);

/* ======================================================================== */
/* Shadowing correlated along the UE's path (shadowing.c)                    */
/* ======================================================================== */

/* A log-normal shadowing process, Gudmundson's exponential model: the
 * correlation between two points delta metres apart along the path is
 * exp(-delta / dcorr). Updated by an AR(1) step per distance moved. */
struct radio_shadow {
    double value_db;   /* current shadowing, dB (added to the path loss) */
    double sd_db;      /* standard deviation, dB */
    double dcorr_m;    /* decorrelation distance, m */
};

/* Start the process with a draw from N(0, sd_db^2). r: a CORE_RNG_SHADOWING
 * stream. sd_db >= 0, dcorr_m > 0 (asserted: scenario constants). */
void radio_shadow_init(struct radio_shadow *s, double sd_db, double dcorr_m, struct core_rng *r);

/* The UE moved distance_m (>= 0): value <- rho value + sqrt(1 - rho^2) sd N(0,1),
 * rho = exp(-distance_m / dcorr_m). Returns the new value, dB. */
double radio_shadow_move(struct radio_shadow *s, double distance_m, struct core_rng *r);

/* The coefficients of one AR(1) step of distance_m (> 0) for a process of
 * decorrelation distance dcorr_m (> 0): rho = exp(-distance_m / dcorr_m) and
 * sqrt(1 - rho^2). Shared by every link that moves the same distance. */
struct radio_shadow_step {
    double rho;   /* correlation with the value before the step, 1 */
    double innov; /* sqrt(1 - rho^2): the weight of the new draw, 1 */
};
struct radio_shadow_step radio_shadow_step_for(double distance_m, double dcorr_m);

/* radio_shadow_move's step on a bare value (sd_db: the process's standard
 * deviation, dB): value_db after the step st, one draw from r. Bit for bit
 * radio_shadow_move's value for the same distance, decorrelation and draw. */
double radio_shadow_advance(double value_db, const struct radio_shadow_step *st, double sd_db,
                            struct core_rng *r);

/* ======================================================================== */
/* Small-scale fading (fading.c)                                             */
/* ======================================================================== */

#define RADIO_FADING_SINUSOIDS 16 /* scattered paths of the sum of sinusoids */

/* A flat-fading complex gain h(t) with E|h|^2 = 1: a sum of N sinusoids with
 * arrival angles alpha_n = (2 pi n - pi + theta) / N (one random rotation
 * theta) and independent random phases, after Zheng & Xiao (2003) and
 * Patzold's Monte-Carlo method. Over realisations its autocorrelation is
 * exactly J0(2 pi f_D tau) (Clarke/Jakes) and |h|^2 has mean 1 at any t.
 * Rician: h = sqrt(K/(K+1)) e^{j(2 pi f_D cos(theta0) t + phi0)} +
 * sqrt(1/(K+1)) h_scatter. Phases accumulate, so changing the Doppler
 * (the UE's speed) keeps h(t) continuous. */
struct radio_fading {
    double omega_rad_s[RADIO_FADING_SINUSOIDS]; /* Doppler shift of path n, rad/s */
    double cos_alpha[RADIO_FADING_SINUSOIDS];   /* cos of path n's arrival angle, 1 */
    double phase_rad[RADIO_FADING_SINUSOIDS];   /* phase of path n at t_ref_s, rad */
    double los_omega_rad_s;                     /* Doppler of the LOS ray, rad/s */
    double los_cos_alpha;                       /* cos of its arrival angle, 1 */
    double los_phase_rad;                       /* its phase at t_ref_s, rad */
    double los_amp;                             /* sqrt(K/(K+1)), 1 (0: Rayleigh) */
    double scatter_amp;                         /* sqrt(1/(K+1)/N), 1 */
    double doppler_hz;                          /* maximum Doppler f_D, Hz */
    double t_ref_s;                             /* time the phases refer to, s */
};

/* Maximum Doppler shift of a UE at speed_mps on carrier_hz: v fc / c, Hz. */
double radio_doppler_hz(double speed_mps, double carrier_hz);

/* Start a process with maximum Doppler doppler_hz (>= 0) at t0_s. k_factor_db
 * is the Rician K in dB, or -INFINITY for Rayleigh (NLOS). r: a
 * CORE_RNG_FADING stream. */
void radio_fading_init(struct radio_fading *f, double doppler_hz, double k_factor_db,
                       double t0_s, struct core_rng *r);

/* The UE's speed changed at t_s (>= the last change): new maximum Doppler. */
void radio_fading_set_doppler(struct radio_fading *f, double t_s, double doppler_hz);

/* Complex gain at t_s (real and imaginary parts) and power gain |h|^2. */
void radio_fading_gain(const struct radio_fading *f, double t_s, double *re, double *im);
double radio_fading_power(const struct radio_fading *f, double t_s);

/* How long until the fading changes materially: the coherence time
 * 0.423 / f_D, s (Rappaport's rule of thumb, the geometric mean of 1/f_D and
 * 9/(16 pi f_D), the lag at which the power envelope's correlation
 * J0^2(2 pi f_D tau) falls to 0.5); INFINITY for a static UE. The caller
 * re-evaluates the channel this often (or a fraction of it). */
double radio_fading_coherence_s(double doppler_hz);

/* ======================================================================== */
/* Noise, power control and SINR (link.c)                                    */
/* ======================================================================== */

#define RADIO_THERMAL_NOISE_DBM_HZ (-174.0) /* kT at 290 K, dBm/Hz */
#define RADIO_UE_MAX_POWER_DBM 23.0         /* power class 3 UE, TS 38.101-1 */

double radio_dbm_to_w(double dbm);
double radio_w_to_dbm(double w);   /* -INFINITY for 0 W */
double radio_db_to_lin(double db);
double radio_lin_to_db(double lin); /* -INFINITY for 0 */

/* Thermal noise in bandwidth_hz plus the receiver's noise figure, dBm:
 * -174 + 10 log10(B) + NF. */
double radio_noise_dbm(double bandwidth_hz, double noise_figure_db);

/* Uplink power control (TS 38.213 clause 7.1.1, PUSCH, simplified: no
 * closed-loop term f, no Delta_TF):
 * P = min(P_max, P0 + 10 log10(2^mu M_PRB) + alpha PL), dBm. */
struct radio_ul_pc {
    double p_max_dbm;  /* UE maximum output power, dBm (23 for power class 3) */
    double p0_dbm;     /* nominal power per 15 kHz PRB, dBm */
    double alpha;      /* fractional path-loss compensation, 0..1 */
};

/* Transmit power for n_prb PRBs of numerology mu at path loss pl_db, dBm. */
double radio_ul_tx_power_dbm(const struct radio_ul_pc *pc, uint32_t mu, uint32_t n_prb,
                             double pl_db);

/* An uplink as frequency-domain sharing sees it: the UE's per-PRB SINR and
 * transmit power on M PRBs, M real (a flow-level average of the integer
 * grants a scheduler alternates between). Power control on M PRBs gives
 * P(M) = min(P_max, P0 + 10 log10(2^mu M) + alpha PL), in watts
 * min(p_max_w, p_prb_w M) with p_prb_w = 10^((P0 + 10 log10(2^mu) +
 * alpha PL - 30)/10); the per-PRB SINR is P(M)/M gain_per_w, gain_per_w =
 * 10^(-CL/10) / (N + I) with N and I the noise and interference per PRB. A UE
 * below P_max has the same per-PRB SINR on any M; one at P_max concentrates
 * it on fewer PRBs and gains 10 log10(M'/M) dB per PRB. */
struct radio_ul_link {
    const struct radio_carrier *carrier; /* the cell's carrier (borrowed) */
    double p_prb_w;    /* power-controlled power per PRB below P_max, W */
    double p_max_w;    /* UE maximum output power, W */
    double gain_per_w; /* per-PRB SINR per watt radiated per PRB, 1/W */
    double floor_bps;  /* lowest full-band-equivalent rate served, bit/s (0: none) */
};

/* Per-PRB SINR (linear) on m_prb (> 0) PRBs; *tx_power_w (may be NULL) gets
 * P(M), W. */
double radio_ul_link_sinr(const struct radio_ul_link *l, double m_prb, double *tx_power_w);

/* The full-band-equivalent rate of l on m_prb PRBs: the carrier's rate on all
 * N PRBs at the per-PRB SINR it reaches on m_prb (radio_link_rate_bps), at
 * least floor_bps, bit/s. The UE's rate on the m_prb PRBs themselves is this
 * times m_prb / N. *tx_power_w (may be NULL) gets P(M), W. */
double radio_ul_link_rate_bps(const struct radio_ul_link *l, double m_prb, double *tx_power_w);

/* Downlink power per PRB when the gNB spreads p_total_dbm evenly over n_prb
 * PRBs: p_total - 10 log10(n_prb), dBm. */
double radio_dl_prb_power_dbm(double p_total_dbm, uint32_t n_prb);

/* SINR (linear) of a signal of signal_dbm against noise_dbm plus interferers
 * interf_dbm[i] each weighted by its cell's load factor load[i] in [0, 1]
 * (the fraction of PRBs it occupies). n may be 0 (interf_dbm, load unused). */
double radio_sinr(double signal_dbm, double noise_dbm, const double *interf_dbm,
                  const double *load, size_t n);

/* ======================================================================== */
/* CQI tables, TS 38.214 tables 5.2.2.1-2 and 5.2.2.1-3 (cqi.c)             */
/* ======================================================================== */

enum radio_cqi_table {
    RADIO_CQI_TABLE_64QAM,  /* TS 38.214 table 5.2.2.1-2 ("table 1") */
    RADIO_CQI_TABLE_256QAM, /* TS 38.214 table 5.2.2.1-3 ("table 2") */
    RADIO_CQI_TABLE_COUNT
};

#define RADIO_CQI_MAX 15

/* One row of a CQI table. Row 0 is "out of range" (qm = 0, efficiency 0). */
struct radio_cqi_entry {
    uint32_t qm;            /* modulation order, bits per symbol (2, 4, 6, 8) */
    uint32_t rate_x1024;    /* code rate x 1024 */
    double efficiency;      /* spectral efficiency, bit/s/Hz per layer (as tabulated) */
    double sinr_min_db;     /* lowest SINR for this CQI at 10 % BLER, dB (see cqi.c) */
};

/* Row cqi (0..15) of table t. */
const struct radio_cqi_entry *radio_cqi_entry(enum radio_cqi_table t, uint32_t cqi);

/* The highest CQI whose SINR threshold sinr_db reaches (0: out of range).
 * Thresholds invert an attenuated Shannon bound, SE = 0.75 log2(1 + SINR)
 * (see cqi.c for the exact rule). */
uint32_t radio_cqi_from_sinr(enum radio_cqi_table t, double sinr_db);

/* ======================================================================== */
/* NR carriers and link rates (rate.c)                                       */
/* ======================================================================== */

/* One NR carrier (FR1). */
struct radio_carrier {
    uint32_t mu;                 /* numerology: SCS = 15 kHz 2^mu, mu in 0..2 */
    double scs_hz;               /* subcarrier spacing, Hz */
    double bandwidth_hz;         /* channel bandwidth, Hz */
    uint32_t n_prb;              /* PRBs, TS 38.101-1 table 5.3.2-1 */
    uint32_t layers;             /* MIMO layers, 1..8 */
    double overhead;             /* TS 38.306 OH fraction, 0..1 (0.14 DL, 0.08 UL FR1) */
    enum radio_cqi_table table;  /* CQI table */
    bool shannon;                /* rate from Shannon instead of CQI */
    double shannon_gap_db;       /* SNR gap of the Shannon mode, dB (>= 0) */
};

/* Fill c for scs_hz (15, 30 or 60 kHz) and bandwidth_hz (one of 5, 10, 15,
 * 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 90, 100 MHz allowed for that SCS by
 * TS 38.101-1 table 5.3.2-1). CORE_E_INPUT with the allowed values otherwise,
 * or for layers outside 1..8, overhead outside [0, 1) or a negative gap. */
enum core_rc radio_carrier_init(struct radio_carrier *c, double scs_hz, double bandwidth_hz,
                                uint32_t layers, double overhead, enum radio_cqi_table table,
                                bool shannon, double shannon_gap_db, struct core_err *e);

/* N_PRB of TS 38.101-1 table 5.3.2-1, or 0 where the table says N/A or the
 * pair is not in it. */
uint32_t radio_nr_n_prb(double scs_hz, double bandwidth_hz);

/* TS 38.306 clause 4.1.2 rate of n_prb PRBs at CQI cqi (scaling factor 1):
 * layers Qm (R/1024) 12 n_prb / T_s^mu (1 - OH), T_s^mu = 1e-3 / (14 2^mu) s
 * the average OFDM symbol duration, bit/s. 0 for CQI 0. */
double radio_nr_rate_bps(const struct radio_carrier *c, uint32_t cqi, uint32_t n_prb);

/* Shannon rate of bandwidth_hz at linear SINR sinr with an SNR gap gap_db:
 * B log2(1 + SINR / 10^(gap/10)), bit/s. */
double radio_shannon_rate_bps(double bandwidth_hz, double sinr, double gap_db);

/* The rate of n_prb PRBs at linear SINR sinr in the carrier's mode: CQI mode
 * goes SINR -> CQI -> radio_nr_rate_bps; Shannon mode uses the occupied
 * bandwidth 12 SCS n_prb, times layers, times (1 - OH). bit/s. */
double radio_link_rate_bps(const struct radio_carrier *c, double sinr, uint32_t n_prb);

/* Proportional fair over Rayleigh fading at flow level: the mean full-band
 * rate of a flow of mean per-PRB SINR sinr while it is served, when each
 * slot goes to the one of n flows whose fading is relatively strongest
 * (selection diversity: its power gain is the largest of n unit
 * exponentials, X_n, with P(X_n <= x) = (1 - e^-x)^n), E[rate(sinr X_n)] on
 * all PRBs, bit/s. Each of the n flows gets 1/n of the slots, so its rate is
 * this / n. CQI mode: exact, sum over the table's steps of the rate increment
 * times P(sinr X_n >= threshold); Shannon mode: 512-point quadrature. n = 1
 * is the Rayleigh-averaged rate (below rate(sinr), by Jensen). */
double radio_pf_rate_bps(const struct radio_carrier *c, double sinr, size_t n);

/* ======================================================================== */
/* UE radio power model (flows.c)                                            */
/* ======================================================================== */

/* The UE's power draw while a flow is active: uplink
 * p_on_w + p_tx_w / pa_efficiency (radiated power through the power
 * amplifier), downlink p_on_w + p_rx_w. Defaults (RADIO_POWER_DEFAULTS):
 * p_on_w = 1.288 W, the RRC_CONNECTED base power of Huang et al., "A close
 * examination of performance and power characteristics of 4G LTE networks",
 * MobiSys 2012 (their beta = 1288.04 mW); pa_efficiency = 0.3, a handset PA
 * near maximum output; p_rx_w = 0.1 W for the receive chain and decoding
 * (Jensen et al., "LTE UE power consumption model: for system level energy
 * and performance optimization", IEEE VTC-Fall 2012, measure a few tens to a
 * hundred mW for RX RF and baseband).
 *
 * p_on_w is the UE's, not a transfer's: a UE with several transfers active
 * draws it once (radio_ue_ledger below splits it among them). After its
 * last transfer ends the UE may stay connected for the RRC tail, tail_s at
 * p_tail_w (Huang et al. measured 11.576 s at 1060 mW on LTE, their table
 * 3); the default tail_s 0 leaves it out (see radio_ue_ledger). The
 * scenario's <ue-power> element sets all five (radio_ue_power_knobs). */
struct radio_power_model {
    double p_on_w;         /* connected-mode base power while a transfer is active, W */
    double pa_efficiency;  /* radiated / drawn power of the PA, 0..1 */
    double p_rx_w;         /* extra receive power on the downlink, W */
    double tail_s;         /* RRC tail: connected after the last transfer, s (0: none) */
    double p_tail_w;       /* power during the tail, W (at most p_on_w) */
};
#define RADIO_POWER_DEFAULTS {1.288, 0.3, 0.1, 0.0, 1.06}

/* The UE's shared radio costs, kept per UE by whoever sees all its
 * transfers (the radio world): the base power p_on_w is drawn once while
 * at least one transfer of the UE is active, split equally among the
 * transfers active at each instant (n active: p_on_w / n each), and when the
 * last one ends the UE stays connected for the RRC tail, whose energy
 * p_tail_w x tail_s is charged at once to the transfer that ended last (the
 * transfer that started the tail). A transfer that starts before that tail
 * is over finds the UE already paid for at p_tail_w until the tail's end:
 * the transfers active then share p_on_w - p_tail_w, and a tail that starts
 * before the previous one is over is charged only for what it adds. So the
 * UE's energy summed over its transfers is exactly p_on_w while any is
 * active plus p_tail_w over the tails (the last tail counts in full even if
 * the run stops first).
 *
 * The share of one transfer is the difference of a running sum (share_j:
 * the base energy a transfer active throughout would have been charged),
 * taken at its end and its start (the mark), so each start and end is O(1). */
struct radio_ue_ledger {
    uint32_t n_active;    /* transfers of the UE active now */
    double t_s;           /* time share_j is summed up to, s */
    double share_j;       /* running sum of the base power per active transfer, J */
    double tail_until_s;  /* end of the tails charged so far, s (-INFINITY: none) */
};

/* An idle UE at t0_s. */
void radio_ue_ledger_init(struct radio_ue_ledger *l, double t0_s);

/* A transfer of the UE starts at t_s (non-decreasing across calls): returns
 * its mark, for radio_ue_ledger_end. */
double radio_ue_ledger_begin(struct radio_ue_ledger *l, const struct radio_power_model *pm,
                             double t_s);

/* The transfer of mark ends at t_s: returns its share of the base power
 * since it began, J; *tail_j (may be NULL) gets the RRC tail it starts, J
 * (0 unless it was the UE's last active transfer). */
double radio_ue_ledger_end(struct radio_ue_ledger *l, const struct radio_power_model *pm,
                           double t_s, double mark, double *tail_j);

/* Whether pm is a valid model: p_on_w >= 0, 0 < pa_efficiency <= 1,
 * p_rx_w >= 0, tail_s >= 0, 0 <= p_tail_w <= p_on_w. CORE_E_INPUT with the
 * attribute's name otherwise. */
enum core_rc radio_power_model_check(const struct radio_power_model *pm, struct core_err *e);

/* <ue-power>: the UE radio power model. */
extern const struct core_knob_table radio_ue_power_knobs;

/* ======================================================================== */
/* Flow-level sharing of one cell's PRBs in one direction (flows.c)         */
/* ======================================================================== */

/* A set of active transfers ("flows") sharing one cell's PRBs in one
 * direction, as event-driven processor sharing: each flow has the rate it
 * would get alone on the whole band (its channel's rate, the caller's
 * radio_link_rate_bps over all PRBs); the scheduler splits the band and the
 * rates change only when a flow starts or ends or a channel changes. Between
 * those instants every flow drains at a constant rate, so the next completion
 * is known exactly and the caller schedules one event for it.
 *
 * Round robin: equal PRB (or time) shares, rate_i = r_i / n. For an uplink
 * flow added with its link (radio_flows_add_ul), r_i is re-evaluated on its
 * frequency share of N_PRB / n PRBs (see there), so a UE at P_max gets the
 * gain of concentrating its power on fewer PRBs.
 * Proportional fair, flows known by their SINR (radio_flows_add_sinr,
 * radio_flows_add_ul; what the world uses): equal time shares (PF's optimum
 * for constant rates) and, over Rayleigh fading (radio_flows_set_fading),
 * the multiuser diversity of PF in the flow-level model of Borst ("User-level
 * performance of channel-aware scheduling algorithms in wireless data
 * networks", IEEE/ACM ToN 2005): a flow is served when its fading is the
 * strongest of the n, so rate_i = E[rate(SINR_i X_n)] / n with X_n the
 * largest of n unit exponentials (radio_pf_rate_bps). Checked against a
 * per-TTI PF scheduler (radio_tti_reference) by
 * tests/validation/test_radio_flows.c. Flows added by rate only
 * (radio_flows_add) use the linear-regime form of the same model,
 * rate_i = min(r_i H_n, r_peak) / n with H_n = E[X_n] = 1 + 1/2 + ... + 1/n,
 * r_i the rate at the mean SINR and r_peak the carrier's full-band rate at
 * the highest CQI; it overstates the gain wherever the rate is not linear in
 * the SINR (by 15 to 40 % at -5 to 10 dB in that test). */

enum radio_sched {
    RADIO_SCHED_RR, /* round robin: equal shares */
    RADIO_SCHED_PF, /* proportional fair with multiuser diversity gain */
    RADIO_SCHED_COUNT
};

enum radio_dir {
    RADIO_DIR_UL, /* uplink: UE transmits */
    RADIO_DIR_DL, /* downlink: UE receives */
    RADIO_DIR_COUNT
};

/* The UE's power draw while a flow of direction dir is active, W: uplink
 * p_on_w + tx_power_w / pa_efficiency, downlink p_on_w + p_rx_w (tx_power_w
 * ignored). The one place the model is written: flows charge it, and the
 * network quotes it to a deciding UE. */
double radio_ue_power_w(const struct radio_power_model *pm, enum radio_dir dir,
                        double tx_power_w);

struct radio_flows;

/* What a finished (or removed) flow reports. */
struct radio_flow_report {
    uint64_t id;          /* the caller's identifier */
    uint32_t ue;          /* the caller's UE tag */
    double size_bytes;    /* bytes requested */
    double sent_bytes;    /* bytes delivered (size_bytes when complete) */
    double t_start_s;     /* when it was added, s */
    double t_end_s;       /* when it completed or was removed, s */
    double duration_s;    /* t_end_s - t_start_s, s */
    double ue_energy_j;   /* UE radio energy over the flow, J */
};

/* Create an empty set with room for capacity flows (it grows when needed).
 * peak_rate_bps bounds PF's gain (see above); power is copied. Returns NULL
 * on allocation failure. */
struct radio_flows *radio_flows_create(size_t capacity, enum radio_sched sched,
                                       enum radio_dir dir, double peak_rate_bps,
                                       const struct radio_power_model *power);
void radio_flows_destroy(struct radio_flows *fs); /* NULL is a no-op */

/* Add a flow of size_bytes (> 0) at t_s (>= the last call's time) whose
 * full-band rate is rate_bps (> 0) and whose UE radiates tx_power_w (uplink;
 * ignored downlink). Writes its handle. CORE_E_NOMEM if the set could not
 * grow (nothing changes then). */
enum core_rc radio_flows_add(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                             double size_bytes, double rate_bps, double tx_power_w,
                             uint32_t *handle, struct core_err *e);

/* The flow's channel changed at t_s: new full-band rate (> 0) and UE power. */
void radio_flows_set_channel(struct radio_flows *fs, double t_s, uint32_t handle,
                             double rate_bps, double tx_power_w);

/* An uplink flow shared in frequency: instead of a fixed full-band rate it
 * has its UE's link (copied; the carrier must outlive the flow). Whenever
 * the set recomputes, each such flow of the n active gets M = N_PRB / n PRBs
 * and its full-band rate r_i above becomes radio_ul_link_rate_bps(link, M):
 * the full-band rate at the per-PRB SINR its power control reaches on M
 * PRBs, so round robin's r_i / n is exactly its rate on its M PRBs. A UE
 * below P_max on M PRBs gets exactly what radio_flows_add with its full-band
 * rate would give; one at P_max gets more (its power on fewer PRBs).
 * Proportional fair applies its rule to the same r_i (the multiuser gain on
 * top of the frequency share's efficiency). The UE radiates P(M) (energy).
 * Only for an uplink set. The rate must stay positive: in CQI mode give
 * floor_bps > 0 (a SINR below CQI 1 has rate 0). CORE_E_NOMEM as
 * radio_flows_add. */
enum core_rc radio_flows_add_ul(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                                double size_bytes, const struct radio_ul_link *link,
                                uint32_t *handle, struct core_err *e);

/* A flow known by its mean per-PRB SINR (linear, >= 0) on carrier c (which
 * must outlive it): its full-band rate is max(radio_link_rate_bps(c, sinr,
 * N), floor_bps) (positive). Under round robin exactly radio_flows_add with
 * that rate; under proportional fair see radio_flows_set_fading. The
 * downlink's way in. CORE_E_NOMEM as radio_flows_add. */
enum core_rc radio_flows_add_sinr(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                                  double size_bytes, const struct radio_carrier *c, double sinr,
                                  double floor_bps, uint32_t *handle, struct core_err *e);

/* The mean SINR of a flow added with radio_flows_add_sinr changed at t_s. */
void radio_flows_set_sinr(struct radio_flows *fs, double t_s, uint32_t handle, double sinr);

/* Proportional fair for the flows whose SINR is known (radio_flows_add_sinr,
 * radio_flows_add_ul): with rayleigh (the channels fade, Rayleigh), each of
 * the n active flows gets radio_pf_rate_bps(c, SINR, n) / n (selection
 * diversity; an uplink's SINR on its N / n PRBs), at least floor / n;
 * without (the default), equal time shares r_i / n, PF's optimum for
 * constant rates. Flows added by rate (radio_flows_add) keep the H_n rule
 * above. Only on an empty set. */
void radio_flows_set_fading(struct radio_flows *fs, bool rayleigh);

/* The uplink flow's link changed at t_s (the flow now shares in frequency,
 * whichever way it was added). */
void radio_flows_set_ul_link(struct radio_flows *fs, double t_s, uint32_t handle,
                             const struct radio_ul_link *link);

/* Remove flow handle at t_s (completed or abandoned) and report it. */
void radio_flows_remove(struct radio_flows *fs, double t_s, uint32_t handle,
                        struct radio_flow_report *rep);

/* The earliest completion among active flows: its time and handle. false
 * when no flow is active. */
bool radio_flows_next_completion(const struct radio_flows *fs, double *t_s, uint32_t *handle);

/* Active flows, a flow's current rate (bit/s) and bits left as of the last
 * update. */
size_t radio_flows_active(const struct radio_flows *fs);
double radio_flows_rate_bps(const struct radio_flows *fs, uint32_t handle);
double radio_flows_remaining_bits(const struct radio_flows *fs, uint32_t handle);

/* How long, from the set's creation to t_s (>= the last call's time), at
 * least one flow was active: the cell-direction's busy time, s. Over a run
 * busy time / duration is the load a work-conserving cell carries. */
double radio_flows_busy_s(const struct radio_flows *fs, double t_s);

/* ======================================================================== */
/* Per-TTI reference scheduler (flows.c)                                     */
/* ======================================================================== */

/* One transfer for radio_tti_simulate: arrives at t_start_s with size_bytes
 * and full-band rate rate_bps; t_end_s is written. */
struct radio_tti_flow {
    double t_start_s;   /* arrival, s */
    double size_bytes;  /* bytes */
    double rate_bps;    /* rate on all n_prb PRBs, bit/s */
    double t_end_s;     /* completion (output), s */
};

/* Reference scheduler for small cases: TTI by TTI (slot tti_s), the n_prb
 * PRBs go round robin, one PRB at a time, to the flows present at the start
 * of the slot, starting after the last PRB's owner of the previous slot; a
 * flow's PRB carries rate_bps tti_s / n_prb bits; a flow completes at the end
 * of the slot that delivers its last bit. CORE_E_INPUT if a flow is not done
 * by max_t_s. The rate per PRB is fixed: this is the reference for downlinks
 * and for uplinks below P_max (whose rate per PRB does not depend on how many
 * PRBs they get), not for a UE at P_max concentrating its power. */
enum core_rc radio_tti_simulate(struct radio_tti_flow *flows, size_t n, uint32_t n_prb,
                                double tti_s, double max_t_s, struct core_err *e);

/* One transfer for radio_tti_reference: its channel is a per-PRB SINR, fixed
 * (sinr) or from its uplink's power control on the PRBs it is granted
 * (link), times its fading's power gain |h(t)|^2 read at the start of each
 * slot (fade; NULL: none). t_end_s is written. */
struct radio_tti_ref_flow {
    double t_start_s;                  /* arrival, s */
    double size_bytes;                 /* bytes */
    double sinr;                       /* per-PRB SINR without fading (link NULL), 1 */
    const struct radio_ul_link *link;  /* uplink: SINR from P(m) / m on m PRBs (borrowed) */
    const struct radio_fading *fade;   /* small-scale fading (borrowed; NULL: none) */
    double t_end_s;                    /* completion (output), s */
};

/* Reference scheduler with fading, proportional fair and power-limited
 * uplinks, slot by slot (tti_s) on carrier c; a flow carries
 * radio_link_rate_bps(c, SINR, m) tti_s bits on the m PRBs it gets in a slot
 * and completes at the end of the slot that delivers its last bit.
 *  - RADIO_SCHED_RR: the PRBs go round robin one at a time, as in
 *    radio_tti_simulate, so each of n flows gets floor(N / n) or that plus 1
 *    PRBs; an uplink's per-PRB SINR is P(m) / m gain on its m PRBs (a UE at
 *    P_max concentrates its power on them).
 *  - RADIO_SCHED_PF: the whole slot goes to the flow with the highest
 *    r_i(t) / R_i, r_i(t) its instantaneous rate on all N PRBs and R_i its
 *    throughput averaged exponentially with time constant pf_window_s
 *    (every present flow's average is updated each slot, with 0 when not
 *    served; it starts at r_i at its arrival). Ties: the lowest index.
 * CORE_E_INPUT if a flow is not done by max_t_s; CORE_E_NOMEM. */
enum core_rc radio_tti_reference(struct radio_tti_ref_flow *flows, size_t n,
                                 const struct radio_carrier *c, enum radio_sched sched,
                                 double tti_s, double pf_window_s, double max_t_s,
                                 struct core_err *e);

/* ======================================================================== */
/* RRM logic (rrm_model.c)                                                   */
/* ======================================================================== */

/* Cells of the largest deployment: 3 sectors on every site of RADIO_MAX_RINGS rings. */
#define RADIO_RRM_MAX_CELLS (3 * (1 + 3 * RADIO_MAX_RINGS * (RADIO_MAX_RINGS + 1)))

/* What the RRM knows about one UE: its coupling loss to every cell (path
 * loss + shadowing - antenna gain - fading, dB; from the same channel state
 * the transfers use) and the cells' state. */
struct radio_rrm_request {
    const struct radio_carrier *carrier; /* the cells' carrier (borrowed) */
    size_t n_cells;                      /* cells, <= RADIO_RRM_MAX_CELLS */
    uint32_t serving;                    /* serving cell index */
    const double *coupling_loss_db;      /* [n_cells] UE to cell, dB */
    const double *dl_load;               /* [n_cells] fraction of PRBs in use, 0..1 */
    const double *ul_load;               /* [n_cells] fraction of PRBs in use, 0..1 */
    double gnb_power_dbm;                /* gNB total transmit power, dBm */
    struct radio_ul_pc ul_pc;            /* uplink power control */
    double ue_noise_figure_db;           /* UE receiver noise figure, dB */
    double gnb_noise_figure_db;          /* gNB receiver noise figure, dB */
    double ul_iot_db;                    /* uplink interference over thermal at full load, dB */
    size_t dl_active;                    /* flows active in the serving cell's downlink */
    size_t ul_active;                    /* flows active in the serving cell's uplink */
    enum radio_sched sched;              /* the serving cell's scheduler */
    bool pf_rayleigh;                    /* PF over Rayleigh fading (radio_flows_set_fading) */
    bool ul_interf_given;                /* use ul_interf_prb_w instead of ul_iot_db */
    double ul_interf_prb_w;              /* uplink interference per PRB at the serving gNB, W */
    /* The other cells' terms, when the caller kept them from an earlier
     * query with the same coupling losses to them, serving cell and loads
     * (radio_rrm_other_cells): the query then skips its loop over cells. */
    const struct radio_rrm_consts *consts; /* the terms that depend only on the carrier and
                                              the configuration (NULL: computed here) */
    bool others_given;                   /* use dl_interf_w and ul_load_sum */
    double dl_interf_w;                  /* sum of load x per-PRB power received from the
                                            other cells, W */
    double ul_load_sum;                  /* sum of the other cells' UL loads, 1 */
};

/* The RRM's reply: what the network tells the UE. */
struct radio_rrm_reply {
    double dl_sinr_db;        /* downlink SINR, dB */
    double ul_sinr_db;        /* uplink SINR, dB */
    uint32_t dl_cqi;          /* downlink CQI, 0..15 */
    uint32_t ul_cqi;          /* uplink CQI, 0..15 */
    double dl_full_rate_bps;  /* downlink rate alone on the cell, bit/s */
    double ul_full_rate_bps;  /* uplink rate alone on the cell, bit/s */
    double dl_rate_bps;       /* expected downlink rate of one more flow, bit/s */
    double ul_rate_bps;       /* expected uplink rate of one more flow, bit/s */
    double ul_tx_power_dbm;   /* UE transmit power on the full band, dBm */
    struct radio_ul_link ul_link; /* the uplink for radio_flows_add_ul (floor_bps 0) */
    double dl_sinr;           /* downlink SINR, linear (what dl_sinr_db rounds from), 1 */
    double ul_delay_s;        /* mean delay an uplink transfer adds to bytes / rate: NR access
                                 and HARQ (radio_access_mean_delay_s), s (the radio world
                                 fills it; radio_rrm_query leaves 0) */
    double dl_delay_s;        /* the same for a downlink transfer, s */
    bool fixed_link;          /* the UE's transfers take a fixed-rate link (radio_link_config):
                                 the rates above are its, the delays its latency, the SINR and
                                 CQI its NR cell's (for samples); radio_rrm_query leaves
                                 false */
};

/* Compute the reply. Downlink: the serving cell's per-PRB power over the
 * coupling loss against UE noise per PRB plus every other cell's per-PRB
 * power weighted by its DL load. Uplink: the power-controlled UE on all
 * PRBs against gNB noise raised by the interference over thermal scaled by
 * the mean UL load of the other cells, N (1 + (10^(IoT/10) - 1) mean_load),
 * or, with ul_interf_given, against N + ul_interf_prb_w.
 * Expected rates: the flows model's share for one more flow (n + 1 flows):
 * downlink rate(N) / (n + 1) under round robin, uplink the share of
 * radio_flows_add_ul on N_PRB / (n + 1) PRBs; proportional fair with
 * pf_rayleigh the flows' selection-diversity share, radio_pf_rate_bps(SINR,
 * n + 1) / (n + 1), and without it the same equal shares. The SINR,
 * CQI, full rates and ul_tx_power_dbm are the full band's. CORE_E_INPUT for
 * n_cells 0 or above RADIO_RRM_MAX_CELLS or serving out of range. */
enum core_rc radio_rrm_query(const struct radio_rrm_request *req, struct radio_rrm_reply *rep,
                             struct core_err *e);

/* The terms of a query that depend only on the carrier, the powers, the
 * noise figures and power control, not on the UE: a caller that queries
 * often computes them once (radio_rrm_consts_init) and passes them in
 * req->consts. The query's results are the same bit for bit. */
struct radio_rrm_consts {
    double p_prb_dbm;     /* gNB power per PRB, dBm */
    double ue_noise_w;    /* UE receiver noise per PRB, W */
    double gnb_noise_w;   /* gNB receiver noise per PRB, W */
    double iot_factor;    /* 10^(ul_iot_db / 10) - 1, 1 */
    double p_max_w;       /* UE maximum power, W */
    double p0_prb_dbm;    /* P0 + 10 log10(2^mu): power control per PRB before alpha PL, dBm */
    double p0_band_dbm;   /* P0 + 10 log10(N_PRB 2^mu): the same on the full band, dBm */
};
void radio_rrm_consts_init(const struct radio_rrm_request *req, struct radio_rrm_consts *k);

/* The other cells' terms of req (what others_given skips): the sum over
 * cells other than the serving one of dl_load x per-PRB power received, W,
 * and of their UL loads. */
void radio_rrm_other_cells(const struct radio_rrm_request *req, double *dl_interf_w,
                           double *ul_load_sum);

/* Recompute only rep's expected rates of one more flow (dl_rate_bps,
 * ul_rate_bps) for req's flow counts and scheduler, from the rest of rep as
 * radio_rrm_query filled it for a request that differs at most in those
 * counts: what the query costs when only the load of the serving cell moved. */
void radio_rrm_share(const struct radio_rrm_request *req, struct radio_rrm_reply *rep);

/* The share of full_rate_bps one of n_active flows gets under sched (the
 * flows model's rule), bit/s. */
double radio_sched_share_bps(enum radio_sched sched, double full_rate_bps, size_t n_active,
                             double peak_rate_bps);

/* ======================================================================== */
/* NR medium access: scheduling delays and HARQ of a transfer (access.c)     */
/* ======================================================================== */

/* A transfer does not go on the air the instant its data is ready, and does
 * not always arrive the first time. Per transfer (not per transport block),
 * computed in closed form at its start and end (no per-slot events), on the
 * carrier's slots of T = 1 ms / 2^mu:
 *  - uplink, dynamic grant: the UE waits for its next scheduling-request
 *    opportunity (every sr_period slots, its offset its index mod the
 *    period: the gNB spreads its UEs over the period), sends the SR in that
 *    slot s, the gNB answers with an uplink grant in slot s + 1 (its
 *    processing time, one slot: an assumption, 3GPP leaves it to the
 *    implementation) and the transfer starts k2 slots later, at the start of
 *    slot s + 1 + k2 (TS 38.213 clause 9.2.4 SR, TS 38.214 clause 6.1.2.1
 *    k2; the SR periodicity is TS 38.331's SchedulingRequestResourceConfig).
 *    The grant carries the whole transfer: no buffer status report round.
 *  - uplink, configured grant (TS 38.331 ConfiguredGrantConfig, type 1): no
 *    SR, the transfer starts at the UE's next grant occasion, every
 *    cg_period slots (offset: its index mod the period).
 *  - downlink: the gNB schedules the transfer at the next slot boundary,
 *    the PDSCH k0 slots after its PDCCH (TS 38.214 clause 5.1.2.1).
 *  - HARQ: each transfer fails with probability bler, independently per
 *    transmission, and is retransmitted one HARQ round trip later, up to
 *    max_retx times (then delivered: RLC's retransmissions are not
 *    modelled); a retransmission costs its round trip in time, not bytes on
 *    the air. Uplink round trip (1 + k2) slots: the gNB decodes and grants
 *    the retransmission in the next slot, k2 slots ahead; downlink
 *    (k1 + 1 + k0) slots: the UE's HARQ-ACK k1 slots after the PDSCH (TS
 *    38.213 clause 9.2.3), the gNB reschedules in the next slot.
 * Every slot may carry either direction (FDD-like: no TDD pattern), and a
 * transfer's end is not aligned to a slot: its air time is the flow
 * model's. With uplink and downlink "none" and bler 0 a transfer starts at
 * once and arrives at its air time's end, as before this model. */

enum radio_ul_access {
    RADIO_UL_DYNAMIC,    /* scheduling request, then a grant k2 slots ahead */
    RADIO_UL_CONFIGURED, /* a periodic configured grant, no SR */
    RADIO_UL_NONE,       /* no access delay */
    RADIO_UL_ACCESS_COUNT
};

enum radio_dl_access {
    RADIO_DL_SCHEDULED, /* next slot boundary, then k0 slots */
    RADIO_DL_NONE,      /* no access delay */
    RADIO_DL_ACCESS_COUNT
};

/* <access>: the NR medium access of every UE. */
struct radio_access_config {
    int uplink;            /* enum radio_ul_access */
    long sr_period_slots;  /* scheduling-request periodicity, slots */
    long cg_period_slots;  /* configured-grant periodicity, slots */
    long k2_slots;         /* uplink grant to PUSCH, slots (-1: TS 38.214's j for mu) */
    int downlink;          /* enum radio_dl_access */
    long k0_slots;         /* PDCCH to PDSCH, slots */
    long k1_slots;         /* PDSCH to HARQ-ACK, slots (-1: from TS 38.214's N1 for mu) */
    double bler;           /* probability that one transmission of a transfer fails, 0..1
                              (1: always, so max_retx retransmissions each) */
    long max_retx;         /* HARQ retransmissions of a transfer at most */
};
extern const struct core_knob_table radio_access_knobs;

/* The access of a carrier of numerology mu: the config resolved. */
struct radio_access {
    double slot_s;         /* slot duration 1e-3 / 2^mu, s */
    int uplink;            /* enum radio_ul_access */
    int downlink;          /* enum radio_dl_access */
    uint32_t sr_period;    /* slots */
    uint32_t cg_period;    /* slots */
    uint32_t k2, k0, k1;   /* slots */
    double bler;           /* failure probability of one transmission, 0..1 */
    uint32_t max_retx;     /* retransmissions at most */
    double ul_rtt_s;       /* uplink HARQ round trip (1 + k2) slots, s */
    double dl_rtt_s;       /* downlink HARQ round trip (k1 + 1 + k0) slots, s */
};

/* TS 38.214 table 6.1.2.1.1-4: the j of the default PUSCH time-domain
 * allocation (k2 = j, ...), 1, 1, 2 for mu 0, 1, 2; and table 5.3-1: the
 * UE's PDSCH processing time N1 (capability 1, no additional DM-RS), 8,
 * 10, 17 symbols, whose slots ceil(N1 / 14) are the earliest k1. */
uint32_t radio_access_default_k2(uint32_t mu);
uint32_t radio_access_default_k1(uint32_t mu);

/* Resolve c for numerology mu (0..2). CORE_E_INPUT for a value out of its
 * range (the knobs' ranges, for a config built by hand). */
enum core_rc radio_access_init(struct radio_access *a, const struct radio_access_config *c,
                               uint32_t mu, struct core_err *e);

/* When a transfer of UE ue whose data is ready at t_s (>= 0) goes on the
 * air: the start of the slot the rules above give, s (t_s itself with
 * access "none"). */
double radio_access_ul_start_s(const struct radio_access *a, uint32_t ue, double t_s);
double radio_access_dl_start_s(const struct radio_access *a, double t_s);

/* The retransmissions of one transfer: 0 when bler or max_retx is 0,
 * max_retx when bler is 1 (r unused then), else the failures before the
 * first success, at most max_retx, drawn from r (a CORE_RNG_HARQ stream). */
uint32_t radio_access_retx(const struct radio_access *a, struct core_rng *r);

/* The mean delay a transfer adds to its air time, s: the access wait over
 * a ready time uniform in time, plus the mean retransmissions times the
 * round trip. Uplink dynamic: (sr_period / 2 + 1 + k2) slots; configured:
 * cg_period / 2 slots; downlink: 1/2 + k0 slots; HARQ: rtt (bler + ... +
 * bler^max_retx). What the network quotes a deciding UE. */
double radio_access_mean_delay_s(const struct radio_access *a, enum radio_dir dir);

/* ======================================================================== */
/* Configuration of a radio world and its knobs (radio_knobs.c)              */
/* ======================================================================== */

/* What the scenario file's <radio> section sets. Each struct is one element,
 * filled through its knob table below (units to SI, ranges checked); the
 * *_check functions add the checks that need more than one value or the
 * radio model's validity ranges (no FILE:LINE: the scenario loader adds it). */

enum radio_rate_model {
    RADIO_RATE_CQI,     /* SINR -> CQI -> TS 38.306 rate */
    RADIO_RATE_SHANNON, /* Shannon with an SNR gap */
    RADIO_RATE_MODEL_COUNT
};

/* <carrier>: the NR carrier every cell uses. */
struct radio_carrier_config {
    double carrier_hz;   /* centre frequency, Hz */
    double bandwidth_hz; /* channel bandwidth, Hz */
    double scs_hz;       /* subcarrier spacing, Hz */
    long layers;         /* MIMO layers, 1 */
    double overhead;     /* TS 38.306 overhead fraction, 1 */
    int rate_model;      /* enum radio_rate_model */
    double snr_gap_db;   /* Shannon mode's SNR gap, dB */
    int cqi_table;       /* enum radio_cqi_table */
};
extern const struct core_knob_table radio_carrier_knobs;

/* <deployment>: sites, sectors, heights, powers, scheduler. */
struct radio_deployment_config {
    int scenario;               /* enum radio_scenario */
    long n_sites;               /* sites on the hexagonal grid: 1, 7, 19, ..., 1 */
    double isd_m;               /* inter-site distance, m */
    long n_sectors;             /* sectors (cells) per site: 1 or 3 */
    double bs_height_m;         /* BS antenna height, m (0: the scenario's default) */
    double ue_height_m;         /* UE antenna height, m */
    double gnb_power_dbm;       /* gNB total transmit power per cell, dBm */
    double ue_noise_figure_db;  /* UE receiver noise figure, dB */
    double gnb_noise_figure_db; /* gNB receiver noise figure, dB */
    int scheduler;              /* enum radio_sched */
    double load;                /* PRB occupancy of interfering cells, 0..1 */
    double ul_iot_db;           /* uplink interference over thermal at full load, dB */
    bool shadowing;             /* log-normal shadowing on */
    bool fading;                /* small-scale fading on */
    bool ue_interference;       /* uplink interference from the other cells' UEs, not ul_iot */
};
extern const struct core_knob_table radio_deployment_knobs;

/* <power-control>: uplink power control. */
struct radio_pc_config {
    double p0_dbm;    /* nominal power per 15 kHz PRB, dBm */
    double alpha;     /* path-loss compensation factor, 1 */
    double p_max_dbm; /* UE maximum output power, dBm */
};
extern const struct core_knob_table radio_pc_knobs;

/* <handover>: A3 handover. */
struct radio_handover_config {
    double hysteresis_db;     /* margin, dB */
    double time_to_trigger_s; /* how long the margin must hold, s */
};
extern const struct core_knob_table radio_handover_knobs;

/* <link> in a <ue-group>: how its UEs' transfers travel. mode nr (the
 * default) is the NR cell of this section. mode fixed bypasses the NR
 * physical layer and medium access for Neurosurgeon-style experiments:
 * each UE has a dedicated link of its own, ul_rate_bps up and dl_rate_bps
 * down, that no other UE shares (its own concurrent transfers in one
 * direction share it equally), with a one-way latency_s after each
 * transfer's air time; no SINR, PRB sharing, scheduling request, grant,
 * HARQ or backhaul, no handover of its transfers. The UE still has a
 * position, moves and is served by a cell (whose network device and edge
 * it talks to); its uplink draws on-power + P_max / pa-efficiency (the
 * power-control's ue-max-power), its downlink on-power + rx-power. */
enum radio_link_mode {
    RADIO_LINK_NR,    /* the NR cell */
    RADIO_LINK_FIXED, /* a dedicated fixed-rate link */
    RADIO_LINK_MODE_COUNT
};

struct radio_link_config {
    int mode;           /* enum radio_link_mode */
    double ul_rate_bps; /* fixed: uplink rate, bit/s */
    double dl_rate_bps; /* fixed: downlink rate, bit/s */
    double latency_s;   /* fixed: one-way latency added to each transfer, s */
};
extern const struct core_knob_table radio_link_knobs;

/* A fixed link needs both rates positive. CORE_E_INPUT naming the
 * attribute otherwise. */
enum core_rc radio_link_config_check(const struct radio_link_config *l, struct core_err *e);

enum radio_placement {
    RADIO_PLACE_UNIFORM_CELL, /* UE k uniformly in cell k mod n_cells */
    RADIO_PLACE_DISC,         /* uniformly in a disc */
    RADIO_PLACE_POSITIONS,    /* at given positions */
    RADIO_PLACE_COUNT
};

/* <ue-group>: count UEs placed, moving and (optionally) sending alike. */
struct radio_ue_group_config {
    long n_ues;             /* UEs in the group, 1 */
    int placement;          /* enum radio_placement */
    double x_m, y_m;        /* disc centre (disc placement; waypoint area), m */
    double radius_m;        /* disc radius, m (0: the whole deployment) */
    int mobility;           /* enum radio_mobility_kind */
    double speed_min_mps;   /* speed range (line, random waypoint), m/s */
    double speed_max_mps;   /* speed range, m/s */
    double pause_s;         /* random waypoint pause, s */
    double ul_bytes;        /* traffic: bytes uploaded per request (0: none) */
    double dl_bytes;        /* traffic: bytes downloaded after each upload (0: none) */
    double request_rate_hz; /* traffic: Poisson requests per second per UE (0: no traffic) */
    const double *pos_x_m;  /* positions placement: n_ues x coordinates, m (borrowed) */
    const double *pos_y_m;  /* positions placement: n_ues y coordinates, m (borrowed) */
    struct radio_link_config link; /* its <link>: NR or a fixed-rate link */
};
extern const struct core_knob_table radio_ue_group_knobs;

/* A whole radio world. */
struct radio_world_config {
    struct radio_carrier_config carrier;       /* the carrier */
    struct radio_deployment_config deploy;     /* the cells */
    struct radio_pc_config pc;                 /* uplink power control */
    struct radio_handover_config ho;           /* handover */
    struct radio_access_config access;         /* NR medium access */
    struct radio_power_model power;            /* UE radio power model */
    double sample_period_s;                    /* radio_samples period, s */
    const struct radio_ue_group_config *groups; /* n_groups groups (borrowed) */
    size_t n_groups;                           /* groups */
};
/* <radio>'s own attributes (sample-period), into struct radio_world_config. */
extern const struct core_knob_table radio_section_knobs;

/* Fill cfg with every knob's default, no groups. CORE_E_INPUT only for a
 * broken table. */
enum core_rc radio_world_config_defaults(struct radio_world_config *cfg, struct core_err *e);

/* Checks beyond single knobs, CORE_E_INPUT with the valid range:
 * carrier: the bandwidth must be allowed for the SCS (TS 38.101-1);
 * deployment: sites a hexagonal count (1, 7, 19, ... up to RADIO_MAX_RINGS
 * rings), BS higher than the UE, heights within the scenario's 38.901 range
 * and the cell edge within its distance range (UMa/UMi 5 km, InH 150 m);
 * group: speed-min <= speed-max, moving UEs need speed-min > 0. */
enum core_rc radio_carrier_config_check(const struct radio_carrier_config *c,
                                        struct core_err *e);
enum core_rc radio_deployment_config_check(const struct radio_deployment_config *d,
                                           struct core_err *e);
enum core_rc radio_ue_group_config_check(const struct radio_ue_group_config *g,
                                         struct core_err *e);

/* The carrier of a checked carrier config. */
enum core_rc radio_carrier_from_config(const struct radio_carrier_config *c,
                                       struct radio_carrier *out, struct core_err *e);

/* The horizontal BS-UE distance range in which the deployment's path-loss
 * model holds, m (UMa/UMi 10 m to 5 km; InH from d3D 1 m to 150 m). The
 * world evaluates closer or farther UEs at the nearest end of the range. */
void radio_d2d_range_m(const struct radio_deployment_config *d, double *min_m, double *max_m);

/* BS height in use: bs_height_m, or the scenario's default when 0. */
double radio_bs_height_m(const struct radio_deployment_config *d);

/* The farthest a UE of a cell can be from its site: the cell hexagon's far
 * corner, isd/sqrt(3) with one sector, 2 isd/3 with three, m. */
double radio_cell_edge_m(const struct radio_deployment_config *d);

/* ======================================================================== */
/* Link budget of one cell (budget.c)                                        */
/* ======================================================================== */

/* One row of `coinfer radio --link-budget`: a UE alone in the first cell, on
 * its boresight at horizontal distance distance_m, no fading, no shadowing,
 * no other cell transmitting. The SINR and rates use the LOS-probability
 * weighted path loss in dB, p PL_LOS + (1 - p) PL_NLOS, less the antenna's
 * boresight gain; rates are the full-band rates alone on the cell. */
struct radio_budget_row {
    double distance_m;       /* horizontal distance from the site, m */
    double los_probability;  /* TR 38.901 LOS probability, 0..1 */
    double pathloss_los_db;  /* LOS path loss, dB */
    double pathloss_nlos_db; /* NLOS path loss, dB */
    double ul_sinr_db;       /* uplink SINR, dB */
    double dl_sinr_db;       /* downlink SINR, dB */
    uint32_t ul_cqi;         /* uplink CQI, 0..15 */
    uint32_t dl_cqi;         /* downlink CQI, 0..15 */
    double ul_rate_bps;      /* uplink rate, bit/s */
    double dl_rate_bps;      /* downlink rate, bit/s */
};

/* The row at distance_m for cfg (checked as radio_world_create does).
 * CORE_E_INPUT for a bad config or a distance outside the path-loss range
 * (radio_d2d_range_m). */
enum core_rc radio_link_budget(const struct radio_world_config *cfg, double distance_m,
                               struct radio_budget_row *row, struct core_err *e);

/* ======================================================================== */
/* The radio world on the event engine (world.c)                             */
/* ======================================================================== */

/* Cells of a hexagonal deployment, UEs that move, see shadowing and fading,
 * pick and hand over their serving cell, and transfer bytes as flows sharing
 * their serving cell's PRBs (uplinks in frequency, radio_flows_add_ul;
 * downlinks by time share of the full band). The world registers one entity with the engine
 * and schedules:
 *  - a position update per moving UE every RADIO_WORLD_STEP_M metres
 *    travelled and at each leg end (mobility, shadowing, path loss to every
 *    cell, handover with hysteresis and time-to-trigger judged at these
 *    updates, the UE's flows' rates);
 *  - a fading update per UE only while it has active flows, once per
 *    coherence time 0.423 / f_D (none for a UE at rest), under round robin
 *    (proportional fair uses mean-SINR rates, radio.h's flows model);
 *  - one completion event per cell and direction for its earliest flow,
 *    cancelled and rescheduled whenever a rate in that set changes;
 *  - per transfer, one event for its air start when its NR access (or the
 *    caller's delay before it) makes it wait, and one for its delivery when
 *    HARQ retransmissions (or the caller's delay after it) follow its air
 *    time (radio_world_transfer; the access model is above);
 *  - the optional traffic of the groups (Poisson requests: upload, then
 *    download).
 * Fading is a closed-form function of time, so samples and RRM queries
 * between updates see it exactly. Interference comes from every other cell at
 * the configured load; on the uplink with deploy.ue_interference, from the
 * UEs transmitting in the other cells instead (world.c). */

#define RADIO_WORLD_STEP_M 1.0 /* distance between position updates, m */

struct radio_world;

/* A finished transfer. */
struct radio_world_flow_done {
    uint64_t flow;          /* id from radio_world_transfer */
    uint32_t ue;            /* UE index */
    enum radio_dir dir;     /* direction */
    uint32_t cell;          /* cell that carried its last byte */
    double size_bytes;      /* bytes, B */
    double t_start_s;       /* when it was asked for, s */
    double t_end_s;         /* delivery (after HARQ and the caller's delay after), s */
    double duration_s;      /* t_end_s - t_start_s, s */
    double air_start_s;     /* on the air from (after the caller's delay before and the NR
                               access wait), s */
    double air_end_s;       /* its last byte sent, the first time, s */
    uint32_t n_retx;        /* HARQ retransmissions */
    double ue_energy_j;     /* UE radio energy charged to the transfer: its own draw, its
                               share of the base power and any RRC tail it starts, J */
    double ue_tail_j;       /* of which the RRC tail, J */
};

/* Called from the engine when a flow completes (may start new flows). */
typedef void (*radio_world_flow_fn)(void *ctx, struct radio_world *w,
                                    const struct radio_world_flow_done *done);
/* Called from the engine when a UE's serving cell changes. */
typedef void (*radio_world_handover_fn)(void *ctx, struct radio_world *w, uint32_t ue,
                                        uint32_t from_cell, uint32_t to_cell, double t_s);

/* One radio_samples row. */
struct radio_sample {
    uint32_t ue;          /* UE index */
    double t_s;           /* time, s */
    uint32_t cell;        /* serving cell */
    double x_m, y_m;      /* position, m */
    double ul_sinr_db;    /* uplink SINR, dB */
    double dl_sinr_db;    /* downlink SINR, dB */
    uint32_t ul_cqi;      /* uplink CQI, 0..15 */
    uint32_t dl_cqi;      /* downlink CQI, 0..15 */
    double ul_rate_bps;   /* expected uplink rate of one more flow, bit/s */
    double dl_rate_bps;   /* expected downlink rate of one more flow, bit/s */
};

/* Traffic counters of the groups' requests. */
struct radio_world_stats {
    uint64_t requests;        /* requests started */
    uint64_t flows_started;   /* flows started (traffic and callers) */
    uint64_t flows_done;      /* flows completed */
    uint64_t flows_cancelled; /* transfers stopped (radio_world_cancel) */
    uint64_t handovers;       /* serving-cell changes */
    uint64_t channel_updates; /* position and fading updates run */
    double bytes_done;        /* bytes of completed flows, B */
};

/* Build the world on eng at time core_engine_now(eng): checks cfg (the
 * *_check functions), places the UEs, draws shadowing, fading and LOS states
 * from streams (seed, UE index, purpose), picks each UE's strongest cell and
 * schedules the first events. cfg is copied (the groups' positions too).
 * CORE_E_INPUT for a bad config, CORE_E_NOMEM; NULL then. */
struct radio_world *radio_world_create(const struct radio_world_config *cfg,
                                       struct core_engine *eng, uint64_t seed,
                                       struct core_err *e);
void radio_world_destroy(struct radio_world *w); /* NULL is a no-op */

/* Callback on every serving-cell change (NULL: none). */
void radio_world_on_handover(struct radio_world *w, radio_world_handover_fn fn, void *ctx);

size_t radio_world_n_ues(const struct radio_world *w);
size_t radio_world_n_cells(const struct radio_world *w);
const struct radio_carrier *radio_world_carrier(const struct radio_world *w);
/* Position of cell c's site, m, and its serving UE's current cell. */
void radio_world_cell_site(const struct radio_world *w, uint32_t cell, double *x_m, double *y_m);
uint32_t radio_world_serving(const struct radio_world *w, uint32_t ue);
/* Where ue is now, m (reads only: nothing advances, nothing is drawn). */
void radio_world_ue_position(const struct radio_world *w, uint32_t ue, double *x_m, double *y_m);

/* Ask for a transfer of size_bytes (> 0) for ue in direction dir now. Its
 * data is ready after before_s (>= 0: a wired delay on the way to the gNB,
 * the caller's), then waits for the NR access (radio_access_ul_start_s /
 * _dl_start_s), goes on the air as a flow of the serving cell at that time,
 * is retransmitted as HARQ draws (one round trip each) and, after_s (>= 0:
 * the wired delay beyond the gNB) later, is delivered: fn(ctx, ...) is
 * called then (fn may be NULL). The UE's ledger counts an uplink transfer
 * from now (the UE waits for its grant), a downlink one from its air start,
 * each to its last retransmission. Events: one for the start when it is
 * later than now, one for the delivery when it is later than the air's
 * end. *flow_out (may be NULL) is its id. CORE_E_NOMEM if the flow tables
 * could not grow; CORE_E_INPUT for a UE out of range, a bad size or a bad
 * delay. */
enum core_rc radio_world_transfer(struct radio_world *w, uint32_t ue, enum radio_dir dir,
                                  double size_bytes, double before_s, double after_s,
                                  radio_world_flow_fn fn, void *ctx, uint64_t *flow_out,
                                  struct core_err *e);

/* radio_world_transfer with no wired delays. */
enum core_rc radio_world_start_flow(struct radio_world *w, uint32_t ue, enum radio_dir dir,
                                    double size_bytes, radio_world_flow_fn fn, void *ctx,
                                    uint64_t *flow_out, struct core_err *e);

/* Stop transfer flow now wherever it is (waiting for its grant, on the
 * air, in HARQ, in the caller's delay after): its callback is never called,
 * its bytes stop, and what the UE spent on it so far (its own draw, its
 * share of the base power to now and any RRC tail its end starts) is
 * reported in *out, t_end_s being now. false when flow is not in progress
 * (delivered, stopped, or never started). */
bool radio_world_cancel(struct radio_world *w, uint64_t flow, struct radio_world_flow_done *out);

/* The medium access the world's transfers use (its carrier's numerology). */
const struct radio_access *radio_world_access(const struct radio_world *w);

/* Whether ue's group has a fixed-rate link (radio_link_config). */
bool radio_world_ue_link_fixed(const struct radio_world *w, uint32_t ue);

/* Transfers of ue on the air in direction dir. */
size_t radio_world_ue_flows(const struct radio_world *w, uint32_t ue, enum radio_dir dir);

/* The RRM's view of ue now: SINR, CQI and rates with the current fading and
 * the serving cell's flows (radio_rrm_query), and the mean delay the NR
 * access and HARQ add to a transfer (radio_access_mean_delay_s). */
enum core_rc radio_world_rrm(struct radio_world *w, uint32_t ue, struct radio_rrm_reply *rep,
                             struct core_err *e);

/* A radio_samples row for ue now. */
enum core_rc radio_world_sample(struct radio_world *w, uint32_t ue, struct radio_sample *row,
                                struct core_err *e);

/* Counters so far. */
void radio_world_stats(const struct radio_world *w, struct radio_world_stats *out);

/* How long, so far, cell's direction dir had at least one active flow, s
 * (radio_flows_busy_s). */
double radio_world_busy_s(const struct radio_world *w, uint32_t cell, enum radio_dir dir);

#endif /* COINFER_RADIO_H */
