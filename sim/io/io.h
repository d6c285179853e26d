/*
 * io.h — the whole public face of sim/io: scenario files in, results out.
 *
 * Scenario files are XML validated against scenarios/schema.xsd (libxml2)
 * before anything runs; every error names the user's file and line. Results
 * go to a SQLite database whose tables and columns are fixed by DESIGN.md.
 * Only this folder includes sqlite3.h and libxml2.
 */
#ifndef COINFER_IO_H
#define COINFER_IO_H

#include <limits.h>
#include <stdio.h>

#include "core/core.h"
#include "proto/proto.h"
#include "radio/radio.h"

/* ======================================================================== */
/* Scenario files (scenario.c)                                              */
/* ======================================================================== */

/* What a scenario file describes. */
enum io_scenario_kind {
    IO_SCENARIO_QUEUE, /* <queue>: the validation queueing model */
    IO_SCENARIO_RADIO, /* <radio> and no <queue>: mobility, channel and transfers only */
    IO_SCENARIO_COLLAB, /* <radio> with models, devices and an edge: collaborative inference */
    IO_SCENARIO_KIND_COUNT
};

#define IO_NAME_MAX 128
#define IO_PATH_MAX 4096
#define IO_RADIO_MAX_GROUPS 16      /* <ue-group> elements in one <radio> */
#define IO_RADIO_MAX_POSITIONS 1024 /* <position> elements in one <radio>, all groups */

/* The elements of a collaborative scenario (IO_SCENARIO_COLLAB) as written,
 * with their lines and the names resolved into indices; io_collab_build
 * turns them into a struct proto_collab_config. No pointers: a struct
 * io_scenario copies with memcpy as far as these go. */
#define IO_COLLAB_MAX_RESOURCES 32 /* <resource> elements */

struct io_collab_side_spec {
    long line;                                   /* the <device> or <edge> element */
    size_t n_uses;                               /* its <use> children */
    struct proto_use_config use[PROTO_MAX_INSTANCES]; /* as written */
    long use_line[PROTO_MAX_INSTANCES];          /* their lines */
    uint32_t use_resource[PROTO_MAX_INSTANCES];  /* index of each one's <resource> */
};

struct io_collab_spec {
    size_t n_resources;                                         /* <resource> elements */
    struct compute_resource_config resource[IO_COLLAB_MAX_RESOURCES]; /* as written */
    long resource_line[IO_COLLAB_MAX_RESOURCES];                /* their lines */
    size_t n_models;                                            /* <model> elements */
    struct proto_model_config model[PROTO_MAX_MODELS];          /* as written */
    long model_line[PROTO_MAX_MODELS];                          /* their lines */
    size_t n_devices;                                           /* <device> elements */
    struct proto_device_config device[PROTO_MAX_DEVICES];       /* as written */
    struct io_collab_side_spec device_side[PROTO_MAX_DEVICES];  /* their <use>s */
    struct proto_edge_config edge;                              /* <edge> */
    struct io_collab_side_spec edge_side;                       /* its <use>s */
    struct proto_protocol_config protocol;                      /* <protocol> or defaults */
    struct proto_objective_config objective;                    /* <objective> or defaults */
    long objective_line;                                        /* its line (0: absent) */
    struct proto_inference_config inference;                    /* <inference> or defaults */
    struct proto_ue_group_config group[IO_RADIO_MAX_GROUPS];    /* <ue-group device> */
    uint32_t group_device[IO_RADIO_MAX_GROUPS];                 /* its device index */
    size_t n_workloads[IO_RADIO_MAX_GROUPS];                    /* <workload>s per group */
    struct proto_workload_config workload[IO_RADIO_MAX_GROUPS][PROTO_MAX_WORKLOADS];
    long workload_line[IO_RADIO_MAX_GROUPS][PROTO_MAX_WORKLOADS]; /* their lines */
    uint32_t workload_model[IO_RADIO_MAX_GROUPS][PROTO_MAX_WORKLOADS]; /* model indices */
};

