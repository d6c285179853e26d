/*
 * profile.c — the profiler's measurement core: per-layer and whole-model
 * latency of a finalized model (median, min, max of R runs after warm-up),
 * its costs and achieved GFLOP/s, the GEMM shape and the applied (declared
 * or fused) activation of each conv2d / fc layer, which OpenBLAS kernels it
 * ran on (the family, OPENBLAS_CORETYPE, and whether that forces a family
 * older than the CPU),
 * what cblas_sgemm alone reaches on a shape, and the host's energy counters.
 *
 * Timing: per-layer figures come from R runs with nn_model_time_layers on
 * (two clock reads a layer); the whole-model figures from R further runs with
 * it off, so the total is what a caller running the model sees. All times
 * are wall-clock seconds. The input is filled with a fixed pseudo-random
 * pattern in (-1, 1), so repeated profiles run the same data.
 *
 * Energy: Linux exposes package energy through powercap (intel-rapl zones,
 * also used by AMD's RAPL driver), in microjoules with a wrap-around range,
 * or through hwmon's amd_energy driver. Recent kernels make these files
 * readable by root only; a reader that cannot open them reports that energy
 * must come from declared power x time instead of failing.
 */
#include "nn/nn_int.h"

#include <cblas.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- GEMM shapes ------------------------------------------------------- */

void nn_model_layer_gemm(const struct nn_model *m, int i, struct nn_gemm_shape *g)
{
    const enum nn_op op = nn_model_layer_op(m, i);
    const struct nn_params *p = nn_model_layer_params(m, i);
    size_t n_in;
    const int *in = nn_model_layer_inputs(m, i, &n_in);
    const struct nn_shape x = nn_model_shape(m, in[0]);
    const struct nn_shape y = nn_model_shape(m, i);
    const uint32_t groups = p->groups ? p->groups : 1;
    const uint32_t kw = p->kernel_w ? p->kernel_w : p->kernel_h;

    memset(g, 0, sizeof(*g));
    if (op == NN_OP_CONV2D) {
        g->m = y.c / groups;
        g->n = y.h * y.w;
        g->k = x.c / groups * p->kernel_h * kw;
        g->count = x.n * groups;
    } else if (op == NN_OP_FC) {
        g->m = y.c;
        g->n = 1;
        g->k = x.c * x.h * x.w;
        g->count = x.n;
    }
}

enum nn_act nn_model_layer_act(const struct nn_model *m, int i)
{
    const enum nn_op op = nn_model_layer_op(m, i);

    /* nn_model_layer_int reads the layer only; it takes a mutable model. */
    return op == NN_OP_CONV2D || op == NN_OP_FC
               ? nn_model_layer_int((struct nn_model *)m, i)->act_live
               : NN_ACT_NONE;
}

/* ---- which kernels ---------------------------------------------------- */

/* OpenBLAS's x86-64 kernel families and the instruction-set level each
 * needs (see struct nn_blas_info). */
static const struct {
    const char *name;
    int level;
} blas_families[] = {
    {"Katmai", 0},      {"Coppermine", 0},  {"Northwood", 0},     {"Prescott", 0},
    {"Banias", 0},      {"Athlon", 0},      {"Opteron", 0},       {"Opteron(SSE3)", 0},
    {"Core2", 1},       {"Penryn", 1},      {"Dunnington", 1},    {"Atom", 1},
    {"Nano", 1},        {"Barcelona", 1},   {"Bobcat", 1},        {"Nehalem", 2},
    {"Sandybridge", 3}, {"Bulldozer", 3},   {"Piledriver", 3},    {"Steamroller", 3},
    {"Haswell", 4},     {"Excavator", 4},   {"Zen", 4},           {"SkylakeX", 5},
    {"Cooperlake", 6},  {"SapphireRapids", 7},
};

/* The newest family of each level, as the CPU's is named. */
static const char *const level_family[] = {"Prescott", "Core2",    "Nehalem",   "Sandybridge",
                                           "Haswell",  "SkylakeX", "Cooperlake"};
static_assert(ARRAY_LEN(level_family) == 7, "one family per level a CPU is told by, 0..6");

int nn_blas_family_level(const char *family)
{
    for (size_t k = 0; k < ARRAY_LEN(blas_families); k++)
        if (strcasecmp(family, blas_families[k].name) == 0)
            return blas_families[k].level;
    return -1;
}

