/*
 * weights.c — a model's parameters to and from a binary file.
 *
 * The format (all integers little-endian, floats IEEE-754 binary32
 * little-endian):
 *
 *   offset 0   magic "COINFERW" (8 bytes)
 *          8   u32 format version, 1
 *         12   u32 tensor count T
 *         16   T records, each:
 *                u32 name length L, 1..255
 *                L bytes of name, no NUL ("conv1.weight")
 *                u32 rank R, 1..4
 *                R x u32 dimensions, each >= 1
 *                float32 data, the product of the dimensions, row-major
 *        end   u64 FNV-1a-64 (offset basis 0xcbf29ce484222325, prime
 *              0x100000001b3) of every byte before it; the file ends there
 *
 * Tensor names follow PyTorch's state_dict: "<layer>.weight", "<layer>.bias"
 * and, for batch norm, "<layer>.running_mean" and "<layer>.running_var" (see
 * nn.h for the shapes). A model with early exits adds its branches' tensors
 * after the main model's, each prefixed with its exit's name
 * ("<exit>.<layer>.weight"): a net here is the main model (no prefix) and
 * its branches, in that order. The list of a model's tensors (specs) is derived from
 * the public layer parameters and input shapes, so it is known before
 * finalize and a file can be checked against an unfinalized model.
 *
 * Reading makes up to three passes over the file, so that an error never
 * leaves a model half loaded: (1) the checksum over the raw bytes, so that
 * corruption is reported as such; (2) the records' headers against the specs,
 * and every float checked finite (a NaN or an infinity is an error naming
 * its tensor and layer); (3) only for a load, the data into the weights.
 * The file must be a regular file of at most CORE_FILE_MAX_WEIGHTS bytes.
 * Plain stdio; no allocation but the spec list and one I/O buffer.
 */
#include "nn/nn.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC          "COINFERW"
#define MAGIC_BYTES    8
#define VERSION        1u
#define NAME_MAX_BYTES 255u
#define MAX_RANK       4u
#define HEADER_BYTES   16u
#define TRAILER_BYTES  8u
#define FNV_BASIS      0xcbf29ce484222325ull
#define FNV_PRIME      0x100000001b3ull
/* Floats per I/O chunk. */
#define CHUNK_FLOATS 16384u

/* The models whose tensors one file holds: the main model, then its exits'
 * branches. */
struct net {
    size_t n;                       /* models */
    const struct nn_model **cm;     /* [n] (borrowed) */
    struct nn_model **m;            /* [n], writable for a load (borrowed), else NULL */
    const char **prefix;            /* [n]: NULL for the main model, else the exit's name */
};

/* One parameter tensor of the model. */
struct spec {
    char name[2 * NN_NAME_MAX + 16]; /* "[<exit>.]<layer>.<part>" */
    size_t model;                /* index in the net */
    uint32_t rank;               /* dimensions used */
    uint32_t dims[MAX_RANK];     /* elements per dimension */
    size_t n;                    /* elements, the product of dims */
    int layer;                   /* layer index */
    size_t offset;               /* first float in the layer's weights */
    bool seen;                   /* read from the file in this pass */
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static bool host_is_little_endian(void)
{
    const uint32_t one = 1;
    unsigned char b;

    memcpy(&b, &one, 1);
    return b == 1;
}

/* Swap the bytes of n floats in place (big-endian hosts only). */
static void swap_floats(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[4], t;
        memcpy(b, &x[i], 4);
        t = b[0], b[0] = b[3], b[3] = t;
        t = b[1], b[1] = b[2], b[2] = t;
        memcpy(&x[i], b, 4);
    }
}

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* ---- the model's tensors --------------------------------------------------- */

static void add_spec(struct spec *t, const char *prefix, size_t model, int layer,
                     const char *lname, const char *part, uint32_t rank, const uint32_t *dims,
                     size_t *offset)
{
    if (prefix != NULL)
        snprintf(t->name, sizeof(t->name), "%s.%s.%s", prefix, lname, part);
    else
        snprintf(t->name, sizeof(t->name), "%s.%s", lname, part);
    t->model = model;
    t->rank = rank;
    t->n = 1;
    for (uint32_t d = 0; d < rank; d++) {
        t->dims[d] = dims[d];
        t->n *= dims[d];
    }
    t->layer = layer;
    t->offset = *offset;
    t->seen = false;
    *offset += t->n;
}

