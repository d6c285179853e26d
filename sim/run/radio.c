/*
 * radio.c — the run driver of radio scenarios: scenario -> radio world ->
 * engine -> radio_samples rows -> database and/or the caller's row callback.
 *
 * The world runs from one sampling instant to the next (every
 * <radio sample-period>, 0 s to the duration included); at each instant
 * every UE is sampled, the rows go to the database in one transaction and to
 * the caller's callback (the CLI prints CSV from it). The instants are events
 * of their own, so the clock reaches them even when nothing else is
 * scheduled (static UEs without traffic). A stop (signal, failure) keeps
 * every row written so far and marks the run as run_queue does.
 */
#include "run/run_int.h"

#include <stdio.h>
#include <string.h>

#define PROGRESS_PERIOD_S 0.1 /* wall time between progress reports */

/* A sampling instant: the handler does nothing, the event moves the clock. */
static void on_tick(void *state, const struct core_event *ev, struct core_engine *eng)
{
    (void)state;
    (void)ev;
    (void)eng;
}

static const core_handler_fn tick_handlers[] = {on_tick};
static const struct core_entity_type tick_type = {"radio_sampler", tick_handlers, 1};

/* Sample every UE now into rows; write them to db (if any) and the callback. */
static enum core_rc record_samples(struct radio_world *w, struct db *db,
                                   const struct run_radio_options *opt,
                                   struct radio_sample *rows, struct run_radio_result *res,
                                   struct core_err *e)
{
    size_t n = radio_world_n_ues(w);
    enum core_rc rc;

    for (size_t i = 0; i < n; i++) {
        rc = radio_world_sample(w, (uint32_t)i, &rows[i], e);
        if (rc != CORE_OK)
            return rc;
    }
    if (db != NULL) {
        rc = db_insert_radio_samples(db, res->run_id, rows, n, e);
        if (rc != CORE_OK)
            return rc;
    }
    if (opt->on_rows)
        opt->on_rows(opt->rows_ctx, rows, n);
    res->n_samples += n;
    return CORE_OK;
}

/* Run the world to the scenario's duration, sampling every period. */
static enum core_rc run_world(const struct run_assembly *a, const struct run_radio_options *opt,
                              struct db *db, struct run_radio_result *res, struct core_err *e)
{
    const double period_s = a->radio.sample_period_s, end_s = a->sim.duration_s;
    double t0_wall_s = core_wall_s(), last_report_s = t0_wall_s;
    struct core_engine *eng = core_engine_create(0);
    struct radio_sample *rows = NULL;
    struct radio_world *w = NULL;
    enum core_rc rc = CORE_OK;
    uint32_t ticker = UINT32_MAX;
    int type;

    if (eng == NULL)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the engine", io_config_path(a->cfg));
    type = core_engine_register_type(eng, &tick_type);
    if (type >= 0)
        ticker = core_engine_add_entity(eng, type, NULL);
    if (ticker == UINT32_MAX) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for the engine", io_config_path(a->cfg));
        goto out_free;
    }
    w = radio_world_create(&a->radio, eng, res->seed, e);
    if (w == NULL) {
        rc = core_err(e, e->rc, "%s: %s", io_config_path(a->cfg), e->msg);
        goto out_free;
    }
    res->n_ues = radio_world_n_ues(w);
    res->n_cells = radio_world_n_cells(w);
    rows = core_calloc(res->n_ues ? res->n_ues : 1, sizeof(*rows));
    if (rows == NULL) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for %zu samples", io_config_path(a->cfg),
                      res->n_ues);
        goto out_free;
    }
    for (uint64_t k = 0;; k++) {
        double t_s = (double)k * period_s, now_wall_s;
        struct core_run_limits lim = {.until_s = t_s, .has_until = true,
                                      .stop_flag = opt->stop_flag};
        enum core_stop why;

        if (t_s > end_s * (1.0 + 1e-12))
            break;
        if (core_schedule_at(eng, t_s, ticker, 0, 255, (union core_payload){0}) == 0) {
            rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for events", io_config_path(a->cfg));
            break;
        }
        why = core_engine_run(eng, &lim);
        if (why == CORE_STOP_FAILED) {
            const struct core_err *fe = core_engine_error(eng);

            rc = core_err(e, fe->rc, "%s: the radio world failed at %g s: %s", io_config_path(a->cfg),
                          core_engine_now(eng), fe->msg);
            break;
        }
        if (why == CORE_STOP_REQUESTED || (opt->stop_flag && *opt->stop_flag)) {
            rc = core_err(e, CORE_E_INTERRUPTED, "%s: interrupted at %g s simulated", io_config_path(a->cfg),
                          core_engine_now(eng));
            break;
        }
        rc = record_samples(w, db, opt, rows, res, e);
        if (rc != CORE_OK)
            break;
        res->sim_end_s = t_s;
        now_wall_s = core_wall_s();
        if (opt->progress && now_wall_s - last_report_s >= PROGRESS_PERIOD_S) {
            opt->progress(opt->progress_ctx, t_s, end_s, core_engine_events_run(eng),
                          now_wall_s - t0_wall_s);
            last_report_s = now_wall_s;
        }
    }
    radio_world_stats(w, &res->stats);
out_free:
    core_free(rows);
    radio_world_destroy(w);
    core_engine_destroy(eng);
    return rc;
}

enum core_rc run_radio(const struct run_assembly *a, const struct run_radio_options *opt,
                          struct run_radio_result *res, struct core_err *e)
{
    struct db *db = NULL;
    double wall0_s = core_wall_s();
    enum core_rc rc;

    memset(res, 0, sizeof(*res));
    snprintf(res->status, sizeof(res->status), "failed");
    if (a->kind != IO_SCENARIO_RADIO && a->kind != IO_SCENARIO_COLLAB)
        return core_err(e, CORE_E_USAGE,
                        "%s: not a radio scenario (it has no <radio> section; run it with "
                        "`coinfer run %s`)",
                        io_config_path(a->cfg), io_config_path(a->cfg));
    res->seed = a->sim.seed;
    if (opt->db_path != NULL) {
        struct db_run_info info;


        run_info(a, "radio", opt->version, &info);
        snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
        db = db_open(res->db_path, e);
        if (db == NULL)
            return e->rc;
        rc = db_run_begin(db, &info, &res->run_id, e);
        if (rc != CORE_OK)
            goto out_close_db;
    }
    rc = run_world(a, opt, db, res, e);
    rc = run_end(db, res->run_id, rc, res->status, sizeof(res->status), e);
out_close_db:
    db_close(db);
    res->wall_s = core_wall_s() - wall0_s;
    return rc;
}
