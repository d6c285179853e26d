/*
 * sweep.c — the points of parameter studies in the results database:
 * `sweep_points` (one row per point, keyed by its content key, with its
 * status) and `sweep_values` (each point's factor values, as data), the
 * claim of the runs a sweep's workers wrote, and the merge of shards.
 *
 * A point is added 'pending' with its values (once per key: a point already
 * there keeps its row and status, so a sweep re-run resumes), marked
 * 'running' when a worker starts it, and ends 'complete' or 'failed'. A
 * sweep's workers write each point's run into the results database
 * themselves, as `coinfer run --db` does; db_sweep_claim_runs then marks
 * the point complete with its run, found by the parts of the point's content
 * key a run records (its configuration's SHA-256, policy, seed and
 * coinfer's version; the runs_by_content index), so a point is complete
 * exactly when its run is, whatever is killed when: a run complete whose
 * point is still 'running' (the sweep killed in between) is claimed the
 * next time. Merging a shard's database (MPI ranks, --shard) copies each
 * complete point's run in: the run's row, its configuration and every row
 * of every table that has a run_id column (whatever tables the schema has),
 * renumbered to the run's new id, with the point's status, in one
 * transaction.
 */
#include "db/db_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The worker's database while it is attached. */
#define SRC "sweep_src"

/* ---- a growing SQL text ------------------------------------------------------- */

struct sql_text {
    char *s;     /* the text (owned) */
    size_t len;  /* bytes used */
    size_t cap;  /* bytes allocated */
    bool nomem;  /* an append failed */
};

