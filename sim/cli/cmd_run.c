/*
 * cmd_run.c — `coinfer run [SCENARIO] [--policy NAME] [--seed N] [--set PATH=VALUE]...
 * [--db FILE]`.
 *
 * Loads and validates the scenario, with its overrides, before touching the
 * database (a bad file or override leaves nothing behind), runs it, and
 * prints the summary. SIGINT and SIGTERM
 * stop the run cleanly: every row recorded so far is kept and the run is
 * marked 'interrupted'; a second signal kills the process at once.
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "run/run.h"

#define DEFAULT_SCENARIO "scenarios/default.xml"

/* The --policy paragraph: every policy of the policy module's table with its
 * help, then `all` and the queue model's one. */
static void help_policies(FILE *out)
{
    int width = 3; /* "all" */
    enum policy_kind k;

    for (k = 0; k < POLICY_KIND_COUNT; k++)
        if ((int)strlen(policy_kind_name(k)) > width)
            width = (int)strlen(policy_kind_name(k));
    fprintf(out, "  --policy NAME  decision policy of a collaborative scenario (default %s):\n",
            policy_kind_name(policy_default()));
    for (k = 0; k < POLICY_KIND_COUNT; k++)
        fprintf(out, "                   %-*s  %s\n", width, policy_kind_name(k), policy_help(k));
    fprintf(out,
            "                   %-*s  every one on the same seed, printed side by side\n"
            "                 The validation queue model has one policy: %s\n",
            width, "all", run_policy_name(IO_SCENARIO_QUEUE, 0));
}

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer run [SCENARIO] [--policy NAME] [--agent FILE] [--pessimism K]\n"
            "                   [--seed N] [--set PATH=VALUE]... [--db FILE] [--trace]\n"
            "                   [--quiet]\n"
            "\n"
            "Run SCENARIO (default " DEFAULT_SCENARIO ") and record every inference (or\n"
            "request of a validation queue) in a SQLite results database, then print a\n"
            "summary.\n"
            "\n");
    help_policies(out);
    fprintf(out,
            "  --agent FILE   the trained agent rl decides with (coinfer train writes it);\n"
            "                 with it, --policy all runs rl too\n"
            "  --pessimism K  with --agent: decode with each learned correction counting\n"
            "                 only by how much it exceeds K standard errors of its head\n"
            "                 (default: the value the agent was trained with, coinfer\n"
            "                 train --pessimism; 0: none)\n"
            "  --seed N       master seed (0 ... 2^64-1), overriding <simulation seed>\n"
            "                 (the same as --set simulation@seed=N)\n"
            "  --set PATH=VALUE  override one knob of the scenario, as the file would\n"
            "                 write it: PATH is ELEMENT[/ELEMENT...]@ATTRIBUTE, an element\n"
            "                 written name, name[INDEX] (from 0) or name[NAME] (e.g.\n"
            "                 radio/deployment@isd=300m, radio/ue-group[1]@count=40,\n"
            "                 edge/use[gpu]@count=4, simulation@duration=60s); the same\n"
            "                 units and range checks as the file; repeatable, in order\n"
            "  --db FILE      results database (default results/<scenario-name>.db);\n"
            "                 several runs may share one database\n"
            "  --trace        also record every protocol message in the messages table\n"
            "  --quiet, -q    no progress bar and no summary (errors still go to stderr)\n"
            "  --help, -h     this text\n"
            "\n"
            "A progress bar is drawn on stderr when it is a terminal and the run takes\n"
            "longer than a second. SIGINT or SIGTERM stops the run, keeps every row\n"
            "recorded so far and marks the run 'interrupted' (exit code 1).\n"
            "Exit codes: 0 complete, 1 runtime failure or interrupted, 2 bad input/usage.\n");
}

static void print_summary(const struct run_assembly *a, const struct run_result *r)
{
    double ev_rate = r->wall_s > 0 ? (double)r->events / r->wall_s : 0.0;

    printf("run %lld %s: %s (seed %llu, policy fifo), %.9g s simulated in %.2f s wall, "
           "%llu events (%.3g events/s)\n",
           (long long)r->run_id, r->status, io_config_name(a->cfg),
           (unsigned long long)a->sim.seed, r->sim_end_s, r->wall_s,
           (unsigned long long)r->events, ev_rate);
    printf("  %-22s %llu\n", "requests recorded", (unsigned long long)r->n_rows);
    if (r->n_rows > 0) {
        printf("  %-22s %.6g s", "sojourn mean", r->sojourn.mean);
        if (!isnan(r->theory_sojourn_s))
            printf("   (theory %.6g s, error %+.2f %%)", r->theory_sojourn_s,
                   100.0 * (r->sojourn.mean - r->theory_sojourn_s) / r->theory_sojourn_s);
        printf("\n");
        printf("  %-22s %.6g / %.6g / %.6g s\n", "sojourn p50/p95/p99", core_p2_value(&r->p50),
               core_p2_value(&r->p95), core_p2_value(&r->p99));
        printf("  %-22s %.6g s\n", "wait mean", r->wait.mean);
    }
    printf("results: %s (see: coinfer report %s)\n", r->db_path, r->db_path);
}

