/*
 * model_write.c — model files out: a model's graph written as the XML that
 * model_file.c reads (models/schema.xsd), for models made elsewhere than in
 * a model file (coinfer import). Each layer is written with its name, type,
 * inputs when they are not the layer above, and those of its parameters
 * that differ from the defaults model_file.c applies; which parameters a
 * type takes is model_file.c's table attrs_of, mirrored by params_of below
 * (a round trip through io_model_load, tested, keeps the two in step).
 */
#include "io/io.h"
#include "nn/nn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The parameter groups each op's <layer> takes (as model_file.c's attrs_of). */
enum {
    P_OUT = 1 << 0,    /* out-channels */
    P_KERNEL = 1 << 1, /* kernel, kernel-w, stride, pad */
    P_GROUPS = 1 << 2, /* groups */
    P_BIAS = 1 << 3,   /* bias, activation */
    P_EPS = 1 << 4,    /* eps */
    P_CEIL = 1 << 5,   /* ceil-mode */
    P_OFFSET = 1 << 6, /* offset */
};

static const unsigned params_of[] = {
    [NN_OP_CONV2D] = P_OUT | P_KERNEL | P_GROUPS | P_BIAS,
    [NN_OP_FC] = P_OUT | P_BIAS,
    [NN_OP_BATCHNORM] = P_EPS,
    [NN_OP_RELU] = 0,
    [NN_OP_RELU6] = 0,
    [NN_OP_MAXPOOL] = P_KERNEL | P_CEIL,
    [NN_OP_AVGPOOL] = P_KERNEL,
    [NN_OP_GAP] = 0,
    [NN_OP_ADD] = 0,
    [NN_OP_CONCAT] = 0,
    [NN_OP_FLATTEN] = 0,
    [NN_OP_SOFTMAX] = 0,
    [NN_OP_DROPOUT] = 0,
    [NN_OP_SIGMOID] = 0,
    [NN_OP_HARDSIGMOID] = 0,
    [NN_OP_HARDSWISH] = 0,
    [NN_OP_SILU] = 0,
    [NN_OP_MUL] = 0,
    [NN_OP_SLICE] = P_OUT | P_OFFSET,
    [NN_OP_SHUFFLE] = P_GROUPS,
};
static_assert(ARRAY_LEN(params_of) == NN_OP_COUNT, "one parameter set per enum nn_op");

/* text with XML's special characters escaped, to f. */
static void put_escaped(FILE *f, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*text, f);
        }
    }
}

/* Layer i's element. */
static void put_layer(FILE *f, const struct nn_model *m, int i)
{
    const enum nn_op op = nn_model_layer_op(m, i);
    const struct nn_params *p = nn_model_layer_params(m, i);
    const unsigned take = params_of[op];
    size_t n_in;
    const int *in = nn_model_layer_inputs(m, i, &n_in);

    fputs("  <layer name=\"", f);
    put_escaped(f, nn_model_layer_name(m, i));
    fprintf(f, "\" type=\"%s\"", nn_op_name(op));
    if (!(n_in == 1 && in[0] == i - 1)) { /* not just the layer above (or the input for the first) */
        fputs(" inputs=\"", f);
        for (size_t k = 0; k < n_in; k++) {
            if (k > 0)
                fputc(' ', f);
            put_escaped(f, in[k] == NN_INPUT ? "input" : nn_model_layer_name(m, in[k]));
        }
        fputc('"', f);
    }
    if (take & P_OUT)
        fprintf(f, " out-channels=\"%u\"", p->out_channels);
    if (take & P_KERNEL) {
        fprintf(f, " kernel=\"%u\"", p->kernel_h);
        if (p->kernel_w != 0 && p->kernel_w != p->kernel_h)
            fprintf(f, " kernel-w=\"%u\"", p->kernel_w);
        if (p->stride > 1)
            fprintf(f, " stride=\"%u\"", p->stride);
        if (p->pad > 0)
            fprintf(f, " pad=\"%u\"", p->pad);
    }
    if ((take & P_GROUPS) && p->groups > 1)
        fprintf(f, " groups=\"%u\"", p->groups);
    if ((take & P_BIAS) && !p->bias)
        fputs(" bias=\"false\"", f);
    if ((take & P_BIAS) && p->act != NN_ACT_NONE)
        fprintf(f, " activation=\"%s\"", nn_act_name(p->act));
    if ((take & P_EPS) && p->eps != 0.0f && p->eps != 1e-5f) /* not the default */
        fprintf(f, " eps=\"%.9g\"", (double)p->eps);
    if ((take & P_CEIL) && p->ceil)
        fputs(" ceil-mode=\"true\"", f);
    if ((take & P_OFFSET) && p->offset > 0)
        fprintf(f, " offset=\"%u\"", p->offset);
    fputs("/>\n", f);
}

enum core_rc io_model_write(const struct nn_model *m, const char *path, const char *name,
                            const char *weights, const char *description, struct core_err *e)
{
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    FILE *f = fopen(path, "w");
    int err;

    if (f == NULL)
        return core_err(e, CORE_E_IO, "%s: cannot write: %s", path, strerror(errno));
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model", f);
    if (name != NULL) {
        fputs(" name=\"", f);
        put_escaped(f, name);
        fputc('"', f);
    }
    if (weights != NULL) {
        fputs(" weights=\"", f);
        put_escaped(f, weights);
        fputc('"', f);
    }
    fputs(">\n", f);
    if (description != NULL && description[0] != '\0') {
        fputs("  <description>", f);
        put_escaped(f, description);
        fputs("</description>\n", f);
    }
    fprintf(f, "  <input channels=\"%u\" height=\"%u\" width=\"%u\"", in.c, in.h, in.w);
    if (in.n != 1)
        fprintf(f, " batch=\"%u\"", in.n);
    fputs("/>\n", f);
    for (size_t i = 0; i < nn_model_n_layers(m); i++)
        put_layer(f, m, (int)i);
    fputs("</model>\n", f);
    err = ferror(f);
    if (fclose(f) != 0 || err) {
        remove(path);
        return core_err(e, CORE_E_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    return CORE_OK;
}
