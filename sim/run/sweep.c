/*
 * sweep.c — running a sweep's points in worker processes on this machine.
 *
 * Each point has a content key: the SHA-256 of its resolved configuration's
 * SHA-256 (the base scenario with the point's factor values and seed set:
 * io_config_canonical), its policy, its seed and coinfer's version. Before
 * anything runs, every point is resolved (a combination the scenario's
 * cross-checks refuse is bad input, named with its values, and so are two
 * points with one key: factor values written differently that mean the
 * same) and recorded in
 * sweep_points as 'pending' unless its key is there already; points already
 * 'complete' are skipped (resume), 'failed' ones too unless retry_failed.
 *
 * Each point runs in a process of its own: fork, then exec of coinfer's own
 * `run` (opt->exe) on the base scenario with the point's --set values, seed
 * and policy, into a database of its own in DB.sweep-tmp/ beside the results
 * database, stdout to /dev/null and stderr to a file there. At most
 * opt->jobs run at once, started in point order. The worker is in a process
 * group of its own (a terminal's ^C reaches only the sweep, which stops its
 * workers itself) and dies with the sweep (PR_SET_PDEATHSIG). When it exits
 * 0, the parent imports its run into the results database and marks the
 * point complete in one transaction (db_sweep_point_import); any other end —
 * an exit status, a signal, a timeout (SIGKILL after opt->timeout_s) — marks
 * the point 'failed' with the status and the tail of its stderr, and the
 * sweep goes on. Only the parent writes the results database, so a kill -9
 * of the sweep or of a worker loses no completed point: a point is complete
 * exactly when its rows are in. A stop (opt->stop_flag) starts nothing more,
 * sends SIGTERM to the running workers and puts their points back to
 * 'pending'.
 *
 * The parent waits for SIGCHLD with sigtimedwait (blocked while the sweep
 * runs, so no exit is missed), waking at least every 100 ms for timeouts,
 * progress and the stop flag.
 */
#include "run/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_TICK_NS 100000000L /* the longest wait between looks around, ns */
#define SWEEP_TAIL_BYTES 2000    /* stderr kept of a failed point */

/* A worker process and its point. */
struct worker {
    pid_t pid;                 /* 0: a free slot */
    const struct run_sweep_point *t;      /* its point */
    double started_s;          /* when it started (monotonic), s */
    bool killed;               /* timed out: sent SIGKILL */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- keys ------------------------------------------------------------------------- */

/* The "PATH=VALUE" overrides of point pt and its seed (into seed_text). */
static void point_sets(const struct io_sweep *s, const struct io_sweep_point *pt,
                       const char **sets, char *seed_text, size_t seed_size)
{
    size_t nf = io_sweep_n_factors(s);

    for (size_t f = 0; f < nf; f++)
        sets[f] = io_sweep_point_set(s, pt, f);
    snprintf(seed_text, seed_size, "simulation@seed=%llu", (unsigned long long)pt->seed);
    sets[nf] = seed_text;
}

/* "factor=value, ..." of pt, for messages. */
static void describe(const struct io_sweep *s, const struct io_sweep_point *pt, char *buf,
                     size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t f = 0; f < io_sweep_n_factors(s) && used + 1 < size; f++) {
        snprintf(buf + used, size - used, "%s%s=%s", f ? ", " : "", io_sweep_factor_name(s, f),
                 io_sweep_point_value(s, pt, f));
        used += strlen(buf + used);
    }
}

static void point_key(const char config_sha256[65], const char *policy, uint64_t seed,
                      const char *version, char key[65])
{
    struct core_sha256 h;
    char text[256];

    snprintf(text, sizeof(text), "coinfer sweep point 1\nconfig %s\npolicy %s\nseed %llu\n"
                                 "version %s\n",
             config_sha256, policy, (unsigned long long)seed, version);
    core_sha256_init(&h);
    core_sha256_update(&h, text, strlen(text));
    core_sha256_final_hex(&h, key);
}

