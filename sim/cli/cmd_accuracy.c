/*
 * cmd_accuracy.c — `coinfer accuracy MODEL --weights W [--db FILE]
 * [--encodings LIST] [--cuts prefixes|all] [--limit N] [--threads T]
 * [--data D] [--quiet]`.
 *
 * What splitting a classifier and encoding the tensors that cross do to its
 * test accuracy (issue 12: accuracy as a decision variable). MODEL's graph
 * (a model file or a zoo name) is copied at batch BATCH, given the weights W
 * (a model file's early exits' tensors in W are checked and left out),
 * and folded and fused as a deployed model is (the problems the policies
 * decide on price that model). For every cut point (nn_model_cut_prefixes:
 * the input, and after each layer that ends a problem layer, the last left
 * to the edge) and every encoding, the test set runs split there with each
 * inference's crossing tensors encoded and decoded (nn_split_accuracy).
 * With --cuts all, then every cut that is no prefix of the layer order
 * (nn_model_cut_dag: a DAG cut across branches), its split written as the
 * device's layers (io_accuracy_cut_text) and its layer as the crossing
 * tensors' layers joined by '+'. One row per (split, encoding) on stdout as
 * it is measured:
 *
 *   split layer encoding bytes accuracy vs_fp32
 *
 * bytes what one inference sends, vs_fp32 the difference in points from the
 * whole model's accuracy on the same images; then per encoding its largest
 * drop:
 *
 *   encoding=<e> max_drop_points=<x> split=<k> layer=<name>
 *
 * A model file with early exits (<exit>) then gets one section per exit:
 * the plans that cut before the exit (or inside its branch) and end there,
 * measured on the exit's right-sized model (nn_exit_model: the layers its
 * attach point needs, then its branch; folded and fused likewise) at each
 * of its cut points and every encoding, in the table's columns, vs_exit
 * the difference from the exit's own accuracy on the same images:
 *
 *   # NAME, weights W: N test images, cuts before exit EXIT after LAYER
 *   (every image leaving there: accuracy X %)
 *   split layer encoding bytes accuracy vs_exit
 *
 * (the first two lines one). A split there counts the exit model's layers
 * the device runs: the attach point's, then the branch's (named
 * EXIT.LAYER).
 *
 * --db stores the rows in the `accuracy` table, one measured_at: a cut
 * across branches with its text in column cut (split the count of its
 * layers), an exit's rows with its name in column exit. A progress
 * bar on stderr when it is a terminal. SIGINT or SIGTERM stops after the
 * current batch, stores nothing, exit 1.
 *
 * With --exits it measures the model file's early exits instead
 * (cmd_accuracy_exits.c): --confidence and --thresholds choose the rule.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "io/io.h"
#include "nn/nn.h"

/* Items a forward pass classifies at once. */
#define BATCH 100
#define DEFAULT_ENCODINGS "fp32,fp16,int8,int4,topk:0.25"
/* Most encodings one command measures. */
#define MAX_ENCODINGS 16
/* Room for an encoding's text ("topk:0.123456"). */
#define ENC_TEXT 32
/* Redraw the progress bar at most this often, s. */
#define DRAW_PERIOD_S 0.1
/* Most cuts that are no prefix --cuts all measures (each one is a pass over
 * the test set per encoding). */
#define MAX_DAG_CUTS 256

