/*
 * world.c — the radio world on the event engine: the cells of a hexagonal
 * deployment, UEs that move and see shadowing and fading, serving-cell
 * selection and handover, and transfers as flows sharing each cell's PRBs.
 *
 * One engine entity carries four kinds of event (payload: the UE index, or
 * for completions the cell-direction index 2 cell + dir):
 *  - MOVE: a moving UE's position update, every RADIO_WORLD_STEP_M metres and
 *    at each leg end. It advances the mobility, the shadowing of every site
 *    link by the distance moved, the coupling loss to every cell, the A3
 *    handover (judged at these updates), the fading's Doppler and the rates
 *    of the UE's flows.
 *  - FADE: while a UE has active flows (and fading is on under round robin),
 *    once per coherence time: the serving link's fading gain is re-read and
 *    the flows' rates follow it. Between updates the rates hold.
 *  - ARRIVAL: the groups' optional Poisson traffic: each request uploads,
 *    then downloads.
 *  - DONE: the earliest completion of one cell-direction's flows. There is
 *    one such event per cell and direction; it is cancelled and rescheduled
 *    whenever any rate in that set changes (a flow starts or ends, a channel
 *    changes, a flow moves away at a handover).
 *
 * Data layout: per UE and site link, what cannot be recomputed: the
 * shadowing's value in shadow_db[ue n_sites + site], a uniform LOS draw in
 * los_u[] (the link is LOS while the draw is below the LOS probability at
 * the current distance, so the state changes only where the probability
 * crosses it) and one bit, the link's LOS state when its shadowing started
 * (which fixes its standard deviation and decorrelation distance), in
 * los0_bits: 16 bytes and a bit per site. A UE's coupling losses to every
 * cell (path loss + shadowing - antenna gain, dB, without fading) are
 * computed into one world-wide scratch at each of its position updates,
 * where the handover and the other cells' terms of its RRM queries (the
 * downlink interference, the uplink loads) are taken from them; the UE keeps
 * those terms and its serving cell's coupling loss. A coupling loss to any
 * other cell, which the uplink interference of ue_interference needs, is
 * recomputed from the link's state: the same function of the same inputs
 * (the position of the UE's last update), so the same bits. Path loss is
 * evaluated within the model's distance range (radio_d2d_range_m), nearer
 * or farther UEs at its ends; every site beyond the far end sees the same
 * path loss (per LOS state), computed once per update.
 * Fading acts on the serving link only (one process per UE, drawn Rician
 * or Rayleigh from the LOS state of its first serving link, continuing
 * across handovers); the RSRP of the handover is the fading-free (layer-3
 * filtered) power. Flows live in a table of slots with
 * a free list; each UE chains its active flows, which are always in its
 * serving cell (a handover moves them with their remaining bytes).
 *
 * A link whose rate falls below CQI 1 (or 1 bit/s in the Shannon mode) is
 * served at CQI 1's rate on all PRBs: the lowest MCS, as a scheduler keeps
 * a UE attached with repetitions rather than stalling it.
 *
 * Uplink flows share their cell in frequency (radio_flows_add_ul): with n
 * active each gets N_PRB / n PRBs with its power control on those, so a UE
 * at P_max gains from concentrating its power; the downlink gNB spreads its
 * power over the band and keeps the time-share rule. Downlink flows enter
 * their cell by SINR (radio_flows_add_sinr) so that proportional fair can
 * apply its selection diversity; the sets know whether fading is on.
 *
 * With deploy.ue_interference the uplink's interference is summed over the
 * active uplink flows of the other cells (ul_act lists them densely) at each
 * RRM evaluation instead of ul_iot scaled by load.
 *
 * A UE of a group with a fixed-rate link (radio_link_config) has two flow
 * sets of its own after the cells' (cdirs[link_cd + dir], round robin at
 * its link's rate): its transfers skip the NR access and HARQ, wait its
 * link's latency after their bytes, never move at a handover and take no
 * part in the cells' sharing, interference or fading updates; the RRM
 * reports its link's rates (and its NR cell's SINR, for samples).
 *
 * UE energy: the cells' flow sets charge each flow its direction's own
 * draw (the power amplifier's, or the receive chain's) with a power model
 * whose p_on_w is 0; the base power p_on_w and the RRC tail are the UE's,
 * charged once per UE through its ledger (radio_ue_ledger: split equally
 * among the UE's active flows, the tail to the flow that ends last) and
 * added to each flow's report.
 */
#include "radio/radio_int.h"

#include <string.h>

#define NONE UINT32_MAX
#define FADE_FLOOR_DB (-60.0) /* deepest fade applied, dB */

enum world_event {
    EV_MOVE,
    EV_FADE,
    EV_ARRIVAL,
    EV_DONE,
    EV_GRANT,
    EV_AFTER,
    EV_COUNT
};

struct cell {
    uint32_t site;   /* its site */
    uint32_t sector; /* sector of the site */
};

/* The flows of one cell in one direction and their completion event. */
struct cdir {
    struct radio_flows *fs; /* owned */
    core_event_id ev;       /* pending DONE event, 0 when none */
};

struct wflow {
    uint64_t id;             /* caller-visible id, from 1 */
    uint32_t ue;             /* owner */
    uint32_t dir;            /* enum radio_dir */
    uint32_t cell;           /* cell carrying it now */
    uint32_t handle;         /* handle in that cell's flow set */
    uint32_t cd;             /* on the air: the flow set carrying it, index in cdirs */
    uint32_t next;           /* on the air: next flow of the UE; free: next free slot; NONE
                                ends */
    bool active;             /* slot in use: a transfer waiting, on the air or after it */
    bool on_air;             /* in its cell's flow set and its UE's chain */
    bool cancelled;          /* stopped (radio_world_cancel): its pending event frees the
                                slot */
    double size_bytes;       /* bytes requested, B */
    double t_start_s;        /* asked for, s */
    double sent_before_bytes; /* bytes sent in cells left at handovers, B */
    double energy_before_j;  /* UE energy in cells left at handovers, J */
    double air_j;            /* UE energy of its own draw in its last cell, J */
    double base_j;           /* its share of the UE's base power, J */
    double tail_j;           /* the RRC tail it started, J */
    double base_mark;        /* its UE ledger's mark at its start (radio_ue_ledger_begin) */
    bool in_ledger;          /* counted in its UE's ledger now */
    double air_start_s;      /* on the air from, s */
    double air_end_s;        /* off the air (last byte sent the first time), s */
    uint32_t n_retx;         /* HARQ retransmissions */
    double after_s;          /* the caller's delay after HARQ, s */
    uint32_t ul_pos;         /* uplink: index in the world's ul_act */
    radio_world_flow_fn fn;  /* completion callback (may be NULL) */
    void *ctx;               /* its context */
};

struct ue {
    struct radio_mobility mob; /* movement */
    struct radio_fading fade;  /* serving-link fading */
    struct radio_handover ho;  /* serving cell and A3 timer */
    struct core_rng *r_mob;    /* CORE_RNG_MOBILITY stream */
    struct core_rng *r_fade;   /* CORE_RNG_FADING stream */
    struct core_rng *r_shadow; /* CORE_RNG_SHADOWING stream */
    struct core_rng *r_arr;    /* CORE_RNG_ARRIVALS stream */
    struct core_rng *r_harq;   /* CORE_RNG_HARQ stream (NULL: no retransmissions) */
    double h_e_m;              /* UMa effective environment height, m */
    double fade_db;            /* fading gain in the current rates, dB */
    double speed_mps;          /* speed the Doppler was set for, m/s */
    double ul_bytes;           /* traffic: upload per request, B */
    double dl_bytes;           /* traffic: download per request, B */
    double rate_hz;            /* traffic: requests per second, Hz */
    bool fixed;                /* its group's link is fixed-rate (radio_link_config) */
    double fixed_rate_bps[RADIO_DIR_COUNT]; /* fixed: its link's rates, bit/s */
    double fixed_latency_s;    /* fixed: its link's one-way latency, s */
    uint32_t link_cd;          /* fixed: its link's uplink set in cdirs (downlink: + 1) */
    uint32_t flow_head;        /* first flow on the air, NONE if none */
    uint32_t n_flows[RADIO_DIR_COUNT]; /* flows on the air per direction */
    struct radio_ue_ledger ledger; /* its base power and RRC tail */
    core_event_id move_ev;     /* pending MOVE, 0 when none */
    core_event_id fade_ev;     /* pending FADE, 0 when none */
    /* The serving cell's terms and the other cells' terms of this UE's RRM
     * queries (radio_rrm_other_cells), set at each position update after
     * the handover (cache_channel): the cells' loads are fixed, so they hold
     * until its next one. */
    double cl_serving_db;      /* coupling loss to the serving cell, without fading, dB */
    double rrm_dl_interf_w;    /* other cells' DL interference, W */
    double rrm_ul_load_sum;    /* other cells' UL loads, 1 */
};

