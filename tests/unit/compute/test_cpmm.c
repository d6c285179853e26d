/*
 * test_cpmm.c — the CPMM's logic against hand-computed answers: the roofline
 * (compute-bound, memory-bound, overhead, amount scaling), the energy model,
 * measurements winning over the model, the conv2d features of each code
 * path (in place, im2col, strided, stem) and of pooling, the regression recovering known
 * coefficients from synthetic data, unsupported types flagged, the resource
 * declaration's checks, the cross-model check on an exact model, and every
 * out-of-memory path without leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "compute/compute.h"

/* Features of a conv2d (compute_cpmm_features). */
#define CONV_FEATURES 8

#define assert_rc(expr, want)                                                                      \
    do {                                                                                           \
        enum core_rc rc_ = (expr);                                                                 \
        if (rc_ != (want)) {                                                                       \
            print_error("%s returned %d, expected %d\n", #expr, (int)rc_, (int)(want));            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* A GPU: 1 TFLOP/s peak, 100 GB/s, 0.1 ms overhead, efficiency 0.5 (fc 0.25),
 * 5 W idle, 50 W active, runs everything but softmax. */
static void gpu(struct compute_resource *r)
{
    size_t t;

    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "gpu");
    r->kind = COMPUTE_RES_GPU;
    r->units = 1;
    r->peak_flops = 1e12;
    r->mem_bandwidth_bytes_per_s = 1e11;
    r->overhead_s = 1e-4;
    r->idle_power_w = 5.0;
    r->active_power_w = 50.0;
    for (t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++) {
        r->efficiency[t] = 0.5;
        r->supports[t] = t != COMPUTE_LAYER_SOFTMAX;
        r->bias[t] = 1.0;
    }
    r->efficiency[COMPUTE_LAYER_FC] = 0.25;
}

/* A 4-core CPU: 10 GFLOP/s per core, 20 GB/s, 20 W active, measured. */
static void cpu(struct compute_resource *r)
{
    size_t t;

    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "cpu");
    r->kind = COMPUTE_RES_CPU;
    r->units = 4;
    r->peak_flops = 1e10;
    r->mem_bandwidth_bytes_per_s = 2e10;
    r->active_power_w = 20.0;
    r->idle_power_w = 2.0;
    r->measured = true;
    for (t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++) {
        r->efficiency[t] = 1.0;
        r->supports[t] = true;
        r->bias[t] = 1.0;
    }
}

/* A measured host with no declared figures. */
static void host(struct compute_resource *r)
{
    cpu(r);
    snprintf(r->name, sizeof(r->name), "host");
    r->peak_flops = 0.0;
    r->mem_bandwidth_bytes_per_s = 0.0;
}

static struct compute_layer_desc layer(enum compute_layer_type t, double flops, double bytes)
{
    struct compute_layer_desc d;

    memset(&d, 0, sizeof(d));
    d.type = t;
    d.flops = flops;
    d.in_bytes = bytes / 2;
    d.out_bytes = bytes / 2;
    return d;
}

/* A conv layer of GEMM shape (m, n, k) with c_in input channels, kernel
 * area ka, stride and out_h output rows, reading in_elems input elements:
 * on the in-place path when 1x1 stride 1, else through an im2col matrix of
 * k x n elements. */
static struct compute_layer_desc conv_on(double m, double n, double k, double in_elems, uint32_t ka,
                                         uint32_t stride, uint32_t c_in, uint32_t out_h)
{
    struct compute_layer_desc d;

    memset(&d, 0, sizeof(d));
    d.type = COMPUTE_LAYER_CONV2D;
    d.gemm_m = m;
    d.gemm_n = n;
    d.gemm_k = k;
    d.gemm_count = 1;
    d.flops = 2 * m * n * k;
    d.in_bytes = 4 * in_elems;
    d.out_bytes = 4 * m * n;
    d.param_bytes = 4 * m * k;
    d.kernel_area = ka;
    d.kernel_h = ka == 1 ? 1 : 3;
    d.stride = stride;
    d.c_in = c_in;
    d.c_out = (uint32_t)m;
    d.out_h = out_h;
    d.im2col_elems = ka == 1 && stride == 1 ? 0.0 : k * n;
    return d;
}

/* A 3x3 stride-1 body conv (64 input channels, square output) of GEMM
 * shape (m, n, k). */
static struct compute_layer_desc conv(double m, double n, double k, double in_elems)
{
    return conv_on(m, n, k, in_elems, 9, 1, 64, (uint32_t)sqrt(n));
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    size_t i;

    for (i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* ---- roofline and energy ----------------------------------------------- */

static void test_roofline_compute_bound_adds_overhead(void **state)
{
    struct compute_resource r;
    const struct compute_layer_desc d = layer(COMPUTE_LAYER_CONV2D, 1e9, 1e6);

    (void)state;
    gpu(&r);
    /* 1e9 / (1e12 x 1 x 0.5) = 2 ms beats 1e6 / 1e11 = 10 us; + 0.1 ms. */
    assert_near(compute_roofline_s(&r, 1.0, &d), 2e-3 + 1e-4, 1e-15);
}

static void test_roofline_memory_bound(void **state)
{
    struct compute_resource r;
    const struct compute_layer_desc d = layer(COMPUTE_LAYER_RELU, 1e6, 1e9);

    (void)state;
    gpu(&r);
    /* 1e9 B / 1e11 B/s = 10 ms beats 1e6 / 5e11 = 2 us. */
    assert_near(compute_roofline_s(&r, 1.0, &d), 1e-2 + 1e-4, 1e-15);
}

static void test_roofline_share_scales_compute_and_bandwidth_of_an_accelerator(void **state)
{
    struct compute_resource r;
    const struct compute_layer_desc c = layer(COMPUTE_LAYER_FC, 1e9, 1e6);
    const struct compute_layer_desc m = layer(COMPUTE_LAYER_ADD, 0, 1e9);

    (void)state;
    gpu(&r);
    /* fc efficiency 0.25, share 0.5: 1e9 / (1e12 x 0.5 x 0.25) = 8 ms. */
    assert_near(compute_roofline_s(&r, 0.5, &c), 8e-3 + 1e-4, 1e-15);
    /* Half the bandwidth: 1e9 / 5e10 = 20 ms. */
    assert_near(compute_roofline_s(&r, 0.5, &m), 2e-2 + 1e-4, 1e-15);
}

static void test_roofline_cores_scale_compute_but_share_one_memory(void **state)
{
    struct compute_resource r;
    const struct compute_layer_desc c = layer(COMPUTE_LAYER_CONV2D, 4e9, 1e3);
    const struct compute_layer_desc m = layer(COMPUTE_LAYER_ADD, 0, 2e9);

    (void)state;
    cpu(&r);
    assert_near(compute_roofline_s(&r, 1.0, &c), 0.4, 1e-15);
    assert_near(compute_roofline_s(&r, 4.0, &c), 0.1, 1e-15);
    /* 2e9 B / 2e10 B/s whatever the cores. */
    assert_near(compute_roofline_s(&r, 1.0, &m), 0.1, 1e-15);
    assert_near(compute_roofline_s(&r, 4.0, &m), 0.1, 1e-15);
}

static void test_energy_is_active_power_of_the_part_used_times_latency(void **state)
{
    struct compute_resource g, c;

    (void)state;
    gpu(&g);
    cpu(&c);
    assert_near(compute_energy_j(&g, 1.0, 0.1), 5.0, 1e-12);
    assert_near(compute_energy_j(&g, 0.5, 0.1), 2.5, 1e-12);
    /* 2 of 4 cores at 20 W for 0.1 s. */
    assert_near(compute_energy_j(&c, 2.0, 0.1), 1.0, 1e-12);
}

/* ---- pricing ----------------------------------------------------------- */

static void test_declared_resource_is_priced_by_roofline_with_energy(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    size_t idx;

    (void)state;
    assert_non_null(c);
    gpu(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    q.resource = idx;
    q.amount = 1.0;
    q.layer = layer(COMPUTE_LAYER_CONV2D, 1e9, 1e6);
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_ROOFLINE);
    assert_near(reply.latency_s, 2.1e-3, 1e-15);
    assert_near(reply.energy_j, 50.0 * 2.1e-3, 1e-15);
    compute_cpmm_destroy(c);
}

static void test_unsupported_type_is_flagged_not_priced(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    size_t idx;

    (void)state;
    gpu(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    q.resource = idx;
    q.amount = 0.5;
    q.layer = layer(COMPUTE_LAYER_SOFTMAX, 4e3, 8e3);
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_UNSUPPORTED);
    assert_near(reply.latency_s, 0.0, 0.0);
    assert_near(reply.energy_j, 0.0, 0.0);
    assert_string_equal(compute_cpmm_source_name(reply.source), "unsupported");
    compute_cpmm_destroy(c);
}

static void test_measurement_wins_over_the_model_only_at_its_amount(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    size_t idx;

    (void)state;
    cpu(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    q.layer = layer(COMPUTE_LAYER_RELU, 1e6, 8e6);
    /* One profile: the fit is its core-seconds (0.8 ms x 2 cores), intercept only. */
    assert_rc(compute_cpmm_add_profile(c, idx, 2.0, "net/3", &q.layer, 8e-4, &e), CORE_OK);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    q.resource = idx;
    q.amount = 2.0;
    q.key = "net/3";
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_MEASURED);
    assert_near(reply.latency_s, 8e-4, 0.0);
    assert_near(reply.energy_j, 20.0 * 0.5 * 8e-4, 1e-15);
    /* Another amount: the regression, scaled ideally (1.6 ms core-seconds / 4). */
    q.amount = 4.0;
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_REGRESSION);
    assert_near(reply.latency_s, 4e-4, 1e-15);
    /* Another key: the regression. */
    q.amount = 2.0;
    q.key = "net/4";
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_REGRESSION);
    assert_near(reply.latency_s, 8e-4, 1e-15);
    compute_cpmm_destroy(c);
}

static void test_regression_recovers_known_coefficients_exactly(void **state)
{
    const double want[CONV_FEATURES] = {1e-11, 3e-10, 5e-10, 2e-10, 2e-6, 4e-10, 1e-10, 3e-10};
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    double x[COMPUTE_CPMM_MAX_FEATURES], coef[COMPUTE_CPMM_MAX_FEATURES];
    struct core_rng *rng = core_rng_create(7, 0, CORE_RNG_BENCH);
    size_t idx, n, i;

    (void)state;
    host(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    for (i = 0; i < 40; i++) {
        /* Body 3x3, in-place 1x1, strided 3x3 and stem convs in turn. */
        const uint32_t ka = i % 4 == 1 ? 1 : 9, stride = i % 4 >= 2 ? 2 : 1;
        struct compute_layer_desc d = conv_on(
            (double)(16 + core_rng_below(rng, 500)), (double)(49 + core_rng_below(rng, 10000)),
            (double)(9 + core_rng_below(rng, 4000)), (double)(1000 + core_rng_below(rng, 100000)),
            ka, stride, i % 4 == 3 ? 3 : 64, 1 + (uint32_t)core_rng_below(rng, 100));
        d.act = (enum compute_act)(i % 3 + 1); /* clamp, exp, hard in turn */
        assert_int_equal(compute_cpmm_features(&d, x), CONV_FEATURES);
        assert_rc(compute_cpmm_add_profile(c, idx, 1.0, NULL, &d, dot(want, x, CONV_FEATURES), &e),
                  CORE_OK);
    }
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    assert_true(compute_cpmm_coefficients(c, idx, COMPUTE_LAYER_CONV2D, coef, &n));
    assert_int_equal(n, CONV_FEATURES);
    for (i = 0; i < CONV_FEATURES; i++)
        assert_near(coef[i], want[i], 1e-9 * want[i]);
    assert_false(compute_cpmm_coefficients(c, idx, COMPUTE_LAYER_FC, coef, &n));
    /* An unseen layer: predicted as coef . features, on 2 cores half of it. */
    q.resource = idx;
    q.amount = 2.0;
    q.layer = conv(64, 3136, 576, 200704);
    compute_cpmm_features(&q.layer, x);
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_REGRESSION);
    assert_near(reply.latency_s, dot(want, x, CONV_FEATURES) / 2.0, 1e-9 * reply.latency_s);
    core_rng_destroy(rng);
    compute_cpmm_destroy(c);
}

static void test_conv_features_follow_its_code_path(void **state)
{
    /* Features: MACs, outputs, im2col elements, weights, im2col rows, B
     * elements packed, stem MACs, the activation pass's vector operations
     * (36 per 8 outputs through exp, 9 per 8 through a hardswish). */
    const struct compute_layer_desc body = conv_on(64, 3136, 576, 200704, 9, 1, 64, 56);
    const struct compute_layer_desc in_place = conv_on(96, 3136, 24, 75264, 1, 1, 24, 56);
    struct compute_layer_desc strided = conv_on(128, 784, 64, 200704, 1, 2, 64, 28);
    struct compute_layer_desc stem = conv_on(32, 12544, 27, 150528, 9, 2, 3, 112);
    double x[COMPUTE_CPMM_MAX_FEATURES];
    const double want_body[CONV_FEATURES] = {
        64.0 * 3136 * 576, 64.0 * 3136, 576.0 * 3136, 64.0 * 576, 576.0 * 56, 576.0 * 3136, 0, 0};
    const double want_in_place[CONV_FEATURES] = {
        96.0 * 3136 * 24, 96.0 * 3136, 0, 96.0 * 24, 0, 24.0 * 3136, 0, 0};
    const double want_strided[CONV_FEATURES] = {
        128.0 * 784 * 64, 128.0 * 784, 64.0 * 784, 128.0 * 64, 64.0 * 28, 64.0 * 784, 0,
        128.0 * 784 * 36 / 8};
    const double want_stem[CONV_FEATURES] = {32.0 * 12544 * 27, 32.0 * 12544, 27.0 * 12544,
                                             32.0 * 27,         27.0 * 112,   27.0 * 12544,
                                             32.0 * 12544 * 27, 32.0 * 12544 * 9 / 8};
    const double *want[4] = {want_body, want_in_place, want_strided, want_stem};
    const struct compute_layer_desc *d[4] = {&body, &in_place, &strided, &stem};
    size_t l, j;

    (void)state;
    strided.act = COMPUTE_ACT_EXP;
    stem.act = COMPUTE_ACT_HARD;
    for (l = 0; l < 4; l++) {
        assert_int_equal(compute_cpmm_features(d[l], x), CONV_FEATURES);
        for (j = 0; j < CONV_FEATURES; j++)
            if (x[j] != want[l][j]) {
                print_error("layer %zu feature %zu = %g, expected %g\n", l, j, x[j], want[l][j]);
                fail();
            }
    }
}

static void test_dwconv_features_count_tap_blocks_rows_and_activation(void **state)
{
    /* 3x3 stride-1 depthwise, 144 x 56 x 56 -> 144 x 54 x 54 (Wo 54: seven
     * blocks of 8), silu fused: tap multiply-adds of whole blocks, input
     * bytes copied, the activation's vector operations, rows, outputs,
     * planes, the call. */
    struct compute_layer_desc d;
    const double in_b = 4.0 * 144 * 56 * 56, outs = 144.0 * 54 * 54;
    const double want[7] = {144.0 * 54 * 56 * 9, in_b, outs * 36 / 8, 144.0 * 54, outs, 144, 1};
    double x[COMPUTE_CPMM_MAX_FEATURES];
    size_t j;

    (void)state;
    memset(&d, 0, sizeof(d));
    d.type = COMPUTE_LAYER_DWCONV;
    d.in_bytes = in_b;
    d.out_bytes = 4.0 * outs;
    d.gemm_m = 1;
    d.gemm_n = 54.0 * 54;
    d.gemm_k = 9;
    d.gemm_count = 144;
    d.kernel_area = 9;
    d.kernel_h = 3;
    d.stride = 1;
    d.c_in = d.c_out = d.groups = 144;
    d.out_h = 54;
    d.act = COMPUTE_ACT_EXP;
    assert_int_equal(compute_cpmm_features(&d, x), 7);
    for (j = 0; j < 7; j++)
        if (x[j] != want[j]) {
            print_error("feature %zu = %g, expected %g\n", j, x[j], want[j]);
            fail();
        }
    /* Without an activation pass its operations are 0, with a clamp too. */
    d.act = COMPUTE_ACT_CLAMP;
    compute_cpmm_features(&d, x);
    assert_true(x[2] == 0.0);
}

static void test_pool_features_count_row_calls_and_window_taps(void **state)
{
    /* 3x3 stride-2 max pooling, 64 x 112 x 112 -> 64 x 56 x 56. */
    struct compute_layer_desc d;
    const double in_b = 4.0 * 64 * 112 * 112, out_b = 4.0 * 64 * 56 * 56;
    const double want[5] = {64.0 * 56 * (3 + 2 * 3), in_b * 3 / 2, out_b * 3, 1, in_b + out_b};
    double x[COMPUTE_CPMM_MAX_FEATURES];
    size_t j;

    (void)state;
    memset(&d, 0, sizeof(d));
    d.type = COMPUTE_LAYER_MAXPOOL;
    d.in_bytes = in_b;
    d.out_bytes = out_b;
    d.kernel_area = 9;
    d.kernel_h = 3;
    d.stride = 2;
    d.c_in = d.c_out = 64;
    d.out_h = 56;
    assert_int_equal(compute_cpmm_features(&d, x), 5);
    for (j = 0; j < 5; j++)
        if (x[j] != want[j]) {
            print_error("feature %zu = %g, expected %g\n", j, x[j], want[j]);
            fail();
        }
}

static void test_regression_keeps_coefficients_non_negative(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct core_err e = {0};
    struct compute_layer_desc d;
    double coef[COMPUTE_CPMM_MAX_FEATURES];
    size_t idx, n, i;

    (void)state;
    host(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    /* Latency falling with size: an unconstrained fit has a negative slope. */
    for (i = 0; i < 12; i++) {
        d = layer(COMPUTE_LAYER_ADD, 0, 1e3 * (double)(i + 1));
        assert_rc(compute_cpmm_add_profile(c, idx, 1.0, NULL, &d, 1e-3 / (double)(i + 1), &e),
                  CORE_OK);
    }
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    assert_true(compute_cpmm_coefficients(c, idx, COMPUTE_LAYER_ADD, coef, &n));
    for (i = 0; i < n; i++)
        if (coef[i] < 0.0) {
            print_error("coef[%zu] = %g < 0\n", i, coef[i]);
            fail();
        }
    compute_cpmm_destroy(c);
}

static void test_family_fit_prices_types_never_profiled(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    struct compute_layer_desc d;
    size_t idx;

    (void)state;
    host(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    d = layer(COMPUTE_LAYER_RELU, 1e3, 8e3);
    assert_rc(compute_cpmm_add_profile(c, idx, 1.0, NULL, &d, 1e-5, &e), CORE_OK);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    q.resource = idx;
    q.amount = 1.0;
    q.layer = layer(COMPUTE_LAYER_SOFTMAX, 4e3, 8e3);
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_int_equal(reply.source, COMPUTE_CPMM_REGRESSION);
    assert_near(reply.latency_s, 1e-5, 1e-15);
    /* A depthwise conv has no family: nothing but its own profiles prices it. */
    q.layer = layer(COMPUTE_LAYER_DWCONV, 4e3, 8e3);
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "dwconv"));
    /* Reshape moves nothing: the overhead (0 here) without any profile. */
    q.layer = layer(COMPUTE_LAYER_RESHAPE, 0, 0);
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_OK);
    assert_near(reply.latency_s, 0.0, 0.0);
    compute_cpmm_destroy(c);
}

