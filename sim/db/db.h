/*
 * db.h — the whole public face of sim/db: the results database.
 *
 * One SQLite file holds every run a user makes: a `runs` row per run, the
 * rows each run records (requests of the validation queue, radio samples,
 * inferences and protocol messages of collaborative runs), and profiles
 * (not tied to a run). Its tables and the columns DESIGN.md fixes are the
 * user contract; later columns and tables arrive as numbered migrations
 * (schema.c), so a database written by an older coinfer opens in a newer
 * one. Every physical quantity is SI with its unit in the column's name.
 *
 * Writing: db_open, then per run db_run_begin (the row is committed at once
 * as 'running', so a killed run stays visible), any number of db_insert
 * batches (one transaction each: all of a batch or none of it), db_run_end
 * with the final status. Reading: db_reader_open takes a read-only snapshot
 * (one read transaction) and db_query runs the queries reports need, from
 * one table of them indexed by enum db_query.
 *
 * Only sim/db includes sqlite3.h; SQLite's result codes become core codes
 * here (db_int.h). Not thread-safe: one handle per thread.
 */
#ifndef COINFER_DB_H
#define COINFER_DB_H

#include "core/core.h"
#include "proto/proto.h"
#include "radio/radio.h"

struct db;

/* The tables rows are inserted into, each with its prepared INSERT, its row
 * type and how it names a row in messages (tables.c). */
enum db_table {
    DB_REQUESTS,      /* struct proto_request_record, per run */
    DB_RADIO_SAMPLES, /* struct radio_sample, per run */
    DB_PROFILES,      /* struct db_profile_row, no run */
    DB_INFERENCES,    /* struct proto_outcome, per run; ctx struct db_inference_ctx */
    DB_MESSAGES,      /* struct proto_message_record, per run */
    DB_UES,           /* struct db_ue_row, per run */
    DB_ENERGY,        /* struct proto_energy_row, per run */
    DB_LAYERS,        /* struct db_layer_row, per run */
    DB_SAMPLES,       /* struct db_sample_row, per run (the table sample_rows) */
    DB_SAMPLE_FIELDS, /* struct db_sample_field_row, per run */
    DB_TRAINING_STEPS, /* struct db_training_step, per training (its id as the run id) */
    DB_ACCURACY,      /* struct db_accuracy_row, no run */
    DB_EXIT_ACCURACY, /* struct db_exit_accuracy_row, no run */
    DB_TABLE_COUNT
};

/* What a run is, for its row in `runs` (strings borrowed for the call). */
struct db_run_info {
    const char *scenario;        /* scenario name */
    const char *scenario_sha256; /* SHA-256 of the scenario file's bytes */
    const char *policy;          /* decision policy ("fifo", "radio" for the other models) */
    uint64_t seed;               /* master seed */
    const char *version;         /* coinfer --version */
    const char *config;          /* canonical configuration text (NULL: none recorded) */
    const char *config_sha256;   /* its SHA-256 (NULL with config) */
    const char *overrides;       /* --set PATH=VALUE of the run, one per line (NULL, "":
                                    none) */
};

/* Open (creating if needed) a results database: WAL journal, schema at the
 * current version (migrating an older one), foreign keys on. path must be
 * a regular file or a new file in an existing directory; the one directory
 * created is results/ (for results/NAME.db). NULL with e set on failure:
 * CORE_E_INPUT for a file that is not a coinfer database (or one too new),
 * a path that is not a regular file or whose directory is missing;
 * CORE_E_IO, CORE_E_DB, NOMEM. */
struct db *db_open(const char *path, struct core_err *e);
void db_close(struct db *db); /* NULL is a no-op; rolls back an open batch */
const char *db_path(const struct db *db);

/* Schema version this build writes (PRAGMA user_version). */
int db_schema_version(void);

/* Insert a `runs` row, status 'running', started_at now, and its
 * configuration in `configs` (once per text); *run_id out. Committed at
 * once so that a killed run is visible. */
enum core_rc db_run_begin(struct db *db, const struct db_run_info *info, int64_t *run_id,
                          struct core_err *e);

/* Set the run's final status ("complete", "failed", "interrupted") and
 * finished_at. CORE_E_DB for another status or a run not 'running'. */
enum core_rc db_run_end(struct db *db, int64_t run_id, const char *status, struct core_err *e);

/* The inferences table's batch context: the model names its records'
 * model indices name (borrowed for the call). */
struct db_inference_ctx {
    const char *const *model_names;
};