struct radio_world {
    struct radio_world_config cfg; /* copy (groups copied below) */
    struct radio_ue_group_config *groups; /* owned copies */
    double *positions;         /* owned copies of the positions, 2 per UE of such groups */
    struct radio_carrier carrier; /* the carrier */
    struct radio_power_model flow_power; /* cfg.power without p_on_w: what the flow sets charge */
    struct radio_access access; /* NR medium access on the carrier */
    double ul_delay_s;         /* mean delay the access adds to an uplink transfer, s */
    double dl_delay_s;         /* ... to a downlink one, s */
    enum radio_scenario scenario; /* TR 38.901 scenario */
    double h_bs_m;             /* BS height, m */
    double d_min_m, d_max_m;   /* path-loss distance range, m */
    double area_radius_m;      /* disc covering every cell around the centre site, m */
    double peak_rate_bps;      /* full band at the highest CQI, bit/s */
    double floor_rate_bps;     /* lowest rate a flow is served at, bit/s */
    struct radio_rrm_consts rrm_consts; /* the RRM's UE-independent terms */
    bool rrm_consts_ready;     /* rrm_consts is set (at the first query) */
    double prb_power_dbm;      /* gNB power per PRB, dBm */
    size_t n_sites;            /* sites, 1 */
    size_t n_cells;            /* cells: sites x sectors, 1 */
    size_t n_ues;              /* UEs of all groups, 1 */
    double *site_x_m, *site_y_m; /* [n_sites] */
    struct cell *cells;        /* [n_cells] */
    struct ue *ues;            /* [n_ues] */
    double *shadow_db;         /* [n_ues n_sites] shadowing of each site link, dB */
    double *los_u;             /* [n_ues n_sites] LOS draw, 0..1 */
    uint64_t *los0_bits;       /* [n_ues los0_words] bit per site link: LOS at its shadowing's
                                  start (sets its sd and decorrelation distance) */
    size_t los0_words;         /* 64-bit words of los0_bits per UE */
    double p_los_far;          /* LOS probability at d_max_m, 0..1 */
    struct radio_pl_ctx pl_ctx_he1; /* path-loss terms of a UE of h_E = 1 m */
    double *cl_scratch_db;     /* [n_cells] one UE's coupling losses (compute_cl), dB */
    double *scratch_db;        /* [n_cells] coupling losses of one RRM query (its serving
                                  cell's is the only one read), dB */
    double *rsrp_dbm;          /* [n_cells] RSRP of one handover check, dBm */
    double *load;              /* [n_cells] interfering cells' load, 1 */
    struct cdir *cdirs;        /* [n_cdirs]: index 2 cell + dir, then 2 per fixed-link UE */
    size_t n_cdirs;            /* 2 (n_cells + fixed-link UEs) */
    size_t n_fixed;            /* fixed-link UEs given their sets so far */
    double p_max_w;            /* UE maximum power (a fixed link's uplink), W */
    struct wflow *flows;       /* flow slots */
    size_t flows_cap;          /* slots allocated */
    uint32_t *ul_act;          /* [flows_cap] active uplink flow slots, n_ul_act of them */
    size_t n_ul_act;           /* active uplink flows */
    uint32_t free_flow;        /* first free slot, NONE if none */
    uint64_t next_flow_id;     /* next id handed out */
    struct core_engine *eng;   /* borrowed */
    struct core_entity_type type; /* our entity type */
    uint32_t entity;           /* our entity index */
    radio_world_handover_fn on_handover; /* may be NULL */
    void *handover_ctx;        /* its context */
    struct radio_world_stats stats; /* counters */
};

static void on_move(void *state, const struct core_event *ev, struct core_engine *eng);
static void on_fade(void *state, const struct core_event *ev, struct core_engine *eng);
static void on_arrival(void *state, const struct core_event *ev, struct core_engine *eng);
static void on_done(void *state, const struct core_event *ev, struct core_engine *eng);
static void on_grant(void *state, const struct core_event *ev, struct core_engine *eng);
static void on_after(void *state, const struct core_event *ev, struct core_engine *eng);

static const core_handler_fn world_handlers[] = {on_move, on_fade, on_arrival,
                                                 on_done, on_grant, on_after};
static_assert(ARRAY_LEN(world_handlers) == EV_COUNT, "one handler per event kind");

/* ---- channel ---------------------------------------------------------------- */

static bool fading_drives_rates(const struct radio_world *w)
{
    return w->cfg.deploy.fading && w->cfg.deploy.scheduler == RADIO_SCHED_RR;
}

static double fading_db_at(const struct radio_world *w, const struct ue *u, double t_s)
{
    double db;

    if (!w->cfg.deploy.fading)
        return 0.0;
    db = 10.0 * log10(radio_fading_power(&u->fade, t_s));
    return db > FADE_FLOOR_DB ? db : FADE_FLOOR_DB;
}

/* Position of u at t_s (>= its mobility's time) without advancing it. */
static void position_at(const struct ue *u, double t_s, double *x_m, double *y_m)
{
    double dt_s = t_s - u->mob.t_s;

    *x_m = u->mob.x_m + u->mob.vx_mps * dt_s;
    *y_m = u->mob.y_m + u->mob.vy_mps * dt_s;
}

/* The LOS state of ue's link to site when its shadowing started (los0_bits). */
static bool los0(const struct radio_world *w, uint32_t ue, size_t site)
{
    return (w->los0_bits[(size_t)ue * w->los0_words + site / 64] >> (site % 64)) & 1u;
}

/* The path-loss terms of u's links that do not depend on the distance (the
 * world's own for the UEs of h_E = 1 m, all but UMa's high ones). */
static struct radio_pl_ctx pl_ctx(const struct radio_world *w, const struct ue *u)
{
    if (u->h_e_m == 1.0)
        return w->pl_ctx_he1;
    struct radio_pl_args a = {
        .scenario = w->scenario,
        .carrier_hz = w->cfg.carrier.carrier_hz,
        .h_bs_m = w->h_bs_m,
        .h_ut_m = w->cfg.deploy.ue_height_m,
        .h_e_m = u->h_e_m,
    };
    struct radio_pl_ctx c;
    enum core_rc rc = radio_pl_ctx_init(&a, &c, NULL);

    CORE_ASSERT(rc == CORE_OK);
    return c;
}

/* One UE's path-loss terms for a pass over the sites, and its path losses
 * at the far end of the distance range, per LOS state, computed at most once
 * in the pass. */
struct far_pl {
    struct radio_pl_ctx ctx; /* the UE's distance-free terms */
    bool have[2];            /* db[los] is set */
    double db[2];            /* path loss at d_max_m, NLOS and LOS, dB */
};

/* Path loss plus shadowing of ue's link to site s from its position at its
 * last update, dB; its azimuth into *az_rad when az_rad is not NULL. */
static double site_loss_db(const struct radio_world *w, uint32_t ue, size_t s,
                           struct far_pl *far, double *az_rad)
{
    const struct ue *u = &w->ues[ue];
    double dx = u->mob.x_m - w->site_x_m[s], dy = u->mob.y_m - w->site_y_m[s];
    double d_m = hypot(dx, dy), los_u = w->los_u[(size_t)ue * w->n_sites + s], pl_db;

    if (az_rad != NULL)
        *az_rad = atan2(dy, dx);
    if (d_m > w->d_max_m) {
        bool los = los_u < w->p_los_far;

        if (!far->have[los]) {
            far->db[los] = radio_pl_ctx_db(&far->ctx, w->d_max_m, los);
            far->have[los] = true;
        }
        pl_db = far->db[los];
    } else {
        d_m = d_m < w->d_min_m ? w->d_min_m : d_m;
        pl_db = radio_pl_ctx_db(&far->ctx, d_m,
                                los_u < radio_los_probability(w->scenario, d_m,
                                                              w->cfg.deploy.ue_height_m));
    }
    return pl_db + w->shadow_db[(size_t)ue * w->n_sites + s];
}

/* Coupling loss of ue to every cell from its current position into
 * cl_scratch_db, and the fading-free RSRP of each into rsrp_dbm. */
static void compute_cl(struct radio_world *w, uint32_t ue)
{
    double *cl = w->cl_scratch_db;
    size_t n_sec = (size_t)w->cfg.deploy.n_sectors;
    struct far_pl far = {.ctx = pl_ctx(w, &w->ues[ue])};

    for (size_t s = 0; s < w->n_sites; s++) {
        /* One sector: the antenna gain is 0 dB whatever the azimuth. */
        double az = 0.0, pl_db = site_loss_db(w, ue, s, &far, n_sec > 1 ? &az : NULL);

        for (size_t k = 0; k < n_sec; k++) {
            size_t c = s * n_sec + k;

            cl[c] = pl_db - radio_antenna_gain_db((uint32_t)n_sec, (uint32_t)k, az);
            w->rsrp_dbm[c] = w->prb_power_dbm - cl[c];
        }
    }
}

