/*
 * test_encode.c — the feature encodings of a crossing tensor (sim/nn/encode.c):
 * fp16's codes against hand-computed IEEE binary16 values and every finite
 * half read back exactly; int8 and int4 within half a step of every value
 * with zero exact; top-k's choice (ties to the lower index) against a
 * sorting reference; byte counts; constant, all-zero and non-finite tensors;
 * parsing; and decoding rejecting bytes no encoder writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "testutil.h"

#define ETEST(f) cmocka_unit_test_setup_teardown(f, testutil_record_live, testutil_check_no_leak)

static const struct nn_encoding FP32 = {NN_ENC_FP32, 0}, FP16 = {NN_ENC_FP16, 0},
                                INT8 = {NN_ENC_INT8, 0}, INT4 = {NN_ENC_INT4, 0};

/* A fixed pseudo-random value in [lo, hi) (xorshift). */
static float draw(uint64_t *s, float lo, float hi)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return lo + (hi - lo) * (float)((*s >> 11) * 0x1.0p-53);
}

/* Encode x with enc, check the byte count, decode into y. */
static void round_trip(const struct nn_encoding *enc, const float *x, size_t n, float *y)
{
    const uint64_t bytes = nn_encoding_bytes(enc, n);
    uint8_t *buf = malloc(bytes + 1);
    float *ws = malloc((n + 1) * sizeof(*ws));

    assert_non_null(buf);
    assert_non_null(ws);
    assert_int_equal(nn_encode(enc, x, n, buf, ws), bytes);
    assert_true(nn_decode(enc, buf, n, y));
    free(ws);
    free(buf);
}

static void test_encode_fp32_keeps_every_bit(void **state)
{
    const float x[5] = {1.5f, -0.0f, FLT_MIN / 4, -FLT_MAX, 3.0e-7f};
    float y[5];

    (void)state;
    assert_int_equal(nn_encoding_bytes(&FP32, 5), 20);
    round_trip(&FP32, x, 5, y);
    assert_memory_equal(x, y, sizeof(x));
}

static void test_encode_fp16_gives_ieee_half_codes(void **state)
{
    static const struct {
        float f;
        uint16_t h;
    } cases[] = {
        {1.0f, 0x3c00},           {-2.0f, 0xc000},          {0.1f, 0x2e66},
        {65504.0f, 0x7bff},       {65519.0f, 0x7bff},       {65520.0f, 0x7bff}, /* saturates */
        {1e9f, 0x7bff},           {-1e9f, 0xfbff},          {0x1p-24f, 0x0001},
        {0x1p-25f, 0x0000},       {0x3p-25f, 0x0002},       {0x1p-14f, 0x0400},
        {1.0f + 0x1p-11f, 0x3c00}, {1.0f + 0x3p-11f, 0x3c02}, {0x1.ffep-15f, 0x0400},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const uint16_t h = nn_half_from_float(cases[i].f);

        if (h != cases[i].h)
            fail_msg("half of %a: 0x%04x, expected 0x%04x", (double)cases[i].f, h, cases[i].h);
    }
    assert_int_equal(nn_half_from_float(INFINITY), 0x7bff);
    assert_int_equal(nn_half_from_float(-INFINITY), 0xfbff);
    assert_int_equal(nn_half_from_float(NAN), 0);
}

static void test_encode_fp16_reads_every_finite_half_back_exactly(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00) /* infinities and NaNs: never written */
            continue;
        if (nn_half_from_float(nn_half_to_float((uint16_t)h)) != h)
            fail_msg("half 0x%04x read as %a", h, (double)nn_half_to_float((uint16_t)h));
    }
}

static void test_encode_fp16_round_trip_within_half_an_ulp(void **state)
{
    enum { N = 4000 };
    static float x[N], y[N];
    uint64_t s = 7;

    (void)state;
    for (size_t i = 0; i < N; i++)
        x[i] = draw(&s, -1000.0f, 1000.0f);
    assert_int_equal(nn_encoding_bytes(&FP16, N), 2 * N);
    round_trip(&FP16, x, N, y);
    for (size_t i = 0; i < N; i++)
        if (fabsf(x[i]) >= 0x1p-14f && fabsf(y[i] - x[i]) > fabsf(x[i]) * 0x1p-11f)
            fail_msg("fp16 of %g decoded %g", (double)x[i], (double)y[i]);
}

