/*
 * plot.c — the figures of `coinfer plot`, drawn by gnuplot.
 *
 * The data of a figure is read from the results database (read-only), and
 * written with a gnuplot script into a private temporary directory
 * ($TMPDIR or /tmp, coinfer-plot-XXXXXX); gnuplot runs there as a child
 * process (fork and execvp of "gnuplot" with the script's name: no shell,
 * and nothing the user typed in the command line reaches the script: the
 * figure is written under a fixed name in that directory and then copied to
 * the output path, under a temporary name renamed at the end). Texts from
 * the database (sweep, factor, policy and scenario names) go into the
 * script as single-quoted gnuplot strings, their quotes doubled and control
 * characters blanked, with enhanced text off, so no name is read as markup.
 *
 * Figures (each titled, its axes labelled with their SI units, a legend
 * naming every series):
 *  - sweep: a metric of the sweep points (mean over the replications, 95 %
 *    t-interval error bars) against a numeric factor, one line per policy
 *    (and per value of any other factor that varies);
 *  - latency-cdf: the empirical CDF of the finished inferences' latency,
 *    one line per policy, over every complete run;
 *  - breakdown: the mean of each latency component per finished inference
 *    (UE compute, uplink, edge queue, edge compute, downlink, signaling),
 *    stacked, one bar per policy;
 *  - energy: the mean UE and edge energy per finished inference, side by
 *    side, per policy;
 *  - split: the share of the finished inferences at each split point, one
 *    panel per model, clustered bars per policy (and per value of a sweep
 *    factor with --x);
 *  - layers: per model, a layer x policy map of the option (side and
 *    resource) that ran each layer in most of the policy's finished
 *    inferences (the executed plans' ue_alloc / edge_alloc, positions mapped
 *    to layers through plan_order);
 *  - training: the learning curves of `coinfer train` (training_steps):
 *    training and held-out loss, and the held-out regret, against the step.
 *
 * Every figure also writes its data as a tab-separated table with a header
 * (data.tsv), which --data copies out beside the figure.
 */
#include "run/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CDF_POINTS 2000 /* at most this many points of each CDF line */
#define ERR_TAIL 1500   /* gnuplot's stderr kept for a message, bytes */

const char *const run_plot_figures[RUN_FIGURE_COUNT] = {
    "sweep", "latency-cdf", "breakdown", "energy", "split", "layers", "training"};

enum run_figure run_plot_figure_of(const char *name)
{
    for (size_t f = 0; f < RUN_FIGURE_COUNT; f++)
        if (strcmp(name, run_plot_figures[f]) == 0)
            return (enum run_figure)f;
    return RUN_FIGURE_COUNT;
}

/* The output formats, by file extension. */
static const struct {
    const char *ext;
    const char *terminal;
} formats[] = {
    {".png", "pngcairo size 1000,650 noenhanced font 'sans,11'"},
    {".pdf", "pdfcairo size 7in,4.5in noenhanced font 'sans,10'"},
    {".svg", "svg size 1000,650 noenhanced font 'sans,11' background '#ffffff'"},
};

static int format_of(const char *path)
{
    size_t n = strlen(path);

    for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
        size_t k = strlen(formats[i].ext);

        if (n > k && strcasecmp(path + n - k, formats[i].ext) == 0)
            return (int)i;
    }
    return -1;
}

/* text as a gnuplot single-quoted string. */
static void put_string(FILE *f, const char *text)
{
    fputc('\'', f);
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            fputs("''", f);
        else if ((unsigned char)*c < 0x20 || *c == 0x7f)
            fputc(' ', f);
        else
            fputc(*c, f);
    }
    fputc('\'', f);
}

/* text as a gnuplot double-quoted string, its backslashes and quotes escaped
 * and control characters blanked, but for line feeds, which break the line
 * (a title of two lines). */
