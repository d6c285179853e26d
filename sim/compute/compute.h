/*
 * compute.h — the whole public face of sim/compute: compute resources as
 * servers with queues.
 *
 * A server here is c identical units (cores, accelerators) in front of one
 * FIFO queue; a job holds one or more units while it is served. Jobs arrive
 * with their service time already drawn (the caller owns the randomness);
 * the server is an engine entity that starts jobs as
 * units free up and reports each job's start and completion through a
 * callback. Times are simulated seconds.
 */
#ifndef COINFER_COMPUTE_H
#define COINFER_COMPUTE_H

#include "core/core.h"

/* One unit of work at a server. */
struct compute_job {
    uint64_t id;          /* caller's identifier, passed back on completion */
    uint32_t owner;       /* caller's tag (the UE that sent it) */
    double t_arrival_s;   /* when it reached the server */
    double t_start_s;     /* when a unit began serving it (set by the server) */
    double service_s;     /* service time, s (drawn by the caller) */
    uint32_t units;       /* units it holds while served, 1..n_units (0: 1) */
};

/* Called from the server's completion handler with the finished job (valid
 * only during the call) and the completion time. Must not allocate. */
typedef void (*compute_done_fn)(void *ctx, const struct compute_job *job, double t_done_s,
                                struct core_engine *eng);

struct compute_server;

/* Create a server of n_units units whose FIFO queue holds up to queue_capacity
 * waiting jobs before it grows (growth is the only allocation, and only when
 * the queue is longer than ever before). Registers itself with eng. Returns
 * NULL on allocation failure. done(ctx, ...) hears every completion. */
struct compute_server *compute_server_create(struct core_engine *eng, uint32_t n_units,
                                             size_t queue_capacity, compute_done_fn done,
                                             void *ctx);
void compute_server_destroy(struct compute_server *s); /* NULL is a no-op */

/* A job arrives now (eng's clock). Returns CORE_E_NOMEM if the queue could not
 * grow; the job is then lost and the caller fails the run. */
enum core_rc compute_server_submit(struct compute_server *s, struct core_engine *eng,
                                   const struct compute_job *job);

/* The job (id, owner) at s, in service (t_start_s set) or waiting
 * (t_start_s NAN): true with a copy in *out, false when s has none. O(units
 * + jobs waiting): for the end of a run, not for handlers. */
bool compute_server_job(const struct compute_server *s, uint64_t id, uint32_t owner,
                        struct compute_job *out);

/* Jobs waiting (not in service) and units busy, now. */
size_t compute_server_queued(const struct compute_server *s);
uint32_t compute_server_busy(const struct compute_server *s);
/* Units of the server. */
uint32_t compute_server_units(const struct compute_server *s);
/* The work ahead of a job arriving now, spread over the units: (service x
 * units of every waiting job + remaining service x units of every job in
 * service) / n_units, s. Exact as the wait of a one-unit job at a one-unit
 * server; the CRM's estimate otherwise. O(n_units) when jobs are in service. */
double compute_server_backlog_s(const struct compute_server *s, double now_s);
/* Integral of the number of jobs in the system (queued + in service) over
 * time up to now, in job-seconds, and of busy units, in unit-seconds. */
double compute_server_jobs_area(const struct compute_server *s, double now_s);
double compute_server_busy_area(const struct compute_server *s, double now_s);


/* ======================================================================== */
/* CPMM: the compute performance model (cpmm_model.c, cpmm_knobs.c,         */
/* cpmm_check.c)                                                             */
/* ======================================================================== */

/* The CPMM predicts how long one DNN layer takes, and the energy it costs, on
 * a compute resource type R given an amount A of it (cores of a CPU cluster,
 * a share 0 < A <= 1 of an accelerator). It answers, in this order:
 *   1. the measurement, when the caller profiled that layer (same key) on R
 *      at amount A;
 *   2. a regression per layer type fitted on R's profiled layers;
 *   3. the roofline, for a resource with declared peak and bandwidth:
 *      t = max(FLOPs / (peak A eff[type]), bytes / bw_A) + overhead.
 * A layer type R does not support is flagged, never priced.
 *
 * sim/compute does not see sim/nn: a layer reaches it as a generic
 * descriptor the caller (proto, cli) fills from its nn layer. */

/* Layer types as the CPMM sees them (the names match nn_op_name where an
 * nn op maps one to one). */
enum compute_layer_type {
    COMPUTE_LAYER_CONV2D,    /* dense or grouped convolution (a GEMM per group) */
    COMPUTE_LAYER_DWCONV,    /* depthwise convolution: one in and out channel per group */
    COMPUTE_LAYER_FC,        /* fully connected */
    COMPUTE_LAYER_BATCHNORM, /* a batch norm left unfolded */
    COMPUTE_LAYER_RELU,      /* elementwise max(x, 0) */
    COMPUTE_LAYER_RELU6,     /* elementwise min(max(x, 0), 6) */
    COMPUTE_LAYER_MAXPOOL,   /* max pooling */
    COMPUTE_LAYER_AVGPOOL,   /* average pooling */
    COMPUTE_LAYER_GAP,       /* global average pooling */
    COMPUTE_LAYER_ADD,       /* elementwise sum of k tensors */
    COMPUTE_LAYER_CONCAT,    /* channel concatenation */
    COMPUTE_LAYER_SOFTMAX,   /* softmax */
    COMPUTE_LAYER_RESHAPE,   /* flatten, dropout: no data moved */
    COMPUTE_LAYER_SIGMOID,   /* elementwise 1 / (1 + exp(-x)) */
    /* elementwise min(max(x + 3, 0), 6) / 6 */
    COMPUTE_LAYER_HARDSIGMOID,
    COMPUTE_LAYER_HARDSWISH, /* elementwise x min(max(x + 3, 0), 6) / 6 */
    COMPUTE_LAYER_SILU,      /* elementwise x / (1 + exp(-x)) */
    COMPUTE_LAYER_MUL,       /* elementwise product, the second input maybe broadcast */
    COMPUTE_LAYER_SLICE,     /* a range of channels copied */
    COMPUTE_LAYER_SHUFFLE,   /* channels permuted (channel shuffle) */
    COMPUTE_LAYER_TYPE_COUNT
};

