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

struct nn_par;

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
    /* out = op(in[0..n_inputs)); ws: the model's workspace (>= ws_floats);
     * par: the second thread for element-wise loops, NULL at one thread. */
    void (*forward)(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                    struct nn_par *par);
    /* What training the op needs (train.c); NULL: the op cannot be trained. */
    const struct nn_layer_train *train;
};

/* One layer's backward pass (struct nn_layer_train.backward): everything as
 * the training forward left it, and where the gradients go. */
struct nn_bwd {
    const struct nn_layer *l; /* the layer */
    const float *const *in;   /* its inputs, as the forward read them */
    const float *out;         /* its output */
    const float *dy;          /* dL/d out, nn_shape_elems(&l->out) floats */
    float *const *dx;         /* dL/d in[k] for k < n_inputs; NULL: not wanted */
    const bool *dx_add;       /* add[k]: add into dx[k] (true) or overwrite it */
    float *dw;                /* dL/d parameters: l->n_params floats in the order of l->w, set */
    const float *aux;         /* the state the training forward kept (aux_floats) */
    float *ws;                /* workspace, >= ws_floats */
    struct nn_par *par;       /* the second thread, NULL at one thread */
};

/* What an op provides for training. Every hook may be NULL. A backward
 * handles its inputs in order, k = 0 first: two inputs may be one tensor, and
 * then dx[0] and dx[1] are one buffer (dx_add[1] true). Backward passes give
 * the same bits at one and two threads (their two halves are cut the same
 * way whoever runs them) and never allocate. */
struct nn_layer_train {
    /* Floats the training forward keeps for backward (aux); NULL: none. */
    size_t (*aux_floats)(const struct nn_layer *l);
    /* Workspace floats the training forward and backward need; NULL: 0. */
    size_t (*ws_floats)(const struct nn_layer *l);
    /* The forward of training when it is not the inference forward (batch
     * norm's batch statistics, dropout's mask drawn from r); NULL: ops->forward.
     * An op that is an alias at inference but has one owns its output in
     * training. */
    void (*forward)(const struct nn_layer *l, const float *const *in, float *out, float *aux,
                    float *ws, struct core_rng *r, struct nn_par *par);
    /* The backward pass; NULL for an alias whose gradient is its input's
     * (flatten: the two share one gradient buffer). */
    void (*backward)(const struct nn_bwd *b);
};

/* The training hooks of an alias op that passes gradients through (flatten). */
extern const struct nn_layer_train nn_alias_train;

/* Split [0, n) into two halves and return half h's bounds (h = 0, 1): the
 * fixed cut of the backward passes, the same at one and two threads. */
static inline void nn_half(size_t n, size_t h, size_t *lo, size_t *hi)
{
    const size_t mid = (n + 1) / 2;

    *lo = h == 0 ? 0 : mid;
    *hi = h == 0 ? mid : n;
}

extern const struct nn_layer_ops nn_conv2d_ops, nn_fc_ops, nn_batchnorm_ops, nn_relu_ops,
    nn_relu6_ops, nn_maxpool_ops, nn_avgpool_ops, nn_gap_ops, nn_add_ops, nn_concat_ops,
    nn_flatten_ops, nn_softmax_ops, nn_dropout_ops, nn_sigmoid_ops, nn_hardsigmoid_ops,
    nn_hardswish_ops, nn_silu_ops, nn_mul_ops, nn_slice_ops, nn_shuffle_ops;

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
/* Eight floats, the block of the kernels compiled twice (depthwise.c,
 * bias_act.c): two SSE registers, or one AVX2 register in their AVX2 copy.
 * Kept out of function signatures, where its ABI depends on the target. */
typedef float nn_v8 __attribute__((vector_size(32)));
typedef int32_t nn_v8i __attribute__((vector_size(32)));

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

/* dst[i] = src[2 i] for i < count (the stride-2 column gathers of im2col,
 * the depthwise kernel and the pools), four at a time with one shuffle. A
 * block reads eight floats, so the vector loop stops one block and one
 * float short of src[2 count - 2], the last float read. */
