/*
 * cmd_profile.c — `coinfer profile MODEL [--threads N] [--reps R] [--db FILE]
 * [--csv] [--verbose] [--quiet]` and `coinfer profile --cpmm-check`.
 *
 * MODEL is a model file (anything with a '/' or ending in ".xml") or a zoo
 * name. The model is finalized, its batch norms folded into their convs and
 * its activations fused (as every run of coinfer executes models), then
 * profiled by nn_profile_run: one untimed warm-up pass, R passes timed layer
 * by layer and R passes of the whole model. Per layer it prints the output
 * shape, FLOPs, parameters, output bytes, the median, fastest and slowest of
 * the R timings and the achieved GFLOP/s; then the whole model, the energy
 * (package counters around the profile, or why there are none) and, last,
 * one line scripts parse:
 *
 *   total latency_s=<median> flops=<n> params=<n>
 *
 * --verbose adds, per conv2d and fc layer, its efficiency: its achieved
 * GFLOP/s over what cblas_sgemm alone reaches on the same GEMM shape with
 * the same threads (nn_sgemm_gflops), and the range of it. A line names the
 * OpenBLAS kernels the profile ran on (nn_blas_info_read), with a warning
 * on stderr when OPENBLAS_CORETYPE forces a family older than the CPU's
 * (also under --quiet, and once for --cpmm-check). With --db the
 * rows go to the profiles table (one per layer and one with layer_index -1
 * for the whole model, resource "host-cpu") under this host's key (the CPU
 * model of /proc/cpuinfo, the kernel family OpenBLAS ran, the threads:
 * db_profile_host_key), with the kernels' details in their columns,
 * replacing the model's earlier profile under that key (db_replace_profile);
 * without it no database is touched.
 *
 * --cpmm-check profiles the zoo models on one thread and runs the CPMM's
 * cross-model check (compute_cpmm_check: fit on all but one, predict the one
 * left out) on their layers' fastest runs. --save-timings FILE also writes
 * those timings as CSV (model,layer_index,latency_s); --timings FILE runs
 * the check on such a file instead of profiling (the models it names, their
 * descriptors built as for a profile), which makes the check reproducible:
 * tests/validation/test_cpmm_check.c runs it on a recorded fixture, and the
 * live accuracy is a benchmark (tests/bench/cpmm.bench.sh). With --verbose it
 * also lists every counted layer it misses, its prediction beside its time.
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "run/run.h"
#include "nn/nn.h"

#define DEFAULT_REPS     10
#define WARMUP_PASSES    1
#define MODEL_SEED       1
#define RESOURCE_NAME    "host-cpu"
#define CHECK_TOL        0.10  /* the CPMM check's tolerance: +-10 % */
#define CHECK_FLOOR_S    20e-6 /* layers faster than this are not counted, s */
#define EFFICIENCY_GOAL  0.80  /* the aim for conv / fc efficiency */

struct profile_options {
    int threads;        /* OpenBLAS threads */
    size_t reps;        /* timed runs per figure */
    const char *db;     /* results database, NULL: none */
    bool csv;           /* per-layer table as CSV */
    bool verbose;       /* efficiency per conv / fc layer */
    bool quiet;         /* only the total line */
    bool cpmm_check;    /* the CPMM cross-model check instead of one model */
    const char *save_timings; /* --cpmm-check: write the measured timings here (NULL: no) */
    const char *timings;      /* --cpmm-check: check these recorded timings (NULL: profile) */
};