struct io_scenario {
    char path[IO_PATH_MAX];    /* the file as given */
    char name[IO_NAME_MAX];    /* <scenario name=...>, else the file's base name */
    char sha256[65];           /* hex SHA-256 of the file's bytes */
    enum io_scenario_kind kind;
    struct proto_sim_config sim;
    struct proto_queue_config queue; /* when kind == IO_SCENARIO_QUEUE */
    /* When kind == IO_SCENARIO_RADIO: the radio world. radio.groups points
     * into radio_groups and their positions into radio_pos_*_m of this very
     * struct, so a copy of the struct must repoint them (io_scenario_copy). */
    struct radio_world_config radio;
    struct radio_ue_group_config radio_groups[IO_RADIO_MAX_GROUPS];
    double radio_pos_x_m[IO_RADIO_MAX_POSITIONS]; /* <position x>, m */
    double radio_pos_y_m[IO_RADIO_MAX_POSITIONS]; /* <position y>, m */
    struct io_collab_spec collab; /* when kind == IO_SCENARIO_COLLAB (radio as above) */
};

/* Where the scenario schema lives: $COINFER_SCHEMA_DIR/schema.xsd if that
 * variable is set; else ../scenarios/schema.xsd from the directory of the
 * running binary or one of its two parents (found through /proc/self/exe,
 * so build/coinfer and build/asan/coinfer find scenarios/schema.xsd of their
 * source tree); else ../share/coinfer/scenarios/schema.xsd from the binary's
 * directory (make install); else scenarios/schema.xsd from the current
 * directory. A schema that cannot be read is CORE_E_IO with
 * "SCHEMA:0: cannot open the scenario schema: ..." in e. */

/* Load, validate (XSD, then ranges and cross-checks) and convert a scenario
 * file into *out. Bad input: CORE_E_INPUT with "FILE:LINE: message" in e. */
enum core_rc io_scenario_load(const char *path, struct io_scenario *out, struct core_err *e);

/* Copy *src into *dst and repoint dst's radio groups and positions into dst. */
void io_scenario_copy(struct io_scenario *dst, const struct io_scenario *src);

/* Validate any coinfer file by its root element: <model> files as
 * io_model_validate does, everything else as a scenario (io_scenario_load's
 * errors, including a root that is neither). */
enum core_rc io_validate_file(const char *path, struct core_err *e);

/* ======================================================================== */
/* Results database (db.c, db_collab.c, report.c)                           */
/* ======================================================================== */

struct io_db;

/* What a run is, for its row in `runs`. */
struct io_run_info {
    const char *scenario;       /* scenario name */
    const char *scenario_sha256;
    const char *policy;         /* decision policy ("fifo" for the queue model) */
    uint64_t seed;
    const char *version;        /* coinfer --version */
};

/* Open (creating if needed) a results database: WAL journal, schema at the
 * current version (migrating an older one), foreign keys on. Creates parent
 * directories. NULL with e set on failure. */
struct io_db *io_db_open(const char *path, struct core_err *e);
void io_db_close(struct io_db *db); /* NULL is a no-op; rolls back an open batch */

/* Schema version this build writes (PRAGMA user_version). */
int io_db_schema_version(void);

/* Insert a `runs` row with status 'running' and started_at now; *run_id out.
 * Committed immediately so that a killed run is visible. */
enum core_rc io_db_run_begin(struct io_db *db, const struct io_run_info *info,
                             int64_t *run_id, struct core_err *e);

/* Append request rows of run_id (prepared statement, one transaction per
 * call). */
enum core_rc io_db_insert_requests(struct io_db *db, int64_t run_id,
                                   const struct proto_request_record *rows, size_t n,
                                   struct core_err *e);

/* Append radio_samples rows of run_id (one transaction per call: all of the
 * batch or none of it). */
enum core_rc io_db_insert_radio_samples(struct io_db *db, int64_t run_id,
                                        const struct radio_sample *rows, size_t n,
                                        struct core_err *e);

/* Append inferences rows of run_id (one transaction per call: all of the
 * batch or none of it). policy names the run's decision policy; the model
 * column is model_names[rows[i].model] (borrowed, every index used must be
 * valid); correct -1 is stored as NULL. (db_collab.c) */
