/*
 * testutil.h — helpers shared by the cmocka tests. Include after <cmocka.h>.
 *
 * assert_near: Debian 12's cmocka 1.1.5 has no floating-point assertion; this
 * one prints the expression, observed and expected values and the tolerance.
 * TEST(f): a cmocka test whose teardown fails if the test left any block of
 * the counted allocator live (each test frees what it made).
 * assert_core_rc(expr, want): expr, an enum core_rc, is want; on a mismatch prints
 * both names and err.msg, the struct core_err named err that the test file
 * declares and passes to the calls it checks.
 * testutil_dir_create/_destroy: a test's own directory under /tmp, removed
 * with everything in it (testutil_rm_tree).
 */
#ifndef COINFER_TESTUTIL_H
#define COINFER_TESTUTIL_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

#define assert_near(obs, exp, tol)                                                                 \
    do {                                                                                           \
        double o_ = (obs), e_ = (exp), t_ = (tol);                                                 \
        if (!(fabs(o_ - e_) <= t_)) {                                                              \
            print_error("%s = %.17g, expected %.17g +- %.3g\n", #obs, o_, e_, t_);                 \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

#define assert_core_rc(expr, want)                                                                 \
    do {                                                                                           \
        enum core_rc rc_ = (expr);                                                                 \
        if (rc_ != (want))                                                                         \
            print_error("%s: got %s, expected %s: %s\n", #expr, core_rc_name(rc_),                 \
                        core_rc_name(want), err.msg);                                              \
        assert_int_equal(rc_, (want));                                                             \
    } while (0)

/* Blocks live when the running test started. */
static long testutil_live_at_start;

static inline int testutil_record_live(void **unused)
{
    (void)unused;
    testutil_live_at_start = core_alloc_live();
    return 0;
}

static inline int testutil_check_no_leak(void **unused)
{
    (void)unused;
    core_alloc_fail_after(0);
    if (core_alloc_live() != testutil_live_at_start) {
        print_error("%ld blocks live after the test, %ld before\n", core_alloc_live(),
                    testutil_live_at_start);
        return -1;
    }
    return 0;
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, testutil_record_live, testutil_check_no_leak)

/* rm -r path: path and, if it is a directory, everything under it. */
static inline void testutil_rm_tree(const char *path)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    char child[512];

    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        d = opendir(path);
        if (d) {
            while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                if (snprintf(child, sizeof(child), "%s/%s", path, de->d_name) < (int)sizeof(child))
                    testutil_rm_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A test's own temporary directory and the file it works on there. */
struct testutil_dir {
    char dir[64];   /* /tmp/coinfer-test-<tag>-XXXXXX, made by mkdtemp */
    char path[128]; /* dir/<file> (not created) */
};

/* Make a fresh directory for tag with path dir/file; NULL on failure. */
static inline struct testutil_dir *testutil_dir_create(const char *tag, const char *file)
{
    struct testutil_dir *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    snprintf(d->dir, sizeof(d->dir), "/tmp/coinfer-test-%s-XXXXXX", tag);
    if (!mkdtemp(d->dir)) {
        free(d);
        return NULL;
    }
    snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, file);
    return d;
}

/* Remove d's directory with everything in it, and free d. NULL is a no-op. */
static inline void testutil_dir_destroy(struct testutil_dir *d)
{
    if (!d)
        return;
    testutil_rm_tree(d->dir);
    free(d);
}

#endif /* COINFER_TESTUTIL_H */
