/*
 * test_onnx_graphs.c — the ONNX importer (sim/io/onnx_import.c) on small
 * graphs built here node by node with protobuf-c (the code protoc-c
 * generates into build/gen/) and written to a file: each operator's mapping
 * and each refusal, with the message naming the node and its operator.
 * What PyTorch exports is tests/unit/io/test_onnx_import.c's and
 * tests/integration/test_onnx.sh's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "io/io.h"
#include "nn/nn.h"
#include "onnx.pb-c.h"

static struct core_err err;

/* ---- a graph under construction: everything in fixed pools ---- */

#define POOL 32

struct graph {
    Onnx__ModelProto model;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__NodeProto node[POOL], *nodes[POOL];
    Onnx__AttributeProto attr[POOL], *attrs[POOL];
    Onnx__TensorProto tensor[POOL], *tensors[POOL];
    Onnx__ValueInfoProto vi[4], *inputs[2], *outputs[2];
    Onnx__TypeProto type[4];
    Onnx__TypeProto__Tensor ttype[4];
    Onnx__TensorShapeProto shape[4];
    Onnx__TensorShapeProto__Dimension dim[16], *dims[16];
    float fdata[4096];
    int64_t idata[256];
    char *names[POOL * 4];
    size_t n_attr, n_tensor, n_dim, n_f, n_i, n_vi;
};

