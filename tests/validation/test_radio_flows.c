/*
 * test_radio_flows.c — transfers through the radio world against known
 * answers, end to end on the event engine:
 *   - a lone transfer at a fixed SINR (static UE, no shadowing, no fading)
 *     ends at exactly B 8 / rate after it starts, for both directions, the
 *     CQI and the Shannon rate models and several distances, with the rate
 *     computed here by hand from the link budget (TR 38.901 UMa path loss,
 *     TS 38.214 CQI table, TS 38.306 rate formula);
 *   - several transfers sharing one cell (round robin) end when the per-TTI
 *     reference scheduler (radio_tti_simulate: PRB by PRB, slot by slot)
 *     says, within three slots, and each agrees with processor sharing worked
 *     by hand. The reference has a fixed rate per PRB, so the comparison is
 *     on the downlink; an uplink below P_max has one too (its frequency share
 *     gives exactly rate(N) / n), while one at P_max gains from fewer PRBs,
 *     which the reference does not model (tests/unit/radio/test_flows.c
 *     checks that case by hand).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "radio/radio.h"

struct done_log {
    size_t n;               /* completions seen */
    double t_end_s[16];     /* completion time by UE, s */
};

static void on_done(void *ctx, struct radio_world *w, const struct radio_world_flow_done *d)
{
    struct done_log *log = ctx;

    (void)w;
    log->n++;
    log->t_end_s[d->ue] = d->t_end_s;
}

/* Move the clock to t_s even when nothing else is scheduled: a no-op event. */
static void on_tick(void *state, const struct core_event *ev, struct core_engine *eng)
{
    (void)state;
    (void)ev;
    (void)eng;
}

static void run_to(struct core_engine *eng, double t_s)
{
    static const core_handler_fn handlers[] = {on_tick};
    static const struct core_entity_type type = {"tick", handlers, 1};
    struct core_run_limits lim = {.until_s = t_s, .has_until = true};
    uint32_t ent = core_engine_add_entity(eng, core_engine_register_type(eng, &type), NULL);

    assert_true(core_schedule_at(eng, t_s, ent, 0, 0, (union core_payload){0}) != 0);
    core_engine_run(eng, &lim);
    assert_true(core_engine_now(eng) == t_s);
}

static void config(struct radio_world_config *cfg, struct radio_ue_group_config *g, long n,
                   const double *x, const double *y)
{
    assert_int_equal(radio_world_config_defaults(cfg, NULL), CORE_OK);
    cfg->deploy.shadowing = false;
    cfg->deploy.fading = false;
    cfg->deploy.load = 0.0;
    memset(g, 0, sizeof(*g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, g, NULL), CORE_OK);
    g->n_ues = n;
    g->placement = RADIO_PLACE_POSITIONS;
    g->pos_x_m = x;
    g->pos_y_m = y;
    cfg->groups = g;
    cfg->n_groups = 1;
}

/* The downlink rate worked out independently: UMa NLOS/LOS path loss at d
 * (the world's LOS draw decides which), per-PRB power 46 dBm - 10 log10(273),
 * noise -174 + 10 log10(12 30 kHz) + 9 dB, CQI from the table's thresholds,
 * TS 38.306: Qm R/1024 12 273 14 2^1 / 1 ms (1 - 0.14). */
static double dl_rate_by_hand(double pl_db, const struct radio_carrier *c)
{
    double sinr_db = 46.0 - 10.0 * log10(273.0) - pl_db -
                     (-174.0 + 10.0 * log10(12.0 * 30e3) + 9.0);
    uint32_t cqi = 0;

    for (uint32_t k = 1; k <= RADIO_CQI_MAX; k++)
        if (sinr_db >= radio_cqi_entry(c->table, k)->sinr_min_db)
            cqi = k;
    const struct radio_cqi_entry *row = radio_cqi_entry(c->table, cqi);

    return (double)row->qm * row->rate_x1024 / 1024.0 * 12.0 * 273.0 * 14.0 * 2.0 / 1e-3 *
           (1.0 - 0.14);
}

