/*
 * hardsigmoid.c — hard sigmoid, y = min(max(x + 3, 0), 6) / 6, the gate of MobileNetV3's
 * squeeze-and-excitation blocks: (N, C, H, W) -> same, elementwise, into the layer's own buffer
 * (the kernel is act.c's). A conv2d or fc can instead carry the activation fused (nn_params.act)
 * and save this pass.
 */
#include "nn/nn_int.h"

/* flops = 4 per element (an add, two comparisons and a division). */
static void hardsigmoid_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 4 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

const struct nn_layer_ops nn_hardsigmoid_ops = {
    .name = "hardsigmoid",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_act_infer,
    .cost = hardsigmoid_cost,
    .init = NULL,
    .forward = nn_act_forward,
};
