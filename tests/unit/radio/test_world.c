/*
 * test_world.c — the radio world on the engine: a lone transfer ends at
 * B 8 / rate exactly, flows of one cell share it (completions rescheduled
 * when a flow joins), a walking UE hands over with its transfer, fading
 * updates run only while a UE has flows, a UE's flows pay its base power
 * once and its RRC tail goes to the flow that ends last, a transfer's NR
 * access wait, retransmissions and wired delays, fixed-rate links
 * dedicated to their UE, a transfer stopped in each of its phases, the
 * groups' traffic,
 * determinism
 * by seed, the configuration checks' messages, and out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "testutil.h"

#include "radio/radio.h"

struct done_log {
    size_t n;                               /* completions seen */
    struct radio_world_flow_done done[16]; /* the first 16 */
};

static void record_done(void *ctx, struct radio_world *w, const struct radio_world_flow_done *d)
{
    struct done_log *log = ctx;

    (void)w;
    if (log->n < ARRAY_LEN(log->done))
        log->done[log->n] = *d;
    log->n++;
}

struct ho_log {
    size_t n;       /* handovers seen */
    uint32_t from;  /* last source cell */
    uint32_t to;    /* last target cell */
    double t_s;     /* last time, s */
};

static void record_ho(void *ctx, struct radio_world *w, uint32_t ue, uint32_t from, uint32_t to,
                      double t_s)
{
    struct ho_log *log = ctx;

    (void)w;
    (void)ue;
    log->n++;
    log->from = from;
    log->to = to;
    log->t_s = t_s;
}

/* One site, one sector, no shadowing or fading: a deterministic link; no NR
 * access delays or HARQ: a transfer is its flow alone. */
static void plain_config(struct radio_world_config *cfg)
{
    assert_int_equal(radio_world_config_defaults(cfg, NULL), CORE_OK);
    cfg->deploy.shadowing = false;
    cfg->deploy.fading = false;
    cfg->access.uplink = RADIO_UL_NONE;
    cfg->access.downlink = RADIO_DL_NONE;
    cfg->access.bler = 0.0;
}

static void static_group(struct radio_ue_group_config *g, long n, const double *x,
                         const double *y)
{
    memset(g, 0, sizeof(*g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, g, NULL), CORE_OK);
    g->n_ues = n;
    g->placement = RADIO_PLACE_POSITIONS;
    g->pos_x_m = x;
    g->pos_y_m = y;
}

static void run_until(struct core_engine *eng, double t_s)
{
    struct core_run_limits lim = {.until_s = t_s, .has_until = true};

    core_engine_run(eng, &lim);
}

static void test_world_lone_transfer_ends_at_size_over_rate(void **state)
{
    static const double x[] = {120.0}, y[] = {40.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_rrm_reply rep;
    struct done_log log = {0};
    long live = core_alloc_live();
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    uint64_t id = 0;

    (void)state;
    plain_config(&cfg);
    static_group(&g, 1, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    assert_true(rep.ul_full_rate_bps > 1e6);
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 100e3, record_done, &log, &id,
                                            NULL),
                     CORE_OK);
    assert_int_equal(id, 1);
    assert_int_equal(radio_world_ue_flows(w, 0, RADIO_DIR_UL), 1);
    run_until(eng, 10.0);
    assert_int_equal(log.n, 1);
    double want_s = 100e3 * 8.0 / rep.ul_full_rate_bps;

    if (log.done[0].t_end_s != want_s) {
        print_error("ends at %.17g s, want %.17g s\n", log.done[0].t_end_s, want_s);
        fail();
    }
    assert_true(log.done[0].flow == 1 && log.done[0].ue == 0 && log.done[0].cell == 0);
    assert_true(log.done[0].dir == RADIO_DIR_UL && log.done[0].size_bytes == 100e3);
    double want_j = (1.288 + pow(10.0, (rep.ul_tx_power_dbm - 30.0) / 10.0) / 0.3) * want_s;

    if (fabs(log.done[0].ue_energy_j - want_j) > 1e-12 * want_j) {
        print_error("energy %.17g J, want %.17g J\n", log.done[0].ue_energy_j, want_j);
        fail();
    }
    assert_int_equal(radio_world_ue_flows(w, 0, RADIO_DIR_UL), 0);
    radio_world_destroy(w);
    core_engine_destroy(eng);
    assert_int_equal(core_alloc_live(), live);
}