static void help(FILE *out)
{
    fprintf(out,
            "usage: coinfer profile MODEL [--threads N] [--reps R] [--db FILE] [--csv]\n"
            "                             [--verbose] [--quiet]\n"
            "       coinfer profile --cpmm-check [--reps R] [--save-timings FILE] [--verbose]\n"
            "       coinfer profile --cpmm-check --timings FILE [--verbose]\n"
            "\n"
            "Run MODEL layer by layer on this host's CPU (OpenBLAS) and print, per layer,\n"
            "its output shape, FLOPs, parameters, output bytes, the median, fastest and\n"
            "slowest latency over R timed runs (after one warm-up pass) and the achieved\n"
            "GFLOP/s; then the whole model, the energy, and last the line\n"
            "  total latency_s=<median> flops=<n> params=<n>\n"
            "MODEL is a model file (e.g. models/resnet18.xml) or a zoo name (listed\n"
            "below). Batch norms are folded into their convolutions and activations\n"
            "fused before profiling, as coinfer runs models.\n"
            "\n"
            "  --threads N    OpenBLAS threads, 1 .. cores (default 1)\n"
            "  --reps R       timed runs per figure (default %d)\n"
            "  --db FILE      record the profile in the profiles table of results\n"
            "                 database FILE (one row per layer, layer_index -1 for the\n"
            "                 whole model) under this host's key, CPU:KERNELS:THREADSt\n"
            "                 (e.g. amd-epyc:haswell:1t), replacing the model's earlier\n"
            "                 profile under that key; default: no database\n"
            "  --csv          the per-layer table as CSV on stdout (the rest goes to stderr)\n"
            "  --verbose, -v  per conv / fc layer, its efficiency: achieved GFLOP/s over\n"
            "                 cblas_sgemm's on the same GEMM shape (aim: >= 80 %%)\n"
            "  --quiet, -q    only the total line, on stdout (also with --csv)\n"
            "  --cpmm-check   profile the zoo models on one thread and check the CPMM:\n"
            "                 fit on all but one, predict each layer of the one left\n"
            "                 out; prints the share within +-10 %% and the median |error|\n"
            "                 (with --verbose also every layer it misses, with its\n"
            "                 prediction)\n"
            "  --save-timings FILE  with --cpmm-check: also write the fastest run of\n"
            "                 every layer as CSV (model,layer_index,latency_s)\n"
            "  --timings FILE with --cpmm-check: check the timings recorded in FILE (by\n"
            "                 --save-timings) instead of profiling: the same figures\n"
            "                 on any machine\n"
            "  --help, -h     this text\n"
            "\n"
            "Energy comes from the package counters (powercap / RAPL, amd_energy) read\n"
            "before and after; where none is readable the line says so.\n"
            "A line names the OpenBLAS kernels the profile ran on (openblas_get_corename,\n"
            "OPENBLAS_CORETYPE, openblas_get_config); when OPENBLAS_CORETYPE forces a\n"
            "kernel family older than this CPU's, a warning goes to stderr (also with\n"
            "--quiet).\n"
            "Exit codes: 0 success, 1 runtime failure, 2 bad input or usage.\n",
            DEFAULT_REPS);
    fprintf(out, "\nThe zoo:");
    for (int i = 0; nn_zoo_names[i]; i++)
        fprintf(out, "%s %s", i ? "," : "", nn_zoo_names[i]);
    fprintf(out, "\n");
}

/* Whether arg names a model file rather than a zoo model. */
static bool is_model_file(const char *arg)
{
    size_t n = strlen(arg);

    return strchr(arg, '/') != NULL || (n > 4 && strcmp(arg + n - 4, ".xml") == 0);
}

/* Build (zoo) or load (file) MODEL, finalized, folded and fused, and name it
 * (zoo name, or the file's base name without ".xml") in name[]. Returns an
 * exit code. */
static int load_model(const char *arg, struct nn_model **out, char *name, size_t size)
{
    struct core_err e;
    enum nn_zoo_model z;

    core_err_clear(&e);
    *out = NULL;
    if (is_model_file(arg)) {
        const char *base = strrchr(arg, '/');
        size_t n;

        base = base ? base + 1 : arg;
        snprintf(name, size, "%s", base);
        n = strlen(name);
        if (n > 4 && strcmp(name + n - 4, ".xml") == 0)
            name[n - 4] = '\0';
        if (io_model_load(arg, MODEL_SEED, out, &e) != CORE_OK)
            return cli_fail(&e);
    } else {
        if (!nn_zoo_find(arg, &z)) {
            fprintf(stderr, "coinfer profile: unknown model '%s' (zoo:", arg);
            for (int i = 0; nn_zoo_names[i]; i++)
                fprintf(stderr, "%s %s", i ? "," : "", nn_zoo_names[i]);
            fprintf(stderr, "; or a model file such as models/resnet18.xml)\n");
            return 2;
        }
        snprintf(name, size, "%s", nn_zoo_name(z));
        if (nn_zoo_build(z, 1, out, &e) != CORE_OK ||
            nn_model_finalize(*out, MODEL_SEED, &e) != CORE_OK) {
            nn_model_destroy(*out);
            *out = NULL;
            return cli_fail(&e);
        }
    }
    nn_model_fold_batchnorm(*out);
    nn_model_fuse_activations(*out);
    return 0;
}

static void format_shape(const struct nn_shape *s, char *buf, size_t size)
{
    snprintf(buf, size, "%ux%ux%ux%u", s->n, s->c, s->h, s->w);
}

/* A layer that runs code: not an alias (flatten, dropout, a folded batch
 * norm or a fused activation), which takes no time. */
static bool runs_code(const struct nn_layer_profile *lp)
{
    return lp->max_s > 0.0;
}

/* Efficiency of every conv2d / fc layer (NAN for others and aliases):
 * achieved GFLOP/s over cblas_sgemm's on its GEMM shape. */
static enum core_rc measure_efficiency(const struct nn_profile *p, double *eff,
                                       struct core_err *e)
{
    size_t i;

