/*
 * reader.c — reading a results database: a read-only snapshot and the
 * queries reports need, one table of them indexed by enum db_query.
 *
 * The file is opened read-only (nothing is created or migrated) and read
 * inside one transaction, so every query of a reader sees the same
 * snapshot even while a run writes (WAL). Each query names the schema
 * version its tables arrived in; on an older database it returns no row.
 * Per-run queries scan the run's key range in key order and let the caller
 * sort: a third of the time of ORDER BY, whose sorter spills to temporary
 * files on large runs.
 */
#include "db/db_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct db_reader {
    sqlite3 *conn;  /* read-only connection (owned) */
    char *path;     /* the file (owned) */
    int version;    /* its schema version */
    bool in_txn;    /* the read transaction is open */
};

/* The columns a run's summary reads from inferences i, in the order of
 * the four inference queries below (their first eight). */
#define SUMMARY_COLUMNS                                                                      \
    "i.latency_s, i.ue_energy_j, i.edge_energy_j, i.declined, i.overridden, "               \
    "i.deadline_met, i.correct, i.t_done_s IS NOT NULL"

static const struct {
    int since;       /* schema version its tables arrived in */
    bool per_run;    /* binds ?1 to a run id */
    const char *what; /* for error messages: "reading <what>" */
    const char *sql;
} queries[] = {
    [DB_Q_RUNS] = {1, false, "the runs",
                   "SELECT run_id, scenario, policy, seed, status, started_at, finished_at, "
                   "(SELECT count(*) FROM requests q WHERE q.run_id = r.run_id), version "
                   "FROM runs r ORDER BY run_id"},
    [DB_Q_RUNS_WITH_REQUESTS] = {1, false, "the runs",
                                 "SELECT run_id FROM runs r WHERE EXISTS "
                                 "(SELECT 1 FROM requests q WHERE q.run_id = r.run_id) "
                                 "ORDER BY run_id"},
    [DB_Q_REQUESTS_OF_RUN] = {1, true, "the requests of a run",
                              "SELECT t_arrival_s, t_start_s, t_done_s, wait_s, service_s, "
                              "sojourn_s FROM requests WHERE run_id = ?1"},
    [DB_Q_RUNS_WITH_RADIO] = {2, false, "the radio samples",
                              "SELECT run_id, (SELECT count(DISTINCT ue_id) FROM radio_samples s "
                              "WHERE s.run_id = r.run_id) FROM runs r WHERE EXISTS "
                              "(SELECT 1 FROM radio_samples s WHERE s.run_id = r.run_id) "
                              "ORDER BY run_id"},
    [DB_Q_RADIO_OF_RUN] = {2, true, "the radio samples of a run",
                           "SELECT ul_sinr_db, dl_sinr_db, ul_rate_bps, dl_rate_bps "
                           "FROM radio_samples WHERE run_id = ?1"},
    [DB_Q_RUNS_WITH_INFERENCES] = {4, false, "the inferences",
                                   "SELECT run_id, policy FROM runs r WHERE EXISTS "
                                   "(SELECT 1 FROM inferences i WHERE i.run_id = r.run_id) "
                                   "ORDER BY run_id"},
    [DB_Q_INFERENCES_OF_RUN] = {6, true, "the inferences of a run",
                                "SELECT " SUMMARY_COLUMNS ", coalesce(i.no_plan_layer, -1) "
                                "FROM inferences i WHERE i.run_id = ?1"},
    [DB_Q_INFERENCES_BY_MODEL] = {6, true, "the inferences of a run",
                                  "SELECT " SUMMARY_COLUMNS ", coalesce(i.no_plan_layer, -1), "
                                  "i.model FROM inferences i WHERE i.run_id = ?1"},
    [DB_Q_INFERENCES_BY_DEVICE] = {6, true, "the inferences of a run",
                                   "SELECT " SUMMARY_COLUMNS ", coalesce(i.no_plan_layer, -1), "
                                   "coalesce(u.device, '-') FROM inferences i LEFT JOIN ues u "
                                   "ON u.run_id = i.run_id AND u.ue_id = i.ue_id "
                                   "WHERE i.run_id = ?1"},
    [DB_Q_INFERENCES_OF_RUN_V4] = {4, true, "the inferences of a run",
                                   "SELECT " SUMMARY_COLUMNS ", -1 FROM inferences i "
                                   "WHERE i.run_id = ?1"},
    [DB_Q_PROFILES] = {3, false, "the profiles",
                       "SELECT model, resource, threads, sum(layer_index >= 0), max(reps), "
                       "max(CASE WHEN layer_index = -1 THEN latency_s END), "
                       "max(CASE WHEN layer_index = -1 THEN flops END), "
                       "max(CASE WHEN layer_index = -1 THEN params END), profiled_at "
                       "FROM profiles GROUP BY profiled_at, model, resource, threads "
                       "ORDER BY profiled_at, model, resource, threads"},
    [DB_Q_PROFILES_BY_HOST] = {11, false, "the profiles",
                               "SELECT model, resource, threads, sum(layer_index >= 0), "
                               "max(reps), max(CASE WHEN layer_index = -1 THEN latency_s END), "
                               "max(CASE WHEN layer_index = -1 THEN flops END), "
                               "max(CASE WHEN layer_index = -1 THEN params END), profiled_at, "
                               "coalesce(host_key, '-') FROM profiles "
                               "GROUP BY profiled_at, model, resource, threads, host_key "
                               "ORDER BY profiled_at, model, resource, threads, host_key"},
    [DB_Q_RUN_OVERRIDES] = {5, false, "the overrides",
                            "SELECT run_id, overrides FROM runs WHERE overrides IS NOT NULL "
                            "ORDER BY run_id"},
    [DB_Q_RUN_CONFIG] = {5, true, "the configuration of a run",
                         "SELECT c.config FROM runs r JOIN configs c USING (config_sha256) "
                         "WHERE r.run_id = ?1"},
    [DB_Q_SWEEP_POINTS] = {8, false, "the sweep points",
                           "SELECT p.sweep, p.policy, p.run_id, coalesce((SELECT "
                           "group_concat(v.factor || '=' || v.value, ', ') FROM (SELECT factor, "
                           "value FROM sweep_values w WHERE w.point_key = p.point_key ORDER BY "
                           "factor_index) v), ''), p.combination, p.replication, p.seed, "
                           "p.point_index FROM sweep_points p WHERE p.status = "
                           "'complete' ORDER BY p.sweep, p.point_index"},
    [DB_Q_SWEEP_VALUES_OF_RUN] = {8, true, "a sweep point's values",
                                  "SELECT w.factor, w.path, w.value, w.value_num FROM "
                                  "sweep_values w JOIN sweep_points p USING (point_key) "
                                  "WHERE p.run_id = ?1 ORDER BY w.factor_index"},
    [DB_Q_POLICY_MEANS] = {4, false, "the inferences per policy",
                           "SELECT r.policy, count(DISTINCT r.run_id), count(*), "
                           "avg(i.ue_compute_s), avg(i.uplink_s), avg(i.edge_queue_s), "
                           "avg(i.edge_compute_s), avg(i.downlink_s), avg(i.signaling_s), "
                           "avg(i.latency_s), avg(i.ue_energy_j), avg(i.edge_energy_j), "
                           "group_concat(DISTINCT r.scenario) FROM inferences i JOIN runs r "
                           "USING (run_id) WHERE i.t_done_s IS NOT NULL AND r.status = "
                           "'complete' GROUP BY r.policy ORDER BY min(r.run_id)"},
    [DB_Q_LATENCIES] = {4, false, "the latencies",
                        "SELECT r.policy, i.latency_s FROM inferences i JOIN runs r "
                        "USING (run_id) WHERE i.t_done_s IS NOT NULL AND r.status = "
                        "'complete' ORDER BY r.run_id"},
    [DB_Q_RUNS_WITH_SAMPLES] = {9, false, "the runs with samples",
                                "SELECT r.run_id, c.config FROM runs r JOIN configs c USING "
                                "(config_sha256) WHERE r.status = 'complete' AND EXISTS "
                                "(SELECT 1 FROM sample_rows s WHERE s.run_id = r.run_id) "
                                "ORDER BY r.run_id"},
    [DB_Q_SAMPLES_OF_RUN] = {9, true, "the samples of a run",
                             "SELECT device, model, state, action, reward, inference_id "
                             "FROM sample_rows WHERE run_id = ?1 ORDER BY inference_id"},
    [DB_Q_RUNS_FOR_REGRET] = {9, false, "the runs with samples",
                              "SELECT run_id, policy, seed, config_sha256 FROM runs r WHERE "
                              "r.status = 'complete' AND r.config_sha256 IS NOT NULL AND EXISTS "
                              "(SELECT 1 FROM sample_rows s WHERE s.run_id = r.run_id) "
                              "ORDER BY seed, config_sha256, run_id"},
    [DB_Q_UE_OPTIONS_OF_RUN] = {9, true, "the sample fields of a run",
                                "SELECT device, model, sum(substr(name, 1, 10) = 'ue_wait_s[') FROM "
                                "sample_fields WHERE run_id = ?1 AND kind = 'state' "
                                "GROUP BY device, model"},
    [DB_Q_PLOT_RUNS] = {4, false, "the runs",
                        "SELECT run_id, policy, scenario, seed FROM runs r WHERE status = "
                        "'complete' AND EXISTS (SELECT 1 FROM inferences i WHERE i.run_id = "
                        "r.run_id AND i.t_done_s IS NOT NULL) ORDER BY run_id"},
    [DB_Q_PLANS_OF_RUN] = {7, true, "the plans of a run",
                           "SELECT model, split, ue_alloc, edge_alloc, plan_order, count(*) "
                           "FROM inferences WHERE run_id = ?1 AND t_done_s IS NOT NULL "
                           "GROUP BY model, split, ue_alloc, edge_alloc, plan_order"},
    [DB_Q_TRAINING_STEPS] = {9, false, "the training steps",
                             "SELECT t.train_id, t.agent, t.samples, t.seed, t.status, s.step, "
                             "s.loss, s.heldout_loss, s.heldout_regret FROM trainings t JOIN "
                             "training_steps s USING (train_id) ORDER BY t.train_id, s.step"},
    [DB_Q_ENCODINGS] = {13, false, "the inferences' encodings",
                        "SELECT i.run_id, r.policy, coalesce(i.encoding, 'none') AS e, "
                        "count(*) AS n, sum(count(*)) OVER (PARTITION BY i.run_id) "
                        "FROM inferences i JOIN runs r ON r.run_id = i.run_id "
                        "WHERE i.t_done_s IS NOT NULL AND EXISTS (SELECT 1 FROM inferences x "
                        "WHERE x.encoding <> 'fp32') GROUP BY i.run_id, i.encoding "
                        "ORDER BY i.run_id, n DESC, e"},
    [DB_Q_EXITS] = {14, false, "the inferences' exits",
                    "SELECT i.run_id, r.policy, coalesce(i.exit, 'none') AS x, "
                    "count(*) AS n, sum(count(*)) OVER (PARTITION BY i.run_id) "
                    "FROM inferences i JOIN runs r ON r.run_id = i.run_id "
                    "WHERE i.t_done_s IS NOT NULL AND EXISTS (SELECT 1 FROM inferences y "
                    "WHERE y.exit <> 'output') GROUP BY i.run_id, i.exit "
                    "ORDER BY i.run_id, n DESC, x"},
};
static_assert(ARRAY_LEN(queries) == DB_QUERY_COUNT, "one query per enum db_query");

