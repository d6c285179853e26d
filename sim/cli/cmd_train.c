/*
 * cmd_train.c — `coinfer train SAMPLES.db... --out AGENT [--steps N]
 * [--seed S] [--batch B] [--hidden H] [--depth D] [--lr X]
 * [--conservative A] [--holdout F] [--threads T] [--every K] [--shrink L]
 * [--pessimism K] [--db FILE] [--quiet]`: the learning agent trained offline on the samples of the
 * databases (run_train), written to AGENT. A progress bar with the step,
 * the loss, the held-out loss and regret and the ETA on stderr when it is
 * a terminal; the last line on stdout, for scripts:
 *
 *   samples=<n> problems=<n> steps=<n> loss=<x> heldout_loss=<x> heldout_regret=<x>
 *   train_s=<x> train_id=<n> agent=<path>
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

#define DEFAULT_STEPS 4000
#define DEFAULT_BATCH 128
#define DEFAULT_HIDDEN 64
#define DEFAULT_DEPTH 2
#define DEFAULT_LR 1e-3
#define DEFAULT_CONSERVATIVE 0.1
#define DEFAULT_HOLDOUT 0.1
#define DEFAULT_SEED 1
#define DEFAULT_SHRINK 0.1

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer train SAMPLES.db... --out AGENT [--steps N] [--seed S]\n"
            "                     [--batch B] [--hidden H] [--depth D] [--lr X]\n"
            "                     [--conservative A] [--holdout F] [--threads T]\n"
            "                     [--prior model|none] [--keep best|last] [--every K]\n"
            "                     [--shrink L] [--pessimism K] [--imitate]\n"
            "                     [--max-samples N] [--db FILE] [--quiet]\n"
            "\n"
            "Train the learning agent offline on the training samples of the results\n"
            "databases (every complete collaborative run records them; its recorded\n"
            "configuration gives each sample's action space) and write it to AGENT, for\n"
            "`coinfer run --policy rl --agent AGENT`.\n"
            "\n"
            "  --out AGENT        the agent file to write (required)\n"
            "  --steps N          optimiser steps (default %d)\n"
            "  --seed S           weights, hold-out split and batches (default %d)\n"
            "  --batch B          samples per step of each (model, device) (default %d)\n"
            "  --hidden H         trunk width (default %d)\n"
            "  --depth D          trunk layers, 0..16 (default %d; 0: linear heads)\n"
            "  --lr X             Adam's initial learning rate, cosine to 0 (default %g)\n"
            "  --conservative A   weight of the conservative term against plans the data\n"
            "                     never shows (default %g; 0: none)\n"
            "  --holdout F        share of the samples held out for evaluation, 0..0.5\n"
            "                     (default %g)\n"
            "  --threads T        1 or 2 (default 1: deterministic for a seed)\n"
            "  --prior model|none what the network learns on top of: model (default), the\n"
            "                     cost model's predicted objective of each plan under the\n"
            "                     sample's state, so that it learns what the prediction\n"
            "                     misses and an untrained agent decides as joint; none,\n"
            "                     the whole cost from the data alone\n"
            "  --keep best|last   best (default): each (model, device)'s weights at the\n"
            "                     evaluation of least held-out loss (before the first step,\n"
            "                     every --every steps and after the last: early stopping);\n"
            "                     last: the last step's (the only choice with --holdout 0)\n"
            "  --shrink L         add to the training loss L x the sum of the squared\n"
            "                     heads the network outputs, mean over the batch: heads\n"
            "                     the data rarely selects stay near zero, i.e. near the\n"
            "                     prior's (default %g)\n"
            "  --pessimism K      the agent decodes with each learned correction counting\n"
            "                     only by how much it exceeds K standard errors of its\n"
            "                     head (from the held-out residuals and how often the\n"
            "                     training plans select it): rarely seen heads fall back\n"
            "                     to the prior; stored in AGENT, `coinfer run\n"
            "                     --pessimism` overrides it (default %g with the model\n"
            "                     prior, 0 with --prior none or --imitate; 0: none)\n"
            "  --imitate          behaviour cloning: learn to take the samples' plans (the\n"
            "                     cross-entropy of the plans' softmin against the taken\n"
            "                     one), not their costs (with --prior model the costs only\n"
            "                     scale the prior; --conservative is not used): a baseline,\n"
            "                     trained on a policy's own decisions (no exploration)\n"
            "  --max-samples N    train on a uniform subset of N samples (by --seed; each\n"
            "                     (model, device) in proportion, at least one): dataset-size\n"
            "                     curves (default: every sample)\n"
            "  --every K          steps between progress reports (default steps / 100)\n"
            "  --db FILE          record the training (trainings, training_steps) in FILE\n"
            "                     (default the first SAMPLES.db)\n"
            "  --quiet, -q        no progress bar\n"
            "  --help, -h         this text\n"
            "\n"
            "Exit codes: 0 written, 1 runtime failure, 2 bad input or usage.\n",
            DEFAULT_STEPS, DEFAULT_SEED, DEFAULT_BATCH, DEFAULT_HIDDEN, DEFAULT_DEPTH, DEFAULT_LR,
            DEFAULT_CONSERVATIVE, DEFAULT_HOLDOUT, DEFAULT_SHRINK, POLICY_AGENT_PESSIMISM_DEFAULT);
}

struct bar {
    struct cli_progress p;
    double t0_s;
};

static void on_progress(void *ctx, const struct policy_train_step *s, uint64_t total)
{
    struct bar *b = ctx;
    char text[160];

    snprintf(text, sizeof(text), "step %llu/%llu loss %.4g held-out %.4g regret %.4g",
             (unsigned long long)s->step, (unsigned long long)total, s->loss, s->heldout_loss,
             s->heldout_regret);
    cli_progress_draw(&b->p, (double)s->step / (double)total, text, core_wall_s() - b->t0_s);
}

int cli_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},   {"steps", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},  {"batch", required_argument, NULL, 'b'},
        {"hidden", required_argument, NULL, 'H'}, {"depth", required_argument, NULL, 'D'},
        {"lr", required_argument, NULL, 'l'},    {"conservative", required_argument, NULL, 'c'},
        {"holdout", required_argument, NULL, 'f'}, {"threads", required_argument, NULL, 't'},
        {"every", required_argument, NULL, 'e'}, {"db", required_argument, NULL, 'd'},
        {"prior", required_argument, NULL, 'p'}, {"keep", required_argument, NULL, 'k'},
        {"imitate", no_argument, NULL, 'I'}, {"shrink", required_argument, NULL, 'S'}, {"max-samples", required_argument, NULL, 'M'},
        {"pessimism", required_argument, NULL, 'K'},
        {"quiet", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct run_train_options o = {0};
    struct run_train_result res;
    struct bar bar;
    struct core_err e;
    uint64_t v, every = 0;
    bool quiet = false, every_given = false, keep_given = false, pessimism_given = false;
    int c;
    enum core_rc rc;

    o.cfg = (struct policy_train_config){
        .seed = DEFAULT_SEED, .steps = DEFAULT_STEPS, .batch = DEFAULT_BATCH,
        .learning_rate = DEFAULT_LR, .hidden = DEFAULT_HIDDEN, .depth = DEFAULT_DEPTH,
        .conservative = DEFAULT_CONSERVATIVE, .holdout = DEFAULT_HOLDOUT, .threads = 1,
        .prior = POLICY_PRIOR_MODEL, .best_heldout = true, .shrink = DEFAULT_SHRINK,
        .pessimism = POLICY_AGENT_PESSIMISM_DEFAULT,
    };
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:n:s:b:H:D:l:c:f:t:e:d:p:k:IM:S:K:qh", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!optarg[0]) {
                fprintf(stderr, "coinfer train: --out needs a file name\n");
                return 2;
            }
            o.out_path = optarg;
            break;
        case 'n':
            if (!cli_whole_option("train", "--steps", optarg, 1, 100000000, &o.cfg.steps))
                return 2;
            break;
        case 's':
            if (!cli_whole_option("train", "--seed", optarg, 0, UINT64_MAX, &o.cfg.seed))
                return 2;
            break;
        case 'b':
            if (!cli_whole_option("train", "--batch", optarg, 1, 65536, &v))
                return 2;
            o.cfg.batch = (uint32_t)v;
            break;
        case 'H':
            if (!cli_whole_option("train", "--hidden", optarg, 1, POLICY_AGENT_MAX_HIDDEN, &v))
                return 2;
            o.cfg.hidden = (uint32_t)v;
            break;
        case 'D':
            if (!cli_whole_option("train", "--depth", optarg, 0, POLICY_AGENT_MAX_DEPTH, &v))
                return 2;
            o.cfg.depth = (uint32_t)v;
            break;
        case 'l':
            if (!cli_real_option("train", "--lr", optarg, 1e-9, 10, &o.cfg.learning_rate))
                return 2;
            break;
        case 'c':
            if (!cli_real_option("train", "--conservative", optarg, 0, 1e6, &o.cfg.conservative))
                return 2;
            break;
        case 'f':
            if (!cli_real_option("train", "--holdout", optarg, 0, 0.5, &o.cfg.holdout))
                return 2;
            break;
        case 't':
            if (!cli_whole_option("train", "--threads", optarg, 1, 2, &v))
                return 2;
            o.cfg.threads = (int)v;
            break;
        case 'e':
            if (!cli_whole_option("train", "--every", optarg, 1, 100000000, &every))
                return 2;
            every_given = true;
            break;
        case 'd':
            if (!cli_db_option("train", optarg))
                return 2;
            o.db_path = optarg;
            break;
        case 'p': {
            enum policy_prior k;

            if (!policy_prior_parse(optarg, &k)) {
                fprintf(stderr, "coinfer train: --prior takes model or none, not '%s'\n",
                        optarg);
                return 2;
            }
            o.cfg.prior = (uint32_t)k;
            break;
        }
        case 'k':
            if (strcmp(optarg, "best") != 0 && strcmp(optarg, "last") != 0) {
                fprintf(stderr, "coinfer train: --keep takes best or last, not '%s'\n", optarg);
                return 2;
            }
            o.cfg.best_heldout = strcmp(optarg, "best") == 0;
            keep_given = true;
            break;
        case 'I':
            o.cfg.imitate = true;
            break;
        case 'S':
            if (!cli_real_option("train", "--shrink", optarg, 0, 1e6, &o.cfg.shrink))
                return 2;
            break;
        case 'K':
            if (!cli_real_option("train", "--pessimism", optarg, 0, 1e6, &o.cfg.pessimism))
                return 2;
            pessimism_given = true;
            break;
        case 'M':
            if (!cli_whole_option("train", "--max-samples", optarg, 1, UINT64_MAX, &o.max_samples))
                return 2;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            help(stdout);
            return 0;
        case ':':
            fprintf(stderr, "coinfer train: %s needs a value (see coinfer train --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "coinfer train: unknown option '%s' (see coinfer train --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "coinfer train: name at least one samples database (see --help)\n");
        return 2;
    }
    if (!o.out_path) {
        fprintf(stderr, "coinfer train: --out AGENT is required (see --help)\n");
        return 2;
    }
    if (!(o.cfg.holdout > 0)) {
        if (keep_given && o.cfg.best_heldout) {
            fprintf(stderr, "coinfer train: --keep best needs samples held out (--holdout > 0)\n");
            return 2;
        }
        o.cfg.best_heldout = false;
    }
    /* Pessimism falls back to the prediction: none without one, nor for
     * imitation, which fits no costs to take standard errors from. */
    if (!pessimism_given && (o.cfg.prior != POLICY_PRIOR_MODEL || o.cfg.imitate))
        o.cfg.pessimism = 0;
    o.sources = (const char *const *)(argv + optind);
    o.n_sources = (size_t)(argc - optind);
    o.every = every_given ? every : (o.cfg.steps >= 100 ? o.cfg.steps / 100 : 1);
    o.version = cli_version();
    cli_progress_init(&bar.p, quiet);
    bar.t0_s = core_wall_s();
    o.progress = on_progress;
    o.progress_ctx = &bar;
    core_err_clear(&e);
    rc = run_train(&o, &res, &e);
    cli_progress_finish(&bar.p);
    if (rc != CORE_OK)
        return cli_fail(&e);
    printf("samples=%llu samples_read=%llu problems=%zu steps=%llu loss=%.6g "
           "heldout_loss=%.6g heldout_regret=%.6g train_s=%.3f train_id=%lld agent=%s\n",
           (unsigned long long)res.samples, (unsigned long long)res.samples_read, res.problems,
           (unsigned long long)res.last.step,
           res.last.loss, res.last.heldout_loss, res.last.heldout_regret, res.wall_s,
           (long long)res.train_id, o.out_path);
    return 0;
}
