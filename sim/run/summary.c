/*
 * summary.c — the per-policy summary of collaborative inferences that
 * `coinfer run` prints after a run and `coinfer report` prints from the
 * database: count, latency mean and p50 / p95 / p99, mean UE and edge energy
 * per inference, deadline hit ratio, declines, overrides and, where the
 * outcome is known (real mode), accuracy.
 *
 * Quantiles are exact: every latency is kept in one growable array of
 * doubles (counted allocator, doubling from SUMMARY_INITIAL), sorted by
 * run_summary_finish and read with core_quantile_sorted (R type 7).
 * A run of a few hundred thousand inferences costs a few MB. Means are plain
 * sums over the rows in the order they were added, divided by the count.
 *
 * Printing formats every cell twice (widths, then lines) instead of keeping
 * a table of strings, so it allocates nothing; numbers have six significant
 * digits, "-" marks a figure that does not exist (NAN).
 */
#include "run/run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SUMMARY_INITIAL  1024 /* latencies allocated at the first add */
#define SUMMARY_CELL_MAX 64   /* bytes of one formatted cell */

/* The figures of the table, in printed order. */
enum summary_col {
    COL_RUN_ID,
    COL_POLICY,
    COL_GROUP,
    COL_INFERENCES,
    COL_UNFINISHED,
    COL_NO_PLAN,
    COL_MEAN_LATENCY,
    COL_P50_LATENCY,
    COL_P95_LATENCY,
    COL_P99_LATENCY,
    COL_UE_ENERGY,
    COL_EDGE_ENERGY,
    COL_DEADLINE,
    COL_DECLINED,
    COL_OVERRIDDEN,
    COL_ACCURACY,
    COL_COUNT
};

static const char *const col_names[] = {
    [COL_RUN_ID] = "run_id",
    [COL_POLICY] = "policy",
    [COL_GROUP] = "group",
    [COL_INFERENCES] = "inferences",
    [COL_UNFINISHED] = "unfinished",
    [COL_NO_PLAN] = "no_plan",
    [COL_MEAN_LATENCY] = "mean_latency_s",
    [COL_P50_LATENCY] = "p50_latency_s",
    [COL_P95_LATENCY] = "p95_latency_s",
    [COL_P99_LATENCY] = "p99_latency_s",
    [COL_UE_ENERGY] = "mean_ue_energy_j",
    [COL_EDGE_ENERGY] = "mean_edge_energy_j",
    [COL_DEADLINE] = "deadline_hit_ratio",
    [COL_DECLINED] = "declined",
    [COL_OVERRIDDEN] = "overridden",
    [COL_ACCURACY] = "accuracy",
};
static_assert(ARRAY_LEN(col_names) == COL_COUNT, "one name per summary column");

void run_summary_init(struct run_summary *s, const char *policy, int64_t run_id)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->policy, sizeof(s->policy), "%s", policy ? policy : "");
    s->run_id = run_id;
    run_summary_finish(s);
}

enum core_rc run_summary_add(struct run_summary *s,
                                   const struct proto_outcome *rows, size_t n,
                                   struct core_err *e)
{
    size_t i;

    if (s->n_finished + n > s->capacity) {
        size_t capacity = s->capacity ? s->capacity : SUMMARY_INITIAL;
        double *p;

        while (capacity < s->n_finished + n)
            capacity *= 2;
        p = core_realloc(s->latency_s, capacity * sizeof(*p));
        if (!p)
            return core_err(e, CORE_E_NOMEM, "out of memory for the latencies of %llu inferences",
                            (unsigned long long)(s->n_finished + n));
        s->latency_s = p;
        s->capacity = capacity;
    }
    for (i = 0; i < n; i++) {
        const struct proto_outcome *r = &rows[i];

        s->count++;
        if (r->finished) {
            s->latency_s[s->n_finished++] = r->latency_s;
            s->sum_latency_s += r->latency_s;
            s->sum_ue_energy_j += r->ue_energy_j;
            s->sum_edge_energy_j += r->edge_energy_j;
        } else if (r->no_plan) {
            s->no_plan++;
        } else {
            s->unfinished++;
        }
        s->declined += r->declined;
        s->overridden += r->overridden;
        s->deadline_met += r->deadline_met;
        if (r->correct >= 0) {
            s->correct_known++;
            s->correct += r->correct > 0;
        }
    }
    return CORE_OK;
}

