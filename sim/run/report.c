/*
 * report.c — `coinfer report DB`: what a results database holds, as tables.
 *
 * The database is read through one snapshot (db_reader_open: read-only, one
 * transaction), so the report is consistent even while a run is writing
 * (WAL); the queries are sim/db's, the arithmetic and the layout are here.
 * Aligned tables are printed: the runs (one line each: identity, status,
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
 * per-policy summary of run_summary_print, one line per run: count,
 * latency mean and exact quantiles p50/p95/p99 (R type 7, s), mean UE and
 * edge energy per inference (J), deadline hit ratio, declines, overrides
 * and accuracy where outcomes are known ("-" otherwise).
 *
 * A fifth, for databases where some inference sent an encoding other than
 * fp32 (schema version 13 on: a scenario with accuracy data): per run with
 * finished inferences, the share of them each encoding of the uplink was
 * ("none": nothing crossed), largest first. A sixth, for databases where
 * some inference ended at an early exit (schema 14 on), the same per exit
 * ("output": the model's own output).
 *
 * Then, from schema version 3 on, one line per profile `coinfer profile
 * --db` recorded (runs or none): model, resource, threads, layers, reps,
 * and the whole model's median latency, FLOPs and parameters.
 *
 * Numbers print with six significant digits, times in seconds; "-" marks a
 * value that does not exist (no finish time yet, a zero span).
 */
#include "run/run_int.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define CELL_MAX        256  /* bytes of one formatted cell */
#define NUMBER_WIDTH    12   /* "%.6g" of any double fits ("-1.23457e-100" aside) */

/* One column of a printed table. */
struct column {
    const char *header; /* column name, as in the database where it is one */
    bool right;         /* right-aligned (numbers) */
};

/* A table of text cells gathered before printing, so that every column is
 * as wide as its widest cell. */
struct table {
    const struct column *cols; /* [n_cols] (borrowed) */
    size_t n_cols;             /* columns */
    char (*cells)[CELL_MAX];   /* [n_rows x n_cols] (owned) */
    size_t n_rows, cap_rows;   /* rows filled, allocated */
    size_t min_width;          /* every column at least this wide */
};

static void table_fini(struct table *t)
{
    core_free(t->cells);
    t->cells = NULL;
    t->n_rows = t->cap_rows = 0;
}

/* A new row of empty cells; NULL (with e set) when out of memory. */
static char (*table_row(struct table *t, const char *path, struct core_err *e))[CELL_MAX]
{
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        char(*p)[CELL_MAX] = core_realloc(t->cells, cap * t->n_cols * CELL_MAX);

        if (!p) {
            core_err(e, CORE_E_NOMEM, "%s: out of memory for the report", path);
            return NULL;
        }
        t->cells = p;
        t->cap_rows = cap;
    }
    memset(t->cells[t->n_rows * t->n_cols], 0, t->n_cols * CELL_MAX);
    return &t->cells[t->n_rows++ * t->n_cols];
}

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

static void table_print(FILE *out, const struct table *t)
{
    size_t widths[32];

    CORE_ASSERT(t->n_cols <= ARRAY_LEN(widths));
    for (size_t c = 0; c < t->n_cols; c++) {
        widths[c] = strlen(t->cols[c].header);
        if (widths[c] < t->min_width)
            widths[c] = t->min_width;
        for (size_t r = 0; r < t->n_rows; r++)
            if (strlen(t->cells[r * t->n_cols + c]) > widths[c])
                widths[c] = strlen(t->cells[r * t->n_cols + c]);
    }
    for (size_t c = 0; c < t->n_cols; c++)
        print_cell(out, t->cols[c].header, widths[c], t->cols[c].right, c + 1 == t->n_cols);
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t c = 0; c < t->n_cols; c++)
            print_cell(out, t->cells[r * t->n_cols + c], widths[c], t->cols[c].right,
                       c + 1 == t->n_cols);
}

static void format_number(double x, char cell[CELL_MAX])
{
    if (isnan(x))
        snprintf(cell, CELL_MAX, "-");
    else
        snprintf(cell, CELL_MAX, "%.6g", x);
}

static void format_text(const struct db_value *v, char cell[CELL_MAX])
{
    snprintf(cell, CELL_MAX, "%s", v->null ? "-" : v->text);
}

/* A growable array of doubles. */
struct series {
    double *x;      /* [n] (owned) */
    size_t n, cap;  /* used, allocated */
};

