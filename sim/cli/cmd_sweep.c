/*
 * cmd_sweep.c — `coinfer sweep FILE [--list | --count] [--filter EXPR]`: the
 * points of a parameter study (a sweep file, scenarios/sweep.xsd).
 *
 * --list prints every point, one tab-separated line each under a header:
 * its index, its factor values (as the sweep writes them), policy,
 * replication and seed; --count prints how many there are. --filter keeps
 * the points an expression holds for (the language of <constraint>, over
 * the factors, policy, replication and seed). The sweep file is loaded and
 * checked whole before anything is printed.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "io/io.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer sweep FILE (--list | --count) [--filter EXPR]\n"
            "\n"
            "The points of the parameter study in sweep file FILE (scenarios/sweep.xsd): every\n"
            "combination of its factors' values its constraints keep, times its replications\n"
            "(seeds), times its policies.\n"
            "\n"
            "  --list         print every point, tab-separated under a header line: point\n"
            "                 (its index), each factor's value, policy, replication, seed\n"
            "  --count        print the number of points\n"
            "  --filter EXPR  only the points EXPR holds for: an expression over the factors'\n"
            "                 names, policy, replication and seed, in the language of\n"
            "                 <constraint> (e.g. \"policy == 'joint' and rate >= 5 Mbps\")\n"
            "  --help, -h     this text\n"
            "\n"
            "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage (a bad file as\n"
            "FILE:LINE: message, a bad --filter naming its column).\n");
}

/* What to do with the points. */
enum sweep_action { ACTION_NONE, ACTION_LIST, ACTION_COUNT };

static void print_header(const struct io_sweep *s)
{
    printf("point");
    for (size_t f = 0; f < io_sweep_n_factors(s); f++)
        printf("\t%s", io_sweep_factor_name(s, f));
    printf("\tpolicy\treplication\tseed\n");
}

static void print_point(const struct io_sweep *s, const struct io_sweep_point *pt)
{
    printf("%llu", (unsigned long long)pt->index);
    for (size_t f = 0; f < io_sweep_n_factors(s); f++)
        printf("\t%s", io_sweep_point_value(s, pt, f));
    printf("\t%s\t%zu\t%llu\n", pt->policy, pt->replication, (unsigned long long)pt->seed);
}

int cli_sweep(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"list", no_argument, NULL, 'l'},        {"count", no_argument, NULL, 'c'},
        {"filter", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    enum sweep_action action = ACTION_NONE;
    const char *filter = NULL;
    struct io_sweep *s = NULL;
    struct io_expr *x = NULL;
    struct io_value *values = NULL;
    struct core_err e;
    uint64_t n = 0;
    int c, code = 2;

    core_err_clear(&e);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":lcf:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
        case 'c':
            if (action != ACTION_NONE && action != (c == 'l' ? ACTION_LIST : ACTION_COUNT)) {
                fprintf(stderr, "coinfer sweep: --list and --count exclude each other\n");
                return 2;
            }
            action = c == 'l' ? ACTION_LIST : ACTION_COUNT;
            break;
        case 'f':
            filter = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        case ':':
            fprintf(stderr, "coinfer sweep: %s needs a value (see coinfer sweep --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "coinfer sweep: unknown option '%s' (see coinfer sweep --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "coinfer sweep: %s (see coinfer sweep --help)\n",
                argc - optind == 0 ? "no sweep file given" : "one sweep file at a time");
        return 2;
    }
    if (action == ACTION_NONE) {
        fprintf(stderr, "coinfer sweep: say what to do: --list or --count (see coinfer sweep "
                        "--help)\n");
        return 2;
    }
    if (io_sweep_load(argv[optind], &s, &e) != CORE_OK) {
        code = cli_fail(&e);
        goto out;
    }
    if (filter) {
        char why[512];
        enum core_rc rc = io_expr_parse(filter, io_sweep_names(s), io_sweep_n_names(s), &x, why,
                                        sizeof(why));

        if (rc != CORE_OK) {
            fprintf(stderr, "coinfer sweep: --filter \"%s\": %s\n", filter, why);
            code = core_rc_exit_code(rc == CORE_E_INPUT ? CORE_E_USAGE : rc);
            goto out;
        }
    }
    values = core_calloc(io_sweep_n_names(s), sizeof(*values));
    if (!values) {
        fprintf(stderr, "coinfer sweep: out of memory\n");
        code = 1;
        goto out;
    }
    if (action == ACTION_LIST)
        print_header(s);
    for (uint64_t i = 0; i < io_sweep_n_points(s); i++) {
        struct io_sweep_point pt;

        io_sweep_point(s, i, &pt);
        if (x) {
            io_sweep_point_values(s, &pt, values);
            if (!io_expr_eval(x, values))
                continue;
        }
        n++;
        if (action == ACTION_LIST)
            print_point(s, &pt);
    }
    if (action == ACTION_COUNT)
        printf("%llu\n", (unsigned long long)n);
    code = fflush(stdout) == 0 ? 0 : 1;
out:
    core_free(values);
    io_expr_destroy(x);
    io_sweep_destroy(s);
    return code;
}
