/*
 * sweep_mpi.c — a sweep's points farmed over MPI ranks (`mpirun -n N
 * coinfer sweep FILE`, built with `make MPI=1`). The one file of coinfer
 * that includes mpi.h, and only when COINFER_MPI is defined; without it, a
 * sweep started by an MPI launcher is refused with a message saying how to
 * build one that can run there.
 *
 * Rank 0 is the master: it resolves and records every point in the results
 * database as `coinfer sweep` does (run_sweep_plan), then hands the points
 * to run, in point order, to whichever rank asks (a dynamic work queue:
 * MPI_Send and MPI_Recv of point indices), marking each 'running' as it
 * goes. It hands them out in chunks that shrink as the queue empties
 * (guided self-scheduling: a chunk is the points left over twice the
 * worker ranks, at least 1 and at most CHUNK_POINTS), so that a rank's
 * fixed cost of starting a run_sweep (its database, the points' plan, the
 * template and the worker forked) is paid once a chunk instead of once a
 * point, while the last chunks stay small enough to keep the ranks busy
 * to the end. Every other rank is a worker: it asks for points, runs its
 * chunk as `coinfer sweep --jobs 1` runs points (run_sweep on them: each a
 * `coinfer run` in a process of its own, writing into a database of the
 * worker's own on local disk, $TMPDIR or /tmp), and reports how each ended
 * with its next request. A failed point is marked failed in the results
 * database at once, with its exit status and the end of its stderr. When the queue is
 * empty each worker sends its database to rank 0 in chunks (the ranks may
 * be on different nodes), and rank 0 merges them into the results database
 * one after the other, in rank order, as `coinfer sweep merge` does
 * (db_sweep_merge). Rank 0 runs no point itself: start one rank more than
 * the points to run at once.
 *
 * The rows are those of `coinfer sweep --jobs 1` (each point's run is the
 * same `coinfer run`); only run_ids differ. A stop flag on rank 0 hands out
 * nothing more; the points running finish and are merged.
 *
 * Messages (all MPI_COMM_WORLD):
 *   worker -> 0, TAG_RESULT: 1 to CHUNK_POINTS struct result (the points of
 *                 its last chunk as they ended; index UINT64_MAX alone for
 *                 the first request; fatal set: the worker cannot go on);
 *   0 -> worker, TAG_POINT: 1 to CHUNK_POINTS uint64_t, the points to run;
 *                 TAG_STOP: an empty message, no more points;
 *   worker -> 0, TAG_FILE: the worker's database: its size (uint64_t) and
 *                 then its bytes in chunks of CHUNK_BYTES (a size of 0:
 *                 it ran nothing).
 */
#include "run/run_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long run_mpi_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};

    for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long n;

        if (!v || !*v)
            continue;
        n = strtol(v, &end, 10);
        if (*end == '\0' && n > 0)
            return n;
    }
    return 0;
}

#ifndef COINFER_MPI

bool run_mpi_built(void)
{
    return false;
}

enum core_rc run_sweep_mpi(const struct io_sweep *s, const struct run_sweep_options *opt,
                           struct run_sweep_result *res, bool *root, struct core_err *e)
{
    (void)opt;
    memset(res, 0, sizeof(*res));
    *root = true;
    return core_err(e, CORE_E_USAGE,
                    "sweep %s: started by an MPI launcher as one of %ld processes, but this "
                    "coinfer was built without MPI: build it with `make MPI=1` (Open MPI), or "
                    "run the sweep without mpirun (--jobs N)",
                    io_sweep_name(s), run_mpi_launched());
}

#else /* COINFER_MPI */

#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (4u << 20) /* a database is sent in chunks of this many bytes */
#define WHY_MAX 2048           /* why a point failed, as sent */
#define CHUNK_POINTS 64             /* the most points handed to a rank at once */

enum { TAG_RESULT = 1, TAG_POINT, TAG_STOP, TAG_FILE };

/* What a worker reports with each request. */
struct result {
    uint64_t index;       /* the point that ended; UINT64_MAX: none (first request) */
    int32_t complete;     /* it is complete (1) or failed (0) */
    int32_t exit_status;  /* failed: the worker process's exit status (negative: signal) */
    int32_t fatal;        /* the worker cannot go on: why says why */
    char why[WHY_MAX];    /* failed or fatal: why */
};