static enum core_rc series_add(struct series *s, double x, const char *path, struct core_err *e)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        double *p = core_realloc(s->x, cap * sizeof(*p));

        if (!p)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu values", path, cap);
        s->x = p;
        s->cap = cap;
    }
    s->x[s->n++] = x;
    return CORE_OK;
}

/* Run ids a query lists (its first column). */
struct id_list {
    struct series s;   /* the ids */
    const char *path;  /* for messages */
};

static enum core_rc collect_id(void *ctx, const struct db_value *cols, size_t n,
                               struct core_err *e)
{
    struct id_list *ids = ctx;

    (void)n;
    return series_add(&ids->s, (double)cols[0].i, ids->path, e);
}

/* ---- runs ------------------------------------------------------------------- */

static const struct column run_columns[] = {
    {"run_id", true},      {"scenario", false},    {"policy", false},
    {"seed", true},        {"status", false},      {"started_at", false},
    {"finished_at", false}, {"requests", true},    {"version", false},
};

struct runs_ctx {
    struct table t;      /* the lines */
    const char *path;    /* for messages */
    bool any_requests;   /* some run recorded requests */
};

static enum core_rc run_row(void *ctx, const struct db_value *cols, size_t n, struct core_err *e)
{
    struct runs_ctx *r = ctx;
    char(*row)[CELL_MAX] = table_row(&r->t, r->path, e);

    if (!row)
        return e->rc;
    for (size_t c = 0; c < n; c++) {
        if (cols[c].null)
            snprintf(row[c], CELL_MAX, "-");
        else if (c == 0 || c == 7)
            snprintf(row[c], CELL_MAX, "%lld", (long long)cols[c].i);
        else if (c == 3) /* seeds are uint64 stored as the int64 with the same bits */
            snprintf(row[c], CELL_MAX, "%" PRIu64, (uint64_t)cols[c].i);
        else
            format_text(&cols[c], row[c]);
    }
    r->any_requests = r->any_requests || cols[7].i > 0;
    return CORE_OK;
}

/* ---- requests ------------------------------------------------------------------ */

static const struct column request_columns[] = {
    {"run_id", true},        {"requests", true},       {"sojourn_mean_s", true},
    {"sojourn_p50_s", true}, {"sojourn_p95_s", true},  {"sojourn_p99_s", true},
    {"wait_mean_s", true},   {"service_mean_s", true}, {"throughput_hz", true},
    {"utilisation", true},
};

/* One run's requests as read: sums in request order (as SQLite's avg()
 * would add them) and the three arrays the quantiles and the units need. */
struct requests_ctx {
    const char *path;                           /* for messages */
    struct series sojourn_s, start_s, done_s;   /* per request, s */
    double wait_s, busy_s, sum_sojourn_s;       /* sums, s */
    double first_s, last_s;                     /* first arrival, last completion, s */
};

static enum core_rc request_row(void *ctx, const struct db_value *cols, size_t n,
                                struct core_err *e)
{
    struct requests_ctx *q = ctx;
    enum core_rc rc;

    (void)n;
    rc = series_add(&q->start_s, cols[1].d, q->path, e);
    if (rc == CORE_OK)
        rc = series_add(&q->done_s, cols[2].d, q->path, e);
    if (rc == CORE_OK)
        rc = series_add(&q->sojourn_s, cols[5].d, q->path, e);
    q->wait_s += cols[3].d;
    q->busy_s += cols[4].d;
    q->sum_sojourn_s += cols[5].d;
    q->first_s = fmin(q->first_s, cols[0].d);
    q->last_s = fmax(q->last_s, cols[2].d);
    return rc;
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
    for (size_t i = 1; i < n; i++) {
        if (x[i] < x[i - 1]) {
            core_sort_doubles(x, n);
            return;
        }
    }
}

static enum core_rc print_requests(struct db_reader *r, FILE *out, struct core_err *e)
{
    struct id_list ids = {{0}, db_reader_path(r)};
    struct requests_ctx q = {.path = db_reader_path(r)};
    struct table t = {request_columns, ARRAY_LEN(request_columns), NULL, 0, 0, NUMBER_WIDTH};
    enum core_rc rc = db_query(r, DB_Q_RUNS_WITH_REQUESTS, 0, collect_id, &ids, e);

