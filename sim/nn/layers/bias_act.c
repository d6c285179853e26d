/*
 * bias_act.c — the bias and activation pass after a convolution's GEMM:
 * rows of a (K, Ho Wo) output, each shifted by its channel's bias and
 * clamped, in place. The activations that are not clamps (sigmoid,
 * hardsigmoid, hardswish, silu) follow the bias row by row in act.c's
 * kernel.
 *
 * The same arithmetic as nn_bias_act (one add, then the activation's masks;
 * NaN becomes 0 under an activation), sixteen floats a step with the
 * activation chosen once per call rather than tested per element. On
 * x86-64 it is compiled for the baseline (SSE2) and for AVX2, and the AVX2
 * copy runs where the CPU has it (core/cpu.c); both give the same bits.
 */
#include "nn/nn_int.h"

/* *v = act(*v + *b); vectors through pointers, as a 32-byte vector passed
 * by value has an ABI of its own. */
static inline __attribute__((always_inline)) void bias_act8(nn_v8 *v, const nn_v8 *b,
                                                            enum nn_act act)
{
    const nn_v8 zero = {0}, six = {6, 6, 6, 6, 6, 6, 6, 6};

    *v += *b;
    if (act != NN_ACT_NONE)
        *v = (nn_v8)((nn_v8i)*v & (*v > zero));
    if (act == NN_ACT_RELU6) {
        nn_v8i lt = *v < six;
        *v = (nn_v8)(((nn_v8i)*v & lt) | ((nn_v8i)six & ~lt));
    }
}

/* One row of n floats, act a constant after inlining. */
static inline __attribute__((always_inline)) void row_bias_act(float *y, size_t n, float b,
                                                               enum nn_act act)
{
    const nn_v8 bv = {b, b, b, b, b, b, b, b};
    size_t i = 0;

    for (; i + 16 <= n; i += 16) {
        nn_v8 v0, v1;
        memcpy(&v0, y + i, sizeof(v0));
        memcpy(&v1, y + i + 8, sizeof(v1));
        bias_act8(&v0, &bv, act);
        bias_act8(&v1, &bv, act);
        memcpy(y + i, &v0, sizeof(v0));
        memcpy(y + i + 8, &v1, sizeof(v1));
    }
    nn_bias_act(y + i, y + i, n - i, b, act);
}

static inline __attribute__((always_inline)) void
rows_bias_act(float *y, size_t ld, uint32_t n_rows, size_t n, const float *bias, enum nn_act act)
{
    uint32_t k;

    for (k = 0; k < n_rows; k++) {
        const float b = bias != NULL ? bias[k] : 0.0f;
        if (act == NN_ACT_NONE)
            row_bias_act(y + k * ld, n, b, NN_ACT_NONE);
        else if (act == NN_ACT_RELU)
            row_bias_act(y + k * ld, n, b, NN_ACT_RELU);
        else
            row_bias_act(y + k * ld, n, b, NN_ACT_RELU6);
    }
}

static void rows_bias_act_base(float *y, size_t ld, uint32_t n_rows, size_t n, const float *bias,
                               enum nn_act act)
{
    rows_bias_act(y, ld, n_rows, n, bias, act);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void rows_bias_act_avx2(float *y, size_t ld, uint32_t n_rows,
                                                               size_t n, const float *bias,
                                                               enum nn_act act)
{
    rows_bias_act(y, ld, n_rows, n, bias, act);
}
#endif

/* The masks' activations (none, relu, relu6) in this file's pass. */
static void rows_masked(float *y, size_t ld, uint32_t n_rows, size_t n, const float *bias,
                        enum nn_act act)
{
    if (bias == NULL && act == NN_ACT_NONE)
        return;
#if defined(__x86_64__) && defined(__GNUC__)
    if (core_cpu_avx2()) {
        rows_bias_act_avx2(y, ld, n_rows, n, bias, act);
        return;
    }
#endif
    rows_bias_act_base(y, ld, n_rows, n, bias, act);
}

void nn_rows_bias_act(float *y, size_t ld, uint32_t n_rows, size_t n, const float *bias,
                      enum nn_act act)
{
    uint32_t k;

    if (act == NN_ACT_NONE || act == NN_ACT_RELU || act == NN_ACT_RELU6) {
        rows_masked(y, ld, n_rows, n, bias, act);
        return;
    }
    /* The others row by row, the bias pass and act.c's while the row is in
     * cache. */
    for (k = 0; k < n_rows; k++) {
        rows_masked(y + k * ld, ld, 1, n, bias != NULL ? bias + k : NULL, NN_ACT_NONE);
        nn_act_apply(y + k * ld, y + k * ld, n, act);
    }
}