static void test_bad_requests_are_input_errors(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r, g;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    const struct compute_layer_desc d = layer(COMPUTE_LAYER_CONV2D, 1e6, 1e3);
    size_t idx, gi;

    (void)state;
    host(&r);
    gpu(&g);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_rc(compute_cpmm_add_resource(c, &g, &gi, &e), CORE_OK);
    assert_rc(compute_cpmm_add_profile(c, idx, 5.0, NULL, &d, 1e-3, &e), CORE_E_INPUT);
    assert_rc(compute_cpmm_add_profile(c, idx, 0.5, NULL, &d, 1e-3, &e), CORE_E_INPUT);
    assert_rc(compute_cpmm_add_profile(c, gi, 1.5, NULL, &d, 1e-3, &e), CORE_E_INPUT);
    assert_rc(compute_cpmm_add_profile(c, idx, 1.0, "k", &d, 0.0, &e), CORE_E_INPUT);
    assert_rc(compute_cpmm_add_profile(c, idx, 1.0, NULL, &d, NAN, &e), CORE_E_INPUT);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    q.resource = idx;
    q.layer = d;
    q.amount = 8.0;
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "outside 1..4"));
    q.resource = gi;
    q.amount = 0.0;
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_E_INPUT);
    /* Nothing profiled and nothing declared: cannot be priced. */
    q.resource = idx;
    q.amount = 1.0;
    assert_rc(compute_cpmm_predict(c, &q, &reply, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "conv2d"));
    compute_cpmm_destroy(c);
}

