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
 *
 * Early exits: LeNet-5 with two exits (branches with weights from a seed),
 * its problem priced by the CPMM with the exits' right-sized problems
 * (proto_problem_exit_add). For every cut of each exit's right-sized
 * problem, fp32: every result class is the exit's (the main model through
 * the attach point, then the branch) on the same input, the last output
 * bit for bit, and the intermediate message carries the right-sized
 * problem's crossing bytes; int8: the bytes of the encoded tensors, which
 * are the problem's.
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

/* ---- early exits --------------------------------------------------------------- */

static int add_layer(struct nn_model *b, enum nn_op op, const struct nn_params *p, int in,
                     const char *name)
{
    int index;

    assert_int_equal(nn_model_add(b, op, p, &in, 1, name, &index, NULL), CORE_OK);
    return index;
}

/* LeNet-5's two exits, weights from a seed, folded and fused like it: "e1"
 * after the first max pooling (conv 8 3x3 stride 2, a relu layer, flatten,
 * fc 10: the relu and the flatten become aliases grouped with the conv) and
 * "e2" after the second (fc 10), whose attach point's problem layer ends at
 * the flatten (an alias reading it alone). */
static void lenet_exits(const struct nn_model *m, struct nn_exits *x)
{
    const struct nn_params conv = {.out_channels = 8, .kernel_h = 3, .stride = 2, .bias = true};
    const struct nn_params fc = {.out_channels = 10, .bias = true};
    int pool[2], n_pool = 0, l;
    struct nn_model *b;

    for (int i = 0; i < (int)nn_model_n_layers(m) && n_pool < 2; i++)
        if (nn_model_layer_op(m, i) == NN_OP_MAXPOOL)
            pool[n_pool++] = i;
    assert_int_equal(n_pool, 2);
    memset(x, 0, sizeof(*x));
    {
        struct nn_shape at = nn_model_shape(m, pool[0]);

        assert_int_equal(nn_model_create(&at, &b, NULL), CORE_OK);
        l = add_layer(b, NN_OP_CONV2D, &conv, NN_INPUT, "conv");
        l = add_layer(b, NN_OP_RELU, NULL, l, "relu");
        l = add_layer(b, NN_OP_FLATTEN, NULL, l, "flatten");
        add_layer(b, NN_OP_FC, &fc, l, "fc");
        assert_int_equal(nn_exits_add(x, m, "e1", pool[0], 1.0, b, NULL), CORE_OK);
    }
    {
        struct nn_shape at = nn_model_shape(m, pool[1]);

        assert_int_equal(nn_model_create(&at, &b, NULL), CORE_OK);
        add_layer(b, NN_OP_FC, &fc, NN_INPUT, "fc");
        assert_int_equal(nn_exits_add(x, m, "e2", pool[1], 1.0, b, NULL), CORE_OK);
    }
    assert_int_equal(nn_exits_finalize(x, 7, NULL), CORE_OK);
    for (size_t k = 0; k < x->n; k++) {
        nn_model_fold_batchnorm(x->v[k].branch);
        nn_model_fuse_activations(x->v[k].branch);
    }
}

/* m's problem grouped as ml, priced by one declared resource on each side
 * (one option each), fp32 and int8 (accuracy not measured), with x's exits (grouped as bl) offered
 * as proto_problem_exit_add makes them. */
static void exits_problem(const struct nn_model *m, const struct proto_layers *ml,
                          const struct nn_exits *x, const struct proto_layers *bl,
                          struct compute_problem *p)
{
    struct compute_cpmm *c = compute_cpmm_create();
    struct compute_resource r = {.kind = COMPUTE_RES_GPU,
                                 .units = 1,
                                 .peak_flops = 1e9,
                                 .mem_bandwidth_bytes_per_s = 1e9,
                                 .overhead_s = 1e-4,
                                 .idle_power_w = 1.0,
                                 .active_power_w = 2.0};
    struct proto_side_options opts = {.n = 1, .units = {1}};
    size_t res[1];
    struct proto_side_price side = {.opts = &opts, .cpmm_resource = res, .copy_bytes_per_s = 1e10};
    struct nn_encoding int8;

