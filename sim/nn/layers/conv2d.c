/*
 * conv2d.c — 2-D convolution: (N, C, H, W) -> (N, K, Ho, Wo),
 * Ho = floor((H + 2 pad - kh) / stride) + 1 (Wo likewise), with groups.
 *
 * Weights are (K, C/g, kh, kw) row-major, then the bias (K): group g's
 * weights are one (K/g) x (C/g kh kw) row-major matrix, so a group is one
 * cblas_sgemm with no transpose, weights times the im2col matrix of its input
 * channels. im2col writes a (C/g kh kw) x (Ho Wo) matrix into the model
 * workspace, one contiguous row per (channel, ky, kx), zeros where the window
 * hangs over the padding, in strips of output rows (NN_CONV_STRIP_FLOATS)
 * each multiplied into its columns of the output. Three paths:
 *   - 1x1 kernel, stride 1, no padding: the input channels of a group already
 *     are the (C/g) x (H W) matrix, so the GEMM reads the input directly;
 *   - depthwise (C/g = K/g = 1): a direct kernel, each output row accumulated
 *     from kh kw shifted input rows (an im2col GEMM with one row is all
 *     overhead);
 *   - otherwise im2col + GEMM per group.
 * The bias and the fused activation are applied in one pass after the GEMM.
 * Storage always holds a bias (zero unless p.bias) so that a batch norm can
 * be folded in; bias_live says whether it is added.
 */
#include "nn/nn_int.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static uint32_t kdim(const struct nn_layer *l)
{
    return l->in[0].c / l->p.groups * l->p.kernel_h * l->p.kernel_w;
}

/* Most kernel taps (kh kw) the direct depthwise kernel takes; larger
 * depthwise kernels go through im2col. */
#define NN_DW_MAX_TAPS 64

/* The im2col matrix is built and multiplied in strips of output rows of at
 * most this many floats (4 MB), so it stays in cache between im2col and the
 * GEMM and the workspace stays small (VGG-16's second conv would otherwise
 * need 115 MB). */
#define NN_CONV_STRIP_FLOATS (1u << 20)

static size_t depthwise_ws(const struct nn_shape *in, const struct nn_params *p);

/* Output rows per im2col strip: as many as fit NN_CONV_STRIP_FLOATS, >= 1. */
static uint32_t strip_rows(uint32_t kd, uint32_t ho, uint32_t wo)
{
    size_t rows = NN_CONV_STRIP_FLOATS / ((size_t)kd * wo);

    return rows < 1 ? 1 : rows > ho ? ho : (uint32_t)rows;
}

/* Depthwise (one input and one output channel per group), direct kernel. */
static bool is_depthwise(const struct nn_shape *in, const struct nn_params *p)
{
    return in->c == p->groups && p->out_channels == p->groups &&
           p->kernel_h * p->kernel_w <= NN_DW_MAX_TAPS;
}

static bool conv2d_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *x = &l->in[0];
    const struct nn_params *p = &l->p;
    uint32_t ho, wo;

    if (p->out_channels == 0 || p->kernel_h == 0) {
        snprintf(why, why_size, "needs out_channels >= 1 and kernel_h >= 1 (got %u and %u)",
                 p->out_channels, p->kernel_h);
        return false;
    }
    if (x->c % p->groups != 0 || p->out_channels % p->groups != 0) {
        snprintf(why, why_size, "groups %u must divide input channels %u and out_channels %u",
                 p->groups, x->c, p->out_channels);
        return false;
    }
    ho = nn_window_out(x->h, p->kernel_h, p->stride, p->pad);
    wo = nn_window_out(x->w, p->kernel_w, p->stride, p->pad);
    if (ho == 0 || wo == 0) {
        snprintf(why, why_size, "kernel %ux%u does not fit input %ux%u with padding %u",
                 p->kernel_h, p->kernel_w, x->h, x->w, p->pad);
        return false;
    }
    l->out = (struct nn_shape){x->n, p->out_channels, ho, wo};
    l->n_weights = (size_t)p->out_channels * kdim(l) + p->out_channels;
    l->n_visible = (size_t)p->out_channels * kdim(l) + (p->bias ? p->out_channels : 0);
    l->n_params = l->n_visible;
    l->bias_live = p->bias;
    if (is_depthwise(x, p))
        l->ws_floats = depthwise_ws(x, p);
    else if (p->kernel_h == 1 && p->kernel_w == 1 && p->stride == 1 && p->pad == 0)
        l->ws_floats = 0;
    else
        l->ws_floats = (size_t)kdim(l) * strip_rows(kdim(l), ho, wo) * wo;
    return true;
}

