/*
 * sigmoid.c — logistic sigmoid, y = 1 / (1 + exp(-x)), the gate of EfficientNet's
 * squeeze-and-excitation blocks: (N, C, H, W) -> same, elementwise, into the layer's own buffer
 * (the kernel is act.c's). A conv2d or fc can instead carry the activation fused (nn_params.act)
 * and save this pass.
 */
#include "nn/nn_int.h"

/* flops = 4 per element (a negation, the exponential, an add and a division). */
static void sigmoid_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 4 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

const struct nn_layer_ops nn_sigmoid_ops = {
    .name = "sigmoid",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_act_infer,
    .cost = sigmoid_cost,
    .init = NULL,
    .forward = nn_act_forward,
};
