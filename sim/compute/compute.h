/*
 * compute.h — the whole public face of sim/compute: compute resources as
 * servers with queues.
 *
 * A server here is c identical units (cores, accelerators) in front of one
 * FIFO queue. Jobs arrive with their service time already drawn (the caller
 * owns the randomness); the server is an engine entity that starts jobs as
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

/* Jobs waiting (not in service) and units busy, now. */
size_t compute_server_queued(const struct compute_server *s);
uint32_t compute_server_busy(const struct compute_server *s);
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
    COMPUTE_LAYER_TYPE_COUNT
};

/* "conv2d", "dwconv", "fc", ..., "reshape". */
const char *compute_layer_type_name(enum compute_layer_type t);
/* The type named name: true with it in *t, else false. */
bool compute_layer_type_find(const char *name, enum compute_layer_type *t);

/* One layer, as the CPMM sees it. Fields a type does not have are 0. */
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
    uint32_t stride;              /* stride of a conv or pool, elements (0: none) */
    uint32_t c_in;                /* input channels */
    uint32_t c_out;               /* output channels */
    uint32_t groups;              /* conv groups (0: 1) */
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
};
extern const struct core_knob_table compute_resource_knobs;

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
};

/* Resolve a config into *r: parse efficiency_by_type and supports, convert
 * units. CORE_E_INPUT (message names the resource and what is wrong) for an
 * unknown kind or type name, a malformed override, an efficiency outside
 * (0, 1], an accelerator with units != 1, active power below idle power, or
 * a declared (not measured) resource without peak and bandwidth. */
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

/* Add resource type *r (copied); its index in *index. CORE_E_NOMEM. */
enum core_rc compute_cpmm_add_resource(struct compute_cpmm *c, const struct compute_resource *r,
                                       size_t *index, struct core_err *e);

/* Record that the layer known as key (caller's name, e.g. "resnet18/12";
 * copied, truncated to 63 bytes) took latency_s on amount A of resource res.
 * Invalidates the fit until compute_cpmm_fit. CORE_E_INPUT for a bad amount
 * or a latency that is not > 0; CORE_E_NOMEM. */
enum core_rc compute_cpmm_add_profile(struct compute_cpmm *c, size_t res, double amount,
                                      const char *key, const struct compute_layer_desc *d,
                                      double latency_s, struct core_err *e);

/* Fit every (resource, layer type) regression from the profiles, and one
 * per family of memory-bound types (streaming: batchnorm, relu, relu6, gap,
 * add, concat, softmax; window: maxpool, avgpool) for types of that family
 * with no profile of their own. CORE_E_RUNTIME if GSL fails; CORE_E_NOMEM. */
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

#endif /* COINFER_COMPUTE_H */
