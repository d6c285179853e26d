/*
 * report.c — `coinfer report DB`: what a results database holds, as tables.
 *
 * The database is opened read-only and read inside one transaction, so the
 * report is a consistent snapshot even while a run is writing (WAL). Two
 * aligned tables are printed: the runs (one line each: identity, status,
 * start and end, rows recorded), then, for runs that recorded requests of
 * the validation queue model, their statistics:
 *
 *   sojourn mean and exact quantiles p50/p95/p99 (R type 7, over all the
 *     run's rows sorted here), mean wait and mean service, s;
 *   throughput_hz: requests per simulated second over the span from the
 *     first recorded arrival to the last recorded completion;
 *   utilisation: busy time over (span x units), where units is the largest
 *     number of requests ever in service at once: exact for one server unit,
 *     a lower bound on the units (so an upper bound on utilisation) for more.
 *
 * A third table, for runs that recorded radio_samples (schema version 2 on):
 * samples, distinct UEs, and the 5th, 50th and 95th percentiles (R type 7)
 * of uplink and downlink SINR (dB) and rate (bit/s) over all the run's
 * samples; the 5th percentile is the usual "cell-edge" figure.
 *
 * A fourth, for runs that recorded inferences (schema version 4 on): the
 * per-policy summary of io_collab_summary_print, one line per run: count,
 * latency mean and exact quantiles p50/p95/p99 (R type 7, s), mean UE and
 * edge energy per inference (J), deadline hit ratio, declines, overrides
 * and accuracy where outcomes are known ("-" otherwise).
 *
 * Then, from schema version 3 on, one line per profile `coinfer profile
 * --db` recorded (runs or none): model, resource, threads, layers, reps,
 * and the whole model's median latency, FLOPs and parameters.
 *
 * Numbers print with six significant digits, times in seconds; "-" marks a
 * value that does not exist (no finish time yet, a zero span).
 */
#include "io/io.h"
#include "io/db_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#define CELL_MAX        256  /* bytes of one formatted cell */
#define NUMBER_WIDTH    12   /* "%.6g" of any double fits ("-1.23457e-100" aside) */
#define SCRATCH_INITIAL 4096 /* doubles in each scratch array at first */

/* One column of a printed table. */
struct column {
    const char *header; /* column name, as in the database where it is one */
    bool right;         /* right-aligned (numbers) */
};

/* The columns of runs_sql, in its order. */
enum run_column {
    RUN_COL_RUN_ID,
    RUN_COL_SCENARIO,
    RUN_COL_POLICY,
    RUN_COL_SEED,
    RUN_COL_STATUS,
    RUN_COL_STARTED_AT,
    RUN_COL_FINISHED_AT,
    RUN_COL_REQUESTS,
    RUN_COL_VERSION,
    RUN_COL_COUNT
};

static const struct column run_columns[] = {
    [RUN_COL_RUN_ID] = {"run_id", true},
    [RUN_COL_SCENARIO] = {"scenario", false},
    [RUN_COL_POLICY] = {"policy", false},
    [RUN_COL_SEED] = {"seed", true},
    [RUN_COL_STATUS] = {"status", false},
    [RUN_COL_STARTED_AT] = {"started_at", false},
    [RUN_COL_FINISHED_AT] = {"finished_at", false},
    [RUN_COL_REQUESTS] = {"requests", true},
    [RUN_COL_VERSION] = {"version", false},
};
static_assert(ARRAY_LEN(run_columns) == RUN_COL_COUNT, "one header per runs column");
#define N_RUN_COLUMNS ARRAY_LEN(run_columns)

static const struct column request_columns[] = {
    {"run_id", true},        {"requests", true},       {"sojourn_mean_s", true},
    {"sojourn_p50_s", true}, {"sojourn_p95_s", true},  {"sojourn_p99_s", true},
    {"wait_mean_s", true},   {"service_mean_s", true}, {"throughput_hz", true},
    {"utilisation", true},
};
#define N_REQUEST_COLUMNS ARRAY_LEN(request_columns)

/* Statistics of one run's requests (see the file comment). */
struct request_summary {
    int64_t n;             /* requests recorded */
    double sojourn_mean_s; /* s */
    double sojourn_p50_s;  /* s */
    double sojourn_p95_s;  /* s */
    double sojourn_p99_s;  /* s */
    double wait_mean_s;    /* s */
    double service_mean_s; /* s */
    double throughput_hz;  /* requests per simulated second; NAN for a zero span */
    double utilisation;    /* fraction of unit time busy; NAN for a zero span */
};

