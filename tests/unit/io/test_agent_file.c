/*
 * test_agent_file.c — the agent file (sim/io/agent_file.c): an agent read
 * back decides exactly as the one written (its standard errors per head and
 * pessimism too); two trainings with one seed
 * write identical bytes (another seed other bytes); a truncated, corrupted
 * (checksum), foreign, wrong-version or over-long file, and one whose
 * records are out of range under a valid checksum, are each a clear
 * "PATH:0: ..." CORE_E_INPUT; a missing file names its path; the magic is
 * recognised; a file cut after any byte, under a valid checksum, is bad input;
 * reading and writing fail cleanly at every allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentutil.h"
#include "testutil.h"

#include "io/io.h"
#include "policy/policy.h"

static struct core_err err;

#define N_STATE 3
#define N_SAMPLES 400

/* Problem 0 (a DAG) and problem 1 (a chain), samples of random plans
 * costed by the problem under random states. */
struct fixture {
    struct compute_problem p[2];
    struct compute_state st[N_SAMPLES];
    float feat[N_SAMPLES][N_STATE];
    struct policy_sample samples[N_SAMPLES];
    struct policy_agent_problem pr[2];
    char dir[64];
};

static void features(const struct compute_state *st, float *f)
{
    f[0] = (float)log(st->ul_rate_bps);
    f[1] = (float)st->wait_s[COMPUTE_SIDE_EDGE][0];
    f[2] = (float)st->w_energy;
}

