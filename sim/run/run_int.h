/*
 * run_int.h — shared between the files of sim/run only: what every run
 * driver that records rows does the same way (slices.c).
 */
#ifndef COINFER_RUN_INT_H
#define COINFER_RUN_INT_H

#include "policy/policy.h"
#include "run/run.h"

struct io_accuracy;
struct nn_model;
struct proto_layers;

/* Offer the encodings of accuracy file acc (read from path) on problem p,
 * built for model m grouped as ml (compute.h "Encodings and accuracy"): fp32
 * as encoding 0, every other encoding of the file after it in file order,
 * their bytes from nn_encoding_bytes, each row's accuracy on the problem
 * prefix of its split, the whole model's accuracy, and fixed (an encoding's
 * text) as the fixed encoding. CORE_E_INPUT naming the file and line for a
 * row of another model (a split that is no problem prefix, other bytes) or
 * an unknown encoding, naming fixed when it is not offered; CORE_E_NOMEM.
 * (accuracy.c) */
enum core_rc run_accuracy_attach(const struct io_accuracy *acc, const char *path,
                                 const struct nn_model *m, const struct proto_layers *ml,
                                 const char *fixed, struct compute_problem *p,
                                 struct core_err *e);

/* A scenario model's early exits as choices (<model exits="on">, compute.h
 * "Early exits"): the model file's exits (graphs only in costed mode; in
 * real mode finalized with the model's weights, folded and fused), each
 * one's branch grouped as a problem groups layers, and its accuracy from
 * the accuracy file's exit lines; the accuracy of a lossy encoding at an
 * exit from the file's exits' sections (io_accuracy.exit_rows), when it
 * has them. */
struct run_exits {
    struct nn_model *graph;       /* the model file's graph (owned; NULL in real mode, where the
                                     assembly holds the model) */
    const struct nn_model *main;  /* the model the exits attach to: graph, or in real mode the
                                     assembly's (borrowed) */
    struct nn_exits *x;           /* its exits (owned) */
    struct proto_layers *bl;      /* [x->n]: each branch's layers (owned) */
    double accuracy[COMPUTE_PLAN_MAX_EXITS]; /* [x->n]: the accuracy file's, 0..1 */
    const struct io_accuracy *acc; /* the accuracy file (borrowed: the caller keeps it while
                                      it attaches rx) */
    const char *acc_path;          /* its path, for messages (borrowed likewise) */
};

/* Load the exits of the model file at model_path for accuracy file acc
 * (read from acc_path) into *rx (run_exits_fini frees it). CORE_E_INPUT
 * (no file or line: the caller names the model) for a model without exits,
 * more than COMPUTE_PLAN_MAX_EXITS, an accuracy file without exit lines
 * (saying how to make them), an exit it lacks or one it has that the model
 * does not, or another attach point; CORE_E_NOMEM. (accuracy.c) */
enum core_rc run_exits_load(const struct io_accuracy *acc, const char *acc_path,
                            const char *model_path, struct run_exits *rx, struct core_err *e);
void run_exits_fini(struct run_exits *rx); /* zeroed: a no-op */

/* run_exits_load's checks and the rest of *rx for exits rx->x (the caller's,
 * not empty: rx owns them) of main model graph: CORE_E_INPUT as
 * run_exits_load, CORE_E_NOMEM; the caller run_exits_fini's rx either way. */
enum core_rc run_exits_match(const struct io_accuracy *acc, const char *acc_path,
                             const struct nn_model *graph, struct run_exits *rx,
                             struct core_err *e);

/* Offer rx's exits on p (the problem of rx's model grouped as ml, its
 * encodings attached), priced by cpmm on sides ue and edge (truth: as the
 * world executes), fixed ("none" or an exit's name) its fixed exit; each
 * row of an exit's section of the accuracy file puts its accuracy on the
 * exit's right-sized problem, at the cut of the problem layers the row's
 * device part holds (a prefix of the exit model's layers, nn_exit_model).
 * CORE_E_INPUT naming fixed when it is no exit's name; naming the file and
 * line for a row that falls on no cut of the exit's problem, sends other
 * bytes or names an encoding the table does not; as
 * proto_problem_exit_add. (accuracy.c) */
