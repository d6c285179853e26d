/*
 * depthwise.c — the direct kernel of a depthwise conv2d (one input and one
 * output channel per group): (C, H, W) -> (C, Ho, Wo) for one batch item,
 * y_c = act(bias_c + sum_{ky,kx} k_c[ky][kx] x_c(shifted)).
 *
 * Each channel's plane is copied, zero-padded, into s phase planes of the
 * workspace (s the stride), phase q holding padded columns q, q + s,
 * q + 2s, ...: input column ox s + kx is then slot ox + kx / s of phase
 * kx % s, contiguous in ox for any stride. Output rows are accumulated
 * sixteen columns at a time (eight for the last few) over all taps, the bias
 * and the activation applied in the same registers before the store (an
 * activation that is not a clamp: by act.c's kernel over each output plane
 * right after it is written, while it is in cache). Phase
 * rows are wide enough for the last block to read past Wo without leaving
 * the plane, and the padding is zeroed once per call: a channel rewrites
 * only its interior. The stride-2 phase split deinterleaves four
 * columns at a time.
 *
 * The sums are taken tap by tap in order, bias first, with no fused
 * multiply-add, so every code path gives the same bits. On x86-64 the
 * kernel is compiled twice, for the baseline (SSE2) and for AVX2, and the
 * AVX2 copy runs where the CPU has it (core/cpu.c). With the model's worker
 * thread (par.c) the channels are shared in chunks, each thread with its
 * own half of the workspace, zeroed per chunk; a channel's bits do not
 * depend on which chunk or thread computes it. (A thread started per
 * layer lost more to the start than it gained.)
 */
#include "nn/nn_int.h"

#include <string.h>

/* Output columns of one block: the floats of an nn_v8. */
#define DW_BLOCK 8u

/* The geometry of one call: phase planes and tap offsets. */
struct dw_geom {
    uint32_t s;                 /* stride, elements */
    uint32_t pad;               /* zero padding on each side, elements */
    uint32_t taps;              /* kh kw */
    uint32_t h, w;              /* input plane, elements */
    uint32_t ho, wo;            /* output plane, elements */
    enum nn_act act;            /* activation applied in registers: none, relu, relu6 */
    enum nn_act post;           /* activation applied to each plane after it (act.c), or none */
    size_t wq;                  /* phase row length, floats */
    size_t plane;               /* phase plane, floats: (H + 2 pad) wq */
    size_t off[NN_DW_MAX_TAPS]; /* tap t's offset from an output row's first slot, floats */
};

/* Phase row length: the natural ceil((W + 2 pad) / s) slots, and room for
 * the reads of dw_plane, which end at most seven columns past Wo, shifted by
 * up to (kw - 1) / s slots. */
static size_t dw_row_floats(const struct nn_shape *in, const struct nn_params *p, uint32_t wo)
{
    const size_t s = p->stride, wq = (in->w + 2 * (size_t)p->pad + s - 1) / s;
    const size_t need = (size_t)wo + DW_BLOCK - 1 + (p->kernel_w - 1) / s;

    return need > wq ? need : wq;
}

size_t nn_depthwise_ws(const struct nn_shape *in, const struct nn_params *p, uint32_t wo)
{
    return (size_t)p->stride * (in->h + 2 * (size_t)p->pad) * dw_row_floats(in, p, wo);
}

/* Copy n floats, eight at a time (the rows are short: a libc call per row
 * costs as much as the copy). */
static inline __attribute__((always_inline)) void copy_floats(float *restrict dst,
                                                              const float *restrict src, size_t n)
{
    size_t i = 0;

    for (; i + DW_BLOCK <= n; i += DW_BLOCK) {
        nn_v8 v;
        memcpy(&v, src + i, sizeof(v));
        memcpy(dst + i, &v, sizeof(v));
    }
    for (; i < n; i++)
        dst[i] = src[i];
}

/* Copy input row xr (W floats) into row r of every phase plane. */
static inline __attribute__((always_inline)) void fill_row(const float *xr, const struct dw_geom *g,
                                                           size_t r, float *ws)
{
    const uint32_t s = g->s;
    uint32_t q;

    for (q = 0; q < s; q++) {
        /* Phase q, slot m holds input column q + m s - pad. */
        const size_t m0 = g->pad > q ? (g->pad - q + s - 1) / s : 0;
        const size_t src0 = q + m0 * s - g->pad;
        size_t count, i;
        float *dst;
        if (src0 >= g->w)
            continue;
        count = (g->w - 1 - src0) / s + 1;
        dst = ws + q * g->plane + r * g->wq + m0;
        if (s == 1) {
            copy_floats(dst, xr + src0, count);
        } else if (s == 2) {
            nn_gather_stride2(dst, xr + src0, count);
        } else {
            for (i = 0; i < count; i++)
                dst[i] = xr[src0 + i * s];
        }
    }
}

