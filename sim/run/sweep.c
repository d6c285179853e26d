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
 * The points run in worker processes, one per slot (opt->jobs slots), forked
 * from a template: a child the sweep forks once its points are planned
 * (template_main). The sweep names each point and its slot to the template
 * over a pipe; the template passes it to the slot's worker, forking the
 * worker first when the slot has none, and reports each worker's pid and,
 * when a worker ends, its wait status. A worker (worker_main) runs its slot's
 * points one after another, each as `coinfer run` on the base scenario with
 * the point's --set values, seed and policy, in the worker process itself
 * (opt->run_point: neither an exec nor a fork per point, so neither the
 * binary's start-up nor a fresh copy-on-write address space is paid per
 * point) or by exec of opt->exe in a child, stdout to /dev/null and stderr to
 * a file of its slot in DB.sweep-tmp/ (emptied before each point); it
 * reports each point's end to the sweep itself. A worker killed (a timeout)
 * or crashed ends its point with its wait status, and the slot's next point
 * starts a new worker. At most opt->jobs points run at once, started in
 * point order. The template and the workers are each in a process group of
 * their own (a terminal's ^C reaches only the sweep, which stops its
 * workers itself); a worker dies with the template and the template with
 * the sweep (PR_SET_PDEATHSIG). If the template dies, the sweep stops with
 * an error, its running points pending again.
 *
 * The workers write each point's run into the results database themselves
 * (its run's --db), as any `coinfer run` does: no second copy. When a worker
 * reports its point done with exit status 0, the sweep marks the point
 * complete with that run (db_sweep_claim_runs: found by the point's
 * configuration, policy, seed and version), so the sweep's own work per
 * point is marking it 'running', a few bytes over two pipes and that one
 * update. A worker that exits non-zero, is killed or times out (SIGKILL
 * after opt->timeout_s) marks its point 'failed' with the status and the
 * tail of its stderr, and the sweep goes on; its run keeps the status the
 * run left it ('failed', or 'running' when killed), as any run's does. A
 * kill -9 of a worker fails its point only; a kill -9 of the sweep loses no
 * completed point: a run that completed before its point was marked is
 * claimed by the next run of the sweep on that database before anything
 * else, and the points that were running without a complete run run again.
 * A stop (opt->stop_flag) starts nothing more, sends SIGTERM to the running
 * workers (their runs end 'interrupted'), marks what completed and puts the
 * other points back to 'pending'. No stop is lost on its way: the SIGTERM
 * goes to the worker, which passes it to its point's run (worker_stop); the
 * template forks the workers with SIGINT and SIGTERM blocked and a worker
 * unblocks them only once worker_stop is their handler, and starts no
 * point after a stop. (Sent to the worker's process group instead, as
 * before, a stop that came while the worker was starting its point's run
 * reached neither: the run's process was not in the group yet, and the
 * worker ignored it.)
 *
 * The sweep waits for the template's reports with poll, waking at least
 * every 100 ms for timeouts, progress and the stop flag.
 */
#include "run/run_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_TICK_MS 100 /* the longest wait between looks around, ms */
#define SWEEP_TAIL_BYTES 2000    /* stderr kept of a failed point */

/* A worker slot: its process and its point. */
struct worker {
    unsigned slot;                         /* its index, in its files' names */
    pid_t owner;                           /* the sweep's process, in its files' names */
    pid_t pid;                             /* the worker of its point; 0: no point, -1:
                                              asked for, not started yet (the template's
                                              copy: its worker, 0: none) */
    pid_t dying;                           /* a worker the sweep killed whose end the
                                              template has not reported yet; 0: none */
    int to_worker;                         /* the template's: its worker's command pipe
                                              (write end), -1: none */
    const struct run_sweep_point *t;       /* its point */
    double started_s;                      /* when it started (monotonic), s */
    bool killed;                           /* timed out: sent SIGKILL */
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

/* DIR/err-<pid>-<slot>.txt: the stderr of slot's latest point. */
static void err_path(const char *dir, const struct worker *w, char *buf, size_t size)
{
    snprintf(buf, size, "%s/err-%ld-%u.txt", dir, (long)w->owner, w->slot);
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

/* ---- the template: the process that forks the workers ------------------------------ */

/* What the sweep asks the template, and the template a slot's worker: run
 * point index in slot slot. */
struct tmpl_cmd {
    uint64_t index; /* the point */
    uint32_t slot;  /* its worker slot */
};

/* What the template (TMPL_STARTED, TMPL_ENDED, TMPL_CANNOT_START) or a
 * worker (TMPL_POINT_DONE) tells the sweep about a slot. Each is one write of
 * a few bytes to the one report pipe, which POSIX keeps whole (< PIPE_BUF). */
enum tmpl_what { TMPL_STARTED, TMPL_ENDED, TMPL_CANNOT_START, TMPL_POINT_DONE };
struct tmpl_report {
    int32_t what;   /* enum tmpl_what */
    uint32_t slot;  /* the slot */
    int32_t pid;    /* the worker */
    int32_t status; /* TMPL_ENDED: the worker's wait status; TMPL_POINT_DONE: the point's,
                       as a wait status; TMPL_CANNOT_START: errno */
};

static bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t k = write(fd, p, n);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Read one command from fd: false at its end or on an error. A command is
 * written whole (write_all of fewer than PIPE_BUF bytes is one atomic write),
 * so a read gets all of it or nothing. */
static bool read_cmd(int fd, struct tmpl_cmd *c)
{
    ssize_t k;

    do
        k = read(fd, c, sizeof(*c));
    while (k < 0 && errno == EINTR);
    return k == (ssize_t)sizeof(*c);
}

/* A worker's stop: recorded, and passed to its point's run when one runs
 * (run_one_point sets run_child with the stops blocked). */
static volatile sig_atomic_t worker_stopped = 0;
/* The wait status of a point the worker did not begin: the sweep had stopped. */
#define STOPPED_BEFORE_START ((130 & 0xff) << 8)
static volatile sig_atomic_t run_child = 0;

static void worker_stop(int sig)
{
    (void)sig;
    worker_stopped = 1;
    if (run_child > 0)
        kill((pid_t)run_child, SIGTERM);
}

/* Send sig to worker pid and what it started (its process group: an exec'd
 * point runs in it); to pid alone if the group is not there yet. */
static void signal_worker(pid_t pid, int sig)
{
    if (kill(-pid, sig) != 0)
        kill(pid, sig);
}

/* Run one point in a worker as `coinfer run SCENARIO --policy P --set ...
 * --seed N --db DB --quiet` (DB: the results database): by opt->run_point in this process, else by
 * exec of opt->exe in a child of this process (its stop signals go to the
 * child, whose exit status is the point's). Returns the point's wait status. */
static int run_one_point(const struct io_sweep *s, const struct run_sweep_options *opt,
                         const char *db_path, uint64_t index, const sigset_t *old_mask,
                         const char **argv)
{
    size_t nf = io_sweep_n_factors(s), n = 0;
    char seed[32];
    struct io_sweep_point pt;
    sigset_t stops, mask;
    pid_t child;
    int st;

    io_sweep_point(s, index, &pt);
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
    if (opt->run_point) {
        int code;

        if (worker_stopped)
            return STOPPED_BEFORE_START;
        signal(SIGINT, SIG_DFL); /* the point's run installs its own handlers */
        signal(SIGTERM, SIG_DFL);
        code = opt->run_point(opt->run_point_ctx, (int)n, (char **)argv);
        fflush(NULL);
        return (code & 0xff) << 8; /* as wait() reports an exit with that code */
    }
    /* A stop is the point's to act on: worker_stop passes it to the run's
     * process, known to it before any stop that came meanwhile is taken. */
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, &mask);
    if (worker_stopped) {
        sigprocmask(SIG_SETMASK, &mask, NULL);
        return STOPPED_BEFORE_START;
    }
    child = fork();
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, old_mask, NULL);
        execv(opt->exe, (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", opt->exe, strerror(errno));
        _exit(127);
    }
    run_child = child > 0 ? child : 0;
    sigprocmask(SIG_SETMASK, &mask, NULL);
    if (child < 0) {
        fprintf(stderr, "cannot start %s: %s\n", opt->exe, strerror(errno));
        return 127 << 8;
    }
    while (waitpid(child, &st, 0) < 0)
        if (errno != EINTR) {
            st = 127 << 8;
            break;
        }
    sigprocmask(SIG_BLOCK, &stops, NULL);
    run_child = 0; /* reaped: its pid is no longer its */
    sigprocmask(SIG_SETMASK, &mask, NULL);
    return st;
}

/* A slot's worker, forked by the template the first time the slot has a
 * point to run: it runs the points the template passes it over cmd_fd, one
 * after another in this one process (its memory, its mapped pages and its
 * compiled schemas serve every point: no fork per point), truncating its
 * stderr file before each, and reports each point's end on rep_fd itself.
 * It ends at the end of cmd_fd, and dies with the template. Never returns. */
static void worker_main(const struct io_sweep *s, const struct run_sweep_options *opt,
                        const char *db_path, const char *dir, struct worker *w, int cmd_fd,
                        int rep_fd, pid_t template, const sigset_t *old_mask)
{
    const char **argv = core_calloc(2 * io_sweep_n_factors(s) + 14, sizeof(*argv));
    char err[RUN_PATH_MAX + 96];
    struct tmpl_cmd c;
    int fd;

    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != template)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    {
        /* forked with SIGINT and SIGTERM blocked (template_main): a stop sent
         * since then waits, and runs worker_stop once they are unblocked */
        struct sigaction sa = {.sa_handler = worker_stop, .sa_flags = SA_RESTART};

        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
    }
    err_path(dir, w, err, sizeof(err));
    fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    if (!argv) {
        fprintf(stderr, "%s: out of memory\n", io_sweep_path(s));
        _exit(1);
    }
    while (read_cmd(cmd_fd, &c)) {
        struct tmpl_report r = {TMPL_POINT_DONE, w->slot, (int32_t)getpid(), 0};

        if (ftruncate(STDERR_FILENO, 0) == 0)
            lseek(STDERR_FILENO, 0, SEEK_SET);
        r.status = run_one_point(s, opt, db_path, c.index, old_mask, argv);
        if (!write_all(rep_fd, &r, sizeof(r)))
            _exit(1);
    }
    core_free(argv);
    _exit(0);
}

/* The template, forked from the sweep once its points are planned: for each
 * command read from cmd_fd it passes the point to its slot's worker, forking
 * that worker first when the slot has none (the first point, or the last
 * worker ended: killed at a timeout, crashed), and reports each worker it
 * starts and each worker's end on rep_fd. The sweep itself then never forks
 * per point: its pages are not made copy-on-write again for each worker, and
 * its per-point work is a few bytes over two pipes. The template writes
 * almost nothing to its own memory, so forking from it stays cheap. At the
 * end of cmd_fd it ends its workers' command pipes, waits for them and
 * exits. It dies with the sweep, and its workers with it. Never returns. */
static void template_main(const struct io_sweep *s, const struct run_sweep_options *opt,
                          const char *db_path, const char *dir, struct worker *w, int cmd_fd,
                          int rep_fd, pid_t sweep, const sigset_t *old_mask)
{
    pid_t me = getpid();
    struct pollfd pfd[2];
    sigset_t chld;
    int sfd;

    setpgid(0, 0); /* a terminal's ^C is the sweep's to handle */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != sweep)
        _exit(127);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGPIPE, SIG_IGN); /* a worker gone: its end is reported below */
    for (size_t j = 0; j < opt->jobs; j++)
        w[j].to_worker = -1;
    sigemptyset(&chld);
    sigaddset(&chld, SIGINT); /* blocked here, so in the workers it forks (worker_main) */
    sigaddset(&chld, SIGTERM);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    sigdelset(&chld, SIGINT); /* signalfd: SIGCHLD alone */
    sigdelset(&chld, SIGTERM);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    sfd = signalfd(-1, &chld, SFD_CLOEXEC);
    if (sfd < 0)
        _exit(1);
    pfd[0] = (struct pollfd){.fd = cmd_fd, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            pid_t pid;
            int st;

            if (read(sfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
                _exit(1);
            while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                for (size_t j = 0; j < opt->jobs; j++)
                    if (w[j].pid == pid) {
                        struct tmpl_report r = {TMPL_ENDED, (uint32_t)j, pid, st};

                        w[j].pid = 0;
                        close(w[j].to_worker);
                        w[j].to_worker = -1;
                        if (!write_all(rep_fd, &r, sizeof(r)))
                            _exit(1);
                        break;
                    }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP)) {
            struct tmpl_cmd c;
            struct tmpl_report r;
            ssize_t k = read(cmd_fd, &c, sizeof(c));
            struct worker *x;

            if (k == 0) {
                /* the sweep is done: its workers end at the end of their commands */
                for (size_t j = 0; j < opt->jobs; j++)
                    if (w[j].to_worker >= 0)
                        close(w[j].to_worker);
                for (size_t j = 0; j < opt->jobs; j++)
                    if (w[j].pid > 0)
                        while (waitpid(w[j].pid, NULL, 0) < 0 && errno == EINTR) {
                        }
                core_free(w); /* the sweep's, copied at the fork */
                _exit(0);
            }
            if (k != (ssize_t)sizeof(c) || c.slot >= opt->jobs) {
                if (k < 0 && errno == EINTR)
                    continue;
                _exit(1);
            }
            x = &w[c.slot];
            if (x->pid == 0) {
                int p[2];
                pid_t pid;

                if (pipe(p) != 0) {
                    r = (struct tmpl_report){TMPL_CANNOT_START, c.slot, 0, errno};
                    if (!write_all(rep_fd, &r, sizeof(r)))
                        _exit(1);
                    continue;
                }
                /* not left open in an exec'd point (cannot fail on new descriptors) */
                fcntl(p[0], F_SETFD, FD_CLOEXEC);
                fcntl(p[1], F_SETFD, FD_CLOEXEC);
                pid = fork();
                if (pid == 0) {
                    /* only its own command pipe and the report pipe stay open */
                    for (size_t j = 0; j < opt->jobs; j++)
                        if (w[j].to_worker >= 0)
                            close(w[j].to_worker);
                    close(p[1]);
                    close(cmd_fd);
                    close(sfd);
                    worker_main(s, opt, db_path, dir, x, p[0], rep_fd, me, old_mask);
                }
                close(p[0]);
                if (pid < 0) {
                    r = (struct tmpl_report){TMPL_CANNOT_START, c.slot, 0, errno};
                    close(p[1]);
                    if (!write_all(rep_fd, &r, sizeof(r)))
                        _exit(1);
                    continue;
                }
                x->pid = pid;
                x->to_worker = p[1];
            }
            r = (struct tmpl_report){TMPL_STARTED, c.slot, x->pid, 0};
            if (!write_all(rep_fd, &r, sizeof(r)))
                _exit(1);
            /* a worker that died since is reported by its SIGCHLD: the point with it */
            write_all(x->to_worker, &c, sizeof(c));
        }
    }
}

