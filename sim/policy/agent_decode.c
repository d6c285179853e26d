/*
 * agent_decode.c — the decode of the learning agent's heads (policy.h, "the
 * learning agent"; the heads in policy_int.h): the valid plan of least
 * value, by the forward and backward programmes of dp.c's shape over
 * joint's family of cuts, with the heads as weights (agent_head.c says
 * which head plays which of the cost model's terms).
 *
 * A position's step is a (min, +) product: for each option o of the
 * position, the least over the previous position's options q of prev[q] +
 * seg[q][o] + diff[q][o] x copy, the first q on a tie (a scan in ascending
 * q with strict <), unreachable options as +infinity, so that it is a
 * branch-free sum; an option is reached where some candidate is below
 * +infinity. It runs four options at a time, each lane doing a scalar
 * scan's operations in its order (no fused multiply-add: GCC's ISO C mode
 * contracts nothing, and x86's AVX2 target has no FMA), so that values and
 * choices are that scan's, bit for bit. With finite heads (a network of
 * finite weights, the prior) the options reached are those joint's
 * programme reaches. A plan whose value is not below +infinity (a head
 * +infinity or NaN) is never taken, so none may be left (false); a head
 * -infinity makes its plans' values -infinity, the first of which is
 * taken. Either way the plan is a valid one.
 *
 * The forward programme and the backward one are chains of dependent
 * steps and independent of each other: they run interleaved, the processor
 * working on a step of one while the other's waits. The arguments are
 * kept per lane and read back only along the plan decoded. On x86-64 the
 * programmes are compiled for the baseline (SSE2) and for AVX2, and the
 * AVX2 copy runs where the CPU has it (core/cpu.c).
 */
#include "policy/policy_int.h"

#include <string.h>

/* clang-format off */
#define ALL4(x) {(x), (x), (x), (x)}
#define BITS4(m) {-(int64_t)((m) & 1), -(int64_t)(((m) >> 1) & 1), \
                  -(int64_t)(((m) >> 2) & 1), -(int64_t)(((m) >> 3) & 1)}

/* The lanes a nibble of an option mask turns on (all bits set) or off. */
static const policy_v4i LANE_ON[16] = {BITS4(0),  BITS4(1),  BITS4(2),  BITS4(3),
                                    BITS4(4),  BITS4(5),  BITS4(6),  BITS4(7),
                                    BITS4(8),  BITS4(9),  BITS4(10), BITS4(11),
                                    BITS4(12), BITS4(13), BITS4(14), BITS4(15)};
/* clang-format on */

/* One step of a programme: into val[0..w) the least over q < no of
 * prev[q] + seg[q w + o] + diff[q w + o] x copy, the first q on a tie,
 * plus layer[o], and into arg[0..w) that q, for the options o that mask
 * allows and that have a candidate below +infinity; +infinity and
 * POLICY_ARG_NONE for the others. w is no rounded up to whole lanes;
 * layer[no..w) are read, the heads that follow the layer's
 * (policy_head_init checks that there are as many), and masked off. */
static inline __attribute__((always_inline)) void step(const double *prev, const double *seg,
                                                       const double *diff, double copy,
                                                       const float *layer, uint16_t mask, size_t no,
                                                       size_t w, double *val, int32_t *arg)
{
    const policy_v4d inf = ALL4(INFINITY), cv = ALL4(copy), none = ALL4(POLICY_ARG_NONE);
    size_t b, q;

    for (b = 0; b < w; b += 4) {
        policy_v4d best = inf, at = none, sum;
        policy_v4i ok;
        policy_v4i32 at32;
        policy_v4f lay;

        for (q = 0; q < no; q++) {
            const policy_v4d pq = ALL4(prev[q]), qd = ALL4((double)q);
            policy_v4d sg, df, v;
            policy_v4i lt;

            memcpy(&sg, seg + q * w + b, sizeof(sg));
            memcpy(&df, diff + q * w + b, sizeof(df));
            v = (pq + sg) + df * cv;
            lt = v < best;
            best = (policy_v4d)POLICY_PICK(lt, (policy_v4i)v, (policy_v4i)best);
            at = (policy_v4d)POLICY_PICK(lt, (policy_v4i)qd, (policy_v4i)at);
        }
        memcpy(&lay, layer + b, sizeof(lay));
        ok = LANE_ON[(mask >> b) & 15] & (best < inf);
        sum = best + __builtin_convertvector(lay, policy_v4d);
        sum = (policy_v4d)POLICY_PICK(ok, (policy_v4i)sum, (policy_v4i)inf);
        at = (policy_v4d)POLICY_PICK(ok, (policy_v4i)at, (policy_v4i)none);
        at32 = __builtin_convertvector(at, policy_v4i32);
        memcpy(val + b, &sum, sizeof(sum));
        memcpy(arg + b, &at32, sizeof(at32));
    }
}