/* The host a profile was taken on (strings borrowed for the call): the
 * profiles table's host columns. */
struct db_profile_host {
    const char *key;             /* db_profile_host_key of the fields below */
    const char *cpu_model;       /* /proc/cpuinfo's "model name" ("unknown" when none) */
    const char *blas_coretype;   /* OPENBLAS_CORETYPE as set ("" when unset) */
    const char *blas_corename;   /* the kernel family OpenBLAS ran */
    const char *blas_cpu_family; /* the newest family the CPU's instruction set runs */
    const char *blas_config;     /* the library's build (openblas_get_config) */
};

/* One row of `profiles`: a layer of a profiled model, or the whole forward
 * pass (layer_index -1). Strings are borrowed for the call. */
struct db_profile_row {
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
    const struct db_profile_host *host; /* the host (NULL: none, its columns NULL) */
};

/* One row of `ues`: a UE of a collaborative run as the run starts. The
 * device name is borrowed for the call. */
struct db_ue_row {
    uint32_t ue_id;      /* the UE */
    const char *device;  /* its device class */
    uint32_t group;      /* its <ue-group>, from 0 in file order */
    uint32_t cell_id;    /* its serving cell at the start */
    double x_m, y_m;     /* its position at the start, m */
};

/* One row of `layers`: a problem layer of a model (texts borrowed for the
 * call). */
struct db_layer_row {
    const char *model;     /* the model's name */
    uint32_t layer;        /* the problem layer's index (ue_alloc's positions follow the
                              plan's order: plan_order, or these indices) */
    const char *name;      /* the name of its first nn layer */
    const char *op;        /* that layer's op */
    const char *nn_layers; /* every nn layer it is, '+'-separated, in order */
    double out_bytes;      /* its output tensor, B */
};

/* One row of `accuracy`: a classifier's test accuracy at a split with an
 * encoding of the crossing tensors (strings borrowed for the call). */
struct db_accuracy_row {
    const char *model;       /* the model's name */
    const char *weights;     /* its weights file */
    uint32_t split;          /* layers the device runs (a prefix, 0: the input crosses; or
                                how many cut holds) */
    const char *layer;       /* the last of them ("input" for 0; a cut's crossing tensors'
                                layers joined by '+') */
    const char *encoding;    /* nn_encoding_text: "fp32", "int8", "topk:0.25", ... */
    uint64_t crossing_bytes; /* bytes one inference sends, B */
    uint64_t items;          /* test images classified, >= 1 */
    uint64_t correct;        /* of them classified right */
    double accuracy;         /* correct / items */
    double fp32_accuracy;    /* the whole model's on the same images (an exit's row: the
                                exit's own) */
    const char *cut;         /* a cut that is no prefix, the device's layers as ranges
                                (io_accuracy_cut_text); NULL: a prefix */
    const char *exit;        /* the early exit the plan ends at (split then counts the exit
                                model's layers, nn_exit_model); NULL: the model's output */
};

/* One row of `exit_accuracy`: one stage of an early-exit cascade at one
 * confidence threshold (strings borrowed for the call). */
struct db_exit_accuracy_row {
    const char *model;       /* the model's name */
    const char *weights;     /* its weights file */
    const char *confidence;  /* nn_conf_name: "max-prob" or "entropy" */
    const char *thresholds;  /* the grid point: "0.9" (every exit) or "0.9/0.8" (one each) */
    double threshold;        /* this stage's exit's threshold (unused for the output) */
    uint32_t stage;          /* 0 .. n_exits - 1: an exit; n_exits: the model's output */
    const char *exit;        /* the exit's name (NULL: the model's output) */
    const char *after_layer; /* its attach point (the model's last layer for the output) */
    uint64_t items;          /* test images, >= 1 */
    uint64_t exited;         /* of them, those that left here */
    uint64_t correct;        /* of those, classified right */
    uint64_t stage_macs;     /* MACs per image of an image leaving here */
    double cascade_accuracy; /* the cascade's accuracy over all items, 0..1 */
    double cascade_macs;     /* its mean MACs per image */
    double model_accuracy;   /* the model without exits, 0..1 */
    uint64_t model_macs;     /* its MACs per image */
};

/* A training sample (the view `samples` adds each one's next state: the
 * state of the next sample of the same UE and model). state and action are
 * their encodings as text, comma-separated numbers (the fields described in
 * sample_fields). */
