/*
 * onnx_import.c — ONNX files in: an ONNX graph (opset 11 to 17) turned into
 * an nn model with its weights, through protobuf-c and the C code protoc-c
 * generates from Debian's onnx.proto at build time (build/gen/onnx.pb-c.h).
 *
 * The graph's nodes are read in their order (ONNX keeps them topologically
 * sorted) and each becomes zero, one or a few nn_model_add calls. Every
 * ONNX value (a node's output, an initializer, the graph input) is one entry
 * of a table:
 *
 *   a tensor   a coinfer tensor (the model input or a layer's output) with
 *              its ONNX rank (4 for (N, C, H, W), 2 for (N, F), which
 *              coinfer holds as (N, F, 1, 1));
 *   a constant an initializer or a computed value: weights, and the small
 *              integer vectors exporters compute shapes with (Shape, Gather,
 *              Unsqueeze, Concat, Add, Div, ... of constants are evaluated
 *              here, as a constant folder would);
 *   a shuffle  the two halves of a channel shuffle, x.view(N, g, C/g, H, W)
 *              and its transpose(1, 2): only a reshape back to (N, C, H, W)
 *              may read them, which becomes one shuffle layer.
 *
 * The mapping: Conv -> conv2d; Gemm and MatMul with constant weights -> fc;
 * BatchNormalization -> batchnorm; Relu, Sigmoid, HardSigmoid (alpha 1/6,
 * beta 1/2), HardSwish -> the activation of that name, and x * Sigmoid(x),
 * x * HardSigmoid(x) (torch's silu, and hardswish before opset 14) -> silu,
 * hardswish; Clip [0, 6] -> relu6,
 * [0, inf) -> relu; MaxPool, AveragePool -> maxpool, avgpool; GlobalAveragePool
 * and ReduceMean over H and W -> gap; Add -> add; Mul -> mul (same shapes or
 * (N, C, 1, 1) broadcast); Concat on channels -> concat; Split and Slice on
 * channels -> slice; Flatten and a Reshape to (N, -1) -> flatten; Softmax ->
 * softmax; Dropout, Identity and a Pad of zeros -> nothing (the value is its
 * input). Anything
 * else, and any attribute or value coinfer cannot compute exactly (a
 * dilation, asymmetric padding, another axis), is an error naming the node
 * and its op type. Layers are named after their weights ("features.0" for
 * "features.0.weight", as PyTorch names them) or else after the node.
 */
#include "io/io.h"
#include "nn/nn.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "onnx.pb-c.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "onnx_import.c reads ONNX's little-endian raw tensor data in place"
#endif

#define OPSET_MIN 11 /* the oldest default-domain opset read */
#define OPSET_MAX 17 /* the newest */
#define MAX_DIMS 8   /* most dimensions of a constant kept */
#define ONNX_FILE_MAX ((long)2 << 30) /* protobuf's own limit: 2 GiB */

/* ONNX TensorProto data types read (onnx.proto's TensorProto.DataType). */
enum {
    DT_FLOAT = 1,
    DT_INT32 = 6,
    DT_INT64 = 7,
    DT_DOUBLE = 11,
};

/* What a value of the graph is. */
enum value_kind {
    V_TENSOR,  /* a coinfer tensor: id, rank */
    V_CONST,   /* a constant: the c fields */
    V_VIEW5,   /* x.view(N, g, C/g, H, W) of tensor id: groups */
    V_SHUF5,   /* its transpose(1, 2): groups */
};

/* A constant: float32 (weights) or integers (shapes, axes). */
struct cval {
    bool is_float;            /* float32 data in f, else int64 in i */
    size_t n;                 /* elements */
    uint32_t rank;            /* dimensions */
    int64_t dims[MAX_DIMS];   /* each, elements */
    const unsigned char *f;   /* n little-endian float32 (may be unaligned; borrowed or owned) */
    int64_t *i;               /* n integers (owned) */
    void *owned;              /* what to free (f's or i's block), or NULL */
};

/* One ONNX value by name. */
struct value {
    const char *name;     /* ONNX name (borrowed from the unpacked model) */
    enum value_kind kind; /* what it is */
    int id;               /* V_TENSOR: NN_INPUT or a layer; V_VIEW5/V_SHUF5: the source */
    uint32_t rank;        /* V_TENSOR: ONNX rank, 2 or 4 */
    uint32_t groups;      /* V_VIEW5, V_SHUF5: shuffle groups */
    struct cval c;        /* V_CONST */
};

/* Where one layer's weights come from: values (indices of the table, -1:
 * none). conv2d: w, b; fc: w (transposed when transpose), b; batchnorm:
 * w, b, mean, var. */
struct layer_src {
    int layer;      /* the layer's index */
    long w, b;      /* weight and bias values */
    long mean, var; /* batchnorm's running statistics */
    bool transpose; /* fc: w is (in, K), stored transposed */
};

/* A Mul node already computed by the gate before it (x * sigmoid(x) as one
 * silu layer): its output is that layer's. */
struct fused_mul {
    const Onnx__NodeProto *mul; /* the Mul node */
    int layer;                  /* the silu or hardswish layer */
    uint32_t rank;              /* its ONNX rank */
};

