/*
 * cmd_radio.c — `coinfer radio SCENARIO [--db FILE] [--csv] [--seed N] [--quiet]` and
 * `coinfer radio --link-budget SCENARIO`.
 *
 * The first runs a radio scenario's world (mobility, channel, handovers and
 * the groups' optional traffic; no inference) and records, every
 * sample-period from t = 0 to the duration, one radio_samples row per UE:
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

#include "io/io.h"

#define BUDGET_STEP_M 10.0 /* distance between link-budget rows, m */

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer radio SCENARIO [--db FILE] [--csv] [--seed N] [--quiet]\n"
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
    bool has_seed;        /* --seed given */
    uint64_t seed;        /* its value */
};

/* What a run did, for the summary. */
struct radio_outcome {
    char db_path[IO_PATH_MAX];       /* where the rows went ("" without a database) */
    int64_t run_id;                  /* row in runs (0 without a database) */
    const char *status;              /* complete, interrupted or failed */
    uint64_t n_samples;              /* rows written */
    size_t n_ues, n_cells;           /* the world's size */
    double sim_end_s;                /* simulated time reached, s */
    double wall_s;                   /* wall-clock time, s */
    struct radio_world_stats stats;  /* the world's counters */
};

static enum core_rc print_link_budget(const struct io_scenario *sc, struct core_err *e)
{
    const struct radio_world_config *cfg = &sc->radio;
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
            return core_err(e, rc, "%s: link budget at %g m: %s", sc->path, d_m, e->msg);
        printf("%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%u,%u,%.9g,%.9g\n", r.distance_m,
               r.los_probability, r.pathloss_los_db, r.pathloss_nlos_db, r.ul_sinr_db,
               r.dl_sinr_db, (unsigned)r.ul_cqi, (unsigned)r.dl_cqi, r.ul_rate_bps,
               r.dl_rate_bps);
        if (d_m >= edge_m)
            return CORE_OK;
        d_m = d_m + BUDGET_STEP_M < edge_m ? d_m + BUDGET_STEP_M : edge_m;
    }
}

static void print_csv_rows(const struct radio_sample *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct radio_sample *r = &rows[i];

        printf("%u,%.9g,%u,%.9g,%.9g,%.9g,%.9g,%u,%u,%.9g,%.9g\n", (unsigned)r->ue, r->t_s,
               (unsigned)r->cell, r->x_m, r->y_m, r->ul_sinr_db, r->dl_sinr_db,
               (unsigned)r->ul_cqi, (unsigned)r->dl_cqi, r->ul_rate_bps, r->dl_rate_bps);
    }
}

/* The sampling instants are events of their own (a handler that does
 * nothing): without them a world with nothing scheduled (static UEs, no
 * traffic) would leave the engine's clock behind the instant. */
static void on_tick(void *state, const struct core_event *ev, struct core_engine *eng)
{
    (void)state;
    (void)ev;
    (void)eng;
}

static const core_handler_fn tick_handlers[] = {on_tick};
static const struct core_entity_type tick_type = {"radio_sampler", tick_handlers, 1};

/* Sample every UE at the engine's time into rows and write them out. */
static enum core_rc record_samples(struct radio_world *w, struct io_db *db, int64_t run_id,
                                   bool csv, struct radio_sample *rows,
                                   struct radio_outcome *out, struct core_err *e)
{
    size_t n = radio_world_n_ues(w);
    enum core_rc rc;

    for (size_t i = 0; i < n; i++) {
        rc = radio_world_sample(w, (uint32_t)i, &rows[i], e);
        if (rc != CORE_OK)
            return rc;
    }
    if (db != NULL) {
        rc = io_db_insert_radio_samples(db, run_id, rows, n, e);
        if (rc != CORE_OK)
            return rc;
    }
    if (csv)
        print_csv_rows(rows, n);
    out->n_samples += n;
    return CORE_OK;
}