static void value_info(struct graph *g, Onnx__ValueInfoProto **slot, const char *name,
                       const int64_t *d, size_t rank, int elem)
{
    const size_t k = g->n_vi++;
    Onnx__ValueInfoProto *v = &g->vi[k];

    onnx__value_info_proto__init(v);
    onnx__type_proto__init(&g->type[k]);
    onnx__type_proto__tensor__init(&g->ttype[k]);
    onnx__tensor_shape_proto__init(&g->shape[k]);
    v->name = (char *)name;
    v->type = &g->type[k];
    g->type[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    g->type[k].tensor_type = &g->ttype[k];
    g->ttype[k].has_elem_type = 1;
    g->ttype[k].elem_type = elem;
    g->ttype[k].shape = &g->shape[k];
    g->shape[k].n_dim = rank;
    g->shape[k].dim = &g->dims[g->n_dim];
    for (size_t j = 0; j < rank; j++) {
        Onnx__TensorShapeProto__Dimension *x = &g->dim[g->n_dim];
        onnx__tensor_shape_proto__dimension__init(x);
        if (d[j] < 0) {
            x->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            x->dim_param = (char *)"batch";
        } else {
            x->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            x->dim_value = d[j];
        }
        g->dims[g->n_dim++] = x;
    }
    *slot = v;
}

/* A graph at opset with input "x" of shape d (rank), output "y". */
static void graph_init(struct graph *g, int64_t opset, const int64_t *d, size_t rank)
{
    static const int64_t any[1] = {1};

    memset(g, 0, sizeof(*g));
    onnx__model_proto__init(&g->model);
    onnx__graph_proto__init(&g->g);
    onnx__operator_set_id_proto__init(&g->opset);
    g->opset.has_version = 1;
    g->opset.version = opset;
    g->opsets[0] = &g->opset;
    g->model.n_opset_import = 1;
    g->model.opset_import = g->opsets;
    g->model.has_ir_version = 1;
    g->model.ir_version = 8;
    g->model.graph = &g->g;
    g->g.node = g->nodes;
    g->g.initializer = g->tensors;
    g->g.input = g->inputs;
    g->g.output = g->outputs;
    value_info(g, &g->inputs[g->g.n_input++], "x", d, rank, 1);
    value_info(g, &g->outputs[g->g.n_output++], "y", any, 1, 1);
}

/* A node: op, name, inputs and outputs as space-separated names ("" for an
 * empty one is written "-"). */
static Onnx__NodeProto *node(struct graph *g, const char *op, const char *name, const char *in,
                             const char *out)
{
    Onnx__NodeProto *n = &g->node[g->g.n_node];
    const char *lists[2] = {in, out};

    assert_true(g->g.n_node < POOL);
    onnx__node_proto__init(n);
    g->nodes[g->g.n_node++] = n;
    n->op_type = (char *)op;
    n->name = (char *)name;
    n->attribute = &g->attrs[g->n_attr];
    for (int l = 0; l < 2; l++) {
        char **v = calloc(8, sizeof(*v)), *copy = strdup(lists[l]), *save = NULL;
        size_t k = 0;
        assert_non_null(v);
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
            v[k++] = strdup(strcmp(t, "-") == 0 ? "" : t);
        free(copy);
        for (size_t j = 0; j < POOL * 4; j++) {
            if (g->names[j] == NULL) {
                g->names[j] = (char *)v;
                break;
            }
        }
        if (l == 0) {
            n->input = v;
            n->n_input = k;
        } else {
            n->output = v;
            n->n_output = k;
        }
    }
    return n;
}

static Onnx__AttributeProto *attr(struct graph *g, Onnx__NodeProto *n, const char *name)
{
    Onnx__AttributeProto *a = &g->attr[g->n_attr];

    assert_true(g->n_attr < POOL);
    onnx__attribute_proto__init(a);
    g->attrs[g->n_attr++] = a;
    n->n_attribute++;
    a->name = (char *)name;
    return a;
}

static void attr_i(struct graph *g, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(g, n, name);

    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = v;
}

static void attr_f(struct graph *g, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(g, n, name);

    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    a->has_f = 1;
    a->f = v;
}

static void attr_is(struct graph *g, Onnx__NodeProto *n, const char *name, const int64_t *v,
                    size_t k)
{
    Onnx__AttributeProto *a = attr(g, n, name);

    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = k;
    a->ints = &g->idata[g->n_i];
    memcpy(a->ints, v, k * sizeof(*v));
    g->n_i += k;
}

/* An initializer: float32 (values from a fixed pattern) of dims d, or
 * int64 (values v). */
static void init_f(struct graph *g, const char *name, const int64_t *d, size_t rank)
{
    Onnx__TensorProto *t = &g->tensor[g->n_tensor];
    size_t n = 1;

    onnx__tensor_proto__init(t);
    g->tensors[g->n_tensor++] = t;
    g->g.n_initializer++;
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = 1;
    t->n_dims = rank;
    t->dims = &g->idata[g->n_i];
    memcpy(t->dims, d, rank * sizeof(*d));
    g->n_i += rank;
    for (size_t j = 0; j < rank; j++)
        n *= (size_t)d[j];
    t->n_float_data = n;
    t->float_data = &g->fdata[g->n_f];
    for (size_t j = 0; j < n; j++)
        t->float_data[j] = (float)sin(0.37 * (double)(g->n_f + j + 1));
    g->n_f += n;
    assert_true(g->n_f <= ARRAY_LEN(g->fdata));
}

static void init_i(struct graph *g, const char *name, const int64_t *v, size_t n)
{
    Onnx__TensorProto *t = &g->tensor[g->n_tensor];

    onnx__tensor_proto__init(t);
    g->tensors[g->n_tensor++] = t;
    g->g.n_initializer++;
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = 7;
    t->n_dims = 1;
    t->dims = &g->idata[g->n_i];
    t->dims[0] = (int64_t)n;
    g->n_i++;
    t->n_int64_data = n;
    t->int64_data = &g->idata[g->n_i];
    memcpy(t->int64_data, v, n * sizeof(*v));
    g->n_i += n;
}

static void graph_free(struct graph *g)
{
    for (size_t j = 0; j < POOL * 4 && g->names[j]; j++) {
        char **v = (char **)g->names[j];
        for (size_t k = 0; v[k]; k++)
            free(v[k]);
        free(v);
    }
}

/* Write g to a file and import it: the return code; *out the model. */
static enum core_rc import(struct graph *g, struct nn_model **out)
{
    struct testutil_dir *d = testutil_dir_create("onnxg", "g.onnx");
    size_t size = onnx__model_proto__get_packed_size(&g->model);
    uint8_t *buf = malloc(size);
    FILE *f;
    enum core_rc rc;

    assert_non_null(d);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&g->model, buf), size);
    f = fopen(d->path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, size, f), size);
    fclose(f);
    free(buf);
    *out = NULL;
    rc = io_onnx_import(d->path, 1, out, NULL, &err);
    testutil_dir_destroy(d);
    graph_free(g);
    return rc;
}

/* The import fails with CORE_E_INPUT and a message holding want. */
static void expect_refused(struct graph *g, const char *want)
{
    struct nn_model *m;

    assert_core_rc(import(g, &m), CORE_E_INPUT);
    assert_null(m);
    if (strstr(err.msg, want) == NULL)
        fail_msg("'%s' does not hold '%s'", err.msg, want);
}