static void put_lines(FILE *f, const char *text)
{
    fputc('"', f);
    for (const char *c = text; *c; c++) {
        if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if ((unsigned char)*c < 0x20 || *c == 0x7f)
            fputc(' ', f);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

/* text as a double-quoted field of a gnuplot data file (quotes dropped). */
static void put_data_string(FILE *f, const char *text)
{
    fputc('"', f);
    for (const char *c = text; *c; c++)
        if (*c != '"' && (unsigned char)*c >= 0x20)
            fputc(*c, f);
    fputc('"', f);
}

/* Policies in the order of the policy table (local, edge, resource, split,
 * split-default, joint, oracle, random, rl), others after them by name: a
 * figure's series keep one order whatever order its runs finished in. */
static int by_policy_name(const char *a, const char *b)
{
    enum policy_kind ka, kb;
    int ra = policy_kind_find(a, &ka) ? (int)ka : POLICY_KIND_COUNT;
    int rb = policy_kind_find(b, &kb) ? (int)kb : POLICY_KIND_COUNT;

    return ra != rb ? ra - rb : strcmp(a, b);
}

/* ---- the temporary directory ---------------------------------------------------- */

struct plot_dir {
    char path[RUN_PATH_MAX];  /* the directory */
    char file[RUN_PATH_MAX + 64]; /* scratch for a file's path in it */
};

static const char *dir_file(struct plot_dir *d, const char *name)
{
    snprintf(d->file, sizeof(d->file), "%s/%s", d->path, name);
    return d->file;
}

static FILE *dir_open(struct plot_dir *d, const char *name, struct core_err *e)
{
    FILE *f = fopen(dir_file(d, name), "w");

    if (!f)
        core_err(e, CORE_E_IO, "%s: cannot write: %s", d->file, strerror(errno));
    return f;
}

static enum core_rc dir_close(struct plot_dir *d, FILE *f, const char *name, struct core_err *e)
{
    if (ferror(f) || fclose(f) != 0)
        return core_err(e, CORE_E_IO, "%s: cannot write: %s", dir_file(d, name),
                        strerror(errno));
    return CORE_OK;
}

static void dir_remove(struct plot_dir *d)
{
    static const char *const fixed[] = {"plot.gp",    "gnuplot.err", "figure.png", "figure.pdf",
                                        "figure.svg", "data.dat",    "data.tsv"};
    static const char numbered[] = "smt"; /* s0.dat, m0.dat, t0.dat, ... */
    char name[32];

    for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
        unlink(dir_file(d, fixed[i]));
    for (size_t k = 0; numbered[k]; k++)
        for (int i = 0;; i++) {
            snprintf(name, sizeof(name), "%c%d.dat", numbered[k], i);
            if (unlink(dir_file(d, name)) != 0)
                break;
        }
    rmdir(d->path);
}

/* ---- the script's common head ------------------------------------------------------ */

static void script_head(FILE *gp, int fmt, const char *title)
{
    fprintf(gp, "set terminal %s\nset output 'figure%s'\nset title ", formats[fmt].terminal,
            formats[fmt].ext);
    put_lines(gp, title);
    fprintf(gp, "\nset grid\nset key outside right top box opaque\nset datafile missing '?'\n");
}

/* ---- sweep: a metric against a factor ------------------------------------------------ */

static const char *metric_label(enum run_sweep_metric m)
{
    static const char *const labels[] = {
        "mean latency per inference (s)", "95th percentile of latency (s)",
        "mean UE energy per inference (J)", "mean edge energy per inference (J)",
        "deadline hit ratio (1)", "accuracy (1)", "unfinished ratio (1)"};
    static_assert(ARRAY_LEN(labels) == RUN_M_COUNT, "one label per metric");
    return labels[m];
}

/* The SI unit of the knob at path ("" for a pure number or an unknown knob). */
static const char *path_unit(const char *path)
{
    char element[64], attr[64];
    const char *at = strrchr(path, '@'), *start;
    const struct core_knob *k;
    size_t n;

    if (!at)
        return "";
    snprintf(attr, sizeof(attr), "%s", at + 1);
    for (start = at; start > path && start[-1] != '/'; start--)
        ;
    n = (size_t)(at - start);
    if (n >= sizeof(element))
        return "";
    memcpy(element, start, n);
    element[n] = '\0';
    element[strcspn(element, "[")] = '\0';
    k = io_scenario_knob(element, attr);
    if (!k || k->kind != CORE_KNOB_REAL || k->dim == CORE_DIM_NONE)
        return "";
    return core_dim_si_unit(k->dim);
}

static const struct run_sweep_value *value_of(const struct run_sweep_group *g, const char *f)
{
    for (size_t k = 0; k < g->n_v; k++)
        if (strcmp(g->v[k].factor, f) == 0)
            return &g->v[k];
    return NULL;
}

/* Whether factor f takes more than one value among sweep's groups. */
static bool varies(const struct run_sweep_stats *st, const char *sweep, const char *f)
{
    const char *first = NULL;

    for (size_t i = 0; i < st->n; i++) {
        const struct run_sweep_value *v;

        if (strcmp(st->g[i].sweep, sweep) != 0 || !(v = value_of(&st->g[i], f)))
            continue;
        if (!first)
            first = v->value;
        else if (strcmp(first, v->value) != 0)
            return true;
    }
    return false;
}

/* Whether factor f takes more than one value among the groups of sweep that
 * share a value of factor x (a factor zipped with x moves with it: no). */
static bool varies_beside(const struct run_sweep_stats *st, const char *sweep, const char *f,
                          const char *x)
{
    for (size_t i = 0; i < st->n; i++) {
        const struct run_sweep_value *fi, *xi;

        if (strcmp(st->g[i].sweep, sweep) != 0 || !(fi = value_of(&st->g[i], f)) ||
            !(xi = value_of(&st->g[i], x)))
            continue;
        for (size_t j = i + 1; j < st->n; j++) {
            const struct run_sweep_value *fj, *xj;

            if (strcmp(st->g[j].sweep, sweep) != 0 || !(fj = value_of(&st->g[j], f)) ||
                !(xj = value_of(&st->g[j], x)))
                continue;
            if (strcmp(xi->value, xj->value) == 0 && strcmp(fi->value, fj->value) != 0)
                return true;
        }
    }
    return false;
}

/* The series label of group g: its policy, and the values of the other factors
 * that vary beside x in its sweep. */
static void series_label(const struct run_sweep_stats *st, const struct run_sweep_group *g,
                         const char *x, char *buf, size_t size)
{
    size_t used;

    snprintf(buf, size, "%s", g->policy);
    used = strlen(buf);
    for (size_t k = 0; k < g->n_v && used + 1 < size; k++) {
        if (strcmp(g->v[k].factor, x) == 0 || !varies_beside(st, g->sweep, g->v[k].factor, x))
            continue;
        snprintf(buf + used, size - used, ", %s=%s", g->v[k].factor, g->v[k].value);
        used += strlen(buf + used);
    }
}

struct xy {
    double x, mean, half;
    uint64_t n;
};

static int by_x(const void *a, const void *b)
{
    const struct xy *p = a, *q = b;

    return (p->x > q->x) - (p->x < q->x);
}

/* Whether the n >= 3 sorted, positive x of pts are closer to a geometric
 * progression (1, 2, 5, 10, 20) than to an arithmetic one: the relative spread
 * of their consecutive ratios is below that of their differences. */
static bool geometric_spacing(const struct xy *pts, size_t n)
{
    double sr = 0, sr2 = 0, sd = 0, sd2 = 0, k = (double)(n - 1);

    if (pts[0].x <= 0)
        return false;
    for (size_t i = 1; i < n; i++) {
        double r = pts[i].x / pts[i - 1].x, d = pts[i].x - pts[i - 1].x;

        sr += r, sr2 += r * r, sd += d, sd2 += d * d;
    }
    sr /= k, sd /= k;
    return sd > 0 && sqrt(fmax(sr2 / k - sr * sr, 0)) / sr < sqrt(fmax(sd2 / k - sd * sd, 0)) / sd;
}

/* Choose the x factor: opt's, else the first numeric factor that varies. */
static enum core_rc choose_x(const struct run_sweep_stats *st, const char *want,
                             const char **x, const char **sweep, const char **path,
                             struct core_err *e)
{
    char names[512] = "";
    size_t used = 0;

    *x = NULL;
    for (size_t i = 0; i < st->n && !*x; i++) {
        const struct run_sweep_group *g = &st->g[i];

        for (size_t k = 0; k < g->n_v && !*x; k++) {
            const struct run_sweep_value *v = &g->v[k];

            if (!strstr(names, v->factor) && used + 1 < sizeof(names)) {
                snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
                         v->factor);
                used += strlen(names + used);
            }
            if (want ? strcmp(v->factor, want) == 0
                     : !isnan(v->num) && varies(st, g->sweep, v->factor)) {
                if (want && isnan(v->num))
                    return core_err(e, CORE_E_USAGE,
                                    "--x %s: its values are not numbers (it cannot be an axis)",
                                    want);
                *x = v->factor;
                *sweep = g->sweep;
                *path = v->path;
            }
        }
    }
    if (*x)
        return CORE_OK;
    if (want)
        return core_err(e, CORE_E_USAGE, "--x %s: no sweep in %s has that factor (%s%s)", want,
                        st->path, used ? "factors: " : "no factor", names);
    return core_err(e, CORE_E_INPUT,
                    "%s: no sweep factor takes more than one number (the figure needs one for "
                    "its x axis; name one with --x)",
                    st->path);
}

static enum core_rc figure_sweep(struct db_reader *r, const struct run_plot_options *o,
                                 struct plot_dir *d, int fmt, struct core_err *e)
{
    struct run_sweep_stats st;
    enum run_sweep_metric m = RUN_M_MEAN_LATENCY;
    const char *x = NULL, *sweep = NULL, *path = NULL, *unit;
    struct xy *pts = NULL;
    bool *used = NULL;
    FILE *tidy = NULL;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = 0, ymax_bar = 0;
    bool y_positive = true, geometric = false, geometric_known = false, log_x, log_y;
    uint64_t nmin = UINT64_MAX, nmax = 0;
    size_t n_series = 0;
    FILE *gp = NULL;
    char title[1024], label[600], name[32];
    enum core_rc rc;

    if (o->metric) {
        m = run_sweep_metric_of(o->metric);
        if (m == RUN_M_COUNT) {
            char all[256] = "";

            for (size_t k = 0; k < RUN_M_COUNT; k++)
                snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", k ? ", " : "",
                         run_sweep_metric_names[k]);
            return core_err(e, CORE_E_USAGE, "--metric %s: no such metric (metrics: %s)",
                            o->metric, all);
        }
    }
    rc = run_sweep_stats_read(r, &st, e);
    if (rc != CORE_OK)
        return rc;
    if (st.n == 0) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no complete sweep point to plot (figure sweep needs a sweep's "
                      "results: coinfer sweep FILE --db %s)",
                      st.path, st.path);
        goto out;
    }
    rc = choose_x(&st, o->x, &x, &sweep, &path, e);
    if (rc != CORE_OK)
        goto out;
    pts = core_calloc(st.n, sizeof(*pts));
    used = core_calloc(st.n, sizeof(*used));
    if (!pts || !used) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", st.path);
        goto out;
    }
    gp = dir_open(d, "plot.gp", e);
    if (!gp || !(tidy = dir_open(d, "data.tsv", e))) {
        rc = e->rc;
        goto out;
    }
    fprintf(tidy, "series\t%s\t%s\tci95_half_width\tn\n", x, run_sweep_metric_names[m]);
    unit = path_unit(path);
    /* one series per label, in order of first appearance */
    for (size_t i = 0; i < st.n; i++) {
        const struct run_sweep_group *g = &st.g[i];
        size_t n_pts = 0;
        FILE *f;

        if (used[i] || strcmp(g->sweep, sweep) != 0 || g->m[m].n == 0)
            continue;
        series_label(&st, g, x, label, sizeof(label));
        for (size_t j = i; j < st.n; j++) {
            const struct run_sweep_group *h = &st.g[j];
            const struct run_sweep_value *v;
            char other[600];

            if (used[j] || strcmp(h->sweep, sweep) != 0 || h->m[m].n == 0)
                continue;
            series_label(&st, h, x, other, sizeof(other));
            if (strcmp(other, label) != 0 || !(v = value_of(h, x)))
                continue;
            used[j] = true;
            pts[n_pts++] = (struct xy){v->num, h->m[m].mean, run_ci95_half_width(&h->m[m]),
                                       h->m[m].n};
            xmin = fmin(xmin, v->num);
            xmax = fmax(xmax, v->num);
            nmin = h->m[m].n < nmin ? h->m[m].n : nmin;
            nmax = h->m[m].n > nmax ? h->m[m].n : nmax;
        }
        if (n_pts > 1) /* qsort's base may be NULL when empty */
            qsort(pts, n_pts, sizeof(*pts), by_x);
        for (size_t k = 0; k < n_pts; k++)
            if (pts[k].mean > 0) {
                ymin = fmin(ymin, pts[k].mean);
                ymax = fmax(ymax, pts[k].mean);
                ymax_bar = fmax(ymax_bar, pts[k].mean + (isnan(pts[k].half) ? 0 : pts[k].half));
            } else {
                y_positive = false;
            }
        if (n_pts >= 3 && !geometric_known) {
            geometric = geometric_spacing(pts, n_pts);
            geometric_known = true;
        }
        snprintf(name, sizeof(name), "s%zu.dat", n_series);
        f = dir_open(d, name, e);
        if (!f) {
            rc = e->rc;
            goto out;
        }
        fprintf(f, "# %s: x mean ci95_half_width n\n", x);
        for (size_t k = 0; k < n_pts; k++) {
            fprintf(f, "%.17g %.17g %.17g %llu\n", pts[k].x, pts[k].mean,
                    isnan(pts[k].half) ? 0.0 : pts[k].half, (unsigned long long)pts[k].n);
            fprintf(tidy, "%s\t%.17g\t%.17g\t", label, pts[k].x, pts[k].mean);
            fprintf(tidy, isnan(pts[k].half) ? "\t" : "%.17g\t", pts[k].half);
            fprintf(tidy, "%llu\n", (unsigned long long)pts[k].n);
        }
        rc = dir_close(d, f, name, e);
        if (rc != CORE_OK)
            goto out;
        /* the series' label, a variable the plot command below names */
        n_series++;
        fprintf(gp, "label%zu = ", n_series - 1);
        put_string(gp, label);
        fputc('\n', gp);
    }
    if (n_series == 0) {
        rc = core_err(e, CORE_E_INPUT, "%s: no sweep point has a value of %s to plot", st.path,
                      run_sweep_metric_names[m]);
        goto out;
    }
    if (nmin == nmax)
        snprintf(label, sizeof(label), "%llu seeds", (unsigned long long)nmax);
    else
        snprintf(label, sizeof(label), "%llu to %llu seeds", (unsigned long long)nmin,
                 (unsigned long long)nmax);
    snprintf(title, sizeof(title), "sweep %s: %s against %s\nmean and 95 %% t-interval over %s",
             sweep, metric_label(m), x, label);
    script_head(gp, fmt, title);
    snprintf(title, sizeof(title), unit[0] ? "%s (%s)" : "%s%s", x, unit);
    fprintf(gp, "set xlabel ");
    put_string(gp, title);
    fprintf(gp, "\nset ylabel ");
    put_string(gp, metric_label(m));
    fputc('\n', gp);
    /* a log axis where the values span a wide range (or, on x, grow
     * geometrically), its range a little wider than the data's: gnuplot's
     * offsets would add decades to it */
    log_x = xmin > 0 && (xmax / xmin >= 50 || (geometric && xmax / xmin >= 8));
    log_y = y_positive && ymax / ymin >= 50;
    if (log_x)
        fprintf(gp, "set logscale x\nset xrange [%.17g:%.17g]\n", xmin / pow(xmax / xmin, 0.04),
                xmax * pow(xmax / xmin, 0.04));
    if (log_y)
        fprintf(gp, "set logscale y\nset yrange [%.17g:%.17g]\n", ymin / 2, ymax_bar * 1.5);
    fprintf(gp, "set offsets %s, %s\nplot ",
            log_x ? "0, 0" : "graph 0.03, graph 0.03",
            log_y ? "0, 0" : "graph 0.05, graph 0.05");
    for (size_t s = 0; s < n_series; s++)
        fprintf(gp, "%s's%zu.dat' using 1:2:3 with yerrorlines lw 2 pt 7 title label%zu",
                s ? ", \\\n     " : "", s, s);
    fputc('\n', gp);
    rc = dir_close(d, tidy, "data.tsv", e);
    tidy = NULL;
    if (rc == CORE_OK)
        rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
    if (tidy)
        fclose(tidy);
    core_free(pts);
    core_free(used);
    run_sweep_stats_fini(&st);
    return rc;
}

