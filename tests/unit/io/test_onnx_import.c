/*
 * test_onnx_import.c — ONNX files in (sim/io/onnx_import.c) and model files
 * out (sim/io/model_write.c).
 *
 * The writer: every zoo model file, written back out and read again, is the
 * same graph (ops, names, parameters, inputs, shapes, costs). The importer:
 * the fixtures of tests/data/onnx (tests/ref/onnx_fixtures.py, PyTorch)
 * import with PyTorch's parameter counts and the layers expected of them,
 * ready to run; an unsupported operator, a file that is not ONNX, a
 * truncated or missing one are input errors naming the file (and the node
 * and its operator); an import survives every allocation failure without a
 * leak. Their logits against PyTorch's are tests/integration/test_onnx.sh's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "io/io.h"
#include "nn/nn.h"

#define DATA "tests/data/onnx/"

static struct core_err err;

static const char *const zoo_files[] = {
    "models/lenet5.xml",       "models/alexnet.xml",          "models/vgg16.xml",
    "models/resnet18.xml",     "models/mobilenetv2.xml",      "models/googlenet.xml",
    "models/squeezenet.xml",   "models/shufflenetv2.xml",     "models/mobilenetv3small.xml",
    "models/efficientnetb0.xml", "models/lenet5-fmnist.xml",  "models/resnet-fmnist.xml",
};

/* p's fields with the defaults a model file applies made explicit. */
static struct nn_params norm(const struct nn_params *p)
{
    struct nn_params q = *p;

    if (q.kernel_w == 0)
        q.kernel_w = q.kernel_h;
    if (q.stride == 0)
        q.stride = 1;
    if (q.groups == 0)
        q.groups = 1;
    if (q.eps == 0.0f)
        q.eps = 1e-5f;
    return q;
}

