/*
 * test_trained_models.c — the trained models shipped in models/ (written by
 * scripts/train-models.sh): loaded from their model files with their
 * weights, they reach their accuracy goals on the whole Fashion-MNIST test
 * set (the figures the README gives), folding their batch norms and fusing
 * their activations keeps their outputs, and PyTorch, given the same
 * weights through scripts/coinfer_torch.py, computes the same logits, the
 * early exits' of models/lenet5-exits.xml too (skipped with the reason
 * printed where python3-torch is not installed).
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

static struct core_err err;

/* The shipped models, the accuracy the README reports for each (at least
 * the goal) and the goal. */
static const struct {
    const char *file;
    double reported;
    double goal;
} shipped[] = {
    {"models/lenet5-fmnist.xml", 0.9192, 0.91},
    {"models/resnet-fmnist.xml", 0.9332, 0.93},
};

/* Test images compared with PyTorch. */
#define TORCH_IMAGES 32

static struct nn_dataset *test_set;

static int load_data(void **state)
{
    if (nn_dataset_load_fmnist(NN_FMNIST_DIR, false, &test_set, &err) != CORE_OK) {
        fprintf(stderr, "test_trained_models: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int free_data(void **state)
{
    nn_dataset_destroy(test_set);
    return 0;
}

static void test_shipped_models_reach_their_accuracy_goals(void **state)
{
    struct nn_dataset part = *test_set;
    /* Under valgrind (make valgrind) the whole test set takes too long: the
     * first 200 images only, run for memory errors, the accuracy not held. */
    const bool quick = getenv("VALGRIND") != NULL;
    size_t i;

    if (quick)
        part.n = 200;
    for (i = 0; i < ARRAY_LEN(shipped); i++) {
        struct nn_model *m, *b;
        double acc;
        assert_core_rc(io_model_load(shipped[i].file, 1, &m, &err), CORE_OK);
        assert_core_rc(nn_model_clone(m, 100, &b, &err), CORE_OK);
        assert_core_rc(nn_evaluate(b, &part, 1, &acc, NULL, &err), CORE_OK);
        printf("%s: test accuracy %.4f on %zu images (goal %.2f)\n", shipped[i].file, acc,
               part.n, shipped[i].goal);
        if (!quick && !(acc >= shipped[i].reported && acc >= shipped[i].goal)) {
            print_error("%s: test accuracy %.4f, below %.4f\n", shipped[i].file, acc,
                        shipped[i].reported);
            fail();
        }
        nn_model_destroy(b);
        nn_model_destroy(m);
    }
}

/* Logits of the first n test images, one forward pass each (batch 1). */
static void coinfer_logits(struct nn_model *m, size_t n, float *out)
{
    float x[784];
    size_t i;

    for (i = 0; i < n; i++) {
        nn_dataset_batch(test_set, &i, 1, x, NULL);
        assert_core_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
        memcpy(out + i * NN_FMNIST_CLASSES, nn_model_output(m), NN_FMNIST_CLASSES * sizeof(float));
    }
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    size_t i;

    for (i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst))
            worst = d;
    }
    return worst;
}

static void test_folding_and_fusing_keep_the_logits(void **state)
{
    float a[TORCH_IMAGES * NN_FMNIST_CLASSES], b[TORCH_IMAGES * NN_FMNIST_CLASSES];
    size_t i;

    for (i = 0; i < ARRAY_LEN(shipped); i++) {
        struct nn_model *m;
        double d;
        assert_core_rc(io_model_load(shipped[i].file, 1, &m, &err), CORE_OK);
        coinfer_logits(m, TORCH_IMAGES, a);
        nn_model_fold_batchnorm(m);
        nn_model_fuse_activations(m);
        coinfer_logits(m, TORCH_IMAGES, b);
        d = max_abs_diff(a, b, ARRAY_LEN(a));
        if (!(d < 1e-3)) {
            print_error("%s: folded logits differ by %.3g\n", shipped[i].file, d);
            fail();
        }
        nn_model_destroy(m);
    }
}

/* Logits of the first n test images, one forward pass each (batch 1), of
 * model m and then of each of its exits x: rows of (1 + x->n) classes. */
static void coinfer_exit_logits(struct nn_model *m, const struct nn_exits *x, size_t n,
                                float *out)
{
    const size_t layers = nn_model_n_layers(m), row = (1 + x->n) * NN_FMNIST_CLASSES;
    bool *member = calloc(layers, sizeof(*member));
    int *ids = calloc(layers + 1, sizeof(*ids));
    float **outs = calloc(layers + 1, sizeof(*outs));
    float x0[784];

    assert_true(member && ids && outs);
    for (size_t i = 0; i < n; i++) {
        const float *entry = x0;

        nn_dataset_batch(test_set, &i, 1, x0, NULL);
        assert_core_rc(nn_model_forward(m, x0, 1, &err), CORE_OK);
        memcpy(out + i * row, nn_model_output(m), NN_FMNIST_CLASSES * sizeof(float));
        for (size_t j = 0; j < x->n; j++) {
            const float *at = NULL;
            size_t count;

            /* the main model up to the exit's attach point, its output kept */
            nn_model_part_prefix(m, (size_t)x->v[j].attach + 1, member);
            count = nn_model_part_exits(m, member, ids);
            for (size_t q = 0; q < count; q++) {
                outs[q] = malloc(nn_model_tensor_bytes(m, ids[q]));
                assert_non_null(outs[q]);
                if (ids[q] == x->v[j].attach)
                    at = outs[q];
            }
            assert_non_null(at);
            assert_core_rc(nn_model_forward_part(m, member, &entry, outs, 1, &err), CORE_OK);
            assert_core_rc(nn_model_forward(x->v[j].branch, at, 1, &err), CORE_OK);
            memcpy(out + i * row + (1 + j) * NN_FMNIST_CLASSES,
                   nn_model_output(x->v[j].branch), NN_FMNIST_CLASSES * sizeof(float));
            for (size_t q = 0; q < count; q++)
                free(outs[q]);
        }
    }
    free(outs);
    free(ids);
    free(member);
}

/* The first n * cols values scripts/coinfer_torch.py prints for model file. */
static void torch_logits(const char *file, size_t n, size_t cols, float *out)
{
    char cmd[512];
    FILE *p;
    size_t j;

    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 scripts/coinfer_torch.py logits %s %zu", file,
             n);
    p = popen(cmd, "r");
    assert_non_null(p);
    for (j = 0; j < n * cols; j++)
        if (fscanf(p, "%f", &out[j]) != 1)
            break;
    assert_int_equal(pclose(p), 0);
    assert_int_equal(j, n * cols);
}

