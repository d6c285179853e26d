/*
 * db.c — the results database: one SQLite connection per run driver, the
 * `runs` row of each run and the batches of rows it records (each table's
 * INSERT and bindings are tables.c's).
 *
 * A connection runs in WAL mode with synchronous=NORMAL: a committed
 * transaction survives the process being killed (kill -9 leaves a database
 * that opens cleanly, WAL replayed), and readers (`coinfer report`) never
 * block the writer. Foreign keys are on, so rows of a run that does not exist
 * are refused. Statements are prepared once per connection and reused.
 *
 * A run's lifecycle: db_run_begin inserts its row as 'running' and commits
 * at once, so a run killed later is still visible as 'running'; db_insert
 * appends one batch per transaction (all of the batch or none of it);
 * db_run_end writes the final status and finished_at. Profiles belong to no
 * run: one batch is one profile, its rows sharing one profiled_at.
 * Times of day are ISO-8601 UTC text with milliseconds
 * ("2026-11-24T18:19:05.123Z"), simulated times are seconds (REAL).
 *
 * coinfer's own memory (the handle, the path) comes from the counted
 * allocator; SQLite keeps its own heap.
 */
#include "db/db_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ISO-8601 UTC with milliseconds, as SQL. */

/* The control statements, indexed by enum db_stmt. */
static const struct {
    const char *what; /* for error messages */
    const char *sql;
} db_statements[] = {
    [DB_STMT_BEGIN] = {"BEGIN", "BEGIN IMMEDIATE"},
    [DB_STMT_COMMIT] = {"COMMIT", "COMMIT"},
    [DB_STMT_CONFIG] = {"the configs insert",
                        "INSERT OR IGNORE INTO configs (config_sha256, config) VALUES (?1, ?2)"},
    [DB_STMT_RUN_BEGIN] = {"the runs insert",
                           "INSERT INTO runs (scenario, scenario_sha256, policy, seed, version, "
                           "started_at, status, config_sha256, overrides) VALUES (?1, ?2, ?3, "
                           "?4, ?5, " DB_NOW_SQL ", 'running', ?6, ?7)"},
    [DB_STMT_RUN_END] = {"the runs update",
                         "UPDATE runs SET status = ?2, finished_at = " DB_NOW_SQL
                         " WHERE run_id = ?1 AND status = 'running'"},
};
static_assert(ARRAY_LEN(db_statements) == DB_STMT_COUNT, "one statement per enum db_stmt");

/* Final statuses db_run_end accepts ('running' is only ever the first). */
static const char *const final_statuses[] = {"complete", "failed", "interrupted"};

enum core_rc db_rc(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_NOMEM:
        return CORE_E_NOMEM;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return CORE_E_INPUT;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return CORE_E_IO;
    default:
        return CORE_E_DB;
    }
}

enum core_rc db_err_at(struct core_err *e, sqlite3 *conn, const char *origin, const char *path,
                       const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return core_err_at(e, db_rc(sqlite3_extended_errcode(conn)), origin, "%s: %s: %s", path,
                       what, sqlite3_errmsg(conn));
}

int db_schema_version(void)
{
    return DB_SCHEMA_VERSION;
}

const char *db_path(const struct db *db)
{
    return db->path;
}

/* Where the database may go: an existing regular file, or a new file in an
 * existing directory; of directories only results/ is created (the home of
 * the default databases, results/NAME.db), never one elsewhere. */
static enum core_rc check_place(const char *path, struct core_err *e)
{
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (path[0] == '\0')
        return core_err(e, CORE_E_INPUT, "an empty path cannot name a results database");
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return core_err(e, CORE_E_INPUT,
                            "%s: not a regular file: a results database must be one", path);
        return CORE_OK;
    }
    if (errno != ENOENT)
        return core_err(e, CORE_E_IO, "%s: %s", path, strerror(errno));
    if (slash == NULL || slash == path)
        return CORE_OK;
    if ((size_t)(slash - path) == strlen("results") && strncmp(path, "results", 7) == 0) {
        if (mkdir("results", 0777) != 0 && errno != EEXIST)
            return core_err(e, CORE_E_IO, "%s: cannot create directory results: %s", path,
                            strerror(errno));
        return CORE_OK;
    }
    {
        char *dir = core_strdup(path);
        enum core_rc rc = CORE_OK;

        if (!dir)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory", path);
        dir[slash - path] = '\0';
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            rc = core_err(e, CORE_E_INPUT,
                          "%s: directory %s does not exist (coinfer creates none but results/)",
                          path, dir);
        core_free(dir);
        return rc;
    }
}