enum core_rc io_db_insert_inferences(struct io_db *db, int64_t run_id, const char *policy,
                                     const char *const *model_names,
                                     const struct proto_inference_record *rows, size_t n,
                                     struct core_err *e);

/* Append messages rows of run_id (--trace; one transaction per call, all or
 * none): src and dst "ue:<id>" / "cell:<id>" by the uplink flag, type
 * proto_msg_type_name, inference_id -1 stored as NULL. (db_collab.c) */
enum core_rc io_db_insert_messages(struct io_db *db, int64_t run_id,
                                   const struct proto_message_record *rows, size_t n,
                                   struct core_err *e);

/* One row of `profiles`: a layer of a profiled model, or the whole forward
 * pass (layer_index -1). Strings are borrowed for the call. */
struct io_profile_row {
    const char *model;      /* model name (zoo name or the model file's name) */
    int layer_index;        /* layer index from 0, or -1 for the whole model */
    const char *layer_name; /* the layer's name ("total" for the whole model) */
    const char *layer_type; /* nn_op_name of the layer ("total" for the whole model) */
    const char *resource;   /* what ran it, e.g. "host-cpu" */
    int threads;            /* OpenBLAS threads */
    uint64_t flops;         /* floating-point operations, multiply-add = 2 */
    uint64_t params;        /* learnable parameters */
    uint64_t out_bytes;     /* bytes of the output tensor */
    double latency_s;       /* median of reps timed runs, s */
    uint64_t reps;          /* timed runs */
    double latency_min_s;   /* fastest of them, s */
    double latency_max_s;   /* slowest of them, s */
};

/* Append rows[0..n) to `profiles` in one transaction (all or none), all with
 * the same profiled_at (now). Not tied to a run. */
enum core_rc io_db_insert_profiles(struct io_db *db, const struct io_profile_row *rows, size_t n,
                                   struct core_err *e);

/* Set the run's final status ("complete", "failed", "interrupted") and
 * finished_at. */
enum core_rc io_db_run_end(struct io_db *db, int64_t run_id, const char *status,
                           struct core_err *e);

/* Print, per run in the database at path: scenario, policy, seed, status,
 * row counts and summary statistics of what it recorded. */
enum core_rc io_report(const char *path, FILE *out, struct core_err *e);

/* ======================================================================== */
/* Per-policy summary of collaborative inferences (collab_summary.c)        */
/* ======================================================================== */

/* What `coinfer run` and `coinfer report` print for each policy's run.
 * Latency quantiles are exact (R type 7 over every latency, kept in a
 * growable array), not P-square estimates. Fill with _init, _add (any
 * number of batches), then _finish for the figures; _fini frees the
 * latencies and leaves the figures readable. */
