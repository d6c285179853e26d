/*
 * sqlutil.h — reading a results database behind io's back in tests: open
 * it with plain SQLite, run a statement, read the first column of the first
 * row, list a table's columns. Any failure fails the test. Header-only,
 * static functions; include after cmocka.h.
 */
#ifndef COINFER_TESTS_SQLUTIL_H
#define COINFER_TESTS_SQLUTIL_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline sqlite3 *raw_open(const char *path)
{
    sqlite3 *conn = NULL;

    if (sqlite3_open(path, &conn) != SQLITE_OK) {
        fprintf(stderr, "raw_open %s: %s\n", path, sqlite3_errmsg(conn));
        fail();
    }
    return conn;
}

static inline void raw_exec(sqlite3 *conn, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "raw_exec '%s': %s\n", sql, msg);
        sqlite3_free(msg);
        fail();
    }
}

/* First column of the first row of sql, as an integer. */
static inline int64_t raw_int(sqlite3 *conn, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v;

    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr, "raw_int '%s': %s\n", sql, sqlite3_errmsg(conn));
        sqlite3_finalize(st);
        fail();
    }
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row of sql as text into buf ("NULL" for NULL). */
static inline void raw_text(sqlite3 *conn, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *t;

    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        fprintf(stderr, "raw_text '%s': %s\n", sql, sqlite3_errmsg(conn));
        sqlite3_finalize(st);
        fail();
    }
    t = sqlite3_column_text(st, 0);
    snprintf(buf, size, "%s", t ? (const char *)t : "NULL");
    sqlite3_finalize(st);
}

/* Column names of table, comma-separated, in order. */
static inline void raw_columns(sqlite3 *conn, const char *table, char *buf, size_t size)
{
    char sql[128];
    sqlite3_stmt *st = NULL;

    snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
    assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
    buf[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (buf[0])
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, (const char *)sqlite3_column_text(st, 1), size - strlen(buf) - 1);
    }
    sqlite3_finalize(st);
}

/* sqlite3_exec's result code for sql (which may be meant to fail). */
static inline int raw_try(sqlite3 *conn, const char *sql)
{
    return sqlite3_exec(conn, sql, NULL, NULL, NULL);
}

#endif /* COINFER_TESTS_SQLUTIL_H */
