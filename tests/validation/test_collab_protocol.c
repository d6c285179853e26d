/*
 * test_collab_protocol.c — the collaborative world against hand computation
 * and queueing theory (issue 5's validation).
 *
 * 1. One UE, no contention, a fixed SINR (one cell, no shadowing, no
 *    fading, a static UE): for every split point of a 5-layer chain the
 *    recorded latency is, to 1e-9 s, the request and reply times + the UE
 *    layers + the wait for a2 if the UE part is shorter + the upload of the
 *    crossing tensor + the edge layers + the result, each message taking
 *    bytes x 8 / rate at the rate the RRM reports for a lone flow, plus its
 *    NR access wait (the next SR opportunity, the grant, k2 slots; or the
 *    next configured-grant occasion; or the downlink's next slot and k0),
 *    its HARQ retransmissions (none, or a known number: every transmission
 *    failing) and the backhaul (latency + bytes / bandwidth), computed
 *    here slot by slot from the request times; the UE energy is the UE
 *    layers' energy + each message's own draw over its air time + the base
 *    power over the UE's activity for it (with an RRC tail, + tail power
 *    over the gaps between its messages and the tail after its last one);
 *    the edge energy the edge layers'. The components add up, and the
 *    network's quote of the delays is the access's mean. With every term
 *    off, the hand computation is the one before NR access was modelled.
 *    On a fixed-rate link each message takes its bytes over the link's
 *    rate plus its latency, nothing else.
 * 2. Edge-only inference with Poisson requests at rho = 0.5 and 0.8 of one
 *    edge unit with a deterministic service D: the mean edge queueing delay
 *    matches M/D/1, Wq = rho D / (2 (1 - rho)), within 3 %. (The requests
 *    reach the edge after their radio messages, a small random delay that
 *    leaves the arrivals close to Poisson.)
 *
 * The decision maker is a fixed plan (the policies have their own tests):
 * proto is checked on its own.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "collabutil.h"

/* One lone-UE case: the radio's and the backhaul's configuration. */
struct lone_case {
    const char *name;                  /* for the printout */
    int uplink;                        /* enum radio_ul_access */
    int downlink;                      /* enum radio_dl_access */
    double bler;                       /* 0, or 1: every transmission fails */
    long max_retx;                     /* retransmissions when bler is 1 */
    double backhaul_latency_s;         /* s */
    double backhaul_rate_bps;          /* bit/s (0: unlimited) */
    double tail_s;                     /* RRC tail, s (0: none) */
    double p_tail_w;                   /* its power, W */
    bool fixed;                        /* a fixed-rate link instead of NR (below) */
};

/* The fixed-rate link of the fixed cases: the example, 8 Mbit/s up, 20 Mbit/s down,
 * 10 ms one way (the backhaul and NR terms of the case are then ignored). */
static const struct radio_link_config fixed_link = {RADIO_LINK_FIXED, 8e6, 20e6, 10e-3};

/* The carrier is the default 30 kHz one: slots of T = 0.5 ms, and the access knobs at their
 * defaults otherwise: SR every 10 slots, configured grant every 2, k2 = j = 1 (TS 38.214
 * table 6.1.2.1.1-4 at mu 1), k0 = 0, k1 = ceil(N1 / 14) = 1 (N1 = 10 symbols at mu 1). UE
 * 0's SR and grant offsets are 0. */
#define HAND_T_S 0.5e-3
#define HAND_SR 10.0
#define HAND_CG 2.0
#define HAND_K2 1.0
#define HAND_K0 0.0
#define HAND_K1 1.0

/* One message as the hand computes it: when it is delivered, the UE's radio activity it
 * causes (the ledger's interval: an uplink from its send, a downlink from its air start,
 * each to its last retransmission) and its air time. */
struct hand_msg {
    double deliver_s;  /* s */
    double active_s[2]; /* s */
    double air_s;      /* s */
};

static double hand_retx(const struct lone_case *c)
{
    return c->bler >= 1.0 ? (double)c->max_retx : 0.0;
}

static double hand_backhaul_s(const struct lone_case *c, double bytes)
{
    return c->backhaul_latency_s + (c->backhaul_rate_bps > 0 ? bytes * 8 / c->backhaul_rate_bps
                                                             : 0.0);
}

/* The first slot boundary at or after t, as a slot number. */
static double hand_slot(double t_s)
{
    return ceil(t_s / HAND_T_S - 1e-6);
}