/* The first option of side sd at cut c of least val[o] + add[o] (add
 * NULL: 0) below +infinity into *o (-1: none; the programme set the
 * options it does not reach to +infinity); that sum. */
static double best_end(const struct policy_head *h, int sd, uint32_t c, const float *add, int *o)
{
    const size_t no = h->s->n_opt[sd], w = h->w[sd];
    const double *val = (sd == COMPUTE_SIDE_UE ? h->mf : h->mh) + c * w;
    double u = INFINITY;
    size_t j;

    *o = -1;
    for (j = 0; j < no; j++) {
        const double x = add ? (double)add[j] + val[j] : val[j];

        if (x < u) {
            u = x;
            *o = (int)j;
        }
    }
    return u;
}

/* A programme's first position (the UE's first layer, the edge's last):
 * into val[0..w) add[o] + layer[o] (add NULL: layer[o]) and into arg[0..w)
 * tag for the options o that mask allows; +infinity and POLICY_ARG_NONE
 * for the others. */
static inline __attribute__((always_inline)) void first_position(const float *add,
                                                                 const float *layer, uint16_t mask,
                                                                 size_t no, size_t w, int32_t tag,
                                                                 double *val, int32_t *arg)
{
    size_t o;

    for (o = 0; o < w; o++) {
        const bool on = o < no && ((mask >> o) & 1);

        val[o] = !on ? INFINITY : add ? (double)add[o] + (double)layer[o] : (double)layer[o];
        arg[o] = on ? tag : POLICY_ARG_NONE;
    }
}

/* The forward programme's step at cut c (h->mf, h->maf), when the UE may
 * run c's part. */
static inline __attribute__((always_inline)) void forward_at(struct policy_head *h,
                                                             const float *out, size_t c)
{
    const struct policy_solver *s = h->s;
    const struct policy_cut *k = &s->cuts[c];
    const size_t no = s->n_opt[COMPUTE_SIDE_UE], w = h->w[COMPUTE_SIDE_UE];
    const uint16_t mask = h->mask[COMPUTE_SIDE_UE][k->last];
    const float *lay = out + h->off_ue + k->last * no;
    double *f = &h->mf[c * w];
    int32_t *fa = &h->maf[c * w];

    if (k->size == 0 || !k->ue_ok)
        return;
    if (k->size == 1) {
        first_position(out + h->off_seg_ue, lay, mask, no, w, POLICY_ARG_START, f, fa);
        return;
    }
    step(&h->mf[k->fparent * w], h->seg[COMPUTE_SIDE_UE], h->diff[COMPUTE_SIDE_UE],
         policy_head_copy(h, out, COMPUTE_SIDE_UE, k->fparent), lay, mask, no, w, f, fa);
}

/* The backward programme's step at cut c (h->mh, h->mah), when the edge
 * may run c's part. */
static inline __attribute__((always_inline)) void backward_at(struct policy_head *h,
                                                              const float *out, size_t c)
{
    const struct policy_solver *s = h->s;
    const struct policy_cut *k = &s->cuts[c];
    const size_t no = s->n_opt[COMPUTE_SIDE_EDGE], w = h->w[COMPUTE_SIDE_EDGE];
    const uint16_t mask = h->mask[COMPUTE_SIDE_EDGE][k->next];
    const float *lay = out + h->off_edge + k->next * no;
    double *hv = &h->mh[c * w];
    int32_t *ha = &h->mah[c * w];

    if (k->size == s->n || !k->edge_ok)
        return;
    if (s->cuts[k->gparent].size == s->n) {
        first_position(NULL, lay, mask, no, w, POLICY_ARG_END, hv, ha);
        return;
    }
    step(&h->mh[k->gparent * w], h->seg[COMPUTE_SIDE_EDGE], h->diff[COMPUTE_SIDE_EDGE],
         policy_head_copy(h, out, COMPUTE_SIDE_EDGE, k->gparent), lay, mask, no, w, hv, ha);
}

/* The forward programme over the cuts in ascending order and the backward
 * one in descending order (each step reads its parent's), interleaved. */
