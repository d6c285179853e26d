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
 *     by hand (downlink; an uplink below P_max has the same fixed rate per
 *     PRB);
 *   - uplinks at P_max, each concentrating 23 dBm on its integer PRB grant
 *     slot by slot (radio_tti_reference, round robin), end within 3 % of the
 *     flow model's fractional N / n share (measured: 0.3 %);
 *   - proportional fair over Rayleigh fading, per-TTI (radio_tti_reference:
 *     each slot to the highest instantaneous rate over average throughput)
 *     against the flow model's selection diversity, within 10 % (measured:
 *     2.3 % but 7.7 % for the best channel).
 * The durations are printed; the validation report quotes them.
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

/* The flow model alone: no NR access waits or HARQ (test_collab_protocol.c
 * checks those), no shadowing, fading or load. */
static void config(struct radio_world_config *cfg, struct radio_ue_group_config *g, long n,
                   const double *x, const double *y)
{
    assert_int_equal(radio_world_config_defaults(cfg, NULL), CORE_OK);
    cfg->deploy.shadowing = false;
    cfg->deploy.fading = false;
    cfg->deploy.load = 0.0;
    cfg->access.uplink = RADIO_UL_NONE;
    cfg->access.downlink = RADIO_DL_NONE;
    cfg->access.bler = 0.0;
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

/* Run a flow set to empty, recording each flow's completion (by id). */
static void drain(struct radio_flows *fs, double *t_end_s)
{
    struct radio_flow_report r;
    double t_s;
    uint32_t h;

    while (radio_flows_next_completion(fs, &t_s, &h)) {
        radio_flows_remove(fs, t_s, h, &r);
        t_end_s[r.id] = t_s;
    }
}

/* Largest |flow - reference| / reference duration over n flows, printed. */
static double worst_rel_error(const char *what, size_t n, const double *t_flow_s,
                              const struct radio_tti_ref_flow *ref)
{
    double worst = 0.0;

    for (size_t i = 0; i < n; i++) {
        double d_ref = ref[i].t_end_s - ref[i].t_start_s, d_flow = t_flow_s[i] - ref[i].t_start_s;
        double rel = fabs(d_flow - d_ref) / d_ref;

        printf("%s flow %zu: flow model %.6g s, per-TTI %.6g s (%+.2f %%)\n", what, i, d_flow,
               d_ref, 100.0 * (d_flow - d_ref) / d_ref);
        worst = rel > worst ? rel : worst;
    }
    printf("%s: worst difference %.2f %%\n", what, 100.0 * worst);
    return worst;
}

static void carrier_100mhz(struct radio_carrier *c, bool shannon)
{
    assert_int_equal(radio_carrier_init(c, 30e3, 100e6, 1, 0.14, RADIO_CQI_TABLE_64QAM, shannon,
                                        0.0, NULL),
                     CORE_OK);
}

static void test_power_limited_uplinks_agree_with_the_per_tti_scheduler(void **state)
{
    /* Five UEs at P_max = 23 dBm, each power-controlled to 10 mW per PRB
     * (P_max reached from 20 PRBs), so on its N / n share each concentrates
     * 0.2 W on fewer PRBs as the others leave or stay; per-PRB SINR per watt
     * from 300 to 30000 (SINR -3 to 20 dB on 55 PRBs). Different sizes: the
     * set shrinks from 5 to 1 flows. */
    static const double gain_per_w[] = {300.0, 1000.0, 3000.0, 10000.0, 30000.0};
    static const double size_bytes[] = {0.5e6, 1e6, 2e6, 3e6, 4e6};
    static const struct radio_power_model pm = RADIO_POWER_DEFAULTS;
    struct radio_tti_ref_flow ref[5];
    struct radio_ul_link link[5];
    struct radio_carrier c;
    double t_flow_s[5];

    (void)state;
    for (int shannon = 0; shannon <= 1; shannon++) {
        struct radio_flows *fs = radio_flows_create(8, RADIO_SCHED_RR, RADIO_DIR_UL, 1e12, &pm);

        assert_non_null(fs);
        carrier_100mhz(&c, shannon);
        for (size_t i = 0; i < 5; i++) {
            uint32_t h;

            link[i] = (struct radio_ul_link){&c, 0.01, 0.2, gain_per_w[i],
                                             shannon ? 1.0 : radio_nr_rate_bps(&c, 1, c.n_prb)};
            ref[i] = (struct radio_tti_ref_flow){0.0, size_bytes[i], 0.0, &link[i], NULL, 0.0};
            assert_int_equal(radio_flows_add_ul(fs, 0.0, i, (uint32_t)i, size_bytes[i], &link[i],
                                                &h, NULL),
                             CORE_OK);
        }
        drain(fs, t_flow_s);
        radio_flows_destroy(fs);
        assert_int_equal(radio_tti_reference(ref, 5, &c, RADIO_SCHED_RR, 0.5e-3, 0.0, 100.0,
                                             NULL),
                         CORE_OK);
        assert_true(worst_rel_error(shannon ? "UL P_max shannon" : "UL P_max cqi", 5, t_flow_s,
                                    ref) <= 0.03);
    }
}

static void test_proportional_fair_agrees_with_the_per_tti_scheduler(void **state)
{
    /* Four downlinks with mean SINRs -5, 0, 5 and 10 dB under Rayleigh fading
     * at a 500 Hz Doppler (coherence time 0.85 ms, under two slots), per-TTI
     * PF with a 100 ms averaging window against the flow model's selection
     * diversity E[rate(SINR X_n)] / n (radio_flows_add_sinr with
     * radio_flows_set_fading). Flows of 5 to 20 MB last 2 to 4 s. */
    static const double sinr_db[] = {-5.0, 0.0, 5.0, 10.0};
    static const double size_bytes[] = {5e6, 10e6, 15e6, 20e6};
    static const struct radio_power_model pm = RADIO_POWER_DEFAULTS;
    struct radio_tti_ref_flow ref[4];
    struct radio_fading fade[4];
    struct radio_carrier c;
    double t_flow_s[4];

    (void)state;
    for (int shannon = 0; shannon <= 1; shannon++) {
        struct radio_flows *fs;

        carrier_100mhz(&c, shannon);
        fs = radio_flows_create(8, RADIO_SCHED_PF, RADIO_DIR_DL,
                                radio_nr_rate_bps(&c, RADIO_CQI_MAX, c.n_prb), &pm);
        assert_non_null(fs);
        radio_flows_set_fading(fs, true);
        for (size_t i = 0; i < 4; i++) {
            struct core_rng *r = core_rng_create(7, i, CORE_RNG_FADING);
            double sinr = radio_db_to_lin(sinr_db[i]);
            double floor_bps = shannon ? 1.0 : radio_nr_rate_bps(&c, 1, c.n_prb);
            uint32_t h;

            assert_non_null(r);
            radio_fading_init(&fade[i], 500.0, -INFINITY, 0.0, r);
            core_rng_destroy(r);
            ref[i] = (struct radio_tti_ref_flow){0.0, size_bytes[i], sinr, NULL, &fade[i], 0.0};
            assert_int_equal(radio_flows_add_sinr(fs, 0.0, i, (uint32_t)i, size_bytes[i], &c, sinr,
                                                  floor_bps, &h, NULL),
                             CORE_OK);
        }
        drain(fs, t_flow_s);
        radio_flows_destroy(fs);
        assert_int_equal(radio_tti_reference(ref, 4, &c, RADIO_SCHED_PF, 0.5e-3, 0.1, 1000.0,
                                             NULL),
                         CORE_OK);
        /* Measured: within 2.3 % but for the best channel, which per-TTI PF
         * (its metric on rates, not fading gains) serves slightly more than
         * the 1/n of slots the model gives: 7.7 % (CQI), 6.8 % (Shannon). The
         * H_n rule on the mean-SINR rate misses by 35 to 46 %. */
        assert_true(worst_rel_error(shannon ? "DL PF shannon" : "DL PF cqi", 4, t_flow_s, ref) <=
                    0.10);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_transfer_ends_at_size_times_8_over_rate),
        cmocka_unit_test(test_shared_cell_agrees_with_the_per_tti_scheduler),
        cmocka_unit_test(test_power_limited_uplinks_agree_with_the_per_tti_scheduler),
        cmocka_unit_test(test_proportional_fair_agrees_with_the_per_tti_scheduler),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