/* The ops of m's layers, space-separated. */
static const char *ops(const struct nn_model *m)
{
    static char buf[512];

    buf[0] = '\0';
    for (int i = 0; i < (int)nn_model_n_layers(m); i++) {
        strcat(buf, i ? " " : "");
        strcat(buf, nn_op_name(nn_model_layer_op(m, i)));
    }
    return buf;
}

static const int64_t X4[] = {1, 4, 6, 6}; /* the input of most graphs */
static const int64_t W44[] = {4, 4, 3, 3};

/* ---- what maps ---- */

static void test_graph_dropout_identity_flatten_gemm_softmax_map_to_their_layers(void **unused)
{
    static const int64_t w[] = {3, 144}, b[] = {3};
    struct graph g;
    struct nn_model *m;
    Onnx__NodeProto *n;

    graph_init(&g, 11, X4, 4);
    init_f(&g, "fc.weight", w, 2);
    init_f(&g, "fc.bias", b, 1);
    node(&g, "Dropout", "drop", "x", "a");
    node(&g, "Identity", "id", "a", "b");
    node(&g, "Flatten", "flat", "b", "c");
    n = node(&g, "Gemm", "gemm", "c fc.weight fc.bias", "d");
    attr_i(&g, n, "transB", 1);
    node(&g, "Softmax", "soft", "d", "y"); /* opset 11: axis 1 over C*H*W */
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "flatten fc softmax");
    assert_string_equal(nn_model_layer_name(m, 1), "fc");
    nn_model_destroy(m);
}

/* MatMul by (in, K) and Gemm by (K, in) transposed are the same layer. */
static void test_graph_matmul_weights_are_stored_transposed(void **unused)
{
    static const int64_t x[] = {1, 5}, wt[] = {5, 3};
    struct graph g;
    struct nn_model *mm, *gm;
    Onnx__NodeProto *n;
    size_t nw;
    float in[5] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f}, out_mm[3];
    float *w, wcopy[15];

    graph_init(&g, 13, x, 2);
    init_f(&g, "w", wt, 2);
    node(&g, "MatMul", "mm", "x w", "y");
    assert_core_rc(import(&g, &mm), CORE_OK);
    w = nn_model_layer_weights(mm, 0, &nw);
    assert_int_equal(nw, 15);
    memcpy(wcopy, w, sizeof(wcopy));
    /* the initializer's (in, K) element [r][q] is the layer's [q][r] */
    for (size_t r = 0; r < 5; r++) {
        for (size_t q = 0; q < 3; q++)
            assert_float_equal(wcopy[q * 5 + r], (float)sin(0.37 * (double)(r * 3 + q + 1)), 0);
    }
    assert_core_rc(nn_model_forward(mm, in, 1, &err), CORE_OK);
    memcpy(out_mm, nn_model_output(mm), sizeof(out_mm));
    for (size_t q = 0; q < 3; q++) {
        double want = 0;
        for (size_t r = 0; r < 5; r++)
            want += in[r] * sin(0.37 * (double)(r * 3 + q + 1));
        assert_near(out_mm[q], want, 1e-5);
    }
    nn_model_destroy(mm);

    graph_init(&g, 13, x, 2);
    init_f(&g, "w", wt, 2);
    n = node(&g, "Gemm", "gemm", "x w", "y");
    attr_i(&g, n, "transB", 0);
    assert_core_rc(import(&g, &gm), CORE_OK);
    assert_core_rc(nn_model_forward(gm, in, 1, &err), CORE_OK);
    assert_memory_equal(nn_model_output(gm), out_mm, sizeof(out_mm));
    nn_model_destroy(gm);
}