/* The resolved configuration of pt's combination and replication. */
static enum core_rc point_config(const struct io_sweep *s, const struct io_sweep_point *pt,
                                 char sha256[65], struct core_err *e)
{
    size_t nf = io_sweep_n_factors(s);
    const char **sets = core_calloc(nf + 1, sizeof(*sets));
    struct io_config *c = NULL;
    char seed_text[48], *text = NULL, what[1024];
    struct core_err inner;
    enum core_rc rc;

    if (!sets)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
    point_sets(s, pt, sets, seed_text, sizeof(seed_text));
    core_err_clear(&inner);
    rc = io_scenario_load(io_sweep_scenario(s), sets, nf + 1, &c, &inner);
    if (rc == CORE_OK)
        rc = io_config_canonical(c, &text, sha256, &inner);
    if (rc != CORE_OK) {
        describe(s, pt, what, sizeof(what));
        rc = core_err(e, rc == CORE_E_NOMEM ? rc : CORE_E_INPUT,
                      "%s:0: point %llu (%s, seed %llu) is not a valid scenario: %s",
                      io_sweep_path(s), (unsigned long long)pt->index, what,
                      (unsigned long long)pt->seed, inner.msg);
    }
    core_free(text);
    io_config_destroy(c);
    core_free(sets);
    return rc;
}

enum core_rc run_sweep_point_key(const struct io_sweep *s, const struct io_sweep_point *pt,
                                 const char *version, char key[65], char config_sha256[65],
                                 struct core_err *e)
{
    enum core_rc rc = point_config(s, pt, config_sha256, e);

    if (rc == CORE_OK)
        point_key(config_sha256, pt->policy, pt->seed, version, key);
    return rc;
}

/* ---- resolving and recording every point ---------------------------------------- */

static int by_key(const void *a, const void *b)
{
    const struct run_sweep_point *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Two of to_run[0..n) with one key would be one run twice (factor values that
 * differ only in how they are written, "2 s" and "2000 ms"): bad input. */
static enum core_rc check_unique(const struct io_sweep *s, const struct run_sweep_point *to_run, size_t n,
                                 struct core_err *e)
{
    struct run_sweep_point *sorted = core_calloc(n ? n : 1, sizeof(*sorted));
    enum core_rc rc = CORE_OK;

    if (!sorted)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
    memcpy(sorted, to_run, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), by_key);
    for (size_t i = 1; i < n; i++)
        if (strcmp(sorted[i].key, sorted[i - 1].key) == 0) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:0: points %llu and %llu are the same run (the same configuration, "
                          "policy and seed): two factor values mean the same",
                          io_sweep_path(s), (unsigned long long)sorted[i - 1].index,
                          (unsigned long long)sorted[i].index);
            break;
        }
    core_free(sorted);
    return rc;
}

enum core_rc run_sweep_plan(const struct io_sweep *s, const struct run_sweep_options *opt,
                            struct db *db, struct run_sweep_point **to_run_out, size_t *n_to_run,
                            struct run_sweep_result *res, struct core_err *e)
{
    uint64_t n_points = io_sweep_n_points(s);
    size_t nf = io_sweep_n_factors(s), nn = io_sweep_n_names(s), n = 0;
    struct run_sweep_point *to_run = NULL;
    struct db_sweep_point *rec = NULL;
    char (*status)[16] = NULL, (*cfg)[65] = NULL;
    const char **factors = NULL, **paths = NULL, **values = NULL;
    double *nums = NULL;
    struct io_value *v = NULL;
    const struct io_expr_name *names = io_sweep_names(s);
    uint64_t last_cr = UINT64_MAX;
    char sha[65] = "";
    enum core_rc rc = CORE_OK;

