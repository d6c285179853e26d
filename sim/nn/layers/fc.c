/*
 * fc.c — fully connected: (N, C, H, W) -> (N, K, 1, 1), the input read as
 * an (N, F) matrix, F = C H W (an implicit flatten).
 *
 * Weights are (K, F) row-major, then the bias (K), so y = W x is one
 * row-major GEMV with no transpose. At batch 1 the layer is memory-bound
 * (every weight is read once for one multiply-add) and cblas_sgemv is the
 * fast path; a batch runs as one cblas_sgemm, Y (N, K) = X (N, F) W^T. The
 * bias and the fused activation follow in one pass.
 */
#include "nn/nn_int.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

static size_t features(const struct nn_layer *l)
{
    return (size_t)l->in[0].c * l->in[0].h * l->in[0].w;
}

static bool fc_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const uint32_t k = l->p.out_channels;

    if (k == 0) {
        snprintf(why, why_size, "needs out_channels >= 1");
        return false;
    }
    if (features(l) > (size_t)INT32_MAX || (uint64_t)k * features(l) > (uint64_t)SIZE_MAX / 8) {
        snprintf(why, why_size, "input of %zu features is too large", features(l));
        return false;
    }
    l->out = (struct nn_shape){l->in[0].n, k, 1, 1};
    l->n_weights = (size_t)k * features(l) + k;
    l->n_visible = (size_t)k * features(l) + (l->p.bias ? k : 0);
    l->n_params = l->n_visible;
    l->bias_live = l->p.bias;
    l->ws_floats = 0;
    return true;
}

/* macs = N K F; flops = 2 macs, + N K for the bias and for an activation. */
static void fc_cost(const struct nn_layer *l, struct nn_cost *c)
{
    uint64_t outs = nn_shape_elems(&l->out);

    c->macs = outs * features(l);
    c->flops = 2 * c->macs + (l->p.bias ? outs : 0) + (l->p.act != NN_ACT_NONE ? outs : 0);
}

static void fc_init(struct nn_layer *l, struct core_rng *r)
{
    size_t nw = (size_t)l->p.out_channels * features(l);

    nn_he_uniform(l->w, nw, features(l), r);
    memset(l->w + nw, 0, l->p.out_channels * sizeof(*l->w));
}

/* in: (N, C, H, W) as (N, F) -> out: (N, K, 1, 1) */
static void fc_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws)
{
    const int f = (int)features(l), k = (int)l->out.c, n = (int)l->out.n;
    const float *bias = l->w + (size_t)k * f;
    int i, j;

    if (n == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, k, f, 1.0f, l->w, f, in[0], 1, 0.0f, out, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k, f, 1.0f, in[0], f, l->w, f, 0.0f,
                    out, k);
    if (l->bias_live) {
        for (i = 0; i < n; i++)
            for (j = 0; j < k; j++)
                out[(size_t)i * k + j] += bias[j];
    }
    if (l->act_live != NN_ACT_NONE)
        nn_bias_act(out, out, (size_t)n * k, 0.0f, l->act_live);
}

const struct nn_layer_ops nn_fc_ops = {
    .name = "fc",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = fc_infer,
    .cost = fc_cost,
    .init = fc_init,
    .forward = fc_forward,
};