/* Coupling loss of ue to cell from its position at its last update, dB:
 * what compute_cl gave there, recomputed. */
static double cl_of(const struct radio_world *w, uint32_t ue, uint32_t cell)
{
    const struct cell *c = &w->cells[cell];
    size_t n_sec = (size_t)w->cfg.deploy.n_sectors;
    struct far_pl far = {.ctx = pl_ctx(w, &w->ues[ue])};
    double az = 0.0, pl_db = site_loss_db(w, ue, c->site, &far, n_sec > 1 ? &az : NULL);

    return pl_db - radio_antenna_gain_db((uint32_t)n_sec, c->sector, az);
}

/* After compute_cl and the handover check: ue's serving coupling loss and
 * the other cells' terms of its RRM queries, from cl_scratch_db. */
static void cache_channel(struct radio_world *w, uint32_t ue)
{
    struct ue *u = &w->ues[ue];
    struct radio_rrm_request req = {
        .carrier = &w->carrier,
        .n_cells = w->n_cells,
        .serving = u->ho.serving,
        .coupling_loss_db = w->cl_scratch_db,
        .dl_load = w->load,
        .ul_load = w->load,
        .gnb_power_dbm = w->cfg.deploy.gnb_power_dbm,
    };

    u->cl_serving_db = w->cl_scratch_db[u->ho.serving];
    radio_rrm_other_cells(&req, &u->rrm_dl_interf_w, &u->rrm_ul_load_sum);
}

/* Uplink interference per PRB at cell's gNB from the UEs transmitting in
 * the other cells, W. A cell c' with n' active uplink flows lends each M' =
 * N / n' PRBs; flow j's UE radiates P_j = min(P_max, p_prb_j M') (its power
 * control on its coupling loss to c', without fading) over them, so a PRB of
 * `cell` meets, on average over which of c''s flows owns it,
 * (1 / N) sum_j P_j 10^(-CL_j,cell / 10). Interferers' links are not faded;
 * the sum is re-read at each of the victim's channel updates and flow starts
 * (not when a neighbour's flow starts or ends). O(active uplink flows). */
static double ul_interference_w(const struct radio_world *w, uint32_t cell)
{
    const struct radio_pc_config *pc = &w->cfg.pc;
    double n_prb = (double)w->carrier.n_prb, p_max_w = radio_dbm_to_w(pc->p_max_dbm);
    double mu_db = 10.0 * log10(ldexp(1.0, (int)w->carrier.mu)), sum_w = 0.0;

    for (size_t k = 0; k < w->n_ul_act; k++) {
        const struct wflow *fl = &w->flows[w->ul_act[k]];

        if (fl->cell == cell)
            continue;
        size_t n_act = radio_flows_active(w->cdirs[2 * fl->cell + RADIO_DIR_UL].fs);
        double m_prb = n_prb / (double)(n_act > 0 ? n_act : 1);
        double p_w = radio_dbm_to_w(pc->p0_dbm + mu_db + pc->alpha * cl_of(w, fl->ue, fl->cell)) *
                     m_prb;

        sum_w += (p_w < p_max_w ? p_w : p_max_w) * radio_db_to_lin(-cl_of(w, fl->ue, cell));
    }
    return sum_w / n_prb;
}

/* The RRM's answer for ue with the serving link faded by fade_db. */
static void rrm_with_fade(struct radio_world *w, uint32_t ue, double fade_db,
                          struct radio_rrm_reply *rep)
{
    struct ue *u = &w->ues[ue];
    uint32_t serving = u->ho.serving;
    const struct radio_deployment_config *d = &w->cfg.deploy;
    struct radio_rrm_request req = {
        .carrier = &w->carrier,
        .n_cells = w->n_cells,
        .serving = serving,
        .coupling_loss_db = w->scratch_db,
        .dl_load = w->load,
        .ul_load = w->load,
        .gnb_power_dbm = d->gnb_power_dbm,
        .ul_pc = {w->cfg.pc.p_max_dbm, w->cfg.pc.p0_dbm, w->cfg.pc.alpha},
        .ue_noise_figure_db = d->ue_noise_figure_db,
        .gnb_noise_figure_db = d->gnb_noise_figure_db,
        .ul_iot_db = d->ul_iot_db,
        .dl_active = radio_flows_active(w->cdirs[2 * serving + RADIO_DIR_DL].fs),
        .ul_active = radio_flows_active(w->cdirs[2 * serving + RADIO_DIR_UL].fs),
        .sched = (enum radio_sched)d->scheduler,
        .pf_rayleigh = d->fading,
    };
    enum core_rc rc;

    if (!w->rrm_consts_ready) {
        radio_rrm_consts_init(&req, &w->rrm_consts);
        w->rrm_consts_ready = true;
    }
    req.consts = &w->rrm_consts;
    w->scratch_db[serving] = u->cl_serving_db;
    req.others_given = true;
    req.dl_interf_w = u->rrm_dl_interf_w;
    req.ul_load_sum = u->rrm_ul_load_sum;
    w->scratch_db[serving] -= fade_db;
    if (d->ue_interference) {
        req.ul_interf_given = true;
        req.ul_interf_prb_w = ul_interference_w(w, serving);
    }
    rc = radio_rrm_query(&req, rep, NULL);
    CORE_ASSERT(rc == CORE_OK);
}

/* The uplink of a flow from rep, with the world's rate floor. */
static struct radio_ul_link ul_link(const struct radio_world *w,
                                    const struct radio_rrm_reply *rep)
{
    struct radio_ul_link l = rep->ul_link;

    l.floor_bps = w->floor_rate_bps;
    return l;
}

/* Add a flow of ue in dir carrying size_bytes to cell's set with rep's
 * channel. */
static enum core_rc add_to_cell(struct radio_world *w, uint32_t cell, enum radio_dir dir,
                                uint32_t f, uint32_t ue, double size_bytes,
                                const struct radio_rrm_reply *rep, uint32_t *handle,
                                struct core_err *e)
{
    struct radio_flows *fs = w->cdirs[2 * cell + dir].fs;
    double now_s = core_engine_now(w->eng);

    if (dir == RADIO_DIR_UL) {
        struct radio_ul_link l = ul_link(w, rep);

        return radio_flows_add_ul(fs, now_s, f, ue, size_bytes, &l, handle, e);
    }
    return radio_flows_add_sinr(fs, now_s, f, ue, size_bytes, &w->carrier,
                                radio_db_to_lin(rep->dl_sinr_db), w->floor_rate_bps, handle, e);
}

/* ---- completion events ------------------------------------------------------ */

/* Cancel cell-direction cd's completion event and schedule its earliest
 * completion anew. */
static void reschedule(struct radio_world *w, size_t cd)
{
    struct cdir *c = &w->cdirs[cd];
    double t_s, now_s = core_engine_now(w->eng);
    uint32_t h;

    if (c->ev != 0)
        core_cancel(w->eng, c->ev);
    c->ev = 0;
    if (!radio_flows_next_completion(c->fs, &t_s, &h))
        return;
    c->ev = core_schedule_at(w->eng, t_s > now_s ? t_s : now_s, w->entity, EV_DONE, 0,
                             (union core_payload){.u64 = cd});
}

/* Re-read ue's channel and give its flows their new rates. */
static void update_rates(struct radio_world *w, uint32_t ue)
{
    struct ue *u = &w->ues[ue];
    struct radio_rrm_reply rep;
    double now_s = core_engine_now(w->eng);
    size_t cell = u->ho.serving;

    if (u->flow_head == NONE || u->fixed)
        return;
    rrm_with_fade(w, ue, fading_drives_rates(w) ? u->fade_db : 0.0, &rep);
    for (uint32_t f = u->flow_head; f != NONE; f = w->flows[f].next) {
        struct wflow *fl = &w->flows[f];
        struct radio_flows *fs = w->cdirs[fl->cd].fs;

        if (fl->dir == RADIO_DIR_UL) {
            struct radio_ul_link l = ul_link(w, &rep);

            radio_flows_set_ul_link(fs, now_s, fl->handle, &l);
        } else {
            radio_flows_set_sinr(fs, now_s, fl->handle, radio_db_to_lin(rep.dl_sinr_db));
        }
    }
    for (size_t d = 0; d < RADIO_DIR_COUNT; d++)
        if (u->n_flows[d] > 0)
            reschedule(w, 2 * cell + d);
}

/* Schedule ue's next fading update if it needs one and has none. */
static void arm_fading(struct radio_world *w, uint32_t ue)
{
    struct ue *u = &w->ues[ue];
    double coh_s;

    if (!fading_drives_rates(w) || u->fade_ev != 0 || u->flow_head == NONE || u->fixed)
        return;
    coh_s = radio_fading_coherence_s(radio_doppler_hz(u->speed_mps, w->cfg.carrier.carrier_hz));
    if (!isfinite(coh_s))
        return;
    u->fade_ev = core_schedule_in(w->eng, coh_s, w->entity, EV_FADE, 1,
                                  (union core_payload){.u64 = ue});
}

