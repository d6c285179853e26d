/*
 * cmd_plot.c — `coinfer plot DB --figure NAME --out FILE.png|.pdf|.svg
 * [--x FACTOR] [--metric M] [--model M] [--policy P,...] [--data FILE]`: a
 * figure of a results database, drawn by gnuplot (run_plot).
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer plot DB --figure NAME --out FILE.png|FILE.pdf|FILE.svg\n"
            "                       [--x FACTOR] [--metric METRIC] [--model MODEL]\n"
            "                       [--policy P[,P...]] [--data FILE.tsv]\n"
            "\n"
            "Draw a figure of the results database DB with gnuplot (Debian: gnuplot-nox;\n"
            "make installs it). The extension of FILE chooses the format.\n"
            "\n"
            "  --figure NAME  one of:\n"
            "                 sweep        a metric of a sweep's points (mean, 95 %% t-interval\n"
            "                              error bars over the replications) against a\n"
            "                              factor, one line per policy (and per value of any\n"
            "                              other factor that varies)\n"
            "                 latency-cdf  the CDF of the finished inferences' latency, one\n"
            "                              line per policy, over every complete run\n"
            "                 breakdown    the mean latency components of a finished\n"
            "                              inference (UE compute, uplink, edge queue, edge\n"
            "                              compute, downlink, signaling), stacked, per policy\n"
            "                 energy       the mean UE and edge energy per finished inference,\n"
            "                              per policy\n"
            "                 split        the share of the finished inferences at each split\n"
            "                              point (layers run on the UE), one panel per model,\n"
            "                              one bar per policy (and per value of --x)\n"
            "                 layers       the compute option (side and resource) that ran\n"
            "                              each layer in most finished inferences: a map of\n"
            "                              layer x policy, one panel per model\n"
            "                 training     the learning curves of coinfer train: training and\n"
            "                              held-out loss, held-out regret, against the step\n"
            "  --out FILE     the figure to write (.png, .pdf or .svg)\n"
            "  --x FACTOR     sweep: the factor on the x axis (default: the first factor\n"
            "                 whose values are numbers and vary); split: one series per\n"
            "                 policy and value of that sweep factor\n"
            "  --metric M     sweep: mean_latency_s (default), p95_latency_s,\n"
            "                 mean_ue_energy_j, mean_edge_energy_j, deadline_hit_ratio,\n"
            "                 accuracy or unfinished_ratio\n"
            "  --model MODEL  split, layers: draw that model only (default: every model)\n"
            "  --policy P,... split, layers: draw those policies only (default: all)\n"
            "  --data FILE    also write the figure's data into FILE, tab-separated under a\n"
            "                 header line (what each point, bar or cell of the figure is)\n"
            "  --help, -h     this text\n"
            "\n"
            "The database is opened read-only. Exit codes: 0 ok, 1 gnuplot missing or\n"
            "failing, 2 usage (an unknown figure, metric or factor) or a database without the\n"
            "figure's data.\n");
}

int cli_plot(int argc, char **argv)
{
    struct run_plot_options o = {0};
    const char *db = NULL;
    struct core_err e;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        }
        if (strcmp(a, "--figure") == 0)
            slot = &o.figure;
        else if (strcmp(a, "--out") == 0)
            slot = &o.out;
        else if (strcmp(a, "--x") == 0)
            slot = &o.x;
        else if (strcmp(a, "--metric") == 0)
            slot = &o.metric;
        else if (strcmp(a, "--model") == 0)
            slot = &o.model;
        else if (strcmp(a, "--policy") == 0)
            slot = &o.policy;
        else if (strcmp(a, "--data") == 0)
            slot = &o.data;
        if (slot) {
            if (i + 1 == argc || argv[i + 1][0] == '\0') {
                fprintf(stderr, "coinfer plot: %s needs a value (see coinfer plot --help)\n", a);
                return 2;
            }
            *slot = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "coinfer plot: unknown option '%s' (see coinfer plot --help)\n", a);
            return 2;
        } else if (db) {
            fprintf(stderr, "coinfer plot: expected one database (see coinfer plot --help)\n");
            return 2;
        } else {
            db = a;
        }
    }
    if (!db || !o.figure || !o.out) {
        fprintf(stderr, "coinfer plot: %s (see coinfer plot --help)\n",
                !db ? "expected one database" : !o.figure ? "--figure NAME is required"
                                                          : "--out FILE is required");
        return 2;
    }
    {
        /* the output's directory must exist: coinfer creates none */
        char dir[4096];
        const char *slash = strrchr(o.out, '/');
        struct stat st;

        if (slash && slash != o.out && (size_t)(slash - o.out) < sizeof(dir)) {
            memcpy(dir, o.out, (size_t)(slash - o.out));
            dir[slash - o.out] = '\0';
            if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "coinfer plot: --out %s: directory %s does not exist\n", o.out,
                        dir);
                return 2;
            }
        }
    }
    core_err_clear(&e);
    if (run_plot(db, &o, &e) == CORE_OK)
        return 0;
    if (e.rc == CORE_E_USAGE) {
        fprintf(stderr, "coinfer plot: %s\n", e.msg);
        return 2;
    }
    return cli_fail(&e);
}