    for (i = 0; i < p->n_layers; i++) {
        const struct nn_layer_profile *lp = &p->layers[i];
        double peak = 0.0;
        enum core_rc rc;

        eff[i] = NAN;
        if (lp->gemm.m == 0 || !runs_code(lp))
            continue;
        rc = nn_sgemm_gflops(lp->gemm.m, lp->gemm.n, lp->gemm.k, p->threads, p->reps, &peak, e);
        if (rc != CORE_OK)
            return rc;
        if (peak > 0.0)
            eff[i] = lp->gflops / peak;
    }
    return CORE_OK;
}

/* Whether conv layer i is depthwise (a direct kernel, not a GEMM). */
static bool is_depthwise(const struct nn_model *m, int i)
{
    const struct nn_params *p = nn_model_layer_params(m, i);
    size_t n_in;
    const int *in = nn_model_layer_inputs(m, i, &n_in);
    const uint32_t groups = p->groups ? p->groups : 1;

    return nn_model_layer_op(m, i) == NN_OP_CONV2D && groups > 1 &&
           nn_model_shape(m, in[0]).c == groups && nn_model_shape(m, i).c == groups;
}

static void print_table(FILE *out, const struct nn_model *m, const struct nn_profile *p,
                        const double *eff)
{
    char shape[64];
    size_t i;

    fprintf(out, "%5s  %-24s %-9s %-16s %14s %10s %11s %11s %11s %11s %8s", "index", "layer",
            "type", "output", "flops", "params", "out_bytes", "median_s", "min_s", "max_s",
            "GFLOP/s");
    fprintf(out, eff ? " %6s\n" : "\n", "eff");
    for (i = 0; i < p->n_layers; i++) {
        const struct nn_layer_profile *lp = &p->layers[i];
        const struct nn_shape s = nn_model_shape(m, (int)i);

        format_shape(&s, shape, sizeof(shape));
        fprintf(out, "%5zu  %-24s %-9s %-16s %14llu %10llu %11llu", i,
                nn_model_layer_name(m, (int)i), nn_op_name(nn_model_layer_op(m, (int)i)), shape,
                (unsigned long long)lp->cost.flops, (unsigned long long)lp->cost.params,
                (unsigned long long)lp->cost.output_bytes);
        if (runs_code(lp))
            fprintf(out, " %11.4e %11.4e %11.4e %8.2f", lp->median_s, lp->min_s, lp->max_s,
                    lp->gflops);
        else
            fprintf(out, " %11s %11s %11s %8s", "(alias)", "-", "-", "-");
        if (eff && !isnan(eff[i]))
            fprintf(out, " %5.1f%%%s", 100.0 * eff[i], is_depthwise(m, (int)i) ? " dw" : "");
        fputc('\n', out);
    }
}

static void print_csv(FILE *out, const struct nn_model *m, const struct nn_profile *p,
                      const double *eff)
{
    char shape[64];
    size_t i;

    fprintf(out, "layer_index,layer_name,layer_type,output_shape,flops,params,out_bytes,"
                 "latency_s,latency_min_s,latency_max_s,gflops%s\n",
            eff ? ",efficiency" : "");
    for (i = 0; i < p->n_layers; i++) {
        const struct nn_layer_profile *lp = &p->layers[i];
        const struct nn_shape s = nn_model_shape(m, (int)i);

        format_shape(&s, shape, sizeof(shape));
        fprintf(out, "%zu,%s,%s,%s,%llu,%llu,%llu,%.9g,%.9g,%.9g,%.6g", i,
                nn_model_layer_name(m, (int)i), nn_op_name(nn_model_layer_op(m, (int)i)), shape,
                (unsigned long long)lp->cost.flops, (unsigned long long)lp->cost.params,
                (unsigned long long)lp->cost.output_bytes, lp->median_s, lp->min_s, lp->max_s,
                lp->gflops);
        if (eff && !isnan(eff[i]))
            fprintf(out, ",%.4f", eff[i]);
        else if (eff)
            fputc(',', out);
        fputc('\n', out);
    }
}

/* The range of the efficiencies of GEMM layers (depthwise convs apart). */
static void print_efficiency_range(FILE *out, const struct nn_model *m, const struct nn_profile *p,
                                   const double *eff)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t i, n = 0, n_goal = 0;

    for (i = 0; i < p->n_layers; i++) {
        if (isnan(eff[i]) || is_depthwise(m, (int)i))
            continue;
        lo = fmin(lo, eff[i]);
        hi = fmax(hi, eff[i]);
        n++;
        n_goal += eff[i] >= EFFICIENCY_GOAL;
    }
    if (n == 0) {
        fprintf(out, "efficiency: no conv2d / fc layer runs a GEMM\n");
        return;
    }
    fprintf(out,
            "efficiency (achieved / cblas_sgemm on the same GEMM shape, %d thread%s): "
            "%.1f %% .. %.1f %% over %zu conv2d/fc layers, %zu at >= %.0f %% "
            "(depthwise convs, marked dw, run a direct kernel and are left out)\n",
            p->threads, p->threads == 1 ? "" : "s", 100.0 * lo, 100.0 * hi, n, n_goal,
            100.0 * EFFICIENCY_GOAL);
}

