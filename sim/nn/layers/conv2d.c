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
 *   - depthwise (C/g = K/g = 1): the direct kernel of depthwise.c, each
 *     output row accumulated from kh kw shifted input rows, bias and
 *     activation included (an im2col GEMM with one row is all overhead);
 *   - otherwise im2col + GEMM per group.
 * The bias and the fused activation are applied in one pass after each GEMM
 * (layers/bias_act.c), for im2col while the strip's output is in cache.
 * With the model's worker thread (two threads) a strip's im2col is shared
 * by rows of the matrix, and its GEMM and bias pass are cut in two, by
 * output channels where that keeps one thread's bits, else by columns
 * (strip_multiply); OpenBLAS then runs on one thread in each part.
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

/* The im2col matrix is built and multiplied in strips of output rows of at
 * most this many floats (4 MB), so it stays in cache between im2col and the
 * GEMM and the workspace stays small (VGG-16's second conv would otherwise
 * need 115 MB). */
#define NN_CONV_STRIP_FLOATS (1u << 20)

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
        l->ws_floats = 2 * ((nn_depthwise_ws(x, p, wo) + 15) / 16 * 16);
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

/* Output rows oy0 .. oy0 + n_rows of the im2col matrix of x (C, H, W), its
 * rows (c, ky, kx) for c ky in [r0, r1) (c = r / kh, ky = r % kh): col is
 * (C kh kw) x (n_rows Wo), row (c, ky, kx) contiguous. */
static void im2col(const float *x, const struct nn_shape *in, const struct nn_params *p,
                   uint32_t r0, uint32_t r1, uint32_t oy0, uint32_t n_rows, uint32_t wo, float *col)
{
    uint32_t r, kx, oy, ox, lo, hi;
    const uint32_t s = p->stride;
    const size_t row_len = (size_t)n_rows * wo;

    for (r = r0; r < r1; r++) {
        const uint32_t c = r / p->kernel_h, ky = r % p->kernel_h;
        const float *xc = x + (size_t)c * in->h * in->w;
        for (kx = 0; kx < p->kernel_w; kx++) {
            float *row = col + ((size_t)r * p->kernel_w + kx) * row_len;
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
                } else if (s == 2) {
                    nn_gather_stride2(dst + lo, src, hi - lo);
                } else {
                    for (ox = lo; ox < hi; ox++)
                        dst[ox] = src[(size_t)(ox - lo) * s];
                }
                memset(dst + hi, 0, (wo - hi) * sizeof(*dst));
            }
        }
    }
}

/* One strip's work shared with the worker: its im2col matrix, then its
 * GEMM and bias pass split by output channels. */
struct strip {
    const struct nn_layer *l; /* the convolution */
    const float *x;           /* the group's input channels (C/g, H, W) */
    uint32_t oy0, n_rows;     /* the strip's output rows */
    float *col;               /* the im2col matrix */
    const float *wg;          /* the group's weights, (K/g) x kd */
    const float *b;           /* the GEMM's right operand: col, or x for 1x1 */
    uint32_t k0;              /* first output channel of the group */
    float *y;                 /* the strip's output, channel k0 */
    size_t ld, n;             /* output row stride and strip columns, floats */
};

static void strip_im2col(void *arg, size_t lo, size_t hi, int who)
{
    const struct strip *t = arg;

    im2col(t->x, &t->l->in[0], &t->l->p, (uint32_t)lo, (uint32_t)hi, t->oy0, t->n_rows, t->l->out.w,
           t->col);
}

/* Output channels k0 + k_lo .. k0 + k_hi, columns c_lo .. c_hi of a strip:
 * their GEMM, then their bias and activation (row k - k0 at y + (k - k0)
 * ld, the GEMM's right operand b of n columns a row). */
