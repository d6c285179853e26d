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

/* The sum of (x[i] - mu)^2 for i < n in four float lanes. */
static float sum_sq_dev(const float *x, size_t n, float mu)
{
    const nn_v4 m = {mu, mu, mu, mu};
    nn_v4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
    float tail = 0.0f;
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        const nn_v4 d = nn_v4_load(x + i) - m;
        acc += d * d;
    }
    for (; i < n; i++)
        tail += (x[i] - mu) * (x[i] - mu);
    return (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
}

/* y[i] = a x[i] + c for i < n. */
static void affine(float *restrict y, const float *restrict x, size_t n, float a, float c)
{
    const nn_v4 av = {a, a, a, a}, cv = {c, c, c, c};
    size_t i = 0;

    for (; i + 4 <= n; i += 4)
        nn_v4_store(y + i, nn_v4_load(x + i) * av + cv);
    for (; i < n; i++)
        y[i] = x[i] * a + c;
}

/* Per channel: the mean of its planes' float sums (each plane summed in four
 * lanes, planes added in double), the biased variance likewise around it. */
static void bn_fwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct bn_job *jb = arg;
    const struct nn_layer *l = jb->l;
    const struct nn_shape *s = &l->out;
    const size_t hw = (size_t)s->h * s->w, m = (size_t)s->n * hw;
    float *gamma = l->w, *beta = l->w + s->c, *rmean = l->w + 2 * s->c, *rvar = l->w + 3 * s->c;
    size_t h, c0, c1, c, n;

    for (h = lo; h < hi; h++) {
        nn_half(s->c, h, &c0, &c1);
        for (c = c0; c < c1; c++) {
            double sum = 0.0, ss = 0.0, var;
            float mean, inv, scale;
            for (n = 0; n < s->n; n++)
                sum += nn_vec_sum(jb->x + (n * s->c + c) * hw, hw);
            mean = (float)(sum / (double)m);
            for (n = 0; n < s->n; n++)
                ss += sum_sq_dev(jb->x + (n * s->c + c) * hw, hw, mean);
            var = ss / (double)m;
            inv = (float)(1.0 / sqrt(var + l->p.eps));
            scale = gamma[c] * inv;
            for (n = 0; n < s->n; n++)
                affine(jb->y + (n * s->c + c) * hw, jb->x + (n * s->c + c) * hw, hw, scale,
                       beta[c] - mean * scale);
            jb->aux[c] = mean;
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

/* Over i < n: *sdy += sum dy, *sdyx += sum dy (x - mu), in four lanes. */
static void bwd_sums(const float *x, const float *dy, size_t n, float mu, double *sdy,
                     double *sdyx)
{
    const nn_v4 m = {mu, mu, mu, mu};
    nn_v4 a = {0.0f, 0.0f, 0.0f, 0.0f}, b = a;
    float ta = 0.0f, tb = 0.0f;
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        const nn_v4 g = nn_v4_load(dy + i);
        a += g;
        b += g * (nn_v4_load(x + i) - m);
    }
    for (; i < n; i++) {
        ta += dy[i];
        tb += dy[i] * (x[i] - mu);
    }
    *sdy += (double)((a[0] + a[1]) + (a[2] + a[3]) + ta);
    *sdyx += (double)((b[0] + b[1]) + (b[2] + b[3]) + tb);
}

/* dx = p dy + q (x - mu) + r over i < n, set or (add) added. */
static void bwd_dx(float *dx, const float *x, const float *dy, size_t n, float mu, float p,
                   float q, float r, bool add)
{
    const nn_v4 m = {mu, mu, mu, mu}, pv = {p, p, p, p}, qv = {q, q, q, q}, rv = {r, r, r, r};
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        const nn_v4 v = pv * nn_v4_load(dy + i) + qv * (nn_v4_load(x + i) - m) + rv;
        nn_v4_store(dx + i, add ? nn_v4_load(dx + i) + v : v);
    }
    for (; i < n; i++) {
        const float v = p * dy[i] + q * (x[i] - mu) + r;
        dx[i] = add ? dx[i] + v : v;
    }
}

/* dbeta = sum dy, dgamma = sum dy xhat = inv sum dy (x - mu);
 * dx = k (M dy - dbeta - xhat dgamma), k = gamma inv / M. */
static void bn_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct bn_job *jb = arg;
    const struct nn_bwd *b = jb->b;
    const struct nn_layer *l = b->l;
    const struct nn_shape *s = &l->out;
    const size_t hw = (size_t)s->h * s->w, m = (size_t)s->n * hw;
    const float *gamma = l->w, *mean = b->aux, *invs = b->aux + s->c;
    size_t h, c0, c1, c, n;

    for (h = lo; h < hi; h++) {
        nn_half(s->c, h, &c0, &c1);
        for (c = c0; c < c1; c++) {
            const float mu = mean[c], inv = invs[c];
            double sdy = 0.0, sdyx = 0.0;
            float k, dbeta, dgamma;
            for (n = 0; n < s->n; n++) {
                const size_t at = (n * s->c + c) * hw;
                bwd_sums(b->in[0] + at, b->dy + at, hw, mu, &sdy, &sdyx);
            }
            dbeta = (float)sdy;
            dgamma = (float)(sdyx * inv);
            b->dw[c] = dgamma;
            b->dw[s->c + c] = dbeta;
            if (!b->dx[0])
                continue;
            k = gamma[c] * inv / (float)m;
            for (n = 0; n < s->n; n++) {
                const size_t at = (n * s->c + c) * hw;
                bwd_dx(b->dx[0] + at, b->in[0] + at, b->dy + at, hw, mu, k * (float)m,
                       -k * inv * dgamma, -k * dbeta, b->dx_add[0]);
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