/* "conv2d", "dwconv", "fc", ..., "reshape", "sigmoid", ..., "shuffle". */
const char *compute_layer_type_name(enum compute_layer_type t);
/* The type named name: true with it in *t, else false. */
bool compute_layer_type_find(const char *name, enum compute_layer_type *t);

/* One layer, as the CPMM sees it. Fields a type does not have are 0. */
/* The activation a conv2d, depthwise conv or fc layer applies to its outputs
 * in the same pass (fused), by what it costs: none, a clamp in registers
 * (relu, relu6), an exponential per element (sigmoid, silu: a second pass
 * over each output row), or a piecewise-linear clamp and product per element
 * (hardsigmoid, hardswish: likewise a second pass). */
enum compute_act {
    COMPUTE_ACT_NONE,
    COMPUTE_ACT_CLAMP,
    COMPUTE_ACT_EXP,
    COMPUTE_ACT_HARD,
    COMPUTE_ACT_COUNT
};

struct compute_layer_desc {
    enum compute_layer_type type; /* its type */
    double flops;                 /* floating-point operations, multiply-add = 2 */
    double in_bytes;              /* bytes of all its input tensors */
    double out_bytes;             /* bytes of its output tensor */
    double param_bytes;           /* bytes of its parameters (float32: 4 per param) */
    double gemm_m;                /* conv2d / fc GEMM: rows of A and C, elements */
    double gemm_n;                /* columns of B and C, elements */
    double gemm_k;                /* inner dimension, elements */
    double gemm_count;            /* GEMMs per pass (batch x groups) */
    uint32_t kernel_area;         /* kh kw of a conv or pool, elements (0: none) */
    uint32_t kernel_h;            /* kh of a conv or pool, elements (0: none) */
    uint32_t out_h;               /* output rows of a conv or pool, elements (0: none) */
    uint32_t stride;              /* stride of a conv or pool, elements (0: none) */
    uint32_t c_in;                /* input channels */
    uint32_t c_out;               /* output channels */
    uint32_t groups;              /* conv groups (0: 1) */
    double im2col_elems;          /* conv2d: elements im2col writes per pass (0: the GEMM
                                     reads its input in place, a 1x1 stride-1 unpadded conv) */
    enum compute_act act;         /* conv2d / dwconv / fc: its fused activation */
};

/* Kinds of compute resource. */
enum compute_resource_kind {
    COMPUTE_RES_CPU, /* a CPU cluster: amount = cores, peak per core */
    COMPUTE_RES_GPU, /* amount = share (0, 1], peak of the whole device */
    COMPUTE_RES_NPU, /* as GPU */
    COMPUTE_RES_DSP, /* as GPU */
    COMPUTE_RES_KIND_COUNT
};
const char *compute_resource_kind_name(enum compute_resource_kind k);

/* A <resource .../> element as written in a scenario file (the knob table
 * compute_resource_knobs fills it; compute_resource_from_config checks it). */
struct compute_resource_config {
    char name[CORE_KNOB_STRING_MAX]; /* resource type name */
    int kind;                        /* enum compute_resource_kind */
    long units;                      /* CPU cores in the cluster (accelerators: 1) */
    double peak_flops;               /* per unit (CPU core or whole device), FLOP/s */
    double mem_bandwidth_bps;        /* memory bandwidth of the device, bit/s */
    double overhead_s;               /* fixed cost per layer (launch, DMA set-up), s */
    double idle_power_w;             /* drawn when idle, W */
    double active_power_w;           /* drawn when all of it computes, W */
    double efficiency;               /* achieved / peak FLOP/s, any type, 0..1 */
    char efficiency_by_type[CORE_KNOB_STRING_MAX]; /* "conv2d=0.7 fc=0.3": overrides */
    char supports[CORE_KNOB_STRING_MAX];           /* "all" or space-separated type names */
    bool measured;                                 /* figures measured by the profiler (host CPU) */
    double bias;                                   /* truth over prediction, any type, > 0 */
    char bias_by_type[CORE_KNOB_STRING_MAX];       /* "conv2d=1.3 fc=0.8": overrides */
    char profile[CORE_KNOB_STRING_MAX]; /* "FILE#KEY": stored profile that is its truth
                                           ("": none) */
};
extern const struct core_knob_table compute_resource_knobs;

/* Split a resource's profile attribute "FILE#KEY" at its last '#' into
 * file[] and key[] (sizes CORE_KNOB_STRING_MAX). false when there is no
 * '#' or either side is empty. */
bool compute_resource_profile_split(const char *profile, char *file, char *key);

/* A resource type, checked and resolved. */
struct compute_resource {
    char name[CORE_KNOB_STRING_MAX];             /* resource type name */
    enum compute_resource_kind kind;             /* CPU, GPU, NPU, DSP */
    uint32_t units;                              /* CPU cores; 1 for accelerators */
    double peak_flops;                           /* per unit, FLOP/s (0: undeclared) */
    double mem_bandwidth_bytes_per_s;            /* memory bandwidth, B/s (0: undeclared) */
    double overhead_s;                           /* fixed cost per layer, s */
    double idle_power_w;                         /* idle power, W */
    double active_power_w;                       /* power when all of it computes, W */
    double efficiency[COMPUTE_LAYER_TYPE_COUNT]; /* achieved / peak per type, 0..1 */
    bool supports[COMPUTE_LAYER_TYPE_COUNT];     /* runs this type */
    bool measured;                               /* figures measured, not declared */
    double bias[COMPUTE_LAYER_TYPE_COUNT];       /* the truth's factor on the prediction per
                                                    type, > 0 (1: the CPMM is right) */
};

