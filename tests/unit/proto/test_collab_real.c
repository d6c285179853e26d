/*
 * test_collab_real.c — real mode: the UE part and the edge part of each
 * inference actually run on the nn engine, and the tensors crossing the cut
 * are the ones sent.
 *
 * LeNet-5 (zoo weights from a seed, batch norms folded, activations fused),
 * one static UE, one option per side, periodic requests far apart. For every
 * split point: every inference's result class is the class a whole forward
 * pass gives on the same input (the test draws the inputs from the UE's
 * INPUT stream as the world does), the last inference's output is the whole
 * pass's bit for bit, the intermediate message carries exactly
 * the crossing tensors' bytes (the model input at the problem's 1 B per
 * element when the UE computes nothing), and the costed times are those of
 * costed mode.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "collabutil.h"
#include "nn/nn.h"

static struct nn_model *lenet(void)
{
    struct nn_model *m = NULL;

    assert_int_equal(nn_zoo_build(NN_ZOO_LENET5, 1, &m, NULL), CORE_OK);
    assert_int_equal(nn_model_finalize(m, 5, NULL), CORE_OK);
    nn_model_fold_batchnorm(m);
    nn_model_fuse_activations(m);
    return m;
}

/* A problem with LeNet's graph: 1 ms per layer on the UE, 0.1 ms at the
 * edge, one option each. */
static void lenet_problem(const struct nn_model *m, struct compute_problem *p)
{
    size_t n = nn_model_n_layers(m);

    assert_int_equal(compute_problem_init(p, n, 1, 1, NULL), CORE_OK);
    p->input_bytes = (double)nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float);
    for (size_t i = 0; i < n; i++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);

        p->layers[i].n_inputs = (uint32_t)n_in;
        for (size_t k = 0; k < n_in; k++)
            p->layers[i].inputs[k] = in[k];
        p->layers[i].out_bytes = (double)nn_model_tensor_bytes(m, (int)i);
        p->latency_s[COMPUTE_SIDE_UE][i] = 1e-3;
        p->energy_j[COMPUTE_SIDE_UE][i] = 1e-3;
        p->latency_s[COMPUTE_SIDE_EDGE][i] = 1e-4;
        p->energy_j[COMPUTE_SIDE_EDGE][i] = 1e-2;
    }
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        snprintf(p->options[s][0].label, sizeof(p->options[s][0].label), "r");
        p->options[s][0].amount = 1.0;
        p->copy_bytes_per_s[s] = 1e10;
    }
    p->msg_header_bytes = 64.0;
    assert_int_equal(compute_problem_check(p, NULL), CORE_OK);
}

/* The class of a whole forward pass on the UE's next input. */
static int32_t expected_class(struct nn_model *ref, struct core_rng *r, float *input, size_t n)
{
    for (size_t i = 0; i < n; i++)
        input[i] = (float)core_rng_below(r, 256) / 255.0f;
    assert_int_equal(nn_model_forward(ref, input, 1, NULL), CORE_OK);
    {
        struct nn_shape s = nn_model_shape(ref, (int)nn_model_n_layers(ref) - 1);
        const float *out = nn_model_output(ref);
        size_t best = 0;

        for (size_t i = 1; i < (size_t)s.c * s.h * s.w; i++)
            if (out[i] > out[best])
                best = i;
        return (int32_t)best;
    }
}

