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

/* ---- training ------------------------------------------------------------
 * Forward: per channel c over its M = N H W values, mean_c and the biased
 * variance var_c (two passes, in double), y = gamma_c xhat + beta_c with
 * xhat = (x - mean_c) inv_c, inv_c = 1 / sqrt(var_c + eps); the running
 * statistics move by momentum 0.1 towards mean_c and the unbiased variance
 * var_c M / (M - 1) (PyTorch's rule). aux keeps mean (C) then inv (C).
 * Backward, with sums over the channel's M values:
 *   dbeta_c = sum dy      dgamma_c = sum dy xhat
 *   dx = gamma_c inv_c / M (M dy - dbeta_c - xhat dgamma_c)
 * Channels are cut in two halves, each channel computed whole by one thread. */

#define NN_BN_MOMENTUM 0.1

static size_t batchnorm_aux(const struct nn_layer *l)
{
    return 2 * (size_t)l->out.c;
}

struct bn_job {
    const struct nn_layer *l; /* the layer */
    const float *x;           /* input */
    float *y;                 /* output (forward) */
    float *aux;               /* mean (C), inv (C) */
    const struct nn_bwd *b;   /* the backward pass (backward) */
};

static void bn_fwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct bn_job *jb = arg;
    const struct nn_layer *l = jb->l;
    const struct nn_shape *s = &l->out;
    const size_t hw = (size_t)s->h * s->w, m = (size_t)s->n * hw;
    float *gamma = l->w, *beta = l->w + s->c, *rmean = l->w + 2 * s->c, *rvar = l->w + 3 * s->c;
    size_t h, c0, c1, c, n, i;

    for (h = lo; h < hi; h++) {
        nn_half(s->c, h, &c0, &c1);
        for (c = c0; c < c1; c++) {
            double sum = 0.0, ss = 0.0, mean, var;
            float inv, g, bt;
            for (n = 0; n < s->n; n++) {
                const float *x = jb->x + (n * s->c + c) * hw;
                for (i = 0; i < hw; i++)
                    sum += x[i];
            }
            mean = sum / (double)m;
            for (n = 0; n < s->n; n++) {
                const float *x = jb->x + (n * s->c + c) * hw;
                for (i = 0; i < hw; i++)
                    ss += ((double)x[i] - mean) * ((double)x[i] - mean);
            }
            var = ss / (double)m;
            inv = (float)(1.0 / sqrt(var + l->p.eps));
            g = gamma[c];
            bt = beta[c];
            for (n = 0; n < s->n; n++) {
                const float *x = jb->x + (n * s->c + c) * hw;
                float *y = jb->y + (n * s->c + c) * hw;
                for (i = 0; i < hw; i++)
                    y[i] = g * (((float)(x[i] - mean)) * inv) + bt;
            }
            jb->aux[c] = (float)mean;
            jb->aux[s->c + c] = inv;
            rmean[c] = (float)((1.0 - NN_BN_MOMENTUM) * rmean[c] + NN_BN_MOMENTUM * mean);
            rvar[c] = (float)((1.0 - NN_BN_MOMENTUM) * rvar[c] +
                              NN_BN_MOMENTUM * (m > 1 ? var * (double)m / (double)(m - 1) : var));
        }
    }
}

static void batchnorm_train_forward(const struct nn_layer *l, const float *const *in, float *out,
                                    float *aux, float *ws, struct core_rng *r, struct nn_par *par)
{
    struct bn_job jb = {.l = l, .x = in[0], .y = out, .aux = aux};

    nn_par_for(par, 2, 1, bn_fwd_half, &jb);
}

static void bn_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct bn_job *jb = arg;
    const struct nn_bwd *b = jb->b;
    const struct nn_layer *l = b->l;
    const struct nn_shape *s = &l->out;
    const size_t hw = (size_t)s->h * s->w, m = (size_t)s->n * hw;
    const float *gamma = l->w, *mean = b->aux, *invs = b->aux + s->c;
    float *dx = b->dx[0];
    size_t h, c0, c1, c, n, i;

    for (h = lo; h < hi; h++) {
        nn_half(s->c, h, &c0, &c1);
        for (c = c0; c < c1; c++) {
            const float mu = mean[c], inv = invs[c];
            double sdy = 0.0, sdyx = 0.0;
            float k, dbeta, dgamma;
            for (n = 0; n < s->n; n++) {
                const size_t at = (n * s->c + c) * hw;
                const float *x = b->in[0] + at, *dy = b->dy + at;
                for (i = 0; i < hw; i++) {
                    sdy += dy[i];
                    sdyx += (double)dy[i] * ((x[i] - mu) * inv);
                }
            }
            dbeta = (float)sdy;
            dgamma = (float)sdyx;
            b->dw[c] = dgamma;
            b->dw[s->c + c] = dbeta;
            if (!dx)
                continue;
            k = gamma[c] * inv / (float)m;
            for (n = 0; n < s->n; n++) {
                const size_t at = (n * s->c + c) * hw;
                const float *x = b->in[0] + at, *dy = b->dy + at;
                float *d = dx + at;
                for (i = 0; i < hw; i++) {
                    const float v =
                        k * ((float)m * dy[i] - dbeta - ((x[i] - mu) * inv) * dgamma);
                    d[i] = b->dx_add[0] ? d[i] + v : v;
                }
            }
        }
    }
}

static void batchnorm_backward(const struct nn_bwd *b)
{
    struct bn_job jb = {.l = b->l, .b = b};

    nn_par_for(b->par, 2, 1, bn_bwd_half, &jb);
}

static const struct nn_layer_train batchnorm_train = {
    .aux_floats = batchnorm_aux,
    .forward = batchnorm_train_forward,
    .backward = batchnorm_backward,
};

const struct nn_layer_ops nn_batchnorm_ops = {
    .name = "batchnorm",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = batchnorm_infer,
    .cost = batchnorm_cost,
    .init = batchnorm_init,
    .forward = batchnorm_forward,
    .train = &batchnorm_train,
};