enum core_rc run_exits_attach(const struct run_exits *rx, const struct proto_layers *ml,
                              const struct compute_cpmm *cpmm,
                              const struct proto_side_price *ue,
                              const struct proto_side_price *edge, bool truth, const char *fixed,
                              struct compute_problem *p, struct core_err *e);

/* The summary of run run_id's inferences in the database r reads into s
 * (initialised by the caller; finished here). (report.c) */
enum core_rc run_report_summary_of_run(struct db_reader *r, int64_t run_id, struct run_summary *s,
                                       struct core_err *e);

/* Print the per-point statistics of every sweep in r (nothing when it has no
 * complete sweep point); with versus (a policy; NULL: none), then the paired
 * differences of every other policy against it. CORE_E_USAGE when no
 * complete point has policy versus. (sweep_report.c) */
enum core_rc run_report_sweeps(struct db_reader *r, const char *versus, FILE *out,
                               struct core_err *e);

/* ---- the per-point statistics of sweeps (sweep_report.c) -------------------------- */

/* The metrics of a sweep point: its run's summary figures. */
enum run_sweep_metric {
    RUN_M_MEAN_LATENCY, RUN_M_P95_LATENCY, RUN_M_UE_ENERGY, RUN_M_EDGE_ENERGY, RUN_M_DEADLINE,
    RUN_M_ACCURACY, RUN_M_UNFINISHED, RUN_M_COUNT
};
/* Their names as printed and exported ("mean_latency_s", ...). */
extern const char *const run_sweep_metric_names[RUN_M_COUNT];
/* The metric called name; RUN_M_COUNT when none is. */
enum run_sweep_metric run_sweep_metric_of(const char *name);
/* Its SI unit ("s", "J", "1"). */
const char *run_sweep_metric_unit(enum run_sweep_metric m);

/* One factor value of a point (texts owned by the group). */
struct run_sweep_value {
    char *factor;  /* the factor's name */
    char *path;    /* its knob path */
    char *value;   /* the value as the sweep writes it */
    double num;    /* as a number in SI (NAN: not a number) */
};

/* One replication of a point: its seed and metrics (NAN: the run has none). */
struct run_sweep_rep {
    uint64_t replication;          /* from 0 */
    uint64_t seed;                 /* its master seed (shared by the point's policies) */
    double m[RUN_M_COUNT];         /* each metric */
};

/* A point of a sweep (factor values and policy) over its complete replications. */
struct run_sweep_group {
    char sweep[RUN_POLICY_NAME_MAX * 2]; /* the sweep's name */
    char values[512];                    /* "factor=value, ..." */
    char policy[RUN_POLICY_NAME_MAX];    /* its policy */
    uint64_t combination;                /* its factor combination */
    struct run_sweep_value *v;           /* [n_v]: its factor values, in order (owned) */
    size_t n_v;
    struct core_stats m[RUN_M_COUNT];    /* each metric over the replications */
    struct run_sweep_rep *reps;          /* [n_reps] (owned) */
    size_t n_reps, cap_reps;
};

struct run_sweep_stats {
    const char *path;         /* the database (borrowed from the reader) */
    struct run_sweep_group *g; /* [n], by sweep and first point (owned) */
    size_t n, cap;
};

/* Read every complete point of every sweep in r into st (_fini frees). */
enum core_rc run_sweep_stats_read(struct db_reader *r, struct run_sweep_stats *st,
                                  struct core_err *e);
void run_sweep_stats_fini(struct run_sweep_stats *st);
/* The 95 % t-interval's half-width of the mean of s (NAN when n < 2). */
double run_ci95_half_width(const struct core_stats *s);
/* The group of st with g's sweep and values and policy policy (NULL: none). */
const struct run_sweep_group *run_sweep_reference(const struct run_sweep_stats *st,
                                                  const struct run_sweep_group *g,
                                                  const char *policy);
/* The paired differences g - ref of metric m over the seeds both have, into d. */
void run_sweep_paired(const struct run_sweep_group *g, const struct run_sweep_group *ref,
                      enum run_sweep_metric m, struct core_stats *d);

