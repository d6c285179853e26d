/*
 * clock.c — the wall clock, for progress reports and benchmarks only; the
 * simulation's own time is core_engine_now().
 */
#include "core/core.h"

#include <time.h>

double core_wall_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