struct db_sample_row {
    uint64_t inference_id; /* the inference */
    uint32_t ue_id;        /* its UE */
    const char *device;    /* the UE's device class (name) */
    const char *model;     /* the model (name) */
    const char *state;     /* what the UE knew when it decided */
    const char *action;    /* the plan it decided */
    double reward;         /* the inference's reward */
    double window_reward;  /* the reward of the UE's feedback window when it decided */
};

/* One field of the encodings of a (device class, model)'s samples. */
struct db_sample_field_row {
    const char *device;      /* the device class (name) */
    const char *model;       /* the model (name) */
    const char *kind;        /* "state" or "action" */
    uint32_t field;          /* its place in the encoding, 0.. */
    const char *name;        /* e.g. "ul_rate_bps" */
    const char *unit;        /* SI unit, "1" for a count or a share */
    const char *description; /* what it is */
};

/* A `coinfer train` (strings borrowed for the call). */
struct db_training_info {
    const char *agent;    /* the agent file it writes */
    const char *sources;  /* the sample databases it reads, one per line */
    uint64_t samples;     /* samples read */
    uint64_t seed;        /* its seed */
    uint64_t steps;       /* optimiser steps */
    const char *settings; /* its other settings as "name=value ..." */
    const char *version;  /* coinfer --version */
};

/* One report of a training's progress: a row of training_steps. */
struct db_training_step {
    uint64_t step;         /* steps done */
    double loss;           /* mean training loss since the last report */
    double heldout_loss;   /* NAN: none held out (NULL) */
    double heldout_regret; /* NAN: not measured (NULL) */
};

/* Record the start of a training ('running', committed at once) and its
 * end ("complete", "failed", "interrupted"); steps go in with db_insert
 * (DB_TRAINING_STEPS, the training's id as the run id). (training.c) */
enum core_rc db_training_begin(struct db *db, const struct db_training_info *info,
                               int64_t *train_id, struct core_err *e);
enum core_rc db_training_end(struct db *db, int64_t train_id, const char *status,
                             struct core_err *e);

/* Append rows[0..n) (of table t's row type) in one transaction: all or, on
 * any error, none. run_id is the run they belong to (ignored by tables not
 * per run); ctx is the table's batch context (NULL where it has none).
 * Profiles of one batch share one profiled_at (now). Messages and errors
 * name the row that failed: "PATH: recording inference 7 of run 3: ...". */
enum core_rc db_insert(struct db *db, enum db_table t, int64_t run_id, const void *rows, size_t n,
                       const void *ctx, struct core_err *e);

/* The same, typed: one per table (tables.c). */
enum core_rc db_insert_requests(struct db *db, int64_t run_id,
                                const struct proto_request_record *rows, size_t n,
                                struct core_err *e);
enum core_rc db_insert_radio_samples(struct db *db, int64_t run_id,
                                     const struct radio_sample *rows, size_t n,
                                     struct core_err *e);
enum core_rc db_insert_profiles(struct db *db, const struct db_profile_row *rows, size_t n,
                                struct core_err *e);

/* ======================================================================== */
/* The profile store: profiles keyed by host (profile_store.c)               */
/* ======================================================================== */

/* A host key: the host's CPU model, the OpenBLAS kernel family that ran and
 * the threads, as "<cpu>:<kernel>:<threads>t", where <cpu> is cpu_model and
 * <kernel> corename in lower case with every run of characters other than
 * a-z and 0-9 written as one '-' (none at either end): "AMD EPYC" with
 * Haswell kernels on 1 thread is "amd-epyc:haswell:1t". An empty part is
 * "unknown". Two profiles with the same key ran the same kernels on the
 * same CPU model with the same threads. Writes at most size bytes. */
void db_profile_host_key(const char *cpu_model, const char *corename, int threads, char *buf,
                         size_t size);

/* Record the profile of one model on one host, replacing whatever the
 * database held for that (host key, model): the n rows (every one with
 * the same model and the same non-NULL host) are the model's profile under
 * that key afterwards, with one profiled_at; one transaction, all or
 * nothing. Profiles of other keys or models, and rows without a key, are
 * untouched. Errors as db_insert. */
enum core_rc db_replace_profile(struct db *db, const struct db_profile_row *rows, size_t n,
                                struct core_err *e);

/* One stored layer of a profile: what the measurement of a layer was. */
struct db_stored_layer {
    char *model;      /* the model's name (owned by the store) */
    int layer_index;  /* its index from 0, or -1 for the whole model */
    char *layer_name; /* its name (owned by the store) */
    double latency_s; /* the median of its timed runs, s */
};

