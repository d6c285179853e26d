/*
 * test_fit.c — sim/nn's training loop on the real Fashion-MNIST (a small
 * model, the first items only, so the program takes seconds): it learns,
 * one thread repeats a run bit for bit and another seed changes it, the
 * augmentation and dropout keep that, the progress reports add up, a stop
 * request interrupts, nn_evaluate agrees with a forward by hand, and every
 * misfit between model and data is an input error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "nn/nn.h"
#include "testutil.h"

static struct core_err err;
static struct nn_dataset *train_set, *test_set;

static int load_data(void **state)
{
    if (nn_dataset_load_fmnist(NN_FMNIST_DIR, true, &train_set, &err) != CORE_OK ||
        nn_dataset_load_fmnist(NN_FMNIST_DIR, false, &test_set, &err) != CORE_OK) {
        fprintf(stderr, "test_fit: %s\n", err.msg);
        return -1;
    }
    train_set->n = 2048;
    test_set->n = 500;
    return 0;
}

static int free_data(void **state)
{
    nn_dataset_destroy(train_set);
    nn_dataset_destroy(test_set);
    return 0;
}

/* conv 8 3x3 stride 2 (relu) -> batch norm -> dropout -> fc 10 [-> softmax],
 * batch 32, finalized with seed 3. */
