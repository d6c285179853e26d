/*
 * test_dist.c — distributions on a stream: sample moments of 10^6 draws (fixed
 * streams) against their closed forms, with tolerances of about five standard
 * errors, plus tails and degenerate parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include <math.h>

#include <gsl/gsl_sf_bessel.h>

#include "core/core.h"

#define N_DRAWS 1000000

static struct core_rng *stream(uint64_t entity)
{
    struct core_rng *r = core_rng_create(20261124, entity, CORE_RNG_BENCH);

    assert_non_null(r);
    return r;
}

static void test_dist_exponential_mean_variance_and_tail(void **unused)
{
    struct core_rng *r = stream(1);
    struct core_stats s;
    long above_mean = 0;

    core_stats_init(&s);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = core_rng_exponential(r, 2.0);

        assert_true(x >= 0);
        above_mean += x > 2.0;
        core_stats_add(&s, x);
    }
    assert_near(s.mean, 2.0, 0.01);                     /* se 0.002 */
    assert_near(core_stats_variance(&s), 4.0, 0.06);    /* se 0.011 */
    assert_near((double)above_mean / N_DRAWS, exp(-1), 0.0025); /* se 0.00048 */
    assert_true(core_rng_exponential(r, 0) == 0);
    core_rng_destroy(r);
}

static void test_dist_normal_moments_and_ziggurat_tails(void **unused)
{
    struct core_rng *r = stream(2);
    struct core_stats s;
    double m3 = 0, m4 = 0;
    long beyond3 = 0, beyond4 = 0;

    core_stats_init(&s);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = core_rng_normal(r, 3.0, 2.0), z = (x - 3.0) / 2.0;

        core_stats_add(&s, x);
        m3 += z * z * z;
        m4 += z * z * z * z;
        beyond3 += fabs(z) > 3;
        beyond4 += fabs(z) > 4;
    }
    assert_near(s.mean, 3.0, 0.01);                     /* se 0.002 */
    assert_near(core_stats_variance(&s), 4.0, 0.03);    /* se 0.0057 */
    assert_near(m3 / N_DRAWS, 0.0, 0.012);              /* se 0.0024 */
    assert_near(m4 / N_DRAWS, 3.0, 0.025);              /* se 0.0049 */
    assert_near((double)beyond3 / N_DRAWS, 0.0026997961, 0.00026); /* se 5.2e-5 */
    assert_near((double)beyond4 / N_DRAWS, 6.3342e-5, 4e-5);       /* se 8e-6 */
    assert_true(core_rng_normal(r, -1.5, 0) == -1.5);
    core_rng_destroy(r);
}

static void test_dist_lognormal_moments(void **unused)
{
    const double mu = 0.5, sigma = 0.4;
    struct core_rng *r = stream(3);
    struct core_stats s, logs;

    core_stats_init(&s);
    core_stats_init(&logs);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = core_rng_lognormal(r, mu, sigma);

        assert_true(x > 0);
        core_stats_add(&s, x);
        core_stats_add(&logs, log(x));
    }
    assert_near(logs.mean, mu, 0.002);                  /* se 0.0004 */
    assert_near(core_stats_sd(&logs), sigma, 0.0015);   /* se 0.00028 */
    assert_near(s.mean, exp(mu + sigma * sigma / 2), 0.004); /* se 0.00074 */
    assert_near(core_stats_variance(&s), (exp(sigma * sigma) - 1) * exp(2 * mu + sigma * sigma),
                0.006);                                 /* se 0.0011 */
    core_rng_destroy(r);
}

static void test_dist_rayleigh_mean_and_power(void **unused)
{
    const double sigma = 1.5;
    struct core_rng *r = stream(4);
    struct core_stats s;
    double power = 0;

    core_stats_init(&s);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = core_rng_rayleigh(r, sigma);

        assert_true(x >= 0);
        core_stats_add(&s, x);
        power += x * x;
    }
    assert_near(s.mean, sigma * sqrt(M_PI / 2), 0.005);                 /* se 0.00098 */
    assert_near(core_stats_variance(&s), (4 - M_PI) / 2 * sigma * sigma, 0.006);
    assert_near(power / N_DRAWS, 2 * sigma * sigma, 0.025);             /* se 0.0045 */
    assert_true(core_rng_rayleigh(r, 0) == 0);
    core_rng_destroy(r);
}