static void strip_block(const struct strip *t, size_t k_lo, size_t k_hi, size_t c_lo, size_t c_hi)
{
    const struct nn_layer *l = t->l;
    const uint32_t kd = kdim(l);
    const float *bias = l->w + (size_t)l->out.c * kd + t->k0;
    float *y = t->y + k_lo * t->ld + c_lo;

    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(k_hi - k_lo), (int)(c_hi - c_lo),
                (int)kd, 1.0f, t->wg + k_lo * kd, (int)kd, t->b + c_lo, (int)t->n, 0.0f, y,
                (int)t->ld);
    nn_rows_bias_act(y, t->ld, (uint32_t)(k_hi - k_lo), c_hi - c_lo,
                     l->bias_live ? bias + k_lo : NULL, l->act_live);
}

/* Items of an im2col given to one chunk: about NN_CONV_CHUNK_FLOATS floats
 * written, >= 1 item of item_floats. */
#define NN_CONV_CHUNK_FLOATS (1u << 14)

static size_t grain(size_t item_floats)
{
    return item_floats >= NN_CONV_CHUNK_FLOATS ? 1 : NN_CONV_CHUNK_FLOATS / item_floats;
}

/* Two threads split a strip's GEMM by output channels (rows) at a multiple
 * of NN_CONV_M_BLOCK, or when that would leave them unbalanced by columns at
 * a multiple of NN_CONV_N_BLOCK. OpenBLAS's sgemm kernel takes rows in
 * blocks of 24 where it can (x86-64 AVX-512) and columns in blocks of at
 * most 16: cutting elsewhere changes the blocks outputs fall in and with
 * them the rounding, so these cuts keep two threads' bits those of one. */
#define NN_CONV_M_BLOCK 24u
#define NN_CONV_N_BLOCK 64u

/* Multiple of block nearest n / 2. */
static size_t half_at(size_t n, size_t block)
{
    return (n / 2 + block / 2) / block * block;
}

/* Split the rows: the cut is within 1/8 of the middle. */
static bool split_rows(size_t kg)
{
    const size_t mid = half_at(kg, NN_CONV_M_BLOCK);

    return mid > 0 && mid < kg && 8 * (mid > kg - mid ? mid - (kg - mid) : kg - 2 * mid) <= kg;
}

/* One of the two parts of a strip's GEMM (items [0, 2) are the whole). */
static void strip_part(void *arg, size_t lo, size_t hi, int who)
{
    const struct strip *t = arg;
    const size_t kg = t->l->out.c / t->l->p.groups;

    if (split_rows(kg)) {
        const size_t mid = half_at(kg, NN_CONV_M_BLOCK);
        strip_block(t, lo == 0 ? 0 : mid, hi == 2 ? kg : mid, 0, t->n);
    } else {
        const size_t mid = half_at(t->n, NN_CONV_N_BLOCK);
        strip_block(t, 0, kg, lo == 0 ? 0 : mid, hi == 2 ? t->n : mid);
    }
}

/* The GEMM of a strip, in two parts when a worker runs and it is large
 * enough to cut. */
static void strip_multiply(struct nn_par *par, struct strip *t)
{
    const size_t kg = t->l->out.c / t->l->p.groups;

    if (split_rows(kg) || t->n >= 2 * NN_CONV_N_BLOCK)
        nn_par_for(par, 2, 1, strip_part, t);
    else
        strip_block(t, 0, kg, 0, t->n);
}