/* Resolve a config into *r: parse efficiency_by_type, bias_by_type and
 * supports, convert units. CORE_E_INPUT (message names the resource and
 * what is wrong) for an unknown kind or type name, a malformed override, an
 * efficiency outside (0, 1], a bias outside [1e-3, 1e3], an accelerator with
 * units != 1, active power below idle power, or a declared (not measured)
 * resource without peak and bandwidth. */
enum core_rc compute_resource_from_config(const struct compute_resource_config *c,
                                          struct compute_resource *r, struct core_err *e);

/* Where a prediction came from. */
enum compute_cpmm_source {
    COMPUTE_CPMM_MEASURED,    /* the profiled layer itself */
    COMPUTE_CPMM_REGRESSION,  /* the type's regression on profiled layers */
    COMPUTE_CPMM_ROOFLINE,    /* the declared figures */
    COMPUTE_CPMM_UNSUPPORTED, /* the resource does not run this type: run it elsewhere */
    COMPUTE_CPMM_SOURCE_COUNT
};
const char *compute_cpmm_source_name(enum compute_cpmm_source s);

/* The roofline alone: max(flops / (peak A eff[type]), bytes / bw_A) +
 * overhead, where peak A is peak x cores for a CPU and peak x share for an
 * accelerator, and bw_A is the whole bandwidth for a CPU (its cores share
 * one memory) and bandwidth x share for an accelerator (time-sliced); bytes
 * = in + out + param bytes. A must be valid for r (see compute_cpmm_predict). */
double compute_roofline_s(const struct compute_resource *r, double amount,
                          const struct compute_layer_desc *d);

/* Energy of running for latency_s on amount A of r: the active power of
 * the part used, active_power_w x A / units for a CPU, x A for an
 * accelerator. Idle power is the device's whole-time floor and is the
 * caller's to charge over the wall-clock time (it does not depend on the
 * layers run). */
double compute_energy_j(const struct compute_resource *r, double amount, double latency_s);

/* The regression. Per layer type, latency_s x A is a non-negative linear
 * combination of features of the descriptor (compute_cpmm_features), fitted
 * by relative least squares; see cpmm_model.c for the features and why. */
#define COMPUTE_CPMM_MAX_FEATURES 10
/* Write the features of d for its type's regression into x[] (room for
 * COMPUTE_CPMM_MAX_FEATURES); returns their count. */
size_t compute_cpmm_features(const struct compute_layer_desc *d, double *x);

struct compute_cpmm;

/* An empty CPMM; NULL on allocation failure. */
struct compute_cpmm *compute_cpmm_create(void);
void compute_cpmm_destroy(struct compute_cpmm *c); /* NULL is a no-op */

/* Add resource type *r (copied; resolved by compute_resource_from_config,
 * or every field set by hand, its biases > 0 included); its index in
 * *index. CORE_E_NOMEM. */
enum core_rc compute_cpmm_add_resource(struct compute_cpmm *c, const struct compute_resource *r,
                                       size_t *index, struct core_err *e);

/* Bytes of a profile key, NUL included (longer keys are truncated). */
#define COMPUTE_CPMM_KEY_MAX 64

/* Record that the layer known as key (caller's name, e.g. "resnet18/12";
 * copied, truncated to COMPUTE_CPMM_KEY_MAX - 1 bytes) took latency_s on amount A of resource res.
 * Invalidates the fit until compute_cpmm_fit. CORE_E_INPUT for a bad amount
 * or a latency that is not > 0; CORE_E_NOMEM. */
enum core_rc compute_cpmm_add_profile(struct compute_cpmm *c, size_t res, double amount,
                                      const char *key, const struct compute_layer_desc *d,
                                      double latency_s, struct core_err *e);

/* Fit every (resource, layer type) regression from the profiles, and one
 * per family of memory-bound types (streaming: batchnorm, relu, relu6, gap,
 * add, concat, softmax, sigmoid, hardsigmoid, hardswish, silu, mul, slice,
 * shuffle; window: maxpool, avgpool) for types of that family with no
 * profile of their own. CORE_E_RUNTIME if GSL fails; CORE_E_NOMEM. */
enum core_rc compute_cpmm_fit(struct compute_cpmm *c, struct core_err *e);

/* Coefficients of resource res's regression for type t: true with their
 * count in *n and values in coef[] (room for COMPUTE_CPMM_MAX_FEATURES), false
 * when that type has no fit of its own. */
bool compute_cpmm_coefficients(const struct compute_cpmm *c, size_t res, enum compute_layer_type t,
                               double *coef, size_t *n);

struct compute_cpmm_request {
    size_t resource;                 /* index from compute_cpmm_add_resource */
    double amount;                   /* CPU: cores, 1..units; accelerator: share, (0, 1] */
    const char *key;                 /* the layer's profile key (NULL: none) */
    struct compute_layer_desc layer; /* the layer */
};

struct compute_cpmm_reply {
    enum compute_cpmm_source source; /* how it was priced */
    double latency_s;                /* predicted latency, s (0 when unsupported) */
    double energy_j;                 /* compute_energy_j of it, J (0 when unsupported) */
};

/* Price one layer. CORE_E_INPUT for an amount outside the resource's range,
 * or when neither a measurement, a fit nor declared figures can price it
 * (message names the type and resource); an unsupported type is CORE_OK
 * with reply->source COMPUTE_CPMM_UNSUPPORTED. The fit must be current
 * (compute_cpmm_fit after the last profile). */