/* An uplink message of bytes sent at t_s at rate_bps. */
static struct hand_msg hand_ul(const struct lone_case *c, double t_s, double bytes,
                               double rate_bps)
{
    struct hand_msg m;
    double start_s = t_s, n = hand_slot(t_s);

    if (c->uplink == RADIO_UL_DYNAMIC) /* SR slot s, grant in s + 1, PUSCH in s + 1 + k2 */
        start_s = (ceil(n / HAND_SR) * HAND_SR + 1.0 + HAND_K2) * HAND_T_S;
    else if (c->uplink == RADIO_UL_CONFIGURED)
        start_s = ceil(n / HAND_CG) * HAND_CG * HAND_T_S;
    m.air_s = bytes * 8 / rate_bps;
    m.active_s[0] = t_s;
    if (c->fixed) { /* the link's bytes, then its latency */
        m.active_s[1] = t_s + m.air_s;
        m.deliver_s = m.active_s[1] + fixed_link.latency_s;
        return m;
    }
    m.active_s[1] = start_s + m.air_s + hand_retx(c) * (1.0 + HAND_K2) * HAND_T_S;
    m.deliver_s = m.active_s[1] + hand_backhaul_s(c, bytes);
    return m;
}

/* A downlink message of bytes sent by the network device at t_s. */
static struct hand_msg hand_dl(const struct lone_case *c, double t_s, double bytes,
                               double rate_bps)
{
    struct hand_msg m;
    double ready_s = t_s + hand_backhaul_s(c, bytes);

    m.air_s = bytes * 8 / rate_bps;
    if (c->fixed) {
        m.active_s[0] = t_s;
        m.active_s[1] = t_s + m.air_s;
        m.deliver_s = m.active_s[1] + fixed_link.latency_s;
        return m;
    }
    m.active_s[0] =
        c->downlink == RADIO_DL_SCHEDULED ? (hand_slot(ready_s) + HAND_K0) * HAND_T_S : ready_s;
    m.active_s[1] =
        m.active_s[0] + m.air_s + hand_retx(c) * (HAND_K1 + 1.0 + HAND_K0) * HAND_T_S;
    m.deliver_s = m.active_s[1];
    return m;
}

/* What the network quotes: the mean access wait and retransmissions plus the backhaul's
 * latency (radio.h's means: a ready time uniform over the slots). */
static void hand_quote(const struct lone_case *c, double *ul_s, double *dl_s)
{
    double ul_slots = c->uplink == RADIO_UL_DYNAMIC      ? HAND_SR / 2 + 1 + HAND_K2
                      : c->uplink == RADIO_UL_CONFIGURED ? HAND_CG / 2
                                                         : 0.0;
    double dl_slots = c->downlink == RADIO_DL_SCHEDULED ? 0.5 + HAND_K0 : 0.0;

    if (c->fixed) {
        *ul_s = *dl_s = fixed_link.latency_s;
        return;
    }
    *ul_s = (ul_slots + hand_retx(c) * (1 + HAND_K2)) * HAND_T_S + c->backhaul_latency_s;
    *dl_s = (dl_slots + hand_retx(c) * (HAND_K1 + 1 + HAND_K0)) * HAND_T_S +
            c->backhaul_latency_s;
}

/* Every split point of the chain, one UE alone in the cell, against the hand computation of
 * the header's case 1, with the NR access, HARQ and backhaul terms of c; its requests come
 * every 5 s, so no two inferences meet. The UE's energy: each message's own draw over its
 * air time and the base power over the UE's activity for it (the messages of one inference
 * never overlap); with an RRC tail every message that leaves the UE's radio idle starts a
 * tail charged to it, and the next one inside that tail pays on-power less tail-power: so an
 * inference pays tail power over the idle gaps between its messages and, after its last one
 * (the result, or a local plan's reply), the whole tail. */
