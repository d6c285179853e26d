/*
 * silu.c — sigmoid-weighted linear unit (swish), y = x / (1 + exp(-x)) (EfficientNet): (N, C, H, W)
 * -> same, elementwise, into the layer's own buffer (the kernel is act.c's). A conv2d or fc can
 * instead carry the activation fused (nn_params.act) and save this pass.
 */
#include "nn/nn_int.h"

/* flops = 5 per element (sigmoid's four and the multiply by x). */
static void silu_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 5 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

const struct nn_layer_ops nn_silu_ops = {
    .name = "silu",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_act_infer,
    .cost = silu_cost,
    .init = NULL,
    .forward = nn_act_forward,
};
