/*
 * cmd_sweep.c — `coinfer sweep FILE`: a parameter study (a sweep file,
 * scenarios/sweep.xsd), listed, counted or run.
 *
 * --list prints every point, one tab-separated line each under a header:
 * its index, its factor values (as the sweep writes them), policy,
 * replication and seed; --count prints how many there are. Without them the
 * points run (run_sweep): in --jobs worker processes, into the results
 * database, skipping the points already complete there. --filter keeps the
 * points an expression holds for (the language of <constraint>, over the
 * factors, policy, replication and seed). The sweep file is loaded and
 * checked whole before anything is printed or run. --shard I/N takes slice I
 * of N (for job arrays), and `coinfer sweep merge DB SHARD-DB...` merges the
 * shards' databases. SIGINT or SIGTERM stops a
 * running sweep cleanly (its running points go back to pending); a second
 * one kills at once.
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "db/db.h"
#include "io/io.h"
#include "run/run.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer sweep FILE [--jobs N] [--db FILE] [--filter EXPR] [--shard I/N]\n"
            "                     [--retry-failed] [--timeout SECONDS] [--progress] [--quiet]\n"
            "       coinfer sweep FILE (--list | --count) [--filter EXPR] [--shard I/N]\n"
            "       coinfer sweep merge DB SHARD-DB...\n"
            "\n"
            "Run, list or count the points of the parameter study in sweep file FILE\n"
            "(scenarios/sweep.xsd): every combination of its factors' values its constraints\n"
            "keep, times its replications (seeds), times its policies.\n"
            "\n"
            "  --list         print every point, tab-separated under a header line: point\n"
            "                 (its index), each factor's value, policy, replication, seed\n"
            "  --count        print the number of points\n"
            "  --filter EXPR  only the points EXPR holds for: an expression over the factors'\n"
            "                 names, policy, replication and seed, in the language of\n"
            "                 <constraint> (e.g. \"policy == 'joint' and rate >= 5 Mbps\")\n"
            "  --shard I/N    only slice I of N (0 <= I < N): the points whose index is I\n"
            "                 modulo N; the N slices are disjoint and cover the sweep (for\n"
            "                 Slurm job arrays: --shard $SLURM_ARRAY_TASK_ID/N)\n"
            "  --jobs N       worker processes running points at once (default: the number\n"
            "                 of processors, %ld here); each point is a `coinfer run` of its own\n"
            "  --db FILE      results database (default results/<sweep-name>.db); every point\n"
            "                 is a run there, and the table sweep_points lists each point with\n"
            "                 its content key, status and run_id, sweep_values its factor values\n"
            "  --retry-failed  run the points that failed before again (without it they stay\n"
            "                 failed and are skipped, like the complete ones)\n"
            "  --timeout SECONDS  a point still running after SECONDS of wall time is killed\n"
            "                 and marked failed (default: no limit)\n"
            "  --progress     draw the progress bar (points done, failed, runs/s, ETA) even\n"
            "                 when stderr is not a terminal\n"
            "  --quiet, -q    no progress bar and no closing summary\n"
            "  --help, -h     this text\n"
            "\n"
            "`coinfer sweep merge DB SHARD-DB...` merges the sweep points of shards' databases\n"
            "into DB: each point complete in a shard and not in DB brings its run and rows;\n"
            "merging a shard twice changes nothing.\n"
            "\n"
            "A point's content key is the SHA-256 of its resolved configuration, policy, seed\n"
            "and coinfer's version: running a sweep again skips every point already complete\n"
            "in the database (adding values or replications later runs only the new points).\n"
            "A point whose run fails (an exit status, a crash, a timeout) is marked failed\n"
            "with its exit status and the end of its stderr, and the sweep goes on. SIGINT or\n"
            "SIGTERM stops the sweep: running points go back to pending (run it again to\n"
            "resume), exit code 1.\n"
            "Exit codes: 0 every point complete, 1 some point failed, interrupted or runtime\n"
            "failure, 2 bad input or usage (a bad file as FILE:LINE: message, a bad --filter\n"
            "naming its column).\n",
            sysconf(_SC_NPROCESSORS_ONLN));
}

/* What to do with the points. */
enum sweep_action { ACTION_RUN, ACTION_LIST, ACTION_COUNT };

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