/* Import state. */
struct importer {
    const char *path;              /* the ONNX file, for messages */
    struct core_err *e;            /* where errors go */
    Onnx__ModelProto *model;       /* the unpacked file (owned) */
    int64_t opset;                 /* default-domain opset */
    struct nn_model *m;            /* the model being built (owned until returned) */
    struct value *v;               /* the values (owned) */
    size_t n_v, cap_v;             /* used, room */
    struct layer_src *src;         /* weights of layers that have some (owned) */
    size_t n_src, cap_src;         /* used, room */
    const Onnx__NodeProto *node;   /* the node being converted (messages) */
    size_t node_index;             /* its index in the graph */
    /* Mul nodes of x * sigmoid(x) and x * hardsigmoid(x) already computed as
     * one silu or hardswish layer: their output is that layer's. */
    struct fused_mul *fused;
    size_t n_fused, cap_fused;     /* used, room */
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                     */
/* ------------------------------------------------------------------------ */

/* "FILE: node 'NAME' (OP): message", CORE_E_INPUT. */
static enum core_rc node_err(struct importer *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum core_rc node_err(struct importer *im, const char *fmt, ...)
{
    char why[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (im->node == NULL)
        return core_err(im->e, CORE_E_INPUT, "%s: %s", im->path, why);
    if (im->node->name != NULL && im->node->name[0] != '\0')
        return core_err(im->e, CORE_E_INPUT, "%s: node '%s' (%s): %s", im->path, im->node->name,
                        im->node->op_type, why);
    return core_err(im->e, CORE_E_INPUT, "%s: node %zu (%s): %s", im->path, im->node_index,
                    im->node->op_type, why);
}

static enum core_rc nomem(struct importer *im)
{
    return core_err(im->e, CORE_E_NOMEM, "%s: out of memory", im->path);
}

/* ------------------------------------------------------------------------ */
/* Values                                                                     */
/* ------------------------------------------------------------------------ */

/* The value named name (the latest of that name), or NULL. */
static struct value *find(struct importer *im, const char *name)
{
    for (size_t k = im->n_v; k-- > 0;) {
        if (strcmp(im->v[k].name, name) == 0)
            return &im->v[k];
    }
    return NULL;
}

/* A new value named name, zeroed but for its name and kind; NULL when out of
 * memory (reported). */
static struct value *new_value(struct importer *im, const char *name, enum value_kind kind)
{
    struct value *v;

    if (im->n_v == im->cap_v) {
        size_t cap = im->cap_v ? 2 * im->cap_v : 256;
        struct value *grown = core_realloc(im->v, cap * sizeof(*grown));
        if (grown == NULL) {
            nomem(im);
            return NULL;
        }
        im->v = grown;
        im->cap_v = cap;
    }
    v = &im->v[im->n_v++];
    memset(v, 0, sizeof(*v));
    v->name = name;
    v->kind = kind;
    return v;
}

static void free_values(struct importer *im)
{
    for (size_t k = 0; k < im->n_v; k++)
        core_free(im->v[k].c.owned);
    core_free(im->v);
    im->v = NULL;
    im->n_v = im->cap_v = 0;
}

/* Element k of constant c as a double. */
static double cval_at(const struct cval *c, size_t k)
{
    if (c->is_float) {
        float x;
        memcpy(&x, c->f + 4 * k, sizeof(x));
        return x;
    }
    return (double)c->i[k];
}

/* Input k of the node as a value: CORE_OK with *out (NULL when the input is
 * absent or empty and optional), else an error. */
static enum core_rc input_value(struct importer *im, size_t k, bool optional, struct value **out)
{
    const Onnx__NodeProto *n = im->node;

    *out = NULL;
    if (k >= n->n_input || n->input[k][0] == '\0') {
        if (optional)
            return CORE_OK;
        return node_err(im, "input %zu is missing", k + 1);
    }
    *out = find(im, n->input[k]);
    if (*out == NULL)
        return node_err(im, "input '%s' is not produced by an earlier node, an initializer or "
                            "the graph input", n->input[k]);
    return CORE_OK;
}

/* Input k as a tensor (not a constant): its value in *out. */
static enum core_rc input_tensor(struct importer *im, size_t k, struct value **out)
{
    enum core_rc rc = input_value(im, k, false, out);

    if (rc != CORE_OK)
        return rc;
    if ((*out)->kind != V_TENSOR)
        return node_err(im, "input '%s' must be a tensor computed by the graph, not %s",
                        (*out)->name,
                        (*out)->kind == V_CONST ? "a constant" : "half of a channel shuffle");
    return CORE_OK;
}

/* Input k as a constant (optional: *out NULL when absent). */
static enum core_rc input_const(struct importer *im, size_t k, bool optional, struct value **out)
{
    enum core_rc rc = input_value(im, k, optional, out);

    if (rc != CORE_OK || *out == NULL)
        return rc;
    if ((*out)->kind != V_CONST)
        return node_err(im, "input '%s' must be a constant (an initializer or computed from "
                            "constants only)", (*out)->name);
    return CORE_OK;
}

/* The coinfer shape of tensor value v. */
static struct nn_shape tshape(const struct importer *im, const struct value *v)
{
    return nn_model_shape(im->m, v->id);
}

/* Tensor value v's ONNX dimensions into d[] (v->rank of them). */
static void tdims(const struct importer *im, const struct value *v, int64_t d[4])
{
    const struct nn_shape s = tshape(im, v);

    if (v->rank == 4) {
        d[0] = s.n; d[1] = s.c; d[2] = s.h; d[3] = s.w;
    } else {
        d[0] = s.n; d[1] = (int64_t)s.c * s.h * s.w;
    }
}

/* Output k of the node becomes tensor id with rank. */
static enum core_rc set_output(struct importer *im, size_t k, int id, uint32_t rank)
{
    struct value *v;

    if (k >= im->node->n_output || im->node->output[k][0] == '\0')
        return node_err(im, "output %zu is missing", k + 1);
    v = new_value(im, im->node->output[k], V_TENSOR);
    if (v == NULL)
        return CORE_E_NOMEM;
    v->id = id;
    v->rank = rank;
    return CORE_OK;
}

/* ------------------------------------------------------------------------ */
/* Constants                                                                  */
/* ------------------------------------------------------------------------ */

/* TensorProto t into constant c (borrowing its float data). */
static enum core_rc read_tensor(struct importer *im, const Onnx__TensorProto *t, struct cval *c)
{
    const char *tname = t->name ? t->name : ""; /* a Constant's tensor may have none */
    size_t n = 1;

    memset(c, 0, sizeof(*c));
    if (t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL || t->n_external_data)
        return node_err(im, "tensor '%s' keeps its data in an external file (not supported: "
                            "export the model with its weights inside)", tname);
    if (t->n_dims > MAX_DIMS)
        return node_err(im, "tensor '%s' has %zu dimensions (at most %d)", tname, t->n_dims,
                        MAX_DIMS);
    c->rank = (uint32_t)t->n_dims;
    for (size_t k = 0; k < t->n_dims; k++) {
        if (t->dims[k] < 0 || (t->dims[k] > 0 && n > SIZE_MAX / 8 / (size_t)t->dims[k]))
            return node_err(im, "tensor '%s': bad dimension %lld", tname,
                            (long long)t->dims[k]);
        c->dims[k] = t->dims[k];
        n *= (size_t)t->dims[k];
    }
    c->n = n;
    switch (t->data_type) {
    case DT_FLOAT:
        c->is_float = true;
        if (t->raw_data.len > 0) {
            if (t->raw_data.len != 4 * n)
                return node_err(im, "tensor '%s' holds %zu bytes of data, its shape %zu floats",
                                tname, t->raw_data.len, n);
            c->f = t->raw_data.data;
        } else {
            if (t->n_float_data != n)
                return node_err(im, "tensor '%s' holds %zu floats, its shape %zu", tname,
                                t->n_float_data, n);
            c->f = (const unsigned char *)t->float_data;
        }
        return CORE_OK;
    case DT_DOUBLE:
    case DT_INT32:
    case DT_INT64: {
        const size_t elem = t->data_type == DT_INT32 ? 4 : 8;
        size_t have = t->raw_data.len > 0 ? t->raw_data.len / elem
                      : t->data_type == DT_INT32 ? t->n_int32_data
                      : t->data_type == DT_INT64 ? t->n_int64_data : t->n_double_data;

        if (have != n || (t->raw_data.len > 0 && t->raw_data.len != n * elem))
            return node_err(im, "tensor '%s': its data does not fill its shape", tname);
        if (t->data_type == DT_DOUBLE) {
            float *f = core_malloc(n * sizeof(*f) + 1);
            if (f == NULL)
                return nomem(im);
            for (size_t k = 0; k < n; k++) {
                double x;
                if (t->raw_data.len > 0)
                    memcpy(&x, t->raw_data.data + 8 * k, 8);
                else
                    x = t->double_data[k];
                f[k] = (float)x;
            }
            c->is_float = true;
            c->f = (const unsigned char *)f;
            c->owned = f;
            return CORE_OK;
        }
        c->i = core_malloc(n * sizeof(*c->i) + 1);
        if (c->i == NULL)
            return nomem(im);
        c->owned = c->i;
        for (size_t k = 0; k < n; k++) {
            if (t->raw_data.len > 0 && elem == 4) {
                int32_t x;
                memcpy(&x, t->raw_data.data + 4 * k, 4);
                c->i[k] = x;
            } else if (t->raw_data.len > 0) {
                memcpy(&c->i[k], t->raw_data.data + 8 * k, 8);
            } else {
                c->i[k] = t->data_type == DT_INT32 ? t->int32_data[k] : t->int64_data[k];
            }
        }
        return CORE_OK;
    }
    default:
        return node_err(im, "tensor '%s' has ONNX data type %d (float32, float64, int32 and "
                            "int64 are read)", tname, (int)t->data_type);
    }
}

/* A new integer constant named name with n elements (rank 1; values to be
 * filled in through *out_i). */
static enum core_rc new_int_const(struct importer *im, const char *name, size_t n, uint32_t rank,
                                  int64_t **out_i)
{
    struct value *v = new_value(im, name, V_CONST);

    if (v == NULL)
        return CORE_E_NOMEM;
    v->c.i = core_calloc(n + 1, sizeof(*v->c.i));
    if (v->c.i == NULL)
        return nomem(im);
    v->c.owned = v->c.i;
    v->c.n = n;
    v->c.rank = rank;
    if (rank == 1)
        v->c.dims[0] = (int64_t)n;
    *out_i = v->c.i;
    return CORE_OK;
}

/* A new float constant named name with n elements (rank 1, or 0 for a
 * scalar), values from x[]. */
static enum core_rc new_float_const(struct importer *im, const char *name, const double *x,
                                    size_t n, uint32_t rank)
{
    struct value *v = new_value(im, name, V_CONST);
    float *f;

    if (v == NULL)
        return CORE_E_NOMEM;
    f = core_malloc((n + 1) * sizeof(*f));
    if (f == NULL)
        return nomem(im);
    for (size_t k = 0; k < n; k++)
        f[k] = (float)x[k];
    v->c.is_float = true;
    v->c.f = (const unsigned char *)f;
    v->c.owned = f;
    v->c.n = n;
    v->c.rank = rank;
    if (rank == 1)
        v->c.dims[0] = (int64_t)n;
    return CORE_OK;
}

/* A value named name that is constant c (borrowed data copied as needed:
 * the data stays the source's when it is borrowed). */
static enum core_rc alias_const(struct importer *im, const char *name, const struct cval *src)
{
    const struct cval c = *src; /* src may live in the table new_value moves */
    struct value *v = new_value(im, name, V_CONST);

    if (v == NULL)
        return CORE_E_NOMEM;
    v->c = c;
    v->c.owned = NULL;
    if (c.owned != NULL) { /* copy what the source owns, so each frees its own */
        const size_t bytes = c.n * (c.is_float ? 4 : sizeof(int64_t));
        void *copy = core_malloc(bytes + 8);
        if (copy == NULL)
            return nomem(im);
        memcpy(copy, c.owned, bytes);
        v->c.owned = copy;
        if (c.is_float)
            v->c.f = copy;
        else
            v->c.i = copy;
    }
    return CORE_OK;
}

/* ------------------------------------------------------------------------ */
/* Attributes                                                                 */
/* ------------------------------------------------------------------------ */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t k = 0; k < n->n_attribute; k++) {
        if (strcmp(n->attribute[k]->name, name) == 0)
            return n->attribute[k];
    }
    return NULL;
}

/* Every attribute of the node is one of known (a NULL-terminated list). */
static enum core_rc check_attrs(struct importer *im, const char *const *known)
{
    for (size_t k = 0; k < im->node->n_attribute; k++) {
        const char *name = im->node->attribute[k]->name;
        bool ok = false;

        for (size_t j = 0; known[j] != NULL && !ok; j++)
            ok = strcmp(known[j], name) == 0;
        if (!ok)
            return node_err(im, "unsupported attribute '%s'", name);
    }
    return CORE_OK;
}

/* Integer attribute name, def when absent. */
static int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(n, name);

    return a != NULL && a->has_i ? a->i : def;
}

static float attr_float(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = attr(n, name);

    return a != NULL && a->has_f ? a->f : def;
}

/* Integer-list attribute name: its length (0 when absent) and values. */
static size_t attr_ints(const Onnx__NodeProto *n, const char *name, const int64_t **out)
{
    const Onnx__AttributeProto *a = attr(n, name);

    *out = a != NULL ? a->ints : NULL;
    return a != NULL ? a->n_ints : 0;
}

/* The axis ax of a tensor of rank r made non-negative (or -1 when out of
 * range). */
static int64_t norm_axis(int64_t ax, uint32_t r)
{
    if (ax < 0)
        ax += r;
    return ax >= 0 && ax < (int64_t)r ? ax : -1;
}

/* ------------------------------------------------------------------------ */
/* Layers                                                                     */
/* ------------------------------------------------------------------------ */

/* Keep name's characters that are safe in a model file and a tensor name. */
static void sanitize(char *s)
{
    for (; *s; s++) {
        const char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            *s = '_';
    }
}

/* The name for a new layer of op: the prefix of weight name w ("P.weight"
 * -> "P") when there is one, else built from the node's name (torch's
 * "/scope/module/Op_1" -> "module.op_1"; another name as it is), else the
 * op's name and the layer's index; suffix (may be NULL) appended; only
 * [A-Za-z0-9._-] kept, the end of a long name kept, made unique. */