/* ---- the truth --------------------------------------------------------- */

/* compute_cpmm_truth is the prediction times the resource's bias for the
 * layer's type, latency and energy alike, bit for bit the prediction at
 * bias 1; an unsupported type stays unsupported. */
static void test_truth_is_the_prediction_times_the_declared_bias(void **state)
{
    struct compute_resource r;
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply pred, truth;
    struct core_err e = {0};
    size_t idx;

    (void)state;
    assert_non_null(c);
    gpu(&r);
    r.bias[COMPUTE_LAYER_CONV2D] = 1.25;
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    assert_true(compute_cpmm_biased(c));
    q.resource = idx;
    q.amount = 1.0;
    q.layer = layer(COMPUTE_LAYER_CONV2D, 1e9, 1e6);
    assert_rc(compute_cpmm_predict(c, &q, &pred, &e), CORE_OK);
    assert_rc(compute_cpmm_truth(c, &q, &truth, &e), CORE_OK);
    assert_int_equal(truth.source, COMPUTE_CPMM_ROOFLINE);
    assert_near(truth.latency_s, 1.25 * pred.latency_s, 1e-18);
    assert_near(truth.energy_j, 1.25 * pred.energy_j, 1e-15);
    q.layer = layer(COMPUTE_LAYER_FC, 1e6, 1e6); /* bias 1: the same bits */
    assert_rc(compute_cpmm_predict(c, &q, &pred, &e), CORE_OK);
    assert_rc(compute_cpmm_truth(c, &q, &truth, &e), CORE_OK);
    assert_memory_equal(&truth, &pred, sizeof(truth));
    q.layer = layer(COMPUTE_LAYER_SOFTMAX, 1e3, 1e3); /* the GPU does not run it */
    assert_rc(compute_cpmm_truth(c, &q, &truth, &e), CORE_OK);
    assert_int_equal(truth.source, COMPUTE_CPMM_UNSUPPORTED);
    q.amount = 2.0; /* errors as the prediction's */
    assert_rc(compute_cpmm_truth(c, &q, &truth, &e), CORE_E_INPUT);
    compute_cpmm_destroy(c);
    /* no bias anywhere: the truth is the prediction */
    c = compute_cpmm_create();
    assert_non_null(c);
    gpu(&r);
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_false(compute_cpmm_biased(c));
    compute_cpmm_destroy(c);
}

