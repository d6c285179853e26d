/*
 * dataset.c — nn_dataset_*: labelled images from IDX files (the format of
 * MNIST and Fashion-MNIST), plain or gzip-compressed (zlib reads both).
 *
 * An IDX file is big-endian: two zero bytes, a type byte (0x08: unsigned
 * bytes, the only type read here), a byte with the number of dimensions D,
 * D u32 sizes, then the product of the sizes in bytes, row-major, and
 * nothing after. Images are D = 3 (items, rows, columns), labels D = 1
 * (items). Both files must hold the same number of items, every label must
 * be below the class count, and a file that is shorter, longer, of another
 * type or not IDX at all is an error naming the file and what is wrong.
 * Pixels stay bytes in memory (47 MB for Fashion-MNIST's training set); a
 * batch is converted to floats, pixel / 255, when it is drawn.
 */
#include "nn/nn_int.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Largest IDX dimension count and item count read. */
#define IDX_MAX_DIMS 3
#define IDX_MAX_ITEMS 100000000u

void nn_dataset_destroy(struct nn_dataset *d)
{
    if (!d)
        return;
    core_free(d->pixels);
    core_free(d->labels);
    core_free(d);
}

/* Read exactly n bytes; false (with why[]) when the file ends first or
 * zlib fails. */
static bool read_exact(gzFile f, void *buf, size_t n, const char *what, char *why,
                       size_t why_size)
{
    unsigned char *p = buf;
    size_t got = 0;

    while (got < n) {
        const unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
        int r = gzread(f, p + got, chunk);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            snprintf(why, why_size, "cannot read %s: %s", what,
                     zerr == Z_ERRNO ? strerror(errno) : msg);
            return false;
        }
        if (r == 0) {
            snprintf(why, why_size, "truncated: %s needs %zu bytes, the file ends after %zu",
                     what, n, got);
            return false;
        }
        got += (size_t)r;
    }
    return true;
}

/* Read one IDX file of unsigned bytes with dims dimensions: the sizes into
 * size[], the data into *data (owned, core_malloc'd). */
static enum core_rc read_idx(const char *path, unsigned dims, uint32_t *size, uint8_t **data,
                             struct core_err *e)
{
    unsigned char head[4 + 4 * IDX_MAX_DIMS], extra;
    char why[256];
    enum core_rc rc = CORE_E_INPUT;
    uint64_t total = 1;
    FILE *plain;
    gzFile f;
    unsigned k;
    int r, fd;

    *data = NULL;
    rc = core_file_open(path, "dataset file", CORE_FILE_MAX_DATASET, &plain, NULL, e);
    if (rc != CORE_OK)
        return rc;
    fd = dup(fileno(plain));
    fclose(plain);
    f = fd < 0 ? NULL : gzdopen(fd, "rb");
    if (!f) {
        if (fd >= 0)
            close(fd);
        return core_err(e, CORE_E_INPUT, "%s: cannot open: %s", path,
                        errno ? strerror(errno) : "out of memory");
    }
    rc = CORE_E_INPUT;
    if (!read_exact(f, head, 4, "the IDX header", why, sizeof(why)))
        goto out_why;
    if (head[0] != 0 || head[1] != 0) {
        snprintf(why, sizeof(why),
                 "not an IDX file (magic %02x %02x %02x %02x; IDX starts with two zero bytes)",
                 head[0], head[1], head[2], head[3]);
        goto out_why;
    }
    if (head[2] != 0x08 || head[3] != dims) {
        snprintf(why, sizeof(why),
                 "IDX type 0x%02x with %u dimensions; expected unsigned bytes (0x08) with %u "
                 "(magic 0x%08x)",
                 head[2], head[3], dims, 0x800u | dims);
        goto out_why;
    }
    if (!read_exact(f, head + 4, 4 * dims, "the IDX sizes", why, sizeof(why)))
        goto out_why;
    for (k = 0; k < dims; k++) {
        const unsigned char *b = head + 4 + 4 * k;
        size[k] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        total *= size[k];
    }
    if (size[0] == 0 || size[0] > IDX_MAX_ITEMS || total == 0 || total > CORE_FILE_MAX_DATASET) {
        snprintf(why, sizeof(why), "IDX sizes out of range (%u items, %llu bytes)", size[0],
                 (unsigned long long)total);
        goto out_why;
    }
    *data = core_malloc((size_t)total);
    if (!*data) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for %llu bytes", path,
                      (unsigned long long)total);
        goto out_close;
    }
    if (!read_exact(f, *data, (size_t)total, "the data", why, sizeof(why)))
        goto out_why;
    r = gzread(f, &extra, 1);
    if (r != 0) {
        snprintf(why, sizeof(why), "%s after the %llu bytes of data its sizes give",
                 r > 0 ? "bytes follow" : "a read error", (unsigned long long)total);
        goto out_why;
    }
    gzclose(f);
    return CORE_OK;