/* macs = N K Ho Wo (C/g) kh kw; flops = 2 macs, + N K Ho Wo for the bias
 * and again for a fused activation. */
static void conv2d_cost(const struct nn_layer *l, struct nn_cost *c)
{
    uint64_t outs = nn_shape_elems(&l->out);

    c->macs = outs * kdim(l);
    c->flops = 2 * c->macs + (l->p.bias ? outs : 0) + (l->p.act != NN_ACT_NONE ? outs : 0);
}

static void conv2d_init(struct nn_layer *l, struct core_rng *r)
{
    size_t nw = (size_t)l->p.out_channels * kdim(l);

    nn_he_uniform(l->w, nw, kdim(l), r);
    memset(l->w + nw, 0, l->p.out_channels * sizeof(*l->w));
}

/* First output column ox whose input column ox*s - pad + k is >= 0, and one
 * past the last whose input column is < w; clamped to [0, wo]. */
static void valid_cols(uint32_t w, uint32_t wo, uint32_t k, uint32_t s, uint32_t pad, uint32_t *lo,
                       uint32_t *hi)
{
    uint32_t a = pad > k ? (pad - k + s - 1) / s : 0;
    uint32_t b = (uint64_t)w + pad <= k ? 0 : (w - 1 + pad - k) / s + 1;

    if (b > wo)
        b = wo;
    if (a > b)
        a = b;
    *lo = a;
    *hi = b;
}

/* Output rows oy0 .. oy0 + n_rows of the im2col matrix of x (C, H, W): col is
 * (C kh kw) x (n_rows Wo), row (c, ky, kx) contiguous. */
static void im2col(const float *x, const struct nn_shape *in, uint32_t c_n,
                   const struct nn_params *p, uint32_t oy0, uint32_t n_rows, uint32_t wo,
                   float *col)
{
    uint32_t c, ky, kx, oy, ox, lo, hi;
    const uint32_t s = p->stride;
    const size_t row_len = (size_t)n_rows * wo;

    for (c = 0; c < c_n; c++) {
        const float *xc = x + (size_t)c * in->h * in->w;
        for (ky = 0; ky < p->kernel_h; ky++) {
            for (kx = 0; kx < p->kernel_w; kx++) {
                float *row = col + (((size_t)c * p->kernel_h + ky) * p->kernel_w + kx) * row_len;
                valid_cols(in->w, wo, kx, s, p->pad, &lo, &hi);
                for (oy = oy0; oy < oy0 + n_rows; oy++) {
                    float *dst = row + (size_t)(oy - oy0) * wo;
                    long iy = (long)oy * s - (long)p->pad + ky;
                    const float *src;
                    if (iy < 0 || iy >= (long)in->h || lo == hi) {
                        memset(dst, 0, wo * sizeof(*dst));
                        continue;
                    }
                    src = xc + (size_t)iy * in->w + ((long)lo * s + kx - (long)p->pad);
                    memset(dst, 0, lo * sizeof(*dst));
                    if (s == 1) {
                        memcpy(dst + lo, src, (hi - lo) * sizeof(*dst));
                    } else {
                        for (ox = lo; ox < hi; ox++)
                            dst[ox] = src[(size_t)(ox - lo) * s];
                    }
                    memset(dst + hi, 0, (wo - hi) * sizeof(*dst));
                }
            }
        }
    }
}