/* A resource with stored profiles (a scenario's profile="FILE#KEY"): the
 * truth asked with a layer's key is its measurement (times the bias), the
 * prediction asked without it the regression fitted on the measurements;
 * once a profile is added the truth may differ from the prediction. */
static void test_truth_under_a_key_is_the_measurement_prediction_the_regression(void **state)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply pred, truth;
    struct core_err e = {0};
    size_t idx;

    (void)state;
    host(&r);
    r.units = 1;
    r.bias[COMPUTE_LAYER_FC] = 2.0;
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_true(compute_cpmm_biased(c)); /* the fc bias */
    r.bias[COMPUTE_LAYER_FC] = 1.0;
    compute_cpmm_destroy(c);
    c = compute_cpmm_create();
    assert_rc(compute_cpmm_add_resource(c, &r, &idx, &e), CORE_OK);
    assert_false(compute_cpmm_biased(c));
    /* Two relus of 1 and 3 MB measured at 1.0 and 2.0 ms: no line through
     * the origin fits both, so the regression misses each. */
    q.layer = layer(COMPUTE_LAYER_RELU, 1e6, 1e6);
    assert_rc(compute_cpmm_add_profile(c, idx, 1.0, "net/0", &q.layer, 1e-3, &e), CORE_OK);
    q.layer = layer(COMPUTE_LAYER_RELU, 3e6, 3e6);
    assert_rc(compute_cpmm_add_profile(c, idx, 1.0, "net/1", &q.layer, 2e-3, &e), CORE_OK);
    assert_rc(compute_cpmm_fit(c, &e), CORE_OK);
    assert_true(compute_cpmm_biased(c));
    q.resource = idx;
    q.amount = 1.0;
    q.key = NULL; /* what deciders are told */
    assert_rc(compute_cpmm_predict(c, &q, &pred, &e), CORE_OK);
    assert_int_equal(pred.source, COMPUTE_CPMM_REGRESSION);
    q.key = "net/1"; /* what the world executes */
    assert_rc(compute_cpmm_truth(c, &q, &truth, &e), CORE_OK);
    assert_int_equal(truth.source, COMPUTE_CPMM_MEASURED);
    assert_near(truth.latency_s, 2e-3, 0.0);
    assert_near(truth.energy_j, 20.0 * 2e-3, 1e-15); /* all of its one core */
    assert_true(fabs(pred.latency_s - truth.latency_s) > 1e-5);
    compute_cpmm_destroy(c);
}

