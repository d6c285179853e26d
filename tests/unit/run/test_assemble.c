/*
 * test_assemble.c — collaborative scenarios assembled: scenarios/collab-small.xml
 * loads as IO_SCENARIO_COLLAB and assembles into a proto_world_config whose sides,
 * options, labels and units are those declared; its problem tables hold the
 * CPMM roofline computed here by hand for two layers of LeNet-5 (a
 * compute-bound conv on the phone, a memory-bound fc at the edge), INFINITY
 * where a resource does not run a type and 1 ns where a layer moves no
 * data; their truths are themselves, or with a declared bias the
 * prediction times it; each broken fixture under tests/data/scenarios/ gives exactly the
 * `FILE:LINE: message` a user reads (exit code 2), through io_scenario_load
 * and run_assemble as through run_validate; out-of-memory anywhere in the
 * assembly is reported and nothing leaks. Run from the repository root.
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

#include <sqlite3.h>

#include "testutil.h"

#include "io/io.h"
#include "nn/nn.h"
#include "policy/policy.h"
#include "run/run.h"

#define DATA  "tests/data/scenarios/"
#define SMALL "scenarios/collab-small.xml"

static struct io_config *scenario; /* the tree of the last build_ok */

static struct run_assembly *build_ok(const char *path)
{
    struct core_err e = {0};
    struct run_assembly *c = NULL;
    enum core_rc rc = io_scenario_load(path, NULL, 0, &scenario, &e);

    if (rc == CORE_OK)
        rc = run_assemble(scenario, &c, &e);
    if (rc != CORE_OK) {
        print_error("%s: rc %d: %s\n", path, rc, e.msg);
        fail();
    }
    return c;
}

static void destroy(struct run_assembly *c)
{
    run_assembly_destroy(c);
    io_config_destroy(scenario);
    scenario = NULL;
}

/* |got - want| <= 1e-12 |want|, printing both when not. */
static void assert_close(double got, double want, const char *what)
{
    if (!(fabs(got - want) <= 1e-12 * fabs(want))) {
        print_error("%s: got %.17g, expected %.17g\n", what, got, want);
        fail();
    }
}

static void test_collab_small_scenario_builds_its_config(void **unused)
{
    long live = core_alloc_live();
    struct run_assembly *c = build_ok(SMALL);
    const struct proto_world_config *cfg = &c->collab;

    assert_int_equal(io_config_kind(scenario), IO_SCENARIO_COLLAB);
    assert_true(cfg->sim.duration_s == 30.0);
    assert_true(cfg->sim.seed == 7);
    assert_true(cfg->protocol.header_bytes == 64.0);
    assert_true(cfg->protocol.request_layer_bytes == 16.0);
    assert_int_equal(cfg->protocol.on_handover, PROTO_HO_COMPLETE);
    assert_true(cfg->objective.latency_weight == 1.0);
    assert_true(cfg->objective.energy_weight == 0.0);
    assert_int_equal(cfg->inference.mode, PROTO_INFER_COSTED);
    assert_int_equal(cfg->n_models, 2);
    assert_string_equal(cfg->models[0].name, "lenet5");
    assert_string_equal(cfg->models[1].name, "resnet18");
    assert_true(cfg->models[0].output_bytes == 40.0);   /* 10 float32 */
    assert_true(cfg->models[1].output_bytes == 4000.0); /* 1000 float32 */
    assert_null(cfg->models[0].real); /* costed */
    assert_int_equal(cfg->n_devices, 1);
    assert_int_equal(cfg->n_groups, 1);
    assert_int_equal(cfg->groups[0].n_ues, 3);
    assert_int_equal(cfg->groups[0].device, 0);
    assert_int_equal(cfg->groups[0].n_workloads, 2);
    assert_int_equal(cfg->groups[0].workloads[0].model, 0);
    assert_int_equal(cfg->groups[0].workloads[0].arrival, PROTO_ARRIVAL_POISSON);
    assert_true(cfg->groups[0].workloads[0].rate_hz == 2.0);
    assert_true(cfg->groups[0].workloads[0].deadline_s == 0.05);
    assert_int_equal(cfg->groups[0].workloads[1].model, 1);
    assert_true(cfg->groups[0].workloads[1].rate_hz == 0.5);
    assert_true(cfg->groups[0].workloads[1].deadline_s == 0.2);
    assert_non_null(proto_problem(cfg, 0, 0));
    assert_non_null(proto_problem(cfg, 0, 1));
    assert_int_equal(nn_model_n_layers(c->nn_models[1]), 69);
    destroy(c);
    assert_int_equal(core_alloc_live(), live);
}

static void test_collab_radio_world_has_no_traffic_and_its_own_positions(void **unused)
{
    struct run_assembly *c = build_ok(SMALL);
    const struct radio_world_config *r = (&c->radio);

    assert_int_equal(r->n_groups, 1);
    assert_int_equal(r->deploy.scenario, RADIO_SCENARIO_UMI);
    assert_int_equal(r->groups[0].n_ues, 3);
    assert_true(r->groups[0].ul_bytes == 0.0);
    assert_true(r->groups[0].dl_bytes == 0.0);
    assert_true(r->groups[0].request_rate_hz == 0.0);
    assert_true(r->groups[0].pos_x_m[1] == -20.0);
    assert_true(r->groups[0].pos_y_m[2] == -90.0);
    /* The world outlives the scenario it came from. */
    io_config_destroy(scenario);
    scenario = NULL;
    assert_true(r->groups[0].pos_x_m[0] == 30.0);
    destroy(c);
}