/* Ask the template to start point t in worker w. */
static enum core_rc start_worker(const struct io_sweep *s, int cmd_fd,
                                 const struct run_sweep_point *t, struct worker *w,
                                 struct core_err *e)
{
    struct tmpl_cmd c;

    memset(&c, 0, sizeof(c)); /* its padding too: it goes down a pipe */
    c.index = t->index;
    c.slot = w->slot;

    if (!write_all(cmd_fd, &c, sizeof(c)))
        return core_err(e, CORE_E_RUNTIME, "%s: cannot start a worker: the template is gone: %s",
                        io_sweep_path(s), strerror(errno));
    w->pid = -1;
    w->t = t;
    w->started_s = now_s();
    w->killed = false;
    return CORE_OK;
}

/* Worker w's point ended with wait status st: it is complete when its run is
 * complete in the results database (however the worker ended after), else
 * failed, or (stopping, not timed out) pending again. */
static enum core_rc finish_worker(const struct run_sweep_options *opt, struct db *db,
                                  const char *dir, struct worker *w, int st, bool stopping,
                                  struct run_sweep_result *res, struct core_err *e)
{
    char err[RUN_PATH_MAX + 96];
    char tail[SWEEP_TAIL_BYTES + 1], why[SWEEP_TAIL_BYTES + 256];
    const char *key = w->t->key;
    uint64_t claimed = 0;
    enum core_rc rc;
    int code;

