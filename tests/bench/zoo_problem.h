/*
 * zoo_problem.h — the made-up cost table the policy benchmarks share
 * (policy.c, agent.c): a zoo model's graph (nn_zoo_build) with 4 UE options
 * (cpu-big:4, cpu-little:4, gpu, an npu without fc / softmax) and 3 edge
 * options (cpu:32, two GPUs on one resource at shares 1 and 0.5), latencies
 * from each layer's FLOPs.
 */
#ifndef COINFER_BENCH_ZOO_PROBLEM_H
#define COINFER_BENCH_ZOO_PROBLEM_H

#include <math.h>
#include <stdio.h>

#include "compute/compute.h"
#include "nn/nn.h"

static void set_cost(struct compute_problem *p, enum compute_side s, size_t o, size_t i,
                     double t_s, double e_j)
{
    p->latency_s[s][o * p->n_layers + i] = t_s;
    p->energy_j[s][o * p->n_layers + i] = e_j;
}

static void set_option(struct compute_problem *p, enum compute_side s, size_t o, uint32_t res,
                       double amount, const char *label)
{
    p->options[s][o].resource = res;
    p->options[s][o].amount = amount;
    snprintf(p->options[s][o].label, sizeof(p->options[s][o].label), "%s", label);
}

static enum core_rc zoo_problem(enum nn_zoo_model z, struct compute_problem *p,
                                struct core_err *e)
{
    /* effective FLOP/s and W of each option */
    static const double ue_rate[] = {2e10, 6e9, 4e10, 1.5e11}, ue_power[] = {4, 1, 3, 2};
    static const double edge_rate[] = {2e11, 4e12, 2e12};
    struct nn_model *m = NULL;
    enum core_rc rc;
    size_t n, i, j, o;

    rc = nn_zoo_build(z, 1, &m, e);
    if (rc != CORE_OK)
        return rc;
    n = nn_model_n_layers(m);
    rc = compute_problem_init(p, n, 4, 3, e);
    if (rc != CORE_OK)
        goto out;
    p->input_bytes = (double)nn_model_tensor_bytes(m, NN_INPUT);
    p->msg_header_bytes = 64;
    set_option(p, COMPUTE_SIDE_UE, 0, 0, 4, "cpu-big:4");
    set_option(p, COMPUTE_SIDE_UE, 1, 1, 4, "cpu-little:4");
    set_option(p, COMPUTE_SIDE_UE, 2, 2, 1, "gpu");
    set_option(p, COMPUTE_SIDE_UE, 3, 3, 1, "npu");
    set_option(p, COMPUTE_SIDE_EDGE, 0, 0, 32, "cpu:32");
    set_option(p, COMPUTE_SIDE_EDGE, 1, 1, 1, "gpu");
    set_option(p, COMPUTE_SIDE_EDGE, 2, 1, 0.5, "gpu:0.5");
    p->default_option[COMPUTE_SIDE_UE] = 0;
    p->default_option[COMPUTE_SIDE_EDGE] = 1;
    for (i = 0; i < n; i++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);
        enum nn_op op = nn_model_layer_op(m, (int)i);
        struct nn_cost c;

        nn_model_layer_cost(m, (int)i, &c);
        p->layers[i].n_inputs = (uint32_t)n_in;
        for (j = 0; j < n_in; j++)
            p->layers[i].inputs[j] = in[j];
        p->layers[i].out_bytes = (double)c.output_bytes;
        for (o = 0; o < 4; o++) {
            double t = 2e-5 + (double)c.flops / ue_rate[o];

            set_cost(p, COMPUTE_SIDE_UE, o, i, t, t * ue_power[o]);
        }
        if (op == NN_OP_FC || op == NN_OP_SOFTMAX)
            set_cost(p, COMPUTE_SIDE_UE, 3, i, INFINITY, 0);
        for (o = 0; o < 3; o++) {
            double t = 1e-5 + (double)c.flops / edge_rate[o];

            set_cost(p, COMPUTE_SIDE_EDGE, o, i, t, t * 70);
        }
    }
    p->copy_latency_s[COMPUTE_SIDE_UE] = 5e-5;
    p->copy_bytes_per_s[COMPUTE_SIDE_UE] = 1e10;
    p->copy_power_w[COMPUTE_SIDE_UE] = 1;
    p->copy_latency_s[COMPUTE_SIDE_EDGE] = 2e-5;
    p->copy_bytes_per_s[COMPUTE_SIDE_EDGE] = 1.2e10;
    p->copy_power_w[COMPUTE_SIDE_EDGE] = 20;
    rc = compute_problem_check(p, e);
    if (rc != CORE_OK)
        compute_problem_fini(p);
out:
    nn_model_destroy(m);
    return rc;
}

#endif /* COINFER_BENCH_ZOO_PROBLEM_H */