/* --list and --count. */
static int list_points(const struct io_sweep *s, const struct io_expr *x, bool list,
                       uint64_t shard, uint64_t n_shards)
{
    struct io_value *values = core_calloc(io_sweep_n_names(s), sizeof(*values));
    uint64_t n = 0;

    if (!values) {
        fprintf(stderr, "coinfer sweep: out of memory\n");
        return 1;
    }
    if (list)
        print_header(s);
    for (uint64_t i = 0; i < io_sweep_n_points(s); i++) {
        struct io_sweep_point pt;

        if (!io_sweep_in_shard(i, shard, n_shards))
            continue;
        io_sweep_point(s, i, &pt);
        if (x) {
            io_sweep_point_values(s, &pt, values);
            if (!io_expr_eval(x, values))
                continue;
        }
        n++;
        if (list)
            print_point(s, &pt);
    }
    if (!list)
        printf("%llu\n", (unsigned long long)n);
    core_free(values);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The progress bar of a running sweep. */
struct sweep_bar {
    struct cli_progress bar; /* the terminal's state */
    bool forced;             /* --progress: draw even off a terminal, from the start */
    double last_s;           /* when it was last drawn, s */
};

static void on_progress(void *ctx, const struct run_sweep_progress *p)
{
    struct sweep_bar *b = ctx;
    char text[160];
    double rate = p->wall_s > 0 ? (double)(p->done + p->failed) / p->wall_s : 0;
    bool last = p->done + p->failed == p->total && p->running == 0;

    /* about five times a second, and the end always */
    if (!b->bar.enabled || (!last && p->wall_s - b->last_s < 0.2))
        return;
    b->last_s = p->wall_s;
    snprintf(text, sizeof(text), "%llu/%llu points, %llu failed, %.3g runs/s",
             (unsigned long long)(p->done + p->failed), (unsigned long long)p->total,
             (unsigned long long)p->failed, rate);
    /* cli_progress_draw stays silent for the first second; --progress draws at once */
    cli_progress_draw(&b->bar, p->total ? (double)(p->done + p->failed) / (double)p->total : 1,
                      text, b->forced ? fmax(p->wall_s, 1.0) : p->wall_s);
}

/* --shard I/N. */
static bool parse_shard(const char *s, uint64_t *shard, uint64_t *n_shards)
{
    const char *slash = strchr(s, '/');
    char first[32];

    if (!slash || (size_t)(slash - s) >= sizeof(first))
        return false;
    memcpy(first, s, (size_t)(slash - s));
    first[slash - s] = '\0';
    return cli_parse_u64(first, shard) && cli_parse_u64(slash + 1, n_shards) && *n_shards >= 1 &&
           *shard < *n_shards;
}

/* `coinfer sweep merge DB SHARD-DB...`. */
static int merge(int argc, char **argv)
{
    struct db *db;
    struct core_err e;
    int code = 0;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        help(stdout);
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "coinfer sweep merge: give the database to merge into and at least one "
                        "shard's database (see coinfer sweep --help)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-') {
            fprintf(stderr, "coinfer sweep merge: unknown option '%s' (see coinfer sweep "
                            "--help)\n", argv[i]);
            return 2;
        }
    for (int i = 2; i < argc; i++)
        if (access(argv[i], R_OK) != 0) {
            fprintf(stderr, "coinfer sweep merge: %s: cannot read it: %s\n", argv[i],
                    strerror(errno));
            return 2;
        }
    if (!cli_db_option("sweep merge", argv[1]))
        return 2;
    core_err_clear(&e);
    db = db_open(argv[1], &e);
    if (!db)
        return cli_fail(&e);
    for (int i = 2; i < argc; i++) {
        struct db_sweep_merge r;

        if (db_sweep_merge(db, argv[i], &r, &e) != CORE_OK) {
            code = cli_fail(&e);
            break;
        }
        printf("%s: %llu points imported, %llu not complete recorded, %llu skipped\n", argv[i],
               (unsigned long long)r.imported, (unsigned long long)r.incomplete,
               (unsigned long long)r.skipped);
    }
    db_close(db);
    if (code == 0)
        printf("merged into %s\n", argv[1]);
    return code;
}