enum core_rc compute_cpmm_predict(const struct compute_cpmm *c,
                                  const struct compute_cpmm_request *q,
                                  struct compute_cpmm_reply *reply, struct core_err *e);

/* The truth of one layer (DESIGN.md "Truth and model"): what the world
 * executes when it runs the layer, where compute_cpmm_predict is what
 * deciders are told. The prediction times the resource's declared bias for
 * the layer's type, latency and energy alike (energy is power x time), so
 * a bias of 1 gives the prediction bit for bit. The same request, sources
 * and return codes as compute_cpmm_predict. */
enum core_rc compute_cpmm_truth(const struct compute_cpmm *c, const struct compute_cpmm_request *q,
                                struct compute_cpmm_reply *reply, struct core_err *e);

/* Whether the truth may differ from the prediction: some resource of c
 * declares a bias other than 1 for some type, or c holds profiled layers
 * (a truth asked with a layer's key is its measurement, the prediction
 * without it the regression's). When neither, the truth is the prediction. */
bool compute_cpmm_biased(const struct compute_cpmm *c);

/* The cross-model check: model j's n_layers[j] layers layers[j][i] took
 * latency_s[j][i] on one resource at amount 1. For each model in turn, fit on
 * the others' layers with latency >= floor_s / 10 (below that a layer's
 * working set sits in cache and call overhead weighs, which says nothing
 * about larger layers) and predict its layers with
 * latency >= floor_s; count a layer within tolerance when |predicted -
 * measured| <= tol x measured. A layer whose type no fit covers is a miss
 * with infinite error. */
struct compute_cpmm_check_model {
    const char *name;                        /* model name (borrowed) */
    const struct compute_layer_desc *layers; /* its layers (borrowed) */
    const double *latency_s;                 /* their measured latencies, s (borrowed) */
    size_t n_layers;                         /* entries of both */
    double *predicted_s; /* NULL, or [n_layers] filled with each counted layer's prediction
                            when held out, s (NAN: not counted, INFINITY: unpriced) */
};

struct compute_cpmm_check_result {
    size_t n_counted;        /* layers predicted (latency >= floor_s) */
    size_t n_within;         /* of those, within tolerance */
    size_t n_unpriced;       /* of those, no fit could price (counted as misses) */
    double share_within;     /* n_within / n_counted (NAN when none) */
    double median_rel_error; /* median |predicted - measured| / measured (NAN when none) */
};

/* Run the check over n_models models (>= 2) with tolerance tol (0.10 for
 * +-10 %) and floor floor_s; per_model[j] (may be NULL) gets model j's figures,
 * *overall the pooled ones. CORE_E_INPUT for fewer than 2 models, CORE_E_NOMEM,
 * CORE_E_RUNTIME from the fit. Pure: touches nothing else. */
enum core_rc compute_cpmm_check(const struct compute_cpmm_check_model *models, size_t n_models,
                                double tol, double floor_s,
                                struct compute_cpmm_check_result *per_model,
                                struct compute_cpmm_check_result *overall, struct core_err *e);

/* ======================================================================== */
/* The allocation problem (plan.c): which layers each side runs, and where  */
/* ======================================================================== */

/* One collaborative inference splits a model between the UE and the edge
 * node of its cell, and gives every layer a compute *option* on its side: a
 * resource instance of that side and an amount of it (cores of a CPU
 * cluster; 1 for an accelerator). The CRM of each side runs what the plan
 * says. This is the decision every policy makes (the a1 / a2 of DESIGN.md's
 * protocol), and it lives here, below both proto (which executes plans) and
 * policy (which makes them), so that neither includes the other.
 *
 * A problem is static for one (UE device class, model, edge): the model as a
 * DAG in topological order, the latency and energy of every layer on every
 * option (from the CPMM), and each side's copy cost. A state is what changes
 * between decisions: the radio figures, the waits at each option, whether
 * the edge admitted the request, and the objective's weights. A plan lists
 * the layers in the order they run, the UE's part first (a set closed under
 * predecessors, so the order is topological), and an option per layer.
 *
 * The cost model, shared by the policies (to choose) and the simulation (to
 * execute and, with one UE and no contention, to reproduce exactly):
 *  - boundary k of a plan (0 <= k <= n) carries the crossing tensors of
 *    positions < k to positions >= k: the outputs of layers at positions
 *    < k (or the model input) read by a layer at a position >= k;
 *    compute_plan_crossing_bytes;
 *  - consecutive positions k - 1, k on one side whose options use different
 *    resources copy boundary k's bytes: copy_latency_s + bytes / copy
 *    bandwidth, at that side's copy power; the same resource at another
 *    amount copies nothing;
 *  - the uplink sends boundary n_ue's bytes (the model input when the UE
 *    computes nothing) plus msg_header_bytes at ul_rate_bps; the downlink
 *    returns the last layer's (index n_layers - 1, the model's output)
 *    output plus msg_header_bytes at dl_rate_bps; a local plan (n_ue = n)
 *    sends neither;
 *  - each segment (maximal run of consecutive positions on one side and one
 *    option index) waits the state's expected wait of its option once, at
 *    its start (the UE's last and the edge's first segment are two, even on
 *    equal option indices);
 *  - latency is the sum along the plan (the UE computes, then uploads, then
 *    the edge computes, then the result comes down) plus the state's
 *    signaling_s; UE energy is its layers' and copies' energy plus the
 *    radio's (ul_power_w while uploading, dl_power_w while receiving);
 *  - objective = w_latency x latency_s + w_energy x ue_energy_j
 *    - w_accuracy x accuracy, the last term only where the plan's expected
 *    accuracy is known (below).
 *
 * Encodings and accuracy (issue 12: accuracy as a decision variable). A
 * problem may offer encodings of the tensors that cross the uplink (fp32,
 * fp16, int8, ... as `coinfer accuracy` measured them for the model's
 * trained weights): a plan names one (its encoding), its uplink sends each
 * crossing tensor at that encoding's bytes, and its expected accuracy is
 * the measured accuracy of (split, encoding). Encoding 0 sends the
 * problem's own bytes (input_bytes, out_bytes): with no encodings declared
 * (n_encodings 0) every plan has encoding 0, accuracy unknown and costs
 * what it did before encodings existed, bit for bit. The accuracy of a
 * plan: unknown (NAN) without encodings; the whole model's when the UE runs
 * every layer, or under encoding 0 (lossless: the split model gives the
 * whole model's outputs bit for bit); under another encoding, the measured
 * accuracy of the split: of the UE's part when it is a prefix of the layer
 * order (compute_encoding.accuracy), or when it is one of the problem's
 * measured cuts that are no prefix (cut_accuracies: a DAG cut across
 * branches, `coinfer accuracy --cuts all`), else unknown. Copies between
 * resources of one side move the tensors unencoded.
 *
 * Early exits (issue 12; Edgent's right-sizing, Li et al. 2018). A problem
 * with accuracy data may offer exits: each reads the output of one of its
 * layers (the attach point) and ends in a head of its own layers. A plan
 * that names exit k ends there: the layers after the attach point do not
 * run, the head runs after it. Such a plan is a plan of the exit's
 * right-sized problem (compute_exit.problem: the layers the attach point
 * needs, numbered in the problem's order, then the head's layers, priced
 * as the problem prices its own; its accuracy the exit's measured one, its
 * encodings the problem's, the accuracy of lossy ones unknown unless the
 * accuracy data measured the exit's cuts, run/accuracy.c), and
 * every compute_plan_* function given the problem and such a plan prices it
 * on that problem (compute_plan_problem): fewer layers, the head's compute,
 * and the head's tensors crossing when the cut is after the attach point.
 * Without exits (n_exits 0) every plan names none and nothing changes. */

