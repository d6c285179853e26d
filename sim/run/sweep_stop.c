/*
 * sweep_stop.c — sequential stopping of a sweep's replications
 * (<replications min max metric rel-half-width>, scenarios/sweep.xsd).
 *
 * A sweep with stopping runs in rounds, each a run_sweep_points over a list
 * of points that waits for all of them. Round 0 is the first min
 * replications of every combination, every policy. After each round the
 * per-point statistics are read back from the results database
 * (run_sweep_stats_read: the metric of each complete replication): a
 * combination is within the target when, for every policy the filter keeps,
 * the 95 % t-interval half-width of the metric's mean over its complete
 * replications is at most rel_half_width x |mean| (n >= 2). Every
 * combination not within the target and below max gets its next
 * replication, all policies (so the policies keep common random numbers
 * and the differences stay paired), in the next round. The sweep ends when
 * no combination needs more. The replications already complete in the
 * database count (a re-run resumes and decides on all of them). Because a
 * round starts only when the one before has ended, what runs does not
 * depend on the number of jobs.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "factor=value, ..." of combination c (as the sweep_values query joins them). */
static void combination_text(const struct io_sweep *s, const struct io_sweep_point *pt, char *buf,
                             size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t f = 0; f < io_sweep_n_factors(s) && used + 1 < size; f++) {
        snprintf(buf + used, size - used, "%s%s=%s", f ? ", " : "", io_sweep_factor_name(s, f),
                 io_sweep_point_value(s, pt, f));
        used += strlen(buf + used);
    }
}

static uint64_t point_index(const struct io_sweep *s, uint64_t c, uint64_t r, uint64_t p)
{
    return (c * io_sweep_n_replications(s) + r) * io_sweep_n_policies(s) + p;
}

static void add_result(struct run_sweep_result *to, const struct run_sweep_result *r)
{
    snprintf(to->db_path, sizeof(to->db_path), "%s", r->db_path);
    to->points += r->points;
    to->complete_before += r->complete_before;
    to->failed_before += r->failed_before;
    to->run += r->run;
    to->failed += r->failed;
    to->left += r->left;
}

/* Whether combination c is within the target: every policy the filter keeps
 * has n >= 2 replications of metric m with half-width <= rel |mean|. */
static bool within_target(const struct io_sweep *s, const struct run_sweep_options *opt,
                          const struct run_sweep_stats *st, uint64_t c, enum run_sweep_metric m,
                          struct io_value *values)
{
    const struct io_sweep_stopping *stop = io_sweep_stopping(s);
    char text[sizeof(st->g[0].values)];
    struct io_sweep_point pt;

    io_sweep_point(s, point_index(s, c, 0, 0), &pt);
    combination_text(s, &pt, text, sizeof(text));
    for (size_t p = 0; p < io_sweep_n_policies(s); p++) {
        const struct run_sweep_group *g = NULL;
        double half;

        io_sweep_point(s, point_index(s, c, 0, p), &pt);
        if (opt->filter) {
            io_sweep_point_values(s, &pt, values);
            if (!io_expr_eval(opt->filter, values))
                continue;
        }
        for (size_t i = 0; i < st->n && !g; i++)
            if (strcmp(st->g[i].sweep, io_sweep_name(s)) == 0 &&
                strcmp(st->g[i].policy, pt.policy) == 0 && strcmp(st->g[i].values, text) == 0)
                g = &st->g[i];
        if (!g || g->m[m].n < 2)
            return false;
        half = run_ci95_half_width(&g->m[m]);
        if (!(half <= stop->rel_half_width * fabs(g->m[m].mean)))
            return false;
    }
    return true;
}

enum core_rc run_sweep(const struct io_sweep *s, const struct run_sweep_options *opt,
                       struct run_sweep_result *res, struct core_err *e)
{
    const struct io_sweep_stopping *stop = io_sweep_stopping(s);
    uint64_t n_comb = io_sweep_n_combinations(s), n_pol = io_sweep_n_policies(s);
    uint64_t max = io_sweep_n_replications(s);
    struct run_sweep_options round = *opt;
    enum run_sweep_metric m;
    uint64_t *list = NULL, *next_rep = NULL;
    bool *open = NULL;
    struct io_value *values = NULL;
    size_t n_list = 0;
    enum core_rc rc = CORE_OK;

    if (!stop->on || opt->points)
        return run_sweep_points(s, opt, res, e);
    memset(res, 0, sizeof(*res));
    if (opt->n_shards > 1)
        return core_err(e, CORE_E_USAGE,
                        "--shard: sweep %s stops its replications sequentially (%s:%ld), which "
                        "decides each combination over all its replications: run it whole",
                        io_sweep_name(s), io_sweep_path(s), stop->line);
    m = run_sweep_metric_of(stop->metric);
    if (m == RUN_M_COUNT)
        return core_err(e, CORE_E_INPUT, "%s:%ld: <replications>: no metric '%s'",
                        io_sweep_path(s), stop->line, stop->metric);
    list = core_calloc((size_t)(n_comb * n_pol * stop->min) + 1, sizeof(*list));
    next_rep = core_calloc((size_t)n_comb + 1, sizeof(*next_rep));
    open = core_calloc((size_t)n_comb + 1, sizeof(*open));
    values = core_calloc(io_sweep_n_names(s), sizeof(*values));
    if (!list || !next_rep || !open || !values) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
        goto out;
    }
    for (uint64_t c = 0; c < n_comb; c++) {
        for (uint64_t r = 0; r < stop->min; r++)
            for (uint64_t p = 0; p < n_pol; p++)
                list[n_list++] = point_index(s, c, r, p);
        next_rep[c] = stop->min;
        open[c] = true;
    }
    while (n_list > 0) {
        struct run_sweep_result r;
        struct run_sweep_stats st;
        struct db_reader *reader = NULL;

        round.points = list;
        round.n_given = n_list;
        rc = run_sweep_points(s, &round, &r, e);
        add_result(res, &r);
        res->wall_s += r.wall_s;
        if (rc != CORE_OK)
            break;
        rc = db_reader_open(res->db_path, &reader, e);
        if (rc == CORE_OK)
            rc = run_sweep_stats_read(reader, &st, e);
        if (rc != CORE_OK) {
            db_reader_close(reader);
            break;
        }
        n_list = 0;
        for (uint64_t c = 0; c < n_comb; c++) {
            if (!open[c])
                continue;
            if (within_target(s, opt, &st, c, m, values)) {
                open[c] = false;
                res->within_target++;
            } else if (next_rep[c] >= max) {
                open[c] = false;
                res->at_max++;
            } else {
                /* list has room: at most one point per policy and open combination */
                for (uint64_t p = 0; p < n_pol; p++)
                    list[n_list++] = point_index(s, c, next_rep[c], p);
                next_rep[c]++;
            }
        }
        run_sweep_stats_fini(&st);
        db_reader_close(reader);
    }
out:
    core_free(list);
    core_free(next_rep);
    core_free(open);
    core_free(values);
    return rc;
}