/* Every layer stored under one host key of a results database. */
struct db_profile_store {
    char *path;                     /* the database (owned) */
    char *key;                      /* the host key (owned) */
    char *cpu_model;                /* its CPU model (owned) */
    char *blas_corename;            /* its kernel family (owned) */
    int threads;                    /* its threads */
    size_t n;                       /* entries of layers */
    struct db_stored_layer *layers; /* by model, then layer index (owned) */
};

/* Read the profiles stored under key in the results database at path
 * (read-only; nothing is created or migrated). CORE_E_INPUT for a missing
 * file or one that is not a coinfer database (db_reader_open's messages),
 * and for a key it does not hold: "PATH: no profile under key 'K' (its
 * keys: ...)"; CORE_E_DB, IO, NOMEM. *out returned owned. */
enum core_rc db_profile_store_load(const char *path, const char *key,
                                   struct db_profile_store **out, struct core_err *e);
void db_profile_store_destroy(struct db_profile_store *s); /* NULL is a no-op */

/* The stored layer (model, layer_index), NULL when the store has none. */
const struct db_stored_layer *db_profile_store_find(const struct db_profile_store *s,
                                                    const char *model, int layer_index);
/* Whether the store holds some layer of model. */
bool db_profile_store_has_model(const struct db_profile_store *s, const char *model);
enum core_rc db_insert_inferences(struct db *db, int64_t run_id, const char *const *model_names,
                                  const struct proto_outcome *rows, size_t n,
                                  struct core_err *e);
enum core_rc db_insert_messages(struct db *db, int64_t run_id,
                                const struct proto_message_record *rows, size_t n,
                                struct core_err *e);
enum core_rc db_insert_ues(struct db *db, int64_t run_id, const struct db_ue_row *rows, size_t n,
                           struct core_err *e);
enum core_rc db_insert_energy(struct db *db, int64_t run_id, const struct proto_energy_row *rows,
                              size_t n, struct core_err *e);
enum core_rc db_insert_layers(struct db *db, int64_t run_id, const struct db_layer_row *rows,
                              size_t n, struct core_err *e);
enum core_rc db_insert_samples(struct db *db, int64_t run_id, const struct db_sample_row *rows,
                               size_t n, struct core_err *e);
enum core_rc db_insert_sample_fields(struct db *db, int64_t run_id,
                                     const struct db_sample_field_row *rows, size_t n,
                                     struct core_err *e);
/* One batch is one measurement: its rows share one measured_at (now). */
enum core_rc db_insert_accuracy(struct db *db, const struct db_accuracy_row *rows, size_t n,
                                struct core_err *e);
/* One batch is one measurement (one measured_at), as db_insert_accuracy. */
enum core_rc db_insert_exit_accuracy(struct db *db, const struct db_exit_accuracy_row *rows,
                                     size_t n, struct core_err *e);
enum core_rc db_insert_training_steps(struct db *db, int64_t train_id,
                                      const struct db_training_step *rows, size_t n,
                                      struct core_err *e);

/* ======================================================================== */
/* Reading (reader.c)                                                         */
/* ======================================================================== */

/* A read-only snapshot of a results database: opened without creating or
 * migrating anything, inside one read transaction, so that what it reads is
 * consistent even while a run writes (WAL). */
struct db_reader;

/* CORE_E_INPUT for a missing file, a directory, a file that is not SQLite
 * or a coinfer database newer than this build; CORE_E_IO, NOMEM. */
enum core_rc db_reader_open(const char *path, struct db_reader **out, struct core_err *e);
void db_reader_close(struct db_reader *r); /* NULL is a no-op */
/* Its schema version (0: no coinfer tables yet). */
int db_reader_version(const struct db_reader *r);
const char *db_reader_path(const struct db_reader *r);

/* The queries reports need, one table of them (reader.c). Each lists its
 * columns in the comment; "of a run" queries take the run's id. */
