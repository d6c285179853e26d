/*
 * test_weights.c — weights files (sim/nn/weights.c): the byte layout of the
 * format, a bit-exact round trip, and a clean CORE_E_INPUT naming the path
 * for every way a file can be wrong (each truncation length, each flipped
 * byte, wrong magic, version, name, shape, count, duplicates), with the
 * model's weights untouched and nothing leaked, out of memory included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "nn/nn.h"

static struct core_err err;
static char dir[] = "/tmp/coinfer-weights-XXXXXX";
static char path[256], other[256];

static int setup(void **unused)
{
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/w.cwt", dir);
    snprintf(other, sizeof(other), "%s/bad.cwt", dir);
    return 0;
}

static int teardown(void **unused)
{
    unlink(path);
    unlink(other);
    return rmdir(dir);
}

/* A small DAG with every kind of tensor: input (2, 5, 5) -> conv2d0 (4, 3x3,
 * pad 1, no bias) -> batchnorm1 -> relu2 -> fc3 (out1 with bias) -> fc4 (2,
 * no bias). out1 and conv_k vary the shapes; name0 renames the conv. */
static struct nn_model *small_model(uint32_t out1, uint32_t conv_k, const char *name0,
                                    bool finalize, uint64_t seed)
{
    const struct nn_shape in = {1, 2, 5, 5};
    const struct nn_params conv = {.out_channels = conv_k, .kernel_h = 3, .pad = 1};
    const struct nn_params fc1 = {.out_channels = out1, .bias = true};
    const struct nn_params fc2 = {.out_channels = 2};
    struct nn_model *m;

    assert_core_rc(nn_model_create(&in, &m, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_CONV2D, &conv, (int[]){NN_INPUT}, 1, name0, NULL, &err),
                   CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_BATCHNORM, NULL, (int[]){0}, 1, NULL, NULL, &err),
                   CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_RELU, NULL, (int[]){1}, 1, NULL, NULL, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_FC, &fc1, (int[]){2}, 1, NULL, NULL, &err), CORE_OK);
    assert_core_rc(nn_model_add(m, NN_OP_FC, &fc2, (int[]){3}, 1, NULL, NULL, &err), CORE_OK);
    if (finalize)
        assert_core_rc(nn_model_finalize(m, seed, &err), CORE_OK);
    return m;
}

/* All of m's weights, concatenated, in a new buffer; count in *n. */
static float *all_weights(struct nn_model *m, size_t *n)
{
    float *all = NULL;
    size_t total = 0;

    for (int i = 0; i < (int)nn_model_n_layers(m); i++) {
        size_t k;
        const float *w = nn_model_layer_weights(m, i, &k);
        if (w == NULL)
            continue;
        all = realloc(all, (total + k) * sizeof(*all));
        assert_non_null(all);
        memcpy(all + total, w, k * sizeof(*w));
        total += k;
    }
    *n = total;
    return all;
}

static unsigned char *read_all(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    unsigned char *buf;
    long size;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return buf;
}

