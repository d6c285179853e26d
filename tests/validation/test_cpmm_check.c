/*
 * test_cpmm_check.c — the CPMM's cross-model check (what `coinfer profile
 * --cpmm-check` prints) as a known-answer test on recorded timings: nothing
 * here is timed, so the figures are the same on any machine and under any
 * load.
 *
 * The pipeline checked is the one `coinfer profile --cpmm-check --timings
 * FILE` runs: each zoo model the fixture names is built and finalized, its
 * batch norms folded and its activations fused (as every run of coinfer
 * executes models), its layers turned into CPMM descriptors from their costs
 * and GEMM shapes (proto_layer_desc); compute_cpmm_check then fits the
 * per-type regressions on all models but one and predicts every layer of the
 * one left out, in turn, on the fastest runs recorded. Layers under FLOOR_S
 * (20 us) are not counted; the fit uses the other models' layers from
 * FLOOR_S / 10 up; aliases (flatten, dropout, folded batch norms, fused
 * activations) were timed at 0 and are left out.
 *
 * Known answers. tests/data/cpmm/zoo-host-timings.csv holds the fastest of
 * 10 runs of every layer of the ten zoo models on one thread of this
 * project's host (AMD EPYC with AVX-512, OpenBLAS with the environment's
 * OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512), recorded with
 *
 *   nice -n 10 build/coinfer profile --cpmm-check \
 *       --save-timings tests/data/cpmm/zoo-host-timings.csv
 *
 * on a machine as quiet as could be found: the CPUs 4 % busy in the 10 s
 * before, the 1-minute load average falling from 2.61 to 2.25 over the 16 s
 * the recording took (about one runnable process on average: the recording;
 * the commit that recorded it says more). On it the check gave 52.4 % of
 * 395 layers within +-10 %, median |error| 8.9 %, what the live check
 * printed as it recorded them; with the depthwise kernel's features and the
 * fused activation's operations it gave 58.5 %, 7.5 %, and with the
 * depthwise kernel's fixed cost per call it gives 60.8 %, 7.0 %
 * (EfficientNet-B0 46.8 %, 12.9 %; VGG-16 lowest: 38.1 %, 11.7 %;
 * ResNet-18 highest: 75.9 %, 4.4 %). tests/data/cpmm/zoo-host-expected.txt holds,
 * per model and overall, the layers counted, within +-10 %, unpriced, and
 * the median |error| that the check gives on that file: written once by
 *
 *   build/tests/validation/test_cpmm_check --print-expected \
 *       >tests/data/cpmm/zoo-host-expected.txt
 *
 * and reviewed against the live figures (tests/bench/cpmm.bench.sh) and
 * against `coinfer profile --cpmm-check --timings` on the same file, which
 * tests/integration/test_profile.sh holds to the same figures. The
 * counts must match exactly and each median to 1e-9 relative (the same
 * arithmetic in every build; the margin is for another libm). A change to
 * the zoo's layers, the descriptors, the CPMM's regressions or the check
 * changes these figures: re-record the expected file with the command
 * above in the same commit, on purpose, and say why; re-record the timings
 * only to follow a change of the models' code or of the host (both
 * commands, in that order).
 *
 * The accuracy floor: on the fixture the check must also reach at least
 * MIN_SHARE_WITHIN of the layers within +-10 % and a median |error| of at
 * most MAX_MEDIAN_ERROR overall (what the live check had to reach under
 * load before it moved to `make bench`). Live accuracy on the machine at
 * hand, which other processes disturb, is the benchmark's
 * (tests/bench/cpmm.bench.sh, `make bench`), never a test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "compute/compute.h"
#include "proto/proto.h"
#include "nn/nn.h"

#define TIMINGS_PATH  "tests/data/cpmm/zoo-host-timings.csv"
#define EXPECTED_PATH "tests/data/cpmm/zoo-host-expected.txt"
#define MODEL_SEED    1     /* as coinfer profile builds zoo models */
#define FLOOR_S       20e-6 /* as coinfer profile --cpmm-check, s */
#define TOL           0.10  /* +-10 % */
#define MEDIAN_RTOL   1e-9  /* medians agree to this, relative */
#define MIN_SHARE_WITHIN 0.40
#define MAX_MEDIAN_ERROR 0.15

