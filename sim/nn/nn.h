/*
 * nn.h — the whole public face of sim/nn: layer-by-layer DNN inference on
 * OpenBLAS, with models that can be split into parts.
 *
 * A model is a directed acyclic graph of layers built through this API:
 * nn_model_create (input shape), nn_model_add once per layer (its inputs are
 * earlier layers or NN_INPUT, so the order of addition is a topological
 * order), nn_model_finalize (weights drawn from a seed, activations planned).
 * The last layer added is the model's output; every other layer's output
 * must be used by some later layer.
 *
 * Tensors are float32, (N, C, H, W), row-major (W fastest). A layer's output
 * is identified by its layer index; the model input is NN_INPUT (-1).
 * Activations live in one arena planned once at finalize (buffers whose
 * lifetimes do not overlap share memory) plus one workspace sized for the
 * largest layer's scratch (im2col): a forward pass allocates nothing.
 *
 * Parts. A part is any set of layers, given as a bool array indexed by layer
 * (member[i]). A part run executes its layers in order; the tensors it reads
 * from outside (its *entries*: NN_INPUT or layers not in it) come from the
 * caller, and the tensors it produces for layers outside (its *exits*) are
 * copied to the caller's buffers. A split of a model is a part A closed
 * under predecessors (what the device runs) and its complement B (what the
 * edge runs): A's exits are exactly B's entries, the crossing tensors, in the
 * same order, plus the model input when B reads it (nn_model_split_crossing).
 * Running A, then B on another instance of the same model fed the crossing
 * tensors, gives B's output equal bit for bit to a whole-model run with the
 * same thread count.
 *
 * Costs. FLOPs count a multiply-add as 2 floating-point operations; MACs
 * count the multiply-accumulates of convolution and fully connected layers
 * only (the convention of published model sizes); params count learnable
 * parameters (batch norm: gamma and beta, not its running statistics).
 * FLOPs per op: conv2d and fc 2 MACs, plus one per output for a bias and one
 * for a fused activation; batchnorm 2 per element; relu 1 and relu6 2 per
 * element; maxpool kh kw per output, avgpool kh kw + 1; gap one per input
 * and one per output element; add k - 1 per output; softmax 4 per element;
 * concat, flatten and dropout 0; sigmoid and hardsigmoid 4 per element
 * (an exponential or a clamp counted as two), silu and hardswish 5; mul one
 * per output; slice and shuffle 0 (copies).
 */
#ifndef COINFER_NN_H
#define COINFER_NN_H

#include "core/core.h"

/* The layer types. New ops are appended before NN_OP_COUNT. */
enum nn_op {
    NN_OP_CONV2D,      /* (N, C, H, W) -> (N, K, Ho, Wo); groups; optional bias, activation */
    NN_OP_FC,          /* (N, C, H, W) -> (N, K, 1, 1), input read as (N, C*H*W) */
    NN_OP_BATCHNORM,   /* (N, C, H, W) -> (N, C, H, W), per-channel affine */
    NN_OP_RELU,        /* (N, C, H, W) -> same: max(x, 0) */
    NN_OP_RELU6,       /* (N, C, H, W) -> same: min(max(x, 0), 6) */
    NN_OP_MAXPOOL,     /* (N, C, H, W) -> (N, C, Ho, Wo); padding never wins */
    NN_OP_AVGPOOL,     /* (N, C, H, W) -> (N, C, Ho, Wo); divides by kh*kw (padding counts) */
    NN_OP_GAP,         /* (N, C, H, W) -> (N, C, 1, 1): global average pool */
    NN_OP_ADD,         /* k inputs of one shape (N, C, H, W) -> their sum */
    NN_OP_CONCAT,      /* k inputs (N, C_i, H, W) -> (N, sum C_i, H, W) */
    NN_OP_FLATTEN,     /* (N, C, H, W) -> (N, C*H*W, 1, 1), no copy */
    NN_OP_SOFTMAX,     /* (N, C, H, W) -> same, softmax over each item's C*H*W values */
    NN_OP_DROPOUT,     /* (N, C, H, W) -> same: identity at inference, no copy */
    NN_OP_SIGMOID,     /* (N, C, H, W) -> same: 1 / (1 + exp(-x)) */
    NN_OP_HARDSIGMOID, /* (N, C, H, W) -> same: min(max(x + 3, 0), 6) / 6 */
    NN_OP_HARDSWISH,   /* (N, C, H, W) -> same: x min(max(x + 3, 0), 6) / 6 */
    NN_OP_SILU,        /* (N, C, H, W) -> same: x / (1 + exp(-x)) (swish) */
    NN_OP_MUL,         /* (N, C, H, W) x (N, C, H, W) or (N, C, 1, 1) -> (N, C, H, W): product,
                          the second broadcast over H W (squeeze-and-excitation's scaling) */
    NN_OP_SLICE,       /* (N, C, H, W) -> (N, K, H, W): channels offset .. offset + K - 1 */
    NN_OP_SHUFFLE,     /* (N, C, H, W) -> same: channel shuffle in groups g, channel
                          j (C / g) + i to i g + j (ShuffleNet) */
    NN_OP_COUNT
};

/* An activation fused into a conv2d or fc layer (applied after the bias):
 * each is the op of the same name. New ones are appended before
 * NN_ACT_COUNT. */
enum nn_act {
    NN_ACT_NONE,
    NN_ACT_RELU,
    NN_ACT_RELU6,
    NN_ACT_SIGMOID,
    NN_ACT_HARDSIGMOID,
    NN_ACT_HARDSWISH,
    NN_ACT_SILU,
    NN_ACT_COUNT
};

/* The model input, as a layer's input index or a tensor id. */
#define NN_INPUT (-1)
/* Most inputs one layer may have (add, concat). */
#define NN_MAX_INPUTS 8
/* Longest layer name kept, bytes including the terminating NUL. */
#define NN_NAME_MAX 48

/* A tensor shape: batch, channels, height, width (elements). */
struct nn_shape {
    uint32_t n; /* batch items */
    uint32_t c; /* channels */
    uint32_t h; /* rows, elements */
    uint32_t w; /* columns, elements */
};

/* A layer's hyper-parameters. Fields an op does not use are ignored; a zero
 * stride or group count means 1, and a zero kernel_w means kernel_h (square).
 * conv2d uses out_channels to act; fc uses out_channels, bias, act;
 * batchnorm uses eps (0 means 1e-5); the pools use kernel, stride and pad,
 * and maxpool ceil; slice uses out_channels and offset; shuffle uses
 * groups. */
struct nn_params {
    uint32_t out_channels; /* conv2d: output channels K; fc: output features */
    uint32_t kernel_h;     /* kernel rows, elements */
    uint32_t kernel_w;     /* kernel columns, elements (0: kernel_h) */
    uint32_t stride;       /* stride in both directions, elements (0: 1) */
    uint32_t pad;          /* zero padding on each side, elements */
    uint32_t groups;       /* conv2d groups (0: 1); C and K must divide by it */
    bool bias;             /* conv2d / fc carry a bias */
    enum nn_act act;       /* conv2d / fc fused activation */
    float eps;             /* batchnorm epsilon (0: 1e-5) */
    bool ceil;             /* maxpool: output size rounded up (PyTorch's ceil_mode): a last
                              window that starts inside the input or its left padding counts */
    uint32_t offset;       /* slice: first input channel taken */
};

