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

/* ======================================================================== */
/* Scenario files (scenario.c)                                              */
/* ======================================================================== */

/* What a scenario file describes. */
enum io_scenario_kind {
    IO_SCENARIO_QUEUE, /* <queue>: the validation queueing model */
    IO_SCENARIO_KIND_COUNT
};

#define IO_NAME_MAX 128
#define IO_PATH_MAX 4096

struct io_scenario {
    char path[IO_PATH_MAX];    /* the file as given */
    char name[IO_NAME_MAX];    /* <scenario name=...>, else the file's base name */
    char sha256[65];           /* hex SHA-256 of the file's bytes */
    enum io_scenario_kind kind;
    struct proto_sim_config sim;
    struct proto_queue_config queue; /* when kind == IO_SCENARIO_QUEUE */
};

/* Where the scenario schema lives: $COINFER_SCHEMA_DIR if set, else the
 * directory scenarios/ found next to the binary's build tree or the current
 * directory (see scenario.c). */

/* Load, validate (XSD, then ranges and cross-checks) and convert a scenario
 * file into *out. Bad input: CORE_E_INPUT with "FILE:LINE: message" in e. */
enum core_rc io_scenario_load(const char *path, struct io_scenario *out, struct core_err *e);

/* Validate any coinfer file by its root element (scenario for now; model and
 * sweep files as they arrive). Same errors as io_scenario_load. */
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

#endif /* COINFER_IO_H */
