/*
 * cmd_train_model.c — `coinfer train-model MODEL --data fashion-mnist|DIR
 * --out WEIGHTS [--epochs N] [--seed S] [--threads T] [--batch B]
 * [--optim sgd|adam] [--lr X] [--momentum M] [--weight-decay W]
 * [--schedule cosine|constant] [--augment] [--train-items N]
 * [--test-items N] [--quiet]`.
 *
 * MODEL is a model file (its graph only: a weights file it names is neither
 * read nor checked, since this command writes one) or a zoo name. The graph
 * is copied at the training batch size (nn_model_clone), its weights drawn
 * from the seed, trained by nn_fit on the training set and evaluated on the
 * test set after each epoch; then the weights go to WEIGHTS in coinfer's
 * weights format (nn_weights_save), which a model file names to load them.
 * A model file's early exits (<exit>) are trained jointly with the model
 * (nn_fit: the model's cross-entropy plus each exit's times its
 * loss-weight) and their branches' tensors written to WEIGHTS with the
 * model's (nn_weights_save_exits); after training one line per exit gives
 * its test accuracy when every item leaves there:
 *
 *   exit=<name> after=<layer> test_accuracy=<x>
 * Progress on stderr: a bar with the epoch, loss, accuracy and ETA when
 * stderr is a terminal; one line per epoch on stdout; the last line, for
 * scripts:
 *
 *   test_accuracy=<x> test_loss=<x> train_loss=<x> epochs=<n> epoch_s=<x> params=<n>
 *
 * SIGINT or SIGTERM stops after the current batch: no weights are written,
 * exit 1.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "nn/nn.h"

#define DEFAULT_EPOCHS 10
#define DEFAULT_BATCH  64
#define DEFAULT_SEED   1
#define DEFAULT_LR_SGD 0.05
#define DEFAULT_LR_ADAM 1e-3
#define DEFAULT_MOMENTUM 0.9
#define DEFAULT_WEIGHT_DECAY 5e-4
/* Redraw the progress bar at most this often, s. */
#define DRAW_PERIOD_S 0.1

struct train_options {
    const char *model;            /* MODEL argument */
    const char *data;             /* --data: "fashion-mnist" or a directory */
    const char *out;              /* --out WEIGHTS */
    uint32_t batch;               /* --batch */
    size_t train_items;           /* --train-items, 0: all */
    size_t test_items;            /* --test-items, 0: all */
    bool lr_given;                /* --lr was given */
    bool quiet;                   /* --quiet */
    struct nn_fit_config fit;     /* epochs, seed, threads, optimiser, schedule, augment */
};

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer train-model MODEL --data fashion-mnist|DIR --out WEIGHTS\n"
            "                           [--epochs N] [--seed S] [--threads T] [--batch B]\n"
            "                           [--optim sgd|adam] [--lr X] [--momentum M]\n"
            "                           [--weight-decay W] [--schedule cosine|constant]\n"
            "                           [--augment] [--train-items N] [--test-items N] [--quiet]\n"
            "\n"
            "Train classifier MODEL on Fashion-MNIST with softmax cross-entropy, evaluate it\n"
            "on the test set after each epoch, and write its weights to WEIGHTS (coinfer's\n"
            "weights format; a model file loads them with <model weights=\"...\">).\n"
            "MODEL is a model file (its graph: a weights file it names is not read) or a zoo\n"
            "name (lenet5, ...); it must take 1x28x28 inputs and give 10 outputs (logits, or\n"
            "a softmax). Inputs are pixel / 255. Weights start from the seed (He uniform).\n"
            "A model file's early exits (<exit>) train jointly with it (loss: the model's\n"
            "cross-entropy plus each exit's times its loss-weight) and go to WEIGHTS too.\n"
            "\n"
            "  --data D          fashion-mnist (the Debian package dataset-fashion-mnist, in\n"
            "                    %s) or a directory with the same IDX files\n"
            "  --out F           where the trained weights go (required)\n"
            "  --epochs N        passes over the training set (default %d)\n"
            "  --seed S          weights, shuffles, augmentation, dropout (default %d); one\n"
            "                    thread repeats a run bit for bit\n"
            "  --threads T       1 .. cores (default 1)\n"
            "  --batch B         items per step (default %d); an epoch leaves out the\n"
            "                    remainder of its shuffle\n"
            "  --optim O         sgd (with momentum, default) or adam\n"
            "  --lr X            initial learning rate (default %g for sgd, %g for adam)\n"
            "  --momentum M      SGD momentum (default %g)\n"
            "  --weight-decay W  L2 penalty on every parameter (default %g)\n"
            "  --schedule S      cosine (default: the rate falls to 0 over the run) or constant\n"
            "  --augment         random horizontal flips and shifts by up to 2 pixels\n"
            "  --train-items N   train on the first N training items only (default: all)\n"
            "  --test-items N    evaluate on the first N test items only (default: all)\n"
            "  --quiet, -q       only the last line\n"
            "  --help, -h        this text\n"
            "\n"
            "Prints one line per epoch, one per early exit\n"
            "  exit=<name> after=<layer> test_accuracy=<x>\n"
            "and last:\n"
            "  test_accuracy=<x> test_loss=<x> train_loss=<x> epochs=<n> epoch_s=<x> params=<n>\n"
            "SIGINT/SIGTERM stop after the current batch without writing weights.\n"
            "Exit codes: 0 success, 1 runtime failure or interrupted, 2 bad input or usage.\n",
            NN_FMNIST_DIR, DEFAULT_EPOCHS, DEFAULT_SEED, DEFAULT_BATCH, DEFAULT_LR_SGD,
            DEFAULT_LR_ADAM, DEFAULT_MOMENTUM, DEFAULT_WEIGHT_DECAY);
}