static void layer_name(const struct importer *im, enum nn_op op, const char *w,
                       const char *suffix, char out[NN_NAME_MAX])
{
    char base[512] = "";
    const char *nn = im->node->name ? im->node->name : "";
    size_t len;
    int idx;

    if (w != NULL && (len = strlen(w)) > 7 && len < 256 && strcmp(w + len - 7, ".weight") == 0) {
        snprintf(base, sizeof(base), "%.*s", (int)(len - 7), w);
    } else if (strchr(nn, '/') != NULL && strlen(nn) < 256) {
        /* torch's scopes: "/stage2/stage2.1/branch2/branch2.7/Relu" is module
         * stage2.1.branch2.7 (a component that extends the one before it
         * replaces it), op Relu */
        size_t at = 0, last = 0; /* length of base; where its last component starts */
        for (const char *p = nn; *p;) {
            const size_t l = strcspn(p, "/");
            const bool op_part = p[l] == '\0';
            if (l > 0 && !op_part && at > 0 && l > at - last && p[at - last] == '.' &&
                strncmp(p, base + last, at - last) == 0) {
                at = last; /* "stage2" then "stage2.1": keep the longer */
            } else if (l > 0 && at > 0) {
                base[at++] = '.';
            }
            if (l > 0) {
                last = at;
                memcpy(base + at, p, l);
                at += l;
                base[at] = '\0';
                if (op_part) {
                    for (char *c = base + last; *c; c++) {
                        if (*c >= 'A' && *c <= 'Z') /* the op in lower case */
                            *c = (char)(*c - 'A' + 'a');
                    }
                }
            }
            p += l + (p[l] == '/');
        }
    } else if (strlen(nn) < 256) {
        snprintf(base, sizeof(base), "%s", nn);
    }
    if (base[0] == '\0')
        snprintf(base, sizeof(base), "%s%zu", nn_op_name(op), nn_model_n_layers(im->m));
    if (suffix != NULL) {
        len = strlen(base);
        snprintf(base + len, sizeof(base) - len, "%s", suffix);
    }
    sanitize(base);
    len = strlen(base);
    { /* the end of a long name: its most specific part */
        const char *from = len > NN_NAME_MAX - 1 ? base + len - (NN_NAME_MAX - 1) : base;
        memcpy(out, from, strlen(from) + 1);
    }
    for (int k = 2; strcmp(out, "input") == 0 || nn_model_find_layer(im->m, out, &idx); k++) {
        char tail[16];
        const size_t t = (size_t)snprintf(tail, sizeof(tail), "_%d", k);
        const size_t keep = len + t > NN_NAME_MAX - 1 ? NN_NAME_MAX - 1 - t : len;
        snprintf(out, NN_NAME_MAX, "%s%s", base + len - keep, tail);
    }
}

/* Add a layer for the node: op, params, inputs; named after weight w or the
 * node (with suffix). Its index in *index. */
static enum core_rc add_layer(struct importer *im, enum nn_op op, const struct nn_params *p,
                              const int *inputs, size_t n_inputs, const char *w,
                              const char *suffix, int *index)
{
    char name[NN_NAME_MAX];
    struct core_err why;

    layer_name(im, op, w, suffix, name);
    core_err_clear(&why);
    if (nn_model_add(im->m, op, p, inputs, n_inputs, name, index, &why) != CORE_OK)
        return why.rc == CORE_E_NOMEM ? nomem(im) : node_err(im, "%s", why.msg);
    return CORE_OK;
}

/* Record where layer's weights come from. */
static enum core_rc add_src(struct importer *im, int layer, long w, long b, long mean, long var,
                            bool transpose)
{
    if (im->n_src == im->cap_src) {
        size_t cap = im->cap_src ? 2 * im->cap_src : 64;
        struct layer_src *grown = core_realloc(im->src, cap * sizeof(*grown));
        if (grown == NULL)
            return nomem(im);
        im->src = grown;
        im->cap_src = cap;
    }
    im->src[im->n_src++] = (struct layer_src){layer, w, b, mean, var, transpose};
    return CORE_OK;
}

static long vindex(const struct importer *im, const struct value *v)
{
    return v == NULL ? -1 : (long)(v - im->v);
}

/* A float constant with the given rank and dims (NULL dims: any) or an
 * error naming what (e.g. "the weight"). */
static enum core_rc want_floats(struct importer *im, const struct value *v, const char *what,
                                size_t n)
{
    if (!v->c.is_float)
        return node_err(im, "%s '%s' is not float32", what, v->name);
    if (v->c.n != n)
        return node_err(im, "%s '%s' has %zu elements, %zu expected", what, v->name, v->c.n, n);
    return CORE_OK;
}

/* ------------------------------------------------------------------------ */
/* The operators                                                              */
/* ------------------------------------------------------------------------ */

/* Kernel, stride and padding of Conv / MaxPool / AveragePool into p; the
 * kernel from the weights when the node does not say (kh, kw > 0). */
static enum core_rc window(struct importer *im, struct nn_params *p, int64_t kh, int64_t kw)
{
    const Onnx__NodeProto *n = im->node;
    const int64_t *ks, *st, *pd, *dl;
    size_t nks = attr_ints(n, "kernel_shape", &ks), nst = attr_ints(n, "strides", &st);
    size_t npd = attr_ints(n, "pads", &pd), ndl = attr_ints(n, "dilations", &dl);
    const Onnx__AttributeProto *ap = attr(n, "auto_pad");

    if (nks == 0 && kh <= 0)
        return node_err(im, "attribute 'kernel_shape' is required");
    if (nks != 0 && nks != 2)
        return node_err(im, "attribute 'kernel_shape': %zu dimensions (2 are supported)", nks);
    if (nks == 2 && kh > 0 && (ks[0] != kh || ks[1] != kw))
        return node_err(im, "attribute 'kernel_shape' (%lldx%lld) does not match the weights' "
                            "kernel (%lldx%lld)", (long long)ks[0], (long long)ks[1],
                        (long long)kh, (long long)kw);
    if (nks == 2) {
        kh = ks[0];
        kw = ks[1];
    }
    if (kh < 1 || kw < 1 || kh > UINT32_MAX || kw > UINT32_MAX)
        return node_err(im, "bad kernel %lldx%lld", (long long)kh, (long long)kw);
    p->kernel_h = (uint32_t)kh;
    p->kernel_w = (uint32_t)kw;
    if (ap != NULL && ap->s.len > 0 &&
        !(ap->s.len == 6 && memcmp(ap->s.data, "NOTSET", 6) == 0) &&
        !(ap->s.len == 5 && memcmp(ap->s.data, "VALID", 5) == 0))
        return node_err(im, "unsupported attribute 'auto_pad' = '%.*s' (NOTSET or VALID with "
                            "explicit pads)", (int)ap->s.len, (const char *)ap->s.data);
    if (nst != 0 && (nst != 2 || st[0] != st[1] || st[0] < 1 || st[0] > UINT32_MAX))
        return node_err(im, "unsupported attribute 'strides': coinfer takes one stride for "
                            "both directions");
    p->stride = nst ? (uint32_t)st[0] : 1;
    if (npd != 0 && (npd != 4 || pd[0] != pd[1] || pd[0] != pd[2] || pd[0] != pd[3] ||
                     pd[0] < 0 || pd[0] > UINT32_MAX))
        return node_err(im, "unsupported attribute 'pads': coinfer pads every side alike");
    p->pad = npd ? (uint32_t)pd[0] : 0;
    for (size_t k = 0; k < ndl; k++) {
        if (dl[k] != 1)
            return node_err(im, "unsupported attribute 'dilations': only 1 (no dilation)");
    }
    return CORE_OK;
}

static enum core_rc op_conv(struct importer *im)
{
    static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                        "strides", NULL};
    struct value *x, *w, *b;
    struct nn_params p = {0};
    enum core_rc rc;
    int64_t groups;
    struct nn_shape s;
    int layer;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK ||
        (rc = input_const(im, 1, false, &w)) != CORE_OK ||
        (rc = input_const(im, 2, true, &b)) != CORE_OK)
        return rc;
    if (x->rank != 4)
        return node_err(im, "input '%s' has rank %u (Conv2d on (N, C, H, W) is supported)",
                        x->name, x->rank);
    if (w->c.rank != 4 || !w->c.is_float)
        return node_err(im, "weight '%s' must be float32 (K, C/groups, kh, kw)", w->name);
    groups = attr_int(im->node, "group", 1);
    s = tshape(im, x);
    if (groups < 1 || groups > s.c || w->c.dims[0] % groups != 0 ||
        (int64_t)s.c != w->c.dims[1] * groups)
        return node_err(im, "weight '%s' (%lld, %lld, ...) does not fit %u input channels in "
                            "%lld groups", w->name, (long long)w->c.dims[0],
                        (long long)w->c.dims[1], s.c, (long long)groups);
    if ((rc = window(im, &p, w->c.dims[2], w->c.dims[3])) != CORE_OK)
        return rc;
    p.out_channels = (uint32_t)w->c.dims[0];
    p.groups = (uint32_t)groups;
    p.bias = b != NULL;
    if (b != NULL && (rc = want_floats(im, b, "bias", p.out_channels)) != CORE_OK)
        return rc;
    if ((rc = add_layer(im, NN_OP_CONV2D, &p, &x->id, 1, w->name, NULL, &layer)) != CORE_OK ||
        (rc = add_src(im, layer, vindex(im, w), vindex(im, b), -1, -1, false)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, 4);
}

/* Gemm (alpha = beta = 1, A not transposed) and MatMul with constant B:
 * fc. */
static enum core_rc op_fc(struct importer *im, bool gemm)
{
    static const char *const known_gemm[] = {"alpha", "beta", "transA", "transB", NULL};
    static const char *const known_mm[] = {NULL};
    struct value *x, *w, *b = NULL;
    struct nn_params p = {0};
    bool trans_b;
    int64_t in, k;
    struct nn_shape s;
    enum core_rc rc;
    int layer;

