/*
 * proto.h — the whole public face of sim/proto: the entities that talk to
 * each other (UEs, network devices) and the worlds built from them.
 *
 * For now it holds the validation queueing model: UEs that send requests as
 * Poisson (or periodic) processes to one edge server with deterministic or
 * exponential service times. It proves the engine against queueing theory
 * before the radio and DNN models arrive.
 *
 * Configuration comes from knob tables (one per scenario element) that the
 * scenario loader in io/ applies; the world writes one record per finished
 * request into a caller-provided buffer that the run driver drains to the
 * results database between slices of the run.
 */
#ifndef COINFER_PROTO_H
#define COINFER_PROTO_H

#include "compute/compute.h"
#include "core/core.h"
#include "radio/radio.h"

struct nn_model;

/* ---- simulation-wide settings: element <simulation> ---------------------- */

struct proto_sim_config {
    double duration_s;  /* simulated time to run, s */
    uint64_t seed;      /* master seed of every RNG stream */
    double warmup_s;    /* requests arriving before this are not recorded, s */
};
extern const struct core_knob_table proto_sim_knobs;

/* ---- the validation queue: elements <server> and <ues> inside <queue> ---- */

enum proto_service_dist {
    PROTO_SERVICE_EXPONENTIAL,  /* M/M/c */
    PROTO_SERVICE_DETERMINISTIC, /* M/D/c */
    PROTO_SERVICE_DIST_COUNT
};

enum proto_arrival_process {
    PROTO_ARRIVAL_POISSON,  /* exponential inter-arrival times */
    PROTO_ARRIVAL_PERIODIC, /* fixed period 1/rate, random phase */
    PROTO_ARRIVAL_PROCESS_COUNT
};

struct proto_queue_server_config {
    long n_servers;                  /* identical units at the edge server */
    int service;                     /* enum proto_service_dist */
    double mean_service_s;           /* mean service time, s */
};
extern const struct core_knob_table proto_queue_server_knobs;

struct proto_queue_ues_config {
    long n_ues;                      /* UEs sending requests */
    int arrival;                     /* enum proto_arrival_process */
    double rate_hz;                  /* requests per second per UE, Hz */
};
extern const struct core_knob_table proto_queue_ues_knobs;

struct proto_queue_config {
    struct proto_queue_server_config server;
    struct proto_queue_ues_config ues;
};

/* The offered load rho = n_ues * rate / (n_servers / mean_service). */
double proto_queue_rho(const struct proto_queue_config *q);

/* Mean sojourn time (wait + service) that queueing theory predicts for q, in
 * seconds: M/M/c by Erlang C, M/D/1 by Pollaczek-Khinchine. NAN where no
 * closed form applies (periodic arrivals, M/D/c with c > 1) or the queue is
 * unstable (rho >= 1). */
double proto_queue_theory_sojourn_s(const struct proto_queue_config *q);

/* ---- records ------------------------------------------------------------- */

/* One finished request of the queue model. */
struct proto_request_record {
    uint64_t request_id;  /* 0, 1, 2, ... in arrival order */
    uint32_t ue_id;       /* sender, 0-based */
    uint32_t server_id;   /* the edge server, 0 (one server for now) */
    double t_arrival_s;   /* arrival at the server, s */
    double t_start_s;     /* service start, s */
    double t_done_s;      /* service end, s */
};

/* A bounded buffer of records, filled by handlers (which never allocate) and
 * drained by the run driver. When it is full the world asks the engine to
 * stop so the driver can drain it; nothing is ever dropped. */
struct proto_records {
    struct proto_request_record *rows; /* owned */
    size_t n;                          /* rows filled */
    size_t capacity;                   /* rows allocated */
};
enum core_rc proto_records_init(struct proto_records *r, size_t capacity);
void proto_records_fini(struct proto_records *r);

/* ---- the queue world ----------------------------------------------------- */

struct proto_queue_world;

/* Build the world on eng: UEs with their own RNG streams (seed, ue, purpose)
 * and the server; schedules the first arrivals. records is borrowed and must
 * outlive the world. NULL on allocation failure (e says so). */
struct proto_queue_world *proto_queue_world_create(const struct proto_sim_config *sim,
                                                   const struct proto_queue_config *q,
                                                   struct core_engine *eng,
                                                   struct proto_records *records,
                                                   struct core_err *e);