static int cpu_level(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512bf16"))
        return 6;
    if (__builtin_cpu_supports("avx512f"))
        return 5;
    if (__builtin_cpu_supports("avx2"))
        return 4;
    if (__builtin_cpu_supports("avx"))
        return 3;
    if (__builtin_cpu_supports("sse4.2"))
        return 2;
    if (__builtin_cpu_supports("ssse3"))
        return 1;
#endif
    return 0;
}

/* Copy src into dst[size], whitespace at its ends trimmed. */
static void copy_trimmed(char *dst, size_t size, const char *src)
{
    size_t n;

    while (src && (*src == ' ' || *src == '\n'))
        src++;
    snprintf(dst, size, "%s", src ? src : "");
    n = strlen(dst);
    while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\n'))
        dst[--n] = '\0';
}

void nn_blas_info_read(struct nn_blas_info *i)
{
    const char *env = getenv("OPENBLAS_CORETYPE");
    int forced;

    memset(i, 0, sizeof(*i));
    copy_trimmed(i->corename, sizeof(i->corename), openblas_get_corename());
    copy_trimmed(i->config, sizeof(i->config), openblas_get_config());
    copy_trimmed(i->coretype_env, sizeof(i->coretype_env), env);
    i->cpu_level = cpu_level();
    i->cpu_family = level_family[i->cpu_level];
    forced = i->coretype_env[0] ? nn_blas_family_level(i->coretype_env) : -1;
    i->forced_older = forced >= 0 && forced < i->cpu_level;
}

/* ---- profiling --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median, min, max of v[0..n) (sorted in place), into *lp. */
static void summarize(double *v, size_t n, struct nn_layer_profile *lp)
{
    qsort(v, n, sizeof(*v), cmp_double);
    lp->min_s = v[0];
    lp->max_s = v[n - 1];
    lp->median_s = core_quantile_sorted(v, n, 0.5);
    lp->gflops = lp->median_s > 0.0 ? (double)lp->cost.flops / lp->median_s / 1e9 : 0.0;
}

/* x[0..n) = a fixed pattern in (-1, 1) (a 64-bit LCG's top bits). */
static void fill_input(float *x, size_t n)
{
    uint64_t s = 0x9e3779b97f4a7c15u;
    size_t i;

    for (i = 0; i < n; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        x[i] = (float)((double)(s >> 11) / 4503599627370496.0 - 1.0);
    }
}

void nn_profile_destroy(struct nn_profile *p)
{
    if (!p)
        return;
    core_free(p->layers);
    core_free(p);
}

enum core_rc nn_profile_run(struct nn_model *m, int threads, size_t warmup, size_t reps,
                            struct nn_profile **out, struct core_err *e)
{
    const size_t n_layers = nn_model_n_layers(m);
    const struct nn_shape in_shape = nn_model_shape(m, NN_INPUT);
    const size_t in_floats = (size_t)(nn_shape_bytes(&in_shape) / sizeof(float));
    struct nn_profile *p = NULL;
    float *input = NULL;
    double *runs_s = NULL, *layer_s = NULL, t0_s;
    enum core_rc rc;
    size_t r, i;

    *out = NULL;
    if (reps == 0)
        return core_err(e, CORE_E_INPUT, "a profile needs at least one timed run");
    if (!nn_model_is_finalized(m))
        return core_err(e, CORE_E_INPUT, "the model must be finalized before it is profiled");
    p = core_calloc(1, sizeof(*p));
    if (!p)
        goto out_nomem;
    p->layers = core_calloc(n_layers, sizeof(*p->layers));
    input = core_aligned_alloc(64, in_floats * sizeof(*input));
    runs_s = core_calloc(reps * (n_layers + 1), sizeof(*runs_s));
    layer_s = core_calloc(n_layers, sizeof(*layer_s));
    if (!p->layers || !input || !runs_s || !layer_s)
        goto out_nomem;
    p->n_layers = n_layers;
    p->threads = threads;
    nn_blas_info_read(&p->blas);
    p->reps = reps;
    fill_input(input, in_floats);