    w->pid = 0;
    rc = db_sweep_claim_runs(db, key, &claimed, e);
    if (rc == CORE_OK && claimed == 0) {
        char status[16];

        /* another sweep on this database may have claimed it first */
        rc = db_sweep_point_status(db, key, status, e);
        claimed = rc == CORE_OK && strcmp(status, "complete") == 0;
    }
    if (rc != CORE_OK)
        return rc;
    if (claimed == 1) {
        res->run++;
        if (opt->on_point)
            opt->on_point(opt->on_point_ctx, w->t->index, true, 0, NULL);
        return CORE_OK;
    }
    if (stopping && !w->killed) {
        res->left++;
        return db_sweep_point_set(db, key, "pending", 0, NULL, e);
    }
    err_path(dir, w, err, sizeof(err));
    read_tail(err, tail, sizeof(tail));
    if (w->killed) {
        code = -SIGKILL;
        snprintf(why, sizeof(why), "timed out after %g s (killed)%s%s", opt->timeout_s,
                 tail[0] ? "; stderr: " : "", tail);
    } else if (WIFSIGNALED(st)) {
        code = -WTERMSIG(st);
        snprintf(why, sizeof(why), "killed by signal %d (%s)%s%s", WTERMSIG(st),
                 strsignal(WTERMSIG(st)), tail[0] ? "; stderr: " : "", tail);
    } else if (WEXITSTATUS(st) == 0) {
        code = 0;
        snprintf(why, sizeof(why), "it exited 0 but left no complete run for its point%s%s",
                 tail[0] ? "; stderr: " : "", tail);
    } else {
        code = WEXITSTATUS(st);
        snprintf(why, sizeof(why), "%s", tail[0] ? tail : "exited with no message");
    }
    res->failed++;
    rc = db_sweep_point_set(db, key, "failed", code, why, e);
    if (opt->on_point)
        opt->on_point(opt->on_point_ctx, w->t->index, false, code, why);
    return rc;
}