void proto_queue_world_destroy(struct proto_queue_world *w);

/* Requests that arrived / finished so far (recorded or not). */
uint64_t proto_queue_world_arrivals(const struct proto_queue_world *w);
uint64_t proto_queue_world_completions(const struct proto_queue_world *w);

/* ======================================================================== */
/* Collaborative inference: UEs, network devices and their protocol          */
/* (collab_knobs.c, collab_world.c, collab_ue.c, collab_net.c)               */
/* ======================================================================== */

/* The protocol of DESIGN.md on the event engine. A UE of a device class
 * sends inference requests (its workload); for each, the network device of
 * its serving cell (gNB + edge node) gathers its RRM, CRM and CPMM state and
 * agrees or declines; on agree the UE's decision maker returns a plan
 * (compute.h's compute_plan: a1 = the UE's part, a2 = the edge's), the UE
 * sends a2, runs its part on its own resources, uploads the intermediate
 * result, the edge runs its part on resources shared by every UE of the cell
 * and returns the result. Every message is a radio flow of the radio world
 * (uplink or downlink of the UE), so signalling costs time and energy. The
 * decision maker is a callback (proto_decide_fn) that the layer above wires
 * to a policy: proto never sees sim/policy.
 *
 * Configuration comes from knob tables, one per scenario element; the layer
 * above (io) resolves names (resources, models, devices) into the indices of
 * struct proto_collab_config. */

/* <protocol>: message sizes, state updates, handover, overrides. */
enum proto_handover_mode {
    PROTO_HO_COMPLETE, /* an inference in flight finishes with the old cell's edge */
    PROTO_HO_REPLAN,   /* an inference not yet at the edge restarts at the new cell */
    PROTO_HO_MODE_COUNT
};

struct proto_protocol_config {
    double header_bytes;          /* every message's header, B */
    double request_layer_bytes;   /* inference request: per layer of the model, B */
    double reply_bytes;           /* inference reply / state update: network state, B */
    double decision_layer_bytes;  /* a2 / a3: per layer the edge computes, B */
    double energy_report_bytes;   /* energy report body, B */
    double admission_wait_s;      /* decline when the best edge wait exceeds this, s */
    double override_wait_s;       /* override a2 when its options' wait exceeds this, s */
    double push_period_s;         /* network state pushes, s (0: none) */
    double load_threshold;        /* network pushes / UE asks when the edge's / its own
                                     load moves this far, 0..1 (0: never) */
    double channel_threshold_db;  /* UE asks for state when its SINR moves this far, dB
                                     (0: never) */
    int on_handover;              /* enum proto_handover_mode */
};
extern const struct core_knob_table proto_protocol_knobs;

/* <objective>: what a decision minimises. */
struct proto_objective_config {
    double latency_weight; /* weight of latency, 1/s */
    double energy_weight;  /* weight of UE energy, 1/J */
};
extern const struct core_knob_table proto_objective_knobs;

/* <inference>: how layer costs are obtained. */
enum proto_inference_mode {
    PROTO_INFER_COSTED, /* layer times from the CPMM */
    PROTO_INFER_REAL,   /* small models: the parts actually run on the host */
    PROTO_INFER_MODE_COUNT
};
struct proto_inference_config {
    int mode;        /* enum proto_inference_mode */
    double jitter;   /* relative s.d. of a log-normal factor on each segment's time, 1 (0: none) */
};
extern const struct core_knob_table proto_inference_knobs;

/* <workload>: one stream of inference requests of a UE group. */
struct proto_workload_config {
    char model[CORE_KNOB_STRING_MAX]; /* model name, as declared by <model> */
    int arrival;                      /* enum proto_arrival_process */
    double rate_hz;                   /* requests per second per UE, Hz */
    double deadline_s;                /* latency an inference should meet, s */
};
extern const struct core_knob_table proto_workload_knobs;

/* One compute side (a UE device class, or the edge node of every cell) as
 * proto runs it: resource instances as servers, and options = (instance,
 * units a job takes). The problem's options of that side index these. */