bool run_mpi_built(void)
{
    return true;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- a worker rank ------------------------------------------------------------------- */

/* A worker's reports on its chunk, sent with its next request: one per
 * point, and one more (index UINT64_MAX) when the rank failed after them. */
struct results {
    struct result r[CHUNK_POINTS + 1];
    size_t n;
};

/* The report r[n] of point index (complete, or failed with exit_status and
 * why), or fatal (this rank cannot go on: why). */
static void add_result(struct results *rs, uint64_t index, bool complete, int exit_status,
                       bool fatal, const char *why)
{
    struct result *r;

    if (rs->n >= ARRAY_LEN(rs->r))
        return;
    r = &rs->r[rs->n++];
    memset(r, 0, sizeof(*r));
    r->index = index;
    r->complete = complete;
    r->exit_status = exit_status;
    r->fatal = fatal;
    snprintf(r->why, sizeof(r->why), "%s", why ? why : "");
}

/* run_sweep's report of a point of the chunk that ended. */
static void on_point(void *ctx, uint64_t index, bool complete, int exit_status, const char *why)
{
    add_result(ctx, index, complete, exit_status, false, why);
}

/* Whether rs reports point index. */
static bool reported(const struct results *rs, uint64_t index)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i].index == index)
            return true;
    return false;
}

/* Send the file at path (size 0 when absent) to rank 0. */
static enum core_rc send_file(const char *path, bool ran, struct core_err *e)
{
    uint64_t size = 0;
    FILE *f = NULL;
    char *buf = NULL;
    struct stat st;
    enum core_rc rc = CORE_OK;

    if (ran && stat(path, &st) == 0)
        size = (uint64_t)st.st_size;
    if (size > 0) {
        f = fopen(path, "rb");
        buf = core_malloc(CHUNK_BYTES);
        if (!f || !buf) {
            /* rank 0 waits for the size: tell it there is nothing */
            rc = !f ? core_err(e, CORE_E_IO, "%s: %s", path, strerror(errno))
                    : core_err(e, CORE_E_NOMEM, "%s: out of memory", path);
            size = 0;
        }
    }
    MPI_Send(&size, 1, MPI_UINT64_T, 0, TAG_FILE, MPI_COMM_WORLD);
    for (uint64_t sent = 0; sent < size;) {
        size_t n = size - sent < CHUNK_BYTES ? (size_t)(size - sent) : CHUNK_BYTES;
        size_t got = fread(buf, 1, n, f);

        /* a short read (the file shrank) still sends n bytes: rank 0's merge
         * then refuses the file, naming it */
        if (got < n)
            memset(buf + got, 0, n - got);
        MPI_Send(buf, (int)n, MPI_BYTE, 0, TAG_FILE, MPI_COMM_WORLD);
        sent += n;
    }
    if (f)
        fclose(f);
    core_free(buf);
    return rc;
}