/* Fill s (NULL: only count) with the tensors of model j of the net; returns
 * their count. */
static size_t list_specs(const struct net *net, size_t j, struct spec *s)
{
    static const char *const bn_parts[] = {"weight", "bias", "running_mean", "running_var"};
    const struct nn_model *m = net->cm[j];
    const char *prefix = net->prefix[j];
    size_t k = 0, n_layers = nn_model_n_layers(m);

    for (size_t i = 0; i < n_layers; i++) {
        const int li = (int)i;
        const struct nn_params *p = nn_model_layer_params(m, li);
        const char *name = nn_model_layer_name(m, li);
        const enum nn_op op = nn_model_layer_op(m, li);
        size_t n_in, off = 0;
        const int *in = nn_model_layer_inputs(m, li, &n_in);
        const struct nn_shape x = nn_model_shape(m, in[0]);
        uint32_t dims[4];

        if (op == NN_OP_BATCHNORM) {
            for (size_t b = 0; b < ARRAY_LEN(bn_parts); b++) {
                if (s != NULL)
                    add_spec(&s[k], prefix, j, li, name, bn_parts[b], 1, &x.c, &off);
                k++;
            }
            continue;
        }
        if (op != NN_OP_CONV2D && op != NN_OP_FC)
            continue;
        dims[0] = p->out_channels;
        if (op == NN_OP_CONV2D) {
            dims[1] = x.c / p->groups;
            dims[2] = p->kernel_h;
            dims[3] = p->kernel_w;
        } else {
            dims[1] = x.c * x.h * x.w;
        }
        if (s != NULL)
            add_spec(&s[k], prefix, j, li, name, "weight", op == NN_OP_CONV2D ? 4 : 2, dims,
                     &off);
        k++;
        if (p->bias) {
            if (s != NULL)
                add_spec(&s[k], prefix, j, li, name, "bias", 1, &p->out_channels, &off);
            k++;
        }
    }
    return k;
}

static enum core_rc make_specs(const struct net *net, struct spec **out, size_t *n,
                               struct core_err *e)
{
    size_t j, k = 0;

    *n = 0;
    for (j = 0; j < net->n; j++)
        *n += list_specs(net, j, NULL);
    *out = core_calloc(*n ? *n : 1, sizeof(**out));
    if (*out == NULL)
        return core_err(e, CORE_E_NOMEM, "out of memory listing %zu weight tensors", *n);
    for (j = 0; j < net->n; j++)
        k += list_specs(net, j, *out + k);
    return CORE_OK;
}

/* The net of m and x (x NULL: m alone) in *net, its arrays owned (net_fini).
 * m_w: m writable (a load or save), else NULL. */
static enum core_rc net_init(struct net *net, const struct nn_model *m, struct nn_model *m_w,
                             const struct nn_exits *x, struct core_err *e)
{
    const size_t n = 1 + (x ? x->n : 0);

    net->n = n;
    net->cm = core_calloc(n, sizeof(*net->cm));
    net->m = core_calloc(n, sizeof(*net->m));
    net->prefix = core_calloc(n, sizeof(*net->prefix));
    if (!net->cm || !net->m || !net->prefix) {
        core_free(net->cm);
        core_free(net->m);
        core_free(net->prefix);
        return core_err(e, CORE_E_NOMEM, "out of memory listing %zu models' weights", n);
    }
    net->cm[0] = m;
    net->m[0] = m_w;
    for (size_t j = 1; j < n; j++) {
        net->cm[j] = x->v[j - 1].branch;
        net->m[j] = m_w ? x->v[j - 1].branch : NULL;
        net->prefix[j] = x->v[j - 1].name;
    }
    if (m_w == NULL) {
        core_free(net->m);
        net->m = NULL;
    }
    return CORE_OK;
}

static void net_fini(struct net *net)
{
    core_free(net->cm);
    core_free(net->m);
    core_free(net->prefix);
}

/* Every model of the net finalized? */
static bool net_finalized(const struct net *net)
{
    for (size_t j = 0; j < net->n; j++)
        if (!nn_model_is_finalized(net->cm[j]))
            return false;
    return true;
}