static void test_world_concurrent_flows_of_one_ue_pay_the_base_power_once(void **state)
{
    /* One UE uploads 100 kB and downloads 300 kB from t = 0, each alone in its direction of
     * the cell: each ends at its size over its full rate, and together they draw the base
     * power once over the longer one, split in half while both are on. */
    static const double x[] = {120.0}, y[] = {40.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_rrm_reply rep;
    struct done_log log = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;

    (void)state;
    plain_config(&cfg);
    static_group(&g, 1, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 100e3, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_DL, 300e3, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, 10.0);
    assert_int_equal(log.n, 2);
    const struct radio_world_flow_done *ul = &log.done[log.done[0].dir == RADIO_DIR_DL];
    const struct radio_world_flow_done *dl = &log.done[log.done[0].dir == RADIO_DIR_UL];
    double ul_s = 100e3 * 8.0 / rep.ul_full_rate_bps, dl_s = 300e3 * 8.0 / rep.dl_rate_bps;
    double tx_w = pow(10.0, (rep.ul_tx_power_dbm - 30.0) / 10.0);
    double p_on = cfg.power.p_on_w, first_s = fmin(ul_s, dl_s), last_s = fmax(ul_s, dl_s);

    assert_near(ul->duration_s, ul_s, 1e-12 * ul_s);
    assert_near(dl->duration_s, dl_s, 1e-12 * dl_s);
    printf("upload %.6g s, download %.6g s, base power once over %.6g s: %.6g J "
           "(twice would be %.6g J)\n",
           ul_s, dl_s, last_s, p_on * last_s, p_on * (ul_s + dl_s));
    /* Each pays half the base power while both are on, all of it while alone. */
    assert_near(ul->ue_energy_j,
                tx_w / cfg.power.pa_efficiency * ul_s + p_on * (first_s / 2.0 + ul_s - first_s),
                1e-12);
    assert_near(dl->ue_energy_j,
                cfg.power.p_rx_w * dl_s + p_on * (first_s / 2.0 + dl_s - first_s), 1e-12);
    assert_near(ul->ue_energy_j + dl->ue_energy_j,
                p_on * last_s + tx_w / cfg.power.pa_efficiency * ul_s + cfg.power.p_rx_w * dl_s,
                1e-12);
    assert_true(ul->ue_tail_j == 0.0 && dl->ue_tail_j == 0.0); /* no tail by default */
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_rrc_tail_is_charged_to_the_flow_that_ends_last(void **state)
{
    /* With a 2 s tail at 0.5 W: two uploads back to back; the first ends while the second
     * is on (no tail), the second leaves the UE idle and is charged the whole tail. A third,
     * 1 s later, starts inside that tail: it pays on-power less tail-power, and its own tail
     * adds only the time beyond the first one's. */
    static const double x[] = {120.0}, y[] = {40.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_rrm_reply rep;
    struct done_log log = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    double d_s, tx_j;

    (void)state;
    plain_config(&cfg);
    cfg.power.tail_s = 2.0;
    cfg.power.p_tail_w = 0.5;
    static_group(&g, 1, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    d_s = 100e3 * 8.0 / rep.ul_full_rate_bps;
    tx_j = pow(10.0, (rep.ul_tx_power_dbm - 30.0) / 10.0) / cfg.power.pa_efficiency * d_s;
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 100e3, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, d_s / 2.0);
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_DL, 1.0, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, d_s + 1.0);
    assert_int_equal(log.n, 2);
    /* The tiny download ended first, inside the upload: neither it nor its share idles. */
    assert_true(log.done[0].dir == RADIO_DIR_DL && log.done[0].ue_tail_j == 0.0);
    assert_near(log.done[1].ue_tail_j, 0.5 * 2.0, 1e-15);
    double t3 = core_engine_now(eng);

    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 100e3, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, 20.0);
    assert_int_equal(log.n, 3);
    assert_near(log.done[2].t_start_s, t3, 0.0);
    /* Inside the first tail (to d_s + 2 s) throughout: on less tail power. */
    assert_true(t3 + d_s < d_s + 2.0);
    assert_near(log.done[2].ue_energy_j - log.done[2].ue_tail_j,
                tx_j + (cfg.power.p_on_w - 0.5) * d_s, 1e-12);
    assert_near(log.done[2].ue_tail_j, 0.5 * ((t3 + d_s + 2.0) - (d_s + 2.0)), 1e-12);
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_transfer_waits_for_access_retransmits_and_adds_wired_delays(void **state)
{
    /* 30 kHz slots of 0.5 ms, SR every 10 slots, k2 = k1 = 1, k0 = 0, every transmission
     * failing once (bler 1, max-retx 1). UE 0 uploads at 0: SR in slot 0, PUSCH from slot 2
     * (1 ms), one retransmission (1 + k2 slots = 1 ms), then 2 ms of wired delay. UE 1
     * downloads at 0 with 0.3 ms of wired delay before: ready inside slot 0, on the air at
     * slot 1 (0.5 ms), one retransmission (k1 + 1 + k0 slots = 1 ms). */
    static const double x[] = {120.0, 120.0}, y[] = {40.0, 40.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_rrm_reply rep;
    struct done_log log = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    double ul_s, dl_s, tx_w;

    (void)state;
    plain_config(&cfg);
    cfg.access.uplink = RADIO_UL_DYNAMIC;
    cfg.access.downlink = RADIO_DL_SCHEDULED;
    cfg.access.bler = 1.0;
    cfg.access.max_retx = 1;
    static_group(&g, 2, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    /* The RRM quotes the mean delays: (10/2 + 1 + 1) slots + 1 round trip uplink, half a
     * slot + 1 round trip downlink. */
    assert_near(rep.ul_delay_s, 7 * 0.5e-3 + 1e-3, 1e-15);
    assert_near(rep.dl_delay_s, 0.25e-3 + 1e-3, 1e-15);
    ul_s = 100e3 * 8.0 / rep.ul_full_rate_bps;
    dl_s = 50e3 * 8.0 / rep.dl_full_rate_bps;
    tx_w = pow(10.0, (rep.ul_tx_power_dbm - 30.0) / 10.0);
    assert_int_equal(radio_world_transfer(w, 0, RADIO_DIR_UL, 100e3, 0.0, 2e-3, record_done, &log,
                                          NULL, NULL),
                     CORE_OK);
    assert_int_equal(radio_world_transfer(w, 1, RADIO_DIR_DL, 50e3, 0.3e-3, 0.0, record_done,
                                          &log, NULL, NULL),
                     CORE_OK);
    assert_int_equal(radio_world_ue_flows(w, 0, RADIO_DIR_UL), 0); /* waiting, not on air */
    run_until(eng, 10.0);
    assert_int_equal(log.n, 2);
    const struct radio_world_flow_done *ul = &log.done[log.done[0].dir == RADIO_DIR_DL];
    const struct radio_world_flow_done *dl = &log.done[log.done[0].dir == RADIO_DIR_UL];

    assert_true(ul->ue == 0 && dl->ue == 1);
    assert_near(ul->air_start_s, 1e-3, 1e-15);
    assert_near(ul->air_end_s, 1e-3 + ul_s, 1e-12);
    assert_int_equal(ul->n_retx, 1);
    assert_near(ul->t_end_s, 1e-3 + ul_s + 1e-3 + 2e-3, 1e-12);
    assert_near(ul->duration_s, ul->t_end_s, 1e-15); /* asked at 0 */
    /* The UE is awake from its request to its retransmission's end, not over the wire. */
    assert_near(ul->ue_energy_j,
                cfg.power.p_on_w * (1e-3 + ul_s + 1e-3) + tx_w / cfg.power.pa_efficiency * ul_s,
                1e-12);
    assert_near(dl->air_start_s, 0.5e-3, 1e-15);
    assert_int_equal(dl->n_retx, 1);
    assert_near(dl->t_end_s, 0.5e-3 + dl_s + 1e-3, 1e-12);
    assert_near(dl->ue_energy_j,
                cfg.power.p_on_w * (dl_s + 1e-3) + cfg.power.p_rx_w * dl_s, 1e-12);
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

/* The set-up of test_world_transfer_waits_...: one UE at (120, 40) uploads
 * 100 kB at 0 with a dynamic grant (on the air at 1 ms), one HARQ
 * retransmission (1 ms) and 2 ms of wired delay after; the engine runs to
 * t_s, the transfer is cancelled then, and the engine runs on to 10 s.
 * Returns what radio_world_cancel said; *out its report, *log the
 * completions, *rep the RRM's view, *after the stats at the end. */
static bool cancel_upload_at(double t_s, struct radio_world_flow_done *out, struct done_log *log,
                             struct radio_rrm_reply *rep, struct radio_world_stats *after,
                             double *p_on_w, double *pa)
{
    static const double x[] = {120.0}, y[] = {40.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world_flow_done again;
    struct radio_world *w;
    uint64_t id = 0;
    bool stopped;

    plain_config(&cfg);
    cfg.access.uplink = RADIO_UL_DYNAMIC;
    cfg.access.bler = 1.0;
    cfg.access.max_retx = 1;
    static_group(&g, 1, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_rrm(w, 0, rep, NULL), CORE_OK);
    assert_int_equal(radio_world_transfer(w, 0, RADIO_DIR_UL, 100e3, 0.0, 2e-3, record_done, log,
                                          &id, NULL),
                     CORE_OK);
    run_until(eng, t_s);
    stopped = radio_world_cancel(w, id, out);
    assert_false(radio_world_cancel(w, id, &again)); /* never twice */
    run_until(eng, 10.0);
    assert_int_equal(radio_world_ue_flows(w, 0, RADIO_DIR_UL), 0);
    radio_world_stats(w, after);
    *p_on_w = cfg.power.p_on_w;
    *pa = cfg.power.pa_efficiency;
    radio_world_destroy(w);
    core_engine_destroy(eng);
    return stopped;
}

static void test_world_cancel_stops_a_transfer_wherever_it_is_and_reports_its_energy(void **state)
{
    struct radio_world_flow_done d;
    struct radio_world_stats st;
    struct radio_rrm_reply rep;
    double p_on, pa, ul_s, tx_w, t_s;
    long live = core_alloc_live();

    (void)state;
    /* Waiting for its grant (0.5 ms): the UE was awake from its request. */
    {
        struct done_log log = {0};

        assert_true(cancel_upload_at(0.5e-3, &d, &log, &rep, &st, &p_on, &pa));
        assert_int_equal(log.n, 0); /* its callback never comes */
        assert_near(d.t_end_s, 0.5e-3, 1e-15);
        assert_near(d.ue_energy_j, p_on * 0.5e-3, 1e-15);
        assert_true(st.flows_cancelled == 1 && st.flows_done == 0);
    }
    ul_s = 100e3 * 8.0 / rep.ul_full_rate_bps;
    tx_w = pow(10.0, (rep.ul_tx_power_dbm - 30.0) / 10.0);
    /* On the air, half way: its own draw and the base power to now. */
    {
        struct done_log log = {0};

        t_s = 1e-3 + ul_s / 2.0;
        assert_true(cancel_upload_at(t_s, &d, &log, &rep, &st, &p_on, &pa));
        assert_int_equal(log.n, 0);
        assert_near(d.ue_energy_j, p_on * t_s + tx_w / pa * ul_s / 2.0, 1e-12);
        assert_near(d.air_start_s, 1e-3, 1e-15);
        assert_true(st.flows_cancelled == 1 && st.flows_done == 0);
    }
    /* In its HARQ retransmission: the base power to now, the first transmission's draw. */
    {
        struct done_log log = {0};

        t_s = 1e-3 + ul_s + 0.5e-3;
        assert_true(cancel_upload_at(t_s, &d, &log, &rep, &st, &p_on, &pa));
        assert_int_equal(log.n, 0);
        assert_near(d.ue_energy_j, p_on * t_s + tx_w / pa * ul_s, 1e-12);
        assert_int_equal(d.n_retx, 1);
    }
    /* On the wire after the air: everything the delivery would have reported. */
    {
        struct done_log log = {0};

        t_s = 1e-3 + ul_s + 1e-3 + 1e-3;
        assert_true(cancel_upload_at(t_s, &d, &log, &rep, &st, &p_on, &pa));
        assert_int_equal(log.n, 0);
        assert_near(d.ue_energy_j, p_on * (1e-3 + ul_s + 1e-3) + tx_w / pa * ul_s, 1e-12);
    }
    /* Delivered (at 1 + ul_s + 1 + 2 ms): nothing to stop. */
    {
        struct done_log log = {0};

        assert_false(cancel_upload_at(1.0, &d, &log, &rep, &st, &p_on, &pa));
        assert_int_equal(log.n, 1);
        assert_true(st.flows_cancelled == 0 && st.flows_done == 1);
    }
    assert_int_equal(core_alloc_live(), live);
}

static void test_world_fixed_links_are_dedicated_per_ue(void **state)
{
    /* Two UEs on fixed links of 8 Mbit/s up and 20 Mbit/s down, 10 ms one way, and one on
     * NR, all in one cell. UE 0 uploads twice 100 kB at once: they share its link, 16e5 bits
     * at 4 Mbit/s each; UE 1's upload has its own link, 8e5 bits at 8 Mbit/s; neither slows
     * the NR UE's upload nor meets the NR access (the world's defaults: dynamic grant, HARQ
     * at 10 %) or a handover. Each arrives 10 ms after its last byte. */
    static const double x[] = {120.0, 120.0}, y[] = {40.0, 40.0}, xn[] = {120.0}, yn[] = {40.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g[2];
    struct radio_rrm_reply rep, nr;
    struct done_log log = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;

    (void)state;
    plain_config(&cfg);
    assert_int_equal(core_knobs_defaults(&radio_access_knobs, &cfg.access, NULL), CORE_OK);
    static_group(&g[0], 2, x, y);
    g[0].link = (struct radio_link_config){RADIO_LINK_FIXED, 8e6, 20e6, 10e-3};
    static_group(&g[1], 1, xn, yn);
    cfg.groups = g;
    cfg.n_groups = 2;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_true(radio_world_ue_link_fixed(w, 0) && radio_world_ue_link_fixed(w, 1));
    assert_false(radio_world_ue_link_fixed(w, 2));
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    assert_true(rep.fixed_link && rep.ul_rate_bps == 8e6 && rep.dl_rate_bps == 20e6);
    assert_true(rep.ul_delay_s == 10e-3 && rep.dl_delay_s == 10e-3);
    assert_int_equal(radio_world_rrm(w, 2, &nr, NULL), CORE_OK);
    assert_false(nr.fixed_link);
    for (int i = 0; i < 2; i++)
        assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 100e3, record_done, &log,
                                                NULL, NULL),
                         CORE_OK);
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    assert_near(rep.ul_rate_bps, 8e6 / 3.0, 1e-6); /* one more on UE 0's link: a third */
    assert_int_equal(radio_world_start_flow(w, 1, RADIO_DIR_UL, 100e3, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    assert_int_equal(radio_world_rrm(w, 2, &rep, NULL), CORE_OK);
    assert_true(rep.ul_rate_bps == nr.ul_rate_bps); /* the cell carries none of them */
    run_until(eng, 10.0);
    assert_int_equal(log.n, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct radio_world_flow_done *d = &log.done[i];
        double air_s = d->ue == 0 ? 8e5 / 4e6 : 8e5 / 8e6;

        assert_true(d->air_start_s == 0.0 && d->n_retx == 0);
        assert_near(d->air_end_s, air_s, 1e-12);
        assert_near(d->t_end_s, air_s + 10e-3, 1e-12);
        assert_near(d->ue_energy_j,
                    (d->ue == 0 ? cfg.power.p_on_w / 2 : cfg.power.p_on_w) * air_s +
                        radio_dbm_to_w(cfg.pc.p_max_dbm) / cfg.power.pa_efficiency * air_s,
                    1e-12);
    }
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_uplinks_at_p_max_share_in_frequency(void **state)
{
    /* Two UEs side by side far out: at 23 dBm on the full band, so each on
     * half the PRBs has 3 dB more per PRB than the time share gives it. */
    static const double x[] = {280.0, 280.0}, y[] = {0.0, 0.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_rrm_reply rep, rep2;
    struct done_log log = {0};
    long live = core_alloc_live();
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    double tx_w;

    (void)state;
    plain_config(&cfg);
    static_group(&g, 2, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    const struct radio_carrier *c = radio_world_carrier(w);

    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    assert_true(rep.ul_tx_power_dbm == cfg.pc.p_max_dbm);
    struct radio_ul_link l = rep.ul_link;

    l.floor_bps = radio_nr_rate_bps(c, 1, c->n_prb);
    double half_bps = radio_ul_link_rate_bps(&l, c->n_prb / 2.0, &tx_w) / 2.0;
    double time_share_bps = (rep.ul_full_rate_bps > l.floor_bps ? rep.ul_full_rate_bps
                                                               : l.floor_bps) / 2.0;

    printf("on half the band %.6g bit/s at %.4g W, time share %.6g bit/s\n", half_bps, tx_w,
           time_share_bps);
    assert_true(half_bps > time_share_bps);
    for (uint32_t u = 0; u < 2; u++)
        assert_int_equal(radio_world_start_flow(w, u, RADIO_DIR_UL, 100e3, record_done, &log,
                                                NULL, NULL),
                         CORE_OK);
    /* The RRM's view with two flows in the cell: a third on N/3 PRBs. */
    assert_int_equal(radio_world_rrm(w, 0, &rep2, NULL), CORE_OK);
    assert_near(rep2.ul_rate_bps, radio_ul_link_rate_bps(&l, c->n_prb / 3.0, NULL) / 3.0,
                1e-9 * rep2.ul_rate_bps);
    run_until(eng, 10.0);
    assert_int_equal(log.n, 2);
    double want_s = 100e3 * 8.0 / half_bps;

    for (size_t i = 0; i < 2; i++) {
        if (fabs(log.done[i].t_end_s - want_s) > 1e-12 * want_s) {
            print_error("flow %zu ends at %.17g s, want %.17g s\n", i, log.done[i].t_end_s,
                        want_s);
            fail();
        }
        /* Energy with the power actually radiated on N/2 PRBs. */
        assert_near(log.done[i].ue_energy_j, (1.288 + tx_w / 0.3) * want_s, 1e-12);
    }
    radio_world_destroy(w);
    core_engine_destroy(eng);
    assert_int_equal(core_alloc_live(), live);
}

static void test_world_late_flow_reschedules_the_first_completion(void **state)
{
    /* Two UEs at the same distance: equal full rates r. A (100 MB) starts at
     * 0, B (50 MB) at 0.01 s. Round robin: from 0.01 s each gets r / 2, so B
     * ends at 0.01 + 4e8 bits / (r / 2); A then has its remaining bits less
     * 4e8 left, alone at r. */
    static const double x[] = {150.0, -150.0}, y[] = {0.0, 0.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_rrm_reply rep;
    struct done_log log = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;

    (void)state;
    plain_config(&cfg);
    static_group(&g, 2, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 7, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_rrm(w, 0, &rep, NULL), CORE_OK);
    double r = rep.dl_full_rate_bps;

    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_DL, 100e6, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, 0.01);
    assert_int_equal(radio_world_start_flow(w, 1, RADIO_DIR_DL, 50e6, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, 100.0);
    assert_int_equal(log.n, 2);
    double a_left_bits = 8e8 - r * 0.01;
    double b_end = 0.01 + 4e8 / (r / 2.0);
    double a_end = b_end + (a_left_bits - 4e8) / r;

    assert_true(a_left_bits > 4e8);

    assert_int_equal(log.done[0].ue, 1);
    assert_int_equal(log.done[1].ue, 0);
    if (fabs(log.done[0].t_end_s - b_end) > 1e-12 || fabs(log.done[1].t_end_s - a_end) > 1e-12) {
        print_error("B ends %.15g s (want %.15g), A %.15g s (want %.15g)\n",
                    log.done[0].t_end_s, b_end, log.done[1].t_end_s, a_end);
        fail();
    }
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_walking_ue_hands_over_and_keeps_its_transfer(void **state)
{
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct done_log log = {0};
    struct ho_log ho = {0};
    struct radio_world_stats st;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    double sx, sy;

    (void)state;
    plain_config(&cfg);
    cfg.deploy.n_sites = 7;
    memset(&g, 0, sizeof(g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &g, NULL), CORE_OK);
    g.placement = RADIO_PLACE_UNIFORM_CELL;
    g.mobility = RADIO_MOBILITY_LINE;
    g.speed_min_mps = g.speed_max_mps = 30.0;
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 3, NULL);
    assert_non_null(w);
    radio_world_on_handover(w, record_ho, &ho);
    assert_int_equal(radio_world_serving(w, 0), 0);
    radio_world_cell_site(w, 0, &sx, &sy);
    assert_true(sx == 0.0 && sy == 0.0);
    /* 3 MB at a few Mbit/s far out lasts long enough to cross a cell edge. */
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_DL, 30e6, record_done, &log, NULL,
                                            NULL),
                     CORE_OK);
    run_until(eng, 40.0);
    radio_world_stats(w, &st);
    if (ho.n == 0 || st.handovers != ho.n) {
        print_error("%zu handovers seen by the hook, %llu counted\n", ho.n,
                    (unsigned long long)st.handovers);
        fail();
    }
    assert_true(ho.from != ho.to);
    assert_int_equal(radio_world_serving(w, 0), ho.to);
    assert_int_equal(log.n, 1);
    assert_true(log.done[0].size_bytes == 30e6 && log.done[0].t_start_s == 0.0);
    assert_true(log.done[0].t_end_s > ho.t_s || ho.n > 1);
    /* About one position update per metre: 30 m/s for 40 s. */
    if (st.channel_updates < 1190 || st.channel_updates > 1210) {
        print_error("%llu channel updates, want about 1200\n",
                    (unsigned long long)st.channel_updates);
        fail();
    }
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

/* Where each of n line-mobility UEs (speeds 1 to 3 m/s, disc placement)
 * is at 0 and at 10 s, seed 5. */
static void line_positions(long n, double *x0, double *y0, double *x1, double *y1)
{
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    struct radio_sample row;

    plain_config(&cfg);
    cfg.deploy.n_sites = 7;
    memset(&g, 0, sizeof(g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &g, NULL), CORE_OK);
    g.n_ues = n;
    g.placement = RADIO_PLACE_DISC;
    g.radius_m = 300.0;
    g.mobility = RADIO_MOBILITY_LINE;
    g.speed_min_mps = 1.0;
    g.speed_max_mps = 3.0;
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 5, NULL);
    assert_non_null(w);
    for (uint32_t u = 0; u < (uint32_t)n; u++) {
        assert_int_equal(radio_world_sample(w, u, &row, NULL), CORE_OK);
        x0[u] = row.x_m;
        y0[u] = row.y_m;
    }
    run_until(eng, 10.0);
    for (uint32_t u = 0; u < (uint32_t)n; u++) {
        assert_int_equal(radio_world_sample(w, u, &row, NULL), CORE_OK);
        x1[u] = row.x_m;
        y1[u] = row.y_m;
    }
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_line_ues_each_draw_their_own_heading_and_speed(void **state)
{
    /* 200 UEs: each goes straight at its own speed in [1, 3] m/s and its own
     * heading; speeds spread over the range, headings over the circle (the
     * mean of the unit heading vectors near 0, the quadrants all used). The
     * draws come from each UE's own stream: a world of 20 UEs on the same
     * seed moves those 20 exactly as the world of 200 does. */
    static double x0[200], y0[200], x1[200], y1[200], a0[20], b0[20], a1[20], b1[20];
    double v_min = INFINITY, v_max = 0.0, cx = 0.0, cy = 0.0;
    int quadrant[4] = {0};

    (void)state;
    line_positions(200, x0, y0, x1, y1);
    for (size_t u = 0; u < 200; u++) {
        double dx = x1[u] - x0[u], dy = y1[u] - y0[u], v = hypot(dx, dy) / 10.0;

        if (!(v >= 1.0 - 1e-9 && v <= 3.0 + 1e-9)) {
            print_error("UE %zu: %.9g m/s, outside [1, 3]\n", u, v);
            fail();
        }
        v_min = v < v_min ? v : v_min;
        v_max = v > v_max ? v : v_max;
        cx += dx / (10.0 * v) / 200.0;
        cy += dy / (10.0 * v) / 200.0;
        quadrant[(dx >= 0.0 ? 0 : 1) + (dy >= 0.0 ? 0 : 2)]++;
    }
    printf("speeds %.3f to %.3f m/s, mean heading vector (%.3f, %.3f), quadrants %d %d %d %d\n",
           v_min, v_max, cx, cy, quadrant[0], quadrant[1], quadrant[2], quadrant[3]);
    assert_true(v_min < 1.2 && v_max > 2.8);
    assert_true(hypot(cx, cy) < 0.2);
    for (int q = 0; q < 4; q++)
        assert_true(quadrant[q] >= 30);
    line_positions(20, a0, b0, a1, b1);
    for (size_t u = 0; u < 20; u++)
        if (a0[u] != x0[u] || b0[u] != y0[u] || a1[u] != x1[u] || b1[u] != y1[u]) {
            print_error("UE %zu: at (%.17g, %.17g) with 20 UEs, (%.17g, %.17g) with 200\n", u,
                        a1[u], b1[u], x1[u], y1[u]);
            fail();
        }
}

static double ul_sinr_db(struct radio_world *w, uint32_t ue)
{
    struct radio_rrm_reply rep;

    assert_int_equal(radio_world_rrm(w, ue, &rep, NULL), CORE_OK);
    return rep.ul_sinr_db;
}

static void test_world_ue_interference_comes_from_other_cells_transmitting_ues(void **state)
{
    /* UE 0 and UE 2 in the centre cell, UE 1 in cell 1 (70 % of the way to
     * its site). With ue-interference the uplink sees no interference while
     * no other cell's UE transmits: exactly the SINR of ul-iot 0 dB. UE 2
     * transmitting in the same cell changes nothing; UE 1 transmitting in
     * cell 1 lowers UE 0's uplink SINR. */
    double sx[7], sy[7], x[3], y[3], quiet_db, iot0_db;
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct core_engine *eng;
    struct radio_world *w;

    (void)state;
    assert_int_equal(radio_hex_sites(1, 500.0, sx, sy, NULL), CORE_OK);
    x[0] = 60.0, y[0] = 0.0;
    x[1] = 0.7 * sx[1], y[1] = 0.7 * sy[1];
    x[2] = -60.0, y[2] = 20.0;
    plain_config(&cfg);
    cfg.deploy.n_sites = 7;
    static_group(&g, 3, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    for (int pass = 0; pass < 2; pass++) {
        cfg.deploy.ue_interference = pass == 1;
        cfg.deploy.ul_iot_db = pass == 1 ? 3.0 : 0.0;
        eng = core_engine_create(0);
        w = radio_world_create(&cfg, eng, 9, NULL);
        assert_non_null(w);
        assert_true(radio_world_serving(w, 0) == 0 && radio_world_serving(w, 2) == 0);
        assert_int_equal(radio_world_serving(w, 1), 1);
        if (pass == 0) {
            iot0_db = ul_sinr_db(w, 0);
        } else {
            quiet_db = ul_sinr_db(w, 0);
            assert_true(quiet_db == iot0_db);
            assert_int_equal(radio_world_start_flow(w, 2, RADIO_DIR_UL, 1e9, NULL, NULL, NULL,
                                                    NULL),
                             CORE_OK);
            assert_true(ul_sinr_db(w, 0) == quiet_db);
            assert_int_equal(radio_world_start_flow(w, 1, RADIO_DIR_UL, 1e9, NULL, NULL, NULL,
                                                    NULL),
                             CORE_OK);
            printf("UE 0 uplink SINR %.3f dB quiet, %.3f dB with cell 1's UE sending\n",
                   quiet_db, ul_sinr_db(w, 0));
            /* UE 1 sends 7 dBm over 350 m of NLOS: 28 dB below the noise. */
            assert_true(ul_sinr_db(w, 0) < quiet_db);
        }
        radio_world_destroy(w);
        core_engine_destroy(eng);
    }
}

static void test_world_fading_updates_only_while_flows_are_active(void **state)
{
    static const double x[] = {200.0}, y[] = {0.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_world_stats st;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;
    struct radio_rrm_reply a, b;

    (void)state;
    plain_config(&cfg);
    cfg.deploy.fading = true;
    static_group(&g, 1, x, y);
    g.mobility = RADIO_MOBILITY_LINE;
    g.speed_min_mps = g.speed_max_mps = 1.0;
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 11, NULL);
    assert_non_null(w);
    run_until(eng, 10.0);
    radio_world_stats(w, &st);
    /* Without flows: only the position updates, one per metre. */
    assert_int_equal(st.channel_updates, 10);
    /* The fading is a function of time: two queries at once agree, and the
     * SINR moves between instants a coherence time apart. */
    assert_int_equal(radio_world_rrm(w, 0, &a, NULL), CORE_OK);
    assert_int_equal(radio_world_rrm(w, 0, &b, NULL), CORE_OK);
    assert_true(a.dl_sinr_db == b.dl_sinr_db);
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 1e12, NULL, NULL, NULL, NULL),
                     CORE_OK);
    run_until(eng, 20.0);
    radio_world_stats(w, &st);
    /* 1 m/s at 3.5 GHz: f_D = 11.67 Hz, coherence 36.3 ms: 275 fading
     * updates in 10 s, plus 10 position updates. */
    double coh_s = radio_fading_coherence_s(radio_doppler_hz(1.0, 3.5e9));
    uint64_t want = 20 + (uint64_t)floor(10.0 / coh_s);

    if (st.channel_updates + 1 < want || st.channel_updates > want + 1) {
        print_error("%llu channel updates, want %llu\n", (unsigned long long)st.channel_updates,
                    (unsigned long long)want);
        fail();
    }
    assert_int_equal(radio_world_rrm(w, 0, &b, NULL), CORE_OK);
    assert_true(a.dl_sinr_db != b.dl_sinr_db);
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_traffic_uploads_then_downloads(void **state)
{
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct radio_world_stats st;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;

    (void)state;
    assert_int_equal(radio_world_config_defaults(&cfg, NULL), CORE_OK);
    cfg.deploy.n_sites = 7;
    memset(&g, 0, sizeof(g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &g, NULL), CORE_OK);
    g.n_ues = 70;
    g.mobility = RADIO_MOBILITY_WAYPOINT;
    g.ul_bytes = 10e3;
    g.dl_bytes = 1e3;
    g.request_rate_hz = 1.0;
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 5, NULL);
    assert_non_null(w);
    run_until(eng, 20.0);
    radio_world_stats(w, &st);
    /* 70 UEs x 1/s x 20 s = 1400 requests (Poisson: within 4 sd). */
    if (st.requests < 1250 || st.requests > 1550) {
        print_error("%llu requests, want about 1400\n", (unsigned long long)st.requests);
        fail();
    }
    /* Each request is an upload and then a download; the last few are in flight. */
    assert_true(st.flows_started <= 2 * st.requests && st.flows_started + 10 >= 2 * st.requests);
    assert_true(st.flows_done + 10 >= st.flows_started);
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

/* Run a small pedestrian world with seed and write every UE's sample at 5 s. */
static void sample_world(uint64_t seed, struct radio_sample *rows, size_t n)
{
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *w;

    assert_int_equal(radio_world_config_defaults(&cfg, NULL), CORE_OK);
    cfg.deploy.n_sites = 7;
    cfg.deploy.n_sectors = 3;
    memset(&g, 0, sizeof(g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &g, NULL), CORE_OK);
    g.n_ues = (long)n;
    g.mobility = RADIO_MOBILITY_WAYPOINT;
    g.ul_bytes = 50e3;
    g.request_rate_hz = 2.0;
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, seed, NULL);
    assert_non_null(w);
    run_until(eng, 5.0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(radio_world_sample(w, (uint32_t)i, &rows[i], NULL), CORE_OK);
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_world_same_seed_same_samples_other_seed_other_ones(void **state)
{
    struct radio_sample a[21], b[21], c[21];
    size_t differ = 0;

    (void)state;
    sample_world(9, a, 21);
    sample_world(9, b, 21);
    sample_world(10, c, 21);
    for (size_t i = 0; i < 21; i++) {
        assert_true(a[i].ue == i && a[i].t_s == 5.0);
        assert_true(a[i].x_m == b[i].x_m && a[i].y_m == b[i].y_m && a[i].cell == b[i].cell);
        assert_true(a[i].ul_sinr_db == b[i].ul_sinr_db && a[i].dl_rate_bps == b[i].dl_rate_bps);
        assert_true(a[i].cell < 21 && a[i].ul_cqi <= 15 && a[i].dl_cqi <= 15);
        differ += a[i].x_m != c[i].x_m;
    }
    assert_true(differ == 21);
}

static void expect_create_error(const struct radio_world_config *cfg, const char *want)
{
    struct core_engine *eng = core_engine_create(0);
    struct core_err e;

    core_err_clear(&e);
    assert_null(radio_world_create(cfg, eng, 1, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    if (strcmp(e.msg, want) != 0) {
        print_error("message:\n  %s\nwant:\n  %s\n", e.msg, want);
        fail();
    }
    core_engine_destroy(eng);
}

static void test_world_config_checks_name_the_valid_range(void **state)
{
    struct radio_world_config cfg;
    struct radio_ue_group_config g;

    (void)state;
    plain_config(&cfg);
    cfg.carrier.scs_hz = 15e3;
    expect_create_error(&cfg, "bandwidth 100 MHz is not allowed at 15 kHz SCS (TS 38.101-1 "
                              "table 5.3.2-1 allows 5, 10, 15, 20, 25, 30, 35, 40, 45, 50 MHz)");
    plain_config(&cfg);
    cfg.deploy.n_sites = 5;
    expect_create_error(&cfg, "attribute 'sites': 5 is not a hexagonal count 1 + 3 k (k + 1) "
                              "(1, 7, 19, 37, 61, 91, ..., 3997)");
    plain_config(&cfg);
    cfg.deploy.isd_m = 10e3;
    expect_create_error(&cfg, "attribute 'isd': 10000 m puts the cell edge 5773.5 m from its "
                              "site, beyond the UMa path-loss range of 5000 m (isd at most "
                              "8660.25 m with 1 sector)");
    plain_config(&cfg);
    cfg.deploy.scenario = RADIO_SCENARIO_INH_OPEN;
    cfg.deploy.isd_m = 300.0;
    expect_create_error(&cfg, "attribute 'isd': 300 m puts the cell edge 173.205 m from its "
                              "site, beyond the InH-open path-loss range of 149.992 m (isd at "
                              "most 259.795 m with 1 sector)");
    plain_config(&cfg);
    cfg.deploy.ue_height_m = 1.0;
    expect_create_error(&cfg, "attribute 'ue-height': 1 m is outside the UMa range [1.5, 22.5] m");
    plain_config(&cfg);
    memset(&g, 0, sizeof(g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &g, NULL), CORE_OK);
    g.speed_min_mps = 3.0;
    g.speed_max_mps = 2.0;
    cfg.groups = &g;
    cfg.n_groups = 1;
    expect_create_error(&cfg, "attribute 'speed-min': 3 m/s must not exceed 'speed-max' (2 m/s)");
    g.speed_min_mps = 0.0;
    g.mobility = RADIO_MOBILITY_WAYPOINT;
    expect_create_error(&cfg, "attribute 'speed-min': a moving UE needs a positive speed (got "
                              "0 m/s)");
}

static void test_world_start_flow_rejects_bad_arguments(void **state)
{
    static const double x[] = {100.0}, y[] = {0.0};
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    struct core_engine *eng = core_engine_create(0);
    struct radio_rrm_reply rep;
    struct radio_sample row;
    struct radio_world *w;
    struct core_err e;

    (void)state;
    plain_config(&cfg);
    static_group(&g, 1, x, y);
    cfg.groups = &g;
    cfg.n_groups = 1;
    w = radio_world_create(&cfg, eng, 1, NULL);
    assert_non_null(w);
    assert_int_equal(radio_world_start_flow(w, 1, RADIO_DIR_UL, 10.0, NULL, NULL, NULL, &e),
                     CORE_E_INPUT);
    assert_string_equal(e.msg, "UE 1 is out of range [0, 0]");
    assert_int_equal(radio_world_start_flow(w, 0, RADIO_DIR_UL, 0.0, NULL, NULL, NULL, &e),
                     CORE_E_INPUT);
    assert_string_equal(e.msg, "a transfer of 0 B: the size must be positive");
    assert_int_equal(radio_world_transfer(w, 0, RADIO_DIR_DL, 10.0, -1e-3, 0.0, NULL, NULL, NULL,
                                          &e),
                     CORE_E_INPUT);
    assert_string_equal(e.msg, "a transfer's delays -0.001 s and 0 s must be finite and not "
                               "negative");
    assert_int_equal(radio_world_transfer(w, 0, RADIO_DIR_UL, 10.0, 0.0, INFINITY, NULL, NULL,
                                          NULL, &e),
                     CORE_E_INPUT);
    assert_int_equal(radio_world_rrm(w, 2, &rep, &e), CORE_E_INPUT);
    assert_int_equal(radio_world_sample(w, 2, &row, &e), CORE_E_INPUT);
    assert_int_equal(radio_world_n_ues(w), 1);
    assert_int_equal(radio_world_n_cells(w), 1);
    assert_int_equal(radio_world_carrier(w)->n_prb, 273);
    radio_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_link_budget_follows_distance_and_rejects_out_of_range(void **state)
{
    struct radio_world_config cfg;
    struct radio_budget_row near, far;
    struct core_err e;

    (void)state;
    plain_config(&cfg);
    assert_int_equal(radio_link_budget(&cfg, 15.0, &near, NULL), CORE_OK);
    assert_int_equal(radio_link_budget(&cfg, 280.0, &far, NULL), CORE_OK);
    assert_true(near.distance_m == 15.0 && far.distance_m == 280.0);
    assert_true(near.los_probability == 1.0 && far.los_probability < 0.2);
    assert_true(near.pathloss_nlos_db >= near.pathloss_los_db);
    assert_true(far.pathloss_los_db > near.pathloss_los_db);
    assert_true(far.dl_sinr_db < near.dl_sinr_db && far.ul_sinr_db < near.ul_sinr_db);
    assert_true(far.dl_cqi <= near.dl_cqi && far.dl_rate_bps < near.dl_rate_bps);
    assert_true(near.dl_cqi == 15);
    assert_int_equal(radio_link_budget(&cfg, 5.0, &near, &e), CORE_E_INPUT);
    assert_string_equal(e.msg, "distance 5 m is outside the uma path-loss range [10, 5000] m");
    cfg.carrier.scs_hz = 60e3;
    cfg.carrier.bandwidth_hz = 5e6;
    assert_int_equal(radio_link_budget(&cfg, 50.0, &near, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "not allowed at 60 kHz SCS"));
    plain_config(&cfg);
    assert_near(radio_cell_edge_m(&cfg.deploy), 500.0 / sqrt(3.0), 1e-9);
    cfg.deploy.n_sectors = 3;
    assert_near(radio_cell_edge_m(&cfg.deploy), 1000.0 / 3.0, 1e-9);
}

static void test_world_out_of_memory_leaves_nothing_behind(void **state)
{
    struct radio_world_config cfg;
    struct radio_ue_group_config g;
    long live = core_alloc_live();
    bool made = false;

    (void)state;
    assert_int_equal(radio_world_config_defaults(&cfg, NULL), CORE_OK);
    cfg.deploy.n_sites = 7;
    memset(&g, 0, sizeof(g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &g, NULL), CORE_OK);
    g.n_ues = 3;
    g.mobility = RADIO_MOBILITY_WAYPOINT;
    cfg.groups = &g;
    cfg.n_groups = 1;
    for (unsigned long k = 1; !made && k < 500; k++) {
        struct core_engine *eng = core_engine_create(4096);
        struct radio_world *w;
        struct core_err e;

        assert_non_null(eng);
        core_alloc_fail_after(k);
        w = radio_world_create(&cfg, eng, 1, &e);
        core_alloc_fail_after(0);
        if (w == NULL)
            assert_int_equal(e.rc, CORE_E_NOMEM);
        made = w != NULL;
        radio_world_destroy(w);
        core_engine_destroy(eng);
        assert_int_equal(core_alloc_live(), live);
    }
    assert_true(made);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_lone_transfer_ends_at_size_over_rate),
        cmocka_unit_test(test_world_concurrent_flows_of_one_ue_pay_the_base_power_once),
        cmocka_unit_test(test_world_rrc_tail_is_charged_to_the_flow_that_ends_last),
        cmocka_unit_test(test_world_transfer_waits_for_access_retransmits_and_adds_wired_delays),
        cmocka_unit_test(test_world_cancel_stops_a_transfer_wherever_it_is_and_reports_its_energy),
        cmocka_unit_test(test_world_fixed_links_are_dedicated_per_ue),
        cmocka_unit_test(test_world_uplinks_at_p_max_share_in_frequency),
        cmocka_unit_test(test_world_late_flow_reschedules_the_first_completion),
        cmocka_unit_test(test_world_walking_ue_hands_over_and_keeps_its_transfer),
        cmocka_unit_test(test_world_line_ues_each_draw_their_own_heading_and_speed),
        cmocka_unit_test(test_world_ue_interference_comes_from_other_cells_transmitting_ues),
        cmocka_unit_test(test_world_fading_updates_only_while_flows_are_active),
        cmocka_unit_test(test_world_traffic_uploads_then_downloads),
        cmocka_unit_test(test_world_same_seed_same_samples_other_seed_other_ones),
        cmocka_unit_test(test_world_config_checks_name_the_valid_range),
        cmocka_unit_test(test_world_start_flow_rejects_bad_arguments),
        cmocka_unit_test(test_link_budget_follows_distance_and_rejects_out_of_range),
        cmocka_unit_test(test_world_out_of_memory_leaves_nothing_behind),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