/* What one layer (or a whole model) costs. */
struct nn_cost {
    uint64_t flops;        /* floating-point operations, multiply-add = 2 */
    uint64_t macs;         /* multiply-accumulates of conv2d and fc */
    uint64_t params;       /* learnable parameters */
    uint64_t output_bytes; /* bytes of the output tensor, float32 */
};

struct nn_model;

/* Stable lower-case name of an op ("conv2d", "fc", "batchnorm", ...). */
const char *nn_op_name(enum nn_op op);
/* The op named name: true with it in *op, else false. */
bool nn_op_find(const char *name, enum nn_op *op);
/* Name of an activation: "none", else the name of its op ("relu", "silu", ...). */
const char *nn_act_name(enum nn_act act);
/* The activation an activation op computes (relu, relu6, sigmoid,
 * hardsigmoid, hardswish, silu), NN_ACT_NONE for any other op: the ops
 * nn_model_fuse_activations fuses. */
enum nn_act nn_act_of_op(enum nn_op op);

/* Bytes of a float32 tensor of shape s. */
uint64_t nn_shape_bytes(const struct nn_shape *s);

/* ---- building --------------------------------------------------------- */

/* Create an empty model whose input has shape *input (no zero dimension).
 * *out is returned owned (free with nn_model_destroy). CORE_E_INPUT for a
 * zero dimension, CORE_E_NOMEM. */
enum core_rc nn_model_create(const struct nn_shape *input, struct nn_model **out,
                             struct core_err *e);
void nn_model_destroy(struct nn_model *m); /* NULL is a no-op */

/* Append a layer of type op with parameters *p (copied; NULL = all zero)
 * reading inputs[0..n_inputs) (each NN_INPUT or an earlier layer; copied),
 * named name (copied, truncated to NN_NAME_MAX - 1; NULL = "<op><index>").
 * Infers its output shape now. Stores its index in *index_out (may be NULL).
 * CORE_E_INPUT (message names the layer) for a name already taken, a wrong
 * input count or index, bad parameters or shapes that do not fit, or a
 * finalized model; CORE_E_NOMEM. On failure the model is unchanged. */
enum core_rc nn_model_add(struct nn_model *m, enum nn_op op, const struct nn_params *p,
                          const int *inputs, size_t n_inputs, const char *name, int *index_out,
                          struct core_err *e);

/* Finish the model: check that every layer but the last is used, allocate
 * all weights in one block and draw them (He initialisation, uniform
 * variant: U(-a, a) with a = sqrt(6 / fan_in), one stream per layer from
 * core_rng_create(seed, core_rng_entity(CORE_RNG_ENTITY_LAYER, layer_index, 0),
 * CORE_RNG_WEIGHTS); biases and batch-norm
 * beta and mean 0, gamma and variance 1), plan the activation arena and
 * allocate it and the workspace. CORE_E_INPUT for an empty model or an
 * unused layer, CORE_E_NOMEM (the model is then left unfinalized and
 * holding nothing more than before). */
enum core_rc nn_model_finalize(struct nn_model *m, uint64_t seed, struct core_err *e);

/* Fold every batch norm whose input is a conv2d without fused activation
 * used by that batch norm only into the conv's weights and bias; the batch
 * norm then runs as a no-op alias. Call after the weights are final (drawn
 * or loaded); idempotent. Returns the number of batch norms folded now. The
 * model must be finalized. */
size_t nn_model_fold_batchnorm(struct nn_model *m);

/* Fuse every activation layer (relu, relu6, sigmoid, hardsigmoid, hardswish,
 * silu) whose input is a conv2d or fc without activation
 * read by it alone (or such a conv's folded batch norm) into that layer, which
 * then applies the activation in its own output pass; the activation layer
 * runs as a no-op alias. Call after nn_model_fold_batchnorm; idempotent.
 * Returns the number fused now. Results equal the unfused model's exactly;
 * a split between the producer and the activation then carries the
 * activated tensor (same size; both sides must use the same fused model).
 * The model must be finalized. */
size_t nn_model_fuse_activations(struct nn_model *m);

/* Whether layer i becomes a no-op alias of its input once the model is
 * folded and fused (nn_model_fold_batchnorm, then nn_model_fuse_activations):
 * a batch norm folded into its conv2d, or a relu / relu6 fused into the
 * conv2d or fc it reads (through such a batch norm). The same rules the two
 * functions apply, answered from the graph alone: any model, finalized or
 * not. Pricing a model as it will be deployed reads this; nothing restates
 * the rules. */
bool nn_model_layer_alias(const struct nn_model *m, int i);

/* ---- inspecting ------------------------------------------------------- */

size_t nn_model_n_layers(const struct nn_model *m);
bool nn_model_is_finalized(const struct nn_model *m);
/* Layer i's op, name (borrowed), parameters (borrowed), inputs (borrowed,
 * count in *n). i must be a valid layer index. */
enum nn_op nn_model_layer_op(const struct nn_model *m, int i);
const char *nn_model_layer_name(const struct nn_model *m, int i);
const struct nn_params *nn_model_layer_params(const struct nn_model *m, int i);
const int *nn_model_layer_inputs(const struct nn_model *m, int i, size_t *n);
/* Find the layer named name: true with its index in *index, else false. */
bool nn_model_find_layer(const struct nn_model *m, const char *name, int *index);
/* Shape of tensor t: NN_INPUT or a layer index. */
struct nn_shape nn_model_shape(const struct nn_model *m, int t);
/* Bytes of tensor t (NN_INPUT or a layer index): what sending it costs. */
uint64_t nn_model_tensor_bytes(const struct nn_model *m, int t);
/* Cost of layer i, and of the whole model (sums; output_bytes of the
 * model's output). */
void nn_model_layer_cost(const struct nn_model *m, int i, struct nn_cost *c);
void nn_model_cost(const struct nn_model *m, struct nn_cost *c);

/* Layer i's parameters, writable (valid after finalize; NULL with *n = 0
 * for ops without weights). Layout, float32, row-major:
 *   conv2d:    weights (K, C/groups, kh, kw), then bias (K) if p.bias
 *   fc:        weights (K, C*H*W), then bias (K) if p.bias
 *   batchnorm: gamma (C), beta (C), running mean (C), running variance (C)
 * Writing them after nn_model_fold_batchnorm folded a layer is the caller's
 * business (the fold is not redone). */
float *nn_model_layer_weights(struct nn_model *m, int i, size_t *n);

/* Bytes of the activation arena and of the workspace (after finalize). */
uint64_t nn_model_arena_bytes(const struct nn_model *m);
uint64_t nn_model_workspace_bytes(const struct nn_model *m);

/* ---- parts (before or after finalize) --------------------------------- */

/* Check that member[0..n_layers) is closed under predecessors (every input
 * of a member is a member or NN_INPUT): a part a device can run first.
 * CORE_E_INPUT naming the first layer whose input is missing. */
enum core_rc nn_model_check_part(const struct nn_model *m, const bool *member, struct core_err *e);

/* Set member[] to the first k layers in order (a prefix of the topological
 * order, always closed under predecessors; for a chain, the split after
 * layer k - 1). k <= n_layers. */
void nn_model_part_prefix(const struct nn_model *m, size_t k, bool *member);

/* The entries of part member (NULL = whole model): tensors read by its
 * layers and produced outside it (NN_INPUT first, then ascending layer
 * index), written to ids[] (room for n_layers + 1); returns their count. */
size_t nn_model_part_entries(const struct nn_model *m, const bool *member, int *ids);
/* Its exits: tensors produced by its layers and read by a layer outside it,
 * ascending (never NN_INPUT); returns their count. */
