/*
 * cpmm_model.c — the CPMM's logic: resource types, the roofline, the energy
 * model, profiled measurements and per-type regressions, and the request ->
 * reply pricing of one layer.
 *
 * The regression. A layer's latency on a CPU is a sum of costs, each the
 * amount of something the layer does times a time per unit, so the model is
 * linear in features computed from the layer's shapes alone (it must price
 * layers nobody ran): t A = sum_j c_j x_j.
 *
 * A conv2d runs one OpenBLAS sgemm per group and batch item (C m x n = A
 * m x k . B k x n: weights times the input's im2col matrix) on one of two
 * code paths, which the descriptor tells apart (im2col_elems): a 1x1
 * stride-1 unpadded conv multiplies its input in place; any other first
 * writes the k x n im2col matrix, one memcpy'd row of Wo elements per
 * (input channel, ky, kx, output row). Its features: the multiply-adds
 * m n k; the m x n outputs (the GEMM's C tiles, the bias / activation
 * pass); the im2col elements written (0 on the in-place path); the m x k
 * weights the GEMM packs; the im2col row copies (k Ho: each costs a call
 * and the padding it zeroes, whatever its length); the k x n elements of B
 * the GEMM packs (on both paths); the multiply-adds again for a stem conv
 * (c_in <= 4: it reads the model's image, and its GEMM, k = c_in kh kw
 * tiny, runs below the rate of the body convs'); the vector operations of
 * the activation pass a fused sigmoid, silu or hardswish adds (act_ops: one
 * cost per operation, so one model's activation prices another's). The
 * stem multiply-adds are a kernel
 * family of its own: without it the stems run 5-30 % slower than
 * predicted, and fitting them with the body convs inflates the per-output
 * cost every conv pays, which the in-place 1x1 convs of MobileNetV2 (no
 * other model has one) then inherit. A pooling layer has the features of
 * its window loop (window_features). A batch-1 fully connected layer (a
 * matrix-vector product) streams its weights once; other memory-bound
 * layers cost the bytes they move and the operations they do.
 *
 * Every c_j >= 0 (a negative time per unit would make extrapolated layers
 * cheaper than free: a column whose coefficient comes out negative is
 * dropped and the rest refitted). The fit is weighted least squares with
 * weight 1 / (t A)^2, i.e. it minimises *relative* residuals, what the
 * +-10 % criterion counts; an unweighted fit is driven by the few largest
 * layers and misses the small ones by factors. Features are listed most
 * telling first, and a fit on n profiles uses at most the first n / 2 of
 * them, so a type profiled only a few times gets a proportional model, not
 * an interpolation of noise.
 *
 * Tried and dropped, by the cross-model check (coinfer profile
 * --cpmm-check): a log-space power law in the same quantities (about 35 %
 * of layers within +-10 %); a fixed cost per layer, the strided im2col
 * elements apart, OpenBLAS micro-tile padding of m and n (16 x 4 tiles),
 * the sgemm calls per pass (im2col strips), outputs beyond the L2 cache,
 * and the in-place path's output pass priced by the streaming fit (each no
 * better, or worse, over several measurements); robust (Huber, bisquare)
 * reweighting, which moved the fit between equally good optima from one
 * measurement to the next. With the ten models, on the recorded timings
 * (58.5 % within +-10 % then): the activation pass priced on each
 * output row rounded up to whole 8-float blocks, as act.c runs a row of 1
 * (a squeeze-and-excitation conv on a 1x1 plane) as a full block (57.2 %),
 * and the conv's output rows as a feature of their own (59.0 %: no better
 * than the noise between recordings). Kept: the depthwise kernel's fixed
 * cost per call (60.8 % on the recorded timings, and on three fresh
 * recordings under load, 46.6 -> 49.1 %, 59.6 -> 59.6 %, 55.2 -> 57.0 %:
 * never worse, which the rows feature was not).
 *
 * A type without profiles of its own falls back to its family's fit
 * (streaming layers: elementwise, global pooling, concat, softmax; window
 * layers: max and average pooling); GEMMs, depthwise convs and reshapes have
 * no family: nothing else predicts them. A depthwise conv runs a direct
 * kernel (shifted-row multiply-adds), not a GEMM and not a pooling loop:
 * priced as per-group GEMMs (m = 1) by the conv2d fit it comes out 76 % low
 * to 50 % high, as a window layer by the pooling fit 150-340 % high, never
 * once within +-10 % (MobileNetV2's 17, held out), so only its own
 * profiles price it, on the features of its kernel (dwconv_features). With
 * the ten-model zoo, four models have them (MobileNetV2, ShuffleNetV2,
 * MobileNetV3-Small, EfficientNet-B0); their fused activations differ
 * (relu6, none, relu or hardswish, silu), which is why the activation pass
 * is a feature of its own: priced on their streaming-layer features, the
 * held-out model's depthwise convs came out 30-65 % off.
 *
 * Amount: a profile taken with A cores is stored as core-seconds t A and a
 * prediction for A' divides by A' (ideal scaling); a measurement at the
 * requested amount is always preferred, so the scaling only prices amounts
 * nobody profiled.
 *
 * Energy: a resource draws idle_power_w whenever it is on (the caller
 * charges that over wall-clock time) and active_power_w when all of it
 * computes; a layer on amount A costs the active power of the part it uses
 * times its latency (compute_energy_j).
 */
