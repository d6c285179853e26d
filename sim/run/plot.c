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
 *    side, per policy.
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

const char *const run_plot_figures[RUN_FIGURE_COUNT] = {"sweep", "latency-cdf", "breakdown",
                                                        "energy"};

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
    static const char *const fixed[] = {"plot.gp", "gnuplot.err", "figure.png", "figure.pdf",
                                        "figure.svg", "data.dat"};
    char name[32];

    for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
        unlink(dir_file(d, fixed[i]));
    for (int i = 0;; i++) {
        snprintf(name, sizeof(name), "s%d.dat", i);
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
    double xmin = INFINITY, xmax = -INFINITY;
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
    if (!gp) {
        rc = e->rc;
        goto out;
    }
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
        qsort(pts, n_pts, sizeof(*pts), by_x);
        snprintf(name, sizeof(name), "s%zu.dat", n_series);
        f = dir_open(d, name, e);
        if (!f) {
            rc = e->rc;
            goto out;
        }
        fprintf(f, "# %s: x mean ci95_half_width n\n", x);
        for (size_t k = 0; k < n_pts; k++)
            fprintf(f, "%.17g %.17g %.17g %llu\n", pts[k].x, pts[k].mean,
                    isnan(pts[k].half) ? 0.0 : pts[k].half, (unsigned long long)pts[k].n);
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
    if (xmin > 0 && xmax / xmin >= 50)
        fprintf(gp, "set logscale x\n");
    fprintf(gp, "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\nplot ");
    for (size_t s = 0; s < n_series; s++)
        fprintf(gp, "%s's%zu.dat' using 1:2:3 with yerrorlines lw 2 pt 7 title label%zu",
                s ? ", \\\n     " : "", s, s);
    fputc('\n', gp);
    rc = dir_close(d, gp, "plot.gp", e);
    gp = NULL;
out:
    if (gp)
        fclose(gp);
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

static enum core_rc read_means(struct db_reader *r, const char *figure, struct means *ms,
                               struct core_err *e)
{
    enum core_rc rc;

    memset(ms, 0, sizeof(*ms));
    ms->path = db_reader_path(r);
    rc = db_query(r, DB_Q_POLICY_MEANS, 0, means_row, ms, e);
    if (rc == CORE_OK && ms->n == 0)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no finished inference of a complete run to plot (figure %s needs "
                      "the runs of a collaborative scenario)",
                      ms->path, figure);
    return rc;
}

static void means_title(const struct means *ms, const char *what, char *buf, size_t size)
{
    snprintf(buf, size, "%s per policy (%s; %llu runs, %llu finished inferences)", what,
             ms->scenarios[0] ? ms->scenarios : "-", (unsigned long long)ms->runs,
             (unsigned long long)ms->finished);
}

/* One line per policy: "policy" v1 v2 ... into data.dat. */
static enum core_rc write_bars(struct plot_dir *d, const struct means *ms, bool breakdown,
                               struct core_err *e)
{
    FILE *f = dir_open(d, "data.dat", e);

    if (!f)
        return e->rc;
    fprintf(f, "# policy %s\n", breakdown ? "ue_compute_s uplink_s edge_queue_s edge_compute_s "
                                            "downlink_s signaling_s"
                                          : "ue_energy_j edge_energy_j");
    for (size_t i = 0; i < ms->n; i++) {
        const struct policy_means *p = &ms->p[i];

        put_data_string(f, p->policy);
        if (breakdown)
            for (size_t c = 0; c < ARRAY_LEN(component_labels); c++)
                fprintf(f, " %.17g", p->component_s[c]);
        else
            fprintf(f, " %.17g %.17g", p->ue_energy_j, p->edge_energy_j);
        fputc('\n', f);
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
    FILE *gp = NULL;
    enum core_rc rc = read_means(r, "latency-cdf", &ms, e);

    if (rc == CORE_OK)
        rc = db_query(r, DB_Q_LATENCIES, 0, latency_row, &l, e);
    if (rc != CORE_OK)
        goto out;
    for (size_t i = 0; i < l.n && rc == CORE_OK; i++) {
        size_t n = l.len[i], k = n < CDF_POINTS ? n : CDF_POINTS;
        FILE *f;

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
        }
        rc = dir_close(d, f, name, e);
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
    for (size_t i = 0; i < l.n; i++)
        core_free(l.x[i]);
    core_free(l.x);
    core_free(l.len);
    core_free(l.cap);
    core_free(l.policy);
    core_free(ms.p);
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

/* Copy the figure from the directory to out (a temporary name, renamed). */
static enum core_rc deliver(struct plot_dir *d, int fmt, const char *out, struct core_err *e)
{
    char name[32], tmp[RUN_PATH_MAX + 32], buf[65536];
    FILE *in, *to;
    size_t got;
    enum core_rc rc = CORE_OK;

    snprintf(name, sizeof(name), "figure%s", formats[fmt].ext);
    in = fopen(dir_file(d, name), "rb");
    if (!in)
        return core_err(e, CORE_E_RUNTIME, "gnuplot wrote no figure (%s): %s", d->file,
                        strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out, (long)getpid());
    to = fopen(tmp, "wb");
    if (!to) {
        fclose(in);
        return core_err(e, errno == ENOENT || errno == EISDIR ? CORE_E_USAGE : CORE_E_IO,
                        "--out %s: cannot write: %s", out, strerror(errno));
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
                        "energy)",
                        o->figure);
    if (fmt < 0)
        return core_err(e, CORE_E_USAGE,
                        "--out %s: name a .png, .pdf or .svg file (the extension chooses the "
                        "format)",
                        o->out);
    if (fig != RUN_FIGURE_SWEEP && (o->x || o->metric))
        return core_err(e, CORE_E_USAGE, "%s goes with --figure sweep only",
                        o->x ? "--x" : "--metric");
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
    case RUN_FIGURE_COUNT:
        CORE_ASSERT(false);
    }
    db_reader_close(r);
    if (rc == CORE_OK)
        rc = run_gnuplot(&d, e);
    if (rc == CORE_OK)
        rc = deliver(&d, fmt, o->out, e);
    dir_remove(&d);
    return rc;
}