size_t nn_model_part_exits(const struct nn_model *m, const bool *member, int *ids);

/* The crossing tensors of the split A | B, B the complement of part a: the
 * entries of B, i.e. a's exits, preceded by NN_INPUT when a layer of B reads
 * the model input (the device then sends it as it is; for an empty a it is
 * the only one). Written to ids[] (room for n_layers + 1); returns the count.
 * To run B, feed entries[j] = the model input if ids[j] is NN_INPUT, else
 * a's exits in order. */
size_t nn_model_split_crossing(const struct nn_model *m, const bool *a, int *ids);
/* Total bytes of the split's crossing tensors: what the split sends uplink. */
uint64_t nn_model_split_bytes(const struct nn_model *m, const bool *a);

/* ---- running ---------------------------------------------------------- */

/* Run the whole model on input (nn_model_shape(m, NN_INPUT), borrowed) on
 * threads threads (1 .. cores). One thread: OpenBLAS on one thread, nothing
 * else. More: the model's worker thread, started by the first such run and
 * kept until nn_model_destroy, shares the layers' loops and GEMMs with the
 * caller (two threads however many are asked), OpenBLAS on one thread in
 * each. The result is at nn_model_output until the next run: the bits of
 * one thread except where a GEMM is cut by columns (sim/nn/par.c,
 * layers/conv2d.c), the same from run to run. CORE_E_INPUT for a bad thread
 * count or an unfinalized model, CORE_E_NOMEM when the worker cannot start.
 * Allocates nothing except the worker's one block on its first run. */
enum core_rc nn_model_forward(struct nn_model *m, const float *input, int threads,
                              struct core_err *e);

/* Run the layers of part member (NULL = all; any subset) in order.
 * entries[j] (borrowed) holds the j-th entry tensor of the part as listed by
 * nn_model_part_entries; exits[j] (caller's memory, nn_model_tensor_bytes
 * each) receives the j-th exit tensor (exits NULL: not copied, as for
 * timing a part). Entry buffers should be 64-byte aligned for results
 * bit-identical to a whole run. Threads and allocation as nn_model_forward.
 * A model runs one pass at a time, and the OpenBLAS thread count it sets
 * (one) is process-wide. */
enum core_rc nn_model_forward_part(struct nn_model *m, const bool *member,
                                   const float *const *entries, float *const *exits, int threads,
                                   struct core_err *e);

/* From now on, every run writes the wall-clock seconds each layer it runs
 * took to layer_s[i] (borrowed, n_layers entries; 0 for aliases; layers
 * outside the part are left alone). The exit copies are not counted. NULL
 * stops the timing. For the profiler: no allocation, two clock reads a
 * layer. */
void nn_model_time_layers(struct nn_model *m, double *layer_s);

/* The model's output after a run whose part held the last layer (borrowed,
 * nn_model_shape(m, last) elements; valid until the next run). */
const float *nn_model_output(const struct nn_model *m);

/* ---- copies (clone.c) ------------------------------------------------- */

/* Build a copy of m's graph (layers, names, parameters) whose input has batch
 * size batch (>= 1): what training at a batch size needs from a model built
 * or loaded at another. When m is finalized the copy is finalized too and
 * holds m's weights; else it is not finalized. *out is returned owned.
 * CORE_E_INPUT for batch 0 or a model whose batch norms are folded or
 * activations fused (its weights no longer are the unfolded network's);
 * CORE_E_NOMEM (nothing leaks). */
enum core_rc nn_model_clone(const struct nn_model *m, uint32_t batch, struct nn_model **out,
                            struct core_err *e);

/* ---- training (train.c) ----------------------------------------------- */

/*
 * A model in training mode: nn_train_create binds a finalized model (neither
 * folded nor fused; borrowed, it must outlive the train object) at the batch
 * size of its input (nn_model_clone makes a copy at another batch size).
 *
 *   nn_train_forward   runs every layer in training mode and keeps what the
 *                      backward pass needs: batch norms normalise with the
 *                      batch's statistics (and update their running mean and
 *                      variance, momentum 0.1, the variance unbiased, as
 *                      PyTorch), dropout zeroes each value with probability
 *                      0.5 and scales the others by 2;
 *   nn_train_backward  from dL/d(a layer's output) computes dL/d(every
 *                      parameter) (nn_train_grads) and, when asked at create,
 *                      dL/d(input) (nn_train_input_grad);
 *   nn_optim_step      (optim.c) updates the model's weights from them.
 *
 * Plan: in training every activation stays in a second arena, one slot per
 * tensor (a layer's backward reads its input or output, so no slot can be
 * shared), and the gradients of the tensors live in a third, planned like
 * the inference arena: the gradient of tensor t is live from its last
 * reader's backward to t's own, the interval of t's activation at inference
 * run backwards, so gradients whose intervals do not overlap share memory. A
 * tensor read by several layers has its gradient summed. Parameter
 * gradients are one block, a layer's in the order of its weights (as
 * nn_model_layer_weights shows them; conv2d and fc bias only when they have
 * one; batch norm gamma then beta). Every pass allocates nothing.
 *
 * Threads: as nn_model_forward (the model's worker thread at two). The
 * backward passes cut their work into two fixed halves (batch items,
 * channels, rows) whoever runs them, so a backward gives the same bits at
 * one and two threads; runs repeat bit for bit at a given thread count.
 */
struct nn_train;

/* Bind finalized model m for training. seed seeds the dropout masks (one
 * stream, core_rng_create(seed, 0, CORE_RNG_DROPOUT)); input_grad: also
 * compute dL/d(input). *out is returned owned (nn_train_destroy).
 * CORE_E_INPUT for an unfinalized, folded or fused model or a layer whose
 * type cannot be trained ("layer 3 'x': layer type T cannot be trained");
 * CORE_E_NOMEM (nothing leaks). */
enum core_rc nn_train_create(struct nn_model *m, uint64_t seed, bool input_grad,
                             struct nn_train **out, struct core_err *e);
void nn_train_destroy(struct nn_train *t); /* NULL is a no-op */

/* The bound model (borrowed). */
struct nn_model *nn_train_model(const struct nn_train *t);

/* Run the model in training mode on input (nn_model_shape(m, NN_INPUT),
 * copied) with threads threads (1 .. cores). CORE_E_INPUT for a bad thread
 * count, CORE_E_NOMEM when the worker thread cannot start. */
enum core_rc nn_train_forward(struct nn_train *t, const float *input, int threads,
                              struct core_err *e);

/* Layer i's output after the last nn_train_forward (borrowed, valid until
 * the next forward). */
const float *nn_train_tensor(const struct nn_train *t, int i);

/* The layer whose output is the model's logits: the last layer, or its input
 * when the last layer is a softmax (train on logits: softmax cross-entropy
 * on the logits is exact where a softmax's log underflows). */
int nn_train_logits_layer(const struct nn_train *t);

/* Backward from grad = dL/d(output of layer from) (nn_model_shape(m, from)
 * floats, borrowed) after nn_train_forward: layers after from take no part,
 * and layers whose output does not reach from get zero gradients.
 * CORE_E_INPUT for a bad layer or thread count or no forward since
 * create; CORE_E_NOMEM when the worker thread cannot start. */
enum core_rc nn_train_backward(struct nn_train *t, int from, const float *grad, int threads,
                               struct core_err *e);

