/*
 * cmd_regret.c — `coinfer regret DB [--reference NAME] [--baseline NAME]`:
 * every policy against the exact optimum, decision by decision (run_report_
 * regret): the runs of one configuration and seed (`--policy all`, with
 * `--agent` for rl) saw the same requests.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer regret DB [--reference NAME] [--baseline NAME]\n"
            "\n"
            "Compare every policy's runs in DB with the reference policy's runs of the\n"
            "same configuration and seed (they saw the same requests), decision by\n"
            "decision: mean J (minus the reward), the normalised score\n"
            "100 (J - J_baseline) / (J_reference - J_baseline), mean and 95th-percentile\n"
            "regret J - J_reference, and the shares of decisions whose plan, whose cut\n"
            "and of layers whose side and option match the reference's; then the means\n"
            "over the seeds with 95 %% t-intervals.\n"
            "\n"
            "  --reference NAME  the policy compared against (default oracle)\n"
            "  --baseline NAME   the policy the score counts from (default local)\n"
            "  --help, -h        this text\n"
            "\n"
            "Exit codes: 0 printed, 1 runtime failure, 2 bad input or usage.\n");
}

/* NAME must be a policy: true, else a usage message. */
static bool policy_option(const char *option, const char *name)
{
    enum policy_kind k;

    if (policy_kind_find(name, &k))
        return true;
    fprintf(stderr, "coinfer regret: %s '%s' is no policy (see coinfer run --help)\n", option,
            name);
    return false;
}

int cli_regret(int argc, char **argv)
{
    const char *db = NULL, *reference = "oracle", *baseline = "local";
    struct core_err e;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--reference") == 0 || strcmp(argv[i], "--baseline") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "coinfer regret: %s needs a policy name (see --help)\n",
                        argv[i]);
                return 2;
            }
            if (!policy_option(argv[i], argv[i + 1]))
                return 2;
            if (strcmp(argv[i], "--reference") == 0)
                reference = argv[++i];
            else
                baseline = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "coinfer regret: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        } else if (db) {
            fprintf(stderr, "coinfer regret: expected one database (see --help)\n");
            return 2;
        } else {
            db = argv[i];
        }
    }
    if (!db) {
        fprintf(stderr, "coinfer regret: expected one database (see --help)\n");
        return 2;
    }
    core_err_clear(&e);
    if (run_report_regret(db, reference, baseline, stdout, &e) != CORE_OK)
        return cli_fail(&e);
    return 0;
}