/* ---- flows ------------------------------------------------------------------ */

static enum core_rc grow_flows(struct radio_world *w, struct core_err *e)
{
    size_t cap = w->flows_cap ? 2 * w->flows_cap : 64;
    struct wflow *f = core_realloc(w->flows, cap * sizeof(*f));
    uint32_t *ul_act;

    if (f == NULL)
        return core_err(e, CORE_E_NOMEM, "no memory for %zu radio flows", cap);
    w->flows = f;
    ul_act = core_realloc(w->ul_act, cap * sizeof(*ul_act));
    if (ul_act == NULL)
        return core_err(e, CORE_E_NOMEM, "no memory for %zu radio flows", cap);
    w->ul_act = ul_act;
    for (size_t i = w->flows_cap; i < cap; i++) {
        f[i] = (struct wflow){0};
        f[i].next = i + 1 < cap ? (uint32_t)(i + 1) : w->free_flow;
    }
    w->free_flow = (uint32_t)w->flows_cap;
    w->flows = f;
    w->flows_cap = cap;
    return CORE_OK;
}

/* Flow f leaves the air: out of its UE's chain and the active uplinks. */
static void unlink_flow(struct radio_world *w, uint32_t f)
{
    struct wflow *fl = &w->flows[f];
    struct ue *u = &w->ues[fl->ue];
    uint32_t *p = &u->flow_head;

    while (*p != f)
        p = &w->flows[*p].next;
    *p = fl->next;
    fl->on_air = false;
    u->n_flows[fl->dir]--;
    if (fl->dir == RADIO_DIR_UL && !u->fixed) {
        uint32_t last = w->ul_act[--w->n_ul_act];

        w->ul_act[fl->ul_pos] = last;
        w->flows[last].ul_pos = fl->ul_pos;
    }
}

/* The slot of a transfer that is over goes back to the free list. */
static void free_flow(struct radio_world *w, uint32_t f)
{
    struct wflow *fl = &w->flows[f];

    fl->active = false;
    fl->cancelled = false;
    fl->next = w->free_flow;
    w->free_flow = f;
}

/* What transfer f comes to, ending now (delivered or stopped). */
static struct radio_world_flow_done flow_report(const struct radio_world *w, uint32_t f)
{
    const struct wflow *fl = &w->flows[f];
    double now_s = core_engine_now(w->eng);

    return (struct radio_world_flow_done){
        .flow = fl->id,
        .ue = fl->ue,
        .dir = (enum radio_dir)fl->dir,
        .cell = fl->cell,
        .size_bytes = fl->size_bytes,
        .t_start_s = fl->t_start_s,
        .t_end_s = now_s,
        .duration_s = now_s - fl->t_start_s,
        .air_start_s = fl->air_start_s,
        .air_end_s = fl->air_end_s,
        .n_retx = fl->n_retx,
        .ue_energy_j = fl->energy_before_j + fl->air_j + fl->base_j + fl->tail_j,
        .ue_tail_j = fl->tail_j,
    };
}

/* Transfer f is delivered now: report it and free its slot. */
static void deliver(struct radio_world *w, uint32_t f)
{
    struct wflow *fl = &w->flows[f];
    struct radio_world_flow_done done = flow_report(w, f);
    radio_world_flow_fn fn = fl->fn;
    void *ctx = fl->ctx;

    free_flow(w, f);
    w->stats.flows_done++;
    w->stats.bytes_done += done.size_bytes;
    if (fn != NULL)
        fn(ctx, w, &done);
}

/* Transfer f's last retransmission is through now: its UE's ledger lets it
 * go; then it is delivered now or after the caller's delay. */
static void after_harq(struct radio_world *w, uint32_t f)
{
    struct wflow *fl = &w->flows[f];
    struct ue *u = &w->ues[fl->ue];

    fl->base_j = radio_ue_ledger_end(&u->ledger, &w->cfg.power, core_engine_now(w->eng),
                                     fl->base_mark, &fl->tail_j);
    fl->in_ledger = false;
    if (fl->after_s > 0.0)
        core_schedule_in(w->eng, fl->after_s, w->entity, EV_AFTER, 0,
                         (union core_payload){.u64 = f});
    else
        deliver(w, f);
}

/* Flow f's last byte went out now (rep: its last cell's report): off the
 * air, then its HARQ retransmissions, one round trip each. */
static void finish_flow(struct radio_world *w, uint32_t f, const struct radio_flow_report *rep)
{
    struct wflow *fl = &w->flows[f];
    struct ue *u = &w->ues[fl->ue];
    double harq_s;

    fl->air_j = rep->ue_energy_j;
    fl->air_end_s = rep->t_end_s;
    unlink_flow(w, f);
    if (u->flow_head == NONE && u->fade_ev != 0) {
        core_cancel(w->eng, u->fade_ev);
        u->fade_ev = 0;
    }
    fl->n_retx = u->fixed ? 0 : radio_access_retx(&w->access, u->r_harq);
    harq_s = (double)fl->n_retx * (fl->dir == RADIO_DIR_UL ? w->access.ul_rtt_s
                                                           : w->access.dl_rtt_s);
    if (harq_s > 0.0)
        core_schedule_in(w->eng, harq_s, w->entity, EV_AFTER, 0,
                         (union core_payload){.u64 = f});
    else
        after_harq(w, f);
}

/* Transfer f goes on the air now, in its UE's serving cell. */
static enum core_rc air_start(struct radio_world *w, uint32_t f, struct core_err *e)
{
    struct wflow *fl = &w->flows[f];
    uint32_t ue = fl->ue;
    struct ue *u = &w->ues[ue];
    double now_s = core_engine_now(w->eng);
    uint32_t cell = u->ho.serving, handle, cd;
    struct radio_rrm_reply rep;
    enum core_rc rc;

    if (u->fixed) {
        cd = u->link_cd + fl->dir;
        rc = radio_flows_add(w->cdirs[cd].fs, now_s, f, ue, fl->size_bytes,
                             u->fixed_rate_bps[fl->dir], w->p_max_w, &handle, e);
    } else {
        cd = 2 * cell + fl->dir;
        if (u->flow_head == NONE)
            u->fade_db = fading_db_at(w, u, now_s);
        rrm_with_fade(w, ue, fading_drives_rates(w) ? u->fade_db : 0.0, &rep);
        rc = add_to_cell(w, cell, (enum radio_dir)fl->dir, f, ue, fl->size_bytes, &rep, &handle,
                         e);
    }
    if (rc != CORE_OK)
        return rc;
    fl->cell = cell;
    fl->cd = cd;
    fl->handle = handle;
    fl->air_start_s = now_s;
    if (!fl->in_ledger) {
        fl->base_mark = radio_ue_ledger_begin(&u->ledger, &w->cfg.power, now_s);
        fl->in_ledger = true;
    }
    fl->next = u->flow_head;
    fl->on_air = true;
    u->flow_head = f;
    u->n_flows[fl->dir]++;
    if (fl->dir == RADIO_DIR_UL && !u->fixed) {
        fl->ul_pos = (uint32_t)w->n_ul_act;
        w->ul_act[w->n_ul_act++] = f;
    }
    reschedule(w, cd);
    arm_fading(w, ue);
    return CORE_OK;
}

enum core_rc radio_world_transfer(struct radio_world *w, uint32_t ue, enum radio_dir dir,
                                  double size_bytes, double before_s, double after_s,
                                  radio_world_flow_fn fn, void *ctx, uint64_t *flow_out,
                                  struct core_err *e)
{
    double now_s = core_engine_now(w->eng), start_s;
    struct wflow *fl;
    struct ue *u;
    uint32_t f;
    enum core_rc rc;

