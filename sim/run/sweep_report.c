/*
 * sweep_report.c — the per-point statistics of parameter studies, and what
 * `coinfer report DB` prints of them: per point of each sweep (its factor
 * values and policy), the statistics of each metric over the point's
 * replications: n, mean, standard deviation and the 95 % t-interval of the
 * mean (mean -+ t(0.975, n - 1) sd / sqrt(n)); with a reference policy
 * (--versus), the paired differences against it.
 *
 * A point's metrics are its run's summary figures (summary.c, the ones
 * `coinfer run` prints): mean and p95 latency and mean UE and edge energy
 * per inference over the finished inferences, the deadline hit ratio, the
 * accuracy where outcomes are known, and the fraction unfinished. A figure
 * a run does not have (no finished inference, no known outcome) is left out
 * of that metric's n. Points are grouped by (sweep, factor values, policy)
 * in the order of their first point; only complete points count.
 *
 * Paired differences. The policies of one combination and replication run
 * on one seed (common random numbers: the same arrivals, channels and
 * mobility), so the difference d = metric(policy) - metric(reference) of
 * each seed both have removes the noise they share. Over the n seeds of a
 * point: mean d, and the paired t-interval mean(d) -+ t(0.975, n - 1)
 * sd(d) / sqrt(n), far narrower than the two policies' own intervals when
 * their runs are correlated.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

const char *const run_sweep_metric_names[RUN_M_COUNT] = {
    "mean_latency_s", "p95_latency_s", "mean_ue_energy_j", "mean_edge_energy_j",
    "deadline_hit_ratio", "accuracy", "unfinished_ratio"};

enum run_sweep_metric run_sweep_metric_of(const char *name)
{
    for (size_t m = 0; m < RUN_M_COUNT; m++)
        if (strcmp(name, run_sweep_metric_names[m]) == 0)
            return (enum run_sweep_metric)m;
    return RUN_M_COUNT;
}

const char *run_sweep_metric_unit(enum run_sweep_metric m)
{
    switch (m) {
    case RUN_M_MEAN_LATENCY:
    case RUN_M_P95_LATENCY:
        return "s";
    case RUN_M_UE_ENERGY:
    case RUN_M_EDGE_ENERGY:
        return "J";
    default:
        return "1";
    }
}

double run_ci95_half_width(const struct core_stats *s)
{
    if (s->n < 2)
        return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)(s->n - 1)) * core_stats_sd(s) / sqrt((double)s->n);
}

/* ---- reading the points ------------------------------------------------------------ */

struct values_ctx {
    struct run_sweep_group *g;
    const char *path;
};