/* *v = act(*v): NaN becomes 0 under an activation, as in nn_bias_act. (A
 * pointer: a 32-byte vector passed by value has an ABI of its own.) */
static inline __attribute__((always_inline)) void dw_act(nn_v8 *v, enum nn_act act)
{
    const nn_v8 zero = {0}, six = {6, 6, 6, 6, 6, 6, 6, 6};

    if (act != NN_ACT_NONE)
        *v = (nn_v8)((nn_v8i)*v & (*v > zero));
    if (act == NN_ACT_RELU6) {
        nn_v8i lt = *v < six;
        *v = (nn_v8)(((nn_v8i)*v & lt) | ((nn_v8i)six & ~lt));
    }
}

/* Store the block *a of eight columns at yr, of which n (1 .. 8) are
 * output: whole when it ends before y_end (the spill lands on the next row,
 * written after it), else column by column. */
static inline __attribute__((always_inline)) void store_block(float *yr, const nn_v8 *a, uint32_t n,
                                                              const float *y_end)
{
    float lanes[DW_BLOCK];
    uint32_t lane;

    if (yr + DW_BLOCK <= y_end) {
        memcpy(yr, a, sizeof(*a));
        return;
    }
    memcpy(lanes, a, sizeof(*a));
    for (lane = 0; lane < n && lane < DW_BLOCK; lane++)
        yr[lane] = lanes[lane];
}

/* The output plane y (Ho, Wo) of one channel from its phase planes ws, with
 * taps kernel taps (a constant where the caller can make it one, so the tap
 * loop unrolls): sixteen columns a step (two sums in flight) while more than
 * eight remain, then one block of eight; blocks past Wo are stored by
 * store_block. */
static inline __attribute__((always_inline)) void dw_plane(const float *restrict ws,
                                                           const struct dw_geom *g, uint32_t taps,
                                                           const float *k, float bias,
                                                           float *restrict y, const float *y_end)
{
    const nn_v8 bv = {bias, bias, bias, bias, bias, bias, bias, bias};
    const enum nn_act act = g->act;
    const uint32_t ho = g->ho, wo = g->wo;
    uint32_t oy, ox, t;

    for (oy = 0; oy < ho; oy++) {
        const float *rows = ws + (size_t)oy * g->s * g->wq;
        float *yr = y + (size_t)oy * wo;
        for (ox = 0; ox + DW_BLOCK < wo; ox += 2 * DW_BLOCK) {
            nn_v8 a0 = bv, a1 = bv, v0, v1;
#pragma GCC unroll 9
            for (t = 0; t < taps; t++) {
                memcpy(&v0, rows + g->off[t] + ox, sizeof(v0));
                memcpy(&v1, rows + g->off[t] + ox + DW_BLOCK, sizeof(v1));
                a0 += k[t] * v0;
                a1 += k[t] * v1;
            }
            dw_act(&a0, act);
            dw_act(&a1, act);
            memcpy(yr + ox, &a0, sizeof(a0));
            store_block(yr + ox + DW_BLOCK, &a1, wo - ox - DW_BLOCK, y_end);
        }
        if (ox < wo) {
            nn_v8 a0 = bv, v0;
#pragma GCC unroll 9
            for (t = 0; t < taps; t++) {
                memcpy(&v0, rows + g->off[t] + ox, sizeof(v0));
                a0 += k[t] * v0;
            }
            dw_act(&a0, act);
            store_block(yr + ox, &a0, wo - ox, y_end);
        }
    }
}

/* The n_c channels of x (C, H, W) into y (C, Ho, Wo), with ws (zeroed
 * here) for the phase planes. */