static void write_all(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint32_t u32_at(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* Rewrite the trailing checksum of buf[0..n) to match its bytes. */
static void reseal(unsigned char *buf, size_t n)
{
    uint64_t h = fnv1a(buf, n - 8);

    for (int i = 0; i < 8; i++)
        buf[n - 8 + i] = (unsigned char)(h >> (8 * i));
}

/* Load other into m and check the message is path + ": " + tail, and that m's
 * weights did not change. */
static void expect_load_error(struct nn_model *m, const char *tail)
{
    char want[1024];
    size_t n0, n1;
    float *before = all_weights(m, &n0), *after;

    snprintf(want, sizeof(want), "%s: %s", other, tail);
    core_err_clear(&err);
    assert_core_rc(nn_weights_load(m, other, &err), CORE_E_INPUT);
    assert_string_equal(err.msg, want);
    after = all_weights(m, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0 * sizeof(*before));
    free(before);
    free(after);
}

static void test_weights_fnv1a_matches_the_published_test_vectors(void **unused)
{
    assert_true(fnv1a((const unsigned char *)"", 0) == 0xcbf29ce484222325ull);
    assert_true(fnv1a((const unsigned char *)"a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(fnv1a((const unsigned char *)"foobar", 6) == 0x85944171f73967e8ull);
}

/* The documented layout, byte by byte. */
static void test_weights_file_has_the_documented_layout(void **unused)
{
    static const struct {
        const char *name;
        uint32_t rank, dims[4];
    } want[] = {
        {"conv2d0.weight", 4, {4, 2, 3, 3}},
        {"batchnorm1.weight", 1, {4}},
        {"batchnorm1.bias", 1, {4}},
        {"batchnorm1.running_mean", 1, {4}},
        {"batchnorm1.running_var", 1, {4}},
        {"fc3.weight", 2, {3, 100}},
        {"fc3.bias", 1, {3}},
        {"fc4.weight", 2, {2, 3}},
    };
    struct nn_model *m = small_model(3, 4, NULL, true, 11);
    size_t n, off = 16, n_w;
    unsigned char *buf;
    uint64_t stored = 0;
    const float *w0 = nn_model_layer_weights(m, 0, &n_w);

    assert_core_rc(nn_weights_save(m, path, &err), CORE_OK);
    buf = read_all(path, &n);
    assert_memory_equal(buf, "COINFERW", 8);
    assert_int_equal(u32_at(buf + 8), 1);
    assert_int_equal(u32_at(buf + 12), ARRAY_LEN(want));
    for (size_t t = 0; t < ARRAY_LEN(want); t++) {
        uint32_t len = u32_at(buf + off), elems = 1;
        assert_int_equal(len, strlen(want[t].name));
        assert_memory_equal(buf + off + 4, want[t].name, len);
        off += 4 + len;
        assert_int_equal(u32_at(buf + off), want[t].rank);
        off += 4;
        for (uint32_t d = 0; d < want[t].rank; d++, off += 4) {
            assert_int_equal(u32_at(buf + off), want[t].dims[d]);
            elems *= want[t].dims[d];
        }
        if (t == 0) /* little-endian float32, row-major */
            assert_memory_equal(buf + off, w0, elems * sizeof(float));
        off += elems * sizeof(float);
    }
    assert_int_equal(off + 8, n);
    for (int i = 0; i < 8; i++)
        stored |= (uint64_t)buf[off + i] << (8 * i);
    assert_true(stored == fnv1a(buf, off));
    free(buf);
    nn_model_destroy(m);
}

static void test_weights_round_trip_is_bit_exact(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1), *b = small_model(3, 4, NULL, true, 2);
    const float x[50] = {0.5f, -1.0f, 2.0f, 0.25f, 3.0f};
    float out_a[2];
    size_t na, nb;
    float *wa, *wb;
    long live;

    /* Non-trivial batch-norm statistics, so every tensor matters. */
    for (int i = 0; i < 4; i++) {
        size_t n;
        float *bn = nn_model_layer_weights(a, 1, &n);
        bn[i] = 1.5f + (float)i;
        bn[8 + i] = 0.1f * (float)i;
        bn[12 + i] = 2.0f + (float)i;
    }
    live = core_alloc_live();
    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    assert_core_rc(nn_weights_check(b, path, &err), CORE_OK);
    assert_core_rc(nn_weights_load(b, path, &err), CORE_OK);
    assert_int_equal(core_alloc_live(), live);
    wa = all_weights(a, &na);
    wb = all_weights(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(wa, wb, na * sizeof(*wa));
    assert_core_rc(nn_model_forward(a, x, 1, &err), CORE_OK);
    memcpy(out_a, nn_model_output(a), sizeof(out_a));
    assert_core_rc(nn_model_forward(b, x, 1, &err), CORE_OK);
    assert_memory_equal(out_a, nn_model_output(b), sizeof(out_a));
    free(wa);
    free(wb);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_weights_check_works_on_an_unfinalized_model(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1), *u = small_model(3, 4, NULL, false, 0);
    char want[512];

    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    assert_core_rc(nn_weights_check(u, path, &err), CORE_OK);
    assert_false(nn_model_is_finalized(u));
    assert_core_rc(nn_weights_load(u, path, &err), CORE_E_INPUT);
    snprintf(want, sizeof(want), "%s: cannot load weights into an unfinalized model", path);
    assert_string_equal(err.msg, want);
    assert_core_rc(nn_weights_save(u, path, &err), CORE_E_INPUT);
    snprintf(want, sizeof(want), "%s: cannot save the weights of an unfinalized model", path);
    assert_string_equal(err.msg, want);
    nn_model_destroy(a);
    nn_model_destroy(u);
}

static void test_weights_every_truncation_fails_cleanly(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1), *b = small_model(3, 4, NULL, true, 2);
    size_t n;
    unsigned char *buf;
    long live;

    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    buf = read_all(path, &n);
    live = core_alloc_live();
    for (size_t len = 0; len < n; len++) {
        char want[256];
        write_all(other, buf, len);
        if (len < 24)
            snprintf(want, sizeof(want),
                     "truncated: %zu bytes, shorter than a weights file's header and checksum "
                     "(24)",
                     len);
        else
            snprintf(want, sizeof(want), "checksum mismatch: the file is corrupt (stored ");
        core_err_clear(&err);
        assert_core_rc(nn_weights_load(b, other, &err), CORE_E_INPUT);
        if (strncmp(err.msg + strlen(other) + 2, want, strlen(want)) != 0)
            print_error("length %zu: %s\n", len, err.msg);
        assert_true(strncmp(err.msg, other, strlen(other)) == 0);
        assert_true(strncmp(err.msg + strlen(other) + 2, want, strlen(want)) == 0);
    }
    assert_int_equal(core_alloc_live(), live);
    /* b's weights are still its own. */
    write_all(other, buf, 0);
    expect_load_error(b, "truncated: 0 bytes, shorter than a weights file's header and checksum "
                         "(24)");
    free(buf);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_weights_every_flipped_byte_fails_cleanly(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1), *b = small_model(3, 4, NULL, true, 2);
    size_t n;
    unsigned char *buf;

    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    buf = read_all(path, &n);
    for (size_t i = 0; i < n; i++) {
        buf[i] ^= 0x10;
        write_all(other, buf, n);
        core_err_clear(&err);
        assert_core_rc(nn_weights_load(b, other, &err), CORE_E_INPUT);
        assert_true(strncmp(err.msg, other, strlen(other)) == 0);
        if (i >= 16) { /* past magic and version: the checksum catches it */
            if (strstr(err.msg, "checksum mismatch") == NULL)
                print_error("byte %zu: %s\n", i, err.msg);
            assert_non_null(strstr(err.msg, "checksum mismatch"));
        }
        buf[i] ^= 0x10;
    }
    /* One flipped bit in the data of the first tensor, exact message. */
    buf[100] ^= 0x01;
    write_all(other, buf, n);
    assert_core_rc(nn_weights_load(b, other, &err), CORE_E_INPUT);
    {
        char want[512];
        unsigned char fixed[8];
        uint64_t stored = 0;
        memcpy(fixed, buf + n - 8, 8);
        for (int i = 0; i < 8; i++)
            stored |= (uint64_t)fixed[i] << (8 * i);
        snprintf(want, sizeof(want),
                 "%s: checksum mismatch: the file is corrupt (stored %016llx, computed %016llx)",
                 other, (unsigned long long)stored, (unsigned long long)fnv1a(buf, n - 8));
        assert_string_equal(err.msg, want);
    }
    free(buf);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_weights_wrong_magic_and_version_are_named(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1), *b = small_model(3, 4, NULL, true, 2);
    size_t n;
    unsigned char *buf;

    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    buf = read_all(path, &n);
    buf[0] = 'X';
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "not a coinfer weights file (the magic is not \"COINFERW\")");
    buf[0] = 'C';
    put_u32(buf + 8, 2);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "weights format version 2 is not supported (this build reads 1)");
    free(buf);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_weights_wrong_shape_name_or_count_is_named(void **unused)
{
    struct nn_model *b = small_model(3, 4, NULL, true, 2), *a;
    size_t n;
    unsigned char *buf;

    a = small_model(5, 4, NULL, true, 1); /* fc3 has 5 outputs */
    assert_core_rc(nn_weights_save(a, other, &err), CORE_OK);
    expect_load_error(b, "tensor 5 'fc3.weight' has shape (5, 100), the model's is (3, 100)");
    nn_model_destroy(a);

    a = small_model(3, 4, "first", true, 1); /* the conv is named "first" */
    assert_core_rc(nn_weights_save(a, other, &err), CORE_OK);
    expect_load_error(b, "tensor 0 'first.weight' is not a tensor of the model (no such layer or "
                         "part)");
    nn_model_destroy(a);

    /* One tensor fewer than the header says: bytes left before the checksum. */
    a = small_model(3, 4, NULL, true, 1);
    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    buf = read_all(path, &n);
    put_u32(buf + 12, 7);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "50 bytes between the last tensor and the checksum (the tensor count 7 "
                         "is wrong)");
    /* More than there are: the records run into the checksum. */
    put_u32(buf + 12, 9);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "truncated: the file ends inside a tensor's name");
    /* The last tensor (fc4.weight, a 50-byte record) dropped entirely. */
    put_u32(buf + 12, 7);
    memmove(buf + n - 8 - 50, buf + n - 8, 8);
    reseal(buf, n - 50);
    write_all(other, buf, n - 50);
    expect_load_error(b, "the model's tensor 'fc4.weight' is missing");
    free(buf);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

/* A file of records built by hand: header, then each record as given. */
static void test_weights_malformed_records_are_named(void **unused)
{
    struct nn_model *b = small_model(3, 4, NULL, true, 2), *a = small_model(3, 4, NULL, true, 1);
    size_t n;
    unsigned char *buf, *two;

    assert_core_rc(nn_weights_save(a, path, &err), CORE_OK);
    buf = read_all(path, &n);

    /* The first tensor given twice (the second copy in place of tensor 1). */
    {
        const size_t first = 4 + 14 + 4 + 16 + 72 * 4; /* conv2d0.weight's record */
        two = malloc(n + first);
        assert_non_null(two);
        memcpy(two, buf, 16 + first);
        memcpy(two + 16 + first, buf + 16, n - 16);
        put_u32(two + 12, 9);
        reseal(two, n + first);
        write_all(other, two, n + first);
        expect_load_error(b, "tensor 1 'conv2d0.weight' is given twice");
        free(two);
    }
    /* Name length 0, then 300. */
    put_u32(buf + 16, 0);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "tensor 0: name length 0 is outside 1..255");
    put_u32(buf + 16, 300);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "tensor 0: name length 300 is outside 1..255");
    put_u32(buf + 16, 14);
    /* A NUL inside the name. */
    buf[20 + 3] = '\0';
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "tensor 0: the name holds a NUL byte");
    buf[20 + 3] = 'v';
    /* Rank 5. */
    put_u32(buf + 20 + 14, 5);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "tensor 0 'conv2d0.weight': rank 5 is outside 1..4");
    /* A huge first dimension: the data would run past the end. */
    put_u32(buf + 20 + 14, 4);
    put_u32(buf + 20 + 18, 4000000);
    reseal(buf, n);
    write_all(other, buf, n);
    expect_load_error(b, "tensor 0 'conv2d0.weight' has shape (4000000, 2, 3, 3), the model's is "
                         "(4, 2, 3, 3)");
    /* Restored, it loads. */
    put_u32(buf + 20 + 18, 4);
    reseal(buf, n);
    write_all(other, buf, n);
    assert_core_rc(nn_weights_load(b, other, &err), CORE_OK);
    free(buf);
    nn_model_destroy(a);
    nn_model_destroy(b);
}