#define PROTO_MAX_INSTANCES 16
struct proto_side {
    size_t n_instances;                                  /* resource instances */
    char instance_name[PROTO_MAX_INSTANCES][CORE_KNOB_STRING_MAX]; /* their names */
    uint32_t instance_units[PROTO_MAX_INSTANCES];        /* units of each (cores, devices) */
    double idle_power_w[PROTO_MAX_INSTANCES];            /* idle power of each, W */
    double background_load[PROTO_MAX_INSTANCES];        /* edge: share of capacity used by
                                                            other work, 0..1 */
    double background_job_s[PROTO_MAX_INSTANCES];        /* mean service of a background job, s */
    double withdrawn_from_s[PROTO_MAX_INSTANCES];        /* edge: withdrawn by the scenario
                                                            from this time, s */
    double withdrawn_until_s[PROTO_MAX_INSTANCES];       /* ...until this one, s (equal: never) */
    double battery_j;                                    /* UE: battery capacity, J (0: none) */
    size_t n_options;                                    /* = the problems' n_options[side] */
    uint32_t option_units[COMPUTE_PLAN_MAX_OPTIONS];     /* units one job takes */
};

/* One stream of requests, resolved. */
struct proto_workload {
    uint32_t model;         /* index into the models */
    int arrival;            /* enum proto_arrival_process */
    double rate_hz;         /* per UE, Hz */
    double deadline_s;      /* s */
};

#define PROTO_MAX_WORKLOADS 8
#define PROTO_MAX_DEVICES 8
#define PROTO_MAX_MODELS 16
#define PROTO_MAX_GROUPS 16

/* The UEs of one radio group, resolved. */
struct proto_ue_group {
    uint32_t device;                                   /* device class index */
    size_t n_workloads;                                /* streams per UE */
    struct proto_workload workloads[PROTO_MAX_WORKLOADS];
};

struct proto_collab_config {
    struct proto_sim_config sim;            /* duration, seed, warmup */
    struct proto_protocol_config protocol;  /* messages and rules */
    struct proto_objective_config objective;
    struct proto_inference_config inference;
    size_t n_models;                        /* models */
    const char *model_name[PROTO_MAX_MODELS]; /* names (borrowed) */
    double model_output_bytes[PROTO_MAX_MODELS]; /* the result tensor, B */
    size_t n_devices;                       /* UE device classes */
    struct proto_side device[PROTO_MAX_DEVICES]; /* each class's side */
    struct proto_side edge;                 /* every cell's edge node */
    struct radio_power_model ue_power;      /* the radio world's UE power model (for the
                                               decision state's radio powers) */
    /* Real mode (inference.mode PROTO_INFER_REAL): each model, finalized,
     * that the world runs (borrowed; NULL in costed mode). */
    struct nn_model *real_model[PROTO_MAX_MODELS];
    /* For each of real_model[m]'s layers, the problem layer it belongs to (a
     * problem may group aliases with their producer); NULL: the same index. */
    const uint16_t *real_group[PROTO_MAX_MODELS];
    /* problem[d][m]: device class d running model m with the edge (borrowed;
     * built by the caller from the CPMM; options match device[d] and edge). */
    const struct compute_problem *problem[PROTO_MAX_DEVICES][PROTO_MAX_MODELS];
    size_t n_groups;                        /* = the radio world's groups, in order */
    size_t group_n_ues[PROTO_MAX_GROUPS];   /* UEs of each (the radio world numbers
                                               UEs group by group) */
    struct proto_ue_group groups[PROTO_MAX_GROUPS];
};

/* ---- records of the collaborative world ----------------------------------- */

#define PROTO_ALLOC_TEXT_MAX 256

/* One finished inference: a row of DESIGN.md's `inferences` table. Times
 * are simulated seconds; the components add up to latency_s. */
