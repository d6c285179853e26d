/*
 * fuzz.h — the boilerplate every fuzz harness shares (tests/fuzz/<target>.c).
 *
 * A harness defines two functions and includes this header once:
 *
 *   static void fuzz_setup(void);                    once per process
 *   static void fuzz_one(const uint8_t *data, size_t size);  one input
 *
 * and the same file builds three ways (the Makefile picks one):
 *
 *   FUZZ_LIBFUZZER  clang -fsanitize=fuzzer,address,undefined: this header
 *                   defines LLVMFuzzerInitialize and LLVMFuzzerTestOneInput;
 *   FUZZ_AFL        afl-clang-fast: a main() in AFL++'s persistent mode
 *                   (__AFL_LOOP over the shared-memory test case);
 *   (neither)       the replay driver `make test` runs: a main() that feeds
 *                   every file named on the command line (a directory: every
 *                   regular file in it, sorted) to fuzz_one, built with the
 *                   normal compiler (and under `make asan` with the sanitizers).
 *
 * Whatever the engine, every input is held to the loaders' contract: a
 * loader either succeeds or returns one of the codes the harness allows
 * (fuzz_check_rc; bad input is CORE_E_INPUT) with a message, and the
 * counted allocator (sim/core/alloc.c) holds as many blocks after the input
 * as before it (fuzz_one must free what it got). A broken contract aborts,
 * which every engine reports as a crash.
 *
 * The replay driver also walks allocation failures (`--alloc-walk`, `make
 * alloc-walk`): for each input it counts the counted allocator's allocations
 * of a clean run, then runs it again once per k = 1 .. that count with the
 * k-th allocation failing (core_alloc_fail_after). Every failure must come
 * back as CORE_E_NOMEM with a message (or the error the input earns anyway)
 * and leave no block behind; fuzz_walking tells the harness that
 * CORE_E_NOMEM is then allowed.
 *
 * Loaders read paths, so inputs are written to files in a private sandbox
 * (fuzz_sandbox): a directory under $TMPDIR holding models/ and
 * scenarios/ (and scenarios/studies/) with symbolic links to every file of
 * the source tree's models/ and scenarios/, so that an input written at
 * fuzz_path("scenarios/fuzz-input.xml") finds "../models/lenet5.xml" as a
 * scenario in scenarios/ does. The schemas come from the source tree
 * (FUZZ_SRC_DIR, set by the Makefile). The sandbox is removed at exit.
 */
#ifndef COINFER_TESTS_FUZZ_H
#define COINFER_TESTS_FUZZ_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/core.h"

#ifndef FUZZ_SRC_DIR
#error "FUZZ_SRC_DIR (the source tree) must be defined by the Makefile"
#endif

static void fuzz_setup(void);
static void fuzz_one(const uint8_t *data, size_t size);

/* ---- the sandbox --------------------------------------------------------- */

static char fuzz_dir[4096]; /* the sandbox directory, "" before fuzz_sandbox */
static pid_t fuzz_dir_owner; /* the process that made it (only it removes it) */
static bool fuzz_walking;   /* an allocation-failure walk is on: CORE_E_NOMEM allowed */

static void fuzz_die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* Remove the sandbox: its links and input files, then its directories. */
static void fuzz_rm_tree(const char *dir)
{
    char path[8192];
    struct dirent *d;
    struct stat st;
    DIR *dh = opendir(dir);

    if (dh == NULL)
        return;
    while ((d = readdir(dh)) != NULL) {
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            fuzz_rm_tree(path);
        else
            unlink(path);
    }
    closedir(dh);
    rmdir(dir);
}

static void fuzz_remove_sandbox(void)
{
    if (fuzz_dir[0] != '\0' && getpid() == fuzz_dir_owner)
        fuzz_rm_tree(fuzz_dir);
}