struct accuracy_options {
    const char *model;   /* MODEL */
    const char *weights; /* --weights */
    const char *db;      /* --db, NULL: none */
    const char *data;    /* --data: "fashion-mnist" or a directory */
    size_t limit;        /* --limit: first N test items, 0: all */
    int threads;         /* --threads */
    bool quiet;          /* --quiet */
    bool all_cuts;       /* --cuts all: also the cuts that are no prefix */
    size_t n_encs;       /* encodings */
    struct nn_encoding encs[MAX_ENCODINGS]; /* --encodings, in order */
};

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer accuracy MODEL --weights W [--db FILE] [--encodings LIST]\n"
            "                        [--cuts prefixes|all] [--limit N] [--threads T]\n"
            "                        [--data D] [--quiet]\n"
            "       coinfer accuracy MODEL --weights W --exits [--confidence max-prob|entropy]\n"
            "                        [--thresholds LIST] [--db FILE] [--limit N] [--threads T]\n"
            "                        [--data D] [--quiet]\n"
            "\n"
            "Measure a classifier's Fashion-MNIST test accuracy when it is split between a\n"
            "device and the edge and the tensors that cross are encoded: for every cut\n"
            "point (the input, and after each layer that ends a problem layer) and every\n"
            "encoding, the bytes one inference sends and the accuracy, with its difference\n"
            "from the whole model's in points. The model runs folded and fused, as deployed.\n"
            "MODEL is a model file (its graph) or a zoo name; W its weights file.\n"
            "\n"
            "  --weights W       the weights (coinfer's format; required)\n"
            "  --encodings LIST  comma-separated, from fp32, fp16, int8, int4 (linear, one\n"
            "                    scale and zero point per tensor) and topk:F (the share F of\n"
            "                    values of largest magnitude, with their indices)\n"
            "                    (default %s)\n"
            "  --cuts C          prefixes (default: the cut points above) or all: also every\n"
            "                    cut of a DAG model that is no prefix of its layer order\n"
            "                    (a cut across branches, as dads may choose; at most %d),\n"
            "                    its split written as the device's layers (0-13,16-17)\n"
            "                    and its layer as the crossing tensors' (a+b)\n"
            "  --limit N         the first N test images only (default: all 10,000)\n"
            "  --threads T       1 .. cores (default 1)\n"
            "  --data D          fashion-mnist (default; %s) or a directory\n"
            "                    with the same IDX files\n"
            "  --db FILE         also store the rows in FILE's table accuracy (a cut across\n"
            "                    branches in its column cut, an exit's rows in its column\n"
            "                    exit; exit_accuracy with --exits)\n"
            "  --exits           measure the model file's early exits (<exit>) instead: per\n"
            "                    threshold, each exit's exit rate and accuracy, and the\n"
            "                    cascade's accuracy and mean MACs per image\n"
            "  --confidence C    with --exits: max-prob (default: leave when the largest\n"
            "                    softmax probability >= the threshold) or entropy (leave\n"
            "                    when the softmax's entropy / log(classes) <= it)\n"
            "  --thresholds LIST with --exits: comma-separated grid points, each a threshold\n"
            "                    in [0, 1] for every exit or one per exit separated by '/'\n"
            "                    (0.9/0.8) (default: 0.5,0.6,0.7,0.8,0.9,0.95,0.99,0.999\n"
            "                    for max-prob, 0.6,0.5,0.4,0.3,0.2,0.1,0.05,0.01 for entropy)\n"
            "  --quiet, -q       no progress bar\n"
            "  --help, -h        this text\n"
            "\n"
            "Prints one row per (split, encoding):\n"
            "  split layer encoding bytes accuracy vs_fp32\n"
            "then per encoding: encoding=<e> max_drop_points=<x> split=<k> layer=<name>\n"
            "then, for a model file with early exits, per exit the plans that cut before\n"
            "it (or inside its branch) and end there, in the same columns (vs_exit: from\n"
            "the exit's own accuracy).\n"
            "With --exits: each stage alone, then one row per threshold.\n"
            "Exit codes: 0 success, 1 runtime failure or interrupted, 2 bad input or usage.\n",
            DEFAULT_ENCODINGS, MAX_DAG_CUTS, NN_FMNIST_DIR);
}

/* Parse LIST into o->encs. Returns an exit code (2 with the message). */
static int parse_encodings(const char *list, struct accuracy_options *o)
{
    char buf[512], *save = NULL, *item;

    if (strlen(list) >= sizeof(buf))
        return cli_usage_error("accuracy", "--encodings '%s' is too long", list);
    strcpy(buf, list);
    o->n_encs = 0;
    for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (o->n_encs == MAX_ENCODINGS)
            return cli_usage_error("accuracy", "--encodings: more than %d encodings",
                                   MAX_ENCODINGS);
        if (!nn_encoding_parse(item, &o->encs[o->n_encs]))
            return cli_usage_error("accuracy",
                                   "--encodings: '%s' is not an encoding (fp32, fp16, int8, int4 "
                                   "or topk:F with 0 < F <= 1)",
                                   item);
        o->n_encs++;
    }
    if (o->n_encs == 0)
        return cli_usage_error("accuracy", "%s", "--encodings lists no encoding");
    return 0;
}