static struct nn_model *small_model(bool softmax)
{
    const struct nn_shape in = {32, 1, 28, 28};
    const struct nn_params conv = {
        .out_channels = 8, .kernel_h = 3, .stride = 2, .pad = 1, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params fc = {.out_channels = 10, .bias = true};
    struct nn_model *m;
    int x = NN_INPUT;

    assert_core_rc(nn_model_create(&in, &m, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_CONV2D, &conv, &x, 1, NULL, &x, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_BATCHNORM, NULL, &x, 1, NULL, &x, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_DROPOUT, NULL, &x, 1, NULL, &x, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_FC, &fc, &x, 1, NULL, &x, &err), CORE_OK);
    if (softmax)
        assert_core_rc(nn_model_add(m, NN_OP_SOFTMAX, NULL, &x, 1, NULL, &x, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(m, 3, &err), CORE_OK);
    return m;
}

static struct nn_fit_config config(uint64_t seed)
{
    return (struct nn_fit_config){
        .epochs = 2,
        .seed = seed,
        .threads = 1,
        .optim = {.kind = NN_OPTIM_SGD, .lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4},
        .schedule = NN_SCHEDULE_COSINE,
        .augment = true,
    };
}

/* All weights of m, concatenated into w (room for them); returns the count. */
static size_t all_weights(struct nn_model *m, float *w)
{
    size_t i, n, at = 0;

    for (i = 0; i < nn_model_n_layers(m); i++) {
        const float *p = nn_model_layer_weights(m, (int)i, &n);
        if (w && n)
            memcpy(w + at, p, n * sizeof(float));
        at += n;
    }
    return at;
}

struct seen {
    size_t calls;       /* progress calls */
    size_t epoch_ends;  /* of which epoch ends */
    double last_test;   /* test accuracy of the last epoch end */
};

static void count_progress(void *ctx, const struct nn_fit_status *s)
{
    struct seen *v = ctx;

    v->calls++;
    if (s->epoch_end) {
        v->epoch_ends++;
        v->last_test = s->test_accuracy;
        assert_int_equal(s->step, s->steps);
    } else {
        assert_true(isnan(s->test_accuracy));
    }
}

static void test_fit_learns_and_reports_progress(void **state)
{
    struct nn_model *m = small_model(false);
    struct nn_fit_config c = config(1);
    struct nn_fit_result r;
    struct seen v = {0};
    double acc, loss;

    c.progress = count_progress;
    c.ctx = &v;
    assert_core_rc(nn_fit(m, train_set, test_set, &c, &r, &err), CORE_OK);
    assert_int_equal(r.epochs, 2);
    assert_int_equal(v.epoch_ends, 2);
    assert_int_equal(v.calls, 2 * (2048 / 32) + 2);
    assert_near(v.last_test, r.test_accuracy, 0.0);
    /* Ten classes: chance is 0.1. */
    if (!(r.test_accuracy > 0.6)) {
        print_error("test accuracy %.3f after 2 epochs on 2048 items\n", r.test_accuracy);
        fail();
    }
    assert_core_rc(nn_evaluate(m, test_set, 1, &acc, &loss, &err), CORE_OK);
    assert_near(acc, r.test_accuracy, 0.0);
    assert_near(loss, r.test_loss, 0.0);
    nn_model_destroy(m);
}

static void test_one_thread_repeats_a_run_and_the_seed_changes_it(void **state)
{
    struct nn_fit_result r1, r2, r3;
    struct nn_model *a = small_model(true), *b = small_model(true), *c = small_model(true);
    const size_t n = all_weights(a, NULL);
    float *wa = core_malloc(n * sizeof(float)), *wb = core_malloc(n * sizeof(float));
    float *wc = core_malloc(n * sizeof(float));
    struct nn_fit_config ca = config(5), cc = config(6);

    assert_core_rc(nn_fit(a, train_set, test_set, &ca, &r1, &err), CORE_OK);
    assert_core_rc(nn_fit(b, train_set, test_set, &ca, &r2, &err), CORE_OK);
    assert_core_rc(nn_fit(c, train_set, test_set, &cc, &r3, &err), CORE_OK);
    all_weights(a, wa);
    all_weights(b, wb);
    all_weights(c, wc);
    assert_memory_equal(wa, wb, n * sizeof(float));
    assert_true(memcmp(wa, wc, n * sizeof(float)) != 0);
    assert_near(r1.train_loss, r2.train_loss, 0.0);
    core_free(wa);
    core_free(wb);
    core_free(wc);
    nn_model_destroy(a);
    nn_model_destroy(b);
    nn_model_destroy(c);
}

/* nn_evaluate against a forward pass by hand over a batch and a half: the
 * padded last batch counts only its real items. */
static void test_evaluate_counts_each_item_once(void **state)
{
    struct nn_model *m = small_model(true);
    struct nn_dataset part = *test_set;
    size_t idx[32], i, j, hits = 0;
    float x[32 * 784];
    uint32_t y[32];
    double acc;

    part.n = 48;
    assert_core_rc(nn_evaluate(m, &part, 1, &acc, NULL, &err), CORE_OK);
    for (i = 0; i < 48; i += 32) {
        const size_t count = 48 - i < 32 ? 48 - i : 32;
        const float *p;
        for (j = 0; j < 32; j++)
            idx[j] = i + (j < count ? j : 0);
        nn_dataset_batch(&part, idx, 32, x, y);
        assert_core_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
        p = nn_model_output(m);
        for (j = 0; j < count; j++) {
            size_t best = 0, k;
            for (k = 1; k < 10; k++)
                if (p[j * 10 + k] > p[j * 10 + best])
                    best = k;
            hits += best == y[j];
        }
    }
    assert_near(acc, (double)hits / 48.0, 1e-12);
    nn_model_destroy(m);
}

static void test_stop_request_interrupts_after_the_batch(void **state)
{
    struct nn_model *m = small_model(false);
    struct nn_fit_config c = config(1);
    struct nn_fit_result r;
    volatile int stop = 1;

    c.stop = &stop;
    assert_core_rc(nn_fit(m, train_set, test_set, &c, &r, &err), CORE_E_INTERRUPTED);
    assert_non_null(strstr(err.msg, "epoch 1, batch 1"));
    assert_int_equal(r.epochs, 0);
    nn_model_destroy(m);
}

static void test_misfits_between_model_and_data_are_input_errors(void **state)
{
    struct nn_model *m = small_model(false), *z;
    struct nn_fit_config c = config(1);
    struct nn_dataset part = *train_set;
    struct nn_fit_result r;
    double acc;

    part.n = 31;
    assert_core_rc(nn_fit(m, &part, NULL, &c, &r, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "do not fill one batch of 32"));
    c.epochs = 0;
    assert_core_rc(nn_fit(m, train_set, NULL, &c, &r, &err), CORE_E_INPUT);
    c.epochs = 1;
    part = *train_set;
    part.classes = 7;
    assert_core_rc(nn_fit(m, &part, NULL, &c, &r, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "7 classes"));
    c.optim.lr = -1;
    assert_core_rc(nn_fit(m, train_set, NULL, &c, &r, &err), CORE_E_INPUT);
    assert_core_rc(nn_model_create(&(struct nn_shape){4, 3, 28, 28}, &z, &err), CORE_OK);
    assert_core_rc(nn_model_add(z, NN_OP_FC, &(struct nn_params){.out_channels = 10},
                                &(int){NN_INPUT}, 1, NULL, NULL, &err),
                   CORE_OK);
    assert_core_rc(nn_model_finalize(z, 1, &err), CORE_OK);
    assert_core_rc(nn_evaluate(z, test_set, 1, &acc, NULL, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "(3, 28, 28) inputs"));
    nn_model_destroy(z);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_fit_learns_and_reports_progress),
        TEST(test_one_thread_repeats_a_run_and_the_seed_changes_it),
        TEST(test_evaluate_counts_each_item_once),
        TEST(test_stop_request_interrupts_after_the_batch),
        TEST(test_misfits_between_model_and_data_are_input_errors),
    };

    core_init();
    return cmocka_run_group_tests(tests, load_data, free_data);
}
