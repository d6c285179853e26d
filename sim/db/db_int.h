/*
 * db_int.h — shared between the files of sim/db only: the schema version,
 * the migration step, the connection handle, the table of insertable tables
 * and the conversion of SQLite's result codes and messages into core errors.
 *
 * Only sim/db includes sqlite3.h; nothing outside this folder sees a sqlite3
 * handle.
 */
#ifndef COINFER_DB_INT_H
#define COINFER_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/* Schema version this build writes and reads (PRAGMA user_version). Version 0
 * is an empty database; each migration step takes version n to n + 1. */
#define DB_SCHEMA_VERSION 16

/* The current time as SQL writes it into started_at / finished_at: ISO-8601 UTC. */
#define DB_NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* How long a statement waits for another connection's lock before failing
 * with "database is locked", s. */
#define DB_BUSY_TIMEOUT_S 10.0

/* Map a SQLite result code (primary or extended) to a core code: out of
 * memory -> NOMEM; not a database or corrupt -> INPUT (the user's file is
 * wrong); cannot open, I/O error, disk full, read-only -> IO; else DB. */
enum core_rc db_rc(int sqlite_rc);

/* Raise the error SQLite last reported on conn: code from
 * sqlite3_extended_errcode, message "PATH: <what>: <sqlite3_errmsg>". Returns
 * the code. Call it before anything else touches conn (a ROLLBACK would
 * replace the message). */
enum core_rc db_err_at(struct core_err *e, sqlite3 *conn, const char *origin, const char *path,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define db_err(e, conn, path, ...) db_err_at((e), (conn), __func__, (path), __VA_ARGS__)

/* Read PRAGMA user_version of conn's main database into *version. A file that
 * is not a SQLite database, and a version newer than DB_SCHEMA_VERSION, are
 * CORE_E_INPUT naming path. (schema.c) */
enum core_rc db_read_version(sqlite3 *conn, const char *path, int *version, struct core_err *e);

/* Bring conn's database to DB_SCHEMA_VERSION: the steps from its version on,
 * run in order in one IMMEDIATE transaction that also sets user_version; on
 * failure nothing of it remains. A database already current is left
 * untouched. (schema.c) */
enum core_rc db_migrate(sqlite3 *conn, const char *path, struct core_err *e);

/* The statements a handle prepares besides the tables' inserts (db.c). */
enum db_stmt {
    DB_STMT_BEGIN,     /* BEGIN IMMEDIATE */
    DB_STMT_COMMIT,    /* COMMIT */
    DB_STMT_CONFIG,    /* INSERT OR IGNORE INTO configs */
    DB_STMT_RUN_BEGIN, /* INSERT INTO runs, status 'running' */
    DB_STMT_RUN_END,   /* UPDATE runs: final status, finished_at */
    DB_STMT_COUNT
};

/* An open results database (db_open). Statements are prepared once at open
 * and reused; db_close finalizes them. */
struct db {
    sqlite3 *conn;                          /* the open connection (owned) */
    char *path;                             /* the file as given to db_open (owned) */
    sqlite3_stmt *stmt[DB_STMT_COUNT];      /* control statements */
    sqlite3_stmt *insert[DB_TABLE_COUNT];   /* each table's INSERT */
    char batch_text[64];                    /* text a batch binds for all its rows
                                               (profiles: profiled_at) */
    double busy_since;                      /* when its current wait for a lock began
                                               (db_busy_wait), s */
};

/* SQLite's busy handler for a connection (sqlite3_busy_handler; since: a
 * double of the connection's, when its current wait began): sleeps 0.1 ms
 * then 1 ms between tries, up to DB_BUSY_TIMEOUT_S in all. (busy.c) */
int db_busy_wait(void *since, int tries);

/* Binds one row's columns (run_id first where the table has one) to its
 * table's prepared INSERT; ctx is the batch's context. */
typedef void db_bind_fn(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx);

/* Binds what a batch shares (profiled_at, the policy) before its rows. */
typedef void db_bind_batch_fn(struct db *db, sqlite3_stmt *st, const void *ctx);

/* Names one row for messages, e.g. "request 7". */
typedef void db_describe_fn(const void *row, char *buf, size_t size);

/* How one results table takes a batch of rows (tables.c). */
struct db_table_spec {
    const char *rows_name;       /* plural, for messages: "requests" */
    const char *insert_sql;      /* its INSERT */
    size_t row_size;             /* sizeof one row, bytes */
    bool per_run;                /* rows belong to a run (named in messages) */
    db_bind_batch_fn *bind_batch; /* NULL: nothing shared */
    db_bind_fn *bind;            /* binds a row's columns */
    db_describe_fn *describe;    /* names a row when its insert fails */
};

/* db_insert, with before (a prepared statement returning no row, its
 * bindings set; NULL: none) stepped first inside the batch's transaction,
 * so that what it changes and the rows commit or roll back together. The
 * caller finalizes before. (db.c) */
enum core_rc db_insert_after(struct db *db, enum db_table t, int64_t run_id, const void *rows,
                             size_t n, const void *ctx, sqlite3_stmt *before, struct core_err *e);

/* The read-only connection of a reader, inside its read transaction
 * (reader.c). */
sqlite3 *db_reader_conn(struct db_reader *r);

/* Every table's, indexed by enum db_table (tables.c). */
extern const struct db_table_spec db_tables[DB_TABLE_COUNT];

/* Now as ISO-8601 UTC text with milliseconds, as the SQL of runs writes it
 * ("2026-11-24T18:19:05.123Z"). */
void db_now_text(char *buf, size_t size);

#endif /* COINFER_DB_INT_H */