    if ((rc = check_attrs(im, gemm ? known_gemm : known_mm)) != CORE_OK ||
        (rc = input_tensor(im, 0, &x)) != CORE_OK ||
        (rc = input_const(im, 1, false, &w)) != CORE_OK ||
        (gemm && (rc = input_const(im, 2, true, &b)) != CORE_OK))
        return rc;
    if (gemm && (attr_float(im->node, "alpha", 1.0f) != 1.0f ||
                 (b != NULL && attr_float(im->node, "beta", 1.0f) != 1.0f)))
        return node_err(im, "unsupported attribute 'alpha' or 'beta' (only 1)");
    if (gemm && attr_int(im->node, "transA", 0) != 0)
        return node_err(im, "unsupported attribute 'transA' (only 0)");
    trans_b = gemm && attr_int(im->node, "transB", 0) != 0;
    if (x->rank != 2)
        return node_err(im, "input '%s' has rank %u (a matrix product of (N, F) is supported: "
                            "flatten first)", x->name, x->rank);
    if (w->c.rank != 2 || !w->c.is_float)
        return node_err(im, "weight '%s' must be a float32 matrix", w->name);
    in = trans_b ? w->c.dims[1] : w->c.dims[0];
    k = trans_b ? w->c.dims[0] : w->c.dims[1];
    s = tshape(im, x);
    if (in != (int64_t)s.c * s.h * s.w || k < 1 || k > UINT32_MAX)
        return node_err(im, "weight '%s' (%lld x %lld) does not fit %llu input features",
                        w->name, (long long)w->c.dims[0], (long long)w->c.dims[1],
                        (unsigned long long)s.c * s.h * s.w);
    p.out_channels = (uint32_t)k;
    p.bias = b != NULL;
    if (b != NULL && (rc = want_floats(im, b, "bias", p.out_channels)) != CORE_OK)
        return rc;
    if ((rc = add_layer(im, NN_OP_FC, &p, &x->id, 1, w->name, NULL, &layer)) != CORE_OK ||
        (rc = add_src(im, layer, vindex(im, w), vindex(im, b), -1, -1, !trans_b)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, 2);
}

static enum core_rc op_batchnorm(struct importer *im)
{
    static const char *const known[] = {"epsilon", "momentum", "training_mode", "spatial", NULL};
    struct value *x, *c[4];
    struct nn_params p = {0};
    enum core_rc rc;
    struct nn_shape s;
    int layer;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK)
        return rc;
    if (attr_int(im->node, "training_mode", 0) != 0 || attr_int(im->node, "spatial", 1) != 1)
        return node_err(im, "unsupported attribute 'training_mode' or 'spatial' (inference "
                            "with running statistics only)");
    for (size_t k = 1; k < im->node->n_output; k++) {
        if (im->node->output[k][0] != '\0')
            return node_err(im, "only the first output is supported (inference)");
    }
    s = tshape(im, x);
    for (size_t k = 0; k < 4; k++) {
        static const char *const what[] = {"scale", "bias", "mean", "variance"};
        if ((rc = input_const(im, k + 1, false, &c[k])) != CORE_OK ||
            (rc = want_floats(im, c[k], what[k], s.c)) != CORE_OK)
            return rc;
    }
    p.eps = attr_float(im->node, "epsilon", 1e-5f);
    if (!(p.eps > 0.0f) || !isfinite(p.eps))
        return node_err(im, "attribute 'epsilon' must be positive");
    if ((rc = add_layer(im, NN_OP_BATCHNORM, &p, &x->id, 1, c[0]->name, NULL, &layer)) != CORE_OK ||
        (rc = add_src(im, layer, vindex(im, c[0]), vindex(im, c[1]), vindex(im, c[2]),
                      vindex(im, c[3]), false)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, x->rank);
}

/* One layer of op with no parameters on the node's first input. */
static enum core_rc op_unary(struct importer *im, enum nn_op op, const char *const *known)
{
    static const char *const none[] = {NULL};
    struct value *x;
    enum core_rc rc;
    int layer;

    if ((rc = check_attrs(im, known ? known : none)) != CORE_OK ||
        (rc = input_tensor(im, 0, &x)) != CORE_OK ||
        (rc = add_layer(im, op, NULL, &x->id, 1, NULL, NULL, &layer)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, op == NN_OP_FLATTEN ? 2 : x->rank);
}

/* The one node that reads value name, if exactly one node (and not the graph
 * output) does; its index in *at. */
static const Onnx__NodeProto *sole_reader(const struct importer *im, const char *name, size_t *at)
{
    const Onnx__GraphProto *g = im->model->graph;
    const Onnx__NodeProto *reader = NULL;

    for (size_t k = 0; k < g->n_output; k++) {
        if (strcmp(g->output[k]->name, name) == 0)
            return NULL;
    }
    for (size_t k = 0; k < g->n_node; k++) {
        for (size_t j = 0; j < g->node[k]->n_input; j++) {
            if (strcmp(g->node[k]->input[j], name) != 0)
                continue;
            if (reader != NULL)
                return NULL;
            reader = g->node[k];
            *at = k;
        }
    }
    return reader;
}

/* Sigmoid or HardSigmoid (op) of x whose output only a Mul by x reads
 * (x * sigmoid(x), x * hardsigmoid(x), as torch writes silu and, before
 * opset 14, hardswish): one layer of act (silu, hardswish), the Mul
 * recorded as done. *done false when the pattern is not there. */
static enum core_rc gated(struct importer *im, enum nn_op act, bool *done)
{
    const Onnx__NodeProto *n = im->node, *mul;
    struct value *x;
    size_t at = 0;
    enum core_rc rc;
    uint32_t rank;
    int layer;

    *done = false;
    if (n->n_input < 1 || n->n_output < 1 || n->output[0][0] == '\0')
        return CORE_OK;
    mul = sole_reader(im, n->output[0], &at);
    if (mul == NULL || at <= im->node_index || strcmp(mul->op_type, "Mul") != 0 ||
        (mul->domain != NULL && mul->domain[0] != '\0') || mul->n_input != 2 ||
        mul->n_output < 1 ||
        !((strcmp(mul->input[0], n->input[0]) == 0 && strcmp(mul->input[1], n->output[0]) == 0) ||
          (strcmp(mul->input[1], n->input[0]) == 0 && strcmp(mul->input[0], n->output[0]) == 0)))
        return CORE_OK;
    if ((rc = input_value(im, 0, false, &x)) != CORE_OK)
        return rc;
    if (x->kind != V_TENSOR)
        return CORE_OK;
    if (im->n_fused == im->cap_fused) {
        size_t cap = im->cap_fused ? 2 * im->cap_fused : 32;
        struct fused_mul *grown = core_realloc(im->fused, cap * sizeof(*grown));
        if (grown == NULL)
            return nomem(im);
        im->fused = grown;
        im->cap_fused = cap;
    }
    rank = x->rank;
    if ((rc = add_layer(im, act, NULL, &x->id, 1, NULL, NULL, &layer)) != CORE_OK ||
        (rc = set_output(im, 0, layer, rank)) != CORE_OK)
        return rc;
    im->fused[im->n_fused++] = (struct fused_mul){mul, layer, rank};
    *done = true;
    return CORE_OK;
}

/* A Mul gated() computed already: its output is the gate's layer. */
static bool fused_mul(struct importer *im, enum core_rc *rc)
{
    for (size_t k = 0; k < im->n_fused; k++) {
        if (im->fused[k].mul == im->node) {
            *rc = set_output(im, 0, im->fused[k].layer, im->fused[k].rank);
            return true;
        }
    }
    return false;
}

static enum core_rc op_sigmoid(struct importer *im)
{
    static const char *const none[] = {NULL};
    enum core_rc rc = check_attrs(im, none);
    bool done;

    if (rc == CORE_OK)
        rc = gated(im, NN_OP_SILU, &done);
    if (rc != CORE_OK || done)
        return rc;
    return op_unary(im, NN_OP_SIGMOID, none);
}

static enum core_rc op_hardsigmoid(struct importer *im)
{
    static const char *const known[] = {"alpha", "beta", NULL};
    const float alpha = attr_float(im->node, "alpha", 0.2f);
    const float beta = attr_float(im->node, "beta", 0.5f);
    enum core_rc rc = check_attrs(im, known);

    if (rc != CORE_OK)
        return rc;
    bool done;

    if (fabsf(alpha - 1.0f / 6.0f) > 1e-6f || fabsf(beta - 0.5f) > 1e-6f)
        return node_err(im, "unsupported attribute values alpha %g, beta %g (coinfer's "
                            "hardsigmoid is PyTorch's: alpha 1/6, beta 1/2)", alpha, beta);
    if ((rc = gated(im, NN_OP_HARDSWISH, &done)) != CORE_OK || done)
        return rc;
    return op_unary(im, NN_OP_HARDSIGMOID, known);
}

/* Clip to [0, 6] (relu6) or [0, inf) (relu). */
static enum core_rc op_clip(struct importer *im)
{
    static const char *const known[] = {NULL};
    struct value *lo, *hi;
    double min = -INFINITY, max = INFINITY;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK ||
        (rc = input_const(im, 1, true, &lo)) != CORE_OK ||
        (rc = input_const(im, 2, true, &hi)) != CORE_OK)
        return rc;
    if ((lo != NULL && lo->c.n != 1) || (hi != NULL && hi->c.n != 1))
        return node_err(im, "min and max must be scalars");
    if (lo != NULL)
        min = cval_at(&lo->c, 0);
    if (hi != NULL)
        max = cval_at(&hi->c, 0);
    if (min == 0.0 && max == 6.0)
        return op_unary(im, NN_OP_RELU6, known);
    if (min == 0.0 && isinf(max))
        return op_unary(im, NN_OP_RELU, known);
    return node_err(im, "unsupported bounds [%g, %g] (coinfer clips to [0, 6] as relu6 or "
                        "[0, inf) as relu)", min, max);
}

static enum core_rc op_pool(struct importer *im, enum nn_op op)
{
    static const char *const known_max[] = {"auto_pad", "ceil_mode", "dilations", "kernel_shape",
                                            "pads", "storage_order", "strides", NULL};
    static const char *const known_avg[] = {"auto_pad", "ceil_mode", "count_include_pad",
                                            "kernel_shape", "pads", "strides", NULL};
    struct value *x;
    struct nn_params p = {0};
    enum core_rc rc;
    int layer;

