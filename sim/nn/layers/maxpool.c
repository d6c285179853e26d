/*
 * maxpool.c — max pooling: (N, C, H, W) -> (N, C, Ho, Wo), each output the largest
 * input in its kh x kw window; padded positions never win (they are skipped,
 * as in PyTorch).
 * Ho = floor((H + 2 pad - kh) / stride) + 1, Wo likewise; pad <= k / 2. In
 * ceil mode (nn_params.ceil, PyTorch's ceil_mode) the division rounds up,
 * unless that last window would start in the right padding, and windows
 * hanging over the right or bottom edge take the inputs they cover.
 */
#include "nn/nn_int.h"

/* flops = one comparison per window element. */
static void maxpool_cost(const struct nn_layer *l, struct nn_cost *c)
{
    uint64_t outs = nn_shape_elems(&l->out);

    c->flops = outs * l->p.kernel_h * l->p.kernel_w;
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, C, Ho, Wo) */
static void maxpool_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                            struct nn_par *par)
{
    nn_pool_forward(l, in[0], out, ws, true, par);
}

static void maxpool_backward(const struct nn_bwd *b)
{
    nn_pool_backward(b, true);
}

static const struct nn_layer_train maxpool_train = {
    .backward = maxpool_backward,
};

const struct nn_layer_ops nn_maxpool_ops = {
    .name = "maxpool",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_pool_infer,
    .cost = maxpool_cost,
    .init = NULL,
    .forward = maxpool_forward,
    .train = &maxpool_train,
};