/* Run the world to the scenario's duration, sampling every period. */
static enum core_rc run_world(const struct io_scenario *sc, uint64_t seed, struct io_db *db,
                              int64_t run_id, bool csv, struct cli_progress *progress,
                              struct radio_outcome *out, struct core_err *e)
{
    const double period_s = sc->radio.sample_period_s, end_s = sc->sim.duration_s;
    double t0_wall_s = core_wall_s();
    struct core_engine *eng = core_engine_create(0);
    struct radio_sample *rows = NULL;
    struct radio_world *w = NULL;
    enum core_rc rc = CORE_OK;
    uint32_t ticker = UINT32_MAX;
    int type;

    if (eng == NULL)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the engine", sc->path);
    type = core_engine_register_type(eng, &tick_type);
    if (type >= 0)
        ticker = core_engine_add_entity(eng, type, NULL);
    if (ticker == UINT32_MAX) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for the engine", sc->path);
        goto out_free;
    }
    w = radio_world_create(&sc->radio, eng, seed, e);
    if (w == NULL) {
        rc = core_err(e, e->rc, "%s: %s", sc->path, e->msg);
        goto out_free;
    }
    out->n_ues = radio_world_n_ues(w);
    out->n_cells = radio_world_n_cells(w);
    rows = core_calloc(out->n_ues ? out->n_ues : 1, sizeof(*rows));
    if (rows == NULL) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu samples", sc->path,
                      out->n_ues);
        goto out_free;
    }
    if (csv)
        printf("ue_id,t_s,cell_id,x_m,y_m,ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,"
               "dl_rate_bps\n");
    for (uint64_t k = 0;; k++) {
        double t_s = (double)k * period_s;
        struct core_run_limits lim = {.until_s = t_s, .has_until = true,
                                      .stop_flag = &cli_stop_requested};
        enum core_stop why;

        if (t_s > end_s * (1.0 + 1e-12))
            break;
        if (core_schedule_at(eng, t_s, ticker, 0, 255, (union core_payload){0}) == 0) {
            rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for events", sc->path);
            break;
        }
        why = core_engine_run(eng, &lim);
        if (why == CORE_STOP_FAILED) {
            const struct core_err *fe = core_engine_error(eng);

            rc = core_err(e, fe->rc, "%s: the radio world failed at %g s: %s", sc->path,
                          core_engine_now(eng), fe->msg);
            break;
        }
        if (why == CORE_STOP_REQUESTED || cli_stop_requested) {
            rc = core_err(e, CORE_E_INTERRUPTED, "%s: interrupted at %g s simulated", sc->path,
                          core_engine_now(eng));
            break;
        }
        rc = record_samples(w, db, run_id, csv, rows, out, e);
        if (rc != CORE_OK)
            break;
        out->sim_end_s = t_s;
        cli_progress_update(progress, t_s, end_s, core_engine_events_run(eng),
                            core_wall_s() - t0_wall_s);
    }
    radio_world_stats(w, &out->stats);
out_free:
    out->wall_s = core_wall_s() - t0_wall_s;
    core_free(rows);
    radio_world_destroy(w);
    core_engine_destroy(eng);
    return rc;
}

static void print_summary(FILE *f, const struct io_scenario *sc, uint64_t seed,
                          const struct radio_outcome *o)
{
    fprintf(f,
            "radio run %lld %s: %s (seed %llu), %.9g s simulated in %.2f s wall, %zu UEs in "
            "%zu cells\n",
            (long long)o->run_id, o->status, sc->name, (unsigned long long)seed, o->sim_end_s,
            o->wall_s, o->n_ues, o->n_cells);
    fprintf(f, "  %-22s %llu\n", "samples recorded", (unsigned long long)o->n_samples);
    fprintf(f, "  %-22s %llu\n", "handovers", (unsigned long long)o->stats.handovers);
    fprintf(f, "  %-22s %llu\n", "channel updates", (unsigned long long)o->stats.channel_updates);
    if (o->stats.flows_started > 0)
        fprintf(f, "  %-22s %llu started, %llu done (%.6g B)\n", "transfers",
                (unsigned long long)o->stats.flows_started,
                (unsigned long long)o->stats.flows_done, o->stats.bytes_done);
    if (o->db_path[0] != '\0')
        fprintf(f, "results: %s (see: coinfer report %s)\n", o->db_path, o->db_path);
}

