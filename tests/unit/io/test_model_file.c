/*
 * test_model_file.c — model files (sim/io/model_file.c): every zoo model's
 * XML file builds the same network as the C zoo builder, layer by layer, with
 * the published parameter and MAC counts; every broken fixture under
 * tests/data/models/ fails with its exact "FILE:LINE: message"; a weights
 * attribute loads the named file; nothing leaks, out of memory included.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "io/io.h"
#include "io/io_int.h"
#include "nn/nn.h"

static struct core_err err;

static const char *const zoo_files[NN_ZOO_COUNT] = {
    [NN_ZOO_LENET5] = "models/lenet5.xml",
    [NN_ZOO_ALEXNET] = "models/alexnet.xml",
    [NN_ZOO_VGG16] = "models/vgg16.xml",
    [NN_ZOO_RESNET18] = "models/resnet18.xml",
    [NN_ZOO_MOBILENETV2] = "models/mobilenetv2.xml",
    [NN_ZOO_GOOGLENET] = "models/googlenet.xml",
    [NN_ZOO_SQUEEZENET] = "models/squeezenet.xml",
    [NN_ZOO_SHUFFLENETV2] = "models/shufflenetv2.xml",
    [NN_ZOO_MOBILENETV3SMALL] = "models/mobilenetv3small.xml",
    [NN_ZOO_EFFICIENTNETB0] = "models/efficientnetb0.xml",
};

/* The zoo files, loaded once for the tests that only read them. */
static struct nn_model *loaded[NN_ZOO_COUNT];

static int setup(void **unused)
{
    for (int z = 0; z < NN_ZOO_COUNT; z++) {
        if (io_model_load(zoo_files[z], 1, &loaded[z], &err) != CORE_OK) {
            fprintf(stderr, "%s (run from the repository root)\n", err.msg);
            return 1;
        }
    }
    return 0;
}

static int teardown(void **unused)
{
    for (int z = 0; z < NN_ZOO_COUNT; z++)
        nn_model_destroy(loaded[z]);
    return 0;
}