/* Backward from several seeds at once: grad[s] = dL/d(output of layer
 * from[s]) (nn_model_shape(m, from[s]) floats each, borrowed), n_seeds >= 1,
 * summed into the gradient of each seed's tensor after every layer reading
 * it has added its part (a loss on an intermediate tensor, as an early
 * exit's branch gives its attach point). Layers after the largest from take
 * no part. With one seed it is nn_train_backward, bit for bit. Errors as
 * nn_train_backward. */
enum core_rc nn_train_backward_seeds(struct nn_train *t, size_t n_seeds, const int *from,
                                     const float *const *grad, int threads, struct core_err *e);

/* dL/d(layer i's parameters) after the last backward (borrowed; *n floats,
 * the layer's learnable parameters; NULL with *n = 0 when it has none). */
const float *nn_train_grads(const struct nn_train *t, int i, size_t *n);
/* dL/d(input) after the last backward (borrowed), or NULL when t was created
 * without input_grad. */
const float *nn_train_input_grad(const struct nn_train *t);
/* Learnable parameters of the model, floats. */
size_t nn_train_n_params(const struct nn_train *t);

/* ---- losses (loss.c) -------------------------------------------------- */

/* Softmax cross-entropy of n rows of k logits against labels (each < k):
 * returns the mean over the rows of -log softmax(row)[label]; writes
 * d_logits = (softmax - onehot) / n (n x k floats; may be NULL) and the
 * count of rows whose largest logit is the label's (the first one on ties)
 * to *correct (may be NULL). As PyTorch's cross_entropy(reduction="mean"). */
double nn_loss_xent(const float *logits, const uint32_t *labels, size_t n, size_t k,
                    float *d_logits, size_t *correct);

/* Mean squared error over count values: returns mean((y - target)^2) and
 * writes dy = 2 (y - target) / count (may be NULL). As PyTorch's mse_loss. */
double nn_loss_mse(const float *y, const float *target, size_t count, float *dy);

/* Huber loss over count values with threshold delta (> 0): returns the mean
 * of 0.5 d^2 where |d| <= delta, delta (|d| - delta / 2) beyond, d = y -
 * target; writes dy = clamp(d, -delta, delta) / count (may be NULL). As
 * PyTorch's huber_loss (reduction "mean"). */
double nn_loss_huber(const float *y, const float *target, size_t count, double delta, float *dy);

/* ---- optimisers (optim.c) --------------------------------------------- */

enum nn_optim_kind {
    NN_OPTIM_SGD,  /* SGD with momentum, PyTorch's torch.optim.SGD */
    NN_OPTIM_ADAM, /* Adam (Kingma & Ba 2015), PyTorch's torch.optim.Adam */
    NN_OPTIM_COUNT
};

/* "sgd", "adam". */
const char *nn_optim_name(enum nn_optim_kind k);

/* Hyper-parameters. With g the gradient plus weight_decay times the
 * parameter w, step t = 1, 2, ...:
 *   SGD:  v = momentum v + g (v = g at t = 1), w -= lr v
 *   Adam: m = beta1 m + (1 - beta1) g, s = beta2 s + (1 - beta2) g^2,
 *         w -= lr (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps) */
struct nn_optim_config {
    enum nn_optim_kind kind; /* the rule */
    double lr;               /* learning rate, > 0 */
    double momentum;         /* SGD momentum, in [0, 1) */
    double beta1;            /* Adam first-moment decay, in [0, 1) (0.9 is usual) */
    double beta2;            /* Adam second-moment decay, in [0, 1) (0.999 is usual) */
    double eps;              /* Adam denominator floor, > 0 (1e-8 is usual) */
    double weight_decay;     /* L2 penalty on every learnable parameter, >= 0 */
};

struct nn_optim;

/* An optimiser for the learnable parameters of t's model (its state sized
 * from t, zero). *out is returned owned (nn_optim_destroy). CORE_E_INPUT for
 * a hyper-parameter out of range (the message names it), CORE_E_NOMEM. */
enum core_rc nn_optim_create(const struct nn_train *t, const struct nn_optim_config *c,
                             struct nn_optim **out, struct core_err *e);
void nn_optim_destroy(struct nn_optim *o); /* NULL is a no-op */
/* Change the learning rate (schedules); lr > 0. */
void nn_optim_set_lr(struct nn_optim *o, double lr);
/* One step: update the weights of t's model (the train object o was made
 * for) from t's parameter gradients. Allocates nothing. */
void nn_optim_step(struct nn_optim *o, struct nn_train *t);

/* ---- datasets (dataset.c) --------------------------------------------- */

/* Where the Debian package dataset-fashion-mnist puts its IDX files. */
#define NN_FMNIST_DIR "/usr/share/datasets/fashion-mnist"
/* Fashion-MNIST's classes: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress,
 * 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot. */
#define NN_FMNIST_CLASSES 10

/* Labelled images, pixels as bytes. The model input of item i is its
 * pixels / 255 as (1, C, H, W) floats (PyTorch's ToTensor()). */
struct nn_dataset {
    size_t n;          /* items (a caller may lower it to use the first n only) */
    uint32_t c, h, w;  /* one item's channels, rows, columns, elements */
    uint32_t classes;  /* every label is below this */
    uint8_t *pixels;   /* n C H W bytes, item by item, row-major, owned */
    uint8_t *labels;   /* n labels, owned */
};

/* Read the IDX files images (unsigned bytes, 3 dimensions: items, rows,
 * columns) and labels (1 dimension: items), plain or gzip-compressed, into
 * *out (owned, nn_dataset_destroy), with classes (1 .. 256) classes.
 * CORE_E_INPUT naming the file and what is wrong: it cannot be opened, is
 * not IDX, holds another type or dimension count, is truncated or has bytes
 * after its data, a corrupt gzip stream, item counts that differ, a label
 * not below classes; CORE_E_NOMEM. */
enum core_rc nn_dataset_load_idx(const char *images, const char *labels, uint32_t classes,
                                 struct nn_dataset **out, struct core_err *e);

/* Fashion-MNIST's training (train) or test set from directory dir (e.g.
 * NN_FMNIST_DIR): <prefix>-images-idx3-ubyte and <prefix>-labels-idx1-ubyte,
 * each plain or with ".gz", prefix "train" or "t10k". Errors as
 * nn_dataset_load_idx, and CORE_E_INPUT when the files are not there or the
 * images are not 28x28. */
enum core_rc nn_dataset_load_fmnist(const char *dir, bool train, struct nn_dataset **out,
                                    struct core_err *e);
void nn_dataset_destroy(struct nn_dataset *d); /* NULL is a no-op */

/* Items idx[0..n) (each < d->n) as model input x (n C H W floats, pixel /
 * 255) and their labels y (n; may be NULL). */
void nn_dataset_batch(const struct nn_dataset *d, const size_t *idx, size_t n, float *x,
                      uint32_t *y);

/* ---- supervised training of a classifier (fit.c) ----------------------- */

/* How the learning rate moves over the run. */
enum nn_schedule {
    NN_SCHEDULE_COSINE,   /* lr (1 + cos(pi s / S)) / 2 at step s of S: to 0 at the end */
    NN_SCHEDULE_CONSTANT, /* lr throughout */
    NN_SCHEDULE_COUNT
};
/* "cosine", "constant". */
const char *nn_schedule_name(enum nn_schedule s);

