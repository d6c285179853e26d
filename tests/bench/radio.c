/*
 * radio.c — the radio world benchmark: a radio scenario (default
 * scenarios/radio-7cells.xml: 1,000 pedestrian UEs in 7 cells, each
 * uploading 100 kB once a second and receiving 1 kB back) run on the event
 * engine to its duration, without a database.
 *
 *   radio [SCENARIO] [--seed N]
 *
 * Only the run is timed (not loading the scenario or building the world).
 * Prints the world's counters, and as its last line
 *   realtime_factor=<simulated s per wall s> flows_per_s=<flows completed per wall s>
 */
#include "io/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCENARIO "scenarios/radio-7cells.xml"

int main(int argc, char **argv)
{
    static struct io_scenario sc;
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
    if (io_scenario_load(path, &sc, &e) != CORE_OK) {
        fprintf(stderr, "radio: %s\n", e.msg);
        return core_rc_exit_code(e.rc);
    }
    if (sc.kind != IO_SCENARIO_RADIO) {
        fprintf(stderr, "radio: %s is not a radio scenario\n", path);
        return 2;
    }
    if (!has_seed)
        seed = sc.sim.seed;
    eng = core_engine_create(0);
    w = eng ? radio_world_create(&sc.radio, eng, seed, &e) : NULL;
    if (w == NULL) {
        fprintf(stderr, "radio: %s\n", eng ? e.msg : "out of memory");
        core_engine_destroy(eng);
        return 1;
    }
    lim.until_s = sc.sim.duration_s;
    lim.has_until = true;
    t0_s = core_wall_s();
    if (core_engine_run(eng, &lim) == CORE_STOP_FAILED) {
        fprintf(stderr, "radio: %s\n", core_engine_error(eng)->msg);
        return 1;
    }
    wall_s = core_wall_s() - t0_s;
    radio_world_stats(w, &st);
    printf("%s: %zu UEs, %zu cells, %.9g s simulated in %.3f s wall, %llu events\n", sc.name,
           radio_world_n_ues(w), radio_world_n_cells(w), sc.sim.duration_s, wall_s,
           (unsigned long long)core_engine_events_run(eng));
    printf("requests %llu, flows %llu started / %llu done (%.6g B), handovers %llu, "
           "channel updates %llu\n",
           (unsigned long long)st.requests, (unsigned long long)st.flows_started,
           (unsigned long long)st.flows_done, st.bytes_done, (unsigned long long)st.handovers,
           (unsigned long long)st.channel_updates);
    printf("realtime_factor=%.6g flows_per_s=%.6g\n", sc.sim.duration_s / wall_s,
           (double)st.flows_done / wall_s);
    radio_world_destroy(w);
    core_engine_destroy(eng);
    return 0;
}