    for (size_t i = 0; rc == CORE_OK && i < ids.s.n; i++) {
        int64_t run_id = (int64_t)ids.s.x[i];
        char(*row)[CELL_MAX];
        double vals[8], span_s;
        size_t n, units;

        q.sojourn_s.n = q.start_s.n = q.done_s.n = 0;
        q.wait_s = q.busy_s = q.sum_sojourn_s = 0;
        q.first_s = INFINITY;
        q.last_s = -INFINITY;
        rc = db_query(r, DB_Q_REQUESTS_OF_RUN, run_id, request_row, &q, e);
        if (rc != CORE_OK)
            break;
        n = q.sojourn_s.n;
        sort_unless_sorted(q.sojourn_s.x, n);
        sort_unless_sorted(q.start_s.x, n);
        sort_unless_sorted(q.done_s.x, n);
        units = most_in_service(q.start_s.x, q.done_s.x, n);
        span_s = q.last_s - q.first_s;
        vals[0] = n ? q.sum_sojourn_s / (double)n : NAN;
        vals[1] = core_quantile_sorted(q.sojourn_s.x, n, 0.50);
        vals[2] = core_quantile_sorted(q.sojourn_s.x, n, 0.95);
        vals[3] = core_quantile_sorted(q.sojourn_s.x, n, 0.99);
        vals[4] = n ? q.wait_s / (double)n : NAN;
        vals[5] = n ? q.busy_s / (double)n : NAN;
        vals[6] = n && span_s > 0 ? (double)n / span_s : NAN;
        vals[7] = n && span_s > 0 && units > 0 ? q.busy_s / (span_s * (double)units) : NAN;
        row = table_row(&t, q.path, e);
        if (!row) {
            rc = e->rc;
            break;
        }
        snprintf(row[0], CELL_MAX, "%lld", (long long)run_id);
        snprintf(row[1], CELL_MAX, "%zu", n);
        for (size_t c = 0; c < 8; c++)
            format_number(vals[c], row[c + 2]);
    }
    if (rc == CORE_OK) {
        fprintf(out, "\nrequests (times in s, throughput in requests per simulated s):\n");
        table_print(out, &t);
    }
    table_fini(&t);
    core_free(ids.s.x);
    core_free(q.sojourn_s.x);
    core_free(q.start_s.x);
    core_free(q.done_s.x);
    return rc;
}

/* ---- radio samples ---------------------------------------------------------------- */

static const struct column radio_columns[] = {
    {"run_id", true},          {"samples", true},         {"ues", true},
    {"ul_sinr_p5_db", true},   {"ul_sinr_p50_db", true},  {"ul_sinr_p95_db", true},
    {"dl_sinr_p5_db", true},   {"dl_sinr_p50_db", true},  {"dl_sinr_p95_db", true},
    {"ul_rate_p5_bps", true},  {"ul_rate_p50_bps", true}, {"ul_rate_p95_bps", true},
    {"dl_rate_p5_bps", true},  {"dl_rate_p50_bps", true}, {"dl_rate_p95_bps", true},
};
#define N_RADIO_SERIES 4 /* ul SINR, dl SINR, ul rate, dl rate */

struct radio_ctx {
    const char *path;                    /* for messages */
    struct series s[N_RADIO_SERIES];     /* one run's four series */
};

static enum core_rc radio_row(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct radio_ctx *q = ctx;
    enum core_rc rc = CORE_OK;

    (void)n;
    for (size_t k = 0; rc == CORE_OK && k < N_RADIO_SERIES; k++)
        rc = series_add(&q->s[k], cols[k].d, q->path, e);
    return rc;
}

struct radio_runs {
    struct series ids, ues;  /* run ids and their distinct UEs */
    const char *path;        /* for messages */
};

static enum core_rc radio_run(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct radio_runs *rr = ctx;
    enum core_rc rc = series_add(&rr->ids, (double)cols[0].i, rr->path, e);

    (void)n;
    return rc == CORE_OK ? series_add(&rr->ues, (double)cols[1].i, rr->path, e) : rc;
}

static enum core_rc print_radio(struct db_reader *r, FILE *out, struct core_err *e)
{
    static const double probs[] = {0.05, 0.50, 0.95};
    struct radio_runs runs = {.path = db_reader_path(r)};
    struct radio_ctx q = {.path = db_reader_path(r)};
    struct table t = {radio_columns, ARRAY_LEN(radio_columns), NULL, 0, 0, NUMBER_WIDTH};
    enum core_rc rc = db_query(r, DB_Q_RUNS_WITH_RADIO, 0, radio_run, &runs, e);

