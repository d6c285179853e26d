/*
 * ref_nn.h — naive reference kernels for sim/nn's tests, written straight
 * from the definitions (loops over every index, sums in double), plus the
 * comparison metric and random fills. Only tests include this file.
 *
 * Tensors are float32 (N, C, H, W) row-major, as in sim/nn.
 *
 * Metric: rel_err(a, b) = max_i |a_i - b_i| / max(max_j |b_j|, 1e-3), the
 * largest deviation from the reference relative to the reference's largest
 * magnitude (elementwise relative error would blow up on outputs that cancel
 * to near zero, which sums of random products do).
 */
#ifndef COINFER_TESTS_REF_NN_H
#define COINFER_TESTS_REF_NN_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "nn/nn.h"

static inline size_t ref_elems(const struct nn_shape *s)
{
    return (size_t)s->n * s->c * s->h * s->w;
}

static inline double ref_rel_err(const float *a, const float *b, size_t n)
{
    double scale = 1e-3, worst = 0.0;
    size_t i;

    for (i = 0; i < n; i++)
        if (fabs(b[i]) > scale)
            scale = fabs(b[i]);
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst))
            worst = d; /* NaN sticks */
    }
    return worst / scale;
}

static inline void ref_fill(float *x, size_t n, struct core_rng *r, double lo, double hi)
{
    size_t i;

    for (i = 0; i < n; i++)
        x[i] = (float)core_rng_uniform_in(r, lo, hi);
}

/* The activations from their definitions, in double. */
static inline float ref_act(double v, enum nn_act act)
{
    const double clamp6 = fmin(fmax(v + 3.0, 0.0), 6.0);

    if (act == NN_ACT_RELU || act == NN_ACT_RELU6)
        v = v > 0.0 ? v : 0.0;
    if (act == NN_ACT_RELU6)
        v = v < 6.0 ? v : 6.0;
    if (act == NN_ACT_SIGMOID)
        v = 1.0 / (1.0 + exp(-v));
    if (act == NN_ACT_HARDSIGMOID)
        v = clamp6 / 6.0;
    if (act == NN_ACT_HARDSWISH)
        v = v * clamp6 / 6.0;
    if (act == NN_ACT_SILU)
        v = v / (1.0 + exp(-v));
    return (float)v;
}

/* y = act(conv(x, w) + bias); w (K, C/g, kh, kw); bias may be NULL. */
static inline void ref_conv2d(const float *x, const struct nn_shape *is, const float *w,
                              const float *bias, uint32_t k_out, uint32_t kh, uint32_t kw,
                              uint32_t stride, uint32_t pad, uint32_t groups, enum nn_act act,
                              float *y)
{
    const uint32_t cg = is->c / groups, kg = k_out / groups;
    const uint32_t ho = (is->h + 2 * pad - kh) / stride + 1;
    const uint32_t wo = (is->w + 2 * pad - kw) / stride + 1;
    uint32_t n, k, oy, ox, c, ky, kx;

    for (n = 0; n < is->n; n++)
        for (k = 0; k < k_out; k++)
            for (oy = 0; oy < ho; oy++)
                for (ox = 0; ox < wo; ox++) {
                    double acc = bias ? bias[k] : 0.0;
                    uint32_t g = k / kg;
                    for (c = 0; c < cg; c++)
                        for (ky = 0; ky < kh; ky++)
                            for (kx = 0; kx < kw; kx++) {
                                long iy = (long)oy * stride - pad + ky;
                                long ix = (long)ox * stride - pad + kx;
                                uint32_t ci = g * cg + c;
                                if (iy < 0 || ix < 0 || iy >= is->h || ix >= is->w)
                                    continue;
                                acc += (double)w[((k * cg + c) * kh + ky) * kw + kx] *
                                       x[(((size_t)n * is->c + ci) * is->h + iy) * is->w + ix];
                            }
                    y[(((size_t)n * k_out + k) * ho + oy) * wo + ox] = ref_act(acc, act);
                }
}