/* Split with sizes as an attribute (opset 11) and as an input (13). */
static void test_graph_split_becomes_slices_at_their_offsets(void **unused)
{
    static const int64_t sizes[] = {1, 3};
    for (int opset = 11; opset <= 13; opset += 2) {
        struct graph g;
        struct nn_model *m;
        Onnx__NodeProto *n;

        graph_init(&g, opset, X4, 4);
        if (opset == 13) {
            init_i(&g, "sizes", sizes, 2);
            n = node(&g, "Split", "split", "x sizes", "a b");
        } else {
            n = node(&g, "Split", "split", "x", "a b");
            attr_is(&g, n, "split", sizes, 2);
        }
        attr_i(&g, n, "axis", 1);
        node(&g, "Concat", "cat", "b a", "y");
        attr_i(&g, &g.node[1], "axis", -3);
        assert_core_rc(import(&g, &m), CORE_OK);
        assert_string_equal(ops(m), "slice slice concat");
        assert_int_equal(nn_model_layer_params(m, 0)->offset, 0);
        assert_int_equal(nn_model_layer_params(m, 0)->out_channels, 1);
        assert_int_equal(nn_model_layer_params(m, 1)->offset, 1);
        assert_int_equal(nn_model_layer_params(m, 1)->out_channels, 3);
        nn_model_destroy(m);
    }
}

/* Shape arithmetic as torch writes it: x.reshape(x.shape[0], -1). */
static void test_graph_shape_arithmetic_is_evaluated(void **unused)
{
    static const int64_t zero[] = {0}, minus1[] = {-1}, axes[] = {0};
    struct graph g;
    struct nn_model *m;
    Onnx__NodeProto *n;

    graph_init(&g, 11, X4, 4);
    init_i(&g, "zero", zero, 1);
    init_i(&g, "minus1", minus1, 1);
    node(&g, "Shape", "shape", "x", "s");
    n = node(&g, "Gather", "gather", "s zero", "n");
    attr_i(&g, n, "axis", 0);
    n = node(&g, "Unsqueeze", "unsq", "n", "n1");
    attr_is(&g, n, "axes", axes, 1);
    n = node(&g, "Concat", "cat", "n1 minus1", "target");
    attr_i(&g, n, "axis", 0);
    node(&g, "Reshape", "reshape", "x target", "y");
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "flatten");
    nn_model_destroy(m);
}

static void test_graph_symbolic_batch_is_one_item(void **unused)
{
    static const int64_t x[] = {-1, 4, 6, 6};
    struct graph g;
    struct nn_model *m;

    graph_init(&g, 13, x, 4);
    node(&g, "Relu", "relu", "x", "y");
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_int_equal(nn_model_shape(m, NN_INPUT).n, 1);
    nn_model_destroy(m);
}

/* x * sigmoid(x) and x * hardsigmoid(x), either way round, are one silu
 * or hardswish layer; a gate read by anything else stays a gate. */
static void test_graph_gated_products_become_silu_and_hardswish(void **unused)
{
    struct graph g;
    struct nn_model *m;
    Onnx__NodeProto *n;

    graph_init(&g, 13, X4, 4);
    node(&g, "Sigmoid", "sig", "x", "s");
    node(&g, "Mul", "mul", "s x", "y");
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "silu");
    assert_string_equal(nn_model_layer_name(m, 0), "sig");
    nn_model_destroy(m);

    graph_init(&g, 13, X4, 4);
    n = node(&g, "HardSigmoid", "hsig", "x", "h");
    attr_f(&g, n, "alpha", 1.0f / 6.0f);
    node(&g, "Relu", "relu", "x", "r");
    node(&g, "Mul", "mul", "x h", "a");
    node(&g, "Add", "add", "a r", "y");
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "hardswish relu add");
    nn_model_destroy(m);

    graph_init(&g, 13, X4, 4);
    node(&g, "Sigmoid", "sig", "x", "s");
    node(&g, "Mul", "mul", "x s", "a");
    node(&g, "Add", "add", "a s", "y");
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "sigmoid mul add");
    nn_model_destroy(m);
}

/* ---- what is refused, naming the node and its operator ---- */

static void test_graph_conv_with_dilation_is_refused(void **unused)
{
    static const int64_t dil[] = {2, 2};
    struct graph g;
    Onnx__NodeProto *n;

    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    n = node(&g, "Conv", "conv", "x w", "y");
    attr_is(&g, n, "dilations", dil, 2);
    expect_refused(&g, "node 'conv' (Conv): unsupported attribute 'dilations'");
}

static void test_graph_conv_with_asymmetric_padding_is_refused(void **unused)
{
    static const int64_t pads[] = {1, 1, 0, 0};
    struct graph g;
    Onnx__NodeProto *n;

    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    n = node(&g, "Conv", "conv", "x w", "y");
    attr_is(&g, n, "pads", pads, 4);
    expect_refused(&g, "node 'conv' (Conv): unsupported attribute 'pads'");
}