    for (size_t i = 0; rc == CORE_OK && i < runs.ids.n; i++) {
        int64_t run_id = (int64_t)runs.ids.x[i];
        char(*row)[CELL_MAX];
        size_t c = 3;

        for (size_t k = 0; k < N_RADIO_SERIES; k++)
            q.s[k].n = 0;
        rc = db_query(r, DB_Q_RADIO_OF_RUN, run_id, radio_row, &q, e);
        if (rc != CORE_OK)
            break;
        row = table_row(&t, q.path, e);
        if (!row) {
            rc = e->rc;
            break;
        }
        snprintf(row[0], CELL_MAX, "%lld", (long long)run_id);
        snprintf(row[1], CELL_MAX, "%zu", q.s[0].n);
        snprintf(row[2], CELL_MAX, "%lld", (long long)runs.ues.x[i]);
        for (size_t k = 0; k < N_RADIO_SERIES; k++) {
            core_sort_doubles(q.s[k].x, q.s[k].n);
            for (size_t p = 0; p < ARRAY_LEN(probs); p++, c++)
                format_number(core_quantile_sorted(q.s[k].x, q.s[k].n, probs[p]), row[c]);
        }
    }
    if (rc == CORE_OK && runs.ids.n > 0) {
        fprintf(out, "\nradio samples (SINR in dB, rates in bit/s, percentiles over all "
                     "samples):\n");
        table_print(out, &t);
    }
    table_fini(&t);
    core_free(runs.ids.x);
    core_free(runs.ues.x);
    for (size_t k = 0; k < N_RADIO_SERIES; k++)
        core_free(q.s[k].x);
    return rc;
}

/* ---- inferences -------------------------------------------------------------------- */

/* The runs with inferences: their ids and policies, then their summaries. */
struct inference_runs {
    const char *path;              /* for messages */
    struct run_summary *sums;      /* [n] (owned) */
    size_t n, cap;                 /* used, allocated */
};

/* Room for one more summary in ir. */
static enum core_rc grow_sums(struct inference_runs *ir, struct core_err *e)
{
    size_t cap;
    struct run_summary *p;

    if (ir->n < ir->cap)
        return CORE_OK;
    cap = ir->cap ? 2 * ir->cap : 8;
    p = core_realloc(ir->sums, cap * sizeof(*p));
    if (!p)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu run summaries", ir->path,
                        cap);
    ir->sums = p;
    ir->cap = cap;
    return CORE_OK;
}

static enum core_rc inference_run(void *ctx, const struct db_value *cols, size_t n,
                                  struct core_err *e)
{
    struct inference_runs *ir = ctx;

    (void)n;
    if (grow_sums(ir, e) != CORE_OK)
        return e->rc;
    run_summary_init(&ir->sums[ir->n++], cols[1].null ? "-" : cols[1].text, cols[0].i);
    return CORE_OK;
}

/* One run's inferences going into its summary, or, grouped, into the
 * summaries of its groups (groups[first..] of out, made as they appear). */
struct inference_rows {
    struct run_summary *s;       /* the run's summary */
    const char *path;            /* for messages */
    const char *group_kind;      /* NULL: one summary; else what column 9 names */
    struct inference_runs *out;  /* grouped: where the groups' summaries go */
    size_t first;                /* grouped: the run's first group in out */
};

/* The summary of the row's group (column 9), made when new. */
static struct run_summary *group_of(struct inference_rows *ir, const struct db_value *key,
                                    struct core_err *e)
{
    const char *name = key->null ? "-" : key->text;
    struct run_summary *g;

    for (size_t i = ir->first; i < ir->out->n; i++)
        if (strcmp(ir->out->sums[i].group, name) == 0)
            return &ir->out->sums[i];
    if (grow_sums(ir->out, e) != CORE_OK)
        return NULL;
    g = &ir->out->sums[ir->out->n++];
    run_summary_init(g, ir->s->policy, ir->s->run_id);
    g->group_kind = ir->group_kind;
    snprintf(g->group, sizeof(g->group), "%s", name);
    return g;
}

/* One inference into the summary (only the columns it reads are filled). */
static enum core_rc inference_row(void *ctx, const struct db_value *cols, size_t n,
                                  struct core_err *e)
{
    struct inference_rows *ir = ctx;
    struct run_summary *s = ir->s;
    struct proto_outcome rec;

