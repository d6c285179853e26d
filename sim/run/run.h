/*
 * run.h — the whole public face of sim/run: running scenarios into results
 * databases, and what is printed about them.
 *
 * A run driver takes a loaded scenario (sim/io), builds its world on the
 * event engine (sim/proto, sim/radio), runs it in slices and drains the rows
 * its handlers buffered into the results database (sim/db) between slices,
 * so a stop (signal, failure) loses nothing already recorded. Summaries are
 * what `coinfer run` and `coinfer report` print.
 */
#ifndef COINFER_RUN_H
#define COINFER_RUN_H

#include <stdio.h>

#include "core/core.h"
#include "db/db.h"
#include "io/io.h"
#include "policy/policy.h"
#include "proto/proto.h"
#include "radio/radio.h"

#define RUN_PATH_MAX 4096 /* a database path */

/* ======================================================================== */
/* A scenario made runnable (assemble.c)                                     */
/* ======================================================================== */

/* One compute side as assembled: its instances, options and prices. */
struct run_side {
    struct proto_instance *instances;      /* [side.n_instances] (owned) */
    size_t *cpmm_resource;                 /* [side.n_instances]: resource in the CPMM (owned) */
    struct proto_side_options opts;        /* its options */
    struct proto_side side;                /* proto's view (points at the above) */
    struct proto_side_price price;         /* the problems' view */
};

/* The configurations of a scenario's worlds, built once from its tree and
 * never patched afterwards, with what they point to: the radio groups and
 * their positions, and for a collaborative scenario the models (shapes only
 * in costed mode; finalized, folded and fused in real mode) and one priced
 * problem per (device class, model) that some group runs, with its truth.
 * Owned; the tree
 * is borrowed and must outlive it. */
struct run_exits; /* run_int.h */

struct run_assembly {
    const struct io_config *cfg;        /* the scenario (borrowed) */
    enum io_scenario_kind kind;         /* what it describes */
    struct proto_sim_config sim;        /* duration, seed, warm-up */
    struct proto_queue_config queue;    /* IO_SCENARIO_QUEUE */
    struct radio_world_config radio;    /* RADIO and COLLAB; groups point below */
    struct radio_ue_group_config *groups; /* [radio.n_groups] (owned) */
    double *pos_x_m, *pos_y_m;          /* the groups' <position>s, m (owned) */
    struct proto_world_config collab;   /* COLLAB; its arrays are the ones below */
    struct policy_explore_config explore; /* COLLAB: every policy's exploration */
    size_t n_models, n_devices;         /* COLLAB: models, device classes */
    struct proto_model *models;         /* [n_models] (owned) */
    struct nn_model **nn_models;        /* [n_models]: shapes or finalized (owned) */
    uint16_t **layer_group;             /* [n_models]: nn layer -> problem layer (owned) */
    struct run_exits *real_exits;       /* [n_models]: real mode, exits="on": the model's exits,
                                           finalized with its weights (owned; zeroed: none) */
    struct nn_dataset *test_set;        /* real mode with accuracy data: Fashion-MNIST's test
                                           set, the UEs' inputs (owned; NULL: none) */
    struct run_side *devices;           /* [n_devices]: each class's side (owned) */
    struct proto_side *device_sides;    /* [n_devices]: their proto views (owned) */
    struct run_side edge;               /* the edge's side */
    struct compute_problem *problems;   /* [n_devices x n_models] (owned) */
    struct compute_problem **problem_of; /* [n_devices x n_models]: NULL where unused (owned) */
    /* The same priced as the world executes them (compute_cpmm_truth):
     * built only when some resource declares a bias or names a stored
     * profile (its measurements are its truth), else each entry of
     * truth_of is its problem_of. */
    struct compute_problem *truths;     /* [n_devices x n_models] (owned; NULL: none) */
    struct compute_problem **truth_of;  /* [n_devices x n_models]: NULL where unused (owned) */
    struct proto_group *proto_groups;   /* [radio.n_groups] (owned) */
    struct proto_workload *workloads;   /* every group's, in order (owned) */
    char *config_text;                  /* the tree's canonical text (owned) */
    char config_sha256[65];             /* its SHA-256 */
    char *overrides;                    /* its --set overrides, one per line (owned) */
};