/* ---- the resource declaration ----------------------------------------- */

static enum core_rc set_knobs(struct compute_resource_config *cfg, const char *const *kv, size_t n)
{
    struct core_err e = {0};
    char why[256];
    size_t i;

    if (core_knobs_defaults(&compute_resource_knobs, cfg, &e) != CORE_OK)
        return CORE_E_INPUT;
    for (i = 0; i < n; i += 2) {
        const struct core_knob *k = core_knob_find(&compute_resource_knobs, kv[i]);
        if (!k || core_knob_set(k, kv[i + 1], cfg, why, sizeof(why)) != CORE_OK)
            return CORE_E_INPUT;
    }
    return CORE_OK;
}

static void test_resource_declaration_resolves_units_types_and_efficiencies(void **state)
{
    static const char *const kv[] = {"name",
                                     "npu0",
                                     "kind",
                                     "npu",
                                     "peak",
                                     "4 TFLOPS",
                                     "memory-bandwidth",
                                     "200 Gbps",
                                     "overhead",
                                     "50 us",
                                     "idle-power",
                                     "500 mW",
                                     "active-power",
                                     "3 W",
                                     "efficiency",
                                     "0.6",
                                     "efficiency-by-type",
                                     "fc=0.2 dwconv=0.3",
                                     "supports",
                                     "conv2d dwconv fc relu",
                                     "bias",
                                     "1.5",
                                     "bias-by-type",
                                     "fc=0.5 conv2d=2"};
    struct compute_resource_config cfg;
    struct compute_resource r;
    struct core_err e = {0};

    (void)state;
    assert_rc(set_knobs(&cfg, kv, ARRAY_LEN(kv)), CORE_OK);
    assert_rc(compute_resource_from_config(&cfg, &r, &e), CORE_OK);
    assert_string_equal(r.name, "npu0");
    assert_int_equal(r.kind, COMPUTE_RES_NPU);
    assert_near(r.peak_flops, 4e12, 0.0);
    assert_near(r.mem_bandwidth_bytes_per_s, 25e9, 1e-3);
    assert_near(r.overhead_s, 50e-6, 1e-18);
    assert_near(r.idle_power_w, 0.5, 1e-15);
    assert_near(r.efficiency[COMPUTE_LAYER_CONV2D], 0.6, 0.0);
    assert_near(r.efficiency[COMPUTE_LAYER_FC], 0.2, 0.0);
    assert_near(r.efficiency[COMPUTE_LAYER_DWCONV], 0.3, 0.0);
    assert_true(r.supports[COMPUTE_LAYER_RELU]);
    assert_false(r.supports[COMPUTE_LAYER_SOFTMAX]);
    assert_false(r.measured);
    assert_near(r.bias[COMPUTE_LAYER_CONV2D], 2.0, 0.0);
    assert_near(r.bias[COMPUTE_LAYER_FC], 0.5, 0.0);
    assert_near(r.bias[COMPUTE_LAYER_RELU], 1.5, 0.0);
    /* undeclared, the truth is the prediction */
    assert_rc(set_knobs(&cfg, kv, 2), CORE_OK);
    cfg.measured = true;
    assert_rc(compute_resource_from_config(&cfg, &r, &e), CORE_OK);
    for (size_t t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++)
        assert_near(r.bias[t], 1.0, 0.0);
}