/* y (N, K) = act(x (N, F) w^T + bias); w (K, F). */
static inline void ref_fc(const float *x, uint32_t batch, size_t f, const float *w,
                          const float *bias, uint32_t k_out, enum nn_act act, float *y)
{
    uint32_t n, k;
    size_t i;

    for (n = 0; n < batch; n++)
        for (k = 0; k < k_out; k++) {
            double acc = bias ? bias[k] : 0.0;
            for (i = 0; i < f; i++)
                acc += (double)w[(size_t)k * f + i] * x[(size_t)n * f + i];
            y[(size_t)n * k_out + k] = ref_act(acc, act);
        }
}

/* Per-channel y = gamma (x - mean) / sqrt(var + eps) + beta. */
static inline void ref_batchnorm(const float *x, const struct nn_shape *s, const float *gamma,
                                 const float *beta, const float *mean, const float *var, double eps,
                                 float *y)
{
    const size_t hw = (size_t)s->h * s->w;
    uint32_t n, c;
    size_t i;

    for (n = 0; n < s->n; n++)
        for (c = 0; c < s->c; c++)
            for (i = 0; i < hw; i++) {
                size_t at = ((size_t)n * s->c + c) * hw + i;
                y[at] = (float)(gamma[c] * (x[at] - mean[c]) / sqrt(var[c] + eps) + beta[c]);
            }
}

/* Windows of a pool along a dimension of in elements: floor, or with ceil
 * PyTorch's ceil_mode (rounded up, less one if the last window starts in
 * the right padding). */
static inline uint32_t ref_pool_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad,
                                    bool ceil)
{
    uint32_t out = (in + 2 * pad - k + (ceil ? stride - 1 : 0)) / stride + 1;

    if (ceil && (out - 1) * stride >= in + pad)
        out--;
    return out;
}

/* Max (is_max) or average (divisor kh kw, padding counts) pooling; ceil:
 * PyTorch's ceil_mode (windows hanging over the bottom and right edges take
 * what they cover). */
static inline void ref_pool_ceil(const float *x, const struct nn_shape *is, uint32_t kh,
                                 uint32_t kw, uint32_t stride, uint32_t pad, bool is_max,
                                 bool ceil, float *y)
{
    const uint32_t ho = ref_pool_out(is->h, kh, stride, pad, ceil);
    const uint32_t wo = ref_pool_out(is->w, kw, stride, pad, ceil);
    uint32_t p, oy, ox, ky, kx;

    for (p = 0; p < is->n * is->c; p++)
        for (oy = 0; oy < ho; oy++)
            for (ox = 0; ox < wo; ox++) {
                double acc = is_max ? -INFINITY : 0.0;
                for (ky = 0; ky < kh; ky++)
                    for (kx = 0; kx < kw; kx++) {
                        long iy = (long)oy * stride - pad + ky;
                        long ix = (long)ox * stride - pad + kx;
                        double v;
                        if (iy < 0 || ix < 0 || iy >= is->h || ix >= is->w)
                            continue;
                        v = x[((size_t)p * is->h + iy) * is->w + ix];
                        acc = is_max ? (v > acc ? v : acc) : acc + v;
                    }
                y[((size_t)p * ho + oy) * wo + ox] = (float)(is_max ? acc : acc / (kh * kw));
            }
}

/* Max (is_max) or average (divisor kh kw, padding counts) pooling. */
static inline void ref_pool(const float *x, const struct nn_shape *is, uint32_t kh, uint32_t kw,
                            uint32_t stride, uint32_t pad, bool is_max, float *y)
{
    ref_pool_ceil(x, is, kh, kw, stride, pad, is_max, false, y);
}

/* Softmax over each item's C H W values. */
static inline void ref_softmax(const float *x, uint32_t batch, size_t f, float *y)
{
    uint32_t n;
    size_t i;

    for (n = 0; n < batch; n++) {
        const float *xi = x + n * f;
        double mx = xi[0], sum = 0.0;
        for (i = 0; i < f; i++)
            mx = xi[i] > mx ? xi[i] : mx;
        for (i = 0; i < f; i++)
            sum += exp(xi[i] - mx);
        for (i = 0; i < f; i++)
            y[n * f + i] = (float)(exp(xi[i] - mx) / sum);
    }
}

#endif /* COINFER_TESTS_REF_NN_H */