/* Assemble scenario c (loaded and checked by io_scenario_load). Bad input
 * only the models or stored profiles reveal — a model file's own errors
 * (its FILE:LINE), a layer no resource of a device nor the edge runs (the
 * <workload>'s FILE:LINE), a resource's profile file or key missing or
 * lacking a model or layer (the <resource>'s), an option at other cores
 * than its profile's threads (the <use>'s) — is CORE_E_INPUT; CORE_E_NOMEM.
 * *out returned owned. */
enum core_rc run_assemble(const struct io_config *c, struct run_assembly **out,
                          struct core_err *e);
void run_assembly_destroy(struct run_assembly *a); /* NULL is a no-op */

/* Only the radio world of scenario c (a radio or collaborative scenario),
 * kind IO_SCENARIO_RADIO, its groups' traffic as written: what `coinfer
 * radio` runs, without loading models. */
enum core_rc run_assemble_radio(const struct io_config *c, struct run_assembly **out,
                                struct core_err *e);

/* Everything `coinfer validate FILE` checks: a model file (io_model_validate),
 * a sweep file (io_sweep_load: its base scenario and every factor value), or a
 * scenario loaded, checked and assembled (models and problems built)
 * without running it. */
enum core_rc run_validate(const char *path, struct core_err *e);

/* Where a run's rows go without --db: results/<scenario-name>.db, in buf.
 * The one place that default is written. */
void run_default_db_path(const char *scenario_name, char *buf, size_t size);

/* How a report breaks a run's inferences down. */
enum run_report_by {
    RUN_REPORT_BY_RUN,    /* one summary line per run */
    RUN_REPORT_BY_MODEL,  /* one per run and model */
    RUN_REPORT_BY_DEVICE, /* one per run and UE device class (schema 6 on: the ues table) */
};

/* Print, per run in the database at path: scenario, policy, seed, status,
 * row counts and summary statistics of what it recorded, the inferences'
 * broken down as by says (report.c). */
enum core_rc run_report(const char *path, enum run_report_by by, FILE *out, struct core_err *e);

/* Print only the per-point statistics of the sweeps in the database at path
 * (what run_report ends with) and, with versus (a policy; NULL: none), the
 * paired differences of every other policy against it over common random
 * numbers: per point and metric, n, mean difference, sd and the 95 % paired
 * t-interval. CORE_E_USAGE when no complete sweep point has policy versus. */
enum core_rc run_report_sweep(const char *path, const char *versus, FILE *out,
                              struct core_err *e);

/* Write table of the database at path as delimited text to out (export.c):
 * a header line, one line per row (run_id > 0: only that run's), fields
 * separated by sep (',' or '\t') and quoted as RFC 4180 quotes them, NULL
 * empty, reals exact. CORE_E_USAGE for a table the database does not have
 * (the message lists those it has) or run_id > 0 on a table without a
 * run_id column. */
enum core_rc run_export_table(const char *path, const char *table, int64_t run_id, char sep,
                              FILE *out, struct core_err *e);

/* Write the per-point statistics of every sweep in the database at path as
 * one tidy table (export.c): sweep, one column per factor (SI numbers),
 * policy, metric, n, mean, sd, ci95_half_width, ci95_low, ci95_high.
 * CORE_E_INPUT when it holds no complete sweep point. */
enum core_rc run_export_sweep(const char *path, char sep, FILE *out, struct core_err *e);

/* The figures of coinfer plot (plot.c). */
enum run_figure {
    RUN_FIGURE_SWEEP,       /* a sweep metric against a factor, a line per policy, CI bars */
    RUN_FIGURE_LATENCY_CDF, /* the latency CDF per policy */
    RUN_FIGURE_BREAKDOWN,   /* the mean latency components per policy, stacked */
    RUN_FIGURE_ENERGY,      /* the mean UE and edge energy per policy */
    RUN_FIGURE_SPLIT,       /* the split points' histogram per policy (and factor value) */
    RUN_FIGURE_LAYERS,      /* the option that ran each layer, per policy */
    RUN_FIGURE_TRAINING,    /* the learning curves of coinfer train */
    RUN_FIGURE_COUNT
};
extern const char *const run_plot_figures[RUN_FIGURE_COUNT]; /* their names */
/* The figure called name; RUN_FIGURE_COUNT when none is. */
enum run_figure run_plot_figure_of(const char *name);