enum db_query {
    DB_Q_RUNS,               /* run_id, scenario, policy, seed, status, started_at,
                                finished_at, requests, version; by run_id */
    DB_Q_RUNS_WITH_REQUESTS, /* run_id */
    DB_Q_REQUESTS_OF_RUN,    /* t_arrival_s, t_start_s, t_done_s, wait_s, service_s,
                                sojourn_s */
    DB_Q_RUNS_WITH_RADIO,    /* run_id, distinct UEs */
    DB_Q_RADIO_OF_RUN,       /* ul_sinr_db, dl_sinr_db, ul_rate_bps, dl_rate_bps */
    DB_Q_RUNS_WITH_INFERENCES, /* run_id, policy */
    DB_Q_INFERENCES_OF_RUN,  /* latency_s, ue_energy_j, edge_energy_j, declined, overridden,
                                deadline_met, correct, finished, no_plan_layer (-1: none);
                                schema 6 on */
    DB_Q_INFERENCES_OF_RUN_V4, /* the same from a schema 4 or 5 database (no_plan_layer
                                  always -1) */
    DB_Q_INFERENCES_BY_MODEL,  /* DB_Q_INFERENCES_OF_RUN's columns, then the model name */
    DB_Q_INFERENCES_BY_DEVICE, /* ... then the UE's device class ('-' where ues has none) */
    DB_Q_PROFILES,           /* model, resource, threads, layers, reps, latency_s (whole
                                model), flops, params, profiled_at; oldest first */
    DB_Q_PROFILES_BY_HOST,   /* DB_Q_PROFILES's columns, then host_key ('-' for a profile
                                recorded without one); schema 12 on */
    DB_Q_RUN_OVERRIDES,      /* run_id, overrides; runs with --set overrides, by run_id */
    DB_Q_RUN_CONFIG,         /* config: the canonical configuration of a run (no row:
                                none recorded, or no such run) */
    DB_Q_SWEEP_POINTS,       /* sweep, policy, run_id, values ("factor=value, ..." in factor
                                order), combination, replication, seed, point_index: the
                                complete sweep points, by sweep and point index; schema 8 on */
    DB_Q_SWEEP_VALUES_OF_RUN, /* factor, path, value, value_num (NULL: not a number): the
                                 factor values of the sweep point whose run is run_id, in
                                 factor order */
    DB_Q_POLICY_MEANS,       /* policy, runs, finished inferences, then the means over them
                                of ue_compute_s, uplink_s, edge_queue_s, edge_compute_s,
                                downlink_s, signaling_s, latency_s, ue_energy_j,
                                edge_energy_j, then the scenarios' names (comma-separated):
                                the complete runs' finished inferences per policy, in the
                                order of each policy's first run */
    DB_Q_LATENCIES,          /* policy, latency_s: every finished inference of every
                                complete run, by run */
    DB_Q_RUNS_WITH_SAMPLES,  /* run_id, config: complete runs with training samples and a
                                recorded configuration, by run_id; schema 9 on */
    DB_Q_SAMPLES_OF_RUN,     /* device, model, state, action, reward, inference_id, by
                                inference_id */
    DB_Q_RUNS_FOR_REGRET,    /* run_id, policy, seed, config_sha256: complete runs with
                                samples, by seed, configuration and run_id; schema 9 on */
    DB_Q_UE_OPTIONS_OF_RUN,  /* device, model, UE options (the ue_wait_s fields of its
                                samples' state) */
    DB_Q_PLOT_RUNS,          /* run_id, policy, scenario, seed: the complete runs with a
                                finished inference, by run_id */
    DB_Q_PLANS_OF_RUN,       /* model, split, ue_alloc, edge_alloc, plan_order (NULL: the
                                layers' own order), count: the finished inferences of a run
                                per plan executed; schema 7 on */
    DB_Q_TRAINING_STEPS,     /* train_id, agent, samples, seed, status, step, loss,
                                heldout_loss, heldout_regret (NULL: none): every training's
                                progress, by train_id and step; schema 9 on */
    DB_Q_ENCODINGS,          /* run_id, policy, encoding ('none' where nothing crossed the
                                uplink), finished inferences, the run's finished inferences:
                                per run and encoding, by run_id then count (largest first);
                                no row unless some inference sent an encoding other than
                                fp32; schema 13 on */
    DB_Q_EXITS,              /* run_id, policy, exit ('none' where no plan ran), finished
                                inferences, the run's finished inferences: per run and exit,
                                by run_id then count (largest first); no row unless some
                                inference ended at an early exit; schema 14 on */
    DB_QUERY_COUNT
};

/* One column of a row a query returns (valid only during the callback). */
struct db_value {
    bool null;          /* SQL NULL */
    int64_t i;          /* as an integer */
    double d;           /* as a real */
    const char *text;   /* as text ("" for NULL) */
};

/* Called once per row; a code other than CORE_OK stops the query and is
 * returned by db_query. */
typedef enum core_rc (*db_row_fn)(void *ctx, const struct db_value *cols, size_t n_cols,
                                  struct core_err *e);

/* Run query q (run_id for the "of a run" ones) and call fn with every row.
 * A query whose tables the database's schema version predates returns no
 * row. CORE_E_DB / IO with "PATH: reading ...: why". */