/* The model's name: a file's base name without ".xml", or the zoo name. */
static void model_name(const char *arg, char *buf, size_t size)
{
    const char *base = strrchr(arg, '/');
    size_t n;

    snprintf(buf, size, "%s", base ? base + 1 : arg);
    n = strlen(buf);
    if (n > 4 && strcmp(buf + n - 4, ".xml") == 0)
        buf[n - 4] = '\0';
}

static double wall_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The progress bar over all splits. */
struct accuracy_view {
    struct cli_progress bar; /* on stderr */
    size_t split;            /* splits done */
    size_t n_splits;         /* splits */
    size_t items;            /* test items per split */
    double start_s;          /* when measuring started (monotonic), s */
    double drawn_s;          /* when the bar was last drawn, s */
};

static void on_progress(void *ctx, size_t items_done)
{
    struct accuracy_view *v = ctx;
    const double now = wall_s() - v->start_s;
    char text[64];

    if (now - v->drawn_s < DRAW_PERIOD_S)
        return;
    v->drawn_s = now;
    snprintf(text, sizeof(text), "split %zu/%zu", v->split + 1, v->n_splits);
    cli_progress_draw(&v->bar,
                      ((double)v->split + (double)items_done / (double)v->items) /
                          (double)v->n_splits,
                      text, now);
}

/* The cuts measured: the prefixes, then (--cuts all) the others. */
struct cut_list {
    size_t n;          /* cuts */
    size_t n_prefix;   /* of them prefixes, first */
    size_t *prefix;    /* [n_prefix]: their layer counts (nn_model_cut_prefixes) */
    bool *dag;         /* [(n - n_prefix) x n_layers]: the others' members (nn_model_cut_dag) */
    char **split_text; /* [n]: each one's split as printed (owned) */
    char **layer_text; /* [n]: each one's layer as printed (owned) */
};

static void cuts_free(struct cut_list *c)
{
    for (size_t i = 0; c->split_text && c->layer_text && i < c->n; i++) {
        core_free(c->split_text[i]);
        core_free(c->layer_text[i]);
    }
    core_free(c->split_text);
    core_free(c->layer_text);
    core_free(c->prefix);
    core_free(c->dag);
}

/* The crossing tensors' layers of split a joined by '+' (allocated). */
static char *crossing_names(const struct nn_model *m, const bool *a)
{
    const size_t n = nn_model_n_layers(m);
    int *ids = core_calloc(n + 1, sizeof(*ids));
    size_t count, len = 1;
    char *out = NULL;

    if (!ids)
        return NULL;
    count = nn_model_split_crossing(m, a, ids);
    for (size_t j = 0; j < count; j++)
        len += strlen(ids[j] == NN_INPUT ? "input" : nn_model_layer_name(m, ids[j])) + 1;
    out = core_malloc(len);
    if (out) {
        out[0] = '\0';
        for (size_t j = 0; j < count; j++) {
            if (j > 0)
                strcat(out, "+");
            strcat(out, ids[j] == NN_INPUT ? "input" : nn_model_layer_name(m, ids[j]));
        }
    }
    core_free(ids);
    return out;
}

/* Every cut to measure, with its texts. */
static enum core_rc cuts_make(const struct nn_model *m, bool all, struct cut_list *c,
                              struct core_err *e)
{
    const size_t n_layers = nn_model_n_layers(m);
    size_t n_dag = 0;
    enum core_rc rc;