static void test_graph_unknown_attribute_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    attr_i(&g, node(&g, "Relu", "relu", "x", "y"), "foo", 1);
    expect_refused(&g, "node 'relu' (Relu): unsupported attribute 'foo'");
}

static void test_graph_opset_outside_11_to_17_is_refused(void **unused)
{
    for (int64_t opset = 10; opset <= 18; opset += 8) {
        struct graph g;
        char want[64];

        graph_init(&g, opset, X4, 4);
        node(&g, "Relu", "relu", "x", "y");
        snprintf(want, sizeof(want), "opset %lld of the default domain (11 to 17",
                 (long long)opset);
        expect_refused(&g, want);
    }
}

static void test_graph_hardsigmoid_of_other_slopes_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    attr_f(&g, node(&g, "HardSigmoid", "hs", "x", "y"), "alpha", 0.2f);
    expect_refused(&g, "node 'hs' (HardSigmoid): unsupported attribute values alpha 0.2");
}

static void test_graph_clip_to_other_bounds_is_refused(void **unused)
{
    static const int64_t lo[] = {-1}, hi[] = {1};
    struct graph g;

    graph_init(&g, 13, X4, 4);
    init_i(&g, "lo", lo, 1);
    init_i(&g, "hi", hi, 1);
    node(&g, "Clip", "clip", "x lo hi", "y");
    expect_refused(&g, "node 'clip' (Clip): unsupported bounds [-1, 1]");
}

static void test_graph_softmax_over_one_axis_of_an_image_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4); /* opset 13: the last axis, W, alone */
    node(&g, "Softmax", "soft", "x", "y");
    expect_refused(&g, "node 'soft' (Softmax): unsupported attribute 'axis'");
}

static void test_graph_concat_on_another_axis_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    attr_i(&g, node(&g, "Concat", "cat", "x x", "y"), "axis", 2);
    expect_refused(&g, "node 'cat' (Concat): unsupported attribute 'axis' = 2");
}

static void test_graph_product_with_a_constant_is_refused(void **unused)
{
    static const int64_t one[] = {1};
    struct graph g;

    graph_init(&g, 13, X4, 4);
    init_f(&g, "k", one, 1);
    node(&g, "Mul", "mul", "x k", "y");
    expect_refused(&g, "node 'mul' (Mul): an operand is a constant");
}

static void test_graph_transpose_that_is_not_a_shuffle_is_refused(void **unused)
{
    static const int64_t perm[] = {0, 1, 3, 2};
    struct graph g;

    graph_init(&g, 13, X4, 4);
    attr_is(&g, node(&g, "Transpose", "tr", "x", "y"), "perm", perm, 4);
    expect_refused(&g, "node 'tr' (Transpose): only the transpose of a channel shuffle");
}

static void test_graph_unnamed_node_is_named_by_its_index(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    node(&g, "Relu", "", "x", "a");
    node(&g, "Tanh", "", "a", "y");
    expect_refused(&g, "node 1 (Tanh): unsupported operator");
}

static void test_graph_output_that_is_not_the_last_layer_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    node(&g, "Relu", "r1", "x", "y");
    node(&g, "Sigmoid", "s", "y", "z");
    expect_refused(&g, "graph output 'y' is not the result of the last layer");
}

static void test_graph_unknown_input_name_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    node(&g, "Relu", "relu", "nothing", "y");
    expect_refused(&g, "node 'relu' (Relu): input 'nothing' is not produced");
}

static void test_graph_input_that_is_not_float_is_refused(void **unused)
{
    struct graph g;

    graph_init(&g, 13, X4, 4);
    g.ttype[0].elem_type = 7; /* int64 */
    node(&g, "Relu", "relu", "x", "y");
    expect_refused(&g, "graph input 'x' is not a float32 tensor");
}

/* ---- more refusals: each operator's attributes and each tensor's form ---- */

static void test_graph_mean_over_h_and_w_is_a_gap_and_other_means_are_refused(void **unused)
{
    static const int64_t hw[] = {2, 3}, c[] = {1, 2};
    struct graph g;
    struct nn_model *m;
    Onnx__NodeProto *n;

    graph_init(&g, 13, X4, 4);
    n = node(&g, "ReduceMean", "mean", "x", "y");
    attr_is(&g, n, "axes", hw, 2);
    attr_i(&g, n, "keepdims", 0);
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "gap");
    nn_model_destroy(m);
    graph_init(&g, 13, X4, 4);
    attr_is(&g, node(&g, "ReduceMean", "mean", "x", "y"), "axes", c, 2);
    expect_refused(&g, "node 'mean' (ReduceMean): only the mean over H and W");
}

