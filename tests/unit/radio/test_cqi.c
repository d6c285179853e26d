/*
 * test_cqi.c — the TS 38.214 CQI tables (spot rows, internal consistency of
 * efficiency = Qm R / 1024) and the SINR -> CQI mapping (thresholds of the
 * attenuated Shannon inversion, monotone, edges).
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

static void test_cqi_tables_spot_rows_match_ts38214(void **state)
{
    const struct radio_cqi_entry *e;

    (void)state;
    e = radio_cqi_entry(RADIO_CQI_TABLE_64QAM, 0);
    assert_true(e->qm == 0 && e->efficiency == 0.0);
    e = radio_cqi_entry(RADIO_CQI_TABLE_64QAM, 1);
    assert_true(e->qm == 2 && e->rate_x1024 == 78 && e->efficiency == 0.1523);
    e = radio_cqi_entry(RADIO_CQI_TABLE_64QAM, 7);
    assert_true(e->qm == 4 && e->rate_x1024 == 378 && e->efficiency == 1.4766);
    e = radio_cqi_entry(RADIO_CQI_TABLE_64QAM, 10);
    assert_true(e->qm == 6 && e->rate_x1024 == 466 && e->efficiency == 2.7305);
    e = radio_cqi_entry(RADIO_CQI_TABLE_64QAM, 15);
    assert_true(e->qm == 6 && e->rate_x1024 == 948 && e->efficiency == 5.5547);
    e = radio_cqi_entry(RADIO_CQI_TABLE_256QAM, 2);
    assert_true(e->qm == 2 && e->rate_x1024 == 193 && e->efficiency == 0.3770);
    e = radio_cqi_entry(RADIO_CQI_TABLE_256QAM, 12);
    assert_true(e->qm == 8 && e->rate_x1024 == 711 && e->efficiency == 5.5547);
    e = radio_cqi_entry(RADIO_CQI_TABLE_256QAM, 15);
    assert_true(e->qm == 8 && e->rate_x1024 == 948 && e->efficiency == 7.4063);
}

static void test_cqi_rows_are_consistent_and_increasing(void **state)
{
    (void)state;
    for (int t = 0; t < RADIO_CQI_TABLE_COUNT; t++) {
        for (uint32_t i = 1; i <= RADIO_CQI_MAX; i++) {
            const struct radio_cqi_entry *e = radio_cqi_entry((enum radio_cqi_table)t, i);
            const struct radio_cqi_entry *p = radio_cqi_entry((enum radio_cqi_table)t, i - 1);
            double se = e->qm * e->rate_x1024 / 1024.0;

            if (fabs(se - e->efficiency) > 6e-5 || e->efficiency <= p->efficiency ||
                e->sinr_min_db <= p->sinr_min_db) {
                print_error("table %d CQI %u: Qm R = %.5f, SE %.4f, prev SE %.4f, "
                            "threshold %.3f dB, prev %.3f dB\n",
                            t, i, se, e->efficiency, p->efficiency, e->sinr_min_db,
                            p->sinr_min_db);
                fail();
            }
            /* The threshold inverts SE = 0.75 log2(1 + SINR). */
            double sinr = pow(10.0, e->sinr_min_db / 10.0);

            assert_near(0.75 * log2(1.0 + sinr), e->efficiency, 1e-6);
        }
    }
}

static void test_cqi_from_sinr_picks_highest_reached_threshold(void **state)
{
    (void)state;
    /* CQI 1 needs -8.206 dB, CQI 7 (table 1) 4.646 dB, CQI 15 22.269 dB
     * (table 1) and 29.722 dB (table 2). */
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, -8.3), 0);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, -8.2), 1);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, 4.64), 6);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, 4.65), 7);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, 22.26), 14);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, 22.27), 15);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_64QAM, 60.0), 15);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_256QAM, 29.72), 14);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_256QAM, 29.73), 15);
    assert_int_equal(radio_cqi_from_sinr(RADIO_CQI_TABLE_256QAM, -INFINITY), 0);
    uint32_t prev = 0;

    for (double s = -20.0; s <= 40.0; s += 0.05) {
        uint32_t c = radio_cqi_from_sinr(RADIO_CQI_TABLE_256QAM, s);

        assert_true(c >= prev);
        prev = c;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cqi_tables_spot_rows_match_ts38214),
        cmocka_unit_test(test_cqi_rows_are_consistent_and_increasing),
        cmocka_unit_test(test_cqi_from_sinr_picks_highest_reached_threshold),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