/* The progress display: the bar while training, a line per epoch. */
struct train_view {
    struct cli_progress bar; /* the bar on stderr */
    bool quiet;              /* no per-epoch lines */
    double drawn_s;          /* elapsed time of the last draw, s */
};

static void on_progress(void *ctx, const struct nn_fit_status *s)
{
    struct train_view *v = ctx;
    const double done = ((double)(s->epoch - 1) + (double)s->step / (double)s->steps) /
                        (double)s->epochs;
    char text[128];

    if (s->epoch_end) {
        cli_progress_finish(&v->bar);
        if (!v->quiet) {
            printf("epoch %u/%u loss=%.4f train_accuracy=%.4f", s->epoch, s->epochs, s->loss,
                   s->accuracy);
            if (!isnan(s->test_accuracy))
                printf(" test_loss=%.4f test_accuracy=%.4f", s->test_loss, s->test_accuracy);
            printf(" epoch_s=%.2f\n", s->epoch_s);
            fflush(stdout);
        }
        return;
    }
    if (s->elapsed_s - v->drawn_s < DRAW_PERIOD_S && s->step != s->steps)
        return;
    v->drawn_s = s->elapsed_s;
    snprintf(text, sizeof(text), "epoch %u/%u  loss %.4f  acc %5.1f%%", s->epoch, s->epochs,
             s->loss, 100.0 * s->accuracy);
    cli_progress_draw(&v->bar, done, text, s->elapsed_s);
}

/* Each exit's test accuracy (every item leaving there), one line each. */
static int report_exits(struct nn_model *m, struct nn_exits *x, const struct nn_dataset *test,
                        int threads)
{
    const size_t stages = x->n + 1;
    uint32_t *pred = core_calloc(test->n * stages, sizeof(*pred));
    float *score = core_calloc(test->n * stages, sizeof(*score));
    struct core_err e;
    int rc = 0;

    core_err_clear(&e);
    if (!pred || !score) {
        core_err(&e, CORE_E_NOMEM, "out of memory for %zu test items' exits", test->n);
        rc = cli_fail(&e);
    } else if (nn_exits_classify(m, x, test, NN_CONF_MAX_PROB, threads, &cli_stop_requested,
                                 NULL, NULL, pred, score, &e) != CORE_OK) {
        rc = cli_fail(&e);
    } else {
        for (size_t j = 0; j < x->n; j++) {
            size_t hits = 0;
            for (size_t i = 0; i < test->n; i++)
                hits += pred[i * stages + j] == test->labels[i];
            printf("exit=%s after=%s test_accuracy=%.4f\n", x->v[j].name,
                   nn_model_layer_name(m, x->v[j].attach),
                   test->n ? (double)hits / (double)test->n : 0.0);
        }
    }
    core_free(pred);
    core_free(score);
    return rc;
}

