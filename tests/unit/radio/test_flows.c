/*
 * test_flows.c — flow-level sharing of a cell's PRBs (event-driven processor
 * sharing) against schedules worked by hand: a lone flow, two identical
 * flows, a late arrival, a channel change (one flow's change leaves the
 * others' rates alone and moves the earliest completion; the busy time),
 * proportional fair's gain, the
 * energy model, handle reuse and growth, out-of-memory paths, agreement
 * with the per-TTI round-robin reference scheduler, and the uplink's
 * frequency-domain sharing (a UE below P_max gets exactly rate(N) / n, one at
 * P_max more, with its power on N / n PRBs, and one that a removal puts at
 * P_max leaves the virtual clock for the power-limited rate).
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

static const struct radio_power_model power = RADIO_POWER_DEFAULTS;

static struct radio_flows *make(enum radio_sched sched, enum radio_dir dir, size_t cap)
{
    struct radio_flows *fs = radio_flows_create(cap, sched, dir, 1e12, &power);

    assert_non_null(fs);
    return fs;
}

static void test_lone_flow_ends_exactly_at_size_over_rate(void **state)
{
    struct radio_carrier c;
    struct radio_flow_report rep;
    uint32_t h, h2;
    double t_end;

    (void)state;
    assert_int_equal(radio_carrier_init(&c, 30e3, 100e6, 1, 0.08, RADIO_CQI_TABLE_64QAM, false,
                                        0.0, NULL),
                     CORE_OK);
    double rate = radio_link_rate_bps(&c, pow(10.0, 1.2), c.n_prb); /* 12 dB */
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);

    assert_int_equal(radio_flows_add(fs, 1.5, 77, 3, 100e3, rate, 0.1, &h, NULL), CORE_OK);
    assert_true(radio_flows_next_completion(fs, &t_end, &h2));
    assert_int_equal(h2, h);
    if (t_end != 1.5 + 100e3 * 8.0 / rate) {
        print_error("ends at %.17g s, want %.17g s\n", t_end, 1.5 + 100e3 * 8.0 / rate);
        fail();
    }
    assert_true(radio_flows_rate_bps(fs, h) == rate);
    radio_flows_remove(fs, t_end, h, &rep);
    assert_true(rep.id == 77 && rep.ue == 3);
    assert_true(rep.sent_bytes == 100e3 && rep.size_bytes == 100e3);
    assert_true(rep.t_start_s == 1.5 && rep.t_end_s == t_end);
    assert_near(rep.duration_s, 100e3 * 8.0 / rate, 1e-12);
    /* Uplink energy: (1.288 W + 0.1 W / 0.3) over the duration. */
    double want_j = (1.288 + 0.1 / 0.3) * rep.duration_s;

    assert_near(rep.ue_energy_j, want_j, 1e-12);
    assert_int_equal(radio_flows_active(fs), 0);
    assert_false(radio_flows_next_completion(fs, &t_end, &h2));
    radio_flows_destroy(fs);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_two_identical_flows_get_half_each_and_end_together(void **state)
{
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_DL, 4);
    struct radio_flow_report rep1, rep2;
    uint32_t a, b, h;
    double t1, t2;

    (void)state;
    assert_int_equal(radio_flows_add(fs, 0.0, 1, 1, 50e3, 40e6, 0.0, &a, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(fs, 0.0, 2, 2, 50e3, 40e6, 0.0, &b, NULL), CORE_OK);
    assert_true(radio_flows_rate_bps(fs, a) == 20e6 && radio_flows_rate_bps(fs, b) == 20e6);
    assert_true(radio_flows_next_completion(fs, &t1, &h));
    assert_true(t1 == 50e3 * 8.0 / 20e6);
    radio_flows_remove(fs, t1, h, &rep1);
    assert_true(radio_flows_next_completion(fs, &t2, &h));
    if (fabs(t2 - t1) > 1e-15) {
        print_error("second ends at %.17g s, first at %.17g s\n", t2, t1);
        fail();
    }
    radio_flows_remove(fs, t2, h, &rep2);
    assert_true(rep1.sent_bytes == 50e3 && rep2.sent_bytes == 50e3);
    /* Downlink energy: (1.288 + 0.1) W each. */
    assert_near(rep1.ue_energy_j, 1.388 * t1, 1e-12);
    radio_flows_destroy(fs);
}