static void test_weights_missing_file_and_unwritable_path_are_errors(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1);
    char want[512];

    assert_core_rc(nn_weights_load(a, "/nonexistent/w.cwt", &err), CORE_E_INPUT);
    assert_string_equal(err.msg, "/nonexistent/w.cwt:0: cannot open: No such file or directory");
    assert_core_rc(nn_weights_save(a, "/nonexistent/w.cwt", &err), CORE_E_IO);
    assert_string_equal(err.msg, "/nonexistent/w.cwt: cannot create: No such file or directory");
    if (access("/dev/full", W_OK) == 0) {
        assert_core_rc(nn_weights_save(a, "/dev/full", &err), CORE_E_IO);
        snprintf(want, sizeof(want), "/dev/full: cannot write: No space left on device");
        assert_string_equal(err.msg, want);
    }
    nn_model_destroy(a);
}

static void test_weights_save_and_load_survive_every_allocation_failure(void **unused)
{
    struct nn_model *a = small_model(3, 4, NULL, true, 1), *b = small_model(3, 4, NULL, true, 2);
    bool saved = false, loaded = false;

    for (unsigned long k = 1; !saved; k++) {
        long live = core_alloc_live();
        enum core_rc rc;
        assert_true(k < 100);
        core_alloc_fail_after(k);
        rc = nn_weights_save(a, path, &err);
        core_alloc_fail_after(0);
        saved = rc == CORE_OK;
        if (!saved)
            assert_core_rc(rc, CORE_E_NOMEM);
        assert_int_equal(core_alloc_live(), live);
    }
    for (unsigned long k = 1; !loaded; k++) {
        long live = core_alloc_live();
        enum core_rc rc;
        assert_true(k < 100);
        core_alloc_fail_after(k);
        rc = nn_weights_load(b, path, &err);
        core_alloc_fail_after(0);
        loaded = rc == CORE_OK;
        if (!loaded)
            assert_core_rc(rc, CORE_E_NOMEM);
        assert_int_equal(core_alloc_live(), live);
    }
    nn_model_destroy(a);
    nn_model_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_fnv1a_matches_the_published_test_vectors),
        cmocka_unit_test(test_weights_file_has_the_documented_layout),
        cmocka_unit_test(test_weights_round_trip_is_bit_exact),
        cmocka_unit_test(test_weights_check_works_on_an_unfinalized_model),
        cmocka_unit_test(test_weights_every_truncation_fails_cleanly),
        cmocka_unit_test(test_weights_every_flipped_byte_fails_cleanly),
        cmocka_unit_test(test_weights_wrong_magic_and_version_are_named),
        cmocka_unit_test(test_weights_wrong_shape_name_or_count_is_named),
        cmocka_unit_test(test_weights_malformed_records_are_named),
        cmocka_unit_test(test_weights_missing_file_and_unwritable_path_are_errors),
        cmocka_unit_test(test_weights_save_and_load_survive_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