static void test_collab_options_labels_and_units_are_as_declared(void **unused)
{
    static const char *const ue_labels[] = {"cpu:1", "cpu:2", "cpu:4", "npu"};
    static const double ue_amounts[] = {1, 2, 4, 1};
    static const uint32_t ue_resources[] = {0, 0, 0, 1};
    static const char *const edge_labels[] = {"gpu", "cpu:4", "cpu:16"};
    static const double edge_amounts[] = {1, 4, 16};
    static const uint32_t edge_resources[] = {0, 1, 1};
    struct run_assembly *c = build_ok(SMALL);
    const struct proto_world_config *cfg = &c->collab;
    const struct proto_side *ue = &cfg->devices[0], *edge = &cfg->edge;
    const struct compute_problem *p = proto_problem(cfg, 0, 0);

    assert_int_equal(ue->n_instances, 2);
    assert_string_equal(ue->instances[0].name, "cpu");
    assert_string_equal(ue->instances[1].name, "npu");
    assert_int_equal(ue->instances[0].units, 4);
    assert_int_equal(ue->instances[1].units, 1);
    assert_true(ue->instances[0].idle_power_w == 0.1);
    assert_true(ue->instances[1].idle_power_w == 0.05);
    assert_int_equal(ue->n_options, 4);
    assert_int_equal(p->n_options[COMPUTE_SIDE_UE], 4);
    for (size_t o = 0; o < 4; o++) {
        assert_string_equal(p->options[COMPUTE_SIDE_UE][o].label, ue_labels[o]);
        assert_true(p->options[COMPUTE_SIDE_UE][o].amount == ue_amounts[o]);
        assert_int_equal(p->options[COMPUTE_SIDE_UE][o].resource, ue_resources[o]);
        assert_int_equal(ue->option_units[o], (uint32_t)ue_amounts[o]);
    }
    assert_int_equal(p->default_option[COMPUTE_SIDE_UE], 2); /* default="cpu:4" */

    assert_int_equal(edge->n_instances, 2);
    assert_string_equal(edge->instances[0].name, "gpu");
    assert_string_equal(edge->instances[1].name, "cpu");
    assert_int_equal(edge->instances[0].units, 1);
    assert_int_equal(edge->instances[1].units, 16);
    assert_true(edge->instances[1].idle_power_w == 40.0);
    assert_true(edge->instances[0].background_load == 0.0);
    assert_true(edge->instances[1].background_load == 0.2);
    assert_close(edge->instances[1].background_job_s, 0.005, "background job");
    assert_int_equal(edge->n_options, 3);
    for (size_t o = 0; o < 3; o++) {
        assert_string_equal(p->options[COMPUTE_SIDE_EDGE][o].label, edge_labels[o]);
        assert_true(p->options[COMPUTE_SIDE_EDGE][o].amount == edge_amounts[o]);
        assert_int_equal(p->options[COMPUTE_SIDE_EDGE][o].resource, edge_resources[o]);
        assert_int_equal(edge->option_units[o], o == 0 ? 1u : (uint32_t)edge_amounts[o]);
    }
    assert_int_equal(p->default_option[COMPUTE_SIDE_EDGE], 0); /* default="gpu" */

    /* Copy figures: <device> defaults, <edge> defaults; header from <protocol>. */
    assert_close(p->copy_latency_s[COMPUTE_SIDE_UE], 50e-6, "UE copy latency");
    assert_close(p->copy_bytes_per_s[COMPUTE_SIDE_UE], 10e9, "UE copy bandwidth");
    assert_true(p->copy_power_w[COMPUTE_SIDE_UE] == 1.0);
    assert_close(p->copy_latency_s[COMPUTE_SIDE_EDGE], 10e-6, "edge copy latency");
    assert_close(p->copy_bytes_per_s[COMPUTE_SIDE_EDGE], 12e9, "edge copy bandwidth");
    assert_true(p->copy_power_w[COMPUTE_SIDE_EDGE] == 10.0);
    assert_true(p->msg_header_bytes == 64.0);
    destroy(c);
}