    if (ue >= w->n_ues)
        return core_err(e, CORE_E_INPUT, "UE %u is out of range [0, %zu]", (unsigned)ue,
                        w->n_ues - 1);
    if (!(size_bytes > 0.0) || !isfinite(size_bytes))
        return core_err(e, CORE_E_INPUT, "a transfer of %g B: the size must be positive",
                        size_bytes);
    if (!(before_s >= 0.0) || !isfinite(before_s) || !(after_s >= 0.0) || !isfinite(after_s))
        return core_err(e, CORE_E_INPUT,
                        "a transfer's delays %g s and %g s must be finite and not negative",
                        before_s, after_s);
    CORE_ASSERT(dir < RADIO_DIR_COUNT);
    if (w->free_flow == NONE) {
        rc = grow_flows(w, e);
        if (rc != CORE_OK)
            return rc;
    }
    u = &w->ues[ue];
    f = w->free_flow;
    fl = &w->flows[f];
    w->free_flow = fl->next;
    *fl = (struct wflow){
        .id = w->next_flow_id++,
        .ue = ue,
        .dir = dir,
        .cell = u->ho.serving,
        .next = NONE,
        .active = true,
        .size_bytes = size_bytes,
        .t_start_s = now_s,
        .after_s = after_s,
        .fn = fn,
        .ctx = ctx,
    };
    if (u->fixed) {
        /* No NR access: on the link at once, its latency after the bytes. */
        start_s = now_s + before_s;
        fl->after_s += u->fixed_latency_s;
    } else if (dir == RADIO_DIR_UL) {
        /* The UE is awake from the moment it has data: it waits for its grant. */
        fl->base_mark = radio_ue_ledger_begin(&u->ledger, &w->cfg.power, now_s);
        fl->in_ledger = true;
        start_s = radio_access_ul_start_s(&w->access, ue, now_s + before_s);
    } else {
        start_s = radio_access_dl_start_s(&w->access, now_s + before_s);
    }
    w->stats.flows_started++;
    if (flow_out != NULL)
        *flow_out = fl->id;
    if (start_s > now_s) {
        core_schedule_at(w->eng, start_s, w->entity, EV_GRANT, 0,
                         (union core_payload){.u64 = f});
        return CORE_OK;
    }
    rc = air_start(w, f, e);
    if (rc != CORE_OK) {
        if (fl->in_ledger)
            radio_ue_ledger_end(&u->ledger, &w->cfg.power, now_s, fl->base_mark, NULL);
        free_flow(w, f);
        w->stats.flows_started--;
        w->next_flow_id--;
    }
    return rc;
}

enum core_rc radio_world_start_flow(struct radio_world *w, uint32_t ue, enum radio_dir dir,
                                    double size_bytes, radio_world_flow_fn fn, void *ctx,
                                    uint64_t *flow_out, struct core_err *e)
{
    return radio_world_transfer(w, ue, dir, size_bytes, 0.0, 0.0, fn, ctx, flow_out, e);
}

bool radio_world_cancel(struct radio_world *w, uint64_t flow, struct radio_world_flow_done *out)
{
    double now_s = core_engine_now(w->eng);
    struct wflow *fl = NULL;
    struct ue *u;
    uint32_t f;
    bool was_air;

    for (f = 0; f < w->flows_cap; f++)
        if (w->flows[f].active && !w->flows[f].cancelled && w->flows[f].id == flow) {
            fl = &w->flows[f];
            break;
        }
    if (fl == NULL)
        return false;
    u = &w->ues[fl->ue];
    was_air = fl->on_air;
    if (was_air) {
        struct radio_flow_report r;
        uint32_t cd = fl->cd;

        radio_flows_remove(w->cdirs[cd].fs, now_s, fl->handle, &r);
        fl->air_j = r.ue_energy_j;
        fl->sent_before_bytes += r.sent_bytes;
        fl->air_end_s = now_s;
        unlink_flow(w, f);
        if (u->flow_head == NONE && u->fade_ev != 0) {
            core_cancel(w->eng, u->fade_ev);
            u->fade_ev = 0;
        }
        reschedule(w, cd);
    }
    if (fl->in_ledger) {
        fl->base_j = radio_ue_ledger_end(&u->ledger, &w->cfg.power, now_s, fl->base_mark,
                                         &fl->tail_j);
        fl->in_ledger = false;
    }
    *out = flow_report(w, f);
    w->stats.flows_cancelled++;
    /* Off the air, a grant, HARQ or delay event still names the slot: it
     * frees it. On the air, no event does. */
    if (was_air)
        free_flow(w, f);
    else
        fl->cancelled = true;
    return true;
}

/* ue's serving cell changed from `from` to u->ho.serving: move its flows
 * with their remaining bytes and tell the hook. */
static void hand_over(struct radio_world *w, uint32_t ue, uint32_t from)
{
    struct ue *u = &w->ues[ue];
    uint32_t to = u->ho.serving, f, next;
    double now_s = core_engine_now(w->eng);
    struct radio_rrm_reply rep;
    bool moved = false;

    w->stats.handovers++;
    if (u->fixed) {
        /* Its link is its own: its transfers stay on it. */
        if (w->on_handover != NULL)
            w->on_handover(w->handover_ctx, w, ue, from, to, now_s);
        return;
    }
    if (u->flow_head != NONE)
        rrm_with_fade(w, ue, fading_drives_rates(w) ? u->fade_db : 0.0, &rep);
    for (f = u->flow_head; f != NONE; f = next) {
        struct wflow *fl = &w->flows[f];
        struct radio_flow_report r;
        double left_bytes;
        enum core_rc rc;

        next = fl->next;
        radio_flows_remove(w->cdirs[2 * from + fl->dir].fs, now_s, fl->handle, &r);
        fl->sent_before_bytes += r.sent_bytes;
        fl->energy_before_j += r.ue_energy_j;
        left_bytes = fl->size_bytes - fl->sent_before_bytes;
        if (left_bytes <= 1e-9 * fl->size_bytes) {
            r.ue_energy_j = 0.0;
            finish_flow(w, f, &r);
            continue;
        }
        rc = add_to_cell(w, to, (enum radio_dir)fl->dir, f, ue, left_bytes, &rep, &fl->handle,
                         NULL);
        if (rc != CORE_OK) {
            core_engine_fail(w->eng, rc, "no memory to move radio flows at a handover");
            return;
        }
        fl->cell = to;
        fl->cd = 2 * to + fl->dir;
        moved = true;
    }
    for (size_t d = 0; d < RADIO_DIR_COUNT; d++) {
        reschedule(w, 2 * from + d);
        if (moved)
            reschedule(w, 2 * to + d);
    }
    if (w->on_handover != NULL)
        w->on_handover(w->handover_ctx, w, ue, from, to, now_s);
}

/* ---- handlers --------------------------------------------------------------- */

static void arm_move(struct radio_world *w, uint32_t ue)
{
    struct ue *u = &w->ues[ue];
    double now_s = core_engine_now(w->eng), next_s = radio_mobility_leg_end_s(&u->mob);

    if (u->speed_mps > 0.0 && now_s + RADIO_WORLD_STEP_M / u->speed_mps < next_s)
        next_s = now_s + RADIO_WORLD_STEP_M / u->speed_mps;
    if (!isfinite(next_s))
        return;
    u->move_ev = core_schedule_at(w->eng, next_s > now_s ? next_s : now_s, w->entity, EV_MOVE,
                                  2, (union core_payload){.u64 = ue});
}

static void on_move(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct radio_world *w = state;
    uint32_t ue = (uint32_t)ev->data.u64, from;
    struct ue *u = &w->ues[ue];
    double now_s = core_engine_now(eng), moved_m, speed_mps;
    bool handed;

    u->move_ev = 0;
    w->stats.channel_updates++;
    moved_m = radio_mobility_advance(&u->mob, now_s, u->r_mob);
    if (w->cfg.deploy.shadowing && moved_m > 0.0) {
        /* Every link moved the same distance: two sets of coefficients. */
        const struct radio_shadow_step st[2] = {
            radio_shadow_step_for(moved_m, radio_shadow_dcorr_m(w->scenario, false)),
            radio_shadow_step_for(moved_m, radio_shadow_dcorr_m(w->scenario, true)),
        };
        const double sd_db[2] = {radio_shadow_sd_db(w->scenario, false),
                                 radio_shadow_sd_db(w->scenario, true)};
        double *sh = &w->shadow_db[(size_t)ue * w->n_sites];

        for (size_t s = 0; s < w->n_sites; s++) {
            bool l = los0(w, ue, s);

            sh[s] = radio_shadow_advance(sh[s], &st[l], sd_db[l], u->r_shadow);
        }
    }
    compute_cl(w, ue);
    speed_mps = radio_mobility_speed_mps(&u->mob);
    if (speed_mps != u->speed_mps) {
        if (w->cfg.deploy.fading)
            radio_fading_set_doppler(&u->fade, now_s,
                                     radio_doppler_hz(speed_mps, w->cfg.carrier.carrier_hz));
        u->speed_mps = speed_mps;
    }
    from = u->ho.serving;
    handed = radio_handover_update(&u->ho, now_s, w->rsrp_dbm, w->n_cells);
    cache_channel(w, ue);
    if (handed)
        hand_over(w, ue, from);
    if (fading_drives_rates(w) && u->fade_ev == 0)
        u->fade_db = fading_db_at(w, u, now_s);
    update_rates(w, ue);
    arm_fading(w, ue);
    arm_move(w, ue);
}

static void on_fade(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct radio_world *w = state;
    uint32_t ue = (uint32_t)ev->data.u64;
    struct ue *u = &w->ues[ue];

    u->fade_ev = 0;
    w->stats.channel_updates++;
    u->fade_db = fading_db_at(w, u, core_engine_now(eng));
    update_rates(w, ue);
    arm_fading(w, ue);
}