#include "compute/compute.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define KEY_MAX COMPUTE_CPMM_KEY_MAX

/* A conv2d with at most this many input channels is a stem conv: it reads
 * the model's image (RGB, grey or RGBA). */
#define STEM_MAX_CHANNELS 4

static const char *const layer_type_names[] = {
    "conv2d",      "dwconv",    "fc",   "batchnorm", "relu",    "relu6",   "maxpool",
    "avgpool",     "gap",       "add",  "concat",    "softmax", "reshape", "sigmoid",
    "hardsigmoid", "hardswish", "silu", "mul",       "slice",   "shuffle",
};
static_assert(ARRAY_LEN(layer_type_names) == COMPUTE_LAYER_TYPE_COUNT, "one name per type");

static const char *const source_names[] = {"measured", "regression", "roofline", "unsupported"};
static_assert(ARRAY_LEN(source_names) == COMPUTE_CPMM_SOURCE_COUNT, "one name per source");

const char *compute_layer_type_name(enum compute_layer_type t)
{
    return layer_type_names[t];
}

bool compute_layer_type_find(const char *name, enum compute_layer_type *t)
{
    size_t i;

    for (i = 0; i < COMPUTE_LAYER_TYPE_COUNT; i++)
        if (strcmp(name, layer_type_names[i]) == 0) {
            *t = (enum compute_layer_type)i;
            return true;
        }
    return false;
}

const char *compute_cpmm_source_name(enum compute_cpmm_source s)
{
    return source_names[s];
}

/* ---- roofline and energy ----------------------------------------------- */

double compute_roofline_s(const struct compute_resource *r, double amount,
                          const struct compute_layer_desc *d)
{
    const double rate = r->peak_flops * amount * r->efficiency[d->type];
    const double bw = r->kind == COMPUTE_RES_CPU ? r->mem_bandwidth_bytes_per_s
                                                 : r->mem_bandwidth_bytes_per_s * amount;
    const double bytes = d->in_bytes + d->out_bytes + d->param_bytes;
    const double compute_s = d->flops > 0.0 ? d->flops / rate : 0.0;
    const double memory_s = bytes > 0.0 ? bytes / bw : 0.0;

    return (compute_s > memory_s ? compute_s : memory_s) + r->overhead_s;
}

double compute_energy_j(const struct compute_resource *r, double amount, double latency_s)
{
    const double share = r->kind == COMPUTE_RES_CPU ? amount / (double)r->units : amount;

    return r->active_power_w * share * latency_s;
}

