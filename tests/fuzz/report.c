/*
 * report.c — fuzz target: the results-database reader on a foreign or
 * corrupted SQLite file, as `coinfer report DB` and `coinfer report DB
 * --run 1` read it (run_report by run, model and device class, and
 * run_report_config; db_reader_open's read-only snapshot, the schema
 * version check, every query of sim/db). The tables go to /dev/null. A file
 * that is not a results database must be CORE_E_INPUT; a corrupted one may
 * also be a database error (CORE_E_DB), never a crash. The seed corpus holds
 * small results databases with 512-byte pages (collab-small.xml: two runs
 * of 0.6 s, joint and local; one run of 0.2 s of split with its sample
 * rows and most layer rows deleted) and a foreign SQLite file; .gitignore
 * lets them in (until 2026-12-07 it kept them out: the corpus was one empty
 * file, and a fuzzer never grew a database from it).
 */
#include "fuzz.h"

#include "run/run.h"

static FILE *devnull; /* where the reports are printed */

static void fuzz_setup(void)
{
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL)
        fuzz_die("cannot open /dev/null", NULL);
}

/* Remove what SQLite may leave beside the database (WAL, shared memory). */
static void remove_companions(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char p[8192];

    for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT, CORE_E_DB};
    static const enum run_report_by bys[] = {RUN_REPORT_BY_RUN, RUN_REPORT_BY_MODEL,
                                             RUN_REPORT_BY_DEVICE};
    const char *path = fuzz_path("fuzz-input.db");
    struct core_err e = {0};

    remove_companions(path);
    fuzz_write(path, data, size);
    for (size_t i = 0; i < ARRAY_LEN(bys); i++) {
        memset(&e, 0, sizeof(e));
        fuzz_check_rc("run_report", run_report(path, bys[i], devnull, &e), &e, allowed,
                      ARRAY_LEN(allowed));
    }
    memset(&e, 0, sizeof(e));
    fuzz_check_rc("run_report_config", run_report_config(path, 1, devnull, &e), &e, allowed,
                  ARRAY_LEN(allowed));
    remove_companions(path);
}