/* A point in a worker forked from the sweep: `coinfer run` as if exec'd, with
 * the stop flag cleared (cli_run resets getopt; the rest is the fork's copy). */
static int run_point(void *ctx, int argc, char **argv)
{
    (void)ctx;
    cli_stop_requested = 0;
    return cli_run(argc - 1, argv + 1);
}

/* User plus system CPU time of u, s. */
static double cpu_s(const struct rusage *u)
{
    return (double)u->ru_utime.tv_sec + 1e-6 * (double)u->ru_utime.tv_usec +
           (double)u->ru_stime.tv_sec + 1e-6 * (double)u->ru_stime.tv_usec;
}

static int run_points(const struct io_sweep *s, const struct io_expr *x,
                      struct run_sweep_options *opt, bool quiet, bool progress, bool jobs_given)
{
    struct run_sweep_result res;
    struct rusage self0 = {0}, self1 = {0}, kids0 = {0}, kids1 = {0};
    struct sweep_bar bar = {0};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    struct core_err e;
    enum core_rc rc;
    int code;

    if (n <= 0) {
        fprintf(stderr, "coinfer sweep: cannot find the coinfer binary (/proc/self/exe)\n");
        return 1;
    }
    exe[n] = '\0';
    core_err_clear(&e);
    cli_progress_init(&bar.bar, quiet);
    if (progress && !quiet)
        bar.bar.enabled = bar.forced = true;
    opt->exe = exe;
    opt->run_point = run_point;
    opt->version = cli_version();
    opt->filter = x;
    opt->stop_flag = &cli_stop_requested;
    opt->progress = on_progress;
    opt->progress_ctx = &bar;
    cli_install_signals();
    if (run_mpi_launched() > 1) {
        bool root = true;

        if (jobs_given) {
            fprintf(stderr, "coinfer sweep: --jobs does not go with mpirun: each rank but rank "
                            "0 runs one point at a time (start more ranks)\n");
            return 2;
        }
        rc = run_sweep_mpi(s, opt, &res, &root, &e);
        if (!root) {
            /* a worker rank: rank 0 reports the sweep */
            return rc == CORE_OK ? 0 : cli_fail(&e);
        }
    } else {
        getrusage(RUSAGE_SELF, &self0);
        getrusage(RUSAGE_CHILDREN, &kids0);
        rc = run_sweep(s, opt, &res, &e);
        getrusage(RUSAGE_SELF, &self1);
        getrusage(RUSAGE_CHILDREN, &kids1);
    }
    cli_progress_finish(&bar.bar);
    if (rc != CORE_OK && rc != CORE_E_INTERRUPTED) {
        if (rc == CORE_E_USAGE) {
            fprintf(stderr, "coinfer sweep: %s\n", e.msg);
            return 2;
        }
        return cli_fail(&e);
    }
    if (!quiet) {
        printf("sweep %s: %llu points: %llu run now, %llu failed now, %llu complete before",
               io_sweep_name(s), (unsigned long long)res.points, (unsigned long long)res.run,
               (unsigned long long)res.failed, (unsigned long long)res.complete_before);
        if (res.failed_before)
            printf(", %llu failed before (skipped; --retry-failed runs them)",
                   (unsigned long long)res.failed_before);
        if (res.left)
            printf(", %llu left pending", (unsigned long long)res.left);
        if (run_mpi_launched() > 1)
            printf("; %.2f s on %ld MPI ranks, %.3g runs/s\n", res.wall_s, run_mpi_launched(),
                   res.wall_s > 0 ? (double)(res.run + res.failed) / res.wall_s : 0.0);
        else
            printf("; %.2f s with %u jobs, %.3g runs/s\n", res.wall_s, opt->jobs,
                   res.wall_s > 0 ? (double)(res.run + res.failed) / res.wall_s : 0.0);
        if (io_sweep_stopping(s)->on && !opt->points)
            printf("sequential stopping on %s: %llu combinations within %g x |mean|, %llu at %zu "
                   "replications\n",
                   io_sweep_stopping(s)->metric, (unsigned long long)res.within_target,
                   io_sweep_stopping(s)->rel_half_width, (unsigned long long)res.at_max,
                   io_sweep_n_replications(s));
        if (run_mpi_launched() <= 1 && res.run + res.failed > 0) {
            double self_s = cpu_s(&self1) - cpu_s(&self0), kids_s = cpu_s(&kids1) - cpu_s(&kids0);
            double ran = (double)(res.run + res.failed);

            printf("cpu: the sweep %.3g s (%.3g ms a point), its workers %.3g s (%.3g ms a "
                   "point)\n",
                   self_s, 1e3 * self_s / ran, kids_s, 1e3 * kids_s / ran);
        }
        printf("results: %s (tables sweep_points, sweep_values, runs)\n", res.db_path);
    }
    if (rc == CORE_E_INTERRUPTED)
        return cli_fail(&e);
    code = res.failed + res.failed_before > 0 ? 1 : 0;
    if (code)
        fprintf(stderr,
                "coinfer: sweep %s: %llu points failed (see sweep_points: status 'failed', "
                "exit_status, error)\n",
                io_sweep_name(s), (unsigned long long)(res.failed + res.failed_before));
    return code;
}