/* ---- per-policy figures ------------------------------------------------------------ */

/* The components of a finished inference's latency, as DB_Q_POLICY_MEANS
 * gives their means (columns 3..8). */
static const char *const component_labels[] = {"UE compute", "uplink", "edge queue",
                                                "edge compute", "downlink", "signaling"};

struct policy_means {
    char policy[RUN_POLICY_NAME_MAX];
    uint64_t runs, finished;
    double component_s[ARRAY_LEN(component_labels)]; /* s */
    double latency_s, ue_energy_j, edge_energy_j;     /* s, J, J */
};

struct means {
    struct policy_means *p; /* [n] (owned) */
    size_t n;
    uint64_t runs, finished;
    int64_t *seeds;         /* [n_seeds]: the complete runs' distinct seeds (owned) */
    size_t n_seeds;
    char scenarios[256];    /* the runs' scenario names, comma-separated */
    const char *path;
};

static enum core_rc means_row(void *ctx, const struct db_value *cols, size_t n,
                              struct core_err *e)
{
    struct means *ms = ctx;
    struct policy_means *grown, *p;

    CORE_ASSERT(n >= 13);
    grown = core_realloc(ms->p, (ms->n + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", ms->path);
    ms->p = grown;
    p = &ms->p[ms->n++];
    snprintf(p->policy, sizeof(p->policy), "%s", cols[0].text);
    p->runs = (uint64_t)cols[1].i;
    p->finished = (uint64_t)cols[2].i;
    for (size_t c = 0; c < ARRAY_LEN(component_labels); c++)
        p->component_s[c] = cols[3 + c].d;
    p->latency_s = cols[9].d;
    p->ue_energy_j = cols[10].d;
    p->edge_energy_j = cols[11].d;
    ms->runs += p->runs;
    ms->finished += p->finished;
    /* the scenario names of every policy, each once */
    for (const char *s = cols[12].text; *s;) {
        size_t len = strcspn(s, ","), used = strlen(ms->scenarios);
        char one[128];

        snprintf(one, sizeof(one), "%.*s", (int)(len < sizeof(one) ? len : sizeof(one) - 1), s);
        if (!strstr(ms->scenarios, one) && used + len + 3 < sizeof(ms->scenarios))
            snprintf(ms->scenarios + used, sizeof(ms->scenarios) - used, "%s%s",
                     used ? ", " : "", one);
        s += len + (s[len] == ',');
    }
    return CORE_OK;
}

static int by_means_policy(const void *a, const void *b)
{
    return by_policy_name(((const struct policy_means *)a)->policy,
                          ((const struct policy_means *)b)->policy);
}

static enum core_rc seed_row(void *ctx, const struct db_value *cols, size_t n,
                             struct core_err *e)
{
    struct means *ms = ctx;
    int64_t *grown;

    CORE_ASSERT(n >= 4);
    for (size_t i = 0; i < ms->n_seeds; i++)
        if (ms->seeds[i] == cols[3].i)
            return CORE_OK;
    grown = core_realloc(ms->seeds, (ms->n_seeds + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", ms->path);
    ms->seeds = grown;
    ms->seeds[ms->n_seeds++] = cols[3].i;
    return CORE_OK;
}

static enum core_rc read_means(struct db_reader *r, const char *figure, struct means *ms,
                               struct core_err *e)
{
    enum core_rc rc;

    memset(ms, 0, sizeof(*ms));
    ms->path = db_reader_path(r);
    rc = db_query(r, DB_Q_POLICY_MEANS, 0, means_row, ms, e);
    if (rc == CORE_OK)
        rc = db_query(r, DB_Q_PLOT_RUNS, 0, seed_row, ms, e);
    if (rc == CORE_OK && ms->n > 1) /* qsort's base may not be NULL (no row) */
        qsort(ms->p, ms->n, sizeof(*ms->p), by_means_policy);
    if (rc == CORE_OK && ms->n == 0)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no finished inference of a complete run to plot (figure %s needs "
                      "the runs of a collaborative scenario)",
                      ms->path, figure);
    return rc;
}

static void means_title(const struct means *ms, const char *what, char *buf, size_t size)
{
    snprintf(buf, size, "%s per policy\n(%s; %llu runs, %zu seed%s, %llu finished inferences)",
             what, ms->scenarios[0] ? ms->scenarios : "-", (unsigned long long)ms->runs,
             ms->n_seeds, ms->n_seeds == 1 ? "" : "s", (unsigned long long)ms->finished);
}

/* One line per policy: "policy" v1 v2 ... into data.dat. */
static enum core_rc write_bars(struct plot_dir *d, const struct means *ms, bool breakdown,
                               struct core_err *e)
{
    FILE *f = dir_open(d, "data.dat", e), *tidy;
    enum core_rc rc;

    if (!f)
        return e->rc;
    if (!(tidy = dir_open(d, "data.tsv", e))) {
        fclose(f);
        return e->rc;
    }
    fprintf(tidy, "policy\truns\tfinished\t%s\n",
            breakdown ? "ue_compute_s\tuplink_s\tedge_queue_s\tedge_compute_s\tdownlink_s\t"
                        "signaling_s"
                      : "ue_energy_j\tedge_energy_j");
    fprintf(f, "# policy %s\n", breakdown ? "ue_compute_s uplink_s edge_queue_s edge_compute_s "
                                            "downlink_s signaling_s"
                                          : "ue_energy_j edge_energy_j");
    for (size_t i = 0; i < ms->n; i++) {
        const struct policy_means *p = &ms->p[i];

        put_data_string(f, p->policy);
        fprintf(tidy, "%s\t%llu\t%llu", p->policy, (unsigned long long)p->runs,
                (unsigned long long)p->finished);
        if (breakdown) {
            for (size_t c = 0; c < ARRAY_LEN(component_labels); c++) {
                fprintf(f, " %.17g", p->component_s[c]);
                fprintf(tidy, "\t%.17g", p->component_s[c]);
            }
        } else {
            fprintf(f, " %.17g %.17g", p->ue_energy_j, p->edge_energy_j);
            fprintf(tidy, "\t%.17g\t%.17g", p->ue_energy_j, p->edge_energy_j);
        }
        fputc('\n', f);
        fputc('\n', tidy);
    }
    rc = dir_close(d, tidy, "data.tsv", e);
    if (rc != CORE_OK) {
        fclose(f);
        return rc;
    }
    return dir_close(d, f, "data.dat", e);
}

static enum core_rc figure_bars(struct db_reader *r, bool breakdown, struct plot_dir *d, int fmt,
                                struct core_err *e)
{
    struct means ms;
    char title[512];
    FILE *gp = NULL;
    enum core_rc rc = read_means(r, breakdown ? "breakdown" : "energy", &ms, e);

    if (rc == CORE_OK)
        rc = write_bars(d, &ms, breakdown, e);
    if (rc == CORE_OK && !(gp = dir_open(d, "plot.gp", e)))
        rc = e->rc;
    if (rc != CORE_OK)
        goto out;
    means_title(&ms, breakdown ? "mean latency components of a finished inference"
                               : "mean energy per finished inference, UE and edge",
                title, sizeof(title));
    script_head(gp, fmt, title);
    fprintf(gp, "set key inside right top box opaque\n"
                "set style data histograms\nset style fill solid 0.85 border -1\n"
                "set boxwidth 0.7 relative\nset yrange [0:*]\nset offsets 0, 0, graph 0.3, 0\nset xlabel 'policy'\n"
                "set grid noxtics\n");
    if (breakdown) {
        fprintf(gp, "set style histogram rowstacked\n"
                    "set ylabel 'mean time per inference (s), stacked by component'\nplot ");
        for (size_t c = 0; c < ARRAY_LEN(component_labels); c++) {
            fprintf(gp, "%s'data.dat' using %zu%s title ", c ? ", \\\n     " : "", c + 2,
                    c ? "" : ":xtic(1)");
            put_string(gp, component_labels[c]);
        }
    } else {
        fprintf(gp, "set style histogram clustered gap 1\n"
                    "set ylabel 'mean energy per inference (J)'\n"
                    "plot 'data.dat' using 2:xtic(1) title 'UE', '' using 3 title 'edge'");
    }
    fputc('\n', gp);
    rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
    core_free(ms.p);
    core_free(ms.seeds);
    return rc;
}

/* ---- latency-cdf ---------------------------------------------------------------------- */

struct latencies {
    char (*policy)[RUN_POLICY_NAME_MAX]; /* [n] */
    double **x;                          /* [n]: each policy's latencies, s (owned) */
    size_t *len, *cap;                   /* [n] */
    size_t n;
    const char *path;
    double min_s;                        /* the smallest positive latency, s */
};

static enum core_rc latency_row(void *ctx, const struct db_value *cols, size_t n,
                                struct core_err *e)
{
    struct latencies *l = ctx;
    size_t i;

    for (i = 0; i < l->n; i++)
        if (strcmp(l->policy[i], cols[0].text) == 0)
            break;
    if (i == l->n) {
        void *p = core_realloc(l->policy, (l->n + 1) * sizeof(*l->policy));

        if (p)
            l->policy = p;
        p = p ? core_realloc(l->x, (l->n + 1) * sizeof(*l->x)) : NULL;
        if (p)
            l->x = p;
        p = p ? core_realloc(l->len, (l->n + 1) * sizeof(*l->len)) : NULL;
        if (p)
            l->len = p;
        p = p ? core_realloc(l->cap, (l->n + 1) * sizeof(*l->cap)) : NULL;
        if (p)
            l->cap = p;
        if (!p)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory", l->path);
        snprintf(l->policy[i], sizeof(l->policy[i]), "%s", cols[0].text);
        l->x[i] = NULL;
        l->len[i] = l->cap[i] = 0;
        l->n++;
    }
    if (l->len[i] == l->cap[i]) {
        size_t cap = l->cap[i] ? 2 * l->cap[i] : 1024;
        double *grown = core_realloc(l->x[i], cap * sizeof(*grown));

        if (!grown)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory for the latencies", l->path);
        l->x[i] = grown;
        l->cap[i] = cap;
    }
    l->x[i][l->len[i]++] = cols[1].d;
    if (cols[1].d > 0 && cols[1].d < l->min_s)
        l->min_s = cols[1].d;
    return CORE_OK;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static enum core_rc figure_cdf(struct db_reader *r, struct plot_dir *d, int fmt,
                               struct core_err *e)
{
    struct latencies l = {.path = db_reader_path(r), .min_s = INFINITY};
    struct means ms = {0};
    double max_s = 0;
    char title[512], name[32];
    FILE *gp = NULL, *tidy = NULL;
    enum core_rc rc = read_means(r, "latency-cdf", &ms, e);

    if (rc == CORE_OK)
        rc = db_query(r, DB_Q_LATENCIES, 0, latency_row, &l, e);
    /* the policies in table order (a few: a selection sort of the parallel arrays) */
    for (size_t i = 0; rc == CORE_OK && i < l.n; i++) {
        size_t best = i;

        for (size_t j = i + 1; j < l.n; j++)
            if (by_policy_name(l.policy[j], l.policy[best]) < 0)
                best = j;
        if (best != i) {
            char name_i[RUN_POLICY_NAME_MAX];
            double *x = l.x[i];
            size_t len = l.len[i], cap = l.cap[i];

            memcpy(name_i, l.policy[i], sizeof(name_i));
            memcpy(l.policy[i], l.policy[best], sizeof(name_i));
            memcpy(l.policy[best], name_i, sizeof(name_i));
            l.x[i] = l.x[best], l.len[i] = l.len[best], l.cap[i] = l.cap[best];
            l.x[best] = x, l.len[best] = len, l.cap[best] = cap;
        }
    }
    if (rc == CORE_OK && !(tidy = dir_open(d, "data.tsv", e)))
        rc = e->rc;
    if (rc != CORE_OK)
        goto out;
    fprintf(tidy, "policy\tlatency_s\tfraction_at_or_below\n");
    for (size_t i = 0; i < l.n && rc == CORE_OK; i++) {
        size_t n = l.len[i], k = n < CDF_POINTS ? n : CDF_POINTS;
        FILE *f;

        if (n > 1) /* qsort's base may be NULL when empty */
            qsort(l.x[i], n, sizeof(double), by_value);
        max_s = fmax(max_s, l.x[i][n - 1]);
        snprintf(name, sizeof(name), "s%zu.dat", i);
        if (!(f = dir_open(d, name, e))) {
            rc = e->rc;
            break;
        }
        fprintf(f, "# latency_s fraction_at_or_below\n");
        /* k points of the empirical CDF: the j-th of n sorted latencies has
         * (j + 1) / n of them at or below it; the last is always written */
        for (size_t j = 0; j < k; j++) {
            size_t idx = k == n ? j : (size_t)((double)j * (double)(n - 1) / (double)(k - 1));

            fprintf(f, "%.17g %.17g\n", l.x[i][idx], (double)(idx + 1) / (double)n);
            fprintf(tidy, "%s\t%.17g\t%.17g\n", l.policy[i], l.x[i][idx],
                    (double)(idx + 1) / (double)n);
        }
        rc = dir_close(d, f, name, e);
    }
    if (rc == CORE_OK) {
        rc = dir_close(d, tidy, "data.tsv", e);
        tidy = NULL;
    }
    if (rc == CORE_OK && !(gp = dir_open(d, "plot.gp", e)))
        rc = e->rc;
    if (rc != CORE_OK)
        goto out;
    means_title(&ms, "CDF of the latency of finished inferences", title, sizeof(title));
    script_head(gp, fmt, title);
    fprintf(gp, "set xlabel 'latency (s)'\nset ylabel 'fraction of finished inferences (1)'\n"
                "set yrange [0:1.02]\nset key right bottom inside box opaque\n");
    if (l.min_s > 0 && isfinite(l.min_s) && max_s / l.min_s >= 100)
        fprintf(gp, "set logscale x\n");
    fprintf(gp, "plot ");
    for (size_t i = 0; i < l.n; i++) {
        fprintf(gp, "%s's%zu.dat' using 1:2 with steps lw 2 title ", i ? ", \\\n     " : "", i);
        put_string(gp, l.policy[i]);
    }
    fputc('\n', gp);
    rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
    if (tidy)
        fclose(tidy);
    for (size_t i = 0; i < l.n; i++)
        core_free(l.x[i]);
    core_free(l.x);
    core_free(l.len);
    core_free(l.cap);
    core_free(l.policy);
    core_free(ms.p);
    core_free(ms.seeds);
    return rc;
}

/* ---- plans: split-point histograms and per-layer resource maps ------------------------ */

/* A growable list of distinct names, in order of first appearance. */
struct names {
    char **s;  /* [n] (owned) */
    size_t n;
};

/* The index of name in ns, added when absent; SIZE_MAX when out of memory. */
static size_t names_intern(struct names *ns, const char *name)
{
    char **grown, *copy;

    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->s[i], name) == 0)
            return i;
    grown = core_realloc(ns->s, (ns->n + 1) * sizeof(*grown));
    if (!grown)
        return SIZE_MAX;
    ns->s = grown;
    copy = core_malloc(strlen(name) + 1);
    if (!copy)
        return SIZE_MAX;
    strcpy(copy, name);
    ns->s[ns->n] = copy;
    return ns->n++;
}

static size_t names_find(const struct names *ns, const char *name)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->s[i], name) == 0)
            return i;
    return SIZE_MAX;
}

