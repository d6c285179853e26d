/*
 * avgpool.c — average pooling: (N, C, H, W) -> (N, C, Ho, Wo), each output the sum of
 * its kh x kw window divided by kh kw (padded positions count as zeros, as
 * PyTorch's count_include_pad).
 * Ho = floor((H + 2 pad - kh) / stride) + 1, Wo likewise; pad <= k / 2.
 */
#include "nn/nn_int.h"

#include <math.h>

/* flops = one add per window element and one multiply per output. */
static void avgpool_cost(const struct nn_layer *l, struct nn_cost *c)
{
    uint64_t outs = nn_shape_elems(&l->out);

    c->flops = outs * l->p.kernel_h * l->p.kernel_w + outs;
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, C, Ho, Wo) */
static void avgpool_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws)
{
    const struct nn_shape *is = &l->in[0], *os = &l->out;
    const struct nn_params *p = &l->p;
    const size_t planes = (size_t)is->n * is->c;
    const float inv = 1.0f / (float)(p->kernel_h * p->kernel_w);
    size_t pl;
    uint32_t oy, ox, ky, kx;

    for (pl = 0; pl < planes; pl++) {
        const float *x = in[0] + pl * is->h * is->w;
        float *y = out + pl * os->h * os->w;
        for (oy = 0; oy < os->h; oy++) {
            for (ox = 0; ox < os->w; ox++) {
                const long y0 = (long)oy * p->stride - (long)p->pad;
                const long x0 = (long)ox * p->stride - (long)p->pad;
                float acc = 0.0f;
                for (ky = 0; ky < p->kernel_h; ky++) {
                    const long iy = y0 + ky;
                    const float *xr;
                    if (iy < 0 || iy >= (long)is->h)
                        continue;
                    xr = x + (size_t)iy * is->w;
                    for (kx = 0; kx < p->kernel_w; kx++) {
                        const long ix = x0 + kx;
                        if (ix >= 0 && ix < (long)is->w) {
                            acc += xr[ix];
                        }
                    }
                }
                y[(size_t)oy * os->w + ox] = acc * inv;
            }
        }
    }
}

const struct nn_layer_ops nn_avgpool_ops = {
    .name = "avgpool",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_pool_infer,
    .cost = avgpool_cost,
    .init = NULL,
    .forward = avgpool_forward,
};