static void print_energy(FILE *out, const struct nn_energy_reading *before,
                         const struct nn_energy_reading *after, size_t passes,
                         const struct nn_layer_profile *total)
{
    double j;

    if (before->source != NN_ENERGY_COUNTERS || after->source != NN_ENERGY_COUNTERS ||
        before->n_domains != after->n_domains) {
        fprintf(out, "energy: not measurable here (no powercap/RAPL counters); use declared "
                     "power x time\n");
        return;
    }
    j = nn_energy_delta_j(before, after);
    fprintf(out,
            "energy: RAPL package counters (%u domain%s): %.6g J over %zu passes, "
            "%.6g J per inference (%.4g W average while profiling)\n",
            after->n_domains, after->n_domains == 1 ? "" : "s", j, passes, j / (double)passes,
            total->median_s > 0.0 ? j / (double)passes / total->median_s : 0.0);
}

/* This host's CPU model: the first "model name" line of cpuinfo (x86), or
 * failing that its "Hardware" or "Processor" line (ARM), into buf;
 * "unknown" when the file or the line is missing. */
static void read_cpu_model(const char *cpuinfo, char *buf, size_t size)
{
    static const char *const fields[] = {"model name", "Hardware", "Processor"};
    char line[256], found[ARRAY_LEN(fields)][256] = {{0}};
    FILE *f = fopen(cpuinfo, "r");

    snprintf(buf, size, "unknown");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':'), *v, *end;

        if (!colon)
            continue;
        for (size_t k = 0; k < ARRAY_LEN(fields); k++) {
            const size_t n = strlen(fields[k]);

            if (found[k][0] || strncmp(line, fields[k], n) != 0 ||
                strspn(line + n, " \t") != (size_t)(colon - line - (ptrdiff_t)n))
                continue;
            for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
                ;
            end = v + strlen(v);
            while (end > v && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                *--end = '\0';
            snprintf(found[k], sizeof(found[k]), "%s", v);
        }
    }
    fclose(f);
    for (size_t k = 0; k < ARRAY_LEN(fields); k++)
        if (found[k][0]) {
            const size_t n = strnlen(found[k], size - 1);

            memcpy(buf, found[k], n);
            buf[n] = '\0';
            return;
        }
}

/* The profile's rows, under the host key of this CPU, the kernels that ran
 * and the threads, replacing what FILE held for that key and model. */
static int record_profile(const struct profile_options *o, const char *model,
                          const struct nn_model *m, const struct nn_profile *p, char *key,
                          size_t key_size)
{
    struct db_profile_host host;
    struct db_profile_row *rows;
    char cpu_model[256];
    struct core_err e;
    struct db *db;
    size_t i;
    int code = 0;

    read_cpu_model("/proc/cpuinfo", cpu_model, sizeof(cpu_model));
    db_profile_host_key(cpu_model, p->blas.corename, p->threads, key, key_size);
    host.key = key;
    host.cpu_model = cpu_model;
    host.blas_coretype = p->blas.coretype_env;
    host.blas_corename = p->blas.corename;
    host.blas_cpu_family = p->blas.cpu_family ? p->blas.cpu_family : "";
    host.blas_config = p->blas.config;

    core_err_clear(&e);
    rows = core_calloc(p->n_layers + 1, sizeof(*rows));
    if (!rows) {
        fprintf(stderr, "coinfer profile: out of memory\n");
        return 1;
    }
    for (i = 0; i <= p->n_layers; i++) {
        const struct nn_layer_profile *lp = i < p->n_layers ? &p->layers[i] : &p->total;
        struct db_profile_row *r = &rows[i];

        r->model = model;
        r->layer_index = i < p->n_layers ? (int)i : -1;
        r->layer_name = i < p->n_layers ? nn_model_layer_name(m, (int)i) : "total";
        r->layer_type = i < p->n_layers ? nn_op_name(nn_model_layer_op(m, (int)i)) : "total";
        r->resource = RESOURCE_NAME;
        r->threads = p->threads;
        r->flops = lp->cost.flops;
        r->params = lp->cost.params;
        r->out_bytes = lp->cost.output_bytes;
        r->latency_s = lp->median_s;
        r->reps = p->reps;
        r->latency_min_s = lp->min_s;
        r->latency_max_s = lp->max_s;
        r->host = &host;
    }
    db = db_open(o->db, &e);
    if (!db || db_replace_profile(db, rows, p->n_layers + 1, &e) != CORE_OK)
        code = cli_fail(&e);
    db_close(db);
    core_free(rows);
    return code;
}

/* The OpenBLAS kernels a profile ran on, one line on out; a warning on
 * stderr when OPENBLAS_CORETYPE forces a family older than the CPU's. */
