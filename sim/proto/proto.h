/*
 * proto.h — the whole public face of sim/proto: the entities that talk to
 * each other (UEs, network devices) and the worlds built from them: the
 * validation queueing model, and the collaborative-inference protocol.
 *
 * Configuration comes from knob tables (one per scenario element) that the
 * scenario loader in io/ applies; the run tier assembles a world's
 * configuration from them once and hands it over by const pointer. Worlds
 * report what happened through callbacks (a sink): handlers never do I/O,
 * the run tier's sinks buffer and write between slices of the run.
 */
#ifndef COINFER_PROTO_H
#define COINFER_PROTO_H

#include "compute/compute.h"
#include "core/core.h"
#include "radio/radio.h"

struct nn_model;
struct nn_dataset;
struct nn_exits;
struct proto_layers;

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

/* Hears every recorded request (valid only during the call; from a
 * handler: no I/O, no allocation but the sink's own buffering). */
typedef void (*proto_request_fn)(void *ctx, const struct proto_request_record *r);

/* ---- the queue world ----------------------------------------------------- */

struct proto_queue_world;

/* Build the world on eng: UEs with their own RNG streams (seed, ue, purpose)
 * and the server; schedules the first arrivals. on_request(ctx, ...) hears
 * every request that arrives after the warm-up, when it completes. NULL on
 * allocation failure (e says so). */
struct proto_queue_world *proto_queue_world_create(const struct proto_sim_config *sim,
                                                   const struct proto_queue_config *q,
                                                   struct core_engine *eng,
                                                   proto_request_fn on_request, void *ctx,
                                                   struct core_err *e);
void proto_queue_world_destroy(struct proto_queue_world *w);

/* Requests that arrived / finished so far (recorded or not). */
uint64_t proto_queue_world_arrivals(const struct proto_queue_world *w);
uint64_t proto_queue_world_completions(const struct proto_queue_world *w);

/* ======================================================================== */
/* Collaborative inference: UEs, network devices and their protocol          */
/* (collab_knobs.c; world.c, inference.c, transport.c, decide.c, ue.c, net.c) */
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
 * decision maker is a decider (struct proto_decider) that the run tier wires
 * to a policy, or to an agent that answers later: proto never sees
 * sim/policy. Every inference that ends emits an outcome to a sink.
 *
 * Configuration comes from knob tables, one per scenario element; the run
 * tier resolves names (resources, models, devices) into the indices of
 * struct proto_world_config. */

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
    double push_gap_s;            /* least time between pushes to one UE, s */
    double load_threshold;        /* network pushes / UE asks when the edge's / its own
                                     load moves this far, 0..1 (0: never) */
    double channel_threshold_db;  /* UE asks for state when its SINR moves this far, dB
                                     (0: never) */
    double battery_threshold;     /* UE asks for state when its battery moved this share of
                                     its capacity since it last decided, 0..1 (0: never) */
    int on_handover;              /* enum proto_handover_mode */
};
extern const struct core_knob_table proto_protocol_knobs;

/* <objective>: what a decision minimises. */
struct proto_objective_config {
    double latency_weight; /* weight of latency, 1/s */
    double energy_weight;  /* weight of UE energy, 1/J */
    double accuracy_weight; /* weight of the plan's expected accuracy (0..1), 1 */
};
extern const struct core_knob_table proto_objective_knobs;

/* <reward>: how an inference's outcome is scored for learning (DESIGN.md
 * step 9), and the UE's feedback window. With a = 1 when the result was
 * correct, 0 when wrong (its term left out when the input had no label),
 * t the latency, E_ue and E_edge the UE's and the network's energy and
 * miss = 1 when the deadline was missed:
 *   r = w_a a - w_t t / t_ref - w_e E_ue / E_ref - w_x E_edge / E_ref - P miss.
 * The defaults make r minus the default objective (latency in seconds). */
struct proto_reward_config {
    double accuracy_weight;    /* w_a */
    double latency_weight;     /* w_t */
    double energy_weight;      /* w_e */
    double edge_energy_weight; /* w_x */
    double latency_scale_s;    /* t_ref, s (> 0) */
    double energy_scale_j;     /* E_ref, J (> 0) */
    double deadline_penalty;   /* P */
    long window;               /* inferences in a UE's feedback window (0: none kept) */
};
extern const struct core_knob_table proto_reward_knobs;

/* The reward of one outcome, or of a window's means (accuracy NAN: no label
 * among them, the term left out; miss the share missed, 0..1). */
