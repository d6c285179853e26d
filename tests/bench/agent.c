/*
 * agent.c — decision time of the learning agent (policy_agent_decide: the
 * features normalised, the network run at batch 1, the heads decoded by the
 * exact programme) on the zoo's VGG-16 (a chain) and ResNet-18 (a DAG: its
 * ideals) with zoo_problem.h's cost table, against joint's decision on the
 * same states in the same invocation. The agent is trained briefly on
 * random plans (its weights do not change its decision time); its training
 * speed is reported too. Batches of decisions alternate agent, joint; per
 * model the medians over the batches:
 *
 *   agent [--decisions N] [--batches B] [--hidden H] [--depth D] [--prior model|none]
 *         [--pessimism K]
 *
 * (the prior: `coinfer train`'s default, model, adds computing the
 * prediction's heads to each decision; pessimism K > 0, with the model
 * prior, a second decode: the prediction's plan first). Without
 * --pessimism, each model's agent is timed twice: at 0 and at `coinfer
 * train`'s default (POLICY_AGENT_PESSIMISM_DEFAULT), what `--policy rl`
 * decides with an agent trained with the defaults; a line each:
 *
 *   model=vgg16 layers=<n> cuts=<n> heads=<n> hidden=64 depth=2 prior=model pessimism=0
 *     agent_ns=<ns> joint_ns=<ns> agent_over_joint=<ratio> train_steps_per_s=<n>
 *
 * then, per model, where a decision's time goes (policy_int.h's pieces on
 * the same states, batches alternating, medians): the network at batch 1
 * (a network of the agent's shape), the state's masks and prior (masks
 * alone with --prior none), and one decode of the heads (pessimism K > 0
 * runs it twice):
 *
 *   parts model=vgg16 net_ns=<ns> prior_ns=<ns> decode_ns=<ns>
 */
#include "compute/compute.h"
#include "nn/nn.h"
#include "policy/policy_int.h"
#include "zoo_problem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BATCHES 64
#define N_STATE 16
#define N_SAMPLES 2000

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

/* The state's features: log rates, every wait, the weights; the rest 0. */
static void features(const struct compute_state *st, const struct compute_problem *p, float *f)
{
    size_t k = 0, o;
    int s;

    memset(f, 0, N_STATE * sizeof(*f));
    f[k++] = (float)log(st->ul_rate_bps);
    f[k++] = (float)log(st->dl_rate_bps);
    f[k++] = (float)st->w_latency;
    f[k++] = (float)st->w_energy;
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++)
        for (o = 0; o < p->n_options[s] && k < N_STATE; o++)
            f[k++] = (float)st->wait_s[s][o];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *x, long n)
{
    qsort(x, (size_t)n, sizeof(*x), cmp_double);
    return x[n / 2];
}

/* The parts of a decision on problem p (see the file comment) over the
 * first `decisions` states and features, in batches; a line. */
static int parts(const char *model, const struct compute_problem *p,
                 const struct compute_state *states, const float *feat, long decisions,
                 long batches, long hidden, long depth, bool with_prior)
{
    struct policy_agent_signature sig;
    struct policy_head h;
    struct nn_model *net = NULL;
    struct core_err err = {0};
    double net_s[MAX_BATCHES], prior_s[MAX_BATCHES], decode_s[MAX_BATCHES];
    struct compute_plan pl;
    long b, i;

    if (policy_head_init(&h, p, &err) != CORE_OK || policy_head_prior_enable(&h, &err) != CORE_OK) {
        fprintf(stderr, "agent: %s: %s\n", model, err.msg);
        return 1;
    }
    policy_agent_signature_of(&h, model, "phone", N_STATE, &sig);
    if (policy_agent_net_build(&sig, (uint32_t)hidden, (uint32_t)depth, 1, 1, &net, &err) !=
        CORE_OK) {
        fprintf(stderr, "agent: %s: %s\n", model, err.msg);
        return 1;
    }
    for (b = 0; b < batches; b++) {
        double start = core_wall_s(), v;

        for (i = 0; i < decisions; i++) {
            if (nn_model_forward(net, feat + i * N_STATE, 1, &err) != CORE_OK) {
                fprintf(stderr, "agent: %s\n", err.msg);
                return 1;
            }
        }
        net_s[b] = (core_wall_s() - start) / (double)decisions;
        start = core_wall_s();
        for (i = 0; i < decisions; i++) {
            policy_head_masks(&h, &states[i]);
            if (with_prior)
                policy_head_prior(&h, &states[i], 0, 1);
        }
        prior_s[b] = (core_wall_s() - start) / (double)decisions;
        start = core_wall_s();
        for (i = 0; i < decisions; i++)
            policy_head_decode(&h, h.prior, &pl, &v);
        decode_s[b] = (core_wall_s() - start) / (double)decisions;
    }
    printf("parts model=%s net_ns=%.0f prior_ns=%.0f decode_ns=%.0f\n", model,
           median(net_s, batches) * 1e9, median(prior_s, batches) * 1e9,
           median(decode_s, batches) * 1e9);
    nn_model_destroy(net);
    policy_head_fini(&h);
    return 0;
}