    if (ir->group_kind) {
        CORE_ASSERT(n >= 10);
        s = group_of(ir, &cols[9], e);
        if (!s)
            return e->rc;
    }
    memset(&rec, 0, sizeof(rec));
    rec.latency_s = cols[0].d;
    rec.ue_energy_j = cols[1].d;
    rec.edge_energy_j = cols[2].d;
    rec.declined = cols[3].i != 0;
    rec.overridden = cols[4].i != 0;
    rec.deadline_met = !cols[5].null && cols[5].i != 0;
    rec.correct = cols[6].null ? -1 : (int)cols[6].i;
    rec.finished = cols[7].i != 0;
    rec.no_plan = cols[8].i >= 0;
    if (run_summary_add(s, &rec, 1, e) != CORE_OK)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the inferences of run %lld",
                        ir->path, (long long)ir->s->run_id);
    return CORE_OK;
}

/* The encodings table being filled: one line per run. */
struct encodings_ctx {
    const char *path; /* for messages */
    struct table t;   /* the lines */
    int64_t run_id;   /* the run of the last line (-1: none yet) */
};

/* One (run, encoding): a new line for a new run, the encoding's share
 * appended to the run's cell. */
static enum core_rc encoding_row(void *ctx, const struct db_value *cols, size_t n,
                                 struct core_err *e)
{
    struct encodings_ctx *q = ctx;
    char(*row)[CELL_MAX];
    size_t len;

    (void)n;
    if (q->t.n_rows == 0 || cols[0].i != q->run_id) {
        row = table_row(&q->t, q->path, e);
        if (!row)
            return e->rc;
        q->run_id = cols[0].i;
        snprintf(row[0], CELL_MAX, "%lld", (long long)cols[0].i);
        format_text(&cols[1], row[1]);
    }
    row = &q->t.cells[(q->t.n_rows - 1) * q->t.n_cols];
    len = strlen(row[2]);
    snprintf(row[2] + len, CELL_MAX - len, "%s%s %.2f %%", len ? ", " : "", cols[2].text,
             100.0 * (double)cols[3].i / (double)cols[4].i);
    return CORE_OK;
}

/* The share of each run's finished inferences per uplink encoding, when
 * some inference sent one other than fp32. */
static enum core_rc print_encodings(struct db_reader *r, FILE *out, struct core_err *e)
{
    static const struct column cols[] = {{"run_id", true}, {"policy", false},
                                         {"encodings (share of finished inferences)", false}};
    struct encodings_ctx q = {db_reader_path(r), {cols, ARRAY_LEN(cols), NULL, 0, 0, 0}, -1};
    enum core_rc rc = db_query(r, DB_Q_ENCODINGS, 0, encoding_row, &q, e);

    if (rc == CORE_OK && q.t.n_rows > 0) {
        fprintf(out, "\nuplink encodings:\n");
        table_print(out, &q.t);
    }
    table_fini(&q.t);
    return rc;
}

/* The share of each run's finished inferences per exit they ended at, when
 * some inference ended at an early exit (the same lines as the encodings'). */
static enum core_rc print_exits(struct db_reader *r, FILE *out, struct core_err *e)
{
    static const struct column cols[] = {{"run_id", true}, {"policy", false},
                                         {"exits (share of finished inferences)", false}};
    struct encodings_ctx q = {db_reader_path(r), {cols, ARRAY_LEN(cols), NULL, 0, 0, 0}, -1};
    enum core_rc rc = db_query(r, DB_Q_EXITS, 0, encoding_row, &q, e);

    if (rc == CORE_OK && q.t.n_rows > 0) {
        fprintf(out, "\nexits:\n");
        table_print(out, &q.t);
    }
    table_fini(&q.t);
    return rc;
}

static enum core_rc print_inferences(struct db_reader *r, enum run_report_by by, FILE *out,
                                     struct core_err *e)
{
    static const char *const kinds[] = {
        [RUN_REPORT_BY_RUN] = NULL, [RUN_REPORT_BY_MODEL] = "model",
        [RUN_REPORT_BY_DEVICE] = "device"};
    struct inference_runs ir = {.path = db_reader_path(r)};
    struct inference_runs groups = {.path = ir.path};
    struct inference_runs *shown = by == RUN_REPORT_BY_RUN ? &ir : &groups;
    enum db_query q = by == RUN_REPORT_BY_MODEL    ? DB_Q_INFERENCES_BY_MODEL
                      : by == RUN_REPORT_BY_DEVICE ? DB_Q_INFERENCES_BY_DEVICE
                      : db_reader_version(r) >= 6  ? DB_Q_INFERENCES_OF_RUN
                                                   : DB_Q_INFERENCES_OF_RUN_V4;
    enum core_rc rc;

