/*
 * cmd_export.c — `coinfer export DB (--table T | --sweep) [--csv|--tsv]
 * [--run ID] [--out FILE]`: a table of a results database, or the per-point
 * statistics of its sweeps as one tidy table, as CSV or TSV on stdout or
 * into a file (written whole under a temporary name, then renamed, so a
 * failed export leaves no half file).
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer export DB --table T [--csv|--tsv] [--run ID] [--out FILE]\n"
            "       coinfer export DB --sweep [--csv|--tsv] [--out FILE]\n"
            "\n"
            "Write a table of the results database DB, or the per-point statistics of the\n"
            "sweeps it holds, as delimited text with a header line of column names.\n"
            "\n"
            "  --table T   every row of table T (runs, inferences, sweep_points, ...; an\n"
            "              unknown name is an error listing DB's tables)\n"
            "  --run ID    with --table: only the rows of run ID (the table needs a run_id\n"
            "              column)\n"
            "  --sweep     one tidy table of every sweep point's statistics, one line per\n"
            "              point, policy and metric: sweep, one column per factor (numbers\n"
            "              in SI), policy, metric, n, mean, sd, ci95_half_width, ci95_low,\n"
            "              ci95_high (the 95 %% t-interval of the mean over the point's\n"
            "              complete replications; empty when n < 2)\n"
            "  --csv       comma-separated (the default)\n"
            "  --tsv       tab-separated\n"
            "  --out FILE  write FILE instead of stdout\n"
            "  --help, -h  this text\n"
            "\n"
            "A field holding the separator, a double quote or a line break is enclosed in\n"
            "double quotes with its quotes doubled (RFC 4180); NULL is an empty field; reals\n"
            "are written exactly (the shortest decimal that reads back as the same double).\n"
            "The database is opened read-only. Exit codes: 0 ok, 1 unreadable or unwritable,\n"
            "2 usage (an unknown table, a missing option) or no sweep to export.\n");
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "coinfer export: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see coinfer export --help)\n");
    return 2;
}

int cli_export(int argc, char **argv)
{
    const char *db = NULL, *table = NULL, *run = NULL, *out_path = NULL, *format = NULL;
    bool sweep = false;
    char sep = ',', tmp[4096 + 16];
    uint64_t run_id = 0;
    struct core_err e;
    enum core_rc rc;
    FILE *out = stdout;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help(stdout);
            return 0;
        }
        if (strcmp(a, "--table") == 0 || strcmp(a, "--run") == 0 || strcmp(a, "--out") == 0) {
            if (i + 1 == argc)
                return usage("%s needs a value", a);
            if (strcmp(a, "--table") == 0)
                table = argv[++i];
            else if (strcmp(a, "--run") == 0)
                run = argv[++i];
            else
                out_path = argv[++i];
        } else if (strcmp(a, "--csv") == 0 || strcmp(a, "--tsv") == 0) {
            if (format && strcmp(format, a) != 0)
                return usage("%s", "--csv and --tsv exclude each other");
            format = a;
            sep = strcmp(a, "--tsv") == 0 ? '\t' : ',';
        } else if (strcmp(a, "--sweep") == 0) {
            sweep = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage("unknown option '%s'", a);
        } else if (db) {
            return usage("%s", "expected one database");
        } else {
            db = a;
        }
    }
    if (!db)
        return usage("%s", "expected one database");
    if (!table && !sweep)
        return usage("%s", "say what to export: --table T or --sweep");
    if (table && sweep)
        return usage("%s", "--table and --sweep exclude each other");
    if (run && !table)
        return usage("%s", "--run goes with --table");
    if (run && !cli_whole_option("export", "--run", run, 1, INT64_MAX, &run_id))
        return 2;
    if (table && table[0] == '\0')
        return usage("%s", "--table needs a table name, not an empty one");
    if (out_path) {
        if (out_path[0] == '\0')
            return usage("%s", "--out needs a file name, not an empty one");
        if (strlen(out_path) >= sizeof(tmp) - 16)
            return usage("--out %s: the path is too long", out_path);
        snprintf(tmp, sizeof(tmp), "%s.tmp%ld", out_path, (long)getpid());
        out = fopen(tmp, "w");
        if (!out) {
            fprintf(stderr, "coinfer export: --out %s: %s\n", out_path, strerror(errno));
            return errno == ENOENT || errno == EISDIR ? 2 : 1;
        }
    }
    core_err_clear(&e);
    rc = table ? run_export_table(db, table, (int64_t)run_id, sep, out, &e)
               : run_export_sweep(db, sep, out, &e);
    if (rc == CORE_OK && (fflush(out) != 0 || ferror(out)))
        rc = core_err(&e, CORE_E_IO, "%s: cannot write: %s", out_path ? out_path : "stdout",
                      strerror(errno));
    if (out_path) {
        if (fclose(out) != 0 && rc == CORE_OK)
            rc = core_err(&e, CORE_E_IO, "%s: cannot write: %s", out_path, strerror(errno));
        if (rc == CORE_OK && rename(tmp, out_path) != 0)
            rc = core_err(&e, CORE_E_IO, "%s: cannot write: %s", out_path, strerror(errno));
        if (rc != CORE_OK)
            unlink(tmp);
    }
    if (rc != CORE_OK) {
        if (rc == CORE_E_USAGE) {
            fprintf(stderr, "coinfer export: %s\n", e.msg);
            return 2;
        }
        return cli_fail(&e);
    }
    return 0;
}
