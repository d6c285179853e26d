/*
 * regret.c — `coinfer regret DB`: every policy against the exact optimum,
 * decision by decision (issue 11's evaluation). Runs of one configuration
 * and seed saw the same requests (common random numbers), so their
 * inferences pair by inference_id. Per inference J is minus its reward
 * (with the default <reward>, the objective: latency in seconds); over the
 * inferences every run of the group finished:
 *
 *   score        100 (J_p - J_base) / (J_ref - J_base), J the means: 0 is the
 *                baseline (local), 100 the reference (oracle);
 *   regret       J_p - J_ref per inference: its mean and 95th percentile;
 *   plan match   the share of decisions whose plan is the reference's;
 *   split match  the share whose cut (the set of layers on the UE) is;
 *   layer match  the share of layers placed on the same side and option.
 *
 * Decided plans are compared (the samples' actions: the UE's plan before
 * any a3). Then, per policy, the mean of each figure over the groups (the
 * seeds) with its 95 % t-interval half-width when there are two or more.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One sample of a run, as the report needs it. */
struct row {
    int64_t id;        /* inference_id */
    double j;          /* minus the reward */
    uint32_t ue_opts;  /* its problem's UE options (codes below are on the UE) */
    size_t n;          /* layers */
    size_t at;         /* its action's n codes: the run's codes[at..at + n) */
};

/* The UE options of one (device class, model) of a run. */
struct pair_opts {
    char device[64], model[64];
    uint32_t u;
};

struct run {
    int64_t run_id;
    char policy[64];
    uint64_t seed;
    char config[65];
    struct row *rows;
    size_t n_rows, cap_rows;
    int32_t *codes;            /* every row's codes (owned) */
    size_t n_codes, cap_codes;
    struct pair_opts *opts;    /* UE options per (device, model) (owned) */
    size_t n_opts;
};

static enum core_rc on_run(void *ctx, const struct db_value *v, size_t n, struct core_err *e)
{
    struct { struct run *runs; size_t n; } *l = ctx;
    struct run *g = core_realloc(l->runs, (l->n + 1) * sizeof(*g));

    (void)n;
    if (!g)
        return core_err(e, CORE_E_NOMEM, "out of memory listing the runs");
    l->runs = g;
    memset(&g[l->n], 0, sizeof(g[l->n]));
    g[l->n].run_id = v[0].i;
    snprintf(g[l->n].policy, sizeof(g[l->n].policy), "%s", v[1].text);
    g[l->n].seed = (uint64_t)v[2].i;
    snprintf(g[l->n].config, sizeof(g[l->n].config), "%s", v[3].text);
    l->n++;
    return CORE_OK;
}

static enum core_rc on_opts(void *ctx, const struct db_value *v, size_t n, struct core_err *e)
{
    struct run *r = ctx;
    struct pair_opts *g = core_realloc(r->opts, (r->n_opts + 1) * sizeof(*g));

    (void)n;
    if (!g)
        return core_err(e, CORE_E_NOMEM, "out of memory reading run %lld", (long long)r->run_id);
    r->opts = g;
    snprintf(g[r->n_opts].device, sizeof(g[0].device), "%s", v[0].text);
    snprintf(g[r->n_opts].model, sizeof(g[0].model), "%s", v[1].text);
    g[r->n_opts++].u = (uint32_t)v[2].i;
    return CORE_OK;
}

static enum core_rc on_sample(void *ctx, const struct db_value *v, size_t n_cols,
                              struct core_err *e)
{
    struct run *r = ctx;
    struct row *w;
    size_t n = run_sample_fields(v[3].text);
    uint32_t u = 0;

    (void)n_cols;
    for (size_t k = 0; k < r->n_opts; k++)
        if (strcmp(r->opts[k].device, v[0].text) == 0 && strcmp(r->opts[k].model, v[1].text) == 0)
            u = r->opts[k].u;
    if (r->n_rows == r->cap_rows) {
        size_t cap = r->cap_rows ? 2 * r->cap_rows : 1024;
        struct row *g = core_realloc(r->rows, cap * sizeof(*g));

        if (!g)
            return core_err(e, CORE_E_NOMEM, "out of memory reading run %lld",
                            (long long)r->run_id);
        r->rows = g;
        r->cap_rows = cap;
    }
    if (r->n_codes + n > r->cap_codes) {
        size_t cap = r->cap_codes ? 2 * r->cap_codes : 65536;
        int32_t *g;

        while (cap < r->n_codes + n)
            cap *= 2;
        g = core_realloc(r->codes, cap * sizeof(*g));
        if (!g)
            return core_err(e, CORE_E_NOMEM, "out of memory reading run %lld",
                            (long long)r->run_id);
        r->codes = g;
        r->cap_codes = cap;
    }
    if (!run_sample_numbers(v[3].text, n, NULL, r->codes + r->n_codes))
        return core_err(e, CORE_E_INPUT, "run %lld: inference %lld: an action that is not what "
                                         "its encoding says (sample_fields)",
                        (long long)r->run_id, (long long)v[5].i);
    w = &r->rows[r->n_rows++];
    w->id = v[5].i;
    w->j = -v[4].d;
    w->ue_opts = u;
    w->n = n;
    w->at = r->n_codes;
    r->n_codes += n;
    return CORE_OK;
}

