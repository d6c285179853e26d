/*
 * avgpool.c — average pooling: (N, C, H, W) -> (N, C, Ho, Wo), each output the sum of
 * its kh x kw window divided by kh kw (padded positions count as zeros, as
 * PyTorch's count_include_pad).
 * Ho = floor((H + 2 pad - kh) / stride) + 1, Wo likewise; pad <= k / 2.
 */
#include "nn/nn_int.h"

/* flops = one add per window element and one multiply per output. */
static void avgpool_cost(const struct nn_layer *l, struct nn_cost *c)
{
    uint64_t outs = nn_shape_elems(&l->out);

    c->flops = outs * l->p.kernel_h * l->p.kernel_w + outs;
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, C, Ho, Wo) */
static void avgpool_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                            struct nn_par *par)
{
    nn_pool_forward(l, in[0], out, ws, false, par);
}

static void avgpool_backward(const struct nn_bwd *b)
{
    nn_pool_backward(b, false);
}

static const struct nn_layer_train avgpool_train = {
    .backward = avgpool_backward,
};

const struct nn_layer_ops nn_avgpool_ops = {
    .name = "avgpool",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_pool_infer,
    .cost = avgpool_cost,
    .init = NULL,
    .forward = avgpool_forward,
    .train = &avgpool_train,
};