    assert_non_null(c);
    snprintf(r.name, sizeof(r.name), "r");
    for (int t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++) {
        r.efficiency[t] = 0.5;
        r.supports[t] = true;
        r.bias[t] = 1.0;
    }
    opts.option[0].amount = 1.0;
    snprintf(opts.option[0].label, sizeof(opts.option[0].label), "r");
    assert_int_equal(compute_cpmm_add_resource(c, &r, &res[0], NULL), CORE_OK);
    assert_int_equal(compute_cpmm_fit(c, NULL), CORE_OK);
    assert_int_equal(proto_problem_build(c, m, ml, &side, &side, 1.0, 64.0, false, p, NULL),
                     CORE_OK);
    assert_int_equal(compute_problem_encodings_init(p, 2, NULL), CORE_OK);
    snprintf(p->encodings[0].name, sizeof(p->encodings[0].name), "fp32");
    snprintf(p->encodings[1].name, sizeof(p->encodings[1].name), "int8");
    assert_true(nn_encoding_parse("int8", &int8));
    p->encodings[1].tensor_bytes[0] =
        (double)nn_encoding_bytes(&int8, nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float));
    for (size_t g = 0; g < ml->n_groups; g++)
        p->encodings[1].tensor_bytes[1 + g] =
            (double)nn_encoding_bytes(&int8, nn_model_tensor_bytes(m, ml->last[g]) / sizeof(float));
    p->accuracy = 0.9;
    for (size_t k = 0; k < x->n; k++)
        assert_int_equal(
            proto_problem_exit_add(c, ml, &x->v[k], &bl[k], &side, &side, false, 0.8, p, NULL),
            CORE_OK);
    assert_int_equal(compute_problem_check(p, NULL), CORE_OK);
    compute_cpmm_destroy(c);
}

/* A plan of exit exit's right-sized problem, its first k layers on the UE,
 * the uplink sending encoding enc. */
struct exit_cut {
    uint8_t exit;     /* 1.. */
    uint32_t k;       /* layers on the UE */
    uint8_t encoding; /* the problem's encoding */
};

static enum core_rc exit_split(void *ctx, const struct compute_problem *p,
                               const struct compute_state *s, struct core_rng *rng,
                               struct compute_plan *out, struct core_err *e)
{
    const struct exit_cut *c = ctx;
    const struct compute_problem *q = p->exits[c->exit - 1].problem;

    (void)rng, (void)e;
    memset(out, 0, sizeof(*out));
    out->exit = c->exit;
    out->n_layers = (uint32_t)q->n_layers;
    out->n_ue = s->edge_available ? c->k : out->n_layers;
    out->encoding = out->n_ue < out->n_layers ? c->encoding : 0;
    for (uint32_t i = 0; i < out->n_layers; i++)
        out->order[i] = (uint16_t)i;
    return CORE_OK;
}

/* The class exit ex gives the UE's next input, as nn_exits_classify runs an
 * exit: the main model's layers through the attach point, then the branch
 * on the attach point's own output. */