/* ---- features ---------------------------------------------------------- */

/* Families of memory-bound types, for types no profile covers: streaming
 * layers touch each element a fixed number of times (elementwise ops, global
 * pooling, concat, softmax), window layers slide a kernel over their input
 * (max and average pooling). */
enum cpmm_family { FAMILY_STREAM, FAMILY_WINDOW, FAMILY_COUNT, FAMILY_NONE = FAMILY_COUNT };

/* A pooling layer (pool.c in sim/nn) pools each output row in two steps:
 * it reduces the kh input rows of its window column by column into one row
 * (about in x kh / stride elements over the layer), then for each of the kw
 * taps gathers the strided tap and reduces it into the output row (out x kw
 * elements). Its features: the row operations (C Ho (kh + 2 kw) calls, whose
 * set-up and scalar tails dominate small planes), those two element counts,
 * a fixed cost, and the bytes it moves. Counted in bytes, as the descriptor
 * is. */
static size_t window_features(const struct compute_layer_desc *d, double *x)
{
    const double kh = d->kernel_h ? (double)d->kernel_h : 1.0;
    const double s = d->stride ? (double)d->stride : 1.0;

    x[0] = (double)d->c_out * (double)d->out_h * (kh + 2.0 * (double)d->kernel_area / kh);
    x[1] = d->in_bytes * kh / s;
    x[2] = d->out_bytes * (double)d->kernel_area / kh;
    x[3] = 1.0;
    x[4] = d->in_bytes + d->out_bytes;
    return 5;
}

/* Vector operations per element of the activation pass that follows a
 * conv's outputs when its activation is not a clamp (act.c in sim/nn: eight
 * floats a step, no fused multiply-add), counted from the kernel's code: a
 * sigmoid or silu negates, takes exp (two clamps of four operations, the
 * rounding in three, the reduction in four, the degree-7 polynomial in
 * fourteen, the scaling by 2^n in four), adds one and divides: 36 per eight
 * elements; a hardswish adds, clamps in five, multiplies and divides: 9
 * (a hardsigmoid 8, priced as 9). A clamp (relu, relu6) costs nothing
 * here: it rides in the bias pass every output pays. One coefficient then
 * prices both kinds, so a model whose activation no other model fuses
 * (EfficientNet-B0's silu) is priced from the others' (MobileNetV3's
 * hardswish) by the operations its kernel runs. */
static double act_ops(enum compute_act a)
{
    static const double ops[] = {0.0, 0.0, 36.0 / 8.0, 9.0 / 8.0};
    static_assert(ARRAY_LEN(ops) == COMPUTE_ACT_COUNT, "one count per activation class");

    return ops[a];
}

/* A depthwise conv (depthwise.c in sim/nn) copies each channel's plane,
 * zero-padded, into its stride's phase planes, then accumulates each output
 * row in blocks of eight columns over all kh kw taps, the bias and a clamp
 * in registers; an activation that is not a clamp runs over each output
 * plane after it. Its features: the tap multiply-adds of whole blocks (Wo
 * rounded up to 8), the bytes of the planes copied, the activation pass's
 * vector operations (act_ops), the output rows (each a loop set-up and a
 * partial block), the outputs, the planes (a copy set-up each), and the
 * call (its geometry, the workspace's phase planes zeroed once, the chunk
 * loop: a fixed cost per layer, as every other kernel's fit has one). Its
 * descriptor is a conv's: gemm_n = Ho Wo outputs per plane, gemm_count =
 * batch x channels planes. */
static size_t dwconv_features(const struct compute_layer_desc *d, double *x)
{
    const double planes = d->gemm_count > 0.0 ? d->gemm_count : (double)d->c_out;
    const double rows = planes * (d->out_h ? (double)d->out_h : 1.0);
    const double wo = d->out_h ? d->gemm_n / (double)d->out_h : d->gemm_n;
    const double outs = planes * d->gemm_n;

    x[0] = rows * 8.0 * ceil(wo / 8.0) * (double)d->kernel_area;
    x[1] = d->in_bytes;
    x[2] = outs * act_ops(d->act);
    x[3] = rows;
    x[4] = outs;
    x[5] = planes;
    x[6] = 1.0;
    return 7;
}