    memset(c, 0, sizeof(*c));
    c->prefix = core_calloc(n_layers, sizeof(*c->prefix));
    if (!c->prefix)
        return core_err(e, CORE_E_NOMEM, "out of memory");
    c->n_prefix = nn_model_cut_prefixes(m, c->prefix);
    if (all) {
        rc = nn_model_cut_dag(m, MAX_DAG_CUTS, &c->dag, &n_dag, e);
        if (rc != CORE_OK)
            return rc;
    }
    c->split_text = core_calloc(c->n_prefix + n_dag, sizeof(*c->split_text));
    c->layer_text = core_calloc(c->n_prefix + n_dag, sizeof(*c->layer_text));
    if (!c->split_text || !c->layer_text)
        return core_err(e, CORE_E_NOMEM, "out of memory");
    c->n = c->n_prefix + n_dag;
    for (size_t i = 0; i < c->n; i++) {
        if (i < c->n_prefix) {
            const char *layer =
                c->prefix[i] ? nn_model_layer_name(m, (int)c->prefix[i] - 1) : "input";

            c->split_text[i] = core_malloc(24);
            c->layer_text[i] = core_malloc(strlen(layer) + 1);
            if (c->split_text[i])
                snprintf(c->split_text[i], 24, "%zu", c->prefix[i]);
            if (c->layer_text[i])
                strcpy(c->layer_text[i], layer);
        } else {
            const bool *a = c->dag + (i - c->n_prefix) * n_layers;
            size_t len = io_accuracy_cut_text(a, n_layers, NULL, 0);

            c->split_text[i] = core_malloc(len + 1);
            if (c->split_text[i])
                io_accuracy_cut_text(a, n_layers, c->split_text[i], len + 1);
            c->layer_text[i] = crossing_names(m, a);
        }
        if (!c->split_text[i] || !c->layer_text[i])
            return core_err(e, CORE_E_NOMEM, "out of memory");
    }
    return CORE_OK;
}

/* Cut i's device part in a. */
static void cut_member(const struct nn_model *m, const struct cut_list *c, size_t i, bool *a)
{
    const size_t n_layers = nn_model_n_layers(m);

    if (i < c->n_prefix)
        nn_model_part_prefix(m, c->prefix[i], a);
    else
        memcpy(a, c->dag + (i - c->n_prefix) * n_layers, n_layers * sizeof(*a));
}

/* The right-sized model of each early exit (nn_exit_model), folded and
 * fused, with its cut points. */
struct exit_models {
    size_t n;            /* exits */
    struct nn_model **m; /* [n] (owned) */
    size_t **prefix;     /* [n]: each one's cut points (nn_model_cut_prefixes; owned) */
    size_t *n_prefix;    /* [n]: their counts */
};

static void exit_models_free(struct exit_models *x)
{
    for (size_t j = 0; x->m && x->prefix && j < x->n; j++) {
        nn_model_destroy(x->m[j]);
        core_free(x->prefix[j]);
    }
    core_free(x->m);
    core_free(x->prefix);
    core_free(x->n_prefix);
    memset(x, 0, sizeof(*x));
}

/* Exit models of m (finalized with its weights, not folded yet) and its
 * exits xb (finalized, their weights loaded). */
static enum core_rc exit_models_make(const struct nn_model *m, const struct nn_exits *xb,
                                     struct exit_models *x, struct core_err *e)
{
    memset(x, 0, sizeof(*x));
    if (xb->n == 0)
        return CORE_OK;
    x->m = core_calloc(xb->n, sizeof(*x->m));
    x->prefix = core_calloc(xb->n, sizeof(*x->prefix));
    x->n_prefix = core_calloc(xb->n, sizeof(*x->n_prefix));
    if (!x->m || !x->prefix || !x->n_prefix)
        return core_err(e, CORE_E_NOMEM, "out of memory for the exits' models");
    x->n = xb->n;
    for (size_t j = 0; j < xb->n; j++) {
        enum core_rc rc = nn_exit_model(m, &xb->v[j], &x->m[j], e);

        if (rc != CORE_OK)
            return rc;
        nn_model_fold_batchnorm(x->m[j]);
        nn_model_fuse_activations(x->m[j]);
        x->prefix[j] = core_calloc(nn_model_n_layers(x->m[j]), sizeof(*x->prefix[j]));
        if (!x->prefix[j])
            return core_err(e, CORE_E_NOMEM, "out of memory for the exits' models");
        x->n_prefix[j] = nn_model_cut_prefixes(x->m[j], x->prefix[j]);
    }
    return CORE_OK;
}

/* Exit j's section: every cut point of its model and every encoding,
 * printed and kept in rows (room for x->n_prefix[j] x encodings). */
