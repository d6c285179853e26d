/*
 * cmd_import.c — `coinfer import MODEL.onnx --out DIR`: an ONNX model
 * (opset 11 to 17, as torch.onnx.export writes it) converted into a coinfer
 * model file DIR/NAME.xml and its weights DIR/NAME.weights, NAME the ONNX
 * file's base name without ".onnx". The conversion is io_onnx_import's
 * (sim/io/onnx_import.c); the files are then read back (io_model_validate)
 * before success is reported, and a line says what was made:
 *
 *   imported FILE (opset K, PRODUCER, N nodes): L layers, P parameters,
 *   M MACs -> DIR/NAME.xml, DIR/NAME.weights
 *
 * An unsupported operator, attribute or value is "FILE: node 'NAME' (OP):
 * why", exit 2; nothing is written then.
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io/io.h"
#include "nn/nn.h"

#define IMPORT_SEED 1 /* finalize's draw, every tensor of which the file overwrites */

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer import MODEL.onnx --out DIR\n"
            "\n"
            "Convert an ONNX model (opset 11 to 17, e.g. from torch.onnx.export) into a\n"
            "coinfer model file DIR/NAME.xml and its weights DIR/NAME.weights, NAME the\n"
            "file's base name without \".onnx\"; DIR is created if missing. Operators: Conv,\n"
            "Gemm, MatMul, Relu, Clip (to [0, 6] or [0, inf)), Sigmoid, HardSigmoid (PyTorch's),\n"
            "HardSwish, Mul, Add, Concat, Split, Slice (on channels), Reshape, Flatten,\n"
            "Transpose (as a channel shuffle), MaxPool, AveragePool, GlobalAveragePool,\n"
            "ReduceMean (over H and W), BatchNormalization, Softmax, Dropout, Identity, and\n"
            "the shape arithmetic of constants exporters write (Constant, Shape, Gather,\n"
            "Unsqueeze, Squeeze, Cast, Add, Sub, Mul, Div, Concat). Layers are named after\n"
            "their weights (PyTorch's module names) or their nodes. Anything else is an\n"
            "error naming the node and its operator. Check the result with coinfer infer.\n"
            "\n"
            "  --out DIR      where the model and weights files go (required)\n"
            "  --help, -h     this text\n"
            "\n"
            "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage.\n");
}

/* NAME: path's base name without ".onnx". */
static void base_name(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    snprintf(out, size, "%s", slash ? slash + 1 : path);
    n = strlen(out);
    if (n > 5 && strcmp(out + n - 5, ".onnx") == 0)
        out[n - 5] = '\0';
}

int cli_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *onnx, *dir = NULL;
    char name[256], xml[PATH_MAX], weights[PATH_MAX + 16], wbase[300];
    struct io_onnx_info info;
    struct nn_model *m = NULL;
    struct nn_cost cost;
    struct core_err e;
    struct stat st;
    int c, code = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'h': help(stdout); return 0;
        case ':':
            return cli_usage_error("import", "option needs a value: %s", argv[optind - 1]);
        default:
            return cli_usage_error("import", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("import", "no MODEL.onnx given");
    if (optind + 1 < argc)
        return cli_usage_error("import", "one MODEL.onnx only; extra argument %s",
                               argv[optind + 1]);
    if (dir == NULL)
        return cli_usage_error("import", "--out DIR is required");
    onnx = argv[optind];
    base_name(onnx, name, sizeof(name));
    if (name[0] == '\0')
        return cli_usage_error("import", "MODEL.onnx has no base name: %s", onnx);
    if (stat(dir, &st) != 0 && mkdir(dir, 0777) != 0) {
        fprintf(stderr, "coinfer import: %s: cannot create: %s\n", dir, strerror(errno));
        return 1;
    } else if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "coinfer import: --out %s: not a directory\n", dir);
        return 2;
    }
    snprintf(xml, sizeof(xml), "%s/%s.xml", dir, name);
    snprintf(weights, sizeof(weights), "%s/%s.weights", dir, name);
    snprintf(wbase, sizeof(wbase), "%s.weights", name);
    core_err_clear(&e);
    if (io_onnx_import(onnx, IMPORT_SEED, &m, &info, &e) != CORE_OK)
        return cli_fail(&e);
    {
        char desc[512];
        snprintf(desc, sizeof(desc), "Imported by coinfer import from %s (ONNX opset %lld%s%s).",
                 name, (long long)info.opset, info.producer[0] ? ", " : "", info.producer);
        if (io_model_write(m, xml, name, wbase, desc, &e) != CORE_OK ||
            nn_weights_save(m, weights, &e) != CORE_OK || io_model_validate(xml, &e) != CORE_OK)
            code = cli_fail(&e);
    }
    if (code == 0) {
        nn_model_cost(m, &cost);
        printf("imported %s (opset %lld%s%s, %zu nodes): %zu layers, %llu parameters, %llu MACs "
               "-> %s, %s\n",
               onnx, (long long)info.opset, info.producer[0] ? ", " : "", info.producer,
               info.n_nodes, nn_model_n_layers(m), (unsigned long long)cost.params,
               (unsigned long long)cost.macs, xml, weights);
    }
    nn_model_destroy(m);
    return code;
}