static void test_resource_declaration_errors_name_the_resource(void **state)
{
    static const char *const bad_type[] = {
        "name", "n", "peak", "1 TFLOPS", "memory-bandwidth", "8 Gbps", "supports", "conv3d"};
    static const char *const bad_eff[] = {
        "name",  "n", "peak", "1 TFLOPS", "memory-bandwidth", "8 Gbps", "efficiency-by-type",
        "fc=1.5"};
    static const char *const no_eq[] = {
        "name", "n", "peak", "1 TFLOPS", "memory-bandwidth", "8 Gbps", "efficiency-by-type", "fc"};
    static const char *const eff_type[] = {
        "name",    "n", "peak", "1 TFLOPS", "memory-bandwidth", "8 Gbps", "efficiency-by-type",
        "lstm=0.5"};
    static const char *const gpu_units[] = {
        "name", "n", "kind", "gpu", "units", "2", "peak", "1 TFLOPS", "memory-bandwidth", "8 Gbps"};
    static const char *const undeclared[] = {"name", "n"};
    static const char *const power[] = {"name",       "n",   "measured",     "true",
                                        "idle-power", "5 W", "active-power", "1 W"};
    static const char *const host_ok[] = {"name", "n", "measured", "true", "units", "2"};
    static const char *const bias_zero[] = {"name", "n", "measured", "true", "bias-by-type",
                                            "fc=0"};
    static const char *const bias_big[] = {"name", "n", "measured", "true", "bias-by-type",
                                           "conv2d=2000"};
    static const char *const bias_type[] = {"name", "n", "measured", "true", "bias-by-type",
                                            "lstm=2"};
    static const char *const bias_text[] = {"name", "n", "measured", "true", "bias-by-type",
                                            "fc=slow"};
    static const char *const no_hash[] = {"name", "n", "profile", "hosts.db"};
    static const char *const no_key[] = {"name", "n", "profile", "hosts.db#"};
    static const char *const no_file[] = {"name", "n", "profile", "#amd-epyc:haswell:1t"};
    static const char *const both[] = {"name", "n", "measured", "true", "profile", "h.db#k"};
    const char *const *cases[] = {bad_type,   bad_eff,  no_eq,    eff_type,  gpu_units,
                                  undeclared, power,    bias_zero, bias_big, bias_type,
                                  bias_text,  no_hash,  no_key,   no_file,   both};
    const size_t lens[] = {ARRAY_LEN(bad_type),  ARRAY_LEN(bad_eff),   ARRAY_LEN(no_eq),
                           ARRAY_LEN(eff_type),  ARRAY_LEN(gpu_units), ARRAY_LEN(undeclared),
                           ARRAY_LEN(power),     ARRAY_LEN(bias_zero), ARRAY_LEN(bias_big),
                           ARRAY_LEN(bias_type), ARRAY_LEN(bias_text), ARRAY_LEN(no_hash),
                           ARRAY_LEN(no_key),    ARRAY_LEN(no_file),   ARRAY_LEN(both)};
    static const char *const profiled[] = {"name", "n", "profile", "dir#x/hosts.db#a:b:1t"};
    char file[CORE_KNOB_STRING_MAX], key[CORE_KNOB_STRING_MAX];
    struct compute_resource_config cfg;
    struct compute_resource r;
    struct core_err e = {0};
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        assert_rc(set_knobs(&cfg, cases[i], lens[i]), CORE_OK);
        assert_rc(compute_resource_from_config(&cfg, &r, &e), CORE_E_INPUT);
        assert_non_null(strstr(e.msg, "resource 'n'"));
    }
    assert_rc(set_knobs(&cfg, host_ok, ARRAY_LEN(host_ok)), CORE_OK);
    assert_rc(compute_resource_from_config(&cfg, &r, &e), CORE_OK);
    assert_true(r.measured);
    assert_int_equal(r.units, 2);
    assert_true(r.supports[COMPUTE_LAYER_SOFTMAX]);
    /* a stored profile stands for the declared figures; FILE#KEY splits at the last '#' */
    assert_rc(set_knobs(&cfg, profiled, ARRAY_LEN(profiled)), CORE_OK);
    assert_rc(compute_resource_from_config(&cfg, &r, &e), CORE_OK);
    assert_false(r.measured);
    assert_true(compute_resource_profile_split(cfg.profile, file, key));
    assert_string_equal(file, "dir#x/hosts.db");
    assert_string_equal(key, "a:b:1t");
    assert_false(compute_resource_profile_split("hosts.db", file, key));
}