/* One factor value of a group's first point: factor, path, value, value_num. */
static enum core_rc value_row(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct values_ctx *vc = ctx;
    struct run_sweep_group *g = vc->g;
    struct run_sweep_value *grown, *v;

    CORE_ASSERT(n >= 4);
    grown = core_realloc(g->v, (g->n_v + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the sweep's values", vc->path);
    g->v = grown;
    v = &g->v[g->n_v];
    v->factor = core_strdup(cols[0].text);
    v->path = core_strdup(cols[1].text);
    v->value = core_strdup(cols[2].text);
    v->num = cols[3].null ? NAN : cols[3].d;
    g->n_v++;
    if (!v->factor || !v->path || !v->value)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the sweep's values", vc->path);
    return CORE_OK;
}

static struct run_sweep_group *group_for(struct run_sweep_stats *st, struct db_reader *r,
                                         const struct db_value *cols, struct core_err *e)
{
    struct run_sweep_group *g;
    struct values_ctx vc;

    for (size_t i = 0; i < st->n; i++) {
        g = &st->g[i];
        if (strcmp(g->sweep, cols[0].text) == 0 && strcmp(g->policy, cols[1].text) == 0 &&
            strcmp(g->values, cols[3].text) == 0)
            return g;
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 16;
        struct run_sweep_group *grown = core_realloc(st->g, cap * sizeof(*grown));

        if (!grown) {
            core_err(e, CORE_E_NOMEM, "%s: out of memory for the sweep's points", st->path);
            return NULL;
        }
        st->g = grown;
        st->cap = cap;
    }
    g = &st->g[st->n++];
    memset(g, 0, sizeof(*g));
    snprintf(g->sweep, sizeof(g->sweep), "%s", cols[0].text);
    snprintf(g->policy, sizeof(g->policy), "%s", cols[1].text);
    snprintf(g->values, sizeof(g->values), "%s", cols[3].text);
    g->combination = (uint64_t)cols[4].i;
    for (size_t m = 0; m < RUN_M_COUNT; m++)
        core_stats_init(&g->m[m]);
    vc = (struct values_ctx){.g = g, .path = st->path};
    if (db_query(r, DB_Q_SWEEP_VALUES_OF_RUN, cols[2].i, value_row, &vc, e) != CORE_OK)
        return NULL;
    return g;
}

static void add(struct core_stats *s, double x)
{
    if (!isnan(x))
        core_stats_add(s, x);
}

struct points_ctx {
    struct run_sweep_stats *st;
    struct db_reader *r;
};

/* One complete point: sweep, policy, run_id, values, combination, replication, seed. */
static enum core_rc point_row(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct points_ctx *pc = ctx;
    struct run_sweep_group *g;
    struct run_sweep_rep *rep;
    struct run_summary s;
    enum core_rc rc;

    CORE_ASSERT(n >= 7);
    g = group_for(pc->st, pc->r, cols, e);
    if (!g)
        return e->rc;
    if (g->n_reps == g->cap_reps) {
        size_t cap = g->cap_reps ? 2 * g->cap_reps : 4;
        struct run_sweep_rep *grown = core_realloc(g->reps, cap * sizeof(*grown));

        if (!grown)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory for the sweep's points",
                            pc->st->path);
        g->reps = grown;
        g->cap_reps = cap;
    }
    rep = &g->reps[g->n_reps];
    rep->replication = (uint64_t)cols[5].i;
    rep->seed = (uint64_t)cols[6].i;
    run_summary_init(&s, cols[1].text, cols[2].i);
    rc = run_report_summary_of_run(pc->r, cols[2].i, &s, e);
    if (rc == CORE_OK) {
        rep->m[RUN_M_MEAN_LATENCY] = s.mean_latency_s;
        rep->m[RUN_M_P95_LATENCY] = s.p95_latency_s;
        rep->m[RUN_M_UE_ENERGY] = s.mean_ue_energy_j;
        rep->m[RUN_M_EDGE_ENERGY] = s.mean_edge_energy_j;
        rep->m[RUN_M_DEADLINE] = s.deadline_ratio;
        rep->m[RUN_M_ACCURACY] = s.correct_known ? s.accuracy : NAN;
        rep->m[RUN_M_UNFINISHED] = s.count ? (double)s.unfinished / (double)s.count : NAN;
        for (size_t m = 0; m < RUN_M_COUNT; m++)
            add(&g->m[m], rep->m[m]);
        g->n_reps++;
    }
    run_summary_fini(&s);
    return rc;
}

enum core_rc run_sweep_stats_read(struct db_reader *r, struct run_sweep_stats *st,
                                  struct core_err *e)
{
    struct points_ctx pc = {.st = st, .r = r};
    enum core_rc rc;

    memset(st, 0, sizeof(*st));
    st->path = db_reader_path(r);
    rc = db_query(r, DB_Q_SWEEP_POINTS, 0, point_row, &pc, e);
    if (rc != CORE_OK)
        run_sweep_stats_fini(st);
    return rc;
}

void run_sweep_stats_fini(struct run_sweep_stats *st)
{
    for (size_t i = 0; st->g && i < st->n; i++) {
        struct run_sweep_group *g = &st->g[i];

        for (size_t k = 0; k < g->n_v; k++) {
            core_free(g->v[k].factor);
            core_free(g->v[k].path);
            core_free(g->v[k].value);
        }
        core_free(g->v);
        core_free(g->reps);
    }
    core_free(st->g);
    memset(st, 0, sizeof(*st));
}

const struct run_sweep_group *run_sweep_reference(const struct run_sweep_stats *st,
                                                  const struct run_sweep_group *g,
                                                  const char *policy)
{
    for (size_t i = 0; i < st->n; i++) {
        const struct run_sweep_group *h = &st->g[i];

        if (strcmp(h->policy, policy) == 0 && strcmp(h->sweep, g->sweep) == 0 &&
            strcmp(h->values, g->values) == 0)
            return h;
    }
    return NULL;
}

void run_sweep_paired(const struct run_sweep_group *g, const struct run_sweep_group *ref,
                      enum run_sweep_metric m, struct core_stats *d)
{
    core_stats_init(d);
    for (size_t i = 0; i < g->n_reps; i++)
        for (size_t j = 0; j < ref->n_reps; j++)
            if (ref->reps[j].seed == g->reps[i].seed) {
                double x = g->reps[i].m[m], y = ref->reps[j].m[m];

                if (!isnan(x) && !isnan(y))
                    core_stats_add(d, x - y);
                break;
            }
}

/* ---- printing -------------------------------------------------------------------- */

static void print_number(FILE *out, double x, bool last)
{
    if (isnan(x))
        fprintf(out, "%13s%s", "-", last ? "\n" : " ");
    else
        fprintf(out, "%13.6g%s", x, last ? "\n" : " ");
}

static void widths(const struct run_sweep_stats *st, int *wv, int *wp)
{
    *wv = 6;
    *wp = 6;
    for (size_t i = 0; i < st->n; i++) {
        if ((int)strlen(st->g[i].values) > *wv)
            *wv = (int)strlen(st->g[i].values);
        if ((int)strlen(st->g[i].policy) > *wp)
            *wp = (int)strlen(st->g[i].policy);
    }
}

static void print_groups(FILE *out, const struct run_sweep_stats *st)
{
    int wv, wp;

    widths(st, &wv, &wp);
    for (size_t i = 0; i < st->n; i++) {
        const struct run_sweep_group *g = &st->g[i];

        if (i == 0 || strcmp(g->sweep, st->g[i - 1].sweep) != 0)
            fprintf(out,
                    "\nsweep %s: per point over its replications (n, mean, sd, 95 %% "
                    "t-interval of the mean):\n%-*s  %-*s  %-18s %4s %13s %13s %13s %13s\n",
                    g->sweep, wv, "values", wp, "policy", "metric", "n", "mean", "sd",
                    "ci95_low", "ci95_high");
        for (size_t m = 0; m < RUN_M_COUNT; m++) {
            const struct core_stats *s = &g->m[m];
            double sd = s->n >= 2 ? core_stats_sd(s) : NAN, half = run_ci95_half_width(s);

            if (s->n == 0)
                continue;
            fprintf(out, "%-*s  %-*s  %-18s %4llu ", wv, g->values, wp, g->policy,
                    run_sweep_metric_names[m], (unsigned long long)s->n);
            print_number(out, s->mean, false);
            print_number(out, sd, false);
            print_number(out, s->mean - half, false);
            print_number(out, s->mean + half, true);
        }
    }
}

static void print_paired(FILE *out, const struct run_sweep_stats *st, const char *versus)
{
    int wv, wp;
    const char *last_sweep = NULL;

    widths(st, &wv, &wp);
    for (size_t i = 0; i < st->n; i++) {
        const struct run_sweep_group *g = &st->g[i], *ref;

        if (strcmp(g->policy, versus) == 0)
            continue;
        ref = run_sweep_reference(st, g, versus);
        if (!ref)
            continue;
        if (!last_sweep || strcmp(last_sweep, g->sweep) != 0)
            fprintf(out,
                    "\nsweep %s: paired differences against %s (policy - %s on the same seeds; "
                    "n, mean, sd, 95 %% paired t-interval):\n%-*s  %-*s  %-18s %4s %13s %13s "
                    "%13s %13s\n",
                    g->sweep, versus, versus, wv, "values", wp, "policy", "metric", "n",
                    "mean_diff", "sd", "ci95_low", "ci95_high");
        last_sweep = g->sweep;
        for (size_t m = 0; m < RUN_M_COUNT; m++) {
            struct core_stats d;
            double half;

            run_sweep_paired(g, ref, (enum run_sweep_metric)m, &d);
            if (d.n == 0)
                continue;
            half = run_ci95_half_width(&d);
            fprintf(out, "%-*s  %-*s  %-18s %4llu ", wv, g->values, wp, g->policy,
                    run_sweep_metric_names[m], (unsigned long long)d.n);
            print_number(out, d.mean, false);
            print_number(out, d.n >= 2 ? core_stats_sd(&d) : NAN, false);
            print_number(out, d.mean - half, false);
            print_number(out, d.mean + half, true);
        }
    }
}

enum core_rc run_report_sweeps(struct db_reader *r, const char *versus, FILE *out,
                               struct core_err *e)
{
    struct run_sweep_stats st;
    enum core_rc rc = run_sweep_stats_read(r, &st, e);
    bool found = false;

    if (rc != CORE_OK)
        return rc;
    for (size_t i = 0; versus && i < st.n; i++)
        found = found || strcmp(st.g[i].policy, versus) == 0;
    if (versus && !found) {
        char policies[512] = "";
        size_t used = 0;

        for (size_t i = 0; i < st.n && used + 1 < sizeof(policies); i++) {
            bool seen = false;

            for (size_t j = 0; j < i; j++)
                seen = seen || strcmp(st.g[j].policy, st.g[i].policy) == 0;
            if (seen)
                continue;
            snprintf(policies + used, sizeof(policies) - used, "%s%s", used ? ", " : "",
                     st.g[i].policy);
            used += strlen(policies + used);
        }
        rc = core_err(e, CORE_E_USAGE,
                      "%s: --versus %s: no complete sweep point has that policy (%s%s)",
                      st.path, versus, st.n ? "the sweeps' policies: " : "no complete sweep point",
                      policies);
    } else {
        print_groups(out, &st);
        if (versus)
            print_paired(out, &st, versus);
    }
    run_sweep_stats_fini(&st);
    return rc;
}

enum core_rc run_report_sweep(const char *path, const char *versus, FILE *out,
                              struct core_err *e)
{
    struct db_reader *r = NULL;
    enum core_rc rc = db_reader_open(path, &r, e);

    if (rc != CORE_OK)
        return rc;
    rc = run_report_sweeps(r, versus, out, e);
    db_reader_close(r);
    return rc;
}
