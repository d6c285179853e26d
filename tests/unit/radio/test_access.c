/*
 * test_access.c — NR medium access in closed form (access.c): the defaults
 * of TS 38.214 per numerology, the uplink's SR-then-grant and configured-
 * grant starts and the downlink's, slot by slot on worked examples (at a
 * boundary, inside a slot, each UE's offset), HARQ retransmissions (none,
 * all, and geometric with its cap, from a fixed seed), the quoted means
 * against the waits averaged over many ready times, and the checks.
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

/* The knobs' defaults, for numerology mu. */
static void defaults(struct radio_access *a, uint32_t mu)
{
    struct radio_access_config c;

    assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
    assert_int_equal(radio_access_init(a, &c, mu, NULL), CORE_OK);
}

static void test_access_defaults_follow_ts_38_214_per_numerology(void **state)
{
    static const uint32_t k2[] = {1, 1, 2}, k1[] = {1, 1, 2};
    struct radio_access a;

    (void)state;
    for (uint32_t mu = 0; mu <= 2; mu++) {
        assert_int_equal(radio_access_default_k2(mu), k2[mu]);
        assert_int_equal(radio_access_default_k1(mu), k1[mu]);
        defaults(&a, mu);
        assert_true(a.slot_s == 1e-3 / (double)(1u << mu));
        assert_int_equal(a.k2, k2[mu]);
        assert_int_equal(a.k1, k1[mu]);
        assert_int_equal(a.k0, 0);
        assert_int_equal(a.sr_period, 10);
        assert_int_equal(a.max_retx, 4);
        assert_true(a.bler == 0.1);
        assert_near(a.ul_rtt_s, (1.0 + k2[mu]) * a.slot_s, 1e-18);
        assert_near(a.dl_rtt_s, (k1[mu] + 1.0) * a.slot_s, 1e-18);
    }
}

static void test_access_dynamic_uplink_waits_for_the_sr_then_the_grant(void **state)
{
    /* 30 kHz: slots of 0.5 ms, SR every 10 slots, k2 = 1. UE 0's SR slots are 0, 10,
     * 20, ...; UE 3's 3, 13, ... The PUSCH starts at SR slot + 1 + k2. */
    struct radio_access a;

    (void)state;
    defaults(&a, 1);
    /* Ready at 0: SR in slot 0, PUSCH at slot 2. */
    assert_near(radio_access_ul_start_s(&a, 0, 0.0), 2 * 0.5e-3, 1e-15);
    /* Ready inside slot 0: the next boundary is slot 1, the next SR slot 10. */
    assert_near(radio_access_ul_start_s(&a, 0, 0.1e-3), 12 * 0.5e-3, 1e-15);
    /* Ready exactly at slot 10 (within rounding): SR at once. */
    assert_near(radio_access_ul_start_s(&a, 0, 10 * 0.5e-3 * (1 + 1e-12)), 12 * 0.5e-3, 1e-15);
    /* UE 3, ready at 1 ms (slot 2): its SR slot 3, PUSCH slot 5. */
    assert_near(radio_access_ul_start_s(&a, 3, 1e-3), 5 * 0.5e-3, 1e-15);
    /* UE 13 has the same offset as UE 3. */
    assert_near(radio_access_ul_start_s(&a, 13, 1e-3), 5 * 0.5e-3, 1e-15);
    /* Late in a long run: slot 200000 + 7 -> SR slot 200010, PUSCH 200012. */
    assert_near(radio_access_ul_start_s(&a, 0, 100.0035), 200012 * 0.5e-3, 1e-9);
}

static void test_access_configured_grant_and_downlink_start_on_their_slots(void **state)
{
    struct radio_access_config c;
    struct radio_access a;

    (void)state;
    assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
    c.uplink = RADIO_UL_CONFIGURED;
    c.cg_period_slots = 4;
    c.k0_slots = 2;
    assert_int_equal(radio_access_init(&a, &c, 0, NULL), CORE_OK); /* 1 ms slots */
    /* UE 1's occasions are slots 1, 5, 9, ...: ready at 1.5 ms (next boundary 2) -> 5. */
    assert_near(radio_access_ul_start_s(&a, 1, 1.5e-3), 5e-3, 1e-15);
    assert_near(radio_access_ul_start_s(&a, 1, 1e-3), 1e-3, 1e-15);
    /* Downlink: next boundary, then k0 = 2 slots. */
    assert_near(radio_access_dl_start_s(&a, 1.5e-3), 4e-3, 1e-15);
    assert_near(radio_access_dl_start_s(&a, 3e-3), 5e-3, 1e-15);
    /* none: at once. */
    c.uplink = RADIO_UL_NONE;
    c.downlink = RADIO_DL_NONE;
    assert_int_equal(radio_access_init(&a, &c, 0, NULL), CORE_OK);
    assert_true(radio_access_ul_start_s(&a, 1, 1.2345e-3) == 1.2345e-3);
    assert_true(radio_access_dl_start_s(&a, 1.2345e-3) == 1.2345e-3);
}

