/*
 * profile_store.c — the profiles table as a store of measured hosts (issue
 * 14): each profile `coinfer profile --db` records carries its host key
 * (the CPU model, the OpenBLAS kernel family that ran, the threads), so one
 * file holds several hosts; a re-profile of a model under the same key
 * replaces that model's rows (one transaction), which keeps a key's content
 * a function of its last profile; and a scenario's resource reads one key
 * back (profile="FILE#KEY") as the truth of its layers' compute times.
 *
 * Data: a store is every row of one key, sorted by (model, layer_index),
 * each a model name, layer index (-1: the whole model), layer name and the
 * median latency, s. Rows recorded before host keys existed (schema 10 and
 * older: host_key NULL) belong to no key.
 */
#include "db/db_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- keys ------------------------------------------------------------------ */

/* Append s to buf[*at..size) in lower case, each run of characters other
 * than a-z, 0-9 as one '-', none at either end; "unknown" when nothing is
 * left. */
static void put_slug(const char *s, char *buf, size_t size, size_t *at)
{
    const size_t start = *at;
    bool dash = false;

    for (; s && *s; s++) {
        const int ch = tolower((unsigned char)*s);

        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (dash && *at > start && *at + 1 < size)
                buf[(*at)++] = '-';
            dash = false;
            if (*at + 1 < size)
                buf[(*at)++] = (char)ch;
        } else {
            dash = true;
        }
    }
    if (*at == start)
        for (const char *u = "unknown"; *u && *at + 1 < size; u++)
            buf[(*at)++] = *u;
    buf[*at] = '\0';
}

void db_profile_host_key(const char *cpu_model, const char *corename, int threads, char *buf,
                         size_t size)
{
    size_t at = 0;

    if (size == 0)
        return;
    buf[0] = '\0';
    put_slug(cpu_model, buf, size, &at);
    if (at + 1 < size)
        buf[at++] = ':';
    put_slug(corename, buf, size, &at);
    snprintf(buf + at, size - at, ":%dt", threads);
}

/* ---- writing ---------------------------------------------------------------- */

enum core_rc db_replace_profile(struct db *db, const struct db_profile_row *rows, size_t n,
                                struct core_err *e)
{
    sqlite3_stmt *del = NULL;
    enum core_rc rc;