static void names_fini(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        core_free(ns->s[i]);
    core_free(ns->s);
    ns->s = NULL;
    ns->n = 0;
}

/* The names of ns, comma-separated, into buf. */
static void names_list(const struct names *ns, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < ns->n; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "", ns->s[i]);
}

/* One executed plan of one run, and how many finished inferences ran it. */
struct plan_row {
    size_t run;                /* index into plans.runs */
    size_t model;              /* index into plans.models */
    int64_t split;             /* layers the UE ran */
    char *ue_alloc, *edge_alloc, *order; /* as stored ("" order: the layers' own) (owned) */
    uint64_t count;            /* finished inferences */
};

struct plan_run {
    int64_t run_id;
    size_t policy;             /* index into plans.policies */
    size_t series;             /* index into plans.series */
    size_t scenario;           /* index into plans.scenarios */
    int64_t seed;              /* its seed */
    double x;                  /* its value of the --x factor (NAN: none, or not a number) */
    bool kept;                 /* passes --policy (and has a value of --x) */
};

struct plans {
    const char *path;
    struct plan_run *runs;     /* [n_runs] */
    size_t n_runs;
    struct plan_row *rows;     /* [n_rows] */
    size_t n_rows;
    struct names policies, models, scenarios, series;
    uint64_t finished;         /* finished inferences kept */
    const char *x;             /* the factor of --x (NULL: none) */
    char *x_value;             /* scratch: the run's value of x while reading its values */
    double x_num;
};

static enum core_rc plans_run_row(void *ctx, const struct db_value *cols, size_t n,
                                  struct core_err *e)
{
    struct plans *p = ctx;
    struct plan_run *grown;

    CORE_ASSERT(n >= 4);
    grown = core_realloc(p->runs, (p->n_runs + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", p->path);
    p->runs = grown;
    grown[p->n_runs] = (struct plan_run){.run_id = cols[0].i,
                                         .policy = names_intern(&p->policies, cols[1].text),
                                         .scenario = names_intern(&p->scenarios, cols[2].text),
                                         .seed = cols[3].i, .x = NAN, .kept = true};
    if (grown[p->n_runs].policy == SIZE_MAX || grown[p->n_runs].scenario == SIZE_MAX)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", p->path);
    p->n_runs++;
    return CORE_OK;
}

/* value (in the SI unit) with three significant digits and a prefix that
 * keeps it between 1 and 1000: 3162277.66 bit/s is "3.16 Mbit/s"; decibels
 * and pure numbers take no prefix. */
static void format_quantity(double value, const char *unit, char *buf, size_t size)
{
    static const struct {
        double scale;
        const char *prefix;
    } prefixes[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""},
                    {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}};
    double a = fabs(value);

    if (!unit[0] || strncmp(unit, "dB", 2) == 0 || a == 0 || !isfinite(value)) {
        snprintf(buf, size, unit[0] ? "%.3g %s" : "%.3g%s", value, unit);
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(prefixes); i++)
        if (a >= prefixes[i].scale * 0.9995 || i + 1 == ARRAY_LEN(prefixes)) {
            snprintf(buf, size, "%.3g %s%s", value / prefixes[i].scale, prefixes[i].prefix,
                     unit);
            return;
        }
}

static enum core_rc plans_value_row(void *ctx, const struct db_value *cols, size_t n,
                                    struct core_err *e)
{
    struct plans *p = ctx;
    char shown[64];
    const char *text = cols[2].text;

