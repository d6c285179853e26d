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
    IO_SCENARIO_KIND_COUNT
};

#define IO_NAME_MAX 128
#define IO_PATH_MAX 4096
#define IO_RADIO_MAX_GROUPS 16      /* <ue-group> elements in one <radio> */
#define IO_RADIO_MAX_POSITIONS 1024 /* <position> elements in one <radio>, all groups */

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
/* Results database (db.c, report.c)                                         */
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

#endif /* COINFER_IO_H */