/* Scratch arrays reused across runs, grown to the largest run. */
struct report_scratch {
    double *sojourn_s; /* sojourn of each request, ascending, s */
    double *start_s;   /* service start of each request, s */
    double *done_s;    /* completion of each request, s */
    size_t capacity;   /* doubles allocated in each */
};

static const char runs_sql[] =
    "SELECT run_id, scenario, policy, seed, status, started_at, finished_at, "
    "(SELECT count(*) FROM requests q WHERE q.run_id = r.run_id), version "
    "FROM runs r ORDER BY run_id";

static void print_cell(FILE *out, const char *text, size_t width, bool right, bool last)
{
    if (right)
        fprintf(out, "%*s", (int)width, text);
    else if (last)
        fputs(text, out);
    else
        fprintf(out, "%-*s", (int)width, text);
    fputs(last ? "\n" : "  ", out);
}

static void print_header(FILE *out, const struct column *cols, const size_t *widths, size_t n)
{
    size_t c;

    for (c = 0; c < n; c++)
        print_cell(out, cols[c].header, widths[c], cols[c].right, c + 1 == n);
}

/* Column c of a runs_sql row as text; NULL is "-". */
static void format_run_cell(sqlite3_stmt *st, int c, char cell[CELL_MAX])
{
    const unsigned char *text;

    if (sqlite3_column_type(st, c) == SQLITE_NULL) {
        snprintf(cell, CELL_MAX, "-");
        return;
    }
    switch (c) {
    case RUN_COL_RUN_ID:
    case RUN_COL_REQUESTS:
        snprintf(cell, CELL_MAX, "%lld", (long long)sqlite3_column_int64(st, c));
        return;
    case RUN_COL_SEED: /* seeds are uint64 stored as the int64 with the same bits */
        snprintf(cell, CELL_MAX, "%" PRIu64, (uint64_t)sqlite3_column_int64(st, c));
        return;
    default:
        text = sqlite3_column_text(st, c);
        snprintf(cell, CELL_MAX, "%s", text ? (const char *)text : "-");
        return;
    }
}

static void format_number(double x, char cell[CELL_MAX])
{
    if (isnan(x))
        snprintf(cell, CELL_MAX, "-");
    else
        snprintf(cell, CELL_MAX, "%.6g", x);
}

/* The runs table, in two passes over the query: widths, then lines. Sets
 * *n_runs and *any_requests. */
