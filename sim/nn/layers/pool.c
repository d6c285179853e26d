/*
 * pool.c — what the pooling layers (max and average) share: shape inference,
 * (N, C, H, W) -> (N, C, Ho, Wo) with Ho = floor((H + 2 pad - kh) / stride)
 * + 1, Wo likewise (maxpool's ceil mode: rounded up, as long as the last
 * window starts inside the input or its left padding, so that it holds an
 * input), pad <= k / 2, no weights; and the window loop.
 *
 * An output row is pooled in two steps: the valid input rows of its window
 * are reduced column by column into one row of the workspace (W floats,
 * four columns at a time), then each output takes the valid columns of its
 * window in that row: the outputs whose window lies inside the row tap by
 * tap, four at a time (a strided tap gathered into Wo more floats of the
 * workspace), the few at the edges one by one. Padded positions never enter
 * a reduction: they never win a max and add nothing to a sum (which average
 * pooling then divides by kh kw, as PyTorch's count_include_pad). A NaN
 * never wins a max. One loop serves both pools.
 */
#include "nn/nn_int.h"

#include <math.h>
#include <stdio.h>

/* Windows along a dimension of in elements: nn_window_out, or with ceil
 * PyTorch's ceil_mode: ceil((in + 2 pad - k) / stride) + 1, less one when
 * that last window would start in the right padding. */
static uint32_t window_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad, bool ceil)
{
    const uint32_t floor_out = nn_window_out(in, k, stride, pad);
    const uint64_t span = (uint64_t)in + 2u * (uint64_t)pad;

    if (!ceil || floor_out == 0 || (span - k) % stride == 0)
        return floor_out;
    return (uint64_t)floor_out * stride >= (uint64_t)in + pad ? floor_out : floor_out + 1;
}

bool nn_pool_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *x = &l->in[0];
    const struct nn_params *p = &l->p;
    uint32_t ho, wo;

    if (p->kernel_h == 0 || 2 * p->pad > p->kernel_h || 2 * p->pad > p->kernel_w) {
        snprintf(why, why_size,
                 "needs kernel_h >= 1 and pad <= kernel / 2 (got kernel %ux%u, "
                 "pad %u)",
                 p->kernel_h, p->kernel_w, p->pad);
        return false;
    }
    if (p->ceil && l->op != NN_OP_MAXPOOL) {
        snprintf(why, why_size, "ceil mode applies to maxpool only");
        return false;
    }
    ho = window_out(x->h, p->kernel_h, p->stride, p->pad, p->ceil);
    wo = window_out(x->w, p->kernel_w, p->stride, p->pad, p->ceil);
    if (ho == 0 || wo == 0) {
        snprintf(why, why_size, "window %ux%u does not fit input %ux%u with padding %u",
                 p->kernel_h, p->kernel_w, x->h, x->w, p->pad);
        return false;
    }
    l->out = (struct nn_shape){x->n, x->c, ho, wo};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 2 * ((size_t)x->w + wo);
    return true;
}

/* acc[i] = max(acc[i], x[i]) (x[i] wins only when greater) or acc[i] +
 * x[i], for i < n; first: as if acc[i] held -inf (max) or 0 (sum). */
static void reduce_row(float *restrict acc, const float *restrict x, size_t n, bool max, bool first)
{
    const float init = max ? -INFINITY : 0.0f;
    const nn_v4 init4 = {init, init, init, init};
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        nn_v4 a = first ? init4 : nn_v4_load(acc + i), v = nn_v4_load(x + i);
        if (max) {
            nn_v4i gt = v > a;
            a = (nn_v4)(((nn_v4i)v & gt) | ((nn_v4i)a & ~gt));
        } else {
            a += v;
        }
        nn_v4_store(acc + i, a);
    }
    for (; i < n; i++) {
        float a = first ? init : acc[i];
        if (!max)
            a += x[i];
        else if (x[i] > a)
            a = x[i];
        acc[i] = a;
    }
}

