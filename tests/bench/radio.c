/*
 * radio.c — the radio world benchmark: a radio scenario (default
 * scenarios/radio-7cells.xml: 1,000 pedestrian UEs in 7 cells, each
 * uploading 100 kB once a second and receiving 1 kB back) run on the event
 * engine to its duration, without a database.
 *
 *   radio [SCENARIO] [--seed N]
 *
 * Only the run is timed (not loading the scenario or building the world).
 * Before the run it prints the uplink load the scenario offers against the
 * cells' uplink capacity with every UE active (uplink_capacity); after it,
 * the world's counters and each cell's measured uplink busy fraction, and as
 * its last line
 *   realtime_factor=<simulated s per wall s> flows_per_s=<flows completed per wall s>
 */
#include "io/io.h"
#include "scenarioutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCENARIO "scenarios/radio-7cells.xml"

/* The uplink load against capacity at the start: each cell's UEs all active,
 * each on N_PRB / n PRBs with its power control (radio_ul_link_rate_bps, the
 * world's CQI-1 floor), fading as drawn at t = 0. Equal-size transfers make
 * the cell's capacity the harmonic mean of those rates, so the offered load
 * over capacity is lambda B 8 sum_i 1 / r_i (the fraction of time the cell
 * would be busy). Prints per cell and overall. */
static void uplink_capacity(struct radio_world *w, const struct radio_world_config *cfg)
{
    size_t n_cells = radio_world_n_cells(w), n_ues = radio_world_n_ues(w);
    const struct radio_carrier *car = radio_world_carrier(w);
    double floor_bps = car->shannon ? 1.0 : radio_nr_rate_bps(car, 1, car->n_prb);
    double inv_sum[RADIO_RRM_MAX_CELLS] = {0}, offered_bps[RADIO_RRM_MAX_CELLS] = {0};
    double load_sum = 0.0, offered_all_bps = 0.0;
    size_t n_in[RADIO_RRM_MAX_CELLS] = {0};
    uint32_t ue = 0;

    for (uint32_t u = 0; u < n_ues; u++)
        n_in[radio_world_serving(w, u)]++;
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct radio_ue_group_config *gr = &cfg->groups[g];

        for (long k = 0; k < gr->n_ues; k++, ue++) {
            struct radio_rrm_reply rep;
            uint32_t c = radio_world_serving(w, ue);
            struct radio_ul_link l;

            if (radio_world_rrm(w, ue, &rep, NULL) != CORE_OK)
                continue;
            l = rep.ul_link;
            l.floor_bps = floor_bps;
            inv_sum[c] += 1.0 / radio_ul_link_rate_bps(&l, (double)car->n_prb / n_in[c], NULL);
            offered_bps[c] += gr->request_rate_hz * gr->ul_bytes * 8.0;
        }
    }
    for (size_t c = 0; c < n_cells; c++) {
        double cap_bps = n_in[c] > 0 ? (double)n_in[c] / inv_sum[c] : 0.0;
        double load = n_in[c] > 0 ? offered_bps[c] / cap_bps : 0.0;

        printf("cell %zu: %zu UEs, uplink offered %.4g Mbit/s, capacity %.4g Mbit/s "
               "(all active), load %.3f\n",
               c, n_in[c], offered_bps[c] / 1e6, cap_bps / 1e6, load);
        load_sum += offered_bps[c] > 0.0 ? load : 0.0;
        offered_all_bps += offered_bps[c];
    }
    printf("uplink_offered_over_capacity mean=%.3f offered=%.4g Mbit/s per cell\n",
           load_sum / (double)n_cells, offered_all_bps / 1e6 / (double)n_cells);
}

int main(int argc, char **argv)
{
    struct tu_scenario sc;
    const char *path = DEFAULT_SCENARIO;
    struct radio_world_stats st;
    struct core_run_limits lim = {0};
    struct core_engine *eng;
    struct radio_world *w;
    struct core_err e;
    uint64_t seed;
    bool has_seed = false;
    double t0_s, wall_s;

    core_init();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
            has_seed = true;
        } else {
            path = argv[i];
        }
    }
    core_err_clear(&e);
    if (tu_scenario_open(&sc, path, NULL, 0, &e) != CORE_OK) {
        fprintf(stderr, "radio: %s\n", e.msg);
        return core_rc_exit_code(e.rc);
    }
    if (sc.a->kind != IO_SCENARIO_RADIO) {
        fprintf(stderr, "radio: %s is not a radio scenario\n", path);
        return 2;
    }
    if (!has_seed)
        seed = sc.a->sim.seed;
    eng = core_engine_create(0);
    w = eng ? radio_world_create(&sc.a->radio, eng, seed, &e) : NULL;
    if (w == NULL) {
        fprintf(stderr, "radio: %s\n", eng ? e.msg : "out of memory");
        core_engine_destroy(eng);
        return 1;
    }
    uplink_capacity(w, &sc.a->radio);
    lim.until_s = sc.a->sim.duration_s;
    lim.has_until = true;
    t0_s = core_wall_s();
    if (core_engine_run(eng, &lim) == CORE_STOP_FAILED) {
        fprintf(stderr, "radio: %s\n", core_engine_error(eng)->msg);
        return 1;
    }
    wall_s = core_wall_s() - t0_s;
    radio_world_stats(w, &st);
    printf("%s: %zu UEs, %zu cells, %.9g s simulated in %.3f s wall, %llu events\n", io_config_name(sc.cfg),
           radio_world_n_ues(w), radio_world_n_cells(w), sc.a->sim.duration_s, wall_s,
           (unsigned long long)core_engine_events_run(eng));
    printf("requests %llu, flows %llu started / %llu done (%.6g B), handovers %llu, "
           "channel updates %llu\n",
           (unsigned long long)st.requests, (unsigned long long)st.flows_started,
           (unsigned long long)st.flows_done, st.bytes_done, (unsigned long long)st.handovers,
           (unsigned long long)st.channel_updates);
    {
        double busy_sum = 0.0;

        printf("uplink busy fraction per cell:");
        for (uint32_t c = 0; c < radio_world_n_cells(w); c++) {
            double f = radio_world_busy_s(w, c, RADIO_DIR_UL) / sc.a->sim.duration_s;

            busy_sum += f;
            printf(" %.3f", f);
        }
        printf(" (mean %.3f)\n", busy_sum / (double)radio_world_n_cells(w));
    }
    printf("realtime_factor=%.6g flows_per_s=%.6g\n", sc.a->sim.duration_s / wall_s,
           (double)st.flows_done / wall_s);
    radio_world_destroy(w);
    core_engine_destroy(eng);
    return 0;
}