static enum core_rc print_runs(sqlite3 *conn, const char *path, FILE *out, int64_t *n_runs,
                               bool *any_requests, struct core_err *e)
{
    size_t widths[N_RUN_COLUMNS];
    char cell[CELL_MAX];
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    int pass, src;
    size_t c;

    if (sqlite3_prepare_v2(conn, runs_sql, -1, &st, NULL) != SQLITE_OK)
        return io_db_err(e, conn, path, "reading the runs");
    for (c = 0; c < N_RUN_COLUMNS; c++)
        widths[c] = strlen(run_columns[c].header);
    *n_runs = 0;
    *any_requests = false;
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1 && *n_runs > 0) {
            fprintf(out, "\nruns:\n");
            print_header(out, run_columns, widths, N_RUN_COLUMNS);
        }
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            for (c = 0; c < N_RUN_COLUMNS; c++) {
                format_run_cell(st, (int)c, cell);
                if (pass == 0 && strlen(cell) > widths[c])
                    widths[c] = strlen(cell);
                if (pass == 1)
                    print_cell(out, cell, widths[c], run_columns[c].right, c + 1 == N_RUN_COLUMNS);
            }
            if (pass == 0) {
                (*n_runs)++;
                *any_requests = *any_requests || sqlite3_column_int64(st, RUN_COL_REQUESTS) > 0;
            }
        }
        if (src != SQLITE_DONE) {
            rc = io_db_err(e, conn, path, "reading the runs");
            break;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Make room for at least n doubles in each scratch array (growing
 * geometrically: rows arrive one at a time). */
static enum core_rc scratch_reserve(struct report_scratch *s, size_t n, const char *path,
                                    struct core_err *e)
{
    double **arrays[] = {&s->sojourn_s, &s->start_s, &s->done_s};
    size_t capacity = s->capacity ? s->capacity : SCRATCH_INITIAL;
    size_t i;

    if (n <= s->capacity)
        return CORE_OK;
    while (capacity < n)
        capacity *= 2;
    for (i = 0; i < ARRAY_LEN(arrays); i++) {
        double *p = core_realloc(*arrays[i], capacity * sizeof(*p));

        if (!p)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu requests", path, n);
        *arrays[i] = p;
    }
    s->capacity = capacity;
    return CORE_OK;
}

static void scratch_fini(struct report_scratch *s)
{
    core_free(s->sojourn_s);
    core_free(s->start_s);
    core_free(s->done_s);
}

/* The largest number of requests in service at once, from start and
 * completion times each sorted ascending. A completion at the very time of a
 * start frees its unit first (back-to-back service uses one unit). */
static size_t most_in_service(const double *start_s, const double *done_s, size_t n)
{
    size_t i = 0, j = 0, busy = 0, most = 0;

    while (i < n) {
        if (j < i && done_s[j] <= start_s[i]) {
            busy--;
            j++;
        } else {
            busy++;
            i++;
            if (busy > most)
                most = busy;
        }
    }
    return most;
}

/* Start times come in request order, which a FIFO server already has them
 * in; a linear check saves most of the sorting. */
static void sort_unless_sorted(double *x, size_t n)
{
    size_t i;

    for (i = 1; i < n; i++) {
        if (x[i] < x[i - 1]) {
            core_sort_doubles(x, n);
            return;
        }
    }
}

/* One scan of the run's key range gives the sums (in request order, as
 * SQLite's avg() would add them) and the three arrays, sorted here: a third
 * of the time of ORDER BY, whose sorter spills to temporary files on large
 * runs. */
static enum core_rc summarise_requests(sqlite3 *conn, const char *path, int64_t run_id,
                                       struct report_scratch *s, struct request_summary *sum,
                                       struct core_err *e)
{
    static const char sql[] = "SELECT t_arrival_s, t_start_s, t_done_s, wait_s, service_s, "
                              "sojourn_s FROM requests WHERE run_id = ?1";
    double wait_s = 0, busy_s = 0, sojourn_s = 0, first_s = INFINITY, last_s = -INFINITY;
    double span_s;
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    size_t n = 0, units;
    int src;

    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
        return io_db_err(e, conn, path, "reading the requests of run %lld", (long long)run_id);
    sqlite3_bind_int64(st, 1, run_id);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        double arrival_s = sqlite3_column_double(st, 0);
        double done_s = sqlite3_column_double(st, 2);

        rc = scratch_reserve(s, n + 1, path, e);
        if (rc != CORE_OK)
            goto out_finalize;
        s->start_s[n] = sqlite3_column_double(st, 1);
        s->done_s[n] = done_s;
        s->sojourn_s[n] = sqlite3_column_double(st, 5);
        wait_s += sqlite3_column_double(st, 3);
        busy_s += sqlite3_column_double(st, 4);
        sojourn_s += s->sojourn_s[n];
        first_s = fmin(first_s, arrival_s);
        last_s = fmax(last_s, done_s);
        n++;
    }
    if (src != SQLITE_DONE) {
        rc = io_db_err(e, conn, path, "reading the requests of run %lld", (long long)run_id);
        goto out_finalize;
    }
    sort_unless_sorted(s->sojourn_s, n);
    sort_unless_sorted(s->start_s, n);
    sort_unless_sorted(s->done_s, n);

    sum->n = (int64_t)n;
    sum->sojourn_mean_s = n ? sojourn_s / (double)n : NAN;
    sum->wait_mean_s = n ? wait_s / (double)n : NAN;
    sum->service_mean_s = n ? busy_s / (double)n : NAN;
    sum->sojourn_p50_s = core_quantile_sorted(s->sojourn_s, n, 0.50);
    sum->sojourn_p95_s = core_quantile_sorted(s->sojourn_s, n, 0.95);
    sum->sojourn_p99_s = core_quantile_sorted(s->sojourn_s, n, 0.99);
    units = most_in_service(s->start_s, s->done_s, n);
    span_s = last_s - first_s;
    sum->throughput_hz = n && span_s > 0 ? (double)n / span_s : NAN;
    sum->utilisation = n && span_s > 0 && units > 0 ? busy_s / (span_s * (double)units) : NAN;
out_finalize:
    sqlite3_finalize(st);
    return rc;
}