static enum core_rc load_run(struct db_reader *db, struct run *r, struct core_err *e)
{
    enum core_rc rc = db_query(db, DB_Q_UE_OPTIONS_OF_RUN, r->run_id, on_opts, r, e);

    if (rc == CORE_OK)
        rc = db_query(db, DB_Q_SAMPLES_OF_RUN, r->run_id, on_sample, r, e);
    return rc;
}

/* The row of inference id in r (rows sorted by id), or NULL. */
static const struct row *find(const struct run *r, int64_t id)
{
    size_t lo = 0, hi = r->n_rows;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (r->rows[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_rows && r->rows[lo].id == id ? &r->rows[lo] : NULL;
}

/* One policy's figures in one group. */
struct figures {
    size_t n;
    double mean_j, score, regret, p95, plan, split, layer;
};

static void compare(const struct run *p, const struct run *ref, const struct run *base,
                    const struct run *const *all, size_t n_all, double *regrets,
                    struct figures *f)
{
    double sj = 0, sref = 0, sbase = 0, sreg = 0;
    size_t plan = 0, split = 0, layers = 0, layer_same = 0;

    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct row *a = &p->rows[i], *b = find(ref, a->id), *c = find(base, a->id);
        bool everywhere = b && c && b->n == a->n;
        bool same_plan = true, same_split = true;

        for (size_t k = 0; everywhere && k < n_all; k++)
            everywhere = find(all[k], a->id) != NULL;
        if (!everywhere)
            continue;
        regrets[f->n++] = a->j - b->j;
        sj += a->j, sref += b->j, sbase += c->j, sreg += a->j - b->j;
        for (size_t k = 0; k < a->n; k++) {
            int32_t ca = p->codes[a->at + k], cb = ref->codes[b->at + k];
            bool ue_a = (uint32_t)ca < a->ue_opts, ue_b = (uint32_t)cb < b->ue_opts;

            same_plan = same_plan && ca == cb;
            same_split = same_split && ue_a == ue_b;
            layer_same += ca == cb;
        }
        layers += a->n;
        plan += same_plan;
        split += same_split;
    }
    if (f->n == 0)
        return;
    f->mean_j = sj / (double)f->n;
    f->score = sref / (double)f->n != sbase / (double)f->n
                   ? 100.0 * (sj - sbase) / (sref - sbase)
                   : NAN;
    f->regret = sreg / (double)f->n;
    core_sort_doubles(regrets, f->n);
    f->p95 = core_quantile_sorted(regrets, f->n, 0.95);
    f->plan = (double)plan / (double)f->n;
    f->split = (double)split / (double)f->n;
    f->layer = layers ? (double)layer_same / (double)layers : NAN;
}

/* Per policy, every group's figures (for the means over seeds). */
struct across {
    char policy[64];
    size_t n;
    double *v[7]; /* mean_j, score, regret, p95, plan, split, layer per group */
};

static void print_row(FILE *out, const char *policy, uint64_t seed, const struct figures *f)
{
    fprintf(out, "%20llu  %-13s %7zu %12.6g %8.2f %12.6g %12.6g %6.3f %6.3f %6.3f\n",
            (unsigned long long)seed, policy, f->n, f->mean_j, f->score, f->regret, f->p95,
            f->plan, f->split, f->layer);
}

static void free_runs(struct run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        core_free(runs[i].rows);
        core_free(runs[i].codes);
        core_free(runs[i].opts);
    }
    core_free(runs);
}