struct run_plot_options {
    const char *figure; /* a figure's name */
    const char *out;    /* the file to write: .png, .pdf or .svg (its format) */
    const char *x;      /* sweep: the factor on the x axis (NULL: the first numeric factor
                           that takes several values) */
    const char *metric; /* sweep: the metric (NULL: mean_latency_s) */
    const char *model;  /* split, layers: the one model to draw (NULL: every model) */
    const char *policy; /* split, layers: the policies to draw, comma-separated (NULL: all) */
    const char *data;   /* the file to write the figure's data into, tab-separated with a
                           header (NULL: none) */
};

/* Draw figure o->figure of the results database at db_path with gnuplot
 * (a child process) into o->out. CORE_E_USAGE for an unknown figure, metric
 * or factor, an output name without a known extension, or an output
 * directory that does not exist; CORE_E_INPUT when the database lacks the
 * figure's data (no sweep point, no finished inference); CORE_E_RUNTIME
 * when gnuplot is missing or fails (with the end of its stderr). */
enum core_rc run_plot(const char *db_path, const struct run_plot_options *o, struct core_err *e);

/* Print the canonical configuration run run_id of the database at path ran
 * with (a scenario file that makes the run again). CORE_E_INPUT when the run
 * does not exist or recorded none (a database older than schema 5). */
enum core_rc run_report_config(const char *path, int64_t run_id, FILE *out, struct core_err *e);

/* ======================================================================== */
/* Per-policy summary of collaborative inferences (summary.c)              */
/* ======================================================================== */

/* What `coinfer run` and `coinfer report` print for each policy's run.
 * Latency quantiles are exact (R type 7 over every latency, kept in a
 * growable array), not P-square estimates. Fill with _init, _add (any
 * number of batches), then _finish for the figures; _fini frees the
 * latencies and leaves the figures readable. */
#define RUN_POLICY_NAME_MAX 32
struct run_summary {
    char policy[RUN_POLICY_NAME_MAX]; /* the decision policy (truncated to fit) */
    const char *group_kind;          /* what group names ("model", "device"; static text;
                                        NULL: the summary is the whole run's) */
    char group[RUN_POLICY_NAME_MAX]; /* the model or device class it covers */
    int64_t run_id;                  /* its row in runs; 0: none */
    uint64_t count;                  /* inferences, finished or not */
    uint64_t unfinished;             /* of those, in flight when the run stopped */
    uint64_t no_plan;                /* of those, ended with no plan: a layer the UE had to
                                        run has no UE option */
    uint64_t declined;               /* of those, declined by the network */
    uint64_t overridden;             /* of those, overridden by the network (a3) */
    uint64_t deadline_met;           /* of those, finished within their deadline (an
                                        unfinished one never is) */
    uint64_t correct_known;          /* of those, with a known outcome (real mode) */
    uint64_t correct;                /* of those, correct */
    double sum_latency_s;            /* sum of finished inferences' latencies, s */
    double sum_ue_energy_j;          /* sum of finished inferences' UE energies, J */
    double sum_edge_energy_j;        /* sum of finished inferences' edge energies, J */
    double *latency_s;               /* every finished latency (owned; freed by _fini), s */
    size_t n_finished;               /* latencies in latency_s: finished inferences */
    size_t capacity;                 /* doubles allocated in latency_s */
    /* Figures, set by run_summary_finish: latency and energy over the
     * finished inferences (NAN when none), the deadline ratio over all
     * (NAN when count is 0), accuracy over those with a known outcome. */
    double mean_latency_s;           /* s */
    double p50_latency_s;            /* s */
    double p95_latency_s;            /* s */
    double p99_latency_s;            /* s */
    double mean_ue_energy_j;         /* UE energy per inference, J */
    double mean_edge_energy_j;       /* edge energy per inference, J */
    double deadline_ratio;           /* deadline_met / count, 1 */
    double accuracy;                 /* correct / correct_known, 1 */
};

/* Start an empty summary of policy's run (run_id 0: not in a database). */
void run_summary_init(struct run_summary *s, const char *policy, int64_t run_id);

/* Add rows[0..n): all of them, or (CORE_E_NOMEM when the latency array
 * cannot grow) none. */
enum core_rc run_summary_add(struct run_summary *s, const struct proto_outcome *rows, size_t n,
                             struct core_err *e);

/* Compute the figures from what was added (sorts the latencies; more rows
 * may be added and _finish called again). */
void run_summary_finish(struct run_summary *s);

/* Free the latencies; the counts and figures stay. */
void run_summary_fini(struct run_summary *s);