static void sql_add(struct sql_text *t, const char *s)
{
    size_t n = strlen(s);

    if (t->nomem)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        char *grown;

        while (t->len + n + 1 > cap)
            cap *= 2;
        grown = core_realloc(t->s, cap);
        if (!grown) {
            t->nomem = true;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

/* An identifier, double-quoted with its quotes doubled. */
static void sql_add_ident(struct sql_text *t, const char *id)
{
    char one[2] = {0, 0};

    sql_add(t, "\"");
    for (const char *c = id; *c; c++) {
        one[0] = *c;
        sql_add(t, *c == '"' ? "\"\"" : one);
    }
    sql_add(t, "\"");
}

/* ---- adding points and setting their status ------------------------------------ */

static int step_done(sqlite3_stmt *st)
{
    int src = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return src;
}

enum core_rc db_sweep_points_add(struct db *db, const struct db_sweep_point *p, size_t n,
                                 char (*status)[16], struct core_err *e)
{
    static const char point_sql[] =
        "INSERT OR IGNORE INTO sweep_points (point_key, sweep, sweep_file, point_index, "
        "combination, replication, policy, seed, config_sha256, version, status, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11)";
    static const char value_sql[] =
        "INSERT OR IGNORE INTO sweep_values (point_key, factor_index, factor, path, value, "
        "value_num) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    static const char status_sql[] = "SELECT status FROM sweep_points WHERE point_key = ?1";
    sqlite3_stmt *ps = NULL, *vs = NULL, *ss = NULL;
    enum core_rc rc = CORE_OK;
    char now[40];

    db_now_text(now, sizeof(now));
    if (sqlite3_prepare_v2(db->conn, point_sql, -1, &ps, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db->conn, value_sql, -1, &vs, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db->conn, status_sql, -1, &ss, NULL) != SQLITE_OK) {
        rc = db_err(e, db->conn, db->path, "preparing the sweep_points statements");
        goto out;
    }
    if (sqlite3_exec(db->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(e, db->conn, db->path, "recording sweep points");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct db_sweep_point *x = &p[i];
        int src;

        sqlite3_bind_text(ps, 1, x->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(ps, 2, x->sweep, -1, SQLITE_STATIC);
        sqlite3_bind_text(ps, 3, x->sweep_file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ps, 4, (sqlite3_int64)x->point_index);
        sqlite3_bind_int64(ps, 5, (sqlite3_int64)x->combination);
        sqlite3_bind_int64(ps, 6, (sqlite3_int64)x->replication);
        sqlite3_bind_text(ps, 7, x->policy, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ps, 8, (sqlite3_int64)x->seed);
        sqlite3_bind_text(ps, 9, x->config_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(ps, 10, x->version, -1, SQLITE_STATIC);
        sqlite3_bind_text(ps, 11, now, -1, SQLITE_STATIC);
        if (step_done(ps) != SQLITE_DONE)
            goto out_rollback;
        for (size_t f = 0; f < x->n_values; f++) {
            sqlite3_bind_text(vs, 1, x->key, -1, SQLITE_STATIC);
            sqlite3_bind_int64(vs, 2, (sqlite3_int64)f);
            sqlite3_bind_text(vs, 3, x->factors[f], -1, SQLITE_STATIC);
            sqlite3_bind_text(vs, 4, x->paths[f], -1, SQLITE_STATIC);
            sqlite3_bind_text(vs, 5, x->values[f], -1, SQLITE_STATIC);
            if (isnan(x->value_num[f]))
                sqlite3_bind_null(vs, 6);
            else
                sqlite3_bind_double(vs, 6, x->value_num[f]);
            if (step_done(vs) != SQLITE_DONE)
                goto out_rollback;
        }
        sqlite3_bind_text(ss, 1, x->key, -1, SQLITE_STATIC);
        src = sqlite3_step(ss);
        if (src != SQLITE_ROW) {
            sqlite3_reset(ss);
            goto out_rollback;
        }
        snprintf(status[i], sizeof(status[i]), "%s", (const char *)sqlite3_column_text(ss, 0));
        sqlite3_reset(ss);
        sqlite3_clear_bindings(ss);
    }
    if (sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto out_rollback;
    goto out;
out_rollback:
    rc = db_err(e, db->conn, db->path, "recording sweep points");
    sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(ps);
    sqlite3_finalize(vs);
    sqlite3_finalize(ss);
    return rc;
}

enum core_rc db_sweep_point_set(struct db *db, const char *key, const char *status,
                                int exit_status, const char *error, struct core_err *e)
{
    static const char sql[] =
        "UPDATE sweep_points SET status = ?2, exit_status = ?3, error = ?4, updated_at = ?5, "
        "run_id = NULL WHERE point_key = ?1";
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    char now[40];

    CORE_ASSERT(strcmp(status, "pending") == 0 || strcmp(status, "running") == 0 ||
                strcmp(status, "failed") == 0);
    db_now_text(now, sizeof(now));
    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "preparing the sweep_points update");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (strcmp(status, "failed") == 0)
        sqlite3_bind_int(st, 3, exit_status);
    else
        sqlite3_bind_null(st, 3);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "marking sweep point %.12s %s", key, status);
    else if (sqlite3_changes(db->conn) != 1)
        rc = core_err(e, CORE_E_DB, "%s: sweep point %.12s is not recorded", db->path, key);
    sqlite3_finalize(st);
    return rc;
}

/* ---- importing a worker's run ---------------------------------------------------- */

/* Append to t the columns of table in schema sch, comma-separated, without
 * run_id (columns are in the table's order). *has_run_id: it has one. */
static enum core_rc columns_of(struct db *db, const char *sch, const char *table,
                               struct sql_text *t, bool *has_run_id, struct core_err *e)
{
    struct sql_text q = {0};
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    bool first = true;
    int src;

    *has_run_id = false;
    sql_add(&q, "PRAGMA ");
    sql_add_ident(&q, sch);
    sql_add(&q, ".table_info(");
    sql_add_ident(&q, table);
    sql_add(&q, ")");
    if (q.nomem) {
        core_free(q.s);
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", db->path);
    }
    if (sqlite3_prepare_v2(db->conn, q.s, -1, &st, NULL) != SQLITE_OK) {
        rc = db_err(e, db->conn, db->path, "reading the columns of %s", table);
        goto out;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 1);

        if (strcmp(col, "run_id") == 0) {
            *has_run_id = true;
            continue;
        }
        if (!first)
            sql_add(t, ", ");
        sql_add_ident(t, col);
        first = false;
    }
    if (src != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "reading the columns of %s", table);
    else if (t->nomem)
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", db->path);
out:
    sqlite3_finalize(st);
    core_free(q.s);
    return rc;
}

/* Run sql with ?1 = a, ?2 = b (integers). */
static enum core_rc exec_ids(struct db *db, const char *sql, int64_t a, int64_t b,
                             const char *what, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;

    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "preparing %s", what);
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, b);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "%s", what);
    sqlite3_finalize(st);
    return rc;
}

