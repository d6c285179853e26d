/*
 * test_zoo_torch.c — every zoo model against torchvision itself: the same
 * weights give the same logits.
 *
 * tests/ref/torchvision_zoo.py export builds each model as torchvision 0.14
 * does, draws its weights (He normal convs and linears, random biases,
 * batch norms with random gamma, beta, mean and variance, so that folding
 * them is checked), and writes its state_dict, an input and the logits
 * PyTorch computes. Here each state_dict tensor goes, in order, into the
 * zoo model's layer of the same role (conv2d and fc: weight then bias;
 * batchnorm: weight, bias, running mean, running variance), with every
 * shape checked; the model then runs on the input as written (batch norms
 * run unfolded), folded and fused on one thread, and on two.
 *
 * What it reaches: the largest deviation over the reference's largest
 * magnitude (ref_rel_err) is 1.4e-7 to 1.4e-6 as written on this host, up
 * to 1.8e-6 folded and fused and at two threads (float32 sums in another
 * order than PyTorch's); TOL is 1e-4. The newer five models' layer names
 * are torchvision's module names, so a state_dict's tensor names are their
 * weights file's: checked too.
 *
 * PyTorch is a reference only: where /usr/bin/python3 cannot import torch
 * and torchvision, the test is skipped and says why. It writes about 900 MB
 * (VGG-16's weights) under /tmp, removes them, and takes about 25 s, most
 * of it in PyTorch. Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "unit/nn/ref_nn.h"

#include "nn/nn.h"

#define TOL    1e-4
#define PYTHON "/usr/bin/python3"
#define SCRIPT "tests/ref/torchvision_zoo.py"

/* Read the next tensor record of f: its name into name (NUL-terminated),
 * rank and dimensions into *rank, dims; the data stays unread. */
static void read_header(FILE *f, const char *path, char *name, size_t name_size, uint32_t *rank,
                        uint32_t *dims)
{
    uint32_t len;

    if (fread(&len, 4, 1, f) != 1 || len == 0 || len >= name_size ||
        fread(name, 1, len, f) != len || fread(rank, 4, 1, f) != 1 || *rank < 1 || *rank > 4 ||
        fread(dims, 4, *rank, f) != *rank) {
        print_error("%s: a truncated or malformed tensor record\n", path);
        fail();
    }
    name[len] = '\0';
}

/* Fill layer i's tensors (count of them, each of the given float counts)
 * from f into its weights, in order; *same_names stays true while every
 * tensor is called "<layer name>.<role>". */
static void load_layer(struct nn_model *m, int i, FILE *f, const char *path, size_t count,
                       const size_t *floats, bool *same_names)
{
    const char *lname = nn_model_layer_name(m, i);
    size_t n_w, at = 0;
    float *w = nn_model_layer_weights(m, i, &n_w);

    for (size_t k = 0; k < count; k++) {
        char tname[256];
        uint32_t rank, dims[4];
        size_t elems = 1;

        read_header(f, path, tname, sizeof(tname), &rank, dims);
        for (uint32_t d = 0; d < rank; d++)
            elems *= dims[d];
        if (elems != floats[k] || at + elems > n_w) {
            print_error("%s: torchvision's %s has %zu values, coinfer's layer %d '%s' (%s) takes "
                        "%zu there\n",
                        path, tname, elems, i, lname, nn_op_name(nn_model_layer_op(m, i)),
                        floats[k]);
            fail();
        }
        if (fread(w + at, sizeof(float), elems, f) != elems) {
            print_error("%s: %s is truncated\n", path, tname);
            fail();
        }
        at += elems;
        *same_names =
            *same_names && strncmp(tname, lname, strlen(lname)) == 0 && tname[strlen(lname)] == '.';
    }
    assert_int_equal(at, n_w);
}

/* Load path's state_dict into finalized model m; true when every tensor
 * carried the coinfer layer's name. */
static bool load_state_dict(struct nn_model *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    bool same_names = true;

    if (f == NULL)
        print_error("cannot open %s\n", path);
    assert_non_null(f);
    for (int i = 0; i < (int)nn_model_n_layers(m); i++) {
        const enum nn_op op = nn_model_layer_op(m, i);
        const struct nn_params *p = nn_model_layer_params(m, i);
        const struct nn_shape in = nn_model_shape(m, nn_model_layer_inputs(m, i, &(size_t){0})[0]);
        const struct nn_shape out = nn_model_shape(m, i);
        size_t n_w, floats[4];

        nn_model_layer_weights(m, i, &n_w);
        if (op == NN_OP_CONV2D || op == NN_OP_FC) {
            floats[0] = n_w - (p->bias ? out.c : 0);
            floats[1] = out.c;
            load_layer(m, i, f, path, p->bias ? 2 : 1, floats, &same_names);
        } else if (op == NN_OP_BATCHNORM) {
            floats[0] = floats[1] = floats[2] = floats[3] = in.c;
            load_layer(m, i, f, path, 4, floats, &same_names);
        } else {
            assert_int_equal(n_w, 0);
        }
    }
    if (fgetc(f) != EOF) {
        print_error("%s: torchvision has more tensors than coinfer's model\n", path);
        fail();
    }
    fclose(f);
    return same_names;
}