    if (by != RUN_REPORT_BY_RUN && db_reader_version(r) < 6)
        return core_err(e, CORE_E_INPUT, "%s: schema version %d has no %s of an inference "
                        "(schema 6 on)", ir.path, db_reader_version(r), kinds[by]);
    rc = db_query(r, DB_Q_RUNS_WITH_INFERENCES, 0, inference_run, &ir, e);
    for (size_t i = 0; rc == CORE_OK && i < ir.n; i++) {
        struct inference_rows rows = {&ir.sums[i], ir.path, kinds[by], &groups, groups.n};

        rc = db_query(r, q, ir.sums[i].run_id, inference_row, &rows, e);
        run_summary_finish(&ir.sums[i]);
        run_summary_fini(&ir.sums[i]);
        for (size_t g = rows.first; g < groups.n; g++) {
            run_summary_finish(&groups.sums[g]);
            run_summary_fini(&groups.sums[g]);
        }
    }
    if (rc == CORE_OK && shown->n > 0) {
        fprintf(out, "\ninferences%s%s (latencies in s with exact quantiles, energies in J per "
                     "inference):\n",
                kinds[by] ? " by " : "", kinds[by] ? kinds[by] : "");
        run_summary_print(out, shown->sums, shown->n);
    }
    for (size_t i = 0; i < ir.n; i++)
        run_summary_fini(&ir.sums[i]);
    for (size_t i = 0; i < groups.n; i++)
        run_summary_fini(&groups.sums[i]);
    core_free(ir.sums);
    core_free(groups.sums);
    return rc;
}

/* ---- profiles ------------------------------------------------------------------------ */

static const struct column profile_columns[] = {
    {"model", false},   {"resource", false}, {"threads", true},     {"layers", true},
    {"reps", true},     {"latency_s", true}, {"flops", true},       {"params", true},
    {"profiled_at", false}, {"host_key", false},
};

struct profiles_ctx {
    struct table t;    /* the lines */
    const char *path;  /* for messages */
};

static enum core_rc profile_row(void *ctx, const struct db_value *cols, size_t n,
                                struct core_err *e)
{
    struct profiles_ctx *p = ctx;
    char(*row)[CELL_MAX] = table_row(&p->t, p->path, e);

    if (!row)
        return e->rc;
    for (size_t c = 0; c < n; c++) {
        if (cols[c].null)
            snprintf(row[c], CELL_MAX, "-");
        else if (c == 5)
            format_number(cols[c].d, row[c]);
        else if (c == 0 || c == 1 || c == 8 || c == 9)
            format_text(&cols[c], row[c]);
        else
            snprintf(row[c], CELL_MAX, "%lld", (long long)cols[c].i);
    }
    for (size_t c = n; c < p->t.n_cols; c++)
        snprintf(row[c], CELL_MAX, "-"); /* a database from before host keys */
    return CORE_OK;
}

/* The profiles table: one line per profile (model, resource, threads,
 * profiled_at, host key), oldest first. Prints nothing when there is none. */
static enum core_rc print_profiles(struct db_reader *r, FILE *out, struct core_err *e)
{
    struct profiles_ctx p = {{profile_columns, ARRAY_LEN(profile_columns), NULL, 0, 0, 0},
                             db_reader_path(r)};
    enum core_rc rc = db_query(r,
                               db_reader_version(r) >= 11 ? DB_Q_PROFILES_BY_HOST : DB_Q_PROFILES,
                               0, profile_row, &p, e);

    if (rc == CORE_OK && p.t.n_rows > 0) {
        fprintf(out, "\nprofiles (latency_s: median of reps runs of the whole model):\n");
        table_print(out, &p.t);
    }
    table_fini(&p.t);
    return rc;
}

/* ---- overrides and configurations ------------------------------------------------------ */

struct overrides_ctx {
    FILE *out;   /* where lines go */
    size_t n;    /* runs printed */
};

static enum core_rc override_row(void *ctx, const struct db_value *cols, size_t n,
                                 struct core_err *e)
{
    struct overrides_ctx *o = ctx;
    const char *p = cols[1].text;

