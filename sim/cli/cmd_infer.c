/*
 * cmd_infer.c — `coinfer infer MODEL [--weights W] --input FILE --output FILE`:
 * one forward pass on a tensor from a file, so that a model (trained by
 * coinfer, imported from ONNX, or any model file) can be checked against
 * another framework on the same input.
 *
 * MODEL is a model file (anything with a '/' or ending in ".xml": the
 * weights it names are loaded) or a zoo name (weights drawn from seed 1).
 * --weights W loads W instead (a coinfer weights file holding exactly the
 * model's tensors). FILE holds the model's input, (N, C, H, W) float32
 * little-endian row-major, nothing else: its size must be the input's.
 * The model runs as every run of coinfer runs it (batch norms folded into
 * their convolutions, activations fused: equal to the unfolded network up
 * to float rounding) on one thread; its output tensor is written to the
 * output file the same way, and the index of the largest output of each
 * batch item printed, "argmax: K" (one per item).
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io/io.h"
#include "nn/nn.h"

#define MODEL_SEED 1 /* weights of a zoo model without --weights */

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer infer MODEL [--weights W] --input FILE --output FILE\n"
            "\n"
            "Run one forward pass of MODEL on the tensor in the input FILE and write its\n"
            "output tensor to the output FILE; print the index of each batch item's largest\n"
            "output (\"argmax: K\"). Both files are raw float32, little-endian, row-major\n"
            "in the tensor's shape (N, C, H, W), nothing else: the input file must hold\n"
            "exactly the model's input (its size is checked). The model runs as coinfer\n"
            "runs it (batch norms folded, activations fused), on one thread.\n"
            "\n"
            "  MODEL          a model file (e.g. models/lenet5-fmnist.xml, with the weights\n"
            "                 it names) or a zoo name (weights drawn from seed %d)\n"
            "  --weights W    load the weights file W instead (coinfer's weights format)\n"
            "  --input FILE   the input tensor (required)\n"
            "  --output FILE  where the output tensor goes (required; created or replaced)\n"
            "  --help, -h     this text\n"
            "\n"
            "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage.\n",
            MODEL_SEED);
}

static bool is_model_file(const char *arg)
{
    size_t n = strlen(arg);

    return strchr(arg, '/') != NULL || (n > 4 && strcmp(arg + n - 4, ".xml") == 0);
}

/* MODEL with its weights (or W), finalized, folded and fused, into *out. */
static int load_model(const char *arg, const char *weights, struct nn_model **out)
{
    struct nn_exits exits = {0};
    struct core_err e;
    enum nn_zoo_model z;
    enum core_rc rc;
    int code;

    core_err_clear(&e);
    *out = NULL;
    if (is_model_file(arg)) {
        rc = weights ? io_model_load_graph_exits(arg, out, &exits, &e)
                     : io_model_load(arg, MODEL_SEED, out, &e);
    } else if (nn_zoo_find(arg, &z)) {
        rc = nn_zoo_build(z, 1, out, &e);
    } else {
        fprintf(stderr, "coinfer infer: unknown model '%s' (a model file such as "
                        "models/lenet5-fmnist.xml, or a zoo name:", arg);
        for (int i = 0; nn_zoo_names[i]; i++)
            fprintf(stderr, "%s %s", i ? "," : "", nn_zoo_names[i]);
        fprintf(stderr, ")\n");
        return 2;
    }
    if (rc == CORE_OK && !nn_model_is_finalized(*out))
        rc = nn_model_finalize(*out, MODEL_SEED, &e);
    if (rc != CORE_OK) {
        nn_exits_fini(&exits);
        nn_model_destroy(*out);
        *out = NULL;
        return cli_fail(&e);
    }
    code = weights != NULL ? cli_load_weights(*out, &exits, weights) : 0;
    nn_exits_fini(&exits);
    if (code != 0) {
        nn_model_destroy(*out);
        *out = NULL;
        return code;
    }
    nn_model_fold_batchnorm(*out);
    nn_model_fuse_activations(*out);
    return 0;
}

