/*
 * stats.c — online statistics: Welford moments, P-square streaming quantiles,
 * exact quantiles over a sliding window, and batch-means confidence intervals.
 *
 * core_stats keeps (n, mean, m2, min, max) with Welford's update, stable for
 * values far from zero; two of them combine with Chan et al.'s parallel
 * formula. Before any value min is +inf and max -inf (so merging an empty one
 * changes nothing); the mean is 0 and the variance NAN below two values.
 *
 * core_p2 is Jain & Chlamtac's P-square estimator (CACM 28(10), 1985): five
 * markers whose heights track the minimum, p/2, p, (1+p)/2 quantiles and the
 * maximum, adjusted by piecewise-parabolic interpolation. Up to five values it
 * keeps them all and answers exactly (R type 7, like the window).
 *
 * core_window is a ring buffer of the last `capacity` values followed by a
 * scratch array of the same size, in one allocation. A quantile copies the
 * window into the scratch and selects the two order statistics it needs
 * (Hoare's selection, expected O(n)); neither add nor quantile allocates.
 *
 * Quantiles everywhere are R's type 7: h = (n - 1) p, then linear
 * interpolation between the order statistics floor(h) and floor(h) + 1
 * (0-based), which gives the minimum at p = 0 and the maximum at p = 1.
 */
#include "core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

/* ---- Welford ------------------------------------------------------------ */

void core_stats_init(struct core_stats *s)
{
    s->n = 0;
    s->mean = 0;
    s->m2 = 0;
    s->min = INFINITY;
    s->max = -INFINITY;
}

void core_stats_add(struct core_stats *s, double x)
{
    double d = x - s->mean;

    s->n++;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
    if (x < s->min)
        s->min = x;
    if (x > s->max)
        s->max = x;
}

void core_stats_merge(struct core_stats *a, const struct core_stats *b)
{
    double na, nb, n, d;

    if (b->n == 0)
        return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    na = (double)a->n;
    nb = (double)b->n;
    n = na + nb;
    d = b->mean - a->mean;
    a->mean += d * nb / n;
    a->m2 += b->m2 + d * d * na * nb / n;
    a->n += b->n;
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
}

double core_stats_variance(const struct core_stats *s)
{
    if (s->n < 2)
        return NAN;
    return s->m2 / (double)(s->n - 1);
}

double core_stats_sd(const struct core_stats *s)
{
    return sqrt(core_stats_variance(s));
}

/* ---- quantiles of sorted data ------------------------------------------- */

double core_quantile_sorted(const double *sorted, size_t n, double p)
{
    double h, frac;
    size_t lo;

    CORE_ASSERT(p >= 0 && p <= 1);
    if (n == 0)
        return NAN;
    h = (double)(n - 1) * p;
    lo = (size_t)h;
    if (lo >= n - 1)
        return sorted[n - 1];
    frac = h - (double)lo;
    if (frac == 0)
        return sorted[lo];
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/* NaNs sort last so the order is total and qsort's contract holds. */
static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;

    if (isnan(a))
        return isnan(b) ? 0 : 1;
    if (isnan(b))
        return -1;
    return (a > b) - (a < b);
}

void core_sort_doubles(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof(*x), cmp_double);
}

/* ---- P-square ----------------------------------------------------------- */

void core_p2_init(struct core_p2 *q, double p)
{
    CORE_ASSERT(p > 0 && p < 1);
    memset(q, 0, sizeof(*q));
    q->p = p;
}