/* dst[j] = src[j s] for j < n. */
static void gather(float *restrict dst, const float *restrict src, size_t n, uint32_t s)
{
    size_t j;

    if (s == 2) {
        nn_gather_stride2(dst, src, n);
        return;
    }
    for (j = 0; j < n; j++)
        dst[j] = src[j * s];
}

/* The output whose window starts at column left of the reduced row r (W
 * floats), over the window's columns inside the row. */
static float edge_out(const float *r, size_t w, long left, uint32_t kw, bool max)
{
    const long right = left + (long)kw;
    const size_t ix0 = left < 0 ? 0 : (size_t)left, ix1 = right > (long)w ? w : (size_t)right;
    float acc = max ? -INFINITY : 0.0f;
    size_t i;

    for (i = ix0; i < ix1; i++) {
        if (!max)
            acc += r[i];
        else if (r[i] > acc)
            acc = r[i];
    }
    return acc;
}

/* One output row yr (Wo) from the reduced input row r (W): the outputs lo ..
 * hi whose window lies inside the row tap by tap, four at a time (a strided
 * tap gathered into tmp first), the others one by one. Average: not yet
 * divided. */
static void pool_row(const struct nn_layer *l, const float *r, float *yr, float *tmp, bool max)
{
    const struct nn_params *p = &l->p;
    const uint32_t s = p->stride, wo = l->out.w;
    const size_t w = l->in[0].w;
    /* Inside: ox s >= pad and ox s - pad + kw <= w. */
    const size_t lo = (p->pad + s - 1) / s;
    size_t hi = w + p->pad >= p->kernel_w ? (w + p->pad - p->kernel_w) / s + 1 : 0;
    size_t ox;
    uint32_t kx;

    if (hi > wo)
        hi = wo;
    if (hi < lo)
        hi = lo;
    for (ox = 0; ox < lo && ox < wo; ox++)
        yr[ox] = edge_out(r, w, (long)(ox * s) - (long)p->pad, p->kernel_w, max);
    for (ox = hi; ox < wo; ox++)
        yr[ox] = edge_out(r, w, (long)(ox * s) - (long)p->pad, p->kernel_w, max);
    if (hi == lo)
        return;
    for (kx = 0; kx < p->kernel_w; kx++) {
        const float *src = r + lo * s - p->pad + kx;
        if (s != 1) {
            gather(tmp, src, hi - lo, s);
            src = tmp;
        }
        reduce_row(yr + lo, src, hi - lo, max, kx == 0);
    }
}

/* A pooling pass shared with the worker, by planes (batch item, channel). */
struct pool_job {
    const struct nn_layer *l; /* the layer */
    const float *x;           /* input (N, C, H, W) */
    float *y;                 /* output (N, C, Ho, Wo) */
    float *ws;                /* the workspace: one half per thread */
    bool max;                 /* max (true) or average pooling */
};

static void pool_planes(void *arg, size_t lo, size_t hi, int who)
{
    const struct pool_job *jb = arg;
    const struct nn_layer *l = jb->l;
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const size_t w = is->w;
    const float inv = 1.0f / (float)(p->kernel_h * p->kernel_w);
    float *ws = jb->ws + (size_t)who * (w + os->w);
    size_t pl, i;
    uint32_t oy;

    for (pl = lo; pl < hi; pl++) {
        const float *xp = jb->x + pl * is->h * w;
        float *yp = jb->y + pl * os->h * os->w;
        for (oy = 0; oy < os->h; oy++) {
            /* Valid window rows iy0 .. iy1 (at least one: the last window
             * starts at (Ho - 1) s - pad < H, in ceil mode too). */
            const long top = (long)oy * p->stride - (long)p->pad;
            const long iy0 = top < 0 ? 0 : top;
            const long bottom = top + (long)p->kernel_h;
            const long iy1 = bottom > (long)is->h ? (long)is->h : bottom;
            float *yr = yp + (size_t)oy * os->w;
            long iy;
            for (iy = iy0; iy < iy1; iy++)
                reduce_row(ws, xp + (size_t)iy * w, w, jb->max, iy == iy0);
            pool_row(l, ws, yr, ws + w, jb->max);
            if (!jb->max)
                for (i = 0; i < os->w; i++)
                    yr[i] *= inv;
        }
    }
}

