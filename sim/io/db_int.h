/*
 * db_int.h — shared between the results-database files of sim/io only
 * (db.c, db_schema.c, report.c): the schema version, the migration step, and
 * the conversion of SQLite's result codes and messages into core errors.
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
#define IO_DB_SCHEMA_VERSION 3

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

#endif /* COINFER_IO_DB_INT_H */
