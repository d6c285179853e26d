/*
 * relu6.c — rectified linear unit capped at 6: (N, C, H, W) -> same,
 * y = min(max(x, 0), 6) elementwise, into the layer's own buffer. A conv2d
 * or fc can instead carry the activation fused (nn_params.act) and save this pass.
 */
#include "nn/nn_int.h"

static bool relu6_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = l->in[0];
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 2 per element (two comparisons). */
static void relu6_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 2 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

/* The input and output of a forward pass shared with the worker. */
struct relu6_job {
    const float *x; /* input */
    float *y;       /* output */
};

static void relu6_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct relu6_job *jb = arg;

    nn_bias_act(jb->y + lo, jb->x + lo, hi - lo, 0.0f, NN_ACT_RELU6);
}

/* in: (N, C, H, W) -> out: (N, C, H, W) */
static void relu6_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                          struct nn_par *par)
{
    struct relu6_job jb = {.x = in[0], .y = out};

    nn_par_for(par, nn_shape_elems(&l->out), NN_ELEMWISE_CHUNK, relu6_range, &jb);
}

/* ---- training: dx = dy where 0 < y < 6 (read off the output), else 0; by
 * element halves. */
static void relu6_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct nn_bwd *b = arg;
    size_t h, i0, i1;

    for (h = lo; h < hi; h++) {
        nn_half(nn_shape_elems(&b->l->out), h, &i0, &i1);
        nn_act_grad(b->dx[0] + i0, b->out + i0, b->dy + i0, i1 - i0, NN_ACT_RELU6, b->dx_add[0]);
    }
}

static void relu6_backward(const struct nn_bwd *b)
{
    if (b->dx[0])
        nn_par_for(b->par, 2, 1, relu6_bwd_half, (void *)b);
}

static const struct nn_layer_train relu6_train = {
    .backward = relu6_backward,
};

const struct nn_layer_ops nn_relu6_ops = {
    .name = "relu6",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = relu6_infer,
    .cost = relu6_cost,
    .init = NULL,
    .forward = relu6_forward,
    .train = &relu6_train,
};