/* Link every regular file of FUZZ_SRC_DIR/sub into fuzz_dir/sub. */
static void fuzz_link_dir(const char *sub)
{
    char src[4096], dst[8192], target[8192];
    struct dirent *d;
    struct stat st;
    DIR *dh;

    snprintf(src, sizeof(src), "%s/%s", FUZZ_SRC_DIR, sub);
    snprintf(dst, sizeof(dst), "%s/%s", fuzz_dir, sub);
    if (mkdir(dst, 0700) != 0)
        fuzz_die("cannot create", dst);
    dh = opendir(src);
    if (dh == NULL)
        fuzz_die("cannot open", src);
    while ((d = readdir(dh)) != NULL) {
        snprintf(target, sizeof(target), "%s/%s", src, d->d_name);
        if (stat(target, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        snprintf(dst, sizeof(dst), "%s/%s/%s", fuzz_dir, sub, d->d_name);
        if (symlink(target, dst) != 0)
            fuzz_die("cannot link", dst);
    }
    closedir(dh);
}

/* Create the sandbox (once) and point the loaders at the tree's schemas. */
static void fuzz_sandbox(void)
{
    const char *tmp = getenv("TMPDIR");

    if (fuzz_dir[0] != '\0')
        return;
    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/coinfer-fuzz-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(fuzz_dir) == NULL)
        fuzz_die("cannot create a sandbox under", tmp && tmp[0] ? tmp : "/tmp");
    fuzz_dir_owner = getpid();
    atexit(fuzz_remove_sandbox);
    fuzz_link_dir("models");
    fuzz_link_dir("scenarios");
    fuzz_link_dir("scenarios/studies");
    setenv("COINFER_SCHEMA_DIR", FUZZ_SRC_DIR "/scenarios", 1);
    setenv("COINFER_MODEL_SCHEMA_DIR", FUZZ_SRC_DIR "/models", 1);
}

/* The path of name (relative to the sandbox) in a static buffer of its own. */
static inline const char *fuzz_path(const char *name)
{
    static char paths[4][8192];
    static int next;
    char *p = paths[next++ % 4];

    fuzz_sandbox();
    snprintf(p, sizeof(paths[0]), "%s/%s", fuzz_dir, name);
    return p;
}

/* Write data[0..size) then tail[0..tail_size) to path (created or truncated). */
static inline void fuzz_write2(const char *path, const void *data, size_t size,
                               const void *tail, size_t tail_size)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL)
        fuzz_die("cannot write", path);
    if ((size && fwrite(data, 1, size, f) != size) ||
        (tail_size && fwrite(tail, 1, tail_size, f) != tail_size) || fclose(f) != 0)
        fuzz_die("cannot write", path);
}

static inline void fuzz_write(const char *path, const void *data, size_t size)
{
    fuzz_write2(path, data, size, NULL, 0);
}

/* ---- the contract -------------------------------------------------------- */

/* A loader returned rc with e: CORE_OK, or one of allowed[0..n) with a
 * message. Anything else breaks the contract: abort. */
static inline void fuzz_check_rc(const char *loader, enum core_rc rc,
                                 const struct core_err *e, const enum core_rc *allowed,
                                 size_t n)
{
#if !defined(FUZZ_LIBFUZZER) && !defined(FUZZ_AFL)
    fprintf(stderr, "  %s: %s\n", loader, rc == CORE_OK ? "ok" : e->msg);
#endif
    if (rc == CORE_OK)
        return;
    if (e->rc != rc || e->msg[0] == '\0') {
        fprintf(stderr, "fuzz: %s returned %d without its message (e.rc %d)\n", loader, rc,
                e->rc);
        abort();
    }
    if (fuzz_walking && rc == CORE_E_NOMEM)
        return;
    for (size_t i = 0; i < n; i++)
        if (allowed[i] == rc)
            return;
    fprintf(stderr, "fuzz: %s returned code %d, not one bad input may give: %s\n", loader, rc,
            e->msg);
    abort();
}

/* A step that must succeed on an input the loader accepted (CORE_E_NOMEM
 * only during an allocation-failure walk): true when it did. */
static inline bool fuzz_must_succeed(const char *what, enum core_rc rc, const struct core_err *e)
{
    if (rc == CORE_OK)
        return true;
    fuzz_check_rc(what, rc, e, NULL, 0);
    if (rc == CORE_E_NOMEM)
        return false;
    fprintf(stderr, "fuzz: %s failed on an input that was accepted: %s\n", what, e->msg);
    abort();
}

