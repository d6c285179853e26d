/*
 * par.c — the second thread of a model's forward pass: one worker created
 * the first time the model runs with two or more threads and kept until
 * nn_model_destroy. The layers hand it half of their loops: the GEMMs of
 * the convolutions and fully connected layers (OpenBLAS then runs on one
 * thread in each), im2col, residual adds, activations and pooling.
 *
 * A loop of n items is cut into chunks of `grain` items; the caller and the
 * worker each take the next chunk from one atomic word until none is left,
 * so a worker that is late costs the caller no more than the chunk it is
 * on. The word packs the job's generation (32 bits), the next chunk (16
 * bits) and the chunk count (16 bits): a worker still on an old generation
 * fails its compare-and-swap and never reads a newer job's fields before
 * the store that publishes them. The caller returns once every chunk is
 * taken and the worker is off its chunk. Each item is computed by exactly
 * one thread by the same code as the serial loop, so who ran what does not
 * change the result.
 *
 * After its last chunk the worker polls for NN_PAR_SPIN_S (the layers of a
 * forward pass follow each other within microseconds, and a futex wake
 * costs tens), then sleeps on a condition variable, which the caller
 * signals only when the worker sleeps. It polls without sched_yield: a
 * yielding poller loses its core to any other process for a whole time
 * slice.
 */
#include "nn/nn_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <time.h>

/* How long the idle worker polls for the next job before it sleeps, s,
 * and for how much of that it polls without yielding its core, s. */
#define NN_PAR_SPIN_S 1e-3
#ifndef NN_PAR_HOT_S
#define NN_PAR_HOT_S 50e-6
#endif

/* Most chunks of one job (the 16-bit fields of the job word). */
#define NN_PAR_MAX_CHUNKS 0xffffu

struct nn_par {
    pthread_t thread;     /* the worker */
    pthread_mutex_t lock; /* guards the sleep handshake */
    pthread_cond_t wake;  /* signalled when a job is posted to a sleeper */
    _Atomic uint64_t job; /* generation << 32 | next chunk << 16 | chunks */
    atomic_int inflight;  /* 1 while the worker may be on a chunk */
    atomic_bool sleeping; /* the worker waits on wake */
    atomic_bool stop;     /* nn_par_destroy asks the worker to exit */
    nn_par_fn *fn;        /* the current job's body */
    void *arg;            /* its argument */
    size_t n;             /* its items */
    size_t grain;         /* items per chunk */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A spin-wait hint to the CPU (x86: pause). */
static inline void nn_par_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static bool has_chunk(uint64_t job)
{
    return ((job >> 16) & 0xffffu) < (job & 0xffffu);
}

/* Take and run chunks of the job whose generation is gen until none is left
 * or a newer job replaced it; who: 0 the caller, 1 the worker. */
static void run_chunks(struct nn_par *p, uint32_t gen, int who)
{
    uint64_t job = atomic_load(&p->job);

    while ((uint32_t)(job >> 32) == gen && has_chunk(job)) {
        if (atomic_compare_exchange_weak(&p->job, &job, job + (1u << 16))) {
            const size_t lo = ((job >> 16) & 0xffffu) * p->grain;
            const size_t hi = lo + p->grain < p->n ? lo + p->grain : p->n;
            p->fn(p->arg, lo, hi, who);
            job = atomic_load(&p->job);
        }
    }
}

static void *worker_main(void *arg)
{
    struct nn_par *p = arg;
    uint32_t seen = 0;

    for (;;) {
        const double t0_s = now_s();
        uint64_t job = atomic_load(&p->job);
        while ((uint32_t)(job >> 32) == seen && !atomic_load(&p->stop) &&
               now_s() - t0_s < NN_PAR_SPIN_S) {
            if (now_s() - t0_s < NN_PAR_HOT_S)
                nn_par_pause();
            else
                sched_yield();
            job = atomic_load(&p->job);
        }
        if ((uint32_t)(job >> 32) == seen && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->lock);
            atomic_store(&p->sleeping, true);
            while ((uint32_t)(atomic_load(&p->job) >> 32) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->lock);
            atomic_store(&p->sleeping, false);
            pthread_mutex_unlock(&p->lock);
            job = atomic_load(&p->job);
        }
        if (atomic_load(&p->stop))
            return NULL;
        seen = (uint32_t)(job >> 32);
        atomic_store(&p->inflight, 1);
        run_chunks(p, seen, 1);
        atomic_store(&p->inflight, 0);
    }
}

struct nn_par *nn_par_create(void)
{
    struct nn_par *p = core_malloc(sizeof(*p));

    if (!p)
        return NULL;
    memset(p, 0, sizeof(*p));
    atomic_init(&p->job, 0);
    atomic_init(&p->inflight, 0);
    atomic_init(&p->sleeping, false);
    atomic_init(&p->stop, false);
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        goto fail_free;
    if (pthread_cond_init(&p->wake, NULL) != 0)
        goto fail_mutex;
    if (pthread_create(&p->thread, NULL, worker_main, p) != 0)
        goto fail_cond;
    return p;

fail_cond:
    pthread_cond_destroy(&p->wake);
fail_mutex:
    pthread_mutex_destroy(&p->lock);
fail_free:
    core_free(p);
    return NULL;
}

void nn_par_destroy(struct nn_par *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, true);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    core_free(p);
}

void nn_par_for(struct nn_par *p, size_t n, size_t grain, nn_par_fn *fn, void *arg)
{
    uint64_t job;
    uint32_t gen;
    size_t chunks;

    if (grain == 0)
        grain = 1;
    chunks = (n + grain - 1) / grain;
    if (chunks > NN_PAR_MAX_CHUNKS) {
        grain = (n + NN_PAR_MAX_CHUNKS - 1) / NN_PAR_MAX_CHUNKS;
        chunks = (n + grain - 1) / grain;
    }
    if (!p || chunks < 2) {
        if (n > 0)
            fn(arg, 0, n, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->grain = grain;
    gen = (uint32_t)(atomic_load(&p->job) >> 32) + 1;
    job = (uint64_t)gen << 32 | chunks;
    atomic_store(&p->job, job);
    if (atomic_load(&p->sleeping)) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
    run_chunks(p, gen, 0);
    while (atomic_load(&p->inflight) != 0)
        sched_yield();
}