/* ---- a sweep's points (sweep.c) ------------------------------------------------------ */

/* A point to run and its content key. */
struct run_sweep_point {
    uint64_t index;            /* the point */
    char key[65];              /* its content key */
};

/* Resolve every point opt keeps (its points, filter and shard), record them
 * all in db's sweep_points (a point there already keeps its row), count
 * those complete or failed before into res, and list the others to run in
 * *to_run (owned), in point order. CORE_E_INPUT for a point the scenario's
 * checks refuse or two points with one key. */
enum core_rc run_sweep_plan(const struct io_sweep *s, const struct run_sweep_options *opt,
                            struct db *db, struct run_sweep_point **to_run, size_t *n_to_run,
                            struct run_sweep_result *res, struct core_err *e);

/* run_sweep without sequential stopping: every point opt keeps, at once. */
enum core_rc run_sweep_points(const struct io_sweep *s, const struct run_sweep_options *opt,
                              struct run_sweep_result *res, struct core_err *e);

/* Write the rows a world has buffered (called between slices). */
typedef enum core_rc (*run_drain_fn)(void *ctx, struct core_err *e);

/* Run eng to duration_s in slices, calling drain after each (and after the
 * last) and progress about ten times a wall second. CORE_OK when the run
 * reached its end (or ran out of events); CORE_E_INTERRUPTED when
 * *stop_flag was set ("interrupted at t=..."); the engine's failure with
 * "PATH: the run failed at t=...: why"; or drain's error. */
enum core_rc run_slices(const char *path, struct core_engine *eng, double duration_s,
                        volatile int *stop_flag, run_progress_fn progress, void *progress_ctx,
                        run_drain_fn drain, void *drain_ctx, struct core_err *e);

/* Write the status rc means ("complete", "interrupted", "failed") into
 * status and into the run's row (db NULL: status only); returns rc, or the
 * database's error when only writing the status failed. */
enum core_rc run_end(struct db *db, int64_t run_id, enum core_rc rc, char *status,
                     size_t status_size, struct core_err *e);

/* The runs row of a run of a with policy (version NULL: "unknown"): the
 * scenario's name and file hash, the seed, the canonical configuration and
 * the overrides (borrowed from a). (assemble.c) */
void run_info(const struct run_assembly *a, const char *policy, const char *version,
              struct db_run_info *info);

/* ---- a policy as the UEs' decider (decider.c) ---------------------------------- */

struct run_decider {
    struct policy_solver **solver; /* [n_problems]: NULL where no problem (owned) */
    size_t n_problems;             /* device classes x models */
    size_t n_models;               /* models */
    bool exact;                    /* every solver's cuts are every cut of its model */
    bool observes;                 /* the policy hears outcomes (policy_observes) */
    bool truth;                    /* the policy decides on the truth (policy_truth) */
    struct policy_explore_config explore; /* the scenario's exploration */
    bool exploring;                /* explore has a probability above 0 */
    uint64_t seed;                 /* the run's seed (its exploration streams') */
    size_t n_ues;                  /* the scenario's UEs */
    struct core_rng **explore_rng; /* [n_ues]: each UE's exploration stream, made at its
                                      first use (owned; NULL when not exploring) */
    struct proto_decider decider;  /* what the world calls (ctx: this) */
};

/* Prepare policy kind for every problem of a (rl with agent, whose
 * networks are bound to a's problems; agent NULL for the others).
 * CORE_E_INPUT (a policy with no valid plan for some problem; an agent
 * with no network for a problem or one of another action space),
 * CORE_E_USAGE (rl without an agent), CORE_E_NOMEM. */
enum core_rc run_decider_init(struct run_decider *d, enum policy_kind kind,
                              const struct run_assembly *a, struct policy_agent *agent,
                              struct core_err *e);
void run_decider_fini(struct run_decider *d); /* zeroed: a no-op */
/* Hand outcome o to the policy of its problem (policy_observe): how its
 * decision turned out. Only worth calling when d->observes. */
