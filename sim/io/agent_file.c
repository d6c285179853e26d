/*
 * agent_file.c — the learning agent (policy.h) to and from its file.
 *
 * The format, version 3 (versions 2, without the standard errors per head
 * and the pessimism, and 1, without the prior either, are still read:
 * their agents decode at pessimism 0 and refuse another). Integers
 * little-endian; f32 / f64 IEEE-754 binary32 / binary64 little-endian; a
 * string is a u32 byte count and the bytes, no NUL.
 *
 *   offset 0   magic "COINFERA" (8 bytes)
 *          8   u32 format version, 3
 *         12   u32 0 (reserved)
 *         16   u64 payload bytes P
 *         24   the payload (P bytes):
 *                the training configuration: u64 seed, u64 steps, u32 batch,
 *                f64 learning rate, u32 hidden, u32 depth, f64 conservative,
 *                f64 holdout, u32 threads, then (not in version 1) u32 prior
 *                (enum policy_prior), u32 best held-out weights kept (0 or 1) and
 *                u32 imitation (0 or 1), f64 shrinkage, then (not in versions
 *                1 and 2) f64 pessimism (finite, >= 0);
 *                u32 problems N (1..1024), then N problems, each:
 *                  the action-space signature: string model (1..63 bytes),
 *                  string device (1..63), u32 state features S (1..4096),
 *                  u32 layers L (1..256), f64 model input bytes, L layers
 *                  (u32 inputs I (1..8), I x i32 input (-1: the model
 *                  input, else an earlier layer), f64 output bytes), for the
 *                  UE then the edge: u32 options O (1..16), O options (u32
 *                  resource, f64 amount, string label (0..31 bytes)); u32 1
 *                  when the family of cuts is every cut (else 0: prefixes),
 *                  u32 cuts in it;
 *                  the normalisation: f64 cost mean, f64 cost sd, f64 byte
 *                  scale, f64 the prior's shift (not in version 1), S x f32
 *                  feature means, S x f32 feature sds;
 *                  u64 weights W, W x f32 (every fc layer of the network,
 *                  weights (K, in) row-major then K biases, in order; W
 *                  must be what the signature, hidden and depth give);
 *                  then (not in versions 1 and 2) u64 heads H (what the
 *                  signature gives), H x f32 each head's standard error
 *                  (>= 0, +inf: no training plan selects it)
 *   24 + P     the SHA-256 of bytes 0 .. 24 + P - 1 as 64 lower-case hex
 *              digits; the file ends there
 *
 * Reading checks, in this order, each a "PATH:0: ..." CORE_E_INPUT: the
 * file opens as a regular file of at most CORE_FILE_MAX_AGENT bytes
 * (core_file_open), the magic (a foreign file), the version, the size
 * against the payload's (truncated, or bytes after the checksum), the
 * checksum (corruption), then every record and count as it is read, and
 * the agent the image makes (policy_agent_create).
 */
#include "io/io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "COINFERA"
#define MAGIC_BYTES 8
#define VERSION 3u
#define VERSION_NO_PRIOR 1u /* the oldest version read: no prior */
#define VERSION_NO_SE 2u    /* the last version without standard errors and pessimism */
#define HEADER_BYTES 24u
#define SUM_BYTES 64u
#define MAX_PROBLEMS 1024u

/* ---- writing ------------------------------------------------------------------------ */

struct buf {
    unsigned char *b; /* bytes (owned) */
    size_t n, cap;    /* used, room */
    bool nomem;       /* a growth failed */
};

static void put(struct buf *w, const void *p, size_t n)
{
    if (w->nomem)
        return;
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        unsigned char *b;

        while (cap < w->n + n)
            cap *= 2;
        b = core_realloc(w->b, cap);
        if (!b) {
            w->nomem = true;
            return;
        }
        w->b = b;
        w->cap = cap;
    }
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_u64(struct buf *w, uint64_t v)
{
    unsigned char b[8];
    int i;

    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 8);
}