/* Run a PRAGMA that returns nothing we need. */
static enum core_rc db_pragma(struct db *db, const char *sql, struct core_err *e)
{
    if (sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(e, db->conn, db->path, "%s", sql);
    return CORE_OK;
}

/* Switch to WAL and check that SQLite did (it answers with the mode it is
 * in, which stays "memory" or "delete" where WAL is impossible). */
static enum core_rc db_set_wal(struct db *db, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    const unsigned char *mode;

    if (sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = db_err(e, db->conn, db->path, "switching to WAL journal mode");
        goto out_finalize;
    }
    mode = sqlite3_column_text(st, 0);
    if (!mode || strcmp((const char *)mode, "wal") != 0)
        rc = core_err(e, CORE_E_DB, "%s: the database cannot use WAL journal mode (it is in %s)",
                      db->path, mode ? (const char *)mode : "an unknown mode");
out_finalize:
    sqlite3_finalize(st);
    return rc;
}

static enum core_rc db_prepare(struct db *db, struct core_err *e)
{
    for (size_t i = 0; i < DB_STMT_COUNT; i++)
        if (sqlite3_prepare_v3(db->conn, db_statements[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &db->stmt[i], NULL) != SQLITE_OK)
            return db_err(e, db->conn, db->path, "preparing %s", db_statements[i].what);
    for (size_t t = 0; t < DB_TABLE_COUNT; t++)
        if (sqlite3_prepare_v3(db->conn, db_tables[t].insert_sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &db->insert[t], NULL) != SQLITE_OK)
            return db_err(e, db->conn, db->path, "preparing the %s insert",
                          db_tables[t].rows_name);
    return CORE_OK;
}

struct db *db_open(const char *path, struct core_err *e)
{
    struct db *db;
    int src, version;

    db = core_calloc(1, sizeof(*db));
    if (!db) {
        core_err(e, CORE_E_NOMEM, "%s: out of memory opening the results database", path);
        return NULL;
    }
    db->path = core_strdup(path);
    if (!db->path) {
        core_err(e, CORE_E_NOMEM, "%s: out of memory opening the results database", path);
        goto out_close;
    }
    if (check_place(path, e) != CORE_OK)
        goto out_close;

    src = sqlite3_open_v2(path, &db->conn,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        if (!db->conn)
            core_err(e, CORE_E_NOMEM, "%s: out of memory opening the results database", path);
        else
            db_err(e, db->conn, path, "cannot open the results database");
        goto out_close;
    }
    sqlite3_extended_result_codes(db->conn, 1);
    sqlite3_busy_handler(db->conn, db_busy_wait, &db->busy_since);

    /* The version is read first: it tells a database from any other file
     * (and one too new for us) before a PRAGMA tries to change it. */
    if (db_read_version(db->conn, path, &version, e) != CORE_OK ||
        db_set_wal(db, e) != CORE_OK ||
        db_pragma(db, "PRAGMA synchronous = NORMAL", e) != CORE_OK ||
        db_pragma(db, "PRAGMA foreign_keys = ON", e) != CORE_OK ||
        db_migrate(db->conn, path, e) != CORE_OK || db_prepare(db, e) != CORE_OK)
        goto out_close;
    return db;

out_close:
    db_close(db);
    return NULL;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < DB_STMT_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    for (size_t t = 0; t < DB_TABLE_COUNT; t++)
        sqlite3_finalize(db->insert[t]);
    if (db->conn) {
        if (!sqlite3_get_autocommit(db->conn))
            sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db->conn);
    }
    core_free(db->path);
    core_free(db);
}

/* Step a statement that returns no row, then reset it and drop its bindings
 * (they may point into the caller's memory). SQLITE_DONE on success. */
static int db_step_done(sqlite3_stmt *st)
{
    int src = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return src;
}

enum core_rc db_run_begin(struct db *db, const struct db_run_info *info, int64_t *run_id,
                          struct core_err *e)
{
    sqlite3_stmt *st = db->stmt[DB_STMT_RUN_BEGIN];