/* Copy the rows of every per-run table of SRC into main (inside the caller's
 * transaction), one statement per table: INSERT ... (run_id, cols) SELECT
 * <new_id>, cols <from>TABLE<tail>, with ?1 and ?2 bound to src_id and
 * new_id; whose names the runs in errors. */
static enum core_rc copy_run_tables(struct db *db, const char *new_id, const char *from,
                                    const char *tail, int64_t src_id, int64_t new_id_value,
                                    const char *whose, struct core_err *e)
{
    static const char tables_sql[] =
        "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT IN ('runs', 'configs', 'sweep_points', 'sweep_values') ORDER BY name";
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    int src;

    if (sqlite3_prepare_v2(db->conn, tables_sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "listing the tables");
    while (rc == CORE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(st, 0);
        struct sql_text cols = {0}, q = {0};
        bool has_run_id;
        char what[160];

        rc = columns_of(db, "main", table, &cols, &has_run_id, e);
        if (rc == CORE_OK && has_run_id) {
            sql_add(&q, "INSERT INTO main.");
            sql_add_ident(&q, table);
            sql_add(&q, " (run_id, ");
            sql_add(&q, cols.s ? cols.s : "");
            sql_add(&q, ") SELECT ");
            sql_add(&q, new_id);
            sql_add(&q, ", ");
            sql_add(&q, cols.s ? cols.s : "");
            sql_add(&q, from);
            sql_add_ident(&q, table);
            sql_add(&q, tail);
            snprintf(what, sizeof(what), "copying the %s rows of %s", table, whose);
            rc = q.nomem ? core_err(e, CORE_E_NOMEM, "%s: out of memory", db->path)
                         : exec_ids(db, q.s, src_id, new_id_value, what, e);
        }
        core_free(cols.s);
        core_free(q.s);
    }
    if (rc == CORE_OK && src != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "listing the tables");
    sqlite3_finalize(st);
    return rc;
}

/* Copy every per-run table's rows of run src_id to run new_id. */
static enum core_rc copy_tables(struct db *db, int64_t src_id, int64_t new_id, struct core_err *e)
{
    return copy_run_tables(db, "?2", " FROM " SRC ".", " WHERE run_id = ?1", src_id, new_id,
                           "a sweep point's run", e);
}

/* Attach the database at src_path as SRC, after checking that it is a
 * results database of this schema version. */
static enum core_rc attach(struct db *db, const char *src_path, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;

    if (sqlite3_prepare_v2(db->conn, "ATTACH DATABASE ?1 AS " SRC, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "attaching %s", src_path);
    sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_err(e, db->conn, db->path, "attaching %s", src_path);
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db->conn, "PRAGMA " SRC ".user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = db_err(e, db->conn, db->path, "reading the schema version of %s", src_path);
    else if (sqlite3_column_int(st, 0) != DB_SCHEMA_VERSION)
        rc = core_err(e, sqlite3_column_int(st, 0) == 0 ? CORE_E_INPUT : CORE_E_DB,
                      "%s: schema version %d, not this coinfer's %d%s", src_path,
                      sqlite3_column_int(st, 0), DB_SCHEMA_VERSION,
                      sqlite3_column_int(st, 0) == 0 ? " (not a results database)" : "");
    sqlite3_finalize(st);
    if (rc != CORE_OK)
        sqlite3_exec(db->conn, "DETACH DATABASE " SRC, NULL, NULL, NULL);
    return rc;
}

static void detach(struct db *db)
{
    sqlite3_exec(db->conn, "DETACH DATABASE " SRC, NULL, NULL, NULL);
}

/* Copy the attached database's run src_id (its row, and the rows of every
 * per-run table) to a new run *new_id, inside the caller's transaction. */
static enum core_rc copy_run(struct db *db, int64_t src_id, int64_t *new_id, struct core_err *e)
{
    struct sql_text cols = {0}, q = {0};
    enum core_rc rc;
    bool has_run_id;

    rc = columns_of(db, "main", "runs", &cols, &has_run_id, e);
    if (rc != CORE_OK)
        goto out;
    sql_add(&q, "INSERT INTO main.runs (");
    sql_add(&q, cols.s);
    sql_add(&q, ") SELECT ");
    sql_add(&q, cols.s);
    sql_add(&q, " FROM " SRC ".runs WHERE run_id = ?1");
    if (q.nomem) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", db->path);
        goto out;
    }
    rc = exec_ids(db, q.s, src_id, 0, "copying a sweep point's run", e);
    if (rc != CORE_OK)
        goto out;
    *new_id = sqlite3_last_insert_rowid(db->conn);
    rc = copy_tables(db, src_id, *new_id, e);
out:
    core_free(cols.s);
    core_free(q.s);
    return rc;
}

static enum core_rc copy_configs(struct db *db, struct core_err *e)
{
    return exec_ids(db,
                    "INSERT OR IGNORE INTO main.configs (config_sha256, config) SELECT "
                    "config_sha256, config FROM " SRC ".configs",
                    0, 0, "copying configurations", e);
}

/* Mark point key complete with run run_id. */
static enum core_rc complete_point(struct db *db, const char *key, int64_t run_id,
                                   struct core_err *e)
{
    static const char sql[] =
        "UPDATE main.sweep_points SET status = 'complete', run_id = ?2, exit_status = 0, "
        "error = NULL, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE point_key = ?1";
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;

    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "preparing the sweep_points update");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "marking sweep point %.12s complete", key);
    else if (sqlite3_changes(db->conn) != 1)
        rc = core_err(e, CORE_E_DB, "%s: sweep point %.12s is not recorded", db->path, key);
    sqlite3_finalize(st);
    return rc;
}