    CORE_ASSERT(n >= 4);
    if (strcmp(cols[0].text, p->x) != 0)
        return CORE_OK;
    if (!cols[3].null) {
        format_quantity(cols[3].d, path_unit(cols[1].text), shown, sizeof(shown));
        text = shown;
    }
    core_free(p->x_value);
    p->x_value = core_malloc(strlen(text) + 1);
    if (!p->x_value)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", p->path);
    strcpy(p->x_value, text);
    p->x_num = cols[3].null ? NAN : cols[3].d;
    return CORE_OK;
}

static char *dup_text(const char *s)
{
    char *c = core_malloc(strlen(s) + 1);

    if (c)
        strcpy(c, s);
    return c;
}

struct plans_ctx {
    struct plans *p;
    size_t run;
};

static enum core_rc plans_plan_row(void *ctx, const struct db_value *cols, size_t n,
                                   struct core_err *e)
{
    struct plans_ctx *c = ctx;
    struct plans *p = c->p;
    struct plan_row *grown, *r;

    CORE_ASSERT(n >= 6);
    grown = core_realloc(p->rows, (p->n_rows + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", p->path);
    p->rows = grown;
    r = &grown[p->n_rows];
    *r = (struct plan_row){.run = c->run, .model = names_intern(&p->models, cols[0].text),
                           .split = cols[1].i, .ue_alloc = dup_text(cols[2].text),
                           .edge_alloc = dup_text(cols[3].text), .order = dup_text(cols[4].text),
                           .count = (uint64_t)cols[5].i};
    p->n_rows++;
    if (r->model == SIZE_MAX || !r->ue_alloc || !r->edge_alloc || !r->order)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", p->path);
    return CORE_OK;
}

static void plans_fini(struct plans *p)
{
    for (size_t i = 0; i < p->n_rows; i++) {
        core_free(p->rows[i].ue_alloc);
        core_free(p->rows[i].edge_alloc);
        core_free(p->rows[i].order);
    }
    core_free(p->rows);
    core_free(p->runs);
    core_free(p->x_value);
    names_fini(&p->policies);
    names_fini(&p->models);
    names_fini(&p->scenarios);
    names_fini(&p->series);
}

/* Whether name is one of the comma-separated names of list. */
static bool in_list(const char *list, const char *name)
{
    size_t k = strlen(name);

    for (const char *s = list; *s;) {
        size_t len = strcspn(s, ",");

        while (len && *s == ' ')
            s++, len--;
        if (len == k && strncmp(s, name, k) == 0)
            return true;
        s += len + (s[len] == ',');
    }
    return false;
}

/* Read the complete runs, their series (policy, and the value of o->x) and
 * the plans their finished inferences executed. */
static enum core_rc plans_read(struct db_reader *r, const struct run_plot_options *o,
                               const char *figure, struct plans *p, struct core_err *e)
{
    char all[1024];
    bool any_x = false;
    enum core_rc rc;

    memset(p, 0, sizeof(*p));
    p->path = db_reader_path(r);
    p->x = o->x;
    rc = db_query(r, DB_Q_PLOT_RUNS, 0, plans_run_row, p, e);
    if (rc != CORE_OK)
        return rc;
    if (p->n_runs == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s: no finished inference of a complete run to plot (figure %s needs "
                        "the runs of a collaborative scenario)",
                        p->path, figure);
    if (o->policy) {
        /* every name of --policy must be a policy of the database */
        for (const char *s = o->policy; *s;) {
            size_t len = strcspn(s, ",");
            char one[RUN_POLICY_NAME_MAX];

            while (len && *s == ' ')
                s++, len--;
            snprintf(one, sizeof(one), "%.*s", (int)len, s);
            if (names_find(&p->policies, one) == SIZE_MAX) {
                names_list(&p->policies, all, sizeof(all));
                return core_err(e, CORE_E_USAGE,
                                "--policy %s: no complete run of policy '%s' in %s (policies: "
                                "%s)",
                                o->policy, one, p->path, all);
            }
            s += len + (s[len] == ',');
        }
        for (size_t i = 0; i < p->n_runs; i++)
            p->runs[i].kept = in_list(o->policy, p->policies.s[p->runs[i].policy]);
    }
    for (size_t i = 0; i < p->n_runs; i++) {
        struct plan_run *run = &p->runs[i];
        struct plans_ctx c = {p, i};
        char label[RUN_POLICY_NAME_MAX + 512];

        if (!run->kept)
            continue;
        snprintf(label, sizeof(label), "%s", p->policies.s[run->policy]);
        if (p->x) {
            core_free(p->x_value);
            p->x_value = NULL;
            rc = db_query(r, DB_Q_SWEEP_VALUES_OF_RUN, run->run_id, plans_value_row, p, e);
            if (rc != CORE_OK)
                return rc;
            if (!p->x_value) {
                run->kept = false; /* not a sweep point with that factor */
                continue;
            }
            any_x = true;
            run->x = p->x_num;
            snprintf(label + strlen(label), sizeof(label) - strlen(label), ", %s=%s", p->x,
                     p->x_value);
        }
        run->series = names_intern(&p->series, label);
        if (run->series == SIZE_MAX)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory", p->path);
        rc = db_query(r, DB_Q_PLANS_OF_RUN, run->run_id, plans_plan_row, &c, e);
        if (rc != CORE_OK)
            return rc;
    }
    if (p->x && !any_x)
        return core_err(e, CORE_E_USAGE,
                        "--x %s: no complete sweep point of %s has that factor (see coinfer "
                        "sweep FILE --list for the factors)",
                        p->x, p->path);
    if (o->model && names_find(&p->models, o->model) == SIZE_MAX) {
        names_list(&p->models, all, sizeof(all));
        return core_err(e, CORE_E_USAGE, "--model %s: no finished inference of that model in "
                                         "%s (models: %s)",
                        o->model, p->path, all);
    }
    for (size_t i = 0; i < p->n_rows; i++)
        if (!o->model || strcmp(p->models.s[p->rows[i].model], o->model) == 0)
            p->finished += p->rows[i].count;
    return CORE_OK;
}

/* "scenario(s); N runs over S seeds, M finished inferences" of the runs kept. */
static void plans_about(const struct plans *p, char *buf, size_t size)
{
    char scen[256] = "";
    size_t runs = 0, seeds = 0;

    for (size_t i = 0; i < p->n_runs; i++) {
        const struct plan_run *a = &p->runs[i];
        bool seen_seed = false, seen_scenario = false;

        if (!a->kept)
            continue;
        runs++;
        for (size_t j = 0; j < i; j++) {
            seen_seed |= p->runs[j].kept && p->runs[j].seed == a->seed;
            seen_scenario |= p->runs[j].kept && p->runs[j].scenario == a->scenario;
        }
        seeds += !seen_seed;
        if (!seen_scenario)
            snprintf(scen + strlen(scen), sizeof(scen) - strlen(scen), "%s%s", scen[0] ? ", " : "",
                     p->scenarios.s[a->scenario]);
    }
    snprintf(buf, size, "%s; %zu runs, %zu seed%s, %llu finished inferences", scen, runs, seeds,
             seeds == 1 ? "" : "s", (unsigned long long)p->finished);
}

/* Walk the layers alloc ("option:first-last,..." over plan positions; order
 * "i,j,..." the layer at each position, "" the layers' own order): each gets
 * each(ctx, layer, option, length of option) when each is given, and
 * *max_layer grows to one past the largest layer. */
static void parse_layers(const char *alloc, const char *order, size_t *max_layer,
                           void (*each)(void *ctx, size_t layer, const char *option, size_t len),
                           void *ctx)
{
    for (const char *s = alloc; *s;) {
        size_t len = strcspn(s, ","), colon = len, first, last;
        char range[64];

        while (colon > 0 && s[colon - 1] != ':')
            colon--;
        if (colon == 0 || len - colon >= sizeof(range))
            break; /* not "option:first-last": nothing more to read */
        snprintf(range, sizeof(range), "%.*s", (int)(len - colon), s + colon);
        if (sscanf(range, "%zu-%zu", &first, &last) != 2 || last < first)
            break;
        for (size_t pos = first; pos <= last; pos++) {
            size_t layer = pos;

            if (order[0]) {
                /* position pos is the pos-th entry of order */
                const char *o = order;

                for (size_t k = 0; k < pos && o; k++) {
                    o = strchr(o, ',');
                    o = o ? o + 1 : NULL;
                }
                if (!o)
                    break;
                layer = (size_t)strtoul(o, NULL, 10);
            }
            if (layer + 1 > *max_layer)
                *max_layer = layer + 1;
            if (each)
                each(ctx, layer, s, colon - 1);
        }
        s += len + (s[len] == ',');
    }
}

/* The models a figure draws: o->model, or every model with a kept plan. */
static bool model_drawn(const struct run_plot_options *o, const struct plans *p, size_t m)
{
    return !o->model || strcmp(p->models.s[m], o->model) == 0;
}

/* The panels' common layout: a multiplot of n rows, margins fixed so that
 * the panels line up and the keys sit right of them. */
static void panels_head(FILE *gp, int fmt, const char *title, size_t n, double right)
{
    script_head(gp, fmt, "");
    fprintf(gp, "unset title\nset multiplot layout %zu,1 title ", n);
    put_lines(gp, title);
    fprintf(gp, "\nset lmargin at screen 0.11\nset rmargin at screen %g\n", right);
}

static int by_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* The order of the series: by policy (the policy table's order), then by
 * the value of --x (numerically where it is a number). */
static void series_order(const struct plans *p, size_t *order)
{
    size_t n = p->series.n;
    size_t *pol = core_calloc(n ? n : 1, sizeof(*pol));
    double *x = core_calloc(n ? n : 1, sizeof(*x));

    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (!pol || !x)
        goto out;
    for (size_t i = 0; i < p->n_runs; i++)
        if (p->runs[i].kept) {
            pol[p->runs[i].series] = p->runs[i].policy;
            x[p->runs[i].series] = p->runs[i].x;
        }
    /* insertion sort: a few dozen series at most in a readable figure */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            size_t a = order[j - 1], b = order[j];
            int by = by_policy_name(p->policies.s[pol[a]], p->policies.s[pol[b]]);
            bool swap = by > 0 || (by == 0 && !isnan(x[a]) && !isnan(x[b]) && x[a] > x[b]);

            if (!swap)
                break;
            order[j - 1] = b;
            order[j] = a;
        }
out:
    core_free(pol);
    core_free(x);
}

static enum core_rc figure_split(struct db_reader *r, const struct run_plot_options *o,
                                 struct plot_dir *d, int fmt, struct core_err *e)
{
    struct plans p;
    int64_t *splits = NULL;
    uint64_t *count = NULL, *total = NULL;
    size_t *order = NULL, n_models = 0, panel = 0;
    FILE *gp = NULL, *tidy = NULL;
    char title[1024], about[512], name[32];
    enum core_rc rc = plans_read(r, o, "split", &p, e);

    if (rc != CORE_OK)
        goto out;
    splits = core_calloc(p.n_rows + 1, sizeof(*splits));
    order = core_calloc(p.series.n + 1, sizeof(*order));
    total = core_calloc(p.series.n + 1, sizeof(*total));
    count = core_calloc((p.n_rows + 1) * (p.series.n + 1), sizeof(*count));
    if (!splits || !order || !total || !count) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", p.path);
        goto out;
    }
    series_order(&p, order);
    for (size_t m = 0; m < p.models.n; m++)
        n_models += model_drawn(o, &p, m);
    if (!(gp = dir_open(d, "plot.gp", e)) || !(tidy = dir_open(d, "data.tsv", e))) {
        rc = e->rc;
        goto out;
    }
    fprintf(tidy, "model\tseries\tsplit\tlayers\tinferences\tshare\n");
    plans_about(&p, about, sizeof(about));
    snprintf(title, sizeof(title),
             "split points of the finished inferences, share per %s\n(%s)",
             o->x ? "policy and factor value" : "policy", about);
    panels_head(gp, fmt, title, n_models, 0.78);
    fprintf(gp, "set style data histograms\nset style histogram clustered gap 1\n"
                "set style fill solid 0.85 border -1\nset boxwidth 0.9 relative\n"
                "set yrange [0:1.05]\nset grid noxtics\nset ylabel 'share of inferences (1)'\n"
                "set key outside right top box opaque\n");
    for (size_t m = 0; m < p.models.n; m++) {
        size_t n_splits = 0, layers = 0;
        FILE *f;

        if (!model_drawn(o, &p, m))
            continue;
        memset(total, 0, (p.series.n + 1) * sizeof(*total));
        memset(count, 0, (p.n_rows + 1) * (p.series.n + 1) * sizeof(*count));
        for (size_t i = 0; i < p.n_rows; i++) {
            const struct plan_row *w = &p.rows[i];
            bool seen = false;

            if (w->model != m)
                continue;
            parse_layers(w->ue_alloc, w->order, &layers, NULL, NULL);
            parse_layers(w->edge_alloc, w->order, &layers, NULL, NULL);
            for (size_t k = 0; k < n_splits && !seen; k++)
                seen = splits[k] == w->split;
            if (!seen)
                splits[n_splits++] = w->split;
        }
        if (n_splits > 1) /* qsort's base may be NULL when empty */
            qsort(splits, n_splits, sizeof(*splits), by_int64);
        for (size_t i = 0; i < p.n_rows; i++) {
            const struct plan_row *w = &p.rows[i];
            size_t k = 0, s = p.runs[w->run].series;

            if (w->model != m)
                continue;
            while (splits[k] != w->split)
                k++;
            count[k * p.series.n + s] += w->count;
            total[s] += w->count;
        }
        snprintf(name, sizeof(name), "m%zu.dat", panel);
        if (!(f = dir_open(d, name, e))) {
            rc = e->rc;
            goto out;
        }
        fprintf(f, "# split (its tic label: every k-th, k = %zu, and the last), then the share "
                   "of each series\n", (n_splits + 23) / 24);
        for (size_t k = 0; k < n_splits; k++) {
            size_t every = (n_splits + 23) / 24; /* at most about 24 labels */

            if (k % every == 0 || k + 1 == n_splits)
                fprintf(f, "\"%lld\"", (long long)splits[k]);
            else
                fprintf(f, "\"\"");
            for (size_t j = 0; j < p.series.n; j++) {
                size_t s = order[j];
                double share = total[s] ? (double)count[k * p.series.n + s] / (double)total[s]
                                        : 0.0;

                fprintf(f, " %.17g", share);
                if (total[s]) {
                    fprintf(tidy, "%s\t%s\t%lld\t%zu\t%llu\t%.17g\n", p.models.s[m],
                            p.series.s[s], (long long)splits[k], layers,
                            (unsigned long long)count[k * p.series.n + s], share);
                }
            }
            fputc('\n', f);
        }
        rc = dir_close(d, f, name, e);
        if (rc != CORE_OK)
            goto out;
        snprintf(title, sizeof(title), "%s (%zu layers)", p.models.s[m], layers);
        fprintf(gp, "set title ");
        put_string(gp, title);
        fprintf(gp, "\n%s", panel == 0 ? "set key\n" : "unset key\n");
        if (panel + 1 == n_models)
            fprintf(gp, "set xlabel 'split point: layers run on the UE (0: all on the edge; "
                        "the layer count: all on the UE)'\n");
        fprintf(gp, "plot ");
        for (size_t j = 0; j < p.series.n; j++) {
            fprintf(gp, "%s'%s' using %zu%s title ", j ? ", \\\n     " : "", name, j + 2,
                    j ? "" : ":xtic(1)");
            put_string(gp, p.series.s[order[j]]);
        }
        fputc('\n', gp);
        panel++;
    }
    fprintf(gp, "unset multiplot\n");
    rc = dir_close(d, tidy, "data.tsv", e);
    tidy = NULL;
    if (rc == CORE_OK)
        rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
    if (tidy)
        fclose(tidy);
    core_free(splits);
    core_free(order);
    core_free(total);
    core_free(count);
    plans_fini(&p);
    return rc;
}

/* ---- layers: the option that ran each layer, per policy ------------------------------- */

/* UE options in cool colours, edge options in warm ones, each side in turn. */
static const char *const ue_colours[] = {"#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#aec7e8",
                                         "#98df8a", "#8c564b", "#c5b0d5"};
static const char *const edge_colours[] = {"#d62728", "#ff7f0e", "#e377c2", "#bcbd22",
                                           "#ff9896", "#ffbb78", "#7f7f7f", "#f7b6d2"};

struct layer_count {
    struct names *options;     /* "UE gpu", "edge cpu:32", ... */
    const char *side;          /* "UE" or "edge" */
    uint64_t *cells;           /* [layer][option] of one (policy, model), or NULL: intern only */
    size_t n_options_max;      /* the row length of cells */
    uint64_t weight;           /* inferences of the plan */
    bool nomem;
};

static void layer_count_one(void *ctx, size_t layer, const char *option, size_t len)
{
    struct layer_count *c = ctx;
    char name[96];
    size_t o;

    snprintf(name, sizeof(name), "%s %.*s", c->side, (int)len, option);
    if (!c->cells) {
        c->nomem |= names_intern(c->options, name) == SIZE_MAX;
        return;
    }
    o = names_find(c->options, name);
    if (o != SIZE_MAX)
        c->cells[layer * c->n_options_max + o] += c->weight;
}

/* Options in order: the UE's first, then by name with numbers compared as
 * numbers ("cpu:2" before "cpu:16"). */
static int by_option(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int ux = strncmp(x, "UE ", 3) == 0, uy = strncmp(y, "UE ", 3) == 0;

    if (ux != uy)
        return uy - ux;
    while (*x && *y) {
        if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
            unsigned long long nx = strtoull(x, (char **)&x, 10), ny = strtoull(y, (char **)&y, 10);

            if (nx != ny)
                return nx < ny ? -1 : 1;
            continue;
        }
        if (*x != *y)
            return (unsigned char)*x - (unsigned char)*y;
        x++, y++;
    }
    return (unsigned char)*x - (unsigned char)*y;
}

static enum core_rc figure_layers(struct db_reader *r, const struct run_plot_options *o,
                                  struct plot_dir *d, int fmt, struct core_err *e)
{
    struct plans p;
    struct names options = {0};
    size_t *colour = NULL, *policy_order = NULL;
    size_t n_models = 0, panel = 0, layers_max = 0, rows = 0;
    bool *shown = NULL;
    uint64_t *cells = NULL;
    FILE *gp = NULL, *tidy = NULL;
    char title[1024], about[512], name[32];
    enum core_rc rc = plans_read(r, o, "layers", &p, e);