void run_summary_finish(struct run_summary *s)
{
    double nf = (double)s->n_finished;

    core_sort_doubles(s->latency_s, s->n_finished);
    s->mean_latency_s = s->n_finished ? s->sum_latency_s / nf : NAN;
    s->p50_latency_s = core_quantile_sorted(s->latency_s, s->n_finished, 0.50);
    s->p95_latency_s = core_quantile_sorted(s->latency_s, s->n_finished, 0.95);
    s->p99_latency_s = core_quantile_sorted(s->latency_s, s->n_finished, 0.99);
    s->mean_ue_energy_j = s->n_finished ? s->sum_ue_energy_j / nf : NAN;
    s->mean_edge_energy_j = s->n_finished ? s->sum_edge_energy_j / nf : NAN;
    s->deadline_ratio = s->count ? (double)s->deadline_met / (double)s->count : NAN;
    s->accuracy = s->correct_known ? (double)s->correct / (double)s->correct_known : NAN;
}

void run_summary_fini(struct run_summary *s)
{
    core_free(s->latency_s);
    s->latency_s = NULL;
    s->capacity = 0;
}

static void format_number(double x, char cell[SUMMARY_CELL_MAX])
{
    if (isnan(x))
        snprintf(cell, SUMMARY_CELL_MAX, "-");
    else
        snprintf(cell, SUMMARY_CELL_MAX, "%.6g", x);
}

/* Figure c of s as text. */
static void format_cell(const struct run_summary *s, enum summary_col c,
                        char cell[SUMMARY_CELL_MAX])
{
    switch (c) {
    case COL_RUN_ID:
        snprintf(cell, SUMMARY_CELL_MAX, "%lld", (long long)s->run_id);
        return;
    case COL_POLICY:
        snprintf(cell, SUMMARY_CELL_MAX, "%s", s->policy[0] ? s->policy : "-");
        return;
    case COL_GROUP:
        snprintf(cell, SUMMARY_CELL_MAX, "%s", s->group[0] ? s->group : "-");
        return;
    case COL_INFERENCES:
        snprintf(cell, SUMMARY_CELL_MAX, "%llu", (unsigned long long)s->count);
        return;
    case COL_UNFINISHED:
        snprintf(cell, SUMMARY_CELL_MAX, "%llu", (unsigned long long)s->unfinished);
        return;
    case COL_NO_PLAN:
        snprintf(cell, SUMMARY_CELL_MAX, "%llu", (unsigned long long)s->no_plan);
        return;
    case COL_MEAN_LATENCY:
        format_number(s->mean_latency_s, cell);
        return;
    case COL_P50_LATENCY:
        format_number(s->p50_latency_s, cell);
        return;
    case COL_P95_LATENCY:
        format_number(s->p95_latency_s, cell);
        return;
    case COL_P99_LATENCY:
        format_number(s->p99_latency_s, cell);
        return;
    case COL_UE_ENERGY:
        format_number(s->mean_ue_energy_j, cell);
        return;
    case COL_EDGE_ENERGY:
        format_number(s->mean_edge_energy_j, cell);
        return;
    case COL_DEADLINE:
        format_number(s->deadline_ratio, cell);
        return;
    case COL_DECLINED:
        snprintf(cell, SUMMARY_CELL_MAX, "%llu", (unsigned long long)s->declined);
        return;
    case COL_OVERRIDDEN:
        snprintf(cell, SUMMARY_CELL_MAX, "%llu", (unsigned long long)s->overridden);
        return;
    case COL_ACCURACY:
    case COL_COUNT:
        format_number(s->accuracy, cell);
        return;
    }
}