static void test_collab_problem_holds_the_roofline_of_each_layer(void **unused)
{
    struct run_assembly *c = build_ok(SMALL);
    const struct proto_world_config *cfg = &c->collab;
    const struct compute_problem *p = proto_problem(cfg, 0, 0); /* phone, lenet5 */
    const struct nn_model *m = c->nn_models[0];
    const uint16_t *group = c->layer_group[0];
    static const uint16_t want_group[9] = {0, 1, 2, 3, 3, 4, 5, 6, 7};
    struct nn_cost conv, fc;
    double t;

    /* flatten4 moves no data and is maxpool3's only reader: they are one
     * problem layer, whose output is the flattened tensor. */
    assert_int_equal(nn_model_n_layers(m), 9);
    assert_false(nn_model_is_finalized(m)); /* costed mode: shapes only, no weights */
    assert_memory_equal(group, want_group, sizeof(want_group));
    assert_int_equal(p->n_layers, 8);
    assert_true(p->layers[3].out_bytes == 1600.0);
    assert_true(p->input_bytes == 784.0); /* 1x28x28 8-bit pixels (input-element 1 B) */
    assert_int_equal(p->layers[0].n_inputs, 1);
    assert_int_equal(p->layers[0].inputs[0], -1);
    assert_int_equal(p->layers[1].inputs[0], 0);
    assert_true(p->layers[0].out_bytes == 18816.0); /* 6x28x28 float32 */

    /* conv2d0: 6 x 28 x 28 outputs x 25 MACs = 117600 MACs, 2 FLOPs each, plus
     * a bias and a relu per output (4704): 244608 FLOPs; 156 parameters. */
    nn_model_layer_cost(m, 0, &conv);
    assert_int_equal(conv.flops, 244608);
    assert_int_equal(conv.params, 156);
    /* bytes = in 3136 + out 18816 + params 624 = 22576. On cpu:4 (a77: 38.7
     * GFLOP/s per core, efficiency 0.5, 44 GB/s, 5 us) compute-bound: */
    t = fmax(244608.0 / (38.7e9 * 4 * 0.5), 22576.0 / 44e9) + 5e-6;
    assert_close(compute_problem_latency_s(p, COMPUTE_SIDE_UE, 2, 0), t, "conv2d0 on cpu:4");
    assert_close(compute_problem_energy_j(p, COMPUTE_SIDE_UE, 2, 0), 4.0 * t,
                 "conv2d0 energy on cpu:4");
    t = fmax(244608.0 / (38.7e9 * 1 * 0.5), 22576.0 / 44e9) + 5e-6;
    assert_close(compute_problem_latency_s(p, COMPUTE_SIDE_UE, 0, 0), t, "conv2d0 on cpu:1");
    assert_close(compute_problem_energy_j(p, COMPUTE_SIDE_UE, 0, 0), 4.0 / 4.0 * t,
                 "conv2d0 energy on cpu:1");
    /* On the npu (1.92 TFLOP/s, efficiency 0.4, 44 GB/s, 100 us) memory-bound: */
    t = fmax(244608.0 / (1.92e12 * 0.4), 22576.0 / 44e9) + 100e-6;
    assert_close(compute_problem_latency_s(p, COMPUTE_SIDE_UE, 3, 0), t, "conv2d0 on npu");
    assert_close(compute_problem_energy_j(p, COMPUTE_SIDE_UE, 3, 0), 2.0 * t,
                 "conv2d0 energy on npu");

    /* fc5: 400 -> 120 with bias and relu: 96000 + 240 FLOPs, 48120 parameters;
     * bytes = in 1600 + out 480 + params 192480 = 194560. On the T4 (8.1
     * TFLOP/s, efficiency 0.6, 320 GB/s, 20 us) memory-bound: */
    nn_model_layer_cost(m, 5, &fc);
    assert_int_equal(fc.flops, 96240);
    assert_int_equal(fc.params, 48120);
    t = fmax(96240.0 / (8.1e12 * 0.6), 194560.0 / 320e9) + 20e-6;
    assert_close(compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, 0, 4), t, "fc5 on gpu");
    assert_close(compute_problem_energy_j(p, COMPUTE_SIDE_EDGE, 0, 4), 70.0 * t,
                 "fc5 energy on gpu");
    /* On cpu:16 (xeon: 121.6 GFLOP/s per core, efficiency 0.5, 140.8 GB/s, 5 us): */
    t = fmax(96240.0 / (121.6e9 * 16 * 0.5), 194560.0 / 140.8e9) + 5e-6;
    assert_close(compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, 2, 4), t, "fc5 on cpu:16");
    assert_close(compute_problem_energy_j(p, COMPUTE_SIDE_EDGE, 2, 4), 150.0 * t,
                 "fc5 energy on cpu:16");

    /* softmax8 (problem layer 7) does not run on the npu. */
    assert_true(isinf(compute_problem_latency_s(p, COMPUTE_SIDE_UE, 3, 7)));
    assert_true(compute_problem_energy_j(p, COMPUTE_SIDE_UE, 3, 7) == 0.0);
    assert_true(isfinite(compute_problem_latency_s(p, COMPUTE_SIDE_UE, 2, 7)));
    destroy(c);
}

/* The truth (DESIGN.md "Truth and model"): with no bias declared, each
 * problem is its own truth; with `bias` and `bias-by-type` on a resource,
 * the truth is the problem with the layers of that resource's options
 * priced bias times the prediction (latency and energy), everything else
 * the same, and the problems themselves (the prediction) unchanged. */
static void test_collab_truth_is_the_prediction_times_each_resource_bias(void **unused)
{
    static const char *const sets[] = {"resource[npu]@bias=2",
                                       "resource[t4]@bias-by-type=fc=0.5 conv2d=1.5"};
    struct run_assembly *plain = build_ok(SMALL), *c = NULL;
    struct core_err e = {0};
    struct io_config *tree = NULL;
    const struct compute_problem *p, *t, *q;

    for (size_t i = 0; i < plain->n_devices * plain->n_models; i++)
        assert_ptr_equal(plain->truth_of[i], plain->problem_of[i]);
    assert_null(plain->truths);
    assert_ptr_equal(plain->collab.truths, plain->truth_of);
    q = proto_problem(&plain->collab, 0, 0);
    assert_int_equal(io_scenario_load(SMALL, sets, ARRAY_LEN(sets), &tree, &e), CORE_OK);
    assert_int_equal(run_assemble(tree, &c, &e), CORE_OK);
    p = proto_problem(&c->collab, 0, 0); /* phone, lenet5 */
    t = proto_truth(&c->collab, 0, 0);
    assert_ptr_not_equal(p, t);
    assert_int_equal(t->n_layers, p->n_layers);
    for (int sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (size_t o = 0; o < p->n_options[sd]; o++)
            for (size_t i = 0; i < p->n_layers; i++) {
                double lp = compute_problem_latency_s(p, sd, o, i);
                double lt = compute_problem_latency_s(t, sd, o, i);

                /* the prediction does not move */
                assert_true(lp == compute_problem_latency_s(q, sd, o, i));
                if (isinf(lp)) {
                    assert_true(isinf(lt));
                    continue;
                }
                if (sd == COMPUTE_SIDE_UE && strcmp(p->options[sd][o].label, "npu") == 0) {
                    /* a layer's aliases (1 ns each, not the CPMM's) are not biased */
                    assert_true(fabs(lt - 2.0 * lp) <= 4e-9);
                    assert_close(compute_problem_energy_j(t, sd, o, i),
                                 2.0 * compute_problem_energy_j(p, sd, o, i), "npu energy");
                } else if (sd == COMPUTE_SIDE_UE || strcmp(p->options[sd][o].label, "gpu") != 0) {
                    assert_true(lt == lp); /* bias 1: the same bits */
                }
            }
    /* lenet5 on the T4 (the edge's option 0): its convs (problem layers 0
     * and 2) 1.5x, its fcs (4, 5, 6) 0.5x, its pools (1, 3) as predicted;
     * layer 3 holds an alias (flatten, 1 ns), which no bias touches */
    assert_close(compute_problem_latency_s(t, COMPUTE_SIDE_EDGE, 0, 0),
                 1.5 * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, 0, 0), "conv on t4");
    assert_close(compute_problem_latency_s(t, COMPUTE_SIDE_EDGE, 0, 5),
                 0.5 * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, 0, 5), "fc on t4");
    assert_true(compute_problem_latency_s(t, COMPUTE_SIDE_EDGE, 0, 1) ==
                compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, 0, 1));
    run_assembly_destroy(c);
    io_config_destroy(tree);
    destroy(plain);
}