    *to_run_out = NULL;
    *n_to_run = 0;
    to_run = core_calloc(n_points ? (size_t)n_points : 1, sizeof(*to_run));
    rec = core_calloc(n_points ? (size_t)n_points : 1, sizeof(*rec));
    status = core_calloc(n_points ? (size_t)n_points : 1, sizeof(*status));
    cfg = core_calloc(n_points ? (size_t)n_points : 1, sizeof(*cfg));
    factors = core_calloc(nf + 1, sizeof(*factors));
    paths = core_calloc(nf + 1, sizeof(*paths));
    values = core_calloc((size_t)n_points * nf + 1, sizeof(*values));
    nums = core_calloc((size_t)n_points * nf + 1, sizeof(*nums));
    v = core_calloc(nn, sizeof(*v));
    if (!to_run || !rec || !status || !cfg || !factors || !paths || !values || !nums || !v) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
        goto out;
    }
    for (size_t f = 0; f < nf; f++) {
        factors[f] = io_sweep_factor_name(s, f);
        paths[f] = io_sweep_factor_path(s, f);
    }
    for (uint64_t j = 0; j < (opt->points ? opt->n_given : n_points); j++) {
        uint64_t i = opt->points ? opt->points[j] : j, cr;
        struct io_sweep_point pt;

        if (i >= n_points)
            continue;
        if (!io_sweep_in_shard(i, opt->shard, opt->n_shards))
            continue;
        io_sweep_point(s, i, &pt);
        io_sweep_point_values(s, &pt, v);
        if (opt->filter && !io_expr_eval(opt->filter, v))
            continue;
        /* the policies of one combination and replication share a configuration */
        cr = pt.combination * io_sweep_n_replications(s) + pt.replication;
        if (cr != last_cr) {
            rc = point_config(s, &pt, sha, e);
            if (rc != CORE_OK)
                goto out;
            last_cr = cr;
        }
        memcpy(cfg[n], sha, sizeof(sha));
        to_run[n].index = i;
        point_key(sha, pt.policy, pt.seed, opt->version, to_run[n].key);
        for (size_t f = 0; f < nf; f++) {
            values[n * nf + f] = io_sweep_point_value(s, &pt, f);
            nums[n * nf + f] = names[f].type == IO_TYPE_NUMBER ? v[f].num : NAN;
        }
        rec[n] = (struct db_sweep_point){
            .key = to_run[n].key, .sweep = io_sweep_name(s), .sweep_file = io_sweep_path(s),
            .point_index = i, .combination = pt.combination, .replication = pt.replication,
            .policy = pt.policy, .seed = pt.seed, .config_sha256 = cfg[n],
            .version = opt->version, .n_values = nf, .factors = factors, .paths = paths,
            .values = &values[n * nf], .value_num = &nums[n * nf]};
        n++;
    }
    rc = check_unique(s, to_run, n, e);
    if (rc == CORE_OK)
        rc = db_sweep_points_add(db, rec, n, status, e);
    if (rc != CORE_OK)
        goto out;
    res->points = n;
    *n_to_run = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(status[i], "complete") == 0) {
            res->complete_before++;
            continue;
        }
        if (strcmp(status[i], "failed") == 0 && !opt->retry_failed) {
            res->failed_before++;
            continue;
        }
        to_run[(*n_to_run)++] = to_run[i];
    }
    *to_run_out = to_run;
    to_run = NULL;
out:
    core_free(to_run);
    core_free(rec);
    core_free(status);
    core_free(cfg);
    core_free(factors);
    core_free(paths);
    core_free(values);
    core_free(nums);
    core_free(v);
    return rc;
}

/* ---- workers ---------------------------------------------------------------------- */

/* dir/<key><suffix> into buf. */
static void tmp_path(const char *dir, const char *key, const char *suffix, char *buf,
                     size_t size)
{
    snprintf(buf, size, "%s/%s%s", dir, key, suffix);
}

static void remove_tmp(const char *dir, const char *key)
{
    static const char *const suffixes[] = {".db", ".db-wal", ".db-shm", ".err"};
    char path[RUN_PATH_MAX + 96];

    for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
        tmp_path(dir, key, suffixes[i], path, sizeof(path));
        unlink(path);
    }
}

/* The last SWEEP_TAIL_BYTES of the file at path ("" if none). */
static void read_tail(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    off_t end;
    ssize_t got;

    buf[0] = '\0';
    if (fd < 0)
        return;
    end = lseek(fd, 0, SEEK_END);
    if (end > (off_t)(size - 1))
        lseek(fd, end - (off_t)(size - 1), SEEK_SET);
    else
        lseek(fd, 0, SEEK_SET);
    got = read(fd, buf, size - 1);
    buf[got > 0 ? got : 0] = '\0';
    close(fd);
    while (got > 0 && buf[got - 1] == '\n')
        buf[--got] = '\0';
}