static enum core_rc measure_exit(const char *name, const struct accuracy_options *o,
                                 const struct nn_exit *ex, const struct nn_model *main_m,
                                 const struct exit_models *x, size_t j, struct nn_dataset *test,
                                 const struct nn_split_accuracy_config *cfg,
                                 struct accuracy_view *view, char (*enc_text)[ENC_TEXT],
                                 size_t *correct, struct db_accuracy_row *rows, struct core_err *e)
{
    struct nn_model *em = x->m[j];
    const size_t n_layers = nn_model_n_layers(em);
    bool *a = core_calloc(n_layers, sizeof(*a));
    enum core_rc rc = CORE_OK;
    double whole;

    if (!a)
        return core_err(e, CORE_E_NOMEM, "out of memory");
    rc = nn_evaluate(em, test, o->threads, &whole, NULL, e);
    if (rc != CORE_OK)
        goto out;
    printf("# %s, weights %s: %zu test images, cuts before exit %s after %s (every image "
           "leaving there: accuracy %.2f %%)\n",
           name, o->weights, test->n, ex->name, nn_model_layer_name(main_m, ex->attach),
           100.0 * whole);
    printf("%5s  %-16s %-12s %9s %10s %8s\n", "split", "layer", "encoding", "bytes", "accuracy",
           "vs_exit");
    fflush(stdout);
    for (size_t c = 0; c < x->n_prefix[j]; c++) {
        const size_t k_split = x->prefix[j][c];
        const char *layer = k_split ? nn_model_layer_name(em, (int)k_split - 1) : "input";

        nn_model_part_prefix(em, k_split, a);
        rc = nn_split_accuracy(em, test, a, cfg, correct, e);
        cli_progress_finish(&view->bar);
        view->split++;
        if (rc != CORE_OK)
            goto out;
        for (size_t k = 0; k < o->n_encs; k++) {
            struct db_accuracy_row *r = &rows[c * o->n_encs + k];
            uint64_t bytes;

            rc = nn_split_encoded_bytes(em, a, &o->encs[k], &bytes, e);
            if (rc != CORE_OK)
                goto out;
            *r = (struct db_accuracy_row){.model = name,
                                          .weights = o->weights,
                                          .split = (uint32_t)k_split,
                                          .layer = layer,
                                          .encoding = enc_text[k],
                                          .crossing_bytes = bytes,
                                          .items = test->n,
                                          .correct = correct[k],
                                          .accuracy = (double)correct[k] / (double)test->n,
                                          .fp32_accuracy = whole,
                                          .exit = ex->name};
            printf("%5zu  %-16s %-12s %9llu %8.2f %% %+8.2f\n", k_split, layer, enc_text[k],
                   (unsigned long long)bytes, 100.0 * r->accuracy, 100.0 * (r->accuracy - whole));
        }
        fflush(stdout);
    }
out:
    core_free(a);
    return rc;
}