/* A request's upload finished: its download starts. */
static void on_upload_done(void *ctx, struct radio_world *w,
                           const struct radio_world_flow_done *done)
{
    struct core_err err;
    double dl_bytes = w->ues[done->ue].dl_bytes;

    (void)ctx;
    if (dl_bytes > 0.0 &&
        radio_world_start_flow(w, done->ue, RADIO_DIR_DL, dl_bytes, NULL, NULL, NULL, &err) !=
            CORE_OK)
        core_engine_fail(w->eng, err.rc, err.msg);
}

static void on_arrival(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct radio_world *w = state;
    uint32_t ue = (uint32_t)ev->data.u64;
    struct ue *u = &w->ues[ue];
    struct core_err err;
    enum core_rc rc = CORE_OK;

    w->stats.requests++;
    if (u->ul_bytes > 0.0)
        rc = radio_world_start_flow(w, ue, RADIO_DIR_UL, u->ul_bytes, on_upload_done, NULL, NULL,
                                    &err);
    else if (u->dl_bytes > 0.0)
        rc = radio_world_start_flow(w, ue, RADIO_DIR_DL, u->dl_bytes, NULL, NULL, NULL, &err);
    if (rc != CORE_OK) {
        core_engine_fail(eng, err.rc, err.msg);
        return;
    }
    core_schedule_in(eng, core_rng_exponential(u->r_arr, 1.0 / u->rate_hz), w->entity,
                     EV_ARRIVAL, 3, (union core_payload){.u64 = ue});
}

static void on_done(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct radio_world *w = state;
    size_t cd = (size_t)ev->data.u64;
    struct radio_flows *fs = w->cdirs[cd].fs;
    double now_s = core_engine_now(eng), t_s;
    uint32_t h;

    w->cdirs[cd].ev = 0;
    if (radio_flows_next_completion(fs, &t_s, &h) && t_s <= now_s + 1e-9) {
        struct radio_flow_report r;

        radio_flows_remove(fs, now_s, h, &r);
        finish_flow(w, (uint32_t)r.id, &r);
    }
    /* One completion per event, so that a driver answering parked decisions
     * between events sees each delivery alone; another due within a
     * nanosecond completes now, in an event of its own. */
    if (radio_flows_next_completion(fs, &t_s, &h) && t_s <= now_s + 1e-9) {
        if (w->cdirs[cd].ev != 0)
            core_cancel(w->eng, w->cdirs[cd].ev);
        w->cdirs[cd].ev = core_schedule_at(w->eng, now_s, w->entity, EV_DONE, 0,
                                           (union core_payload){.u64 = cd});
    } else {
        reschedule(w, cd);
    }
}

static void on_grant(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct radio_world *w = state;
    uint32_t f = (uint32_t)ev->data.u64;
    struct core_err err;

    if (w->flows[f].cancelled) {
        free_flow(w, f);
        return;
    }
    if (air_start(w, f, &err) != CORE_OK)
        core_engine_fail(eng, err.rc, err.msg);
}

/* A transfer's HARQ retransmissions are over (it is still in its UE's
 * ledger), or the caller's delay after them. */
static void on_after(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct radio_world *w = state;
    uint32_t f = (uint32_t)ev->data.u64;

    (void)eng;
    if (w->flows[f].cancelled)
        free_flow(w, f);
    else if (w->flows[f].in_ledger)
        after_harq(w, f);
    else
        deliver(w, f);
}

/* ---- creation ----------------------------------------------------------------- */

static enum core_rc place_ue(struct radio_world *w, const struct radio_ue_group_config *g,
                             size_t k, struct core_rng *r, double *x_m, double *y_m,
                             struct core_err *e)
{
    switch ((enum radio_placement)g->placement) {
    case RADIO_PLACE_UNIFORM_CELL: {
        const struct cell *c = &w->cells[k % w->n_cells];
        double cx, cy, rad;

        radio_cell_hexagon(w->site_x_m[c->site], w->site_y_m[c->site], w->cfg.deploy.isd_m,
                           (uint32_t)w->cfg.deploy.n_sectors, c->sector, &cx, &cy, &rad);
        return radio_place_hexagon(r, cx, cy, rad, w->site_x_m[c->site], w->site_y_m[c->site],
                                   w->d_min_m, x_m, y_m, e);
    }
    case RADIO_PLACE_DISC:
        return radio_place_disc(r, g->x_m, g->y_m,
                                g->radius_m > 0.0 ? g->radius_m : w->area_radius_m, 0.0, x_m,
                                y_m, e);
    case RADIO_PLACE_POSITIONS:
        *x_m = g->pos_x_m[k];
        *y_m = g->pos_y_m[k];
        return CORE_OK;
    case RADIO_PLACE_COUNT:
        break;
    }
    CORE_ASSERT(!"a known placement");
    return CORE_E_INPUT;
}

static enum core_rc init_ue(struct radio_world *w, uint32_t ue,
                            const struct radio_ue_group_config *g, size_t k, uint64_t seed,
                            struct core_err *e)
{
    struct ue *u = &w->ues[ue];
    const uint64_t id = core_rng_entity(CORE_RNG_ENTITY_UE, ue, 0);
    double now_s = core_engine_now(w->eng), x_m, y_m;
    double area_r_m = g->radius_m > 0.0 ? g->radius_m : w->area_radius_m;
    const struct radio_deployment_config *d = &w->cfg.deploy;
    struct core_rng *r_place;
    enum core_rc rc;
    uint32_t serving;
    size_t serving_site;

    u->flow_head = NONE;
    radio_ue_ledger_init(&u->ledger, now_s);
    if (g->link.mode == RADIO_LINK_FIXED) {
        u->fixed = true;
        u->fixed_rate_bps[RADIO_DIR_UL] = g->link.ul_rate_bps;
        u->fixed_rate_bps[RADIO_DIR_DL] = g->link.dl_rate_bps;
        u->fixed_latency_s = g->link.latency_s;
        u->link_cd = (uint32_t)(2 * (w->n_cells + w->n_fixed++));
    }
    u->r_mob = core_rng_create(seed, id, CORE_RNG_MOBILITY);
    u->r_fade = core_rng_create(seed, id, CORE_RNG_FADING);
    u->r_shadow = core_rng_create(seed, id, CORE_RNG_SHADOWING);
    u->r_arr = core_rng_create(
        seed, core_rng_entity(CORE_RNG_ENTITY_UE, ue, CORE_RNG_UE_RADIO_TRAFFIC),
        CORE_RNG_ARRIVALS);
    r_place = core_rng_create(seed, id, CORE_RNG_PLACEMENT);
    if (w->access.bler > 0.0 && w->access.max_retx > 0) {
        u->r_harq = core_rng_create(seed, id, CORE_RNG_HARQ);
        if (!u->r_harq) {
            core_rng_destroy(r_place);
            return core_err(e, CORE_E_NOMEM, "no memory for the random streams of UE %u",
                            (unsigned)ue);
        }
    }
    if (!u->r_mob || !u->r_fade || !u->r_shadow || !u->r_arr || !r_place) {
        core_rng_destroy(r_place);
        return core_err(e, CORE_E_NOMEM, "no memory for the random streams of UE %u",
                        (unsigned)ue);
    }
    rc = place_ue(w, g, k, r_place, &x_m, &y_m, e);
    core_rng_destroy(r_place);
    if (rc != CORE_OK)
        return rc;
    switch ((enum radio_mobility_kind)g->mobility) {
    case RADIO_MOBILITY_STATIC:
        radio_mobility_static(&u->mob, x_m, y_m, now_s);
        break;
    case RADIO_MOBILITY_LINE: {
        double heading = core_rng_uniform_in(u->r_mob, -RADIO_PI, RADIO_PI);
        double v = g->speed_min_mps == g->speed_max_mps
                       ? g->speed_min_mps
                       : core_rng_uniform_in(u->r_mob, g->speed_min_mps, g->speed_max_mps);

        radio_mobility_line(&u->mob, x_m, y_m, heading, v, now_s);
        break;
    }
    case RADIO_MOBILITY_WAYPOINT:
        rc = radio_mobility_waypoint(&u->mob, x_m, y_m, g->x_m, g->y_m, area_r_m,
                                     g->speed_min_mps, g->speed_max_mps, g->pause_s, now_s,
                                     u->r_mob, e);
        if (rc != CORE_OK)
            return rc;
        break;
    case RADIO_MOBILITY_COUNT:
        CORE_ASSERT(!"a known mobility");
    }
    u->speed_mps = radio_mobility_speed_mps(&u->mob);
    u->h_e_m = 1.0;
    if (w->scenario == RADIO_SCENARIO_UMA && d->ue_height_m >= 13.0)
        u->h_e_m = radio_uma_h_e_draw(u->r_shadow, hypot(x_m, y_m), d->ue_height_m);
    for (size_t s = 0; s < w->n_sites; s++) {
        double d_m = hypot(x_m - w->site_x_m[s], y_m - w->site_y_m[s]);
        double u_los = core_rng_uniform(u->r_shadow);
        bool los = u_los < radio_los_probability(w->scenario, d_m, d->ue_height_m);

        w->los_u[(size_t)ue * w->n_sites + s] = u_los;
        if (los)
            w->los0_bits[(size_t)ue * w->los0_words + s / 64] |= (uint64_t)1 << (s % 64);
        if (d->shadowing) {
            struct radio_shadow sh;

            radio_shadow_init(&sh, radio_shadow_sd_db(w->scenario, los),
                              radio_shadow_dcorr_m(w->scenario, los), u->r_shadow);
            w->shadow_db[(size_t)ue * w->n_sites + s] = sh.value_db;
        }
    }
    compute_cl(w, ue);
    serving = radio_strongest_cell(w->rsrp_dbm, w->n_cells);
    radio_handover_init(&u->ho, serving, w->cfg.ho.hysteresis_db, w->cfg.ho.time_to_trigger_s);
    cache_channel(w, ue);
    serving_site = w->cells[serving].site;
    if (d->fading) {
        double d_m = hypot(x_m - w->site_x_m[serving_site], y_m - w->site_y_m[serving_site]);
        bool los = w->los_u[(size_t)ue * w->n_sites + serving_site] <
                   radio_los_probability(w->scenario, d_m, d->ue_height_m);

        radio_fading_init(&u->fade, radio_doppler_hz(u->speed_mps, w->cfg.carrier.carrier_hz),
                          los ? radio_rician_k_db(w->scenario) : -INFINITY, now_s, u->r_fade);
    }
    u->ul_bytes = g->ul_bytes;
    u->dl_bytes = g->dl_bytes;
    u->rate_hz = g->request_rate_hz;
    arm_move(w, ue);
    if (u->rate_hz > 0.0 && (u->ul_bytes > 0.0 || u->dl_bytes > 0.0))
        core_schedule_in(w->eng, core_rng_exponential(u->r_arr, 1.0 / u->rate_hz), w->entity,
                         EV_ARRIVAL, 3, (union core_payload){.u64 = ue});
    return CORE_OK;
}

