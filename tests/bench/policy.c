/*
 * policy.c — decision time of every policy on the zoo's ResNet-18 and
 * MobileNetV2 graphs (from nn_zoo_build) with a made-up cost table: 4 UE
 * options (cpu-big:4, cpu-little:4, gpu, an npu without fc / softmax) and 3
 * edge options (cpu:32, two GPUs on one resource at shares 1 and 0.5),
 * latencies from each layer's FLOPs. States are drawn at random (rates,
 * waits, weights), 1,000 decisions per batch, 7 batches; prints per model
 * and policy the median time of one decision over the batches:
 *
 *   policy [--decisions N] [--batches B]
 *
 *   model=resnet18 layers=69 cuts=<n> exact=1 policy=joint median_s=<s>
 *
 * and, last, the slowest policy's figure as decisions_per_s=<n>. rl, which
 * decides with a trained agent, is timed by build/bench/agent.
 */
#include "compute/compute.h"
#include "nn/nn.h"
#include "policy/policy.h"
#include "zoo_problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BATCHES 64

static void random_state(struct compute_state *st, struct core_rng *r,
                         const struct compute_problem *p)
{
    size_t o;
    int s;

    memset(st, 0, sizeof(*st));
    st->edge_available = true;
    st->ul_rate_bps = exp(core_rng_uniform_in(r, log(1e6), log(5e8)));
    st->dl_rate_bps = exp(core_rng_uniform_in(r, log(1e7), log(1e9)));
    st->ul_power_w = 1.5;
    st->dl_power_w = 1;
    st->signaling_s = 0.002;
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++)
        for (o = 0; o < p->n_options[s]; o++)
            st->wait_s[s][o] = core_rng_uniform_in(r, 0, 0.02);
    st->w_latency = 1;
    st->w_energy = core_rng_uniform_in(r, 0, 0.5);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    static const enum nn_zoo_model zoo[] = {NN_ZOO_RESNET18, NN_ZOO_MOBILENETV2};
    long decisions = 1000, batches = 7;
    double slowest = 0;
    struct core_err err = {0};
    struct core_rng *r;
    struct compute_state *states;
    size_t z;
    int a;

    core_init();
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--decisions") == 0 && a + 1 < argc) {
            decisions = atol(argv[++a]);
        } else if (strcmp(argv[a], "--batches") == 0 && a + 1 < argc) {
            batches = atol(argv[++a]);
        } else {
            fprintf(stderr, "usage: policy [--decisions N] [--batches B]\n");
            return 2;
        }
    }
    if (decisions < 1 || batches < 1 || batches > MAX_BATCHES) {
        fprintf(stderr, "policy: --decisions >= 1, --batches 1..%d\n", MAX_BATCHES);
        return 2;
    }
    r = core_rng_create(1, 0, CORE_RNG_BENCH);
    states = core_malloc((size_t)decisions * sizeof(*states));
    if (!r || !states) {
        fprintf(stderr, "policy: out of memory\n");
        return 1;
    }
    for (z = 0; z < sizeof(zoo) / sizeof(zoo[0]); z++) {
        struct compute_problem p;
        enum policy_kind k;
        long i;

        if (zoo_problem(zoo[z], &p, &err) != CORE_OK) {
            fprintf(stderr, "policy: %s: %s\n", nn_zoo_name(zoo[z]), err.msg);
            return 1;
        }
        for (i = 0; i < decisions; i++)
            random_state(&states[i], r, &p);
        for (k = 0; k < POLICY_KIND_COUNT; k++) {
            double t0, t1, per[MAX_BATCHES], sink = 0;
            struct compute_plan pl;
            struct policy_solver *s;
            long b;

            /* rl decides with a trained agent: build/bench/agent times it. */
            if (policy_needs_agent(k))
                continue;
            t0 = core_wall_s();
            s = policy_solver_create(k, &p, &err);
            t1 = core_wall_s();
            if (!s) {
                fprintf(stderr, "policy: %s: %s\n", policy_kind_name(k), err.msg);
                return 1;
            }
            for (b = 0; b < batches; b++) {
                double start = core_wall_s();

                for (i = 0; i < decisions; i++) {
                    if (policy_decide(s, &states[i], r, &pl, &err) != CORE_OK) {
                        fprintf(stderr, "policy: %s: %s\n", policy_kind_name(k), err.msg);
                        return 1;
                    }
                    sink += pl.n_ue;
                }
                per[b] = (core_wall_s() - start) / (double)decisions;
            }
            qsort(per, (size_t)batches, sizeof(per[0]), cmp_double);
            printf("model=%s layers=%zu cuts=%zu exact=%d policy=%s create_s=%.3g "
                   "median_s=%.3g mean_n_ue=%.1f\n", nn_zoo_name(zoo[z]), p.n_layers,
                   policy_solver_cuts(s), policy_solver_exact(s), policy_kind_name(k), t1 - t0,
                   per[batches / 2], sink / (double)(decisions * batches));
            if (per[batches / 2] > slowest)
                slowest = per[batches / 2];
            policy_solver_destroy(s);
        }
        compute_problem_fini(&p);
    }
    printf("decisions_per_s=%.0f\n", 1.0 / slowest);
    core_free(states);
    core_rng_destroy(r);
    return 0;
}
