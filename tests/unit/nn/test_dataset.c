/*
 * test_dataset.c — sim/nn's IDX reader: small files written here, plain and
 * gzip-compressed, read back; every malformed file an error naming the file
 * and what is wrong; and the real Fashion-MNIST of the Debian package
 * dataset-fashion-mnist (scripts/install-deps.sh installs it) with its known
 * counts, class balance, first labels and pixel sums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <zlib.h>

#include "nn/nn.h"
#include "testutil.h"

static struct core_err err;
static struct testutil_dir *tmp;
static const char *dir; /* tmp's directory */

static int setup(void **state)
{
    tmp = testutil_dir_create("dataset", "unused");
    if (!tmp)
        return -1;
    dir = tmp->dir;
    return testutil_record_live(state);
}

static int teardown(void **state)
{
    testutil_dir_destroy(tmp);
    tmp = NULL;
    return testutil_check_no_leak(state);
}

#define DTEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Write bytes to dir/name, gzip-compressed when gz; the path in path[]. */
static void write_file(const char *name, const void *bytes, size_t n, bool gz, char *path,
                       size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, bytes, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bytes, 1, n, f), n);
        fclose(f);
    }
}

/* An IDX header: type 0x08, dims dimensions of the given sizes. */
static size_t idx_header(unsigned char *b, unsigned dims, const uint32_t *size)
{
    unsigned k;

    b[0] = 0;
    b[1] = 0;
    b[2] = 0x08;
    b[3] = (unsigned char)dims;
    for (k = 0; k < dims; k++) {
        b[4 + 4 * k] = (unsigned char)(size[k] >> 24);
        b[5 + 4 * k] = (unsigned char)(size[k] >> 16);
        b[6 + 4 * k] = (unsigned char)(size[k] >> 8);
        b[7 + 4 * k] = (unsigned char)size[k];
    }
    return 4 + 4 * dims;
}

/* Three 2x3 images (pixels 0, 10, ..., 170) and labels 2, 0, 1. */
static void write_small(bool gz, char *ipath, char *lpath, size_t size)
{
    const uint32_t isz[3] = {3, 2, 3}, lsz[1] = {3};
    unsigned char img[16 + 18], lab[8 + 3];
    size_t h = idx_header(img, 3, isz), i;

    for (i = 0; i < 18; i++)
        img[h + i] = (unsigned char)(10 * i);
    write_file(gz ? "img.gz" : "img", img, h + 18, gz, ipath, size);
    h = idx_header(lab, 1, lsz);
    lab[h] = 2;
    lab[h + 1] = 0;
    lab[h + 2] = 1;
    write_file(gz ? "lab.gz" : "lab", lab, h + 3, gz, lpath, size);
}

static void test_small_idx_files_read_back_plain_and_gzipped(void **state)
{
    char ipath[512], lpath[512];
    int gz;

    for (gz = 0; gz < 2; gz++) {
        struct nn_dataset *d;
        const size_t idx[2] = {2, 0};
        float x[12];
        uint32_t y[2];
        write_small(gz, ipath, lpath, sizeof(ipath));
        assert_core_rc(nn_dataset_load_idx(ipath, lpath, 3, &d, &err), CORE_OK);
        assert_int_equal(d->n, 3);
        assert_int_equal(d->c, 1);
        assert_int_equal(d->h, 2);
        assert_int_equal(d->w, 3);
        assert_int_equal(d->pixels[7], 70);
        assert_int_equal(d->labels[0], 2);
        nn_dataset_batch(d, idx, 2, x, y);
        assert_near(x[0], 120.0 / 255.0, 1e-7);
        assert_near(x[6], 0.0, 0.0);
        assert_near(x[11], 50.0 / 255.0, 1e-7);
        assert_int_equal(y[0], 1);
        assert_int_equal(y[1], 2);
        nn_dataset_destroy(d);
    }
}

/* Load with good labels and images made from bytes b (n of them): the error
 * message must contain want. */
static void expect_bad_images(const unsigned char *b, size_t n, bool gz, const char *want)
{
    char ipath[512], lpath[512];
    struct nn_dataset *d;

    write_small(false, ipath, lpath, sizeof(ipath));
    write_file(gz ? "bad.gz" : "bad", b, n, gz, ipath, sizeof(ipath));
    assert_core_rc(nn_dataset_load_idx(ipath, lpath, 3, &d, &err), CORE_E_INPUT);
    assert_null(d);
    if (!strstr(err.msg, want) || !strstr(err.msg, ipath)) {
        print_error("message '%s' lacks '%s' or the path\n", err.msg, want);
        fail();
    }
}