size_t compute_cpmm_features(const struct compute_layer_desc *d, double *x)
{
    const double count = d->gemm_count > 0.0 ? d->gemm_count : 1.0;
    size_t n = 0;

    if (d->type == COMPUTE_LAYER_CONV2D) {
        /* What its code path does (see the file comment): multiply-adds,
         * outputs, im2col elements, weights packed, im2col row copies, B
         * panel elements packed, stem multiply-adds. */
        const double macs = d->gemm_m * d->gemm_n * d->gemm_k * count;
        x[n++] = macs;
        x[n++] = d->gemm_m * d->gemm_n * count;
        x[n++] = d->im2col_elems;
        x[n++] = d->gemm_m * d->gemm_k * count;
        x[n++] = d->gemm_n > 0.0 ? d->im2col_elems * d->out_h / d->gemm_n : 0.0;
        x[n++] = d->gemm_k * d->gemm_n * count;
        x[n++] = d->c_in <= STEM_MAX_CHANNELS ? macs : 0.0;
        x[n++] = d->gemm_m * d->gemm_n * count * act_ops(d->act);
    } else if (d->type == COMPUTE_LAYER_DWCONV) {
        n = dwconv_features(d, x);
    } else if (d->type == COMPUTE_LAYER_FC) {
        /* Batch 1 is a matrix-vector product: the weights stream once. */
        x[n++] = d->param_bytes;
        x[n++] = 1.0;
        x[n++] = d->flops;
        x[n++] = d->in_bytes + d->out_bytes;
    } else if (d->type == COMPUTE_LAYER_MAXPOOL || d->type == COMPUTE_LAYER_AVGPOOL) {
        n = window_features(d, x);
    } else {
        x[n++] = d->in_bytes + d->out_bytes;
        x[n++] = d->flops;
        x[n++] = 1.0;
        x[n++] = d->in_bytes;
        x[n++] = d->out_bytes;
    }
    CORE_ASSERT(n <= COMPUTE_CPMM_MAX_FEATURES);
    return n;
}

/* Features of a family fallback: a window layer's (above); for streaming
 * layers the bytes moved and operations, then the fixed cost. */
static size_t family_features(enum cpmm_family f, const struct compute_layer_desc *d, double *x)
{
    if (f == FAMILY_WINDOW)
        return window_features(d, x);
    x[0] = d->in_bytes + d->out_bytes;
    x[1] = d->flops;
    x[2] = 1.0;
    return 3;
}

/* Coefficients a fit on n samples may use out of p: three samples each. */
static size_t usable_features(size_t n, size_t p)
{
    size_t q = n / 2;

    if (q < 1)
        q = 1;
    return q < p ? q : p;
}

/* ---- the CPMM object --------------------------------------------------- */

struct cpmm_sample {
    size_t res;                  /* resource index */
    double amount;               /* amount profiled at (cores or share) */
    char key[KEY_MAX];           /* caller's layer key */
    struct compute_layer_desc d; /* the layer */
    double latency_s;            /* measured latency, s */
};

/* One regression: t A = coef . x[0..n), coef >= 0. */
struct cpmm_fit {
    bool ok;                                /* fitted */
    size_t n;                               /* coefficients used */
    double coef[COMPUTE_CPMM_MAX_FEATURES]; /* on compute_cpmm_features (or family's) */
};

/* Fits of one resource: one per type, then one per family. */
struct cpmm_fits {
    struct cpmm_fit type[COMPUTE_LAYER_TYPE_COUNT]; /* per layer type */
    struct cpmm_fit family[FAMILY_COUNT];           /* each family's types together */
};