#define IO_POLICY_NAME_MAX 32
struct io_collab_summary {
    char policy[IO_POLICY_NAME_MAX]; /* the decision policy (truncated to fit) */
    int64_t run_id;                  /* its row in runs; 0: none */
    uint64_t count;                  /* inferences */
    uint64_t declined;               /* of those, declined by the network */
    uint64_t overridden;             /* of those, overridden by the network (a3) */
    uint64_t deadline_met;           /* of those, finished within their deadline */
    uint64_t correct_known;          /* of those, with a known outcome (real mode) */
    uint64_t correct;                /* of those, correct */
    double sum_latency_s;            /* sum of latencies, s */
    double sum_ue_energy_j;          /* sum of UE energies, J */
    double sum_edge_energy_j;        /* sum of edge energies, J */
    double *latency_s;               /* every latency added (owned; freed by _fini), s */
    size_t capacity;                 /* doubles allocated in latency_s */
    /* Figures, set by io_collab_summary_finish; NAN when count is 0 (and
     * accuracy when no outcome is known). */
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
void io_collab_summary_init(struct io_collab_summary *s, const char *policy, int64_t run_id);

/* Add rows[0..n): all of them, or (CORE_E_NOMEM when the latency array
 * cannot grow) none. */
enum core_rc io_collab_summary_add(struct io_collab_summary *s,
                                   const struct proto_inference_record *rows, size_t n,
                                   struct core_err *e);

/* Compute the figures from what was added (sorts the latencies; more rows
 * may be added and _finish called again). */
void io_collab_summary_finish(struct io_collab_summary *s);

/* Free the latencies; the counts and figures stay. */
void io_collab_summary_fini(struct io_collab_summary *s);

/* Print s[0..n) (finished) as an aligned table, one line per policy: a
 * run_id column when any summary has one, then policy, inferences, the
 * latency mean and quantiles (s), mean UE and edge energy per inference
 * (J), deadline hit ratio, declined, overridden, accuracy; "-" for a
 * figure that does not exist. */
void io_collab_summary_print(FILE *out, const struct io_collab_summary *s, size_t n);

/* The same figures side by side, one column per policy and one line per
 * figure (what `coinfer run --policy all` prints). */
void io_collab_summary_print_columns(FILE *out, const struct io_collab_summary *s, size_t n);

/* ======================================================================== */
/* Running a scenario into the database (run.c)                              */
/* ======================================================================== */

/* Called about ten times a second of wall time during a run. */
typedef void (*io_progress_fn)(void *ctx, double sim_now_s, double sim_end_s,
                               uint64_t events, double wall_s);

struct io_run_options {
    const char *db_path;        /* results database; NULL: results/<name>.db */
    const char *policy;         /* NULL: the scenario kind's only policy */
    bool has_seed;              /* seed overrides the scenario's seed */
    uint64_t seed;              /* master seed when has_seed */
    volatile int *stop_flag;    /* nonzero (from a signal handler) interrupts */
    io_progress_fn progress;    /* NULL: no progress reports */
    void *progress_ctx;         /* passed to progress */
    const char *version;        /* recorded in runs.version */
};

struct io_run_result {
    int64_t run_id;             /* row in runs */
    char db_path[IO_PATH_MAX];  /* where the rows went */
    char status[16];            /* complete, interrupted or failed */
    uint64_t events;            /* engine events run */
    uint64_t n_recorded;        /* rows written */
    double sim_end_s;           /* simulated time reached, s */
    double wall_s;              /* wall-clock time of the run, s */
    struct core_stats sojourn;  /* sojourn of recorded requests, s */
    struct core_stats wait;     /* wait in queue of recorded requests, s */
    struct core_p2 p50, p95, p99; /* sojourn quantiles, s */
    double theory_sojourn_s;    /* queueing theory's mean sojourn, s; NAN if none */
};

/* Run a loaded scenario to its end (or a stop), recording into the database.
 * The run's row is 'running' from the start, then 'complete', 'interrupted'
 * (stop_flag; CORE_E_INTERRUPTED returned) or 'failed'. Rows recorded before
 * a stop are all kept. A bad --policy is CORE_E_USAGE before the database is
 * touched. */
enum core_rc io_run_scenario(const struct io_scenario *sc, const struct io_run_options *opt,
                             struct io_run_result *res, struct core_err *e);

/* ======================================================================== */
/* Running a radio scenario (run_radio.c)                                    */
/* ======================================================================== */

/* Called with each sampling instant's rows (valid only during the call). */
typedef void (*io_radio_rows_fn)(void *ctx, const struct radio_sample *rows, size_t n);

struct io_radio_options {
    const char *db_path;        /* results database; NULL: none (rows go to on_rows only) */
    bool has_seed;              /* seed overrides the scenario's seed */
    uint64_t seed;              /* master seed when has_seed */
    volatile int *stop_flag;    /* nonzero (from a signal handler) interrupts */
    io_progress_fn progress;    /* NULL: no progress reports */
    void *progress_ctx;         /* passed to progress */
    io_radio_rows_fn on_rows;   /* NULL: rows go to the database only */
    void *rows_ctx;             /* passed to on_rows */
    const char *version;        /* recorded in runs.version */
};

struct io_radio_result {
    char db_path[IO_PATH_MAX];       /* where the rows went ("" without a database) */
    int64_t run_id;                  /* row in runs (0 without a database) */
    char status[16];                 /* complete, interrupted or failed */
    uint64_t seed;                   /* the master seed used */
    uint64_t n_samples;              /* rows produced */
    size_t n_ues, n_cells;           /* the world's size */
    double sim_end_s;                /* last sampling instant reached, s */
    double wall_s;                   /* wall-clock time of the run, s */
    struct radio_world_stats stats;  /* handovers, channel updates, transfers */
};

/* Run a radio scenario's world (mobility, channel, handovers, the groups'
 * traffic) to its duration, sampling every UE every sample period into
 * radio_samples (a runs row with policy 'radio' when opt->db_path is set)
 * and opt->on_rows. Statuses and stops as io_run_scenario; a scenario that
 * is not a radio one is CORE_E_USAGE before the database is touched. */
enum core_rc io_run_radio(const struct io_scenario *sc, const struct io_radio_options *opt,
                          struct io_radio_result *res, struct core_err *e);

/* ======================================================================== */
/* Running a collaborative scenario (run_collab.c)                           */
/* ======================================================================== */

struct io_collab;

/* Called with each batch of finished inferences (valid only during the call). */
typedef void (*io_collab_rows_fn)(void *ctx, const struct proto_inference_record *rows,
                                  size_t n);

struct io_collab_options {
    const char *db_path;        /* results database; NULL: results/<name>.db */
    bool has_seed;              /* seed overrides the scenario's seed */
    uint64_t seed;              /* master seed when has_seed */
    bool trace;                 /* record every message in `messages` */
    volatile int *stop_flag;    /* nonzero (from a signal handler) interrupts */
    io_progress_fn progress;    /* NULL: no progress reports */
    void *progress_ctx;         /* passed to progress */
    io_collab_rows_fn on_rows;  /* NULL: rows go to the database only */
    void *rows_ctx;             /* passed to on_rows */
    const char *version;        /* recorded in runs.version */
};

struct io_collab_result {
    int64_t run_id;                  /* row in runs */
    char db_path[IO_PATH_MAX];       /* where the rows went */
    char policy[32];                 /* the policy run */
    char status[16];                 /* complete, interrupted or failed */
    uint64_t seed;                   /* the master seed used */
    bool exact;                      /* every problem solved exactly (oracle: no chain
                                        relaxation) */
    uint64_t events;                 /* engine events run */
    uint64_t n_inferences;           /* inference rows written */
    uint64_t n_messages;             /* message rows written (--trace) */
    double sim_end_s;                /* simulated time reached, s */
    double wall_s;                   /* wall-clock time of the run, s */
    struct proto_collab_stats stats; /* the world's counters */
};

/* Run collaborative scenario c (built from sc by io_collab_build) with the
 * named policy ("local", "edge", "split", "oracle", "random") into the
 * database, one `runs` row per call. Statuses and stops as io_run_scenario;
 * an unknown policy is CORE_E_USAGE before the database is touched. */
enum core_rc io_run_collab(const struct io_scenario *sc, const struct io_collab *c,
                           const char *policy, const struct io_collab_options *opt,
                           struct io_collab_result *res, struct core_err *e);

/* ======================================================================== */
/* Model files (model_file.c)                                               */
/* ======================================================================== */

struct nn_model;

/* Where the model schema lives: $COINFER_MODEL_SCHEMA_DIR/schema.xsd if that
 * variable is set, else ../models/schema.xsd from the running binary's
 * directory or one of its two parents, else ../share/coinfer/models/ from
 * the binary's directory (make install), else models/schema.xsd. */

/* Load the model file at path (models/schema.xsd): validate it, build the
 * model layer by layer, finalize it with weights drawn from seed and, when
 * <model weights="..."> names a weights file (relative to the model file's
 * directory), load the weights from it. *out is returned owned
 * (nn_model_destroy), not folded or fused. Bad input: CORE_E_INPUT with
 * "FILE:LINE: message" in e (an unknown input name, parameters or shapes
 * that do not fit, an unused layer, a weights file that is missing or does
 * not match); CORE_E_IO when the schema cannot be read; CORE_E_NOMEM. */
enum core_rc io_model_load(const char *path, uint64_t seed, struct nn_model **out,
                           struct core_err *e);

/* Load the model file at path as io_model_load does, but leave the model
 * unfinalized: its graph, shapes and costs without weights or activations
 * (a weights file is checked against it, not read). What pricing a model
 * needs, at a fraction of the memory (VGG-16: kilobytes, not 553 MB). */
enum core_rc io_model_load_shapes(const char *path, struct nn_model **out, struct core_err *e);

/* Load the model file at path as io_model_load_shapes does, without looking
 * at its weights file at all: the graph a training run starts from (coinfer
 * train-model writes that file). */
enum core_rc io_model_load_graph(const char *path, struct nn_model **out, struct core_err *e);

/* Check the model file at path as io_model_load does (weights file
 * included) without allocating the model's weights or activations. */
enum core_rc io_model_validate(const char *path, struct core_err *e);

/* ======================================================================== */
/* Layers as the CPMM sees them (layer_desc.c)                              */
/* ======================================================================== */

struct nn_layer_profile;
struct compute_layer_desc;

/* Describe layer i of finalized model m, profiled as *lp (nn_profile_run),
 * as a CPMM layer in *d: a conv2d with groups = input = output channels is a
 * depthwise conv, flatten and dropout are reshapes, every other op the CPMM
 * type of its name. CORE_E_INPUT (naming the layer) for an op the CPMM has
 * no type for. */
enum core_rc io_layer_desc(const struct nn_model *m, int i, const struct nn_layer_profile *lp,
                           struct compute_layer_desc *d, struct core_err *e);

/* ======================================================================== */
/* Collaborative scenarios (collab.c, collab_load.c)                         */
/* ======================================================================== */

/* A loaded collaborative scenario: the proto config, the problems, the
 * models. io_collab_build loads each model (a file relative to the
 * scenario, or a zoo model), finalizes it with seed 1, folds its batch
 * norms and fuses its activations, resolves the resource types, builds
 * each side's instances and options (a CPU <use> gives one option per
 * amount, labelled "name:cores", with cores units; an accelerator one,
 * labelled "name", share 1, 1 unit) and, for each (device class, model)
 * that some ue-group runs, a compute_problem priced by the CPMM's roofline
 * (unsupported: INFINITY; layers that move no data, as reshapes and the
 * folded or fused aliases, 1 ns and no energy). */
struct io_collab;

/* Build *out from sc (kind IO_SCENARIO_COLLAB; sc is not kept). Bad input:
 * CORE_E_INPUT with "FILE:LINE: message" (a model file's own errors keep
 * its FILE:LINE; a device given a layer type that none of its resources
 * nor the edge supports names the <workload>); CORE_E_USAGE for a scenario
 * of another kind; CORE_E_NOMEM. *out is returned owned. */
enum core_rc io_collab_build(const struct io_scenario *sc, struct io_collab **out,
                             struct core_err *e);
void io_collab_destroy(struct io_collab *c); /* NULL is a no-op */

/* The resolved config (borrowed, valid while c lives; its problems and
 * model names point into c). */
const struct proto_collab_config *io_collab_config(const struct io_collab *c);
/* The radio world of the scenario with the groups' traffic fields zero
 * (borrowed, valid while c lives). */
const struct radio_world_config *io_collab_radio(const struct io_collab *c);
/* Model m (borrowed): in costed mode its graph and shapes only, not
 * finalized (no weights); in real mode finalized, folded and fused. */
struct nn_model *io_collab_model(const struct io_collab *c, size_t m);
/* For each layer of model m, the problem layer it is part of: a problem
 * groups an alias (folded batch norm, fused activation, flatten) with the
 * layer it is the only reader of (borrowed; nn_model_n_layers entries). */
const uint16_t *io_collab_layer_groups(const struct io_collab *c, size_t m);

#endif /* COINFER_IO_H */
