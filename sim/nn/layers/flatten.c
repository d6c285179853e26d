/*
 * flatten.c — (N, C, H, W) -> (N, C H W, 1, 1). Row-major storage makes this
 * a change of shape only: the layer is an alias of its input's memory, and
 * the model never calls a forward for it. In training its gradient is its
 * input's gradient buffer: nothing to compute.
 */
#include "nn/nn_int.h"

#include <stdio.h>

static bool flatten_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *x = &l->in[0];
    uint64_t f = (uint64_t)x->c * x->h * x->w;

    if (f > UINT32_MAX) {
        snprintf(why, why_size, "too many features (%llu)", (unsigned long long)f);
        return false;
    }
    l->out = (struct nn_shape){x->n, (uint32_t)f, 1, 1};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 0. */
static void flatten_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 0;
    c->macs = 0;
}

const struct nn_layer_ops nn_flatten_ops = {
    .name = "flatten",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = true,
    .infer = flatten_infer,
    .cost = flatten_cost,
    .init = NULL,
    .forward = NULL,
    .train = &nn_alias_train,
};