static bool same_shape(struct nn_shape a, struct nn_shape b)
{
    return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

/* Layer by layer: op, name, parameters, inputs and output shape; then the
 * costs. */
static void test_model_files_build_the_zoo_networks_layer_by_layer(void **unused)
{
    for (int z = 0; z < NN_ZOO_COUNT; z++) {
        struct nn_model *file = loaded[z], *zoo = NULL;
        struct nn_cost cf, cz;
        long live = core_alloc_live();

        assert_core_rc(nn_zoo_build((enum nn_zoo_model)z, 1, &zoo, &err), CORE_OK);
        assert_int_equal(nn_model_n_layers(file), nn_model_n_layers(zoo));
        assert_true(same_shape(nn_model_shape(file, NN_INPUT), nn_model_shape(zoo, NN_INPUT)));
        for (int i = 0; i < (int)nn_model_n_layers(zoo); i++) {
            const struct nn_params *pf = nn_model_layer_params(file, i);
            const struct nn_params *pz = nn_model_layer_params(zoo, i);
            size_t nf, nz;
            const int *inf = nn_model_layer_inputs(file, i, &nf);
            const int *inz = nn_model_layer_inputs(zoo, i, &nz);
            bool same = nn_model_layer_op(file, i) == nn_model_layer_op(zoo, i) &&
                        strcmp(nn_model_layer_name(file, i), nn_model_layer_name(zoo, i)) == 0 &&
                        pf->out_channels == pz->out_channels && pf->kernel_h == pz->kernel_h &&
                        pf->kernel_w == pz->kernel_w && pf->stride == pz->stride &&
                        pf->pad == pz->pad && pf->groups == pz->groups && pf->bias == pz->bias &&
                        pf->act == pz->act && pf->eps == pz->eps && pf->ceil == pz->ceil &&
                        pf->offset == pz->offset && nf == nz &&
                        memcmp(inf, inz, nf * sizeof(*inf)) == 0 &&
                        same_shape(nn_model_shape(file, i), nn_model_shape(zoo, i));
            if (!same)
                print_error("%s: layer %d '%s' (%s) differs from the zoo's '%s' (%s)\n",
                            zoo_files[z], i, nn_model_layer_name(file, i),
                            nn_op_name(nn_model_layer_op(file, i)), nn_model_layer_name(zoo, i),
                            nn_op_name(nn_model_layer_op(zoo, i)));
            assert_true(same);
        }
        nn_model_cost(file, &cf);
        nn_model_cost(zoo, &cz);
        print_message("%-24s params %llu (zoo %llu), MACs %llu (zoo %llu), FLOPs %llu (zoo %llu)\n",
                      zoo_files[z], (unsigned long long)cf.params, (unsigned long long)cz.params,
                      (unsigned long long)cf.macs, (unsigned long long)cz.macs,
                      (unsigned long long)cf.flops, (unsigned long long)cz.flops);
        assert_int_equal(cf.params, cz.params);
        assert_int_equal(cf.macs, cz.macs);
        assert_int_equal(cf.flops, cz.flops);
        assert_int_equal(cf.output_bytes, cz.output_bytes);
        nn_model_destroy(zoo);
        assert_int_equal(core_alloc_live(), live);
    }
}

/* torchvision's counts: parameters exactly, MACs within 2 % of the figures
 * usually quoted (AlexNet 0.72 G, VGG-16 15.5 G, ResNet-18 1.8 G,
 * MobileNetV2 0.30 G; the newer five: tests/data/zoo/torchvision.txt). */
static void test_model_files_have_the_published_parameter_and_mac_counts(void **unused)
{
    static const struct {
        enum nn_zoo_model z;
        uint64_t params;   /* exact */
        double macs_pub_m; /* published, millions */
    } want[] = {
        {NN_ZOO_LENET5, 61706, 0.4165},
        {NN_ZOO_ALEXNET, 61100840, 720.0},
        {NN_ZOO_VGG16, 138357544, 15500.0},
        {NN_ZOO_RESNET18, 11689512, 1800.0},
        {NN_ZOO_MOBILENETV2, 3504872, 300.0},
        {NN_ZOO_GOOGLENET, 6624904, 1498.4},
        {NN_ZOO_SQUEEZENET, 1235496, 349.2},
        {NN_ZOO_SHUFFLENETV2, 2278604, 144.9},
        {NN_ZOO_MOBILENETV3SMALL, 2542856, 56.51},
        {NN_ZOO_EFFICIENTNETB0, 5288548, 385.8},
    };

    for (size_t i = 0; i < ARRAY_LEN(want); i++) {
        struct nn_cost c;
        double rel;

        nn_model_cost(loaded[want[i].z], &c);
        rel = (double)c.macs / 1e6 / want[i].macs_pub_m - 1.0;
        print_message("%-24s params %llu (published %llu), MACs %.1f M (published %.4g M, "
                      "%+.2f %%)\n",
                      zoo_files[want[i].z], (unsigned long long)c.params,
                      (unsigned long long)want[i].params, (double)c.macs / 1e6, want[i].macs_pub_m,
                      100 * rel);
        assert_int_equal(c.params, want[i].params);
        assert_true(rel > -0.02 && rel < 0.02);
    }
}

static void test_model_validate_accepts_every_zoo_file_without_allocating_weights(void **unused)
{
    for (int z = 0; z < NN_ZOO_COUNT; z++) {
        long live = core_alloc_live();
        assert_core_rc(io_model_validate(zoo_files[z], &err), CORE_OK);
        assert_int_equal(core_alloc_live(), live);
    }
}

/* Each broken fixture and its exact message. */
static const struct {
    const char *file;
    const char *msg;
} broken[] = {
    {"add_mismatch.xml", ":6: layer 1 'sum' (add): input 1 has shape (1, 3, 8, 8), input 0 has "
                         "(1, 4, 8, 8)"},
    {"bad_eps.xml",
     ":5: element 'layer': attribute 'eps': '-1' is not a positive finite float32 number"},
    {"bad_shape.xml", ":6: layer 1 'c2' (conv2d): kernel 7x7 does not fit input 3x3 with "
                      "padding 0"},
    {"ceil_avgpool.xml",
     ":5: layer 'pool' (avgpool): attribute 'ceil-mode' does not apply to avgpool layers"},
    {"duplicate_name.xml", ":6: layer 1 'a' (relu6): the name is already layer 0's"},
    {"exit_after_below.xml",
     ":6: exit 'e1': attribute 'after': 'c2' is not a layer above the exit"},
    {"exit_after_last.xml", ":7: exit 'e1': it must attach after a layer before the model's last"},
    {"exit_bad_shape.xml",
     ":7: layer 0 'c' (conv2d): kernel 7x7 does not fit input 6x6 with padding 0"},
    {"exit_classes.xml", ":6: exit 'e1': the branch gives 5 outputs per item, the model 3"},
    {"exit_empty.xml", ":6: element 'exit' is missing a child element (expected <layer>)"},
    {"exit_name_taken.xml",
     ":6: exit 'fc': the name is taken by a layer of the model or another exit"},
    {"exit_unused.xml", ":7: layer 'r': its output is never used (only the last layer, the "
                        "model output, may be unused)"},
    {"exit_weight.xml",
     ":6: exit 'e1': attribute 'loss-weight': '-0.5' is not a finite number >= 0"},
    {"forward_input.xml", ":5: layer 'c1': unknown input 'r1' (not \"input\" nor a layer above "
                          "this one)"},
    {"huge_kernel.xml", ":5: element 'layer': attribute 'kernel': '99999999999' is too large (at "
                        "most 4294967295)"},
    {"malformed.xml", ":6: not well-formed XML: opening and ending tag mismatch: layer line 5 and "
                      "model"},
    {"missing_kernel.xml", ":5: layer 'pool' (avgpool): attribute 'kernel' is required"},
    {"missing_out_channels.xml", ":5: layer 'c1' (conv2d): attribute 'out-channels' is required"},
    {"missing_weights.xml", ":3: element 'model': attribute 'weights': "
                            "tests/data/models/no-such-file.cwt:0: cannot open: No such file or "
                            "directory"},
    {"mul_shape.xml", ":6: layer 1 'gate' (mul): input 1 has shape (1, 4, 4, 4); it must be "
                      "input 0's (1, 4, 8, 8) or (1, 4, 1, 1)"},
    {"no_layers.xml", ":3: element 'model' is missing a child element (expected <layer>)"},
    {"reserved_name.xml", ":5: layer 'input': the name \"input\" is reserved for the model input"},
    {"scenario_root.xml", ":3: root element 'scenario' is not a coinfer model file (expected "
                          "<model>)"},
    {"slice_range.xml", ":5: layer 0 'half' (slice): needs 1 <= out_channels and offset + "
                        "out_channels <= the input's 4 channels (got offset 3, out_channels 2)"},
    {"tiny_eps.xml",
     ":5: element 'layer': attribute 'eps': '1e-60' is not a positive finite float32 number"},
    {"too_many_inputs.xml",
     ":6: element 'layer': attribute 'inputs': the value 'r r r r r r r r r' has a length of "
     "'9'; this exceeds the allowed maximum length of '8'"},
    {"unknown_input.xml", ":7: layer 'sum': unknown input 'c2' (not \"input\" nor a layer above "
                          "this one)"},
    {"unknown_type.xml", ":5: element 'layer': attribute 'type': 'conv3d' is not one of: conv2d, "
                         "fc, batchnorm, relu, relu6, maxpool, avgpool, gap, add, concat, "
                         "flatten, softmax, dropout, sigmoid, hardsigmoid, hardswish, silu, mul, "
                         "slice, shuffle"},
    {"unused_layer.xml", ":5: layer 'c1': its output is never used (only the last layer, the "
                         "model output, may be unused)"},
    {"wrong_attribute.xml",
     ":6: layer 'r1' (relu): attribute 'kernel' does not apply to relu layers"},
    {"zero_channels.xml", ":4: element 'input': attribute 'channels': '0' is not a positive "
                          "integer"},
};

static void test_model_broken_files_fail_with_file_line_messages(void **unused)
{
    for (size_t i = 0; i < ARRAY_LEN(broken); i++) {
        char path[256], want[1024];
        struct nn_model *m = (struct nn_model *)&err;
        long live = core_alloc_live();

        snprintf(path, sizeof(path), "tests/data/models/%s", broken[i].file);
        snprintf(want, sizeof(want), "%s%s", path, broken[i].msg);
        core_err_clear(&err);
        assert_core_rc(io_model_load(path, 1, &m, &err), CORE_E_INPUT);
        assert_null(m);
        assert_string_equal(err.msg, want);
        core_err_clear(&err);
        assert_core_rc(io_model_validate(path, &err), CORE_E_INPUT);
        assert_string_equal(err.msg, want);
        assert_int_equal(core_alloc_live(), live);
    }
}

/* The shipped model with exits: its main model is the file's layers alone,
 * its exits attach where the file says with branches of the right shapes,
 * and every loader (the main model alone included) reads its weights. */
static void test_model_exits_load_with_their_branches_and_weights(void **unused)
{
    struct nn_model *m = NULL, *plain = NULL;
    struct nn_exits x = {0};
    long live = core_alloc_live();

    assert_core_rc(io_model_load_exits("models/lenet5-exits.xml", 1, &m, &x, &err), CORE_OK);
    assert_int_equal(nn_model_n_layers(m), 8);
    assert_int_equal(x.n, 2);
    assert_string_equal(x.v[0].name, "exit1");
    assert_string_equal(nn_model_layer_name(m, x.v[0].attach), "pool1");
    assert_string_equal(x.v[1].name, "exit2");
    assert_string_equal(nn_model_layer_name(m, x.v[1].attach), "flatten");
    assert_int_equal(nn_model_n_layers(x.v[0].branch), 3);
    assert_int_equal(nn_model_shape(x.v[0].branch, NN_INPUT).c, 6);
    assert_int_equal(nn_model_shape(x.v[1].branch, NN_INPUT).c, 256);
    assert_near(x.v[0].loss_weight, 1.0, 0.0);
    assert_true(nn_model_is_finalized(x.v[1].branch));
    nn_exits_fini(&x);
    nn_model_destroy(m);
    /* The main model alone: the same weights as with its exits. */
    assert_core_rc(io_model_load("models/lenet5-exits.xml", 1, &plain, &err), CORE_OK);
    assert_core_rc(io_model_load_exits("models/lenet5-exits.xml", 2, &m, &x, &err), CORE_OK);
    for (size_t i = 0; i < nn_model_n_layers(m); i++) {
        size_t na, nb;
        const float *a = nn_model_layer_weights(m, (int)i, &na);
        const float *b = nn_model_layer_weights(plain, (int)i, &nb);
        assert_int_equal(na, nb);
        if (na)
            assert_memory_equal(a, b, na * sizeof(float));
    }
    nn_exits_fini(&x);
    nn_model_destroy(m);
    nn_model_destroy(plain);
    assert_core_rc(io_model_validate("models/lenet5-exits.xml", &err), CORE_OK);
    /* A file without exits gives none. */
    assert_core_rc(io_model_load_graph_exits("models/lenet5.xml", &m, &x, &err), CORE_OK);
    assert_int_equal(x.n, 0);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), live);
}

