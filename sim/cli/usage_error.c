/*
 * usage_error.c — the one way a command reports a usage error: "coinfer
 * COMMAND: message (see coinfer COMMAND --help)" on stderr, exit code 2.
 */
#include "cli/cli_int.h"

#include <stdarg.h>
#include <stdio.h>

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "coinfer %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see coinfer %s --help)\n", command);
    return 2;
}