static void test_layer_type_names_round_trip(void **state)
{
    enum compute_layer_type t, u;

    (void)state;
    for (t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++) {
        assert_true(compute_layer_type_find(compute_layer_type_name(t), &u));
        assert_int_equal(u, t);
    }
    assert_false(compute_layer_type_find("conv3d", &u));
    assert_string_equal(compute_resource_kind_name(COMPUTE_RES_DSP), "dsp");
}

/* ---- the cross-model check --------------------------------------------- */

#define CHECK_LAYERS 30

struct check_data {
    struct compute_layer_desc d[3][CHECK_LAYERS];
    double t_s[3][CHECK_LAYERS];
    struct compute_cpmm_check_model m[3];
};

/* Three models of conv layers whose latencies follow one exact linear
 * model, plus one layer under the floor that must not be counted. */
static void make_check_data(struct check_data *cd)
{
    const double want[CONV_FEATURES] = {1e-11, 3e-10, 5e-10, 2e-10, 2e-6, 4e-10, 1e-10, 3e-10};
    struct core_rng *rng = core_rng_create(11, 0, CORE_RNG_BENCH);
    double x[COMPUTE_CPMM_MAX_FEATURES];
    size_t j, i;

    for (j = 0; j < 3; j++) {
        for (i = 0; i < CHECK_LAYERS; i++) {
            cd->d[j][i] = conv((double)(16 + core_rng_below(rng, 500)),
                               (double)(49 + core_rng_below(rng, 10000)),
                               (double)(9 + core_rng_below(rng, 4000)),
                               (double)(1000 + core_rng_below(rng, 100000)));
            compute_cpmm_features(&cd->d[j][i], x);
            cd->t_s[j][i] = dot(want, x, CONV_FEATURES);
        }
        cd->d[j][0] = layer(COMPUTE_LAYER_RELU, 10, 80);
        cd->t_s[j][0] = 1e-7;
        cd->m[j].name = "m";
        cd->m[j].layers = cd->d[j];
        cd->m[j].latency_s = cd->t_s[j];
        cd->m[j].n_layers = CHECK_LAYERS;
        cd->m[j].predicted_s = NULL;
    }
    core_rng_destroy(rng);
}