/* Copy the groups (and their positions) so the caller's may go. */
static enum core_rc copy_groups(struct radio_world *w, struct core_err *e)
{
    size_t n_pos = 0, at = 0;

    w->groups = core_calloc(w->cfg.n_groups ? w->cfg.n_groups : 1, sizeof(*w->groups));
    if (w->groups == NULL)
        return core_err(e, CORE_E_NOMEM, "no memory for the UE groups");
    for (size_t i = 0; i < w->cfg.n_groups; i++) {
        w->groups[i] = w->cfg.groups[i];
        if (w->groups[i].placement == RADIO_PLACE_POSITIONS)
            n_pos += (size_t)w->groups[i].n_ues;
    }
    w->positions = core_malloc((2 * n_pos + 1) * sizeof(double));
    if (w->positions == NULL)
        return core_err(e, CORE_E_NOMEM, "no memory for the UE positions");
    for (size_t i = 0; i < w->cfg.n_groups; i++) {
        struct radio_ue_group_config *g = &w->groups[i];
        size_t n = (size_t)g->n_ues;

        if (g->placement != RADIO_PLACE_POSITIONS)
            continue;
        memcpy(w->positions + at, g->pos_x_m, n * sizeof(double));
        memcpy(w->positions + at + n, g->pos_y_m, n * sizeof(double));
        g->pos_x_m = w->positions + at;
        g->pos_y_m = w->positions + at + n;
        at += 2 * n;
    }
    w->cfg.groups = w->groups;
    return CORE_OK;
}

static enum core_rc check_config(const struct radio_world_config *cfg, struct core_err *e)
{
    enum core_rc rc = radio_carrier_config_check(&cfg->carrier, e);

    if (rc == CORE_OK)
        rc = radio_deployment_config_check(&cfg->deploy, e);
    if (rc == CORE_OK)
        rc = radio_power_model_check(&cfg->power, e);
    for (size_t i = 0; rc == CORE_OK && i < cfg->n_groups; i++) {
        const struct radio_ue_group_config *g = &cfg->groups[i];

        rc = radio_ue_group_config_check(g, e);
        if (rc == CORE_OK)
            rc = radio_link_config_check(&g->link, e);
        /* The positions are the caller's arrays, not knobs: the loader
         * checks their count, the world that they are there. */
        if (rc == CORE_OK && g->placement == RADIO_PLACE_POSITIONS &&
            (g->pos_x_m == NULL || g->pos_y_m == NULL))
            rc = core_err(e, CORE_E_INPUT, "placement 'positions' needs one position per UE");
    }
    return rc;
}

struct radio_world *radio_world_create(const struct radio_world_config *cfg,
                                       struct core_engine *eng, uint64_t seed,
                                       struct core_err *e)
{
    struct radio_world *w;
    uint32_t rings = 0;
    size_t ue = 0;
    int type;

    if (check_config(cfg, e) != CORE_OK)
        return NULL;
    w = core_calloc(1, sizeof(*w));
    if (w == NULL) {
        core_err(e, CORE_E_NOMEM, "no memory for the radio world");
        return NULL;
    }
    w->cfg = *cfg;
    w->eng = eng;
    w->free_flow = NONE;
    w->next_flow_id = 1;
    if (copy_groups(w, e) != CORE_OK)
        goto out_destroy;
    if (radio_carrier_from_config(&cfg->carrier, &w->carrier, e) != CORE_OK)
        goto out_destroy;
    w->scenario = (enum radio_scenario)cfg->deploy.scenario;
    w->h_bs_m = radio_bs_height_m(&cfg->deploy);
    radio_d2d_range_m(&cfg->deploy, &w->d_min_m, &w->d_max_m);
    w->p_los_far = radio_los_probability(w->scenario, w->d_max_m, cfg->deploy.ue_height_m);
    {
        struct radio_pl_args a = {
            .scenario = w->scenario,
            .carrier_hz = cfg->carrier.carrier_hz,
            .h_bs_m = w->h_bs_m,
            .h_ut_m = cfg->deploy.ue_height_m,
            .h_e_m = 1.0,
        };

        if (radio_pl_ctx_init(&a, &w->pl_ctx_he1, e) != CORE_OK)
            goto out_destroy;
    }
    w->peak_rate_bps = radio_nr_rate_bps(&w->carrier, RADIO_CQI_MAX, w->carrier.n_prb);
    w->floor_rate_bps =
        w->carrier.shannon ? 1.0 : radio_nr_rate_bps(&w->carrier, 1, w->carrier.n_prb);
    w->prb_power_dbm = radio_dl_prb_power_dbm(cfg->deploy.gnb_power_dbm, w->carrier.n_prb);
    w->flow_power = cfg->power;
    w->flow_power.p_on_w = 0.0;
    w->p_max_w = radio_dbm_to_w(cfg->pc.p_max_dbm);
    if (radio_access_init(&w->access, &cfg->access, w->carrier.mu, e) != CORE_OK)
        goto out_destroy;
    w->ul_delay_s = radio_access_mean_delay_s(&w->access, RADIO_DIR_UL);
    w->dl_delay_s = radio_access_mean_delay_s(&w->access, RADIO_DIR_DL);
    while (radio_hex_site_count(rings) < (size_t)cfg->deploy.n_sites)
        rings++;
    w->n_sites = (size_t)cfg->deploy.n_sites;
    w->n_cells = w->n_sites * (size_t)cfg->deploy.n_sectors;
    w->area_radius_m = rings * cfg->deploy.isd_m +
                       (cfg->deploy.n_sectors == 3 ? 2.0 * cfg->deploy.isd_m / 3.0
                                                   : cfg->deploy.isd_m / sqrt(3.0));
    for (size_t i = 0; i < cfg->n_groups; i++)
        w->n_ues += (size_t)cfg->groups[i].n_ues;
    if (w->n_ues > UINT32_MAX / 2) {
        core_err(e, CORE_E_INPUT, "%zu UEs is too many", w->n_ues);
        goto out_destroy;
    }
    w->site_x_m = core_calloc(w->n_sites, sizeof(double));
    w->site_y_m = core_calloc(w->n_sites, sizeof(double));
    w->cells = core_calloc(w->n_cells, sizeof(*w->cells));
    w->ues = core_calloc(w->n_ues ? w->n_ues : 1, sizeof(*w->ues));
    w->los0_words = (w->n_sites + 63) / 64;
    w->shadow_db = core_calloc(w->n_ues * w->n_sites + 1, sizeof(double));
    w->los_u = core_calloc(w->n_ues * w->n_sites + 1, sizeof(double));
    w->los0_bits = core_calloc(w->n_ues * w->los0_words + 1, sizeof(uint64_t));
    w->cl_scratch_db = core_calloc(w->n_cells, sizeof(double));
    w->scratch_db = core_calloc(w->n_cells, sizeof(double));
    w->rsrp_dbm = core_calloc(w->n_cells, sizeof(double));
    w->load = core_calloc(w->n_cells, sizeof(double));
    w->n_cdirs = 2 * w->n_cells;
    for (size_t i = 0; i < cfg->n_groups; i++)
        if (cfg->groups[i].link.mode == RADIO_LINK_FIXED)
            w->n_cdirs += 2 * (size_t)cfg->groups[i].n_ues;
    w->cdirs = core_calloc(w->n_cdirs, sizeof(*w->cdirs));
    if (!w->site_x_m || !w->site_y_m || !w->cells || !w->ues || !w->shadow_db || !w->los_u ||
        !w->los0_bits || !w->cl_scratch_db || !w->scratch_db || !w->rsrp_dbm || !w->load || !w->cdirs) {
        core_err(e, CORE_E_NOMEM, "no memory for a radio world of %zu UEs", w->n_ues);
        goto out_destroy;
    }
    if (radio_hex_sites(rings, cfg->deploy.isd_m, w->site_x_m, w->site_y_m, e) != CORE_OK)
        goto out_destroy;
    for (size_t c = 0; c < w->n_cells; c++) {
        w->cells[c].site = (uint32_t)(c / (size_t)cfg->deploy.n_sectors);
        w->cells[c].sector = (uint32_t)(c % (size_t)cfg->deploy.n_sectors);
        w->load[c] = cfg->deploy.load;
    }
    for (size_t cd = 0; cd < w->n_cdirs; cd++) {
        /* A fixed link shares itself among its UE's transfers equally. */
        enum radio_sched sched =
            cd < 2 * w->n_cells ? (enum radio_sched)cfg->deploy.scheduler : RADIO_SCHED_RR;

        w->cdirs[cd].fs = radio_flows_create(cd < 2 * w->n_cells ? 16 : 4, sched,
                                             (enum radio_dir)(cd % 2), w->peak_rate_bps,
                                             &w->flow_power);
        if (w->cdirs[cd].fs == NULL) {
            core_err(e, CORE_E_NOMEM, "no memory for the cells' flows");
            goto out_destroy;
        }
        radio_flows_set_fading(w->cdirs[cd].fs, cd < 2 * w->n_cells && cfg->deploy.fading);
    }
    w->type = (struct core_entity_type){"radio_world", world_handlers, EV_COUNT};
    type = core_engine_register_type(eng, &w->type);
    if (type < 0) {
        core_err(e, CORE_E_NOMEM, "no memory to register the radio world");
        goto out_destroy;
    }
    w->entity = core_engine_add_entity(eng, type, w);
    if (w->entity == UINT32_MAX) {
        core_err(e, CORE_E_NOMEM, "no memory to add the radio world");
        goto out_destroy;
    }
    for (size_t i = 0; i < cfg->n_groups; i++) {
        for (size_t k = 0; k < (size_t)w->groups[i].n_ues; k++, ue++) {
            if (init_ue(w, (uint32_t)ue, &w->groups[i], k, seed, e) != CORE_OK)
                goto out_destroy;
        }
    }
    return w;

out_destroy:
    radio_world_destroy(w);
    return NULL;
}

