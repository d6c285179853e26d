/*
 * concat.c — concatenation on the channel axis: k >= 2 inputs (N, C_i, H, W)
 * -> (N, sum C_i, H, W). Each batch item of the output is its inputs' item
 * blocks one after the other, so the copy is one memcpy per (item, input).
 */
#include "nn/nn_int.h"

#include <stdio.h>
#include <string.h>

static bool concat_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *a = &l->in[0];
    uint64_t c = 0;
    uint32_t i;

    for (i = 0; i < l->n_inputs; i++) {
        const struct nn_shape *b = &l->in[i];
        if (b->n != a->n || b->h != a->h || b->w != a->w) {
            snprintf(why, why_size,
                     "input %u has shape (%u, %u, %u, %u), input 0 has (%u, %u, %u, %u): "
                     "only channels may differ",
                     i, b->n, b->c, b->h, b->w, a->n, a->c, a->h, a->w);
            return false;
        }
        c += b->c;
    }
    if (c > UINT32_MAX) {
        snprintf(why, why_size, "too many channels (%llu)", (unsigned long long)c);
        return false;
    }
    l->out = (struct nn_shape){a->n, (uint32_t)c, a->h, a->w};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 0: a copy. */
static void concat_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 0;
    c->macs = 0;
}

/* in: k x (N, C_i, H, W) -> out: (N, sum C_i, H, W) */
static void concat_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                           struct nn_par *par)
{
    const size_t hw = (size_t)l->out.h * l->out.w;
    uint32_t n, i;

    for (n = 0; n < l->out.n; n++) {
        float *y = out + (size_t)n * l->out.c * hw;
        for (i = 0; i < l->n_inputs; i++) {
            const size_t block = (size_t)l->in[i].c * hw;
            memcpy(y, in[i] + n * block, block * sizeof(*y));
            y += block;
        }
    }
}

/* ---- training: input k's gradient is its block of each item of dy. */
static void concat_backward(const struct nn_bwd *b)
{
    const struct nn_layer *l = b->l;
    const size_t hw = (size_t)l->out.h * l->out.w;
    size_t at = 0, i;
    uint32_t n, k;

    for (k = 0; k < l->n_inputs; k++) {
        const size_t block = (size_t)l->in[k].c * hw;
        float *dx = b->dx[k];
        if (dx)
            for (n = 0; n < l->out.n; n++) {
                const float *dy = b->dy + (size_t)n * l->out.c * hw + at;
                float *d = dx + (size_t)n * block;
                if (b->dx_add[k])
                    for (i = 0; i < block; i++)
                        d[i] += dy[i];
                else
                    memcpy(d, dy, block * sizeof(*d));
            }
        at += block;
    }
}

static const struct nn_layer_train concat_train = {
    .backward = concat_backward,
};

const struct nn_layer_ops nn_concat_ops = {
    .name = "concat",
    .min_inputs = 2,
    .max_inputs = NN_MAX_INPUTS,
    .alias = false,
    .infer = concat_infer,
    .cost = concat_cost,
    .init = NULL,
    .forward = concat_forward,
    .train = &concat_train,
};
