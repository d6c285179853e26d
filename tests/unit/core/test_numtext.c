/*
 * test_numtext.c — numbers as text (numtext.c): a float written by
 * core_num_text reads back the same float over its whole range, integers
 * are written exactly, and the text is what %.9g would say in value.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "core/core.h"

static const char *text(double x, char *buf)
{
    size_t n = core_num_text(x, buf);

    assert_true(n < CORE_NUM_TEXT_MAX);
    buf[n] = '\0';
    return buf;
}

static void test_integers_and_simple_values_read_as_written(void **ctx)
{
    char b[CORE_NUM_TEXT_MAX];

    (void)ctx;
    assert_string_equal(text(0, b), "0");
    assert_string_equal(text(-7, b), "-7");
    assert_string_equal(text(438187520, b), "438187520");
    assert_string_equal(text(0.5, b), "0.5");
    assert_string_equal(text(-0.125, b), "-0.125");
    assert_string_equal(text(0.05, b), "0.05");
    assert_string_equal(text(1.5e-7, b), "1.5e-07");
    assert_string_equal(text(2.5e20, b), "2.5e+20");
    assert_string_equal(text(123.456, b), "123.456");
}

static void test_every_float_reads_back_the_same(void **ctx)
{
    struct core_rng *r = core_rng_create(11, 0, CORE_RNG_BENCH);
    char b[CORE_NUM_TEXT_MAX];

    (void)ctx;
    for (int i = 0; i < 1000000; i++) {
        /* uniform exponents from 1e-30 to 1e30, random mantissas and signs */
        double e = -30 + 60 * core_rng_uniform(r);
        float x = (float)(pow(10, e) * (core_rng_uniform(r) < 0.5 ? -1 : 1));
        float back = strtof(text((double)x, b), NULL);

        if (back != x)
            fail_msg("%.9g written as '%s' reads back as %.9g", (double)x, b, (double)back);
    }
    core_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_and_simple_values_read_as_written),
        cmocka_unit_test(test_every_float_reads_back_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
