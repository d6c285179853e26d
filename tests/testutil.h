/*
 * testutil.h — helpers shared by the cmocka tests. Include after <cmocka.h>.
 *
 * assert_near: Debian 12's cmocka 1.1.5 has no floating-point assertion; this
 * one prints the expression, observed and expected values and the tolerance.
 * TEST(f): a cmocka test whose teardown fails if the test left any block of
 * the counted allocator live (each test frees what it made).
 */
#ifndef COINFER_TESTUTIL_H
#define COINFER_TESTUTIL_H

#include <math.h>
#include <stdio.h>

#include "core/core.h"

#define assert_near(obs, exp, tol)                                                        \
    do {                                                                                  \
        double o_ = (obs), e_ = (exp), t_ = (tol);                                        \
        if (!(fabs(o_ - e_) <= t_)) {                                                     \
            print_error("%s = %.17g, expected %.17g +- %.3g\n", #obs, o_, e_, t_);        \
            fail();                                                                       \
        }                                                                                 \
    } while (0)

/* Blocks live when the running test started. */
static long testutil_live_at_start;

static inline int testutil_record_live(void **unused)
{
    (void)unused;
    testutil_live_at_start = core_alloc_live();
    return 0;
}

static inline int testutil_check_no_leak(void **unused)
{
    (void)unused;
    core_alloc_fail_after(0);
    if (core_alloc_live() != testutil_live_at_start) {
        print_error("%ld blocks live after the test, %ld before\n", core_alloc_live(),
                    testutil_live_at_start);
        return -1;
    }
    return 0;
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, testutil_record_live, testutil_check_no_leak)

#endif /* COINFER_TESTUTIL_H */