    if (n == 0)
        return CORE_OK;
    CORE_ASSERT(rows[0].host && rows[0].host->key && rows[0].model);
    for (size_t i = 1; i < n; i++)
        CORE_ASSERT(rows[i].host == rows[0].host && rows[i].model &&
                    strcmp(rows[i].model, rows[0].model) == 0);
    if (sqlite3_prepare_v2(db->conn, "DELETE FROM profiles WHERE host_key = ?1 AND model = ?2",
                           -1, &del, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "preparing to replace the profile of %s",
                      rows[0].model);
    sqlite3_bind_text(del, 1, rows[0].host->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(del, 2, rows[0].model, -1, SQLITE_STATIC);
    rc = db_insert_after(db, DB_PROFILES, 0, rows, n, NULL, del, e);
    sqlite3_finalize(del);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

void db_profile_store_destroy(struct db_profile_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        core_free(s->layers[i].model);
        core_free(s->layers[i].layer_name);
    }
    core_free(s->layers);
    core_free(s->path);
    core_free(s->key);
    core_free(s->cpu_model);
    core_free(s->blas_corename);
    core_free(s);
}

static char *dup_column(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    return core_strdup(t ? (const char *)t : "");
}

/* "PATH: no profile under key 'K' (its keys: a, b)", listing what the file
 * holds (none before schema 12, or when no profile was recorded with one). */
static enum core_rc no_such_key(sqlite3 *conn, const char *path, int version, const char *key,
                                struct core_err *e)
{
    char keys[512] = "";
    size_t at = 0, n = 0;
    sqlite3_stmt *st = NULL;
    int src = SQLITE_DONE;

    if (version >= 11 &&
        sqlite3_prepare_v2(conn,
                           "SELECT DISTINCT host_key FROM profiles WHERE host_key IS NOT NULL "
                           "ORDER BY host_key",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(e, conn, path, "reading the profiles' keys");
    while (st && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if (at < sizeof(keys))
            at += (size_t)snprintf(keys + at, sizeof(keys) - at, "%s%s", n ? ", " : "",
                                   (const char *)sqlite3_column_text(st, 0));
        n++;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return db_err(e, conn, path, "reading the profiles' keys");
    if (n == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s: no profile under key '%s' (the file holds no profile with a host "
                        "key: record one with coinfer profile MODEL --db %s)",
                        path, key, path);
    return core_err(e, CORE_E_INPUT, "%s: no profile under key '%s' (its keys: %s)", path, key,
                    keys);
}

enum core_rc db_profile_store_load(const char *path, const char *key,
                                   struct db_profile_store **out, struct core_err *e)
{
    struct db_reader *r = NULL;
    struct db_profile_store *s = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    sqlite3 *conn;
    enum core_rc rc;
    int src;

    *out = NULL;
    rc = db_reader_open(path, &r, e);
    if (rc != CORE_OK)
        return rc;
    conn = db_reader_conn(r);
    if (db_reader_version(r) < 11) {
        rc = no_such_key(conn, path, db_reader_version(r), key, e);
        goto out_close;
    }
    s = core_calloc(1, sizeof(*s));
    if (s) {
        s->path = core_strdup(path);
        s->key = core_strdup(key);
    }
    if (!s || !s->path || !s->key)
        goto out_nomem;
    if (sqlite3_prepare_v2(conn,
                           "SELECT model, layer_index, layer_name, latency_s, threads, "
                           "coalesce(cpu_model, ''), coalesce(blas_corename, '') FROM profiles "
                           "WHERE host_key = ?1 ORDER BY model, layer_index",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_err(e, conn, path, "reading the profiles under key '%s'", key);
        goto out_close;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_stored_layer *l;

        if (s->n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            void *p = core_realloc(s->layers, ncap * sizeof(*s->layers));

            if (!p)
                goto out_nomem;
            s->layers = p;
            cap = ncap;
        }
        l = &s->layers[s->n];
        memset(l, 0, sizeof(*l));
        s->n++;
        l->model = dup_column(st, 0);
        l->layer_index = sqlite3_column_int(st, 1);
        l->layer_name = dup_column(st, 2);
        l->latency_s = sqlite3_column_double(st, 3);
        if (!l->model || !l->layer_name)
            goto out_nomem;
        if (s->n == 1) {
            s->threads = sqlite3_column_int(st, 4);
            s->cpu_model = dup_column(st, 5);
            s->blas_corename = dup_column(st, 6);
            if (!s->cpu_model || !s->blas_corename)
                goto out_nomem;
        }
    }
    if (src != SQLITE_DONE) {
        rc = db_err(e, conn, path, "reading the profiles under key '%s'", key);
        goto out_close;
    }
    if (s->n == 0) {
        rc = no_such_key(conn, path, db_reader_version(r), key, e);
        goto out_close;
    }
    sqlite3_finalize(st);
    db_reader_close(r);
    *out = s;
    return CORE_OK;

out_nomem:
    rc = core_err(e, CORE_E_NOMEM, "%s: out of memory reading the profiles under key '%s'", path,
                  key);
out_close:
    sqlite3_finalize(st);
    db_reader_close(r);
    db_profile_store_destroy(s);
    return rc;
}

/* The first stored layer of model at or after index, by bisection on the
 * (model, layer_index) order. */
static size_t lower_bound(const struct db_profile_store *s, const char *model, int index)
{
    size_t lo = 0, hi = s->n;

    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(s->layers[mid].model, model);

        if (c < 0 || (c == 0 && s->layers[mid].layer_index < index))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct db_stored_layer *db_profile_store_find(const struct db_profile_store *s,
                                                    const char *model, int layer_index)
{
    const size_t i = lower_bound(s, model, layer_index);

    if (i < s->n && strcmp(s->layers[i].model, model) == 0 &&
        s->layers[i].layer_index == layer_index)
        return &s->layers[i];
    return NULL;
}

bool db_profile_store_has_model(const struct db_profile_store *s, const char *model)
{
    const size_t i = lower_bound(s, model, -1);

    return i < s->n && strcmp(s->layers[i].model, model) == 0;
}
