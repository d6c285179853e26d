/*
 * hardswish.c — hard swish, y = x min(max(x + 3, 0), 6) / 6 (MobileNetV3): (N, C, H, W) -> same,
 * elementwise, into the layer's own buffer (the kernel is act.c's). A conv2d or fc can instead
 * carry the activation fused (nn_params.act) and save this pass.
 */
#include "nn/nn_int.h"

/* flops = 5 per element (an add, two comparisons, a multiply and a division). */
static void hardswish_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 5 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

const struct nn_layer_ops nn_hardswish_ops = {
    .name = "hardswish",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = nn_act_infer,
    .cost = hardswish_cost,
    .init = NULL,
    .forward = nn_act_forward,
};