/* Check that y is within half a step of x for quantisation with levels
 * steps over x's range with zero. */
static void check_quant(const float *x, const float *y, size_t n, int levels)
{
    float lo = 0, hi = 0;
    double step;

    for (size_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    step = ((double)hi - lo) / levels;
    for (size_t i = 0; i < n; i++) {
        const double err = fabs((double)y[i] - x[i]);

        if (err > step / 2 * (1 + 1e-5) + 1e-7 * fabs((double)x[i]))
            fail_msg("value %zu: %g decoded %g, error %g > half a step %g", i, (double)x[i],
                     (double)y[i], err, step / 2);
        if (x[i] == 0 && y[i] != 0)
            fail_msg("value %zu: zero decoded %g", i, (double)y[i]);
    }
}

static void test_encode_int8_within_half_a_step_and_zero_exact(void **state)
{
    enum { N = 1001 };
    static float x[N], y[N];
    uint64_t s = 11;

    (void)state;
    for (size_t i = 0; i < N; i++)
        x[i] = i % 3 == 0 ? 0.0f : draw(&s, -3.0f, 5.0f);
    assert_int_equal(nn_encoding_bytes(&INT8, N), 5 + N);
    round_trip(&INT8, x, N, y);
    check_quant(x, y, N, 255);
    /* all positive (a ReLU's output): the range starts at zero */
    for (size_t i = 0; i < N; i++)
        x[i] = i % 2 ? 0.0f : draw(&s, 0.5f, 2.0f);
    round_trip(&INT8, x, N, y);
    check_quant(x, y, N, 255);
}

static void test_encode_int4_within_half_a_step_with_an_odd_count(void **state)
{
    enum { N = 7 };
    const float x[N] = {-1.0f, 0.0f, 0.3f, 2.0f, 1.1f, -0.45f, 0.7f};
    float y[N];

    (void)state;
    assert_int_equal(nn_encoding_bytes(&INT4, N), 5 + 4);
    round_trip(&INT4, x, N, y);
    check_quant(x, y, N, 15);
    /* the ends of the range are exact: -1 = -z s, 2 = (15 - z) s with s = 0.2, z = 5 */
    assert_float_equal(y[0], -1.0f, 1e-6);
    assert_float_equal(y[3], 2.0f, 1e-6);
}

static void test_encode_constant_and_zero_tensors(void **state)
{
    enum { N = 64 };
    const struct nn_encoding topk = {NN_ENC_TOPK, 0.25};
    const struct nn_encoding *encs[] = {&FP16, &INT8, &INT4, &topk};
    float x[N], y[N];

    (void)state;
    for (size_t k = 0; k < ARRAY_LEN(encs); k++) {
        for (size_t i = 0; i < N; i++)
            x[i] = 0.0f;
        round_trip(encs[k], x, N, y);
        for (size_t i = 0; i < N; i++)
            assert_true(y[i] == 0.0f);
    }
    for (size_t i = 0; i < N; i++)
        x[i] = -2.5f;
    round_trip(&INT8, x, N, y);
    for (size_t i = 0; i < N; i++)
        assert_float_equal(y[i], -2.5f, 1e-6);
    round_trip(&INT4, x, N, y);
    for (size_t i = 0; i < N; i++)
        assert_float_equal(y[i], -2.5f, 1e-6);
    round_trip(&FP16, x, N, y);
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == -2.5f);
    /* top-k of a constant: the first k, by the tie rule */
    round_trip(&topk, x, N, y);
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == (i < N / 4 ? -2.5f : 0.0f));
}