static void test_late_arrival_shares_then_leaves_the_band_to_the_first(void **state)
{
    /* A: 1 MB at 8 Mbit/s alone; B: 0.25 MB arrives at 0.5 s. From 0.5 s
     * both run at 4 Mbit/s: B's 2 Mbit take 0.5 s (ends 1.0 s) while A drains
     * 2 of its remaining 4 Mbit; then A alone at 8 Mbit/s: 0.25 s (1.25 s). */
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
    struct radio_flow_report rep;
    uint32_t a, b, h;
    double t;

    (void)state;
    assert_int_equal(radio_flows_add(fs, 0.0, 1, 1, 1e6, 8e6, 0.2, &a, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(fs, 0.5, 2, 2, 0.25e6, 8e6, 0.2, &b, NULL), CORE_OK);
    assert_near(radio_flows_remaining_bits(fs, a), 4e6, 1e-6);
    assert_true(radio_flows_next_completion(fs, &t, &h));
    assert_int_equal(h, b);
    assert_near(t, 1.0, 1e-12);
    radio_flows_remove(fs, t, h, &rep);
    assert_near(rep.duration_s, 0.5, 1e-12);
    assert_true(radio_flows_next_completion(fs, &t, &h));
    assert_int_equal(h, a);
    assert_near(t, 1.25, 1e-12);
    radio_flows_remove(fs, t, h, &rep);
    assert_near(rep.duration_s, 1.25, 1e-12);
    radio_flows_destroy(fs);
}

static void test_channel_change_moves_the_completion(void **state)
{
    /* 1 Mbit at 1 Mbit/s; at 0.25 s the rate halves: 0.75 Mbit at 0.5 Mbit/s
     * end at 1.75 s. Removed early at 1.0 s it has sent 0.625 Mbit. */
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
    struct radio_flow_report rep;
    uint32_t a, h;
    double t;

    (void)state;
    assert_int_equal(radio_flows_add(fs, 0.0, 1, 1, 125e3, 1e6, 0.2, &a, NULL), CORE_OK);
    radio_flows_set_channel(fs, 0.25, a, 0.5e6, 0.1);
    assert_true(radio_flows_next_completion(fs, &t, &h));
    assert_near(t, 1.75, 1e-12);
    radio_flows_remove(fs, 1.0, a, &rep);
    assert_near(rep.sent_bytes, 0.625e6 / 8.0, 1e-6);
    /* Energy: 0.25 s at 1.288 + 0.2/0.3 W, then 0.75 s at 1.288 + 0.1/0.3 W. */
    double want_j = 0.25 * (1.288 + 0.2 / 0.3) + 0.75 * (1.288 + 0.1 / 0.3);

    assert_near(rep.ue_energy_j, want_j, 1e-12);
    radio_flows_destroy(fs);
}

static void test_channel_change_of_one_flow_leaves_the_others_and_tracks_the_earliest(void **state)
{
    /* Three flows of 1, 2 and 3 Mbit at 3 Mbit/s full band, round robin: each
     * 1 Mbit/s, ending at 1, 2 and 3 s. At 0.5 s A's channel drops to
     * 0.3 Mbit/s (0.1 Mbit/s share): B and C keep their rates and ends, B
     * becomes the earliest (2 s), A ends at 0.5 + 0.5 / 0.1 = 5.5 s. At 1 s
     * C's channel rises to 30 Mbit/s (10 Mbit/s share): C's 2 Mbit left end
     * at 1.2 s, before B. */
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_DL, 4);
    struct radio_flow_report rep;
    uint32_t a, b, c, h;
    double t;

    (void)state;
    assert_int_equal(radio_flows_add(fs, 0.0, 1, 1, 125e3, 3e6, 0.0, &a, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(fs, 0.0, 2, 2, 250e3, 3e6, 0.0, &b, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(fs, 0.0, 3, 3, 375e3, 3e6, 0.0, &c, NULL), CORE_OK);
    assert_true(radio_flows_next_completion(fs, &t, &h));
    assert_true(h == a && fabs(t - 1.0) <= 1e-12);
    radio_flows_set_channel(fs, 0.5, a, 0.3e6, 0.0);
    assert_near(radio_flows_rate_bps(fs, a), 0.1e6, 1e-6);
    assert_near(radio_flows_rate_bps(fs, b), 1e6, 1e-6);
    assert_near(radio_flows_rate_bps(fs, c), 1e6, 1e-6);
    assert_true(radio_flows_next_completion(fs, &t, &h));
    if (h != b || fabs(t - 2.0) > 1e-12) {
        print_error("earliest: flow %u at %.17g s, want %u at 2 s\n", (unsigned)h, t,
                    (unsigned)b);
        fail();
    }
    radio_flows_set_channel(fs, 1.0, c, 30e6, 0.0);
    assert_true(radio_flows_next_completion(fs, &t, &h));
    if (h != c || fabs(t - 1.2) > 1e-12) {
        print_error("earliest: flow %u at %.17g s, want %u at 1.2 s\n", (unsigned)h, t,
                    (unsigned)c);
        fail();
    }
    radio_flows_remove(fs, t, c, &rep);
    assert_near(rep.sent_bytes, 375e3, 1e-6);
    /* Two left at 1.2 s: B has 0.8 Mbit, A 0.5 - 0.07 = 0.43 Mbit; shares
     * 1.5 and 0.15 Mbit/s: B ends at 1.2 + 0.8 / 1.5 s. */
    assert_true(radio_flows_next_completion(fs, &t, &h));
    assert_true(h == b);
    assert_near(t, 1.2 + 0.8 / 1.5, 1e-12);
    assert_near(radio_flows_remaining_bits(fs, a), 0.43e6, 1e-6);
    assert_near(radio_flows_busy_s(fs, 2.0), 2.0, 1e-12);
    radio_flows_remove(fs, t, b, &rep);
    radio_flows_remove(fs, t, a, &rep);
    assert_near(radio_flows_busy_s(fs, 3.0), 1.2 + 0.8 / 1.5, 1e-12);
    radio_flows_destroy(fs);
}

static void test_proportional_fair_gives_the_better_channel_more(void **state)
{
    struct radio_flows *pf = radio_flows_create(4, RADIO_SCHED_PF, RADIO_DIR_DL, 500e6, &power);
    struct radio_flows *rr = make(RADIO_SCHED_RR, RADIO_DIR_DL, 4);
    uint32_t good, bad, good_rr, bad_rr;

    (void)state;
    assert_non_null(pf);
    assert_int_equal(radio_flows_add(pf, 0.0, 1, 1, 1e6, 100e6, 0, &good, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(pf, 0.0, 2, 2, 1e6, 20e6, 0, &bad, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(rr, 0.0, 1, 1, 1e6, 100e6, 0, &good_rr, NULL), CORE_OK);
    assert_int_equal(radio_flows_add(rr, 0.0, 2, 2, 1e6, 20e6, 0, &bad_rr, NULL), CORE_OK);
    double g = radio_flows_rate_bps(pf, good), b = radio_flows_rate_bps(pf, bad);

    /* H_2 = 1.5: 100 * 1.5 / 2 = 75, 20 * 1.5 / 2 = 15 Mbit/s. */
    if (!(g > b) || fabs(g - 75e6) > 1e-6 || fabs(b - 15e6) > 1e-6) {
        print_error("PF rates %.1f and %.1f bit/s, want 75e6 and 15e6\n", g, b);
        fail();
    }
    assert_true(g > radio_flows_rate_bps(rr, good_rr) && b > radio_flows_rate_bps(rr, bad_rr));
    /* The gain stops at the peak rate: 3 flows at 400 Mbit/s, H_3 = 11/6. */
    assert_near(radio_sched_share_bps(RADIO_SCHED_PF, 400e6, 3, 500e6), 500e6 / 3, 1e-6);
    assert_near(radio_sched_share_bps(RADIO_SCHED_PF, 600e6, 3, 500e6), 200e6, 1e-6);
    assert_near(radio_sched_share_bps(RADIO_SCHED_PF, 10e6, 1, 500e6), 10e6, 1e-9);
    radio_flows_destroy(pf);
    radio_flows_destroy(rr);
}

static void test_handles_are_reused_and_the_set_grows(void **state)
{
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
    struct radio_flow_report rep;
    uint32_t h[100], again;

    (void)state;
    for (int i = 0; i < 100; i++)
        assert_int_equal(radio_flows_add(fs, 0.0, (uint64_t)i, 0, 1e3 * (i + 1), 1e6, 0, &h[i],
                                         NULL),
                         CORE_OK);
    assert_int_equal(radio_flows_active(fs), 100);
    assert_near(radio_flows_rate_bps(fs, h[57]), 1e4, 1e-9);
    radio_flows_remove(fs, 0.0, h[10], &rep);
    assert_true(rep.id == 10 && rep.sent_bytes == 0.0);
    assert_int_equal(radio_flows_add(fs, 0.0, 500, 0, 1e3, 1e6, 0, &again, NULL), CORE_OK);
    assert_int_equal(again, h[10]);
    /* Flows complete in size order. */
    double prev = 0.0, t;
    uint32_t k;
    size_t n = 0;

    while (radio_flows_next_completion(fs, &t, &k)) {
        assert_true(t >= prev);
        prev = t;
        radio_flows_remove(fs, t, k, &rep);
        assert_true(rep.sent_bytes == rep.size_bytes);
        n++;
    }
    assert_int_equal(n, 100);
    radio_flows_destroy(fs);
    radio_flows_destroy(NULL);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_out_of_memory_leaves_nothing_behind(void **state)
{
    struct core_err e = {0};
    uint32_t h;

    (void)state;
    for (unsigned long k = 1; k <= 3; k++) {
        core_alloc_fail_after(k);
        assert_null(radio_flows_create(4, RADIO_SCHED_RR, RADIO_DIR_UL, 1e9, &power));
        core_alloc_fail_after(0);
        assert_int_equal(core_alloc_live(), 0);
    }
    for (unsigned long k = 1; k <= 2; k++) {
        struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);

        for (int i = 0; i < 4; i++)
            assert_int_equal(radio_flows_add(fs, 0.0, 0, 0, 1e3, 1e6, 0, &h, NULL), CORE_OK);
        core_alloc_fail_after(k);
        assert_int_equal(radio_flows_add(fs, 0.0, 0, 0, 1e3, 1e6, 0, &h, &e), CORE_E_NOMEM);
        core_alloc_fail_after(0);
        assert_int_equal(radio_flows_active(fs), 4);
        assert_near(radio_flows_rate_bps(fs, 0), 0.25e6, 1e-9);
        assert_int_equal(radio_flows_add(fs, 0.0, 0, 0, 1e3, 1e6, 0, &h, NULL), CORE_OK);
        radio_flows_destroy(fs);
    }
    assert_int_equal(core_alloc_live(), 0);
}

/* Run the flows of tf[] (arrival, size, rate) through the flow model under RR
 * and write each one's completion into flow_end_s[]. */
static void run_flow_model(const struct radio_tti_flow *tf, size_t n, double *flow_end_s)
{
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
    struct radio_flow_report rep;
    size_t next = 0, done = 0;

    while (done < n) {
        double t_done = INFINITY;
        uint32_t h = 0;

        radio_flows_next_completion(fs, &t_done, &h);
        if (next < n && tf[next].t_start_s <= t_done) {
            uint32_t hh;

            assert_int_equal(radio_flows_add(fs, tf[next].t_start_s, next, 0, tf[next].size_bytes,
                                             tf[next].rate_bps, 0.1, &hh, NULL),
                             CORE_OK);
            next++;
            continue;
        }
        radio_flows_remove(fs, t_done, h, &rep);
        flow_end_s[rep.id] = t_done;
        done++;
    }
    radio_flows_destroy(fs);
}

static void test_flow_model_agrees_with_per_tti_round_robin(void **state)
{
    /* 12 uploads with staggered arrivals, different channels and sizes on a
     * 100 MHz, 30 kHz carrier (273 PRBs, 0.5 ms slots). */
    struct core_rng *r = core_rng_create(2024, 0, CORE_RNG_BENCH);
    struct radio_tti_flow tf[12];
    double flow_end_s[12], worst = 0.0;
    struct core_err e = {0};

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(tf); i++) {
        tf[i].t_start_s = 0.5e-3 * (double)core_rng_below(r, 400); /* slot boundaries */
        tf[i].size_bytes = core_rng_uniform_in(r, 200e3, 1e6);
        tf[i].rate_bps = core_rng_uniform_in(r, 50e6, 300e6);
    }
    /* Arrival order for the flow model. */
    for (size_t i = 1; i < ARRAY_LEN(tf); i++)
        for (size_t j = i; j > 0 && tf[j].t_start_s < tf[j - 1].t_start_s; j--) {
            struct radio_tti_flow tmp = tf[j];

            tf[j] = tf[j - 1];
            tf[j - 1] = tmp;
        }
    assert_int_equal(radio_tti_simulate(tf, ARRAY_LEN(tf), 273, 0.5e-3, 10.0, &e), CORE_OK);
    run_flow_model(tf, ARRAY_LEN(tf), flow_end_s);
    for (size_t i = 0; i < ARRAY_LEN(tf); i++) {
        double d_tti = tf[i].t_end_s - tf[i].t_start_s;
        double d_flow = flow_end_s[i] - tf[i].t_start_s;
        double rel = fabs(d_flow - d_tti) / d_tti;

        printf("flow %2zu: start %.4f s, TTI %.5f s, flow model %.5f s, diff %.2f %%\n", i,
               tf[i].t_start_s, d_tti, d_flow, 100.0 * rel);
        worst = fmax(worst, rel);
    }
    printf("worst relative difference of durations: %.3f %%\n", 100.0 * worst);
    if (worst > 0.03) {
        print_error("flow model differs from per-TTI by %.2f %% (> 3 %%)\n", 100.0 * worst);
        fail();
    }
    /* A flow that cannot finish in time is an error. */
    struct radio_tti_flow slow = {0.0, 1e6, 1e3, 0.0};

    assert_int_equal(radio_tti_simulate(&slow, 1, 10, 1e-3, 0.1, &e), CORE_E_INPUT);
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* The Shannon carrier of the uplink tests: 20 MHz at 15 kHz (106 PRBs of
 * 180 kHz), one layer, no overhead, no gap, so rates are M 180 kHz log2(1 + s). */
static void shannon_carrier(struct radio_carrier *c)
{
    assert_int_equal(radio_carrier_init(c, 15e3, 20e6, 1, 0.0, RADIO_CQI_TABLE_64QAM, true, 0.0,
                                        NULL),
                     CORE_OK);
    assert_int_equal(c->n_prb, 106);
}

static void test_ul_below_p_max_gets_exactly_full_band_rate_over_n(void **state)
{
    struct radio_carrier c[2];
    uint32_t h[3], old[3];

    (void)state;
    shannon_carrier(&c[0]);
    assert_int_equal(radio_carrier_init(&c[1], 30e3, 100e6, 1, 0.08, RADIO_CQI_TABLE_256QAM,
                                        false, 0.0, NULL),
                     CORE_OK);
    for (size_t k = 0; k < 2; k++) {
        /* 1 mW per PRB: at most 0.273 W on 273 PRBs, so P_max is 1 W here. */
        struct radio_ul_link l = {&c[k], 1e-3, 1.0, 12.0 / 1e-3, 0.0};
        double full_bps = radio_link_rate_bps(&c[k], 12.0, c[k].n_prb);
        struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
        struct radio_flows *ts = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
        struct radio_flow_report rep;

        for (uint32_t i = 0; i < 3; i++) {
            assert_int_equal(radio_flows_add_ul(fs, 0.0, i, i, 1e5, &l, &h[i], NULL), CORE_OK);
            assert_int_equal(radio_flows_add(ts, 0.0, i, i, 1e5, full_bps, 1e-3 * c[k].n_prb,
                                             &old[i], NULL),
                             CORE_OK);
        }
        for (uint32_t i = 0; i < 3; i++) {
            double got = radio_flows_rate_bps(fs, h[i]);

            if (got != full_bps / 3.0 || got != radio_flows_rate_bps(ts, old[i])) {
                print_error("carrier %zu: %.17g bit/s, want %.17g\n", k, got, full_bps / 3.0);
                fail();
            }
        }
        /* Energy at 1 mW on 273/3 (or 106/3) PRBs, against the full band's. */
        radio_flows_remove(fs, 0.01, h[0], &rep);
        assert_near(rep.ue_energy_j, (1.288 + 1e-3 * c[k].n_prb / 3.0 / 0.3) * 0.01, 1e-12);
        radio_flows_remove(ts, 0.01, old[0], &rep);
        assert_near(rep.ue_energy_j, (1.288 + 1e-3 * c[k].n_prb / 0.3) * 0.01, 1e-12);
        radio_flows_destroy(fs);
        radio_flows_destroy(ts);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_ul_at_p_max_concentrates_its_power_and_gets_more(void **state)
{
    struct radio_carrier c;
    /* P_max 0.2 W, 10 mW per PRB: limited above 20 PRBs. SINR per PRB per W
     * 530, so the full band (106 PRBs, 0.2 / 106 W each) is at 0 dB. */
    struct radio_ul_link l = {&c, 0.01, 0.2, 530.0, 0.0};
    struct radio_flow_report rep;
    uint32_t h[8];

    (void)state;
    shannon_carrier(&c);
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);
    double full_bps = 106 * 180e3 * log2(2.0);

    assert_int_equal(radio_flows_add_ul(fs, 0.0, 0, 0, 1e6, &l, &h[0], NULL), CORE_OK);
    assert_near(radio_flows_rate_bps(fs, h[0]), full_bps, 1e-9 * full_bps);
    /* Two flows: 53 PRBs each at 0.2 / 53 W, SINR 2: 53 180 kHz log2(3),
     * 15.12 Mbit/s, not the time share's 9.54. */
    assert_int_equal(radio_flows_add_ul(fs, 0.0, 1, 1, 1e6, &l, &h[1], NULL), CORE_OK);
    double want_bps = 53 * 180e3 * log2(3.0);
    double got_bps = radio_flows_rate_bps(fs, h[0]);

    if (fabs(got_bps - want_bps) > 1e-9 * want_bps || !(got_bps > full_bps / 2.0)) {
        print_error("2 flows: %.17g bit/s, want %.17g (time share %.17g)\n", got_bps, want_bps,
                    full_bps / 2.0);
        fail();
    }
    /* Eight flows: 13.25 PRBs at 10 mW each (0.1325 W, below P_max), SINR 5.3. */
    for (uint32_t i = 2; i < 8; i++)
        assert_int_equal(radio_flows_add_ul(fs, 0.0, i, i, 1e6, &l, &h[i], NULL), CORE_OK);
    want_bps = 13.25 * 180e3 * log2(6.3);
    assert_near(radio_flows_rate_bps(fs, h[7]), want_bps, 1e-9 * want_bps);
    /* The UE radiates 0.1325 W now: energy over 0.5 s. */
    radio_flows_remove(fs, 0.5, h[7], &rep);
    assert_near(rep.ue_energy_j, (1.288 + 0.1325 / 0.3) * 0.5, 1e-12);
    /* Seven left: 106/7 PRBs need 0.151 W; the channel drops to a tenth of
     * the gain, still not limited: SINR 0.53 on 106/7 PRBs. */
    l.gain_per_w = 53.0;
    radio_flows_set_ul_link(fs, 0.5, h[0], &l);
    want_bps = 106.0 / 7.0 * 180e3 * log2(1.53);
    assert_near(radio_flows_rate_bps(fs, h[0]), want_bps, 1e-9 * want_bps);
    for (uint32_t i = 0; i < 7; i++)
        radio_flows_remove(fs, 0.5, h[i], &rep);
    radio_flows_destroy(fs);
    assert_int_equal(core_alloc_live(), 0);
}

/* Six uplinks below P_max drain on the set's virtual clock; a removal that
 * grows their share to 106 / 5 PRBs puts them at P_max, and from then on
 * they drain at the power-limited rate: the completion and the energy of
 * both stretches, by hand. */
static void test_ul_put_at_p_max_by_a_removal_leaves_the_virtual_clock(void **state)
{
    struct radio_carrier c;
    /* P_max 0.2 W, 10 mW per PRB: limited above 20 PRBs. */
    struct radio_ul_link l = {&c, 0.01, 0.2, 530.0, 0.0};
    struct radio_flow_report rep;
    uint32_t h[6], next;
    double t_s;

    (void)state;
    shannon_carrier(&c);
    struct radio_flows *fs = make(RADIO_SCHED_RR, RADIO_DIR_UL, 4);

    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(radio_flows_add_ul(fs, 0.0, i, i, 1e6, &l, &h[i], NULL), CORE_OK);
    /* 106 / 6 PRBs at 10 mW each (0.177 W), SINR 5.3: rate(N) / 6. */
    double c_bps = 106 * 180e3 * log2(6.3);

    assert_near(radio_flows_rate_bps(fs, h[0]), c_bps / 6.0, 1e-9 * c_bps);
    radio_flows_remove(fs, 0.1, h[5], &rep);
    /* Five left: 106 / 5 PRBs would need 0.212 W; at 0.2 W the SINR per PRB
     * is 530 x 0.2 / 21.2 = 5. */
    double m_prb = 106.0 / 5.0, r5_bps = m_prb * 180e3 * log2(6.0);
    double left_bits = 8e6 - c_bps / 6.0 * 0.1, done_s = 0.1 + left_bits / r5_bps;

    assert_near(radio_flows_rate_bps(fs, h[0]), r5_bps, 1e-9 * r5_bps);
    assert_true(radio_flows_next_completion(fs, &t_s, &next));
    assert_int_equal(next, h[0]);
    if (fabs(t_s - done_s) > 1e-12) {
        print_error("completion at %.17g s, want %.17g s\n", t_s, done_s);
        fail();
    }
    radio_flows_remove(fs, t_s, h[0], &rep);
    assert_near(rep.sent_bytes, 1e6, 1e-6);
    assert_near(rep.ue_energy_j,
                (1.288 + 0.01 * 106.0 / 6.0 / 0.3) * 0.1 + (1.288 + 0.2 / 0.3) * (done_s - 0.1),
                1e-12);
    for (uint32_t i = 1; i < 5; i++)
        radio_flows_remove(fs, t_s, h[i], &rep);
    radio_flows_destroy(fs);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_ul_pf_applies_its_gain_to_the_frequency_share_rate(void **state)
{
    struct radio_carrier c;
    struct radio_ul_link l = {&c, 0.01, 0.2, 530.0, 0.0};
    struct radio_flow_report rep;
    uint32_t h[2];

    (void)state;
    shannon_carrier(&c);
    for (int rayleigh = 0; rayleigh <= 1; rayleigh++) {
        struct radio_flows *fs = make(RADIO_SCHED_PF, RADIO_DIR_UL, 4);

        radio_flows_set_fading(fs, rayleigh);
        for (uint32_t i = 0; i < 2; i++)
            assert_int_equal(radio_flows_add_ul(fs, 0.0, i, i, 1e6, &l, &h[i], NULL), CORE_OK);
        /* SINR 2 on 53 PRBs (0.2 W / 53 x 530). Without fading: equal time
         * shares of r = 106 180 kHz log2(3); with Rayleigh fading, selection
         * diversity over two flows, E[rate(2 X_2)] / 2. */
        double want_bps = rayleigh ? radio_pf_rate_bps(&c, 2.0, 2) / 2.0
                                   : 106 * 180e3 * log2(3.0) / 2.0;

        assert_near(radio_flows_rate_bps(fs, h[1]), want_bps, 1e-9 * want_bps);
        radio_flows_remove(fs, 0.0, h[0], &rep);
        radio_flows_remove(fs, 0.0, h[1], &rep);
        radio_flows_destroy(fs);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_pf_rate_is_selection_diversity_over_rayleigh(void **state)
{
    /* Shannon at low SINR is linear: E[B log2(1 + s X_n)] -> B s H_n / ln 2
     * as s -> 0. CQI mode: n = 1 at a SINR far above CQI 15's threshold is
     * the peak rate times P(X >= thr / s) = e^(-thr / s). */
    struct radio_carrier c;
    double s = 1e-4, b_hz, peak_bps, thr, got, want;

    (void)state;
    shannon_carrier(&c);
    b_hz = 106 * 180e3;
    for (size_t n = 1; n <= 8; n *= 2) {
        double h_n = 0.0;

        for (size_t k = 1; k <= n; k++)
            h_n += 1.0 / (double)k;
        got = radio_pf_rate_bps(&c, s, n);
        want = b_hz * s * h_n / log(2.0);
        if (fabs(got - want) > 2e-3 * want) {
            print_error("n %zu: %.9g bit/s, want %.9g (linear regime)\n", n, got, want);
            fail();
        }
    }
    assert_int_equal(radio_carrier_init(&c, 30e3, 100e6, 1, 0.14, RADIO_CQI_TABLE_64QAM, false,
                                        0.0, NULL),
                     CORE_OK);
    peak_bps = radio_nr_rate_bps(&c, RADIO_CQI_MAX, c.n_prb);
    thr = pow(10.0, radio_cqi_entry(c.table, RADIO_CQI_MAX)->sinr_min_db / 10.0);
    got = radio_pf_rate_bps(&c, 1e6 * thr, 1);
    assert_near(got, peak_bps * exp(-1e-6), 1e-6 * peak_bps);
    /* More flows, more diversity: the mean served rate grows with n. */
    assert_true(radio_pf_rate_bps(&c, 3.0, 4) > radio_pf_rate_bps(&c, 3.0, 2));
    assert_true(radio_pf_rate_bps(&c, 3.0, 2) > radio_pf_rate_bps(&c, 3.0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_flow_ends_exactly_at_size_over_rate),
        cmocka_unit_test(test_two_identical_flows_get_half_each_and_end_together),
        cmocka_unit_test(test_late_arrival_shares_then_leaves_the_band_to_the_first),
        cmocka_unit_test(test_channel_change_moves_the_completion),
        cmocka_unit_test(test_channel_change_of_one_flow_leaves_the_others_and_tracks_the_earliest),
        cmocka_unit_test(test_proportional_fair_gives_the_better_channel_more),
        cmocka_unit_test(test_handles_are_reused_and_the_set_grows),
        cmocka_unit_test(test_out_of_memory_leaves_nothing_behind),
        cmocka_unit_test(test_flow_model_agrees_with_per_tti_round_robin),
        cmocka_unit_test(test_ul_below_p_max_gets_exactly_full_band_rate_over_n),
        cmocka_unit_test(test_ul_at_p_max_concentrates_its_power_and_gets_more),
        cmocka_unit_test(test_ul_put_at_p_max_by_a_removal_leaves_the_virtual_clock),
        cmocka_unit_test(test_ul_pf_applies_its_gain_to_the_frequency_share_rate),
        cmocka_unit_test(test_pf_rate_is_selection_diversity_over_rayleigh),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