static void sort5(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;

        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

/* Piecewise-parabolic prediction of marker i moved by d (+1 or -1). */
static double p2_parabolic(const struct core_p2 *q, int i, double d)
{
    const double *h = q->q, *n = q->pos;

    return h[i] + d / (n[i + 1] - n[i - 1])
                      * ((n[i] - n[i - 1] + d) * (h[i + 1] - h[i]) / (n[i + 1] - n[i])
                         + (n[i + 1] - n[i] - d) * (h[i] - h[i - 1]) / (n[i] - n[i - 1]));
}

static double p2_linear(const struct core_p2 *q, int i, int d)
{
    return q->q[i] + d * (q->q[i + d] - q->q[i]) / (q->pos[i + d] - q->pos[i]);
}

void core_p2_add(struct core_p2 *q, double x)
{
    int k;

    if (q->n < 5) {
        q->q[q->n++] = x;
        if (q->n == 5) {
            double p = q->p;

            sort5(q->q, 5);
            for (int i = 0; i < 5; i++)
                q->pos[i] = i + 1;
            q->want[0] = 1;
            q->want[1] = 1 + 2 * p;
            q->want[2] = 1 + 4 * p;
            q->want[3] = 3 + 2 * p;
            q->want[4] = 5;
            q->dwant[0] = 0;
            q->dwant[1] = p / 2;
            q->dwant[2] = p;
            q->dwant[3] = (1 + p) / 2;
            q->dwant[4] = 1;
        }
        return;
    }
    q->n++;
    if (x < q->q[0]) {
        q->q[0] = x;
        k = 0;
    } else if (x >= q->q[4]) {
        q->q[4] = x;
        k = 3;
    } else {
        k = 0;
        while (k < 3 && x >= q->q[k + 1])
            k++;
    }
    for (int i = k + 1; i < 5; i++)
        q->pos[i] += 1;
    for (int i = 0; i < 5; i++)
        q->want[i] += q->dwant[i];
    for (int i = 1; i <= 3; i++) {
        double d = q->want[i] - q->pos[i];

        if ((d >= 1 && q->pos[i + 1] - q->pos[i] > 1)
            || (d <= -1 && q->pos[i - 1] - q->pos[i] < -1)) {
            int ds = d > 0 ? 1 : -1;
            double h = p2_parabolic(q, i, ds);

            if (!(q->q[i - 1] < h && h < q->q[i + 1]))
                h = p2_linear(q, i, ds);
            q->q[i] = h;
            q->pos[i] += ds;
        }
    }
}

double core_p2_value(const struct core_p2 *q)
{
    double first[5];

    if (q->n == 0)
        return NAN;
    if (q->n <= 5) {
        memcpy(first, q->q, (size_t)q->n * sizeof(first[0]));
        sort5(first, (size_t)q->n);
        return core_quantile_sorted(first, (size_t)q->n, q->p);
    }
    return q->q[2];
}

/* ---- sliding window ----------------------------------------------------- */

struct core_window {
    size_t capacity;  /* values kept, > 0 */
    size_t count;     /* values held, <= capacity */
    size_t next;      /* index in buf[] the next value goes to */
    double *scratch;  /* capacity doubles after buf[], for quantiles */
    double buf[];     /* ring of the last count values (value units) */
};

struct core_window *core_window_create(size_t capacity)
{
    struct core_window *w;

    CORE_ASSERT(capacity > 0);
    if (capacity > (SIZE_MAX - sizeof(*w)) / (2 * sizeof(double)))
        return NULL;
    w = core_malloc(sizeof(*w) + 2 * capacity * sizeof(double));
    if (!w)
        return NULL;
    w->capacity = capacity;
    w->count = 0;
    w->next = 0;
    w->scratch = w->buf + capacity;
    return w;
}

void core_window_destroy(struct core_window *w)
{
    core_free(w);
}

void core_window_add(struct core_window *w, double x)
{
    w->buf[w->next] = x;
    w->next = w->next + 1 == w->capacity ? 0 : w->next + 1;
    if (w->count < w->capacity)
        w->count++;
}

size_t core_window_count(const struct core_window *w)
{
    return w->count;
}

double core_window_mean(const struct core_window *w)
{
    double sum = 0;

    if (w->count == 0)
        return NAN;
    /* Summed afresh (O(count)) rather than kept as a running sum that would
     * drift over millions of add/subtract pairs. The held values are
     * buf[0..count) whether or not the ring has wrapped. */
    for (size_t i = 0; i < w->count; i++)
        sum += w->buf[i];
    return sum / (double)w->count;
}

/* Rearrange a[0..n) so that a[k] is the k-th smallest, everything before it
 * <= a[k] and everything after >= a[k] (Hoare's FIND, as written by Wirth). */
static void select_kth(double *a, size_t n, size_t k)
{
    ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

    while (l < m) {
        double pivot = a[kk];
        ptrdiff_t i = l, j = m;

        do {
            while (a[i] < pivot)
                i++;
            while (pivot < a[j])
                j--;
            if (i <= j) {
                double t = a[i];

                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            m = j;
    }
}

double core_window_quantile(struct core_window *w, double p)
{
    size_t n = w->count, lo;
    double h, frac, a, b;

    CORE_ASSERT(p >= 0 && p <= 1);
    if (n == 0)
        return NAN;
    memcpy(w->scratch, w->buf, n * sizeof(double));
    h = (double)(n - 1) * p;
    lo = (size_t)h;
    if (lo > n - 1)
        lo = n - 1;
    select_kth(w->scratch, n, lo);
    a = w->scratch[lo];
    frac = h - (double)lo;
    if (frac == 0 || lo == n - 1)
        return a;
    /* Everything after position lo is >= a: the next order statistic is the
     * smallest of them. */
    b = w->scratch[lo + 1];
    for (size_t i = lo + 2; i < n; i++)
        if (w->scratch[i] < b)
            b = w->scratch[i];
    return a + frac * (b - a);
}

/* ---- batch means -------------------------------------------------------- */

enum core_rc core_batch_means(const double *x, size_t n, size_t n_batches, double level,
                              double *mean_out, double *half_width_out)
{
    struct core_stats means;
    size_t size, skip;
    double t;

    if (n_batches < 2 || n_batches > n)
        return core_err(NULL, CORE_E_INPUT, "batch means: %zu batches of %zu values "
                        "(need 2 <= batches <= values)", n_batches, n);
    if (!(level > 0 && level < 1))
        return core_err(NULL, CORE_E_INPUT, "batch means: confidence level %g is not "
                        "in (0, 1)", level);
    size = n / n_batches;
    skip = n - size * n_batches;
    core_stats_init(&means);
    for (size_t b = 0; b < n_batches; b++) {
        const double *batch = x + skip + b * size;
        double sum = 0;

        for (size_t i = 0; i < size; i++)
            sum += batch[i];
        core_stats_add(&means, sum / (double)size);
    }
    t = gsl_cdf_tdist_Pinv(0.5 + level / 2, (double)(n_batches - 1));
    *mean_out = means.mean;
    *half_width_out = t * core_stats_sd(&means) / sqrt((double)n_batches);
    return CORE_OK;
}