/* ---- finding the runs a sweep's workers wrote ---------------------------------------- */

/* The latest complete run of point p's content: its configuration, policy,
 * seed and version (runs_by_content), as SQL over sweep_points' columns. */
#define CLAIMED_RUN                                                                                \
    "(SELECT max(r.run_id) FROM main.runs AS r WHERE r.config_sha256 = "                           \
    "sweep_points.config_sha256 AND r.policy = sweep_points.policy AND r.seed = "                  \
    "sweep_points.seed AND r.version = sweep_points.version AND r.status = 'complete')"

enum core_rc db_sweep_claim_runs(struct db *db, const char *key, uint64_t *claimed,
                                 struct core_err *e)
{
    /* one point by its key (the primary key), or every waiting point */
#define CLAIM_SET                                                                                  \
    "UPDATE main.sweep_points SET status = 'complete', exit_status = 0, error = NULL, "            \
    "updated_at = ?2, run_id = " CLAIMED_RUN " WHERE status IN ('pending', 'running') AND "
    static const char one[] = CLAIM_SET "point_key = ?1 AND " CLAIMED_RUN " IS NOT NULL";
    static const char all[] = CLAIM_SET CLAIMED_RUN " IS NOT NULL";
#undef CLAIM_SET
    const char *sql = key ? one : all;
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    char now[40];

    *claimed = 0;
    db_now_text(now, sizeof(now));
    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "preparing the sweep_points update");
    if (key)
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = key ? db_err(e, db->conn, db->path, "marking sweep point %.12s complete", key)
                 : db_err(e, db->conn, db->path,
                          "marking complete the sweep points whose runs "
                          "completed");
    else
        *claimed = (uint64_t)sqlite3_changes(db->conn);
    sqlite3_finalize(st);
    return rc;
}

/* ---- merging shards -------------------------------------------------------------- */