    if ((rc = check_attrs(im, op == NN_OP_MAXPOOL ? known_max : known_avg)) != CORE_OK ||
        (rc = input_tensor(im, 0, &x)) != CORE_OK || (rc = window(im, &p, 0, 0)) != CORE_OK)
        return rc;
    if (x->rank != 4)
        return node_err(im, "input '%s' has rank %u ((N, C, H, W) is supported)", x->name,
                        x->rank);
    if (im->node->n_output > 1 && im->node->output[1][0] != '\0')
        return node_err(im, "the indices output is not supported");
    if (attr_int(im->node, "storage_order", 0) != 0)
        return node_err(im, "unsupported attribute 'storage_order' (only 0)");
    p.ceil = attr_int(im->node, "ceil_mode", 0) != 0;
    if (op == NN_OP_AVGPOOL && p.ceil)
        return node_err(im, "unsupported attribute 'ceil_mode' = 1 for AveragePool");
    if (op == NN_OP_AVGPOOL && p.pad > 0 && attr_int(im->node, "count_include_pad", 0) == 0)
        return node_err(im, "unsupported attribute 'count_include_pad' = 0 with padding "
                            "(coinfer's avgpool divides by the whole window)");
    if ((rc = add_layer(im, op, &p, &x->id, 1, NULL, NULL, &layer)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, 4);
}

/* ReduceMean over H and W: gap. */
static enum core_rc op_reducemean(struct importer *im)
{
    static const char *const known[] = {"axes", "keepdims", NULL};
    const int64_t *ax;
    size_t n = attr_ints(im->node, "axes", &ax);
    struct value *x;
    enum core_rc rc;
    int layer;
    bool h = false, w = false;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK)
        return rc;
    for (size_t k = 0; k < n && x->rank == 4; k++) {
        const int64_t a = norm_axis(ax[k], 4);
        h |= a == 2;
        w |= a == 3;
        if (a != 2 && a != 3)
            h = w = false, k = n;
    }
    if (x->rank != 4 || n != 2 || !h || !w)
        return node_err(im, "only the mean over H and W (axes 2 and 3) of (N, C, H, W) is "
                            "supported");
    if ((rc = add_layer(im, NN_OP_GAP, NULL, &x->id, 1, NULL, NULL, &layer)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, attr_int(im->node, "keepdims", 1) ? 4 : 2);
}

/* Add, Mul, Sub, Div: of constants, evaluated; Add and Mul of tensors,
 * layers. */
static enum core_rc op_arith(struct importer *im, char op)
{
    static const char *const known[] = {NULL};
    struct value *in[NN_MAX_INPUTS];
    size_t n = im->node->n_input, consts = 0;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK)
        return rc;
    if (n != 2)
        return node_err(im, "%zu inputs (2 are supported)", n);
    for (size_t k = 0; k < n; k++) {
        if ((rc = input_value(im, k, false, &in[k])) != CORE_OK)
            return rc;
        consts += in[k]->kind == V_CONST;
    }
    if (consts == n) { /* constant arithmetic, a scalar broadcast */
        /* copies: new values move the table (the data blocks stay) */
        const struct cval ca = in[0]->c, cb = in[1]->c, *a = &ca, *b = &cb;
        const size_t len = a->n > b->n ? a->n : b->n;
        const uint32_t rank = a->rank > b->rank ? a->rank : b->rank;

        if ((a->n != len && a->n != 1) || (b->n != len && b->n != 1) || rank > 1)
            return node_err(im, "constant operands of shapes that do not broadcast (only "
                                "vectors and scalars are evaluated)");
        if (a->is_float || b->is_float) {
            double *r = core_malloc((len + 1) * sizeof(*r));
            if (r == NULL)
                return nomem(im);
            for (size_t k = 0; k < len; k++) {
                const double x = cval_at(a, a->n == 1 ? 0 : k), y = cval_at(b, b->n == 1 ? 0 : k);
                r[k] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
            }
            rc = new_float_const(im, im->node->output[0], r, len, rank);
            core_free(r);
            return rc;
        }
        int64_t *r;
        if ((rc = new_int_const(im, im->node->output[0], len, rank, &r)) != CORE_OK)
            return rc;
        for (size_t k = 0; k < len; k++) {
            const int64_t x = a->i[a->n == 1 ? 0 : k], y = b->i[b->n == 1 ? 0 : k];
            if (op == '/' && y == 0)
                return node_err(im, "integer division by zero");
            r[k] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
        }
        return CORE_OK;
    }
    if (consts != 0 || (op != '+' && op != '*'))
        return node_err(im, "an operand is a constant: only %s of two computed tensors is "
                            "supported", op == '+' ? "the sum" : op == '*' ? "the product"
                                                                           : "none");
    for (size_t k = 0; k < n; k++) {
        if (in[k]->kind != V_TENSOR)
            return node_err(im, "input '%s' is half of a channel shuffle", in[k]->name);
    }
    {
        const struct nn_shape s0 = tshape(im, in[0]), s1 = tshape(im, in[1]);
        int ids[2] = {in[0]->id, in[1]->id};
        const uint32_t rank = in[0]->rank > in[1]->rank ? in[0]->rank : in[1]->rank;
        int layer;

        if (op == '*' && s0.h * s0.w == 1 && s1.h * s1.w > 1) { /* the broadcast one second */
            ids[0] = in[1]->id;
            ids[1] = in[0]->id;
        }
        if ((s0.c != s1.c || s0.n != s1.n) ||
            (op == '+' && (s0.h != s1.h || s0.w != s1.w)))
            return node_err(im, "operands of shapes (%u, %u, %u, %u) and (%u, %u, %u, %u) "
                                "(equal shapes%s are supported)", s0.n, s0.c, s0.h, s0.w,
                            s1.n, s1.c, s1.h, s1.w,
                            op == '*' ? ", or (N, C, 1, 1) times (N, C, H, W)," : "");
        if ((rc = add_layer(im, op == '+' ? NN_OP_ADD : NN_OP_MUL, NULL, ids, 2, NULL, NULL,
                            &layer)) != CORE_OK)
            return rc;
        return set_output(im, 0, layer, rank);
    }
}

static enum core_rc op_concat(struct importer *im)
{
    static const char *const known[] = {"axis", NULL};
    struct value *in[NN_MAX_INPUTS];
    const size_t n = im->node->n_input;
    size_t consts = 0, total = 0;
    const Onnx__AttributeProto *a = attr(im->node, "axis");
    enum core_rc rc;
    int ids[NN_MAX_INPUTS], layer;

    if ((rc = check_attrs(im, known)) != CORE_OK)
        return rc;
    if (a == NULL || !a->has_i)
        return node_err(im, "attribute 'axis' is required");
    if (n < 1 || n > NN_MAX_INPUTS)
        return node_err(im, "%zu inputs (1 to %d are supported)", n, NN_MAX_INPUTS);
    for (size_t k = 0; k < n; k++) {
        if ((rc = input_value(im, k, false, &in[k])) != CORE_OK)
            return rc;
        consts += in[k]->kind == V_CONST;
        total += in[k]->kind == V_CONST ? in[k]->c.n : 0;
    }
    if (consts == n) { /* shape vectors */
        struct cval c[NN_MAX_INPUTS]; /* copies: new_int_const moves the table */
        int64_t *r;
        size_t at = 0;
        for (size_t k = 0; k < n; k++) {
            if (in[k]->c.is_float || in[k]->c.rank > 1)
                return node_err(im, "only integer vectors are concatenated as constants");
            c[k] = in[k]->c;
        }
        if ((rc = new_int_const(im, im->node->output[0], total, 1, &r)) != CORE_OK)
            return rc;
        for (size_t k = 0; k < n; k++) {
            memcpy(r + at, c[k].i, c[k].n * sizeof(*r));
            at += c[k].n;
        }
        return CORE_OK;
    }
    for (size_t k = 0; k < n; k++) {
        if (in[k]->kind != V_TENSOR)
            return node_err(im, "input '%s' is not a computed tensor", in[k]->name);
        if (norm_axis(a->i, in[k]->rank) != 1)
            return node_err(im, "unsupported attribute 'axis' = %lld (the channel axis, 1, is "
                                "supported)", (long long)a->i);
        ids[k] = in[k]->id;
    }
    if ((rc = add_layer(im, NN_OP_CONCAT, NULL, ids, n, NULL, NULL, &layer)) != CORE_OK)
        return rc;
    return set_output(im, 0, layer, in[0]->rank);
}

/* Channels offset .. offset + count - 1 of x as output k: a slice layer. */
static enum core_rc slice_out(struct importer *im, int id, uint32_t rank, uint32_t offset,
                              uint32_t count, size_t k, bool suffix)
{
    struct nn_params p = {0};
    char sfx[24];
    enum core_rc rc;
    int layer;

    p.out_channels = count;
    p.offset = offset;
    snprintf(sfx, sizeof(sfx), ".%zu", k);
    if ((rc = add_layer(im, NN_OP_SLICE, &p, &id, 1, NULL, suffix ? sfx : NULL, &layer)) !=
        CORE_OK)
        return rc;
    return set_output(im, k, layer, rank);
}

static enum core_rc op_split(struct importer *im)
{
    static const char *const known[] = {"axis", "split", NULL};
    const size_t outs = im->node->n_output;
    const int64_t *sizes;
    size_t n_sizes = attr_ints(im->node, "split", &sizes);
    struct value *x, *sv = NULL;
    struct nn_shape s;
    int id;
    uint32_t rank;
    int64_t at = 0;
    int64_t *own = NULL;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK ||
        (rc = input_const(im, 1, true, &sv)) != CORE_OK)
        return rc;
    if (norm_axis(attr_int(im->node, "axis", 0), x->rank) != 1)
        return node_err(im, "unsupported attribute 'axis' (the channel axis, 1, is supported)");
    s = tshape(im, x);
    id = x->id; /* x lives in the table each output moves */
    rank = x->rank;
    if (sv != NULL) {
        if (sv->c.is_float)
            return node_err(im, "split sizes must be integers");
        sizes = sv->c.i;
        n_sizes = sv->c.n;
    }
    if (n_sizes == 0) { /* equal parts */
        if (outs == 0 || s.c % outs != 0)
            return node_err(im, "%u channels do not split into %zu equal parts", s.c, outs);
        own = core_malloc(outs * sizeof(*own));
        if (own == NULL)
            return nomem(im);
        for (size_t k = 0; k < outs; k++)
            own[k] = s.c / (int64_t)outs;
        sizes = own;
        n_sizes = outs;
    }
    rc = CORE_OK;
    if (n_sizes != outs)
        rc = node_err(im, "%zu split sizes for %zu outputs", n_sizes, outs);
    for (size_t k = 0; k < n_sizes && rc == CORE_OK; k++) {
        if (sizes[k] < 1 || at + sizes[k] > (int64_t)s.c)
            rc = node_err(im, "split sizes do not fit %u channels", s.c);
        else if (im->node->output[k][0] != '\0')
            rc = slice_out(im, id, rank, (uint32_t)at, (uint32_t)sizes[k], k, true);
        at += sizes[k];
    }
    if (rc == CORE_OK && at != (int64_t)s.c)
        rc = node_err(im, "split sizes add up to %lld, not %u channels", (long long)at, s.c);
    core_free(own);
    return rc;
}