static void test_malformed_files_are_errors_naming_the_file(void **state)
{
    const uint32_t isz[3] = {3, 2, 3}, isz2[2] = {3, 6};
    unsigned char b[128]; /* the longest: a header and 18 floats */
    size_t h;

    memset(b, 0, sizeof(b));
    memcpy(b, "PK\3\4garbage", 11);
    expect_bad_images(b, 11, false, "not an IDX file");
    h = idx_header(b, 3, isz);
    b[2] = 0x0d; /* float data */
    expect_bad_images(b, h + 18 * 4, false, "IDX type 0x0d");
    h = idx_header(b, 2, isz2);
    expect_bad_images(b, h + 18, false, "with 2 dimensions");
    h = idx_header(b, 3, isz);
    expect_bad_images(b, h + 17, false, "truncated");
    expect_bad_images(b, h + 17, true, "truncated");
    expect_bad_images(b, h + 19, false, "bytes follow");
    expect_bad_images(b, 6, false, "truncated");
    expect_bad_images(b, 0, false, "truncated");
}

static void test_corrupt_gzip_and_missing_files_are_errors(void **state)
{
    char ipath[512], lpath[512], gpath[512], fpath[1024];
    struct nn_dataset *d;
    unsigned char buf[4096];
    FILE *f;
    size_t n;

    write_small(true, ipath, lpath, sizeof(ipath));
    f = fopen(ipath, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    buf[n / 2] ^= 0x55;
    buf[n / 2 + 1] ^= 0x55;
    write_file("corrupt.gz", buf, n, false, gpath, sizeof(gpath));
    assert_core_rc(nn_dataset_load_idx(gpath, lpath, 3, &d, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, gpath));
    snprintf(fpath, sizeof(fpath), "%s/absent", dir);
    assert_core_rc(nn_dataset_load_idx(fpath, lpath, 3, &d, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_core_rc(nn_dataset_load_fmnist(dir, true, &d, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "dataset-fashion-mnist"));
}

static void test_counts_and_labels_must_agree(void **state)
{
    const uint32_t lsz[1] = {2};
    char ipath[512], lpath[512];
    unsigned char lab[16];
    struct nn_dataset *d;
    size_t h;

    write_small(false, ipath, lpath, sizeof(ipath));
    assert_core_rc(nn_dataset_load_idx(ipath, lpath, 2, &d, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "label 2 of item 0 is not below 2 classes"));
    h = idx_header(lab, 1, lsz);
    lab[h] = 0;
    lab[h + 1] = 1;
    write_file("lab2", lab, h + 2, false, lpath, sizeof(lpath));
    assert_core_rc(nn_dataset_load_idx(ipath, lpath, 3, &d, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "holds 3 images but"));
    /* A label file given as images: one dimension where three are wanted. */
    assert_core_rc(nn_dataset_load_idx(lpath, lpath, 3, &d, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "with 1 dimensions; expected unsigned bytes (0x08) with 3"));
}

/* The Debian package's files: 60,000 + 10,000 28x28 images, 6,000 and
 * 1,000 of each class, the first labels (ankle boot, then T-shirt, T-shirt,
 * dress / ankle boot, pullover, trouser), and the pixel sums numpy gives. */
static void test_fashion_mnist_of_the_debian_package_reads_whole(void **state)
{
    struct nn_dataset *train, *test;
    size_t counts[NN_FMNIST_CLASSES] = {0}, i;
    uint64_t sum = 0, first = 0;

    assert_core_rc(nn_dataset_load_fmnist(NN_FMNIST_DIR, true, &train, &err), CORE_OK);
    assert_core_rc(nn_dataset_load_fmnist(NN_FMNIST_DIR, false, &test, &err), CORE_OK);
    assert_int_equal(train->n, 60000);
    assert_int_equal(test->n, 10000);
    assert_int_equal(train->h, 28);
    assert_int_equal(train->w, 28);
    for (i = 0; i < train->n; i++)
        counts[train->labels[i]]++;
    for (i = 0; i < NN_FMNIST_CLASSES; i++)
        assert_int_equal(counts[i], 6000);
    assert_int_equal(train->labels[0], 9);
    assert_int_equal(train->labels[3], 3);
    assert_int_equal(test->labels[1], 2);
    assert_int_equal(test->labels[2], 1);
    for (i = 0; i < train->n * 784; i++)
        sum += train->pixels[i];
    for (i = 0; i < 784; i++)
        first += train->pixels[i];
    assert_int_equal(sum, 3431114169ull);
    assert_int_equal(first, 76247);
    nn_dataset_destroy(train);
    nn_dataset_destroy(test);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        DTEST(test_small_idx_files_read_back_plain_and_gzipped),
        DTEST(test_malformed_files_are_errors_naming_the_file),
        DTEST(test_corrupt_gzip_and_missing_files_are_errors),
        DTEST(test_counts_and_labels_must_agree),
        DTEST(test_fashion_mnist_of_the_debian_package_reads_whole),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
