/*
 * fc.c — fully connected: (N, C, H, W) -> (N, K, 1, 1), the input read as
 * an (N, F) matrix, F = C H W (an implicit flatten).
 *
 * Weights are (K, F) row-major, then the bias (K), so y = W x is one
 * row-major GEMV with no transpose. At batch 1 the layer is memory-bound
 * (every weight is read once for one multiply-add) and cblas_sgemv is the
 * fast path; a batch runs as one cblas_sgemm, Y (N, K) = X (N, F) W^T. The
 * bias and the fused activation follow in one pass. With the model's worker
 * thread the output features are cut in two halves, one call each.
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

/* The work of one forward pass, split by output features. */
struct fc_job {
    const struct nn_layer *l; /* the layer */
    const float *x;           /* input, (N, F) */
    float *y;                 /* output, (N, K) */
};

/* Output features lo .. hi of every batch item. */
static void fc_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct fc_job *jb = arg;
    const struct nn_layer *l = jb->l;
    const int f = (int)features(l), k = (int)l->out.c, n = (int)l->out.n, m = (int)(hi - lo);
    const float *w = l->w + lo * (size_t)f, *bias = l->w + (size_t)k * f;
    int i;
    size_t j;

    if (n == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, m, f, 1.0f, w, f, jb->x, 1, 0.0f, jb->y + lo, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, f, 1.0f, jb->x, f, w, f, 0.0f,
                    jb->y + lo, k);
    for (i = 0; i < n; i++) {
        float *yi = jb->y + (size_t)i * k;
        if (l->bias_live)
            for (j = lo; j < hi; j++)
                yi[j] += bias[j];
        if (l->act_live != NN_ACT_NONE)
            nn_act_apply(yi + lo, yi + lo, hi - lo, l->act_live);
    }
}

/* in: (N, C, H, W) as (N, F) -> out: (N, K, 1, 1); with a worker, the
 * output features in two halves (a multiple of 16). */
static void fc_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                       struct nn_par *par)
{
    struct fc_job jb = {.l = l, .x = in[0], .y = out};
    const size_t k = l->out.c;

    nn_par_for(par, k, (k / 2 + 15) / 16 * 16, fc_range, &jb);
}

/* ---- training ------------------------------------------------------------
 * With dz = dy times the derivative of the fused activation (read off the
 * output) as an (N, K) matrix:
 *   dW (K, F) = dz^T X      db = the column sums of dz      dX (N, F) = dz W
 * Half h computes rows h of dW and db and columns h of dX (cut by nn_half),
 * each one GEMM, so one and two threads give the same bits. */

/* dz, when an activation is fused: N K floats. */
static size_t fc_train_ws(const struct nn_layer *l)
{
    return l->act_live != NN_ACT_NONE ? nn_shape_elems(&l->out) : 0;
}

struct fc_bwd {
    const struct nn_bwd *b; /* the pass */
    const float *dz;        /* dL/d pre-activation, (N, K) */
};

static void fc_bwd_half(void *arg, size_t lo, size_t hi, int who)
{
    const struct fc_bwd *jb = arg;
    const struct nn_bwd *b = jb->b;
    const struct nn_layer *l = b->l;
    const size_t f = features(l), k = l->out.c, n = l->out.n;
    size_t h, k0, k1, f0, f1, i, j;

    for (h = lo; h < hi; h++) {
        nn_half(k, h, &k0, &k1);
        nn_half(f, h, &f0, &f1);
        if (k1 > k0) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(k1 - k0), (int)f, (int)n,
                        1.0f, jb->dz + k0, (int)k, b->in[0], (int)f, 0.0f, b->dw + k0 * f, (int)f);
            if (l->p.bias)
                for (j = k0; j < k1; j++) {
                    float acc = 0.0f;
                    for (i = 0; i < n; i++)
                        acc += jb->dz[i * k + j];
                    b->dw[k * f + j] = acc;
                }
        }
        if (b->dx[0] && f1 > f0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)(f1 - f0), (int)k,
                        1.0f, jb->dz, (int)k, l->w + f0, (int)f, b->dx_add[0] ? 1.0f : 0.0f,
                        b->dx[0] + f0, (int)f);
    }
}

static void fc_backward(const struct nn_bwd *b)
{
    const struct nn_layer *l = b->l;
    struct fc_bwd jb = {.b = b, .dz = b->dy};

    if (l->act_live != NN_ACT_NONE) {
        nn_act_grad(b->ws, b->out, b->dy, nn_shape_elems(&l->out), l->act_live, false);
        jb.dz = b->ws;
    }
    nn_par_for(b->par, 2, 1, fc_bwd_half, &jb);
}

static const struct nn_layer_train fc_train = {
    .ws_floats = fc_train_ws,
    .backward = fc_backward,
};

const struct nn_layer_ops nn_fc_ops = {
    .name = "fc",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = fc_infer,
    .cost = fc_cost,
    .init = fc_init,
    .forward = fc_forward,
    .train = &fc_train,
};