/* A Gemm of (1, 144) by fc.weight (3, 144) with attribute name = v. */
static void gemm_with(struct graph *g, const char *name, int64_t v, const int64_t *x_dims,
                      size_t x_rank, const int64_t *w)
{
    static const int64_t b[] = {3};
    Onnx__NodeProto *n;

    graph_init(g, 13, x_dims, x_rank);
    init_f(g, "fc.weight", w, 2);
    init_f(g, "fc.bias", b, 1);
    n = node(g, "Gemm", "gemm", "x fc.weight fc.bias", "y");
    attr_i(g, n, "transB", 1);
    if (name && strcmp(name, "alpha") == 0)
        attr_f(g, n, name, (float)v);
    else if (name)
        attr_i(g, n, name, v);
}

static void test_graph_gemm_refuses_scales_transposed_inputs_and_misfits(void **unused)
{
    static const int64_t x2[] = {1, 144}, w[] = {3, 144}, w_bad[] = {3, 100};
    struct graph g;

    gemm_with(&g, "alpha", 2, x2, 2, w);
    expect_refused(&g, "node 'gemm' (Gemm): unsupported attribute 'alpha' or 'beta' (only 1)");
    gemm_with(&g, "transA", 1, x2, 2, w);
    expect_refused(&g, "unsupported attribute 'transA' (only 0)");
    gemm_with(&g, NULL, 0, X4, 4, w);
    expect_refused(&g, "input 'x' has rank 4 (a matrix product of (N, F) is supported");
    gemm_with(&g, NULL, 0, x2, 2, w_bad);
    expect_refused(&g, "weight 'fc.weight' (3 x 100) does not fit 144 input features");
}

/* A BatchNormalization of x with 4 channels, outputs out. */
static Onnx__NodeProto *batchnorm(struct graph *g, const char *out)
{
    static const int64_t c[] = {4};

    graph_init(g, 13, X4, 4);
    init_f(g, "s", c, 1);
    init_f(g, "b", c, 1);
    init_f(g, "m", c, 1);
    init_f(g, "v", c, 1);
    return node(g, "BatchNormalization", "bn", "x s b m v", out);
}

static void test_graph_batchnorm_refuses_training_and_a_bad_epsilon(void **unused)
{
    struct graph g;

    attr_i(&g, batchnorm(&g, "y"), "training_mode", 1);
    expect_refused(&g, "node 'bn' (BatchNormalization): unsupported attribute 'training_mode'");
    batchnorm(&g, "y mean_out");
    expect_refused(&g, "only the first output is supported (inference)");
    attr_f(&g, batchnorm(&g, "y"), "epsilon", 0.0f);
    expect_refused(&g, "attribute 'epsilon' must be positive");
}

static void test_graph_pools_refuse_indices_storage_order_ceil_and_excluded_padding(void **unused)
{
    static const int64_t k2[] = {2, 2}, pads[] = {1, 1, 1, 1};
    struct graph g;
    Onnx__NodeProto *n;

    graph_init(&g, 13, X4, 4);
    attr_is(&g, node(&g, "MaxPool", "pool", "x", "y idx"), "kernel_shape", k2, 2);
    expect_refused(&g, "node 'pool' (MaxPool): the indices output is not supported");
    graph_init(&g, 13, X4, 4);
    n = node(&g, "MaxPool", "pool", "x", "y");
    attr_is(&g, n, "kernel_shape", k2, 2);
    attr_i(&g, n, "storage_order", 1);
    expect_refused(&g, "unsupported attribute 'storage_order' (only 0)");
    graph_init(&g, 13, X4, 4);
    n = node(&g, "AveragePool", "avg", "x", "y");
    attr_is(&g, n, "kernel_shape", k2, 2);
    attr_i(&g, n, "ceil_mode", 1);
    expect_refused(&g, "unsupported attribute 'ceil_mode' = 1 for AveragePool");
    graph_init(&g, 13, X4, 4);
    n = node(&g, "AveragePool", "avg", "x", "y");
    attr_is(&g, n, "kernel_shape", k2, 2);
    attr_is(&g, n, "pads", pads, 4);
    expect_refused(&g, "unsupported attribute 'count_include_pad' = 0 with padding");
    graph_init(&g, 13, X4, 4);
    node(&g, "MaxPool", "pool", "x", "y");
    expect_refused(&g, "attribute 'kernel_shape' is required");
}

