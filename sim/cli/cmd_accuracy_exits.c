/*
 * cmd_accuracy_exits.c — `coinfer accuracy MODEL --weights W --exits
 * [--confidence max-prob|entropy] [--thresholds LIST] [--db FILE] ...`:
 * what early exits (BranchyNet) give on Fashion-MNIST's test set.
 *
 * MODEL's graph and exits (a model file's <exit> elements) are copied at
 * batch BATCH and given the weights W (the model's tensors and the
 * branches'). Every test image runs once through every exit's branch and
 * the whole model (nn_exits_classify), which gives each stage's answer and
 * confidence; then for each point of the threshold grid (one threshold for
 * every exit, or one per exit: "0.9/0.8") the cascade (nn_exit_cascade)
 * sends each image out at the first exit confident enough. Per point one
 * row: per stage (each exit,
 * then the model's own output) the share of images that left there and
 * the accuracy of those, then the cascade's accuracy and mean MACs per
 * image (nn_exits_stage_macs of where each image left). The model runs
 * unfolded (a branch reads an attach point that folding could change into
 * an alias); its answers are a folded model's within rounding.
 * --db stores one row per (grid point, stage) in `exit_accuracy`.
 */
#include "cli/cli_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "nn/nn.h"

/* Items a forward pass classifies at once. */
#define BATCH 100

/* The default grids, from the most images leaving early to the fewest. */
static const double max_prob_grid[] = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999};
static const double entropy_grid[] = {0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01};

/* Room for one grid point's text. */
#define POINT_TEXT 128

/* A threshold grid: n points of n_exits thresholds each, and their texts. */
struct grid {
    size_t n;                /* points */
    double *thr;             /* [n x n_exits] */
    char (*text)[POINT_TEXT]; /* [n]: "0.9" or "0.9/0.8" */
};

static void grid_free(struct grid *g)
{
    core_free(g->thr);
    core_free(g->text);
}

/* One grid point, item ("T" or "T1/T2/..."), into thr[0..n_exits) and
 * text. An exit code. */
static int parse_point(const char *item, size_t n_exits, double *thr, char *text)
{
    char buf[POINT_TEXT], *save = NULL, *tok;
    size_t k = 0, used = 0;

    if (strlen(item) >= sizeof(buf))
        return cli_usage_error("accuracy", "--thresholds: '%s' is too long", item);
    strcpy(buf, item);
    text[0] = '\0';
    for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        double v;

        if (!cli_real_option("accuracy", "--thresholds", tok, 0.0, 1.0, &v))
            return 2;
        if (k == n_exits)
            break;
        thr[k++] = v;
        used += (size_t)snprintf(text + used, POINT_TEXT - used, "%s%g", k > 1 ? "/" : "", v);
    }
    if (tok != NULL || (k != 1 && k != n_exits))
        return cli_usage_error("accuracy",
                               "--thresholds: '%s' is neither one threshold nor one per exit (the "
                               "model has %zu)",
                               item, n_exits);
    for (; k < n_exits; k++)
        thr[k] = thr[0];
    return 0;
}

