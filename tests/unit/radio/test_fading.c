/*
 * test_fading.c — the sum-of-sinusoids fading process (mean power 1, the
 * Clarke/Jakes autocorrelation J0(2 pi f_D tau) over realisations, Rician
 * fourth moment, continuity across a change of speed, coherence time) and
 * the shadowing AR(1) (marginal standard deviation and exponential
 * correlation in distance).
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

static void test_doppler_and_coherence_time(void **state)
{
    (void)state;
    /* 1.5 m/s at 3.5 GHz: 17.5 Hz; T_c = 0.423 / f_D. */
    double fd = radio_doppler_hz(1.5, 3.5e9);

    assert_near(fd, 17.5, 1e-12);
    assert_near(radio_fading_coherence_s(fd), 0.423 / 17.5, 1e-15);
    assert_true(isinf(radio_fading_coherence_s(0.0)));
}

static void test_rayleigh_has_mean_power_one_and_j0_autocorrelation(void **state)
{
    const int n_real = 4000;
    const double fd = 50.0, t0 = 0.37;
    const double lags_s[] = {0.0, 0.002, 0.005, 0.0077, 0.012, 0.02};
    double corr_re[6] = {0}, corr_im[6] = {0}, power = 0.0;

    (void)state;
    for (int k = 0; k < n_real; k++) {
        struct core_rng *r = core_rng_create(42, (uint64_t)k, CORE_RNG_FADING);
        struct radio_fading f;
        double re0, im0;

        radio_fading_init(&f, fd, -INFINITY, 0.0, r);
        radio_fading_gain(&f, t0, &re0, &im0);
        power += re0 * re0 + im0 * im0;
        for (size_t j = 0; j < ARRAY_LEN(lags_s); j++) {
            double re, im;

            radio_fading_gain(&f, t0 + lags_s[j], &re, &im);
            /* h(t + tau) conj(h(t)) */
            corr_re[j] += re * re0 + im * im0;
            corr_im[j] += im * re0 - re * im0;
        }
        core_rng_destroy(r);
    }
    power /= n_real;
    if (fabs(power - 1.0) > 0.05) {
        print_error("mean power %.4f, want 1\n", power);
        fail();
    }
    for (size_t j = 0; j < ARRAY_LEN(lags_s); j++) {
        double got = corr_re[j] / n_real, want = j0(2.0 * PI * fd * lags_s[j]);

        if (fabs(got - want) > 0.05 || fabs(corr_im[j] / n_real) > 0.05) {
            print_error("lag %g s: R = %.4f%+.4fj, want J0 = %.4f\n", lags_s[j], got,
                        corr_im[j] / n_real, want);
            fail();
        }
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_long_run_time_average_power_is_one(void **state)
{
    struct core_rng *r = core_rng_create(5, 1, CORE_RNG_FADING);
    struct radio_fading f;
    double sum = 0.0;
    const int n = 200000;

    (void)state;
    radio_fading_init(&f, 20.0, -INFINITY, 0.0, r);
    for (int i = 0; i < n; i++)
        sum += radio_fading_power(&f, i * 1e-3);
    if (fabs(sum / n - 1.0) > 0.03) {
        print_error("time-average power %.4f over %d ms, want 1\n", sum / n, n);
        fail();
    }
    core_rng_destroy(r);
}

static void test_rician_mean_power_one_and_k_factor_moment(void **state)
{
    const int n_real = 4000;
    const double k_db = 9.0, k = pow(10.0, 0.9);
    double m2 = 0.0, m4 = 0.0;

    (void)state;
    for (int i = 0; i < n_real; i++) {
        struct core_rng *r = core_rng_create(9, (uint64_t)i, CORE_RNG_FADING);
        struct radio_fading f;

        radio_fading_init(&f, 10.0, k_db, 0.0, r);
        for (int j = 0; j < 10; j++) {
            double p = radio_fading_power(&f, 0.5 * j);

            m2 += p;
            m4 += p * p;
        }
        core_rng_destroy(r);
    }
    m2 /= 10.0 * n_real;
    m4 /= 10.0 * n_real;
    /* Rician with unit power: E|h|^4 = (2 + 4K + K^2) / (1 + K)^2. */
    double want4 = (2.0 + 4.0 * k + k * k) / ((1.0 + k) * (1.0 + k));

    if (fabs(m2 - 1.0) > 0.02 || fabs(m4 - want4) > 0.03) {
        print_error("E|h|^2 = %.4f (want 1), E|h|^4 = %.4f (want %.4f)\n", m2, m4, want4);
        fail();
    }
}

static void test_speed_change_keeps_the_gain_continuous(void **state)
{
    struct core_rng *r = core_rng_create(5, 2, CORE_RNG_FADING);
    struct radio_fading f;
    double re0, im0, re1, im1, re2, im2;

    (void)state;
    radio_fading_init(&f, 30.0, 3.0, 1.0, r);
    radio_fading_gain(&f, 1.7, &re0, &im0);
    radio_fading_set_doppler(&f, 1.7, 80.0);
    radio_fading_gain(&f, 1.7, &re1, &im1);
    assert_true(fabs(re0 - re1) < 1e-9 && fabs(im0 - im1) < 1e-9);
    /* A static UE keeps its gain. */
    radio_fading_set_doppler(&f, 2.0, 0.0);
    radio_fading_gain(&f, 2.0, &re1, &im1);
    radio_fading_gain(&f, 50.0, &re2, &im2);
    assert_true(fabs(re2 - re1) < 1e-12 && fabs(im2 - im1) < 1e-12);
    core_rng_destroy(r);
}

static void test_shadowing_has_its_sd_and_exponential_correlation(void **state)
{
    struct core_rng *r = core_rng_create(8, 0, CORE_RNG_SHADOWING);
    struct radio_shadow s;
    const int n = 200000;
    const double step_m = 5.0;
    double prev, sum = 0.0, sum2 = 0.0, cross = 0.0;

    (void)state;
    radio_shadow_init(&s, 6.0, 50.0, r);
    prev = s.value_db;
    for (int i = 0; i < n; i++) {
        double v = radio_shadow_move(&s, step_m, r);

        sum += v;
        sum2 += v * v;
        cross += v * prev;
        prev = v;
    }
    double sd = sqrt(sum2 / n - (sum / n) * (sum / n));
    double rho = (cross / n) / (sum2 / n), want = exp(-step_m / 50.0);

    if (fabs(sd - 6.0) > 0.15 || fabs(rho - want) > 0.01) {
        print_error("sd %.3f dB (want 6), lag-%g m correlation %.4f (want %.4f)\n", sd, step_m,
                    rho, want);
        fail();
    }
    /* Standing still changes nothing. */
    double v = s.value_db;

    assert_true(radio_shadow_move(&s, 0.0, r) == v);
    core_rng_destroy(r);
}

/* The shared-coefficient step (a world's many links moving together) gives
 * radio_shadow_move's values bit for bit, over steps of several lengths. */
static void test_shadow_advance_matches_move_bit_for_bit(void **state)
{
    struct core_rng *ra = core_rng_create(9, 0, CORE_RNG_SHADOWING);
    struct core_rng *rb = core_rng_create(9, 0, CORE_RNG_SHADOWING);
    const double steps_m[] = {1.0, 0.37, 5.0, 1e-3, 120.0};
    struct radio_shadow s;
    double v;

    (void)state;
    radio_shadow_init(&s, 7.82, 13.0, ra);
    v = core_rng_normal(rb, 0.0, 7.82);
    assert_true(v == s.value_db);
    for (int i = 0; i < 1000; i++) {
        double d_m = steps_m[i % ARRAY_LEN(steps_m)];
        struct radio_shadow_step st = radio_shadow_step_for(d_m, 13.0);

        v = radio_shadow_advance(v, &st, 7.82, rb);
        if (v != radio_shadow_move(&s, d_m, ra)) {
            print_error("step %d (%g m): %.17g against %.17g\n", i, d_m, v, s.value_db);
            fail();
        }
    }
    core_rng_destroy(rb);
    core_rng_destroy(ra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doppler_and_coherence_time),
        cmocka_unit_test(test_rayleigh_has_mean_power_one_and_j0_autocorrelation),
        cmocka_unit_test(test_long_run_time_average_power_is_one),
        cmocka_unit_test(test_rician_mean_power_one_and_k_factor_moment),
        cmocka_unit_test(test_speed_change_keeps_the_gain_continuous),
        cmocka_unit_test(test_shadowing_has_its_sd_and_exponential_correlation),
        cmocka_unit_test(test_shadow_advance_matches_move_bit_for_bit),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