static void shape_text(const uint32_t *dims, uint32_t rank, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (uint32_t d = 0; d < rank && used < size; d++) {
        int w = snprintf(buf + used, size - used, "%s%u", d ? ", " : "(", dims[d]);
        if (w < 0)
            return;
        used += (size_t)w;
    }
    if (used < size)
        snprintf(buf + used, size - used, ")");
}

/* ---- writing ------------------------------------------------------------ */

struct writer {
    FILE *f;     /* open file */
    uint64_t h;  /* FNV-1a-64 of what was written */
    bool failed; /* a write failed */
};

static void put(struct writer *w, const void *data, size_t n)
{
    if (w->failed)
        return;
    w->h = fnv1a(w->h, data, n);
    if (fwrite(data, 1, n, w->f) != n)
        w->failed = true;
}

static void put_word(struct writer *w, uint32_t v)
{
    unsigned char b[4];

    put_u32(b, v);
    put(w, b, 4);
}

static enum core_rc save_net(const struct net *net, const char *path, struct core_err *e)
{
    struct writer w = {NULL, FNV_BASIS, false};
    struct spec *specs;
    float *buf;
    size_t n_specs;
    unsigned char tail[TRAILER_BYTES];
    struct stat st;
    enum core_rc rc;
    int err = 0;
    /* Only a regular file (or a new one) is removed after a failed write. */
    const bool removable = stat(path, &st) != 0 || S_ISREG(st.st_mode);

    if (!net_finalized(net))
        return core_err(e, CORE_E_INPUT, "%s: cannot save the weights of an unfinalized model",
                        path);
    rc = make_specs(net, &specs, &n_specs, e);
    if (rc != CORE_OK)
        return rc;
    buf = core_malloc(CHUNK_FLOATS * sizeof(*buf));
    if (buf == NULL) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for the write buffer", path);
        goto out_free_specs;
    }
    w.f = fopen(path, "wb");
    if (w.f == NULL) {
        rc = core_err(e, CORE_E_IO, "%s: cannot create: %s", path, strerror(errno));
        goto out_free_buf;
    }
    put(&w, MAGIC, MAGIC_BYTES);
    put_word(&w, VERSION);
    put_word(&w, (uint32_t)n_specs);
    for (size_t i = 0; i < n_specs; i++) {
        const struct spec *s = &specs[i];
        size_t n_w;
        const float *src = nn_model_layer_weights(net->m[s->model], s->layer, &n_w);

        CORE_ASSERT(src != NULL && s->offset + s->n <= n_w);
        src += s->offset;
        put_word(&w, (uint32_t)strlen(s->name));
        put(&w, s->name, strlen(s->name));
        put_word(&w, s->rank);
        for (uint32_t d = 0; d < s->rank; d++)
            put_word(&w, s->dims[d]);
        for (size_t done = 0; done < s->n;) {
            size_t k = s->n - done < CHUNK_FLOATS ? s->n - done : CHUNK_FLOATS;
            memcpy(buf, src + done, k * sizeof(*buf));
            if (!host_is_little_endian())
                swap_floats(buf, k);
            put(&w, buf, k * sizeof(*buf));
            done += k;
        }
    }
    for (int i = 0; i < 8; i++)
        tail[i] = (unsigned char)(w.h >> (8 * i));
    put(&w, tail, TRAILER_BYTES);
    if (w.failed)
        err = errno;
    if (fclose(w.f) != 0 && !w.failed) {
        w.failed = true;
        err = errno;
    }
    if (w.failed) {
        if (removable)
            remove(path);
        rc = core_err(e, CORE_E_IO, "%s: cannot write: %s", path, strerror(err));
    }
out_free_buf:
    core_free(buf);
out_free_specs:
    core_free(specs);
    return rc;
}

enum core_rc nn_weights_save_exits(struct nn_model *m, const struct nn_exits *x,
                                   const char *path, struct core_err *e)
{
    struct net net;
    enum core_rc rc = net_init(&net, m, m, x, e);

    if (rc != CORE_OK)
        return rc;
    rc = save_net(&net, path, e);
    net_fini(&net);
    return rc;
}