/* Measure every split and encoding, print, store. */
static int measure(const struct accuracy_options *o)
{
    const char *dir = strcmp(o->data, "fashion-mnist") == 0 ? NN_FMNIST_DIR : o->data;
    struct nn_model *graph = NULL, *m = NULL;
    struct nn_exits exits = {0}, xb = {0};
    struct exit_models xm = {0};
    struct nn_dataset *test = NULL;
    struct db_accuracy_row *rows = NULL;
    char (*enc_text)[ENC_TEXT] = NULL;
    struct cut_list cuts = {0};
    size_t *correct = NULL, n_layers, n_rows;
    bool *a = NULL;
    struct accuracy_view view = {0};
    struct nn_split_accuracy_config cfg = {0};
    char name[256];
    double fp32;
    struct core_err e;
    struct db *db = NULL;
    int rc;

    core_err_clear(&e);
    rc = cli_load_graph_exits("accuracy", o->model, &graph, &exits);
    if (rc != 0)
        return rc;
    if (nn_model_clone(graph, BATCH, &m, &e) != CORE_OK || nn_model_finalize(m, 0, &e) != CORE_OK)
        goto fail;
    /* the exits' branches with their weights, for their right-sized models */
    if (nn_exits_clone(&exits, BATCH, &xb, &e) != CORE_OK ||
        nn_exits_finalize(&xb, 0, &e) != CORE_OK ||
        nn_weights_load_exits(m, &xb, o->weights, &e) != CORE_OK)
        goto fail;
    if (exit_models_make(m, &xb, &xm, &e) != CORE_OK)
        goto fail;
    if (nn_dataset_load_fmnist(dir, false, &test, &e) != CORE_OK)
        goto fail;
    nn_model_fold_batchnorm(m);
    nn_model_fuse_activations(m);
    if (o->limit && o->limit < test->n)
        test->n = o->limit;
    n_layers = nn_model_n_layers(m);
    if (cuts_make(m, o->all_cuts, &cuts, &e) != CORE_OK)
        goto fail;
    a = core_calloc(n_layers, sizeof(*a));
    correct = core_calloc(o->n_encs, sizeof(*correct));
    enc_text = core_calloc(o->n_encs, sizeof(*enc_text));
    n_rows = cuts.n;
    for (size_t j = 0; j < xm.n; j++)
        n_rows += xm.n_prefix[j];
    n_rows *= o->n_encs;
    rows = core_calloc(n_rows, sizeof(*rows));
    if (!a || !correct || !enc_text || !rows) {
        core_err(&e, CORE_E_NOMEM, "out of memory");
        goto fail;
    }
    cli_install_signals();
    if (nn_evaluate(m, test, o->threads, &fp32, NULL, &e) != CORE_OK)
        goto fail;
    model_name(o->model, name, sizeof(name));
    for (size_t k = 0; k < o->n_encs; k++)
        nn_encoding_text(&o->encs[k], enc_text[k], sizeof(enc_text[k]));
    printf("# %s, weights %s: %zu test images, whole-model accuracy %.2f %%\n", name, o->weights,
           test->n, 100.0 * fp32);
    printf("%5s  %-16s %-12s %9s %10s %8s\n", "split", "layer", "encoding", "bytes", "accuracy",
           "vs_fp32");
    fflush(stdout);
    cli_progress_init(&view.bar, o->quiet);
    view.n_splits = cuts.n;
    for (size_t j = 0; j < xm.n; j++)
        view.n_splits += xm.n_prefix[j];
    view.items = test->n;
    view.start_s = wall_s();
    view.drawn_s = -1;
    cfg = (struct nn_split_accuracy_config){.encs = o->encs, .n_encs = o->n_encs,
                                            .threads = o->threads, .stop = &cli_stop_requested,
                                            .progress = on_progress, .ctx = &view};
    for (size_t c = 0; c < cuts.n; c++) {
        view.split = c;
        cut_member(m, &cuts, c, a);
        if (nn_split_accuracy(m, test, a, &cfg, correct, &e) != CORE_OK) {
            cli_progress_finish(&view.bar);
            goto fail;
        }
        cli_progress_finish(&view.bar);
        for (size_t k = 0; k < o->n_encs; k++) {
            struct db_accuracy_row *r = &rows[c * o->n_encs + k];

            if (nn_split_encoded_bytes(m, a, &o->encs[k], &r->crossing_bytes, &e) != CORE_OK)
                goto fail;
            r->model = name;
            r->weights = o->weights;
            r->split = 0;
            for (size_t i = 0; i < n_layers; i++)
                r->split += a[i]; /* a prefix's layer count, or how many a cut holds */
            r->cut = c < cuts.n_prefix ? NULL : cuts.split_text[c];
            r->layer = cuts.layer_text[c];
            r->encoding = enc_text[k];
            r->items = test->n;
            r->correct = correct[k];
            r->accuracy = (double)correct[k] / (double)test->n;
            r->fp32_accuracy = fp32;
            printf("%5s  %-16s %-12s %9llu %8.2f %% %+8.2f\n", cuts.split_text[c], r->layer,
                   r->encoding, (unsigned long long)r->crossing_bytes, 100.0 * r->accuracy,
                   100.0 * (r->accuracy - fp32));
        }
        fflush(stdout);
    }
    for (size_t k = 0; k < o->n_encs; k++) {
        size_t worst = 0;

        for (size_t c = 1; c < cuts.n; c++)
            if (rows[c * o->n_encs + k].accuracy < rows[worst * o->n_encs + k].accuracy)
                worst = c;
        printf("encoding=%s max_drop_points=%.2f split=%s layer=%s\n", enc_text[k],
               100.0 * (fp32 - rows[worst * o->n_encs + k].accuracy), cuts.split_text[worst],
               cuts.layer_text[worst]);
    }
    view.split = cuts.n;
    for (size_t j = 0, at = cuts.n * o->n_encs; j < xm.n; at += xm.n_prefix[j++] * o->n_encs)
        if (measure_exit(name, o, &xb.v[j], m, &xm, j, test, &cfg, &view, enc_text, correct,
                         rows + at, &e) != CORE_OK) {
            cli_progress_finish(&view.bar);
            goto fail;
        }
    if (o->db) {
        db = db_open(o->db, &e);
        if (!db || db_insert_accuracy(db, rows, n_rows, &e) != CORE_OK)
            goto fail;
    }
    rc = 0;
    goto out;
fail:
    rc = cli_fail(&e);
out:
    db_close(db);
    core_free(rows);
    core_free(enc_text);
    core_free(correct);
    core_free(a);
    cuts_free(&cuts);
    nn_dataset_destroy(test);
    exit_models_free(&xm);
    nn_exits_fini(&xb);
    nn_model_destroy(m);
    nn_exits_fini(&exits);
    nn_model_destroy(graph);
    return rc;
}