#define COMPUTE_PLAN_MAX_LAYERS 256 /* layers of one model */
#define COMPUTE_PLAN_MAX_ENCODINGS 8 /* encodings a problem offers */
#define COMPUTE_PLAN_MAX_EXITS 4      /* early exits a problem offers */
#define COMPUTE_PLAN_MAX_OPTIONS 16 /* options per side */
#define COMPUTE_PLAN_MAX_INPUTS 8   /* inputs of one layer (add, concat) */

/* Seconds to send bytes over a link of rate_bps: bytes x 8 / rate_bps. The
 * one link-time formula: plans, policies and the protocol all call it. */
static inline double compute_link_time_s(double bytes, double rate_bps)
{
    return bytes * 8 / rate_bps;
}

enum compute_side {
    COMPUTE_SIDE_UE,   /* the UE's own resources */
    COMPUTE_SIDE_EDGE, /* the edge node of the UE's cell */
    COMPUTE_SIDE_COUNT
};
const char *compute_side_name(enum compute_side s); /* "ue", "edge" */

/* A resource instance of one side at an amount. */
struct compute_option {
    uint32_t resource; /* the side's resource instance (caller's index) */
    double amount;     /* CPU: cores; accelerator: share, 1 */
    char label[32];    /* how allocations print it: "npu", "cpu-big:4" */
};

/* An encoding of the tensors that cross the uplink, with what it does to
 * accuracy (see above). */
struct compute_encoding {
    char name[16];        /* how plans print it: "fp32", "int8", "topk:0.25" */
    double *tensor_bytes; /* [1 + n_layers]: bytes it sends of the model input ([0]) and of
                             each layer's output ([1 + i]), B (owned; NULL for encoding 0,
                             which sends input_bytes and out_bytes) */
    double *accuracy;     /* [n_layers]: [k] the expected accuracy, 0..1, when the UE runs
                             layers 0..k-1 and the rest runs on the decoded tensors (NAN:
                             not measured) (owned; NULL for encoding 0, lossless) */
};

/* A set of a problem's layers: bit i (word i / 64, bit i % 64) is layer i. */
struct compute_layer_set {
    uint64_t w[(COMPUTE_PLAN_MAX_LAYERS + 63) / 64]; /* 64 layers a word */
};

static inline bool compute_layer_set_has(const struct compute_layer_set *s, size_t i)
{
    return (s->w[i / 64] >> (i % 64)) & 1;
}
static inline void compute_layer_set_add(struct compute_layer_set *s, size_t i)
{
    s->w[i / 64] |= (uint64_t)1 << (i % 64);
}
/* Whether s, of n layers, is layers 0..n-1. */
bool compute_layer_set_is_prefix(const struct compute_layer_set *s, size_t n);

/* The measured accuracy of a cut that is no prefix of the layer order (see
 * above): the UE runs the layers of ue, the edge the rest on the decoded
 * tensors. */
struct compute_cut_accuracy {
    struct compute_layer_set ue; /* the UE's layers: closed under predecessors, not a prefix,
                                    without the last layer */
    double accuracy[COMPUTE_PLAN_MAX_ENCODINGS]; /* [enc]: expected accuracy, 0..1 (NAN: not
                                                    measured; [0] unused: lossless) */
};

struct compute_problem;

/* An early exit a problem offers (see "Early exits" above). */
struct compute_exit {
    char name[48];                   /* the model file's exit name: "exit1" */
    uint32_t attach;                 /* the problem layer whose output its head reads */
    double accuracy;                 /* its measured accuracy when every input leaves there,
                                        0..1 */
    struct compute_problem *problem; /* the right-sized problem: the layers the attach point
                                        needs, then the head's (owned; no exits of its own) */
};