/* Workspace floats of one depthwise channel: the zero-padded plane split by
 * column phase (stride s), s planes of (H + 2 pad) x ceil((W + 2 pad) / s). */
static size_t depthwise_ws(const struct nn_shape *in, const struct nn_params *p)
{
    const size_t wq = (in->w + 2 * (size_t)p->pad + p->stride - 1) / p->stride;

    return (size_t)p->stride * (in->h + 2 * (size_t)p->pad) * wq;
}

/* One depthwise channel: y (Ho, Wo) = bias + sum_{ky,kx} k[ky][kx] x(shifted).
 * The input plane is first copied, zero-padded, into s phase planes, phase
 * q holding padded columns q, q + s, q + 2s, ...: input column ox s + kx is
 * then element ox + kx / s of phase kx % s, contiguous in ox for any stride,
 * and the output row is accumulated four columns at a time over all taps. */
static void depthwise_channel(const float *x, const struct nn_shape *in, const float *k, float bias,
                              const struct nn_params *p, uint32_t ho, uint32_t wo, float *y,
                              float *ws)
{
    const uint32_t s = p->stride, taps = p->kernel_h * p->kernel_w;
    const size_t pad = p->pad, hp = in->h + 2 * pad, wp = in->w + 2 * pad;
    const size_t wq = (wp + s - 1) / s, plane = hp * wq;
    size_t off[NN_DW_MAX_TAPS];
    nn_v4 wv[NN_DW_MAX_TAPS];
    uint32_t oy, ox, t, q;
    size_t r, jj;

    for (r = 0; r < hp; r++) {
        const bool inside = r >= pad && r < pad + in->h;
        const float *xr = inside ? x + (r - pad) * in->w : NULL;
        for (q = 0; q < s; q++) {
            float *dst = ws + q * plane + r * wq;
            if (!inside) {
                memset(dst, 0, wq * sizeof(*dst));
            } else if (s == 1) {
                memset(dst, 0, pad * sizeof(*dst));
                memcpy(dst + pad, xr, in->w * sizeof(*dst));
                memset(dst + pad + in->w, 0, pad * sizeof(*dst));
            } else {
                memset(dst, 0, wq * sizeof(*dst));
            }
        }
        if (inside && s > 1) {
            /* Padded column j = pad + ix goes to phase j % s, slot j / s. */
            size_t ix;
            q = (uint32_t)(pad % s);
            jj = pad / s;
            for (ix = 0; ix < in->w; ix++) {
                ws[q * plane + r * wq + jj] = xr[ix];
                if (++q == s) {
                    q = 0;
                    jj++;
                }
            }
        }
    }
    for (t = 0; t < taps; t++) {
        const uint32_t ky = t / p->kernel_w, kx = t % p->kernel_w;
        off[t] = (kx % s) * plane + ky * wq + kx / s;
        wv[t] = (nn_v4){k[t], k[t], k[t], k[t]};
    }
    for (oy = 0; oy < ho; oy++) {
        float *yr = y + (size_t)oy * wo;
        const float *rows = ws + (size_t)oy * s * wq;
        for (ox = 0; ox + 8 <= wo; ox += 8) {
            nn_v4 a0 = {bias, bias, bias, bias}, a1 = a0;
            for (t = 0; t < taps; t++) {
                a0 += wv[t] * nn_v4_load(rows + off[t] + ox);
                a1 += wv[t] * nn_v4_load(rows + off[t] + ox + 4);
            }
            nn_v4_store(yr + ox, a0);
            nn_v4_store(yr + ox + 4, a1);
        }
        for (; ox + 4 <= wo; ox += 4) {
            nn_v4 a0 = {bias, bias, bias, bias};
            for (t = 0; t < taps; t++)
                a0 += wv[t] * nn_v4_load(rows + off[t] + ox);
            nn_v4_store(yr + ox, a0);
        }
        for (; ox < wo; ox++) {
            float acc = bias;
            for (t = 0; t < taps; t++)
                acc += k[t] * rows[off[t] + ox];
            yr[ox] = acc;
        }
    }
}

