/*
 * layer_desc.c — an nn layer as the CPMM sees it: the one conversion from a
 * profiled layer of sim/nn to a struct compute_layer_desc of sim/compute,
 * shared by the problems a world prices (problem.c), `coinfer profile
 * --cpmm-check` and the validation test of the cross-model check.
 *
 * A conv2d whose groups equal both its input and output channels is a
 * depthwise conv (its own CPMM type: it runs a direct kernel, not a GEMM);
 * flatten and dropout are reshapes (no copy); every other op maps to the CPMM
 * type of the same name. Costs come from the profile (nn_model_layer_cost),
 * inputs' bytes from the model's tensors.
 *
 * A conv2d also says which code path it takes (sim/nn/layers/conv2d.c),
 * because the paths cost differently for one GEMM shape: a 1x1 stride-1
 * unpadded conv multiplies its input in place, any other non-depthwise conv
 * first writes its (C/g kh kw) x (Ho Wo) im2col matrix per group and batch
 * item (im2col_elems counts those elements). Convs and poolings carry their
 * kernel (area and rows), stride and output rows, what their loops run over;
 * convs and fc layers the cost class of the activation they apply in the
 * same pass (declared or fused: it runs in their kernel, not as a layer).
 */
#include "proto/proto.h"

#include <string.h>

#include "compute/compute.h"
#include "nn/nn.h"

enum core_rc proto_layer_desc(const struct nn_model *m, int i, const struct nn_layer_profile *lp,
                           struct compute_layer_desc *d, struct core_err *e)
{
    const enum nn_op op = nn_model_layer_op(m, i);
    const struct nn_params *p = nn_model_layer_params(m, i);
    size_t n_in, k;
    const int *in = nn_model_layer_inputs(m, i, &n_in);
    const struct nn_shape x = nn_model_shape(m, in[0]), y = nn_model_shape(m, i);
    const uint32_t groups = p->groups ? p->groups : 1;

    memset(d, 0, sizeof(*d));
    if (op == NN_OP_CONV2D)
        d->type = groups > 1 && x.c == groups && y.c == groups ? COMPUTE_LAYER_DWCONV
                                                               : COMPUTE_LAYER_CONV2D;
    else if (op == NN_OP_FLATTEN || op == NN_OP_DROPOUT)
        d->type = COMPUTE_LAYER_RESHAPE;
    else if (!compute_layer_type_find(nn_op_name(op), &d->type))
        return core_err(e, CORE_E_INPUT, "layer %d (%s): the CPMM has no layer type '%s'", i,
                        nn_model_layer_name(m, i), nn_op_name(op));
    d->flops = (double)lp->cost.flops;
    for (k = 0; k < n_in; k++)
        d->in_bytes += (double)nn_model_tensor_bytes(m, in[k]);
    d->out_bytes = (double)lp->cost.output_bytes;
    d->param_bytes = 4.0 * (double)lp->cost.params;
    d->gemm_m = lp->gemm.m;
    d->gemm_n = lp->gemm.n;
    d->gemm_k = lp->gemm.k;
    d->gemm_count = lp->gemm.count;
    if (op == NN_OP_CONV2D || op == NN_OP_MAXPOOL || op == NN_OP_AVGPOOL) {
        d->kernel_area = p->kernel_h * (p->kernel_w ? p->kernel_w : p->kernel_h);
        d->kernel_h = p->kernel_h;
        d->out_h = y.h;
        d->stride = p->stride ? p->stride : 1;
    }
    d->c_in = x.c;
    d->c_out = y.c;
    d->groups = groups;
    switch (nn_model_layer_act(m, i)) {
    case NN_ACT_RELU:
    case NN_ACT_RELU6:
        d->act = COMPUTE_ACT_CLAMP;
        break;
    case NN_ACT_SIGMOID:
    case NN_ACT_SILU:
        d->act = COMPUTE_ACT_EXP;
        break;
    case NN_ACT_HARDSIGMOID:
    case NN_ACT_HARDSWISH:
        d->act = COMPUTE_ACT_HARD;
        break;
    default:
        d->act = COMPUTE_ACT_NONE;
        break;
    }
    if (d->type == COMPUTE_LAYER_CONV2D && !(d->kernel_area == 1 && d->stride == 1 && p->pad == 0))
        d->im2col_elems = d->gemm_k * d->gemm_n * d->gemm_count;
    return CORE_OK;
}
