/*
 * softmax.c — (N, C, H, W) -> same, y_i = exp(x_i - max) / sum_j exp(x_j - max)
 * over each batch item's C H W values (subtracting the maximum keeps exp from
 * overflowing; the sum is kept in double).
 */
#include "nn/nn_int.h"

#include <math.h>

static bool softmax_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = l->in[0];
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 4 per element: max, subtract-and-exp, sum, divide (exp counted as
 * one). */
static void softmax_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 4 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, C, H, W) */
static void softmax_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                            struct nn_par *par)
{
    const size_t f = (size_t)l->out.c * l->out.h * l->out.w;
    uint32_t n;
    size_t i;

    for (n = 0; n < l->out.n; n++) {
        const float *x = in[0] + n * f;
        float *y = out + n * f;
        float mx = x[0];
        double sum = 0.0;
        float inv;
        for (i = 1; i < f; i++)
            mx = x[i] > mx ? x[i] : mx;
        for (i = 0; i < f; i++) {
            y[i] = expf(x[i] - mx);
            sum += y[i];
        }
        inv = (float)(1.0 / sum);
        for (i = 0; i < f; i++)
            y[i] *= inv;
    }
}

/* ---- training: per item, dx = y (dy - sum_j dy_j y_j) (the sum in double). */
static void softmax_backward(const struct nn_bwd *b)
{
    const struct nn_layer *l = b->l;
    const size_t f = (size_t)l->out.c * l->out.h * l->out.w;
    float *dx = b->dx[0];
    uint32_t n;
    size_t i;

    if (!dx)
        return;
    for (n = 0; n < l->out.n; n++) {
        const float *y = b->out + n * f, *dy = b->dy + n * f;
        float *d = dx + n * f;
        double dot = 0.0;
        float s;
        for (i = 0; i < f; i++)
            dot += (double)dy[i] * y[i];
        s = (float)dot;
        for (i = 0; i < f; i++) {
            const float v = y[i] * (dy[i] - s);
            d[i] = b->dx_add[0] ? d[i] + v : v;
        }
    }
}

static const struct nn_layer_train softmax_train = {
    .backward = softmax_backward,
};

const struct nn_layer_ops nn_softmax_ops = {
    .name = "softmax",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = softmax_infer,
    .cost = softmax_cost,
    .init = NULL,
    .forward = softmax_forward,
    .train = &softmax_train,
};
