/*
 * test_geometry.c — the hexagonal site grid, sector hexagons, the sector
 * antenna pattern of TR 38.901 table 7.3-1 (horizontal cut) and uniform UE
 * placement in a hexagon and a disc.
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

#define PI 3.14159265358979323846

static void test_hex_site_count_is_1_7_19(void **state)
{
    (void)state;
    assert_int_equal(radio_hex_site_count(0), 1);
    assert_int_equal(radio_hex_site_count(1), 7);
    assert_int_equal(radio_hex_site_count(2), 19);
    assert_int_equal(radio_hex_site_count(3), 37);
}

static void test_hex_sites_are_distinct_at_isd_from_a_neighbour(void **state)
{
    double x[37], y[37];

    (void)state;
    assert_int_equal(radio_hex_sites(3, 500.0, x, y, NULL), CORE_OK);
    assert_true(x[0] == 0.0 && y[0] == 0.0);
    for (int i = 1; i < 7; i++) {
        double d = hypot(x[i], y[i]);

        if (fabs(d - 500.0) > 1e-9) {
            print_error("ring-1 site %d at %.6f m from centre, want 500\n", i, d);
            fail();
        }
    }
    for (int i = 0; i < 37; i++) {
        double nearest = INFINITY;

        for (int j = 0; j < 37; j++)
            if (j != i)
                nearest = fmin(nearest, hypot(x[i] - x[j], y[i] - y[j]));
        if (fabs(nearest - 500.0) > 1e-9) {
            print_error("site %d: nearest neighbour %.6f m, want 500\n", i, nearest);
            fail();
        }
    }
    /* Ring 3's sites are between 3 sqrt(3)/2 isd and 3 isd from the centre. */
    for (int i = 19; i < 37; i++) {
        double d = hypot(x[i], y[i]);

        assert_true(d > 1.5 * sqrt(3.0) * 500.0 - 1e-6 && d < 1500.0 + 1e-6);
    }
}

static void test_hex_sites_bad_input_is_error_with_range(void **state)
{
    double x[1], y[1];
    struct core_err e = {0};

    (void)state;
    assert_int_equal(radio_hex_sites(0, -1.0, x, y, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "(0 m, infinity)"));
    assert_int_equal(radio_hex_sites(0, NAN, x, y, &e), CORE_E_INPUT);
    assert_int_equal(radio_hex_sites(RADIO_MAX_RINGS + 1, 500.0, x, y, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "[0, 36]"));
}

static void test_antenna_pattern_follows_table_7_3_1(void **state)
{
    (void)state;
    /* boresight: 8 dBi; 65/2 degrees off: 8 - 3 dB; beyond: floor 8 - 30. */
    double b = radio_sector_boresight_rad(3, 1);

    assert_near(b, 150.0 * PI / 180.0, 1e-12);
    assert_near(radio_antenna_gain_db(3, 1, b), 8.0, 1e-12);
    assert_near(radio_antenna_gain_db(3, 1, b + 32.5 * PI / 180.0), 5.0, 1e-12);
    assert_near(radio_antenna_gain_db(3, 1, b - 32.5 * PI / 180.0), 5.0, 1e-12);
    assert_near(radio_antenna_gain_db(3, 1, b + PI), -22.0, 1e-12);
    /* 60 degrees: 12 (60/65)^2 = 10.2249 dB of attenuation; wraps past 360. */
    double want = 8.0 - 12.0 * (60.0 / 65.0) * (60.0 / 65.0);

    assert_true(fabs(radio_antenna_gain_db(3, 0, (30.0 + 60.0 + 720.0) * PI / 180.0) - want) <
                1e-9);
    assert_true(fabs(radio_antenna_gain_db(3, 2, (270.0 - 60.0 - 360.0) * PI / 180.0) - want) <
                1e-9);
    assert_true(radio_antenna_gain_db(1, 0, 1.234) == 0.0);
}