struct compute_cpmm {
    struct compute_resource *res; /* resource types, owned */
    struct cpmm_fits *fits;       /* one per resource, owned */
    size_t n_res, cap_res;        /* entries, capacity */
    struct cpmm_sample *samples;  /* profiles, owned */
    size_t n_samples, cap_samples;
    bool fitted; /* fits match the samples */
};

struct compute_cpmm *compute_cpmm_create(void)
{
    return core_calloc(1, sizeof(struct compute_cpmm));
}

void compute_cpmm_destroy(struct compute_cpmm *c)
{
    if (!c)
        return;
    core_free(c->samples);
    core_free(c->fits);
    core_free(c->res);
    core_free(c);
}

enum core_rc compute_cpmm_add_resource(struct compute_cpmm *c, const struct compute_resource *r,
                                       size_t *index, struct core_err *e)
{
    for (size_t t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++)
        CORE_ASSERT(r->bias[t] > 0.0 && isfinite(r->bias[t])); /* a resolved resource */
    if (c->n_res == c->cap_res) {
        const size_t cap = c->cap_res ? 2 * c->cap_res : 4;
        struct compute_resource *nr = core_realloc(c->res, cap * sizeof(*nr));
        struct cpmm_fits *nf;
        if (!nr)
            return core_err(e, CORE_E_NOMEM, "out of memory adding resource '%s'", r->name);
        c->res = nr;
        nf = core_realloc(c->fits, cap * sizeof(*nf));
        if (!nf)
            return core_err(e, CORE_E_NOMEM, "out of memory adding resource '%s'", r->name);
        c->fits = nf;
        c->cap_res = cap;
    }
    c->res[c->n_res] = *r;
    memset(&c->fits[c->n_res], 0, sizeof(c->fits[c->n_res]));
    *index = c->n_res++;
    return CORE_OK;
}

static bool amount_valid(const struct compute_resource *r, double amount)
{
    if (r->kind == COMPUTE_RES_CPU)
        return amount >= 1.0 && amount <= (double)r->units;
    return amount > 0.0 && amount <= 1.0;
}

static enum core_rc bad_amount(const struct compute_resource *r, double amount, struct core_err *e)
{
    if (r->kind == COMPUTE_RES_CPU)
        return core_err(e, CORE_E_INPUT, "amount %g of CPU '%s' is outside 1..%u cores", amount,
                        r->name, r->units);
    return core_err(e, CORE_E_INPUT, "amount %g of %s '%s' is outside the share range (0, 1]",
                    amount, compute_resource_kind_name(r->kind), r->name);
}

enum core_rc compute_cpmm_add_profile(struct compute_cpmm *c, size_t res, double amount,
                                      const char *key, const struct compute_layer_desc *d,
                                      double latency_s, struct core_err *e)
{
    struct cpmm_sample *s;

    CORE_ASSERT(res < c->n_res);
    if (!amount_valid(&c->res[res], amount))
        return bad_amount(&c->res[res], amount, e);
    if (!(latency_s > 0.0) || !isfinite(latency_s))
        return core_err(e, CORE_E_INPUT, "profile of '%s' has latency %g s, expected > 0",
                        key ? key : "?", latency_s);
    if (c->n_samples == c->cap_samples) {
        const size_t cap = c->cap_samples ? 2 * c->cap_samples : 64;
        struct cpmm_sample *ns = core_realloc(c->samples, cap * sizeof(*ns));
        if (!ns)
            return core_err(e, CORE_E_NOMEM, "out of memory recording a profile");
        c->samples = ns;
        c->cap_samples = cap;
    }
    s = &c->samples[c->n_samples++];
    memset(s, 0, sizeof(*s));
    s->res = res;
    s->amount = amount;
    if (key)
        snprintf(s->key, sizeof(s->key), "%s", key);
    s->d = *d;
    s->latency_s = latency_s;
    c->fitted = false;
    return CORE_OK;
}

/* The family a type is trained in (FAMILY_NONE: GEMMs, depthwise convs and
 * reshapes, which behave like nothing else). */