static void test_encode_never_decodes_nan_or_infinity(void **state)
{
    enum { N = 6 };
    const float x[N] = {NAN, INFINITY, -INFINITY, 1.0f, -3.0f, 0.0f};
    const struct nn_encoding topk = {NN_ENC_TOPK, 0.5};
    const struct nn_encoding *encs[] = {&FP16, &INT8, &INT4, &topk};
    float y[N];

    (void)state;
    for (size_t k = 0; k < ARRAY_LEN(encs); k++) {
        round_trip(encs[k], x, N, y);
        for (size_t i = 0; i < N; i++)
            if (!isfinite(y[i]))
                fail_msg("%s: value %zu decoded %g", nn_enc_kind_name(encs[k]->kind), i,
                         (double)y[i]);
    }
}

static void test_encode_topk_keeps_largest_magnitudes_ties_to_lower_index(void **state)
{
    const float x[7] = {0.1f, -5.0f, 3.0f, 0.0f, 3.0f, -3.0f, 2.0f};
    const float want[7] = {0, -5.0f, 3.0f, 0, 3.0f, 0, 0};
    const struct nn_encoding topk = {NN_ENC_TOPK, 3.0 / 7.0};
    float y[7];

    (void)state;
    assert_int_equal(nn_encoding_topk_count(&topk, 7), 3);
    assert_int_equal(nn_encoding_bytes(&topk, 7), 4 + 3 * (1 + 4));
    round_trip(&topk, x, 7, y);
    assert_memory_equal(y, want, sizeof(want));
}

static void test_encode_topk_of_all_is_lossless(void **state)
{
    enum { N = 200 };
    const struct nn_encoding all = {NN_ENC_TOPK, 1.0};
    float x[N], y[N];
    uint64_t s = 3;

    (void)state;
    for (size_t i = 0; i < N; i++)
        x[i] = draw(&s, -1.0f, 1.0f);
    assert_int_equal(nn_encoding_bytes(&all, N), 4 + N * 5);
    round_trip(&all, x, N, y);
    assert_memory_equal(x, y, sizeof(x));
}

/* The reference: indices sorted by magnitude descending, then index. */
static const float *ref_x;
static int by_magnitude(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const float u = fabsf(ref_x[i]), v = fabsf(ref_x[j]);

    return u > v ? -1 : u < v ? 1 : i < j ? -1 : i > j;
}

static void check_topk_against_sort(size_t n, double f, uint64_t seed, int distinct)
{
    const struct nn_encoding topk = {NN_ENC_TOPK, f};
    const size_t k = nn_encoding_topk_count(&topk, n);
    float *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y)), *want = calloc(n, sizeof(*want));
    size_t *order = malloc(n * sizeof(*order));
    uint64_t s = seed;

    assert_true(x && y && want && order);
    for (size_t i = 0; i < n; i++) {
        x[i] = distinct ? draw(&s, -4.0f, 4.0f) : (float)((int)draw(&s, 0.0f, 5.0f) - 2);
        order[i] = i;
    }
    ref_x = x;
    qsort(order, n, sizeof(*order), by_magnitude);
    for (size_t j = 0; j < k; j++)
        want[order[j]] = x[order[j]];
    round_trip(&topk, x, n, y);
    for (size_t i = 0; i < n; i++)
        if (y[i] != want[i])
            fail_msg("n %zu f %g: value %zu decoded %g, expected %g", n, f, i, (double)y[i],
                     (double)want[i]);
    free(order);
    free(want);
    free(y);
    free(x);
}

static void test_encode_topk_matches_a_sort_with_every_index_width(void **state)
{
    (void)state;
    check_topk_against_sort(30, 0.1, 1, 1);
    assert_int_equal(nn_encoding_topk_count(&(struct nn_encoding){NN_ENC_TOPK, 0.1}, 30), 3);
    check_topk_against_sort(256, 0.3, 2, 0); /* few distinct values: many ties */
    check_topk_against_sort(300, 0.25, 3, 1);
    assert_int_equal(nn_encoding_bytes(&(struct nn_encoding){NN_ENC_TOPK, 0.25}, 300),
                     4 + 75 * (2 + 4));
    check_topk_against_sort(5000, 0.05, 4, 0);
    check_topk_against_sort(70000, 0.01, 5, 1);
    assert_int_equal(nn_encoding_bytes(&(struct nn_encoding){NN_ENC_TOPK, 0.01}, 70000),
                     4 + 700 * (4 + 4));
    assert_int_equal(nn_encoding_topk_count(&(struct nn_encoding){NN_ENC_TOPK, 1e-6}, 10), 1);
    assert_int_equal(nn_encoding_topk_count(&(struct nn_encoding){NN_ENC_TOPK, 0.5}, 0), 0);
}

