/*
 * test_db_busy.c — waiting for another connection's write lock (busy.c):
 * the busy handler tries again until DB_BUSY_TIMEOUT_S from the first try
 * of a wait and then gives up; a connection of db_open whose write finds
 * the lock held by another process waits for it and succeeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"
#include "db/db_int.h"

static int setup(void **state)
{
    *state = testutil_dir_create("dbbusy", "results.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    testutil_dir_destroy(*state);
    return 0;
}

static void test_the_handler_tries_again_until_the_timeout(void **state)
{
    struct timespec now;
    double since = -1;

    (void)state;
    assert_int_equal(db_busy_wait(&since, 0), 1);
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* the first try of a wait notes when it began */
    assert_true(since > 0 && since <= (double)now.tv_sec + 1);
    assert_int_equal(db_busy_wait(&since, 1), 1);
    assert_int_equal(db_busy_wait(&since, 500), 1);
    /* a wait that began longer than the timeout ago ends */
    since -= DB_BUSY_TIMEOUT_S + 1;
    assert_int_equal(db_busy_wait(&since, 501), 0);
    /* and a new wait starts afresh */
    assert_int_equal(db_busy_wait(&since, 0), 1);
}

/* A child process holds the write lock until the parent writes a byte to
 * go (after it has started its own write), then commits. */
static void test_a_write_waits_for_another_process_lock(void **state)
{
    struct testutil_dir *d = *state;
    struct db *db = NULL;
    struct core_err e;
    int held[2], go[2], st;
    int64_t run_id = 0;
    pid_t child;
    char c;

    core_err_clear(&e);
    db = db_open(d->path, &e); /* creates the schema; closed: no connection crosses the fork */
    assert_non_null(db);
    db_close(db);
    assert_int_equal(pipe(held), 0);
    assert_int_equal(pipe(go), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        sqlite3 *conn = raw_open(d->path);

        raw_exec(conn, "BEGIN IMMEDIATE");
        if (write(held[1], "h", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(1);
        usleep(20000); /* the parent's write is waiting by now, or soon */
        raw_exec(conn, "COMMIT");
        sqlite3_close(conn);
        _exit(0);
    }
    assert_int_equal(read(held[0], &c, 1), 1);
    db = db_open(d->path, &e);
    assert_non_null(db);
    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(
        db_run_begin(db, &(struct db_run_info){.scenario = "s", .policy = "p"}, &run_id, &e),
        CORE_OK);
    assert_int_equal(run_id, 1);
    assert_int_equal(waitpid(child, &st, 0), child);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    db_close(db);
    close(held[0]);
    close(held[1]);
    close(go[0]);
    close(go[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_handler_tries_again_until_the_timeout),
        cmocka_unit_test_setup_teardown(test_a_write_waits_for_another_process_lock, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