static void lone_ue_matches_hand_computation(const struct lone_case *c)
{
    struct compute_problem p = {0};
    struct radio_world_config rcfg;
    struct tu_world t;
    struct tu_decider d;
    struct radio_ue_group_config g;
    double x[1], y[1], worst_s = 0.0, worst_j = 0.0, quote_ul_s, quote_dl_s;

    chain_problem(&p, edge_lat_s);
    assert_int_equal(radio_world_config_defaults(&rcfg, NULL), CORE_OK);
    rcfg.access.uplink = c->uplink;
    rcfg.access.downlink = c->downlink;
    rcfg.access.bler = c->bler;
    rcfg.access.max_retx = c->max_retx;
    rcfg.power.tail_s = c->tail_s;
    rcfg.power.p_tail_w = c->p_tail_w;
    assert_true(c->tail_s < 4.0 && rcfg.carrier.scs_hz == 30e3);
    hand_quote(c, &quote_ul_s, &quote_dl_s);
    for (uint32_t k = 0; k <= N_LAYERS; k++) {
        struct core_engine *eng = core_engine_create(0);
        struct radio_world *radio =
            fixed_radio_with(eng, 1, &g, x, y, &rcfg, c->fixed ? &fixed_link : NULL);
        struct tu_records rec;
        struct proto_collab_world *w;
        struct radio_rrm_reply rr;
        double ul_bps, dl_bps, ul_extra_w, dl_extra_w, ue_s = 0, edge_s = 0, ue_j = 0;
        double edge_j = 0, up_bytes = 0;

        assert_non_null(radio);
        assert_int_equal(radio_world_rrm(radio, 0, &rr, NULL), CORE_OK);
        ul_bps = rr.ul_rate_bps;
        dl_bps = rr.dl_rate_bps;
        if (c->fixed) { /* the link's own rates, its UE's power at P_max */
            assert_true(rr.fixed_link && ul_bps == fixed_link.ul_rate_bps &&
                        dl_bps == fixed_link.dl_rate_bps);
            assert_true(rr.ul_tx_power_dbm == rcfg.pc.p_max_dbm);
        }
        protocol_config(&t, &p, 25.0, PROTO_ARRIVAL_PERIODIC, 0.2, 1);
        t.c.ue_power = rcfg.power;
        t.c.backhaul.latency_s = c->backhaul_latency_s;
        t.c.backhaul.rate_bps = c->backhaul_rate_bps;
        ul_extra_w = pow(10.0, (rr.ul_tx_power_dbm - 30.0) / 10.0) / rcfg.power.pa_efficiency;
        dl_extra_w = rcfg.power.p_rx_w;
        tu_records_init(&rec, false);
        w = tu_world_create(&t, eng, radio, &d, fixed_split, &k, &rec, NULL);
        assert_non_null(w);
        run_to(eng, 25.0);

        for (uint32_t i = 0; i < N_LAYERS; i++) {
            if (i < k) {
                ue_s += ue_lat_s[i];
                ue_j += ue_lat_s[i] * ue_power_w;
            } else {
                edge_s += edge_lat_s[i];
                edge_j += edge_lat_s[i] * edge_power_w;
            }
        }
        if (k < N_LAYERS)
            up_bytes = 64.0 + (k == 0 ? input_bytes : out_bytes[k - 1]);
        assert_true(rec.n_inferences >= 4);
        for (size_t r = 0; r < rec.n_inferences; r++) {
            const struct proto_outcome *row = &rec.inferences[r].o;
            double t0 = row->t_request_s, sum, want_s, up_s = 0, res_s = 0, sig_s, want_j;
            struct hand_msg m[5];
            size_t n = 0;

            m[n++] = hand_ul(c, t0, 64.0 + 16.0 * N_LAYERS, ul_bps);       /* request */
            m[n++] = hand_dl(c, m[0].deliver_s, 64.0 + 256.0, dl_bps);      /* reply */
            if (k < N_LAYERS) {
                double t_d = m[1].deliver_s, t_up, t_edge_done;

                m[n++] = hand_ul(c, t_d, 64.0 + 8.0 * (N_LAYERS - k), ul_bps); /* a2 */
                t_up = fmax(m[2].deliver_s, t_d + ue_s); /* a2 through and the UE part done */
                m[n++] = hand_ul(c, t_up, up_bytes, ul_bps);                 /* intermediate */
                t_edge_done = m[3].deliver_s + edge_s;
                m[n++] = hand_dl(c, t_edge_done, 64.0 + out_bytes[N_LAYERS - 1], dl_bps);
                up_s = m[3].deliver_s - t_up;
                res_s = m[4].deliver_s - t_edge_done;
                want_s = m[4].deliver_s - t0;
            } else {
                want_s = m[1].deliver_s + ue_s - t0;
            }
            sig_s = want_s - ue_s - up_s - edge_s - res_s;
            want_j = ue_j;
            for (size_t i = 0; i < n; i++) {
                bool up = i == 0 || i == 2 || i == 3;

                want_j += rcfg.power.p_on_w * (m[i].active_s[1] - m[i].active_s[0]) +
                          (up ? ul_extra_w : dl_extra_w) * m[i].air_s;
                if (c->tail_s > 0 && i > 0)
                    want_j += c->p_tail_w * (m[i].active_s[0] - m[i - 1].active_s[1]);
            }
            if (c->tail_s > 0)
                want_j += c->p_tail_w * c->tail_s;
            sum = row->ue_compute_s + row->uplink_s + row->edge_queue_s + row->edge_compute_s +
                  row->downlink_s + row->signaling_s;
            assert_int_equal(row->split, (int)k);
            assert_false(row->declined);
            assert_false(row->overridden);
            assert_near(row->latency_s, want_s, 1e-9);
            assert_near(row->ue_compute_s, ue_s, 1e-9);
            assert_near(row->uplink_s, up_s, 1e-9);
            assert_near(row->edge_queue_s, 0.0, 1e-9);
            assert_near(row->edge_compute_s, edge_s, 1e-9);
            assert_near(row->downlink_s, res_s, 1e-9);
            assert_near(row->signaling_s, sig_s, 1e-9);
            assert_near(sum, row->latency_s, 1e-12);
            assert_near(row->ue_energy_j, want_j, 1e-9);
            assert_near(row->edge_energy_j, edge_j, 1e-12);
            assert_near(row->state.ul_delay_s, quote_ul_s, 1e-12);
            assert_near(row->state.dl_delay_s, quote_dl_s, 1e-12);
            worst_s = fmax(worst_s, fabs(row->latency_s - want_s));
            worst_j = fmax(worst_j, fabs(row->ue_energy_j - want_j));
            if (r == 0)
                printf("%s, split %u: %zu inferences, latency %.9f s (hand %.9f s), UE energy "
                       "%.9f J (hand %.9f J)\n",
                       c->name, k, rec.n_inferences, row->latency_s, want_s, row->ue_energy_j,
                       want_j);
        }
        proto_collab_world_destroy(w);
        tu_records_fini(&rec);
        radio_world_destroy(radio);
        core_engine_destroy(eng);
    }
    printf("%s: largest error over every split: latency %.3g s, UE energy %.3g J\n", c->name,
           worst_s, worst_j);
    compute_problem_fini(&p);
}