/* Start point t in worker w: `exe run SCENARIO --policy P --set ... --seed N --db TMP --quiet`. */
static enum core_rc start_worker(const struct io_sweep *s, const struct run_sweep_options *opt,
                                 const char *dir, const struct run_sweep_point *t, struct worker *w,
                                 const sigset_t *old_mask, struct core_err *e)
{
    size_t nf = io_sweep_n_factors(s), n = 0;
    const char **argv = core_calloc(2 * nf + 14, sizeof(*argv));
    char db_path[RUN_PATH_MAX + 96], err_path[RUN_PATH_MAX + 96], seed[32];
    struct io_sweep_point pt;
    pid_t parent = getpid(), pid;

    if (!argv)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
    io_sweep_point(s, t->index, &pt);
    remove_tmp(dir, t->key);
    tmp_path(dir, t->key, ".db", db_path, sizeof(db_path));
    tmp_path(dir, t->key, ".err", err_path, sizeof(err_path));
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)pt.seed);
    argv[n++] = "coinfer";
    argv[n++] = "run";
    argv[n++] = io_sweep_scenario(s);
    argv[n++] = "--policy";
    argv[n++] = pt.policy;
    for (size_t f = 0; f < nf; f++) {
        argv[n++] = "--set";
        argv[n++] = io_sweep_point_set(s, &pt, f);
    }
    argv[n++] = "--seed";
    argv[n++] = seed;
    argv[n++] = "--db";
    argv[n++] = db_path;
    argv[n++] = "--quiet";
    argv[n] = NULL;

    pid = fork();
    if (pid < 0) {
        int err = errno;
        core_free(argv);
        return core_err(e, CORE_E_RUNTIME, "%s: cannot start a worker: %s", io_sweep_path(s),
                        strerror(err));
    }
    if (pid == 0) {
        int fd;

        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, STDIN_FILENO);
            dup2(fd, STDOUT_FILENO);
            close(fd);
        }
        fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(opt->exe, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", opt->exe, strerror(errno));
        _exit(127);
    }
    core_free(argv);
    w->pid = pid;
    w->t = t;
    w->started_s = now_s();
    w->killed = false;
    return CORE_OK;
}

/* Worker w ended with wait status st: import its run, or mark it failed, or
 * (stopping) put it back. */
static enum core_rc finish_worker(const struct io_sweep *s, const struct run_sweep_options *opt,
                                  struct db *db, const char *dir, struct worker *w, int st,
                                  bool stopping, struct run_sweep_result *res,
                                  struct core_err *e)
{
    char db_path[RUN_PATH_MAX + 96], err_path[RUN_PATH_MAX + 96];
    char tail[SWEEP_TAIL_BYTES + 1], why[SWEEP_TAIL_BYTES + 256];
    const char *key = w->t->key;
    enum core_rc rc = CORE_OK;
    int code;

    tmp_path(dir, key, ".db", db_path, sizeof(db_path));
    tmp_path(dir, key, ".err", err_path, sizeof(err_path));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        struct core_err ie;
        int64_t run_id;

        core_err_clear(&ie);
        rc = db_sweep_point_import(db, key, db_path, &run_id, &ie);
        if (rc == CORE_OK) {
            res->run++;
            if (opt->on_point)
                opt->on_point(opt->on_point_ctx, w->t->index, true, 0, NULL);
        } else if (rc == CORE_E_NOMEM) {
            *e = ie;
        } else {
            /* a worker database that cannot be imported fails its point only */
            res->failed++;
            rc = db_sweep_point_set(db, key, "failed", 0, ie.msg, e);
            if (opt->on_point)
                opt->on_point(opt->on_point_ctx, w->t->index, false, 0, ie.msg);
        }
    } else if (stopping && !w->killed) {
        res->left++;
        rc = db_sweep_point_set(db, key, "pending", 0, NULL, e);
    } else {
        read_tail(err_path, tail, sizeof(tail));
        if (w->killed) {
            code = -SIGKILL;
            snprintf(why, sizeof(why), "timed out after %g s (killed)%s%s", opt->timeout_s,
                     tail[0] ? "; stderr: " : "", tail);
        } else if (WIFSIGNALED(st)) {
            code = -WTERMSIG(st);
            snprintf(why, sizeof(why), "killed by signal %d (%s)%s%s", WTERMSIG(st),
                     strsignal(WTERMSIG(st)), tail[0] ? "; stderr: " : "", tail);
        } else {
            code = WEXITSTATUS(st);
            snprintf(why, sizeof(why), "%s", tail[0] ? tail : "exited with no message");
        }
        res->failed++;
        rc = db_sweep_point_set(db, key, "failed", code, why, e);
        if (opt->on_point)
            opt->on_point(opt->on_point_ctx, w->t->index, false, code, why);
    }
    remove_tmp(dir, key);
    (void)s;
    w->pid = 0;
    return rc;
}

/* ---- the sweep ---------------------------------------------------------------------- */

