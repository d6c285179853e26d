/*
 * db.c — the results database: one SQLite connection per run driver, the
 * `runs` row of each run and the rows it records.
 *
 * A connection runs in WAL mode with synchronous=NORMAL: a committed
 * transaction survives the process being killed (kill -9 leaves a database
 * that opens cleanly, WAL replayed), and readers (`coinfer report`) never
 * block the writer. Foreign keys are on, so rows of a run that does not exist
 * are refused. Statements are prepared once per connection and reused.
 *
 * A run's lifecycle: io_db_run_begin inserts its row as 'running' and commits
 * at once, so a run killed later is still visible as 'running';
 * io_db_insert_requests and io_db_insert_radio_samples (and, in
 * db_collab.c, io_db_insert_inferences and io_db_insert_messages) append
 * one batch per transaction (all of the batch or none of it); io_db_run_end
 * writes the final status and finished_at. Profiles (io_db_insert_profiles) belong to
 * no run: one batch is one profile, its rows sharing one profiled_at.
 * Times of day are ISO-8601 UTC text with milliseconds
 * ("2026-11-24T18:19:05.123Z"), simulated times are seconds (REAL).
 *
 * coinfer's own memory (the handle, the path) comes from the counted
 * allocator; SQLite keeps its own heap.
 */
#include "io/io.h"
#include "io/db_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ISO-8601 UTC with milliseconds, as SQL. */
#define DB_NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* The statements of a handle, in the order they are prepared. */
struct db_statement {
    size_t offset;    /* offsetof(struct io_db, the sqlite3_stmt * field) */
    const char *what; /* for error messages */
    const char *sql;
};