/* Load the data, build the model at the batch size, train, save. */
static int train(struct train_options *o)
{
    const char *dir = strcmp(o->data, "fashion-mnist") == 0 ? NN_FMNIST_DIR : o->data;
    struct nn_dataset *train_set = NULL, *test_set = NULL;
    struct nn_model *graph = NULL, *m = NULL;
    struct nn_exits gx = {0}, x = {0};
    struct nn_fit_result r;
    struct train_view view = {.quiet = o->quiet};
    struct nn_cost cost;
    struct core_err e;
    int rc;

    core_err_clear(&e);
    rc = cli_load_graph_exits("train-model", o->model, &graph, &gx);
    if (rc != 0)
        return rc;
    if (nn_model_clone(graph, o->batch, &m, &e) != CORE_OK ||
        nn_model_finalize(m, o->fit.seed, &e) != CORE_OK ||
        nn_exits_clone(&gx, o->batch, &x, &e) != CORE_OK ||
        nn_exits_finalize(&x, o->fit.seed, &e) != CORE_OK ||
        nn_dataset_load_fmnist(dir, true, &train_set, &e) != CORE_OK ||
        nn_dataset_load_fmnist(dir, false, &test_set, &e) != CORE_OK) {
        rc = cli_fail(&e);
        goto out;
    }
    if (o->train_items && o->train_items < train_set->n)
        train_set->n = o->train_items;
    if (o->test_items && o->test_items < test_set->n)
        test_set->n = o->test_items;
    cli_progress_init(&view.bar, o->quiet);
    cli_install_signals();
    o->fit.stop = &cli_stop_requested;
    o->fit.progress = on_progress;
    o->fit.ctx = &view;
    o->fit.exits = &x;
    if (nn_fit(m, train_set, test_set, &o->fit, &r, &e) != CORE_OK) {
        cli_progress_finish(&view.bar);
        rc = cli_fail(&e);
        goto out;
    }
    if (nn_weights_save_exits(m, &x, o->out, &e) != CORE_OK) {
        rc = cli_fail(&e);
        goto out;
    }
    if (x.n > 0 && !o->quiet) {
        rc = report_exits(m, &x, test_set, o->fit.threads);
        if (rc != 0)
            goto out;
    }
    nn_model_cost(m, &cost);
    printf("test_accuracy=%.4f test_loss=%.4f train_loss=%.4f epochs=%u epoch_s=%.3f "
           "params=%llu\n",
           r.test_accuracy, r.test_loss, r.train_loss, r.epochs, r.epoch_s,
           (unsigned long long)cost.params);
out:
    nn_dataset_destroy(train_set);
    nn_dataset_destroy(test_set);
    nn_exits_fini(&x);
    nn_exits_fini(&gx);
    nn_model_destroy(m);
    nn_model_destroy(graph);
    return rc;
}