static void fixture_make(struct fixture *x)
{
    struct core_rng *r = core_rng_create(17, 0, CORE_RNG_BENCH);
    struct policy_solver *rnd[2];
    size_t k;
    int i;

    for (i = 0; i < 2; i++) {
        assert_core_rc(agentutil_problem(&x->p[i], r, 5, i == 0, 2, 2, 0.1, &err), CORE_OK);
        rnd[i] = policy_solver_create(POLICY_RANDOM, &x->p[i], &err);
        assert_non_null(rnd[i]);
        x->pr[i].problem = &x->p[i];
        x->pr[i].n_state = N_STATE;
        x->pr[i].model = i ? "chain" : "dag";
        x->pr[i].device = "phone";
    }
    for (k = 0; k < N_SAMPLES; k++) {
        struct policy_sample *sm = &x->samples[k];
        struct compute_plan_cost c;

        sm->problem = (uint32_t)(k % 2);
        agentutil_state(&x->st[k], r, &x->p[sm->problem], 1, 0);
        assert_core_rc(policy_decide(rnd[sm->problem], &x->st[k], r, &sm->plan, &err), CORE_OK);
        compute_plan_cost(&x->p[sm->problem], &x->st[k], &sm->plan, &c);
        sm->cost = c.objective;
        features(&x->st[k], x->feat[k]);
        sm->state = x->feat[k];
        sm->st = &x->st[k];
    }
    for (i = 0; i < 2; i++)
        policy_solver_destroy(rnd[i]);
    core_rng_destroy(r);
    snprintf(x->dir, sizeof(x->dir), "/tmp/coinfer-agent-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
}

static void fixture_free(struct fixture *x)
{
    char cmd[128];

    compute_problem_fini(&x->p[0]);
    compute_problem_fini(&x->p[1]);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    assert_int_equal(system(cmd), 0);
}

static struct policy_agent *train(struct fixture *x, uint64_t seed)
{
    const struct policy_train_config cfg = {
        .seed = seed, .steps = 60, .batch = 16, .learning_rate = 3e-3, .hidden = 16,
        .depth = 2, .conservative = 0.05, .holdout = 0.1, .threads = 1,
        .prior = POLICY_PRIOR_MODEL, .best_heldout = true, .shrink = 0.1};
    struct policy_agent *a = NULL;

    assert_core_rc(policy_agent_train(x->pr, 2, x->samples, N_SAMPLES, &cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_OK);
    return a;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long len;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = test_malloc((size_t)len + 1);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void test_read_back_agent_decides_as_the_written_one(void **state)
{
    struct fixture *x = test_malloc(sizeof(*x));
    struct policy_agent *a, *b = NULL;
    char path[128];
    size_t k;
    int i;

    fixture_make(x);
    a = train(x, 3);
    assert_core_rc(policy_agent_set_pessimism(a, 1.5, &err), CORE_OK);
    snprintf(path, sizeof(path), "%s/a.agent", x->dir);
    assert_core_rc(io_agent_write(a, path, &err), CORE_OK);
    assert_true(io_file_is_agent(path));
    assert_core_rc(io_agent_validate(path, &err), CORE_OK);
    assert_core_rc(io_agent_read(path, &b, &err), CORE_OK);
    assert_int_equal(policy_agent_n_problems(b), 2);
    assert_int_equal(policy_agent_find(b, "chain", "phone"), 1);
    {
        const struct policy_train_config *ca = &policy_agent_image(a)->config;
        const struct policy_train_config *cb = &policy_agent_image(b)->config;

        assert_true(ca->seed == cb->seed && ca->steps == cb->steps && ca->batch == cb->batch &&
                    ca->learning_rate == cb->learning_rate && ca->hidden == cb->hidden &&
                    ca->depth == cb->depth && ca->conservative == cb->conservative &&
                    ca->holdout == cb->holdout && ca->threads == cb->threads);
        assert_true(ca->prior == POLICY_PRIOR_MODEL && cb->prior == ca->prior &&
                    cb->best_heldout == ca->best_heldout && cb->imitate == ca->imitate &&
                    cb->shrink == ca->shrink);
        for (size_t q = 0; q < 2; q++) {
            const struct policy_agent_part *pa = &policy_agent_image(a)->parts[q];

            assert_true(policy_agent_image(b)->parts[q].prior_shift == pa->prior_shift);
            assert_int_equal(memcmp(policy_agent_image(b)->parts[q].head_se, pa->head_se,
                                    policy_agent_heads(&pa->sig) * sizeof(float)),
                             0);
        }
        assert_true(cb->pessimism == 1.5);
    }
    for (i = 0; i < 2; i++)
        assert_core_rc(policy_agent_bind(b, (size_t)i, &x->p[i], N_STATE, &err), CORE_OK);
    for (k = 0; k < N_SAMPLES; k++) {
        struct compute_plan pa, pb;
        uint32_t pi = x->samples[k].problem;

        assert_core_rc(policy_agent_decide(a, pi, x->feat[k], &x->st[k], &pa, &err), CORE_OK);
        assert_core_rc(policy_agent_decide(b, pi, x->feat[k], &x->st[k], &pb, &err), CORE_OK);
        assert_true(compute_plan_equal(&pa, &pb));
    }
    policy_agent_destroy(a);
    policy_agent_destroy(b);
    fixture_free(x);
    test_free(x);
}

static void test_training_twice_with_one_seed_writes_identical_bytes(void **state)
{
    struct fixture *x = test_malloc(sizeof(*x));
    struct policy_agent *a;
    char path[3][128];
    unsigned char *b[3];
    size_t n[3];
    int i;

    fixture_make(x);
    for (i = 0; i < 3; i++) {
        a = train(x, i < 2 ? 9 : 10);
        snprintf(path[i], sizeof(path[i]), "%s/%d.agent", x->dir, i);
        assert_core_rc(io_agent_write(a, path[i], &err), CORE_OK);
        policy_agent_destroy(a);
        b[i] = slurp(path[i], &n[i]);
    }
    assert_int_equal(n[0], n[1]);
    assert_int_equal(memcmp(b[0], b[1], n[0]), 0);
    assert_int_equal(n[0], n[2]);
    assert_int_not_equal(memcmp(b[0], b[2], n[0]), 0);
    for (i = 0; i < 3; i++)
        test_free(b[i]);
    fixture_free(x);
    test_free(x);
}

/* Reading path fails with CORE_E_INPUT, "path:0: " and what. */
static void assert_bad(const char *path, const char *what)
{
    struct policy_agent *a = NULL;
    char want[256];

    assert_core_rc(io_agent_read(path, &a, &err), CORE_E_INPUT);
    assert_null(a);
    snprintf(want, sizeof(want), "%s:0: ", path);
    if (strncmp(err.msg, want, strlen(want)) != 0 || !strstr(err.msg, what)) {
        print_error("message '%s' lacks '%s' or '%s'\n", err.msg, want, what);
        fail();
    }
}

/* Write b with its SHA-256 recomputed (a valid checksum over bad records). */
static void spit_summed(const char *path, unsigned char *b, size_t n)
{
    struct core_sha256 h;
    char sum[65];

    core_sha256_init(&h);
    core_sha256_update(&h, b, n - 64);
    core_sha256_final_hex(&h, sum);
    memcpy(b + n - 64, sum, 64);
    spit(path, b, n);
}

static void test_every_corruption_is_a_clear_error(void **state)
{
    struct fixture *x = test_malloc(sizeof(*x));
    struct policy_agent *a;
    char path[128], bad[128];
    unsigned char *b, *c;
    size_t n;

    fixture_make(x);
    a = train(x, 3);
    snprintf(path, sizeof(path), "%s/a.agent", x->dir);
    snprintf(bad, sizeof(bad), "%s/bad.agent", x->dir);
    assert_core_rc(io_agent_write(a, path, &err), CORE_OK);
    policy_agent_destroy(a);
    b = slurp(path, &n);
    c = test_malloc(n + 16);

    /* truncated anywhere */
    spit(bad, b, 20);
    assert_bad(bad, "truncated");
    spit(bad, b, n / 2);
    assert_bad(bad, "truncated");
    spit(bad, b, n - 1);
    assert_bad(bad, "truncated");
    spit(bad, b, 4);
    assert_bad(bad, "not an agent file");
    /* bytes after the checksum */
    memcpy(c, b, n);
    c[n] = '\n';
    spit(bad, c, n + 1);
    assert_bad(bad, "1 bytes after");
    /* one bit flipped in a weight, and in the checksum itself */
    memcpy(c, b, n);
    c[n - 100] ^= 0x10;
    spit(bad, c, n);
    assert_bad(bad, "checksum mismatch");
    memcpy(c, b, n);
    c[n - 1] ^= 0x01;
    spit(bad, c, n);
    assert_bad(bad, "checksum mismatch");
    /* foreign: another magic, an XML file */
    memcpy(c, b, n);
    c[7] = 'W';
    spit(bad, c, n);
    assert_bad(bad, "not an agent file");
    assert_false(io_file_is_agent(bad));
    spit(bad, (const unsigned char *)"<?xml version=\"1.0\"?>\n<scenario/>\n", 34);
    assert_bad(bad, "not an agent file");
    /* another version */
    memcpy(c, b, n);
    c[8] = 4;
    spit(bad, c, n);
    assert_bad(bad, "version 4; this coinfer reads versions 1..3");
    /* a prior that does not exist */
    memcpy(c, b, n);
    c[24 + 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 4] = 7;
    spit_summed(bad, c, n);
    assert_bad(bad, "prior 7");
    memcpy(c, b, n);
    c[24 + 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 4] = 2;
    spit_summed(bad, c, n);
    assert_bad(bad, "best held-out flag 2");
    memcpy(c, b, n);
    c[24 + 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4] = 3;
    spit_summed(bad, c, n);
    assert_bad(bad, "imitation flag 3");
    /* a record out of range under a valid checksum: the trunk width (the
     * weight count no longer fits), the problem count */
    memcpy(c, b, n);
    c[24 + 8 + 8 + 4 + 8] = 17;
    spit_summed(bad, c, n);
    assert_bad(bad, "weights where its network has");
    /* a trunk deeper than any agent, refused before the weights are
     * counted (counting 4e9 layers took seconds: the agent fuzz target) */
    memcpy(c, b, n);
    memcpy(c + 24 + 8 + 8 + 4 + 8 + 4, &(uint32_t){0xfffffff0u}, 4);
    spit_summed(bad, c, n);
    assert_bad(bad, "trunk of 4294967280 layers of 16 units (at most 16 of 1..4096)");
    memcpy(c, b, n);
    memset(c + 24 + 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 8 + 8, 0, 4);
    spit_summed(bad, c, n);
    assert_bad(bad, "0 problems");
    /* a pessimism out of range (version 3's f64 after the shrinkage) */
    memcpy(c, b, n);
    {
        const double k = -1;

        memcpy(c + 24 + 8 + 8 + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 8, &k, 8);
    }
    spit_summed(bad, c, n);
    assert_bad(bad, "pessimism -1");
    /* the last problem's last standard error (the last f32 before the
     * checksum) NaN, then negative */
    memcpy(c, b, n);
    memcpy(c + n - 64 - 4, &(float){NAN}, 4);
    spit_summed(bad, c, n);
    assert_bad(bad, "standard error");
    memcpy(c + n - 64 - 4, &(float){-1.0f}, 4);
    spit_summed(bad, c, n);
    assert_bad(bad, "standard error -1 is not >= 0");
    /* a missing file, a directory */
    snprintf(bad, sizeof(bad), "%s/none.agent", x->dir);
    assert_bad(bad, "");
    assert_bad(x->dir, "regular file");
    test_free(b);
    test_free(c);
    fixture_free(x);
    test_free(x);
}

/* The fixture written by this format's first version (3-layer chain, 2
 * options a side, 2 features) still reads: the format is stable. Written
 * back, it is a version 2 file (it has no standard errors to write), which
 * reads as the same agent, at pessimism 0, refusing another. */
static void test_a_version_1_file_still_reads(void **state)
{
    struct policy_agent *a = NULL;

    assert_core_rc(io_agent_read("tests/data/agents/tiny.agent", &a, &err), CORE_OK);
    assert_int_equal(policy_agent_find(a, "tiny", "phone"), 0);
    assert_int_equal(policy_agent_n_state(a, 0), 2);
    assert_int_equal(policy_agent_image(a)->parts[0].sig.n_layers, 3);
    assert_int_equal(policy_agent_image(a)->config.prior, POLICY_PRIOR_NONE);
    assert_null(policy_agent_image(a)->parts[0].head_se);
    {
        struct testutil_dir *d = testutil_dir_create("agent-v2", "v2.agent");
        struct policy_agent *b = NULL;
        unsigned char *bytes;
        size_t n;

        assert_core_rc(io_agent_write(a, d->path, &err), CORE_OK);
        bytes = slurp(d->path, &n);
        assert_int_equal(bytes[8], 2);
        test_free(bytes);
        assert_core_rc(io_agent_read(d->path, &b, &err), CORE_OK);
        assert_null(policy_agent_image(b)->parts[0].head_se);
        assert_true(policy_agent_pessimism(b) == 0);
        assert_core_rc(policy_agent_set_pessimism(b, 1, &err), CORE_E_INPUT);
        assert_int_equal(memcmp(policy_agent_image(b)->parts[0].weights,
                                policy_agent_image(a)->parts[0].weights,
                                policy_agent_image(a)->parts[0].n_weights * sizeof(float)),
                         0);
        policy_agent_destroy(b);
        testutil_dir_destroy(d);
    }
    policy_agent_destroy(a);
}

static void test_unwritable_path_is_an_io_error(void **state)
{
    struct fixture *x = test_malloc(sizeof(*x));
    struct policy_agent *a;

    fixture_make(x);
    a = train(x, 3);
    assert_core_rc(io_agent_write(a, "/nonexistent-dir/a.agent", &err), CORE_E_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/a.agent"));
    policy_agent_destroy(a);
    fixture_free(x);
    test_free(x);
}

/* The fixture cut after each of its record bytes, under a valid checksum:
 * every cut is bad input naming the file, never a crash or a leak. */
static void test_a_file_cut_anywhere_under_a_valid_checksum_is_bad_input(void **state)
{
    struct testutil_dir *d = testutil_dir_create("agent-cut", "cut.agent");
    size_t n, cuts = 0, truncated = 0;
    unsigned char *b = slurp("tests/data/agents/tiny.agent", &n);
    unsigned char *c = test_malloc(n);
    long live = core_alloc_live();

    for (size_t k = 8; k + 64 < n; k++) {
        struct policy_agent *a = NULL;
        char want[160];

        memcpy(c, b, k);
        spit_summed(d->path, c, k + 64);
        assert_core_rc(io_agent_read(d->path, &a, &err), CORE_E_INPUT);
        assert_null(a);
        snprintf(want, sizeof(want), "%s:0: ", d->path);
        assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
        truncated += strstr(err.msg, "truncated") != NULL;
        cuts++;
    }
    assert_int_equal(core_alloc_live(), live);
    /* most cuts end inside a record; the others leave a count that no longer fits */
    print_message("%zu cuts, %zu named truncated\n", cuts, truncated);
    assert_true(truncated > cuts / 2);
    test_free(b);
    test_free(c);
    testutil_dir_destroy(d);
}

static void test_reading_and_writing_fail_cleanly_at_every_allocation(void **state)
{
    struct testutil_dir *d = testutil_dir_create("agent-nomem", "w.agent");
    struct policy_agent *a = NULL, *b = NULL;
    unsigned long k;

    for (k = 1; k < 10000; k++) {
        long live = core_alloc_live();
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = io_agent_read("tests/data/agents/tiny.agent", &a, &err);
        core_alloc_fail_after(0);
        if (rc == CORE_OK)
            break;
        assert_core_rc(rc, CORE_E_NOMEM);
        assert_null(a);
        assert_int_equal(core_alloc_live(), live);
    }
    assert_true(k > 3);
    for (k = 1; k < 10000; k++) {
        long live = core_alloc_live();
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = io_agent_write(a, d->path, &err);
        core_alloc_fail_after(0);
        if (rc == CORE_OK)
            break;
        assert_core_rc(rc, CORE_E_NOMEM);
        assert_int_equal(core_alloc_live(), live);
        assert_int_equal(access(d->path, F_OK), -1); /* nothing left behind */
    }
    assert_true(k > 1);
    assert_core_rc(io_agent_read(d->path, &b, &err), CORE_OK);
    assert_int_equal(policy_agent_n_state(b, 0), 2);
    policy_agent_destroy(b);
    policy_agent_destroy(a);
    testutil_dir_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_back_agent_decides_as_the_written_one),
        cmocka_unit_test(test_training_twice_with_one_seed_writes_identical_bytes),
        cmocka_unit_test(test_every_corruption_is_a_clear_error),
        cmocka_unit_test(test_a_version_1_file_still_reads),
        cmocka_unit_test(test_unwritable_path_is_an_io_error),
        cmocka_unit_test(test_a_file_cut_anywhere_under_a_valid_checksum_is_bad_input),
        cmocka_unit_test(test_reading_and_writing_fail_cleanly_at_every_allocation),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