/* What a sweep on db that was killed (its process gone) left: the runs its
 * workers completed before it marked their points are claimed (those points
 * are complete), and its workers' stderr files in dir are removed. */
static enum core_rc recover(struct db *db, const char *dir, struct core_err *e)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    uint64_t claimed;

    while (d && (ent = readdir(d)) != NULL) {
        char path[RUN_PATH_MAX + 300], tail[8];
        long pid;
        unsigned slot;

        if (sscanf(ent->d_name, "err-%ld-%u.tx%1[t]", &pid, &slot, tail) != 3)
            continue;
        if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue; /* another sweep, running */
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    return db_sweep_claim_runs(db, NULL, &claimed, e);
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
    sigset_t old_mask;
    int cmd[2] = {-1, -1}, rep[2] = {-1, -1};
    pid_t template = 0;
    bool stopping = false;
    double t0 = now_s();
    enum core_rc rc;

    CORE_ASSERT(opt->jobs >= 1 && (opt->exe || opt->run_point) && opt->version);
    memset(res, 0, sizeof(*res));
    if (opt->db_path)
        snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
    else
        run_default_db_path(io_sweep_name(s), res->db_path, sizeof(res->db_path));
    snprintf(dir, sizeof(dir), "%s.sweep-tmp", res->db_path);
    w = core_calloc(opt->jobs, sizeof(*w));
    if (!w)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", io_sweep_path(s));
    for (unsigned j = 0; j < opt->jobs; j++) {
        w[j].slot = j;
        w[j].owner = getpid();
    }
    /* The template is forked before the results database is opened and the
     * points planned: no SQLite connection crosses a fork, and the template
     * and its workers hold none of the plan's memory. */
    sigprocmask(SIG_SETMASK, NULL, &old_mask);
    if (pipe(cmd) != 0 || pipe(rep) != 0) {
        rc = core_err(e, CORE_E_RUNTIME, "%s: cannot start the workers: %s", io_sweep_path(s),
                      strerror(errno));
        goto out;
    }
    fflush(NULL); /* nothing buffered twice */
    template = fork();
    if (template < 0) {
        rc = core_err(e, CORE_E_RUNTIME, "%s: cannot start the workers: %s", io_sweep_path(s),
                      strerror(errno));
        template = 0;
        goto out;
    }
    if (template == 0) {
        close(cmd[1]);
        close(rep[0]);
        template_main(s, opt, res->db_path, dir, w, cmd[0], rep[1], getppid(), &old_mask);
    }
    db = db_open(res->db_path, e);
    if (!db) {
        rc = e->rc;
        goto out;
    }
    rc = recover(db, dir, e);
    if (rc == CORE_OK)
        rc = run_sweep_plan(s, opt, db, &to_run, &n_to_run, res, e);
    if (rc != CORE_OK || n_to_run == 0)
        goto out;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        rc = core_err(e, CORE_E_IO, "%s: cannot create the workers' directory: %s", dir,
                      strerror(errno));
        goto out;
    }
    close(cmd[0]);
    close(rep[1]);
    cmd[0] = rep[1] = -1;
    while (rc == CORE_OK && (next < n_to_run || running > 0)) {
        struct pollfd pfd = {.fd = rep[0], .events = POLLIN};
        struct tmpl_report r[16];
        ssize_t got;

        if (opt->stop_flag && *opt->stop_flag && !stopping) {
            stopping = true;
            for (size_t j = 0; j < opt->jobs; j++)
                if (w[j].pid > 0)
                    kill(w[j].pid, SIGTERM); /* the worker passes it on */
        }
        for (size_t j = 0; !stopping && j < opt->jobs && next < n_to_run; j++) {
            if (w[j].pid != 0 || w[j].dying != 0)
                continue;
            rc = db_sweep_point_set(db, to_run[next].key, "running", 0, NULL, e);
            if (rc == CORE_OK)
                rc = start_worker(s, cmd[1], &to_run[next], &w[j], e);
            if (rc != CORE_OK)
                break;
            next++;
            running++;
        }
        if (rc != CORE_OK || running == 0)
            break;
        if (poll(&pfd, 1, SWEEP_TICK_MS) < 0 && errno != EINTR) {
            rc = core_err(e, CORE_E_RUNTIME, "waiting for the sweep's workers: %s",
                          strerror(errno));
            break;
        }
        got = pfd.revents ? read(rep[0], r, sizeof(r)) : -1;
        if (got == 0 || (got > 0 && got % (ssize_t)sizeof(r[0]) != 0)) {
            int st = 0;

            /* its workers die with it: their points go back to pending below */
            waitpid(template, &st, 0);
            template = 0;
            rc = core_err(e, CORE_E_RUNTIME,
                          "%s: the process that starts the sweep's workers ended (%s %d); "
                          "the points that were running are pending again (run the sweep "
                          "again to resume)",
                          io_sweep_path(s), WIFSIGNALED(st) ? "signal" : "exit status",
                          WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            break;
        }
        for (ssize_t k = 0; rc == CORE_OK && got > 0 && k < got / (ssize_t)sizeof(r[0]); k++) {
            struct worker *x = &w[r[k].slot < opt->jobs ? r[k].slot : 0];

            if (r[k].what == TMPL_STARTED) {
                x->pid = r[k].pid;
                if (stopping)
                    kill(x->pid, SIGTERM);
                continue;
            }
            if (r[k].what == TMPL_CANNOT_START) {
                rc = core_err(e, CORE_E_RUNTIME, "%s: cannot start a worker: %s",
                              io_sweep_path(s), strerror(r[k].status));
                break;
            }
            if (r[k].what == TMPL_ENDED && x->dying == r[k].pid)
                x->dying = 0;
            /* a point ends with its worker's report, or with its worker's end; a
             * worker that ends between points (killed after its point was done) ends
             * no point */
            if (x->pid <= 0 || x->pid != r[k].pid)
                continue;
            rc = finish_worker(opt, db, dir, x, r[k].status, stopping, res, e);
            running--;
        }
        if (opt->timeout_s > 0)
            for (size_t j = 0; j < opt->jobs; j++)
                if (w[j].pid > 0 && !w[j].killed && now_s() - w[j].started_s > opt->timeout_s) {
                    signal_worker(w[j].pid, SIGKILL);
                    w[j].killed = true;
                    w[j].dying = w[j].pid; /* its slot waits for its end */
                }
        if (opt->progress) {
            struct run_sweep_progress p = {
                .total = n_to_run, .done = res->run, .failed = res->failed, .running = running,
                .wall_s = now_s() - t0};
            opt->progress(opt->progress_ctx, &p);
        }
    }
    /* an error above leaves workers behind: stop them (the template's end ends them too)
     * and put their points back */
    for (size_t j = 0; w && j < opt->jobs; j++)
        if (w[j].pid != 0) {
            if (w[j].pid > 0)
                signal_worker(w[j].pid, SIGKILL);
            db_sweep_point_set(db, w[j].t->key, "pending", 0, NULL, &(struct core_err){0});
            w[j].pid = 0;
            res->left++;
        }
    close(cmd[1]);
    cmd[1] = -1;
    if (template > 0) {
        int st;

        waitpid(template, &st, 0);
        template = 0;
    }
    for (size_t j = 0; w && j < opt->jobs; j++) {
        char path[RUN_PATH_MAX + 96];

        err_path(dir, &w[j], path, sizeof(path));
        unlink(path);
    }
    res->left += n_to_run - next;
    if (rc == CORE_OK && stopping)
        rc = core_err(e, CORE_E_INTERRUPTED,
                      "sweep %s interrupted: %llu points left pending (run it again to resume)",
                      io_sweep_name(s), (unsigned long long)res->left);
out:
    for (int k = 0; k < 2; k++) {
        if (cmd[k] >= 0)
            close(cmd[k]);
        if (rep[k] >= 0)
            close(rep[k]);
    }
    if (template > 0) {
        int st;

        kill(template, SIGKILL);
        waitpid(template, &st, 0);
    }
    rmdir(dir); /* when empty: another sweep's workers may be using it */
    res->wall_s = now_s() - t0;
    core_free(w);
    core_free(to_run);
    db_close(db);
    return rc;
}