    for (r = 0; r < warmup; r++) {
        rc = nn_model_forward(m, input, threads, e);
        if (rc != CORE_OK)
            goto out_free;
    }
    /* runs_s is laid out layer-major: layer i's R times at runs_s[i R]. */
    nn_model_time_layers(m, layer_s);
    for (r = 0; r < reps; r++) {
        rc = nn_model_forward(m, input, threads, e);
        if (rc != CORE_OK) {
            nn_model_time_layers(m, NULL);
            goto out_free;
        }
        for (i = 0; i < n_layers; i++)
            runs_s[i * reps + r] = layer_s[i];
    }
    nn_model_time_layers(m, NULL);
    for (r = 0; r < reps; r++) {
        t0_s = core_wall_s();
        rc = nn_model_forward(m, input, threads, e);
        if (rc != CORE_OK)
            goto out_free;
        runs_s[n_layers * reps + r] = core_wall_s() - t0_s;
    }

    for (i = 0; i < n_layers; i++) {
        struct nn_layer_profile *lp = &p->layers[i];
        nn_model_layer_cost(m, (int)i, &lp->cost);
        nn_model_layer_gemm(m, (int)i, &lp->gemm);
        summarize(runs_s + i * reps, reps, lp);
    }
    nn_model_cost(m, &p->total.cost);
    summarize(runs_s + n_layers * reps, reps, &p->total);

    core_free(layer_s);
    core_free(runs_s);
    core_free(input);
    *out = p;
    return CORE_OK;

out_nomem:
    rc = core_err(e, CORE_E_NOMEM, "out of memory profiling a model of %zu layers", n_layers);
out_free:
    core_free(layer_s);
    core_free(runs_s);
    core_free(input);
    nn_profile_destroy(p);
    return rc;
}

/* ---- cblas_sgemm alone ------------------------------------------------- */

enum core_rc nn_sgemm_gflops(uint32_t m, uint32_t n, uint32_t k, int threads, size_t reps,
                             double *gflops, struct core_err *e)
{
    const int cores = nn_blas_cores();
    float *a, *b, *c;
    double *runs_s, t0_s, med_s;
    size_t r;

    *gflops = 0.0;
    if (m == 0 || n == 0 || k == 0)
        return core_err(e, CORE_E_INPUT, "GEMM shape %ux%ux%u has a zero dimension", m, n, k);
    if (reps == 0)
        return core_err(e, CORE_E_INPUT, "an sgemm measurement needs at least one run");
    if (threads < 1 || threads > cores)
        return core_err(e, CORE_E_INPUT, "thread count %d is outside 1..%d (the cores)", threads,
                        cores);
    a = core_aligned_alloc(64, (size_t)m * k * sizeof(*a));
    b = core_aligned_alloc(64, (size_t)k * n * sizeof(*b));
    c = core_aligned_alloc(64, (size_t)m * n * sizeof(*c));
    runs_s = core_calloc(reps, sizeof(*runs_s));
    if (!a || !b || !c || !runs_s) {
        core_free(runs_s);
        core_free(c);
        core_free(b);
        core_free(a);
        return core_err(e, CORE_E_NOMEM, "out of memory for a %ux%ux%u GEMM", m, n, k);
    }
    fill_input(a, (size_t)m * k);
    fill_input(b, (size_t)k * n);
    if (nn_blas_prepare(threads, 1, e) != CORE_OK) {
        core_free(runs_s);
        core_free(c);
        core_free(b);
        core_free(a);
        return e->rc;
    }
    for (r = 0; r <= reps; r++) {
        t0_s = core_wall_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a,
                    (int)k, b, (int)n, 0.0f, c, (int)n);
        if (r > 0)
            runs_s[r - 1] = core_wall_s() - t0_s;
    }
    qsort(runs_s, reps, sizeof(*runs_s), cmp_double);
    med_s = core_quantile_sorted(runs_s, reps, 0.5);
    if (med_s > 0.0)
        *gflops = 2.0 * (double)m * (double)n * (double)k / med_s / 1e9;
    core_free(runs_s);
    core_free(c);
    core_free(b);
    core_free(a);
    return CORE_OK;
}

/* ---- energy counters --------------------------------------------------- */

static const char *const energy_source_names[] = {"counters", "declared power x time"};
static_assert(ARRAY_LEN(energy_source_names) == NN_ENERGY_SOURCE_COUNT, "one name each");