static void test_collab_lone_ue_without_access_or_backhaul_matches_hand_computation(void **s)
{
    /* Every term off: a message takes its bytes over the rate, as before NR access. */
    static const struct lone_case c = {"no access", RADIO_UL_NONE, RADIO_DL_NONE, 0.0, 4,
                                       0.0, 0.0, 0.0, 1.06, false};

    (void)s;
    lone_ue_matches_hand_computation(&c);
}

static void test_collab_lone_ue_with_nr_access_and_backhaul_matches_hand_computation(void **s)
{
    /* The defaults (dynamic grant, scheduled downlink, 1 ms and 10 Gbit/s backhaul) with no
     * retransmission. */
    static const struct lone_case c = {"access, bler 0", RADIO_UL_DYNAMIC, RADIO_DL_SCHEDULED,
                                       0.0, 4, 1e-3, 10e9, 0.0, 1.06,
                                       false};

    (void)s;
    lone_ue_matches_hand_computation(&c);
}

static void test_collab_lone_ue_with_two_harq_retransmissions_matches_hand_computation(void **s)
{
    /* Every transmission fails: each transfer is retransmitted max-retx = 2 times. */
    static const struct lone_case c = {"access, 2 retransmissions", RADIO_UL_DYNAMIC,
                                       RADIO_DL_SCHEDULED, 1.0, 2, 1e-3, 10e9, 0.0, 1.06, false};

    (void)s;
    lone_ue_matches_hand_computation(&c);
}

static void test_collab_lone_ue_with_a_configured_grant_matches_hand_computation(void **s)
{
    static const struct lone_case c = {"configured grant", RADIO_UL_CONFIGURED,
                                       RADIO_DL_SCHEDULED, 0.0, 4, 2e-3, 1.25e9, 0.0, 1.06, false};

    (void)s;
    lone_ue_matches_hand_computation(&c);
}

static void test_collab_lone_ue_on_a_fixed_link_matches_hand_computation(void **s)
{
    /* 8 Mbit/s up, 20 Mbit/s down, 10 ms one way: each message takes its bytes over the
     * link's rate and the latency, with no NR access, HARQ or backhaul (the case's NR and
     * backhaul terms are on, and must not apply). */
    static const struct lone_case c = {"fixed link", RADIO_UL_DYNAMIC, RADIO_DL_SCHEDULED,
                                       1.0, 2, 1e-3, 10e9, 0.0, 1.06, true};

    (void)s;
    lone_ue_matches_hand_computation(&c);
}

