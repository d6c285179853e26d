/*
 * test_link.c — thermal noise, uplink power control (clipping at the UE's
 * 23 dBm), downlink power per PRB, SINR with load-weighted interference and
 * the uplink's per-PRB SINR on a share of M PRBs, against values worked by
 * hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <cmocka.h>

#include "testutil.h"

#include "radio/radio.h"

static void test_conversions_round_trip(void **state)
{
    (void)state;
    assert_near(radio_dbm_to_w(30.0), 1.0, 1e-12);
    assert_near(radio_dbm_to_w(0.0), 1e-3, 1e-15);
    assert_near(radio_w_to_dbm(0.2), 23.0103, 1e-4);
    assert_true(isinf(radio_w_to_dbm(0.0)) && radio_w_to_dbm(0.0) < 0.0);
    assert_near(radio_db_to_lin(3.0), 1.99526, 1e-5);
    assert_near(radio_lin_to_db(100.0), 20.0, 1e-12);
    assert_true(isinf(radio_lin_to_db(0.0)));
}

static void test_noise_is_minus_174_dbm_per_hz_plus_bandwidth_and_nf(void **state)
{
    (void)state;
    /* 100 MHz, NF 7 dB: -174 + 80 + 7 = -87 dBm. One 30 kHz PRB, NF 5 dB:
     * -174 + 10 log10(360e3) + 5 = -113.437 dBm. */
    assert_near(radio_noise_dbm(100e6, 7.0), -87.0, 1e-9);
    assert_near(radio_noise_dbm(360e3, 5.0), -174.0 + 55.563025 + 5.0, 1e-6);
}

static void test_ul_power_control_is_open_loop_and_clips_at_23_dbm(void **state)
{
    const struct radio_ul_pc pc = {RADIO_UE_MAX_POWER_DBM, -80.0, 0.8};
    double p;

    (void)state;
    /* mu 1, 10 PRBs, PL 100 dB: -80 + 10 log10(20) + 80 = 13.0103 dBm. */
    p = radio_ul_tx_power_dbm(&pc, 1, 10, 100.0);
    assert_near(p, 13.0103, 1e-4);
    /* PL 120 dB, 273 PRBs at mu 1: -80 + 27.37 + 96 = 43.4 dBm -> clipped. */
    p = radio_ul_tx_power_dbm(&pc, 1, 273, 120.0);
    assert_true(p == 23.0);
    /* Exactly at the boundary: P0 + 10 log10(1) + alpha PL = 23. */
    const struct radio_ul_pc full = {23.0, -77.0, 1.0};

    assert_near(radio_ul_tx_power_dbm(&full, 0, 1, 100.0), 23.0, 1e-12);
    assert_true(radio_ul_tx_power_dbm(&full, 0, 1, 100.1) == 23.0);
    assert_near(radio_ul_tx_power_dbm(&full, 0, 1, 99.0), 22.0, 1e-12);
}

static void test_dl_power_is_spread_over_the_prbs(void **state)
{
    (void)state;
    /* 46 dBm over 273 PRBs: 46 - 24.361626 = 21.638374 dBm per PRB. */
    assert_near(radio_dl_prb_power_dbm(46.0, 273), 21.638374, 1e-6);
    assert_near(radio_dl_prb_power_dbm(46.0, 1), 46.0, 1e-12);
}

static void test_sinr_weights_interference_by_load(void **state)
{
    const double interf_dbm[] = {-90.0, -93.0};
    const double full[] = {1.0, 1.0}, half[] = {0.5, 0.0}, idle[] = {0.0, 0.0};
    double n_w = radio_dbm_to_w(-100.0);
    double i1_w = radio_dbm_to_w(-90.0), i2_w = radio_dbm_to_w(-93.0);
    double s_w = radio_dbm_to_w(-80.0);

    (void)state;
    assert_near(radio_sinr(-80.0, -100.0, NULL, NULL, 0), 100.0, 1e-9);
    assert_near(radio_sinr(-80.0, -100.0, interf_dbm, idle, 2), 100.0, 1e-9);
    assert_near(radio_sinr(-80.0, -100.0, interf_dbm, full, 2), s_w / (n_w + i1_w + i2_w), 1e-9);
    assert_near(radio_sinr(-80.0, -100.0, interf_dbm, half, 2), s_w / (n_w + 0.5 * i1_w), 1e-9);
}

static void test_ul_link_sinr_rises_on_fewer_prbs_only_at_p_max(void **state)
{
    /* 10 mW per PRB below P_max = 0.2 W: power-limited above M = 20 PRBs. */
    const struct radio_ul_link l = {NULL, 0.01, 0.2, 500.0, 0.0};
    double p_w;

    (void)state;
    /* M = 10: 0.1 W, per-PRB SINR 0.01 * 500 = 5, as on M = 20. */
    assert_true(radio_ul_link_sinr(&l, 10.0, &p_w) == 5.0);
    assert_near(p_w, 0.1, 1e-15);
    assert_true(radio_ul_link_sinr(&l, 20.0, NULL) == 5.0);
    /* M = 40: 0.2 W over 40 PRBs, SINR 0.005 * 500 = 2.5; M = 80: 1.25. */
    assert_near(radio_ul_link_sinr(&l, 40.0, &p_w), 2.5, 1e-12);
    assert_true(p_w == 0.2);
    assert_near(radio_ul_link_sinr(&l, 80.0, &p_w), 1.25, 1e-12);
    /* Fractional shares are fine: M = 26.5, 0.2 / 26.5 * 500. */
    assert_near(radio_ul_link_sinr(&l, 26.5, NULL), 100.0 / 26.5, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversions_round_trip),
        cmocka_unit_test(test_noise_is_minus_174_dbm_per_hz_plus_bandwidth_and_nf),
        cmocka_unit_test(test_ul_power_control_is_open_loop_and_clips_at_23_dbm),
        cmocka_unit_test(test_dl_power_is_spread_over_the_prbs),
        cmocka_unit_test(test_sinr_weights_interference_by_load),
        cmocka_unit_test(test_ul_link_sinr_rises_on_fewer_prbs_only_at_p_max),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