static void put_u32(struct buf *w, uint32_t v)
{
    unsigned char b[4];
    int i;

    for (i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put(w, b, 4);
}

static void put_f64(struct buf *w, double v)
{
    uint64_t u;

    memcpy(&u, &v, 8);
    put_u64(w, u);
}

static void put_f32(struct buf *w, float v)
{
    uint32_t u;

    memcpy(&u, &v, 4);
    put_u32(w, u);
}

static void put_str(struct buf *w, const char *s)
{
    put_u32(w, (uint32_t)strlen(s));
    put(w, s, strlen(s));
}

static void put_part(struct buf *w, const struct policy_agent_part *pt, uint32_t version)
{
    const struct policy_agent_signature *sig = &pt->sig;
    uint32_t i, k;
    int sd;

    put_str(w, sig->model);
    put_str(w, sig->device);
    put_u32(w, sig->n_state);
    put_u32(w, sig->n_layers);
    put_f64(w, sig->input_bytes);
    for (i = 0; i < sig->n_layers; i++) {
        put_u32(w, sig->layers[i].n_inputs);
        for (k = 0; k < sig->layers[i].n_inputs; k++)
            put_u32(w, (uint32_t)sig->layers[i].inputs[k]);
        put_f64(w, sig->layers[i].out_bytes);
    }
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        put_u32(w, sig->n_options[sd]);
        for (k = 0; k < sig->n_options[sd]; k++) {
            put_u32(w, sig->options[sd][k].resource);
            put_f64(w, sig->options[sd][k].amount);
            put_str(w, sig->options[sd][k].label);
        }
    }
    put_u32(w, sig->ideals ? 1 : 0);
    put_u32(w, sig->n_cuts);
    put_f64(w, pt->cost_mean);
    put_f64(w, pt->cost_sd);
    put_f64(w, pt->bytes_scale);
    put_f64(w, pt->prior_shift);
    for (i = 0; i < sig->n_state; i++)
        put_f32(w, pt->state_mean[i]);
    for (i = 0; i < sig->n_state; i++)
        put_f32(w, pt->state_sd[i]);
    put_u64(w, pt->n_weights);
    for (size_t j = 0; j < pt->n_weights; j++)
        put_f32(w, pt->weights[j]);
    if (version <= VERSION_NO_SE)
        return;
    put_u64(w, policy_agent_heads(sig));
    for (size_t j = 0; j < policy_agent_heads(sig); j++)
        put_f32(w, pt->head_se[j]);
}

enum core_rc io_agent_write(const struct policy_agent *a, const char *path, struct core_err *e)
{
    const struct policy_agent_image *img = policy_agent_image(a);
    const struct policy_train_config *c = &img->config;
    struct buf w = {0};
    struct core_sha256 h;
    char sum[65];
    enum core_rc rc = CORE_OK;
    uint32_t version = VERSION;
    FILE *f;
    size_t i;

