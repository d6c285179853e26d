/*
 * batchnorm.c — batch normalisation at inference: (N, C, H, W) -> same,
 * y = gamma_c (x - mean_c) / sqrt(var_c + eps) + beta_c per channel c.
 *
 * Parameters are gamma (C), beta (C), running mean (C), running variance (C).
 * After a conv2d, nn_model_fold_batchnorm folds the layer into the conv's
 * weights and the model runs it as an alias (no pass at all); a batch norm
 * elsewhere runs here as its own per-channel affine pass, with the scale and
 * shift computed in double once per channel.
 */
#include "nn/nn_int.h"

#include <math.h>
#include <stdio.h>

static bool batchnorm_infer(struct nn_layer *l, char *why, size_t why_size)
{
    if (!(l->p.eps > 0.0f) || !isfinite(l->p.eps)) {
        snprintf(why, why_size, "eps must be positive and finite (got %g)", (double)l->p.eps);
        return false;
    }
    l->out = l->in[0];
    l->n_weights = 4 * (size_t)l->in[0].c;
    l->n_visible = l->n_weights;
    l->n_params = 2 * (uint64_t)l->in[0].c;
    l->ws_floats = 0;
    return true;
}

/* flops = 2 per element (one multiply-add); no MACs (not conv or fc). */
static void batchnorm_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 2 * (uint64_t)nn_shape_elems(&l->out);
    c->macs = 0;
}

static void batchnorm_init(struct nn_layer *l, struct core_rng *r)
{
    const uint32_t ch = l->in[0].c;
    uint32_t i;

    for (i = 0; i < ch; i++) {
        l->w[i] = 1.0f;
        l->w[ch + i] = 0.0f;
        l->w[2 * ch + i] = 0.0f;
        l->w[3 * ch + i] = 1.0f;
    }
}

/* in: (N, C, H, W) -> out: (N, C, H, W) */
static void batchnorm_forward(const struct nn_layer *l, const float *const *in, float *out,
                              float *ws, struct nn_par *par)
{
    const struct nn_shape *s = &l->out;
    const size_t hw = (size_t)s->h * s->w;
    const float *gamma = l->w, *beta = l->w + s->c, *mean = l->w + 2 * s->c, *var = l->w + 3 * s->c;
    uint32_t n, c;
    size_t i;

    for (c = 0; c < s->c; c++) {
        double sd = gamma[c] / sqrt((double)var[c] + l->p.eps);
        const float scale = (float)sd, shift = (float)(beta[c] - mean[c] * sd);
        for (n = 0; n < s->n; n++) {
            const size_t at = ((size_t)n * s->c + c) * hw;
            const float *x = in[0] + at;
            float *y = out + at;
            for (i = 0; i < hw; i++)
                y[i] = x[i] * scale + shift;
        }
    }
}

const struct nn_layer_ops nn_batchnorm_ops = {
    .name = "batchnorm",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = batchnorm_infer,
    .cost = batchnorm_cost,
    .init = batchnorm_init,
    .forward = batchnorm_forward,
};