static const struct db_statement db_statements[] = {
    {offsetof(struct io_db, begin), "BEGIN", "BEGIN IMMEDIATE"},
    {offsetof(struct io_db, commit), "COMMIT", "COMMIT"},
    {offsetof(struct io_db, insert_run), "the runs insert",
     "INSERT INTO runs (scenario, scenario_sha256, policy, seed, version, started_at, status) "
     "VALUES (?1, ?2, ?3, ?4, ?5, " DB_NOW_SQL ", 'running')"},
    {offsetof(struct io_db, end_run), "the runs update",
     "UPDATE runs SET status = ?2, finished_at = " DB_NOW_SQL
     " WHERE run_id = ?1 AND status = 'running'"},
    {offsetof(struct io_db, insert_request), "the requests insert",
     "INSERT INTO requests (run_id, request_id, ue_id, server_id, t_arrival_s, t_start_s, "
     "t_done_s, wait_s, service_s, sojourn_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
    {offsetof(struct io_db, insert_radio), "the radio_samples insert",
     "INSERT INTO radio_samples (run_id, ue_id, t_s, cell_id, x_m, y_m, ul_sinr_db, dl_sinr_db, "
     "ul_cqi, dl_cqi, ul_rate_bps, dl_rate_bps) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
    {offsetof(struct io_db, insert_profile), "the profiles insert",
     "INSERT INTO profiles (model, layer_index, layer_name, layer_type, resource, threads, "
     "flops, params, out_bytes, latency_s, reps, latency_min_s, latency_max_s, profiled_at) "
     "VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?1)"},
    {offsetof(struct io_db, insert_inference), "the inferences insert",
     "INSERT INTO inferences (run_id, inference_id, ue_id, cell_id, model, policy, split, "
     "t_request_s, t_done_s, latency_s, ue_compute_s, uplink_s, edge_queue_s, edge_compute_s, "
     "downlink_s, signaling_s, ue_energy_j, edge_energy_j, correct, declined, overridden, "
     "deadline_met, ue_alloc, edge_alloc) VALUES (?1, ?3, ?4, ?5, ?6, ?2, ?7, ?8, ?9, ?10, ?11, "
     "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"},
    {offsetof(struct io_db, insert_message), "the messages insert",
     "INSERT INTO messages (run_id, t_s, src, dst, type, bytes, inference_id) "
     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
};

/* Final statuses io_db_run_end accepts ('running' is only ever the first). */
static const char *const final_statuses[] = {"complete", "failed", "interrupted"};

enum core_rc io_db_rc(int sqlite_rc)
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

enum core_rc io_db_err_at(struct core_err *e, sqlite3 *conn, const char *origin, const char *path,
                          const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return core_err_at(e, io_db_rc(sqlite3_extended_errcode(conn)), origin, "%s: %s: %s", path,
                       what, sqlite3_errmsg(conn));
}

int io_db_schema_version(void)
{
    return IO_DB_SCHEMA_VERSION;
}

/* mkdir -p of the directories above path (not path itself). */
static enum core_rc make_parents(const char *path, struct core_err *e)
{
    char *dir = core_strdup(path);
    enum core_rc rc = CORE_OK;
    char *slash;

    if (!dir)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", path);
    for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            rc = core_err(e, CORE_E_IO, "%s: cannot create directory %s: %s", path, dir,
                          strerror(errno));
            break;
        }
        *slash = '/';
    }
    core_free(dir);
    return rc;
}

/* Run a PRAGMA that returns nothing we need. */
static enum core_rc db_pragma(struct io_db *db, const char *sql, struct core_err *e)
{
    if (sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK)
        return io_db_err(e, db->conn, db->path, "%s", sql);
    return CORE_OK;
}

/* Switch to WAL and check that SQLite did (it answers with the mode it is
 * in, which stays "memory" or "delete" where WAL is impossible). */
static enum core_rc db_set_wal(struct io_db *db, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    const unsigned char *mode;

    if (sqlite3_prepare_v2(db->conn, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = io_db_err(e, db->conn, db->path, "switching to WAL journal mode");
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

static enum core_rc db_prepare(struct io_db *db, struct core_err *e)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(db_statements); i++) {
        sqlite3_stmt **st = (sqlite3_stmt **)((char *)db + db_statements[i].offset);

        if (sqlite3_prepare_v3(db->conn, db_statements[i].sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                               NULL) != SQLITE_OK)
            return io_db_err(e, db->conn, db->path, "preparing %s", db_statements[i].what);
    }
    return CORE_OK;
}

struct io_db *io_db_open(const char *path, struct core_err *e)
{
    struct io_db *db;
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
    if (make_parents(path, e) != CORE_OK)
        goto out_close;

    src = sqlite3_open_v2(path, &db->conn,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        if (!db->conn)
            core_err(e, CORE_E_NOMEM, "%s: out of memory opening the results database", path);
        else
            io_db_err(e, db->conn, path, "cannot open the results database");
        goto out_close;
    }
    sqlite3_extended_result_codes(db->conn, 1);
    sqlite3_busy_timeout(db->conn, (int)(IO_DB_BUSY_TIMEOUT_S * 1000.0));

    /* The version is read first: it tells a database from any other file
     * (and one too new for us) before a PRAGMA tries to change it. */
    if (io_db_read_version(db->conn, path, &version, e) != CORE_OK ||
        db_set_wal(db, e) != CORE_OK ||
        db_pragma(db, "PRAGMA synchronous = NORMAL", e) != CORE_OK ||
        db_pragma(db, "PRAGMA foreign_keys = ON", e) != CORE_OK ||
        io_db_migrate(db->conn, path, e) != CORE_OK || db_prepare(db, e) != CORE_OK)
        goto out_close;
    return db;

out_close:
    io_db_close(db);
    return NULL;
}

void io_db_close(struct io_db *db)
{
    size_t i;

    if (!db)
        return;
    for (i = 0; i < ARRAY_LEN(db_statements); i++)
        sqlite3_finalize(*(sqlite3_stmt **)((char *)db + db_statements[i].offset));
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

enum core_rc io_db_run_begin(struct io_db *db, const struct io_run_info *info, int64_t *run_id,
                             struct core_err *e)
{
    sqlite3_stmt *st = db->insert_run;

    CORE_ASSERT(info->scenario && info->policy);
    sqlite3_bind_text(st, 1, info->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, info->scenario_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, info->policy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)info->seed);
    sqlite3_bind_text(st, 5, info->version, -1, SQLITE_STATIC);
    if (db_step_done(st) != SQLITE_DONE)
        return io_db_err(e, db->conn, db->path, "recording the start of a run of %s",
                         info->scenario);
    *run_id = sqlite3_last_insert_rowid(db->conn);
    return CORE_OK;
}

static void db_rollback(struct io_db *db)
{
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}

enum core_rc io_db_insert_batch(struct io_db *db, sqlite3_stmt *st, const struct io_db_batch *b,
                                int64_t run_id, const void *rows, size_t n, const void *ctx,
                                const char *origin, struct core_err *e)
{
    char whose[48] = "";
    enum core_rc rc;
    size_t i;

    if (n == 0)
        return CORE_OK;
    if (b->per_run)
        snprintf(whose, sizeof(whose), " of run %lld", (long long)run_id);
    if (db_step_done(db->begin) != SQLITE_DONE)
        return io_db_err_at(e, db->conn, origin, db->path, "starting a batch of %zu %s%s", n,
                            b->rows_name, whose);
    for (i = 0; i < n; i++) {
        const void *row = (const char *)rows + i * b->row_size;

        b->bind(st, run_id, row, ctx);
        if (sqlite3_step(st) != SQLITE_DONE) {
            char name[128];

            b->describe(row, name, sizeof(name));
            rc = io_db_err_at(e, db->conn, origin, db->path, "recording %s%s", name, whose);
            sqlite3_reset(st);
            goto out_rollback;
        }
        sqlite3_reset(st);
    }
    if (db_step_done(db->commit) != SQLITE_DONE) {
        rc = io_db_err_at(e, db->conn, origin, db->path, "committing %zu %s%s", n, b->rows_name,
                          whose);
        goto out_rollback;
    }
    return CORE_OK;

out_rollback:
    db_rollback(db);
    return rc;
}

static void bind_request(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_request_record *r = row;

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->request_id);
    sqlite3_bind_int64(st, 3, r->ue_id);
    sqlite3_bind_int64(st, 4, r->server_id);
    sqlite3_bind_double(st, 5, r->t_arrival_s);
    sqlite3_bind_double(st, 6, r->t_start_s);
    sqlite3_bind_double(st, 7, r->t_done_s);
    sqlite3_bind_double(st, 8, r->t_start_s - r->t_arrival_s);
    sqlite3_bind_double(st, 9, r->t_done_s - r->t_start_s);
    sqlite3_bind_double(st, 10, r->t_done_s - r->t_arrival_s);
}

static void describe_request(const void *row, char *buf, size_t size)
{
    const struct proto_request_record *r = row;

    snprintf(buf, size, "request %llu", (unsigned long long)r->request_id);
}

static const struct io_db_batch request_batch = {
    .rows_name = "requests",
    .row_size = sizeof(struct proto_request_record),
    .per_run = true,
    .bind = bind_request,
    .describe = describe_request,
};

enum core_rc io_db_insert_requests(struct io_db *db, int64_t run_id,
                                   const struct proto_request_record *rows, size_t n,
                                   struct core_err *e)
{
    return io_db_insert_batch(db, db->insert_request, &request_batch, run_id, rows, n, NULL,
                              __func__, e);
}

static void bind_radio_sample(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct radio_sample *r = row;

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, r->ue);
    sqlite3_bind_double(st, 3, r->t_s);
    sqlite3_bind_int64(st, 4, r->cell);
    sqlite3_bind_double(st, 5, r->x_m);
    sqlite3_bind_double(st, 6, r->y_m);
    sqlite3_bind_double(st, 7, r->ul_sinr_db);
    sqlite3_bind_double(st, 8, r->dl_sinr_db);
    sqlite3_bind_int64(st, 9, r->ul_cqi);
    sqlite3_bind_int64(st, 10, r->dl_cqi);
    sqlite3_bind_double(st, 11, r->ul_rate_bps);
    sqlite3_bind_double(st, 12, r->dl_rate_bps);
}