    if (rc != CORE_OK)
        goto out;
    if (o->x) {
        rc = core_err(e, CORE_E_USAGE, "--x goes with --figure sweep or split only");
        goto out;
    }
    /* the options, UE ones first, and the largest model */
    for (int side = 0; side < 2; side++)
        for (size_t i = 0; i < p.n_rows; i++) {
            struct layer_count c = {&options, side ? "edge" : "UE", NULL, 0, 0, false};
            const struct plan_row *w = &p.rows[i];

            parse_layers(side ? w->edge_alloc : w->ue_alloc, w->order, &layers_max,
                         layer_count_one, &c);
            if (c.nomem) {
                rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", p.path);
                goto out;
            }
        }
    if (options.n > 1) /* qsort's base may be NULL when empty */
        qsort(options.s, options.n, sizeof(*options.s), by_option);
    colour = core_calloc(options.n + 1, sizeof(*colour));
    shown = core_calloc(options.n + 1, sizeof(*shown));
    policy_order = core_calloc(p.policies.n + 1, sizeof(*policy_order));
    cells = core_calloc((layers_max + 1) * (options.n + 1) * (p.policies.n + 1), sizeof(*cells));
    if (!colour || !shown || !cells || !policy_order) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", p.path);
        goto out;
    }
    for (size_t k = 0, ue = 0, edge = 0; k < options.n; k++)
        colour[k] = strncmp(options.s[k], "UE ", 3) == 0 ? ue++ : edge++;
    for (size_t i = 0; i < p.policies.n; i++) {
        size_t j = i;

        for (; j > 0 && by_policy_name(p.policies.s[policy_order[j - 1]], p.policies.s[i]) > 0;
             j--)
            policy_order[j] = policy_order[j - 1];
        policy_order[j] = i;
    }
    for (size_t m = 0; m < p.models.n; m++)
        n_models += model_drawn(o, &p, m);
    if (!(gp = dir_open(d, "plot.gp", e)) || !(tidy = dir_open(d, "data.tsv", e))) {
        rc = e->rc;
        goto out;
    }
    fprintf(tidy, "model\tpolicy\tlayer\toption\tshare\n");
    plans_about(&p, about, sizeof(about));
    snprintf(title, sizeof(title),
             "the option that ran each layer in most finished inferences, per policy\n(%s)",
             about);
    panels_head(gp, fmt, title, n_models, 0.78);
    fprintf(gp, "set key outside right top box opaque\nset grid noytics\n"
                "set style fill solid 1.0 noborder\n");
    for (size_t m = 0; m < p.models.n; m++) {
        size_t layers = 0, stride = options.n + 1;
        FILE *f;

        if (!model_drawn(o, &p, m))
            continue;
        memset(cells, 0, (layers_max + 1) * stride * (p.policies.n + 1) * sizeof(*cells));
        for (size_t i = 0; i < p.n_rows; i++) {
            const struct plan_row *w = &p.rows[i];
            size_t pol = p.runs[w->run].policy;

            if (w->model != m)
                continue;
            for (int side = 0; side < 2; side++) {
                struct layer_count c = {&options, side ? "edge" : "UE",
                                        cells + pol * (layers_max + 1) * stride, stride,
                                        w->count, false};

                parse_layers(side ? w->edge_alloc : w->ue_alloc, w->order, &layers,
                             layer_count_one, &c);
            }
        }
        snprintf(name, sizeof(name), "m%zu.dat", panel);
        if (!(f = dir_open(d, name, e))) {
            rc = e->rc;
            goto out;
        }
        fprintf(f, "# layer row option share\n");
        fprintf(gp, "set ytics (");
        memset(shown, 0, (options.n + 1) * sizeof(*shown));
        rows = 0;
        for (size_t j = 0; j < p.policies.n; j++) {
            size_t pol = policy_order[j];
            bool any = false;

            for (size_t i = 0; i < p.n_runs && !any; i++)
                any = p.runs[i].kept && p.runs[i].policy == pol;
            if (!any)
                continue;
            fprintf(gp, "%s", rows ? ", " : "");
            put_string(gp, p.policies.s[pol]);
            fprintf(gp, " %zu", rows);
            for (size_t l = 0; l < layers; l++) {
                const uint64_t *c = cells + (pol * (layers_max + 1) + l) * stride;
                uint64_t sum = 0;
                size_t best = 0;

                for (size_t k = 0; k < options.n; k++) {
                    sum += c[k];
                    if (c[k] > c[best])
                        best = k;
                }
                if (sum == 0)
                    continue;
                shown[best] = true;
                fprintf(f, "%zu %zu %zu %.17g\n", l, rows, best, (double)c[best] / (double)sum);
                fprintf(tidy, "%s\t%s\t%zu\t%s\t%.17g\n", p.models.s[m], p.policies.s[pol], l,
                        options.s[best], (double)c[best] / (double)sum);
            }
            rows++;
        }
        rc = dir_close(d, f, name, e);
        if (rc != CORE_OK)
            goto out;
        fprintf(gp, ")\n");
        snprintf(title, sizeof(title), "%s (%zu layers)", p.models.s[m], layers);
        fprintf(gp, "set title ");
        put_string(gp, title);
        fprintf(gp, "\nset yrange [%zu.5:-0.5]\nset xrange [-0.5:%zu.5]\n", rows - 1,
                layers ? layers - 1 : 0);
        if (panel + 1 == n_models)
            fprintf(gp, "set xlabel 'layer (index in the model, input first)'\n");
        fprintf(gp, "plot ");
        for (size_t k = 0, first = 1; k < options.n; k++) {
            bool ue = strncmp(options.s[k], "UE ", 3) == 0;
            const char *rgb = ue ? ue_colours[colour[k] % ARRAY_LEN(ue_colours)]
                                 : edge_colours[colour[k] % ARRAY_LEN(edge_colours)];

            if (!shown[k])
                continue;
            fprintf(gp,
                    "%s'%s' using ($3 == %zu ? $1 : NaN):2:(0.5):(0.42) with boxxyerror "
                    "lc rgb '%s' title ",
                    first ? "" : ", \\\n     ", name, k, rgb);
            put_string(gp, options.s[k]);
            first = 0;
        }
        fputc('\n', gp);
        panel++;
    }
    fprintf(gp, "unset multiplot\n");
    rc = dir_close(d, tidy, "data.tsv", e);
    tidy = NULL;
    if (rc == CORE_OK)
        rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
    if (tidy)
        fclose(tidy);
    core_free(colour);
    core_free(policy_order);
    core_free(shown);
    core_free(cells);
    names_fini(&options);
    plans_fini(&p);
    return rc;
}

/* ---- training: the learning curves of `coinfer train` --------------------------------- */

struct training {
    int64_t train_id;
    char label[320];           /* "train 1: AGENT (N samples, seed S)" */
    FILE *f;                   /* its data file while reading */
    bool heldout, regret;      /* has a held-out loss, a regret */
    double min_loss, max_loss; /* over its losses, for the log axis */
};

struct trainings {
    struct training *t;        /* [n] */
    size_t n;
    struct plot_dir *d;
    FILE *tidy;
    const char *path;
};

static enum core_rc training_row(void *ctx, const struct db_value *cols, size_t n,
                                 struct core_err *e)
{
    struct trainings *ts = ctx;
    struct training *t = ts->n ? &ts->t[ts->n - 1] : NULL;
    const char *base;
    char name[32];