out_why:
    rc = core_err(e, CORE_E_INPUT, "%s: %s", path, why);
out_close:
    core_free(*data);
    *data = NULL;
    gzclose(f);
    return rc;
}

enum core_rc nn_dataset_load_idx(const char *images, const char *labels, uint32_t classes,
                                 struct nn_dataset **out, struct core_err *e)
{
    struct nn_dataset *d;
    uint32_t isize[3], lsize[1];
    enum core_rc rc;
    size_t i;

    *out = NULL;
    CORE_ASSERT(classes >= 1 && classes <= 256);
    d = core_calloc(1, sizeof(*d));
    if (!d)
        return core_err(e, CORE_E_NOMEM, "out of memory loading a dataset");
    rc = read_idx(images, 3, isize, &d->pixels, e);
    if (rc == CORE_OK)
        rc = read_idx(labels, 1, lsize, &d->labels, e);
    if (rc != CORE_OK)
        goto out_fail;
    if (isize[0] != lsize[0]) {
        rc = core_err(e, CORE_E_INPUT, "%s holds %u images but %s holds %u labels", images,
                      isize[0], labels, lsize[0]);
        goto out_fail;
    }
    d->n = isize[0];
    d->c = 1;
    d->h = isize[1];
    d->w = isize[2];
    d->classes = classes;
    for (i = 0; i < d->n; i++)
        if (d->labels[i] >= classes) {
            rc = core_err(e, CORE_E_INPUT, "%s: label %u of item %zu is not below %u classes",
                          labels, d->labels[i], i, classes);
            goto out_fail;
        }
    *out = d;
    return CORE_OK;

out_fail:
    nn_dataset_destroy(d);
    return rc;
}

/* path = dir/base, or dir/base.gz when only that exists. */
static bool find_file(const char *dir, const char *base, char *path, size_t size)
{
    struct stat sb;

    snprintf(path, size, "%s/%s", dir, base);
    if (stat(path, &sb) == 0)
        return true;
    snprintf(path, size, "%s/%s.gz", dir, base);
    return stat(path, &sb) == 0;
}

enum core_rc nn_dataset_load_fmnist(const char *dir, bool train, struct nn_dataset **out,
                                    struct core_err *e)
{
    const char *prefix = train ? "train" : "t10k";
    char ibase[64], lbase[64], ipath[4096], lpath[4096];
    struct nn_dataset *d;
    enum core_rc rc;

    *out = NULL;
    snprintf(ibase, sizeof(ibase), "%s-images-idx3-ubyte", prefix);
    snprintf(lbase, sizeof(lbase), "%s-labels-idx1-ubyte", prefix);
    if (!find_file(dir, ibase, ipath, sizeof(ipath)) || !find_file(dir, lbase, lpath, sizeof(lpath)))
        return core_err(e, CORE_E_INPUT,
                        "%s: no %s[.gz] and %s[.gz] there (Fashion-MNIST comes with the Debian "
                        "package dataset-fashion-mnist, in %s)",
                        dir, ibase, lbase, NN_FMNIST_DIR);
    rc = nn_dataset_load_idx(ipath, lpath, NN_FMNIST_CLASSES, &d, e);
    if (rc != CORE_OK)
        return rc;
    if (d->h != 28 || d->w != 28) {
        rc = core_err(e, CORE_E_INPUT, "%s: images are %ux%u, Fashion-MNIST's are 28x28", ipath,
                      d->h, d->w);
        nn_dataset_destroy(d);
        return rc;
    }
    *out = d;
    return CORE_OK;
}

void nn_dataset_batch(const struct nn_dataset *d, const size_t *idx, size_t n, float *x,
                      uint32_t *y)
{
    const size_t item = (size_t)d->c * d->h * d->w;
    const float scale = 1.0f / 255.0f;
    size_t i, j;

    for (i = 0; i < n; i++) {
        const uint8_t *p = d->pixels + idx[i] * item;
        CORE_ASSERT(idx[i] < d->n);
        for (j = 0; j < item; j++)
            x[i * item + j] = (float)p[j] * scale;
        if (y)
            y[i] = d->labels[idx[i]];
    }
}