static void test_pytorch_computes_the_same_logits(void **state)
{
    float mine[TORCH_IMAGES * NN_FMNIST_CLASSES], theirs[TORCH_IMAGES * NN_FMNIST_CLASSES];
    size_t i;

    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        printf("skipped: python3-torch is not installed (scripts/install-deps.sh --bench "
               "installs it); PyTorch's logits not compared\n");
        skip();
    }
    for (i = 0; i < ARRAY_LEN(shipped); i++) {
        struct nn_model *m;
        double d;
        torch_logits(shipped[i].file, TORCH_IMAGES, NN_FMNIST_CLASSES, theirs);
        assert_core_rc(io_model_load(shipped[i].file, 1, &m, &err), CORE_OK);
        coinfer_logits(m, TORCH_IMAGES, mine);
        d = max_abs_diff(mine, theirs, ARRAY_LEN(mine));
        printf("%s: largest |coinfer - PyTorch| logit difference %.3g\n", shipped[i].file, d);
        if (!(d < 1e-3)) {
            print_error("%s: logits differ from PyTorch's by %.3g (first: %g vs %g)\n",
                        shipped[i].file, d, mine[0], theirs[0]);
            fail();
        }
        nn_model_destroy(m);
    }
}

static void test_pytorch_computes_the_same_logits_of_the_early_exits(void **state)
{
    enum { EXITS = 2, COLS = (1 + EXITS) * NN_FMNIST_CLASSES };
    static const char file[] = "models/lenet5-exits.xml";
    float mine[TORCH_IMAGES * COLS], theirs[TORCH_IMAGES * COLS];
    struct nn_exits x = {0};
    struct nn_model *m;
    double d[1 + EXITS] = {0};

    if (system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        printf("skipped: python3-torch is not installed (scripts/install-deps.sh --bench "
               "installs it); PyTorch's logits of the exits not compared\n");
        skip();
    }
    assert_core_rc(io_model_load_exits(file, 1, &m, &x, &err), CORE_OK);
    assert_int_equal(x.n, EXITS);
    coinfer_exit_logits(m, &x, TORCH_IMAGES, mine);
    torch_logits(file, TORCH_IMAGES, COLS, theirs);
    for (size_t i = 0; i < TORCH_IMAGES; i++)
        for (size_t c = 0; c < COLS; c++) {
            const double diff = fabs((double)mine[i * COLS + c] - (double)theirs[i * COLS + c]);

            if (!(diff <= d[c / NN_FMNIST_CLASSES]))
                d[c / NN_FMNIST_CLASSES] = diff;
        }
    for (size_t j = 0; j <= EXITS; j++) {
        const char *stage = j == 0 ? "the model" : x.v[j - 1].name;

        printf("%s, %s: largest |coinfer - PyTorch| logit difference %.3g\n", file, stage, d[j]);
        if (!(d[j] < 1e-3)) {
            print_error("%s, %s: logits differ from PyTorch's by %.3g\n", file, stage, d[j]);
            fail();
        }
    }
    nn_exits_fini(&x);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_shipped_models_reach_their_accuracy_goals),
        TEST(test_folding_and_fusing_keep_the_logits),
        TEST(test_pytorch_computes_the_same_logits),
        TEST(test_pytorch_computes_the_same_logits_of_the_early_exits),
    };

    core_init();
    return cmocka_run_group_tests(tests, load_data, free_data);
}