/* Under a table: what its means are over, when some inference is
 * unfinished. */
static void print_note(FILE *out, const struct run_summary *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].unfinished > 0 || s[i].no_plan > 0) {
            fprintf(out, "(latency and energy figures are over the finished inferences only; "
                         "an unfinished or no-plan one counts as a missed deadline)\n");
            return;
        }
}

/* Whether any summary has a run (then the run_id column is printed). */
static bool any_run_id(const struct run_summary *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i].run_id != 0)
            return true;
    return false;
}

/* What the summaries are grouped by ("model", ...), or NULL. */
static const char *group_kind(const struct run_summary *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].group_kind)
            return s[i].group_kind;
    return NULL;
}

/* Whether column c is printed: the group column only when grouped. */
static bool shown(const struct run_summary *s, size_t n, int c)
{
    return c != COL_GROUP || group_kind(s, n) != NULL;
}

/* Column c's heading: the group column is named for what it groups by. */
static const char *heading(const struct run_summary *s, size_t n, int c)
{
    return c == COL_GROUP ? group_kind(s, n) : col_names[c];
}

/* Pad text to width (right-aligned, or left-aligned unless last), then the
 * separator or the end of the line. */
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

void run_summary_print(FILE *out, const struct run_summary *s, size_t n)
{
    size_t widths[COL_COUNT];
    char cell[SUMMARY_CELL_MAX];
    enum summary_col first = any_run_id(s, n) ? COL_RUN_ID : COL_POLICY;
    size_t i;
    int c;

    for (c = first; c < COL_COUNT; c++) {
        if (!shown(s, n, c))
            continue;
        widths[c] = strlen(heading(s, n, c));
        for (i = 0; i < n; i++) {
            format_cell(&s[i], (enum summary_col)c, cell);
            if (strlen(cell) > widths[c])
                widths[c] = strlen(cell);
        }
    }
    for (c = first; c < COL_COUNT; c++)
        if (shown(s, n, c))
            print_cell(out, heading(s, n, c), widths[c], c != COL_POLICY && c != COL_GROUP,
                       c + 1 == COL_COUNT);
    for (i = 0; i < n; i++) {
        for (c = first; c < COL_COUNT; c++) {
            if (!shown(s, n, c))
                continue;
            format_cell(&s[i], (enum summary_col)c, cell);
            print_cell(out, cell, widths[c], c != COL_POLICY && c != COL_GROUP,
                       c + 1 == COL_COUNT);
        }
    }
    print_note(out, s, n);
}

void run_summary_print_columns(FILE *out, const struct run_summary *s, size_t n)
{
    enum summary_col first = any_run_id(s, n) ? COL_RUN_ID : COL_POLICY;
    size_t name_width = 0, width = 0, i;
    char cell[SUMMARY_CELL_MAX];
    int c;

    /* One width for every policy column keeps the figures in a grid. */
    for (c = first; c < COL_COUNT; c++) {
        if (!shown(s, n, c))
            continue;
        if (strlen(heading(s, n, c)) > name_width)
            name_width = strlen(heading(s, n, c));
        for (i = 0; i < n; i++) {
            format_cell(&s[i], (enum summary_col)c, cell);
            if (strlen(cell) > width)
                width = strlen(cell);
        }
    }
    for (c = first; c < COL_COUNT; c++) {
        if (!shown(s, n, c))
            continue;
        print_cell(out, heading(s, n, c), name_width, false, n == 0);
        for (i = 0; i < n; i++) {
            format_cell(&s[i], (enum summary_col)c, cell);
            print_cell(out, cell, width, true, i + 1 == n);
        }
    }
    print_note(out, s, n);
}