static enum cpmm_family family_of(enum compute_layer_type t)
{
    switch (t) {
    case COMPUTE_LAYER_MAXPOOL:
    case COMPUTE_LAYER_AVGPOOL:
        return FAMILY_WINDOW;
    case COMPUTE_LAYER_BATCHNORM:
    case COMPUTE_LAYER_RELU:
    case COMPUTE_LAYER_RELU6:
    case COMPUTE_LAYER_GAP:
    case COMPUTE_LAYER_ADD:
    case COMPUTE_LAYER_CONCAT:
    case COMPUTE_LAYER_SOFTMAX:
    case COMPUTE_LAYER_SIGMOID:
    case COMPUTE_LAYER_HARDSIGMOID:
    case COMPUTE_LAYER_HARDSWISH:
    case COMPUTE_LAYER_SILU:
    case COMPUTE_LAYER_MUL:
    case COMPUTE_LAYER_SLICE:
    case COMPUTE_LAYER_SHUFFLE:
        return FAMILY_STREAM;
    default:
        return FAMILY_NONE;
    }
}

/* Which samples a fit uses: those of resource res and type t, or with t =
 * COMPUTE_LAYER_TYPE_COUNT + f, those of family f. */
static bool sample_in(const struct cpmm_sample *s, size_t res, size_t t)
{
    if (s->res != res)
        return false;
    if (t < COMPUTE_LAYER_TYPE_COUNT)
        return s->d.type == (enum compute_layer_type)t;
    return family_of(s->d.type) == (enum cpmm_family)(t - COMPUTE_LAYER_TYPE_COUNT);
}

static size_t features_for(size_t t, const struct compute_layer_desc *d, double *x)
{
    return t < COMPUTE_LAYER_TYPE_COUNT
               ? compute_cpmm_features(d, x)
               : family_features((enum cpmm_family)(t - COMPUTE_LAYER_TYPE_COUNT), d, x);
}

/* Weighted least squares of y on the active columns of x (n rows of
 * COMPUTE_CPMM_MAX_FEATURES), weights w; coef[j] of an inactive column is 0. */
static int wls(const double *x, const double *y, const double *w, size_t n, const bool *active,
               size_t p, double *coef)
{
    size_t q = 0, i, j, col;
    gsl_matrix *xm = NULL, *cov = NULL;
    gsl_vector *yv = NULL, *wv = NULL, *cv = NULL;
    gsl_multifit_linear_workspace *ws = NULL;
    double chisq;
    int status = GSL_ENOMEM;

    for (j = 0; j < p; j++)
        q += active[j];
    xm = gsl_matrix_alloc(n, q);
    cov = gsl_matrix_alloc(q, q);
    yv = gsl_vector_alloc(n);
    wv = gsl_vector_alloc(n);
    cv = gsl_vector_alloc(q);
    ws = gsl_multifit_linear_alloc(n, q);
    if (!xm || !cov || !yv || !wv || !cv || !ws)
        goto out_free;
    for (i = 0; i < n; i++) {
        for (j = 0, col = 0; j < p; j++)
            if (active[j])
                gsl_matrix_set(xm, i, col++, x[i * COMPUTE_CPMM_MAX_FEATURES + j]);
        gsl_vector_set(yv, i, y[i]);
        gsl_vector_set(wv, i, w[i]);
    }
    status = gsl_multifit_wlinear(xm, wv, yv, cv, cov, &chisq, ws);
    if (status == GSL_SUCCESS)
        for (j = 0, col = 0; j < p; j++)
            coef[j] = active[j] ? gsl_vector_get(cv, col++) : 0.0;
out_free:
    gsl_multifit_linear_free(ws);
    gsl_vector_free(cv);
    gsl_vector_free(wv);
    gsl_vector_free(yv);
    gsl_matrix_free(cov);
    gsl_matrix_free(xm);
    return status;
}