/* E[R] = sigma sqrt(pi/2) L_{1/2}(-nu^2 / 2 sigma^2), with
 * L_{1/2}(x) = e^{x/2} [(1 - x) I0(-x/2) - x I1(-x/2)] (scaled Bessels). */
static double rician_mean(double nu, double sigma)
{
    double x = -nu * nu / (2 * sigma * sigma), y = -x / 2;

    return sigma * sqrt(M_PI / 2)
           * ((1 - x) * gsl_sf_bessel_I0_scaled(y) - x * gsl_sf_bessel_I1_scaled(y));
}

static void test_dist_rician_power_and_mean(void **unused)
{
    static const double cases[][2] = {{2.0, 0.5}, {1.0, 1.0}, {0.0, 0.8}}; /* nu, sigma */

    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        const double nu = cases[c][0], sigma = cases[c][1];
        struct core_rng *r = stream(5 + c);
        struct core_stats s;
        double power = 0, p4 = 0;

        core_stats_init(&s);
        for (int i = 0; i < N_DRAWS; i++) {
            double x = core_rng_rician(r, nu, sigma);

            assert_true(x >= 0);
            core_stats_add(&s, x);
            power += x * x;
            p4 += x * x * x * x;
        }
        /* se of the power is sqrt(4 sigma^2 nu^2 + 4 sigma^4) / 1000 <= 0.0023 */
        assert_near(power / N_DRAWS, nu * nu + 2 * sigma * sigma, 0.012);
        assert_near(p4 / N_DRAWS,
                    pow(nu, 4) + 8 * sigma * sigma * nu * nu + 8 * pow(sigma, 4), 0.12);
        assert_near(s.mean, rician_mean(nu, sigma), 0.005);
        if (nu == 0)
            assert_near(s.mean, sigma * sqrt(M_PI / 2), 0.005);
        core_rng_destroy(r);
    }
    {
        struct core_rng *r = stream(9);

        assert_true(core_rng_rician(r, 2.5, 0) == 2.5);
        core_rng_destroy(r);
    }
}

static void test_dist_poisson_mean_equals_variance(void **unused)
{
    static const double means[] = {0.3, 4.5, 1000.0};

    for (size_t c = 0; c < ARRAY_LEN(means); c++) {
        struct core_rng *r = stream(10 + c);
        struct core_stats s;
        long zeros = 0;

        core_stats_init(&s);
        for (int i = 0; i < N_DRAWS; i++) {
            uint64_t k = core_rng_poisson(r, means[c]);

            zeros += k == 0;
            core_stats_add(&s, (double)k);
        }
        /* se of the mean sqrt(m)/1000; of the variance sqrt(m + 2 m^2)/1000 */
        assert_near(s.mean, means[c], 5 * sqrt(means[c]) / 1000);
        assert_near(core_stats_variance(&s), means[c],
                    5 * sqrt(means[c] + 2 * means[c] * means[c]) / 1000);
        assert_near((double)zeros / N_DRAWS, exp(-means[c]), 0.0025);
        assert_int_equal(core_rng_poisson(r, 0), 0);
        core_rng_destroy(r);
    }
    assert_int_equal(core_alloc_live(), testutil_live_at_start);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_dist_exponential_mean_variance_and_tail),
        TEST(test_dist_normal_moments_and_ziggurat_tails),
        TEST(test_dist_lognormal_moments),
        TEST(test_dist_rayleigh_mean_and_power),
        TEST(test_dist_rician_power_and_mean),
        TEST(test_dist_poisson_mean_equals_variance),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