/* xs:boolean allows white space around the value. */
static void test_model_boolean_attribute_may_carry_white_space(void **unused)
{
    struct nn_model *m = NULL;
    struct nn_cost c;

    assert_core_rc(io_model_load("tests/data/models/spaced_bias.xml", 1, &m, &err), CORE_OK);
    nn_model_cost(m, &c);
    assert_int_equal(c.params, 2 * 64 + 2); /* weights and the bias */
    nn_model_destroy(m);
}

static void test_model_missing_file_is_an_input_error(void **unused)
{
    struct nn_model *m;

    assert_core_rc(io_model_load("tests/data/models/absent.xml", 1, &m, &err), CORE_E_INPUT);
    assert_string_equal(err.msg,
                        "tests/data/models/absent.xml:0: cannot open: No such file or directory");
}

static void test_model_schema_that_cannot_be_read_is_an_io_error(void **unused)
{
    struct nn_model *m;

    setenv("COINFER_MODEL_SCHEMA_DIR", "/nonexistent", 1);
    assert_core_rc(io_model_load("models/lenet5.xml", 1, &m, &err), CORE_E_IO);
    unsetenv("COINFER_MODEL_SCHEMA_DIR");
    assert_string_equal(err.msg, "/nonexistent/schema.xsd:0: cannot open the model schema: No "
                                 "such file or directory (set COINFER_MODEL_SCHEMA_DIR to the "
                                 "directory holding schema.xsd)");
    assert_null(m);
}