/* Planes of a pooling chunk: about 16 K input floats, >= 1. */
#define NN_POOL_CHUNK_FLOATS (1u << 14)

void nn_pool_forward(const struct nn_layer *l, const float *x, float *y, float *ws, bool max,
                     struct nn_par *par)
{
    struct pool_job jb = {.l = l, .x = x, .y = y, .ws = ws, .max = max};
    const size_t plane = (size_t)l->in[0].h * l->in[0].w;

    nn_par_for(par, (size_t)l->in[0].n * l->in[0].c,
               plane >= NN_POOL_CHUNK_FLOATS ? 1 : NN_POOL_CHUNK_FLOATS / plane, pool_planes, &jb);
}

/* ---- training --------------------------------------------------------------
 * Max: each output's gradient goes to the input that won its window, the
 * first largest in row-major window order (as PyTorch; a NaN never wins, and
 * a window of NaNs passes none). Average: each output's gradient divided by
 * kh kw goes to every valid input of its window. By plane halves. */

struct pool_bwd {
    const struct nn_bwd *b; /* the pass */
    bool max;               /* max (true) or average pooling */
};

static void pool_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct pool_bwd *jb = arg;
    const struct nn_bwd *b = jb->b;
    const struct nn_layer *l = b->l;
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const size_t in_plane = (size_t)is->h * is->w, out_plane = (size_t)os->h * os->w;
    const float inv = 1.0f / (float)(p->kernel_h * p->kernel_w);
    size_t h, p0, p1, pl;
    uint32_t oy, ox;

    for (h = lo; h < hi; h++) {
        nn_half((size_t)is->n * is->c, h, &p0, &p1);
        for (pl = p0; pl < p1; pl++) {
            const float *x = b->in[0] + pl * in_plane, *dy = b->dy + pl * out_plane;
            float *dx = b->dx[0] + pl * in_plane;
            if (!b->dx_add[0])
                memset(dx, 0, in_plane * sizeof(*dx));
            for (oy = 0; oy < os->h; oy++) {
                const long top = (long)oy * p->stride - (long)p->pad;
                const long iy0 = top < 0 ? 0 : top;
                const long iy1 = top + (long)p->kernel_h > (long)is->h ? (long)is->h
                                                                       : top + (long)p->kernel_h;
                for (ox = 0; ox < os->w; ox++) {
                    const long left = (long)ox * p->stride - (long)p->pad;
                    const long ix0 = left < 0 ? 0 : left;
                    const long ix1 = left + (long)p->kernel_w > (long)is->w
                                         ? (long)is->w
                                         : left + (long)p->kernel_w;
                    const float g = dy[(size_t)oy * os->w + ox];
                    long iy, ix, win = -1;
                    float best = -INFINITY;
                    for (iy = iy0; iy < iy1; iy++)
                        for (ix = ix0; ix < ix1; ix++) {
                            const size_t at = (size_t)iy * is->w + (size_t)ix;
                            if (!jb->max)
                                dx[at] += g * inv;
                            else if (x[at] > best || (win < 0 && x[at] == best))
                                best = x[at], win = (long)at;
                        }
                    if (jb->max && win >= 0)
                        dx[win] += g;
                }
            }
        }
    }
}

void nn_pool_backward(const struct nn_bwd *b, bool max)
{
    struct pool_bwd jb = {.b = b, .max = max};

    if (b->dx[0])
        nn_par_for(b->par, 2, 1, pool_bwd_half, &jb);
}