static void print_blas(FILE *out, const struct nn_blas_info *b)
{
    fprintf(out, "OpenBLAS kernels: %s (OPENBLAS_CORETYPE=%s; this CPU runs up to %s's); %s\n",
            b->corename, b->coretype_env[0] ? b->coretype_env : "(unset)", b->cpu_family,
            b->config);
    if (b->forced_older)
        fprintf(stderr,
                "coinfer profile: warning: OPENBLAS_CORETYPE=%s forces OpenBLAS kernels older "
                "than this CPU's (%s): the profile is slower than the host can run; unset it "
                "to profile the host's best\n",
                b->coretype_env, b->cpu_family);
}

static int profile_one(const struct profile_options *o, const char *arg)
{
    struct nn_energy_reading before, after;
    struct nn_profile *p = NULL;
    struct nn_model *m = NULL;
    struct core_err e;
    double *eff = NULL;
    char name[CORE_KNOB_STRING_MAX];
    FILE *info = o->csv ? stderr : stdout; /* where the lines around the table go */
    int code;

    core_err_clear(&e);
    code = load_model(arg, &m, name, sizeof(name));
    if (code != 0)
        return code;
    nn_energy_read(NULL, &before);
    if (nn_profile_run(m, o->threads, WARMUP_PASSES, o->reps, &p, &e) != CORE_OK) {
        code = cli_fail(&e);
        goto out;
    }
    nn_energy_read(NULL, &after);
    if (o->verbose) {
        eff = core_calloc(p->n_layers ? p->n_layers : 1, sizeof(*eff));
        if (!eff) {
            fprintf(stderr, "coinfer profile: out of memory\n");
            code = 1;
            goto out;
        }
        if (measure_efficiency(p, eff, &e) != CORE_OK) {
            code = cli_fail(&e);
            goto out;
        }
    }
    if (!o->quiet) {
        fprintf(info,
                "profile of %s on %s: %zu layers, %d thread%s, median of %zu runs after %d "
                "warm-up pass (batch norms folded, activations fused)\n",
                name, RESOURCE_NAME, p->n_layers, p->threads, p->threads == 1 ? "" : "s", p->reps,
                WARMUP_PASSES);
        if (o->csv)
            print_csv(stdout, m, p, eff);
        else
            print_table(stdout, m, p, eff);
        fprintf(info,
                "whole model: median %.6g s, min %.6g s, max %.6g s, %.2f GFLOP/s, "
                "%llu FLOPs, %llu params, output %llu bytes\n",
                p->total.median_s, p->total.min_s, p->total.max_s, p->total.gflops,
                (unsigned long long)p->total.cost.flops,
                (unsigned long long)p->total.cost.params,
                (unsigned long long)p->total.cost.output_bytes);
        if (eff)
            print_efficiency_range(info, m, p, eff);
        print_energy(info, &before, &after, WARMUP_PASSES + 2 * p->reps, &p->total);
        print_blas(info, &p->blas);
    } else if (p->blas.forced_older) {
        print_blas(stderr, &p->blas);
    }
    if (o->db) {
        char key[CORE_KNOB_STRING_MAX];

        code = record_profile(o, name, m, p, key, sizeof(key));
        if (code != 0)
            goto out;
        if (!o->quiet)
            fprintf(info,
                    "recorded %zu rows in the profiles table of %s under host key %s, "
                    "replacing any earlier profile of %s under that key (a scenario "
                    "resource reads them as profile=\"%s#%s\")\n",
                    p->n_layers + 1, o->db, key, name, o->db, key);
    }
    fprintf(o->quiet ? stdout : info, "total latency_s=%.9g flops=%llu params=%llu\n",
            p->total.median_s, (unsigned long long)p->total.cost.flops,
            (unsigned long long)p->total.cost.params);
out:
    core_free(eff);
    nn_profile_destroy(p);
    nn_model_destroy(m);
    return code;
}

static void print_check(const char *name, const struct compute_cpmm_check_result *r)
{
    if (r->n_counted == 0) {
        printf("  %-12s layers   0  (none at or above the floor)\n", name);
        return;
    }
    printf("  %-12s layers %3zu  within +-10 %% %3zu (%5.1f %%)  median |error| %6.1f %%"
           "  unpriced %zu\n",
           name, r->n_counted, r->n_within, 100.0 * r->share_within, 100.0 * r->median_rel_error,
           r->n_unpriced);
}

/* --verbose: every counted layer the check missed by more than +-10 %, with
 * its type and the prediction made while its model was held out. */
