/*
 * slices.c — what every run driver that records rows does the same way:
 * run the engine in slices, drain the world's record buffers into the
 * database between them, report progress, and turn the way the run stopped
 * into a status in `runs`; and the default database path of a run.
 *
 * A slice ends after a bounded number of events or when a world asks the
 * engine to stop because a record buffer is full; the driver's drain then
 * writes the buffered rows in one transaction. The last slice is drained
 * before the status is written, so a stop (signal, failure) loses nothing
 * already recorded.
 */
#include "run/run_int.h"

#include <stdio.h>

#define SLICE_EVENTS (1u << 18) /* events between progress checks */
#define PROGRESS_PERIOD_S 0.1   /* wall time between progress reports, s */

enum core_rc run_slices(const char *path, struct core_engine *eng, double duration_s,
                        volatile int *stop_flag, run_progress_fn progress, void *progress_ctx,
                        run_drain_fn drain, void *drain_ctx, struct core_err *e)
{
    struct core_run_limits lim = {0};
    double wall0_s = core_wall_s(), last_report_s = wall0_s;
    enum core_rc rc;

    lim.has_until = true;
    lim.until_s = duration_s;
    lim.max_events = SLICE_EVENTS;
    lim.stop_flag = stop_flag;
    for (;;) {
        enum core_stop why = core_engine_run(eng, &lim);
        double now_wall_s;

        rc = drain(drain_ctx, e);
        if (rc != CORE_OK)
            return rc;
        if (why == CORE_STOP_FAILED) {
            const struct core_err *ee = core_engine_error(eng);

            return core_err(e, ee->rc, "%s: the run failed at t=%.9g s: %s", path,
                            core_engine_now(eng), ee->msg);
        }
        if (stop_flag && *stop_flag)
            return core_err(e, CORE_E_INTERRUPTED, "interrupted at t=%.9g s of %.9g s",
                            core_engine_now(eng), duration_s);
        if (why == CORE_STOP_EMPTY || why == CORE_STOP_TIME)
            return CORE_OK;
        now_wall_s = core_wall_s();
        if (progress && now_wall_s - last_report_s >= PROGRESS_PERIOD_S) {
            progress(progress_ctx, core_engine_now(eng), duration_s, core_engine_events_run(eng),
                     now_wall_s - wall0_s);
            last_report_s = now_wall_s;
        }
    }
}

void run_default_db_path(const char *scenario_name, char *buf, size_t size)
{
    snprintf(buf, size, "results/%s.db", scenario_name);
}

enum core_rc run_end(struct db *db, int64_t run_id, enum core_rc rc, char *status,
                     size_t status_size, struct core_err *e)
{
    struct core_err end_e;
    enum core_rc end_rc;

    snprintf(status, status_size, "%s",
             rc == CORE_OK ? "complete" : rc == CORE_E_INTERRUPTED ? "interrupted" : "failed");
    if (db == NULL)
        return rc;
    core_err_clear(&end_e);
    end_rc = db_run_end(db, run_id, status, &end_e);
    if (end_rc != CORE_OK && rc == CORE_OK) {
        *e = end_e;
        return end_rc;
    }
    return rc;
}