double proto_reward(const struct proto_reward_config *c, double accuracy, double latency_s,
                    double ue_energy_j, double edge_energy_j, double miss);

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

/* ---- the world's configuration ------------------------------------------- */

/* The link between each cell's gNB and its edge node (<edge backhaul-latency
 * backhaul-bandwidth>). Every protocol message crosses it once, on its way
 * from the gNB to the network device or back (transport.c): B bytes take
 * latency_s + 8 B / rate_bps, with no queueing between messages (a link
 * provisioned for the cell's peak). */
struct proto_backhaul {
    double latency_s; /* one way, s (0: none) */
    double rate_bps;  /* bit/s (0: unlimited) */
};

/* The world is built from one struct proto_world_config, assembled by the
 * run tier from a scenario once and never patched: counted arrays it
 * borrows (they must outlive the world), no fixed maxima. */

/* One resource instance of a side (a <use>): a server of units. */
struct proto_instance {
    const char *name;          /* instance name in labels (borrowed) */
    uint32_t units;            /* units: cores of a CPU instance, devices of an accelerator */
    double idle_power_w;       /* idle power of the whole instance, W */
    double unit_power_w;       /* active power of one unit computing, W (a background job's
                                  draw; 0: not costed) */
    double background_load;    /* edge: share of its capacity other work takes, 0..1 */
    double background_job_s;   /* edge: mean service of a background job, s */
    double withdrawn_from_s;   /* edge: the scenario withdraws it from this time, s */
    double withdrawn_until_s;  /* ...until this one, s (equal: never) */
};

/* One compute side (a UE device class, or the edge node of every cell):
 * its instances, and its options' units (the problems' options of that
 * side index them; an option's resource is an instance index). */
struct proto_side {
    size_t n_instances;                     /* instances, >= 1 */
    const struct proto_instance *instances; /* [n_instances] (borrowed) */
    double battery_j;                       /* UE: battery capacity, J (0: none) */
    size_t n_options;                       /* = the problems' n_options of the side */
    const uint32_t *option_units;           /* [n_options]: units one job takes */
};

/* One stream of requests of each UE of a group. */
struct proto_workload {
    uint32_t model;         /* model index */
    int arrival;            /* enum proto_arrival_process */
    double rate_hz;         /* per UE, Hz */
    double deadline_s;      /* s */
};

/* The UEs of one radio group (the radio world numbers UEs group by group). */
struct proto_group {
    uint32_t device;                       /* device class index */
    size_t n_ues;                          /* UEs */
    size_t n_workloads;                    /* streams per UE, >= 1 */
    const struct proto_workload *workloads; /* [n_workloads] (borrowed) */
};

/* A model the UEs run. */
struct proto_model {
    const char *name;          /* its name (borrowed) */
    double output_bytes;       /* the result tensor, B */
    /* Real mode: the model, finalized (borrowed), and for each of its
     * layers the problem layer it is part of (NULL: the same index). NULL in
     * costed mode. */
    struct nn_model *real;
    const uint16_t *real_group;
    /* Real mode: labelled test images each input is drawn from, the result
     * compared with the label (borrowed; NULL: random bytes, no label). */
    const struct nn_dataset *test_set;
    /* Real mode with exits (<model exits="on">): its early exits, finalized
     * with its weights, folded and fused, v[k] the problems' exits[k]
     * (borrowed; NULL: none), and each branch's layers grouped as the exit's
     * right-sized problems group them (borrowed; [real_exits->n]). */
    const struct nn_exits *real_exits;
    const struct proto_layers *real_exit_layers;
};

struct proto_world_config {
    struct proto_sim_config sim;            /* duration, seed, warmup */
    struct proto_protocol_config protocol;  /* messages and rules */
    struct proto_objective_config objective;
    struct proto_reward_config reward;      /* rewards and the UEs' feedback windows */
    struct proto_inference_config inference;
    struct radio_power_model ue_power;      /* the radio world's UE power model */
    struct proto_backhaul backhaul;         /* every cell's gNB <-> edge node link */
    size_t n_models;                        /* models, >= 1 */
    const struct proto_model *models;       /* [n_models] (borrowed) */
    size_t n_devices;                       /* UE device classes, >= 1 */
    const struct proto_side *devices;       /* [n_devices] (borrowed) */
    struct proto_side edge;                 /* every cell's edge node */
    /* [device x n_models + model]: device class running model with the edge,
     * its options matching devices[device] and edge; NULL where no group
     * runs it (borrowed). */
    const struct compute_problem *const *problems;
    /* The same, priced as the world executes them (the truth: each
     * resource's declared bias on the CPMM's prediction): what segments
     * take, and what a decider that decides on the truth is told. Each has
     * its problem's layers and options; an entry may be its problem itself
     * (no bias). NULL: the truth is the predictions (borrowed). */
    const struct compute_problem *const *truths;
    size_t n_groups;                        /* = the radio world's groups, in order */
    const struct proto_group *groups;       /* [n_groups] (borrowed) */
};