/* Print s[0..n) (finished) as an aligned table, one line per policy: a
 * run_id column when any summary has one, then policy, inferences,
 * unfinished, the latency mean and quantiles (s), mean UE and edge energy
 * per inference (J), deadline hit ratio, declined, overridden, accuracy;
 * "-" for a figure that does not exist. When some inference is
 * unfinished, a line under the table says the latency and energy figures
 * are over the finished ones. */
void run_summary_print(FILE *out, const struct run_summary *s, size_t n);

/* The same figures side by side, one column per policy and one line per
 * figure (what `coinfer run --policy all` prints). */
void run_summary_print_columns(FILE *out, const struct run_summary *s, size_t n);

/* ======================================================================== */
/* Running a scenario: the one run driver (driver.c, sinks.c, decider.c)    */
/* ======================================================================== */

/* Called about ten times a second of wall time during a run. */
typedef void (*run_progress_fn)(void *ctx, double sim_now_s, double sim_end_s,
                               uint64_t events, double wall_s);

/* What a run records, for the caller's own use (an in-memory sink): called
 * between slices of the run with each batch (valid only during the call).
 * Any callback may be NULL. */
struct run_observer {
    void (*requests)(void *ctx, const struct proto_request_record *rows, size_t n);
    void (*samples)(void *ctx, const struct radio_sample *rows, size_t n);
    void (*outcomes)(void *ctx, const struct proto_outcome *rows, size_t n);
    /* The energy ledger's rows (collaborative runs, at the end). */
    void (*energy)(void *ctx, const struct proto_energy_row *rows, size_t n);
    void *ctx;
};

struct run_options {
    const char *db_path;        /* results database; NULL: results/<name>.db */
    bool no_db;                 /* record nothing in a database (the observer only) */
    const char *policy;         /* decision policy; NULL: the scenario kind's default (fifo,
                                   radio, joint) */
    bool trace;                 /* collaborative: record every message in `messages` */
    volatile int *stop_flag;    /* nonzero (from a signal handler) interrupts */
    run_progress_fn progress;   /* NULL: no progress reports */
    void *progress_ctx;         /* passed to progress */
    struct run_observer observer; /* the caller's sink */
    const char *version;        /* recorded in runs.version */
    struct policy_agent *agent; /* rl's agent (borrowed; NULL: none, rl not available) */
    const char *agent_path;     /* its file, for messages */
};

struct run_result {
    int64_t run_id;                  /* row in runs (0 without a database) */
    char db_path[RUN_PATH_MAX];      /* where the rows went ("" without a database) */
    char policy[32];                 /* the policy run */
    char status[16];                 /* complete, interrupted or failed */
    uint64_t seed;                   /* the master seed used */
    uint64_t events;                 /* engine events run */
    uint64_t n_rows;                 /* rows recorded: requests, samples or inferences */
    uint64_t n_messages;             /* message rows recorded (--trace) */
    double sim_end_s;                /* simulated time reached, s */
    double wall_s;                   /* wall-clock time of the run, s */
    /* The queue model: statistics of the recorded requests. */
    struct core_stats sojourn;       /* sojourn, s */
    struct core_stats wait;          /* wait in queue, s */
    struct core_p2 p50, p95, p99;    /* sojourn quantiles, s */
    double theory_sojourn_s;         /* queueing theory's mean sojourn, s; NAN if none */
    /* Radio and collaborative worlds. */
    size_t n_ues, n_cells;           /* the world's size */
    struct radio_world_stats radio;  /* handovers, channel updates, transfers */
    /* The collaborative world. */
    bool exact;                      /* every problem solved exactly (no chain relaxation) */
    struct proto_collab_stats collab; /* the world's counters */
};

/* The i-th policy a scenario of kind accepts, NULL past the last (the
 * queue: fifo; radio: radio; collaborative: the policy module's table, in
 * its order: what --policy all runs). Without one, a run takes the first,
 * or for a collaborative scenario the policy module's default (joint). */
const char *run_policy_name(enum io_scenario_kind kind, size_t i);

/* Run scenario a to its end (or a stop), recording into the results database
 * and the observer: the queue model's requests, a radio world's samples
 * (every UE every <radio sample-period>, from 0 s), or a collaborative
 * world's inferences (and messages with trace), decided by opt->policy. The
 * run's row is 'running' from the start, then 'complete', 'interrupted'
 * (stop_flag; CORE_E_INTERRUPTED returned) or 'failed'. Rows recorded before
 * a stop are all kept. A policy the scenario's kind does not have, or trace
 * outside a collaborative scenario, is CORE_E_USAGE before the database is
 * touched. */
