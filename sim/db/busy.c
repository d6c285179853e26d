/*
 * busy.c — waiting for another connection's lock: SQLite's busy handler
 * for the connections that write (db_open; a reader never waits for a
 * writer in WAL mode and keeps SQLite's own timeout).
 *
 * A database has one writer at a time (WAL: readers never wait). SQLite's
 * own busy timeout sleeps 1, 2, 5, 10, 15, 20, 25... ms between its tries,
 * so a writer that finds the lock taken for the 100 us another one's
 * batch holds it loses milliseconds: with a sweep's workers writing their
 * runs into one database at once, most of a short run's wall time. This
 * handler tries again every 100 us for the first 100 tries (10 ms), then
 * every millisecond, and gives up after DB_BUSY_TIMEOUT_S (SQLITE_BUSY,
 * reported as any database error).
 */
#include "db/db_int.h"

#include <time.h>

#define DB_BUSY_SHORT_NS    100000L  /* the first tries' sleep, ns */
#define DB_BUSY_SHORT_TRIES 100      /* how many tries sleep that little */
#define DB_BUSY_LONG_NS     1000000L /* the later tries' sleep, ns */

static double monotonic_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int db_busy_wait(void *since, int tries)
{
    double *t0 = since, now = monotonic_s();
    struct timespec nap = {0, tries < DB_BUSY_SHORT_TRIES ? DB_BUSY_SHORT_NS : DB_BUSY_LONG_NS};

    if (tries == 0)
        *t0 = now;
    if (now - *t0 >= DB_BUSY_TIMEOUT_S)
        return 0;
    nanosleep(&nap, NULL);
    return 1;
}