/* The problem of device class d running model m (NULL: none). */
static inline const struct compute_problem *proto_problem(const struct proto_world_config *c,
                                                          size_t d, size_t m)
{
    return c->problems[d * c->n_models + m];
}

/* Its truth: what the world executes (NULL: none). */
static inline const struct compute_problem *proto_truth(const struct proto_world_config *c,
                                                        size_t d, size_t m)
{
    return c->truths ? c->truths[d * c->n_models + m] : proto_problem(c, d, m);
}

/* ---- what the world reports: outcomes and messages -------------------------- */

/* How an inference ended. Times are simulated seconds; the components add
 * up to latency_s. Every inference that ends emits one (DESIGN.md's outcome
 * seam), and so does every inference still in flight when the run stops
 * (proto_collab_world_end: unfinished, t_done_s and latency_s NAN, the
 * components reached so far, signaling_s the rest of the time elapsed);
 * the run tier's sinks make the `inferences` rows, summaries and training
 * samples of them. */
/* Why the network declined a request (the state it replied with). */
enum proto_decline {
    PROTO_DECLINE_NONE,          /* it did not */
    PROTO_DECLINE_NO_UPLINK,     /* the UE has no uplink rate */
    PROTO_DECLINE_NO_DOWNLINK,   /* the UE has no downlink rate */
    PROTO_DECLINE_EDGE_WITHDRAWN, /* no edge option is offered (every one withdrawn) */
    PROTO_DECLINE_ADMISSION_WAIT, /* the shortest expected edge wait exceeds admission-wait */
    PROTO_DECLINE_COUNT
};
/* "no-uplink", ...; NULL for PROTO_DECLINE_NONE. */
const char *proto_decline_name(enum proto_decline d);

