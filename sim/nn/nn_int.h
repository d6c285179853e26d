/*
 * nn_int.h — shared between sim/nn's files only: the layer record, the
 * per-op table every file under layers/ fills, and small helpers.
 *
 * Each op file defines one `const struct nn_layer_ops nn_<op>_ops`; model.c
 * collects them into a table indexed by enum nn_op. An op's infer() checks
 * the input shapes and parameters and sets the layer's output shape, weight
 * count, parameter count and workspace need; forward() computes the output
 * from the inputs, with the model's workspace as scratch, and never
 * allocates. Weight storage is one block per model; l->w points into it.
 */
#ifndef COINFER_NN_INT_H
#define COINFER_NN_INT_H

#include "nn/nn.h"

#include <stddef.h>
#include <string.h>

struct nn_layer {
    enum nn_op op;                     /* layer type */
    struct nn_params p;                /* hyper-parameters, defaults applied */
    char name[NN_NAME_MAX];            /* name for messages and profiles */
    int inputs[NN_MAX_INPUTS];         /* NN_INPUT or earlier layer indices */
    uint32_t n_inputs;                 /* entries of inputs[] */
    struct nn_shape in[NN_MAX_INPUTS]; /* shapes of the inputs, elements */
    struct nn_shape out;               /* output shape, elements */
    size_t n_weights;                  /* floats of parameter storage */
    size_t n_visible;                  /* of those, floats nn_model_layer_weights shows */
    uint64_t n_params;                 /* learnable parameters */
    size_t ws_floats;                  /* workspace floats forward() needs */
    float *w;                          /* parameter storage (in the model's block) */
    bool bias_live;                    /* conv2d/fc: add the bias (p.bias or folded BN) */
    enum nn_act act_live;              /* conv2d/fc: activation applied (p.act or fused) */
    bool folded;                       /* batchnorm folded into its conv: alias */
    bool fused;                        /* relu/relu6 fused into its producer: alias */
    int root;                          /* tensor owning this output's memory (alias ops) */
    size_t offset;                     /* arena offset of owned storage, floats */
    int n_consumers;                   /* layers reading this output */
    int first_edge;                    /* first edge reading this output (model.c), -1: none */
    int next_edge[NN_MAX_INPUTS];      /* next edge reading input k's tensor, -1: end */
    int last_use;                      /* index of the last layer reading its memory */
};

/* What one op file provides. */
struct nn_layer_ops {
    const char *name;    /* nn_op_name */
    uint32_t min_inputs; /* fewest inputs */
    uint32_t max_inputs; /* most inputs (<= NN_MAX_INPUTS) */
    bool alias;          /* output is the input's memory: no storage, no compute */
    /* Check l->in[0..n_inputs) and l->p; set l->out, n_weights, n_params,
     * n_visible, ws_floats. On a misfit write why (no layer name: the caller adds it)
     * and return false. */
    bool (*infer)(struct nn_layer *l, char *why, size_t why_size);
    /* flops, macs (params and output_bytes are filled by the caller). */
    void (*cost)(const struct nn_layer *l, struct nn_cost *c);
    /* Draw l->w[0..n_weights) (NULL when the op has no weights). */
    void (*init)(struct nn_layer *l, struct core_rng *r);
    /* out = op(in[0..n_inputs)); ws: the model's workspace (>= ws_floats). */
    void (*forward)(const struct nn_layer *l, const float *const *in, float *out, float *ws);
};

extern const struct nn_layer_ops nn_conv2d_ops, nn_fc_ops, nn_batchnorm_ops, nn_relu_ops,
    nn_relu6_ops, nn_maxpool_ops, nn_avgpool_ops, nn_gap_ops, nn_add_ops, nn_concat_ops,
    nn_flatten_ops, nn_softmax_ops, nn_dropout_ops;

/* Elements of a shape. */
static inline size_t nn_shape_elems(const struct nn_shape *s)
{
    return (size_t)s->n * s->c * s->h * s->w;
}

/* Four floats in one SIMD register (SSE on x86-64, NEON on ARM), and the
 * matching lane mask: the elementwise and depthwise kernels are too small for
 * BLAS and too slow in scalar code (a branchy clamp mispredicts on real
 * data). */
typedef float nn_v4 __attribute__((vector_size(16)));
typedef int32_t nn_v4i __attribute__((vector_size(16)));

static inline nn_v4 nn_v4_load(const float *p)
{
    nn_v4 v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void nn_v4_store(float *p, nn_v4 v)
{
    memcpy(p, &v, sizeof(v));
}

/* y[i] = act(x[i] + b) for i < n; x may be y. NaN becomes 0 under an
 * activation. */
static inline void nn_bias_act(float *y, const float *x, size_t n, float b, enum nn_act act)
{
    const nn_v4 bv = {b, b, b, b}, zero = {0.0f, 0.0f, 0.0f, 0.0f};
    const nn_v4 six = {6.0f, 6.0f, 6.0f, 6.0f};
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        nn_v4 v = nn_v4_load(x + i) + bv;
        if (act != NN_ACT_NONE)
            v = (nn_v4)((nn_v4i)v & (v > zero));
        if (act == NN_ACT_RELU6) {
            nn_v4i lt = v < six;
            v = (nn_v4)(((nn_v4i)v & lt) | ((nn_v4i)six & ~lt));
        }
        nn_v4_store(y + i, v);
    }
    for (; i < n; i++) {
        float v = x[i] + b;
        if (act != NN_ACT_NONE)
            v = v > 0.0f ? v : 0.0f;
        if (act == NN_ACT_RELU6)
            v = v < 6.0f ? v : 6.0f;
        y[i] = v;
    }
}

/* Output size of a sliding window: floor((in + 2 pad - k) / stride) + 1;
 * 0 when the window does not fit. */
static inline uint32_t nn_window_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad)
{
    uint64_t span = (uint64_t)in + 2u * (uint64_t)pad;

    if (k == 0 || span < k)
        return 0;
    return (uint32_t)((span - k) / stride + 1);
}

/* Shape inference of the pooling layers (layers/pool_shape.c): checks
 * kernel and padding, sets l->out and zero weights and workspace. False
 * with why[] filled when the window does not fit. */
bool nn_pool_infer(struct nn_layer *l, char *why, size_t why_size);

/* Fill w[0..n) with U(-a, a), a = sqrt(6 / fan_in): He initialisation. */
void nn_he_uniform(float *w, size_t n, size_t fan_in, struct core_rng *r);

/* Fold a batch norm (scale s_k = gamma_k / sqrt(var_k + eps), shift
 * beta_k - mean_k s_k) into conv or fc layer l's weights and bias. */
void nn_conv2d_fold_bn(struct nn_layer *conv, const struct nn_layer *bn);

#endif /* COINFER_NN_INT_H */
