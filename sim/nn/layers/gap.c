/*
 * gap.c — global average pooling: (N, C, H, W) -> (N, C, 1, 1), each output
 * the mean of its channel's H W values (summed in double).
 */
#include "nn/nn_int.h"

static bool gap_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = (struct nn_shape){l->in[0].n, l->in[0].c, 1, 1};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = one add per input element and one multiply per output. */
static void gap_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = (uint64_t)nn_shape_elems(&l->in[0]) + nn_shape_elems(&l->out);
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, C, 1, 1) */
static void gap_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                        struct nn_par *par)
{
    const size_t planes = (size_t)l->in[0].n * l->in[0].c;
    const size_t hw = (size_t)l->in[0].h * l->in[0].w;
    size_t pl, i;

    for (pl = 0; pl < planes; pl++) {
        const float *x = in[0] + pl * hw;
        double acc = 0.0;
        for (i = 0; i < hw; i++)
            acc += x[i];
        out[pl] = (float)(acc / (double)hw);
    }
}

/* ---- training: dx = dy / (H W) over each channel's plane. */
static void gap_backward(const struct nn_bwd *b)
{
    const struct nn_layer *l = b->l;
    const size_t planes = (size_t)l->in[0].n * l->in[0].c;
    const size_t hw = (size_t)l->in[0].h * l->in[0].w;
    float *dx = b->dx[0];
    size_t pl, i;

    if (!dx)
        return;
    for (pl = 0; pl < planes; pl++) {
        const float g = b->dy[pl] / (float)hw;
        float *d = dx + pl * hw;
        if (b->dx_add[0])
            for (i = 0; i < hw; i++)
                d[i] += g;
        else
            for (i = 0; i < hw; i++)
                d[i] = g;
    }
}

static const struct nn_layer_train gap_train = {
    .backward = gap_backward,
};

const struct nn_layer_ops nn_gap_ops = {
    .name = "gap",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = gap_infer,
    .cost = gap_cost,
    .init = NULL,
    .forward = gap_forward,
    .train = &gap_train,
};