enum core_rc run_sweep_points(const struct io_sweep *s, const struct run_sweep_options *opt,
                              struct run_sweep_result *res, struct core_err *e)
{
    struct worker *w = NULL;
    struct run_sweep_point *to_run = NULL;
    struct db *db = NULL;
    char dir[RUN_PATH_MAX + 16];
    size_t n_to_run = 0, next = 0, running = 0;
    sigset_t chld, old_mask;
    bool stopping = false, masked = false;
    double t0 = now_s();
    enum core_rc rc;

    CORE_ASSERT(opt->jobs >= 1 && opt->exe && opt->version);
    memset(res, 0, sizeof(*res));
    if (opt->db_path)
        snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
    else
        run_default_db_path(io_sweep_name(s), res->db_path, sizeof(res->db_path));
    db = db_open(res->db_path, e);
    if (!db)
        return e->rc;
    rc = run_sweep_plan(s, opt, db, &to_run, &n_to_run, res, e);
    if (rc != CORE_OK)
        goto out;
    snprintf(dir, sizeof(dir), "%s.sweep-tmp", res->db_path);
    if (n_to_run > 0 && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = core_err(e, CORE_E_IO, "%s: cannot create the workers' directory: %s", dir,
                      strerror(errno));
        goto out;
    }
    w = core_calloc(opt->jobs, sizeof(*w));
    if (!w) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
        goto out;
    }
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old_mask);
    masked = true;
    while (rc == CORE_OK && (next < n_to_run || running > 0)) {
        struct timespec tick = {0, SWEEP_TICK_NS};
        pid_t pid;
        int st;

        if (opt->stop_flag && *opt->stop_flag && !stopping) {
            stopping = true;
            for (size_t j = 0; j < opt->jobs; j++)
                if (w[j].pid > 0)
                    kill(w[j].pid, SIGTERM);
        }
        for (size_t j = 0; !stopping && j < opt->jobs && next < n_to_run; j++) {
            if (w[j].pid != 0)
                continue;
            rc = db_sweep_point_set(db, to_run[next].key, "running", 0, NULL, e);
            if (rc == CORE_OK)
                rc = start_worker(s, opt, dir, &to_run[next], &w[j], &old_mask, e);
            if (rc != CORE_OK)
                break;
            next++;
            running++;
        }
        if (rc != CORE_OK || running == 0)
            break;
        if (sigtimedwait(&chld, NULL, &tick) < 0 && errno != EAGAIN && errno != EINTR) {
            rc = core_err(e, CORE_E_RUNTIME, "waiting for the sweep's workers: %s",
                          strerror(errno));
            break;
        }
        while (rc == CORE_OK && (pid = waitpid(-1, &st, WNOHANG)) > 0)
            for (size_t j = 0; j < opt->jobs; j++)
                if (w[j].pid == pid) {
                    rc = finish_worker(s, opt, db, dir, &w[j], st, stopping, res, e);
                    running--;
                    break;
                }
        if (opt->timeout_s > 0)
            for (size_t j = 0; j < opt->jobs; j++)
                if (w[j].pid > 0 && !w[j].killed && now_s() - w[j].started_s > opt->timeout_s) {
                    kill(w[j].pid, SIGKILL);
                    w[j].killed = true;
                }
        if (opt->progress) {
            struct run_sweep_progress p = {
                .total = n_to_run, .done = res->run, .failed = res->failed, .running = running,
                .wall_s = now_s() - t0};
            opt->progress(opt->progress_ctx, &p);
        }
    }
    /* an error above leaves workers behind: stop them and put their points back */
    for (size_t j = 0; w && j < opt->jobs; j++)
        if (w[j].pid > 0) {
            int st;

            kill(w[j].pid, SIGKILL);
            waitpid(w[j].pid, &st, 0);
            db_sweep_point_set(db, w[j].t->key, "pending", 0, NULL, &(struct core_err){0});
            remove_tmp(dir, w[j].t->key);
            res->left++;
        }
    res->left += n_to_run - next;
    if (n_to_run > 0)
        rmdir(dir);
    if (rc == CORE_OK && stopping)
        rc = core_err(e, CORE_E_INTERRUPTED,
                      "sweep %s interrupted: %llu points left pending (run it again to resume)",
                      io_sweep_name(s), (unsigned long long)res->left);
out:
    if (masked)
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
    res->wall_s = now_s() - t0;
    core_free(w);
    core_free(to_run);
    db_close(db);
    return rc;
}