/* The input file into buf (bytes of them, the model's input size). */
static int read_input(const char *path, const struct nn_shape *s, float *buf, uint64_t bytes)
{
    struct stat st;
    FILE *f;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "coinfer infer: %s: cannot open: %s\n", path, strerror(errno));
        return 2;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "coinfer infer: %s: not a regular file\n", path);
        return 2;
    }
    if ((uint64_t)st.st_size != bytes) {
        fprintf(stderr,
                "coinfer infer: %s: holds %lld bytes; the model's input, %ux%ux%ux%u float32, "
                "takes %llu\n",
                path, (long long)st.st_size, s->n, s->c, s->h, s->w, (unsigned long long)bytes);
        return 2;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "coinfer infer: %s: cannot open: %s\n", path, strerror(errno));
        return 2;
    }
    if (fread(buf, 1, bytes, f) != bytes) {
        fprintf(stderr, "coinfer infer: %s: read error\n", path);
        fclose(f);
        return 1;
    }
    fclose(f);
    return 0;
}

/* The output tensor to path, little-endian float32 as in memory. */
static int write_output(const char *path, const float *y, uint64_t bytes)
{
    FILE *f = fopen(path, "wb");
    int err;

    if (f == NULL) {
        fprintf(stderr, "coinfer infer: %s: cannot write: %s\n", path, strerror(errno));
        return 1;
    }
    fwrite(y, 1, bytes, f);
    err = ferror(f);
    if (fclose(f) != 0 || err) {
        fprintf(stderr, "coinfer infer: %s: cannot write\n", path);
        remove(path);
        return 1;
    }
    return 0;
}

int cli_infer(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"weights", required_argument, NULL, 'w'}, {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *weights = NULL, *input = NULL, *output = NULL;
    struct nn_model *m = NULL;
    struct nn_shape in_s, out_s;
    struct core_err e;
    float *x = NULL;
    uint64_t in_bytes;
    int c, code;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': weights = optarg; break;
        case 'i': input = optarg; break;
        case 'o': output = optarg; break;
        case 'h': help(stdout); return 0;
        case ':':
            return cli_usage_error("infer", "option needs a value: %s", argv[optind - 1]);
        default:
            return cli_usage_error("infer", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("infer", "no MODEL given");
    if (optind + 1 < argc)
        return cli_usage_error("infer", "one MODEL only; extra argument %s", argv[optind + 1]);
    model = argv[optind];
    if (input == NULL)
        return cli_usage_error("infer", "--input FILE is required");
    if (output == NULL)
        return cli_usage_error("infer", "--output FILE is required");
    if ((code = load_model(model, weights, &m)) != 0)
        return code;
    in_s = nn_model_shape(m, NN_INPUT);
    in_bytes = nn_model_tensor_bytes(m, NN_INPUT);
    x = core_aligned_alloc(64, in_bytes);
    if (x == NULL) {
        fprintf(stderr, "coinfer infer: out of memory\n");
        nn_model_destroy(m);
        return 1;
    }
    code = read_input(input, &in_s, x, in_bytes);
    core_err_clear(&e);
    if (code == 0 && nn_model_forward(m, x, 1, &e) != CORE_OK)
        code = cli_fail(&e);
    if (code == 0) {
        const int last = (int)nn_model_n_layers(m) - 1;
        const float *y = nn_model_output(m);
        size_t per;

        out_s = nn_model_shape(m, last);
        per = (size_t)out_s.c * out_s.h * out_s.w;
        code = write_output(output, y, nn_model_tensor_bytes(m, last));
        if (code == 0) {
            printf("argmax:");
            for (uint32_t item = 0; item < out_s.n; item++) {
                size_t best = 0;
                for (size_t k = 1; k < per; k++) {
                    if (y[item * per + k] > y[item * per + best])
                        best = k;
                }
                printf(" %zu", best);
            }
            printf("\n");
        }
    }
    core_free(x);
    nn_model_destroy(m);
    return code;
}
