/*
 * number_option.c — the one parser of a command's number options.
 *
 * Every subcommand reads its number options (and the numbers inside its
 * compound ones, like --shard I/N) here, so that all of them accept the same
 * spellings and reject bad input with the same usage message:
 *
 *   coinfer CMD: --opt takes a whole number from LO to HI, not 'X' (see coinfer CMD --help)
 *
 * A whole number is decimal digits alone (no sign, no space, nothing after
 * them) that fits in 64 bits. A real number is what strtod reads, with
 * nothing before or after it, finite, and inside its closed range (or above
 * zero for cli_positive_option); NaN and infinities are never accepted.
 */
#include "cli/cli_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

bool cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    /* strtoull would skip spaces and negate a "-1" into 2^64-1 */
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = (uint64_t)v;
    return true;
}

/* A finite real with nothing around it (no leading space: strtod skips it). */
static bool parse_real(const char *s, double *out)
{
    char *end;
    double v;

    if (!*s || isspace((unsigned char)*s))
        return false;
    v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static void complain(const char *command, const char *option, const char *what, const char *text)
{
    fprintf(stderr, "coinfer %s: %s takes %s, not '%s' (see coinfer %s --help)\n", command, option,
            what, text, command);
}

bool cli_whole_option(const char *command, const char *option, const char *text, uint64_t lo,
                      uint64_t hi, uint64_t *out)
{
    char what[96];
    uint64_t v;

    if (cli_parse_u64(text, &v) && v >= lo && v <= hi) {
        *out = v;
        return true;
    }
    snprintf(what, sizeof(what), "a whole number from %llu to %llu", (unsigned long long)lo,
             (unsigned long long)hi);
    complain(command, option, what, text);
    return false;
}

bool cli_real_option(const char *command, const char *option, const char *text, double lo,
                     double hi, double *out)
{
    char what[96];
    double v;

    if (parse_real(text, &v) && v >= lo && v <= hi) {
        *out = v;
        return true;
    }
    snprintf(what, sizeof(what), "a number from %g to %g", lo, hi);
    complain(command, option, what, text);
    return false;
}

bool cli_positive_option(const char *command, const char *option, const char *text, double *out)
{
    double v;

    if (parse_real(text, &v) && v > 0) {
        *out = v;
        return true;
    }
    complain(command, option, "a number above 0", text);
    return false;
}

bool cli_threads_option(const char *command, const char *text, int *out)
{
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t v;

    if (!cli_whole_option(command, "--threads", text, 1, (uint64_t)(cores > 0 ? cores : 1), &v))
        return false;
    *out = (int)v;
    return true;
}