enum core_rc nn_weights_save(struct nn_model *m, const char *path, struct core_err *e)
{
    return nn_weights_save_exits(m, NULL, path, e);
}

/* ---- reading ------------------------------------------------------------ */

struct reader {
    const char *path;   /* for messages */
    FILE *f;            /* open file */
    long size;          /* file size, bytes */
    long limit;         /* offset reads must not pass (the checksum's, for records) */
    struct core_err *e; /* where errors go */
    struct spec **by_name; /* the specs sorted by name, for find_spec (owned by read_file) */
};

/* Read n bytes before r->limit or report the file truncated inside what. */
static enum core_rc get(struct reader *r, void *dst, size_t n, const char *what)
{
    long at = ftell(r->f);

    if (at < 0 || at > r->limit || (uint64_t)n > (uint64_t)(r->limit - at) ||
        fread(dst, 1, n, r->f) != n)
        return core_err(r->e, CORE_E_INPUT, "%s: truncated: the file ends inside %s", r->path,
                        what);
    return CORE_OK;
}

static enum core_rc get_word(struct reader *r, uint32_t *v, const char *what)
{
    unsigned char b[4];
    enum core_rc rc = get(r, b, 4, what);

    if (rc == CORE_OK)
        *v = get_u32(b);
    return rc;
}

/* Pass 1: magic, version, and the checksum over the whole file. */
static enum core_rc check_sum(struct reader *r, unsigned char *buf, size_t buf_bytes)
{
    unsigned char head[HEADER_BYTES], tail[TRAILER_BYTES];
    uint64_t h = FNV_BASIS, stored = 0;
    long left;

    if (r->size < (long)(HEADER_BYTES + TRAILER_BYTES))
        return core_err(r->e, CORE_E_INPUT,
                        "%s: truncated: %ld bytes, shorter than a weights file's header and "
                        "checksum (%u)",
                        r->path, r->size, HEADER_BYTES + TRAILER_BYTES);
    if (get(r, head, HEADER_BYTES, "the header") != CORE_OK)
        return CORE_E_INPUT;
    if (memcmp(head, MAGIC, MAGIC_BYTES) != 0)
        return core_err(r->e, CORE_E_INPUT,
                        "%s: not a coinfer weights file (the magic is not \"" MAGIC "\")", r->path);
    if (get_u32(head + 8) != VERSION)
        return core_err(r->e, CORE_E_INPUT,
                        "%s: weights format version %u is not supported (this build reads %u)",
                        r->path, get_u32(head + 8), VERSION);
    h = fnv1a(h, head, HEADER_BYTES);
    left = r->size - (long)(HEADER_BYTES + TRAILER_BYTES);
    while (left > 0) {
        size_t k = (size_t)left < buf_bytes ? (size_t)left : buf_bytes;
        if (get(r, buf, k, "the data") != CORE_OK)
            return CORE_E_INPUT;
        h = fnv1a(h, buf, k);
        left -= (long)k;
    }
    if (get(r, tail, TRAILER_BYTES, "the checksum") != CORE_OK)
        return CORE_E_INPUT;
    for (int i = 0; i < 8; i++)
        stored |= (uint64_t)tail[i] << (8 * i);
    if (stored != h)
        return core_err(r->e, CORE_E_INPUT,
                        "%s: checksum mismatch: the file is corrupt (stored %016llx, computed "
                        "%016llx)",
                        r->path, (unsigned long long)stored, (unsigned long long)h);
    return CORE_OK;
}

static int spec_cmp(const void *a, const void *b)
{
    return strcmp((*(struct spec *const *)a)->name, (*(struct spec *const *)b)->name);
}

static int spec_key_cmp(const void *key, const void *b)
{
    return strcmp(key, (*(struct spec *const *)b)->name);
}

/* The spec named name, by binary search (a scan per record made reading a
 * model of n tensors O(n^2)). */
static struct spec *find_spec(const struct reader *r, size_t n, const char *name)
{
    struct spec **found = bsearch(name, r->by_name, n, sizeof(*r->by_name), spec_key_cmp);

    return found ? *found : NULL;
}

/* The first element of a tensor's data (n floats as stored, little-endian,
 * read through buf) that is NaN or infinite: pass 2 reads every tensor so
 * that a check (validate) refuses what a load would. */