/* Where a run stands, for a progress display. */
struct nn_fit_status {
    uint32_t epoch;       /* the current epoch, 1-based */
    uint32_t epochs;      /* epochs of the run */
    size_t step;          /* batches done in this epoch */
    size_t steps;         /* batches per epoch */
    double loss;          /* mean training loss of this epoch's batches so far */
    double accuracy;      /* training accuracy of this epoch's batches so far, 0..1 */
    double epoch_s;       /* wall time of this epoch's training so far, s */
    double elapsed_s;     /* wall time since the run started, evaluations included, s */
    bool epoch_end;       /* the epoch is over and evaluated: the test figures are set */
    double test_loss;     /* after the epoch: mean loss on the test set (NAN before) */
    double test_accuracy; /* after the epoch: accuracy on the test set, 0..1 (NAN before) */
};

/* A training run. The model is trained at its own batch size (each epoch
 * runs floor(items / batch) batches of a fresh shuffle, the remainder
 * left out of that epoch). */
struct nn_fit_config {
    uint32_t epochs;              /* passes over the training set, >= 1 */
    uint64_t seed;                /* shuffles (CORE_RNG_SHUFFLE, entity = epoch),
                                   * augmentation (CORE_RNG_AUGMENT) and dropout */
    int threads;                  /* 1 .. cores, as nn_model_forward */
    struct nn_optim_config optim; /* the optimiser and its initial learning rate */
    enum nn_schedule schedule;    /* how the learning rate moves */
    bool augment;                 /* random horizontal flips (p = 0.5) and shifts by up
                                   * to 2 pixels each way (zero fill) of training items */
    volatile int *stop;           /* when non-NULL and set, stop after the batch */
    /* Called after every batch and after each epoch's evaluation (NULL:
     * none); must not call back into the run. */
    void (*progress)(void *ctx, const struct nn_fit_status *s);
    void *ctx;                    /* passed to progress */
    struct nn_exits *exits;       /* NULL or empty: none; else m's early exits (finalized,
                                   * at m's batch size), trained jointly with m */
};

/* What a run reached. */
struct nn_fit_result {
    uint32_t epochs;        /* epochs completed */
    double train_loss;      /* last epoch's mean training loss */
    double train_accuracy;  /* last epoch's training accuracy, 0..1 */
    double test_loss;       /* test loss after the last epoch */
    double test_accuracy;   /* test accuracy after the last epoch, 0..1 */
    double epoch_s;         /* mean wall time of an epoch's training (no evaluation), s */
};

/* Train classifier m (finalized, unfolded; its input (B, C, H, W) with the
 * datasets' items' shape, its output B rows of the datasets' class count,
 * logits or a softmax) on train with softmax cross-entropy on the logits,
 * evaluating on test (may be NULL) after each epoch. Deterministic for a seed
 * at a given thread count. The trained weights are m's. CORE_E_INPUT for a
 * model that does not fit the data, fewer training items than a batch, bad
 * hyper-parameters, or a layer that cannot be trained; CORE_E_INTERRUPTED
 * when *stop was set (m holds the weights reached); CORE_E_NOMEM. */
enum core_rc nn_fit(struct nn_model *m, const struct nn_dataset *train,
                    const struct nn_dataset *test, const struct nn_fit_config *c,
                    struct nn_fit_result *r, struct core_err *e);

/* Run m (finalized; inference mode: batch norms on their running
 * statistics, dropout the identity) over the first d->n items of d in
 * batches of m's batch size (the last one padded) on threads threads;
 * the accuracy (0..1) in *accuracy, the mean cross-entropy in *loss (may
 * be NULL; from the softmax output's log when the model ends in one).
 * CORE_E_INPUT for a model that does not fit the data or a bad thread
 * count, CORE_E_NOMEM. */
enum core_rc nn_evaluate(struct nn_model *m, const struct nn_dataset *d, int threads,
                         double *accuracy, double *loss, struct core_err *e);

/* ---- early exits (exits.c, exit_rule.c, exit_eval.c) -------------------- */

/*
 * Early exits (BranchyNet, Teerapittayanon et al., ICPR 2016): a small
 * branch of layers reads the output of one layer of the main model (its
 * attach point) and ends in logits over the main model's classes. At
 * inference the exits are tried in order of their attach points: an item
 * whose branch is confident enough leaves there, the others go on, and
 * those that pass every exit get the main model's output. Training is
 * joint: the loss is the main model's cross-entropy plus each exit's times
 * its loss_weight (BranchyNet's weighted sum; 1 each by default), and an
 * exit's gradient enters the main model at its attach point
 * (nn_train_backward_seeds). A branch is a model of its own (its input
 * the attach point's output, at the same batch size), so the main model's
 * graph, plan and costs are those of the model without exits.
 */

/* One exit. */
struct nn_exit {
    char name[NN_NAME_MAX];  /* unique among the exits and the main model's layers */
    int attach;              /* the main model's layer whose output the branch reads */
    double loss_weight;      /* its cross-entropy's weight in joint training, >= 0 */
    struct nn_model *branch; /* owned: input = attach's output shape, output its logits
                                (or a softmax over them), one row per item */
};

/* A main model's exits, ascending attach points. */
struct nn_exits {
    size_t n;          /* exits */
    struct nn_exit *v; /* [n], owned */
};

/* Free the branches and the array; *x becomes empty. NULL is a no-op. */
void nn_exits_fini(struct nn_exits *x);

/* Append an exit named name at layer attach of main model m with branch
 * (taken on success only; not finalized or finalized at m's batch size).
 * CORE_E_INPUT (the message names the exit) for a name taken by a layer of m
 * or another exit, an attach that is not a layer before m's last or not
 * after the previous exit's, a branch whose input shape is not attach's
 * output shape or whose output row is not m's, a negative or non-finite
 * loss_weight; CORE_E_NOMEM. */
enum core_rc nn_exits_add(struct nn_exits *x, const struct nn_model *m, const char *name,
                          int attach, double loss_weight, struct nn_model *branch,
                          struct core_err *e);

/* Copy every branch at batch size batch (nn_model_clone) into *out (empty
 * before; nn_exits_fini). Errors as nn_model_clone; nothing leaks. */
enum core_rc nn_exits_clone(const struct nn_exits *x, uint32_t batch, struct nn_exits *out,
                            struct core_err *e);

/* Finalize every branch, branch j's weights drawn from seed
 * nn_exits_seed(seed, j). Errors as nn_model_finalize. */
enum core_rc nn_exits_finalize(struct nn_exits *x, uint64_t seed, struct core_err *e);
/* The seed of exit j's draws (weights, dropout) from a run's seed: not the
 * main model's streams. */
uint64_t nn_exits_seed(uint64_t seed, size_t j);

/* MACs per item of an item that leaves at stage j (0 .. x->n - 1: exit j;
 * x->n: the main output): the main model's layers up to exit j's attach
 * point in layer order (all of them for the main output), plus the branches
 * of exits 0 .. j (every exit an item passed was tried). */
uint64_t nn_exits_stage_macs(const struct nn_model *m, const struct nn_exits *x, size_t j);

/* How confident a branch is in its answer, from its logits. */
enum nn_conf_kind {
    NN_CONF_MAX_PROB, /* the largest softmax probability, in [1/k, 1]; leave when >= threshold */
    NN_CONF_ENTROPY,  /* the softmax's entropy over log k, in [0, 1]; leave when <= threshold */
    NN_CONF_COUNT
};
/* "max-prob", "entropy". */
const char *nn_conf_name(enum nn_conf_kind k);
/* The kind named name: true with it in *k, else false. */
bool nn_conf_find(const char *name, enum nn_conf_kind *k);

/* The score of kind k of one row of n >= 2 logits (or probabilities, when
 * probs), computed in double with the largest logit subtracted. */