/* Fit core-seconds t A = coef . x on the selected samples' first usable
 * features, each residual relative (weight 1 / (t A)^2, so every layer's
 * relative error counts alike, small or large), every coefficient >= 0:
 * each is a cost per unit of something the layer does, and a negative one
 * would make extrapolated layers cheaper than free. A column whose
 * coefficient comes out negative is dropped and the rest refitted (an
 * active-set pass, at most one drop per column). */
static enum core_rc fit_one(const struct compute_cpmm *c, size_t res, size_t t, struct cpmm_fit *f,
                            struct core_err *e)
{
    double *x = NULL, *y = NULL, *w = NULL, coef[COMPUTE_CPMM_MAX_FEATURES], worst;
    bool active[COMPUTE_CPMM_MAX_FEATURES];
    size_t n = 0, p = 0, i, j, drop, row;
    enum core_rc rc = CORE_OK;
    int status;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < c->n_samples; i++)
        if (sample_in(&c->samples[i], res, t))
            n++;
    if (n == 0)
        return CORE_OK;
    x = core_calloc(n * COMPUTE_CPMM_MAX_FEATURES, sizeof(*x));
    y = core_calloc(n, sizeof(*y));
    w = core_calloc(n, sizeof(*w));
    if (!x || !y || !w) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory fitting %zu profiles", n);
        goto out_free;
    }
    for (i = 0, row = 0; i < c->n_samples; i++) {
        const struct cpmm_sample *s = &c->samples[i];
        if (!sample_in(s, res, t))
            continue;
        p = features_for(t, &s->d, x + row * COMPUTE_CPMM_MAX_FEATURES);
        y[row] = s->latency_s * s->amount;
        w[row] = 1.0 / (y[row] * y[row]);
        row++;
    }
    p = usable_features(n, p);
    for (j = 0; j < p; j++)
        active[j] = true;
    for (;;) {
        status = wls(x, y, w, n, active, p, coef);
        if (status != GSL_SUCCESS) {
            rc = status == GSL_ENOMEM
                     ? core_err(e, CORE_E_NOMEM, "out of memory fitting %zu profiles", n)
                     : core_err(e, CORE_E_RUNTIME, "least-squares fit of %s on '%s' failed: %s",
                                t < COMPUTE_LAYER_TYPE_COUNT ? layer_type_names[t]
                                                             : "a layer family",
                                c->res[res].name, gsl_strerror(status));
            goto out_free;
        }
        worst = 0.0;
        drop = p;
        for (j = 0; j < p; j++)
            if (active[j] && coef[j] < worst) {
                worst = coef[j];
                drop = j;
            }
        if (drop == p)
            break;
        active[drop] = false;
    }
    f->ok = true;
    f->n = p;
    memcpy(f->coef, coef, p * sizeof(*coef));
out_free:
    core_free(w);
    core_free(y);
    core_free(x);
    return rc;
}

enum core_rc compute_cpmm_fit(struct compute_cpmm *c, struct core_err *e)
{
    enum core_rc rc;
    size_t r, t, f;

    for (r = 0; r < c->n_res; r++) {
        for (t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++) {
            rc = fit_one(c, r, t, &c->fits[r].type[t], e);
            if (rc != CORE_OK)
                return rc;
        }
        for (f = 0; f < FAMILY_COUNT; f++) {
            rc = fit_one(c, r, COMPUTE_LAYER_TYPE_COUNT + f, &c->fits[r].family[f], e);
            if (rc != CORE_OK)
                return rc;
        }
    }
    c->fitted = true;
    return CORE_OK;
}

bool compute_cpmm_coefficients(const struct compute_cpmm *c, size_t res, enum compute_layer_type t,
                               double *coef, size_t *n)
{
    const struct cpmm_fit *f;

    CORE_ASSERT(res < c->n_res && c->fitted);
    f = &c->fits[res].type[t];
    if (!f->ok)
        return false;
    memcpy(coef, f->coef, f->n * sizeof(*coef));
    *n = f->n;
    return true;
}