/* n floats from path into x. */
static void read_floats(const char *path, float *x, size_t n)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        print_error("cannot open %s\n", path);
    assert_non_null(f);
    assert_int_equal(fread(x, sizeof(float), n, f), n);
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
}

static double run_err(struct nn_model *m, const float *x, const float *logits, size_t n,
                      int threads)
{
    struct core_err e;

    if (nn_model_forward(m, x, threads, &e) != CORE_OK)
        print_error("forward: %s\n", e.msg);
    assert_non_null(nn_model_output(m));
    return ref_rel_err(nn_model_output(m), logits, n);
}

static void check_model(enum nn_zoo_model z, const char *dir)
{
    const char *name = nn_zoo_name(z);
    struct nn_model *m;
    struct core_err e;
    struct nn_shape in, out;
    char path[512];
    float *x, *logits;
    double err_plain, err_fused, err_two;
    bool same_names;

    assert_int_equal(nn_zoo_build(z, 1, &m, &e), CORE_OK);
    assert_int_equal(nn_model_finalize(m, 1, &e), CORE_OK);
    snprintf(path, sizeof(path), "%s/%s.tensors", dir, name);
    same_names = load_state_dict(m, path);
    unlink(path);
    in = nn_model_shape(m, NN_INPUT);
    out = nn_model_shape(m, (int)nn_model_n_layers(m) - 1);
    x = core_aligned_alloc(64, ref_elems(&in) * sizeof(float));
    logits = core_malloc(ref_elems(&out) * sizeof(float));
    assert_non_null(x);
    assert_non_null(logits);
    snprintf(path, sizeof(path), "%s/%s.input", dir, name);
    read_floats(path, x, ref_elems(&in));
    snprintf(path, sizeof(path), "%s/%s.logits", dir, name);
    read_floats(path, logits, ref_elems(&out));

    err_plain = run_err(m, x, logits, ref_elems(&out), 1);
    nn_model_fold_batchnorm(m);
    nn_model_fuse_activations(m);
    err_fused = run_err(m, x, logits, ref_elems(&out), 1);
    err_two = run_err(m, x, logits, ref_elems(&out), 2);
    print_message("%-16s relative error %.2g as written, %.2g folded and fused, %.2g at 2 "
                  "threads (allowed %.0e); tensor names %s\n",
                  name, err_plain, err_fused, err_two, TOL,
                  same_names ? "torchvision's" : "coinfer's own");
    assert_true(err_plain <= TOL);
    assert_true(err_fused <= TOL);
    assert_true(err_two <= TOL);
    if (z >= NN_ZOO_GOOGLENET)
        assert_true(same_names);
    core_free(x);
    core_free(logits);
    nn_model_destroy(m);
}

static void test_zoo_logits_match_torchvision_with_the_same_weights(void **state)
{
    struct testutil_dir *d;
    char cmd[1024];
    size_t at;
    int z;

    if (system(PYTHON " -c 'import torch, torchvision' >/dev/null 2>&1") != 0) {
        print_message("skipped: " PYTHON " cannot import torch and torchvision (the reference; "
                      "scripts/install-deps.sh --bench installs python3-torch "
                      "python3-torchvision)\n");
        skip();
    }
    d = testutil_dir_create("zoo-torch", "unused");
    assert_non_null(d);
    at = (size_t)snprintf(cmd, sizeof(cmd), PYTHON " " SCRIPT " export %s", d->dir);
    for (z = 0; z < NN_ZOO_COUNT; z++)
        at += (size_t)snprintf(cmd + at, sizeof(cmd) - at, " %s", nn_zoo_name(z));
    assert_true(at < sizeof(cmd));
    if (system(cmd) != 0) {
        print_error("%s failed\n", cmd);
        testutil_dir_destroy(d);
        fail();
    }
    for (z = 0; z < NN_ZOO_COUNT; z++)
        check_model((enum nn_zoo_model)z, d->dir);
    testutil_dir_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_zoo_logits_match_torchvision_with_the_same_weights),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