double nn_conf_score(enum nn_conf_kind k, const float *row, size_t n, bool probs);
/* Whether an item with score leaves at an exit of threshold thr. */
bool nn_conf_leaves(enum nn_conf_kind k, double score, double thr);

/* What each stage of a cascade saw. */
struct nn_exit_stage {
    size_t left;    /* items that left here */
    size_t correct; /* of those, items whose answer was their label */
};

/* The cascade of n_exits exits over n items, given per item i and stage j
 * (0 .. n_exits; the last the main output) its answer pred[i (n_exits + 1)
 * + j] and score (kind k) score[same], with thresholds thr[0..n_exits) (one
 * per exit) and labels[0..n): item i leaves at the first exit whose score
 * passes its threshold, else at the main output. st[0..n_exits] receives the
 * counts. Pure: the unit tests' known answers. */
void nn_exit_cascade(enum nn_conf_kind k, size_t n, size_t n_exits, const double *thr,
                     const uint32_t *pred, const float *score, const uint8_t *labels,
                     struct nn_exit_stage *st);

/* Run finalized model m and its finalized exits x (same batch size B) in
 * inference mode over the first d->n items of d, B at a time (the last
 * batch padded): per item i and stage j (0 .. x->n, the last the main
 * output) the first largest output in pred[i (x->n + 1) + j] and its score
 * of kind k in score[same] (rooms for d->n (x->n + 1)). threads, stop and
 * progress (items done, may be NULL) as nn_split_accuracy. CORE_E_INPUT for
 * a model or branch that does not fit the data, CORE_E_INTERRUPTED,
 * CORE_E_NOMEM. */
enum core_rc nn_exits_classify(struct nn_model *m, struct nn_exits *x, const struct nn_dataset *d,
                               enum nn_conf_kind k, int threads, volatile int *stop,
                               void (*progress)(void *ctx, size_t items_done), void *ctx,
                               uint32_t *pred, float *score, struct core_err *e);

/* Mark in member[0..n_layers of m) the layers attach needs: itself and its
 * ancestors (the main model's part an inference that ends at an exit
 * attached there runs). */
void nn_exit_needed(const struct nn_model *m, int attach, bool *member);

/* Exit x's right-sized model of main model m, in *out (owned): the layers
 * nn_exit_needed marks, in m's order and names, then x's branch's layers
 * named "<exit>.<layer>", its input read from the attach point; its output
 * the exit's. Built at m's batch size; when m and the branch are finalized
 * (both or neither), finalized with their weights copied (exit_model.c).
 * CORE_E_INPUT for a folded or fused source, a composed name longer than
 * NN_NAME_MAX - 1 or taken, finalized and unfinalized mixed; CORE_E_NOMEM.
 * Nothing leaks. */
enum core_rc nn_exit_model(const struct nn_model *m, const struct nn_exit *x, struct nn_model **out,
                           struct core_err *e);

/* Weights files with exits: the main model's tensors as nn_weights_save
 * names them, then each exit's branch's tensors prefixed with its name,
 * "<exit>.<layer>.<part>" (PyTorch's state_dict of a module holding the
 * branch as submodule <exit>). The format is unchanged (version 1); with no
 * exits (x NULL or empty) these are nn_weights_save, _check and _load. */
enum core_rc nn_weights_save_exits(struct nn_model *m, const struct nn_exits *x,
                                   const char *path, struct core_err *e);
enum core_rc nn_weights_check_exits(const struct nn_model *m, const struct nn_exits *x,
                                    const char *path, struct core_err *e);
enum core_rc nn_weights_load_exits(struct nn_model *m, struct nn_exits *x, const char *path,
                                   struct core_err *e);

/* ---- feature encodings of a crossing tensor (encode.c) ------------------ */

/* What crosses a split instead of the float32 tensor: the feature
 * compressions of JALAD and BottleNet-style split inference. Per tensor (one
 * inference's crossing tensor, n values):
 *   fp32  the float32 values (4 n bytes), lossless;
 *   fp16  IEEE half, round to nearest even, saturating at +-65504 (2 n);
 *   int8, int4  linear quantisation, one scale s and zero point z per
 *         tensor over [min(0, min x), max(0, max x)] with 255 or 15 steps:
 *         q = clamp(round(x / s) + z), decoded (q - z) s, within s / 2 of x;
 *         5 + n and 5 + ceil(n / 2) bytes;
 *   topk  the k = ceil(f n) values of largest magnitude (ties: the lower
 *         index) and their indices, zeros elsewhere: 4 + k (4 + w) bytes,
 *         w = 1, 2 or 4 the index width for n <= 2^8, 2^16, more.
 * The byte layouts are in encode.c. Decoded values are never NaN or infinite
 * except under fp32 (the identity): a NaN encodes as 0, an infinity as the
 * largest finite value of its sign. */
enum nn_enc_kind {
    NN_ENC_FP32,
    NN_ENC_FP16,
    NN_ENC_INT8,
    NN_ENC_INT4,
    NN_ENC_TOPK,
    NN_ENC_KIND_COUNT
};

/* An encoding. */
struct nn_encoding {
    enum nn_enc_kind kind; /* which */
    double topk_fraction;  /* topk: share of the values kept, (0, 1]; else unused */
};

/* "fp32", "fp16", "int8", "int4", "topk". */
const char *nn_enc_kind_name(enum nn_enc_kind k);
/* Parse "fp32", "fp16", "int8", "int4" or "topk:F" (0 < F <= 1): true with
 * it in *out, else false. */
bool nn_encoding_parse(const char *text, struct nn_encoding *out);
/* The text nn_encoding_parse reads back ("topk:0.25"; %g of the fraction). */
void nn_encoding_text(const struct nn_encoding *enc, char *buf, size_t size);
/* Values kept by a topk encoding of n values: ceil(f n) within 1e-9,
 * between 1 and n (0 for n = 0). */
size_t nn_encoding_topk_count(const struct nn_encoding *enc, size_t n);
/* Bytes of the encoding of n values (what crosses the link). */
uint64_t nn_encoding_bytes(const struct nn_encoding *enc, size_t n);
/* Encode x[0..n) (borrowed) into out (nn_encoding_bytes(enc, n) bytes);
 * ws: n floats of scratch for topk (NULL for the others). Returns the
 * bytes written. Allocates nothing. */
size_t nn_encode(const struct nn_encoding *enc, const float *x, size_t n, uint8_t *out,
                 float *ws);
/* Decode the encoding in of n values into y[0..n). false (y then
 * unspecified) when the bytes are not an encoding nn_encode writes for n
 * values: a scale that is not positive and finite or a zero point beyond
 * the steps (int8, int4), a count other than the encoding's, an index out
 * of range or not ascending, or a value not finite (topk). */
bool nn_decode(const struct nn_encoding *enc, const uint8_t *in, size_t n, float *y);
/* IEEE binary16 of f as fp16 encodes it, and back (exact). */
uint16_t nn_half_from_float(float f);
float nn_half_to_float(uint16_t h);

/* ---- accuracy of a split under an encoding (accuracy.c) ---------------- */

/* The prefixes of the layer order worth splitting after: k[0..count) (room
 * for n_layers), each the number of layers the device runs, ascending from
 * 0 (the input crosses), leaving at least the last layer to the edge. A
 * prefix that stops just before a layer that joins its producer's problem
 * layer (proto's grouping: an alias once folded and fused, flatten or
 * dropout, reading only the layer before it, which it alone reads) is left
 * out: it sends the same tensor as the prefix after it. Returns count. */
size_t nn_model_cut_prefixes(const struct nn_model *m, size_t *k);