void radio_world_destroy(struct radio_world *w)
{
    if (w == NULL)
        return;
    if (w->cdirs != NULL)
        for (size_t cd = 0; cd < w->n_cdirs; cd++)
            radio_flows_destroy(w->cdirs[cd].fs);
    if (w->ues != NULL) {
        for (size_t i = 0; i < w->n_ues; i++) {
            core_rng_destroy(w->ues[i].r_mob);
            core_rng_destroy(w->ues[i].r_fade);
            core_rng_destroy(w->ues[i].r_shadow);
            core_rng_destroy(w->ues[i].r_arr);
            core_rng_destroy(w->ues[i].r_harq);
        }
    }
    core_free(w->cdirs);
    core_free(w->load);
    core_free(w->rsrp_dbm);
    core_free(w->scratch_db);
    core_free(w->cl_scratch_db);
    core_free(w->los0_bits);
    core_free(w->los_u);
    core_free(w->shadow_db);
    core_free(w->ues);
    core_free(w->cells);
    core_free(w->site_y_m);
    core_free(w->site_x_m);
    core_free(w->ul_act);
    core_free(w->flows);
    core_free(w->positions);
    core_free(w->groups);
    core_free(w);
}

/* ---- queries ------------------------------------------------------------------ */

void radio_world_on_handover(struct radio_world *w, radio_world_handover_fn fn, void *ctx)
{
    w->on_handover = fn;
    w->handover_ctx = ctx;
}

size_t radio_world_n_ues(const struct radio_world *w)
{
    return w->n_ues;
}

size_t radio_world_n_cells(const struct radio_world *w)
{
    return w->n_cells;
}

const struct radio_carrier *radio_world_carrier(const struct radio_world *w)
{
    return &w->carrier;
}

void radio_world_cell_site(const struct radio_world *w, uint32_t cell, double *x_m, double *y_m)
{
    CORE_ASSERT(cell < w->n_cells);
    *x_m = w->site_x_m[w->cells[cell].site];
    *y_m = w->site_y_m[w->cells[cell].site];
}

uint32_t radio_world_serving(const struct radio_world *w, uint32_t ue)
{
    CORE_ASSERT(ue < w->n_ues);
    return w->ues[ue].ho.serving;
}

void radio_world_ue_position(const struct radio_world *w, uint32_t ue, double *x_m, double *y_m)
{
    CORE_ASSERT(ue < w->n_ues);
    position_at(&w->ues[ue], core_engine_now(w->eng), x_m, y_m);
}

size_t radio_world_ue_flows(const struct radio_world *w, uint32_t ue, enum radio_dir dir)
{
    CORE_ASSERT(ue < w->n_ues && dir < RADIO_DIR_COUNT);
    return w->ues[ue].n_flows[dir];
}

enum core_rc radio_world_rrm(struct radio_world *w, uint32_t ue, struct radio_rrm_reply *rep,
                             struct core_err *e)
{
    if (ue >= w->n_ues)
        return core_err(e, CORE_E_INPUT, "UE %u is out of range [0, %zu]", (unsigned)ue,
                        w->n_ues - 1);
    const struct ue *u = &w->ues[ue];

    rrm_with_fade(w, ue, fading_db_at(w, u, core_engine_now(w->eng)), rep);
    rep->ul_delay_s = w->ul_delay_s;
    rep->dl_delay_s = w->dl_delay_s;
    if (u->fixed) {
        size_t n_ul = radio_flows_active(w->cdirs[u->link_cd + RADIO_DIR_UL].fs);
        size_t n_dl = radio_flows_active(w->cdirs[u->link_cd + RADIO_DIR_DL].fs);

        rep->fixed_link = true;
        rep->ul_full_rate_bps = u->fixed_rate_bps[RADIO_DIR_UL];
        rep->dl_full_rate_bps = u->fixed_rate_bps[RADIO_DIR_DL];
        rep->ul_rate_bps = rep->ul_full_rate_bps / (double)(n_ul + 1);
        rep->dl_rate_bps = rep->dl_full_rate_bps / (double)(n_dl + 1);
        rep->ul_tx_power_dbm = w->cfg.pc.p_max_dbm;
        rep->ul_delay_s = u->fixed_latency_s;
        rep->dl_delay_s = u->fixed_latency_s;
    }
    return CORE_OK;
}

bool radio_world_ue_link_fixed(const struct radio_world *w, uint32_t ue)
{
    CORE_ASSERT(ue < w->n_ues);
    return w->ues[ue].fixed;
}

const struct radio_access *radio_world_access(const struct radio_world *w)
{
    return &w->access;
}

enum core_rc radio_world_sample(struct radio_world *w, uint32_t ue, struct radio_sample *row,
                                struct core_err *e)
{
    struct radio_rrm_reply rep;
    double now_s = core_engine_now(w->eng);
    enum core_rc rc = radio_world_rrm(w, ue, &rep, e);

    if (rc != CORE_OK)
        return rc;
    row->ue = ue;
    row->t_s = now_s;
    row->cell = w->ues[ue].ho.serving;
    position_at(&w->ues[ue], now_s, &row->x_m, &row->y_m);
    row->ul_sinr_db = rep.ul_sinr_db;
    row->dl_sinr_db = rep.dl_sinr_db;
    row->ul_cqi = rep.ul_cqi;
    row->dl_cqi = rep.dl_cqi;
    row->ul_rate_bps = rep.ul_rate_bps;
    row->dl_rate_bps = rep.dl_rate_bps;
    return CORE_OK;
}

void radio_world_stats(const struct radio_world *w, struct radio_world_stats *out)
{
    *out = w->stats;
}

double radio_world_busy_s(const struct radio_world *w, uint32_t cell, enum radio_dir dir)
{
    CORE_ASSERT(cell < w->n_cells && dir < RADIO_DIR_COUNT);
    return radio_flows_busy_s(w->cdirs[2 * cell + dir].fs, core_engine_now(w->eng));
}