/* The status of point key in the results database ("" when absent). */
static enum core_rc dest_status(struct db *db, sqlite3_stmt *st, const char *key, char *status,
                                size_t size, struct core_err *e)
{
    int src;

    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    src = sqlite3_step(st);
    status[0] = '\0';
    if (src == SQLITE_ROW)
        snprintf(status, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return db_err(e, db->conn, db->path, "reading a sweep point's status");
    return CORE_OK;
}

enum core_rc db_sweep_merge(struct db *db, const char *src_path, struct db_sweep_merge *r,
                            struct core_err *e)
{
    static const char points_sql[] =
        "SELECT point_key, status, run_id FROM " SRC ".sweep_points ORDER BY point_index, "
        "point_key";
    static const char status_sql[] = "SELECT status FROM main.sweep_points WHERE point_key = ?1";
    /* a point the results database lacks: its row as the shard has it (a point running
     * there when the shard stopped is pending here), its run renumbered */
    static const char insert_sql[] =
        "INSERT INTO main.sweep_points (point_key, sweep, sweep_file, point_index, combination, "
        "replication, policy, seed, config_sha256, version, status, run_id, exit_status, error, "
        "updated_at) SELECT point_key, sweep, sweep_file, point_index, combination, "
        "replication, policy, seed, config_sha256, version, CASE status WHEN 'running' THEN "
        "'pending' ELSE status END, ?2, exit_status, error, updated_at FROM " SRC
        ".sweep_points WHERE point_key = ?1";
    static const char values_sql[] =
        "INSERT OR IGNORE INTO main.sweep_values (point_key, factor_index, factor, path, value, "
        "value_num) SELECT point_key, factor_index, factor, path, value, value_num FROM " SRC
        ".sweep_values WHERE point_key = ?1";
    sqlite3_stmt *pts = NULL, *sts = NULL, *ins = NULL, *vals = NULL;
    enum core_rc rc;
    int src;

    memset(r, 0, sizeof(*r));
    rc = attach(db, src_path, e);
    if (rc != CORE_OK)
        return rc;
    if (sqlite3_exec(db->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(e, db->conn, db->path, "merging %s", src_path);
        goto out_detach;
    }
    if (sqlite3_prepare_v2(db->conn, points_sql, -1, &pts, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db->conn, status_sql, -1, &sts, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db->conn, insert_sql, -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db->conn, values_sql, -1, &vals, NULL) != SQLITE_OK) {
        rc = db_err(e, db->conn, db->path, "preparing the merge of %s", src_path);
        goto out_rollback;
    }
    rc = copy_configs(db, e);
    while (rc == CORE_OK && (src = sqlite3_step(pts)) == SQLITE_ROW) {
        char key[80], here[16];
        bool complete = strcmp((const char *)sqlite3_column_text(pts, 1), "complete") == 0;
        int64_t src_run = sqlite3_column_int64(pts, 2), new_id = 0;

        snprintf(key, sizeof(key), "%s", (const char *)sqlite3_column_text(pts, 0));
        rc = dest_status(db, sts, key, here, sizeof(here), e);
        if (rc != CORE_OK)
            break;
        if (strcmp(here, "complete") == 0 || (!complete && here[0] != '\0')) {
            r->skipped++;
            continue;
        }
        if (complete) {
            rc = copy_run(db, src_run, &new_id, e);
            if (rc != CORE_OK)
                break;
            r->imported++;
        } else {
            r->incomplete++;
        }
        if (here[0] != '\0') {
            rc = complete_point(db, key, new_id, e);
        } else {
            sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
            if (complete)
                sqlite3_bind_int64(ins, 2, new_id);
            else
                sqlite3_bind_null(ins, 2);
            sqlite3_bind_text(vals, 1, key, -1, SQLITE_STATIC);
            if (step_done(ins) != SQLITE_DONE || step_done(vals) != SQLITE_DONE)
                rc = db_err(e, db->conn, db->path, "merging sweep point %.12s of %s", key,
                            src_path);
        }
    }
    if (rc == CORE_OK && src != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "reading the sweep points of %s", src_path);
    if (rc == CORE_OK && sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_err(e, db->conn, db->path, "merging %s", src_path);
out_rollback:
    sqlite3_finalize(pts);
    sqlite3_finalize(sts);
    sqlite3_finalize(ins);
    sqlite3_finalize(vals);
    if (rc != CORE_OK) {
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
        memset(r, 0, sizeof(*r));
    }
out_detach:
    detach(db);
    return rc;
}

enum core_rc db_sweep_point_status(struct db *db, const char *key, char status[16],
                                   struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc;

    if (sqlite3_prepare_v2(db->conn, "SELECT status FROM main.sweep_points WHERE point_key = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "reading a sweep point's status");
    rc = dest_status(db, st, key, status, 16, e);
    sqlite3_finalize(st);
    return rc;
}