/* in: (N, C, H, W) -> out: (N, K, Ho, Wo) */
static void conv2d_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                           struct nn_par *par)
{
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const uint32_t groups = p->groups, cg = is->c / groups, kg = os->c / groups;
    const size_t hw_in = (size_t)is->h * is->w, hw_out = (size_t)os->h * os->w;
    const uint32_t kd = kdim(l);
    const bool direct = p->kernel_h == 1 && p->kernel_w == 1 && p->stride == 1 && p->pad == 0;
    const bool depthwise = is_depthwise(is, p);
    const uint32_t rows = strip_rows(kdim(l), os->h, os->w);
    uint32_t n, g, oy0;

    for (n = 0; n < is->n; n++) {
        const float *x = in[0] + (size_t)n * is->c * hw_in;
        float *y = out + (size_t)n * os->c * hw_out;
        if (depthwise) {
            nn_depthwise_forward(l, x, y, ws, par);
            continue;
        }
        for (g = 0; g < groups; g++) {
            struct strip t = {.l = l,
                              .x = x + (size_t)g * cg * hw_in,
                              .col = ws,
                              .wg = l->w + (size_t)g * kg * kd,
                              .k0 = g * kg,
                              .ld = hw_out};
            float *yg = y + (size_t)g * kg * hw_out;
            if (direct) {
                t.b = t.x;
                t.y = yg;
                t.n = hw_out;
                strip_multiply(par, &t);
                continue;
            }
            t.b = ws;
            for (oy0 = 0; oy0 < os->h; oy0 += rows) {
                t.oy0 = oy0;
                t.n_rows = os->h - oy0 < rows ? os->h - oy0 : rows;
                t.y = yg + (size_t)oy0 * os->w;
                t.n = (size_t)t.n_rows * os->w;
                nn_par_for(par, (size_t)cg * p->kernel_h, grain(p->kernel_w * t.n), strip_im2col,
                           &t);
                strip_multiply(par, &t);
            }
        }
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

/* ======================================================================== */
/* Training                                                                  */
/* ======================================================================== */

/* In training the batch is cut into two halves (one per thread), and each
 * half into groups of G items whose matrices sit side by side, so that every
 * GEMM has G Ho Wo columns (about NN_CONV_TRAIN_COLS: a 7x7 layer's GEMMs
 * would otherwise be 49 columns wide). Per group and conv group g, with
 * col the items' im2col matrices (kd x G Ho Wo; on the 1x1 path their input
 * channels) and z = W col + b:
 *   forward:   Z = W_g col                        one GEMM, then y = act(Z + b)
 *              scattered to each item's (K, Ho Wo)
 *   backward:  dz = dy where the fused activation passes (read off y: relu
 *              where y > 0, relu6 where 0 < y < 6), gathered as (K, G Ho Wo)
 *              dW_g += dz_g col^T                  one GEMM (NoTrans, Trans)
 *              db += the row sums of dz
 *              dcol = W_g^T dz_g                   one GEMM (Trans, NoTrans)
 *              dx += col2im(dcol), item by item   the adjoint of im2col
 * Each half has its own workspace part and dW accumulator, half 1's added to
 * half 0's at the end: one and two threads sum in the same order. */

/* Columns a training GEMM aims at. */
#define NN_CONV_TRAIN_COLS 2048u

/* Items per group: enough for NN_CONV_TRAIN_COLS columns, at most a half. */
static size_t train_group(const struct nn_layer *l)
{
    const size_t hw = (size_t)l->out.h * l->out.w, half = (l->in[0].n + 1) / 2;
    const size_t g = (NN_CONV_TRAIN_COLS + hw - 1) / hw;

    return g < 1 ? 1 : g > half ? half : g;
}

/* The parts of one half's workspace. */
struct conv_ws {
    float *z;    /* K x G Ho Wo: the forward GEMM's output, or dz */
    float *col;  /* kd x G Ho Wo: the group's im2col matrices side by side */
    float *dcol; /* kd x G Ho Wo: W^T dz */
    float *dw;   /* K kd + K: the half's dW and db accumulator */
};

static size_t conv2d_half_floats(const struct nn_layer *l)
{
    const size_t cols = train_group(l) * l->out.h * l->out.w, kd = kdim(l);
    const size_t k = l->out.c;

    return ((k * cols + 2 * kd * cols + k * kd + k) + 15) / 16 * 16;
}

static struct conv_ws half_ws(const struct nn_layer *l, float *ws, size_t h)
{
    const size_t cols = train_group(l) * l->out.h * l->out.w, kd = kdim(l);
    struct conv_ws w;

    w.z = ws + h * conv2d_half_floats(l);
    w.col = w.z + l->out.c * cols;
    w.dcol = w.col + kd * cols;
    w.dw = w.dcol + kd * cols;
    return w;
}

static size_t conv2d_train_ws(const struct nn_layer *l)
{
    return 2 * conv2d_half_floats(l);
}

/* dx (C/g, H, W) += the scatter of dcol ((C/g) kh kw x Ho Wo, rows ld floats
 * apart), the adjoint of im2col over the whole output. */
static void col2im(const float *dcol, size_t ld, const struct nn_shape *in,
                   const struct nn_params *p, uint32_t cg, uint32_t ho, uint32_t wo, float *dx)
{
    const uint32_t s = p->stride;
    uint32_t r, kx, oy, ox, lo, hi;

    for (r = 0; r < cg * p->kernel_h; r++) {
        const uint32_t c = r / p->kernel_h, ky = r % p->kernel_h;
        float *xc = dx + (size_t)c * in->h * in->w;
        for (kx = 0; kx < p->kernel_w; kx++) {
            const float *row = dcol + ((size_t)r * p->kernel_w + kx) * ld;
            valid_cols(in->w, wo, kx, s, p->pad, &lo, &hi);
            if (lo == hi)
                continue;
            for (oy = 0; oy < ho; oy++) {
                const long iy = (long)oy * s - (long)p->pad + ky;
                const float *src = row + (size_t)oy * wo;
                float *dst;
                if (iy < 0 || iy >= (long)in->h)
                    continue;
                dst = xc + (size_t)iy * in->w + ((long)lo * s + kx - (long)p->pad);
                if (s == 1)
                    nn_vec_add(dst, src + lo, hi - lo);
                else
                    for (ox = lo; ox < hi; ox++)
                        dst[(size_t)(ox - lo) * s] += src[ox];
            }
        }
    }
}

/* dst[0..n) = src[0..n): four floats a step with no libc call (the rows
 * of a small image are too short for one). */
static inline void copy_short(float *restrict dst, const float *restrict src, size_t n)
{
    size_t i = 0;

    for (; i + 4 <= n; i += 4)
        nn_v4_store(dst + i, nn_v4_load(src + i));
    for (; i < n; i++)
        dst[i] = src[i];
}

/* The whole im2col matrix of x (C/g, H, W), rows ld floats apart: im2col's
 * layout and values, written for the short rows of training's small images
 * (no libc call per output row). */
static void im2col_small(const float *x, const struct nn_shape *in, const struct nn_params *p,
                         uint32_t cg, uint32_t ho, uint32_t wo, size_t ld, float *col)
{
    const uint32_t s = p->stride;
    uint32_t r, kx, oy, ox, lo, hi;

    for (r = 0; r < cg * p->kernel_h; r++) {
        const uint32_t c = r / p->kernel_h, ky = r % p->kernel_h;
        const float *xc = x + (size_t)c * in->h * in->w;
        for (kx = 0; kx < p->kernel_w; kx++) {
            float *row = col + ((size_t)r * p->kernel_w + kx) * ld;
            valid_cols(in->w, wo, kx, s, p->pad, &lo, &hi);
            for (oy = 0; oy < ho; oy++) {
                float *dst = row + (size_t)oy * wo;
                const long iy = (long)oy * s - (long)p->pad + ky;
                const float *src;
                if (iy < 0 || iy >= (long)in->h || lo == hi) {
                    for (ox = 0; ox < wo; ox++)
                        dst[ox] = 0.0f;
                    continue;
                }
                src = xc + (size_t)iy * in->w + ((long)lo * s + kx - (long)p->pad);
                for (ox = 0; ox < lo; ox++)
                    dst[ox] = 0.0f;
                if (s == 1)
                    copy_short(dst + lo, src, hi - lo);
                else if (s == 2)
                    nn_gather_stride2(dst + lo, src, hi - lo);
                else
                    for (ox = lo; ox < hi; ox++)
                        dst[ox] = src[(size_t)(ox - lo) * s];
                for (ox = hi; ox < wo; ox++)
                    dst[ox] = 0.0f;
            }
        }
    }
}

static bool is_direct(const struct nn_params *p)
{
    return p->kernel_h == 1 && p->kernel_w == 1 && p->stride == 1 && p->pad == 0;
}

/* The im2col matrices (or, on the 1x1 path, the input channels) of conv
 * group g of items n0 .. n1 side by side in col (rows cols floats apart). */
static void group_col(const struct nn_layer *l, const float *x, size_t n0, size_t n1, uint32_t g,
                      size_t cols, float *col)
{
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const uint32_t cg = is->c / l->p.groups;
    const size_t hw_in = (size_t)is->h * is->w, hw = (size_t)os->h * os->w;
    size_t n;
    uint32_t c;

    for (n = n0; n < n1; n++) {
        const float *xg = x + (n * is->c + (size_t)g * cg) * hw_in;
        float *dst = col + (n - n0) * hw;
        if (is_direct(&l->p))
            for (c = 0; c < cg; c++)
                memcpy(dst + c * cols, xg + c * hw_in, hw * sizeof(*dst));
        else
            im2col_small(xg, is, &l->p, cg, os->h, os->w, cols, dst);
    }
}

/* A training forward pass shared with the worker by halves. */
struct conv_fwd {
    const struct nn_layer *l; /* the layer */
    const float *x;           /* input (N, C, H, W) */
    float *y;                 /* output (N, K, Ho, Wo) */
    float *ws;                /* the workspace: one part per half */
};

/* The forward pass of half h of the batch. */
static void conv2d_fwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct conv_fwd *b = arg;
    const struct nn_layer *l = b->l;
    const struct nn_shape *os = &l->out;
    const uint32_t groups = l->p.groups, kg = os->c / groups, kd = kdim(l);
    const size_t hw = (size_t)os->h * os->w, gsize = train_group(l);
    const float *bias = l->w + (size_t)os->c * kd;
    size_t h, n0, n1, a, z, n;
    uint32_t g, k;

    for (h = lo; h < hi; h++) {
        const struct conv_ws w = half_ws(l, b->ws, h);
        nn_half(l->in[0].n, h, &n0, &n1);
        for (a = n0; a < n1; a = z) {
            const size_t cols = ((z = a + gsize < n1 ? a + gsize : n1) - a) * hw;
            for (g = 0; g < groups; g++) {
                group_col(l, b->x, a, z, g, cols, w.col);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)kg, (int)cols, (int)kd,
                            1.0f, l->w + (size_t)g * kg * kd, (int)kd, w.col, (int)cols, 0.0f,
                            w.z, (int)cols);
                for (n = a; n < z; n++)
                    for (k = 0; k < kg; k++) {
                        const uint32_t kk = g * kg + k;
                        nn_bias_act(b->y + (n * os->c + kk) * hw,
                                    w.z + (size_t)k * cols + (n - a) * hw, hw,
                                    l->bias_live ? bias[kk] : 0.0f, l->act_live);
                    }
            }
        }
    }
}