int cli_train_model(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'D'},         {"out", required_argument, NULL, 'o'},
        {"epochs", required_argument, NULL, 'E'},       {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},      {"batch", required_argument, NULL, 'b'},
        {"optim", required_argument, NULL, 'O'},        {"lr", required_argument, NULL, 'l'},
        {"momentum", required_argument, NULL, 'm'},     {"weight-decay", required_argument, NULL, 'w'},
        {"schedule", required_argument, NULL, 'S'},     {"augment", no_argument, NULL, 'a'},
        {"train-items", required_argument, NULL, 'T'}, {"test-items", required_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},              {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct train_options o = {
        .batch = DEFAULT_BATCH,
        .fit = {.epochs = DEFAULT_EPOCHS,
                .seed = DEFAULT_SEED,
                .threads = 1,
                .optim = {.kind = NN_OPTIM_SGD,
                          .momentum = DEFAULT_MOMENTUM,
                          .beta1 = 0.9,
                          .beta2 = 0.999,
                          .eps = 1e-8,
                          .weight_decay = DEFAULT_WEIGHT_DECAY},
                .schedule = NN_SCHEDULE_COSINE},
    };
    uint64_t v;
    double x;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'D':
            o.data = optarg;
            break;
        case 'o':
            o.out = optarg;
            break;
        case 'E':
            if (!cli_whole_option("train-model", "--epochs", optarg, 1, 100000, &v))
                return 2;
            o.fit.epochs = (uint32_t)v;
            break;
        case 's':
            if (!cli_whole_option("train-model", "--seed", optarg, 0, UINT64_MAX, &o.fit.seed))
                return 2;
            break;
        case 't':
            if (!cli_threads_option("train-model", optarg, &o.fit.threads))
                return 2;
            break;
        case 'b':
            if (!cli_whole_option("train-model", "--batch", optarg, 1, 65536, &v))
                return 2;
            o.batch = (uint32_t)v;
            break;
        case 'O':
            if (strcmp(optarg, nn_optim_name(NN_OPTIM_SGD)) == 0)
                o.fit.optim.kind = NN_OPTIM_SGD;
            else if (strcmp(optarg, nn_optim_name(NN_OPTIM_ADAM)) == 0)
                o.fit.optim.kind = NN_OPTIM_ADAM;
            else
                return cli_usage_error("train-model", "--optim '%s' is neither sgd nor adam",
                                       optarg);
            break;
        case 'l':
            if (!cli_real_option("train-model", "--lr", optarg, 1e-12, 100.0, &x))
                return 2;
            o.fit.optim.lr = x;
            o.lr_given = true;
            break;
        case 'm':
            if (!cli_real_option("train-model", "--momentum", optarg, 0.0, 0.999999, &x))
                return 2;
            o.fit.optim.momentum = x;
            break;
        case 'w':
            if (!cli_real_option("train-model", "--weight-decay", optarg, 0.0, 1.0, &x))
                return 2;
            o.fit.optim.weight_decay = x;
            break;
        case 'S':
            if (strcmp(optarg, nn_schedule_name(NN_SCHEDULE_COSINE)) == 0)
                o.fit.schedule = NN_SCHEDULE_COSINE;
            else if (strcmp(optarg, nn_schedule_name(NN_SCHEDULE_CONSTANT)) == 0)
                o.fit.schedule = NN_SCHEDULE_CONSTANT;
            else
                return cli_usage_error("train-model",
                                       "--schedule '%s' is neither cosine nor constant", optarg);
            break;
        case 'a':
            o.fit.augment = true;
            break;
        case 'T':
        case 'V':
            if (!cli_whole_option("train-model", c == 'T' ? "--train-items" : "--test-items",
                                  optarg, 1, SIZE_MAX, &v))
                return 2;
            *(c == 'T' ? &o.train_items : &o.test_items) = (size_t)v;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'h':
            help(stdout);
            return 0;
        case ':':
            return cli_usage_error("train-model", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("train-model", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("train-model", "%s",
                               optind >= argc ? "MODEL is missing" : "exactly one MODEL");
    o.model = argv[optind];
    if (!o.data)
        return cli_usage_error("train-model", "%s",
                               "--data is required (fashion-mnist or a directory)");
    if (!o.out)
        return cli_usage_error("train-model", "%s", "--out WEIGHTS is required");
    if (!o.lr_given)
        o.fit.optim.lr = o.fit.optim.kind == NN_OPTIM_ADAM ? DEFAULT_LR_ADAM : DEFAULT_LR_SGD;
    return train(&o);
}
