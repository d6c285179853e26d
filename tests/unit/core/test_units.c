/*
 * test_units.c — physical quantities: every unit converts to SI (bit rates
 * written in bytes per second too), a bare number is SI, and each kind of
 * bad text (not a number, NaN, infinity,
 * trailing junk, an unknown unit, a unit of another dimension) is rejected
 * with the exact message a user will read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

struct good {
    const char *text;
    enum core_dim dim;
    double si;
};

static void test_quantity_converts_each_unit_to_si(void **unused)
{
    static const struct good cases[] = {
        {"500 ms", CORE_DIM_TIME, 0.5},
        {"2e6 s", CORE_DIM_TIME, 2e6},
        {"3us", CORE_DIM_TIME, 3e-6},
        {"7 ns", CORE_DIM_TIME, 7e-9},
        {"2 min", CORE_DIM_TIME, 120.0},
        {"1.5 h", CORE_DIM_TIME, 5400.0},
        {"0.8 Hz", CORE_DIM_FREQUENCY, 0.8},
        {"3.5 GHz", CORE_DIM_FREQUENCY, 3.5e9},
        {"20 MHz", CORE_DIM_FREQUENCY, 2e7},
        {"4 kHz", CORE_DIM_FREQUENCY, 4e3},
        {"10 /s", CORE_DIM_FREQUENCY, 10.0},
        {"2 km", CORE_DIM_LENGTH, 2000.0},
        {"5 cm", CORE_DIM_LENGTH, 0.05},
        {"5 mm", CORE_DIM_LENGTH, 0.005},
        {"36 km/h", CORE_DIM_SPEED, 10.0},
        {"3 m/s", CORE_DIM_SPEED, 3.0},
        {"200 mW", CORE_DIM_POWER, 0.2},
        {"2 kW", CORE_DIM_POWER, 2000.0},
        {"23 dBm", CORE_DIM_POWER_DBM, 23.0},
        {"-3 dB", CORE_DIM_DB, -3.0},
        {"1 Wh", CORE_DIM_ENERGY, 3600.0},
        {"2 mWh", CORE_DIM_ENERGY, 7.2},
        {"5 mJ", CORE_DIM_ENERGY, 0.005},
        {"100 kB", CORE_DIM_BYTES, 1e5},
        {"1 KiB", CORE_DIM_BYTES, 1024.0},
        {"2 MiB", CORE_DIM_BYTES, 2097152.0},
        {"1 GiB", CORE_DIM_BYTES, 1073741824.0},
        {"3 GB", CORE_DIM_BYTES, 3e9},
        {"100 Mbps", CORE_DIM_BITRATE, 1e8},
        {"5 bit/s", CORE_DIM_BITRATE, 5.0},
        {"2 Gbps", CORE_DIM_BITRATE, 2e9},
        {"8 Mbit/s", CORE_DIM_BITRATE, 8e6},
        {"3 kbit/s", CORE_DIM_BITRATE, 3e3},
        {"10 Gbit/s", CORE_DIM_BITRATE, 1e10},
        {"7 kbps", CORE_DIM_BITRATE, 7e3},
        {"1 B/s", CORE_DIM_BITRATE, 8.0},
        {"2 kB/s", CORE_DIM_BITRATE, 16e3},
        {"1.25 MB/s", CORE_DIM_BITRATE, 1e7},
        {"25 GB/s", CORE_DIM_BITRATE, 2e11},
        {"67.2 GB/s", CORE_DIM_BITRATE, 537.6e9},
        {"1.2 TFLOPS", CORE_DIM_FLOPS, 1.2e12},
        {"4 TOPS", CORE_DIM_FLOPS, 4e12},
        {"50 GFLOPS", CORE_DIM_FLOPS, 5e10},
    };
    char why[256];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        double v = -1.0;
        enum core_rc rc = core_quantity_parse(cases[i].text, cases[i].dim, &v, why, sizeof(why));
        if (rc != CORE_OK || fabs(v - cases[i].si) > 1e-12 * fabs(cases[i].si)) {
            print_error("'%s' (%s): rc %d, %.17g; expected %.17g\n", cases[i].text,
                        core_dim_name(cases[i].dim), rc, v, cases[i].si);
            fail();
        }
    }
}

static void test_quantity_bare_number_is_si(void **unused)
{
    char why[256];
    double v = 0;

    assert_int_equal(core_quantity_parse("2.5", CORE_DIM_TIME, &v, why, sizeof(why)), CORE_OK);
    assert_true(v == 2.5);
    assert_int_equal(core_quantity_parse("-1e-3", CORE_DIM_DB, &v, why, sizeof(why)), CORE_OK);
    assert_true(v == -1e-3);
    assert_int_equal(core_quantity_parse(".5", CORE_DIM_NONE, &v, why, sizeof(why)), CORE_OK);
    assert_true(v == 0.5);
    assert_int_equal(core_quantity_parse("+7", CORE_DIM_NONE, &v, why, sizeof(why)), CORE_OK);
    assert_true(v == 7.0);
}

struct bad {
    const char *text;
    enum core_dim dim;
    const char *why;
};

static void test_quantity_rejects_bad_text_with_a_plain_message(void **unused)
{
    static const char time_is[] =
        "(a number with unit s, ms, us, ns, min or h; a bare number is in seconds)";
    static const struct bad cases[] = {
        {"", CORE_DIM_TIME,
         "'' is not a time (a number with unit s, ms, us, ns, min or h; "
         "a bare number is in seconds)"},
        {"abc", CORE_DIM_TIME, NULL},
        {"nan", CORE_DIM_TIME, NULL},
        {"inf", CORE_DIM_TIME, NULL},
        {"0x10", CORE_DIM_TIME, NULL},
        {" 5 s", CORE_DIM_TIME, NULL},
        {"5 ", CORE_DIM_TIME, NULL},
        {"1e400 s", CORE_DIM_TIME, "'1e400 s' is too large to be a time"},
        {"1e307 h", CORE_DIM_TIME, "'1e307 h' is too large to be a time"},
        {"5 m", CORE_DIM_TIME,
         "'5 m' has unit 'm' (a length) but a time is expected: use s, "
         "ms, us, ns, min or h"},
        {"5 parsecs", CORE_DIM_TIME,
         "'5 parsecs' has an unknown unit 'parsecs': a time uses "
         "s, ms, us, ns, min or h"},
        {"5 s extra", CORE_DIM_TIME,
         "'5 s extra' has an unknown unit 's extra': a time uses "
         "s, ms, us, ns, min or h"},
        {"1 kJ", CORE_DIM_POWER,
         "'1 kJ' has unit 'kJ' (an energy) but a power is expected: "
         "use W, mW or kW"},
        {"3 s", CORE_DIM_NONE, "'3 s' is not a number (no unit allowed here)"},
        {"x", CORE_DIM_NONE, "'x' is not a number"},
        {"1 ms", CORE_DIM_FREQUENCY,
         "'1 ms' has unit 'ms' (a time) but a frequency is "
         "expected: use Hz, kHz, MHz, GHz or /s"},
        {"5 GB", CORE_DIM_BITRATE,
         "'5 GB' has unit 'GB' (a size) but a bit rate is expected: use bit/s, bps, kbit/s, "
         "kbps, Mbit/s, Mbps, Gbit/s, Gbps, B/s, kB/s, MB/s or GB/s"},
        {"5 GB/s", CORE_DIM_BYTES,
         "'5 GB/s' has unit 'GB/s' (a bit rate) but a size is expected: use B, kB, MB, GB, "
         "KiB, MiB or GiB"},
        {"5 Gb/s", CORE_DIM_BITRATE,
         "'5 Gb/s' has an unknown unit 'Gb/s': a bit rate uses bit/s, bps, kbit/s, kbps, "
         "Mbit/s, Mbps, Gbit/s, Gbps, B/s, kB/s, MB/s or GB/s"},
    };
    char why[256], want[256];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        double v = 42.0;
        enum core_rc rc = core_quantity_parse(cases[i].text, cases[i].dim, &v, why, sizeof(why));
        if (cases[i].why)
            snprintf(want, sizeof(want), "%s", cases[i].why);
        else
            snprintf(want, sizeof(want), "'%s' is not a time %s", cases[i].text, time_is);
        if (rc != CORE_E_INPUT || strcmp(why, want) != 0 || v != 42.0) {
            print_error("'%s': rc %d, why \"%s\"\n  expected \"%s\"\n", cases[i].text, rc, why,
                        want);
            fail();
        }
    }
}

static void test_dim_every_dimension_has_a_name_and_si_unit(void **unused)
{
    for (int d = 0; d < CORE_DIM_COUNT; d++) {
        assert_non_null(core_dim_name((enum core_dim)d));
        assert_true(strlen(core_dim_name((enum core_dim)d)) > 0);
        assert_non_null(core_dim_si_unit((enum core_dim)d));
    }
    assert_string_equal(core_dim_si_unit(CORE_DIM_TIME), "s");
    assert_string_equal(core_dim_si_unit(CORE_DIM_FREQUENCY), "Hz");
    assert_string_equal(core_dim_name(CORE_DIM_LENGTH), "length");
}

static void test_dim_si_unit_of_each_dimension_parses_as_factor_one(void **unused)
{
    char text[64], why[256];

    for (int d = 1; d < CORE_DIM_COUNT; d++) {
        double v = 0;
        snprintf(text, sizeof(text), "3 %s", core_dim_si_unit((enum core_dim)d));
        if (core_quantity_parse(text, (enum core_dim)d, &v, why, sizeof(why)) != CORE_OK ||
            v != 3.0) {
            print_error("'%s' as %s: %g (%s)\n", text, core_dim_name((enum core_dim)d), v, why);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity_converts_each_unit_to_si),
        cmocka_unit_test(test_quantity_bare_number_is_si),
        cmocka_unit_test(test_quantity_rejects_bad_text_with_a_plain_message),
        cmocka_unit_test(test_dim_every_dimension_has_a_name_and_si_unit),
        cmocka_unit_test(test_dim_si_unit_of_each_dimension_parses_as_factor_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