/* Slice on the channel axis with step 1 (x[:, a:b], as torch.chunk exports). */
static enum core_rc op_slice(struct importer *im)
{
    static const char *const known[] = {NULL};
    struct value *x, *st, *en, *ax, *sp;
    struct nn_shape s;
    int64_t a, b;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK ||
        (rc = input_const(im, 1, false, &st)) != CORE_OK ||
        (rc = input_const(im, 2, false, &en)) != CORE_OK ||
        (rc = input_const(im, 3, true, &ax)) != CORE_OK ||
        (rc = input_const(im, 4, true, &sp)) != CORE_OK)
        return rc;
    if (st->c.n != 1 || en->c.n != 1 || st->c.is_float || en->c.is_float ||
        (ax != NULL && (ax->c.n != 1 || ax->c.is_float || norm_axis(ax->c.i[0], x->rank) != 1)) ||
        ax == NULL || (sp != NULL && (sp->c.n != 1 || cval_at(&sp->c, 0) != 1)))
        return node_err(im, "only a slice of the channel axis (1) with step 1 is supported");
    s = tshape(im, x);
    a = st->c.i[0];
    b = en->c.i[0];
    if (a < 0)
        a += s.c;
    if (b < 0)
        b += s.c;
    if (b > (int64_t)s.c)
        b = s.c;
    if (a < 0 || a >= b)
        return node_err(im, "an empty slice of %u channels", s.c);
    return slice_out(im, x->id, x->rank, (uint32_t)a, (uint32_t)(b - a), 0, false);
}

/* Flatten at axis 1. */
static enum core_rc op_flatten(struct importer *im)
{
    static const char *const known[] = {"axis", NULL};
    struct value *x;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK)
        return rc;
    if (norm_axis(attr_int(im->node, "axis", 1), x->rank) != 1)
        return node_err(im, "unsupported attribute 'axis' (1, to (N, C*H*W), is supported)");
    if (x->rank == 2)
        return set_output(im, 0, x->id, 2); /* already (N, F) */
    return op_unary(im, NN_OP_FLATTEN, known);
}

/* Reshape: to (N, -1) a flatten; to (N, g, C/g, H, W) and back the two ends
 * of a channel shuffle; to the same shape nothing. */
static enum core_rc op_reshape(struct importer *im)
{
    static const char *const known[] = {"allowzero", NULL};
    struct value *x, *t, *out;
    int64_t d[4] = {0}, want[MAX_DIMS];
    int64_t total = 1, known_prod = 1;
    size_t n, minus = SIZE_MAX;
    uint32_t rank;
    struct nn_shape s;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_value(im, 0, false, &x)) != CORE_OK ||
        (rc = input_const(im, 1, false, &t)) != CORE_OK)
        return rc;
    if (x->kind == V_CONST)
        return node_err(im, "reshaping a constant is not supported");
    if (t->c.is_float || t->c.n > MAX_DIMS || t->c.n == 0)
        return node_err(im, "the target shape must be 1 to %d integers", MAX_DIMS);
    s = nn_model_shape(im->m, x->id);
    if (x->kind == V_TENSOR) {
        tdims(im, x, d);
        rank = x->rank;
    } else { /* (N, g, C/g, H, W) or (N, C/g, g, H, W) */
        rank = 5;
    }
    total = (int64_t)s.n * s.c * s.h * s.w;
    n = t->c.n;
    for (size_t k = 0; k < n; k++) {
        int64_t v = t->c.i[k];
        if (v == 0 && attr_int(im->node, "allowzero", 0) == 0) {
            if (k >= rank || rank == 5)
                return node_err(im, "a 0 in the target shape with no dimension to copy");
            v = d[k];
        }
        if (v == -1) {
            if (minus != SIZE_MAX)
                return node_err(im, "two -1 in the target shape");
            minus = k;
        } else if (v < 1) {
            return node_err(im, "bad target dimension %lld", (long long)t->c.i[k]);
        } else if (known_prod > total / v) {
            /* every dimension is >= 1: a product past total cannot fit, and
             * is checked before it is taken, so that it cannot overflow */
            return node_err(im, "target shape does not fit %lld elements", (long long)total);
        } else {
            known_prod *= v;
        }
        want[k] = v;
    }
    if (minus != SIZE_MAX) {
        if (total % known_prod != 0)
            return node_err(im, "target shape does not fit %lld elements", (long long)total);
        want[minus] = total / known_prod;
    } else if (known_prod != total) {
        return node_err(im, "target shape holds %lld elements, the input %lld",
                        (long long)known_prod, (long long)total);
    }
    if (x->kind == V_TENSOR && n == 2 && want[0] == s.n) { /* (N, -1): flatten */
        if (x->rank == 2)
            return set_output(im, 0, x->id, 2);
        int layer;
        if ((rc = add_layer(im, NN_OP_FLATTEN, NULL, &x->id, 1, NULL, NULL, &layer)) != CORE_OK)
            return rc;
        return set_output(im, 0, layer, 2);
    }
    if (x->kind == V_TENSOR && n == 4 && x->rank == 4 && want[0] == d[0] && want[1] == d[1] &&
        want[2] == d[2] && want[3] == d[3])
        return set_output(im, 0, x->id, 4); /* the same shape */
    if (x->kind == V_TENSOR && x->rank == 4 && n == 5 && want[0] == s.n &&
        want[1] * want[2] == s.c && want[3] == s.h && want[4] == s.w && want[1] > 1 &&
        want[2] > 1) {
        out = new_value(im, im->node->output[0], V_VIEW5);
        if (out == NULL)
            return CORE_E_NOMEM;
        out->id = x->id;
        out->groups = (uint32_t)want[1];
        return CORE_OK;
    }
    if (x->kind == V_SHUF5 && n == 4 && want[0] == s.n && want[1] == s.c && want[2] == s.h &&
        want[3] == s.w) {
        struct nn_params p = {0};
        int layer, id = x->id;

        p.groups = x->groups;
        if ((rc = add_layer(im, NN_OP_SHUFFLE, &p, &id, 1, NULL, NULL, &layer)) != CORE_OK)
            return rc;
        return set_output(im, 0, layer, 4);
    }
    return node_err(im, "unsupported reshape (to (N, -1), and the views of a channel shuffle, "
                        "x.view(N, g, C/g, H, W).transpose(1, 2).reshape(N, C, H, W), are "
                        "supported)");
}

/* Transpose: the middle of a channel shuffle only. */
static enum core_rc op_transpose(struct importer *im)
{
    static const char *const known[] = {"perm", NULL};
    static const int64_t shuffle[] = {0, 2, 1, 3, 4};
    const int64_t *perm;
    size_t n = attr_ints(im->node, "perm", &perm);
    struct value *x, *out;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_value(im, 0, false, &x)) != CORE_OK)
        return rc;
    if (x->kind != V_VIEW5 || n != 5 || memcmp(perm, shuffle, sizeof(shuffle)) != 0)
        return node_err(im, "only the transpose of a channel shuffle (perm 0 2 1 3 4 of "
                            "x.view(N, g, C/g, H, W)) is supported");
    out = new_value(im, im->node->output[0], V_SHUF5);
    if (out == NULL)
        return CORE_E_NOMEM;
    out->id = x->id;
    out->groups = x->groups;
    return CORE_OK;
}

static enum core_rc op_softmax(struct importer *im)
{
    static const char *const known[] = {"axis", NULL};
    struct value *x;
    struct nn_shape s;
    int64_t axis;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK)
        return rc;
    s = tshape(im, x);
    axis = norm_axis(attr_int(im->node, "axis", im->opset >= 13 ? -1 : 1), x->rank);
    /* coinfer's softmax runs over each item's C*H*W values: ONNX's before
     * opset 13 at axis 1, and at any opset over the last axis of (N, F). */
    if (!(axis == 1 && (im->opset < 13 || x->rank == 2 || s.h * s.w == 1)))
        return node_err(im, "unsupported attribute 'axis' (a softmax over each item's features, "
                            "axis 1 of (N, F), is supported)");
    return op_unary(im, NN_OP_SOFTMAX, known);
}

/* Dropout and Identity: the output is the input. */
static enum core_rc op_identity(struct importer *im)
{
    static const char *const known[] = {"ratio", "seed", NULL};
    struct value *x, *v;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_value(im, 0, false, &x)) != CORE_OK)
        return rc;
    if (im->node->n_output > 1 && im->node->output[1][0] != '\0')
        return node_err(im, "the mask output is not supported (inference)");
    if (im->node->n_output < 1 || im->node->output[0][0] == '\0')
        return node_err(im, "output 1 is missing");
    if (x->kind == V_CONST)
        return alias_const(im, im->node->output[0], &x->c);
    v = new_value(im, im->node->output[0], x->kind);
    if (v == NULL)
        return CORE_E_NOMEM;
    x = find(im, im->node->input[0]); /* new_value may have moved the table */
    *v = *x;
    v->name = im->node->output[0];
    return CORE_OK;
}