/* A layer as the problem sees it. */
struct compute_problem_layer {
    uint32_t n_inputs;                       /* inputs, 1..COMPUTE_PLAN_MAX_INPUTS */
    int32_t inputs[COMPUTE_PLAN_MAX_INPUTS]; /* earlier layer indices; -1: the model input */
    double out_bytes;                        /* bytes of its output tensor, B */
};

struct compute_problem {
    size_t n_layers;   /* layers, indexed in a topological order, <= COMPUTE_PLAN_MAX_LAYERS */
    double input_bytes; /* the model input tensor, B */
    struct compute_problem_layer *layers;   /* [n_layers] (owned) */
    size_t n_options[COMPUTE_SIDE_COUNT];   /* options per side, <= COMPUTE_PLAN_MAX_OPTIONS */
    struct compute_option options[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS];
    /* [side][option x n_layers + layer]: latency of the layer alone on the
     * option, s (INFINITY where the option's resource does not support the
     * layer), and the energy the side spends on it, J (owned). */
    double *latency_s[COMPUTE_SIDE_COUNT];
    double *energy_j[COMPUTE_SIDE_COUNT];
    double copy_latency_s[COMPUTE_SIDE_COUNT];         /* fixed cost of a copy, s */
    double copy_bytes_per_s[COMPUTE_SIDE_COUNT];       /* copy bandwidth, B/s (> 0) */
    double copy_power_w[COMPUTE_SIDE_COUNT];           /* power while copying, W */
    uint32_t default_option[COMPUTE_SIDE_COUNT];       /* split-default's fixed choice */
    double msg_header_bytes;                           /* added to the uplink and result, B */
    size_t n_encodings;          /* encodings offered, <= COMPUTE_PLAN_MAX_ENCODINGS (0: none,
                                    plans send the problem's bytes, accuracy unknown) */
    struct compute_encoding encodings[COMPUTE_PLAN_MAX_ENCODINGS]; /* [0] the lossless one */
    double accuracy;             /* the whole model's expected accuracy, 0..1 (NAN: unknown;
                                    known whenever n_encodings > 0) */
    uint8_t fixed_encoding;      /* the encoding a policy that does not choose one sends
                                    (< n_encodings, or 0) */
    size_t n_cut_accuracies;     /* measured cuts that are no prefix (0 without encodings) */
    struct compute_cut_accuracy *cut_accuracies; /* [n_cut_accuracies] (owned) */
    size_t n_exits;              /* early exits offered, <= COMPUTE_PLAN_MAX_EXITS (0: none) */
    struct compute_exit exits[COMPUTE_PLAN_MAX_EXITS]; /* [n_exits], by attach point */
    uint8_t fixed_exit;          /* the exit a policy that does not choose one takes (0: the
                                    model's output; k: exits[k - 1]) */
};

/* Allocate p's arrays for n_layers layers and the given option counts
 * (everything zeroed; latencies to fill). CORE_E_INPUT for 0 or too many
 * layers or options, CORE_E_NOMEM. */
enum core_rc compute_problem_init(struct compute_problem *p, size_t n_layers,
                                  size_t n_ue_options, size_t n_edge_options,
                                  struct core_err *e);
void compute_problem_fini(struct compute_problem *p); /* frees the arrays and the exits'
                                                        problems; zeroed p is a no-op */

/* Offer n encodings (2..COMPUTE_PLAN_MAX_ENCODINGS: the lossless encoding 0
 * and at least one other) on an initialised problem whose layers are set:
 * names empty, encoding 0 with no arrays, every other one's tensor_bytes
 * zeroed and accuracy NAN, to fill; accuracy NAN and fixed_encoding 0.
 * CORE_E_INPUT for a bad n, CORE_E_NOMEM. */
enum core_rc compute_problem_encodings_init(struct compute_problem *p, size_t n,
                                            struct core_err *e);

/* Bytes encoding enc sends of tensor t (0: the model input; 1 + i: layer
 * i's output). */
static inline double compute_problem_tensor_bytes(const struct compute_problem *p, uint32_t enc,
                                                  size_t t)
{
    if (enc == 0)
        return t == 0 ? p->input_bytes : p->layers[t - 1].out_bytes;
    return p->encodings[enc].tensor_bytes[t];
}

/* The measured cut whose UE layers are ue, made when p has none (every
 * accuracy NAN, to fill), in *out; on a problem with encodings. Not for a
 * prefix (compute_encoding.accuracy holds those). CORE_E_NOMEM. */
enum core_rc compute_problem_cut_accuracy(struct compute_problem *p,
                                          const struct compute_layer_set *ue,
                                          struct compute_cut_accuracy **out, struct core_err *e);

/* The expected accuracy of a plan under encoding enc whose UE runs the
 * n_ue layers of ue (see above): NAN when unknown. */
double compute_problem_accuracy(const struct compute_problem *p, uint32_t enc,
                                const struct compute_layer_set *ue, uint32_t n_ue);

/* Latency and energy of layer i on option o of side s. */
static inline double compute_problem_latency_s(const struct compute_problem *p,
                                               enum compute_side s, size_t o, size_t i)
{
    return p->latency_s[s][o * p->n_layers + i];
}
static inline double compute_problem_energy_j(const struct compute_problem *p,
                                              enum compute_side s, size_t o, size_t i)
{
    return p->energy_j[s][o * p->n_layers + i];
}

/* Check a filled problem: 1..8 inputs per layer, each -1 or an earlier
 * layer; every layer but the last read by a later one (the last layer is
 * the model's output, so it ends every topological order); every layer
 * supported by some option (either side); positive latencies (or INFINITY);
 * non-negative finite energies where the latency is finite (unsupported
 * entries' energies are ignored); input_bytes > 0; out_bytes, header, copy
 * latency and power >= 0 and finite; copy bandwidth > 0; option counts and
 * default options in range. CORE_E_INPUT naming what is wrong. */
