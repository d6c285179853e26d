/*
 * test_rrm_model.c — the RRM's logic: SINR, CQI and rates of one UE from its
 * coupling losses and the cells' loads, against the link budget worked out
 * independently in the test, and its input errors.
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

static double w(double dbm)
{
    return pow(10.0, (dbm - 30.0) / 10.0);
}

static void test_rrm_reply_follows_the_link_budget(void **state)
{
    struct radio_carrier c;
    const double cl_db[] = {100.0, 110.0, 120.0};
    const double dl_load[] = {0.9, 0.5, 1.0}, ul_load[] = {0.7, 0.4, 0.2};
    struct radio_rrm_request req = {
        .carrier = &c, .n_cells = 3, .serving = 0, .coupling_loss_db = cl_db,
        .dl_load = dl_load, .ul_load = ul_load, .gnb_power_dbm = 46.0,
        .ul_pc = {23.0, -80.0, 0.8}, .ue_noise_figure_db = 9.0, .gnb_noise_figure_db = 5.0,
        .ul_iot_db = 3.0, .dl_active = 1, .ul_active = 3, .sched = RADIO_SCHED_RR,
    };
    struct radio_rrm_reply rep;

    (void)state;
    assert_int_equal(radio_carrier_init(&c, 30e3, 100e6, 1, 0.1, RADIO_CQI_TABLE_256QAM, false,
                                        0.0, NULL),
                     CORE_OK);
    assert_int_equal(radio_rrm_query(&req, &rep, NULL), CORE_OK);

    double p_prb = 46.0 - 10.0 * log10(273.0);
    double n_ue = w(-174.0 + 10.0 * log10(360e3) + 9.0);
    double dl = w(p_prb - 100.0) / (n_ue + 0.5 * w(p_prb - 110.0) + 1.0 * w(p_prb - 120.0));
    /* Uplink: -80 + 10 log10(2 * 273) + 80 = 27.4 dBm, clipped to 23. */
    double n_gnb = w(-174.0 + 10.0 * log10(360e3) + 5.0);
    double ul = w(23.0 - 10.0 * log10(273.0) - 100.0) /
                (n_gnb * (1.0 + (pow(10.0, 0.3) - 1.0) * 0.3));

    if (fabs(rep.dl_sinr_db - 10.0 * log10(dl)) > 1e-9 ||
        fabs(rep.ul_sinr_db - 10.0 * log10(ul)) > 1e-9) {
        print_error("DL %.6f dB (want %.6f), UL %.6f dB (want %.6f)\n", rep.dl_sinr_db,
                    10.0 * log10(dl), rep.ul_sinr_db, 10.0 * log10(ul));
        fail();
    }
    assert_true(rep.ul_tx_power_dbm == 23.0);
    assert_int_equal(rep.dl_cqi, radio_cqi_from_sinr(RADIO_CQI_TABLE_256QAM, rep.dl_sinr_db));
    assert_int_equal(rep.ul_cqi, radio_cqi_from_sinr(RADIO_CQI_TABLE_256QAM, rep.ul_sinr_db));
    assert_true(rep.dl_cqi >= 1 && rep.ul_cqi >= 1);
    assert_true(rep.dl_full_rate_bps == radio_nr_rate_bps(&c, rep.dl_cqi, 273));
    assert_true(rep.ul_full_rate_bps == radio_nr_rate_bps(&c, rep.ul_cqi, 273));
    /* One more flow: 2 in the downlink (a time share), 4 in the uplink, which
     * shares in frequency: on 273 / 4 PRBs power control asks
     * -80 + 10 log10(2 * 68.25) + 80 = 21.4 dBm, below P_max, so the per-PRB
     * SINR is the unclipped one and the UE gets more than a quarter of its
     * clipped full-band rate. */
    double ul_quarter = w(-80.0 + 10.0 * log10(2.0) + 0.8 * 100.0 - 100.0) /
                        (n_gnb * (1.0 + (pow(10.0, 0.3) - 1.0) * 0.3));

    assert_near(rep.dl_rate_bps, rep.dl_full_rate_bps / 2.0, 1e-6);
    assert_near(rep.ul_rate_bps, radio_link_rate_bps(&c, ul_quarter, 273) / 4.0, 1e-6);
    assert_true(rep.ul_rate_bps > rep.ul_full_rate_bps / 4.0);
}

static void test_rrm_single_cell_has_no_interference(void **state)
{
    struct radio_carrier c;
    const double cl_db[] = {90.0}, load[] = {1.0};
    struct radio_rrm_request req = {
        .carrier = &c, .n_cells = 1, .serving = 0, .coupling_loss_db = cl_db,
        .dl_load = load, .ul_load = load, .gnb_power_dbm = 40.0,
        .ul_pc = {23.0, -100.0, 1.0}, .ue_noise_figure_db = 7.0, .gnb_noise_figure_db = 5.0,
        .ul_iot_db = 10.0, .sched = RADIO_SCHED_PF,
    };
    struct radio_rrm_reply rep;

    (void)state;
    assert_int_equal(radio_carrier_init(&c, 15e3, 20e6, 2, 0.0, RADIO_CQI_TABLE_64QAM, true, 0.0,
                                        NULL),
                     CORE_OK);
    assert_int_equal(radio_rrm_query(&req, &rep, NULL), CORE_OK);
    double noise = -174.0 + 10.0 * log10(180e3);
    double p_ul = -100.0 + 10.0 * log10(106.0) + 90.0;

    assert_near(rep.dl_sinr_db, 40.0 - 10.0 * log10(106.0) - 90.0 - noise - 7.0, 1e-9);
    assert_near(rep.ul_tx_power_dbm, p_ul, 1e-9);
    assert_near(rep.ul_sinr_db, p_ul - 10.0 * log10(106.0) - 90.0 - noise - 5.0, 1e-9);
    /* Shannon mode, PF with one flow: the full rate. */
    assert_near(rep.dl_rate_bps, rep.dl_full_rate_bps, 1e-6);
}

static void test_rrm_bad_request_is_input_error(void **state)
{
    struct radio_carrier c;
    const double cl_db[] = {90.0}, load[] = {1.0};
    struct radio_rrm_request req = {
        .carrier = &c, .n_cells = 1, .serving = 1, .coupling_loss_db = cl_db,
        .dl_load = load, .ul_load = load, .gnb_power_dbm = 40.0,
    };
    struct radio_rrm_reply rep;
    struct core_err e = {0};

    (void)state;
    assert_int_equal(radio_carrier_init(&c, 15e3, 20e6, 1, 0.0, RADIO_CQI_TABLE_64QAM, false,
                                        0.0, NULL),
                     CORE_OK);
    assert_int_equal(radio_rrm_query(&req, &rep, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "serving cell 1"));
    req.n_cells = 0;
    assert_int_equal(radio_rrm_query(&req, &rep, &e), CORE_E_INPUT);
    req.n_cells = RADIO_RRM_MAX_CELLS + 1;
    assert_int_equal(radio_rrm_query(&req, &rep, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "[1, 11991]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rrm_reply_follows_the_link_budget),
        cmocka_unit_test(test_rrm_single_cell_has_no_interference),
        cmocka_unit_test(test_rrm_bad_request_is_input_error),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
