/*
 * alloc.c — the counted allocator every part of coinfer allocates through.
 *
 * It keeps two counters (blocks live, allocations made) so tests can prove
 * that nothing leaked and that a hot path allocated nothing, and a fault
 * injector: core_alloc_fail_after(k) makes the k-th next allocation return
 * NULL, so tests can walk each out-of-memory path of a constructor.
 * Single-threaded by contract (the simulation is); OpenBLAS's own threads
 * never allocate through here.
 */
#include "core/core.h"

#include <stdlib.h>
#include <string.h>

static long live_blocks;            /* allocated and not yet freed */
static unsigned long total_allocs;  /* successful allocations since start */
static unsigned long fail_countdown; /* 0: off; 1: the next allocation fails */

/* True when this allocation is the injected failure. */
static bool inject_failure(void)
{
    if (fail_countdown == 0)
        return false;
    return --fail_countdown == 0;
}

static void *counted(void *p)
{
    if (p) {
        live_blocks++;
        total_allocs++;
    }
    return p;
}

void *core_malloc(size_t size_bytes)
{
    if (inject_failure())
        return NULL;
    return counted(malloc(size_bytes ? size_bytes : 1));
}

void *core_calloc(size_t n, size_t size_bytes)
{
    if (inject_failure())
        return NULL;
    if (n == 0 || size_bytes == 0)
        return counted(calloc(1, 1));
    return counted(calloc(n, size_bytes));
}

void *core_realloc(void *p, size_t size_bytes)
{
    void *q;

    if (!p)
        return core_malloc(size_bytes);
    if (inject_failure())
        return NULL;
    q = realloc(p, size_bytes ? size_bytes : 1);
    if (q)
        total_allocs++;
    return q;
}

void *core_aligned_alloc(size_t align_bytes, size_t size_bytes)
{
    void *p = NULL;

    CORE_ASSERT(align_bytes >= sizeof(void *) && (align_bytes & (align_bytes - 1)) == 0);
    if (inject_failure())
        return NULL;
    if (posix_memalign(&p, align_bytes, size_bytes ? size_bytes : 1) != 0)
        return NULL;
    return counted(p);
}

char *core_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = core_malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}

void core_free(void *p)
{
    if (!p)
        return;
    live_blocks--;
    free(p);
}

long core_alloc_live(void)
{
    return live_blocks;
}

unsigned long core_alloc_count(void)
{
    return total_allocs;
}

void core_alloc_fail_after(unsigned long k)
{
    fail_countdown = k;
}