enum core_rc compute_problem_check(const struct compute_problem *p, struct core_err *e);

/* What changes between decisions. */
struct compute_state {
    bool edge_available;    /* the edge admitted the request (false: UE only) */
    double ul_rate_bps;     /* expected uplink rate, bit/s (> 0 when edge_available) */
    double dl_rate_bps;     /* expected downlink rate, bit/s (> 0 when edge_available) */
    double ul_power_w;      /* UE power while uploading, W */
    double dl_power_w;      /* UE power while receiving, W */
    double ul_delay_s;      /* expected delay of an upload beyond its bytes / rate (NR access,
                               HARQ, backhaul latency), s; paid at ul_power_w */
    double dl_delay_s;      /* the same for the result's download, s; at dl_power_w */
    double signaling_s;     /* signalling on the critical path, added to any plan, s */
    double wait_s[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS]; /* expected wait, s
                                                                  (INFINITY: unavailable) */
    double w_latency;       /* objective weight of latency, 1/s */
    double w_energy;        /* objective weight of UE energy, 1/J */
    double w_accuracy;      /* objective weight of expected accuracy (0..1), 1 */
};

/* A decision: the order the layers run in, how many of the first run on the
 * UE, and an option per layer on its side. */
struct compute_plan {
    uint32_t n_layers;                         /* = the problem's */
    uint32_t n_ue;                             /* order[0..n_ue) run on the UE */
    uint16_t order[COMPUTE_PLAN_MAX_LAYERS];   /* a topological order, UE part first */
    uint8_t option[COMPUTE_PLAN_MAX_LAYERS];   /* by layer index: option on its side */
    uint8_t encoding;                          /* the problem's encoding the uplink sends
                                                  (0: its own bytes; 0 for a local plan) */
    uint8_t exit;                              /* where the inference ends: 0 the model's
                                                  output; k the problem's exits[k - 1], whose
                                                  right-sized problem the plan's layers are */
};

/* The problem whose layers plan pl runs: p, or the right-sized problem of
 * the exit it names (p itself when p offers no such exit: a right-sized
 * problem keeps its plans' exit for the record). */
static inline const struct compute_problem *compute_plan_problem(const struct compute_problem *p,
                                                                 const struct compute_plan *pl)
{
    return pl->exit > 0 && pl->exit <= p->n_exits ? p->exits[pl->exit - 1].problem : p;
}

/* The plan's predicted costs under a state. */
struct compute_plan_cost {
    double ue_compute_s;   /* UE layers and UE copies, s */
    double ue_wait_s;      /* expected waits at UE options, s */
    double uplink_bytes;   /* crossing tensors + header, B (0: local) */
    double uplink_s;       /* uplink_bytes x 8 / ul_rate_bps + ul_delay_s, s */
    double edge_wait_s;    /* expected waits at edge options, s */
    double edge_compute_s; /* edge layers and edge copies, s */
    double downlink_bytes; /* result + header, B (0: local) */
    double downlink_s;     /* downlink_bytes x 8 / dl_rate_bps + dl_delay_s, s */
    double signaling_s;    /* the state's signaling_s, s */
    double latency_s;      /* the sum of the times above, s */
    double ue_energy_j;    /* UE compute, copies and radio, J */
    double edge_energy_j;  /* edge compute and copies, J */
    double accuracy;       /* expected accuracy, 0..1 (NAN: unknown) */
    double objective;      /* w_latency latency_s + w_energy ue_energy_j
                              - w_accuracy accuracy (that term where accuracy is known) */
};

/* Check a plan against its problem: the order a permutation of the layers,
 * topological, every option in range and supporting its layer (finite
 * latency), and an edge part only when allowed (edge_ok). CORE_E_INPUT
 * naming the first fault. */
enum core_rc compute_plan_check(const struct compute_problem *p, const struct compute_plan *pl,
                                bool edge_ok, struct core_err *e);

/* Whether plans a and b are the same: the same layers, cut, order,
 * options, encoding and exit (the bytes past n_layers do not count). */
bool compute_plan_equal(const struct compute_plan *a, const struct compute_plan *b);

/* The first layer no option of side sd supports (an infinite latency on
 * every one): among the layers at positions from.. of pl's order, or among
 * all layers when pl is NULL. -1 when every one has an option. */
int32_t compute_problem_unsupported(const struct compute_problem *p, enum compute_side sd,
                                    const struct compute_plan *pl, uint32_t from);
/* The same among the layers at positions from..to - 1 of pl's order. */
int32_t compute_plan_unsupported(const struct compute_problem *p, enum compute_side sd,
                                 const struct compute_plan *pl, uint32_t from, uint32_t to);

/* Bytes crossing boundary k (0..n) of the plan's order (see above). */
double compute_plan_crossing_bytes(const struct compute_problem *p,
                                   const struct compute_plan *pl, uint32_t k);

/* Bytes the uplink of a checked plan sends: the tensors crossing boundary
 * n_ue at its encoding's bytes, header excluded (0 for a local plan); under
 * encoding 0 compute_plan_crossing_bytes(p, pl, n_ue) bit for bit. */
double compute_plan_uplink_bytes(const struct compute_problem *p, const struct compute_plan *pl);

/* The expected accuracy of a checked plan (compute_problem_accuracy): NAN
 * when unknown. */
double compute_plan_accuracy(const struct compute_problem *p, const struct compute_plan *pl);

/* Price a checked plan under state s (INFINITY objective where a wait is). */
void compute_plan_cost(const struct compute_problem *p, const struct compute_state *s,
                       const struct compute_plan *pl, struct compute_plan_cost *c);

