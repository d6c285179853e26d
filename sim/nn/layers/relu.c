/*
 * relu.c — rectified linear unit: (N, C, H, W) -> same, y = max(x, 0)
 * elementwise, into the layer's own buffer. A conv2d or fc can instead
 * carry the activation fused (nn_params.act) and save this pass.
 */
#include "nn/nn_int.h"

static bool relu_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = l->in[0];
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 1 per element (a comparison). */
static void relu_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 1 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

/* The input and output of a forward pass shared with the worker. */
struct relu_job {
    const float *x; /* input */
    float *y;       /* output */
};

static void relu_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct relu_job *jb = arg;

    nn_bias_act(jb->y + lo, jb->x + lo, hi - lo, 0.0f, NN_ACT_RELU);
}

/* in: (N, C, H, W) -> out: (N, C, H, W) */
static void relu_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                         struct nn_par *par)
{
    struct relu_job jb = {.x = in[0], .y = out};

    nn_par_for(par, nn_shape_elems(&l->out), NN_ELEMWISE_CHUNK, relu_range, &jb);
}

/* ---- training: dx = dy where y > 0 (read off the output), else 0; by
 * element halves. */
static void relu_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct nn_bwd *b = arg;
    size_t h, i0, i1;

    for (h = lo; h < hi; h++) {
        nn_half(nn_shape_elems(&b->l->out), h, &i0, &i1);
        nn_act_grad(b->dx[0] + i0, b->out + i0, b->dy + i0, i1 - i0, NN_ACT_RELU, b->dx_add[0]);
    }
}

static void relu_backward(const struct nn_bwd *b)
{
    if (b->dx[0])
        nn_par_for(b->par, 2, 1, relu_bwd_half, (void *)b);
}

static const struct nn_layer_train relu_train = {
    .backward = relu_backward,
};

const struct nn_layer_ops nn_relu_ops = {
    .name = "relu",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = relu_infer,
    .cost = relu_cost,
    .init = NULL,
    .forward = relu_forward,
    .train = &relu_train,
};