/* Pad that pads nothing (torch writes one before an AveragePool at opset
 * 11): the output is the input. */
static enum core_rc op_pad(struct importer *im)
{
    static const char *const known[] = {"mode", "pads", "value", NULL};
    struct value *x, *pads;
    const int64_t *pa;
    size_t n = attr_ints(im->node, "pads", &pa);
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK ||
        (rc = input_const(im, 1, true, &pads)) != CORE_OK)
        return rc;
    if (pads != NULL && pads->c.is_float)
        return node_err(im, "pads must be integers");
    if (pads != NULL) {
        pa = pads->c.i;
        n = pads->c.n;
    }
    for (size_t k = 0; k < n; k++) {
        if (pa[k] != 0)
            return node_err(im, "a Pad that pads is not supported (padding belongs to the Conv "
                                "or pooling node)");
    }
    return set_output(im, 0, x->id, x->rank); /* whatever its mode: nothing added */
}

/* ---- constant evaluation: what exporters compute shapes with ---- */

static enum core_rc op_constant(struct importer *im)
{
    static const char *const known[] = {"value", "value_int", "value_ints", "value_float",
                                        "value_floats", NULL};
    const Onnx__AttributeProto *a;
    struct cval c;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK)
        return rc;
    if (im->node->n_attribute != 1)
        return node_err(im, "exactly one value attribute expected");
    a = im->node->attribute[0];
    if (strcmp(a->name, "value") == 0) {
        if (a->t == NULL)
            return node_err(im, "attribute 'value' holds no tensor");
        if ((rc = read_tensor(im, a->t, &c)) != CORE_OK)
            return rc;
        rc = alias_const(im, im->node->output[0], &c);
        core_free(c.owned);
        return rc;
    }
    if (strcmp(a->name, "value_int") == 0 || strcmp(a->name, "value_ints") == 0) {
        const bool one = strcmp(a->name, "value_int") == 0;
        int64_t *r;
        if ((rc = new_int_const(im, im->node->output[0], one ? 1 : a->n_ints, one ? 0 : 1, &r)) !=
            CORE_OK)
            return rc;
        if (one)
            r[0] = a->i;
        else
            memcpy(r, a->ints, a->n_ints * sizeof(*r));
        return CORE_OK;
    }
    {
        const bool one = strcmp(a->name, "value_float") == 0;
        const size_t n = one ? 1 : a->n_floats;
        double *x = core_malloc((n + 1) * sizeof(*x));
        if (x == NULL)
            return nomem(im);
        for (size_t k = 0; k < n; k++)
            x[k] = one ? a->f : a->floats[k];
        rc = new_float_const(im, im->node->output[0], x, n, one ? 0 : 1);
        core_free(x);
        return rc;
    }
}

static enum core_rc op_shape(struct importer *im)
{
    static const char *const known[] = {NULL};
    struct value *x;
    int64_t d[4], *r;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_tensor(im, 0, &x)) != CORE_OK)
        return rc;
    tdims(im, x, d);
    if ((rc = new_int_const(im, im->node->output[0], x->rank, 1, &r)) != CORE_OK)
        return rc;
    memcpy(r, d, x->rank * sizeof(*r));
    return CORE_OK;
}

/* Gather on axis 0 of an integer vector. */
static enum core_rc op_gather(struct importer *im)
{
    static const char *const known[] = {"axis", NULL};
    struct value *x, *idx;
    int64_t *r;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK || (rc = input_const(im, 0, false, &x)) != CORE_OK ||
        (rc = input_const(im, 1, false, &idx)) != CORE_OK)
        return rc;
    if (attr_int(im->node, "axis", 0) != 0 || x->c.is_float || x->c.rank != 1 || idx->c.is_float ||
        idx->c.rank > 1)
        return node_err(im, "only gathering from an integer vector (shape arithmetic) is "
                            "supported");
    if ((rc = new_int_const(im, im->node->output[0], idx->c.n, idx->c.rank, &r)) != CORE_OK)
        return rc;
    /* new_int_const may have moved the table: look the inputs up again */
    x = find(im, im->node->input[0]);
    idx = find(im, im->node->input[1]);
    for (size_t k = 0; k < idx->c.n; k++) {
        int64_t j = idx->c.i[k];
        if (j < 0)
            j += (int64_t)x->c.n;
        if (j < 0 || j >= (int64_t)x->c.n)
            return node_err(im, "index %lld out of range", (long long)idx->c.i[k]);
        r[k] = x->c.i[j];
    }
    return CORE_OK;
}

/* Unsqueeze, Squeeze, Cast of a constant: the same values. */
static enum core_rc op_const_view(struct importer *im, const char *what)
{
    static const char *const known[] = {"axes", "to", NULL};
    struct value *x;
    struct cval c;
    enum core_rc rc;

    if ((rc = check_attrs(im, known)) != CORE_OK)
        return rc;
    if ((rc = input_value(im, 0, false, &x)) != CORE_OK)
        return rc;
    if (x->kind != V_CONST)
        return node_err(im, "%s of a computed tensor is not supported (only of constants)", what);
    c = x->c;
    if (strcmp(what, "Cast") == 0) {
        const int64_t to = attr_int(im->node, "to", 0);
        if (to == DT_FLOAT || to == DT_DOUBLE) {
            double *v = core_malloc((c.n + 1) * sizeof(*v));
            if (v == NULL)
                return nomem(im);
            for (size_t k = 0; k < c.n; k++)
                v[k] = cval_at(&c, k);
            rc = new_float_const(im, im->node->output[0], v, c.n, c.rank > 1 ? 1 : c.rank);
            core_free(v);
            return rc;
        }
        if (to == DT_INT32 || to == DT_INT64) {
            int64_t *r;
            if ((rc = new_int_const(im, im->node->output[0], c.n, c.rank > 1 ? 1 : c.rank, &r)) !=
                CORE_OK)
                return rc;
            x = find(im, im->node->input[0]);
            for (size_t k = 0; k < c.n; k++)
                r[k] = (int64_t)cval_at(&x->c, k);
            return CORE_OK;
        }
        return node_err(im, "cast to ONNX type %lld is not supported", (long long)to);
    }
    c.rank = c.n == 1 && strcmp(what, "Squeeze") == 0 ? 0 : 1;
    c.dims[0] = (int64_t)c.n;
    return alias_const(im, im->node->output[0], &c);
}

/* ------------------------------------------------------------------------ */
/* The graph                                                                  */
/* ------------------------------------------------------------------------ */

static enum core_rc convert_node(struct importer *im)
{
    static const char *const none[] = {NULL};
    const char *op = im->node->op_type;

    if (im->node->domain != NULL && im->node->domain[0] != '\0' &&
        strcmp(im->node->domain, "ai.onnx") != 0)
        return node_err(im, "operator of domain '%s' is not supported", im->node->domain);
    if (strcmp(op, "Conv") == 0)
        return op_conv(im);
    if (strcmp(op, "Gemm") == 0)
        return op_fc(im, true);
    if (strcmp(op, "MatMul") == 0)
        return op_fc(im, false);
    if (strcmp(op, "BatchNormalization") == 0)
        return op_batchnorm(im);
    if (strcmp(op, "Relu") == 0)
        return op_unary(im, NN_OP_RELU, none);
    if (strcmp(op, "Sigmoid") == 0)
        return op_sigmoid(im);
    if (strcmp(op, "HardSwish") == 0)
        return op_unary(im, NN_OP_HARDSWISH, none);
    if (strcmp(op, "HardSigmoid") == 0)
        return op_hardsigmoid(im);
    if (strcmp(op, "Clip") == 0)
        return op_clip(im);
    if (strcmp(op, "MaxPool") == 0)
        return op_pool(im, NN_OP_MAXPOOL);
    if (strcmp(op, "AveragePool") == 0)
        return op_pool(im, NN_OP_AVGPOOL);
    if (strcmp(op, "GlobalAveragePool") == 0)
        return op_unary(im, NN_OP_GAP, none);
    if (strcmp(op, "ReduceMean") == 0)
        return op_reducemean(im);
    if (strcmp(op, "Add") == 0)
        return op_arith(im, '+');
    if (strcmp(op, "Sub") == 0)
        return op_arith(im, '-');
    if (strcmp(op, "Mul") == 0) {
        enum core_rc rc;
        return fused_mul(im, &rc) ? rc : op_arith(im, '*');
    }
    if (strcmp(op, "Div") == 0)
        return op_arith(im, '/');
    if (strcmp(op, "Concat") == 0)
        return op_concat(im);
    if (strcmp(op, "Split") == 0)
        return op_split(im);
    if (strcmp(op, "Slice") == 0)
        return op_slice(im);
    if (strcmp(op, "Flatten") == 0)
        return op_flatten(im);
    if (strcmp(op, "Reshape") == 0)
        return op_reshape(im);
    if (strcmp(op, "Transpose") == 0)
        return op_transpose(im);
    if (strcmp(op, "Softmax") == 0)
        return op_softmax(im);
    if (strcmp(op, "Dropout") == 0 || strcmp(op, "Identity") == 0)
        return op_identity(im);
    if (strcmp(op, "Pad") == 0)
        return op_pad(im);
    if (strcmp(op, "Constant") == 0)
        return op_constant(im);
    if (strcmp(op, "Shape") == 0)
        return op_shape(im);
    if (strcmp(op, "Gather") == 0)
        return op_gather(im);
    if (strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0 || strcmp(op, "Cast") == 0)
        return op_const_view(im, op);
    return node_err(im, "unsupported operator");
}

/* The file at path, unpacked into im->model. */
static enum core_rc read_file(struct importer *im)
{
    FILE *f = NULL;
    unsigned char *buf;
    uint64_t size64 = 0;
    long size;
    enum core_rc rc;