int cli_sweep(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"list", no_argument, NULL, 'l'},          {"count", no_argument, NULL, 'c'},
        {"filter", required_argument, NULL, 'f'},  {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},      {"retry-failed", no_argument, NULL, 'r'},
        {"timeout", required_argument, NULL, 't'}, {"progress", no_argument, NULL, 'P'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"shard", required_argument, NULL, 'S'},   {NULL, 0, NULL, 0},
    };
    struct run_sweep_options opt = {0};
    enum sweep_action action = ACTION_RUN;
    const char *filter = NULL, *run_only = NULL;
    struct io_sweep *s = NULL;
    struct io_expr *x = NULL;
    struct core_err e;
    bool quiet = false, progress = false, jobs_given = false;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int c, code = 2;

    core_err_clear(&e);
    if (argc >= 2 && strcmp(argv[1], "merge") == 0)
        return merge(argc - 1, argv + 1);
    opt.jobs = cpus > 0 ? (unsigned)cpus : 1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":lcf:j:d:rt:PqhS:", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
        case 'c':
            if (action != ACTION_RUN && action != (c == 'l' ? ACTION_LIST : ACTION_COUNT)) {
                fprintf(stderr, "coinfer sweep: --list and --count exclude each other\n");
                return 2;
            }
            action = c == 'l' ? ACTION_LIST : ACTION_COUNT;
            break;
        case 'f':
            filter = optarg;
            break;
        case 'j': {
            uint64_t j;

            if (!cli_whole_option("sweep", "--jobs", optarg, 1, 4096, &j))
                return 2;
            opt.jobs = (unsigned)j;
            jobs_given = true;
            run_only = "--jobs";
            break;
        }
        case 'd':
            if (!cli_db_option("sweep", optarg))
                return 2;
            opt.db_path = optarg;
            run_only = "--db";
            break;
        case 'r':
            opt.retry_failed = true;
            run_only = "--retry-failed";
            break;
        case 't':
            if (!cli_positive_option("sweep", "--timeout", optarg, &opt.timeout_s))
                return 2;
            run_only = "--timeout";
            break;
        case 'S':
            if (!parse_shard(optarg, &opt.shard, &opt.n_shards)) {
                fprintf(stderr, "coinfer sweep: --shard '%s' is not I/N with 0 <= I < N\n",
                        optarg);
                return 2;
            }
            break;
        case 'P':
            progress = true;
            run_only = "--progress";
            break;
        case 'q':
            quiet = true;
            run_only = "--quiet";
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
    if (action != ACTION_RUN && run_only) {
        fprintf(stderr, "coinfer sweep: %s runs points; --%s only %s them\n", run_only,
                action == ACTION_LIST ? "list" : "count",
                action == ACTION_LIST ? "lists" : "counts");
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
    if (action == ACTION_RUN)
        code = run_points(s, x, &opt, quiet, progress, jobs_given);
    else
        code = list_points(s, x, action == ACTION_LIST, opt.shard, opt.n_shards);
out:
    io_expr_destroy(x);
    io_sweep_destroy(s);
    return code;
}