static void test_graph_conv_refuses_kernels_strides_and_weights_that_do_not_fit(void **unused)
{
    static const int64_t k5[] = {5, 5}, k3[] = {3, 3, 3}, st[] = {1, 2}, w_bad[] = {4, 3, 3, 3};
    static const int64_t x2[] = {1, 4};
    struct graph g;
    Onnx__NodeProto *n;
    Onnx__AttributeProto *a;

    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    attr_is(&g, node(&g, "Conv", "conv", "x w", "y"), "kernel_shape", k5, 2);
    expect_refused(&g, "attribute 'kernel_shape' (5x5) does not match the weights' kernel (3x3)");
    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    attr_is(&g, node(&g, "Conv", "conv", "x w", "y"), "kernel_shape", k3, 3);
    expect_refused(&g, "attribute 'kernel_shape': 3 dimensions (2 are supported)");
    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    attr_is(&g, node(&g, "Conv", "conv", "x w", "y"), "strides", st, 2);
    expect_refused(&g, "unsupported attribute 'strides': coinfer takes one stride");
    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    n = node(&g, "Conv", "conv", "x w", "y");
    a = attr(&g, n, "auto_pad");
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a->has_s = 1;
    a->s.data = (uint8_t *)"SAME_UPPER";
    a->s.len = 10;
    expect_refused(&g, "unsupported attribute 'auto_pad' = 'SAME_UPPER'");
    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", w_bad, 4);
    node(&g, "Conv", "conv", "x w", "y");
    expect_refused(&g, "weight 'w' (4, 3, ...) does not fit 4 input channels in 1 groups");
    graph_init(&g, 13, x2, 2);
    init_f(&g, "w", W44, 4);
    node(&g, "Conv", "conv", "x w", "y");
    expect_refused(&g, "input 'x' has rank 2 (Conv2d on (N, C, H, W) is supported)");
}

/* A Conv whose weight "w" is then changed by how. */
static void conv_weight(struct graph *g, void (*how)(Onnx__TensorProto *t))
{
    graph_init(g, 13, X4, 4);
    init_f(g, "w", W44, 4);
    node(g, "Conv", "conv", "x w", "y");
    how(g->tensors[0]);
}