static void print_misses(const struct compute_cpmm_check_model *models, size_t n_models,
                         char **const *names)
{
    printf("layers outside +-10 %% (model, index, name, type, measured, predicted, error):\n");
    for (size_t z = 0; z < n_models; z++)
        for (size_t i = 0; i < models[z].n_layers; i++) {
            const double t_s = models[z].latency_s[i], p_s = models[z].predicted_s[i];

            if (isnan(p_s) || fabs(p_s - t_s) <= CHECK_TOL * t_s)
                continue;
            printf("  %-16s %4zu %-28s %-11s %10.1f us %10.1f us %+7.1f %%\n", models[z].name, i,
                   names[z][i], compute_layer_type_name(models[z].layers[i].type), t_s * 1e6,
                   p_s * 1e6, 100.0 * (p_s - t_s) / t_s);
        }
}


static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The median of measured over predicted among the counted layers of type
 * ty (scratch r holds every layer), NAN when none; *n gets their count. */
static double type_median_ratio(const struct compute_cpmm_check_model *models, size_t n_models,
                                int ty, double *r, size_t *n)
{
    *n = 0;
    for (size_t z = 0; z < n_models; z++)
        for (size_t i = 0; i < models[z].n_layers; i++) {
            const double p_s = models[z].predicted_s[i];

            if ((int)models[z].layers[i].type == ty && isfinite(p_s) && p_s > 0)
                r[(*n)++] = models[z].latency_s[i] / p_s;
        }
    if (*n == 0)
        return NAN;
    qsort(r, *n, sizeof(*r), cmp_double);
    return *n % 2 ? r[*n / 2] : (r[*n / 2 - 1] + r[*n / 2]) / 2;
}

/* --verbose: per layer type, the median of measured over predicted among
 * the counted layers (each predicted with its model held out), then the
 * same as a bias-by-type value for a scenario's resources (the truth over
 * the CPMM's prediction; README, "The learning agent"). */
static void print_type_bias(const struct compute_cpmm_check_model *models, size_t n_models)
{
    size_t total = 0, n;
    double *r;
    bool any = false;

    for (size_t z = 0; z < n_models; z++)
        total += models[z].n_layers;
    r = core_malloc((total ? total : 1) * sizeof(*r));
    if (!r)
        return;
    printf("measured over predicted by layer type (type, layers, median):\n");
    for (int ty = 0; ty < COMPUTE_LAYER_TYPE_COUNT; ty++) {
        const double m = type_median_ratio(models, n_models, ty, r, &n);

        if (n)
            printf("  %-11s %4zu %7.3f\n", compute_layer_type_name((enum compute_layer_type)ty),
                   n, m);
    }
    printf("bias-by-type=\"");
    for (int ty = 0; ty < COMPUTE_LAYER_TYPE_COUNT; ty++) {
        const double m = type_median_ratio(models, n_models, ty, r, &n);

        if (n) {
            printf("%s%s=%.3f", any ? " " : "",
                   compute_layer_type_name((enum compute_layer_type)ty), m);
            any = true;
        }
    }
    printf("\"\n");
    core_free(r);
}

/* Timings recorded by --save-timings, read by --timings: per model (a zoo
 * name, each once, its rows together), the fastest run of each layer. */
struct timings {
    size_t n_models;                            /* models in the file */
    enum nn_zoo_model model[NN_ZOO_COUNT];      /* which, in file order */
    double *latency_s[NN_ZOO_COUNT];            /* [layers], s (owned) */
    size_t n_layers[NN_ZOO_COUNT];              /* rows of each */
};

static void timings_fini(struct timings *t)
{
    for (size_t j = 0; j < t->n_models; j++)
        core_free(t->latency_s[j]);
    memset(t, 0, sizeof(*t));
}