static int32_t exit_class(struct nn_model *m, const struct nn_exit *ex, struct core_rng *r,
                          float *input, size_t n, float *slots)
{
    bool member[COMPUTE_PLAN_MAX_LAYERS];
    int ids[COMPUTE_PLAN_MAX_LAYERS + 1];
    float *outs[COMPUTE_PLAN_MAX_LAYERS + 1];
    const float *entry = input, *at = NULL;
    size_t count, off = 0;

    for (size_t i = 0; i < n; i++)
        input[i] = (float)core_rng_below(r, 256) / 255.0f;
    nn_model_part_prefix(m, (size_t)ex->attach + 1, member);
    count = nn_model_part_exits(m, member, ids);
    for (size_t q = 0; q < count; q++) {
        outs[q] = slots + off;
        off += (nn_model_tensor_bytes(m, ids[q]) / sizeof(float) + 15) / 16 * 16;
        if (ids[q] == ex->attach)
            at = outs[q];
    }
    assert_non_null(at);
    assert_int_equal(nn_model_forward_part(m, member, &entry, outs, 1, NULL), CORE_OK);
    assert_int_equal(nn_model_forward(ex->branch, at, 1, NULL), CORE_OK);
    {
        const float *out = nn_model_output(ex->branch);
        size_t best = 0;

        for (size_t i = 1; i < 10; i++)
            if (out[i] > out[best])
                best = i;
        return (int32_t)best;
    }
}

static void test_collab_real_mode_runs_each_exit_right_sized_at_every_cut(void **st)
{
    struct nn_model *m = lenet();
    struct nn_exits x;
    struct proto_layers ml = {0}, bl[2] = {{0}};
    struct compute_problem p = {0};
    size_t n_in = nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float), checked = 0, n_coded = 0;
    float *input = core_aligned_alloc(64, n_in * sizeof(float));
    float *slots = core_aligned_alloc(64, nn_model_arena_bytes(m) + 64 * 64);
    float last[10];

    (void)st;
    lenet_exits(m, &x);
    assert_int_equal(proto_layers_init(m, &ml, NULL), CORE_OK);
    for (size_t k = 0; k < x.n; k++)
        assert_int_equal(proto_layers_init(x.v[k].branch, &bl[k], NULL), CORE_OK);
    assert_int_equal(bl[0].n_groups, 2); /* conv (relu, flatten), fc */
    assert_true(ml.group_of[x.v[1].attach] == ml.group_of[x.v[1].attach + 1]); /* pool2 flatten */
    exits_problem(m, &ml, &x, bl, &p);
    for (uint8_t ex = 1; ex <= x.n; ex++) {
        const struct compute_problem *q = p.exits[ex - 1].problem;

        for (uint32_t run = 0; run < 2 * (q->n_layers + 1); run++) {
            const uint32_t k = run / 2; /* every cut, fp32 then int8 */
            const uint8_t enc = (uint8_t)(run % 2);
            struct core_engine *eng = core_engine_create(0);
            struct radio_ue_group_config g;
            double xs[1], ys[1];
            struct radio_world *radio = fixed_radio(eng, 1, &g, xs, ys);
            struct tu_world t;
            struct tu_decider d;
            struct tu_records rec;
            struct proto_collab_world *w;
            struct core_rng *r = core_rng_create(11, 0, CORE_RNG_INPUT);
            struct exit_cut cut = {ex, k, enc};
            struct compute_plan plan;
            struct compute_state s = {.edge_available = true};
            size_t n_inter = 0;

            assert_int_equal(exit_split(&cut, &p, &s, NULL, &plan, NULL), CORE_OK);
            assert_int_equal(compute_plan_check(&p, &plan, true, NULL), CORE_OK);
            protocol_config(&t, &p, 5.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
            t.model[0].output_bytes = 40.0;
            t.c.inference.mode = PROTO_INFER_REAL;
            t.model[0].real = m;
            t.model[0].real_group = ml.group_of;
            t.model[0].real_exits = &x;
            t.model[0].real_exit_layers = bl;
            tu_records_init(&rec, true);
            w = tu_world_create(&t, eng, radio, &d, exit_split, &cut, &rec, NULL);
            assert_non_null(w);
            run_to(eng, 5.0);
            assert_true(rec.n_inferences >= 4);
            /* the world's branch ran last on the last inference */
            memcpy(last, nn_model_output(x.v[ex - 1].branch), sizeof(last));
            for (size_t i = 0; i < rec.n_inferences; i++) {
                const struct proto_outcome *o = &rec.inferences[i].o;

                int32_t want = exit_class(m, &x.v[ex - 1], r, input, n_in, slots);

                assert_int_equal(o->inference_id, i);
                assert_int_equal(o->plan.exit, ex);
                assert_int_equal(o->plan.encoding, plan.encoding);
                assert_int_equal(o->correct, -1); /* no label */
                if (plan.encoding == 0) {         /* lossless: the exit's class */
                    assert_int_equal(o->result_class, want);
                    checked++;
                }
            }
            /* bit for bit: the reference ran the last inference's input last */
            if (plan.encoding == 0)
                assert_memory_equal(last, nn_model_output(x.v[ex - 1].branch), sizeof(last));
            else
                n_coded++;
            for (size_t i = 0; i < rec.n_messages; i++)
                if (rec.messages[i].type == PROTO_MSG_INTERMEDIATE) {
                    /* the crossing tensors at the right-sized problem's bytes (int8:
                     * really encoded, the bytes of what nn_encode wrote) */
                    assert_near(rec.messages[i].bytes, 64.0 + compute_plan_uplink_bytes(&p, &plan),
                                0.0);
                    n_inter++;
                }
            assert_int_equal(n_inter, k < q->n_layers ? rec.n_inferences : 0);
            core_rng_destroy(r);
            proto_collab_world_destroy(w);
            tu_records_fini(&rec);
            radio_world_destroy(radio);
            core_engine_destroy(eng);
        }
    }
    printf("%zu fp32 inferences at every cut of both exits' right-sized problems: each result "
           "class = the exit's on its input, the last output bit-identical; %zu cuts sent int8 "
           "at the problem's bytes\n",
           checked, n_coded);
    core_free(input);
    core_free(slots);
    compute_problem_fini(&p);
    for (size_t k = 0; k < x.n; k++)
        proto_layers_fini(&bl[k]);
    proto_layers_fini(&ml);
    nn_exits_fini(&x);
    nn_model_destroy(m);
}

