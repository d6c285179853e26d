/*
 * run_int.h — shared between the files of sim/run only: what every run
 * driver that records rows does the same way (slices.c).
 */
#ifndef COINFER_RUN_INT_H
#define COINFER_RUN_INT_H

#include "run/run.h"

/* Write the rows a world has buffered (called between slices). */
typedef enum core_rc (*run_drain_fn)(void *ctx, struct core_err *e);

/* Run eng to duration_s in slices, calling drain after each (and after the
 * last) and progress about ten times a wall second. CORE_OK when the run
 * reached its end (or ran out of events); CORE_E_INTERRUPTED when
 * *stop_flag was set ("interrupted at t=..."); the engine's failure with
 * "PATH: the run failed at t=...: why"; or drain's error. */
enum core_rc run_slices(const char *path, struct core_engine *eng, double duration_s,
                        volatile int *stop_flag, run_progress_fn progress, void *progress_ctx,
                        run_drain_fn drain, void *drain_ctx, struct core_err *e);

/* Write the status rc means ("complete", "interrupted", "failed") into
 * status and into the run's row (db NULL: status only); returns rc, or the
 * database's error when only writing the status failed. */
enum core_rc run_end(struct db *db, int64_t run_id, enum core_rc rc, char *status,
                     size_t status_size, struct core_err *e);

/* The runs row of a run of a with policy (version NULL: "unknown"): the
 * scenario's name and file hash, the seed, the canonical configuration and
 * the overrides (borrowed from a). (assemble.c) */
void run_info(const struct run_assembly *a, const char *policy, const char *version,
              struct db_run_info *info);

#endif /* COINFER_RUN_INT_H */