void run_decider_observe(struct run_decider *d, const struct proto_outcome *o);

/* ---- the sinks of a run (sinks.c) ---------------------------------------------- */

/* What a run's handlers record, buffered until the next drain: the rows
 * grow (never dropped, never asserted on) and past a high-water mark the
 * engine is asked to stop so that the driver drains them. The drain writes
 * each kind to the database (when there is one) in one transaction and
 * hands it to the observer. */
struct run_sinks {
    struct core_engine *eng;        /* asked to stop at the high-water mark (borrowed) */
    struct db *db;                  /* NULL: no database (borrowed) */
    int64_t run_id;                 /* the run's row */
    const char *const *model_names; /* inferences' model column, by index (owned) */
    struct run_observer observer;   /* the caller's */
    struct run_decider *decider;    /* hears each outcome at once, with
                                       run_sinks_outcome_observed (borrowed) */
    struct run_result *res;         /* counts and the queue's statistics (borrowed) */
    struct proto_request_record *requests; size_t n_requests, cap_requests;
    struct radio_sample *samples; size_t n_samples, cap_samples;
    struct proto_outcome *outcomes; size_t n_outcomes, cap_outcomes;
    struct proto_message_record *messages; size_t n_messages, cap_messages;
    struct proto_energy_row *energy; size_t n_energy, cap_energy;
    bool nomem;                     /* a buffer could not grow (the run fails) */
    /* The training samples (samples.c), written with the outcomes. */
    const struct run_assembly *assembly; /* names, problems (borrowed) */
    struct db_sample_row *sample_rows;   /* [cap_rows] (owned) */
    size_t *sample_at;                   /* [2 cap_rows]: state and action text offsets (owned) */
    size_t cap_rows;                     /* rows there is room for */
    char *text; size_t n_text, cap_text; /* their encodings (owned) */
};

/* Buffer one row of each kind (from handlers). */
void run_sinks_request(void *ctx, const struct proto_request_record *r);
void run_sinks_outcome(void *ctx, const struct proto_outcome *o);
/* run_sinks_outcome after handing o to the decider's policy: the world's
 * outcome sink when the policy observes (run_decider_observe), so that a run
 * whose policy does not pays nothing per outcome. */
void run_sinks_outcome_observed(void *ctx, const struct proto_outcome *o);
void run_sinks_message(void *ctx, const struct proto_message_record *m);
void run_sinks_energy(void *ctx, const struct proto_energy_row *r);
/* n samples of one instant. */
void run_sinks_samples(struct run_sinks *s, const struct radio_sample *rows, size_t n);

/* The rows that describe a collaborative run as it starts (describe.c):
 * its UEs (device class, group, serving cell, position) into `ues`, its
 * models' problem layers into `layers`. */
enum core_rc run_record_ues(const struct run_assembly *a, struct radio_world *radio,
                            struct db *db, int64_t run_id, struct core_err *e);
enum core_rc run_record_layers(const struct run_assembly *a, struct db *db, int64_t run_id,
                               struct core_err *e);

/* The name of device class d of a's scenario (samples.c). */
const char *run_device_name(const struct run_assembly *a, size_t d);

/* The training samples (samples.c): the fields of each (device class,
 * model)'s encodings, as the run starts; and the samples of the finished
 * outcomes among rows, as they are written. */
enum core_rc run_record_sample_fields(const struct run_assembly *a, struct db *db,
                                      int64_t run_id, struct core_err *e);
enum core_rc run_samples_write(struct run_sinks *s, const struct proto_outcome *rows, size_t n,
                               struct core_err *e);
/* Reading a sample's text back (samples.c owns the format): the count of
 * its comma-separated fields, and its n numbers into fout (floats: a state)
 * or iout (integers: an action); false when the text is not n such numbers. */
size_t run_sample_fields(const char *text);
bool run_sample_numbers(const char *text, size_t n, float *fout, int32_t *iout);

/* Write and hand over everything buffered (run_drain_fn). */
enum core_rc run_sinks_drain(void *ctx, struct core_err *e);
void run_sinks_fini(struct run_sinks *s);

#endif /* COINFER_RUN_INT_H */
