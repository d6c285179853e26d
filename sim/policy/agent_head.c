/*
 * agent_head.c — the learning agent's value model over a family of cuts
 * (policy.h, "the learning agent"; layout in policy_int.h): where each head
 * sits, the value of one plan (the sum of the heads it selects, and which),
 * and the programmes of dp.c's shape over joint's family in log space with
 * their reverse pass, which give log sum exp(-value) over every valid plan
 * and its gradient exactly (the decode, the same programmes taking the
 * least: agent_decode.c).
 *
 * The heads play the parts of the cost model's terms in dp.c: a layer's
 * head is its compute, seg_ue[o] the wait of a UE segment starting on o,
 * seg_edge[q] an edge segment's (charged where the later position's option
 * starts, as the backward programme charges waits), copy x bytes a change
 * of resource, cut[c] + xb x bytes(c) the uplink, downlink and whatever
 * the cut alone decides. So the forward value f[c][o] is the least value of
 * c's UE part ending on o, h[c][o] the least of its edge part starting on
 * o (its segment head excluded), exactly as joint's, and the plan is read
 * back by joint's walk (policy_emit_args).
 */
#include "policy/policy_int.h"

#include <stdlib.h>
#include <string.h>

#define KEY_CUT_BITS 24

static uint64_t child_key(uint32_t fparent, uint32_t last)
{
    return ((uint64_t)fparent << 40) | ((uint64_t)last << KEY_CUT_BITS);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

size_t policy_head_count(size_t n_cuts, size_t n, size_t n_ue_opt, size_t n_edge_opt)
{
    return n_cuts + 1 + n * (n_ue_opt + n_edge_opt) + n_ue_opt + n_edge_opt + 2;
}

enum core_rc policy_head_init(struct policy_head *h, const struct compute_problem *p,
                              struct core_err *e)
{
    struct policy_solver *s;
    struct core_err le = {0};
    size_t c, nc, nu, ne, n = p->n_layers;

    memset(h, 0, sizeof(*h));
    s = policy_solver_create(POLICY_JOINT, p, &le);
    if (!s)
        return core_err(e, le.rc, "%s", le.msg);
    h->s = s;
    nc = s->n_cuts;
    nu = s->n_opt[COMPUTE_SIDE_UE];
    ne = s->n_opt[COMPUTE_SIDE_EDGE];
    CORE_ASSERT(nc < ((size_t)1 << KEY_CUT_BITS));
    h->n_heads = policy_head_count(nc, n, nu, ne);
    h->off_xb = nc;
    h->off_ue = nc + 1;
    h->off_edge = h->off_ue + n * nu;
    h->off_seg_ue = h->off_edge + n * ne;
    h->off_seg_edge = h->off_seg_ue + nu;
    h->off_copy = h->off_seg_edge + ne;
    h->bytes = core_malloc(nc * sizeof(*h->bytes));
    h->child = core_malloc(nc * sizeof(*h->child));
    h->w[COMPUTE_SIDE_UE] = (nu + 3) / 4 * 4;
    h->w[COMPUTE_SIDE_EDGE] = (ne + 3) / 4 * 4;
    /* the decode reads a layer's heads in whole lanes, up to w - no past the
     * edge side's last layer: into the segment and copy heads */
    CORE_ASSERT(h->n_heads - (h->off_edge + n * ne) >= h->w[COMPUTE_SIDE_EDGE] - ne);
    h->mf = core_malloc(nc * h->w[COMPUTE_SIDE_UE] * sizeof(*h->mf));
    h->mh = core_malloc(nc * h->w[COMPUTE_SIDE_EDGE] * sizeof(*h->mh));
    h->maf = core_malloc(nc * h->w[COMPUTE_SIDE_UE] * sizeof(*h->maf));
    h->mah = core_malloc(nc * h->w[COMPUTE_SIDE_EDGE] * sizeof(*h->mah));
    h->pa = core_malloc(nc * (h->w[COMPUTE_SIDE_UE] + h->w[COMPUTE_SIDE_EDGE]));
    h->lf = core_malloc(nc * nu * sizeof(*h->lf));
    h->gf = core_malloc(nc * nu * sizeof(*h->gf));
    h->lh = core_malloc(nc * ne * sizeof(*h->lh));
    h->gh = core_malloc(nc * ne * sizeof(*h->gh));
    h->gacc = core_malloc(h->n_heads * sizeof(*h->gacc));
    if (!h->bytes || !h->child || !h->mf || !h->mh || !h->maf || !h->mah || !h->pa || !h->lf ||
        !h->gf || !h->lh || !h->gh || !h->gacc)
        return core_err(e, CORE_E_NOMEM, "out of memory for an agent's heads over %zu cuts", nc);
    h->bytes_scale = 0;
    for (c = 0; c < nc; c++)
        if (s->cuts[c].cross_bytes > h->bytes_scale)
            h->bytes_scale = s->cuts[c].cross_bytes;
    for (c = 0; c < nc; c++) {
        const struct policy_cut *k = &s->cuts[c];

        h->bytes[c] = k->cross_bytes / h->bytes_scale;
        if (k->size > 0)
            h->child[h->n_child++] = child_key(k->fparent, k->last) | c;
    }
    qsort(h->child, h->n_child, sizeof(*h->child), cmp_u64);
    for (c = 0; c < COMPUTE_SIDE_COUNT; c++) {
        const size_t no = s->n_opt[c], w = h->w[c];
        size_t q, o;

        for (q = 0; q < no; q++)
            for (o = 0; o < w; o++)
                h->diff[c][q * w + o] =
                    o < no && p->options[c][q].resource != p->options[c][o].resource;
    }
    policy_head_masks(h, NULL);
    return CORE_OK;
}

void policy_head_fini(struct policy_head *h)
{
    policy_solver_destroy(h->s);
    core_free(h->bytes);
    core_free(h->child);
    core_free(h->mf);
    core_free(h->mh);
    core_free(h->pa);
    core_free(h->maf);
    core_free(h->mah);
    core_free(h->lf);
    core_free(h->gf);
    core_free(h->lh);
    core_free(h->gh);
    core_free(h->gacc);
    core_free(h->prior);
    core_free(h->eff);
    core_free(h->pcopy[COMPUTE_SIDE_UE]);
    core_free(h->pcopy[COMPUTE_SIDE_EDGE]);
    core_free(h->plat[COMPUTE_SIDE_UE]);
    core_free(h->plat[COMPUTE_SIDE_EDGE]);
    core_free(h->pen);
    core_free(h->pbits);
    core_free(h->pedge);
    core_free(h->pcbase[COMPUTE_SIDE_UE]);
    core_free(h->pcbase[COMPUTE_SIDE_EDGE]);
    memset(h, 0, sizeof(*h));
}

/* The cut fparent plus layer last, or POLICY_NO_CUT. */
static uint32_t child_of(const struct policy_head *h, uint32_t fparent, uint32_t last)
{
    const uint64_t key = child_key(fparent, last), mask = ~(((uint64_t)1 << KEY_CUT_BITS) - 1);
    size_t lo = 0, hi = h->n_child;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if ((h->child[mid] & mask) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->n_child && (h->child[lo] & mask) == key)
        return (uint32_t)(h->child[lo] & ~mask);
    return POLICY_NO_CUT;
}

uint32_t policy_head_cut_of(const struct policy_head *h, const struct compute_plan *pl)
{
    const struct policy_solver *s = h->s;
    bool in[COMPUTE_PLAN_MAX_LAYERS] = {false};
    uint32_t c = s->prefix[0], k;
    size_t i;

    if (pl->n_layers != s->n || pl->n_ue > s->n)
        return POLICY_NO_CUT;
    for (k = 0; k < pl->n_ue; k++) {
        if (pl->order[k] >= s->n)
            return POLICY_NO_CUT;
        in[pl->order[k]] = true;
    }
    /* The k lowest layers of an ideal are an ideal: walk up by index. */
    for (i = 0; i < s->n && c != POLICY_NO_CUT; i++)
        if (in[i])
            c = child_of(h, c, (uint32_t)i);
    if (c != POLICY_NO_CUT && s->cuts[c].size != pl->n_ue)
        return POLICY_NO_CUT;
    return c;
}

void policy_head_masks(struct policy_head *h, const struct compute_state *st)
{
    const struct policy_solver *s = h->s;
    uint16_t avail[COMPUTE_SIDE_COUNT] = {0};
    size_t i, o;
    int sd;

    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (o = 0; o < s->n_opt[sd]; o++)
            if (!st || !isinf(st->wait_s[sd][o]))
                avail[sd] |= (uint16_t)(1u << o);
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (i = 0; i < s->n; i++)
            h->mask[sd][i] = s->mask[sd][i] & avail[sd];
    h->edge_ok = !st || st->edge_available;
}

/* Whether options q and o of side sd use different resources. */
static bool other_resource(const struct policy_solver *s, enum compute_side sd, size_t q,
                           size_t o)
{
    return s->p->options[sd][q].resource != s->p->options[sd][o].resource;
}

static void add_grad(float *grad, size_t j, double v)
{
    grad[j] = (float)((double)grad[j] + v);
}

double policy_head_value(const struct policy_head *h, const float *out, uint32_t c,
                         const struct compute_plan *pl, float *grad, double gscale)
{
    const struct policy_solver *s = h->s;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    const size_t cp_ue = h->off_copy, cp_edge = h->off_copy + 1;
    double v = out[c];
    uint32_t j;

    if (grad)
        add_grad(grad, c, gscale);
    if (s->cuts[c].size < s->n) {
        v += h->bytes[c] * out[h->off_xb];
        if (grad)
            add_grad(grad, h->off_xb, gscale * h->bytes[c]);
    }
    for (j = c; s->cuts[j].size > 0; j = s->cuts[j].fparent) {
        const struct policy_cut *k = &s->cuts[j];
        size_t o = pl->option[k->last], q, hd = h->off_ue + k->last * nu + o;

        v += out[hd];
        if (grad)
            add_grad(grad, hd, gscale);
        if (k->size == 1) {
            v += out[h->off_seg_ue + o];
            if (grad)
                add_grad(grad, h->off_seg_ue + o, gscale);
            continue;
        }
        q = pl->option[s->cuts[k->fparent].last];
        if (q != o) {
            v += out[h->off_seg_ue + o];
            if (grad)
                add_grad(grad, h->off_seg_ue + o, gscale);
        }
        if (other_resource(s, COMPUTE_SIDE_UE, q, o)) {
            v += policy_head_copy(h, out, COMPUTE_SIDE_UE, k->fparent);
            if (grad)
                add_grad(grad, cp_ue, gscale * h->bytes[k->fparent]);
        }
    }
    if (s->cuts[c].size < s->n) {
        size_t first = pl->option[s->cuts[c].next];

        v += out[h->off_seg_edge + first];
        if (grad)
            add_grad(grad, h->off_seg_edge + first, gscale);
    }
    for (j = c; s->cuts[j].size < s->n; j = s->cuts[j].gparent) {
        const struct policy_cut *k = &s->cuts[j];
        const uint32_t g = k->gparent;
        size_t o = pl->option[k->next], q, hd = h->off_edge + k->next * ne + o;

        v += out[hd];
        if (grad)
            add_grad(grad, hd, gscale);
        if (s->cuts[g].size == s->n)
            continue;
        q = pl->option[s->cuts[g].next];
        if (q != o) {
            v += out[h->off_seg_edge + q];
            if (grad)
                add_grad(grad, h->off_seg_edge + q, gscale);
        }
        if (other_resource(s, COMPUTE_SIDE_EDGE, q, o)) {
            v += policy_head_copy(h, out, COMPUTE_SIDE_EDGE, g);
            if (grad)
                add_grad(grad, cp_edge, gscale * h->bytes[g]);
        }
    }
    return v;
}

/* ---- log space: log sum exp(-value) and its gradient ------------------------------ */

/* log(exp(a) + exp(b)), -INFINITY as the empty sum. */
static double log_add(double a, double b)
{
    if (a == -INFINITY)
        return b;
    if (b == -INFINITY)
        return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

static void forward_lse(struct policy_head *h, const float *out, uint32_t c)
{
    const struct policy_solver *s = h->s;
    const struct policy_cut *k = &s->cuts[c];
    const size_t no = s->n_opt[COMPUTE_SIDE_UE];
    double *f = &h->lf[c * no];
    const double *fp = k->size > 1 ? &h->lf[k->fparent * no] : NULL;
    const double copy = k->size > 1 ? policy_head_copy(h, out, COMPUTE_SIDE_UE, k->fparent) : 0;
    size_t o, q;

    for (o = 0; o < no; o++) {
        const double layer = out[h->off_ue + k->last * no + o], seg = out[h->off_seg_ue + o];
        double acc = -INFINITY;

        f[o] = -INFINITY;
        if (!((h->mask[COMPUTE_SIDE_UE][k->last] >> o) & 1))
            continue;
        if (!fp) {
            f[o] = -seg - layer;
            continue;
        }
        for (q = 0; q < no; q++)
            if (fp[q] != -INFINITY)
                acc = log_add(acc, fp[q] - (q != o ? seg : 0) -
                                       (other_resource(s, COMPUTE_SIDE_UE, q, o) ? copy : 0));
        if (acc != -INFINITY)
            f[o] = acc - layer;
    }
}

static void backward_lse(struct policy_head *h, const float *out, uint32_t c)
{
    const struct policy_solver *s = h->s;
    const struct policy_cut *k = &s->cuts[c];
    const struct policy_cut *g = &s->cuts[k->gparent];
    const size_t no = s->n_opt[COMPUTE_SIDE_EDGE];
    const bool end = g->size == s->n;
    double *hv = &h->lh[c * no];
    const double *hg = end ? NULL : &h->lh[k->gparent * no];
    const double copy = end ? 0 : policy_head_copy(h, out, COMPUTE_SIDE_EDGE, k->gparent);
    size_t o, q;

    for (o = 0; o < no; o++) {
        const double layer = out[h->off_edge + k->next * no + o];
        double acc = -INFINITY;

        hv[o] = -INFINITY;
        if (!((h->mask[COMPUTE_SIDE_EDGE][k->next] >> o) & 1))
            continue;
        if (end) {
            hv[o] = -layer;
            continue;
        }
        for (q = 0; q < no; q++)
            if (hg[q] != -INFINITY)
                acc = log_add(acc, hg[q] - (q != o ? out[h->off_seg_edge + q] : 0) -
                                       (other_resource(s, COMPUTE_SIDE_EDGE, q, o) ? copy : 0));
        if (acc != -INFINITY)
            hv[o] = acc - layer;
    }
}

/* The UE part's log-sum of cut c (size > 0) and the edge part's (size < n),
 * the latter with each start's segment head. */
static double ue_part(const struct policy_head *h, uint32_t c)
{
    const size_t no = h->s->n_opt[COMPUTE_SIDE_UE];
    double acc = -INFINITY;
    size_t o;

    for (o = 0; o < no; o++)
        acc = log_add(acc, h->lf[c * no + o]);
    return acc;
}

static double edge_part(const struct policy_head *h, const float *out, uint32_t c)
{
    const size_t no = h->s->n_opt[COMPUTE_SIDE_EDGE];
    double acc = -INFINITY;
    size_t o;

    for (o = 0; o < no; o++)
        if (h->lh[c * no + o] != -INFINITY)
            acc = log_add(acc, h->lh[c * no + o] - out[h->off_seg_edge + o]);
    return acc;
}

/* The log-sum of cut c's plans (its UE and edge parts in A, B when it has
 * them), -INFINITY when it has none or may not be chosen now. */
static double cut_term(const struct policy_head *h, const float *out, uint32_t c, double *a,
                       double *b)
{
    const struct policy_solver *s = h->s;
    const struct policy_cut *k = &s->cuts[c];
    double t = -(double)out[c];

    *a = *b = 0;
    if (k->size < s->n && !h->edge_ok)
        return -INFINITY;
    if (k->size > 0) {
        *a = ue_part(h, c);
        t += *a;
    }
    if (k->size < s->n) {
        *b = edge_part(h, out, c);
        t += *b - h->bytes[c] * out[h->off_xb];
    }
    return isnan(t) ? -INFINITY : t;
}

/* The reverse pass: gacc += dLZ/d(heads), from the adjoints of the cuts'
 * terms (set by the caller into gf / gh through the parts). */
static void reverse_forward(struct policy_head *h, const float *out)
{
    const struct policy_solver *s = h->s;
    const size_t no = s->n_opt[COMPUTE_SIDE_UE];
    size_t i, o, q;

    for (i = s->n_cuts; i-- > 0;) {
        const struct policy_cut *k = &s->cuts[i];
        const double copy = k->size > 1 ? policy_head_copy(h, out, COMPUTE_SIDE_UE, k->fparent) : 0;

        if (k->size == 0)
            continue;
        for (o = 0; o < no; o++) {
            const double g = h->gf[i * no + o], layer = out[h->off_ue + k->last * no + o];
            const double seg = out[h->off_seg_ue + o];
            double l;

            if (g == 0 || h->lf[i * no + o] == -INFINITY)
                continue;
            h->gacc[h->off_ue + k->last * no + o] -= g;
            if (k->size == 1) {
                h->gacc[h->off_seg_ue + o] -= g;
                continue;
            }
            l = h->lf[i * no + o] + layer;
            for (q = 0; q < no; q++) {
                const double fq = h->lf[k->fparent * no + q];
                bool other = other_resource(s, COMPUTE_SIDE_UE, q, o);
                double w;

                if (fq == -INFINITY)
                    continue;
                w = g * exp(fq - (q != o ? seg : 0) - (other ? copy : 0) - l);
                h->gf[k->fparent * no + q] += w;
                if (q != o)
                    h->gacc[h->off_seg_ue + o] -= w;
                if (other)
                    h->gacc[h->off_copy] -= w * h->bytes[k->fparent];
            }
        }
    }
}

static void reverse_backward(struct policy_head *h, const float *out)
{
    const struct policy_solver *s = h->s;
    const size_t no = s->n_opt[COMPUTE_SIDE_EDGE];
    size_t i, o, q;

    for (i = 0; i < s->n_cuts; i++) {
        const struct policy_cut *k = &s->cuts[i];
        uint32_t gp;
        double copy;

        if (k->size == s->n)
            continue;
        gp = k->gparent;
        copy = s->cuts[gp].size == s->n ? 0 : policy_head_copy(h, out, COMPUTE_SIDE_EDGE, gp);
        for (o = 0; o < no; o++) {
            const double g = h->gh[i * no + o], layer = out[h->off_edge + k->next * no + o];
            double l;

            if (g == 0 || h->lh[i * no + o] == -INFINITY)
                continue;
            h->gacc[h->off_edge + k->next * no + o] -= g;
            if (s->cuts[gp].size == s->n)
                continue;
            l = h->lh[i * no + o] + layer;
            for (q = 0; q < no; q++) {
                const double hq = h->lh[(size_t)gp * no + q];
                const double seg = out[h->off_seg_edge + q];
                bool other = other_resource(s, COMPUTE_SIDE_EDGE, q, o);
                double w;

                if (hq == -INFINITY)
                    continue;
                w = g * exp(hq - (q != o ? seg : 0) - (other ? copy : 0) - l);
                h->gh[(size_t)gp * no + q] += w;
                if (q != o)
                    h->gacc[h->off_seg_edge + q] -= w;
                if (other)
                    h->gacc[h->off_copy + 1] -= w * h->bytes[gp];
            }
        }
    }
}

double policy_head_logz(struct policy_head *h, const float *out, float *grad, double gscale)
{
    const struct policy_solver *s = h->s;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    double lz = -INFINITY;
    size_t i, o;

    for (i = 0; i < s->n_cuts; i++)
        if (s->cuts[i].size > 0)
            forward_lse(h, out, (uint32_t)i);
    for (i = s->n_cuts; i-- > 0;)
        if (s->cuts[i].size < s->n)
            backward_lse(h, out, (uint32_t)i);
    for (i = 0; i < s->n_valid; i++) {
        double a, b;

        lz = log_add(lz, cut_term(h, out, s->valid[i], &a, &b));
    }
    if (!grad || lz == -INFINITY)
        return lz;
    memset(h->gacc, 0, h->n_heads * sizeof(*h->gacc));
    memset(h->gf, 0, s->n_cuts * nu * sizeof(*h->gf));
    memset(h->gh, 0, s->n_cuts * ne * sizeof(*h->gh));
    for (i = 0; i < s->n_valid; i++) {
        const uint32_t c = s->valid[i];
        const struct policy_cut *k = &s->cuts[c];
        double a, b, t = cut_term(h, out, c, &a, &b), p;

        if (t == -INFINITY)
            continue;
        p = exp(t - lz);
        h->gacc[c] -= p;
        if (k->size > 0)
            for (o = 0; o < nu; o++)
                if (h->lf[c * nu + o] != -INFINITY)
                    h->gf[c * nu + o] += p * exp(h->lf[c * nu + o] - a);
        if (k->size < s->n) {
            h->gacc[h->off_xb] -= p * h->bytes[c];
            for (o = 0; o < ne; o++) {
                double w;

                if (h->lh[c * ne + o] == -INFINITY)
                    continue;
                w = p * exp(h->lh[c * ne + o] - out[h->off_seg_edge + o] - b);
                h->gh[c * ne + o] += w;
                h->gacc[h->off_seg_edge + o] -= w;
            }
        }
    }
    reverse_forward(h, out);
    reverse_backward(h, out);
    for (i = 0; i < h->n_heads; i++)
        if (h->gacc[i] != 0)
            add_grad(grad, i, gscale * h->gacc[i]);
    return lz;
}
