/*
 * add.c — elementwise sum (residual connections): k >= 2 inputs of one shape
 * (N, C, H, W) -> (N, C, H, W), summed left to right.
 */
#include "nn/nn_int.h"

#include <stdio.h>
#include <string.h>

static bool add_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *a = &l->in[0];
    uint32_t i;

    for (i = 1; i < l->n_inputs; i++) {
        const struct nn_shape *b = &l->in[i];
        if (memcmp(a, b, sizeof(*a)) != 0) {
            snprintf(why, why_size,
                     "input %u has shape (%u, %u, %u, %u), input 0 has (%u, %u, %u, %u)", i, b->n,
                     b->c, b->h, b->w, a->n, a->c, a->h, a->w);
            return false;
        }
    }
    l->out = *a;
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = (k - 1) adds per output element. */
static void add_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = (uint64_t)(l->n_inputs - 1) * nn_shape_elems(&l->out);
    c->macs = 0;
}

/* An add shared with the worker, by element ranges. */
struct add_job {
    const struct nn_layer *l; /* the layer */
    const float *const *in;   /* its inputs */
    float *out;               /* its output */
};

static void add_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct add_job *jb = arg;
    const float *a = jb->in[0], *b = jb->in[1];
    float *out = jb->out;
    size_t i;
    uint32_t k;

    for (i = lo; i < hi; i++)
        out[i] = a[i] + b[i];
    for (k = 2; k < jb->l->n_inputs; k++) {
        const float *c = jb->in[k];
        for (i = lo; i < hi; i++)
            out[i] += c[i];
    }
}

/* in: k x (N, C, H, W) -> out: (N, C, H, W) */
static void add_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                        struct nn_par *par)
{
    struct add_job jb = {.l = l, .in = in, .out = out};

    nn_par_for(par, nn_shape_elems(&l->out), NN_ELEMWISE_CHUNK, add_range, &jb);
}

/* ---- training: every input's gradient is dy; inputs in order (one tensor
 * may be two inputs: the second adds). */
static void add_backward(const struct nn_bwd *b)
{
    const size_t count = nn_shape_elems(&b->l->out);
    uint32_t k;
    size_t i;

    for (k = 0; k < b->l->n_inputs; k++) {
        float *dx = b->dx[k];
        if (!dx)
            continue;
        if (b->dx_add[k])
            for (i = 0; i < count; i++)
                dx[i] += b->dy[i];
        else
            memcpy(dx, b->dy, count * sizeof(*dx));
    }
}

static const struct nn_layer_train add_train = {
    .backward = add_backward,
};

const struct nn_layer_ops nn_add_ops = {
    .name = "add",
    .min_inputs = 2,
    .max_inputs = NN_MAX_INPUTS,
    .alias = false,
    .infer = add_infer,
    .cost = add_cost,
    .init = NULL,
    .forward = add_forward,
    .train = &add_train,
};