#define MAX_COLUMNS 16 /* columns of the widest query */

/* A coinfer database has a schema version and its runs table, or (an empty
 * file) no table at all; an SQLite file with tables but not those is
 * someone else's. */
static enum core_rc has_schema(struct db_reader *r, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    int src;

    /* Version 0 with no table at all is an empty file: no runs yet. */
    if (sqlite3_prepare_v2(r->conn,
                           r->version == 0
                               ? "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                               : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'runs'",
                           -1, &st, NULL) != SQLITE_OK)
        return db_err(e, r->conn, r->path, "reading the schema");
    src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r->version == 0 ? src == SQLITE_DONE : src == SQLITE_ROW)
        return CORE_OK;
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        return core_err(e, CORE_E_INPUT,
                        "%s: not a coinfer results database (an SQLite file without coinfer's "
                        "schema: %s)",
                        r->path, r->version == 0 ? "tables of its own and no schema version"
                                                 : "it has no runs table");
    return db_err(e, r->conn, r->path, "reading the schema");
}

enum core_rc db_reader_open(const char *path, struct db_reader **out, struct core_err *e)
{
    struct db_reader *r;
    struct stat sb;
    enum core_rc rc;

    *out = NULL;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return core_err(e, CORE_E_INPUT, "%s: no such results database", path);
        return core_err(e, CORE_E_IO, "%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode))
        return core_err(e, CORE_E_INPUT, "%s: is a directory, not a results database", path);
    if (!S_ISREG(sb.st_mode))
        return core_err(e, CORE_E_INPUT, "%s: not a regular file, not a results database", path);
    r = core_calloc(1, sizeof(*r));
    if (r)
        r->path = core_strdup(path);
    if (!r || !r->path) {
        core_free(r);
        return core_err(e, CORE_E_NOMEM, "%s: out of memory opening the database", path);
    }
    if (sqlite3_open_v2(path, &r->conn, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        if (!r->conn)
            rc = core_err(e, CORE_E_NOMEM, "%s: out of memory opening the database", path);
        else
            rc = db_err(e, r->conn, path, "cannot open the results database");
        goto out_close;
    }
    sqlite3_extended_result_codes(r->conn, 1);
    sqlite3_busy_timeout(r->conn, (int)(DB_BUSY_TIMEOUT_S * 1000.0));
    if (sqlite3_exec(r->conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(e, r->conn, path, "starting a read transaction");
        goto out_close;
    }
    r->in_txn = true;
    rc = db_read_version(r->conn, path, &r->version, e);
    if (rc == CORE_OK)
        rc = has_schema(r, e);
    if (rc != CORE_OK)
        goto out_close;
    *out = r;
    return CORE_OK;

out_close:
    db_reader_close(r);
    return rc;
}

void db_reader_close(struct db_reader *r)
{
    if (!r)
        return;
    if (r->in_txn)
        sqlite3_exec(r->conn, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(r->conn);
    core_free(r->path);
    core_free(r);
}

int db_reader_version(const struct db_reader *r)
{
    return r->version;
}

const char *db_reader_path(const struct db_reader *r)
{
    return r->path;
}

sqlite3 *db_reader_conn(struct db_reader *r)
{
    return r->conn;
}

enum core_rc db_query(struct db_reader *r, enum db_query q, int64_t run_id, db_row_fn fn,
                      void *ctx, struct core_err *e)
{
    struct db_value cols[MAX_COLUMNS];
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    int src, n;

    CORE_ASSERT((unsigned)q < DB_QUERY_COUNT);
    if (r->version < queries[q].since)
        return CORE_OK;
    if (sqlite3_prepare_v2(r->conn, queries[q].sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, r->conn, r->path, "reading %s", queries[q].what);
    if (queries[q].per_run)
        sqlite3_bind_int64(st, 1, run_id);
    n = sqlite3_column_count(st);
    CORE_ASSERT(n <= MAX_COLUMNS);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < n; c++) {
            const unsigned char *text;

            cols[c].null = sqlite3_column_type(st, c) == SQLITE_NULL;
            cols[c].i = sqlite3_column_int64(st, c);
            cols[c].d = sqlite3_column_double(st, c);
            text = sqlite3_column_text(st, c);
            cols[c].text = text ? (const char *)text : "";
        }
        rc = fn(ctx, cols, (size_t)n, e);
        if (rc != CORE_OK)
            break;
    }
    if (rc == CORE_OK && src != SQLITE_DONE)
        rc = db_err(e, r->conn, r->path, "reading %s", queries[q].what);
    sqlite3_finalize(st);
    return rc;
}

/* ---- whole tables (coinfer export) ------------------------------------------------ */

enum core_rc db_reader_tables(struct db_reader *r, db_row_fn fn, void *ctx, struct core_err *e)
{
    static const char sql[] = "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                              "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
    struct db_value col;
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    int src;

    if (sqlite3_prepare_v2(r->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, r->conn, r->path, "listing the tables");
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);

        col = (struct db_value){.text = name ? (const char *)name : ""};
        rc = fn(ctx, &col, 1, e);
        if (rc != CORE_OK)
            break;
    }
    if (rc == CORE_OK && src != SQLITE_DONE)
        rc = db_err(e, r->conn, r->path, "listing the tables");
    sqlite3_finalize(st);
    return rc;
}

/* Append identifier id to buf (of size) double-quoted, its quotes doubled;
 * false when it does not fit. */
static bool quote_ident(char *buf, size_t size, const char *id)
{
    size_t n = strlen(buf);

    if (n + 1 >= size)
        return false;
    buf[n++] = '"';
    for (const char *c = id; *c; c++) {
        if (n + 3 >= size)
            return false;
        if (*c == '"')
            buf[n++] = '"';
        buf[n++] = *c;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return true;
}

enum core_rc db_reader_has_column(struct db_reader *r, const char *table, const char *column,
                                  bool *has, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    int src;

    *has = false;
    if (sqlite3_prepare_v2(r->conn, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
                           &st, NULL) != SQLITE_OK)
        return db_err(e, r->conn, r->path, "reading the columns of %s", table);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    src = sqlite3_step(st);
    *has = src == SQLITE_ROW;
    sqlite3_finalize(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return db_err(e, r->conn, r->path, "reading the columns of %s", table);
    return CORE_OK;
}

/* x as the shortest of %.15g, %.16g, %.17g that reads back as x. */
static void real_text(double x, char *buf, size_t size)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

#define REAL_TEXT_MAX 32 /* "%.17g" of any double, with its NUL */

enum core_rc db_read_table(struct db_reader *r, const char *table, int64_t run_id,
                           db_row_fn header, db_row_fn fn, void *ctx, struct core_err *e)
{
    char sql[512] = "SELECT * FROM ";
    struct db_value *cols = NULL;
    char (*reals)[REAL_TEXT_MAX] = NULL, **hex = NULL;
    size_t *hex_cap = NULL;
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    int src = SQLITE_DONE, n;

    if (!quote_ident(sql, sizeof(sql), table) ||
        (run_id > 0 && strlen(sql) + 32 >= sizeof(sql)))
        return core_err(e, CORE_E_INPUT, "%s: no table named %.64s...", r->path, table);
    if (run_id > 0)
        strcat(sql, " WHERE run_id = ?1");
    if (sqlite3_prepare_v2(r->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(e, r->conn, r->path, "reading table %s", table);
    if (run_id > 0)
        sqlite3_bind_int64(st, 1, run_id);
    n = sqlite3_column_count(st);
    cols = core_calloc((size_t)n + 1, sizeof(*cols));
    reals = core_calloc((size_t)n + 1, sizeof(*reals));
    hex = core_calloc((size_t)n + 1, sizeof(*hex));
    hex_cap = core_calloc((size_t)n + 1, sizeof(*hex_cap));
    if (!cols || !reals || !hex || !hex_cap) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory reading table %s", r->path, table);
        goto out;
    }
    for (int c = 0; c < n; c++)
        cols[c] = (struct db_value){.text = sqlite3_column_name(st, c)};
    rc = header(ctx, cols, (size_t)n, e);
    while (rc == CORE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < n; c++) {
            int type = sqlite3_column_type(st, c);
            const unsigned char *text;

            cols[c].null = type == SQLITE_NULL;
            cols[c].i = sqlite3_column_int64(st, c);
            cols[c].d = sqlite3_column_double(st, c);
            if (type == SQLITE_FLOAT) {
                real_text(cols[c].d, reals[c], sizeof(reals[c]));
                cols[c].text = reals[c];
            } else if (type == SQLITE_BLOB) {
                const unsigned char *b = sqlite3_column_blob(st, c);
                size_t len = (size_t)sqlite3_column_bytes(st, c);

                if (2 * len + 1 > hex_cap[c]) {
                    char *grown = core_realloc(hex[c], 2 * len + 1);

                    if (!grown) {
                        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory reading table %s",
                                      r->path, table);
                        goto out;
                    }
                    hex[c] = grown;
                    hex_cap[c] = 2 * len + 1;
                }
                for (size_t k = 0; k < len; k++)
                    snprintf(hex[c] + 2 * k, 3, "%02x", b[k]);
                hex[c][2 * len] = '\0';
                cols[c].text = hex[c];
            } else {
                text = sqlite3_column_text(st, c);
                cols[c].text = text ? (const char *)text : "";
            }
        }
        rc = fn(ctx, cols, (size_t)n, e);
    }
    if (rc == CORE_OK && src != SQLITE_DONE)
        rc = db_err(e, r->conn, r->path, "reading table %s", table);
out:
    sqlite3_finalize(st);
    core_free(cols);
    core_free(reals);
    for (int c = 0; hex && c < n; c++)
        core_free(hex[c]);
    core_free(hex);
    core_free(hex_cap);
    return rc;
}