enum core_rc run_report_regret(const char *path, const char *reference, const char *baseline,
                               FILE *out, struct core_err *e)
{
    struct db_reader *db = NULL;
    struct { struct run *runs; size_t n; } l = {0};
    struct across acc[POLICY_KIND_COUNT];
    static const char *const names[7] = {"mean_J", "score", "mean_regret", "p95_regret",
                                         "plan_match", "split_match", "layer_match"};
    size_t n_acc = 0, groups = 0;
    enum core_rc rc = db_reader_open(path, &db, e);

    memset(acc, 0, sizeof(acc));
    if (rc == CORE_OK)
        rc = db_query(db, DB_Q_RUNS_FOR_REGRET, 0, on_run, &l, e);
    if (rc == CORE_OK)
        fprintf(out,
                "%s: each policy against %s, with %s as 0 (J = minus the reward per inference; "
                "paired over the inferences every run of a configuration and seed finished)\n"
                "%-20s  %-13s %7s %12s %8s %12s %12s %6s %6s %6s\n",
                path, reference, baseline, "seed", "policy", "n", "mean_J", "score",
                "mean_regret", "p95_regret", "plan", "split", "layer");
    for (size_t g0 = 0; rc == CORE_OK && g0 < l.n;) {
        size_t g1 = g0;
        const struct run *ref = NULL, *base = NULL;
        const struct run **members;
        size_t n_members = 0, max_rows = 0;
        double *regrets;

        while (g1 < l.n && strcmp(l.runs[g1].config, l.runs[g0].config) == 0 &&
               l.runs[g1].seed == l.runs[g0].seed)
            g1++;
        members = core_malloc((g1 - g0) * sizeof(*members));
        if (!members) {
            rc = core_err(e, CORE_E_NOMEM, "out of memory");
            break;
        }
        for (size_t i = g0; rc == CORE_OK && i < g1; i++) {
            rc = load_run(db, &l.runs[i], e);
            if (strcmp(l.runs[i].policy, reference) == 0 && !ref)
                ref = &l.runs[i];
            if (strcmp(l.runs[i].policy, baseline) == 0 && !base)
                base = &l.runs[i];
            members[n_members++] = &l.runs[i];
            if (l.runs[i].n_rows > max_rows)
                max_rows = l.runs[i].n_rows;
        }
        regrets = rc == CORE_OK && ref && base
                      ? core_malloc((max_rows ? max_rows : 1) * sizeof(*regrets))
                      : NULL;
        if (rc == CORE_OK && ref && base && !regrets)
            rc = core_err(e, CORE_E_NOMEM, "out of memory");
        if (rc != CORE_OK) {
            core_free(members);
            break;
        }
        if (!ref || !base) {
            fprintf(out, "%20llu  (no %s run of this configuration and seed: skipped)\n",
                    (unsigned long long)l.runs[g0].seed, ref ? baseline : reference);
            core_free(members);
            g0 = g1;
            continue;
        }
        groups++;
        for (size_t i = 0; i < n_members; i++) {
            struct figures f;
            struct across *a = NULL;

            compare(members[i], ref, base, members, n_members, regrets, &f);
            print_row(out, members[i]->policy, members[i]->seed, &f);
            for (size_t k = 0; k < n_acc; k++)
                if (strcmp(acc[k].policy, members[i]->policy) == 0)
                    a = &acc[k];
            if (!a && n_acc < ARRAY_LEN(acc)) {
                a = &acc[n_acc++];
                snprintf(a->policy, sizeof(a->policy), "%s", members[i]->policy);
            }
            if (!a || f.n == 0)
                continue;
            for (int k = 0; k < 7; k++) {
                double *g = core_realloc(a->v[k], (a->n + 1) * sizeof(double));
                const double x[7] = {f.mean_j, f.score, f.regret, f.p95, f.plan, f.split, f.layer};

                if (!g) {
                    rc = core_err(e, CORE_E_NOMEM, "out of memory");
                    break;
                }
                a->v[k] = g;
                g[a->n] = x[k];
            }
            a->n++;
        }
        core_free(regrets);
        core_free(members);
        for (size_t i = g0; i < g1; i++) { /* a group's rows are not needed again */
            core_free(l.runs[i].rows);
            core_free(l.runs[i].codes);
            l.runs[i].rows = NULL;
            l.runs[i].codes = NULL;
        }
        g0 = g1;
    }
    if (rc == CORE_OK && groups == 0)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no configuration and seed with both a %s and a %s run that recorded "
                      "samples (run the scenario with --policy all)",
                      path, reference, baseline);
    if (rc == CORE_OK && groups > 1) {
        fprintf(out, "\nover %zu configurations and seeds: mean +- 95 %% t-interval half-width\n",
                groups);
        fprintf(out, "%-13s %5s", "policy", "n");
        for (int k = 0; k < 7; k++)
            fprintf(out, " %24s", names[k]);
        fprintf(out, "\n");
        for (size_t i = 0; i < n_acc; i++) {
            fprintf(out, "%-13s %5zu", acc[i].policy, acc[i].n);
            for (int k = 0; k < 7; k++) {
                double m = NAN, h = NAN;

                if (acc[i].n >= 2)
                    core_batch_means(acc[i].v[k], acc[i].n, acc[i].n, 0.95, &m, &h);
                else if (acc[i].n == 1)
                    m = acc[i].v[k][0];
                fprintf(out, "  %11.5g +- %-9.3g", m, h);
            }
            fprintf(out, "\n");
        }
    }
    for (size_t i = 0; i < n_acc; i++)
        for (int k = 0; k < 7; k++)
            core_free(acc[i].v[k]);
    free_runs(l.runs, l.n);
    db_reader_close(db);
    return rc;
}