/* Read path into *t. Returns an exit code (2: FILE:LINE on stderr). */
static int timings_read(const char *path, struct timings *t)
{
    char line[256], name[64];
    long lineno = 0;
    int code = 0;
    struct core_err e;
    FILE *f;

    memset(t, 0, sizeof(*t));
    core_err_clear(&e);
    if (core_file_open(path, "timings file", CORE_FILE_MAX_TABLE, &f, NULL, &e) != CORE_OK) {
        fprintf(stderr, "coinfer profile: %s\n", e.msg);
        return core_rc_exit_code(e.rc);
    }
    while (code == 0 && fgets(line, sizeof(line), f)) {
        enum nn_zoo_model z;
        unsigned long index;
        double lat;
        size_t j;
        char tail;

        lineno++;
        if (lineno == 1 && strncmp(line, "model,", 6) == 0)
            continue;
        if (sscanf(line, "%63[^,],%lu,%lf%c", name, &index, &lat, &tail) != 4 || tail != '\n' ||
            !(lat >= 0) || !isfinite(lat)) {
            fprintf(stderr, "coinfer profile: %s:%ld: expected 'model,layer_index,latency_s' "
                            "with a latency >= 0\n", path, lineno);
            code = 2;
            break;
        }
        if (!nn_zoo_find(name, &z)) {
            fprintf(stderr, "coinfer profile: %s:%ld: '%s' is not a zoo model\n", path, lineno,
                    name);
            code = 2;
            break;
        }
        j = t->n_models;
        if (j == 0 || t->model[j - 1] != z) {
            for (size_t k = 0; k < j; k++)
                if (t->model[k] == z) {
                    fprintf(stderr, "coinfer profile: %s:%ld: the rows of '%s' are not "
                                    "together\n", path, lineno, name);
                    code = 2;
                }
            if (code != 0)
                break;
            t->model[j] = z;
            t->n_models++;
        } else {
            j--;
        }
        if (index != t->n_layers[j]) {
            fprintf(stderr, "coinfer profile: %s:%ld: layer %lu of '%s' where layer %zu comes "
                            "next\n", path, lineno, index, name, t->n_layers[j]);
            code = 2;
            break;
        }
        double *grown = core_realloc(t->latency_s[j], (index + 1) * sizeof(double));
        if (!grown) {
            fprintf(stderr, "coinfer profile: out of memory\n");
            code = 1;
            break;
        }
        t->latency_s[j] = grown;
        t->latency_s[j][t->n_layers[j]++] = lat;
    }
    fclose(f);
    if (code == 0 && t->n_models < 2) {
        fprintf(stderr, "coinfer profile: %s: the check needs the timings of at least two "
                        "models\n", path);
        code = 2;
    }
    if (code != 0)
        timings_fini(t);
    return code;
}

/* The CPMM cross-model check on the zoo (profiled on one thread, or the
 * timings of o->timings). */
static int cpmm_check(const struct profile_options *o)
{
    struct compute_layer_desc *desc[NN_ZOO_COUNT] = {0};
    double *lat[NN_ZOO_COUNT] = {0}, *pred[NN_ZOO_COUNT] = {0};
    char **lname[NN_ZOO_COUNT] = {0};
    struct compute_cpmm_check_model models[NN_ZOO_COUNT];
    struct compute_cpmm_check_result per[NN_ZOO_COUNT], all;
    struct timings rec = {0};
    FILE *save = NULL;
    struct core_err e;
    size_t n_models = NN_ZOO_COUNT, z, i;
    int code = 0;

    core_err_clear(&e);
    memset(models, 0, sizeof(models));
    if (o->timings) {
        code = timings_read(o->timings, &rec);
        if (code != 0)
            return code;
        n_models = rec.n_models;
        printf("CPMM cross-model check on the timings of %s (batch norms folded, activations "
               "fused; layers >= %.0f us counted):\n", o->timings, CHECK_FLOOR_S * 1e6);
    } else {
        printf("CPMM cross-model check on %s, 1 thread, fastest of %zu runs per layer "
               "(batch norms folded, activations fused; layers >= %.0f us counted):\n",
               RESOURCE_NAME, o->reps, CHECK_FLOOR_S * 1e6);
    }
    if (o->save_timings) {
        save = fopen(o->save_timings, "w");
        if (!save) {
            fprintf(stderr, "coinfer profile: %s: cannot write: %s\n", o->save_timings,
                    strerror(errno));
            timings_fini(&rec);
            return 1;
        }
        fprintf(save, "model,layer_index,latency_s\n");
    }
    for (z = 0; z < n_models && code == 0; z++) {
        enum nn_zoo_model zm = o->timings ? rec.model[z] : (enum nn_zoo_model)z;
        struct nn_profile *p = NULL;
        struct nn_model *m = NULL;
        char name[CORE_KNOB_STRING_MAX];
        size_t n;

        code = load_model(nn_zoo_name(zm), &m, name, sizeof(name));
        if (code != 0)
            break;
        n = nn_model_n_layers(m);
        if (o->timings && rec.n_layers[z] != n) {
            fprintf(stderr, "coinfer profile: %s: '%s' has %zu layers, the file times %zu\n",
                    o->timings, name, n, rec.n_layers[z]);
            code = 2;
        } else if (!o->timings && nn_profile_run(m, 1, WARMUP_PASSES, o->reps, &p, &e) != CORE_OK) {
            code = cli_fail(&e);
        }
        if (code == 0) {
            desc[z] = core_calloc(n ? n : 1, sizeof(*desc[z]));
            lat[z] = core_calloc(n ? n : 1, sizeof(*lat[z]));
            pred[z] = core_calloc(n ? n : 1, sizeof(*pred[z]));
            lname[z] = core_calloc(n ? n : 1, sizeof(*lname[z]));
            if (!desc[z] || !lat[z] || !pred[z] || !lname[z]) {
                fprintf(stderr, "coinfer profile: out of memory\n");
                code = 1;
            }
        }
        for (i = 0; code == 0 && i < n; i++) {
            struct nn_layer_profile lp = {0};

            if (p) {
                lp = p->layers[i];
            } else {
                nn_model_layer_cost(m, (int)i, &lp.cost);
                nn_model_layer_gemm(m, (int)i, &lp.gemm);
            }
            if (proto_layer_desc(m, (int)i, &lp, &desc[z][i], &e) != CORE_OK)
                code = cli_fail(&e);
            lat[z][i] = p ? p->layers[i].min_s : rec.latency_s[z][i];
            lname[z][i] = core_strdup(nn_model_layer_name(m, (int)i));
            if (!lname[z][i]) {
                fprintf(stderr, "coinfer profile: out of memory\n");
                code = 1;
            }
            if (save)
                fprintf(save, "%s,%zu,%.17g\n", name, i, lat[z][i]);
        }
        models[z].name = nn_zoo_name(zm);
        models[z].layers = desc[z];
        models[z].latency_s = lat[z];
        models[z].n_layers = n;
        models[z].predicted_s = pred[z];
        if (p && z == 0 && (!o->quiet || p->blas.forced_older))
            print_blas(o->quiet ? stderr : stdout, &p->blas);
        if (p && !o->quiet)
            printf("  profiled %-12s %3zu layers, whole pass %.6g s\n", name, n,
                   p->total.median_s);
        nn_profile_destroy(p);
        nn_model_destroy(m);
    }
    if (save && fclose(save) != 0 && code == 0) {
        fprintf(stderr, "coinfer profile: %s: cannot write: %s\n", o->save_timings,
                strerror(errno));
        code = 1;
    }
    if (code == 0) {
        if (compute_cpmm_check(models, n_models, CHECK_TOL, CHECK_FLOOR_S, per, &all, &e) !=
            CORE_OK) {
            code = cli_fail(&e);
        } else {
            for (z = 0; z < n_models; z++)
                print_check(models[z].name, &per[z]);
            print_check("overall", &all);
            if (o->verbose) {
                print_misses(models, n_models, lname);
                print_type_bias(models, n_models);
            }
            if (all.n_unpriced > 0)
                printf("  unpriced: layers of a type only the held-out model has (no fit of the "
                       "others prices it), so at most %.1f %% can be within +-10 %%\n",
                       100.0 * (double)(all.n_counted - all.n_unpriced) / (double)all.n_counted);
        }
    }
    for (z = 0; z < NN_ZOO_COUNT; z++) {
        for (i = 0; lname[z] && i < models[z].n_layers; i++)
            core_free(lname[z][i]);
        core_free(lname[z]);
        core_free(pred[z]);
        core_free(desc[z]);
        core_free(lat[z]);
    }
    timings_fini(&rec);
    return code;
}