/* Run one input and check that every block it allocated was freed. */
static void fuzz_run(const uint8_t *data, size_t size)
{
    long live = core_alloc_live();

    fuzz_one(data, size);
    if (core_alloc_live() != live) {
        fprintf(stderr, "fuzz: %ld blocks of the counted allocator leaked\n",
                core_alloc_live() - live);
        abort();
    }
}

/* ---- the engines --------------------------------------------------------- */

#if defined(FUZZ_LIBFUZZER)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_sandbox();
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_run(data, size);
    return 0;
}

#elif defined(FUZZ_AFL)

/* AFL++'s macros are GNU C (statement expressions, a trailing ';'). */
#pragma clang diagnostic ignored "-Wgnu-statement-expression"
#pragma clang diagnostic ignored "-Wextra-semi"

__AFL_FUZZ_INIT()

/* The fork server forks each child at __AFL_INIT; a child runs up to 10,000
 * inputs and exits. Each makes (and at exit removes) its own sandbox: one
 * made before the fork would be removed by the first child to exit. */
int main(void)
{
    const unsigned char *buf;

    __AFL_INIT();
    fuzz_sandbox();
    fuzz_setup();
    buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000))
        fuzz_run(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
}

#else /* the replay driver */

/* Feed the file at path to the harness; 1 when it was read. */
static int fuzz_replay_file(const char *path)
{
    uint8_t *buf;
    long n;
    FILE *f = fopen(path, "rb");

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        fuzz_die("cannot read", path);
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        fuzz_die("cannot read", path);
    fclose(f);
    fprintf(stderr, "replay %s\n", path);
    fuzz_run(buf, (size_t)n);
    if (fuzz_walking) {
        unsigned long before = core_alloc_count(), allocs;

        fuzz_run(buf, (size_t)n);
        allocs = core_alloc_count() - before;
        for (unsigned long k = 1; k <= allocs; k++) {
            core_alloc_fail_after(k);
            fuzz_run(buf, (size_t)n);
            core_alloc_fail_after(0);
        }
        fprintf(stderr, "  failed each of its %lu allocations in turn\n", allocs);
    }
    free(buf);
    return 1;
}

static int fuzz_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order. */
static int fuzz_replay_dir(const char *dir)
{
    char **names = NULL, path[8192];
    size_t n = 0, cap = 0;
    struct dirent *d;
    struct stat st;
    int count = 0;
    DIR *dh = opendir(dir);

    if (dh == NULL)
        fuzz_die("cannot open", dir);
    while ((d = readdir(dh)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof(*names));
            if (names == NULL)
                fuzz_die("out of memory listing", dir);
        }
        names[n] = strdup(d->d_name);
        if (names[n++] == NULL)
            fuzz_die("out of memory listing", dir);
    }
    closedir(dh);
    if (n > 0)
        qsort(names, n, sizeof(*names), fuzz_cmp_names);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        count += fuzz_replay_file(path);
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    struct stat st;
    int count = 0;

    int first = 1;

    if (argc > 1 && strcmp(argv[1], "--alloc-walk") == 0)
        first = 2;
    if (argc <= first) {
        fprintf(stderr,
                "usage: %s [--alloc-walk] FILE|DIR...  (replay inputs through the harness;\n"
                "       --alloc-walk: fail each allocation of each input in turn)\n",
                argv[0]);
        return 2;
    }
    fuzz_sandbox();
    fuzz_setup();
    fuzz_walking = first == 2;
    for (int i = first; i < argc; i++) {
        if (stat(argv[i], &st) != 0)
            fuzz_die("no such input", argv[i]);
        count += S_ISDIR(st.st_mode) ? fuzz_replay_dir(argv[i]) : fuzz_replay_file(argv[i]);
    }
    printf("%d inputs replayed%s, none broke the loader's contract\n", count,
           fuzz_walking ? " with every allocation failed in turn" : "");
    return 0;
}

#endif

#endif /* COINFER_TESTS_FUZZ_H */
