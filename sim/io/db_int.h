/*
 * db_int.h — shared between the results-database files of sim/io only
 * (db.c, db_collab.c, db_schema.c, report.c): the schema version, the
 * migration step, the connection handle and its batched inserts, and the
 * conversion of SQLite's result codes and messages into core errors.
 *
 * Only sim/io includes sqlite3.h; nothing outside this folder sees a sqlite3
 * handle.
 */
#ifndef COINFER_IO_DB_INT_H
#define COINFER_IO_DB_INT_H

#include <sqlite3.h>

#include "core/core.h"

/* Schema version this build writes and reads (PRAGMA user_version). Version 0
 * is an empty database; each migration step takes version n to n + 1. */
#define IO_DB_SCHEMA_VERSION 4

/* How long a statement waits for another connection's lock before failing
 * with "database is locked", s. */
#define IO_DB_BUSY_TIMEOUT_S 10.0

/* Map a SQLite result code (primary or extended) to a core code: out of
 * memory -> NOMEM; not a database or corrupt -> INPUT (the user's file is
 * wrong); cannot open, I/O error, disk full, read-only -> IO; else DB. */
enum core_rc io_db_rc(int sqlite_rc);

/* Raise the error SQLite last reported on conn: code from
 * sqlite3_extended_errcode, message "PATH: <what>: <sqlite3_errmsg>". Returns
 * the code. Call it before anything else touches conn (a ROLLBACK would
 * replace the message). */
enum core_rc io_db_err_at(struct core_err *e, sqlite3 *conn, const char *origin, const char *path,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define io_db_err(e, conn, path, ...) io_db_err_at((e), (conn), __func__, (path), __VA_ARGS__)

/* Read PRAGMA user_version of conn's main database into *version. A file that
 * is not a SQLite database, and a version newer than IO_DB_SCHEMA_VERSION,
 * are CORE_E_INPUT naming path. */
enum core_rc io_db_read_version(sqlite3 *conn, const char *path, int *version, struct core_err *e);

/* Bring conn's database to IO_DB_SCHEMA_VERSION: the steps from its version
 * on, run in order in one IMMEDIATE transaction that also sets user_version;
 * on failure nothing of it remains. A database already current is left
 * untouched. (db_schema.c) */
enum core_rc io_db_migrate(sqlite3 *conn, const char *path, struct core_err *e);

/* An open results database (io_db_open). Statements are prepared once at
 * open and reused; each is finalized by io_db_close. */
struct io_db {
    sqlite3 *conn;                  /* the open connection (owned) */
    char *path;                     /* the file as given to io_db_open (owned) */
    sqlite3_stmt *begin;            /* BEGIN IMMEDIATE */
    sqlite3_stmt *commit;           /* COMMIT */
    sqlite3_stmt *insert_run;       /* INSERT INTO runs, status 'running' */
    sqlite3_stmt *end_run;          /* UPDATE runs: final status, finished_at */
    sqlite3_stmt *insert_request;   /* INSERT INTO requests, one row */
    sqlite3_stmt *insert_radio;     /* INSERT INTO radio_samples, one row */
    sqlite3_stmt *insert_profile;   /* INSERT INTO profiles, one row */
    sqlite3_stmt *insert_inference; /* INSERT INTO inferences, one row (?2: the policy) */
    sqlite3_stmt *insert_message;   /* INSERT INTO messages, one row */
    char profiled_at[64];           /* profiled_at of the batch being inserted */
};

/* Binds one row's columns (run_id first) to a table's prepared INSERT; ctx
 * is the batch's context (io_db_insert_batch's ctx). */
typedef void io_db_bind_fn(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx);

/* Names one row for messages, e.g. "request 7". */
typedef void io_db_describe_fn(const void *row, char *buf, size_t size);

/* How one results table takes a batch of rows. */
struct io_db_batch {
    const char *rows_name;       /* plural, for messages: "requests" */
    size_t row_size;             /* sizeof one row, bytes */
    bool per_run;                /* rows belong to run_id (named in messages) */
    io_db_bind_fn *bind;         /* binds a row's columns */
    io_db_describe_fn *describe; /* names a row when its insert fails */
};

/* Insert rows[0..n) with st in one transaction: all of them or, on any
 * error, none (ROLLBACK). ctx is passed to b->bind; origin is the public
 * function, for the error. Bindings st holds on entry that bind does not
 * set stay in force. (db.c) */
enum core_rc io_db_insert_batch(struct io_db *db, sqlite3_stmt *st, const struct io_db_batch *b,
                                int64_t run_id, const void *rows, size_t n, const void *ctx,
                                const char *origin, struct core_err *e);

#endif /* COINFER_IO_DB_INT_H */
