/*
 * test_mobility.c — straight-line and random-waypoint movement (position,
 * distance travelled, bounds, speeds, independence from the sampling) and
 * handover: where the received powers cross plus the hysteresis, delayed by
 * the time-to-trigger, without ping-pong inside the hysteresis.
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

static void test_line_moves_at_its_speed(void **state)
{
    struct radio_mobility m;

    (void)state;
    radio_mobility_line(&m, 10.0, -5.0, atan2(3.0, 4.0), 5.0, 2.0);
    double d = radio_mobility_advance(&m, 4.0, NULL);

    assert_near(d, 10.0, 1e-12);
    assert_true(fabs(m.x_m - 18.0) < 1e-12 && fabs(m.y_m - 1.0) < 1e-12);
    assert_near(radio_mobility_speed_mps(&m), 5.0, 1e-12);
    assert_true(isinf(radio_mobility_leg_end_s(&m)));
    radio_mobility_static(&m, 1.0, 2.0, 0.0);
    assert_true(radio_mobility_advance(&m, 100.0, NULL) == 0.0);
    assert_true(m.x_m == 1.0 && m.y_m == 2.0);
}

static void test_waypoint_stays_in_its_disc_at_its_speeds(void **state)
{
    struct core_rng *r = core_rng_create(4, 17, CORE_RNG_MOBILITY);
    struct radio_mobility m;
    double total = 0.0, walking_s = 0.0;

    (void)state;
    assert_int_equal(radio_mobility_waypoint(&m, 0.0, 0.0, 0.0, 0.0, 200.0, 1.0, 2.0, 3.0, 0.0,
                                             r, NULL),
                     CORE_OK);
    for (int i = 1; i <= 100000; i++) {
        double v = radio_mobility_speed_mps(&m);

        assert_true(v == 0.0 || (v >= 1.0 - 1e-12 && v <= 2.0 + 1e-12));
        double t = i * 0.1, d = radio_mobility_advance(&m, t, r);

        total += d;
        walking_s += v > 0.0 ? 0.1 : 0.0;
        assert_true(hypot(m.x_m, m.y_m) <= 200.0 + 1e-9);
    }
    /* 10^4 s: the mean speed over walking time lies in the range. */
    assert_true(total / walking_s > 1.0 && total / walking_s < 2.0);
    core_rng_destroy(r);
}

static void test_waypoint_positions_do_not_depend_on_sampling(void **state)
{
    struct core_rng *r1 = core_rng_create(4, 3, CORE_RNG_MOBILITY);
    struct core_rng *r2 = core_rng_create(4, 3, CORE_RNG_MOBILITY);
    struct radio_mobility a, b;
    double da = 0.0, db;

    (void)state;
    assert_int_equal(radio_mobility_waypoint(&a, 5, 5, 0, 0, 100, 0.5, 1.5, 2.0, 0.0, r1, NULL),
                     CORE_OK);
    assert_int_equal(radio_mobility_waypoint(&b, 5, 5, 0, 0, 100, 0.5, 1.5, 2.0, 0.0, r2, NULL),
                     CORE_OK);
    for (int i = 1; i <= 10000; i++)
        da += radio_mobility_advance(&a, i * 0.137, r1);
    db = radio_mobility_advance(&b, 10000 * 0.137, r2);
    if (fabs(a.x_m - b.x_m) > 1e-6 || fabs(a.y_m - b.y_m) > 1e-6 || fabs(da - db) > 1e-6) {
        print_error("fine (%.6f, %.6f, %.6f m) vs coarse (%.6f, %.6f, %.6f m)\n", a.x_m, a.y_m,
                    da, b.x_m, b.y_m, db);
        fail();
    }
    core_rng_destroy(r1);
    core_rng_destroy(r2);
}

static void test_waypoint_bad_parameters_are_input_errors(void **state)
{
    struct core_rng *r = core_rng_create(1, 1, CORE_RNG_MOBILITY);
    struct radio_mobility m;
    struct core_err e = {0};

    (void)state;
    assert_int_equal(radio_mobility_waypoint(&m, 0, 0, 0, 0, 100, 0.0, 1.0, 0, 0, r, &e),
                     CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "0 < minimum <= maximum"));
    assert_int_equal(radio_mobility_waypoint(&m, 0, 0, 0, 0, 100, 2.0, 1.0, 0, 0, r, &e),
                     CORE_E_INPUT);
    assert_int_equal(radio_mobility_waypoint(&m, 0, 0, 0, 0, 100, 1.0, 1.0, -1, 0, r, &e),
                     CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "pause"));
    assert_int_equal(radio_mobility_waypoint(&m, 0, 0, 0, 0, 0, 1.0, 1.0, 0, 0, r, &e),
                     CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "radius"));
    core_rng_destroy(r);
}

/* RSRP of a UE at (x, 0) from sites at x = 0 and x = 500 m, 46 dBm minus the
 * UMa LOS path loss (first segment, d < d'BP = 560 m at 3.5 GHz). */
