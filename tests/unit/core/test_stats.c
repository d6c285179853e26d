/*
 * test_stats.c — online statistics against known answers: Welford against the
 * two-pass formula, merge against one pass, P-square against exact quantiles,
 * window quantiles against sorting, batch means against a hand-computed
 * interval and its coverage on iid data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static void two_pass(const double *x, size_t n, double *mean, double *var)
{
    double m = 0, ss = 0;

    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = ss / (double)(n - 1);
}

/* ---- Welford ------------------------------------------------------------ */

static void test_stats_welford_matches_known_data_and_two_pass(void **unused)
{
    static const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    /* Far from zero: the naive sum-of-squares formula loses every digit here. */
    static const double far[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
    double data[1000], mean, var;
    struct core_stats s;
    struct core_rng *r = core_rng_create(1, 0, CORE_RNG_BENCH);

    core_stats_init(&s);
    for (size_t i = 0; i < ARRAY_LEN(x); i++)
        core_stats_add(&s, x[i]);
    assert_int_equal(s.n, 8);
    assert_near(s.mean, 5.0, 1e-15);
    assert_near(core_stats_variance(&s), 32.0 / 7, 1e-14);
    assert_near(core_stats_sd(&s), sqrt(32.0 / 7), 1e-14);
    assert_true(s.min == 2 && s.max == 9);

    core_stats_init(&s);
    for (size_t i = 0; i < ARRAY_LEN(far); i++)
        core_stats_add(&s, far[i]);
    assert_near(s.mean, 1e9 + 10, 1e-6);
    assert_near(core_stats_variance(&s), 30.0, 1e-6);

    assert_non_null(r);
    for (size_t i = 0; i < ARRAY_LEN(data); i++)
        data[i] = core_rng_lognormal(r, 3, 1.2);
    core_rng_destroy(r);
    core_stats_init(&s);
    for (size_t i = 0; i < ARRAY_LEN(data); i++)
        core_stats_add(&s, data[i]);
    two_pass(data, ARRAY_LEN(data), &mean, &var);
    assert_near(s.mean, mean, 1e-12 * mean);
    assert_near(core_stats_variance(&s), var, 1e-11 * var);
}

static void test_stats_empty_and_single_value(void **unused)
{
    struct core_stats s;

    core_stats_init(&s);
    assert_int_equal(s.n, 0);
    assert_true(isnan(core_stats_variance(&s)));
    assert_true(s.min == INFINITY && s.max == -INFINITY);
    core_stats_add(&s, -3.5);
    assert_true(s.mean == -3.5 && s.min == -3.5 && s.max == -3.5);
    assert_true(isnan(core_stats_variance(&s)));
    assert_true(isnan(core_stats_sd(&s)));
}

static void test_stats_merge_equals_single_pass(void **unused)
{
    static const size_t splits[] = {0, 1, 7, 500, 999, 1000};
    double data[1000];
    struct core_stats all;
    struct core_rng *r = core_rng_create(2, 0, CORE_RNG_BENCH);

    assert_non_null(r);
    for (size_t i = 0; i < ARRAY_LEN(data); i++)
        data[i] = core_rng_normal(r, 100, 15) + (i < 300 ? 50 : 0);
    core_rng_destroy(r);
    core_stats_init(&all);
    for (size_t i = 0; i < ARRAY_LEN(data); i++)
        core_stats_add(&all, data[i]);

    for (size_t k = 0; k < ARRAY_LEN(splits); k++) {
        struct core_stats a, b;

        core_stats_init(&a);
        core_stats_init(&b);
        for (size_t i = 0; i < splits[k]; i++)
            core_stats_add(&a, data[i]);
        for (size_t i = splits[k]; i < ARRAY_LEN(data); i++)
            core_stats_add(&b, data[i]);
        core_stats_merge(&a, &b);
        assert_int_equal(a.n, all.n);
        assert_near(a.mean, all.mean, 1e-12 * fabs(all.mean));
        assert_near(a.m2, all.m2, 1e-10 * all.m2);
        assert_true(a.min == all.min && a.max == all.max);
    }
}

/* ---- sorted quantiles and sorting --------------------------------------- */

static void test_stats_quantile_sorted_is_r_type_7(void **unused)
{
    static const double x[] = {1, 2, 3, 4};
    static const double one[] = {7.5};

    assert_near(core_quantile_sorted(x, 4, 0.0), 1.0, 0);
    assert_near(core_quantile_sorted(x, 4, 0.25), 1.75, 1e-15);
    assert_near(core_quantile_sorted(x, 4, 0.5), 2.5, 1e-15);
    assert_near(core_quantile_sorted(x, 4, 0.9), 3.7, 1e-15);
    assert_near(core_quantile_sorted(x, 4, 1.0), 4.0, 0);
    assert_near(core_quantile_sorted(one, 1, 0.3), 7.5, 0);
    assert_true(isnan(core_quantile_sorted(x, 0, 0.5)));
}

static void test_stats_sort_doubles_orders_and_puts_nan_last(void **unused)
{
    double x[] = {3, -1, NAN, 2.5, -INFINITY, 0, NAN, 1e300};
    static const double want[] = {-INFINITY, -1, 0, 2.5, 3, 1e300};

    core_sort_doubles(x, ARRAY_LEN(x));
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_true(x[i] == want[i]);
    assert_true(isnan(x[6]) && isnan(x[7]));
    core_sort_doubles(x, 0);
}

/* ---- P-square ----------------------------------------------------------- */

static void test_p2_is_exact_for_first_five_values(void **unused)
{
    static const double x[] = {5, 1, 4, 2, 3};
    struct core_p2 q;
    double sorted[5];

    core_p2_init(&q, 0.3);
    assert_true(isnan(core_p2_value(&q)));
    for (size_t n = 1; n <= 5; n++) {
        core_p2_add(&q, x[n - 1]);
        memcpy(sorted, x, n * sizeof(double));
        core_sort_doubles(sorted, n);
        assert_near(core_p2_value(&q), core_quantile_sorted(sorted, n, 0.3), 1e-15);
    }
    assert_near(core_p2_value(&q), 2.2, 1e-15);
}

/* The worked example of Jain & Chlamtac (1985), Table I: median of 20 values;
 * after the last one the markers stand at heights 0.02, 0.49, 4.44, 17.20,
 * 38.62 and positions 1, 6, 10, 16, 20 (heights printed to two decimals). */
static void test_p2_reproduces_jain_chlamtac_worked_example(void **unused)
{
    static const double x[] = {0.02, 0.15, 0.74,  3.39, 0.83, 22.37, 10.15,
                               15.43, 38.62, 15.92, 34.6, 10.28, 1.47, 0.4,
                               0.05, 11.39, 0.27, 0.42, 0.09, 11.37};
    static const double heights[] = {0.02, 0.49, 4.44, 17.20, 38.62};
    static const double positions[] = {1, 6, 10, 16, 20};
    struct core_p2 q;

    core_p2_init(&q, 0.5);
    for (size_t i = 0; i < ARRAY_LEN(x); i++)
        core_p2_add(&q, x[i]);
    for (int i = 0; i < 5; i++) {
        assert_near(q.q[i], heights[i], 0.005);
        assert_near(q.pos[i], positions[i], 0);
    }
    assert_near(core_p2_value(&q), 4.44, 0.005);
}

static void test_p2_tracks_normal_quantiles_within_tolerance(void **unused)
{
    static const double ps[] = {0.5, 0.95, 0.99};
    static const double tol[] = {0.01, 0.02, 0.04};
    const size_t n = 100000;
    double *x = malloc(n * sizeof(*x));
    struct core_p2 q[3];
    struct core_rng *r = core_rng_create(3, 0, CORE_RNG_BENCH);

    assert_non_null(x);
    assert_non_null(r);
    for (int k = 0; k < 3; k++)
        core_p2_init(&q[k], ps[k]);
    for (size_t i = 0; i < n; i++) {
        x[i] = core_rng_normal(r, 0, 1);
        for (int k = 0; k < 3; k++)
            core_p2_add(&q[k], x[i]);
    }
    core_sort_doubles(x, n);
    for (int k = 0; k < 3; k++) {
        double exact = core_quantile_sorted(x, n, ps[k]);

        print_message("p2 p=%.2f: %.5f, exact %.5f\n", ps[k], core_p2_value(&q[k]), exact);
        assert_near(core_p2_value(&q[k]), exact, tol[k]);
    }
    core_rng_destroy(r);
    free(x);
}

/* ---- sliding window ----------------------------------------------------- */

static void test_window_quantiles_match_sort_before_and_after_wrap(void **unused)
{
    static const double ps[] = {0, 0.1, 0.25, 0.5, 0.77, 0.9, 0.99, 1};
    struct core_window *w = core_window_create(5);
    double sorted[5];

    assert_non_null(w);
    assert_int_equal(core_window_count(w), 0);
    assert_true(isnan(core_window_quantile(w, 0.5)));
    assert_true(isnan(core_window_mean(w)));
    core_window_add(w, 30);
    core_window_add(w, 10);
    core_window_add(w, 20);
    assert_int_equal(core_window_count(w), 3);
    assert_near(core_window_quantile(w, 0.5), 20, 0);
    assert_near(core_window_quantile(w, 0.25), 15, 1e-12);
    assert_near(core_window_mean(w), 20, 1e-12);
    for (int v = 1; v <= 12; v++)
        core_window_add(w, v * v % 13); /* window: 12, 3, 9, 4, 1 (v = 8..12) */
    assert_int_equal(core_window_count(w), 5);
    assert_near(core_window_mean(w), 5.8, 1e-12);
    memcpy(sorted, (const double[]){12, 3, 9, 4, 1}, sizeof(sorted));
    core_sort_doubles(sorted, 5);
    for (size_t k = 0; k < ARRAY_LEN(ps); k++)
        assert_near(core_window_quantile(w, ps[k]), core_quantile_sorted(sorted, 5, ps[k]),
                    1e-12);
    assert_near(core_window_quantile(w, 0.5), 4, 0);
    core_window_destroy(w);
}

static void test_window_random_data_matches_sort_and_never_allocates(void **unused)
{
    const size_t cap = 1000, total = 5321;
    double *all = malloc(total * sizeof(*all)), *last = malloc(cap * sizeof(*last));
    struct core_window *w = core_window_create(cap);
    struct core_rng *r = core_rng_create(4, 0, CORE_RNG_BENCH);
    unsigned long allocs;

    assert_non_null(all);
    assert_non_null(last);
    assert_non_null(w);
    assert_non_null(r);
    for (size_t i = 0; i < total; i++)
        all[i] = i % 7 == 0 ? 1.0 : core_rng_exponential(r, 3.0); /* with ties */
    allocs = core_alloc_count();
    for (size_t i = 0; i < total; i++) {
        core_window_add(w, all[i]);
        if (i % 997 == 0 || i == total - 1) {
            size_t n = i + 1 < cap ? i + 1 : cap;

            memcpy(last, all + i + 1 - n, n * sizeof(*last));
            core_sort_doubles(last, n);
            for (double p = 0; p <= 1.0; p += 0.0625)
                assert_near(core_window_quantile(w, p), core_quantile_sorted(last, n, p),
                            1e-12);
        }
    }
    assert_int_equal(core_alloc_count(), allocs);
    core_window_destroy(w);
    core_rng_destroy(r);
    free(all);
    free(last);
}

static void test_window_create_fails_cleanly(void **unused)
{
    long live = core_alloc_live();

    core_alloc_fail_after(1);
    assert_null(core_window_create(100));
    assert_int_equal(core_alloc_live(), live);
    assert_null(core_window_create(SIZE_MAX / 4)); /* size overflow: refused, not wrapped */
    assert_int_equal(core_alloc_live(), live);
    core_window_destroy(NULL);
}

/* ---- batch means -------------------------------------------------------- */

static void test_batch_means_known_answer_drops_remainder_at_start(void **unused)
{
    static const double x[] = {100, 0, 0, 1, 1, 2, 2, 3, 3};
    double mean = 0, hw = 0;

    /* Batch means 0, 1, 2, 3: sd sqrt(5/3), t(0.975, 3) = 3.182446305 */
    assert_int_equal(core_batch_means(x, 9, 4, 0.95, &mean, &hw), CORE_OK);
    assert_near(mean, 1.5, 1e-15);
    assert_near(hw, 3.182446305284263 * sqrt(5.0 / 3) / 2, 1e-9);
    assert_int_equal(core_batch_means(x + 1, 8, 4, 0.95, &mean, &hw), CORE_OK);
    assert_near(mean, 1.5, 1e-15);
}

static void test_batch_means_iid_half_width_and_coverage(void **unused)
{
    const size_t n = 100000, reps = 1000, n_small = 1000;
    double *x = malloc(n * sizeof(*x)), mean, hw;
    struct core_rng *r = core_rng_create(5, 0, CORE_RNG_BENCH);
    size_t covered = 0;

    assert_non_null(x);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++)
        x[i] = core_rng_normal(r, 0, 1);
    assert_int_equal(core_batch_means(x, n, 100, 0.95, &mean, &hw), CORE_OK);
    /* t(0.975, 99) = 1.984; sd of the batch-mean sd estimate is 7% */
    print_message("batch means: half-width %.5f, 1.96 sd/sqrt(n) = %.5f\n", hw,
                  1.96 / sqrt((double)n));
    assert_near(hw, 1.984217 / sqrt((double)n), 0.2 * 1.984217 / sqrt((double)n));
    assert_near(mean, 0, 4 / sqrt((double)n));

    for (size_t k = 0; k < reps; k++) {
        for (size_t i = 0; i < n_small; i++)
            x[i] = core_rng_normal(r, 5, 2);
        assert_int_equal(core_batch_means(x, n_small, 10, 0.95, &mean, &hw), CORE_OK);
        covered += fabs(mean - 5) <= hw;
    }
    print_message("batch means: %zu of %zu intervals cover the mean\n", covered, reps);
    assert_true(covered >= 925 && covered <= 975); /* 0.95 +- 3.6 sd */
    core_rng_destroy(r);
    free(x);
}