static void test_collab_real_mode_parts_give_the_whole_model_result_and_send_the_cut(void **st)
{
    struct nn_model *m = lenet(), *ref = lenet();
    size_t n = nn_model_n_layers(m), n_in = nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float);
    struct compute_problem p = {0};
    float *input = core_aligned_alloc(64, n_in * sizeof(float));
    size_t checked = 0;
    unsigned seen = 0; /* bit c: some inference gave class c */

    (void)st;
    lenet_problem(m, &p);
    for (uint32_t k = 0; k <= n; k++) {
        struct core_engine *eng = core_engine_create(0);
        struct radio_ue_group_config g;
        double x[1], y[1];
        struct radio_world *radio = fixed_radio(eng, 1, &g, x, y);
        struct tu_world t;
        struct tu_decider d;
        struct tu_records rec;
        struct proto_collab_world *w;
        struct core_rng *r = core_rng_create(11, 0, CORE_RNG_INPUT);
        bool member[COMPUTE_PLAN_MAX_LAYERS];
        double cut_bytes;
        size_t n_inter = 0;

        protocol_config(&t, &p, 5.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
        t.model[0].output_bytes = (double)nn_model_tensor_bytes(m, (int)n - 1);
        t.c.inference.mode = PROTO_INFER_REAL;
        t.model[0].real = m;
        tu_records_init(&rec, true);
        w = tu_world_create(&t, eng, radio, &d, fixed_split, &k, &rec, NULL);
        assert_non_null(w);
        run_to(eng, 5.0);
        nn_model_part_prefix(m, k, member);
        cut_bytes = k == 0 ? p.input_bytes : (double)nn_model_split_bytes(m, member);
        assert_true(rec.n_inferences >= 4);
        for (size_t i = 0; i < rec.n_inferences; i++) {
            assert_int_equal(rec.inferences[i].o.inference_id, i); /* in request order */
            assert_int_equal(rec.inferences[i].o.result_class, expected_class(ref, r, input, n_in));
            assert_int_equal(rec.inferences[i].o.correct, -1);
            seen |= 1u << rec.inferences[i].o.result_class;
            checked++;
        }
        for (size_t i = 0; i < rec.n_messages; i++)
            if (rec.messages[i].type == PROTO_MSG_INTERMEDIATE) {
                assert_near(rec.messages[i].bytes, 64.0 + cut_bytes, 0.0);
                n_inter++;
            }
        assert_int_equal(n_inter, k < n ? rec.n_inferences : 0);
        /* Every request finished, so the world's model last ran the last
         * inference's final part: its output is the whole model's on that
         * input (ref ran last on it), bit for bit. */
        {
            struct proto_collab_stats stats;
            struct nn_shape s = nn_model_shape(m, (int)n - 1);

            proto_collab_world_stats(w, &stats);
            assert_int_equal(stats.requests, rec.n_inferences);
            assert_memory_equal(nn_model_output(m), nn_model_output(ref),
                                (size_t)s.c * s.h * s.w * sizeof(float));
        }
        core_rng_destroy(r);
        proto_collab_world_destroy(w);
        tu_records_fini(&rec);
        radio_world_destroy(radio);
        core_engine_destroy(eng);
    }
    /* Zoo weights are random: every input may give the same class, which is
     * why the output itself is compared above. */
    printf("%zu inferences over %zu split points: every result class = the whole model's "
           "(classes seen: %d); the last output of each bit-identical\n",
           checked, n + 1, __builtin_popcount(seen));
    core_free(input);
    compute_problem_fini(&p);
    nn_model_destroy(m);
    nn_model_destroy(ref);
}

static void test_collab_real_mode_needs_the_models(void **st)
{
    struct nn_model *m = lenet();
    struct compute_problem p = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_ue_group_config g;
    double x[1], y[1];
    struct radio_world *radio = fixed_radio(eng, 1, &g, x, y);
    struct tu_world t;
    struct tu_decider d;
    struct tu_records rec;
    struct core_err e;
    uint32_t k = 2;

    (void)st;
    lenet_problem(m, &p);
    protocol_config(&t, &p, 5.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    t.c.inference.mode = PROTO_INFER_REAL;
    tu_records_init(&rec, false);
    assert_null(tu_world_create(&t, eng, radio, &d, fixed_split, &k, &rec, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "real mode needs model 0"));
    tu_records_fini(&rec);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
    compute_problem_fini(&p);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_collab_real_mode_parts_give_the_whole_model_result_and_send_the_cut),
        TEST(test_collab_real_mode_needs_the_models),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
