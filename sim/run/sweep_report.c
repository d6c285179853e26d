/*
 * sweep_report.c — what `coinfer report DB` prints about parameter studies:
 * per point of each sweep (its factor values and policy), the statistics of
 * each metric over the point's replications: n, mean, standard deviation
 * and the 95 % t-interval of the mean (mean -+ t(0.975, n - 1) sd / sqrt(n)).
 *
 * A point's metrics are its run's summary figures (summary.c, the ones
 * `coinfer run` prints): mean and p95 latency and mean UE and edge energy
 * per inference over the finished inferences, the deadline hit ratio, the
 * accuracy where outcomes are known, and the fraction unfinished. A figure
 * a run does not have (no finished inference, no known outcome) is left out
 * of that metric's n. Points are grouped by (sweep, factor values, policy)
 * in the order of their first point; only complete points count.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#define VALUES_MAX 512 /* the text of a point's factor values */

/* The metrics, in the order printed. */
enum metric {
    M_MEAN_LATENCY, M_P95_LATENCY, M_UE_ENERGY, M_EDGE_ENERGY, M_DEADLINE, M_ACCURACY,
    M_UNFINISHED, M_COUNT
};

static const char *const metric_names[] = {
    "mean_latency_s", "p95_latency_s", "mean_ue_energy_j", "mean_edge_energy_j",
    "deadline_hit_ratio", "accuracy", "unfinished_ratio"};
static_assert(ARRAY_LEN(metric_names) == M_COUNT, "one name per metric");

/* One group: a sweep's point over its replications. */
struct group {
    char sweep[RUN_POLICY_NAME_MAX * 2]; /* the sweep's name */
    char values[VALUES_MAX];             /* "factor=value, ..." */
    char policy[RUN_POLICY_NAME_MAX];    /* its policy */
    struct core_stats m[M_COUNT];        /* each metric over the replications */
};

struct groups {
    struct db_reader *r;   /* where the runs are */
    const char *path;      /* for messages */
    struct group *g;       /* [n] (owned) */
    size_t n, cap;
};

static struct group *group_for(struct groups *gs, const struct db_value *cols,
                               struct core_err *e)
{
    struct group *g;

    for (size_t i = 0; i < gs->n; i++) {
        g = &gs->g[i];
        if (strcmp(g->sweep, cols[0].text) == 0 && strcmp(g->policy, cols[1].text) == 0 &&
            strcmp(g->values, cols[3].text) == 0)
            return g;
    }
    if (gs->n == gs->cap) {
        size_t cap = gs->cap ? 2 * gs->cap : 16;
        struct group *grown = core_realloc(gs->g, cap * sizeof(*grown));

        if (!grown) {
            core_err(e, CORE_E_NOMEM, "%s: out of memory for the sweep's points", gs->path);
            return NULL;
        }
        gs->g = grown;
        gs->cap = cap;
    }
    g = &gs->g[gs->n++];
    memset(g, 0, sizeof(*g));
    snprintf(g->sweep, sizeof(g->sweep), "%s", cols[0].text);
    snprintf(g->policy, sizeof(g->policy), "%s", cols[1].text);
    snprintf(g->values, sizeof(g->values), "%s", cols[3].text);
    for (size_t m = 0; m < M_COUNT; m++)
        core_stats_init(&g->m[m]);
    return g;
}

static void add(struct core_stats *s, double x)
{
    if (!isnan(x))
        core_stats_add(s, x);
}

/* One complete point: sweep, policy, run_id, values. */
static enum core_rc point_row(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct groups *gs = ctx;
    struct group *g;
    struct run_summary s;
    enum core_rc rc;

    CORE_ASSERT(n >= 4);
    g = group_for(gs, cols, e);
    if (!g)
        return e->rc;
    run_summary_init(&s, cols[1].text, cols[2].i);
    rc = run_report_summary_of_run(gs->r, cols[2].i, &s, e);
    if (rc == CORE_OK) {
        add(&g->m[M_MEAN_LATENCY], s.mean_latency_s);
        add(&g->m[M_P95_LATENCY], s.p95_latency_s);
        add(&g->m[M_UE_ENERGY], s.mean_ue_energy_j);
        add(&g->m[M_EDGE_ENERGY], s.mean_edge_energy_j);
        add(&g->m[M_DEADLINE], s.deadline_ratio);
        add(&g->m[M_ACCURACY], s.correct_known ? s.accuracy : NAN);
        add(&g->m[M_UNFINISHED], s.count ? (double)s.unfinished / (double)s.count : NAN);
    }
    run_summary_fini(&s);
    return rc;
}

static void print_number(FILE *out, double x, bool last)
{
    if (isnan(x))
        fprintf(out, "%13s%s", "-", last ? "\n" : " ");
    else
        fprintf(out, "%13.6g%s", x, last ? "\n" : " ");
}

static void print_groups(FILE *out, const struct groups *gs)
{
    int wv = 6, wp = 6;

    for (size_t i = 0; i < gs->n; i++) {
        if ((int)strlen(gs->g[i].values) > wv)
            wv = (int)strlen(gs->g[i].values);
        if ((int)strlen(gs->g[i].policy) > wp)
            wp = (int)strlen(gs->g[i].policy);
    }
    for (size_t i = 0; i < gs->n; i++) {
        const struct group *g = &gs->g[i];

        if (i == 0 || strcmp(g->sweep, gs->g[i - 1].sweep) != 0)
            fprintf(out,
                    "\nsweep %s: per point over its replications (n, mean, sd, 95 %% "
                    "t-interval of the mean):\n%-*s  %-*s  %-18s %4s %13s %13s %13s %13s\n",
                    g->sweep, wv, "values", wp, "policy", "metric", "n", "mean", "sd",
                    "ci95_low", "ci95_high");
        for (size_t m = 0; m < M_COUNT; m++) {
            const struct core_stats *s = &g->m[m];
            double sd = s->n >= 2 ? core_stats_sd(s) : NAN, half = NAN;

            if (s->n == 0)
                continue;
            if (s->n >= 2)
                half = gsl_cdf_tdist_Pinv(0.975, (double)(s->n - 1)) * sd / sqrt((double)s->n);
            fprintf(out, "%-*s  %-*s  %-18s %4llu ", wv, g->values, wp, g->policy,
                    metric_names[m], (unsigned long long)s->n);
            print_number(out, s->mean, false);
            print_number(out, sd, false);
            print_number(out, s->mean - half, false);
            print_number(out, s->mean + half, true);
        }
    }
}

enum core_rc run_report_sweeps(struct db_reader *r, FILE *out, struct core_err *e)
{
    struct groups gs = {.r = r, .path = db_reader_path(r)};
    enum core_rc rc = db_query(r, DB_Q_SWEEP_POINTS, 0, point_row, &gs, e);

    if (rc == CORE_OK)
        print_groups(out, &gs);
    core_free(gs.g);
    return rc;
}
