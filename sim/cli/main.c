/*
 * main.c — the coinfer command: dispatch to subcommands, --help, --version.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "nn/nn.h"
#include "version.h"

struct subcommand {
    const char *name;                  /* as typed */
    int (*fn)(int argc, char **argv);  /* entry point */
    const char *summary;               /* one line for `coinfer --help` */
};

static const struct subcommand subcommands[] = {
    {"run", cli_run, "run a scenario and record its results in a database"},
    {"validate", cli_validate, "check scenario, sweep and model files against their schemas"},
    {"report", cli_report, "summarise the runs stored in a results database"},
    {"plot", cli_plot, "draw a figure of a results database with gnuplot (PNG, PDF, SVG)"},
    {"export", cli_export, "write a table of a results database (or a sweep's statistics) as CSV"},
    {"radio", cli_radio, "run a radio scenario's channel and mobility, or its link budget"},
    {"profile", cli_profile, "time a DNN model layer by layer on this host's CPU"},
    {"sweep", cli_sweep, "run, list or count the points of a parameter study (a sweep file)"},
    {"regret", cli_regret, "compare every policy with the exact optimum, decision by decision"},
    {"train", cli_train, "train the learning agent offline on the samples of results databases"},
    {"train-model", cli_train_model, "train a DNN classifier on Fashion-MNIST, write its weights"},
    {"accuracy", cli_accuracy, "test accuracy of a classifier per split and feature encoding"},
    {"infer", cli_infer, "run one forward pass of a model on a tensor from a file"},
    {"import", cli_import, "convert an ONNX model into a model file and its weights"},
};

const char *cli_version(void)
{
    return COINFER_VERSION;
}

int cli_fail(const struct core_err *e)
{
    fprintf(stderr, "coinfer: %s\n", e->msg);
    return core_rc_exit_code(e->rc);
}

static void usage(FILE *out)
{
    size_t i;

    fprintf(out,
            "usage: coinfer [--version] [--help] COMMAND [ARGS]\n"
            "\n"
            "coinfer simulates device-edge collaborative DNN inference on a discrete-event\n"
            "engine. Commands:\n\n");
    for (i = 0; i < ARRAY_LEN(subcommands); i++)
        fprintf(out, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out,
            "\n"
            "`coinfer COMMAND --help` describes each. Exit codes: 0 success, 1 runtime\n"
            "failure, 2 bad input or usage.\n");
}

int main(int argc, char **argv)
{
    size_t i;

    nn_blas_restart(argv);
    core_init();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("coinfer %s\n", cli_version());
        return 0;
    }
    for (i = 0; i < ARRAY_LEN(subcommands); i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "coinfer: '%s' is not a command (see coinfer --help)\n", argv[1]);
    return 2;
}