/* The cuts worth splitting at that are no prefix of the layer order (a DAG
 * cut across branches: what DAG-cutting policies such as dads choose): every
 * set of layers closed under predecessors and made of whole problem layers
 * (the units nn_model_cut_prefixes groups), without the last layer, that is
 * no prefix. *sets (allocated, core_free) holds *count of them, n_layers
 * bools each (member[] as nn_split_accuracy takes it), in the order of a
 * walk deciding problem layers in layer order, each left out before it is
 * taken. CORE_E_INPUT when more than limit exist, CORE_E_NOMEM. A chain has
 * none. */
enum core_rc nn_model_cut_dag(const struct nn_model *m, size_t limit, bool **sets, size_t *count,
                              struct core_err *e);

/* Bytes one inference sends at split a (nn_model_split_crossing) with each
 * crossing tensor encoded by enc, in *bytes. CORE_E_NOMEM. */
enum core_rc nn_split_encoded_bytes(const struct nn_model *m, const bool *a,
                                    const struct nn_encoding *enc, uint64_t *bytes,
                                    struct core_err *e);

/* How nn_split_accuracy runs. */
struct nn_split_accuracy_config {
    const struct nn_encoding *encs; /* [n_encs]: the encodings measured (borrowed) */
    size_t n_encs;                  /* >= 1 */
    int threads;                    /* 1 .. cores, as nn_model_forward */
    volatile int *stop;             /* when non-NULL and set, stop after the batch */
    /* Called after each batch with the items done (NULL: none). */
    void (*progress)(void *ctx, size_t items_done);
    void *ctx;                      /* passed to progress */
};

/* Classify the first d->n items of d with finalized model m (batch B: items
 * in batches of B, the last padded) split at part a (closed under
 * predecessors, without the last layer; empty: the input crosses): part a
 * runs on each batch, then, per encoding, each crossing tensor of each item
 * (one inference's tensor: its own scale or top-k) is encoded and decoded
 * and the rest of the model runs on the decoded tensors. correct[k] (room
 * for c->n_encs) is the count of items whose first largest output is their
 * label under encs[k]. fp32 gives the whole model's bits. CORE_E_INPUT for
 * an unfinalized model, one that does not fit the data, a part not closed
 * or holding the last layer; CORE_E_INTERRUPTED when *stop was set;
 * CORE_E_NOMEM. */
enum core_rc nn_split_accuracy(struct nn_model *m, const struct nn_dataset *d, const bool *a,
                               const struct nn_split_accuracy_config *c, size_t *correct,
                               struct core_err *e);

/* ---- the zoo (zoo.c) -------------------------------------------------- */

enum nn_zoo_model {
    NN_ZOO_LENET5,           /* 1x28x28, LeCun et al. 1998 with ReLU and max pooling */
    NN_ZOO_ALEXNET,          /* 3x224x224, torchvision's AlexNet */
    NN_ZOO_VGG16,            /* 3x224x224, torchvision's VGG-16 (no batch norm) */
    NN_ZOO_RESNET18,         /* 3x224x224, torchvision's ResNet-18 */
    NN_ZOO_MOBILENETV2,      /* 3x224x224, torchvision's MobileNetV2 (width 1.0) */
    NN_ZOO_GOOGLENET,        /* 3x224x224, torchvision's GoogLeNet (Inception v1), no aux heads */
    NN_ZOO_SQUEEZENET,       /* 3x224x224, torchvision's SqueezeNet 1.1 */
    NN_ZOO_SHUFFLENETV2,     /* 3x224x224, torchvision's ShuffleNetV2 x1.0 */
    NN_ZOO_MOBILENETV3SMALL, /* 3x224x224, torchvision's MobileNetV3-Small */
    NN_ZOO_EFFICIENTNETB0,   /* 3x224x224, torchvision's EfficientNet-B0 */
    NN_ZOO_COUNT
};

/* Lower-case name ("lenet5", "alexnet", "vgg16", "resnet18", "mobilenetv2",
 * "googlenet", "squeezenet", "shufflenetv2", "mobilenetv3small", "efficientnetb0"). */
const char *nn_zoo_name(enum nn_zoo_model z);
/* The zoo model named name: true with it in *z, else false. */
bool nn_zoo_find(const char *name, enum nn_zoo_model *z);
/* Every zoo name in enum order, then NULL (for messages and choices). */
extern const char *const nn_zoo_names[NN_ZOO_COUNT + 1];

/* Build zoo model z at batch size batch (>= 1), not finalized: *out is
 * returned owned. CORE_E_NOMEM (nothing leaks), CORE_E_INPUT for batch 0. */
enum core_rc nn_zoo_build(enum nn_zoo_model z, uint32_t batch, struct nn_model **out,
                          struct core_err *e);

/* ---- weights files (weights.c) ---------------------------------------- */

/* A weights file holds a model's parameter tensors by name, little-endian:
 *
 *   offset 0   magic "COINFERW" (8 bytes)
 *          8   u32 format version (1)
 *         12   u32 tensor count T
 *         16   T records: u32 name length L (1..255), L bytes of name (no NUL),
 *              u32 rank R (1..4), R x u32 dimensions (each >= 1),
 *              float32 data (product of the dimensions, row-major)
 *        end   u64 FNV-1a-64 of every byte before it; nothing follows
 *
 * A model's tensors are named after PyTorch's state_dict, "<layer>.<part>":
 * conv2d "<l>.weight" (K, C/groups, kh, kw) and "<l>.bias" (K) when it has a
 * bias; fc "<l>.weight" (K, C*H*W) and "<l>.bias" (K); batchnorm
 * "<l>.weight" (gamma, C), "<l>.bias" (beta, C), "<l>.running_mean" (C),
 * "<l>.running_var" (C). Files are written in layer order; any order reads.
 * Save and load before nn_model_fold_batchnorm, so a file holds the unfolded
 * network. */

/* Write every parameter tensor of finalized model m (not modified) to path
 * (created or truncated). CORE_E_INPUT for an unfinalized model, CORE_E_IO
 * (naming path) when the file cannot be written (it is then removed),
 * CORE_E_NOMEM. */
enum core_rc nn_weights_save(struct nn_model *m, const char *path, struct core_err *e);

/* Check the file at path against m (finalized or not; not modified): the
 * checksum, then that it holds exactly m's tensors with m's shapes.
 * CORE_E_INPUT naming path and what is wrong (cannot open, too short, bad
 * magic, unsupported version, checksum mismatch, truncated, a tensor the
 * model lacks, one given twice, one missing, a wrong shape, bytes after the
 * checksum); CORE_E_NOMEM. */
enum core_rc nn_weights_check(const struct nn_model *m, const char *path, struct core_err *e);

/* nn_weights_check, then copy the file's tensors into finalized model m's
 * weights. Same errors, plus CORE_E_INPUT for an unfinalized model; on an
 * error the weights are unchanged (unless the file changes while it is
 * read). */
enum core_rc nn_weights_load(struct nn_model *m, const char *path, struct core_err *e);

/* ---- profiling (profile.c) -------------------------------------------- */

/* The GEMM a conv2d or fc layer amounts to, per batch item and group:
 * C (m x n) += A (m x k) B (k x n). conv2d: m = K/groups output channels,
 * n = Ho Wo output pixels, k = (C/groups) kh kw; fc: m = K outputs, n = 1,
 * k = C H W inputs. Zero for other ops. The depthwise conv2d runs a direct
 * kernel, not a GEMM; its shape (1, Ho Wo, kh kw) is reported all the same. */