enum core_rc db_query(struct db_reader *r, enum db_query q, int64_t run_id, db_row_fn fn,
                      void *ctx, struct core_err *e);

/* Call fn with every table of the database r reads (coinfer's, not SQLite's
 * own), one column each, its name, in name order. */
enum core_rc db_reader_tables(struct db_reader *r, db_row_fn fn, void *ctx, struct core_err *e);

/* *has: table has a column named column. */
enum core_rc db_reader_has_column(struct db_reader *r, const char *table, const char *column,
                                  bool *has, struct core_err *e);

/* Every row of table (a name db_reader_tables lists; the caller checks)
 * in storage order, or with run_id > 0 only that run's (the table must have
 * a run_id column): header once with the column names (each value's text),
 * then fn once per row. Every column's text is exact: a real as the
 * shortest decimal that reads back as the same double, a blob in
 * hexadecimal, NULL as "" with null set. */
enum core_rc db_read_table(struct db_reader *r, const char *table, int64_t run_id,
                           db_row_fn header, db_row_fn fn, void *ctx, struct core_err *e);

/* ======================================================================== */
/* Parameter studies (sweep.c)                                                */
/* ======================================================================== */

/* One point of a sweep as `sweep_points` and `sweep_values` record it
 * (strings and arrays borrowed for the call). */
struct db_sweep_point {
    const char *key;            /* its content key (hex SHA-256) */
    const char *sweep;          /* the sweep's name */
    const char *sweep_file;     /* the sweep file */
    uint64_t point_index;       /* its index among the sweep's points */
    uint64_t combination;       /* its factor combination, among the kept ones */
    uint64_t replication;       /* its replication, from 0 */
    const char *policy;         /* its policy */
    uint64_t seed;              /* its master seed */
    const char *config_sha256;  /* its resolved configuration's SHA-256 */
    const char *version;        /* coinfer's version */
    size_t n_values;            /* its factors */
    const char *const *factors; /* [n_values]: their names */
    const char *const *paths;   /* [n_values]: their knob paths */
    const char *const *values;  /* [n_values]: their values as written */
    const double *value_num;    /* [n_values]: as numbers, SI (NAN: not a number) */
};

/* Record points p[0..n) as 'pending' with their factor values, in one
 * transaction; a point whose key is there already keeps its row. status[i]
 * is then each point's status ("pending", "running", "complete",
 * "failed"). CORE_E_DB and the like with "PATH: why". */
enum core_rc db_sweep_points_add(struct db *db, const struct db_sweep_point *p, size_t n,
                                 char (*status)[16], struct core_err *e);

/* Set point key's status: "pending", "running" or "failed" (with the
 * worker's exit status, negative for a signal, and error, the end of its
 * stderr or why; NULL: none). */
enum core_rc db_sweep_point_set(struct db *db, const char *key, const char *status,
                                int exit_status, const char *error, struct core_err *e);

/* Mark complete, each with its run, the sweep points whose run is complete
 * in db: the latest complete run with the point's configuration SHA-256,
 * policy, seed and version. key: that point, when 'pending' or 'running'
 * (a worker reported it done); NULL: every point 'pending' or 'running'
 * (what a sweep killed before it marked them left). *claimed: how many were marked. One
 * statement: all of it or nothing. */
enum core_rc db_sweep_claim_runs(struct db *db, const char *key, uint64_t *claimed,
                                 struct core_err *e);

/* Point key's status in db ("pending", "running", "complete", "failed"; ""
 * when db does not hold it). */
enum core_rc db_sweep_point_status(struct db *db, const char *key, char status[16],
                                   struct core_err *e);

/* What merging a shard's database did. */
struct db_sweep_merge {
    uint64_t imported;   /* points complete there and not here: their runs copied */
    uint64_t incomplete; /* points not complete there and new here: recorded as they are */
    uint64_t skipped;    /* points complete here already, or complete in neither */
};

/* Merge the sweep points of the results database at src_path (a shard's,
 * same schema version) into db, in one transaction: each point complete
 * there and not here brings its run (a new run_id), its rows and its values;
 * a point new here that is not complete there is recorded as it is there
 * ('running' becomes 'pending'). Merging the same shard twice changes
 * nothing. CORE_E_INPUT when src_path is not a results database. */
enum core_rc db_sweep_merge(struct db *db, const char *src_path, struct db_sweep_merge *r,
                            struct core_err *e);

#endif /* COINFER_DB_H */