static double apply_fit(const struct cpmm_fit *f, const double *x, double amount)
{
    double s = 0.0;
    size_t j;

    for (j = 0; j < f->n; j++)
        s += f->coef[j] * x[j];
    return s / amount;
}

static const struct cpmm_sample *lookup(const struct compute_cpmm *c,
                                        const struct compute_cpmm_request *q)
{
    size_t i;

    for (i = 0; i < c->n_samples; i++) {
        const struct cpmm_sample *s = &c->samples[i];
        if (s->res == q->resource && s->amount == q->amount &&
            strncmp(s->key, q->key, KEY_MAX - 1) == 0)
            return s;
    }
    return NULL;
}

enum core_rc compute_cpmm_predict(const struct compute_cpmm *c,
                                  const struct compute_cpmm_request *q,
                                  struct compute_cpmm_reply *reply, struct core_err *e)
{
    const struct compute_resource *r;
    const struct cpmm_sample *s;
    const struct cpmm_fits *fits;
    const enum compute_layer_type t = q->layer.type;
    const enum cpmm_family fam = family_of(t);
    double x[COMPUTE_CPMM_MAX_FEATURES];

    CORE_ASSERT(q->resource < c->n_res && c->fitted && t < COMPUTE_LAYER_TYPE_COUNT);
    r = &c->res[q->resource];
    fits = &c->fits[q->resource];
    memset(reply, 0, sizeof(*reply));
    if (!amount_valid(r, q->amount))
        return bad_amount(r, q->amount, e);
    if (!r->supports[t]) {
        reply->source = COMPUTE_CPMM_UNSUPPORTED;
        return CORE_OK;
    }
    if (q->key && (s = lookup(c, q)) != NULL) {
        reply->source = COMPUTE_CPMM_MEASURED;
        reply->latency_s = s->latency_s;
    } else if (fits->type[t].ok) {
        compute_cpmm_features(&q->layer, x);
        reply->source = COMPUTE_CPMM_REGRESSION;
        reply->latency_s = apply_fit(&fits->type[t], x, q->amount);
    } else if (fam != FAMILY_NONE && fits->family[fam].ok) {
        family_features(fam, &q->layer, x);
        reply->source = COMPUTE_CPMM_REGRESSION;
        reply->latency_s = apply_fit(&fits->family[fam], x, q->amount);
    } else if (t == COMPUTE_LAYER_RESHAPE) {
        /* Flatten and dropout move no data: only the fixed per-layer cost. */
        reply->source = COMPUTE_CPMM_ROOFLINE;
        reply->latency_s = r->overhead_s;
    } else if (r->peak_flops > 0.0 && r->mem_bandwidth_bytes_per_s > 0.0) {
        reply->source = COMPUTE_CPMM_ROOFLINE;
        reply->latency_s = compute_roofline_s(r, q->amount, &q->layer);
    } else {
        return core_err(e, CORE_E_INPUT,
                        "no profile prices a %s layer on '%s' and it declares no peak and "
                        "bandwidth: profile it first",
                        layer_type_names[t], r->name);
    }
    reply->energy_j = compute_energy_j(r, q->amount, reply->latency_s);
    return CORE_OK;
}

enum core_rc compute_cpmm_truth(const struct compute_cpmm *c, const struct compute_cpmm_request *q,
                                struct compute_cpmm_reply *reply, struct core_err *e)
{
    enum core_rc rc = compute_cpmm_predict(c, q, reply, e);
    double bias;

    if (rc != CORE_OK || reply->source == COMPUTE_CPMM_UNSUPPORTED)
        return rc;
    bias = c->res[q->resource].bias[q->layer.type];
    reply->latency_s *= bias;
    reply->energy_j *= bias;
    return CORE_OK;
}

bool compute_cpmm_biased(const struct compute_cpmm *c)
{
    if (c->n_samples > 0)
        return true;
    for (size_t i = 0; i < c->n_res; i++)
        for (size_t t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++)
            if (c->res[i].bias[t] != 1.0)
                return true;
    return false;
}