/* The fixture: per model (file order), its layers' descriptors and recorded
 * fastest runs. */
struct fixture {
    size_t n_models;                                /* models in the file */
    enum nn_zoo_model model[NN_ZOO_COUNT];          /* which, in file order */
    size_t n_layers[NN_ZOO_COUNT];                  /* rows of each */
    double *latency_s[NN_ZOO_COUNT];                /* [n_layers], s (owned) */
    struct compute_layer_desc *desc[NN_ZOO_COUNT];  /* [n_layers] (owned) */
};

/* The check's figures per fixture model, and overall. */
struct figures {
    struct compute_cpmm_check_result per[NN_ZOO_COUNT];
    struct compute_cpmm_check_result all;
};

/* The check on the fixture, computed once for every test (group setup). */
static struct fixture g_fx;
static struct figures g_fig;
static int g_rc = -1;      /* 0: g_fx and g_fig hold the check's figures */
static char g_why[512];    /* else why not */

static void fixture_fini(struct fixture *fx)
{
    for (size_t j = 0; j < NN_ZOO_COUNT; j++) {
        free(fx->latency_s[j]);
        free(fx->desc[j]);
    }
    memset(fx, 0, sizeof(*fx));
}

/* Read the timings at path into fx (latencies only). 0, or -1 with why[]. */
static int fixture_read(const char *path, struct fixture *fx, char *why, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[256], name[64], tail;
    unsigned long index;
    long lineno = 0;
    double lat;
    int rc = 0;

    memset(fx, 0, sizeof(*fx));
    if (!f) {
        snprintf(why, size, "%s: cannot open (run from the repository root)", path);
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        enum nn_zoo_model z;
        size_t j;
        double *grown;

        lineno++;
        if (lineno == 1 && strcmp(line, "model,layer_index,latency_s\n") == 0)
            continue;
        if (sscanf(line, "%63[^,],%lu,%lf%c", name, &index, &lat, &tail) != 4 || tail != '\n' ||
            !(lat >= 0.0) || !isfinite(lat) || !nn_zoo_find(name, &z)) {
            snprintf(why, size, "%s:%ld: not 'zoo-model,layer_index,latency_s'", path, lineno);
            rc = -1;
            break;
        }
        j = fx->n_models;
        if (j == 0 || fx->model[j - 1] != z) {
            for (size_t k = 0; k < j; k++)
                if (fx->model[k] == z)
                    rc = -1;
            if (rc != 0 || j == NN_ZOO_COUNT) {
                snprintf(why, size, "%s:%ld: the rows of '%s' are not together", path, lineno,
                         name);
                rc = -1;
                break;
            }
            fx->model[j] = z;
            fx->n_models++;
        } else {
            j--;
        }
        if (index != fx->n_layers[j]) {
            snprintf(why, size, "%s:%ld: layer %lu of '%s' where %zu comes next", path, lineno,
                     index, name, fx->n_layers[j]);
            rc = -1;
            break;
        }
        grown = realloc(fx->latency_s[j], (index + 1) * sizeof(double));
        if (!grown) {
            snprintf(why, size, "out of memory");
            rc = -1;
            break;
        }
        fx->latency_s[j] = grown;
        fx->latency_s[j][fx->n_layers[j]++] = lat;
    }
    fclose(f);
    if (rc == 0 && fx->n_models < 2) {
        snprintf(why, size, "%s: the check needs at least two models", path);
        rc = -1;
    }
    if (rc != 0)
        fixture_fini(fx);
    return rc;
}

/* Build each fixture model as coinfer profile does and describe its layers
 * for the CPMM. 0, or -1 with why[]. */