struct proto_outcome {
    uint64_t inference_id;   /* 0, 1, 2, ... in request order */
    bool finished;           /* false: the run stopped first (see stage) */
    const char *stage;       /* unfinished: where it stood ("uploading", ...); NULL when
                                finished (static text) */
    uint32_t ue_id;          /* the UE */
    uint32_t cell_id;        /* its serving cell at the request */
    uint32_t device;         /* its device class */
    uint32_t model;          /* model index */
    uint32_t workload;       /* the UE's workload it came from */
    int32_t split;           /* layers the UE computed (n_layers: local) */
    double t_request_s;      /* request issued, s */
    double t_done_s;         /* result at the UE, s (NAN: unfinished) */
    double latency_s;        /* t_done_s - t_request_s, s (NAN: unfinished) */
    double ue_compute_s;     /* UE segments incl. their waits and copies, s */
    double uplink_s;         /* intermediate result upload, s */
    double edge_queue_s;     /* waits at edge resources, s */
    double edge_compute_s;   /* edge segments incl. copies, s */
    double downlink_s;       /* result download, s */
    double signaling_s;      /* the rest: request, reply, waiting for a2 / a3, s */
    double ue_energy_j;      /* UE compute, copies, radio, J */
    double edge_energy_j;    /* edge compute and copies, J */
    double deadline_s;       /* its deadline, s */
    int correct;             /* -1: not known (no label); 0/1 when the input has one */
    int32_t result_class;    /* real mode: the result's argmax; -1 in costed mode */
    bool declined;           /* the network declined: run locally */
    enum proto_decline decline; /* and why (PROTO_DECLINE_NONE: it did not) */
    bool no_plan;            /* ended with no plan (stage "no-plan"): the UE had to run
                                a layer no UE option runs */
    uint32_t no_plan_layer;  /* no_plan: that problem layer */
    bool overridden;         /* the network sent a3 */
    uint32_t restarts;       /* restarts at a new cell after a handover */
    bool deadline_met;       /* latency_s <= deadline_s (unfinished: false) */
    const struct compute_problem *problem; /* its (device, model) problem, on which the
                                              plans name their exit (borrowed, lives with
                                              the world) */
    struct compute_plan plan;              /* the plan executed */
    struct compute_state state;            /* the state plan_decided was decided on */
    struct compute_plan plan_decided;      /* the UE's plan (its last a2) before any a3 */
    double ue_load;                        /* the UE's own load it decided on, 0..1 */
    double battery_j;                      /* the battery it decided on, J (INFINITY: none) */
    double ul_sinr_db;                     /* the UL SINR it decided on, dB */
    struct compute_window window;          /* the UE's feedback window it decided with */
    double reward;                         /* proto_reward of this outcome (NAN: unfinished) */
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
    PROTO_MSG_UPDATE_ACK,    /* the UE took an a3 that left its part as it was (a remap) or
                                left it every layer, UE -> network (an a3 that handed layers
                                back is answered by the a2 of the UE's a4) */
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

/* Where the world reports. Called from handlers: a sink buffers (it may
 * ask the engine to stop so that its owner drains it between slices) and
 * never does I/O. message may be NULL (no trace). */
/* One row of the energy ledger: what a UE, or one edge instance of a cell,
 * spent over the whole run (warm-up included), by kind. Inferences are
 * charged what they caused (their segments and transfers, lost work after a
 * handover restart included); idle power, background work and the RRC tail
 * belong to no inference and are only here. A segment or transfer counts
 * when it ends (or is stopped): one still running at the end is not in. */
struct proto_energy_row {
    bool edge;             /* false: a UE (its resources and its radio); true: an edge
                              instance of a cell */
    uint32_t ue_id;        /* the UE (edge rows: UINT32_MAX) */
    uint32_t cell_id;      /* edge rows: the cell; UE rows: its serving cell at the end */
    uint32_t instance;     /* edge rows: the instance's index on the edge node */
    const char *resource;  /* edge rows: the instance's name (borrowed); UE rows: NULL */
    double idle_j;         /* idle power of its resource instances over the run, J */
    double compute_j;      /* inference segments computed, copies included, J */
    double background_j;   /* edge: background jobs computed, J */
    double radio_j;        /* UE: its transfers' own draw and base power, RRC tail
                              excluded, J */
    double tail_j;         /* UE: the RRC tails its transfers started, J */
    double duration_s;     /* the run the ledger covers, s */
};

struct proto_sink {
    void (*outcome)(void *ctx, const struct proto_outcome *o);
    void (*message)(void *ctx, const struct proto_message_record *m);
    /* Each row of the energy ledger, at proto_collab_world_end (NULL: not wanted). */
    void (*energy)(void *ctx, const struct proto_energy_row *r);
    void *ctx;
};

/* ---- who decides: the decision seam ----------------------------------------- */

/* A decider answers a decision request now (*later false: *out is the
 * plan) or later (*later true: the world parks the request and its
 * inference; proto_collab_world_answer submits the plan). The UE's decider
 * gets INITIAL, UPDATE and ADAPT requests, the network's OVERRIDE ones;
 * OVERRIDE and ADAPT must be answered now. rng is the deciding UE's POLICY
 * stream (its own purpose: no other stream moves). A failure fails the run. */
typedef enum core_rc (*proto_decide_fn)(void *ctx, const struct compute_decision *req,
                                        struct core_rng *rng, struct compute_plan *out,
                                        bool *later, struct core_err *e);

struct proto_decider {
    proto_decide_fn decide;
    void *ctx;
    bool truth; /* it decides on the truth: the world fills each request's truth fields
                   (compute_decision; an RRM query per request) */
    bool on_device; /* the UEs' decider never uses the network: a UE decides at once, the
                       edge not offered, and sends no request (a pure on-device baseline) */
};

/* The network device's own rule for a3 (net.c), what a world uses when no
 * other network decider is given: when some edge option of the plan in
 * force waits longer than the protocol's override-wait, the network keeps
 * the longest run of the edge part's last positions whose every layer has
 * a supporting edge option within it, each on the one of least wait +
 * latency, and hands the positions before that run back to the UE (a later
 * cut: n_ue moves to the run's start; all of them when the last layer has
 * none: n_ue = n_layers, the edge part withdrawn), if the UE can run them,
 * else a2 stands. The options of the positions handed back are the UE's
 * a4's to choose. Answers the plan in force itself when a2 stands. ctx: the
 * world's protocol config. */
enum core_rc proto_net_override(void *ctx, const struct compute_decision *req,
                                struct core_rng *rng, struct compute_plan *out, bool *later,
                                struct core_err *e);

/* ---- the collaborative world ---------------------------------------------- */

struct proto_collab_world;

/* Build the world on eng over radio (borrowed, built from the same
 * scenario with no traffic of its own): one network device per cell, the
 * UEs' workloads, background load; schedules the first requests. cfg is
 * borrowed (it and everything it points to must outlive the world), as are
 * ue (the UEs' decider), net (the network's; NULL: proto_net_override) and
 * sink. CORE_E_INPUT for an inconsistent cfg, CORE_E_NOMEM; NULL then. */
struct proto_collab_world *proto_collab_world_create(const struct proto_world_config *cfg,
                                                     struct core_engine *eng,
                                                     struct radio_world *radio,
                                                     const struct proto_decider *ue,
                                                     const struct proto_decider *net,
                                                     const struct proto_sink *sink,
                                                     struct core_err *e);
void proto_collab_world_destroy(struct proto_collab_world *w); /* NULL is a no-op */

/* The run stops: emit an unfinished outcome for every inference still in
 * flight (requested after the warm-up), in the pool's order (deterministic).
 * The world must not run after this; destroy it. A second call does
 * nothing. */
void proto_collab_world_end(struct proto_collab_world *w);

/* Decisions parked by a decider that answered later, oldest first: their
 * count, and request i with its ticket. The world asks the engine to stop
 * after the event that parks one, so a driver can answer at that very
 * event boundary. The request pointed to is valid until the next answer or
 * the engine's next run; a parked request is dropped when its inference
 * restarts (a handover) or ends, or when the same inference asks again. */
size_t proto_collab_world_parked(const struct proto_collab_world *w);
const struct compute_decision *proto_collab_world_parked_at(const struct proto_collab_world *w,
                                                            size_t i, uint64_t *ticket);

/* Answer the parked decision ticket with plan (checked against its problem
 * and constraint); the inference goes on at the current simulated time (a
 * re-decision's plan is dropped, as an immediate one would be, if the
 * inference can no longer re-plan or the plan does not keep its started
 * layers). CORE_E_INPUT for an unknown or dropped ticket, or a plan that
 * does not fit. */
enum core_rc proto_collab_world_answer(struct proto_collab_world *w, uint64_t ticket,
                                       const struct compute_plan *plan, struct core_err *e);

struct proto_collab_stats {
    uint64_t requests;      /* inference requests issued */
    uint64_t done;          /* inferences finished */
    uint64_t unfinished;    /* inferences in flight when the run stopped (proto_collab_world_end) */
    uint64_t no_plan;       /* inferences ended with no plan (a layer the UE had to run has no
                               UE option) */
    uint64_t declined;      /* of those, declined by the network */
    uint64_t overridden;    /* of those, overridden (a3) */
    uint64_t replanned;     /* restarted at a new cell after a handover */
    uint64_t uploads_stopped; /* intermediate uploads stopped (a handover restart, or an a3
                                 that made them useless), their energy so far charged */
    uint64_t messages;      /* messages delivered */
    uint64_t state_pushes;  /* state updates pushed by the network */
    uint64_t state_requests; /* state updates asked for by UEs */
    uint64_t redecisions;   /* a changed a2 sent after a state update */
    uint64_t a2_cancels;    /* of those, an a2 with no edge layer: the plan went local */
    uint64_t handed_back;   /* a3s that handed the first layers of the edge part back (the
                               network kept the rest) */
    uint64_t a3_acks;       /* update-acks the network received */
    uint64_t batteries_out; /* UEs whose battery ran out (they stop requesting) */
    uint64_t parked;        /* decisions answered later */
};
void proto_collab_world_stats(const struct proto_collab_world *w, struct proto_collab_stats *s);

/* ---- Device and edge elements (device_knobs.c) ---------------------------- */

/* The scenario elements that describe who computes: <model> (a model file
 * or a zoo model, by name), <device> (a UE device class) and <edge> (the
 * edge node of every cell), each side listing its resource instances as
 * <use> children that name a <resource> type (compute.h), and the
 * device="..." attribute that <ue-group> gains in a collaborative
 * scenario. The run tier resolves the names into struct proto_world_config. */

/* <model>: one model the UEs run, from a model file or the zoo. */
struct proto_model_config {
    char name[CORE_KNOB_STRING_MAX]; /* name workloads refer to */
    char file[CORE_KNOB_STRING_MAX]; /* model file, relative to the scenario ("": zoo) */
    char zoo[CORE_KNOB_STRING_MAX];  /* nn_zoo_name of a zoo model ("": file) */
    double input_element_bytes;      /* bytes per element of the input as sent uplink, B */
    char accuracy[CORE_KNOB_STRING_MAX]; /* `coinfer accuracy` output, relative to the
                                            scenario ("": none) */
    char encoding[CORE_KNOB_STRING_MAX]; /* the encoding policies that do not choose one send */
    char exits[CORE_KNOB_STRING_MAX];    /* "on": the model file's early exits are choices
                                            (the accuracy file's exit lines); "off" */
    char exit[CORE_KNOB_STRING_MAX];     /* the exit policies that do not choose one end at
                                            ("none": the model's output) */
};
extern const struct core_knob_table proto_model_knobs;

/* <device>: a UE device class; its <use> children are its instances. */
struct proto_device_config {
    char name[CORE_KNOB_STRING_MAX];    /* name ue-groups refer to */
    double copy_latency_s;              /* fixed cost of a copy between resources, s */
    double copy_bandwidth_bps;          /* copy bandwidth between resources, bit/s */
    double copy_power_w;                /* power while copying, W */
    char default_option[CORE_KNOB_STRING_MAX]; /* split-default's option label ("": first) */
    double battery_j;                   /* battery capacity, J (0: unlimited) */
};
extern const struct core_knob_table proto_device_knobs;

/* <edge>: the edge node of every cell; its <use> children are its instances. */
struct proto_edge_config {
    double copy_latency_s;              /* fixed cost of a copy between resources, s */
    double copy_bandwidth_bps;          /* copy bandwidth between resources, bit/s */
    double copy_power_w;                /* power while copying, W */
    char default_option[CORE_KNOB_STRING_MAX]; /* split-default's option label ("": first) */
    double backhaul_latency_s;          /* gNB <-> edge node one-way latency, s */
    double backhaul_bandwidth_bps;      /* gNB <-> edge node bandwidth, bit/s (0: unlimited) */
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
    uint32_t default_option;                                /* split-default's choice */
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
    /* The model's name in stored profiles (borrowed; NULL: none): a truth
     * prices each nn layer i with the CPMM key proto_layer_key(measured, i),
     * so a resource whose profiles the caller added under those keys
     * executes their measurements (DESIGN.md "Truth and model"); the
     * prediction never uses them (its regression does). */
    const char *measured;
};

/* The CPMM key of nn layer i of the model named model in stored profiles:
 * "<model>/<i>", into buf (size bytes). */
void proto_layer_key(const char *model, size_t i, char *buf, size_t size);

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
 * priced by cpmm: its prediction (compute_cpmm_predict), or with truth what
 * the world executes (compute_cpmm_truth: the resources' declared bias on
 * it; otherwise the same problem); the input sent as input_element_bytes
 * per element, every message with header_bytes. CORE_E_INPUT (message
 * without file or line) for a layer no option of either side runs, or a
 * CPMM that cannot price a layer; CORE_E_NOMEM. */
enum core_rc proto_problem_build(const struct compute_cpmm *cpmm, const struct nn_model *m,
                                 const struct proto_layers *l, const struct proto_side_price *ue,
                                 const struct proto_side_price *edge, double input_element_bytes,
                                 double header_bytes, bool truth, struct compute_problem *p,
                                 struct core_err *e);

/* Offer early exit x of model m on p, the problem proto_problem_build made
 * of m (grouped as ml) with the same sides and truth, p's encodings set
 * (compute.h, "Early exits"): its right-sized problem holds the problem
 * layers x's attach point needs (in p's order) and then x's branch layers,
 * grouped as bl (proto_layers_init of the branch), the first priced as p
 * prices them, the branch's by cpmm as proto_problem_build would; its
 * encodings p's, each branch tensor at that encoding's bytes, the
 * accuracy of lossy ones unknown (NAN, for the caller to fill where it
 * measured them: run_exits_attach); its accuracy (and the exit's)
 * accuracy.
 * CORE_E_INPUT (message without file or line) when p offers no encodings,
 * already COMPUTE_PLAN_MAX_EXITS exits, or a branch layer no option runs;
 * CORE_E_NOMEM. */
struct nn_exit;
enum core_rc proto_problem_exit_add(const struct compute_cpmm *cpmm, const struct proto_layers *ml,
                                    const struct nn_exit *x, const struct proto_layers *bl,
                                    const struct proto_side_price *ue,
                                    const struct proto_side_price *edge, bool truth,
                                    double accuracy, struct compute_problem *p,
                                    struct core_err *e);

#endif /* COINFER_PROTO_H */