enum core_rc run_scenario(const struct run_assembly *a, const struct run_options *opt,
                          struct run_result *res, struct core_err *e);

/* Write radio samples as CSV lines (ue_id,t_s,cell_id,x_m,y_m,ul_sinr_db,
 * dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,dl_rate_bps) to out: the CSV sink,
 * usable as a run_observer's samples callback with ctx the FILE *. */
void run_csv_samples(void *out, const struct radio_sample *rows, size_t n);
/* The header line of those rows, newline included. */
extern const char run_csv_samples_header[];

/* ======================================================================== */
/* Parameter studies: a sweep's points in worker processes (sweep.c)        */
/* ======================================================================== */

/* Where a running sweep is. */
struct run_sweep_progress {
    uint64_t total;   /* points this invocation runs */
    uint64_t done;    /* of those, complete */
    uint64_t failed;  /* of those, failed */
    size_t running;   /* workers running now */
    double wall_s;    /* since the sweep started, s */
};
typedef void (*run_sweep_progress_fn)(void *ctx, const struct run_sweep_progress *p);

struct run_sweep_options {
    const char *db_path;          /* results database; NULL: results/<sweep-name>.db */
    const char *exe;              /* the coinfer binary a worker runs (`EXE run ...`) when
                                     run_point is NULL */
    /* Runs a point in the worker process itself, forked from the sweep (no
     * exec): argv is `coinfer run SCENARIO --policy P --set ... --seed N --db
     * FILE --quiet` (argv[0] "coinfer", argv[argc] NULL); returns what the
     * command's exit code would be. NULL: exec opt->exe instead. */
    int (*run_point)(void *ctx, int argc, char **argv);
    void *run_point_ctx;          /* passed to run_point */
    const char *version;          /* coinfer's version: part of each point's key */
    unsigned jobs;                /* worker processes at once, >= 1 */
    double timeout_s;             /* a point's wall-clock limit, s (0: none) */
    bool retry_failed;            /* run the points that failed before again */
    const struct io_expr *filter; /* only the points it holds for (NULL: all) */
    uint64_t shard, n_shards;     /* only slice shard of n_shards (io_sweep_in_shard;
                                     n_shards 0 or 1: all) */
    const uint64_t *points;       /* only these point indices (NULL: every point; the
                                     filter and the shard still apply) */
    size_t n_given;               /* how many points names */
    volatile int *stop_flag;      /* nonzero (from a signal handler) stops the sweep */
    run_sweep_progress_fn progress; /* called after each event and every 100 ms; NULL */
    void *progress_ctx;           /* passed to progress */
    /* Called as each point run now ends: complete, or failed with its exit
     * status (negative: a signal) and why (borrowed for the call). NULL: none. */
    void (*on_point)(void *ctx, uint64_t index, bool complete, int exit_status,
                     const char *why);
    void *on_point_ctx;           /* passed to on_point */
};

struct run_sweep_result {
    char db_path[RUN_PATH_MAX]; /* where the rows went */
    uint64_t points;            /* points of the sweep (the filter's) */
    uint64_t complete_before;   /* of those, complete already: skipped */
    uint64_t failed_before;     /* of those, failed before and skipped (no retry_failed) */
    uint64_t run;               /* run now and complete */
    uint64_t failed;            /* run now and failed */
    uint64_t left;              /* not run: the sweep stopped first (pending) */
    double wall_s;              /* wall-clock time, s */
    /* Sequential stopping: how each combination ended. */
    uint64_t within_target;     /* combinations whose every policy met the target */
    uint64_t at_max;            /* combinations that ran max replications without */
};

/* Run the points of sweep s (loaded by io_sweep_load) that the database at
 * opt->db_path does not hold complete: each a `coinfer run` in a worker
 * process of its own, opt->jobs at once, writing its run into the
 * database; the point marked complete with it when it succeeds, failed (exit status, stderr's
 * end) when not; the sweep goes on. A combination the scenario's checks
 * refuse is CORE_E_INPUT before anything runs; a stop is
 * CORE_E_INTERRUPTED (running points back to pending). */
enum core_rc run_sweep(const struct io_sweep *s, const struct run_sweep_options *opt,
                       struct run_sweep_result *res, struct core_err *e);