static int fixture_describe(struct fixture *fx, char *why, size_t size)
{
    struct core_err e = {0};

    for (size_t j = 0; j < fx->n_models; j++) {
        const char *name = nn_zoo_name(fx->model[j]);
        struct nn_model *m = NULL;
        size_t n, i;

        if (nn_zoo_build(fx->model[j], 1, &m, &e) != CORE_OK ||
            nn_model_finalize(m, MODEL_SEED, &e) != CORE_OK) {
            snprintf(why, size, "%s: %.300s", name, e.msg);
            nn_model_destroy(m);
            return -1;
        }
        nn_model_fold_batchnorm(m);
        nn_model_fuse_activations(m);
        n = nn_model_n_layers(m);
        if (n != fx->n_layers[j]) {
            snprintf(why, size,
                     "%s has %zu layers and the fixture times %zu: the zoo changed, re-record "
                     "the fixture (see this file's header)",
                     name, n, fx->n_layers[j]);
            nn_model_destroy(m);
            return -1;
        }
        fx->desc[j] = calloc(n ? n : 1, sizeof(*fx->desc[j]));
        if (!fx->desc[j]) {
            snprintf(why, size, "out of memory");
            nn_model_destroy(m);
            return -1;
        }
        for (i = 0; i < n; i++) {
            struct nn_layer_profile lp = {0};

            nn_model_layer_cost(m, (int)i, &lp.cost);
            nn_model_layer_gemm(m, (int)i, &lp.gemm);
            if (proto_layer_desc(m, (int)i, &lp, &fx->desc[j][i], &e) != CORE_OK) {
                snprintf(why, size, "%s layer %zu: %.300s", name, i, e.msg);
                nn_model_destroy(m);
                return -1;
            }
        }
        nn_model_destroy(m);
    }
    return 0;
}

/* Load and describe the fixture, run the check on it. 0, or -1 with why[]. */
static int fixture_check(struct fixture *fx, struct figures *fig, char *why, size_t size)
{
    struct compute_cpmm_check_model models[NN_ZOO_COUNT];
    struct core_err e = {0};

    if (fixture_read(TIMINGS_PATH, fx, why, size) != 0)
        return -1;
    if (fixture_describe(fx, why, size) != 0) {
        fixture_fini(fx);
        return -1;
    }
    for (size_t j = 0; j < fx->n_models; j++) {
        models[j].name = nn_zoo_name(fx->model[j]);
        models[j].layers = fx->desc[j];
        models[j].latency_s = fx->latency_s[j];
        models[j].n_layers = fx->n_layers[j];
        models[j].predicted_s = NULL;
    }
    if (compute_cpmm_check(models, fx->n_models, TOL, FLOOR_S, fig->per, &fig->all, &e) !=
        CORE_OK) {
        snprintf(why, size, "compute_cpmm_check: %.300s", e.msg);
        fixture_fini(fx);
        return -1;
    }
    return 0;
}

/* One line of the expected file: "name counted within unpriced median". */
static void print_figures(FILE *out, const char *name, const struct compute_cpmm_check_result *r)
{
    fprintf(out, "%-16s %4zu %4zu %4zu %.17g\n", name, r->n_counted, r->n_within, r->n_unpriced,
            r->median_rel_error);
}

/* The figures, as a reader checks them: share and median in percent. */
static void show_figures(const char *name, const struct compute_cpmm_check_result *r)
{
    printf("#   %-16s layers %3zu  within +-10 %% %3zu (%5.1f %%)  median |error| %5.1f %%"
           "  unpriced %zu\n",
           name, r->n_counted, r->n_within, 100.0 * r->share_within,
           100.0 * r->median_rel_error, r->n_unpriced);
}

/* Whether the recorded median want and the computed got agree. */
static bool median_agrees(double got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    return fabs(got - want) <= MEDIAN_RTOL * fmax(fabs(want), 1e-300);
}

/* Compare r with the expected line of name; print what differs. 0 if equal. */
static int expect_figures(FILE *exp, long *lineno, const char *name,
                          const struct compute_cpmm_check_result *r)
{
    char line[256], got_name[64];
    size_t counted, within, unpriced;
    double median;

    for (;;) {
        if (!fgets(line, sizeof(line), exp)) {
            print_error("%s: ends before the line of '%s'\n", EXPECTED_PATH, name);
            return -1;
        }
        (*lineno)++;
        if (line[0] != '#' && line[0] != '\n')
            break;
    }
    if (sscanf(line, "%63s %zu %zu %zu %lf", got_name, &counted, &within, &unpriced, &median) !=
        5) {
        print_error("%s:%ld: not 'name counted within unpriced median'\n", EXPECTED_PATH,
                    *lineno);
        return -1;
    }
    if (strcmp(got_name, name) != 0) {
        print_error("%s:%ld: '%s' where the fixture has '%s'\n", EXPECTED_PATH, *lineno,
                    got_name, name);
        return -1;
    }
    if (counted != r->n_counted || within != r->n_within || unpriced != r->n_unpriced ||
        !median_agrees(r->median_rel_error, median)) {
        print_error("%s: counted %zu, within %zu, unpriced %zu, median |error| %.17g; "
                    "expected (%s:%ld) %zu, %zu, %zu, %.17g\n",
                    name, r->n_counted, r->n_within, r->n_unpriced, r->median_rel_error,
                    EXPECTED_PATH, *lineno, counted, within, unpriced, median);
        return -1;
    }
    return 0;
}