struct proto_inference_record {
    uint64_t inference_id;   /* 0, 1, 2, ... in request order */
    uint32_t ue_id;          /* the UE */
    uint32_t cell_id;        /* its serving cell at the request */
    uint32_t model;          /* model index (proto_collab_config.model_name) */
    int32_t split;           /* layers the UE computed (n_layers: local) */
    double t_request_s;      /* request issued, s */
    double t_done_s;         /* result at the UE, s */
    double latency_s;        /* t_done_s - t_request_s, s */
    double ue_compute_s;     /* UE segments incl. their waits and copies, s */
    double uplink_s;         /* intermediate result upload, s */
    double edge_queue_s;     /* waits at edge resources, s */
    double edge_compute_s;   /* edge segments incl. copies, s */
    double downlink_s;       /* result download, s */
    double signaling_s;      /* the rest: request, reply, waiting for a2 / a3, s */
    double ue_energy_j;      /* UE compute, copies, radio, J */
    double edge_energy_j;    /* edge compute and copies, J */
    int correct;             /* -1: not known (no label); 0/1 when the input has one */
    int32_t result_class;    /* real mode: the result's argmax; -1 in costed mode */
    bool declined;           /* the network declined: run locally */
    bool overridden;         /* the network sent a3 */
    bool deadline_met;       /* latency_s <= deadline */
    char ue_alloc[PROTO_ALLOC_TEXT_MAX];   /* compute_plan_alloc_text, UE side */
    char edge_alloc[PROTO_ALLOC_TEXT_MAX]; /* same, edge side */
};

enum proto_msg_type {
    PROTO_MSG_REQUEST,       /* inference request, UE -> network */
    PROTO_MSG_REPLY,         /* inference reply (agree / decline + state), network -> UE */
    PROTO_MSG_DECISION,      /* a2, UE -> network */
    PROTO_MSG_INTERMEDIATE,  /* the crossing tensors, UE -> network */
    PROTO_MSG_UPDATE,        /* allocation update a3 (override), network -> UE */
    PROTO_MSG_RESULT,        /* the collaborative result, network -> UE */
    PROTO_MSG_STATE_UPDATE,  /* network state push or answer, network -> UE */
    PROTO_MSG_STATE_REQUEST, /* UE asks for the network state, UE -> network */
    PROTO_MSG_ENERGY_REPORT, /* edge energy of an inference, network -> UE */
    PROTO_MSG_TYPE_COUNT
};
const char *proto_msg_type_name(enum proto_msg_type t); /* "request", ... */

/* One message delivered: a row of `messages` (with --trace). */
struct proto_message_record {
    double t_s;              /* delivery time, s */
    uint32_t ue_id;          /* the UE at one end */
    uint32_t cell_id;        /* the network device (cell) at the other */
    bool uplink;             /* true: UE -> network; false: network -> UE */
    enum proto_msg_type type;
    double bytes;            /* size on the air, B */
    int64_t inference_id;    /* -1 for state messages */
};

/* Record buffers, filled by handlers and drained by the driver; when either
 * is full the world asks the engine to stop. Nothing is dropped. */
struct proto_collab_records {
    struct proto_inference_record *inferences; /* owned */
    size_t n_inferences, cap_inferences;
    struct proto_message_record *messages;     /* owned (NULL without trace) */
    size_t n_messages, cap_messages;
};
enum core_rc proto_collab_records_init(struct proto_collab_records *r, size_t cap_inferences,
                                       size_t cap_messages);
void proto_collab_records_fini(struct proto_collab_records *r);

/* ---- the collaborative world ---------------------------------------------- */

/* The decision maker: fill *out with a plan for problem p under state s
 * (s->edge_available false: a UE-only plan). device and model say which
 * problem it is; rng is the deciding UE's DECISION stream. */
typedef enum core_rc (*proto_decide_fn)(void *ctx, uint32_t device, uint32_t model,
                                        const struct compute_problem *p,
                                        const struct compute_state *s, struct core_rng *rng,
                                        struct compute_plan *out, struct core_err *e);

struct proto_collab_world;

/* Build the world on eng over radio (borrowed, built from the same
 * scenario with no traffic of its own): one network device per cell, the
 * UEs' workloads, background load; schedules the first requests. cfg is
 * copied (the problems stay borrowed). CORE_E_INPUT for an inconsistent
 * cfg, CORE_E_NOMEM; NULL then. */
struct proto_collab_world *proto_collab_world_create(const struct proto_collab_config *cfg,
                                                     struct core_engine *eng,
                                                     struct radio_world *radio,
                                                     proto_decide_fn decide, void *decide_ctx,
                                                     struct proto_collab_records *records,
                                                     struct core_err *e);
void proto_collab_world_destroy(struct proto_collab_world *w); /* NULL is a no-op */

