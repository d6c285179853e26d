/*
 * training.c — a `coinfer train` in the results database: its row in
 * `trainings` (committed as 'running' when it starts, so that a killed
 * training stays visible, and given its final status at the end); its
 * progress goes to `training_steps` through db_insert (tables.c).
 */
#include "db/db_int.h"

#include <stdio.h>
#include <string.h>

/* Run sql with its parameters bound by bind, to completion. */
static enum core_rc exec_bound(struct db *db, const char *sql,
                               void (*bind)(sqlite3_stmt *st, const void *ctx), const void *ctx,
                               const char *what, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;

    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "%s", what);
    bind(st, ctx);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_err(e, db->conn, db->path, "%s", what);
    sqlite3_finalize(st);
    return rc;
}

static void bind_begin(sqlite3_stmt *st, const void *ctx)
{
    const struct db_training_info *info = ctx;

    sqlite3_bind_text(st, 1, info->agent, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, info->sources, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)info->samples);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)info->seed);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)info->steps);
    sqlite3_bind_text(st, 6, info->settings, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, info->version ? info->version : "unknown", -1, SQLITE_STATIC);
}

enum core_rc db_training_begin(struct db *db, const struct db_training_info *info,
                               int64_t *train_id, struct core_err *e)
{
    enum core_rc rc = exec_bound(db,
                                 "INSERT INTO trainings (agent, sources, samples, seed, steps, "
                                 "settings, version, started_at, status) VALUES (?1, ?2, ?3, "
                                 "?4, ?5, ?6, ?7, " DB_NOW_SQL ", 'running')",
                                 bind_begin, info, "recording the start of a training", e);

    if (rc == CORE_OK)
        *train_id = sqlite3_last_insert_rowid(db->conn);
    return rc;
}

struct end_args {
    int64_t id;
    const char *status;
};

static void bind_end(sqlite3_stmt *st, const void *ctx)
{
    const struct end_args *a = ctx;

    sqlite3_bind_text(st, 1, a->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->id);
}

enum core_rc db_training_end(struct db *db, int64_t train_id, const char *status,
                             struct core_err *e)
{
    const struct end_args a = {train_id, status};

    return exec_bound(db,
                      "UPDATE trainings SET status = ?1, finished_at = " DB_NOW_SQL
                      " WHERE train_id = ?2 AND status = 'running'",
                      bind_end, &a, "recording the end of a training", e);
}