static void external(Onnx__TensorProto *t)
{
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

static void short_floats(Onnx__TensorProto *t)
{
    t->n_float_data -= 1;
}

static void short_raw(Onnx__TensorProto *t)
{
    t->raw_data.data = (uint8_t *)t->float_data;
    t->raw_data.len = 4 * t->n_float_data - 4;
    t->has_raw_data = 1;
    t->n_float_data = 0;
}

static void half_floats(Onnx__TensorProto *t)
{
    t->data_type = 10; /* float16 */
}

static void negative_dim(Onnx__TensorProto *t)
{
    t->dims[1] = -4;
}

static void many_dims(Onnx__TensorProto *t)
{
    t->n_dims = 9;
}

static void test_graph_tensors_in_forms_it_cannot_read_are_refused(void **unused)
{
    struct graph g;

    conv_weight(&g, external);
    expect_refused(&g, "tensor 'w' keeps its data in an external file");
    conv_weight(&g, short_floats);
    expect_refused(&g, "tensor 'w' holds 143 floats, its shape 144");
    conv_weight(&g, short_raw);
    expect_refused(&g, "tensor 'w' holds 572 bytes of data, its shape 144 floats");
    conv_weight(&g, half_floats);
    expect_refused(&g, "tensor 'w' has ONNX data type 10");
    conv_weight(&g, negative_dim);
    expect_refused(&g, "tensor 'w': bad dimension -4");
    conv_weight(&g, many_dims);
    expect_refused(&g, "tensor 'w' has 9 dimensions");
}

static void test_graph_weights_in_float64_are_read_as_float32(void **unused)
{
    struct graph g;
    struct nn_model *m;
    Onnx__TensorProto *t;
    double *d = calloc(144, sizeof(*d));

    assert_non_null(d);
    graph_init(&g, 13, X4, 4);
    init_f(&g, "w", W44, 4);
    node(&g, "Conv", "conv", "x w", "y");
    t = g.tensors[0];
    for (size_t k = 0; k < 144; k++)
        d[k] = t->float_data[k];
    t->data_type = 11; /* double */
    t->n_double_data = 144;
    t->double_data = d;
    t->n_float_data = 0;
    assert_core_rc(import(&g, &m), CORE_OK);
    assert_string_equal(ops(m), "conv2d");
    nn_model_destroy(m);
    free(d);
}

static void test_graph_integer_division_by_zero_is_refused(void **unused)
{
    static const int64_t a[] = {6}, z[] = {0};
    struct graph g;

    graph_init(&g, 13, X4, 4);
    init_i(&g, "a", a, 1);
    init_i(&g, "z", z, 1);
    node(&g, "Div", "div", "a z", "q");
    node(&g, "Reshape", "reshape", "x q", "y");
    expect_refused(&g, "node 'div' (Div): integer division by zero");
}

/* A target shape whose product overflows 64 bits (found by the onnx fuzz
 * target: UBSan, signed overflow) is a shape that does not fit. */
static void test_graph_reshape_to_an_overflowing_shape_is_refused(void **unused)
{
    static const int64_t big[] = {1, 6701356245527298304, 16};
    struct graph g;

    graph_init(&g, 13, X4, 4);
    init_i(&g, "target", big, 3);
    node(&g, "Reshape", "reshape", "x target", "y");
    expect_refused(&g, "node 'reshape' (Reshape): target shape does not fit");
}

/* A node without an output is refused before any op reads its first
 * output's name (found by the onnx fuzz target: a Concat of constants
 * without outputs read output[0] of an empty list, under UBSan). */
static void test_graph_node_without_output_is_refused(void **unused)
{
    static const int64_t a[] = {1, 2};
    struct graph g;

    graph_init(&g, 13, X4, 4);
    init_i(&g, "a", a, 2);
    attr_i(&g, node(&g, "Concat", "cat", "a a", ""), "axis", 0);
    node(&g, "Relu", "relu", "x", "y");
    expect_refused(&g, "node 0 (Concat) has no output");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_graph_dropout_identity_flatten_gemm_softmax_map_to_their_layers),
        TEST(test_graph_matmul_weights_are_stored_transposed),
        TEST(test_graph_split_becomes_slices_at_their_offsets),
        TEST(test_graph_shape_arithmetic_is_evaluated),
        TEST(test_graph_symbolic_batch_is_one_item),
        TEST(test_graph_gated_products_become_silu_and_hardswish),
        TEST(test_graph_conv_with_dilation_is_refused),
        TEST(test_graph_mean_over_h_and_w_is_a_gap_and_other_means_are_refused),
        TEST(test_graph_gemm_refuses_scales_transposed_inputs_and_misfits),
        TEST(test_graph_batchnorm_refuses_training_and_a_bad_epsilon),
        TEST(test_graph_pools_refuse_indices_storage_order_ceil_and_excluded_padding),
        TEST(test_graph_conv_refuses_kernels_strides_and_weights_that_do_not_fit),
        TEST(test_graph_tensors_in_forms_it_cannot_read_are_refused),
        TEST(test_graph_weights_in_float64_are_read_as_float32),
        TEST(test_graph_integer_division_by_zero_is_refused),
        TEST(test_graph_reshape_to_an_overflowing_shape_is_refused),
        TEST(test_graph_node_without_output_is_refused),
        TEST(test_graph_conv_with_asymmetric_padding_is_refused),
        TEST(test_graph_unknown_attribute_is_refused),
        TEST(test_graph_opset_outside_11_to_17_is_refused),
        TEST(test_graph_hardsigmoid_of_other_slopes_is_refused),
        TEST(test_graph_clip_to_other_bounds_is_refused),
        TEST(test_graph_softmax_over_one_axis_of_an_image_is_refused),
        TEST(test_graph_concat_on_another_axis_is_refused),
        TEST(test_graph_product_with_a_constant_is_refused),
        TEST(test_graph_transpose_that_is_not_a_shuffle_is_refused),
        TEST(test_graph_unnamed_node_is_named_by_its_index),
        TEST(test_graph_output_that_is_not_the_last_layer_is_refused),
        TEST(test_graph_unknown_input_name_is_refused),
        TEST(test_graph_input_that_is_not_float_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