/* The grid of LIST (NULL: the default of the confidence kind). An exit code. */
static int make_grid(const char *list, int confidence, size_t n_exits, struct grid *g)
{
    const double *def = confidence == NN_CONF_MAX_PROB ? max_prob_grid : entropy_grid;
    const size_t n_def = confidence == NN_CONF_MAX_PROB ? ARRAY_LEN(max_prob_grid)
                                                        : ARRAY_LEN(entropy_grid);
    char buf[1024], *save = NULL, *item;
    size_t n = n_def;
    int rc = 0;

    if (list != NULL) {
        if (strlen(list) >= sizeof(buf))
            return cli_usage_error("accuracy", "--thresholds '%s' is too long", list);
        n = 1;
        for (const char *c = list; *c; c++)
            n += *c == ',';
    }
    g->n = 0;
    g->thr = core_calloc(n * n_exits, sizeof(*g->thr));
    g->text = core_calloc(n, sizeof(*g->text));
    if (!g->thr || !g->text) {
        fprintf(stderr, "coinfer accuracy: out of memory for %zu thresholds\n", n);
        return 1;
    }
    if (list == NULL) {
        for (; g->n < n_def; g->n++) {
            for (size_t j = 0; j < n_exits; j++)
                g->thr[g->n * n_exits + j] = def[g->n];
            snprintf(g->text[g->n], POINT_TEXT, "%g", def[g->n]);
        }
        return 0;
    }
    strcpy(buf, list);
    for (item = strtok_r(buf, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
        rc = parse_point(item, n_exits, g->thr + g->n * n_exits, g->text[g->n]);
        g->n++;
    }
    if (rc == 0 && g->n == 0)
        rc = cli_usage_error("accuracy", "%s", "--thresholds lists no threshold");
    return rc;
}

/* The model's name: a file's base name without ".xml". */
static void model_name(const char *arg, char *buf, size_t size)
{
    const char *base = strrchr(arg, '/');
    size_t n;

    snprintf(buf, size, "%s", base ? base + 1 : arg);
    n = strlen(buf);
    if (n > 4 && strcmp(buf + n - 4, ".xml") == 0)
        buf[n - 4] = '\0';
}

/* The progress bar. */
struct exits_view {
    struct cli_progress bar; /* on stderr */
    size_t items;            /* test items */
    double start_s;          /* when measuring started, s */
};

static void on_progress(void *ctx, size_t items_done)
{
    struct exits_view *v = ctx;

    cli_progress_draw(&v->bar, (double)items_done / (double)v->items, "early exits",
                      core_wall_s() - v->start_s);
}

/* Print the header lines: the model alone and each exit alone. */
static void print_header(const char *name, const struct cli_exits_options *o,
                         const struct nn_model *m, const struct nn_exits *x,
                         const struct nn_dataset *test, const uint32_t *pred)
{
    const size_t stages = x->n + 1;

    printf("# %s, weights %s: %zu test images, confidence %s (an image leaves at the first "
           "exit whose %s is %s the threshold)\n",
           name, o->weights, test->n, nn_conf_name((enum nn_conf_kind)o->confidence),
           nn_conf_name((enum nn_conf_kind)o->confidence),
           o->confidence == NN_CONF_MAX_PROB ? ">=" : "<=");
    for (size_t j = 0; j < stages; j++) {
        size_t hits = 0;
        for (size_t i = 0; i < test->n; i++)
            hits += pred[i * stages + j] == test->labels[i];
        printf("# %-8s after %-12s every image leaving here: accuracy %6.2f %%, %llu MACs "
               "per image (the branches tried before included)\n",
               j < x->n ? x->v[j].name : "output",
               nn_model_layer_name(m, j < x->n ? x->v[j].attach
                                                : (int)nn_model_n_layers(m) - 1),
               100.0 * (double)hits / (double)test->n,
               (unsigned long long)nn_exits_stage_macs(m, x, j));
    }
    printf("# the model without exits: %llu MACs per image\n",
           (unsigned long long)nn_exits_stage_macs(m, &(const struct nn_exits){0}, 0));
    printf("%-11s", "thresholds");
    for (size_t j = 0; j < stages; j++) {
        const char *s = j < x->n ? x->v[j].name : "output";
        printf("  %10.10s:rate %8.8s:acc", s, s);
    }
    printf("  %9s %12s\n", "accuracy", "mean_macs");
}

/* The cascade at every grid point: print, and fill rows (room for g->n x
 * stages). */
static void cascade_rows(const char *name, const struct cli_exits_options *o,
                         const struct nn_model *m, const struct nn_exits *x,
                         const struct nn_dataset *test, const uint32_t *pred, const float *score,
                         const struct grid *g, struct nn_exit_stage *st,
                         struct db_exit_accuracy_row *rows)
{
    const size_t stages = x->n + 1;
    const struct nn_exits none = {0};
    /* The model without exits: its output stage with no branch tried. */
    const uint64_t model_macs = nn_exits_stage_macs(m, &none, 0);
    size_t hits = 0;

    for (size_t i = 0; i < test->n; i++)
        hits += pred[i * stages + x->n] == test->labels[i];
    for (size_t p = 0; p < g->n; p++) {
        const double *thr = g->thr + p * x->n;
        double macs = 0.0;
        size_t correct = 0;

        nn_exit_cascade((enum nn_conf_kind)o->confidence, test->n, x->n, thr, pred, score,
                        test->labels, st);
        for (size_t j = 0; j < stages; j++) {
            macs += (double)st[j].left * (double)nn_exits_stage_macs(m, x, j);
            correct += st[j].correct;
        }
        macs /= (double)test->n;
        printf("%-11s", g->text[p]);
        for (size_t j = 0; j < stages; j++) {
            struct db_exit_accuracy_row *r = &rows[p * stages + j];
            *r = (struct db_exit_accuracy_row){
                .model = name,
                .weights = o->weights,
                .confidence = nn_conf_name((enum nn_conf_kind)o->confidence),
                .thresholds = g->text[p],
                .threshold = j < x->n ? thr[j] : 0.0,
                .stage = (uint32_t)j,
                .exit = j < x->n ? x->v[j].name : NULL,
                .after_layer = nn_model_layer_name(
                    m, j < x->n ? x->v[j].attach : (int)nn_model_n_layers(m) - 1),
                .items = test->n,
                .exited = st[j].left,
                .correct = st[j].correct,
                .stage_macs = nn_exits_stage_macs(m, x, j),
                .cascade_accuracy = (double)correct / (double)test->n,
                .cascade_macs = macs,
                .model_accuracy = (double)hits / (double)test->n,
                .model_macs = model_macs,
            };
            printf("  %13.2f %% ", 100.0 * (double)st[j].left / (double)test->n);
            if (st[j].left)
                printf("%9.2f %%", 100.0 * (double)st[j].correct / (double)st[j].left);
            else
                printf("%11s", "-");
        }
        printf("  %7.2f %% %12.0f\n", 100.0 * (double)correct / (double)test->n, macs);
    }
}

int cli_accuracy_exits(const struct cli_exits_options *o)
{
    struct grid grid = {0};
    struct nn_model *graph = NULL, *m = NULL;
    struct nn_exits gx = {0}, x = {0};
    struct nn_dataset *test = NULL;
    struct db_exit_accuracy_row *rows = NULL;
    struct nn_exit_stage *st = NULL;
    struct exits_view view = {0};
    uint32_t *pred = NULL;
    float *score = NULL;
    struct core_err e;
    struct db *db = NULL;
    char name[256];
    size_t stages;
    int rc;

    core_err_clear(&e);
    rc = cli_load_graph_exits("accuracy", o->model, &graph, &gx);
    if (rc != 0)
        return rc;
    if (gx.n == 0) {
        fprintf(stderr, "coinfer accuracy: %s declares no early exit (<exit> elements); "
                        "--exits needs a model file with exits\n", o->model);
        rc = 2;
        goto out;
    }
    rc = make_grid(o->thresholds, o->confidence, gx.n, &grid);
    if (rc != 0)
        goto out;
    if (nn_model_clone(graph, BATCH, &m, &e) != CORE_OK ||
        nn_model_finalize(m, 0, &e) != CORE_OK || nn_exits_clone(&gx, BATCH, &x, &e) != CORE_OK ||
        nn_exits_finalize(&x, 0, &e) != CORE_OK ||
        nn_weights_load_exits(m, &x, o->weights, &e) != CORE_OK ||
        nn_dataset_load_fmnist(o->dir, false, &test, &e) != CORE_OK)
        goto fail;
    if (o->limit && o->limit < test->n)
        test->n = o->limit;
    stages = x.n + 1;
    pred = core_calloc(test->n * stages, sizeof(*pred));
    score = core_calloc(test->n * stages, sizeof(*score));
    st = core_calloc(stages, sizeof(*st));
    rows = core_calloc(grid.n * stages, sizeof(*rows));
    if (!pred || !score || !st || !rows) {
        core_err(&e, CORE_E_NOMEM, "out of memory for %zu test images' exits", test->n);
        goto fail;
    }
    cli_install_signals();
    cli_progress_init(&view.bar, o->quiet);
    view.items = test->n;
    view.start_s = core_wall_s();
    if (nn_exits_classify(m, &x, test, (enum nn_conf_kind)o->confidence, o->threads,
                          &cli_stop_requested, on_progress, &view, pred, score,
                          &e) != CORE_OK) {
        cli_progress_finish(&view.bar);
        goto fail;
    }
    cli_progress_finish(&view.bar);
    model_name(o->model, name, sizeof(name));
    print_header(name, o, m, &x, test, pred);
    cascade_rows(name, o, m, &x, test, pred, score, &grid, st, rows);
    fflush(stdout);
    if (o->db) {
        db = db_open(o->db, &e);
        if (!db || db_insert_exit_accuracy(db, rows, grid.n * stages, &e) != CORE_OK)
            goto fail;
    }
    rc = 0;
    goto out;
fail:
    rc = cli_fail(&e);
out:
    db_close(db);
    core_free(rows);
    grid_free(&grid);
    core_free(st);
    core_free(score);
    core_free(pred);
    nn_dataset_destroy(test);
    nn_exits_fini(&x);
    nn_exits_fini(&gx);
    nn_model_destroy(m);
    nn_model_destroy(graph);
    return rc;
}