static inline __attribute__((always_inline)) void programmes(struct policy_head *h,
                                                             const float *out)
{
    const size_t n = h->s->n_cuts;
    size_t i;

    if (!h->edge_ok) {
        for (i = 0; i < n; i++)
            forward_at(h, out, i);
        return;
    }
    for (i = 0; i < n; i++) {
        forward_at(h, out, i);
        backward_at(h, out, n - 1 - i);
    }
}

static void programmes_base(struct policy_head *h, const float *out)
{
    programmes(h, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void programmes_avx2(struct policy_head *h, const float *out)
{
    programmes(h, out);
}
#endif

/* The segment heads of a decision: a UE segment is charged at its first
 * position (o), an edge segment where the later position's option (q)
 * starts, as dp.c charges waits; zero beyond the options. */
static void set_seg(struct policy_head *h, const float *out)
{
    const struct policy_solver *s = h->s;
    const size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    const size_t wu = h->w[COMPUTE_SIDE_UE], we = h->w[COMPUTE_SIDE_EDGE];
    size_t q, o;

    for (q = 0; q < nu; q++)
        for (o = 0; o < wu; o++)
            h->seg[COMPUTE_SIDE_UE][q * wu + o] = o < nu && q != o ? out[h->off_seg_ue + o] : 0;
    for (q = 0; q < ne; q++)
        for (o = 0; o < we; o++)
            h->seg[COMPUTE_SIDE_EDGE][q * we + o] = o < ne && q != o ? out[h->off_seg_edge + q] : 0;
}

/* Cut c's plan with its UE part ending on option ou and its edge part
 * starting on oe (-1: none) into pl: the arguments of its positions, as
 * bytes into h->pa, read as policy_emit_args reads joint's. */
static void emit(struct policy_head *h, uint32_t c, int ou, int oe, struct compute_plan *pl)
{
    const struct policy_solver *s = h->s;
    const size_t wu = h->w[COMPUTE_SIDE_UE], we = h->w[COMPUTE_SIDE_EDGE];
    uint8_t *pf = h->pa, *ph = h->pa + s->n_cuts * wu;
    uint32_t j;
    int o;

    for (j = c, o = ou; o >= 0 && s->cuts[j].size > 1; j = s->cuts[j].fparent) {
        const size_t at = j * wu + (size_t)o;
        const int q = h->maf[at];

        pf[at] = (uint8_t)q;
        o = q;
    }
    for (j = c, o = oe; o >= 0 && s->cuts[j].size < s->n; j = s->cuts[j].gparent) {
        const size_t at = j * we + (size_t)o;
        const int q = h->mah[at];

        ph[at] = (uint8_t)q;
        o = q == POLICY_ARG_END ? -1 : q;
    }
    policy_emit_args(s, pf, wu, ph, we, c, ou, oe, pl);
}

bool policy_head_decode(struct policy_head *h, const float *out, struct compute_plan *pl,
                        double *value)
{
    const struct policy_solver *s = h->s;
    uint32_t best_c = POLICY_NO_CUT;
    int best_ue = -1, best_edge = -1;
    double best = INFINITY;
    size_t i;

    set_seg(h, out);
#if defined(__x86_64__) && defined(__GNUC__)
    if (core_cpu_avx2())
        programmes_avx2(h, out);
    else
#endif
        programmes_base(h, out);
    for (i = 0; i < s->n_valid; i++) {
        const uint32_t c = s->valid[i];
        const struct policy_cut *k = &s->cuts[c];
        double v = out[c];
        int ou = -1, oe = -1;

        if (k->size < s->n && !h->edge_ok)
            continue;
        if (k->size > 0) {
            v += best_end(h, COMPUTE_SIDE_UE, c, NULL, &ou);
            if (ou < 0)
                continue;
        }
        if (k->size < s->n) {
            const double w = best_end(h, COMPUTE_SIDE_EDGE, c, out + h->off_seg_edge, &oe);

            if (oe < 0)
                continue;
            v += h->bytes[c] * out[h->off_xb] + w;
        }
        if (!(v < INFINITY))
            continue;
        if (best_c == POLICY_NO_CUT || v < best) {
            best = v;
            best_c = c;
            best_ue = ou;
            best_edge = oe;
        }
    }
    if (best_c == POLICY_NO_CUT)
        return false;
    emit(h, best_c, best_ue, best_edge, pl);
    h->cut = best_c;
    *value = best;
    return true;
}