static enum core_rc check_finite(struct reader *r, const struct net *net,
                                 const struct spec *s, uint32_t t, unsigned char *buf,
                                 size_t buf_bytes)
{
    const size_t per = buf_bytes / sizeof(float);
    size_t done = 0;

    while (done < s->n) {
        size_t k = s->n - done < per ? s->n - done : per;
        float *v = (float *)(void *)buf;

        if (get(r, buf, k * sizeof(float), "a tensor's data") != CORE_OK)
            return CORE_E_INPUT;
        if (!host_is_little_endian())
            swap_floats(v, k);
        for (size_t i = 0; i < k; i++) {
            if (!isfinite(v[i]))
                return core_err(r->e, CORE_E_INPUT,
                                "%s: tensor %u '%s' of layer '%s': element %zu is %s; weights "
                                "must be finite numbers",
                                r->path, t, s->name,
                                nn_model_layer_name(net->cm[s->model], s->layer),
                                done + i, isnan(v[i]) ? "NaN" : "infinite");
        }
        done += k;
    }
    return CORE_OK;
}

/* Passes 2 and 3: the records against the specs; with m, their data into m's
 * weights, else through buf, checked finite. */
static enum core_rc read_records(struct reader *r, const struct net *net, struct spec *specs,
                                 size_t n_specs, bool load, unsigned char *buf, size_t buf_bytes)
{
    const long end = r->size - (long)TRAILER_BYTES;
    unsigned char head[HEADER_BYTES];
    uint32_t count, len, rank, dims[MAX_RANK];
    char name[NAME_MAX_BYTES + 1], want[96], got[96];

    for (size_t i = 0; i < n_specs; i++)
        specs[i].seen = false;
    if (fseek(r->f, 0, SEEK_SET) != 0 || get(r, head, HEADER_BYTES, "the header") != CORE_OK)
        return core_err(r->e, CORE_E_INPUT, "%s: cannot reread the file", r->path);
    count = get_u32(head + 12);
    for (uint32_t t = 0; t < count; t++) {
        struct spec *s;
        uint64_t n = 1;

        if (get_word(r, &len, "a tensor's name") != CORE_OK)
            return CORE_E_INPUT;
        if (len == 0 || len > NAME_MAX_BYTES)
            return core_err(r->e, CORE_E_INPUT, "%s: tensor %u: name length %u is outside 1..%u",
                            r->path, t, len, NAME_MAX_BYTES);
        if (get(r, name, len, "a tensor's name") != CORE_OK)
            return CORE_E_INPUT;
        name[len] = '\0';
        if (strlen(name) != len)
            return core_err(r->e, CORE_E_INPUT, "%s: tensor %u: the name holds a NUL byte", r->path,
                            t);
        if (get_word(r, &rank, "a tensor's rank") != CORE_OK)
            return CORE_E_INPUT;
        if (rank == 0 || rank > MAX_RANK)
            return core_err(r->e, CORE_E_INPUT, "%s: tensor %u '%s': rank %u is outside 1..%u",
                            r->path, t, name, rank, MAX_RANK);
        for (uint32_t d = 0; d < rank; d++) {
            if (get_word(r, &dims[d], "a tensor's shape") != CORE_OK)
                return CORE_E_INPUT;
            n *= dims[d];
        }
        s = find_spec(r, n_specs, name);
        if (s == NULL)
            return core_err(r->e, CORE_E_INPUT,
                            "%s: tensor %u '%s' is not a tensor of the model (no such layer or "
                            "part)",
                            r->path, t, name);
        if (s->seen)
            return core_err(r->e, CORE_E_INPUT, "%s: tensor %u '%s' is given twice", r->path, t,
                            name);
        if (rank != s->rank || memcmp(dims, s->dims, rank * sizeof(dims[0])) != 0) {
            shape_text(dims, rank, got, sizeof(got));
            shape_text(s->dims, s->rank, want, sizeof(want));
            return core_err(r->e, CORE_E_INPUT,
                            "%s: tensor %u '%s' has shape %s, the model's is %s", r->path, t, name,
                            got, want);
        }
        s->seen = true;
        if (n * sizeof(float) > (uint64_t)(end - ftell(r->f)))
            return core_err(r->e, CORE_E_INPUT,
                            "%s: truncated: the file ends inside tensor %u '%s'", r->path, t, name);
        if (load) {
            size_t n_w;
            float *dst = nn_model_layer_weights(net->m[s->model], s->layer, &n_w) + s->offset;
            if (get(r, dst, s->n * sizeof(float), "a tensor's data") != CORE_OK)
                return CORE_E_INPUT;
            if (!host_is_little_endian())
                swap_floats(dst, s->n);
        } else if (check_finite(r, net, s, t, buf, buf_bytes) != CORE_OK) {
            return CORE_E_INPUT;
        }
    }
    if (ftell(r->f) != end)
        return core_err(r->e, CORE_E_INPUT,
                        "%s: %ld bytes between the last tensor and the checksum (the tensor "
                        "count %u is wrong)",
                        r->path, end - ftell(r->f), count);
    for (size_t i = 0; i < n_specs; i++) {
        if (!specs[i].seen)
            return core_err(r->e, CORE_E_INPUT, "%s: the model's tensor '%s' is missing", r->path,
                            specs[i].name);
    }
    return CORE_OK;
}

