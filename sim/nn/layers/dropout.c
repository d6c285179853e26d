/*
 * dropout.c — (N, C, H, W) -> same: the identity at inference. The layer is
 * an alias of its input's memory, and the model never calls a forward for it.
 */
#include "nn/nn_int.h"

static bool dropout_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = l->in[0];
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 0. */
static void dropout_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 0;
    c->macs = 0;
}

const struct nn_layer_ops nn_dropout_ops = {
    .name = "dropout",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = true,
    .infer = dropout_infer,
    .cost = dropout_cost,
    .init = NULL,
    .forward = NULL,
};