    CORE_ASSERT(n >= 9);
    if (!t || t->train_id != cols[0].i) {
        struct training *grown = core_realloc(ts->t, (ts->n + 1) * sizeof(*grown));

        if (!grown)
            return core_err(e, CORE_E_NOMEM, "%s: out of memory", ts->path);
        ts->t = grown;
        if (ts->n && ts->t[ts->n - 1].f) {
            enum core_rc rc;

            snprintf(name, sizeof(name), "t%zu.dat", ts->n - 1);
            rc = dir_close(ts->d, ts->t[ts->n - 1].f, name, e);
            ts->t[ts->n - 1].f = NULL;
            if (rc != CORE_OK)
                return rc;
        }
        t = &ts->t[ts->n];
        *t = (struct training){.train_id = cols[0].i, .min_loss = INFINITY, .max_loss = 0};
        base = strrchr(cols[1].text, '/');
        snprintf(t->label, sizeof(t->label), "train %lld: %s (seed %lld, %lld samples%s%s)",
                 (long long)cols[0].i, base ? base + 1 : cols[1].text, (long long)cols[3].i,
                 (long long)cols[2].i,
                 strcmp(cols[4].text, "complete") ? ", " : "",
                 strcmp(cols[4].text, "complete") ? cols[4].text : "");
        snprintf(name, sizeof(name), "t%zu.dat", ts->n);
        ts->n++;
        if (!(t->f = dir_open(ts->d, name, e)))
            return e->rc;
        fprintf(t->f, "# step loss heldout_loss heldout_regret\n");
    }
    fprintf(t->f, "%lld %.17g ", (long long)cols[5].i, cols[6].d);
    fprintf(t->f, cols[7].null ? "?" : "%.17g", cols[7].d);
    fputc(' ', t->f);
    fprintf(t->f, cols[8].null ? "?\n" : "%.17g\n", cols[8].d);
    fprintf(ts->tidy, "%lld\t%lld\t%.17g\t", (long long)cols[0].i, (long long)cols[5].i,
            cols[6].d);
    fprintf(ts->tidy, cols[7].null ? "\t" : "%.17g\t", cols[7].d);
    fprintf(ts->tidy, cols[8].null ? "\n" : "%.17g\n", cols[8].d);
    t->heldout |= !cols[7].null;
    t->regret |= !cols[8].null;
    if (cols[6].d > 0) {
        t->min_loss = fmin(t->min_loss, cols[6].d);
        t->max_loss = fmax(t->max_loss, cols[6].d);
    }
    if (!cols[7].null && cols[7].d > 0) {
        t->min_loss = fmin(t->min_loss, cols[7].d);
        t->max_loss = fmax(t->max_loss, cols[7].d);
    }
    return CORE_OK;
}

static enum core_rc figure_training(struct db_reader *r, struct plot_dir *d, int fmt,
                                    struct core_err *e)
{
    struct trainings ts = {.d = d, .path = db_reader_path(r)};
    bool regret = false, log_y = true;
    double max_loss = 0;
    FILE *gp = NULL;
    char title[512], name[32];
    enum core_rc rc;