int cli_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, NULL, 'p'}, {"seed", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {"trace", no_argument, NULL, 't'},
        {"set", required_argument, NULL, 'S'},    {"agent", required_argument, NULL, 'a'},
        {"pessimism", required_argument, NULL, 'K'}, {NULL, 0, NULL, 0},
    };
    struct run_options opt = {0};
    struct run_result *res = NULL;
    struct run_assembly *a = NULL;
    struct io_config *cfg = NULL;
    struct cli_sets sets;
    struct cli_progress progress;
    struct core_err e;
    const char *path = DEFAULT_SCENARIO, *policy = NULL, *agent_path = NULL;
    struct policy_agent *agent = NULL;
    bool quiet = false, pessimism_given = false;
    double pessimism = 0;
    int c, code = 2;
    enum core_rc rc;

    core_err_clear(&e);
    if (!cli_sets_init(&sets, argc, "run"))
        return 1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:s:d:qhtS:a:K:", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            policy = optarg;
            break;
        case 'a':
            if (!optarg[0]) {
                fprintf(stderr, "coinfer run: --agent needs a file name (see coinfer run "
                                "--help)\n");
                goto out_free;
            }
            agent_path = optarg;
            break;
        case 'K':
            if (!cli_real_option("run", "--pessimism", optarg, 0, 1e6, &pessimism))
                goto out_free;
            pessimism_given = true;
            break;
        case 's':
            if (!cli_sets_seed(&sets, optarg, "run"))
                goto out_free;
            break;
        case 'S':
            cli_sets_add(&sets, optarg);
            break;
        case 'd':
            if (!cli_db_option("run", optarg))
                goto out_free;
            opt.db_path = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 't':
            opt.trace = true;
            break;
        case 'h':
            help(stdout);
            code = 0;
            goto out_free;
        case ':':
            fprintf(stderr, "coinfer run: %s needs a value (see coinfer run --help)\n",
                    argv[optind - 1]);
            goto out_free;
        default:
            fprintf(stderr, "coinfer run: unknown option '%s' (see coinfer run --help)\n",
                    argv[optind - 1]);
            goto out_free;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "coinfer run: one scenario at a time (got %d; see --help)\n",
                argc - optind);
        goto out_free;
    }
    if (argc - optind == 1)
        path = argv[optind];

    rc = io_scenario_load(path, sets.v, sets.n, &cfg, &e);
    if (rc == CORE_OK && agent_path && io_config_kind(cfg) != IO_SCENARIO_COLLAB)
        rc = core_err(&e, CORE_E_USAGE, "--agent needs a collaborative scenario (%s is not)",
                      path);
    if (pessimism_given && !agent_path) {
        fprintf(stderr, "coinfer run: --pessimism needs --agent (see coinfer run --help)\n");
        goto out_free;
    }
    if (rc == CORE_OK && agent_path)
        rc = io_agent_read(agent_path, &agent, &e);
    if (rc == CORE_OK && pessimism_given) {
        struct core_err le = {0};

        if (policy_agent_set_pessimism(agent, pessimism, &le) != CORE_OK)
            rc = core_err(&e, CORE_E_INPUT, "%s:0: %s", agent_path, le.msg);
    }
    if (rc == CORE_OK && io_config_kind(cfg) != IO_SCENARIO_COLLAB && opt.trace)
        rc = core_err(&e, CORE_E_USAGE, "--trace needs a collaborative scenario (%s is not)",
                      path);
    if (rc == CORE_OK && io_config_kind(cfg) == IO_SCENARIO_RADIO)
        rc = core_err(&e, CORE_E_USAGE,
                      "%s: a radio scenario (mobility, channel and transfers only): run it with "
                      "`coinfer radio %s`",
                      path, path);
    if (rc == CORE_OK)
        rc = run_assemble(cfg, &a, &e);
    if (rc != CORE_OK) {
        code = cli_fail(&e);
        goto out_free;
    }
    if (a->kind == IO_SCENARIO_COLLAB) {
        opt.stop_flag = &cli_stop_requested;
        opt.version = cli_version();
        opt.agent = agent;
        opt.agent_path = agent_path;
        cli_install_signals();
        code = cli_run_collab(a, policy, &opt, quiet);
        goto out_free;
    }
    res = core_calloc(1, sizeof(*res));
    if (!res) {
        fprintf(stderr, "coinfer run: out of memory\n");
        code = 1;
        goto out_free;
    }
    opt.policy = policy;
    cli_progress_init(&progress, quiet);
    opt.stop_flag = &cli_stop_requested;
    opt.progress = cli_progress_update;
    opt.progress_ctx = &progress;
    opt.version = cli_version();
    cli_install_signals();
    rc = run_scenario(a, &opt, res, &e);
    cli_progress_finish(&progress);
    if ((rc == CORE_OK || rc == CORE_E_INTERRUPTED) && !quiet)
        print_summary(a, res);
    code = rc == CORE_OK ? 0 : cli_fail(&e);
out_free:
    core_free(res);
    run_assembly_destroy(a);
    io_config_destroy(cfg);
    policy_agent_destroy(agent);
    cli_sets_fini(&sets);
    return code;
}
