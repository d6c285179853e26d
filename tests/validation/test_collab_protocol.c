/*
 * test_collab_protocol.c — the collaborative world against hand computation
 * and queueing theory (issue 5's validation).
 *
 * 1. One UE, no contention, a fixed SINR (one cell, no shadowing, no
 *    fading, a static UE): for every split point of a 5-layer chain the
 *    recorded latency is, to 1e-9 s, the request and reply times + the UE
 *    layers + the wait for a2 if the UE part is shorter + the upload of the
 *    crossing tensor + the edge layers + the result, each message taking
 *    bytes x 8 / rate at the rate the RRM reports for a lone flow; the UE
 *    energy is the UE layers' energy + the radio's power x each message's
 *    time (with an RRC tail, + tail power over the gaps between its
 *    messages and the tail after its last one); the edge energy the edge
 *    layers'. The components add up.
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

/* One lone-UE case: the radio's configuration beyond the defaults. */
struct lone_case {
    const char *name;     /* for the printout */
    double tail_s;        /* RRC tail, s (0: none) */
    double p_tail_w;      /* its power, W */
};

/* Every split point of the chain, one UE alone in the cell, against the hand computation of
 * the header's case 1. With an RRC tail (c->tail_s > 0) every message that leaves the UE's
 * radio idle starts a tail charged to it, and the next message inside that tail pays
 * on-power less tail-power: so an inference pays tail power over its idle gaps and, after
 * its last message (the result, or a local plan's reply), the whole tail. Requests come
 * every 5 s and the tail is shorter, so no inference starts inside another's tail. */
static void lone_ue_matches_hand_computation(const struct lone_case *c)
{
    struct compute_problem p = {0};
    struct radio_world_config rcfg;
    struct tu_world t;
    struct tu_decider d;
    struct radio_ue_group_config g;
    double x[1], y[1], worst_s = 0.0, worst_j = 0.0;

    chain_problem(&p, edge_lat_s);
    assert_int_equal(radio_world_config_defaults(&rcfg, NULL), CORE_OK);
    rcfg.power.tail_s = c->tail_s;
    rcfg.power.p_tail_w = c->p_tail_w;
    assert_true(c->tail_s < 4.0);
    for (uint32_t k = 0; k <= N_LAYERS; k++) {
        struct core_engine *eng = core_engine_create(0);
        struct radio_world *radio = fixed_radio_with(eng, 1, &g, x, y, &rcfg);
        struct tu_records rec;
        struct proto_collab_world *w;
        struct radio_rrm_reply rr;
        double ul_bps, dl_bps, p_ul_w, p_dl_w, t_msg, ue_s = 0, edge_s = 0, ue_j = 0, edge_j = 0;
        double req_s, reply_s, a2_s, up_s, res_s, want_s, want_j, sig_s, idle_s;

        assert_non_null(radio);
        assert_int_equal(radio_world_rrm(radio, 0, &rr, NULL), CORE_OK);
        ul_bps = rr.ul_rate_bps;
        dl_bps = rr.dl_rate_bps;
        protocol_config(&t, &p, 25.0, PROTO_ARRIVAL_PERIODIC, 0.2, 1);
        t.c.ue_power = rcfg.power;
        p_ul_w = t.c.ue_power.p_on_w +
                 pow(10.0, (rr.ul_tx_power_dbm - 30.0) / 10.0) / t.c.ue_power.pa_efficiency;
        p_dl_w = t.c.ue_power.p_on_w + t.c.ue_power.p_rx_w;
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
        t_msg = 8.0 / ul_bps;
        req_s = (64.0 + 16.0 * N_LAYERS) * t_msg;
        reply_s = (64.0 + 256.0) * 8.0 / dl_bps;
        a2_s = k < N_LAYERS ? (64.0 + 8.0 * (N_LAYERS - k)) * t_msg : 0.0;
        up_s = k < N_LAYERS ? (64.0 + (k == 0 ? input_bytes : out_bytes[k - 1])) * t_msg : 0.0;
        res_s = k < N_LAYERS ? (64.0 + out_bytes[N_LAYERS - 1]) * 8.0 / dl_bps : 0.0;
        sig_s = req_s + reply_s + fmax(0.0, a2_s - ue_s);
        want_s = sig_s + ue_s + up_s + edge_s + res_s;
        /* The messages never overlap: each pays the base power alone. With a tail, the
         * UE stays connected at tail power whenever its radio is idle after the request
         * (while it computes with a2 already through, while the edge computes) and for the
         * tail after the inference's last message. */
        idle_s = k < N_LAYERS ? fmax(0.0, ue_s - a2_s) + edge_s : 0.0;
        want_j = ue_j + (req_s + a2_s + up_s) * p_ul_w + (reply_s + res_s) * p_dl_w;
        if (c->tail_s > 0.0)
            want_j += c->p_tail_w * (idle_s + c->tail_s);
        assert_true(rec.n_inferences >= 4);
        for (size_t r = 0; r < rec.n_inferences; r++) {
            const struct proto_outcome *row = &rec.inferences[r].o;
            double sum = row->ue_compute_s + row->uplink_s + row->edge_queue_s +
                         row->edge_compute_s + row->downlink_s + row->signaling_s;

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
            worst_s = fmax(worst_s, fabs(row->latency_s - want_s));
            worst_j = fmax(worst_j, fabs(row->ue_energy_j - want_j));
        }
        printf("%s, split %u: %zu inferences, latency %.9f s (hand %.9f s), UE energy %.9f J "
               "(hand %.9f J)\n",
               c->name, k, rec.n_inferences, rec.inferences[0].o.latency_s, want_s,
               rec.inferences[0].o.ue_energy_j, want_j);
        proto_collab_world_destroy(w);
        tu_records_fini(&rec);
        radio_world_destroy(radio);
        core_engine_destroy(eng);
    }
    printf("%s: largest error over every split: latency %.3g s, UE energy %.3g J\n", c->name,
           worst_s, worst_j);
    compute_problem_fini(&p);
}

static void test_collab_lone_ue_latency_and_energy_match_hand_computation(void **state)
{
    static const struct lone_case c = {"no tail", 0.0, 1.06};

    (void)state;
    lone_ue_matches_hand_computation(&c);
}

static void test_collab_lone_ue_pays_the_rrc_tail_of_each_inference(void **state)
{
    static const struct lone_case c = {"1.5 s tail at 1.06 W", 1.5, 1.06};

    (void)state;
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
    struct proto_sink sink = {md1_outcome, NULL, &sum};
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
        TEST(test_collab_lone_ue_latency_and_energy_match_hand_computation),
        TEST(test_collab_lone_ue_pays_the_rrc_tail_of_each_inference),
        TEST(test_collab_edge_queue_matches_md1_at_half_load),
        TEST(test_collab_edge_queue_matches_md1_at_0_8_load),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