/* The requests table: one line per run that recorded requests. */
static enum core_rc print_requests(sqlite3 *conn, const char *path, FILE *out, struct core_err *e)
{
    static const char ids_sql[] =
        "SELECT run_id FROM runs r WHERE EXISTS "
        "(SELECT 1 FROM requests q WHERE q.run_id = r.run_id) ORDER BY run_id";
    struct report_scratch scratch = {0};
    struct request_summary sum = {0};
    size_t widths[N_REQUEST_COLUMNS];
    char cell[CELL_MAX];
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    size_t c;
    int src;

    for (c = 0; c < N_REQUEST_COLUMNS; c++) {
        widths[c] = strlen(request_columns[c].header);
        if (widths[c] < NUMBER_WIDTH)
            widths[c] = NUMBER_WIDTH;
    }
    if (sqlite3_prepare_v2(conn, ids_sql, -1, &st, NULL) != SQLITE_OK)
        return io_db_err(e, conn, path, "reading the runs");
    fprintf(out, "\nrequests (times in s, throughput in requests per simulated s):\n");
    print_header(out, request_columns, widths, N_REQUEST_COLUMNS);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t run_id = sqlite3_column_int64(st, 0);
        double row[N_REQUEST_COLUMNS - 2]; /* the number columns after requests */

        rc = summarise_requests(conn, path, run_id, &scratch, &sum, e);
        if (rc != CORE_OK)
            goto out_finalize;
        row[0] = sum.sojourn_mean_s;
        row[1] = sum.sojourn_p50_s;
        row[2] = sum.sojourn_p95_s;
        row[3] = sum.sojourn_p99_s;
        row[4] = sum.wait_mean_s;
        row[5] = sum.service_mean_s;
        row[6] = sum.throughput_hz;
        row[7] = sum.utilisation;
        snprintf(cell, sizeof(cell), "%lld", (long long)run_id);
        print_cell(out, cell, widths[0], true, false);
        snprintf(cell, sizeof(cell), "%lld", (long long)sum.n);
        print_cell(out, cell, widths[1], true, false);
        for (c = 2; c < N_REQUEST_COLUMNS; c++) {
            format_number(row[c - 2], cell);
            print_cell(out, cell, widths[c], true, c + 1 == N_REQUEST_COLUMNS);
        }
    }
    if (src != SQLITE_DONE)
        rc = io_db_err(e, conn, path, "reading the runs");
out_finalize:
    sqlite3_finalize(st);
    scratch_fini(&scratch);
    return rc;
}

static const struct column radio_columns[] = {
    {"run_id", true},          {"samples", true},         {"ues", true},
    {"ul_sinr_p5_db", true},   {"ul_sinr_p50_db", true},  {"ul_sinr_p95_db", true},
    {"dl_sinr_p5_db", true},   {"dl_sinr_p50_db", true},  {"dl_sinr_p95_db", true},
    {"ul_rate_p5_bps", true},  {"ul_rate_p50_bps", true}, {"ul_rate_p95_bps", true},
    {"dl_rate_p5_bps", true},  {"dl_rate_p50_bps", true}, {"dl_rate_p95_bps", true},
};
#define N_RADIO_COLUMNS ARRAY_LEN(radio_columns)
#define N_RADIO_SERIES 4 /* ul SINR, dl SINR, ul rate, dl rate */

/* The radio_samples table: one line per run that recorded samples. The four
 * series of a run are read into the scratch arrays (sojourn_s, start_s,
 * done_s hold three; a fourth array of our own the last) and sorted. */
static enum core_rc print_radio(sqlite3 *conn, const char *path, FILE *out, struct core_err *e)
{
    static const char ids_sql[] =
        "SELECT run_id, (SELECT count(DISTINCT ue_id) FROM radio_samples s "
        "WHERE s.run_id = r.run_id) FROM runs r WHERE EXISTS "
        "(SELECT 1 FROM radio_samples s WHERE s.run_id = r.run_id) ORDER BY run_id";
    static const char rows_sql[] = "SELECT ul_sinr_db, dl_sinr_db, ul_rate_bps, dl_rate_bps "
                                   "FROM radio_samples WHERE run_id = ?1";
    static const double probs[] = {0.05, 0.50, 0.95};
    struct report_scratch scratch = {0};
    double *dl_rate = NULL;
    size_t widths[N_RADIO_COLUMNS], c;
    char cell[CELL_MAX];
    sqlite3_stmt *ids = NULL, *st = NULL;
    enum core_rc rc = CORE_OK;
    int src;

