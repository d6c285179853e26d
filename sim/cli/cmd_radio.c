/*
 * cmd_radio.c — `coinfer radio SCENARIO [--db FILE] [--csv] [--seed N] [--set PATH=VALUE]...
 * [--quiet]` and
 * `coinfer radio --link-budget SCENARIO`.
 *
 * The first runs, through run_scenario, a radio scenario's world (mobility,
 * channel, handovers and the groups' optional traffic; no inference) and
 * records, every sample-period from t = 0 to the duration, one radio_samples
 * row per UE:
 * into the results database under a `runs` row with policy 'radio', and/or
 * as CSV on stdout. The scenario is validated before the database is
 * touched. SIGINT or SIGTERM stops the run, keeps every row written so far
 * and marks the run 'interrupted'.
 *
 * The second prints the link budget of the scenario's first cell as CSV: a
 * lone UE on the cell's boresight from 10 m to the cell edge every 10 m
 * (and at the edge), no fading, shadowing or load (radio_link_budget).
 */
#include "cli/cli_int.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"

#define BUDGET_STEP_M 10.0 /* distance between link-budget rows, m */

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer radio SCENARIO [--db FILE] [--csv] [--seed N] [--set PATH=VALUE]...\n"
            "                              [--quiet]\n"
            "       coinfer radio --link-budget SCENARIO\n"
            "\n"
            "Run the radio world of SCENARIO (a scenario with a <radio> section): UEs\n"
            "move, see path loss, shadowing and fading, hand over between cells and,\n"
            "if their groups have traffic, transfer data. Every <radio sample-period>\n"
            "from 0 s to the duration, one row per UE goes to the radio_samples table:\n"
            "serving cell, position, uplink and downlink SINR, CQI and expected rate.\n"
            "\n"
            "  --db FILE      results database (default results/<scenario-name>.db);\n"
            "                 the run's row in runs has policy 'radio'\n"
            "  --csv          print the rows as CSV on stdout (header: ue_id,t_s,cell_id,\n"
            "                 x_m,y_m,ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,\n"
            "                 dl_rate_bps) instead of writing the database; with --db,\n"
            "                 both. The summary then goes to stderr.\n"
            "  --seed N       master seed (0 ... 2^64-1), overriding <simulation seed>\n"
            "  --set PATH=VALUE  override one knob of the scenario (see coinfer run --help)\n"
            "  --quiet, -q    no progress bar and no summary (errors still go to stderr)\n"
            "  --link-budget  print the first cell's link budget as CSV and exit: a lone\n"
            "                 UE on its boresight from 10 m to the cell edge every 10 m,\n"
            "                 no fading, shadowing or load; the SINR uses the path loss\n"
            "                 weighted by the LOS probability. Header:\n"
            "                 distance_m,los_probability,pathloss_los_db,pathloss_nlos_db,\n"
            "                 ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,dl_rate_bps\n"
            "  --help, -h     this text\n"
            "\n"
            "SIGINT or SIGTERM stops the run, keeps every row recorded so far and marks\n"
            "the run 'interrupted' (exit code 1).\n"
            "Exit codes: 0 complete, 1 runtime failure or interrupted, 2 bad input/usage.\n");
}

/* What the command line asked for. */
struct radio_opts {
    const char *db_path;  /* --db, or NULL */
    bool csv;             /* --csv */
    bool quiet;           /* --quiet */
    bool link_budget;     /* --link-budget */
    struct cli_sets sets; /* --set and --seed */
};

/* What a run did, for the summary. */
static enum core_rc print_link_budget(const struct run_assembly *a, struct core_err *e)
{
    const struct radio_world_config *cfg = &a->radio;
    double edge_m = radio_cell_edge_m(&cfg->deploy), min_m, max_m, d_m;
    struct radio_budget_row r;
    enum core_rc rc;

    radio_d2d_range_m(&cfg->deploy, &min_m, &max_m);
    d_m = min_m > BUDGET_STEP_M ? min_m : BUDGET_STEP_M;
    if (d_m > edge_m)
        d_m = edge_m;
    printf("distance_m,los_probability,pathloss_los_db,pathloss_nlos_db,ul_sinr_db,dl_sinr_db,"
           "ul_cqi,dl_cqi,ul_rate_bps,dl_rate_bps\n");
    for (;;) {
        rc = radio_link_budget(cfg, d_m, &r, e);
        if (rc != CORE_OK)
            return core_err(e, rc, "%s: link budget at %g m: %s", io_config_path(a->cfg), d_m,
                            e->msg);
        printf("%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%u,%u,%.9g,%.9g\n", r.distance_m,
               r.los_probability, r.pathloss_los_db, r.pathloss_nlos_db, r.ul_sinr_db,
               r.dl_sinr_db, (unsigned)r.ul_cqi, (unsigned)r.dl_cqi, r.ul_rate_bps,
               r.dl_rate_bps);
        if (d_m >= edge_m)
            return CORE_OK;
        d_m = d_m + BUDGET_STEP_M < edge_m ? d_m + BUDGET_STEP_M : edge_m;
    }
}