/* in: (N, C, H, W) -> out: (N, K, Ho, Wo) */
static void conv2d_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws)
{
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const uint32_t groups = p->groups, cg = is->c / groups, kg = os->c / groups;
    const size_t hw_in = (size_t)is->h * is->w, hw_out = (size_t)os->h * os->w;
    const uint32_t kd = kdim(l);
    const float *bias = l->w + (size_t)os->c * kd;
    const bool direct = p->kernel_h == 1 && p->kernel_w == 1 && p->stride == 1 && p->pad == 0;
    const bool depthwise = is_depthwise(is, p);
    const uint32_t rows = strip_rows(kdim(l), os->h, os->w);
    uint32_t n, g, k;

    for (n = 0; n < is->n; n++) {
        const float *x = in[0] + (size_t)n * is->c * hw_in;
        float *y = out + (size_t)n * os->c * hw_out;
        if (depthwise) {
            for (g = 0; g < groups; g++)
                depthwise_channel(x + g * hw_in, is, l->w + (size_t)g * kd,
                                  l->bias_live ? bias[g] : 0.0f, p, os->h, os->w, y + g * hw_out,
                                  ws);
            if (l->act_live != NN_ACT_NONE)
                nn_bias_act(y, y, os->c * hw_out, 0.0f, l->act_live);
            continue;
        }
        for (g = 0; g < groups; g++) {
            const float *xg = x + (size_t)g * cg * hw_in;
            const float *wg = l->w + (size_t)g * kg * kd;
            float *yg = y + (size_t)g * kg * hw_out;
            uint32_t oy0, nr;
            if (direct) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)kg, (int)hw_out,
                            (int)kd, 1.0f, wg, (int)kd, xg, (int)hw_out, 0.0f, yg, (int)hw_out);
                continue;
            }
            for (oy0 = 0; oy0 < os->h; oy0 += rows) {
                nr = os->h - oy0 < rows ? os->h - oy0 : rows;
                im2col(xg, is, cg, p, oy0, nr, os->w, ws);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)kg, (int)(nr * os->w),
                            (int)kd, 1.0f, wg, (int)kd, ws, (int)(nr * os->w), 0.0f,
                            yg + (size_t)oy0 * os->w, (int)hw_out);
            }
        }
        if (l->bias_live || l->act_live != NN_ACT_NONE)
            for (k = 0; k < os->c; k++)
                nn_bias_act(y + k * hw_out, y + k * hw_out, hw_out, l->bias_live ? bias[k] : 0.0f,
                            l->act_live);
    }
}

void nn_conv2d_fold_bn(struct nn_layer *conv, const struct nn_layer *bn)
{
    const uint32_t kch = conv->out.c;
    const size_t per_k = conv->n_weights / kch - 1;
    const float *gamma = bn->w, *beta = bn->w + kch, *mean = bn->w + 2 * kch,
                *var = bn->w + 3 * kch;
    float *bias = conv->w + (size_t)kch * per_k;
    uint32_t k;
    size_t i;

    CORE_ASSERT(bn->out.c == kch && (size_t)kch * (per_k + 1) == conv->n_weights);
    for (k = 0; k < kch; k++) {
        double s = gamma[k] / sqrt((double)var[k] + bn->p.eps);
        float *wk = conv->w + (size_t)k * per_k;
        double b = conv->bias_live ? bias[k] : 0.0;
        for (i = 0; i < per_k; i++)
            wk[i] = (float)(wk[i] * s);
        bias[k] = (float)((b - mean[k]) * s + beta[k]);
    }
    conv->bias_live = true;
}

const struct nn_layer_ops nn_conv2d_ops = {
    .name = "conv2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = conv2d_infer,
    .cost = conv2d_cost,
    .init = conv2d_init,
    .forward = conv2d_forward,
};