/* Each stored layer of the profile file the fixtures name, sum per model
 * over the problem layers: read straight from the file with SQLite. */
#define PROFILE_DB  "scenarios/profiles/amd-epyc.db"
#define PROFILE_KEY "amd-epyc:haswell:1t"
static double stored_s(const char *model, int layer)
{
    sqlite3 *conn = NULL;
    sqlite3_stmt *st = NULL;
    double t = NAN;

    assert_int_equal(sqlite3_open_v2(PROFILE_DB, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(conn,
                                        "SELECT latency_s FROM profiles WHERE host_key = ?1 AND "
                                        "model = ?2 AND layer_index = ?3",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, PROFILE_KEY, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, layer);
    if (sqlite3_step(st) == SQLITE_ROW)
        t = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(conn);
    return t;
}

/* A resource with profile="FILE#KEY": the truth of each problem layer on
 * its option is the sum of its nn layers' stored measurements (plus 1 ns
 * per alias, which the profile times as 0), with energy its active power
 * times that; the prediction is the CPMM's regression fitted on them,
 * which misses some layers; the phone's declared CPU keeps its roofline
 * as both prediction and truth. */
static void test_collab_stored_profile_is_the_truth_and_the_regression_the_prediction(
    void **unused)
{
    struct run_assembly *c = build_ok(DATA "collab-profile-valid.xml");
    const struct compute_problem *p = proto_problem(&c->collab, 0, 0); /* phone, lenet5 */
    const struct compute_problem *t = proto_truth(&c->collab, 0, 0);
    size_t n_nn = nn_model_n_layers(c->nn_models[0]), missed = 0;

    assert_ptr_not_equal(p, t);
    assert_int_equal(p->n_options[COMPUTE_SIDE_EDGE], 1);
    for (size_t g = 0; g < p->n_layers; g++) {
        double want = 0.0, measured = 0.0;

        for (size_t i = 0; i < n_nn; i++) {
            const double s_i = stored_s("lenet5", (int)i);

            if (c->layer_group[0][i] != g)
                continue;
            if (nn_model_layer_alias(c->nn_models[0], (int)i) || s_i == 0.0) {
                want += 1e-9; /* a pointer hand-off, no energy */
            } else {
                want += s_i;
                measured += s_i;
            }
        }
        assert_false(isnan(want));
        assert_close(compute_problem_latency_s(t, COMPUTE_SIDE_EDGE, 0, g), want, "stored");
        assert_close(compute_problem_energy_j(t, COMPUTE_SIDE_EDGE, 0, g), 10.0 * measured,
                     "stored energy");
        missed += compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, 0, g) !=
                  compute_problem_latency_s(t, COMPUTE_SIDE_EDGE, 0, g);
        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++)
            assert_true(compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, g) ==
                        compute_problem_latency_s(t, COMPUTE_SIDE_UE, o, g));
    }
    if (missed == 0) {
        print_error("the regression priced every layer exactly as measured: no model error\n");
        fail();
    }
    destroy(c);
}

/* A profile file that lacks one layer of a model the scenario runs is a
 * FILE:LINE error at the resource naming the layer (a copy of the shipped
 * file with lenet5's layer 0 deleted, beside a copy of the fixture). */