static void test_lone_transfer_ends_at_size_times_8_over_rate(void **state)
{
    static const double dist_m[] = {30.0, 80.0, 150.0, 250.0};

    (void)state;
    for (int shannon = 0; shannon <= 1; shannon++) {
        for (size_t i = 0; i < ARRAY_LEN(dist_m); i++) {
            for (int dir = 0; dir < RADIO_DIR_COUNT; dir++) {
                double x[1] = {dist_m[i]}, y[1] = {0.0};
                struct radio_world_config cfg;
                struct radio_ue_group_config g;
                struct radio_rrm_reply rep;
                struct done_log log = {0};
                struct core_engine *eng = core_engine_create(0);
                struct core_run_limits lim = {.until_s = 1000.0, .has_until = true};
                struct radio_world *w;
                double rate, want_s, t_start = 0.25;

                config(&cfg, &g, 1, x, y);
                cfg.carrier.rate_model = shannon ? RADIO_RATE_SHANNON : RADIO_RATE_CQI;
                w = radio_world_create(&cfg, eng, 3, NULL);
                assert_non_null(w);
                /* Start later than 0 to check the offset too. */
                run_to(eng, t_start);
                assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
                rate = dir == RADIO_DIR_UL ? rep.ul_full_rate_bps : rep.dl_full_rate_bps;
                if (!shannon && dir == RADIO_DIR_DL) {
                    struct radio_budget_row b;
                    double by_hand_los, by_hand_nlos;

                    assert_int_equal(radio_link_budget(&cfg, dist_m[i], &b, NULL), CORE_OK);
                    by_hand_los = dl_rate_by_hand(b.pathloss_los_db, radio_world_carrier(w));
                    by_hand_nlos = dl_rate_by_hand(b.pathloss_nlos_db, radio_world_carrier(w));
                    if (fabs(rate - by_hand_los) > 1e-12 * rate &&
                        fabs(rate - by_hand_nlos) > 1e-12 * rate) {
                        print_error("%g m: DL rate %.17g, by hand %.17g (LOS) or %.17g (NLOS)\n",
                                    dist_m[i], rate, by_hand_los, by_hand_nlos);
                        fail();
                    }
                }
                assert_int_equal(radio_world_start_flow(w, 0, (enum radio_dir)dir, 250e3,
                                                        on_done, &log, NULL, NULL),
                                 CORE_OK);
                core_engine_run(eng, &lim);
                want_s = t_start + 250e3 * 8.0 / rate;
                if (log.n != 1 || log.t_end_s[0] != want_s) {
                    print_error("%s %s at %g m: %zu done, ends %.17g s, want %.17g s\n",
                                shannon ? "shannon" : "cqi", dir ? "DL" : "UL", dist_m[i], log.n,
                                log.t_end_s[0], want_s);
                    fail();
                }
                radio_world_destroy(w);
                core_engine_destroy(eng);
            }
        }
    }
}

static void test_shared_cell_agrees_with_the_per_tti_scheduler(void **state)
{
    /* Five UEs at different distances, transfers of different sizes, all
     * downlink in the one cell, starting together at 0. */
    static const double x[] = {40.0, -90.0, 0.0, 120.0, -60.0};
    static const double y[] = {0.0, 30.0, 150.0, -100.0, -60.0};
    static const double size_bytes[] = {2e6, 1e6, 3e6, 0.5e6, 1.5e6};
    struct radio_tti_flow tti[5];
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct done_log log = {0};
    struct core_engine *eng = core_engine_create(0);
    struct core_run_limits lim = {.until_s = 1000.0, .has_until = true};
    struct radio_world *w;
    double rate[5], tti_s = 0.5e-3, left[5], t_ps[5], now = 0.0;
    size_t n_left = 5;

    (void)state;
    config(&cfg, &g, 5, x, y);
    w = radio_world_create(&cfg, eng, 3, NULL);
    assert_non_null(w);
    for (uint32_t u = 0; u < 5; u++) {
        struct radio_rrm_reply rep;

        assert_int_equal(radio_world_rrm(w, u, &rep, NULL), CORE_OK);
        rate[u] = rep.dl_full_rate_bps;
        tti[u] = (struct radio_tti_flow){0.0, size_bytes[u], rate[u], 0.0};
        left[u] = 8.0 * size_bytes[u];
    }
    for (uint32_t u = 0; u < 5; u++)
        assert_int_equal(radio_world_start_flow(w, u, RADIO_DIR_DL, size_bytes[u], on_done,
                                                &log, NULL, NULL),
                         CORE_OK);
    core_engine_run(eng, &lim);
    assert_int_equal(log.n, 5);
    assert_int_equal(radio_tti_simulate(tti, 5, radio_world_carrier(w)->n_prb, tti_s, 100.0,
                                        NULL),
                     CORE_OK);
    /* Processor sharing by hand: each of the n active flows drains at r_i / n. */
    while (n_left > 0) {
        double dt = INFINITY;
        size_t first = 0;

        for (size_t u = 0; u < 5; u++)
            if (left[u] > 0 && left[u] / (rate[u] / (double)n_left) < dt) {
                dt = left[u] / (rate[u] / (double)n_left);
                first = u;
            }
        for (size_t u = 0; u < 5; u++)
            if (left[u] > 0)
                left[u] -= rate[u] / (double)n_left * dt;
        now += dt;
        left[first] = 0.0;
        t_ps[first] = now;
        n_left--;
    }
    for (size_t u = 0; u < 5; u++) {
        double flow_s = log.t_end_s[u];

        printf("UE %zu: %.6g bit/s, flow model %.9g s, by hand %.9g s, per-TTI %.9g s\n", u,
               rate[u], flow_s, t_ps[u], tti[u].t_end_s);
        assert_true(fabs(flow_s - t_ps[u]) <= 1e-9 * t_ps[u]);
        assert_true(fabs(flow_s - tti[u].t_end_s) <= 3.0 * tti_s);
    }
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_transfer_ends_at_size_times_8_over_rate),
        cmocka_unit_test(test_shared_cell_agrees_with_the_per_tti_scheduler),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