static void test_sector_hexagons_touch_the_site_and_tile_its_area(void **state)
{
    struct core_rng *r = core_rng_create(3, 0, CORE_RNG_PLACEMENT);
    const double isd = 500.0;
    int counts[4] = {0};

    (void)state;
    for (uint32_t s = 0; s < 3; s++) {
        double cx, cy, rad;

        radio_cell_hexagon(100.0, 50.0, isd, 3, s, &cx, &cy, &rad);
        assert_near(rad, isd / 3.0, 1e-12);
        assert_near(hypot(cx - 100.0, cy - 50.0), isd / 3.0, 1e-9);
    }
    /* Points of the three sector hexagons of a site at the origin lie in
     * exactly one of them (they do not overlap) and the three together have
     * the area of the site's hexagon. */
    for (int i = 0; i < 20000; i++) {
        double x = core_rng_uniform_in(r, -isd, isd), y = core_rng_uniform_in(r, -isd, isd);
        int in = 0;

        for (uint32_t s = 0; s < 3; s++) {
            double cx, cy, rad;

            radio_cell_hexagon(0.0, 0.0, isd, 3, s, &cx, &cy, &rad);
            in += radio_in_hexagon(x, y, cx, cy, rad);
        }
        assert_true(in <= 1);
        counts[in]++;
        double cx, cy, rad;

        radio_cell_hexagon(0.0, 0.0, isd, 1, 0, &cx, &cy, &rad);
        counts[3] += radio_in_hexagon(x, y, cx, cy, rad);
    }
    double ratio = (double)counts[1] / counts[3];

    if (fabs(ratio - 1.0) > 0.04) {
        print_error("sector area / site area = %.4f, want 1\n", ratio);
        fail();
    }
    core_rng_destroy(r);
}

static void test_place_hexagon_is_uniform_and_respects_minimum(void **state)
{
    struct core_rng *r = core_rng_create(11, 0, CORE_RNG_PLACEMENT);
    const double rad = 200.0, min_d = 20.0;
    int inner = 0, n = 40000;

    (void)state;
    for (int i = 0; i < n; i++) {
        double x, y;

        assert_int_equal(radio_place_hexagon(r, 10.0, 20.0, rad, 10.0, 20.0, min_d, &x, &y, NULL),
                         CORE_OK);
        assert_true(radio_in_hexagon(x, y, 10.0, 20.0, rad));
        double d = hypot(x - 10.0, y - 20.0);

        assert_true(d >= min_d);
        inner += d < 100.0;
    }
    /* Uniform: P(d < 100) = (pi 100^2 - pi 20^2) / (hexagon area - pi 20^2). */
    double area = 1.5 * sqrt(3.0) * rad * rad;
    double want = PI * (100.0 * 100.0 - min_d * min_d) / (area - PI * min_d * min_d);
    double got = (double)inner / n;

    if (fabs(got - want) > 0.01) {
        print_error("P(d < 100 m) = %.4f, want %.4f\n", got, want);
        fail();
    }
    core_rng_destroy(r);
}

static void test_place_disc_is_uniform_in_the_annulus(void **state)
{
    struct core_rng *r = core_rng_create(12, 0, CORE_RNG_PLACEMENT);
    int inner = 0, n = 40000;

    (void)state;
    for (int i = 0; i < n; i++) {
        double x, y;

        assert_int_equal(radio_place_disc(r, -5.0, 5.0, 100.0, 10.0, &x, &y, NULL), CORE_OK);
        double d = hypot(x + 5.0, y - 5.0);

        assert_true(d >= 10.0 - 1e-9 && d <= 100.0 + 1e-9);
        inner += d < 50.0;
    }
    double want = (50.0 * 50.0 - 100.0) / (100.0 * 100.0 - 100.0), got = (double)inner / n;

    if (fabs(got - want) > 0.01) {
        print_error("P(d < 50 m) = %.4f, want %.4f\n", got, want);
        fail();
    }
    core_rng_destroy(r);
}

static void test_placement_bad_input_is_error(void **state)
{
    struct core_rng *r = core_rng_create(1, 0, CORE_RNG_PLACEMENT);
    struct core_err e = {0};
    double x, y;

    (void)state;
    assert_int_equal(radio_place_disc(r, 0, 0, 10.0, 10.0, &x, &y, &e), CORE_E_INPUT);
    assert_int_equal(radio_place_disc(r, 0, 0, 10.0, -1.0, &x, &y, &e), CORE_E_INPUT);
    assert_int_equal(radio_place_hexagon(r, 0, 0, 0.0, 0, 0, 0, &x, &y, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "cell radius"));
    assert_int_equal(radio_place_hexagon(r, 0, 0, 100.0, 0, 0, 95.0, &x, &y, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "minimum UE distance"));
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_site_count_is_1_7_19),
        cmocka_unit_test(test_hex_sites_are_distinct_at_isd_from_a_neighbour),
        cmocka_unit_test(test_hex_sites_bad_input_is_error_with_range),
        cmocka_unit_test(test_antenna_pattern_follows_table_7_3_1),
        cmocka_unit_test(test_sector_hexagons_touch_the_site_and_tile_its_area),
        cmocka_unit_test(test_place_hexagon_is_uniform_and_respects_minimum),
        cmocka_unit_test(test_place_disc_is_uniform_in_the_annulus),
        cmocka_unit_test(test_placement_bad_input_is_error),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