int main(int argc, char **argv)
{
    static const enum nn_zoo_model zoo[] = {NN_ZOO_VGG16, NN_ZOO_RESNET18};
    long decisions = 1000, batches = 7, hidden = 64, depth = 2;
    double ks[2] = {0, POLICY_AGENT_PESSIMISM_DEFAULT};
    size_t n_ks = 2;
    enum policy_prior prior = POLICY_PRIOR_MODEL;
    struct core_err err = {0};
    struct core_rng *r;
    struct compute_state *states;
    float *feat;
    struct policy_sample *samples;
    size_t z;
    int a;

    core_init();
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--decisions") == 0 && a + 1 < argc) {
            decisions = atol(argv[++a]);
        } else if (strcmp(argv[a], "--batches") == 0 && a + 1 < argc) {
            batches = atol(argv[++a]);
        } else if (strcmp(argv[a], "--hidden") == 0 && a + 1 < argc) {
            hidden = atol(argv[++a]);
        } else if (strcmp(argv[a], "--depth") == 0 && a + 1 < argc) {
            depth = atol(argv[++a]);
        } else if (strcmp(argv[a], "--pessimism") == 0 && a + 1 < argc) {
            ks[0] = atof(argv[++a]);
            n_ks = 1;
        } else if (strcmp(argv[a], "--prior") == 0 && a + 1 < argc &&
                   policy_prior_parse(argv[a + 1], &prior)) {
            a++;
        } else {
            fprintf(stderr, "usage: agent [--decisions N] [--batches B] [--hidden H] "
                            "[--depth D] [--prior model|none] [--pessimism K]\n");
            return 2;
        }
    }
    if (decisions < 1 || batches < 1 || batches > MAX_BATCHES || hidden < 1 || depth < 0 ||
        !(ks[0] >= 0)) {
        fprintf(stderr,
                "agent: --decisions >= 1, --batches 1..%d, --hidden >= 1, "
                "--depth >= 0, --pessimism >= 0\n",
                MAX_BATCHES);
        return 2;
    }
    if (prior != POLICY_PRIOR_MODEL)
        n_ks = 1; /* pessimism needs the model prior */
    r = core_rng_create(1, 0, CORE_RNG_BENCH);
    states = core_malloc((size_t)(decisions > N_SAMPLES ? decisions : N_SAMPLES) *
                         sizeof(*states));
    feat = core_malloc((size_t)(decisions > N_SAMPLES ? decisions : N_SAMPLES) * N_STATE *
                       sizeof(*feat));
    samples = core_calloc(N_SAMPLES, sizeof(*samples));
    if (!r || !states || !feat || !samples) {
        fprintf(stderr, "agent: out of memory\n");
        return 1;
    }
    for (z = 0; z < sizeof(zoo) / sizeof(zoo[0]); z++) {
        const struct policy_train_config cfg = {
            .seed = 1, .steps = 100, .batch = 64, .learning_rate = 1e-3,
            .hidden = (uint32_t)hidden, .depth = (uint32_t)depth, .conservative = 0.1,
            .holdout = 0, .threads = 1, .prior = (uint32_t)prior};
        struct policy_agent_problem pr = {.model = nn_zoo_name(zoo[z]), .device = "phone",
                                          .n_state = N_STATE};
        struct compute_problem p;
        struct policy_solver *rnd, *joint;
        struct policy_agent *ag = NULL;
        double agent_s[MAX_BATCHES], joint_s[MAX_BATCHES], t0, train_s, sink = 0;
        struct compute_plan pl;
        long i, b;

        if (zoo_problem(zoo[z], &p, &err) != CORE_OK) {
            fprintf(stderr, "agent: %s: %s\n", nn_zoo_name(zoo[z]), err.msg);
            return 1;
        }
        pr.problem = &p;
        rnd = policy_solver_create(POLICY_RANDOM, &p, &err);
        joint = policy_solver_create(POLICY_JOINT, &p, &err);
        if (!rnd || !joint) {
            fprintf(stderr, "agent: %s\n", err.msg);
            return 1;
        }
        for (i = 0; i < N_SAMPLES; i++) {
            struct compute_plan_cost c;

            random_state(&states[i], r, &p);
            features(&states[i], &p, feat + i * N_STATE);
            if (policy_decide(rnd, &states[i], r, &samples[i].plan, &err) != CORE_OK) {
                fprintf(stderr, "agent: %s\n", err.msg);
                return 1;
            }
            compute_plan_cost(&p, &states[i], &samples[i].plan, &c);
            samples[i].cost = c.objective;
            samples[i].state = feat + i * N_STATE;
            samples[i].st = &states[i];
        }
        t0 = core_wall_s();
        if (policy_agent_train(&pr, 1, samples, N_SAMPLES, &cfg, NULL, NULL, 0, &ag, &err) !=
            CORE_OK) {
            fprintf(stderr, "agent: %s: %s\n", nn_zoo_name(zoo[z]), err.msg);
            return 1;
        }
        train_s = core_wall_s() - t0;
        for (i = 0; i < decisions; i++) {
            random_state(&states[i], r, &p);
            features(&states[i], &p, feat + i * N_STATE);
        }
        for (size_t kk = 0; kk < n_ks; kk++) {
            if (policy_agent_set_pessimism(ag, ks[kk], &err) != CORE_OK) {
                fprintf(stderr, "agent: %s\n", err.msg);
                return 2;
            }
            for (b = 0; b < batches; b++) {
                double start = core_wall_s();

                for (i = 0; i < decisions; i++) {
                    if (policy_agent_decide(ag, 0, feat + i * N_STATE, &states[i], &pl, &err) !=
                        CORE_OK) {
                        fprintf(stderr, "agent: %s\n", err.msg);
                        return 1;
                    }
                    sink += pl.n_ue;
                }
                agent_s[b] = (core_wall_s() - start) / (double)decisions;
                start = core_wall_s();
                for (i = 0; i < decisions; i++) {
                    if (policy_decide(joint, &states[i], NULL, &pl, &err) != CORE_OK) {
                        fprintf(stderr, "agent: joint: %s\n", err.msg);
                        return 1;
                    }
                    sink += pl.n_ue;
                }
                joint_s[b] = (core_wall_s() - start) / (double)decisions;
            }
            qsort(agent_s, (size_t)batches, sizeof(agent_s[0]), cmp_double);
            qsort(joint_s, (size_t)batches, sizeof(joint_s[0]), cmp_double);
            printf("model=%s layers=%zu cuts=%zu heads=%zu hidden=%ld depth=%ld prior=%s "
                   "pessimism=%g agent_ns=%.0f joint_ns=%.0f agent_over_joint=%.2f "
                   "train_steps_per_s=%.0f mean_n_ue=%.1f\n",
                   nn_zoo_name(zoo[z]), p.n_layers, policy_solver_cuts(joint),
                   policy_agent_heads(&policy_agent_image(ag)->parts[0].sig), hidden, depth,
                   policy_prior_name(prior), ks[kk], agent_s[batches / 2] * 1e9,
                   joint_s[batches / 2] * 1e9, agent_s[batches / 2] / joint_s[batches / 2],
                   (double)cfg.steps / train_s, sink / (double)(2 * decisions * batches));
            sink = 0;
        }
        if (parts(nn_zoo_name(zoo[z]), &p, states, feat, decisions, batches, hidden, depth,
                  prior == POLICY_PRIOR_MODEL))
            return 1;
        policy_agent_destroy(ag);
        policy_solver_destroy(rnd);
        policy_solver_destroy(joint);
        compute_problem_fini(&p);
    }
    core_free(samples);
    core_free(feat);
    core_free(states);
    core_rng_destroy(r);
    return 0;
}