struct proto_collab_stats {
    uint64_t requests;      /* inference requests issued */
    uint64_t done;          /* inferences finished */
    uint64_t declined;      /* of those, declined by the network */
    uint64_t overridden;    /* of those, overridden (a3) */
    uint64_t replanned;     /* restarted at a new cell after a handover */
    uint64_t messages;      /* messages delivered */
    uint64_t state_pushes;  /* state updates pushed by the network */
    uint64_t state_requests; /* state updates asked for by UEs */
    uint64_t redecisions;   /* a changed a2 sent after a state update */
    uint64_t batteries_out; /* UEs whose battery ran out (they stop requesting) */
};
void proto_collab_world_stats(const struct proto_collab_world *w, struct proto_collab_stats *s);

/* ---- Device and edge elements (device_knobs.c) ---------------------------- */

/* The scenario elements that describe who computes: <model> (a model file
 * or a zoo model, by name), <device> (a UE device class) and <edge> (the
 * edge node of every cell), each side listing its resource instances as
 * <use> children that name a <resource> type (compute.h), and the
 * device="..." attribute that <ue-group> gains in a collaborative
 * scenario. io resolves the names into struct proto_collab_config. */

/* <model>: one model the UEs run, from a model file or the zoo. */
struct proto_model_config {
    char name[CORE_KNOB_STRING_MAX]; /* name workloads refer to */
    char file[CORE_KNOB_STRING_MAX]; /* model file, relative to the scenario ("": zoo) */
    char zoo[CORE_KNOB_STRING_MAX];  /* nn_zoo_name of a zoo model ("": file) */
    double input_element_bytes;      /* bytes per element of the input as sent uplink, B */
};
extern const struct core_knob_table proto_model_knobs;

/* <device>: a UE device class; its <use> children are its instances. */
struct proto_device_config {
    char name[CORE_KNOB_STRING_MAX];    /* name ue-groups refer to */
    double copy_latency_s;              /* fixed cost of a copy between resources, s */
    double copy_bandwidth_bps;          /* copy bandwidth between resources, bit/s */
    double copy_power_w;                /* power while copying, W */
    char default_option[CORE_KNOB_STRING_MAX]; /* split policy's option label ("": first) */
    double battery_j;                   /* battery capacity, J (0: unlimited) */
};
extern const struct core_knob_table proto_device_knobs;

/* <edge>: the edge node of every cell; its <use> children are its instances. */
struct proto_edge_config {
    double copy_latency_s;              /* fixed cost of a copy between resources, s */
    double copy_bandwidth_bps;          /* copy bandwidth between resources, bit/s */
    double copy_power_w;                /* power while copying, W */
    char default_option[CORE_KNOB_STRING_MAX]; /* split policy's option label ("": first) */
};
extern const struct core_knob_table proto_edge_knobs;

/* <use>: one resource instance of a device or the edge. */
struct proto_use_config {
    char resource[CORE_KNOB_STRING_MAX]; /* <resource name> of its type */
    char name[CORE_KNOB_STRING_MAX];     /* instance name in labels ("": the type's name) */
    long count;                          /* identical units pooled: CPU clusters, devices */
    char amounts[CORE_KNOB_STRING_MAX];  /* CPU: cores a job may take, "1 2 4" ("": all) */
    double idle_power_w;                 /* idle power of the instance, W (-1: count x type's) */
    double background_load;              /* edge only: share used by other work, 0..1 */
    double background_job_s;             /* edge only: mean background job, s */
    double withdrawn_from_s;             /* edge only: the instance is withdrawn from... s */
    double withdrawn_until_s;            /* ...until this time, s (equal: never) */
};
extern const struct core_knob_table proto_use_knobs;

/* <ue-group device="...">: the attribute a collaborative scenario adds to
 * the radio's <ue-group> (whose other attributes are radio's knobs). */
struct proto_ue_group_config {
    char device[CORE_KNOB_STRING_MAX]; /* <device name> of the group's UEs ("": none) */
};
extern const struct core_knob_table proto_ue_group_knobs;


/* ======================================================================== */
/* Building a world's problems (side.c, layer_desc.c, problem.c)             */
/* ======================================================================== */

struct nn_layer_profile;