static void remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[RUN_PATH_MAX + 96];

    for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static enum core_rc worker(const struct io_sweep *s, const struct run_sweep_options *opt,
                           int rank, struct core_err *e)
{
    const char *tmpdir = getenv("TMPDIR");
    char dir[RUN_PATH_MAX], db_path[RUN_PATH_MAX + 64], why[WHY_MAX];
    struct results *rs = core_calloc(1, sizeof(*rs));
    uint64_t chunk[CHUNK_POINTS];
    struct run_sweep_options one = *opt;
    bool ran = false, have_dir;
    enum core_rc rc = CORE_OK;

    if (!rs) {
        /* rank 0 waits for this rank's requests: end the whole run */
        fprintf(stderr, "coinfer: rank %d: out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    snprintf(dir, sizeof(dir), "%s/coinfer-mpi-rank%d-XXXXXX",
             tmpdir && tmpdir[0] ? tmpdir : "/tmp", rank);
    have_dir = mkdtemp(dir) != NULL;
    snprintf(why, sizeof(why), "rank %d: %.1024s: cannot create its directory: %s", rank, dir,
             strerror(errno));
    add_result(rs, UINT64_MAX, false, 0, !have_dir, have_dir ? NULL : why);
    snprintf(db_path, sizeof(db_path), "%s/rank-%d.db", dir, rank);
    one.db_path = db_path;
    one.jobs = 1;
    one.filter = NULL; /* rank 0 applied them */
    one.shard = 0;
    one.n_shards = 0;
    one.progress = NULL;
    one.stop_flag = NULL;
    one.on_point = on_point;
    one.on_point_ctx = rs;
    for (;;) {
        struct run_sweep_result pr;
        struct core_err pe;
        MPI_Status st;
        int n = 0;

        MPI_Send(rs->r, (int)(rs->n * sizeof(rs->r[0])), MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        rs->n = 0;
        MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_UINT64_T, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        MPI_Get_count(&st, MPI_UINT64_T, &n);
        if (n < 1 || n > CHUNK_POINTS) {
            fprintf(stderr, "coinfer: rank %d: rank 0 sent a chunk of %d points\n", rank, n);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Recv(chunk, n, MPI_UINT64_T, 0, TAG_POINT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        one.points = chunk;
        one.n_given = (size_t)n;
        core_err_clear(&pe);
        if (run_sweep(s, &one, &pr, &pe) != CORE_OK)
            /* not a point's failure (that is on_point's): this rank's own */
            snprintf(why, sizeof(why), "rank %d: %s", rank, pe.msg);
        else
            why[0] = '\0';
        /* a point of the chunk that did not end is this rank's failure too */
        for (int i = 0; i < n; i++)
            if (!reported(rs, chunk[i])) {
                if (!why[0])
                    snprintf(why, sizeof(why), "rank %d: point %llu did not run", rank,
                             (unsigned long long)chunk[i]);
                add_result(rs, chunk[i], false, 0, true, why);
            }
        if (why[0] && (rs->n == 0 || !rs->r[rs->n - 1].fatal))
            /* every point ended, but run_sweep failed after them */
            add_result(rs, UINT64_MAX, false, 0, true, why);
        ran = ran || pr.run > 0;
    }
    rc = send_file(db_path, ran, e);
    if (have_dir) {
        remove_db(db_path);
        rmdir(dir);
    }
    core_free(rs);
    return rc;
}

/* ---- rank 0 ------------------------------------------------------------------------- */

/* Receive rank src's database into path (nothing written when it sent none);
 * *got says whether one came. */
static enum core_rc receive_file(int src, const char *path, bool *got, struct core_err *e)
{
    uint64_t size = 0;
    char *buf = NULL;
    FILE *f = NULL;
    enum core_rc rc = CORE_OK;

    *got = false;
    MPI_Recv(&size, 1, MPI_UINT64_T, src, TAG_FILE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (size == 0)
        return CORE_OK;
    buf = core_malloc(CHUNK_BYTES);
    if (!buf) {
        /* the rank's chunks cannot be received anywhere: end the whole run */
        fprintf(stderr, "coinfer: %s: out of memory receiving rank %d's database\n", path, src);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    f = fopen(path, "wb");
    if (!f)
        rc = core_err(e, CORE_E_IO, "%s: cannot write rank %d's database: %s", path, src,
                      strerror(errno));
    for (uint64_t recvd = 0; recvd < size;) {
        size_t n = size - recvd < CHUNK_BYTES ? (size_t)(size - recvd) : CHUNK_BYTES;

        /* every chunk is received, even after a failure, so the ranks stay in step */
        MPI_Recv(buf, (int)n, MPI_BYTE, src, TAG_FILE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rc == CORE_OK && fwrite(buf, 1, n, f) != n)
            rc = core_err(e, CORE_E_IO, "%s: cannot write rank %d's database: %s", path, src,
                          strerror(errno));
        recvd += n;
    }
    if (f && fclose(f) != 0 && rc == CORE_OK)
        rc = core_err(e, CORE_E_IO, "%s: cannot write rank %d's database: %s", path, src,
                      strerror(errno));
    core_free(buf);
    *got = rc == CORE_OK;
    return rc;
}

/* The key of point index among to_run[0..n) (NULL: not one of them). */
static const char *key_of(const struct run_sweep_point *to_run, size_t n, uint64_t index)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (to_run[mid].index == index)
            return to_run[mid].key;
        if (to_run[mid].index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The next chunk for a worker: the points left over twice the worker ranks
 * (guided self-scheduling), at least 1, at most CHUNK_POINTS. */
static size_t chunk_size(size_t left, int workers)
{
    const size_t share = 2 * (size_t)workers;
    const size_t n = (left + share - 1) / share;

    return n < 1 ? 1 : n > CHUNK_POINTS ? CHUNK_POINTS : n;
}

/* What rank 0 does with one report r of a worker's. */
static enum core_rc take_result(const struct io_sweep *s, struct db *db,
                                const struct run_sweep_point *to_run, size_t n_to_run,
                                const struct result *r, size_t *running, bool *fatal,
                                struct run_sweep_result *res, enum core_rc rc, struct core_err *e)
{
    if (r->index != UINT64_MAX) {
        const char *key = key_of(to_run, n_to_run, r->index);

        if (*running > 0)
            (*running)--;
        if (r->complete) {
            res->run++;
        } else if (!r->fatal && key) {
            res->failed++;
            if (rc == CORE_OK)
                rc = db_sweep_point_set(db, key, "failed", r->exit_status, r->why, e);
        } else if (key && rc == CORE_OK) {
            res->left++;
            rc = db_sweep_point_set(db, key, "pending", 0, NULL, e);
        }
    }
    if (r->fatal && !*fatal) {
        *fatal = true;
        if (rc == CORE_OK)
            rc = core_err(e, CORE_E_RUNTIME, "sweep %s: %s", io_sweep_name(s), r->why);
    }
    return rc;
}

static enum core_rc master(const struct io_sweep *s, const struct run_sweep_options *opt,
                           int size, struct run_sweep_result *res, struct core_err *e)
{
    struct result *rb = core_malloc((CHUNK_POINTS + 1) * sizeof(*rb));
    uint64_t chunk[CHUNK_POINTS];
    struct run_sweep_point *to_run = NULL;
    struct db *db = NULL;
    size_t n_to_run = 0, next = 0, running = 0;
    int active = size - 1;
    bool stopping = false, fatal = false;
    char dir[RUN_PATH_MAX + 16], path[RUN_PATH_MAX + 64];
    double t0 = now_s();
    enum core_rc rc = CORE_OK;

    if (opt->db_path)
        snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
    else
        run_default_db_path(io_sweep_name(s), res->db_path, sizeof(res->db_path));
    if (!rb) {
        /* the workers' reports cannot be received anywhere: end the whole run */
        fprintf(stderr, "coinfer: rank 0: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    db = db_open(res->db_path, e);
    if (!db)
        rc = e->rc;
    if (rc == CORE_OK)
        rc = run_sweep_plan(s, opt, db, &to_run, &n_to_run, res, e);
    /* after a failure the workers are still told to stop, so that every rank ends */
    stopping = rc != CORE_OK;
    while (active > 0) {
        MPI_Status st;
        int flag = 0, bytes = 0;
        size_t n_res, n = 0;

        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            struct timespec tick = {0, 2000000};

            if (opt->stop_flag && *opt->stop_flag)
                stopping = true;
            nanosleep(&tick, NULL);
            continue;
        }
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        n_res = bytes > 0 ? (size_t)bytes / sizeof(*rb) : 0;
        if (n_res < 1 || n_res > CHUNK_POINTS + 1 || (size_t)bytes % sizeof(*rb)) {
            fprintf(stderr, "coinfer: rank 0: rank %d sent a report of %d bytes\n", st.MPI_SOURCE,
                    bytes);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Recv(rb, bytes, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        for (size_t i = 0; i < n_res; i++) {
            rb[i].why[sizeof(rb[i].why) - 1] = '\0';
            rc = take_result(s, db, to_run, n_to_run, &rb[i], &running, &fatal, res, rc, e);
        }
        if (opt->stop_flag && *opt->stop_flag)
            stopping = true;
        if (opt->progress) {
            /* a rank runs one point of its chunk at a time */
            const size_t now = running < (size_t)(size - 1) ? running : (size_t)(size - 1);
            struct run_sweep_progress p = {.total = n_to_run, .done = res->run,
                                           .failed = res->failed, .running = now,
                                           .wall_s = now_s() - t0};
            opt->progress(opt->progress_ctx, &p);
        }
        if (!stopping && !fatal && rc == CORE_OK && next < n_to_run) {
            const size_t want = chunk_size(n_to_run - next, size - 1);

            while (n < want && next < n_to_run && rc == CORE_OK) {
                rc = db_sweep_point_set(db, to_run[next].key, "running", 0, NULL, e);
                if (rc == CORE_OK)
                    chunk[n++] = to_run[next++].index;
            }
        }
        if (n > 0) {
            MPI_Send(chunk, (int)n, MPI_UINT64_T, st.MPI_SOURCE, TAG_POINT, MPI_COMM_WORLD);
            running += n;
            continue;
        }
        MPI_Send(NULL, 0, MPI_UINT64_T, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
        active--;
    }
    /* the workers' databases, merged in rank order */
    snprintf(dir, sizeof(dir), "%s.mpi-tmp", res->db_path);
    if (db && mkdir(dir, 0777) != 0 && errno != EEXIST && rc == CORE_OK)
        rc = core_err(e, CORE_E_IO, "%s: cannot create the ranks' directory: %s", dir,
                      strerror(errno));
    for (int src = 1; src < size; src++) {
        struct core_err fe;
        bool got = false;

        snprintf(path, sizeof(path), "%s/rank-%d.db", dir, src);
        core_err_clear(&fe);
        if (receive_file(src, path, &got, &fe) != CORE_OK && rc == CORE_OK) {
            *e = fe;
            rc = fe.rc;
        }
        if (got && db && rc == CORE_OK) {
            struct db_sweep_merge m;

            rc = db_sweep_merge(db, path, &m, e);
        }
        remove_db(path);
    }
    rmdir(dir);
    res->left += n_to_run - next;
    if (rc == CORE_OK && stopping)
        rc = core_err(e, CORE_E_INTERRUPTED,
                      "sweep %s interrupted: %llu points left pending (run it again to resume)",
                      io_sweep_name(s), (unsigned long long)res->left);
    if (opt->progress) {
        struct run_sweep_progress p = {.total = n_to_run, .done = res->run,
                                       .failed = res->failed, .wall_s = now_s() - t0};
        opt->progress(opt->progress_ctx, &p);
    }
    res->wall_s = now_s() - t0;
    core_free(rb);
    core_free(to_run);
    db_close(db);
    return rc;
}

enum core_rc run_sweep_mpi(const struct io_sweep *s, const struct run_sweep_options *opt,
                           struct run_sweep_result *res, bool *root, struct core_err *e)
{
    int rank = 0, size = 0, inited = 0;
    enum core_rc rc;

    sigset_t chld, old_mask;

    memset(res, 0, sizeof(*res));
    /* SIGCHLD blocked before MPI starts its threads, which inherit the mask: a
     * worker's exit then waits for run_sweep's sigtimedwait alone instead of
     * being taken by one of them (and seen only at run_sweep's next tick) */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old_mask);
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        return core_err(e, CORE_E_RUNTIME, "sweep %s: MPI_Init failed", io_sweep_name(s));
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    *root = rank == 0;
    if (io_sweep_stopping(s)->on) {
        MPI_Finalize();
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        return core_err(e, CORE_E_USAGE,
                        "sweep %s stops its replications sequentially (%s:%ld), which runs in "
                        "rounds on one machine: run it without mpirun (--jobs N)",
                        io_sweep_name(s), io_sweep_path(s), io_sweep_stopping(s)->line);
    }
    if (size < 2) {
        MPI_Finalize();
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        return core_err(e, CORE_E_USAGE,
                        "sweep %s: under MPI rank 0 hands the points to the other ranks: start "
                        "at least 2 (mpirun -n N, N >= 2), or run it without mpirun",
                        io_sweep_name(s));
    }
    rc = rank == 0 ? master(s, opt, size, res, e) : worker(s, opt, rank, e);
    MPI_Finalize();
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return rc;
}

#endif /* COINFER_MPI */