static void test_encode_parses_and_prints_encodings(void **state)
{
    static const char *const bad[] = {"", "int16", "topk", "topk:", "topk:0", "topk:-0.5",
                                      "topk:1.5", "topk:abc", "topk:0.5x", "FP32", "int8 "};
    struct nn_encoding enc;
    char text[32];

    (void)state;
    for (int k = 0; k < NN_ENC_TOPK; k++) {
        assert_true(nn_encoding_parse(nn_enc_kind_name((enum nn_enc_kind)k), &enc));
        assert_int_equal(enc.kind, k);
        nn_encoding_text(&enc, text, sizeof(text));
        assert_string_equal(text, nn_enc_kind_name((enum nn_enc_kind)k));
    }
    assert_true(nn_encoding_parse("topk:0.25", &enc));
    assert_int_equal(enc.kind, NN_ENC_TOPK);
    assert_true(enc.topk_fraction == 0.25);
    nn_encoding_text(&enc, text, sizeof(text));
    assert_string_equal(text, "topk:0.25");
    assert_true(nn_encoding_parse("topk:1", &enc));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (nn_encoding_parse(bad[i], &enc))
            fail_msg("'%s' parsed", bad[i]);
}

static void test_encode_decode_rejects_bytes_no_encoder_writes(void **state)
{
    const struct nn_encoding topk = {NN_ENC_TOPK, 0.5};
    const float x[4] = {1.0f, -2.0f, 3.0f, 0.5f};
    uint8_t buf[64];
    float y[4];

    (void)state;
    nn_encode(&INT8, x, 4, buf, NULL);
    memset(buf, 0, 4); /* scale 0 */
    assert_false(nn_decode(&INT8, buf, 4, y));
    memcpy(buf, &(float){NAN}, 4);
    assert_false(nn_decode(&INT8, buf, 4, y));
    nn_encode(&INT4, x, 4, buf, NULL);
    buf[4] = 16; /* zero point beyond 15 steps */
    assert_false(nn_decode(&INT4, buf, 4, y));

    float ws[4];
    nn_encode(&topk, x, 4, buf, ws); /* k 2, indices 1 and 2 */
    assert_true(nn_decode(&topk, buf, 4, y));
    buf[4] = 2; /* not ascending */
    assert_false(nn_decode(&topk, buf, 4, y));
    buf[4] = 9; /* out of range */
    assert_false(nn_decode(&topk, buf, 4, y));
    buf[4] = 1;
    buf[0] = 3; /* another count */
    assert_false(nn_decode(&topk, buf, 4, y));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ETEST(test_encode_fp32_keeps_every_bit),
        ETEST(test_encode_fp16_gives_ieee_half_codes),
        ETEST(test_encode_fp16_reads_every_finite_half_back_exactly),
        ETEST(test_encode_fp16_round_trip_within_half_an_ulp),
        ETEST(test_encode_int8_within_half_a_step_and_zero_exact),
        ETEST(test_encode_int4_within_half_a_step_with_an_odd_count),
        ETEST(test_encode_constant_and_zero_tensors),
        ETEST(test_encode_never_decodes_nan_or_infinity),
        ETEST(test_encode_topk_keeps_largest_magnitudes_ties_to_lower_index),
        ETEST(test_encode_topk_of_all_is_lossless),
        ETEST(test_encode_topk_matches_a_sort_with_every_index_width),
        ETEST(test_encode_parses_and_prints_encodings),
        ETEST(test_encode_decode_rejects_bytes_no_encoder_writes),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