/* The options of one compute side (a UE device class or the edge node): what
 * a decision may give a layer there. An accelerator instance is one option
 * (label: its name, share 1, 1 unit); a CPU instance one option per amount
 * it allows (label "name:cores", that many units). */
struct proto_side_options {
    size_t n;                                               /* options */
    struct compute_option option[COMPUTE_PLAN_MAX_OPTIONS]; /* instance, amount, label */
    uint32_t units[COMPUTE_PLAN_MAX_OPTIONS];               /* units one job takes */
    uint32_t default_option;                                /* the split policy's choice */
};

/* The name of a <use> in labels: its name, else its resource's. */
const char *proto_use_name(const struct proto_use_config *u);

/* The options of a side of n_uses instances, uses[i] of resource type
 * resources[i] (both borrowed), with the default named def ("": the first
 * option; a label, or an instance's name for its largest amount); owner
 * names the side in messages ("device 'phone'", "the edge"). CORE_E_INPUT
 * with why[] (no file or line) and *bad the index of the use at fault, or
 * n_uses when the default is: a bad amount, more than
 * COMPUTE_PLAN_MAX_OPTIONS options, an unknown default. */
enum core_rc proto_side_options(const struct proto_use_config *const *uses,
                                const struct compute_resource_config *const *resources,
                                size_t n_uses, const char *def, const char *owner,
                                struct proto_side_options *out, size_t *bad, char *why,
                                size_t why_size);

/* Describe layer i of model m, profiled as *lp (nn_profile_run, or its cost
 * and GEMM shape alone), as a CPMM layer in *d: a conv2d with groups = input
 * = output channels is a depthwise conv, flatten and dropout are reshapes,
 * every other op the CPMM type of its name. CORE_E_INPUT (naming the layer)
 * for an op the CPMM has no type for. (layer_desc.c) */
enum core_rc proto_layer_desc(const struct nn_model *m, int i, const struct nn_layer_profile *lp,
                              struct compute_layer_desc *d, struct core_err *e);

/* A model's layers as the CPMM sees them and as problems group them: a
 * layer that moves no data (a reshape, or an alias once nn folds and fuses
 * the model) and is the only reader of its producer joins its producer's
 * group; every other layer heads a group of its own, numbered in order of
 * their heads (a topological order). */
struct proto_layers {
    size_t n;                        /* nn layers */
    struct compute_layer_desc *desc; /* [n] (owned) */
    bool *alias;                     /* [n]: moves no data (owned) */
    uint16_t *group_of;              /* [n]: the problem layer each is part of (owned) */
    int *head;                       /* [n_groups]: its first nn layer (owned) */
    int *last;                       /* [n_groups]: its last, whose output it is (owned) */
    size_t n_groups;                 /* problem layers */
};

/* Fill *out for model m (finalized or shapes only). CORE_E_INPUT (message
 * without file or line: a layer the CPMM cannot describe, more layers than
 * a plan holds), CORE_E_NOMEM. */
enum core_rc proto_layers_init(const struct nn_model *m, struct proto_layers *out,
                               struct core_err *e);
void proto_layers_fini(struct proto_layers *l); /* zeroed: a no-op */

/* One side as a problem prices it. */
struct proto_side_price {
    const struct proto_side_options *opts; /* its options (borrowed) */
    const size_t *cpmm_resource;           /* [instances]: each instance's CPMM resource */
    double copy_latency_s;                 /* fixed cost of a copy between resources, s */
    double copy_bytes_per_s;               /* copy bandwidth, B/s */
    double copy_power_w;                   /* power while copying, W */
};

/* Build *p (compute_problem_init'ed here; the caller finis it) for model m,
 * grouped as l, with the UE side ue and the edge side edge, every layer
 * priced by cpmm; the input sent as input_element_bytes per element, every
 * message with header_bytes. CORE_E_INPUT (message without file or line)
 * for a layer no option of either side runs, or a CPMM that cannot price a
 * layer; CORE_E_NOMEM. */
enum core_rc proto_problem_build(const struct compute_cpmm *cpmm, const struct nn_model *m,
                                 const struct proto_layers *l, const struct proto_side_price *ue,
                                 const struct proto_side_price *edge, double input_element_bytes,
                                 double header_bytes, struct compute_problem *p,
                                 struct core_err *e);

#endif /* COINFER_PROTO_H */