static void conv2d_train_forward(const struct nn_layer *l, const float *const *in, float *out,
                                 float *aux, float *ws, struct core_rng *r, struct nn_par *par)
{
    struct conv_fwd b = {.l = l, .x = in[0], .y = out, .ws = ws};

    nn_par_for(par, 2, 1, conv2d_fwd_half, &b);
}

/* The backward pass of half h of the batch into dx and its dW accumulator. */
static void conv2d_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct nn_bwd *b = arg;
    const struct nn_layer *l = b->l;
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const uint32_t groups = p->groups, cg = is->c / groups, kg = os->c / groups, kd = kdim(l);
    const size_t hw_in = (size_t)is->h * is->w, hw = (size_t)os->h * os->w;
    const size_t gsize = train_group(l);
    float *const dx = b->dx[0];
    size_t h, n0, n1, a, z, n;
    uint32_t g, k, c;

    for (h = lo; h < hi; h++) {
        const struct conv_ws w = half_ws(l, b->ws, h);
        float *db = w.dw + (size_t)os->c * kd;
        memset(w.dw, 0, ((size_t)os->c * kd + os->c) * sizeof(*w.dw));
        nn_half(is->n, h, &n0, &n1);
        for (a = n0; a < n1; a = z) {
            const size_t cols = ((z = a + gsize < n1 ? a + gsize : n1) - a) * hw;
            for (n = a; n < z; n++)
                for (k = 0; k < os->c; k++) {
                    const size_t at = (n * os->c + k) * hw;
                    nn_act_grad(w.z + (size_t)k * cols + (n - a) * hw, b->out + at, b->dy + at, hw,
                                l->act_live, false);
                }
            for (k = 0; k < os->c; k++)
                db[k] += nn_vec_sum(w.z + (size_t)k * cols, cols);
            if (dx && !b->dx_add[0] && !is_direct(p))
                memset(dx + a * is->c * hw_in, 0, (z - a) * is->c * hw_in * sizeof(*dx));
            for (g = 0; g < groups; g++) {
                const float *dzg = w.z + (size_t)g * kg * cols;
                const float *wg = l->w + (size_t)g * kg * kd;
                group_col(l, b->in[0], a, z, g, cols, w.col);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)kg, (int)kd, (int)cols,
                            1.0f, dzg, (int)cols, w.col, (int)cols, 1.0f,
                            w.dw + (size_t)g * kg * kd, (int)kd);
                if (!dx)
                    continue;
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)kd, (int)cols, (int)kg,
                            1.0f, wg, (int)kd, dzg, (int)cols, 0.0f, w.dcol, (int)cols);
                for (n = a; n < z; n++) {
                    float *dxg = dx + (n * is->c + (size_t)g * cg) * hw_in;
                    const float *src = w.dcol + (n - a) * hw;
                    if (!is_direct(p)) {
                        col2im(src, cols, is, p, cg, os->h, os->w, dxg);
                        continue;
                    }
                    for (c = 0; c < cg; c++) {
                        if (b->dx_add[0])
                            nn_vec_add(dxg + c * hw_in, src + c * cols, hw);
                        else
                            memcpy(dxg + c * hw_in, src + c * cols, hw * sizeof(*dxg));
                    }
                }
            }
        }
    }
}

static void conv2d_backward(const struct nn_bwd *b)
{
    const struct nn_layer *l = b->l;
    const size_t nw = (size_t)l->out.c * kdim(l);
    const float *w0 = half_ws(l, b->ws, 0).dw, *w1 = half_ws(l, b->ws, 1).dw;
    size_t i;

    nn_par_for(b->par, 2, 1, conv2d_bwd_half, (void *)b);
    for (i = 0; i < nw; i++)
        b->dw[i] = w0[i] + w1[i];
    if (l->p.bias)
        for (i = 0; i < l->out.c; i++)
            b->dw[nw + i] = w0[nw + i] + w1[nw + i];
}

static const struct nn_layer_train conv2d_train = {
    .ws_floats = conv2d_train_ws,
    .forward = conv2d_train_forward,
    .backward = conv2d_backward,
};

const struct nn_layer_ops nn_conv2d_ops = {
    .name = "conv2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = conv2d_infer,
    .cost = conv2d_cost,
    .init = conv2d_init,
    .forward = conv2d_forward,
    .train = &conv2d_train,
};