    for (c = 0; c < N_RADIO_COLUMNS; c++) {
        widths[c] = strlen(radio_columns[c].header);
        if (widths[c] < NUMBER_WIDTH)
            widths[c] = NUMBER_WIDTH;
    }
    if (sqlite3_prepare_v2(conn, ids_sql, -1, &ids, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, rows_sql, -1, &st, NULL) != SQLITE_OK) {
        rc = io_db_err(e, conn, path, "reading the radio samples");
        goto out_finalize;
    }
    fprintf(out, "\nradio samples (SINR in dB, rates in bit/s, percentiles over all samples):\n");
    print_header(out, radio_columns, widths, N_RADIO_COLUMNS);
    while ((src = sqlite3_step(ids)) == SQLITE_ROW) {
        int64_t run_id = sqlite3_column_int64(ids, 0);
        size_t n = 0, cap = scratch.capacity;

        sqlite3_bind_int64(st, 1, run_id);
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            rc = scratch_reserve(&scratch, n + 1, path, e);
            if (rc == CORE_OK && scratch.capacity != cap) {
                double *p = core_realloc(dl_rate, scratch.capacity * sizeof(*p));

                if (p == NULL)
                    rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu radio samples",
                                  path, n + 1);
                else
                    dl_rate = p;
                cap = scratch.capacity;
            }
            if (rc != CORE_OK)
                goto out_finalize;
            scratch.sojourn_s[n] = sqlite3_column_double(st, 0);
            scratch.start_s[n] = sqlite3_column_double(st, 1);
            scratch.done_s[n] = sqlite3_column_double(st, 2);
            dl_rate[n] = sqlite3_column_double(st, 3);
            n++;
        }
        sqlite3_reset(st);
        if (src != SQLITE_DONE) {
            rc = io_db_err(e, conn, path, "reading the radio samples of run %lld",
                           (long long)run_id);
            goto out_finalize;
        }
        double *series[N_RADIO_SERIES] = {scratch.sojourn_s, scratch.start_s, scratch.done_s,
                                          dl_rate};

        snprintf(cell, sizeof(cell), "%lld", (long long)run_id);
        print_cell(out, cell, widths[0], true, false);
        snprintf(cell, sizeof(cell), "%zu", n);
        print_cell(out, cell, widths[1], true, false);
        snprintf(cell, sizeof(cell), "%lld", (long long)sqlite3_column_int64(ids, 1));
        print_cell(out, cell, widths[2], true, false);
        c = 3;
        for (size_t k = 0; k < N_RADIO_SERIES; k++) {
            core_sort_doubles(series[k], n);
            for (size_t q = 0; q < ARRAY_LEN(probs); q++, c++) {
                format_number(core_quantile_sorted(series[k], n, probs[q]), cell);
                print_cell(out, cell, widths[c], true, c + 1 == N_RADIO_COLUMNS);
            }
        }
    }
    if (src != SQLITE_DONE)
        rc = io_db_err(e, conn, path, "reading the runs");
out_finalize:
    sqlite3_finalize(st);
    sqlite3_finalize(ids);
    core_free(dl_rate);
    scratch_fini(&scratch);
    return rc;
}

