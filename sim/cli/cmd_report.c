/*
 * cmd_report.c — `coinfer report DB`: print, per run stored in a results
 * database, its scenario, policy, seed, status, counts and summary statistics.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer report DB\n"
            "\n"
            "Summarise every run stored in the results database DB: scenario, policy,\n"
            "seed, status, times, row counts and the statistics of what it recorded.\n"
            "The database is opened read-only. Exit codes: 0 ok, 1 unreadable, 2 usage.\n");
}

int cli_report(int argc, char **argv)
{
    struct core_err e;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "coinfer report: expected one database (see coinfer report --help)\n");
        return 2;
    }
    core_err_clear(&e);
    if (run_report(argv[1], stdout, &e) != CORE_OK)
        return cli_fail(&e);
    return 0;
}