    if (!(ts.tidy = dir_open(d, "data.tsv", e)))
        return e->rc;
    fprintf(ts.tidy, "train_id\tstep\tloss\theldout_loss\theldout_regret\n");
    rc = db_query(r, DB_Q_TRAINING_STEPS, 0, training_row, &ts, e);
    if (rc == CORE_OK && ts.n && ts.t[ts.n - 1].f) {
        snprintf(name, sizeof(name), "t%zu.dat", ts.n - 1);
        rc = dir_close(d, ts.t[ts.n - 1].f, name, e);
        ts.t[ts.n - 1].f = NULL;
    }
    if (rc == CORE_OK) {
        rc = dir_close(d, ts.tidy, "data.tsv", e);
        ts.tidy = NULL;
    }
    if (rc == CORE_OK && ts.n == 0)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no training to plot (figure training needs the training_steps "
                      "that coinfer train SAMPLES.db --out AGENT records)",
                      ts.path);
    if (rc == CORE_OK && !(gp = dir_open(d, "plot.gp", e)))
        rc = e->rc;
    if (rc != CORE_OK)
        goto out;
    for (size_t i = 0; i < ts.n; i++) {
        max_loss = fmax(max_loss, ts.t[i].max_loss);
        regret |= ts.t[i].regret;
        log_y &= ts.t[i].min_loss > 0 && isfinite(ts.t[i].min_loss);
    }
    snprintf(title, sizeof(title),
             "learning curves of the agent: loss against training step\n(%zu training%s "
             "recorded by coinfer train)",
             ts.n, ts.n == 1 ? "" : "s");
    panels_head(gp, fmt, title, regret ? 2 : 1, 0.95);
    fprintf(gp, "set key inside top right box opaque\nset xrange [0:*]\n");
    if (log_y) /* room above the curves for the key */
        fprintf(gp, "set logscale y\nset yrange [*:%g]\n", max_loss * 30.0);
    else
        fprintf(gp, "set offsets 0, 0, graph 0.5, 0\n");
    fprintf(gp, "set ylabel 'loss (Huber, on the cost)'\nset title 'training loss (mean since "
                "the last report) and loss on the held-out samples'\n");
    if (!regret)
        fprintf(gp, "set xlabel 'training step (1)'\n");
    fprintf(gp, "plot NaN with lines lw 2 lc 'black' title 'training loss', \\\n"
                "     NaN with lines lw 2 dt 2 lc 'black' title 'held-out loss'");
    for (size_t i = 0; i < ts.n; i++) {
        fprintf(gp, ", \\\n     't%zu.dat' using 1:2 with lines lw 2 lc %zu title ", i, i + 1);
        put_string(gp, ts.t[i].label);
        if (ts.t[i].heldout)
            fprintf(gp, ", \\\n     't%zu.dat' using 1:3 with lines lw 2 dt 2 lc %zu notitle", i,
                    i + 1);
    }
    fputc('\n', gp);
    if (regret) {
        fprintf(gp, "unset logscale y\nset yrange [*:*]\nset offsets 0, 0, 0, 0\n"
                    "set title 'mean regret of the greedy plan on the "
                    "held-out samples (its cost minus the best)'\n"
                    "set ylabel 'regret (cost units; s for latency)'\n"
                    "set xlabel 'training step (1)'\nunset key\nplot ");
        for (size_t i = 0, first = 1; i < ts.n; i++) {
            if (!ts.t[i].regret)
                continue;
            fprintf(gp, "%s't%zu.dat' using 1:4 with linespoints lw 2 pt 7 ps 0.5 lc %zu "
                        "title ",
                    first ? "" : ", \\\n     ", i, i + 1);
            put_string(gp, ts.t[i].label);
            first = 0;
        }
        fputc('\n', gp);
    }
    fprintf(gp, "unset multiplot\n");
    rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
    if (ts.tidy)
        fclose(ts.tidy);
    for (size_t i = 0; i < ts.n; i++)
        if (ts.t[i].f)
            fclose(ts.t[i].f);
    core_free(ts.t);
    return rc;
}

/* ---- running gnuplot ------------------------------------------------------------------ */

static void read_tail(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    off_t end;
    ssize_t got;

    buf[0] = '\0';
    if (fd < 0)
        return;
    end = lseek(fd, 0, SEEK_END);
    lseek(fd, end > (off_t)(size - 1) ? end - (off_t)(size - 1) : 0, SEEK_SET);
    got = read(fd, buf, size - 1);
    buf[got > 0 ? got : 0] = '\0';
    close(fd);
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
        buf[--got] = '\0';
}

static enum core_rc run_gnuplot(struct plot_dir *d, struct core_err *e)
{
    char err_path[RUN_PATH_MAX + 64], tail[ERR_TAIL + 1];
    pid_t pid;
    int st;

    snprintf(err_path, sizeof(err_path), "%s", dir_file(d, "gnuplot.err"));
    pid = fork();
    if (pid < 0)
        return core_err(e, CORE_E_RUNTIME, "cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);

        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (chdir(d->path) != 0)
            _exit(126);
        execlp("gnuplot", "gnuplot", "plot.gp", (char *)NULL);
        _exit(errno == ENOENT ? 127 : 126);
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return core_err(e, CORE_E_RUNTIME, "waiting for gnuplot: %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return core_err(e, CORE_E_RUNTIME,
                        "cannot run gnuplot: it is not installed or not on PATH (Debian: "
                        "apt-get install gnuplot-nox; make installs it)");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return CORE_OK;
    read_tail(err_path, tail, sizeof(tail));
    if (WIFSIGNALED(st))
        return core_err(e, CORE_E_RUNTIME, "gnuplot was killed by signal %d%s%s", WTERMSIG(st),
                        tail[0] ? ": " : "", tail);
    return core_err(e, CORE_E_RUNTIME, "gnuplot failed (exit status %d)%s%s", WEXITSTATUS(st),
                    tail[0] ? ": " : "", tail);
}

/* Copy the directory's file base+ext (the figure, or its data) to out (a
 * temporary name, renamed). */
static enum core_rc deliver(struct plot_dir *d, const char *base, const char *ext,
                            const char *option, const char *out, struct core_err *e)
{
    char name[32], tmp[RUN_PATH_MAX + 32], buf[65536];
    FILE *in, *to;
    size_t got;
    enum core_rc rc = CORE_OK;

    snprintf(name, sizeof(name), "%s%s", base, ext);
    in = fopen(dir_file(d, name), "rb");
    if (!in)
        return core_err(e, CORE_E_RUNTIME, "%s (%s): %s",
                        strcmp(base, "figure") ? "the figure's data was not written"
                                               : "gnuplot wrote no figure",
                        d->file, strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out, (long)getpid());
    to = fopen(tmp, "wb");
    if (!to) {
        fclose(in);
        return core_err(e, errno == ENOENT || errno == EISDIR ? CORE_E_USAGE : CORE_E_IO,
                        "%s %s: cannot write: %s", option, out, strerror(errno));
    }
    while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, got, to) != got)
            break;
    if (ferror(in) || ferror(to))
        rc = core_err(e, CORE_E_IO, "%s: cannot write: %s", out, strerror(errno));
    fclose(in);
    if (fclose(to) != 0 && rc == CORE_OK)
        rc = core_err(e, CORE_E_IO, "%s: cannot write: %s", out, strerror(errno));
    if (rc == CORE_OK && rename(tmp, out) != 0)
        rc = core_err(e, CORE_E_IO, "%s: cannot write: %s", out, strerror(errno));
    if (rc != CORE_OK)
        unlink(tmp);
    return rc;
}

enum core_rc run_plot(const char *db_path, const struct run_plot_options *o, struct core_err *e)
{
    enum run_figure fig = run_plot_figure_of(o->figure);
    struct plot_dir d;
    struct db_reader *r = NULL;
    const char *tmpdir = getenv("TMPDIR");
    int fmt = format_of(o->out);
    enum core_rc rc;

    if (fig == RUN_FIGURE_COUNT)
        return core_err(e, CORE_E_USAGE,
                        "--figure %s: no such figure (figures: sweep, latency-cdf, breakdown, "
                        "energy, split, layers, training)",
                        o->figure);
    if (fmt < 0)
        return core_err(e, CORE_E_USAGE,
                        "--out %s: name a .png, .pdf or .svg file (the extension chooses the "
                        "format)",
                        o->out);
    if (fig != RUN_FIGURE_SWEEP && o->metric)
        return core_err(e, CORE_E_USAGE, "--metric goes with --figure sweep only");
    if (fig != RUN_FIGURE_SWEEP && fig != RUN_FIGURE_SPLIT && o->x)
        return core_err(e, CORE_E_USAGE, "--x goes with --figure sweep or split only");
    if (fig != RUN_FIGURE_SPLIT && fig != RUN_FIGURE_LAYERS && (o->model || o->policy))
        return core_err(e, CORE_E_USAGE, "%s goes with --figure split or layers only",
                        o->model ? "--model" : "--policy");
    rc = db_reader_open(db_path, &r, e);
    if (rc != CORE_OK)
        return rc;
    snprintf(d.path, sizeof(d.path), "%s/coinfer-plot-XXXXXX",
             tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (!mkdtemp(d.path)) {
        rc = core_err(e, CORE_E_IO, "%s: cannot create a temporary directory: %s", d.path,
                      strerror(errno));
        db_reader_close(r);
        return rc;
    }
    switch (fig) {
    case RUN_FIGURE_SWEEP:
        rc = figure_sweep(r, o, &d, fmt, e);
        break;
    case RUN_FIGURE_LATENCY_CDF:
        rc = figure_cdf(r, &d, fmt, e);
        break;
    case RUN_FIGURE_BREAKDOWN:
    case RUN_FIGURE_ENERGY:
        rc = figure_bars(r, fig == RUN_FIGURE_BREAKDOWN, &d, fmt, e);
        break;
    case RUN_FIGURE_SPLIT:
        rc = figure_split(r, o, &d, fmt, e);
        break;
    case RUN_FIGURE_LAYERS:
        rc = figure_layers(r, o, &d, fmt, e);
        break;
    case RUN_FIGURE_TRAINING:
        rc = figure_training(r, &d, fmt, e);
        break;
    case RUN_FIGURE_COUNT:
        CORE_ASSERT(false);
    }
    db_reader_close(r);
    if (rc == CORE_OK)
        rc = run_gnuplot(&d, e);
    if (rc == CORE_OK && o->data)
        rc = deliver(&d, "data", ".tsv", "--data", o->data, e);
    if (rc == CORE_OK)
        rc = deliver(&d, "figure", formats[fmt].ext, "--out", o->out, e);
    dir_remove(&d);
    return rc;
}