const char *nn_energy_source_name(enum nn_energy_source s)
{
    return energy_source_names[s];
}

/* Read the first line of dir/name as an unsigned integer: true on success. */
static bool read_u64(const char *dir, const char *name, uint64_t *v)
{
    char path[1024], line[128], *end;
    FILE *f;
    bool ok;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return false;
    f = fopen(path, "r");
    if (!f)
        return false;
    ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    *v = strtoull(line, &end, 10);
    return end != line;
}

/* Read the first line of dir/name into buf (newline stripped): true on success. */
static bool read_line(const char *dir, const char *name, char *buf, size_t size)
{
    char path[1024];
    FILE *f;
    bool ok;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return false;
    f = fopen(path, "r");
    if (!f)
        return false;
    ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* Package zones are powercap/intel-rapl:<N>, N counting from 0 (the
 * sub-zones intel-rapl:<N>:<M> lie inside them); reading them by number
 * keeps the domain order the same from one reading to the next. */
static void read_powercap(const char *root, struct nn_energy_reading *r)
{
    char zone[1280];
    uint64_t uj, range_uj;
    int n;

    for (n = 0; n < NN_ENERGY_MAX_DOMAINS; n++) {
        snprintf(zone, sizeof(zone), "%s/powercap/intel-rapl:%d", root, n);
        if (!read_u64(zone, "energy_uj", &uj))
            continue;
        if (!read_u64(zone, "max_energy_range_uj", &range_uj))
            range_uj = 0;
        r->domain_j[r->n_domains] = (double)uj * 1e-6;
        r->range_j[r->n_domains] = (double)range_uj * 1e-6;
        r->energy_j += (double)uj * 1e-6;
        r->n_domains++;
    }
}

static void read_amd_energy(const char *root, struct nn_energy_reading *r)
{
    char dir[1024], mon[1280], name[64], label[64], file[64];
    struct dirent *d;
    uint64_t uj;
    DIR *dp;
    int k;

    snprintf(dir, sizeof(dir), "%s/hwmon", root);
    dp = opendir(dir);
    if (!dp)
        return;
    while ((d = readdir(dp)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(mon, sizeof(mon), "%s/%s", dir, d->d_name);
        if (!read_line(mon, "name", name, sizeof(name)) || strcmp(name, "amd_energy") != 0)
            continue;
        /* amd_energy numbers its counters from 1: the cores', then the sockets'. */
        for (k = 1; k < 1024 && r->n_domains < NN_ENERGY_MAX_DOMAINS; k++) {
            snprintf(file, sizeof(file), "energy%d_label", k);
            if (!read_line(mon, file, label, sizeof(label)))
                break;
            if (strncmp(label, "Esocket", 7) != 0)
                continue;
            snprintf(file, sizeof(file), "energy%d_input", k);
            if (!read_u64(mon, file, &uj))
                continue;
            r->domain_j[r->n_domains] = (double)uj * 1e-6;
            r->energy_j += (double)uj * 1e-6;
            r->n_domains++;
        }
    }
    closedir(dp);
}

void nn_energy_read(const char *sysfs_root, struct nn_energy_reading *r)
{
    const char *root = sysfs_root ? sysfs_root : "/sys/class";

    memset(r, 0, sizeof(*r));
    read_powercap(root, r);
    if (r->n_domains == 0) {
        memset(r, 0, sizeof(*r));
        read_amd_energy(root, r);
    }
    if (r->n_domains == 0) {
        memset(r, 0, sizeof(*r));
        r->source = NN_ENERGY_DECLARED;
        return;
    }
    r->source = NN_ENERGY_COUNTERS;
}

double nn_energy_delta_j(const struct nn_energy_reading *before,
                         const struct nn_energy_reading *after)
{
    double sum_j = 0.0, d_j;
    uint32_t i;

    if (before->source != NN_ENERGY_COUNTERS || after->source != NN_ENERGY_COUNTERS ||
        before->n_domains != after->n_domains)
        return 0.0;
    for (i = 0; i < after->n_domains; i++) {
        d_j = after->domain_j[i] - before->domain_j[i];
        if (d_j < 0.0 && after->range_j[i] > 0.0)
            d_j += after->range_j[i];
        if (d_j > 0.0)
            sum_j += d_j;
    }
    return sum_j;
}