/* Whether any run recorded radio samples (schema version 2 on). */
static enum core_rc any_radio_samples(sqlite3 *conn, const char *path, int version, bool *any,
                                      struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;

    *any = false;
    if (version < 2)
        return CORE_OK;
    if (sqlite3_prepare_v2(conn, "SELECT EXISTS (SELECT 1 FROM radio_samples)", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = io_db_err(e, conn, path, "reading the radio samples");
    else
        *any = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return rc;
}

/* Add the run's inferences to s, one row at a time (only the columns the
 * summary reads are filled in the record). */
static enum core_rc summarise_inferences(sqlite3 *conn, const char *path, sqlite3_stmt *st,
                                         int64_t run_id, struct io_collab_summary *s,
                                         struct core_err *e)
{
    struct proto_inference_record rec;
    enum core_rc rc = CORE_OK;
    int src;

    memset(&rec, 0, sizeof(rec));
    sqlite3_bind_int64(st, 1, run_id);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        rec.latency_s = sqlite3_column_double(st, 0);
        rec.ue_energy_j = sqlite3_column_double(st, 1);
        rec.edge_energy_j = sqlite3_column_double(st, 2);
        rec.declined = sqlite3_column_int(st, 3) != 0;
        rec.overridden = sqlite3_column_int(st, 4) != 0;
        rec.deadline_met = sqlite3_column_int(st, 5) != 0;
        rec.correct = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
        rc = io_collab_summary_add(s, &rec, 1, e);
        if (rc != CORE_OK) {
            rc = core_err(e, rc, "%s: out of memory for the inferences of run %lld", path,
                          (long long)run_id);
            break;
        }
    }
    if (rc == CORE_OK && src != SQLITE_DONE)
        rc = io_db_err(e, conn, path, "reading the inferences of run %lld", (long long)run_id);
    sqlite3_reset(st);
    return rc;
}

/* The inferences table: the per-policy summary of each run that recorded
 * inferences (schema version 4 on); prints nothing when there are none. */
static enum core_rc print_inferences(sqlite3 *conn, const char *path, int version, FILE *out,
                                     struct core_err *e)
{
    static const char ids_sql[] =
        "SELECT run_id, policy FROM runs r WHERE EXISTS "
        "(SELECT 1 FROM inferences i WHERE i.run_id = r.run_id) ORDER BY run_id";
    static const char rows_sql[] =
        "SELECT latency_s, ue_energy_j, edge_energy_j, declined, overridden, deadline_met, "
        "correct FROM inferences WHERE run_id = ?1";
    struct io_collab_summary *sums = NULL;
    size_t n = 0, cap = 0, i;
    sqlite3_stmt *ids = NULL, *st = NULL;
    enum core_rc rc = CORE_OK;
    int src;

    if (version < 4)
        return CORE_OK;
    if (sqlite3_prepare_v2(conn, ids_sql, -1, &ids, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(conn, rows_sql, -1, &st, NULL) != SQLITE_OK) {
        rc = io_db_err(e, conn, path, "reading the inferences");
        goto out_finalize;
    }
    while ((src = sqlite3_step(ids)) == SQLITE_ROW) {
        const unsigned char *policy = sqlite3_column_text(ids, 1);
        int64_t run_id = sqlite3_column_int64(ids, 0);

        if (n == cap) {
            size_t want = cap ? 2 * cap : 8;
            struct io_collab_summary *p = core_realloc(sums, want * sizeof(*p));

            if (!p) {
                rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu run summaries", path,
                              want);
                goto out_finalize;
            }
            sums = p;
            cap = want;
        }
        io_collab_summary_init(&sums[n], policy ? (const char *)policy : "-", run_id);
        rc = summarise_inferences(conn, path, st, run_id, &sums[n], e);
        io_collab_summary_finish(&sums[n]);
        io_collab_summary_fini(&sums[n]);
        if (rc != CORE_OK)
            goto out_finalize;
        n++;
    }
    if (src != SQLITE_DONE) {
        rc = io_db_err(e, conn, path, "reading the runs");
        goto out_finalize;
    }
    if (n > 0) {
        fprintf(out, "\ninferences (latencies in s with exact quantiles, energies in J per "
                     "inference):\n");
        io_collab_summary_print(out, sums, n);
    }
out_finalize:
    for (i = 0; i < n; i++)
        io_collab_summary_fini(&sums[i]);
    core_free(sums);
    sqlite3_finalize(st);
    sqlite3_finalize(ids);
    return rc;
}

static const struct column profile_columns[] = {
    {"model", false},   {"resource", false}, {"threads", true},     {"layers", true},
    {"reps", true},     {"latency_s", true}, {"flops", true},       {"params", true},
    {"profiled_at", false},
};
#define N_PROFILE_COLUMNS ARRAY_LEN(profile_columns)

/* The profiles table: one line per profile (model, resource, threads,
 * profiled_at), oldest first: its layer rows and its whole-model row
 * (layer_index -1). Schema version 3 on; prints nothing when empty. */
static enum core_rc print_profiles(sqlite3 *conn, const char *path, int version, FILE *out,
                                   struct core_err *e)
{
    static const char sql[] =
        "SELECT model, resource, threads, sum(layer_index >= 0), max(reps), "
        "max(CASE WHEN layer_index = -1 THEN latency_s END), "
        "max(CASE WHEN layer_index = -1 THEN flops END), "
        "max(CASE WHEN layer_index = -1 THEN params END), profiled_at "
        "FROM profiles GROUP BY profiled_at, model, resource, threads "
        "ORDER BY profiled_at, model, resource, threads";
    size_t widths[N_PROFILE_COLUMNS], c;
    char cell[CELL_MAX];
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    bool header = false;
    int src, pass;

    if (version < 3)
        return CORE_OK;
    for (c = 0; c < N_PROFILE_COLUMNS; c++)
        widths[c] = strlen(profile_columns[c].header);
    if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
        return io_db_err(e, conn, path, "reading the profiles");
    /* Two passes: widths, then lines. */
    for (pass = 0; pass < 2; pass++) {
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            if (pass == 1 && !header) {
                fprintf(out, "\nprofiles (latency_s: median of reps runs of the whole model):\n");
                print_header(out, profile_columns, widths, N_PROFILE_COLUMNS);
                header = true;
            }
            for (c = 0; c < N_PROFILE_COLUMNS; c++) {
                const unsigned char *text;

                if (sqlite3_column_type(st, (int)c) == SQLITE_NULL)
                    snprintf(cell, sizeof(cell), "-");
                else if (c == 5)
                    format_number(sqlite3_column_double(st, (int)c), cell);
                else if (c == 0 || c == 1 || c == 8)
                    snprintf(cell, sizeof(cell), "%s",
                             (text = sqlite3_column_text(st, (int)c)) ? (const char *)text : "-");
                else
                    snprintf(cell, sizeof(cell), "%lld",
                             (long long)sqlite3_column_int64(st, (int)c));
                if (pass == 0 && strlen(cell) > widths[c])
                    widths[c] = strlen(cell);
                else if (pass == 1)
                    print_cell(out, cell, widths[c], profile_columns[c].right,
                               c + 1 == N_PROFILE_COLUMNS);
            }
        }
        if (src != SQLITE_DONE) {
            rc = io_db_err(e, conn, path, "reading the profiles");
            break;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Everything after the database is open and its version known, inside one
 * read transaction. */
static enum core_rc report_snapshot(sqlite3 *conn, const char *path, int version, FILE *out,
                                    struct core_err *e)
{
    int64_t n_runs = 0;
    bool any_requests = false, any_radio = false;
    enum core_rc rc;

    if (version == 0) {
        fprintf(out, "%s: no runs (no coinfer tables yet)\n", path);
        return CORE_OK;
    }
    fprintf(out, "%s: results database, schema version %d\n", path, version);
    rc = print_runs(conn, path, out, &n_runs, &any_requests, e);
    if (rc != CORE_OK)
        return rc;
    if (n_runs == 0) {
        fprintf(out, "no runs\n");
        return print_profiles(conn, path, version, out, e);
    }
    if (any_requests)
        rc = print_requests(conn, path, out, e);
    if (rc == CORE_OK)
        rc = any_radio_samples(conn, path, version, &any_radio, e);
    if (rc == CORE_OK && any_radio)
        rc = print_radio(conn, path, out, e);
    if (rc == CORE_OK)
        rc = print_inferences(conn, path, version, out, e);
    if (rc == CORE_OK)
        rc = print_profiles(conn, path, version, out, e);
    if (rc == CORE_OK)
        fprintf(out, "\n%lld run%s\n", (long long)n_runs, n_runs == 1 ? "" : "s");
    return rc;
}

enum core_rc io_report(const char *path, FILE *out, struct core_err *e)
{
    sqlite3 *conn = NULL;
    struct stat sb;
    enum core_rc rc;
    int version;

    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            return core_err(e, CORE_E_INPUT, "%s: no such results database", path);
        return core_err(e, CORE_E_IO, "%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(sb.st_mode))
        return core_err(e, CORE_E_INPUT, "%s: is a directory, not a results database", path);
    if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        if (!conn)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory opening the database", path);
        rc = io_db_err(e, conn, path, "cannot open the results database");
        goto out_close;
    }
    sqlite3_extended_result_codes(conn, 1);
    sqlite3_busy_timeout(conn, (int)(IO_DB_BUSY_TIMEOUT_S * 1000.0));
    if (sqlite3_exec(conn, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = io_db_err(e, conn, path, "starting a read transaction");
        goto out_close;
    }
    rc = io_db_read_version(conn, path, &version, e);
    if (rc == CORE_OK)
        rc = report_snapshot(conn, path, version, out, e);
    sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
out_close:
    sqlite3_close(conn);
    return rc;
}
