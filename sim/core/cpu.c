/*
 * cpu.c — which copy of a vector kernel runs: on x86-64 the kernels of
 * sim/nn (the depthwise convolution, the bias-activation pass, the
 * activations) and of sim/policy (the agent's decode) are compiled for the
 * baseline (SSE2) and for AVX2, and the AVX2 copy runs where the CPU has
 * it. Both copies do the same operations in the same order, so they give
 * the same bits; the unit tests check that by turning AVX2 off.
 */
#include "core/core.h"

/* Set by core_cpu_avx2_off: run the baseline copies even on an AVX2 CPU. */
static bool avx2_off;

bool core_cpu_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    return !avx2_off && __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

void core_cpu_avx2_off(bool off)
{
    avx2_off = off;
}
