/*
 * dropout.c — (N, C, H, W) -> same: the identity at inference. The layer is
 * an alias of its input's memory, and the model never calls a forward for it.
 *
 * In training it owns its output: each value is kept with probability
 * 1 - NN_DROPOUT_P and scaled by 1 / (1 - NN_DROPOUT_P), or zeroed (inverted
 * dropout, PyTorch's nn.Dropout with its default p = 0.5; model files have no
 * rate). The mask, 0 or the scale per value, is kept for the backward pass:
 * dx = dy mask. It is drawn serially from the train object's stream, one
 * uniform per value, so it does not depend on the thread count.
 */
#include "nn/nn_int.h"

#include <string.h>

/* The probability that training zeroes a value. */
#define NN_DROPOUT_P 0.5

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

static size_t dropout_aux(const struct nn_layer *l)
{
    return nn_shape_elems(&l->out);
}

static void dropout_train_forward(const struct nn_layer *l, const float *const *in, float *out,
                                  float *aux, float *ws, struct core_rng *r, struct nn_par *par)
{
    const size_t count = nn_shape_elems(&l->out);
    const float scale = (float)(1.0 / (1.0 - NN_DROPOUT_P));
    size_t i;

    for (i = 0; i < count; i++) {
        aux[i] = core_rng_uniform(r) < NN_DROPOUT_P ? 0.0f : scale;
        out[i] = in[0][i] * aux[i];
    }
}

static void dropout_backward(const struct nn_bwd *b)
{
    const size_t count = nn_shape_elems(&b->l->out);
    float *dx = b->dx[0];
    size_t i;

    if (!dx)
        return;
    for (i = 0; i < count; i++)
        dx[i] = b->dx_add[0] ? dx[i] + b->dy[i] * b->aux[i] : b->dy[i] * b->aux[i];
}

static const struct nn_layer_train dropout_train = {
    .aux_floats = dropout_aux,
    .forward = dropout_train_forward,
    .backward = dropout_backward,
};

const struct nn_layer_ops nn_dropout_ops = {
    .name = "dropout",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = true,
    .infer = dropout_infer,
    .cost = dropout_cost,
    .init = NULL,
    .forward = NULL,
    .train = &dropout_train,
};