    (void)n;
    (void)e;
    if (o->n++ == 0)
        fprintf(o->out, "\noverrides (knobs --set changed from the scenario file):\n");
    while (*p) {
        size_t len = strcspn(p, "\n");

        fprintf(o->out, "  run %lld: %.*s\n", (long long)cols[0].i, (int)len, p);
        p += len + (p[len] == '\n');
    }
    return CORE_OK;
}

struct config_ctx {
    FILE *out;   /* where the text goes */
    bool found;  /* the run has one */
};

static enum core_rc config_row(void *ctx, const struct db_value *cols, size_t n,
                               struct core_err *e)
{
    struct config_ctx *c = ctx;

    (void)n;
    (void)e;
    fputs(cols[0].text, c->out);
    c->found = true;
    return CORE_OK;
}

enum core_rc run_report_config(const char *path, int64_t run_id, FILE *out, struct core_err *e)
{
    struct db_reader *r = NULL;
    struct config_ctx c = {out, false};
    enum core_rc rc = db_reader_open(path, &r, e);

    if (rc == CORE_OK)
        rc = db_query(r, DB_Q_RUN_CONFIG, run_id, config_row, &c, e);
    if (rc == CORE_OK && !c.found)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: run %lld does not exist or recorded no configuration (runs recorded "
                      "before schema version 5 do not)",
                      path, (long long)run_id);
    db_reader_close(r);
    return rc;
}

enum core_rc run_report_summary_of_run(struct db_reader *r, int64_t run_id, struct run_summary *s,
                                       struct core_err *e)
{
    struct inference_rows rows = {s, db_reader_path(r), NULL, NULL, 0};
    enum core_rc rc = db_query(r, db_reader_version(r) >= 6 ? DB_Q_INFERENCES_OF_RUN
                                                            : DB_Q_INFERENCES_OF_RUN_V4,
                               run_id, inference_row, &rows, e);

    run_summary_finish(s);
    return rc;
}

/* ---- the report ---------------------------------------------------------------------- */

static enum core_rc report(struct db_reader *r, enum run_report_by by, FILE *out,
                           struct core_err *e)
{
    const char *path = db_reader_path(r);
    struct runs_ctx runs = {{run_columns, ARRAY_LEN(run_columns), NULL, 0, 0, 0}, path, false};
    enum core_rc rc;
    size_t n_runs;

    if (db_reader_version(r) == 0) {
        fprintf(out, "%s: no runs (no coinfer tables yet)\n", path);
        return CORE_OK;
    }
    fprintf(out, "%s: results database, schema version %d\n", path, db_reader_version(r));
    rc = db_query(r, DB_Q_RUNS, 0, run_row, &runs, e);
    n_runs = runs.t.n_rows;
    if (rc == CORE_OK && n_runs > 0) {
        fprintf(out, "\nruns:\n");
        table_print(out, &runs.t);
    }
    table_fini(&runs.t);
    if (rc != CORE_OK)
        return rc;
    if (n_runs == 0) {
        fprintf(out, "no runs\n");
        return print_profiles(r, out, e);
    }
    {
        struct overrides_ctx o = {out, 0};

        rc = db_query(r, DB_Q_RUN_OVERRIDES, 0, override_row, &o, e);
        if (rc != CORE_OK)
            return rc;
    }
    if (runs.any_requests)
        rc = print_requests(r, out, e);
    if (rc == CORE_OK)
        rc = print_radio(r, out, e);
    if (rc == CORE_OK)
        rc = print_inferences(r, by, out, e);
    if (rc == CORE_OK && by == RUN_REPORT_BY_RUN)
        rc = print_encodings(r, out, e);
    if (rc == CORE_OK && by == RUN_REPORT_BY_RUN)
        rc = print_exits(r, out, e);
    if (rc == CORE_OK)
        rc = run_report_sweeps(r, NULL, out, e);
    if (rc == CORE_OK)
        rc = print_profiles(r, out, e);
    if (rc == CORE_OK)
        fprintf(out, "\n%zu run%s\n", n_runs, n_runs == 1 ? "" : "s");
    return rc;
}

enum core_rc run_report(const char *path, enum run_report_by by, FILE *out, struct core_err *e)
{
    struct db_reader *r = NULL;
    enum core_rc rc = db_reader_open(path, &r, e);

    if (rc == CORE_OK)
        rc = report(r, by, out, e);
    db_reader_close(r);
    return rc;
}
