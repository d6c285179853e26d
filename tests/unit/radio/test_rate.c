/*
 * test_rate.c — NR carriers (TS 38.101-1 table 5.3.2-1 N_PRB, the
 * bandwidth/numerology validity errors), the TS 38.306 rate formula, the
 * Shannon mode, and the rule that a rate never exceeds Shannon at its SINR.
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

static void test_n_prb_matches_ts38101_table(void **state)
{
    (void)state;
    assert_int_equal(radio_nr_n_prb(15e3, 5e6), 25);
    assert_int_equal(radio_nr_n_prb(15e3, 20e6), 106);
    assert_int_equal(radio_nr_n_prb(15e3, 50e6), 270);
    assert_int_equal(radio_nr_n_prb(15e3, 60e6), 0);
    assert_int_equal(radio_nr_n_prb(15e3, 100e6), 0);
    assert_int_equal(radio_nr_n_prb(30e3, 5e6), 11);
    assert_int_equal(radio_nr_n_prb(30e3, 40e6), 106);
    assert_int_equal(radio_nr_n_prb(30e3, 100e6), 273);
    assert_int_equal(radio_nr_n_prb(60e3, 5e6), 0);
    assert_int_equal(radio_nr_n_prb(60e3, 10e6), 11);
    assert_int_equal(radio_nr_n_prb(60e3, 100e6), 135);
    assert_int_equal(radio_nr_n_prb(30e3, 12e6), 0);
    assert_int_equal(radio_nr_n_prb(120e3, 100e6), 0);
}

static void expect_carrier_error(double scs_hz, double bw_hz, uint32_t layers, double oh,
                                 double gap_db, const char *needle)
{
    struct radio_carrier c;
    struct core_err e = {0};

    assert_int_equal(radio_carrier_init(&c, scs_hz, bw_hz, layers, oh, RADIO_CQI_TABLE_64QAM,
                                        false, gap_db, &e),
                     CORE_E_INPUT);
    if (!strstr(e.msg, needle)) {
        print_error("message '%s' lacks '%s'\n", e.msg, needle);
        fail();
    }
}

static void test_carrier_rejects_bandwidth_not_allowed_for_numerology(void **state)
{
    (void)state;
    expect_carrier_error(15e3, 100e6, 1, 0.1, 0,
                         "allows 5, 10, 15, 20, 25, 30, 35, 40, 45, 50 MHz");
    expect_carrier_error(60e3, 5e6, 1, 0.1, 0, "not allowed at 60 kHz");
    expect_carrier_error(30e3, 12e6, 1, 0.1, 0, "bandwidth 12 MHz");
    expect_carrier_error(45e3, 20e6, 1, 0.1, 0, "15, 30, 60 kHz");
    expect_carrier_error(30e3, 20e6, 0, 0.1, 0, "[1, 8]");
    expect_carrier_error(30e3, 20e6, 9, 0.1, 0, "[1, 8]");
    expect_carrier_error(30e3, 20e6, 1, 1.0, 0, "[0, 1)");
    expect_carrier_error(30e3, 20e6, 1, -0.1, 0, "[0, 1)");
    expect_carrier_error(30e3, 20e6, 1, 0.1, -1.0, "SNR gap");
}

static void test_nr_rate_follows_ts38306_formula(void **state)
{
    struct radio_carrier c;

    (void)state;
    assert_int_equal(radio_carrier_init(&c, 30e3, 100e6, 4, 0.14, RADIO_CQI_TABLE_256QAM, false,
                                        0.0, NULL),
                     CORE_OK);
    assert_int_equal(c.mu, 1);
    assert_int_equal(c.n_prb, 273);
    /* 4 layers x 8 x 948/1024 x 12 x 273 / (1e-3 / 28) x 0.86: the TS 38.306
     * peak of a 100 MHz carrier, 2.336 Gbit/s. */
    double want = 4.0 * 8.0 * (948.0 / 1024.0) * 12.0 * 273.0 * 28000.0 * 0.86;
    double got = radio_nr_rate_bps(&c, 15, 273);

    if (fabs(got - want) > 1e-3 || fabs(got - 2.3363e9) > 1e6) {
        print_error("peak %.1f bit/s, want %.1f\n", got, want);
        fail();
    }
    assert_true(radio_nr_rate_bps(&c, 0, 273) == 0.0);
    /* Linear in PRBs. */
    assert_near(radio_nr_rate_bps(&c, 9, 10) * 27.3, radio_nr_rate_bps(&c, 9, 273), 1e-3);
}

static void test_shannon_mode_uses_occupied_bandwidth_and_gap(void **state)
{
    struct radio_carrier c;

    (void)state;
    assert_int_equal(radio_carrier_init(&c, 15e3, 20e6, 2, 0.1, RADIO_CQI_TABLE_64QAM, true, 3.0,
                                        NULL),
                     CORE_OK);
    double sinr = 100.0, gap = pow(10.0, 0.3);
    double want = 2.0 * 12.0 * 15e3 * 106 * log2(1.0 + sinr / gap) * 0.9;

    assert_near(radio_link_rate_bps(&c, sinr, 106), want, 1e-3);
    assert_near(radio_shannon_rate_bps(1e6, 1.0, 0.0), 1e6, 1e-9);
}

static void test_rate_never_exceeds_shannon_at_its_sinr(void **state)
{
    static const double scs_hz[] = {15e3, 30e3, 60e3};
    static const double bw_hz[] = {10e6, 50e6, 40e6};

    (void)state;
    for (int t = 0; t < RADIO_CQI_TABLE_COUNT; t++) {
        for (size_t k = 0; k < ARRAY_LEN(scs_hz); k++) {
            for (uint32_t layers = 1; layers <= 2; layers++) {
                struct radio_carrier c;

                assert_int_equal(radio_carrier_init(&c, scs_hz[k], bw_hz[k], layers, 0.0,
                                                    (enum radio_cqi_table)t, false, 0.0, NULL),
                                 CORE_OK);
                for (double s_db = -15.0; s_db <= 45.0; s_db += 0.01) {
                    double sinr = pow(10.0, s_db / 10.0);
                    double rate = radio_link_rate_bps(&c, sinr, c.n_prb);
                    /* per layer, over the occupied bandwidth (below the channel's) */
                    double bound = layers * radio_shannon_rate_bps(12.0 * c.scs_hz * c.n_prb,
                                                                   sinr, 0.0);

                    if (rate > bound) {
                        print_error("table %d SCS %g layers %u SINR %.2f dB: %.1f > %.1f\n", t,
                                    c.scs_hz, layers, s_db, rate, bound);
                        fail();
                    }
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n_prb_matches_ts38101_table),
        cmocka_unit_test(test_carrier_rejects_bandwidth_not_allowed_for_numerology),
        cmocka_unit_test(test_nr_rate_follows_ts38306_formula),
        cmocka_unit_test(test_shannon_mode_uses_occupied_bandwidth_and_gap),
        cmocka_unit_test(test_rate_never_exceeds_shannon_at_its_sinr),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