int cli_profile(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"threads", required_argument, NULL, 't'}, {"reps", required_argument, NULL, 'r'},
        {"db", required_argument, NULL, 'd'},      {"csv", no_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},       {"quiet", no_argument, NULL, 'q'},
        {"cpmm-check", no_argument, NULL, 'k'},    {"help", no_argument, NULL, 'h'},
        {"save-timings", required_argument, NULL, 'S'},
        {"timings", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    struct profile_options o = {.threads = 1, .reps = DEFAULT_REPS};
    bool threads_given = false;
    uint64_t v;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:r:d:cvqh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!cli_threads_option("profile", optarg, &o.threads))
                return 2;
            threads_given = true;
            break;
        case 'r':
            if (!cli_whole_option("profile", "--reps", optarg, 1, 1000000, &v))
                return 2;
            o.reps = (size_t)v;
            break;
        case 'd':
            if (!cli_db_option("profile", optarg))
                return 2;
            o.db = optarg;
            break;
        case 'c':
            o.csv = true;
            break;
        case 'v':
            o.verbose = true;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'k':
            o.cpmm_check = true;
            break;
        case 'S':
            o.save_timings = optarg;
            break;
        case 'T':
            o.timings = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        case ':':
            fprintf(stderr, "coinfer profile: %s needs a value (see coinfer profile --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "coinfer profile: unknown option '%s' (see coinfer profile --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if ((o.timings || o.save_timings) && !o.cpmm_check) {
        fprintf(stderr, "coinfer profile: --timings and --save-timings go with --cpmm-check\n");
        return 2;
    }
    if (o.cpmm_check) {
        if (argc - optind != 0 || threads_given || o.db || o.csv ||
            (o.timings && o.save_timings)) {
            fprintf(stderr, "coinfer profile: --cpmm-check takes no MODEL and only --reps, "
                            "--quiet, --verbose and one of --save-timings and --timings (it profiles the "
                            "zoo on one thread)\n");
            return 2;
        }
        return cpmm_check(&o);
    }
    if (argc - optind != 1) {
        fprintf(stderr, "coinfer profile: give one MODEL (a model file or a zoo name; got %d; "
                        "see --help)\n",
                argc - optind);
        return 2;
    }
    return profile_one(&o, argv[optind]);
}
