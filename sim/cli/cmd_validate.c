/*
 * cmd_validate.c — `coinfer validate FILE...`: check files against their
 * schema without running anything; an agent file (recognised by its magic)
 * against its format and checksum. Exit 0 when every file is valid, 2 when
 * any is not (each bad file is reported as FILE:LINE: message).
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "io/io.h"
#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer validate [--quiet] FILE...\n"
            "\n"
            "Check each FILE against its schema and the ranges of every value, without\n"
            "running it: a scenario file (root element <scenario>, scenarios/schema.xsd), a\n"
            "sweep file (<sweep>, scenarios/sweep.xsd: its base scenario and every factor\n"
            "value on it), a model file (<model>, models/schema.xsd) or an agent file\n"
            "(the learning agent's, recognised by its magic: its checksum, version and\n"
            "every record).\n"
            "Prints 'FILE: ok' for each valid file (unless --quiet) and 'FILE:LINE: what is\n"
            "wrong' on stderr for each bad one. Exit codes: 0 all valid, 2 any invalid.\n");
}

int cli_validate(int argc, char **argv)
{
    bool quiet = false;
    int i, n_files = 0, code = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "coinfer validate: unknown option '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    for (i = 1; i < argc; i++) {
        struct core_err e;
        int file_code;

        if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0)
            continue;
        n_files++;
        core_err_clear(&e);
        if ((io_file_is_agent(argv[i]) ? io_agent_validate(argv[i], &e)
                                       : run_validate(argv[i], &e)) == CORE_OK) {
            if (!quiet)
                printf("%s: ok\n", argv[i]);
            continue;
        }
        file_code = cli_fail(&e);
        if (file_code > code)
            code = file_code;
    }
    if (n_files == 0) {
        fprintf(stderr, "coinfer validate: no file given (see --help)\n");
        return 2;
    }
    return code;
}