static enum core_rc read_file(const struct net *net, const char *path, struct core_err *e)
{
    struct reader r = {path, NULL, 0, 0, e, NULL};
    struct spec *specs;
    unsigned char *buf;
    size_t n_specs;
    uint64_t size;
    enum core_rc rc;

    rc = make_specs(net, &specs, &n_specs, e);
    if (rc != CORE_OK)
        return rc;
    buf = core_malloc(CHUNK_FLOATS * sizeof(float));
    r.by_name = core_malloc((n_specs ? n_specs : 1) * sizeof(*r.by_name));
    if (buf == NULL || r.by_name == NULL) {
        rc = core_err(e, CORE_E_NOMEM, "%s: out of memory for the read buffer", path);
        goto out_free_buf;
    }
    for (size_t i = 0; i < n_specs; i++)
        r.by_name[i] = &specs[i];
    qsort(r.by_name, n_specs, sizeof(*r.by_name), spec_cmp);
    rc = core_file_open(path, "weights file", CORE_FILE_MAX_WEIGHTS, &r.f, &size, e);
    if (rc != CORE_OK)
        goto out_free_buf;
    r.size = (long)size;
    r.limit = r.size;
    rc = check_sum(&r, buf, CHUNK_FLOATS * sizeof(float));
    r.limit = r.size - (long)TRAILER_BYTES;
    if (rc == CORE_OK)
        rc = read_records(&r, net, specs, n_specs, false, buf, CHUNK_FLOATS * sizeof(float));
    if (rc == CORE_OK && net->m != NULL)
        rc = read_records(&r, net, specs, n_specs, true, buf, CHUNK_FLOATS * sizeof(float));
    fclose(r.f);
out_free_buf:
    core_free(r.by_name);
    core_free(buf);
    core_free(specs);
    return rc;
}

enum core_rc nn_weights_check_exits(const struct nn_model *m, const struct nn_exits *x,
                                    const char *path, struct core_err *e)
{
    struct net net;
    enum core_rc rc = net_init(&net, m, NULL, x, e);

    if (rc != CORE_OK)
        return rc;
    rc = read_file(&net, path, e);
    net_fini(&net);
    return rc;
}

enum core_rc nn_weights_load_exits(struct nn_model *m, struct nn_exits *x, const char *path,
                                   struct core_err *e)
{
    struct net net;
    enum core_rc rc = net_init(&net, m, m, x, e);

    if (rc != CORE_OK)
        return rc;
    if (!net_finalized(&net))
        rc = core_err(e, CORE_E_INPUT, "%s: cannot load weights into an unfinalized model", path);
    else
        rc = read_file(&net, path, e);
    net_fini(&net);
    return rc;
}

enum core_rc nn_weights_check(const struct nn_model *m, const char *path, struct core_err *e)
{
    return nn_weights_check_exits(m, NULL, path, e);
}

enum core_rc nn_weights_load(struct nn_model *m, const char *path, struct core_err *e)
{
    return nn_weights_load_exits(m, NULL, path, e);
}
