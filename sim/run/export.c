/*
 * export.c — what `coinfer export` writes: a table of a results database,
 * or the per-point statistics of its sweeps, as delimited text for pandas,
 * R or a spreadsheet.
 *
 * Format: a header line of column names, then one line per row, fields
 * separated by a comma (CSV) or a tab (TSV), each line ending in "\n". A
 * field holding the separator, a double quote, a carriage return or a line
 * feed is enclosed in double quotes with its quotes doubled (RFC 4180's
 * quoting, for TSV too); NULL is an empty field. Reals are written as the
 * shortest decimal that reads back as the same double, so nothing is lost.
 *
 * The sweep table is tidy (long) format: one line per point, policy and
 * metric, with the sweep's name, one column per factor (every factor of
 * every sweep in the database, empty where a sweep has no such factor;
 * numbers in SI, other values as written), the policy, the metric and its
 * n, mean, sd, and 95 % t-interval (half-width, low, high) over the point's
 * complete replications.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_field(FILE *out, char sep, const char *text, bool first)
{
    if (!first)
        fputc(sep, out);
    if (!strchr(text, sep) && !strpbrk(text, "\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

/* x as the shortest decimal that reads back as x; "" for NAN. */
static void number_text(double x, char *buf, size_t size)
{
    if (isnan(x)) {
        buf[0] = '\0';
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* ---- a table ---------------------------------------------------------------------- */

struct table_ctx {
    FILE *out;
    char sep;
    const char *want;   /* the table asked for */
    bool found;         /* it exists */
    char names[1024];   /* every table, comma-separated */
};

static enum core_rc table_name(void *ctx, const struct db_value *cols, size_t n,
                               struct core_err *e)
{
    struct table_ctx *t = ctx;
    size_t used = strlen(t->names);

    if (strcmp(cols[0].text, t->want) == 0)
        t->found = true;
    snprintf(t->names + used, sizeof(t->names) - used, "%s%s", used ? ", " : "", cols[0].text);
    return CORE_OK;
}

static enum core_rc table_row(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct table_ctx *t = ctx;

    for (size_t c = 0; c < n; c++)
        put_field(t->out, t->sep, cols[c].text, c == 0);
    fputc('\n', t->out);
    return CORE_OK;
}

enum core_rc run_export_table(const char *path, const char *table, int64_t run_id, char sep,
                              FILE *out, struct core_err *e)
{
    struct table_ctx t = {.out = out, .sep = sep, .want = table};
    struct db_reader *r = NULL;
    enum core_rc rc = db_reader_open(path, &r, e);
    bool has_run = false;

    if (rc != CORE_OK)
        return rc;
    rc = db_reader_tables(r, table_name, &t, e);
    if (rc != CORE_OK)
        goto out;
    if (!t.found) {
        rc = core_err(e, CORE_E_USAGE, "--table %s: %s has no such table (its tables: %s)",
                      table, path, t.names[0] ? t.names : "none");
        goto out;
    }
    if (run_id > 0) {
        rc = db_reader_has_column(r, table, "run_id", &has_run, e);
        if (rc == CORE_OK && !has_run)
            rc = core_err(e, CORE_E_USAGE,
                          "--run: table %s has no run_id column (its rows belong to no run)",
                          table);
        if (rc != CORE_OK)
            goto out;
    }
    rc = db_read_table(r, table, run_id, table_row, table_row, &t, e);
out:
    db_reader_close(r);
    return rc;
}

/* ---- the sweeps' statistics ----------------------------------------------------------- */

/* Every factor name of st's groups, in order of first appearance, into names
 * (owned array of borrowed strings). */
static enum core_rc factor_names(const struct run_sweep_stats *st, const char ***names,
                                 size_t *n, struct core_err *e)
{
    size_t cap = 0;

    *names = NULL;
    *n = 0;
    for (size_t i = 0; i < st->n; i++)
        cap += st->g[i].n_v;
    *names = core_calloc(cap + 1, sizeof(**names));
    if (!*names)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", st->path);
    for (size_t i = 0; i < st->n; i++)
        for (size_t k = 0; k < st->g[i].n_v; k++) {
            bool seen = false;

            for (size_t j = 0; j < *n && !seen; j++)
                seen = strcmp((*names)[j], st->g[i].v[k].factor) == 0;
            if (!seen)
                (*names)[(*n)++] = st->g[i].v[k].factor;
        }
    return CORE_OK;
}

enum core_rc run_export_sweep(const char *path, char sep, FILE *out, struct core_err *e)
{
    static const char *const stat_cols[] = {"policy", "metric", "n", "mean", "sd",
                                            "ci95_half_width", "ci95_low", "ci95_high"};
    struct run_sweep_stats st;
    struct db_reader *r = NULL;
    const char **names = NULL;
    size_t n_names = 0;
    enum core_rc rc = db_reader_open(path, &r, e);

    if (rc != CORE_OK)
        return rc;
    rc = run_sweep_stats_read(r, &st, e);
    if (rc != CORE_OK)
        goto out_close;
    if (st.n == 0) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no complete sweep point to export (run a sweep into it: coinfer "
                      "sweep FILE --db %s)",
                      path, path);
        goto out;
    }
    rc = factor_names(&st, &names, &n_names, e);
    if (rc != CORE_OK)
        goto out;
    put_field(out, sep, "sweep", true);
    for (size_t f = 0; f < n_names; f++)
        put_field(out, sep, names[f], false);
    for (size_t c = 0; c < ARRAY_LEN(stat_cols); c++)
        put_field(out, sep, stat_cols[c], false);
    fputc('\n', out);
    for (size_t i = 0; i < st.n; i++) {
        const struct run_sweep_group *g = &st.g[i];

        for (size_t m = 0; m < RUN_M_COUNT; m++) {
            const struct core_stats *s = &g->m[m];
            double half = run_ci95_half_width(s);
            char num[40];

            if (s->n == 0)
                continue;
            put_field(out, sep, g->sweep, true);
            for (size_t f = 0; f < n_names; f++) {
                const char *text = "";

                for (size_t k = 0; k < g->n_v; k++)
                    if (strcmp(g->v[k].factor, names[f]) == 0) {
                        number_text(g->v[k].num, num, sizeof(num));
                        text = isnan(g->v[k].num) ? g->v[k].value : num;
                        break;
                    }
                put_field(out, sep, text, false);
            }
            put_field(out, sep, g->policy, false);
            put_field(out, sep, run_sweep_metric_names[m], false);
            snprintf(num, sizeof(num), "%llu", (unsigned long long)s->n);
            put_field(out, sep, num, false);
            number_text(s->mean, num, sizeof(num));
            put_field(out, sep, num, false);
            number_text(s->n >= 2 ? core_stats_sd(s) : NAN, num, sizeof(num));
            put_field(out, sep, num, false);
            number_text(half, num, sizeof(num));
            put_field(out, sep, num, false);
            number_text(s->mean - half, num, sizeof(num));
            put_field(out, sep, num, false);
            number_text(s->mean + half, num, sizeof(num));
            put_field(out, sep, num, false);
            fputc('\n', out);
        }
    }
out:
    core_free(names);
    run_sweep_stats_fini(&st);
out_close:
    db_reader_close(r);
    return rc;
}