    /* An agent without standard errors (read from an older file) is written
     * as version 2: what it carries, nothing made up. */
    for (i = 0; i < img->n_problems; i++)
        if (!img->parts[i].head_se)
            version = VERSION_NO_SE;
    put(&w, MAGIC, MAGIC_BYTES);
    put_u32(&w, version);
    put_u32(&w, 0);
    put_u64(&w, 0); /* the payload's size, set below */
    put_u64(&w, c->seed);
    put_u64(&w, c->steps);
    put_u32(&w, c->batch);
    put_f64(&w, c->learning_rate);
    put_u32(&w, c->hidden);
    put_u32(&w, c->depth);
    put_f64(&w, c->conservative);
    put_f64(&w, c->holdout);
    put_u32(&w, (uint32_t)c->threads);
    put_u32(&w, c->prior);
    put_u32(&w, c->best_heldout ? 1u : 0u);
    put_u32(&w, c->imitate ? 1u : 0u);
    put_f64(&w, c->shrink);
    if (version > VERSION_NO_SE)
        put_f64(&w, c->pessimism);
    put_u32(&w, (uint32_t)img->n_problems);
    for (i = 0; i < img->n_problems; i++)
        put_part(&w, &img->parts[i], version);
    if (w.nomem) {
        core_free(w.b);
        return core_err(e, CORE_E_NOMEM, "out of memory writing the agent file %s", path);
    }
    for (i = 0; i < 8; i++)
        w.b[16 + i] = (unsigned char)((uint64_t)(w.n - HEADER_BYTES) >> (8 * i));
    core_sha256_init(&h);
    core_sha256_update(&h, w.b, w.n);
    core_sha256_final_hex(&h, sum);
    f = fopen(path, "wb");
    if (!f) {
        core_free(w.b);
        return core_err(e, CORE_E_IO, "%s: cannot write the agent file: %s", path,
                        strerror(errno));
    }
    if (fwrite(w.b, 1, w.n, f) != w.n || fwrite(sum, 1, SUM_BYTES, f) != SUM_BYTES)
        rc = core_err(e, CORE_E_IO, "%s: cannot write the agent file: %s", path, strerror(errno));
    if (fclose(f) != 0 && rc == CORE_OK)
        rc = core_err(e, CORE_E_IO, "%s: cannot write the agent file: %s", path, strerror(errno));
    if (rc != CORE_OK)
        remove(path);
    core_free(w.b);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

struct rd {
    const unsigned char *b; /* the payload (borrowed) */
    size_t n, at;           /* its bytes, the next one */
    const char *path;       /* for messages */
    struct core_err *e;     /* where errors go (may be NULL) */
    bool bad;               /* an error is recorded */
    enum core_rc rc;        /* which, when bad */
    uint32_t version;       /* the file's format version */
};

static bool need(struct rd *r, size_t n, const char *what)
{
    if (r->bad)
        return false;
    if (r->n - r->at < n) {
        core_err(r->e, CORE_E_INPUT, "%s:0: truncated agent file: %s at byte %zu runs past its "
                 "payload", r->path, what, HEADER_BYTES + r->at);
        r->bad = true;
        r->rc = CORE_E_INPUT;
        return false;
    }
    return true;
}

static uint64_t get_u64(struct rd *r, const char *what)
{
    uint64_t v = 0;
    int i;

    if (!need(r, 8, what))
        return 0;
    for (i = 0; i < 8; i++)
        v |= (uint64_t)r->b[r->at + i] << (8 * i);
    r->at += 8;
    return v;
}

static uint32_t get_u32(struct rd *r, const char *what)
{
    uint32_t v = 0;
    int i;

    if (!need(r, 4, what))
        return 0;
    for (i = 0; i < 4; i++)
        v |= (uint32_t)r->b[r->at + i] << (8 * i);
    r->at += 4;
    return v;
}

static double get_f64(struct rd *r, const char *what)
{
    uint64_t u = get_u64(r, what);
    double v;

    memcpy(&v, &u, 8);
    return v;
}

static float get_f32(struct rd *r, const char *what)
{
    uint32_t u = get_u32(r, what);
    float v;

    memcpy(&v, &u, 4);
    return v;
}

/* A value out of range: the error, false. */
static bool range(struct rd *r, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool range(struct rd *r, bool ok, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (ok || r->bad)
        return ok && !r->bad;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    core_err(r->e, CORE_E_INPUT, "%s:0: %s", r->path, msg);
    r->bad = true;
    r->rc = CORE_E_INPUT;
    return false;
}

static void get_str(struct rd *r, char *out, size_t cap, bool empty_ok, const char *what)
{
    uint32_t len = get_u32(r, what);

    if (!range(r, len < cap && (empty_ok || len > 0), "%s of %u bytes (%s..%zu)", what, len,
               empty_ok ? "0" : "1", cap - 1) ||
        !need(r, len, what))
        return;
    memcpy(out, r->b + r->at, len);
    out[len] = 0;
    r->at += len;
}

static void get_part(struct rd *r, const struct policy_train_config *c, size_t p,
                     struct policy_agent_part *pt)
{
    struct policy_agent_signature *sig = &pt->sig;
    uint32_t i, k;
    uint64_t nw;
    int sd;

    get_str(r, sig->model, sizeof(sig->model), false, "a model name");
    get_str(r, sig->device, sizeof(sig->device), false, "a device name");
    sig->n_state = get_u32(r, "state features");
    range(r, sig->n_state >= 1 && sig->n_state <= POLICY_AGENT_MAX_STATE,
          "problem %zu: %u state features (1..%d)", p, sig->n_state, POLICY_AGENT_MAX_STATE);
    sig->n_layers = get_u32(r, "layers");
    range(r, sig->n_layers >= 1 && sig->n_layers <= COMPUTE_PLAN_MAX_LAYERS,
          "problem %zu: %u layers (1..%d)", p, sig->n_layers, COMPUTE_PLAN_MAX_LAYERS);
    sig->input_bytes = get_f64(r, "input bytes");
    for (i = 0; i < sig->n_layers && !r->bad; i++) {
        struct compute_problem_layer *l = &sig->layers[i];

        l->n_inputs = get_u32(r, "a layer's inputs");
        if (!range(r, l->n_inputs >= 1 && l->n_inputs <= COMPUTE_PLAN_MAX_INPUTS,
                   "problem %zu: layer %u has %u inputs (1..%d)", p, i, l->n_inputs,
                   COMPUTE_PLAN_MAX_INPUTS))
            return;
        for (k = 0; k < l->n_inputs; k++)
            l->inputs[k] = (int32_t)get_u32(r, "a layer's input");
        l->out_bytes = get_f64(r, "a layer's output bytes");
    }
    for (sd = 0; sd < COMPUTE_SIDE_COUNT && !r->bad; sd++) {
        sig->n_options[sd] = get_u32(r, "options");
        if (!range(r, sig->n_options[sd] >= 1 && sig->n_options[sd] <= COMPUTE_PLAN_MAX_OPTIONS,
                   "problem %zu: %u %s options (1..%d)", p, sig->n_options[sd],
                   compute_side_name(sd), COMPUTE_PLAN_MAX_OPTIONS))
            return;
        for (k = 0; k < sig->n_options[sd]; k++) {
            sig->options[sd][k].resource = get_u32(r, "an option's resource");
            sig->options[sd][k].amount = get_f64(r, "an option's amount");
            get_str(r, sig->options[sd][k].label, sizeof(sig->options[sd][k].label), true,
                    "an option's label");
        }
    }
    k = get_u32(r, "the family of cuts");
    range(r, k <= 1, "problem %zu: family kind %u (0: prefixes, 1: every cut)", p, k);
    sig->ideals = k == 1;
    sig->n_cuts = get_u32(r, "cuts");
    pt->cost_mean = get_f64(r, "the cost mean");
    pt->cost_sd = get_f64(r, "the cost sd");
    pt->bytes_scale = get_f64(r, "the byte scale");
    pt->prior_shift = r->version == VERSION_NO_PRIOR ? 0 : get_f64(r, "the prior's shift");
    if (r->bad)
        return;
    pt->state_mean = core_malloc(sig->n_state * sizeof(float));
    pt->state_sd = core_malloc(sig->n_state * sizeof(float));
    if (!pt->state_mean || !pt->state_sd) {
        core_err(r->e, CORE_E_NOMEM, "out of memory reading %s", r->path);
        r->bad = true;
        r->rc = CORE_E_NOMEM;
        return;
    }
    for (i = 0; i < sig->n_state; i++)
        pt->state_mean[i] = get_f32(r, "a feature mean");
    for (i = 0; i < sig->n_state; i++)
        pt->state_sd[i] = get_f32(r, "a feature sd");
    nw = get_u64(r, "the weight count");
    if (r->bad || !range(r, sig->n_cuts >= 1 && sig->n_cuts <= POLICY_CUTS_MAX +
                                                                   COMPUTE_PLAN_MAX_LAYERS + 1,
                         "problem %zu: %u cuts", p, sig->n_cuts))
        return;
    if (!range(r, nw == policy_agent_n_weights(sig, c->hidden, c->depth),
               "problem %zu: %llu weights where its network has %zu", p, (unsigned long long)nw,
               policy_agent_n_weights(sig, c->hidden, c->depth)) ||
        !need(r, nw * 4, "the weights"))
        return;
    pt->n_weights = (size_t)nw;
    pt->weights = core_malloc(pt->n_weights * sizeof(float));
    if (!pt->weights) {
        core_err(r->e, CORE_E_NOMEM, "out of memory reading %s", r->path);
        r->bad = true;
        r->rc = CORE_E_NOMEM;
        return;
    }
    for (size_t j = 0; j < pt->n_weights; j++)
        pt->weights[j] = get_f32(r, "a weight");
    if (r->version <= VERSION_NO_SE)
        return;
    nw = get_u64(r, "the head count");
    if (!range(r, nw == policy_agent_heads(sig),
               "problem %zu: %llu standard errors where its "
               "network has %zu heads",
               p, (unsigned long long)nw, policy_agent_heads(sig)) ||
        !need(r, nw * 4, "the standard errors"))
        return;
    pt->head_se = core_malloc((size_t)nw * sizeof(float));
    if (!pt->head_se) {
        core_err(r->e, CORE_E_NOMEM, "out of memory reading %s", r->path);
        r->bad = true;
        r->rc = CORE_E_NOMEM;
        return;
    }
    for (size_t j = 0; j < nw; j++)
        pt->head_se[j] = get_f32(r, "a standard error");
}

/* The file's bytes (owned) after the checks of the header, size and sum. */
static enum core_rc read_checked(const char *path, unsigned char **out, size_t *n_out,
                                 uint32_t *version_out, struct core_err *e)
{
    unsigned char *b = NULL;
    struct core_sha256 h;
    uint64_t size, payload = 0;
    uint32_t version;
    char sum[65];
    enum core_rc rc;
    FILE *f;
    int i;

    rc = core_file_open(path, "agent file", CORE_FILE_MAX_AGENT, &f, &size, e);
    if (rc != CORE_OK)
        return rc;
    b = core_malloc(size ? (size_t)size : 1);
    if (!b) {
        fclose(f);
        return core_err(e, CORE_E_NOMEM, "out of memory reading %s (%llu bytes)", path,
                        (unsigned long long)size);
    }
    if (fread(b, 1, (size_t)size, f) != size || fgetc(f) != EOF) {
        fclose(f);
        core_free(b);
        return core_err(e, CORE_E_INPUT, "%s:0: the agent file changed while it was read",
                        path);
    }
    fclose(f);
    if (size < MAGIC_BYTES || memcmp(b, MAGIC, MAGIC_BYTES) != 0) {
        rc = core_err(e, CORE_E_INPUT, "%s:0: not an agent file (its first bytes are not the "
                      "magic \"%s\")", path, MAGIC);
        goto out_free;
    }
    if (size < HEADER_BYTES) {
        rc = core_err(e, CORE_E_INPUT, "%s:0: truncated agent file: %llu bytes, less than its "
                      "header", path, (unsigned long long)size);
        goto out_free;
    }
    version = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
              (uint32_t)b[11] << 24;
    if (version < VERSION_NO_PRIOR || version > VERSION) {
        rc = core_err(e, CORE_E_INPUT, "%s:0: agent file version %u; this coinfer reads "
                      "versions %u..%u", path, version, VERSION_NO_PRIOR, VERSION);
        goto out_free;
    }
    for (i = 0; i < 8; i++)
        payload |= (uint64_t)b[16 + i] << (8 * i);
    if (payload > size || size - payload < HEADER_BYTES + SUM_BYTES) {
        rc = core_err(e, CORE_E_INPUT, "%s:0: truncated agent file: %llu bytes where its header "
                      "says %llu", path, (unsigned long long)size,
                      (unsigned long long)(payload > size ? payload : payload + HEADER_BYTES +
                                                                          SUM_BYTES));
        goto out_free;
    }
    if (size - payload > HEADER_BYTES + SUM_BYTES) {
        rc = core_err(e, CORE_E_INPUT, "%s:0: %llu bytes after the agent file's checksum", path,
                      (unsigned long long)(size - payload - HEADER_BYTES - SUM_BYTES));
        goto out_free;
    }
    core_sha256_init(&h);
    core_sha256_update(&h, b, (size_t)(HEADER_BYTES + payload));
    core_sha256_final_hex(&h, sum);
    if (memcmp(sum, b + HEADER_BYTES + payload, SUM_BYTES) != 0) {
        rc = core_err(e, CORE_E_INPUT, "%s:0: checksum mismatch: the agent file is corrupted",
                      path);
        goto out_free;
    }
    *out = b;
    *n_out = (size_t)payload;
    *version_out = version;
    return CORE_OK;
out_free:
    core_free(b);
    return rc;
}

static void image_free(struct policy_agent_image *img)
{
    size_t i;

    for (i = 0; img->parts && i < img->n_problems; i++) {
        core_free(img->parts[i].state_mean);
        core_free(img->parts[i].state_sd);
        core_free(img->parts[i].weights);
        core_free(img->parts[i].head_se);
    }
    core_free(img->parts);
}

enum core_rc io_agent_read(const char *path, struct policy_agent **out, struct core_err *e)
{
    struct policy_agent_image img = {0};
    struct policy_train_config *c = &img.config;
    struct core_err le = {0};
    unsigned char *b = NULL;
    struct rd r = {.path = path, .e = e};
    enum core_rc rc;
    uint32_t n, version = 0;
    size_t i;

    rc = read_checked(path, &b, &r.n, &version, e);
    if (rc != CORE_OK)
        return rc;
    r.version = version;
    r.b = b + HEADER_BYTES;
    c->seed = get_u64(&r, "the seed");
    c->steps = get_u64(&r, "the steps");
    c->batch = get_u32(&r, "the batch");
    c->learning_rate = get_f64(&r, "the learning rate");
    c->hidden = get_u32(&r, "the trunk width");
    c->depth = get_u32(&r, "the trunk depth");
    /* before any count is derived from them: a depth of 4e9 took seconds to
     * count the weights of (found by the agent fuzz target) */
    range(&r,
          c->hidden >= 1 && c->hidden <= POLICY_AGENT_MAX_HIDDEN &&
              c->depth <= POLICY_AGENT_MAX_DEPTH,
          "trunk of %u layers of %u units (at most %d of 1..%d)", c->depth, c->hidden,
          POLICY_AGENT_MAX_DEPTH, POLICY_AGENT_MAX_HIDDEN);
    c->conservative = get_f64(&r, "the conservative weight");
    c->holdout = get_f64(&r, "the held-out share");
    c->threads = (int)get_u32(&r, "the threads");
    if (version != VERSION_NO_PRIOR) {
        uint32_t best;

        c->prior = get_u32(&r, "the prior");
        best = get_u32(&r, "the best held-out flag");
        range(&r, best <= 1, "best held-out flag %u (0 or 1)", best);
        c->best_heldout = best == 1;
        best = get_u32(&r, "the imitation flag");
        range(&r, best <= 1, "imitation flag %u (0 or 1)", best);
        c->imitate = best == 1;
        c->shrink = get_f64(&r, "the shrinkage");
    }
    if (version > VERSION_NO_SE)
        c->pessimism = get_f64(&r, "the pessimism");
    n = get_u32(&r, "the problems");
    if (range(&r, n >= 1 && n <= MAX_PROBLEMS, "%u problems (1..%u)", n, MAX_PROBLEMS)) {
        img.parts = core_calloc(n, sizeof(*img.parts));
        if (!img.parts) {
            rc = core_err(e, CORE_E_NOMEM, "out of memory reading %s", path);
            goto out;
        }
        img.n_problems = n;
    }
    for (i = 0; i < img.n_problems && !r.bad; i++)
        get_part(&r, c, i, &img.parts[i]);
    if (!r.bad)
        range(&r, r.at == r.n, "%zu bytes of the payload follow its last problem", r.n - r.at);
    if (r.bad) {
        rc = r.rc;
        goto out;
    }
    rc = policy_agent_create(&img, out, &le);
    if (rc != CORE_OK)
        rc = core_err(e, rc, rc == CORE_E_INPUT ? "%s:0: %s" : "%s: %s", path, le.msg);
out:
    image_free(&img);
    core_free(b);
    return rc;
}

enum core_rc io_agent_validate(const char *path, struct core_err *e)
{
    struct policy_agent *a = NULL;
    enum core_rc rc = io_agent_read(path, &a, e);

    policy_agent_destroy(a);
    return rc;
}

bool io_file_is_agent(const char *path)
{
    char magic[MAGIC_BYTES];
    FILE *f;
    bool yes;

    /* Any size: an agent file too large is then refused by its reader. */
    if (core_file_open(path, "agent file", UINT64_MAX, &f, NULL, NULL) != CORE_OK)
        return false;
    yes = fread(magic, 1, MAGIC_BYTES, f) == MAGIC_BYTES &&
          memcmp(magic, MAGIC, MAGIC_BYTES) == 0;
    fclose(f);
    return yes;
}