/* With sequential stopping (io_sweep_stopping) and no opt->points, run_sweep
 * runs in rounds (sweep_stop.c): the first min replications of every
 * combination, then, for each combination where some policy's metric has a
 * 95 % t-interval half-width above rel_half_width times |mean| (over its
 * complete replications in the database), its next replication, until every
 * combination is within the target or at max. Each round waits for the one
 * before, so what runs does not depend on opt->jobs. --shard (n_shards > 1)
 * is CORE_E_USAGE: a combination's replications must be decided together. */

/* How many processes an MPI launcher (mpirun, srun) started this one among,
 * from its environment (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE); 0 when
 * none did. (sweep_mpi.c) */
long run_mpi_launched(void);
/* Whether this coinfer was built with MPI (make MPI=1). */
bool run_mpi_built(void);

/* Run the points of sweep s across the ranks of MPI_COMM_WORLD (MPI_Init
 * and MPI_Finalize inside): rank 0 records them in the results database
 * (opt->db_path) and hands them one at a time to the other ranks, each of
 * which runs it as run_sweep would (opt->exe, opt->version, opt->timeout_s)
 * into a database on its local disk; at the end rank 0 merges those into the
 * results database. *root says whether this is rank 0, whose res and return
 * code are the sweep's (the others' only their own). opt->jobs is not used
 * (one point at a time per rank). CORE_E_USAGE with fewer than 2 ranks, or
 * in a build without MPI. */
enum core_rc run_sweep_mpi(const struct io_sweep *s, const struct run_sweep_options *opt,
                           struct run_sweep_result *res, bool *root, struct core_err *e);

/* The content key of point pt (hex SHA-256 of its resolved configuration's
 * SHA-256, which goes to config_sha256, its policy, seed and version). */
enum core_rc run_sweep_point_key(const struct io_sweep *s, const struct io_sweep_point *pt,
                                 const char *version, char key[65], char config_sha256[65],
                                 struct core_err *e);

/* Every policy of each configuration and seed of the database at path
 * against the reference policy's decisions on the same requests (regret.c):
 * mean J (minus the reward), the normalised score (baseline 0, reference
 * 100), mean and 95th-percentile regret, exact-match rates of plans, cuts
 * and layers; then their means over the seeds with 95 % t-intervals.
 * CORE_E_INPUT when no configuration and seed has both a reference and a
 * baseline run with samples. */
enum core_rc run_report_regret(const char *path, const char *reference, const char *baseline,
                               FILE *out, struct core_err *e);

/* ======================================================================== */
/* Training the learning agent offline (train.c)                             */
/* ======================================================================== */

/* Called after each progress report of a training (steps_total: its steps). */
typedef void (*run_train_progress_fn)(void *ctx, const struct policy_train_step *s,
                                      uint64_t steps_total);

struct run_train_options {
    const char *const *sources;      /* sample databases to read (borrowed) */
    size_t n_sources;                /* >= 1 */
    const char *out_path;            /* the agent file to write */
    const char *db_path;             /* where the training is recorded (NULL: sources[0]) */
    struct policy_train_config cfg;  /* the training's settings */
    uint64_t every;                  /* steps between progress reports (0: the last only) */
    run_train_progress_fn progress;  /* NULL: none */
    void *progress_ctx;
    const char *version;             /* recorded in trainings.version */
    uint64_t max_samples;            /* train on this many, a uniform subset (seed) in
                                        proportion within each (model, device), at least one
                                        each (so more when there are more pairs); 0: every
                                        sample */
};

struct run_train_result {
    uint64_t samples_read;         /* samples read */
    uint64_t samples;              /* samples trained on (max_samples of them, or all) */
    size_t problems;               /* (model, device class) pairs among them */
    int64_t train_id;              /* its row in trainings */
    struct policy_train_step last; /* the last progress report */
    double load_s;                 /* wall time reading and assembling, s */
    double wall_s;                 /* wall time in all, s */
};

/* Train an agent on every sample of the complete runs of o->sources (each
 * run's recorded configuration assembled again for its problems) and write
 * it to o->out_path. CORE_E_INPUT naming the database and run for a
 * database with no samples, a configuration that no longer assembles, or
 * samples of one (model, device class) with different action spaces; the
 * training's own errors; CORE_E_IO, NOMEM. */
enum core_rc run_train(const struct run_train_options *o, struct run_train_result *res,
                       struct core_err *e);

#endif /* COINFER_RUN_H */