/* A segment: consecutive positions on one option, run as one job. */
struct compute_segment {
    enum compute_side side; /* where it runs */
    uint32_t option;        /* option index on that side */
    uint32_t first;         /* first position in the plan's order */
    uint32_t count;         /* positions */
    double copy_s;          /* copy into this segment from the previous one (same side), s */
    double compute_s;       /* its layers' latencies, s */
    double energy_j;        /* its layers' and its copy's energy, J */
};

/* Cut a checked plan into segments (room for n_layers in segs); returns the
 * count. The UE's segments come first. Their copy_s + compute_s and
 * energy_j sum to the plan cost's UE and edge compute time and energy. */
size_t compute_plan_segments(const struct compute_problem *p, const struct compute_plan *pl,
                             struct compute_segment *segs);

/* The number of segments of a plan (compute_plan_segments' count), O(layers). */
size_t compute_plan_n_segments(const struct compute_plan *pl);

/* The one segment of a checked plan holding position pos (< n_layers), the
 * same as compute_plan_segments gives it, bit for bit, without the others:
 * O(layers + inputs) for its copy's crossing bytes. */
void compute_plan_segment_at(const struct compute_problem *p, const struct compute_plan *pl,
                             uint32_t pos, struct compute_segment *g);

/* The allocations as compact text, per position in order: "label:first-last"
 * for each segment of the side, comma-separated, first and last being
 * positions in the plan's order (so the edge's text starts at n_ue; a
 * one-layer segment prints "k-k"), the option's index where its label is
 * empty, e.g. "npu:0-11,cpu-big:4:12-13" for the UE (the empty string when
 * the side runs nothing). Writes at most cap bytes (NUL included, truncated
 * like snprintf) to out; returns the length it needed, NUL excluded. */
size_t compute_plan_alloc_text(const struct compute_problem *p, const struct compute_plan *pl,
                               enum compute_side side, char *out, size_t cap);

/* ======================================================================== */
/* A decision request (plan.c's types): what a decider is asked             */
/* ======================================================================== */

/* Why a plan is asked for. The same request serves the UE's first decision
 * (a1 + a2), its re-decisions on a new state, the network's override (a3)
 * and the UE's adaptation to it (a4): DESIGN.md's decision seam. */
/* What a UE measured over its last inferences (DESIGN.md step 9, the
 * feedback window): the means of the inferences of the window that had
 * finished when it decided, the network's energy reports as they had
 * arrived. Part of the state a decider knows. */
struct compute_window {
    uint32_t n;            /* inferences in the window (0: none yet; every mean 0) */
    double latency_s;      /* mean latency, s */
    double ue_energy_j;    /* mean UE energy, J */
    double edge_energy_j;  /* mean edge energy the network reported, J */
    double accuracy;       /* share correct among those whose input had a label, 0..1
                              (NAN: none had) */
    double deadline_miss;  /* share that missed their deadline, 0..1 */
    double reward;         /* the reward of these means (the scenario's <reward>) */
};

enum compute_decision_kind {
    COMPUTE_DECIDE_INITIAL,  /* after the network's reply: a1 + a2 (UE only after a decline) */
    COMPUTE_DECIDE_UPDATE,   /* a new network state: a changed plan may follow */
    COMPUTE_DECIDE_OVERRIDE, /* the network cannot honour a2: its a3 (same split; or no edge
                                part: n_ue = n_layers, the UE then adapts) */
    COMPUTE_DECIDE_ADAPT,    /* the UE after an a3 that took the edge part away: a4, every
                                layer on the UE */
    COMPUTE_DECIDE_KIND_COUNT
};
const char *compute_decision_kind_name(enum compute_decision_kind k); /* "initial", ... */

/* A decision request: the problem, the state of the moment, and for a
 * re-decision the plan in force and how much of it has started (a new plan
 * must begin with those positions, in order, on their options). The
 * identity fields say who asks about what (for learning agents and
 * records); policies need only the problem, the state and the constraint.
 *
 * Truth and model (DESIGN.md). problem and state are what the decider is
 * told: the CPMM's predictions, the network's report. The world executes
 * the truth, which a request also carries for a decider that decides on it
 * (an oracle; the world fills it only for such a decider, NULL otherwise):
 * truth_problem, the same layers and options priced as the world runs them
 * (each resource's declared bias on the prediction; the mean of the
 * execution's jitter, whose draws come later), and truth, the state as it
 * is at the request: every option's wait from its server's backlog now,
 * the radio's rates and the UE's powers now; admission, signalling and
 * weights as in state. */
struct compute_decision {
    enum compute_decision_kind kind;       /* why */
    const struct compute_problem *problem; /* the (device class, model) problem (borrowed) */
    struct compute_state state;            /* the UE's own waits and the network's report */
    const struct compute_problem *truth_problem; /* the problem as the world executes it
                                                    (borrowed; NULL: not asked for) */
    struct compute_state truth;            /* the state as it is (when truth_problem) */
    const struct compute_plan *current;    /* the plan in force (NULL: INITIAL) (borrowed) */
    uint32_t started;                      /* positions of current already started: kept */
    uint64_t inference_id;                 /* the inference */
    uint32_t ue;                           /* the UE deciding (or decided for) */
    uint32_t cell;                         /* its serving cell */
    uint32_t device;                       /* its device class */
    uint32_t model;                        /* the model */
    uint32_t workload;                     /* the UE's workload it came from */
    double t_s;                            /* when, s */
    double deadline_s;                     /* the inference's deadline, s */
    double t_request_s;                    /* when the inference was requested, s (its
                                              deadline counts from then) */
    double ue_load;                        /* the UE's busy units over its units, 0..1 */
    double battery_j;                      /* energy left in its battery, J (INFINITY: none) */
    double ul_sinr_db;                     /* its uplink SINR as last reported, dB */
    struct compute_window window;          /* its feedback window when it decides */
};

#endif /* COINFER_COMPUTE_H */