static void test_collab_lone_ue_pays_the_rrc_tail_of_each_inference(void **s)
{
    static const struct lone_case c = {"access, 1.5 s tail at 1.06 W", RADIO_UL_DYNAMIC,
                                       RADIO_DL_SCHEDULED, 0.0, 4, 1e-3, 10e9, 1.5, 1.06, false};

    (void)s;
    lone_ue_matches_hand_computation(&c);
}

/* Sums the edge queueing delays of the outcomes as they come. */
struct md1_sum {
    double sum_q;   /* s */
    uint64_t n;     /* outcomes */
    double worst_compute_err_s; /* largest |edge_compute_s - D| */
    double d_s;     /* D */
};

static void md1_outcome(void *ctx, const struct proto_outcome *o)
{
    struct md1_sum *m = ctx;

    m->sum_q += o->edge_queue_s;
    m->n++;
    m->worst_compute_err_s = fmax(m->worst_compute_err_s, fabs(o->edge_compute_s - m->d_s));
}

/* Edge-only at load rho: every inference's edge part is one job of D s. */
static void edge_queue_matches_md1(double rho)
{
    enum { N_UES = 20 };
    const double d_s = 10e-3, lambda = rho / d_s, duration_s = 400000.0 / lambda;
    double edge_s[N_LAYERS], x[N_UES], y[N_UES], want, mean;
    struct compute_problem p = {0};
    struct tu_world t;
    struct tu_decider d;
    struct radio_ue_group_config g;
    struct core_engine *eng = core_engine_create(0);
    struct radio_world *radio = fixed_radio(eng, N_UES, &g, x, y);
    struct md1_sum sum = {.d_s = d_s};
    struct proto_sink sink = {.outcome = md1_outcome, .ctx = &sum};
    struct proto_collab_world *w;
    uint32_t k = 0;

    for (size_t i = 0; i < N_LAYERS; i++)
        edge_s[i] = d_s / N_LAYERS;
    chain_problem(&p, edge_s);
    p.input_bytes = 2e3; /* a small input: the radio delay stays small */
    protocol_config(&t, &p, duration_s, PROTO_ARRIVAL_POISSON, lambda / N_UES, N_UES);
    t.c.sim.warmup_s = 100.0;
    assert_non_null(radio);
    w = proto_collab_world_create(&t.c, eng, radio, tu_decider(&d, fixed_split, &k), NULL, &sink,
                                  NULL);
    assert_non_null(w);
    run_to(eng, duration_s);
    want = rho * d_s / (2.0 * (1.0 - rho));
    mean = sum.sum_q / (double)sum.n;
    printf("rho %.1f: %llu inferences, mean edge queueing delay %.6g s, M/D/1 %.6g s, "
           "error %+.2f %%\n",
           rho, (unsigned long long)sum.n, mean, want, 100.0 * (mean - want) / want);
    assert_true(sum.n > 300000);
    assert_true(sum.worst_compute_err_s < 1e-9); /* t ~ 1e5 s: ulp 1e-11 */
    assert_near(mean, want, 0.03 * want);
    proto_collab_world_destroy(w);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
    compute_problem_fini(&p);
}

static void test_collab_edge_queue_matches_md1_at_half_load(void **state)
{
    (void)state;
    edge_queue_matches_md1(0.5);
}

static void test_collab_edge_queue_matches_md1_at_0_8_load(void **state)
{
    (void)state;
    edge_queue_matches_md1(0.8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_collab_lone_ue_without_access_or_backhaul_matches_hand_computation),
        TEST(test_collab_lone_ue_with_nr_access_and_backhaul_matches_hand_computation),
        TEST(test_collab_lone_ue_with_two_harq_retransmissions_matches_hand_computation),
        TEST(test_collab_lone_ue_with_a_configured_grant_matches_hand_computation),
        TEST(test_collab_lone_ue_on_a_fixed_link_matches_hand_computation),
        TEST(test_collab_lone_ue_pays_the_rrc_tail_of_each_inference),
        TEST(test_collab_edge_queue_matches_md1_at_half_load),
        TEST(test_collab_edge_queue_matches_md1_at_0_8_load),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