static void rsrp(double x, double out[2])
{
    for (int i = 0; i < 2; i++) {
        struct radio_pl_args a = {RADIO_SCENARIO_UMA, 3.5e9, fabs(x - 500.0 * i), 25, 1.5, 1,
                                  true};
        double pl;

        assert_int_equal(radio_pathloss_db(&a, &pl, NULL), CORE_OK);
        out[i] = 46.0 - pl;
    }
}

/* Where site 1 exceeds site 0 by hyst_db: 22 log10(d3D_0 / d3D_1) = hyst_db,
 * solved by bisection from the formula text. */
static double crossing_x(double hyst_db)
{
    double lo = 250.0, hi = 490.0, dh = 23.5;

    for (int i = 0; i < 200; i++) {
        double x = 0.5 * (lo + hi);
        double g = 22.0 * log10(hypot(x, dh) / hypot(500.0 - x, dh)) - hyst_db;

        if (g > 0.0)
            hi = x;
        else
            lo = x;
    }
    return 0.5 * (lo + hi);
}

/* Walk from x = 20 m to x = 480 m at 10 m/s sampling every 10 ms; return the
 * x of the first handover (NAN if none) and count handovers. */
static double walk(double hyst_db, double ttt_s, int *n_handovers)
{
    struct radio_mobility m;
    struct radio_handover h;
    double p[2], x_ho = NAN;

    radio_mobility_line(&m, 20.0, 0.0, 0.0, 10.0, 0.0);
    rsrp(m.x_m, p);
    radio_handover_init(&h, radio_strongest_cell(p, 2), hyst_db, ttt_s);
    assert_int_equal(h.serving, 0);
    *n_handovers = 0;
    for (int i = 1; m.x_m < 480.0; i++) {
        double t = i * 0.01;

        radio_mobility_advance(&m, t, NULL);
        rsrp(m.x_m, p);
        if (radio_handover_update(&h, t, p, 2)) {
            (*n_handovers)++;
            if (isnan(x_ho))
                x_ho = m.x_m;
        }
    }
    return x_ho;
}

static void test_handover_where_powers_cross_plus_hysteresis(void **state)
{
    int n;

    (void)state;
    /* No hysteresis: at the midpoint. */
    double x0 = walk(0.0, 0.0, &n);

    assert_int_equal(n, 1);
    assert_near(x0, 250.0, 0.1 + 1e-9);
    /* 3 dB of hysteresis: where site 1 is 3 dB stronger (within one 0.1 m step). */
    double want = crossing_x(3.0), got = walk(3.0, 0.0, &n);

    if (n != 1 || got < want - 1e-9 || got > want + 0.1 + 1e-9) {
        print_error("handover at x = %.4f m (%d handovers), want %.4f m\n", got, n, want);
        fail();
    }
    /* 320 ms time-to-trigger at 10 m/s: 3.2 m later. */
    got = walk(3.0, 0.32, &n);
    if (n != 1 || got < want + 3.2 - 1e-9 || got > want + 3.3 + 1e-9) {
        print_error("handover with TTT at x = %.4f m, want %.4f m\n", got, want + 3.2);
        fail();
    }
}

static void test_handover_timer_restarts_when_condition_breaks(void **state)
{
    struct radio_handover h;
    const double strong[] = {-90.0, -80.0, -95.0}, weak[] = {-90.0, -88.0, -95.0};
    const double other[] = {-90.0, -95.0, -80.0};

    (void)state;
    radio_handover_init(&h, 0, 3.0, 0.1);
    assert_false(radio_handover_update(&h, 0.00, strong, 3));
    assert_false(radio_handover_update(&h, 0.05, weak, 3)); /* within hysteresis: reset */
    assert_false(radio_handover_update(&h, 0.06, strong, 3));
    assert_false(radio_handover_update(&h, 0.15, strong, 3));
    assert_true(radio_handover_update(&h, 0.17, strong, 3));
    assert_int_equal(h.serving, 1);
    /* A different best neighbour restarts the timer. */
    radio_handover_init(&h, 0, 3.0, 0.1);
    assert_false(radio_handover_update(&h, 0.00, strong, 3));
    assert_false(radio_handover_update(&h, 0.08, other, 3));
    assert_false(radio_handover_update(&h, 0.12, other, 3));
    assert_true(radio_handover_update(&h, 0.19, other, 3));
    assert_int_equal(h.serving, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_moves_at_its_speed),
        cmocka_unit_test(test_waypoint_stays_in_its_disc_at_its_speeds),
        cmocka_unit_test(test_waypoint_positions_do_not_depend_on_sampling),
        cmocka_unit_test(test_waypoint_bad_parameters_are_input_errors),
        cmocka_unit_test(test_handover_where_powers_cross_plus_hysteresis),
        cmocka_unit_test(test_handover_timer_restarts_when_condition_breaks),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