static void test_check_on_an_exact_model_predicts_every_layer(void **state)
{
    struct check_data cd;
    struct compute_cpmm_check_result per[3], all;
    struct core_err e = {0};
    size_t j;

    (void)state;
    make_check_data(&cd);
    assert_rc(compute_cpmm_check(cd.m, 3, 0.10, 1e-6, per, &all, &e), CORE_OK);
    for (j = 0; j < 3; j++) {
        assert_int_equal(per[j].n_counted, CHECK_LAYERS - 1);
        assert_int_equal(per[j].n_within, CHECK_LAYERS - 1);
        assert_int_equal(per[j].n_unpriced, 0);
        assert_near(per[j].median_rel_error, 0.0, 1e-9);
    }
    assert_int_equal(all.n_counted, 3 * (CHECK_LAYERS - 1));
    assert_near(all.share_within, 1.0, 0.0);
    /* Asked for, each counted layer's prediction comes back (NAN for the
     * relu under the floor). */
    double pred[CHECK_LAYERS];
    cd.m[1].predicted_s = pred;
    assert_rc(compute_cpmm_check(cd.m, 3, 0.10, 1e-6, per, &all, &e), CORE_OK);
    assert_true(isnan(pred[0]));
    for (j = 1; j < CHECK_LAYERS; j++)
        assert_near(pred[j], cd.t_s[1][j], 1e-9 * cd.t_s[1][j]);
    cd.m[1].predicted_s = NULL;
    /* With the floor at 0 the relus count too, priced by the others'. */
    assert_rc(compute_cpmm_check(cd.m, 3, 0.10, 0.0, per, &all, &e), CORE_OK);
    assert_int_equal(all.n_counted, 3 * CHECK_LAYERS);
    assert_int_equal(all.n_within, 3 * CHECK_LAYERS);
    assert_rc(compute_cpmm_check(cd.m, 1, 0.10, 0.0, per, &all, &e), CORE_E_INPUT);
}

/* ---- out of memory ----------------------------------------------------- */

/* One full round: create, add, profile 40 layers (so the sample array
 * grows), fit, predict. */
static enum core_rc full_round(void)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r, g;
    struct compute_cpmm_request q = {0};
    struct compute_cpmm_reply reply;
    struct core_err e = {0};
    enum core_rc rc = CORE_OK;
    size_t idx, i, k;

    if (!c)
        return CORE_E_NOMEM;
    host(&r);
    gpu(&g);
    for (k = 0; k < 5 && rc == CORE_OK; k++)
        rc = compute_cpmm_add_resource(c, k % 2 ? &g : &r, &idx, &e);
    for (i = 0; i < 80 && rc == CORE_OK; i++) {
        const struct compute_layer_desc d = conv(16.0 + (double)i, 100.0 + (double)(i * i),
                                                 9.0 + (double)(7 * i % 50), 1e3 * (double)i);
        rc = compute_cpmm_add_profile(c, 0, 1.0, NULL, &d, 1e-6 * (double)(i + 1), &e);
    }
    if (rc == CORE_OK)
        rc = compute_cpmm_fit(c, &e);
    if (rc == CORE_OK) {
        q.amount = 1.0;
        q.layer = conv(64, 3136, 576, 200704);
        rc = compute_cpmm_predict(c, &q, &reply, &e);
    }
    compute_cpmm_destroy(c);
    return rc;
}

static void test_every_allocation_failure_is_nomem_without_leaks(void **state)
{
    struct check_data cd;
    struct compute_cpmm_check_result all;
    struct core_err e = {0};
    enum core_rc rc;
    unsigned long k;
    bool done = false;

    (void)state;
    for (k = 1; !done; k++) {
        assert_true(k < 1000);
        core_alloc_fail_after(k);
        rc = full_round();
        core_alloc_fail_after(0);
        done = rc == CORE_OK;
        if (!done)
            assert_int_equal(rc, CORE_E_NOMEM);
    }
    make_check_data(&cd);
    for (k = 1, done = false; !done; k++) {
        assert_true(k < 1000);
        core_alloc_fail_after(k);
        rc = compute_cpmm_check(cd.m, 3, 0.1, 0.0, NULL, &all, &e);
        core_alloc_fail_after(0);
        done = rc == CORE_OK;
        if (!done)
            assert_int_equal(rc, CORE_E_NOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_roofline_compute_bound_adds_overhead),
        TEST(test_roofline_memory_bound),
        TEST(test_roofline_share_scales_compute_and_bandwidth_of_an_accelerator),
        TEST(test_roofline_cores_scale_compute_but_share_one_memory),
        TEST(test_energy_is_active_power_of_the_part_used_times_latency),
        TEST(test_declared_resource_is_priced_by_roofline_with_energy),
        TEST(test_unsupported_type_is_flagged_not_priced),
        TEST(test_measurement_wins_over_the_model_only_at_its_amount),
        TEST(test_regression_recovers_known_coefficients_exactly),
        TEST(test_conv_features_follow_its_code_path),
        TEST(test_dwconv_features_count_tap_blocks_rows_and_activation),
        TEST(test_pool_features_count_row_calls_and_window_taps),
        TEST(test_regression_keeps_coefficients_non_negative),
        TEST(test_family_fit_prices_types_never_profiled),
        TEST(test_bad_requests_are_input_errors),
        TEST(test_truth_is_the_prediction_times_the_declared_bias),
        TEST(test_truth_under_a_key_is_the_measurement_prediction_the_regression),
        TEST(test_resource_declaration_resolves_units_types_and_efficiencies),
        TEST(test_resource_declaration_errors_name_the_resource),
        TEST(test_layer_type_names_round_trip),
        TEST(test_check_on_an_exact_model_predicts_every_layer),
        TEST(test_every_allocation_failure_is_nomem_without_leaks),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
