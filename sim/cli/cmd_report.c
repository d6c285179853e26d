/*
 * cmd_report.c — `coinfer report DB [--by model|device] | --config RUN |
 * --sweep [--versus POLICY]`: print,
 * per run stored in a results database, its scenario, policy, seed, status,
 * counts, the knobs its --set overrides changed and summary statistics (the
 * inferences' per model or device class with --by); or the whole
 * configuration one run ran with, a scenario file that makes the run again;
 * or only the sweeps' per-point statistics, with paired differences against
 * a reference policy.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer report DB [--by model|device]\n"
            "       coinfer report DB --config RUN\n"
            "       coinfer report DB --sweep [--versus POLICY]\n"
            "\n"
            "Summarise every run stored in the results database DB: scenario, policy,\n"
            "seed, status, times, row counts, the values --set changed from the scenario\n"
            "file, and the statistics of what each run recorded (and, once some\n"
            "inference sent an uplink encoding other than fp32, each run's shares of\n"
            "the encodings).\n"
            "\n"
            "  --by model     the inferences' summary per run and model\n"
            "  --by device    the inferences' summary per run and UE device class\n"
            "  --config RUN   print instead the whole configuration run RUN ran with: a\n"
            "                 scenario file with every knob written (model files by\n"
            "                 absolute path); `coinfer run` on it makes the run again\n"
            "  --sweep        print only the per-point statistics of the sweeps in DB (n,\n"
            "                 mean, sd, 95 %% t-interval of each metric over a point's\n"
            "                 replications)\n"
            "  --versus POLICY  with --sweep: then, per point, the paired differences of\n"
            "                 each other policy against POLICY (policy - POLICY on the same\n"
            "                 seeds, common random numbers): n, mean difference, sd and the\n"
            "                 95 %% paired t-interval mean -+ t(0.975, n-1) sd / sqrt(n)\n"
            "  --help, -h     this text\n"
            "\n"
            "The database is opened read-only. Exit codes: 0 ok, 1 unreadable, 2 usage or\n"
            "no such run.\n");
}

int cli_report(int argc, char **argv)
{
    const char *db = NULL, *run = NULL, *versus = NULL;
    bool sweep = false;
    enum run_report_by by = RUN_REPORT_BY_RUN;
    bool by_given = false;
    struct core_err e;
    uint64_t run_id = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 == argc) {
                fprintf(stderr, "coinfer report: --config needs a run id (see --help)\n");
                return 2;
            }
            run = argv[++i];
        } else if (strcmp(argv[i], "--by") == 0) {
            if (i + 1 == argc || (strcmp(argv[i + 1], "model") != 0 &&
                                  strcmp(argv[i + 1], "device") != 0)) {
                fprintf(stderr, "coinfer report: --by needs model or device (see --help)\n");
                return 2;
            }
            by = strcmp(argv[++i], "model") == 0 ? RUN_REPORT_BY_MODEL : RUN_REPORT_BY_DEVICE;
            by_given = true;
        } else if (strcmp(argv[i], "--sweep") == 0) {
            sweep = true;
        } else if (strcmp(argv[i], "--versus") == 0) {
            if (i + 1 == argc || argv[i + 1][0] == '\0') {
                fprintf(stderr, "coinfer report: --versus needs a policy (see --help)\n");
                return 2;
            }
            versus = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "coinfer report: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        } else if (db) {
            fprintf(stderr, "coinfer report: expected one database (see coinfer report --help)\n");
            return 2;
        } else {
            db = argv[i];
        }
    }
    if (!db) {
        fprintf(stderr, "coinfer report: expected one database (see coinfer report --help)\n");
        return 2;
    }
    if (run && by_given) {
        fprintf(stderr, "coinfer report: --by and --config do not go together (see --help)\n");
        return 2;
    }
    if (versus && !sweep) {
        fprintf(stderr, "coinfer report: --versus goes with --sweep (see --help)\n");
        return 2;
    }
    if (sweep && (run || by_given)) {
        fprintf(stderr, "coinfer report: --sweep goes with neither --config nor --by (see "
                        "--help)\n");
        return 2;
    }
    if (sweep) {
        core_err_clear(&e);
        if (run_report_sweep(db, versus, stdout, &e) == CORE_OK)
            return 0;
        if (e.rc == CORE_E_USAGE) {
            fprintf(stderr, "coinfer report: %s\n", e.msg);
            return 2;
        }
        return cli_fail(&e);
    }
    if (run && !cli_whole_option("report", "--config", run, 1, INT64_MAX, &run_id))
        return 2;
    core_err_clear(&e);
    if ((run ? run_report_config(db, (int64_t)run_id, stdout, &e)
             : run_report(db, by, stdout, &e)) != CORE_OK)
        return cli_fail(&e);
    return 0;
}