/* Copy the file at from to to (the whole of it). */
static void copy_file(const char *from, const char *to)
{
    char buf[4096];
    size_t n;
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Compiled schemas are kept (xml_load.c), but a schema file that changes
 * is compiled again: broken, then whole again. */
static void test_model_schema_is_compiled_again_when_its_file_changes(void **unused)
{
    char dir[] = "/tmp/coinfer-schema-XXXXXX", xsd[64];
    struct nn_model *m = NULL;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(xsd, sizeof(xsd), "%s/schema.xsd", dir);
    copy_file("models/schema.xsd", xsd);
    setenv("COINFER_MODEL_SCHEMA_DIR", dir, 1);
    assert_core_rc(io_model_load_shapes("models/lenet5.xml", &m, &err), CORE_OK);
    nn_model_destroy(m);
    assert_core_rc(io_model_load_shapes("models/lenet5.xml", &m, &err), CORE_OK);
    nn_model_destroy(m);

    f = fopen(xsd, "w");
    assert_non_null(f);
    fputs("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element/>", f);
    assert_int_equal(fclose(f), 0);
    assert_core_rc(io_model_load_shapes("models/lenet5.xml", &m, &err), CORE_E_IO);
    assert_non_null(strstr(err.msg, "the model schema is broken"));

    copy_file("models/schema.xsd", xsd);
    assert_core_rc(io_model_load_shapes("models/lenet5.xml", &m, &err), CORE_OK);
    nn_model_destroy(m);
    unsetenv("COINFER_MODEL_SCHEMA_DIR");
    unlink(xsd);
    rmdir(dir);
}

/* What io_validate_file dispatches on: the root element's name alone. */
static void test_model_root_sniffing_tells_model_files_from_others(void **unused)
{
    assert_true(io_xml_root_is("models/lenet5.xml", "model"));
    assert_false(io_xml_root_is("models/lenet5.xml", "scenario"));
    assert_true(io_xml_root_is("scenarios/default.xml", "scenario"));
    assert_false(io_xml_root_is("scenarios/default.xml", "model"));
    assert_true(io_xml_root_is("tests/data/models/malformed.xml", "model"));
    assert_false(io_xml_root_is("tests/data/models/absent.xml", "model"));
    assert_false(io_xml_root_is("models/schema.xsd", "model"));
}

/* A copy of models/lenet5.xml in dir whose weights attribute names
 * lenet5.cwt next to it; returns the line of <model>. */
static long write_model_with_weights(const char *dir, char *xml, size_t size)
{
    FILE *in = fopen("models/lenet5.xml", "r"), *out;
    char line[512];
    long n = 0, model_line = 0;

    assert_non_null(in);
    snprintf(xml, size, "%s/lenet5.xml", dir);
    out = fopen(xml, "w");
    assert_non_null(out);
    while (fgets(line, sizeof(line), in) != NULL) {
        n++;
        if (strcmp(line, "<model name=\"lenet5\">\n") == 0 && (model_line = n) > 0)
            fputs("<model name=\"lenet5\" weights=\"lenet5.cwt\">\n", out);
        else
            fputs(line, out);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_true(model_line > 0);
    return model_line;
}

static void test_model_weights_attribute_loads_the_named_file(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("model", "lenet5.cwt");
    char xml[256];
    const char *cwt;
    struct nn_model *saved = NULL, *m = NULL, *seeded = NULL;
    size_t n_layers, n1, n2;
    bool all_same = true, any_differs = false;
    long live = core_alloc_live(), model_line;

    assert_non_null(d);
    model_line = write_model_with_weights(d->dir, xml, sizeof(xml));
    cwt = d->path;
    assert_core_rc(nn_zoo_build(NN_ZOO_LENET5, 1, &saved, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(saved, 7, &err), CORE_OK);
    assert_core_rc(nn_weights_save(saved, cwt, &err), CORE_OK);

    assert_core_rc(io_model_validate(xml, &err), CORE_OK);
    assert_core_rc(io_model_load(xml, 1, &m, &err), CORE_OK);
    assert_core_rc(io_model_load("models/lenet5.xml", 1, &seeded, &err), CORE_OK);
    n_layers = nn_model_n_layers(m);
    for (int i = 0; i < (int)n_layers; i++) {
        const float *a = nn_model_layer_weights(saved, i, &n1);
        const float *b = nn_model_layer_weights(m, i, &n2);
        const float *c = nn_model_layer_weights(seeded, i, &n2);
        if (a == NULL)
            continue;
        all_same = all_same && memcmp(a, b, n1 * sizeof(*a)) == 0;
        any_differs = any_differs || memcmp(b, c, n1 * sizeof(*a)) != 0;
    }
    assert_true(all_same);    /* the file's weights (seed 7), ... */
    assert_true(any_differs); /* ... not seed 1's */

    /* A weights file of another model: FILE:LINE of <model>, then the weights' message. */
    nn_model_destroy(saved);
    assert_core_rc(nn_zoo_build(NN_ZOO_LENET5, 1, &saved, &err), CORE_OK);
    assert_core_rc(nn_model_add(saved, NN_OP_RELU, NULL, (int[]){8}, 1, "extra", NULL, &err),
                   CORE_OK);
    assert_core_rc(nn_model_finalize(saved, 7, &err), CORE_OK);
    assert_core_rc(nn_weights_save(saved, cwt, &err), CORE_OK); /* same tensors: loads */
    nn_model_destroy(m);
    assert_core_rc(io_model_load(xml, 1, &m, &err), CORE_OK);
    nn_model_destroy(saved);
    {
        const struct nn_shape in = {1, 1, 28, 28};
        const struct nn_params p = {.out_channels = 3, .kernel_h = 5, .bias = true};
        assert_core_rc(nn_model_create(&in, &saved, &err), CORE_OK);
        assert_core_rc(
            nn_model_add(saved, NN_OP_CONV2D, &p, (int[]){NN_INPUT}, 1, "conv2d0", NULL, &err),
            CORE_OK);
        assert_core_rc(nn_model_finalize(saved, 7, &err), CORE_OK);
        assert_core_rc(nn_weights_save(saved, cwt, &err), CORE_OK);
    }
    nn_model_destroy(m);
    m = NULL;
    assert_core_rc(io_model_load(xml, 1, &m, &err), CORE_E_INPUT);
    {
        char want[1024];
        snprintf(want, sizeof(want),
                 "%s:%ld: element 'model': attribute 'weights': %s: tensor 0 'conv2d0.weight' "
                 "has shape (3, 1, 5, 5), the model's is (6, 1, 5, 5)",
                 xml, model_line, cwt);
        assert_string_equal(err.msg, want);
        assert_core_rc(io_model_validate(xml, &err), CORE_E_INPUT);
        assert_string_equal(err.msg, want);
    }
    nn_model_destroy(saved);
    nn_model_destroy(seeded);
    testutil_dir_destroy(d);
    assert_int_equal(core_alloc_live(), live);
}

/* Fail each allocation in turn (a model file with a weights file, so the
 * weights reader's are included): CORE_E_NOMEM with nothing leaked, until
 * the load succeeds. */
static void test_model_load_survives_every_allocation_failure(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("model", "lenet5.cwt");
    char xml[256];
    const char *cwt;
    struct nn_model *saved;
    bool done = false;

    assert_non_null(d);
    write_model_with_weights(d->dir, xml, sizeof(xml));
    cwt = d->path;
    assert_core_rc(nn_zoo_build(NN_ZOO_LENET5, 1, &saved, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(saved, 7, &err), CORE_OK);
    assert_core_rc(nn_weights_save(saved, cwt, &err), CORE_OK);
    nn_model_destroy(saved);

    for (unsigned long k = 1; !done; k++) {
        struct nn_model *m = NULL;
        long live = core_alloc_live();
        enum core_rc rc;

        assert_true(k < 2000);
        core_alloc_fail_after(k);
        rc = io_model_load(xml, 3, &m, &err);
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
    testutil_dir_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_files_build_the_zoo_networks_layer_by_layer),
        cmocka_unit_test(test_model_files_have_the_published_parameter_and_mac_counts),
        cmocka_unit_test(test_model_validate_accepts_every_zoo_file_without_allocating_weights),
        cmocka_unit_test(test_model_broken_files_fail_with_file_line_messages),
        cmocka_unit_test(test_model_exits_load_with_their_branches_and_weights),
        cmocka_unit_test(test_model_boolean_attribute_may_carry_white_space),
        cmocka_unit_test(test_model_missing_file_is_an_input_error),
        cmocka_unit_test(test_model_schema_that_cannot_be_read_is_an_io_error),
        cmocka_unit_test(test_model_schema_is_compiled_again_when_its_file_changes),
        cmocka_unit_test(test_model_root_sniffing_tells_model_files_from_others),
        cmocka_unit_test(test_model_weights_attribute_loads_the_named_file),
        cmocka_unit_test(test_model_load_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
