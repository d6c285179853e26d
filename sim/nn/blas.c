/*
 * blas.c — OpenBLAS's threads and work buffers, kept within what the
 * process may map, so that no memory limit makes coinfer hang.
 *
 * OpenBLAS (0.3.21, Debian 12, pthreads build) gives each thread that runs
 * a level-3 kernel (and a large level-2 one) a work buffer of BUFFER_SIZE
 * bytes — 128 MiB of address space on x86-64 (common_x86_64.h: 32 << 22) —
 * from its own pool (driver/others/memory.c, blas_memory_alloc). A buffer
 * is mapped the first time a slot of the pool is needed and kept until
 * exit; the pool has one slot per thread that holds a buffer at once: each
 * of OpenBLAS's worker threads holds one from its start to its end, a
 * calling thread one for the length of each call. When the mapping fails,
 * blas_memory_alloc retries it for ever: under an address-space limit
 * (ulimit -v, RLIMIT_DATA) a process spins at 100 % CPU and never exits,
 * deaf to SIGTERM. And by default the library's constructor starts one
 * worker per core before main() runs, each mapping its buffer at once.
 *
 * So coinfer keeps both under control:
 *  - The coinfer command starts OpenBLAS with no worker thread: its first
 *    act (nn_blas_restart) is, when OpenBLAS came up with more than one
 *    thread, to set OPENBLAS_NUM_THREADS=1 and execute itself again with
 *    the same arguments (the only way: the library's constructor reads the
 *    variable before main, and glibc's own start-up resets the environment
 *    after an executable's .preinit_array could set it). A worker is
 *    started only when coinfer asks for threads (nn_blas_prepare, through
 *    openblas_set_num_threads). coinfer always chooses its thread counts
 *    itself (--threads); a user's OPENBLAS_NUM_THREADS other than 1 is
 *    overridden.
 *  - Before OpenBLAS may need a buffer it has not mapped yet (more threads
 *    of its own, or one more thread of coinfer's calling it at once),
 *    nn_blas_prepare maps the room for the new buffers and the new workers'
 *    stacks in one private mapping, as OpenBLAS will map them, and unmaps it
 *    at once. If that fails, it is CORE_E_NOMEM with a clear message (exit
 *    1) instead of a hang. The callers call it right before their kernels
 *    run, with nothing allocated in between, so the room is still there
 *    when OpenBLAS maps it.
 *
 * Single-threaded: only the simulation's thread calls nn_blas_prepare.
 */
#include "nn/nn_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cblas.h>

int nn_blas_cores(void)
{
    static _Atomic int cores;
    int n = cores;

    if (n == 0) {
        n = openblas_get_num_procs();
        cores = n;
    }
    return n;
}

void nn_blas_restart(char **argv)
{
    const char *set = getenv("OPENBLAS_NUM_THREADS");

    if (openblas_get_num_threads() <= 1 || (set != NULL && strcmp(set, "1") == 0))
        return;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* No /proc, or no memory to execute: go on with OpenBLAS's threads. */
}

/* Buffers known to fit: mapped by OpenBLAS, or checked to fit right before
 * the kernels that map them ran. OpenBLAS never unmaps one. */
static int blas_buffers = 0;
/* OpenBLAS's worker threads started so far (threads - 1 at most). */
static int blas_workers = 0;

/* Bytes of a new thread's stack (glibc's default for pthread_create). */
static size_t thread_stack_bytes(void)
{
    pthread_attr_t a;
    size_t size = 8u << 20;

    if (pthread_attr_init(&a) == 0) {
        if (pthread_attr_getstacksize(&a, &size) != 0)
            size = 8u << 20;
        pthread_attr_destroy(&a);
    }
    return size;
}

enum core_rc nn_blas_prepare(int threads, int callers, struct core_err *e)
{
    const int need = (threads - 1) + callers;
    const int new_workers = threads - 1 > blas_workers ? threads - 1 - blas_workers : 0;

    CORE_ASSERT(threads >= 1 && callers >= 1);
    if (need > blas_buffers || new_workers > 0) {
        const int new_buffers = need > blas_buffers ? need - blas_buffers : 0;
        const size_t bytes = (size_t)new_buffers * NN_BLAS_BUFFER_BYTES +
                             (size_t)new_workers * thread_stack_bytes();
        void *room = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (room == MAP_FAILED) {
            struct rlimit as;
            char limit[96] = "";

            if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
                snprintf(limit, sizeof(limit), "; the address-space limit (ulimit -v) is %llu MiB",
                         (unsigned long long)(as.rlim_cur >> 20));
            return core_err(e, CORE_E_NOMEM,
                            "out of memory: OpenBLAS needs %zu MiB more address space for the "
                            "work buffers of %d thread%s (%d MiB each)%s",
                            bytes >> 20, threads + callers - 1, threads + callers > 2 ? "s" : "",
                            (int)(NN_BLAS_BUFFER_BYTES >> 20), limit);
        }
        munmap(room, bytes);
        if (need > blas_buffers)
            blas_buffers = need;
        if (threads - 1 > blas_workers)
            blas_workers = threads - 1;
    }
    openblas_set_num_threads(threads);
    return CORE_OK;
}