    /* a regular file of at most protobuf's own limit, never a FIFO's wait */
    rc = core_file_open(im->path, "model file (ONNX)", (uint64_t)ONNX_FILE_MAX, &f, &size64, im->e);
    if (rc != CORE_OK)
        return rc;
    size = (long)size64;
    if (size == 0) {
        fclose(f);
        return core_err(im->e, CORE_E_INPUT, "%s: empty file", im->path);
    }
    buf = core_malloc((size_t)size);
    if (buf == NULL) {
        fclose(f);
        return nomem(im);
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        core_free(buf);
        fclose(f);
        return core_err(im->e, CORE_E_IO, "%s: read error", im->path);
    }
    fclose(f);
    im->model = onnx__model_proto__unpack(NULL, (size_t)size, buf);
    core_free(buf);
    if (im->model == NULL || im->model->graph == NULL)
        return core_err(im->e, CORE_E_INPUT, "%s: not an ONNX model (protobuf ModelProto with a "
                        "graph)", im->path);
    return CORE_OK;
}

/* ONNX requires these names, but protobuf leaves a missing string NULL:
 * every node's op_type and attribute names, every initializer's and graph
 * input's and output's name. A file without one is refused here, so that
 * no later step reads a NULL name; so is a node without an output (every
 * operator has one), whose first output every op names its result by. */
static enum core_rc check_names(struct importer *im)
{
    const Onnx__GraphProto *g = im->model->graph;

    for (size_t k = 0; k < g->n_node; k++) {
        const Onnx__NodeProto *n = g->node[k];
        if (n->op_type == NULL)
            return core_err(im->e, CORE_E_INPUT, "%s: node %zu has no op_type", im->path, k);
        if (n->n_output < 1)
            return core_err(im->e, CORE_E_INPUT, "%s: node %zu (%s) has no output", im->path, k,
                            n->op_type);
        for (size_t j = 0; j < n->n_attribute; j++)
            if (n->attribute[j]->name == NULL)
                return core_err(im->e, CORE_E_INPUT, "%s: node %zu (%s): attribute %zu has no "
                                "name", im->path, k, n->op_type, j);
    }
    for (size_t k = 0; k < g->n_initializer; k++)
        if (g->initializer[k]->name == NULL)
            return core_err(im->e, CORE_E_INPUT, "%s: initializer %zu has no name", im->path, k);
    for (size_t k = 0; k < g->n_input; k++)
        if (g->input[k]->name == NULL)
            return core_err(im->e, CORE_E_INPUT, "%s: graph input %zu has no name", im->path, k);
    for (size_t k = 0; k < g->n_output; k++)
        if (g->output[k]->name == NULL)
            return core_err(im->e, CORE_E_INPUT, "%s: graph output %zu has no name", im->path, k);
    return CORE_OK;
}

/* The default domain's opset, checked. */
static enum core_rc read_opset(struct importer *im)
{
    im->opset = -1;
    for (size_t k = 0; k < im->model->n_opset_import; k++) {
        const Onnx__OperatorSetIdProto *o = im->model->opset_import[k];
        if (o->domain == NULL || o->domain[0] == '\0' || strcmp(o->domain, "ai.onnx") == 0)
            im->opset = o->version;
    }
    if (im->opset < OPSET_MIN || im->opset > OPSET_MAX)
        return core_err(im->e, CORE_E_INPUT, "%s: opset %lld of the default domain (%d to %d "
                        "are supported)", im->path, (long long)im->opset, OPSET_MIN, OPSET_MAX);
    return CORE_OK;
}

/* Initializers as constants; the one graph input that is not one as the
 * model input; the model created. */
static enum core_rc read_inputs(struct importer *im)
{
    const Onnx__GraphProto *g = im->model->graph;
    const Onnx__ValueInfoProto *in = NULL;
    struct nn_shape s = {1, 1, 1, 1};
    uint32_t rank;
    struct core_err why;
    enum core_rc rc;
    struct value *v;

    for (size_t k = 0; k < g->n_initializer; k++) {
        struct cval c;
        if ((rc = read_tensor(im, g->initializer[k], &c)) != CORE_OK)
            return rc;
        v = new_value(im, g->initializer[k]->name, V_CONST);
        if (v == NULL) {
            core_free(c.owned);
            return CORE_E_NOMEM;
        }
        v->c = c;
    }
    for (size_t k = 0; k < g->n_input; k++) {
        if (find(im, g->input[k]->name) != NULL)
            continue; /* an initializer listed as an input (older exporters) */
        if (in != NULL)
            return core_err(im->e, CORE_E_INPUT, "%s: the graph has several inputs ('%s', '%s'; "
                            "one is supported)", im->path, in->name, g->input[k]->name);
        in = g->input[k];
    }
    if (in == NULL)
        return core_err(im->e, CORE_E_INPUT, "%s: the graph has no input", im->path);
    if (in->type == NULL || in->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        in->type->tensor_type == NULL ||
        in->type->tensor_type->elem_type != DT_FLOAT || in->type->tensor_type->shape == NULL)
        return core_err(im->e, CORE_E_INPUT, "%s: graph input '%s' is not a float32 tensor of "
                        "known shape", im->path, in->name);
    rank = (uint32_t)in->type->tensor_type->shape->n_dim;
    if (rank != 4 && rank != 2)
        return core_err(im->e, CORE_E_INPUT, "%s: graph input '%s' has rank %u ((N, C, H, W) or "
                        "(N, F) is supported)", im->path, in->name, rank);
    for (uint32_t k = 0; k < rank; k++) {
        const Onnx__TensorShapeProto__Dimension *d = in->type->tensor_type->shape->dim[k];
        int64_t x = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                        ? d->dim_value : -1;
        uint32_t *dst = k == 0 ? &s.n : k == 1 ? &s.c : k == 2 ? &s.h : &s.w;
        if (x < 0 && k == 0)
            x = 1; /* a symbolic batch: one item */
        if (x < 1 || x > UINT32_MAX)
            return core_err(im->e, CORE_E_INPUT, "%s: graph input '%s': dimension %u is not a "
                            "known positive size", im->path, in->name, k);
        *dst = (uint32_t)x;
    }
    core_err_clear(&why);
    if (nn_model_create(&s, &im->m, &why) != CORE_OK)
        return core_err(im->e, why.rc, "%s: %s", im->path, why.msg);
    v = new_value(im, in->name, V_TENSOR);
    if (v == NULL)
        return CORE_E_NOMEM;
    v->id = NN_INPUT;
    v->rank = rank;
    return CORE_OK;
}

/* Copy every layer's weights from its constants (the model finalized). */
static void copy_weights(struct importer *im)
{
    for (size_t k = 0; k < im->n_src; k++) {
        const struct layer_src *s = &im->src[k];
        size_t n, at = 0;
        float *w = nn_model_layer_weights(im->m, s->layer, &n);
        const long parts[4] = {s->w, s->b, s->mean, s->var};

        for (size_t j = 0; j < 4; j++) {
            const struct cval *c;
            if (parts[j] < 0)
                continue;
            c = &im->v[parts[j]].c;
            CORE_ASSERT(at + c->n <= n);
            if (j == 0 && s->transpose) { /* (in, K) -> (K, in) */
                const size_t rows = (size_t)c->dims[0], cols = (size_t)c->dims[1];
                for (size_t r = 0; r < rows; r++) {
                    for (size_t q = 0; q < cols; q++)
                        memcpy(&w[at + q * rows + r], c->f + 4 * (r * cols + q), 4);
                }
            } else {
                memcpy(w + at, c->f, 4 * c->n);
            }
            at += c->n;
        }
        CORE_ASSERT(at == n);
    }
}

enum core_rc io_onnx_import(const char *path, uint64_t seed, struct nn_model **out,
                            struct io_onnx_info *info, struct core_err *e)
{
    struct importer im = {0};
    const Onnx__GraphProto *g;
    const struct value *o;
    struct core_err why;
    enum core_rc rc;

    *out = NULL;
    im.path = path;
    im.e = e;
    if ((rc = read_file(&im)) != CORE_OK || (rc = check_names(&im)) != CORE_OK ||
        (rc = read_opset(&im)) != CORE_OK || (rc = read_inputs(&im)) != CORE_OK)
        goto out;
    g = im.model->graph;
    for (size_t k = 0; k < g->n_node && rc == CORE_OK; k++) {
        im.node = g->node[k];
        im.node_index = k;
        rc = convert_node(&im);
    }
    im.node = NULL;
    if (rc != CORE_OK)
        goto out;
    if (g->n_output != 1) {
        rc = core_err(e, CORE_E_INPUT, "%s: the graph has %zu outputs (one is supported)", path,
                      g->n_output);
        goto out;
    }
    o = find(&im, g->output[0]->name);
    if (o == NULL || o->kind != V_TENSOR || o->id == NN_INPUT ||
        (size_t)o->id + 1 != nn_model_n_layers(im.m)) {
        rc = core_err(e, CORE_E_INPUT, "%s: graph output '%s' is not the result of the last "
                      "layer computed", path, g->output[0]->name);
        goto out;
    }
    core_err_clear(&why);
    if ((rc = nn_model_finalize(im.m, seed, &why)) != CORE_OK) {
        rc = core_err(e, rc, "%s: %s", path, why.msg);
        goto out;
    }
    copy_weights(&im);
    if (info != NULL) {
        memset(info, 0, sizeof(*info));
        info->opset = im.opset;
        info->n_nodes = g->n_node;
        snprintf(info->producer, sizeof(info->producer), "%s%s%s",
                 im.model->producer_name ? im.model->producer_name : "",
                 im.model->producer_version && im.model->producer_version[0] ? " " : "",
                 im.model->producer_version ? im.model->producer_version : "");
        snprintf(info->graph, sizeof(info->graph), "%s", g->name ? g->name : "");
    }
    *out = im.m;
    im.m = NULL;
out:
    nn_model_destroy(im.m);
    free_values(&im);
    core_free(im.src);
    core_free(im.fused);
    if (im.model != NULL)
        onnx__model_proto__free_unpacked(im.model, NULL);
    return rc;
}