static void describe_radio_sample(const void *row, char *buf, size_t size)
{
    const struct radio_sample *r = row;

    snprintf(buf, size, "the radio sample of UE %u at %g s", (unsigned)r->ue, r->t_s);
}

static const struct io_db_batch radio_sample_batch = {
    .rows_name = "radio samples",
    .row_size = sizeof(struct radio_sample),
    .per_run = true,
    .bind = bind_radio_sample,
    .describe = describe_radio_sample,
};

enum core_rc io_db_insert_radio_samples(struct io_db *db, int64_t run_id,
                                        const struct radio_sample *rows, size_t n,
                                        struct core_err *e)
{
    return io_db_insert_batch(db, db->insert_radio, &radio_sample_batch, run_id, rows, n, NULL,
                              __func__, e);
}

/* Profile rows bind ?2..?14; ?1 (profiled_at) is bound once per batch. */
static void bind_profile(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct io_profile_row *r = row;

    (void)run_id;
    sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->layer_index);
    sqlite3_bind_text(st, 4, r->layer_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->layer_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->resource, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->threads);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->flops);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->params);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->out_bytes);
    sqlite3_bind_double(st, 11, r->latency_s);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->reps);
    sqlite3_bind_double(st, 13, r->latency_min_s);
    sqlite3_bind_double(st, 14, r->latency_max_s);
}

static void describe_profile(const void *row, char *buf, size_t size)
{
    const struct io_profile_row *r = row;

    snprintf(buf, size, "the profile of %s layer %d (%s)", r->model ? r->model : "(null)",
             r->layer_index, r->layer_name ? r->layer_name : "(null)");
}

static const struct io_db_batch profile_batch = {
    .rows_name = "profile rows",
    .row_size = sizeof(struct io_profile_row),
    .per_run = false,
    .bind = bind_profile,
    .describe = describe_profile,
};

/* Now as ISO-8601 UTC text with milliseconds, as DB_NOW_SQL writes it. */
static void db_now_text(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    char day[24];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03ldZ", day, ts.tv_nsec / 1000000L);
}

enum core_rc io_db_insert_profiles(struct io_db *db, const struct io_profile_row *rows, size_t n,
                                   struct core_err *e)
{
    enum core_rc rc;

    db_now_text(db->profiled_at, sizeof(db->profiled_at));
    sqlite3_bind_text(db->insert_profile, 1, db->profiled_at, -1, SQLITE_STATIC);
    rc = io_db_insert_batch(db, db->insert_profile, &profile_batch, 0, rows, n, NULL, __func__, e);
    sqlite3_clear_bindings(db->insert_profile);
    return rc;
}

enum core_rc io_db_run_end(struct io_db *db, int64_t run_id, const char *status, struct core_err *e)
{
    sqlite3_stmt *st = db->end_run;
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
        return io_db_err(e, db->conn, db->path, "recording the end of run %lld", (long long)run_id);
    if (sqlite3_changes(db->conn) != 1)
        return core_err(e, CORE_E_DB, "%s: run %lld does not exist or has already ended", db->path,
                        (long long)run_id);
    return CORE_OK;
}