/* Load, check the kind, then run or print the link budget. */
static int radio_main(const char *path, const struct radio_opts *o)
{
    struct io_scenario *sc = core_calloc(1, sizeof(*sc));
    struct radio_outcome *out = core_calloc(1, sizeof(*out));
    struct cli_progress progress;
    struct io_db *db = NULL;
    struct core_err e, e_end;
    enum core_rc rc;
    uint64_t seed;
    int code;

    core_err_clear(&e);
    if (sc == NULL || out == NULL) {
        fprintf(stderr, "coinfer radio: out of memory\n");
        code = 1;
        goto out_free;
    }
    rc = io_scenario_load(path, sc, &e);
    if (rc == CORE_OK && sc->kind != IO_SCENARIO_RADIO)
        rc = core_err(&e, CORE_E_INPUT,
                      "%s:0: not a radio scenario (it has no <radio> section; run it with "
                      "coinfer run)",
                      path);
    if (rc != CORE_OK) {
        code = cli_fail(&e);
        goto out_free;
    }
    if (o->link_budget) {
        rc = print_link_budget(sc, &e);
        code = rc == CORE_OK ? 0 : cli_fail(&e);
        goto out_free;
    }
    seed = o->has_seed ? o->seed : sc->sim.seed;
    if (o->db_path != NULL || !o->csv) {
        struct io_run_info info = {
            .scenario = sc->name,
            .scenario_sha256 = sc->sha256,
            .policy = "radio",
            .seed = seed,
            .version = cli_version(),
        };

        if (o->db_path)
            snprintf(out->db_path, sizeof(out->db_path), "%s", o->db_path);
        else
            snprintf(out->db_path, sizeof(out->db_path), "results/%s.db", sc->name);
        db = io_db_open(out->db_path, &e);
        if (db == NULL || io_db_run_begin(db, &info, &out->run_id, &e) != CORE_OK) {
            code = cli_fail(&e);
            goto out_free;
        }
    }
    cli_progress_init(&progress, o->quiet || o->csv);
    cli_install_signals();
    rc = run_world(sc, seed, db, out->run_id, o->csv, &progress, out, &e);
    cli_progress_finish(&progress);
    out->status = rc == CORE_OK ? "complete" : rc == CORE_E_INTERRUPTED ? "interrupted" : "failed";
    if (db != NULL) {
        core_err_clear(&e_end);
        if (io_db_run_end(db, out->run_id, out->status, &e_end) != CORE_OK && rc == CORE_OK) {
            e = e_end;
            rc = e.rc;
        }
    }
    if ((rc == CORE_OK || rc == CORE_E_INTERRUPTED) && !o->quiet)
        print_summary(o->csv ? stderr : stdout, sc, seed, out);
    fflush(stdout);
    code = rc == CORE_OK ? 0 : cli_fail(&e);
out_free:
    io_db_close(db);
    core_free(out);
    core_free(sc);
    return code;
}

int cli_radio(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},   {"csv", no_argument, NULL, 'c'},
        {"seed", required_argument, NULL, 's'}, {"quiet", no_argument, NULL, 'q'},
        {"link-budget", no_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct radio_opts o = {0};
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db_path = optarg;
            break;
        case 'c':
            o.csv = true;
            break;
        case 's':
            if (!cli_parse_u64(optarg, &o.seed)) {
                fprintf(stderr, "coinfer radio: --seed '%s' is not an integer in [0, 2^64-1]\n",
                        optarg);
                return 2;
            }
            o.has_seed = true;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'l':
            o.link_budget = true;
            break;
        case 'h':
            help(stdout);
            return 0;
        case ':':
            fprintf(stderr, "coinfer radio: %s needs a value (see coinfer radio --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "coinfer radio: unknown option '%s' (see coinfer radio --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "coinfer radio: one scenario, please (got %d; see --help)\n",
                argc - optind);
        return 2;
    }
    if (o.link_budget && (o.db_path || o.csv || o.has_seed)) {
        fprintf(stderr, "coinfer radio: --link-budget takes no --db, --csv or --seed (see "
                        "--help)\n");
        return 2;
    }
    return radio_main(argv[optind], &o);
}