static void test_access_retransmissions_are_geometric_and_capped(void **state)
{
    struct radio_access_config c;
    struct radio_access a;
    struct core_rng *r = core_rng_create(5, core_rng_entity(CORE_RNG_ENTITY_UE, 0, 0),
                                         CORE_RNG_HARQ);
    enum { N = 200000 };
    double count[5] = {0}, mean = 0.0;

    (void)state;
    assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
    c.bler = 0.0;
    assert_int_equal(radio_access_init(&a, &c, 1, NULL), CORE_OK);
    assert_int_equal(radio_access_retx(&a, NULL), 0); /* no stream needed */
    c.bler = 1.0;
    c.max_retx = 3;
    assert_int_equal(radio_access_init(&a, &c, 1, NULL), CORE_OK);
    assert_int_equal(radio_access_retx(&a, NULL), 3); /* every transmission fails */
    c.bler = 0.3;
    c.max_retx = 4;
    assert_int_equal(radio_access_init(&a, &c, 1, NULL), CORE_OK);
    for (int i = 0; i < N; i++) {
        uint32_t n = radio_access_retx(&a, r);

        assert_true(n <= 4);
        count[n]++;
        mean += n;
    }
    mean /= N;
    /* P(k) = 0.3^k 0.7 for k < 4, P(4) = 0.3^4; mean 0.3 + 0.09 + 0.027 + 0.0081. */
    printf("retransmissions: mean %.5f (want 0.4251), P(0) %.4f, P(4) %.5f\n", mean,
           count[0] / N, count[4] / N);
    assert_near(mean, 0.4251, 0.005);
    assert_near(count[0] / N, 0.7, 0.005);
    assert_near(count[4] / N, 0.0081, 0.001);
    core_rng_destroy(r);
}

static void test_access_mean_delay_is_the_average_over_ready_times(void **state)
{
    /* The quoted mean against the waits of 100,000 ready times spread evenly over 50 SR
     * periods (so every phase counts alike), for UE 7. */
    struct radio_access_config c;
    struct radio_access a;
    enum { N = 100000 };

    (void)state;
    for (int uplink = 0; uplink < RADIO_UL_ACCESS_COUNT; uplink++) {
        double sum_ul = 0.0, sum_dl = 0.0, span_s;

        assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
        c.uplink = uplink;
        c.bler = 0.0;
        c.k0_slots = 1;
        assert_int_equal(radio_access_init(&a, &c, 1, NULL), CORE_OK);
        span_s = 50 * 10 * a.slot_s;
        for (int i = 0; i < N; i++) {
            double t = span_s * (i + 0.5) / N;

            sum_ul += radio_access_ul_start_s(&a, 7, t) - t;
            sum_dl += radio_access_dl_start_s(&a, t) - t;
        }
        printf("uplink %d: mean wait %.6g s, quoted %.6g s; downlink %.6g s, quoted %.6g s\n",
               uplink, sum_ul / N, radio_access_mean_delay_s(&a, RADIO_DIR_UL), sum_dl / N,
               radio_access_mean_delay_s(&a, RADIO_DIR_DL));
        assert_near(sum_ul / N, radio_access_mean_delay_s(&a, RADIO_DIR_UL), 1e-8);
        assert_near(sum_dl / N, radio_access_mean_delay_s(&a, RADIO_DIR_DL), 1e-8);
    }
    /* HARQ: the mean retransmissions times the round trip. */
    assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
    c.uplink = RADIO_UL_NONE;
    c.downlink = RADIO_DL_NONE;
    assert_int_equal(radio_access_init(&a, &c, 1, NULL), CORE_OK);
    assert_near(radio_access_mean_delay_s(&a, RADIO_DIR_UL), 0.1111 * 2 * 0.5e-3, 1e-15);
    assert_near(radio_access_mean_delay_s(&a, RADIO_DIR_DL), 0.1111 * 2 * 0.5e-3, 1e-15);
}

static void test_access_init_rejects_values_out_of_range(void **state)
{
    static const struct {
        const char *field;
        long value;
        const char *msg;
    } bad[] = {
        {"sr", 0, "attribute 'sr-period': 0 slots is not in [1, 640]"},
        {"cg", 641, "attribute 'cg-period': 641 slots is not in [1, 640]"},
        {"k2", -2, "k0 0, k1 -1 or k2 -2 slots is out of range"},
        {"retx", 33, "attribute 'max-retx': 33 is not in [0, 32]"},
    };
    struct radio_access_config c;
    struct radio_access a;
    struct core_err e;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
        if (strcmp(bad[i].field, "sr") == 0)
            c.sr_period_slots = bad[i].value;
        else if (strcmp(bad[i].field, "cg") == 0)
            c.cg_period_slots = bad[i].value;
        else if (strcmp(bad[i].field, "k2") == 0)
            c.k2_slots = bad[i].value;
        else
            c.max_retx = bad[i].value;
        assert_int_equal(radio_access_init(&a, &c, 1, &e), CORE_E_INPUT);
        assert_string_equal(e.msg, bad[i].msg);
    }
    assert_int_equal(core_knobs_defaults(&radio_access_knobs, &c, NULL), CORE_OK);
    c.bler = 1.5;
    assert_int_equal(radio_access_init(&a, &c, 1, &e), CORE_E_INPUT);
    assert_string_equal(e.msg, "attribute 'bler': 1.5 is not in [0, 1]");
    c.bler = 0.1;
    assert_int_equal(radio_access_init(&a, &c, 3, &e), CORE_E_INPUT);
    assert_string_equal(e.msg, "numerology 3 is not 0, 1 or 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_access_defaults_follow_ts_38_214_per_numerology),
        TEST(test_access_dynamic_uplink_waits_for_the_sr_then_the_grant),
        TEST(test_access_configured_grant_and_downlink_start_on_their_slots),
        TEST(test_access_retransmissions_are_geometric_and_capped),
        TEST(test_access_mean_delay_is_the_average_over_ready_times),
        TEST(test_access_init_rejects_values_out_of_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
