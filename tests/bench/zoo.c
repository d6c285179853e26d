/*
 * zoo.c — batch-1 inference time of the zoo models on coinfer's nn.
 *
 *   zoo [--threads N] [--reps R] [--warmup W] [MODEL...]
 *   zoo --list
 *
 * Each MODEL (default: every zoo model) is built at batch 1, finalized with
 * seed 1, its batch norms folded and its activations fused (as an inference
 * engine deploys it), then run W
 * times untimed (default 2) and R times timed (default 5) on one input drawn
 * from core_rng_create(1, 0, CORE_RNG_BENCH) with N OpenBLAS threads (default
 * 1). Per model it prints the timed reps, then the line
 *
 *   model=<name> threads=<n> median_s=<x>
 *
 * as tests/bench/ref/torch_zoo.py does for PyTorch, so tests/bench/zoo.bench.sh
 * can set the two side by side. Times are wall clock. --list prints the zoo's
 * model names, one a line.
 */
#include "core/core.h"
#include "nn/nn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZOO_MAX_REPS 1000

static int usage(const char *why)
{
    fprintf(
        stderr,
        "zoo: %s\nusage: zoo [--threads N] [--reps R] [--warmup W] [MODEL...] | --list\nmodels:",
        why);
    for (int z = 0; z < NN_ZOO_COUNT; z++)
        fprintf(stderr, " %s", nn_zoo_name((enum nn_zoo_model)z));
    fprintf(stderr, "\n");
    return 2;
}

static bool parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return false;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Time model z; its median into *median_s. */
static enum core_rc time_model(enum nn_zoo_model z, int threads, int warmup, int reps,
                               double *median_s, struct core_err *e)
{
    double times_s[ZOO_MAX_REPS];
    struct nn_model *m;
    struct nn_shape in;
    struct core_rng *rng;
    float *x = NULL;
    size_t n;
    enum core_rc rc;

    rc = nn_zoo_build(z, 1, &m, e);
    if (rc != CORE_OK)
        return rc;
    rc = nn_model_finalize(m, 1, e);
    if (rc != CORE_OK)
        goto out_destroy;
    nn_model_fold_batchnorm(m);
    nn_model_fuse_activations(m);
    in = nn_model_shape(m, NN_INPUT);
    n = (size_t)in.n * in.c * in.h * in.w;
    x = core_aligned_alloc(64, n * sizeof(*x));
    rng = core_rng_create(1, 0, CORE_RNG_BENCH);
    if (x == NULL || rng == NULL) {
        core_rng_destroy(rng);
        rc = core_err(e, CORE_E_NOMEM, "out of memory for the input");
        goto out_destroy;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)core_rng_uniform_in(rng, -1.0, 1.0);
    core_rng_destroy(rng);
    for (int i = 0; i < warmup && rc == CORE_OK; i++)
        rc = nn_model_forward(m, x, threads, e);
    for (int i = 0; i < reps && rc == CORE_OK; i++) {
        double t0_s = core_wall_s();
        rc = nn_model_forward(m, x, threads, e);
        times_s[i] = core_wall_s() - t0_s;
        printf("  %s rep %d: %.6f s\n", nn_zoo_name(z), i + 1, times_s[i]);
    }
    if (rc == CORE_OK) {
        qsort(times_s, (size_t)reps, sizeof(times_s[0]), cmp_double);
        *median_s =
            reps % 2 ? times_s[reps / 2] : 0.5 * (times_s[reps / 2 - 1] + times_s[reps / 2]);
    }
out_destroy:
    core_free(x);
    nn_model_destroy(m);
    return rc;
}

int main(int argc, char **argv)
{
    enum nn_zoo_model chosen[NN_ZOO_COUNT * 4];
    size_t n_chosen = 0;
    int threads = 1, reps = 5, warmup = 2, status = 0;

    core_init();
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int z = 0; z < NN_ZOO_COUNT; z++)
            printf("%s\n", nn_zoo_name((enum nn_zoo_model)z));
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        int *dst = !strcmp(argv[i], "--threads")  ? &threads
                   : !strcmp(argv[i], "--reps")   ? &reps
                   : !strcmp(argv[i], "--warmup") ? &warmup
                                                  : NULL;
        if (dst != NULL) {
            int lo = dst == &warmup ? 0 : 1, hi = dst == &reps ? ZOO_MAX_REPS : 1024;
            if (!parse_int(i + 1 < argc ? argv[i + 1] : NULL, lo, hi, dst))
                return usage("--threads and --reps need a positive integer, --warmup a "
                             "non-negative one");
            i++;
            continue;
        }
        if (n_chosen == ARRAY_LEN(chosen))
            return usage("too many models");
        for (int z = 0; z <= NN_ZOO_COUNT; z++) {
            if (z == NN_ZOO_COUNT)
                return usage("unknown model");
            if (strcmp(argv[i], nn_zoo_name((enum nn_zoo_model)z)) == 0) {
                chosen[n_chosen++] = (enum nn_zoo_model)z;
                break;
            }
        }
    }
    if (n_chosen == 0)
        for (int z = 0; z < NN_ZOO_COUNT; z++)
            chosen[n_chosen++] = (enum nn_zoo_model)z;
    for (size_t i = 0; i < n_chosen; i++) {
        struct core_err e;
        double median_s = 0.0;

        core_err_clear(&e);
        if (time_model(chosen[i], threads, warmup, reps, &median_s, &e) != CORE_OK) {
            fprintf(stderr, "zoo: %s: %s\n", nn_zoo_name(chosen[i]), e.msg);
            status = 1;
            continue;
        }
        printf("model=%s threads=%d median_s=%.6f\n", nn_zoo_name(chosen[i]), threads, median_s);
        fflush(stdout);
    }
    return status;
}
