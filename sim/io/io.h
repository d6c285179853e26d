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

#endif /* COINFER_IO_H */