static bool same_shape(struct nn_shape a, struct nn_shape b)
{
    return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

/* Whether a and b are the same graph; the first difference printed. */
static bool same_graph(const struct nn_model *a, const struct nn_model *b, const char *what)
{
    struct nn_cost ca, cb;

    if (nn_model_n_layers(a) != nn_model_n_layers(b) ||
        !same_shape(nn_model_shape(a, NN_INPUT), nn_model_shape(b, NN_INPUT))) {
        print_error("%s: %zu layers vs %zu, or another input shape\n", what,
                    nn_model_n_layers(a), nn_model_n_layers(b));
        return false;
    }
    for (int i = 0; i < (int)nn_model_n_layers(a); i++) {
        const enum nn_op op = nn_model_layer_op(a, i);
        const struct nn_params pa = norm(nn_model_layer_params(a, i));
        const struct nn_params pb = norm(nn_model_layer_params(b, i));
        size_t na, nb;
        const int *ia = nn_model_layer_inputs(a, i, &na), *ib = nn_model_layer_inputs(b, i, &nb);
        const bool has_bias = op == NN_OP_CONV2D || op == NN_OP_FC;

        if (op != nn_model_layer_op(b, i) ||
            strcmp(nn_model_layer_name(a, i), nn_model_layer_name(b, i)) != 0 ||
            pa.out_channels != pb.out_channels || pa.kernel_h != pb.kernel_h ||
            pa.kernel_w != pb.kernel_w || pa.stride != pb.stride || pa.pad != pb.pad ||
            pa.groups != pb.groups || (has_bias && pa.bias != pb.bias) || pa.act != pb.act ||
            (op == NN_OP_BATCHNORM && pa.eps != pb.eps) || pa.ceil != pb.ceil ||
            pa.offset != pb.offset || na != nb || memcmp(ia, ib, na * sizeof(*ia)) != 0 ||
            !same_shape(nn_model_shape(a, i), nn_model_shape(b, i))) {
            print_error("%s: layer %d '%s' (%s) differs\n", what, i, nn_model_layer_name(a, i),
                        nn_op_name(op));
            return false;
        }
    }
    nn_model_cost(a, &ca);
    nn_model_cost(b, &cb);
    return ca.flops == cb.flops && ca.macs == cb.macs && ca.params == cb.params &&
           ca.output_bytes == cb.output_bytes;
}

static void test_model_write_round_trips_every_model_file(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("mwrite", "model.xml");

    assert_non_null(d);
    for (size_t k = 0; k < ARRAY_LEN(zoo_files); k++) {
        struct nn_model *a = NULL, *b = NULL;

        assert_core_rc(io_model_load_graph(zoo_files[k], &a, &err), CORE_OK);
        assert_core_rc(io_model_write(a, d->path, "round \"trip\" & <back>", NULL,
                                      "a description with <xml> & \"quotes\"", &err),
                       CORE_OK);
        if (io_model_load_graph(d->path, &b, &err) != CORE_OK)
            fail_msg("%s written back: %s", zoo_files[k], err.msg);
        assert_true(same_graph(a, b, zoo_files[k]));
        nn_model_destroy(a);
        nn_model_destroy(b);
    }
    testutil_dir_destroy(d);
}

static void test_model_write_to_an_unwritable_path_is_an_io_error(void **unused)
{
    struct nn_model *m = NULL;

    assert_core_rc(io_model_load_graph("models/lenet5.xml", &m, &err), CORE_OK);
    assert_core_rc(io_model_write(m, "/nonexistent-dir/x.xml", NULL, NULL, NULL, &err),
                   CORE_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.xml: cannot write"));
    nn_model_destroy(m);
}

/* The parameter count PyTorch wrote beside fixture name. */
static unsigned long long torch_params(const char *name)
{
    char path[128];
    unsigned long long n = 0;
    FILE *f;

    snprintf(path, sizeof(path), DATA "%s.params", name);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%llu", &n), 1);
    fclose(f);
    return n;
}

static void test_onnx_fixtures_import_with_pytorchs_parameter_counts(void **unused)
{
    static const struct {
        const char *name;
        int64_t opset;
        size_t layers;
        const char *first, *last; /* names of the first and last layers */
    } fx[] = {
        {"lenet", 11, 13, "conv1", "matmul"},
        {"resblock", 17, 25, "stem", "fc"},
    };

    for (size_t k = 0; k < ARRAY_LEN(fx); k++) {
        char path[128];
        struct nn_model *m = NULL;
        struct io_onnx_info info;
        struct nn_cost c;

        snprintf(path, sizeof(path), DATA "%s.onnx", fx[k].name);
        if (io_onnx_import(path, 1, &m, &info, &err) != CORE_OK)
            fail_msg("%s", err.msg);
        assert_true(nn_model_is_finalized(m));
        nn_model_cost(m, &c);
        assert_int_equal(c.params, torch_params(fx[k].name));
        assert_int_equal(info.opset, fx[k].opset);
        assert_non_null(strstr(info.producer, "pytorch"));
        assert_int_equal(nn_model_n_layers(m), fx[k].layers);
        assert_string_equal(nn_model_layer_name(m, 0), fx[k].first);
        assert_string_equal(nn_model_layer_name(m, (int)fx[k].layers - 1), fx[k].last);
        nn_model_destroy(m);
    }
}

/* The residual block's channel shuffle and split are one layer each. */
static void test_onnx_shuffle_and_split_become_their_layers(void **unused)
{
    struct nn_model *m = NULL;
    size_t shuffles = 0, slices = 0, muls = 0;

    assert_core_rc(io_onnx_import(DATA "resblock.onnx", 1, &m, NULL, &err), CORE_OK);
    for (int i = 0; i < (int)nn_model_n_layers(m); i++) {
        const enum nn_op op = nn_model_layer_op(m, i);
        if (op == NN_OP_SHUFFLE) {
            shuffles++;
            assert_int_equal(nn_model_layer_params(m, i)->groups, 2);
        }
        slices += op == NN_OP_SLICE;
        muls += op == NN_OP_MUL;
    }
    assert_int_equal(shuffles, 1);
    assert_int_equal(slices, 2);
    assert_int_equal(muls, 1);
    nn_model_destroy(m);
}

static void test_onnx_unsupported_operator_names_the_node_and_its_type(void **unused)
{
    struct nn_model *m = NULL;

    assert_core_rc(io_onnx_import(DATA "unsupported.onnx", 1, &m, NULL, &err), CORE_E_INPUT);
    assert_null(m);
    assert_non_null(strstr(err.msg, DATA "unsupported.onnx: node '/LeakyRelu' (LeakyRelu): "
                                         "unsupported operator"));
}

static void test_onnx_bad_files_are_input_errors_naming_the_file(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("onnx", "cut.onnx");
    struct nn_model *m = NULL;
    FILE *in, *out;
    char buf[20000];
    size_t n;

    assert_non_null(d);
    assert_core_rc(io_onnx_import("models/lenet5.xml", 1, &m, NULL, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "models/lenet5.xml: not an ONNX model"));
    assert_core_rc(io_onnx_import(DATA "none.onnx", 1, &m, NULL, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "none.onnx:0: cannot open"));
    in = fopen(DATA "lenet.onnx", "rb");
    assert_non_null(in);
    n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    assert_int_equal(n, sizeof(buf));
    out = fopen(d->path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(out);
    assert_core_rc(io_onnx_import(d->path, 1, &m, NULL, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, d->path));
    assert_null(m);
    testutil_dir_destroy(d);
}

/* A node without op_type (protobuf leaves the string NULL; a fuzzer's find:
 * the importer compared it with strcmp). A 50-byte ModelProto: opset 13, a
 * graph input x (float32, 1x1x4x4), one node x -> y without op_type, and
 * output y. */
static void test_onnx_node_without_op_type_is_an_input_error(void **unused)
{
    static const unsigned char file[] =
        "\x08\x08\x3a\x2a\x0a\x06\x0a\x01\x78\x12\x01\x79\x5a\x1b\x0a\x01\x78\x12\x16"
        "\x0a\x14\x08\x01\x12\x10\x0a\x02\x08\x01\x0a\x02\x08\x01\x0a\x02\x08\x04\x0a"
        "\x02\x08\x04\x62\x03\x0a\x01\x79\x42\x02\x10\x0d";
    struct testutil_dir *d = testutil_dir_create("onnx", "no-op-type.onnx");
    struct nn_model *m = NULL;
    FILE *out;

    assert_non_null(d);
    out = fopen(d->path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(file, 1, sizeof(file) - 1, out), sizeof(file) - 1);
    assert_int_equal(fclose(out), 0);
    assert_core_rc(io_onnx_import(d->path, 1, &m, NULL, &err), CORE_E_INPUT);
    assert_null(m);
    assert_non_null(strstr(err.msg, ": node 0 has no op_type"));
    testutil_dir_destroy(d);
}

static void test_onnx_import_survives_every_allocation_failure(void **unused)
{
    bool done = false;

    for (unsigned long k = 1; !done; k++) {
        struct nn_model *m = NULL;
        long live = core_alloc_live();
        enum core_rc rc;

        assert_true(k < 5000);
        core_alloc_fail_after(k);
        rc = io_onnx_import(DATA "resblock.onnx", 1, &m, NULL, &err);
        core_alloc_fail_after(0);
        done = rc == CORE_OK;
        if (!done) {
            if (rc != CORE_E_NOMEM)
                print_error("allocation %lu: %s: %s\n", k, core_rc_name(rc), err.msg);
            assert_int_equal(rc, CORE_E_NOMEM);
            assert_null(m);
        }
        nn_model_destroy(m);
        assert_int_equal(core_alloc_live(), live);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_model_write_round_trips_every_model_file),
        TEST(test_model_write_to_an_unwritable_path_is_an_io_error),
        TEST(test_onnx_fixtures_import_with_pytorchs_parameter_counts),
        TEST(test_onnx_shuffle_and_split_become_their_layers),
        TEST(test_onnx_unsupported_operator_names_the_node_and_its_type),
        TEST(test_onnx_bad_files_are_input_errors_naming_the_file),
        TEST(test_onnx_node_without_op_type_is_an_input_error),
        TEST(test_onnx_import_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