static inline void nn_gather_stride2(float *restrict dst, const float *restrict src, size_t count)
{
    size_t i = 0;

    for (; i + 5 <= count; i += 4) {
        const nn_v4 a = nn_v4_load(src + 2 * i), b = nn_v4_load(src + 2 * i + 4);
#if defined(__clang__)
        nn_v4_store(dst + i, __builtin_shufflevector(a, b, 0, 2, 4, 6));
#else
        nn_v4_store(dst + i, __builtin_shuffle(a, b, (nn_v4i){0, 2, 4, 6}));
#endif
    }
    for (; i < count; i++)
        dst[i] = src[2 * i];
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

/* The element-wise kernels of the backward passes, four floats a step. */

/* dst[i] += src[i] for i < n. */
static inline void nn_vec_add(float *restrict dst, const float *restrict src, size_t n)
{
    size_t i = 0;

    for (; i + 4 <= n; i += 4)
        nn_v4_store(dst + i, nn_v4_load(dst + i) + nn_v4_load(src + i));
    for (; i < n; i++)
        dst[i] += src[i];
}

/* The sum of x[0..n), four running float sums added at the end. */
static inline float nn_vec_sum(const float *x, size_t n)
{
    nn_v4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
    float tail = 0.0f;
    size_t i = 0;

    for (; i + 4 <= n; i += 4)
        acc += nn_v4_load(x + i);
    for (; i < n; i++)
        tail += x[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
}

/* The gradient through activation act read off its output y: dx = dy where
 * it passes (none: everywhere; relu: y > 0; relu6: 0 < y < 6), else 0; set
 * or (add) added to dx. dx may be dy. */
static inline void nn_act_grad(float *dx, const float *y, const float *dy, size_t n,
                               enum nn_act act, bool add)
{
    const nn_v4 zero = {0.0f, 0.0f, 0.0f, 0.0f}, six = {6.0f, 6.0f, 6.0f, 6.0f};
    size_t i = 0;

    for (; i + 4 <= n; i += 4) {
        const nn_v4 v = nn_v4_load(y + i);
        nn_v4 g = nn_v4_load(dy + i);
        if (act != NN_ACT_NONE)
            g = (nn_v4)((nn_v4i)g & (v > zero));
        if (act == NN_ACT_RELU6)
            g = (nn_v4)((nn_v4i)g & (v < six));
        nn_v4_store(dx + i, add ? nn_v4_load(dx + i) + g : g);
    }
    for (; i < n; i++) {
        const bool pass = act == NN_ACT_NONE || (y[i] > 0.0f && (act == NN_ACT_RELU || y[i] < 6.0f));
        const float g = pass ? dy[i] : 0.0f;
        dx[i] = add ? dx[i] + g : g;
    }
}

/* Elements per chunk of the element-wise layers' loops (add, relu, relu6)
 * shared with the worker. */
#define NN_ELEMWISE_CHUNK 16384u

/* Rows k < n_rows of n floats at y + k ld: y = act(y + bias[k]) in place
 * (bias NULL: no bias), the same bits as nn_bias_act (layers/bias_act.c)
 * for none, relu and relu6, and as the bias add then nn_act_apply for the
 * other activations. */
void nn_rows_bias_act(float *y, size_t ld, uint32_t n_rows, size_t n, const float *bias,
                      enum nn_act act);

/* The activation kernel (layers/act.c): y[i] = act(x[i]) for i < n (x may
 * be y), every element the same bits wherever it sits in the array, relu
 * and relu6 those of nn_bias_act with a bias of 0. nn_act_infer and
 * nn_act_forward: the shape inference and forward pass the activation
 * layers share (sigmoid.c, hardsigmoid.c, hardswish.c, silu.c). */
void nn_act_apply(float *y, const float *x, size_t n, enum nn_act act);
bool nn_act_infer(struct nn_layer *l, char *why, size_t why_size);
void nn_act_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                    struct nn_par *par);

/* Output size of a sliding window: floor((in + 2 pad - k) / stride) + 1;
 * 0 when the window does not fit. */
static inline uint32_t nn_window_out(uint32_t in, uint32_t k, uint32_t stride, uint32_t pad)
{
    uint64_t span = (uint64_t)in + 2u * (uint64_t)pad;

    if (k == 0 || span < k)
        return 0;
    return (uint32_t)((span - k) / stride + 1);
}

/* The pooling layers' shared parts (layers/pool.c): shape inference
 * (checks kernel and padding, sets l->out, no weights, a workspace of one
 * input and one output row per thread; false with why[] filled when the window does
 * not fit), and the forward pass of pooling layer l, x -> y, max (true) or
 * average (false), by planes shared with the worker par (NULL: none). */
bool nn_pool_infer(struct nn_layer *l, char *why, size_t why_size);
void nn_pool_forward(const struct nn_layer *l, const float *x, float *y, float *ws, bool max,
                     struct nn_par *par);
/* The backward pass of pooling layer l (max or average), by plane halves. */
void nn_pool_backward(const struct nn_bwd *b, bool max);

/* Most kernel taps (kh kw) the direct depthwise kernel takes; larger
 * depthwise kernels go through im2col. */
#define NN_DW_MAX_TAPS 64

/* The depthwise conv2d kernel (layers/depthwise.c): workspace floats one
 * thread needs for input *in, parameters *p and output width wo (the layer
 * reserves two, each rounded up to 16 floats), and the forward pass of depthwise layer l on one
 * batch item x (C, H, W) -> y (C, Ho, Wo), bias and activation included, by channel ranges shared
 * with the worker par (NULL: none). */
size_t nn_depthwise_ws(const struct nn_shape *in, const struct nn_params *p, uint32_t wo);
void nn_depthwise_forward(const struct nn_layer *l, const float *x, float *y, float *ws,
                          struct nn_par *par);

/* Fill w[0..n) with U(-a, a), a = sqrt(6 / fan_in): He initialisation. */
void nn_he_uniform(float *w, size_t n, size_t fan_in, struct core_rng *r);

/* Fold a batch norm (scale s_k = gamma_k / sqrt(var_k + eps), shift
 * beta_k - mean_k s_k) into conv or fc layer l's weights and bias. */
void nn_conv2d_fold_bn(struct nn_layer *conv, const struct nn_layer *bn);

/* Internal access for training (model.c): the op table entry of op, layer
 * i (a valid index) of m, writable, and m's worker thread, started on the
 * first call (NULL when it cannot start). */
const struct nn_layer_ops *nn_op_ops(enum nn_op op);
struct nn_layer *nn_model_layer_int(struct nn_model *m, int i);
struct nn_par *nn_model_worker(struct nn_model *m);

/* The worker thread of a model's forward pass at two or more threads
 * (par.c). nn_par_for(p, n, grain, fn, arg) runs fn(arg, lo, hi, who) over
 * disjoint ranges [lo, hi) covering 0 .. n, in chunks of grain items shared
 * between the caller (who = 0) and the worker (who = 1), and returns when
 * all are done; p NULL or a single chunk: one call fn(arg, 0, n, 0) on the
 * caller. fn must give each item the same result whichever thread runs it
 * and must not allocate (the counted allocator is single-threaded).
 * nn_par_create returns NULL when the thread cannot start. */
typedef void nn_par_fn(void *arg, size_t lo, size_t hi, int who);
struct nn_par *nn_par_create(void);
void nn_par_destroy(struct nn_par *p);
void nn_par_for(struct nn_par *p, size_t n, size_t grain, nn_par_fn *fn, void *arg);

/* ---- the index of layer names (names.c) ------------------------------------ */

/* Which layer has a name, in O(1): a hash table of layer indices. */
struct nn_names {
    uint32_t *slot; /* cap slots: a layer index + 1, or 0 (empty); owned */
    size_t cap;     /* slots, a power of two (0: none yet) */
    size_t n;       /* layers indexed */
};
/* Whether a layer of layers[] (those indexed) is called name: *index. */
bool nn_names_find(const struct nn_names *x, const struct nn_layer *layers, const char *name,
                   int *index);
/* Index layers[index] by its name (unique: checked by the caller); false
 * when out of memory (the index is as before). */
bool nn_names_add(struct nn_names *x, const struct nn_layer *layers, int index);
void nn_names_fini(struct nn_names *x);

/* ---- OpenBLAS's threads and buffers (blas.c) ------------------------------ */

/* Address space of one OpenBLAS work buffer, bytes: its BUFFER_SIZE on
 * x86-64 (128 MiB, mapped whole, touched only as used; checked by
 * tests/integration/test_hardening.sh under ulimit -v). */
#define NN_BLAS_BUFFER_BYTES ((size_t)128 << 20)

/* Get OpenBLAS ready to run on `threads` threads of its own while `callers`
 * threads of coinfer's (the caller, and a model's nn_par worker: 2) call it
 * at once: check that the work buffers and worker stacks it has not mapped
 * yet can be mapped, then set its thread count. Call right before the
 * kernels, with no allocation in between. CORE_E_NOMEM "out of memory:
 * OpenBLAS needs ..." when they cannot (a memory limit): OpenBLAS itself
 * would retry such a mapping for ever. */
enum core_rc nn_blas_prepare(int threads, int callers, struct core_err *e);
/* The cores OpenBLAS sees (openblas_get_num_procs, a system call each time:
 * asked once per process, then kept), the most threads a pass may use. */
int nn_blas_cores(void);

#endif /* COINFER_NN_INT_H */