static void test_collab_profile_missing_a_layer_names_it(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("assemble", "hosts.db");
    char scen[192], want[512];
    struct core_err e = {0};
    sqlite3 *conn = NULL;
    FILE *in, *out;
    char buf[4096];
    size_t n;

    assert_non_null(d);
    in = fopen(PROFILE_DB, "rb");
    out = fopen(d->path, "wb");
    assert_true(in && out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    assert_int_equal(sqlite3_open(d->path, &conn), SQLITE_OK);
    assert_int_equal(sqlite3_exec(conn,
                                  "DELETE FROM profiles WHERE model = 'lenet5' AND "
                                  "layer_index = 0 AND host_key = '" PROFILE_KEY "'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(conn);
    snprintf(scen, sizeof(scen), "%s/s.xml", d->dir);
    in = fopen(DATA "collab-profile-valid.xml", "r");
    out = fopen(scen, "w");
    assert_true(in && out);
    while (fgets(buf, sizeof(buf), in)) {
        char *at = strstr(buf, "../../../scenarios/profiles/amd-epyc.db");

        if (at)
            fprintf(out, "%.*shosts.db%s", (int)(at - buf), buf,
                    at + strlen("../../../scenarios/profiles/amd-epyc.db"));
        else
            fputs(buf, out);
    }
    fclose(in);
    fclose(out);
    assert_int_equal(run_validate(scen, &e), CORE_E_INPUT);
    snprintf(want, sizeof(want),
             "%s:14: element 'resource': resource 'epyc': profile \"hosts.db#" PROFILE_KEY
             "\" holds no layer 0 'conv2d0' of model 'lenet5' (a profile of another model of "
             "that name?)",
             scen);
    if (strcmp(e.msg, want) != 0) {
        print_error("got      \"%s\"\nexpected \"%s\"\n", e.msg, want);
        fail();
    }
    testutil_dir_destroy(d);
}

/* ResNet-18's folded batch norms and fused ReLUs join the layer they read:
 * conv2d0 + batchnorm1 + relu2 are problem layer 0, costing the conv's price
 * plus 1 ns per alias; maxpool3 is problem layer 1. */
static void test_collab_folded_and_fused_layers_join_their_producer(void **unused)
{
    struct run_assembly *c = build_ok(SMALL);
    const struct compute_problem *p = proto_problem(&c->collab, 0, 1); /* resnet18 */
    const struct nn_model *m = c->nn_models[1];
    const uint16_t *group = c->layer_group[1];
    size_t aliases = 0;

    assert_string_equal(nn_model_layer_name(m, 1), "batchnorm1");
    assert_string_equal(nn_model_layer_name(m, 2), "relu2");
    assert_int_equal(group[0], 0);
    assert_int_equal(group[1], 0);
    assert_int_equal(group[2], 0);
    assert_int_equal(group[3], 1);
    for (size_t i = 1; i < nn_model_n_layers(m); i++)
        aliases += group[i] == group[i - 1];
    assert_int_equal(p->n_layers + aliases, nn_model_n_layers(m));
    assert_true(p->layers[1].inputs[0] == 0); /* maxpool3 reads relu2: group 0 */
    for (int side = 0; side < COMPUTE_SIDE_COUNT; side++) {
        for (size_t o = 0; o < p->n_options[side]; o++) {
            assert_true(compute_problem_latency_s(p, (enum compute_side)side, o, 0) > 1e-6);
            assert_true(compute_problem_latency_s(p, (enum compute_side)side, o, 1) > 1e-6);
        }
    }
    destroy(c);
}

/* Real mode runs the models: they come finalized, folded and fused, with the
 * same problem layers as costed mode's shapes-only models. */
static void test_collab_real_mode_loads_runnable_models(void **unused)
{
    struct run_assembly *c = build_ok(DATA "collab-real.xml");
    const struct nn_model *m = c->nn_models[0];
    const struct compute_problem *p = proto_problem(&c->collab, 0, 0);

    assert_int_equal(c->collab.inference.mode, PROTO_INFER_REAL);
    assert_true(nn_model_is_finalized(m));
    assert_ptr_equal(c->collab.models[0].real, m);
    assert_int_equal(p->n_layers, 8); /* LeNet-5, flatten with its pool, as in costed mode */
    destroy(c);
}

static void test_collab_zoo_model_builds_like_its_file(void **unused)
{
    struct run_assembly *c = build_ok(DATA "valid-collab-zoo.xml");
    const struct compute_problem *p = proto_problem(&c->collab, 0, 0);

    assert_int_equal(p->n_layers, 8);
    assert_true(p->layers[0].out_bytes == 18816.0);
    assert_int_equal(p->n_options[COMPUTE_SIDE_UE], 2);
    assert_string_equal(p->options[COMPUTE_SIDE_UE][0].label, "cpu:4");
    assert_string_equal(p->options[COMPUTE_SIDE_EDGE][0].label, "gpu");
    destroy(c);
}

static const struct {
    const char *file;
    const char *message; /* after DATA */
} broken_files[] = {
    {"collab-unknown-model.xml", "collab-unknown-model.xml:8: element 'workload': unknown model "
                                 "'lenet6'"},
    {"collab-unknown-resource.xml", "collab-unknown-resource.xml:19: element 'use': unknown "
                                    "resource 'cpu-big'"},
    {"collab-unknown-device.xml", "collab-unknown-device.xml:7: element 'ue-group': unknown "
                                  "device 'tablet'"},
    {"collab-unknown-default.xml", "collab-unknown-default.xml:18: element 'device': default "
                                   "'cpu:3' is not an option of device 'phone' (its options: "
                                   "cpu:4, npu)"},
    {"collab-unsupported-layer.xml",
     "collab-unsupported-layer.xml:8: element 'workload': device 'phone' runs model 'lenet5', "
     "whose layer 8 'softmax8' is of type softmax, which none of its resources supports, with "
     "no edge resource to fall back on"},
    {"collab-zero-weights.xml", "collab-zero-weights.xml:25: element 'objective': latency-weight "
                                "and energy-weight are both 0, which makes every decision "
                                "equally good (give one of them a positive weight)"},
    {"collab-negative-weight.xml", "collab-negative-weight.xml:25: element 'objective': "
                                   "attribute 'energy-weight': '-1' is out of range: "
                                   "'energy-weight' must be in [0, 1e12]"},
    {"collab-bad-model-file.xml", "../models/bad_shape.xml:6: layer 1 'c2' (conv2d): kernel 7x7 "
                                  "does not fit input 3x3 with padding 0"},
    {"collab-measured.xml", "collab-measured.xml:12: element 'resource': resource 'cpu' is "
                            "measured at run time, but a collaborative run must be reproducible "
                            "byte for byte from its files: declare its figures (peak, "
                            "memory-bandwidth) or name a stored profile of the host "
                            "(profile=\"FILE#KEY\", from coinfer profile --db FILE)"},
    {"collab-profile-malformed.xml",
     "collab-profile-malformed.xml:14: element 'resource': resource 'epyc': profile "
     "'../../../scenarios/profiles/amd-epyc.db' is not FILE#KEY (a results database written "
     "by coinfer profile --db, '#', and a host key in it)"},
    {"collab-profile-missing-file.xml",
     "collab-profile-missing-file.xml:14: element 'resource': resource 'epyc': profile "
     "\"../profiles/none.db#amd-epyc:haswell:1t\": tests/data/scenarios/../profiles/none.db: "
     "no such results database"},
    {"collab-profile-unknown-key.xml",
     "collab-profile-unknown-key.xml:14: element 'resource': resource 'epyc': profile "
     "\"../../../scenarios/profiles/amd-epyc.db#intel-xeon:skylakex:1t\": "
     "tests/data/scenarios/../../../scenarios/profiles/amd-epyc.db: no profile under key "
     "'intel-xeon:skylakex:1t' (its keys: amd-epyc:haswell:1t, amd-epyc:haswell:2t)"},
    {"collab-profile-missing-model.xml",
     "collab-profile-missing-model.xml:14: element 'resource': resource 'epyc': profile "
     "\"../../../scenarios/profiles/amd-epyc.db#amd-epyc:haswell:1t\" holds no model "
     "'alexnet' (record it with coinfer profile alexnet --threads 1 --db FILE on host "
     "amd-epyc:haswell:1t)"},
    {"collab-profile-amounts.xml",
     "collab-profile-amounts.xml:20: element 'use': option 'cpu:2' takes 2 cores of resource "
     "'epyc', whose profile \"../../../scenarios/profiles/amd-epyc.db#amd-epyc:haswell:1t\" "
     "was measured on 1 thread: its options take 1 (amounts=\"1\"; or profile it again with "
     "--threads 2)"},
    {"collab-workload-in-radio.xml", "collab-workload-in-radio.xml:7: element 'workload' is "
                                     "allowed only in a collaborative scenario (with <model>, "
                                     "<device> and <edge>)"},
};

static enum core_rc load_and_build(const char *path, struct core_err *e)
{
    struct run_assembly *c = NULL;
    enum core_rc rc = io_scenario_load(path, NULL, 0, &scenario, e);

    if (rc == CORE_OK)
        rc = run_assemble(scenario, &c, e);
    destroy(c);
    return rc;
}

static void check_broken(enum core_rc (*load)(const char *, struct core_err *))
{
    char path[256], want[1024];
    long live = core_alloc_live();
    int bad = 0;

    for (size_t i = 0; i < ARRAY_LEN(broken_files); i++) {
        struct core_err e = {0};
        enum core_rc rc;
        snprintf(path, sizeof(path), DATA "%s", broken_files[i].file);
        snprintf(want, sizeof(want), DATA "%s", broken_files[i].message);
        rc = load(path, &e);
        if (rc != CORE_E_INPUT || core_rc_exit_code(rc) != 2 || strcmp(e.msg, want) != 0) {
            print_error("%s: rc %d\n  got      \"%s\"\n  expected \"%s\"\n", path, rc, e.msg, want);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
    assert_int_equal(core_alloc_live(), live);
}

static void test_collab_each_broken_file_gives_file_line_and_plain_message(void **unused)
{
    check_broken(load_and_build);
}

static void test_collab_validate_file_gives_the_same_errors(void **unused)
{
    struct core_err e = {0};

    check_broken(run_validate);
    assert_int_equal(run_validate(SMALL, &e), CORE_OK);
}

/* Every allocation of path's assembly failed in turn. */
static void out_of_memory_anywhere(const char *path, unsigned long max_k)
{
    long live = core_alloc_live();
    struct core_err e = {0};
    enum core_rc rc = CORE_E_NOMEM;
    unsigned long k;

    for (k = 1; rc == CORE_E_NOMEM && k < max_k; k++) {
        struct run_assembly *c = NULL;
        core_alloc_fail_after(k);
        rc = io_scenario_load(path, NULL, 0, &scenario, &e);
        if (rc == CORE_OK)
            rc = run_assemble(scenario, &c, &e);
        core_alloc_fail_after(0);
        if (rc == CORE_E_NOMEM)
            assert_null(c);
        destroy(c);
        assert_int_equal(core_alloc_live(), live);
    }
    if (rc != CORE_OK)
        print_error("%s: rc %d after %lu allocations: %s\n", path, rc, k, e.msg);
    assert_int_equal(rc, CORE_OK);
    assert_true(k > 2);
}

static void test_collab_out_of_memory_anywhere_is_reported_and_leaks_nothing(void **unused)
{
    out_of_memory_anywhere(DATA "valid-collab-zoo.xml", 1000);
    /* with a stored profile: its store, its samples, the fit */
    out_of_memory_anywhere(DATA "collab-profile-valid.xml", 5000);
}

/* scenarios/accuracy-lenet5.xml: LeNet-5's accuracy file becomes its problem's
 * encodings, fp32 first, each split's measured accuracy on the problem
 * prefix that runs the same layers, the bytes nn_encoding_bytes gives. */
static void test_collab_accuracy_data_offers_encodings_on_the_problem(void **unused)
{
    static const char *const names[] = {"fp32", "fp16", "int8", "int4", "topk:0.25"};
    /* the file's int8 accuracy after 0 (input), 1 (conv1), 2 (pool1), 3 (conv2),
     * 5 (flatten: pool2's problem layer) and 7 (drop: fc1's) nn layers */
    static const double int8_acc[] = {0.9192, 0.9192, 0.9192, 0.9194, 0.9194, 0.9192};
    struct run_assembly *c = build_ok("scenarios/accuracy-lenet5.xml");
    const struct compute_problem *p = c->collab.problems[0];

    (void)unused;
    assert_non_null(p);
    assert_int_equal(p->n_encodings, 5);
    for (size_t k = 0; k < 5; k++)
        assert_string_equal(p->encodings[k].name, names[k]);
    assert_close(p->accuracy, 0.9192, "whole-model accuracy");
    assert_int_equal(p->fixed_encoding, 0);
    assert_int_equal(p->n_layers, 6);
    assert_close(p->encodings[2].tensor_bytes[0], 789, "int8 input bytes");
    assert_close(p->encodings[3].tensor_bytes[0], 397, "int4 input bytes");
    for (size_t g = 0; g < p->n_layers; g++)
        assert_close(p->encodings[2].accuracy[g], int8_acc[g], "int8 accuracy of a prefix");
    assert_close(p->encodings[4].accuracy[0], 0.7514, "topk accuracy at the input");
    /* the truth carries the same encodings */
    assert_int_equal(c->collab.truths ? c->collab.truths[0]->n_encodings : 5, 5);
    destroy(c);
}

/* scenarios/exits.xml: the sections per exit of models/lenet5-exits.accuracy
 * (the plans that cut before an exit and end there) put their lossy
 * encodings' accuracy on each exit's right-sized problem, at the cut of the
 * problem layers the row's device part holds; joint may then send a lossy
 * encoding at an exit. */
static void test_collab_exit_sections_put_lossy_accuracy_on_the_exit_problems(void **unused)
{
    /* int8 before exit1 after 0 (input), 1 (conv1), 2 (pool1) and 4 (exit1.flatten,
     * the head's conv's problem layer) exit-model layers */
    static const double exit1_int8[] = {0.8807, 0.8805, 0.8805, 0.8803};
    struct run_assembly *c = build_ok("scenarios/exits.xml");
    struct compute_problem *p = (struct compute_problem *)c->collab.problems[0];
    const struct compute_problem *q1, *q2;
    struct compute_state st = {.edge_available = true,
                               .ul_rate_bps = 50e3,
                               .dl_rate_bps = 1e6,
                               .w_latency = 1,
                               .w_accuracy = 1};
    struct policy_solver *s;
    struct compute_plan pl;
    struct core_err e = {0};

    (void)unused;
    assert_non_null(p);
    assert_int_equal(p->n_exits, 2);
    q1 = p->exits[0].problem;
    q2 = p->exits[1].problem;
    assert_int_equal(q1->n_layers, 4);
    assert_string_equal(q1->encodings[2].name, "int8");
    for (size_t g = 0; g < 4; g++)
        assert_close(q1->encodings[2].accuracy[g], exit1_int8[g], "int8 before exit1");
    assert_close(q1->encodings[4].accuracy[0], 0.6649, "topk at the input before exit1");
    assert_int_equal(q2->n_layers, 5);
    assert_close(q2->encodings[3].accuracy[4], 0.8944, "int4 after flatten before exit2");
    assert_close(q2->encodings[3].accuracy[0], 0.8948, "int4 at the input before exit2");

    /* The UE busy for 10 s and the edge's layers after pool1 (exit2's too)
     * taking 1 s each:
     * exit1's head at the edge on the image sent as int4 (397 B: 64 ms at 50
     * kbit/s, 87.95 %) beats it as int8 (126 ms, 88.07 %), as fp32 (502 ms)
     * and the model's output (seconds). */
    for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++)
        st.wait_s[COMPUTE_SIDE_UE][o] = 10;
    for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_EDGE]; o++) {
        struct compute_problem *w = (struct compute_problem *)q2;

        for (size_t g = 2; g < p->n_layers; g++)
            p->latency_s[COMPUTE_SIDE_EDGE][o * p->n_layers + g] = 1;
        for (size_t g = 2; g < 4; g++) /* exit2's copies of conv2 and pool2 */
            w->latency_s[COMPUTE_SIDE_EDGE][o * w->n_layers + g] = 1;
    }
    s = policy_solver_create(POLICY_JOINT, p, &e);
    assert_non_null(s);
    assert_int_equal(policy_decide(s, &st, NULL, &pl, &e), CORE_OK);
    assert_int_equal(pl.exit, 1);
    assert_int_equal(pl.n_ue, 0);
    assert_string_equal(p->encodings[pl.encoding].name, "int4");
    assert_close(compute_plan_accuracy(p, &pl), 0.8795, "the plan's accuracy");
    policy_solver_destroy(s);
    destroy(c);
}

/* The same file without its sections per exit (as files were before them):
 * it loads, and a lossy encoding at an exit has no accuracy (fp32 only). */
static void test_collab_exits_without_sections_have_no_lossy_accuracy(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("assemble", "old.accuracy");
    FILE *in = fopen("models/lenet5-exits.accuracy", "r"), *out;
    char line[1024], set[512];
    const char *sets[] = {set};
    bool skip = false;
    struct core_err e = {0};
    struct run_assembly *c = NULL;
    const struct compute_problem *q1;

    (void)unused;
    assert_non_null(d);
    assert_non_null(in);
    out = fopen(d->path, "w");
    assert_non_null(out);
    while (fgets(line, sizeof(line), in)) {
        if (strstr(line, " test images, cuts before exit "))
            skip = true;
        else if (strstr(line, " test images, confidence "))
            skip = false;
        if (!skip)
            fputs(line, out);
    }
    fclose(in);
    fclose(out);
    snprintf(set, sizeof(set), "model[lenet5-exits]@accuracy=%s", d->path);
    assert_int_equal(io_scenario_load("scenarios/exits.xml", sets, 1, &scenario, &e), CORE_OK);
    assert_int_equal(run_assemble(scenario, &c, &e), CORE_OK);
    q1 = c->collab.problems[0]->exits[0].problem;
    for (size_t k = 1; k < q1->n_encodings; k++)
        for (size_t g = 0; g < q1->n_layers; g++)
            assert_true(isnan(q1->encodings[k].accuracy[g]));
    assert_close(c->collab.problems[0]->encodings[2].accuracy[0], 0.9105, "the table's int8");
    destroy(c);
    testutil_dir_destroy(d);
}

/* The exits' sections of the accuracy file: their rows, the exit models'
 * groups and the exits' problems fail cleanly at every allocation. */
static void test_collab_exit_sections_out_of_memory_leak_nothing(void **unused)
{
    (void)unused;
    out_of_memory_anywhere("scenarios/exits.xml", 5000);
}

static void test_collab_accuracy_data_out_of_memory_leaks_nothing(void **unused)
{
    long live = core_alloc_live();
    struct core_err e = {0};
    enum core_rc rc = CORE_E_NOMEM;
    unsigned long k;

    (void)unused;
    for (k = 1; rc == CORE_E_NOMEM && k < 2000; k++) {
        struct run_assembly *c = NULL;
        core_alloc_fail_after(k);
        rc = io_scenario_load("scenarios/accuracy-lenet5.xml", NULL, 0, &scenario, &e);
        if (rc == CORE_OK)
            rc = run_assemble(scenario, &c, &e);
        core_alloc_fail_after(0);
        if (rc == CORE_E_NOMEM)
            assert_null(c);
        destroy(c);
        assert_int_equal(core_alloc_live(), live);
    }
    assert_int_equal(rc, CORE_OK);
    assert_true(k > 2);
}

/* Real mode with exits="on": the exits come with the weights, finalized, for
 * the world to run; the problems offer them as in costed mode. */
static const char *const real_exits_sets[] = {"inference@mode=real"};

static void test_collab_real_mode_loads_the_exits_with_the_weights(void **unused)
{
    struct core_err e = {0};
    struct run_assembly *c = NULL;
    const struct proto_model *pm;
    const struct compute_problem *p;

    (void)unused;
    assert_int_equal(io_scenario_load("scenarios/exits.xml", real_exits_sets, 1, &scenario, &e),
                     CORE_OK);
    assert_int_equal(run_assemble(scenario, &c, &e), CORE_OK);
    pm = &c->collab.models[0];
    p = proto_problem(&c->collab, 0, 0);
    assert_non_null(pm->real);
    assert_non_null(pm->real_exits);
    assert_non_null(pm->real_exit_layers);
    assert_int_equal(pm->real_exits->n, 2);
    assert_int_equal(p->n_exits, 2);
    for (size_t k = 0; k < 2; k++) {
        assert_string_equal(pm->real_exits->v[k].name, p->exits[k].name);
        assert_true(nn_model_is_finalized(pm->real_exits->v[k].branch));
        assert_int_equal(p->exits[k].problem->n_layers,
                         p->exits[k].attach + 1 + pm->real_exit_layers[k].n_groups);
    }
    destroy(c);
}

static void test_collab_real_mode_exits_out_of_memory_leaks_nothing(void **unused)
{
    long live = core_alloc_live();
    struct core_err e = {0};
    enum core_rc rc = CORE_E_NOMEM;
    unsigned long k;

    (void)unused;
    for (k = 1; rc == CORE_E_NOMEM && k < 4000; k++) {
        struct run_assembly *c = NULL;
        core_alloc_fail_after(k);
        rc = io_scenario_load("scenarios/exits.xml", real_exits_sets, 1, &scenario, &e);
        if (rc == CORE_OK)
            rc = run_assemble(scenario, &c, &e);
        core_alloc_fail_after(0);
        if (rc == CORE_E_NOMEM)
            assert_null(c);
        destroy(c);
        assert_int_equal(core_alloc_live(), live);
    }
    assert_int_equal(rc, CORE_OK);
    assert_true(k > 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collab_small_scenario_builds_its_config),
        cmocka_unit_test(test_collab_radio_world_has_no_traffic_and_its_own_positions),
        cmocka_unit_test(test_collab_options_labels_and_units_are_as_declared),
        cmocka_unit_test(test_collab_problem_holds_the_roofline_of_each_layer),
        cmocka_unit_test(test_collab_truth_is_the_prediction_times_each_resource_bias),
        cmocka_unit_test(test_collab_stored_profile_is_the_truth_and_the_regression_the_prediction),
        cmocka_unit_test(test_collab_profile_missing_a_layer_names_it),
        cmocka_unit_test(test_collab_folded_and_fused_layers_join_their_producer),
        cmocka_unit_test(test_collab_zoo_model_builds_like_its_file),
        cmocka_unit_test(test_collab_real_mode_loads_runnable_models),
        cmocka_unit_test(test_collab_each_broken_file_gives_file_line_and_plain_message),
        cmocka_unit_test(test_collab_validate_file_gives_the_same_errors),
        cmocka_unit_test(test_collab_out_of_memory_anywhere_is_reported_and_leaks_nothing),
        cmocka_unit_test(test_collab_accuracy_data_offers_encodings_on_the_problem),
        cmocka_unit_test(test_collab_exit_sections_put_lossy_accuracy_on_the_exit_problems),
        cmocka_unit_test(test_collab_exits_without_sections_have_no_lossy_accuracy),
        cmocka_unit_test(test_collab_exit_sections_out_of_memory_leak_nothing),
        cmocka_unit_test(test_collab_accuracy_data_out_of_memory_leaks_nothing),
        cmocka_unit_test(test_collab_real_mode_loads_the_exits_with_the_weights),
        cmocka_unit_test(test_collab_real_mode_exits_out_of_memory_leaks_nothing),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