/* A problem with exits but a model without them: real mode cannot run it. */
static void test_collab_real_mode_needs_the_exits(void **st)
{
    struct nn_model *m = lenet();
    struct nn_exits x;
    struct proto_layers ml = {0}, bl[2] = {{0}};
    struct compute_problem p = {0};
    struct core_engine *eng = core_engine_create(0);
    struct radio_ue_group_config g;
    double xs[1], ys[1];
    struct radio_world *radio = fixed_radio(eng, 1, &g, xs, ys);
    struct tu_world t;
    struct tu_decider d;
    struct tu_records rec;
    struct core_err e;
    struct exit_cut cut = {1, 2, 0};

    (void)st;
    lenet_exits(m, &x);
    assert_int_equal(proto_layers_init(m, &ml, NULL), CORE_OK);
    for (size_t k = 0; k < x.n; k++)
        assert_int_equal(proto_layers_init(x.v[k].branch, &bl[k], NULL), CORE_OK);
    exits_problem(m, &ml, &x, bl, &p);
    protocol_config(&t, &p, 5.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    t.c.inference.mode = PROTO_INFER_REAL;
    t.model[0].real = m;
    t.model[0].real_group = ml.group_of;
    tu_records_init(&rec, false);
    assert_null(tu_world_create(&t, eng, radio, &d, exit_split, &cut, &rec, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "real mode needs model 0 ('chain5')'s 2 exits"));
    tu_records_fini(&rec);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
    compute_problem_fini(&p);
    for (size_t k = 0; k < x.n; k++)
        proto_layers_fini(&bl[k]);
    proto_layers_fini(&ml);
    nn_exits_fini(&x);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_collab_real_mode_parts_give_the_whole_model_result_and_send_the_cut),
        TEST(test_collab_real_mode_needs_the_models),
        TEST(test_collab_real_mode_runs_each_exit_right_sized_at_every_cut),
        TEST(test_collab_real_mode_needs_the_exits),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