static void test_batch_means_rejects_bad_input(void **unused)
{
    static const double x[] = {1, 2, 3, 4};
    double mean = -7, hw = -7;

    assert_int_equal(core_batch_means(x, 4, 1, 0.95, &mean, &hw), CORE_E_INPUT);
    assert_int_equal(core_batch_means(x, 4, 0, 0.95, &mean, &hw), CORE_E_INPUT);
    assert_int_equal(core_batch_means(x, 4, 5, 0.95, &mean, &hw), CORE_E_INPUT);
    assert_int_equal(core_batch_means(x, 0, 2, 0.95, &mean, &hw), CORE_E_INPUT);
    assert_int_equal(core_batch_means(x, 4, 2, 0.0, &mean, &hw), CORE_E_INPUT);
    assert_int_equal(core_batch_means(x, 4, 2, 1.0, &mean, &hw), CORE_E_INPUT);
    assert_int_equal(core_batch_means(x, 4, 2, NAN, &mean, &hw), CORE_E_INPUT);
    assert_true(mean == -7 && hw == -7); /* outputs untouched on error */
    assert_int_equal(core_batch_means(x, 4, 4, 0.9, &mean, &hw), CORE_OK);
    assert_near(mean, 2.5, 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_stats_welford_matches_known_data_and_two_pass),
        TEST(test_stats_empty_and_single_value),
        TEST(test_stats_merge_equals_single_pass),
        TEST(test_stats_quantile_sorted_is_r_type_7),
        TEST(test_stats_sort_doubles_orders_and_puts_nan_last),
        TEST(test_p2_is_exact_for_first_five_values),
        TEST(test_p2_reproduces_jain_chlamtac_worked_example),
        TEST(test_p2_tracks_normal_quantiles_within_tolerance),
        TEST(test_window_quantiles_match_sort_before_and_after_wrap),
        TEST(test_window_random_data_matches_sort_and_never_allocates),
        TEST(test_window_create_fails_cleanly),
        TEST(test_batch_means_known_answer_drops_remainder_at_start),
        TEST(test_batch_means_iid_half_width_and_coverage),
        TEST(test_batch_means_rejects_bad_input),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