static void print_summary(FILE *f, const struct run_assembly *a, const struct run_result *o)
{
    fprintf(f,
            "radio run %lld %s: %s (seed %llu), %.9g s simulated in %.2f s wall, %zu UEs in "
            "%zu cells\n",
            (long long)o->run_id, o->status, io_config_name(a->cfg), (unsigned long long)o->seed,
            o->sim_end_s,
            o->wall_s, o->n_ues, o->n_cells);
    fprintf(f, "  %-22s %llu\n", "samples recorded", (unsigned long long)o->n_rows);
    fprintf(f, "  %-22s %llu\n", "handovers", (unsigned long long)o->radio.handovers);
    fprintf(f, "  %-22s %llu\n", "channel updates", (unsigned long long)o->radio.channel_updates);
    if (o->radio.flows_started > 0)
        fprintf(f, "  %-22s %llu started, %llu done (%.6g B)\n", "transfers",
                (unsigned long long)o->radio.flows_started,
                (unsigned long long)o->radio.flows_done, o->radio.bytes_done);
    if (o->db_path[0] != '\0')
        fprintf(f, "results: %s (see: coinfer report %s)\n", o->db_path, o->db_path);
}

/* Load, check the kind, then run or print the link budget. */
static int radio_main(const char *path, const struct radio_opts *o)
{
    struct io_config *cfg = NULL;
    struct run_assembly *a = NULL;
    struct run_result *out = core_calloc(1, sizeof(*out));
    struct run_options opt = {0};
    struct cli_progress progress;
    struct core_err e;
    enum core_rc rc;
    int code;

    core_err_clear(&e);
    if (out == NULL) {
        fprintf(stderr, "coinfer radio: out of memory\n");
        code = 1;
        goto out_free;
    }
    rc = io_scenario_load(path, o->sets.v, o->sets.n, &cfg, &e);
    if (rc == CORE_OK && io_config_kind(cfg) == IO_SCENARIO_QUEUE)
        rc = core_err(&e, CORE_E_INPUT,
                      "%s:0: not a radio scenario (it has no <radio> section; run it with "
                      "coinfer run)",
                      path);
    if (rc == CORE_OK)
        rc = run_assemble_radio(cfg, &a, &e);
    if (rc != CORE_OK) {
        code = cli_fail(&e);
        goto out_free;
    }
    if (o->link_budget) {
        rc = print_link_budget(a, &e);
        code = rc == CORE_OK ? 0 : cli_fail(&e);
        goto out_free;
    }
    opt.db_path = o->db_path;
    opt.no_db = o->csv && !o->db_path;
    opt.stop_flag = &cli_stop_requested;
    opt.progress = cli_progress_update;
    opt.progress_ctx = &progress;
    opt.observer.samples = o->csv ? run_csv_samples : NULL;
    opt.observer.ctx = stdout;
    opt.version = cli_version();
    if (o->csv)
        fputs(run_csv_samples_header, stdout);
    cli_progress_init(&progress, o->quiet || o->csv);
    cli_install_signals();
    rc = run_scenario(a, &opt, out, &e);
    cli_progress_finish(&progress);
    if ((rc == CORE_OK || rc == CORE_E_INTERRUPTED) && !o->quiet)
        print_summary(o->csv ? stderr : stdout, a, out);
    fflush(stdout);
    code = rc == CORE_OK ? 0 : cli_fail(&e);
out_free:
    core_free(out);
    run_assembly_destroy(a);
    io_config_destroy(cfg);
    return code;
}

int cli_radio(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},   {"csv", no_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'}, {"quiet", no_argument, NULL, 'q'},
        {"link-budget", no_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {"set", required_argument, NULL, 'S'},   {NULL, 0, NULL, 0},
    };
    struct radio_opts o = {0};
    int c, code = 2;

    if (!cli_sets_init(&o.sets, argc, "radio"))
        return 1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:s:qhS:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (!cli_db_option("radio", optarg))
                goto out_free;
            o.db_path = optarg;
            break;
        case 'c':
            o.csv = true;
            break;
        case 's':
            if (!cli_sets_seed(&o.sets, optarg, "radio"))
                goto out_free;
            break;
        case 'S':
            cli_sets_add(&o.sets, optarg);
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'l':
            o.link_budget = true;
            break;
        case 'h':
            help(stdout);
            code = 0;
            goto out_free;
        case ':':
            fprintf(stderr, "coinfer radio: %s needs a value (see coinfer radio --help)\n",
                    argv[optind - 1]);
            goto out_free;
        default:
            fprintf(stderr, "coinfer radio: unknown option '%s' (see coinfer radio --help)\n",
                    argv[optind - 1]);
            goto out_free;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "coinfer radio: one scenario, please (got %d; see --help)\n",
                argc - optind);
        goto out_free;
    }
    if (o.link_budget && (o.db_path || o.csv || o.sets.seed_text[0])) {
        fprintf(stderr, "coinfer radio: --link-budget takes no --db, --csv or --seed (see "
                        "--help)\n");
        goto out_free;
    }
    code = radio_main(argv[optind], &o);
out_free:
    cli_sets_fini(&o.sets);
    return code;
}