int cli_accuracy(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"weights", required_argument, NULL, 'w'},
        {"db", required_argument, NULL, 'd'},
        {"encodings", required_argument, NULL, 'e'},
        {"limit", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 't'},
        {"data", required_argument, NULL, 'D'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"exits", no_argument, NULL, 'x'},
        {"confidence", required_argument, NULL, 'c'},
        {"thresholds", required_argument, NULL, 'T'},
        {"cuts", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    struct cli_exits_options xo = {.confidence = NN_CONF_MAX_PROB};
    enum nn_conf_kind conf;
    const char *thresholds = NULL;
    bool exits = false, confidence_given = false, encodings_given = false, cuts_given = false;
    struct accuracy_options o = {.data = "fashion-mnist", .threads = 1};
    const char *encodings = DEFAULT_ENCODINGS;
    uint64_t v;
    int c, rc;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            o.weights = optarg;
            break;
        case 'd':
            o.db = optarg;
            break;
        case 'e':
            encodings = optarg;
            encodings_given = true;
            break;
        case 'x':
            exits = true;
            break;
        case 'c':
            if (!nn_conf_find(optarg, &conf))
                return cli_usage_error("accuracy",
                                       "--confidence '%s' is neither max-prob nor entropy", optarg);
            xo.confidence = (int)conf;
            confidence_given = true;
            break;
        case 'T':
            thresholds = optarg;
            break;
        case 'C':
            if (strcmp(optarg, "prefixes") != 0 && strcmp(optarg, "all") != 0)
                return cli_usage_error("accuracy", "--cuts '%s' is neither prefixes nor all",
                                       optarg);
            o.all_cuts = strcmp(optarg, "all") == 0;
            cuts_given = true;
            break;
        case 'n':
            if (!cli_whole_option("accuracy", "--limit", optarg, 1, SIZE_MAX, &v))
                return 2;
            o.limit = (size_t)v;
            break;
        case 't':
            if (!cli_threads_option("accuracy", optarg, &o.threads))
                return 2;
            break;
        case 'D':
            o.data = optarg;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            help(stdout);
            return 0;
        case ':':
            return cli_usage_error("accuracy", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("accuracy", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("accuracy", "%s",
                               optind >= argc ? "MODEL is missing" : "exactly one MODEL");
    o.model = argv[optind];
    if (!o.weights)
        return cli_usage_error("accuracy", "%s", "--weights W is required");
    if (!exits && (confidence_given || thresholds))
        return cli_usage_error("accuracy", "%s", "--confidence and --thresholds need --exits");
    if (exits) {
        if (encodings_given)
            return cli_usage_error("accuracy", "%s", "--encodings does not apply with --exits");
        if (cuts_given)
            return cli_usage_error("accuracy", "%s", "--cuts does not apply with --exits");
        xo.thresholds = thresholds;
        if (o.db && !cli_db_option("accuracy", o.db))
            return 2;
        xo.model = o.model;
        xo.weights = o.weights;
        xo.db = o.db;
        xo.dir = strcmp(o.data, "fashion-mnist") == 0 ? NN_FMNIST_DIR : o.data;
        xo.limit = o.limit;
        xo.threads = o.threads;
        xo.quiet = o.quiet;
        return cli_accuracy_exits(&xo);
    }
    rc = parse_encodings(encodings, &o);
    if (rc != 0)
        return rc;
    if (o.db && !cli_db_option("accuracy", o.db))
        return 2;
    return measure(&o);
}