/* The fixture could be read and checked, or the test fails saying why. */
static void require_fixture(void)
{
    if (g_rc != 0) {
        print_error("%s\n", g_why);
        fail();
    }
}

static void test_check_on_the_fixture_gives_the_recorded_figures(void **state)
{
    FILE *exp;
    long lineno = 0;
    int bad = 0;

    (void)state;
    require_fixture();
    printf("# CPMM cross-model check on %s (layers >= %.0f us):\n", TIMINGS_PATH,
           FLOOR_S * 1e6);
    for (size_t j = 0; j < g_fx.n_models; j++)
        show_figures(nn_zoo_name(g_fx.model[j]), &g_fig.per[j]);
    show_figures("overall", &g_fig.all);
    exp = fopen(EXPECTED_PATH, "r");
    if (!exp) {
        print_error("%s: cannot open (run from the repository root)\n", EXPECTED_PATH);
        fail();
    }
    for (size_t j = 0; j < g_fx.n_models; j++)
        bad |= expect_figures(exp, &lineno, nn_zoo_name(g_fx.model[j]), &g_fig.per[j]);
    bad |= expect_figures(exp, &lineno, "overall", &g_fig.all);
    fclose(exp);
    if (bad) {
        print_error("the check's figures on the fixture changed: if on purpose, re-record %s "
                    "(see the header of tests/validation/test_cpmm_check.c)\n",
                    EXPECTED_PATH);
        fail();
    }
}

static void test_check_on_the_fixture_meets_the_accuracy_floor(void **state)
{
    const struct compute_cpmm_check_result *all = &g_fig.all;

    (void)state;
    require_fixture();
    assert_true(all->n_counted > 100);
    if (!(all->share_within >= MIN_SHARE_WITHIN) || !(all->median_rel_error <= MAX_MEDIAN_ERROR)) {
        print_error("within +-10 %%: %.3f (floor %.2f), median |error| %.3f (ceiling %.2f)\n",
                    all->share_within, MIN_SHARE_WITHIN, all->median_rel_error,
                    MAX_MEDIAN_ERROR);
        fail();
    }
}

static int group_setup(void **state)
{
    (void)state;
    g_rc = fixture_check(&g_fx, &g_fig, g_why, sizeof(g_why));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_rc == 0)
        fixture_fini(&g_fx);
    return 0;
}

/* --print-expected: the expected file's content for the fixture, on stdout. */
static int print_expected(void)
{
    struct fixture fx;
    struct figures fig;
    char why[512] = "";

    if (fixture_check(&fx, &fig, why, sizeof(why)) != 0) {
        fprintf(stderr, "test_cpmm_check: %s\n", why);
        return 1;
    }
    printf("# The CPMM cross-model check on %s:\n"
           "# leave one model out, layers >= %.0f us counted, within +-%.0f %%.\n"
           "# Expected by tests/validation/test_cpmm_check.c; written by\n"
           "#   build/tests/validation/test_cpmm_check --print-expected\n"
           "# model, layers counted, within +-10 %%, unpriced, median |error| (relative)\n",
           TIMINGS_PATH, FLOOR_S * 1e6, TOL * 100.0);
    for (size_t j = 0; j < fx.n_models; j++)
        print_figures(stdout, nn_zoo_name(fx.model[j]), &fig.per[j]);
    print_figures(stdout, "overall", &fig.all);
    fixture_fini(&fx);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        TEST(test_check_on_the_fixture_gives_the_recorded_figures),
        TEST(test_check_on_the_fixture_meets_the_accuracy_floor),
    };

    core_init();
    if (argc == 2 && strcmp(argv[1], "--print-expected") == 0)
        return print_expected();
    if (argc != 1) {
        fprintf(stderr, "usage: test_cpmm_check [--print-expected]\n");
        return 2;
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