static inline __attribute__((always_inline)) void dw_channels(const struct dw_geom *g,
                                                              const float *x, const float *k,
                                                              const float *bias, uint32_t n_c,
                                                              float *y, float *ws)
{
    const size_t hw_in = (size_t)g->h * g->w, hw_out = (size_t)g->ho * g->wo;
    const float *y_end = y + n_c * hw_out;
    uint32_t c, r;

    memset(ws, 0, g->s * g->plane * sizeof(*ws));
    for (c = 0; c < n_c; c++) {
        const float *xc = x + c * hw_in;
        const float b = bias != NULL ? bias[c] : 0.0f;
        for (r = 0; r < g->h; r++)
            fill_row(xc + (size_t)r * g->w, g, g->pad + r, ws);
        if (g->taps == 9)
            dw_plane(ws, g, 9, k + (size_t)c * 9, b, y + c * hw_out, y_end);
        else
            dw_plane(ws, g, g->taps, k + (size_t)c * g->taps, b, y + c * hw_out, y_end);
        if (g->post != NN_ACT_NONE)
            nn_act_apply(y + c * hw_out, y + c * hw_out, hw_out, g->post);
    }
}

static void dw_channels_base(const struct dw_geom *g, const float *x, const float *k,
                             const float *bias, uint32_t n_c, float *y, float *ws)
{
    dw_channels(g, x, k, bias, n_c, y, ws);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void dw_channels_avx2(const struct dw_geom *g,
                                                             const float *x, const float *k,
                                                             const float *bias, uint32_t n_c,
                                                             float *y, float *ws)
{
    dw_channels(g, x, k, bias, n_c, y, ws);
}
#endif

/* A depthwise pass shared with the worker, by channel ranges. */
struct dw_job {
    struct dw_geom g;  /* the geometry */
    const float *x;    /* input (C, H, W) */
    const float *k;    /* kernels, taps floats a channel */
    const float *bias; /* bias (C), or NULL */
    float *y;          /* output (C, Ho, Wo) */
    float *ws;         /* the workspace: one part per thread */
    size_t ws_part;    /* floats of one thread's part */
};

static void dw_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct dw_job *jb = arg;
    const struct dw_geom *g = &jb->g;
    const float *x = jb->x + lo * g->h * g->w, *k = jb->k + lo * g->taps;
    const float *bias = jb->bias != NULL ? jb->bias + lo : NULL;
    float *y = jb->y + lo * g->ho * g->wo, *ws = jb->ws + (size_t)who * jb->ws_part;

#if defined(__x86_64__) && defined(__GNUC__)
    if (core_cpu_avx2()) {
        dw_channels_avx2(g, x, k, bias, (uint32_t)(hi - lo), y, ws);
        return;
    }
#endif
    dw_channels_base(g, x, k, bias, (uint32_t)(hi - lo), y, ws);
}

/* Channels of a depthwise chunk: about 16 K output floats, >= 1. */
#define NN_DW_CHUNK_FLOATS (1u << 14)

void nn_depthwise_forward(const struct nn_layer *l, const float *x, float *y, float *ws,
                          struct nn_par *par)
{
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const uint32_t taps = p->kernel_h * p->kernel_w;
    const size_t hw_out = (size_t)os->h * os->w;
    struct dw_job jb = {.x = x,
                        .k = l->w,
                        .bias = l->bias_live ? l->w + (size_t)os->c * taps : NULL,
                        .y = y,
                        .ws = ws,
                        .ws_part = (nn_depthwise_ws(is, p, os->w) + 15) / 16 * 16};
    struct dw_geom *g = &jb.g;
    uint32_t t;

    CORE_ASSERT(taps <= NN_DW_MAX_TAPS);
    g->s = p->stride;
    g->pad = p->pad;
    g->taps = taps;
    g->h = is->h;
    g->w = is->w;
    g->ho = os->h;
    g->wo = os->w;
    if (l->act_live == NN_ACT_NONE || l->act_live == NN_ACT_RELU || l->act_live == NN_ACT_RELU6) {
        g->act = l->act_live;
        g->post = NN_ACT_NONE;
    } else {
        g->act = NN_ACT_NONE;
        g->post = l->act_live;
    }
    g->wq = dw_row_floats(is, p, os->w);
    g->plane = (is->h + 2 * (size_t)p->pad) * g->wq;
    for (t = 0; t < taps; t++) {
        const uint32_t ky = t / p->kernel_w, kx = t % p->kernel_w;
        g->off[t] = (kx % g->s) * g->plane + ky * g->wq + kx / g->s;
    }
    nn_par_for(par, os->c, hw_out >= NN_DW_CHUNK_FLOATS ? 1 : NN_DW_CHUNK_FLOATS / hw_out, dw_range,
               &jb);
}