    CORE_ASSERT(info->scenario && info->policy);
    CORE_ASSERT(!info->config == !info->config_sha256);
    if (db_step_done(db->stmt[DB_STMT_BEGIN]) != SQLITE_DONE)
        return db_err(e, db->conn, db->path, "recording the start of a run of %s",
                      info->scenario);
    if (info->config) {
        sqlite3_stmt *cs = db->stmt[DB_STMT_CONFIG];

        sqlite3_bind_text(cs, 1, info->config_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(cs, 2, info->config, -1, SQLITE_STATIC);
        if (db_step_done(cs) != SQLITE_DONE)
            goto out_rollback;
    }
    sqlite3_bind_text(st, 1, info->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, info->scenario_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, info->policy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)info->seed);
    sqlite3_bind_text(st, 5, info->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, info->config_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, info->overrides && info->overrides[0] ? info->overrides : NULL, -1,
                      SQLITE_STATIC);
    if (db_step_done(st) != SQLITE_DONE)
        goto out_rollback;
    *run_id = sqlite3_last_insert_rowid(db->conn);
    if (db_step_done(db->stmt[DB_STMT_COMMIT]) != SQLITE_DONE)
        goto out_rollback;
    return CORE_OK;

out_rollback:
    {
        enum core_rc rc = db_err(e, db->conn, db->path, "recording the start of a run of %s",
                                 info->scenario);

        if (!sqlite3_get_autocommit(db->conn))
            sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
}

static void db_rollback(struct db *db)
{
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}

enum core_rc db_insert_after(struct db *db, enum db_table t, int64_t run_id, const void *rows,
                             size_t n, const void *ctx, sqlite3_stmt *before, struct core_err *e)
{
    const struct db_table_spec *b = &db_tables[t];
    sqlite3_stmt *st;
    char whose[48] = "";
    enum core_rc rc;
    size_t i;

    CORE_ASSERT((unsigned)t < DB_TABLE_COUNT);
    if (n == 0)
        return CORE_OK;
    st = db->insert[t];
    if (b->per_run)
        snprintf(whose, sizeof(whose), " of run %lld", (long long)run_id);
    if (db_step_done(db->stmt[DB_STMT_BEGIN]) != SQLITE_DONE)
        return db_err(e, db->conn, db->path, "starting a batch of %zu %s%s", n, b->rows_name,
                      whose);
    if (before && db_step_done(before) != SQLITE_DONE) {
        rc = db_err(e, db->conn, db->path, "making room for %zu %s%s", n, b->rows_name, whose);
        goto out_rollback;
    }
    if (b->bind_batch)
        b->bind_batch(db, st, ctx);
    for (i = 0; i < n; i++) {
        const void *row = (const char *)rows + i * b->row_size;

        b->bind(st, run_id, row, ctx);
        if (sqlite3_step(st) != SQLITE_DONE) {
            char name[128];

            b->describe(row, name, sizeof(name));
            rc = db_err(e, db->conn, db->path, "recording %s%s", name, whose);
            sqlite3_reset(st);
            goto out_rollback;
        }
        sqlite3_reset(st);
    }
    if (db_step_done(db->stmt[DB_STMT_COMMIT]) != SQLITE_DONE) {
        rc = db_err(e, db->conn, db->path, "committing %zu %s%s", n, b->rows_name, whose);
        goto out_rollback;
    }
    sqlite3_clear_bindings(st);
    return CORE_OK;

out_rollback:
    sqlite3_clear_bindings(st);
    db_rollback(db);
    return rc;
}

enum core_rc db_insert(struct db *db, enum db_table t, int64_t run_id, const void *rows, size_t n,
                       const void *ctx, struct core_err *e)
{
    return db_insert_after(db, t, run_id, rows, n, ctx, NULL, e);
}

void db_now_text(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char day[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03ldZ", day, ts.tv_nsec / 1000000L);
}

enum core_rc db_run_end(struct db *db, int64_t run_id, const char *status, struct core_err *e)
{
    sqlite3_stmt *st = db->stmt[DB_STMT_RUN_END];
    bool known = false;
    size_t i;

    for (i = 0; i < ARRAY_LEN(final_statuses); i++)
        known = known || strcmp(status, final_statuses[i]) == 0;
    if (!known)
        return core_err(e, CORE_E_DB,
                        "%s: run %lld: '%s' is not a final run status (complete, failed or "
                        "interrupted)",
                        db->path, (long long)run_id, status);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (db_step_done(st) != SQLITE_DONE)
        return db_err(e, db->conn, db->path, "recording the end of run %lld", (long long)run_id);
    if (sqlite3_changes(db->conn) != 1)
        return core_err(e, CORE_E_DB, "%s: run %lld does not exist or has already ended", db->path,
                        (long long)run_id);
    return CORE_OK;
}