struct nn_gemm_shape {
    uint32_t m;     /* rows of A and C, elements */
    uint32_t n;     /* columns of B and C, elements */
    uint32_t k;     /* inner dimension, elements */
    uint32_t count; /* GEMMs of this shape per forward pass: batch x groups */
};
void nn_model_layer_gemm(const struct nn_model *m, int i, struct nn_gemm_shape *g);

/* The activation layer i (a conv2d or fc) applies to its outputs in the same
 * pass: its declared one, or the one nn_model_fuse_activations fused into
 * it; NN_ACT_NONE for any other op. */
enum nn_act nn_model_layer_act(const struct nn_model *m, int i);

/* One layer's (or the whole model's) profile over R timed runs. */
struct nn_layer_profile {
    double median_s;           /* median wall time of the R runs, s (0 for aliases) */
    double min_s;              /* fastest run, s */
    double max_s;              /* slowest run, s */
    double gflops;             /* achieved: flops / median_s / 1e9, GFLOP/s (0 when median is 0) */
    struct nn_cost cost;       /* FLOPs, MACs, params, output bytes (nn_model_layer_cost) */
    struct nn_gemm_shape gemm; /* its GEMM shape (zero when not conv2d / fc) */
};

/* A model's profile: per layer, and the whole forward pass timed apart (not
 * the sum of the layers, which leaves out the per-layer clock reads). */
/* Which OpenBLAS kernels a profile ran on. OpenBLAS picks a kernel family
 * for the CPU at start-up, unless OPENBLAS_CORETYPE names one; a family
 * older than the CPU (Haswell's AVX2 kernels on an AVX-512 CPU, say) runs
 * slower, and a profile taken under it prices another host wrongly. Each
 * family needs an instruction-set level: 0 SSE2 (Prescott, Opteron, ...),
 * 1 SSSE3 (Core2, Penryn, Atom, Barcelona, Bobcat, ...), 2 SSE4.2
 * (Nehalem), 3 AVX (Sandybridge, Bulldozer, Piledriver, Steamroller),
 * 4 AVX2 (Haswell, Excavator, Zen), 5 AVX-512 (SkylakeX), 6 AVX-512 with
 * BF16 (Cooperlake), 7 AMX (SapphireRapids); the CPU's is the highest of
 * 0..6 it supports (what OpenBLAS 0.3.21 itself picks on an AMD EPYC with
 * AVX-512 BF16 is Cooperlake). */
struct nn_blas_info {
    char corename[32];     /* the family OpenBLAS runs (openblas_get_corename) */
    char config[160];      /* its build (openblas_get_config) */
    char coretype_env[32]; /* OPENBLAS_CORETYPE as set ("" when unset) */
    int cpu_level;         /* the CPU's instruction-set level, 0..6 */
    const char *cpu_family; /* the newest family of that level ("SkylakeX", ...) */
    bool forced_older;     /* OPENBLAS_CORETYPE names a family below cpu_level */
};

/* Fill *i from OpenBLAS, the environment and the CPU. */
void nn_blas_info_read(struct nn_blas_info *i);

/* The instruction-set level a kernel family needs (the names of
 * OPENBLAS_CORETYPE and openblas_get_corename, any case), -1 for a name it
 * does not know. */
int nn_blas_family_level(const char *family);

struct nn_profile {
    size_t n_layers;                 /* entries of layers[] */
    struct nn_layer_profile *layers; /* per layer, owned */
    struct nn_layer_profile total;   /* the whole model */
    int threads;                     /* OpenBLAS threads used */
    size_t reps;                     /* timed runs per figure */
    struct nn_blas_info blas;        /* the kernels it ran on */
};

/* Profile finalized model m with threads threads: warmup untimed forward
 * passes, then reps runs with per-layer timing (nn_model_time_layers) and
 * reps runs of the whole pass untimed per layer. The input is a fixed
 * pseudo-random pattern in (-1, 1). *out is returned owned (nn_profile_destroy).
 * CORE_E_INPUT for reps 0, an unfinalized model or a bad thread count;
 * CORE_E_NOMEM (nothing leaks). Leaves m's layer timing off. */
enum core_rc nn_profile_run(struct nn_model *m, int threads, size_t warmup, size_t reps,
                            struct nn_profile **out, struct core_err *e);
void nn_profile_destroy(struct nn_profile *p); /* NULL is a no-op */

/* What cblas_sgemm alone reaches on C (m x n) = A (m x k) B (k x n), all
 * row-major with no transpose, with threads threads: the median of reps
 * timed calls after one warm-up, in GFLOP/s (2 m n k per call) in *gflops.
 * The yardstick of a conv layer's efficiency. CORE_E_INPUT for a zero
 * dimension, reps 0 or a bad thread count; CORE_E_NOMEM. */
enum core_rc nn_sgemm_gflops(uint32_t m, uint32_t n, uint32_t k, int threads, size_t reps,
                             double *gflops, struct core_err *e);

/* Where the host's energy comes from. */
enum nn_energy_source {
    NN_ENERGY_COUNTERS, /* hardware counters: powercap / RAPL or amd_energy */
    NN_ENERGY_DECLARED, /* none readable: energy = declared power x time */
    NN_ENERGY_SOURCE_COUNT
};
/* "counters" or "declared power x time". */
const char *nn_energy_source_name(enum nn_energy_source s);

/* Most package counters one reading keeps. */
#define NN_ENERGY_MAX_DOMAINS 16

/* A reading of the host's package energy counters. */
struct nn_energy_reading {
    enum nn_energy_source source;           /* NN_ENERGY_DECLARED: nothing else set */
    uint32_t n_domains;                     /* package counters read */
    double energy_j;                        /* their sum, J */
    double domain_j[NN_ENERGY_MAX_DOMAINS]; /* each counter, J */
    double range_j[NN_ENERGY_MAX_DOMAINS];  /* each counter's wrap-around range, J (0: unknown) */
};

/* Read the package energy counters under sysfs_root (NULL = "/sys/class"):
 * first powercap's top-level RAPL zones, <root>/powercap/intel-rapl:<N>/
 * energy_uj with max_energy_range_uj (Intel, and AMD under the same driver;
 * the sub-zones intel-rapl:<N>:<M> lie inside their package and are not
 * added), else hwmon's amd_energy driver, <root>/hwmon/hwmon<N>/name
 * "amd_energy" with its energy<K>_input counters labelled "Esocket*".
 * Never fails: when no counter is readable (absent, or root-only as on most
 * recent kernels), r->source is NN_ENERGY_DECLARED. */
void nn_energy_read(const char *sysfs_root, struct nn_energy_reading *r);

/* Joules consumed between two readings of the same counters (a counter
 * that wrapped once is unwrapped with its range_j). 0 when either is
 * DECLARED or they hold different counts of domains. */
double nn_energy_delta_j(const struct nn_energy_reading *before,
                         const struct nn_energy_reading *after);

/* ---- OpenBLAS's threads (blas.c) ------------------------------------------ */

/* For a program's main() before anything else: when OpenBLAS started its
 * worker threads (one per core, each mapping a 128 MiB work buffer and
 * spinning for ever if the mapping fails under a memory limit), set
 * OPENBLAS_NUM_THREADS=1 and execute /proc/self/exe again with argv.
 * Returns when no restart is needed or when it cannot be done. Workers are
 * then started only as thread counts are asked for, each after a check
 * that its buffer fits (CORE_E_NOMEM otherwise). */
void nn_blas_restart(char **argv);

#endif /* COINFER_NN_H */
