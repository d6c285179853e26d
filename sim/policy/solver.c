/*
 * solver.c — the policies of policy.h: the family of cuts prepared at
 * creation, the forward and backward dynamic programmes over it, and the
 * decisions.
 *
 * Data layout. cuts[] holds the family sorted by size (so a cut's forward
 * parent, one layer smaller, comes before it, and its backward parent, one
 * layer larger, after it). For cut c and option o of a side:
 *   f[c x n_ue_opt + o]   least objective of running c on the UE in index
 *                         order with c's highest layer on option o, copies
 *                         and waits included; farg the option of the
 *                         position before (ARG_START: none);
 *   h[c x n_edge_opt + o] least objective of running the layers outside c
 *                         on the edge in index order with the lowest on
 *                         option o, from its compute on (its own wait
 *                         excluded: it depends on the position before),
 *                         the downlink included; harg the option of the
 *                         position after (ARG_END: none).
 * ARG_NONE marks an option that cannot run there (unsupported, or no way to
 * reach it). Objective terms: UE layer w_latency t + w_energy E, edge layer
 * w_latency t, a copy (w_latency + w_energy P_copy) t on the UE and
 * w_latency t on the edge, a wait w_latency wait (INFINITY when the wait
 * is), the radio (w_latency + w_energy P) t; signalling adds the same to
 * every plan and is left out.
 */
#include "policy/policy.h"

#include <math.h>
#include <string.h>

#define ARG_NONE 0xff  /* unreachable */
#define ARG_START 0xfe /* first UE position */
#define ARG_END 0xfd   /* last edge position */
#define NO_CUT UINT32_MAX
#define WORDS ((COMPUTE_PLAN_MAX_LAYERS + 63) / 64)

static_assert(COMPUTE_PLAN_MAX_OPTIONS <= 16, "option masks are 16 bits");
static_assert(COMPUTE_PLAN_MAX_LAYERS <= UINT16_MAX, "layers fit uint16_t");

static const char *const kind_names[] = {"local", "edge", "split", "oracle", "random", NULL};
static_assert(ARRAY_LEN(kind_names) == POLICY_KIND_COUNT + 1, "one name per policy");

const char *const *policy_names(void)
{
    return kind_names;
}

enum policy_kind policy_default(void)
{
    return POLICY_ORACLE;
}

/* One cut of the family. */
struct cut {
    uint32_t fparent; /* the cut minus its highest layer (NO_CUT: empty cut) */
    uint32_t gparent; /* the cut plus the lowest layer outside (NO_CUT: full cut) */
    uint16_t size;    /* layers in it */
    uint16_t last;    /* its highest layer (size > 0) */
    uint16_t next;    /* the lowest layer outside it (size < n) */
    bool ue_ok;       /* every layer in it has a UE option in the policy's mask */
    bool edge_ok;     /* every layer outside has an edge option in the policy's mask */
    double cross_bytes; /* bytes crossing from it to the rest, B */
};

struct policy_solver {
    enum policy_kind kind;            /* which policy */
    const struct compute_problem *p;  /* borrowed */
    size_t n;                         /* layers */
    size_t n_opt[COMPUTE_SIDE_COUNT]; /* options per side */
    bool exact;                       /* the family is every cut */
    bool local_ok;                    /* every layer has a UE option */
    size_t n_cuts;                    /* cuts in the family */
    struct cut *cuts;                 /* [n_cuts], by size (owned) */
    uint32_t prefix[COMPUTE_PLAN_MAX_LAYERS + 1]; /* cut index of the prefix of k layers */
    uint32_t *valid;                  /* [n_valid] cuts the policy may choose (owned) */
    size_t n_valid;                   /* count of valid[] */
    uint16_t mask[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS]; /* options the policy may give
                                                                  each layer, bit o: option o */
    uint16_t local_mask[COMPUTE_PLAN_MAX_LAYERS]; /* every supporting UE option (local plan) */
    int16_t split_opt[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS]; /* split: each layer's one
                                                                      option (-1: none) */
    /* split: the state-independent terms for the weights split_w, kept
     * between decisions (a scenario's weights do not change). */
    bool split_cached;                                   /* the arrays below are for split_w */
    double split_w[2];                                   /* w_latency, w_energy */
    double split_layer[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS]; /* layer k's term */
    double split_copy[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS];  /* copy into position k
                                                                        (0: none) */
    double *f;                        /* [n_cuts x n_opt[UE]] forward DP, objective (owned) */
    uint8_t *farg;                    /* [n_cuts x n_opt[UE]] option before (owned) */
    double *h;                        /* [n_cuts x n_opt[EDGE]] backward DP, objective (owned) */
    uint8_t *harg;                    /* [n_cuts x n_opt[EDGE]] option after (owned) */
};

/* The objective's prices under one state (objective units: w_latency s +
 * w_energy J). */
struct prices {
    double wait[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS]; /* of one wait at each option */
    double copy_per_s[COMPUTE_SIDE_COUNT]; /* of one second of copying, 1/s */
    double ul_per_s;                       /* of one second of uplink, 1/s */
    double dl_per_s;                       /* of one second of downlink, 1/s */
    double downlink;                       /* of the result's downlink */
};

const char *policy_kind_name(enum policy_kind k)
{
    return (unsigned)k < POLICY_KIND_COUNT ? kind_names[k] : "?";
}

bool policy_kind_find(const char *name, enum policy_kind *k)
{
    size_t i;

    for (i = 0; i < POLICY_KIND_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *k = (enum policy_kind)i;
            return true;
        }
    return false;
}

enum policy_kind policy_solver_kind(const struct policy_solver *s)
{
    return s->kind;
}

bool policy_solver_exact(const struct policy_solver *s)
{
    return s->exact;
}

size_t policy_solver_cuts(const struct policy_solver *s)
{
    return s->n_cuts;
}

/* ---- the family of cuts -------------------------------------------------- */

/* A set of layers, bit i: layer i. */
struct bits {
    uint64_t w[WORDS]; /* 64 layers a word */
};

static bool bit_get(const struct bits *b, size_t i)
{
    return (b->w[i / 64] >> (i % 64)) & 1;
}

static void bit_set(struct bits *b, size_t i, bool v)
{
    if (v)
        b->w[i / 64] |= (uint64_t)1 << (i % 64);
    else
        b->w[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Bounded enumeration of the ideals, deciding layers in index order: a
 * layer may join when all its inputs have, so every leaf is an ideal and
 * every ideal one leaf. Stops once more than `limit` were found. */
struct enumeration {
    const struct compute_problem *p; /* borrowed */
    struct bits *set;                /* [cap], the ideals found (owned) */
    size_t n;                        /* ideals found */
    size_t cap;                      /* room in set[] */
    size_t limit;                    /* most ideals wanted */
    bool over;                       /* more than limit exist */
    bool nomem;                      /* set[] could not grow */
};

static void enumerate(struct enumeration *en, size_t i, struct bits *cur)
{
    const struct compute_problem_layer *l;
    uint32_t j;

    if (en->over || en->nomem)
        return;
    if (i == en->p->n_layers) {
        if (en->n == en->limit) {
            en->over = true;
            return;
        }
        if (en->n == en->cap) {
            size_t cap = en->cap ? 2 * en->cap : 64;
            struct bits *b = core_realloc(en->set, cap * sizeof(*b));

            if (!b) {
                en->nomem = true;
                return;
            }
            en->set = b;
            en->cap = cap;
        }
        en->set[en->n++] = *cur;
        return;
    }
    enumerate(en, i + 1, cur);
    l = &en->p->layers[i];
    for (j = 0; j < l->n_inputs; j++)
        if (l->inputs[j] >= 0 && !bit_get(cur, (size_t)l->inputs[j]))
            return;
    bit_set(cur, i, true);
    enumerate(en, i + 1, cur);
    bit_set(cur, i, false);
}

static uint64_t bits_hash(const struct bits *b)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    size_t i;

    for (i = 0; i < WORDS; i++) {
        h ^= b->w[i];
        h *= 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    return h;
}

/* Open-addressing table of cut indices keyed by their sets. */
struct table {
    uint32_t *slot;         /* [mask + 1] cut indices, NO_CUT: empty (owned) */
    size_t mask;            /* slots - 1, slots a power of two */
    const struct bits *set; /* the cuts' sets, by index (borrowed) */
};

static uint32_t table_find(const struct table *t, const struct bits *b)
{
    size_t i = (size_t)bits_hash(b) & t->mask;

    while (t->slot[i] != NO_CUT) {
        if (memcmp(&t->set[t->slot[i]], b, sizeof(*b)) == 0)
            return t->slot[i];
        i = (i + 1) & t->mask;
    }
    return NO_CUT;
}

static void table_add(struct table *t, uint32_t c)
{
    size_t i = (size_t)bits_hash(&t->set[c]) & t->mask;

    while (t->slot[i] != NO_CUT)
        i = (i + 1) & t->mask;
    t->slot[i] = c;
}

static int popcount_bits(const struct bits *b)
{
    int n = 0;
    size_t i;

    for (i = 0; i < WORDS; i++)
        n += __builtin_popcountll(b->w[i]);
    return n;
}

/* Fill s->cuts from the sets set[0..n_sets) (sorted by size here). */
static enum core_rc build_cuts(struct policy_solver *s, const struct bits *set, size_t n_sets,
                               struct core_err *e)
{
    const struct compute_problem *p = s->p;
    size_t count[COMPUTE_PLAN_MAX_LAYERS + 2] = {0};
    struct bits *sorted = NULL;
    struct table t = {0};
    size_t i, cap = 1;
    enum core_rc rc = CORE_OK;
    uint32_t c;

    sorted = core_malloc(n_sets * sizeof(*sorted));
    s->cuts = core_calloc(n_sets, sizeof(*s->cuts));
    while (cap < 2 * n_sets)
        cap *= 2;
    t.slot = core_malloc(cap * sizeof(*t.slot));
    if (!sorted || !s->cuts || !t.slot) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory for %zu cuts", n_sets);
        goto out_free;
    }
    s->n_cuts = n_sets;
    for (i = 0; i < n_sets; i++)
        count[popcount_bits(&set[i]) + 1]++;
    for (i = 1; i < ARRAY_LEN(count); i++)
        count[i] += count[i - 1];
    for (i = 0; i < n_sets; i++)
        sorted[count[popcount_bits(&set[i])]++] = set[i];
    t.mask = cap - 1;
    t.set = sorted;
    for (i = 0; i < cap; i++)
        t.slot[i] = NO_CUT;
    for (c = 0; c < n_sets; c++)
        table_add(&t, c);

    for (c = 0; c < n_sets; c++) {
        struct cut *k = &s->cuts[c];
        struct bits b = sorted[c];
        bool read_outside[COMPUTE_PLAN_MAX_LAYERS + 1] = {false}; /* [0]: model input */
        size_t j;
        uint32_t q;

        k->size = (uint16_t)popcount_bits(&b);
        k->fparent = k->gparent = NO_CUT;
        for (j = 0; j < s->n; j++) {
            if (bit_get(&b, j))
                k->last = (uint16_t)j;
            else
                for (q = 0; q < p->layers[j].n_inputs; q++)
                    read_outside[1 + p->layers[j].inputs[q]] = true;
        }
        for (j = s->n; j-- > 0;)
            if (!bit_get(&b, j))
                k->next = (uint16_t)j;
        k->cross_bytes = read_outside[0] ? p->input_bytes : 0;
        for (j = 0; j < s->n; j++)
            if (bit_get(&b, j) && read_outside[1 + j])
                k->cross_bytes += p->layers[j].out_bytes;
        if (k->size > 0) {
            bit_set(&b, k->last, false);
            k->fparent = table_find(&t, &b);
            bit_set(&b, k->last, true);
            CORE_ASSERT(k->fparent != NO_CUT && k->fparent < c);
        }
        if (k->size < s->n) {
            bit_set(&b, k->next, true);
            k->gparent = table_find(&t, &b);
            CORE_ASSERT(k->gparent != NO_CUT);
        }
        if (k->size == 0)
            s->prefix[0] = c;
        else if (k->last + 1u == k->size)
            s->prefix[k->size] = c;
    }
    for (c = 0; c < n_sets; c++) {
        struct cut *k = &s->cuts[c];

        k->ue_ok = k->size == 0 ||
                   (s->cuts[k->fparent].ue_ok && s->mask[COMPUTE_SIDE_UE][k->last] != 0);
    }
    for (c = (uint32_t)n_sets; c-- > 0;) {
        struct cut *k = &s->cuts[c];

        k->edge_ok = k->size == s->n ||
                     (s->cuts[k->gparent].edge_ok && s->mask[COMPUTE_SIDE_EDGE][k->next] != 0);
    }
out_free:
    core_free(sorted);
    core_free(t.slot);
    return rc;
}

/* The family: every ideal when allowed and few enough, else the prefixes. */
static enum core_rc build_family(struct policy_solver *s, bool ideals, struct core_err *e)
{
    struct enumeration en = {0};
    struct bits cur = {{0}};
    enum core_rc rc;
    bool chain = true;
    size_t i;

    for (i = 1; i < s->n && chain; i++) {
        const struct compute_problem_layer *l = &s->p->layers[i];
        uint32_t j;
        bool reads_prev = false;

        for (j = 0; j < l->n_inputs; j++)
            reads_prev = reads_prev || l->inputs[j] == (int32_t)i - 1;
        chain = reads_prev;
    }
    en.p = s->p;
    en.limit = POLICY_CUTS_MAX;
    if (ideals && !chain) {
        enumerate(&en, 0, &cur);
        if (en.nomem) {
            core_free(en.set);
            return core_err(e, CORE_E_NOMEM, "out of memory enumerating cuts");
        }
    }
    if (!ideals || chain || en.over) {
        en.n = s->n + 1;
        core_free(en.set);
        en.set = core_calloc(en.n, sizeof(*en.set));
        if (!en.set)
            return core_err(e, CORE_E_NOMEM, "out of memory for %zu cuts", en.n);
        for (i = 1; i < en.n; i++) {
            en.set[i] = en.set[i - 1];
            bit_set(&en.set[i], i - 1, true);
        }
        s->exact = chain;
    } else {
        s->exact = true;
    }
    rc = build_cuts(s, en.set, en.n, e);
    core_free(en.set);
    return rc;
}

/* ---- options ------------------------------------------------------------- */

static bool supports(const struct compute_problem *p, enum compute_side sd, size_t o, size_t i)
{
    return !isinf(compute_problem_latency_s(p, sd, o, i));
}

/* The fixed option of split: the default where it supports the layer, else
 * the side's fastest supporting option; -1 when none does. */
static int split_option(const struct compute_problem *p, enum compute_side sd, size_t i)
{
    size_t o;
    int best = -1;

    if (supports(p, sd, p->default_option[sd], i))
        return (int)p->default_option[sd];
    for (o = 0; o < p->n_options[sd]; o++)
        if (supports(p, sd, o, i) &&
            (best < 0 || compute_problem_latency_s(p, sd, o, i) <
                             compute_problem_latency_s(p, sd, (size_t)best, i)))
            best = (int)o;
    return best;
}

static void build_masks(struct policy_solver *s)
{
    const struct compute_problem *p = s->p;
    size_t i, o;
    int sd;

    s->local_ok = true;
    for (i = 0; i < s->n; i++) {
        for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
            uint16_t all = 0;

            for (o = 0; o < p->n_options[sd]; o++)
                if (supports(p, sd, o, i))
                    all |= (uint16_t)(1u << o);
            if (s->kind == POLICY_SPLIT) {
                int f = split_option(p, sd, i);

                s->mask[sd][i] = f < 0 ? 0 : (uint16_t)(1u << f);
                s->split_opt[sd][i] = (int16_t)f;
            } else {
                s->mask[sd][i] = all;
            }
            if (sd == COMPUTE_SIDE_UE)
                s->local_mask[i] = all;
        }
        s->local_ok = s->local_ok && s->local_mask[i] != 0;
    }
}

/* ---- creation ------------------------------------------------------------ */

void policy_solver_destroy(struct policy_solver *s)
{
    if (!s)
        return;
    core_free(s->cuts);
    core_free(s->valid);
    core_free(s->f);
    core_free(s->farg);
    core_free(s->h);
    core_free(s->harg);
    core_free(s);
}

struct policy_solver *policy_solver_create(enum policy_kind k, const struct compute_problem *p,
                                           struct core_err *e)
{
    struct policy_solver *s;
    size_t c;

    CORE_ASSERT((unsigned)k < POLICY_KIND_COUNT);
    if (compute_problem_check(p, e) != CORE_OK)
        return NULL;
    s = core_calloc(1, sizeof(*s));
    if (!s) {
        core_err(e, CORE_E_NOMEM, "out of memory for a %s solver", kind_names[k]);
        return NULL;
    }
    s->kind = k;
    s->p = p;
    s->n = p->n_layers;
    s->n_opt[COMPUTE_SIDE_UE] = p->n_options[COMPUTE_SIDE_UE];
    s->n_opt[COMPUTE_SIDE_EDGE] = p->n_options[COMPUTE_SIDE_EDGE];
    build_masks(s);
    if (build_family(s, k == POLICY_ORACLE || k == POLICY_RANDOM, e) != CORE_OK)
        goto out_destroy;
    s->valid = core_malloc(s->n_cuts * sizeof(*s->valid));
    s->f = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_UE] * sizeof(*s->f));
    s->farg = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_UE]);
    s->h = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_EDGE] * sizeof(*s->h));
    s->harg = core_malloc(s->n_cuts * s->n_opt[COMPUTE_SIDE_EDGE]);
    if (!s->valid || !s->f || !s->farg || !s->h || !s->harg) {
        core_err(e, CORE_E_NOMEM, "out of memory for a %s solver of %zu cuts", kind_names[k],
                 s->n_cuts);
        goto out_destroy;
    }
    for (c = 0; c < s->n_cuts; c++) {
        const struct cut *ct = &s->cuts[c];

        if (!ct->ue_ok || !ct->edge_ok)
            continue;
        if ((k == POLICY_LOCAL && ct->size != s->n) || (k == POLICY_EDGE && ct->size != 0))
            continue;
        s->valid[s->n_valid++] = (uint32_t)c;
    }
    if (s->n_valid == 0) {
        enum compute_side sd = k == POLICY_EDGE ? COMPUTE_SIDE_EDGE : COMPUTE_SIDE_UE;

        for (c = 0; c < s->n && s->mask[sd][c] != 0; c++)
            continue;
        if ((k == POLICY_LOCAL || k == POLICY_EDGE) && c < s->n)
            core_err(e, CORE_E_INPUT, "the %s policy must run layer %zu on the %s, and no "
                     "option there supports it", kind_names[k], c, compute_side_name(sd));
        else
            core_err(e, CORE_E_INPUT, "the %s policy has no plan that runs every layer on an "
                     "option of its side that supports it", kind_names[k]);
        goto out_destroy;
    }
    return s;

out_destroy:
    policy_solver_destroy(s);
    return NULL;
}

/* ---- the dynamic programmes ---------------------------------------------- */

static void set_prices(const struct policy_solver *s, const struct compute_state *st,
                       struct prices *pr)
{
    const struct compute_problem *p = s->p;
    size_t o;
    int sd;

    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
        for (o = 0; o < s->n_opt[sd]; o++)
            pr->wait[sd][o] = isinf(st->wait_s[sd][o]) ? INFINITY
                                                        : st->w_latency * st->wait_s[sd][o];
    pr->copy_per_s[COMPUTE_SIDE_UE] =
        st->w_latency + st->w_energy * p->copy_power_w[COMPUTE_SIDE_UE];
    pr->copy_per_s[COMPUTE_SIDE_EDGE] = st->w_latency;
    pr->ul_per_s = st->w_latency + st->w_energy * st->ul_power_w;
    pr->dl_per_s = st->w_latency + st->w_energy * st->dl_power_w;
    pr->downlink = 0;
    if (st->edge_available)
        pr->downlink = pr->dl_per_s * compute_link_time_s(p->layers[s->n - 1].out_bytes +
                                                              p->msg_header_bytes,
                                                          st->dl_rate_bps);
}

static double copy_cost(const struct policy_solver *s, const struct prices *pr,
                        enum compute_side sd, double bytes)
{
    return pr->copy_per_s[sd] *
           (s->p->copy_latency_s[sd] + bytes / s->p->copy_bytes_per_s[sd]);
}

/* Forward DP of cut c (its parent done) with UE options mask[]. */
static void forward_cut(struct policy_solver *s, const struct compute_state *st,
                        const struct prices *pr, const uint16_t *mask, uint32_t c)
{
    const struct compute_problem *p = s->p;
    const struct cut *k = &s->cuts[c];
    size_t no = s->n_opt[COMPUTE_SIDE_UE], o, q;
    double *f = &s->f[c * no];
    uint8_t *fa = &s->farg[c * no];
    const double *fp = k->size > 1 ? &s->f[k->fparent * no] : NULL;
    const uint8_t *fpa = k->size > 1 ? &s->farg[k->fparent * no] : NULL;
    double copy = k->size > 1 ? copy_cost(s, pr, COMPUTE_SIDE_UE,
                                          s->cuts[k->fparent].cross_bytes) : 0;

    for (o = 0; o < no; o++) {
        double best = INFINITY, layer;
        uint32_t res = p->options[COMPUTE_SIDE_UE][o].resource;
        int arg = ARG_NONE;

        fa[o] = ARG_NONE;
        if (!((mask[k->last] >> o) & 1))
            continue;
        layer = st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, k->last) +
                st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, k->last);
        if (!fp) {
            f[o] = pr->wait[COMPUTE_SIDE_UE][o] + layer;
            fa[o] = ARG_START;
            continue;
        }
        for (q = 0; q < no; q++) {
            double v;

            if (fpa[q] == ARG_NONE)
                continue;
            v = fp[q];
            if (q != o)
                v += pr->wait[COMPUTE_SIDE_UE][o];
            if (p->options[COMPUTE_SIDE_UE][q].resource != res)
                v += copy;
            if (arg == ARG_NONE || v < best) {
                best = v;
                arg = (int)q;
            }
        }
        if (arg != ARG_NONE) {
            f[o] = best + layer;
            fa[o] = (uint8_t)arg;
        }
    }
}

/* Backward DP of cut c (its parent done) with edge options mask[]. */
static void backward_cut(struct policy_solver *s, const struct compute_state *st,
                         const struct prices *pr, const uint16_t *mask, uint32_t c)
{
    const struct compute_problem *p = s->p;
    const struct cut *k = &s->cuts[c];
    const struct cut *g = &s->cuts[k->gparent];
    size_t no = s->n_opt[COMPUTE_SIDE_EDGE], o, q;
    double *h = &s->h[c * no];
    uint8_t *ha = &s->harg[c * no];
    bool end = g->size == s->n;
    const double *hg = end ? NULL : &s->h[k->gparent * no];
    const uint8_t *hga = end ? NULL : &s->harg[k->gparent * no];
    double copy = end ? 0 : copy_cost(s, pr, COMPUTE_SIDE_EDGE, g->cross_bytes);

    for (o = 0; o < no; o++) {
        double best = INFINITY, layer;
        uint32_t res = p->options[COMPUTE_SIDE_EDGE][o].resource;
        int arg = ARG_NONE;

        ha[o] = ARG_NONE;
        if (!((mask[k->next] >> o) & 1))
            continue;
        layer = st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, o, k->next);
        if (end) {
            h[o] = layer + pr->downlink;
            ha[o] = ARG_END;
            continue;
        }
        for (q = 0; q < no; q++) {
            double v;

            if (hga[q] == ARG_NONE)
                continue;
            v = hg[q];
            if (q != o)
                v += pr->wait[COMPUTE_SIDE_EDGE][q];
            if (p->options[COMPUTE_SIDE_EDGE][q].resource != res)
                v += copy;
            if (arg == ARG_NONE || v < best) {
                best = v;
                arg = (int)q;
            }
        }
        if (arg != ARG_NONE) {
            h[o] = layer + best;
            ha[o] = (uint8_t)arg;
        }
    }
}

/* Best UE end option of cut c (c nonempty): -1 when none is reachable. */
static int best_ue_end(const struct policy_solver *s, uint32_t c, double *cost)
{
    size_t no = s->n_opt[COMPUTE_SIDE_UE], o;
    int arg = -1;

    *cost = INFINITY;
    for (o = 0; o < no; o++)
        if (s->farg[c * no + o] != ARG_NONE && (arg < 0 || s->f[c * no + o] < *cost)) {
            *cost = s->f[c * no + o];
            arg = (int)o;
        }
    return arg;
}

/* Best first edge option of cut c (c not full), its wait included. */
static int best_edge_start(const struct policy_solver *s, const struct prices *pr, uint32_t c,
                           double *cost)
{
    size_t no = s->n_opt[COMPUTE_SIDE_EDGE], o;
    int arg = -1;

    *cost = INFINITY;
    for (o = 0; o < no; o++) {
        double v;

        if (s->harg[c * no + o] == ARG_NONE)
            continue;
        v = pr->wait[COMPUTE_SIDE_EDGE][o] + s->h[c * no + o];
        if (arg < 0 || v < *cost) {
            *cost = v;
            arg = (int)o;
        }
    }
    return arg;
}

/* Write cut c's order into out; with options when ue_o / edge_o >= 0 (from
 * the DP's arguments), else leave them for the caller. */
static void emit(const struct policy_solver *s, uint32_t c, int ue_o, int edge_o,
                 struct compute_plan *out)
{
    size_t nu = s->n_opt[COMPUTE_SIDE_UE], ne = s->n_opt[COMPUTE_SIDE_EDGE];
    uint32_t j = c, pos = s->cuts[c].size;
    int o = ue_o;

    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)s->n;
    out->n_ue = s->cuts[c].size;
    while (s->cuts[j].size > 0) {
        uint16_t l = s->cuts[j].last;

        out->order[--pos] = l;
        if (o >= 0) {
            out->option[l] = (uint8_t)o;
            o = s->cuts[j].size > 1 ? s->farg[j * nu + (size_t)o] : -1;
        }
        j = s->cuts[j].fparent;
    }
    pos = s->cuts[c].size;
    j = c;
    o = edge_o;
    while (s->cuts[j].size < s->n) {
        uint16_t l = s->cuts[j].next;

        out->order[pos++] = l;
        if (o >= 0) {
            out->option[l] = (uint8_t)o;
            o = s->harg[j * ne + (size_t)o];
            if (o == ARG_END)
                o = -1;
        }
        j = s->cuts[j].gparent;
    }
}

static enum core_rc decide_local(struct policy_solver *s, const struct compute_state *st,
                                 struct compute_plan *out, struct core_err *e)
{
    struct prices pr;
    double cost;
    size_t k;
    int o;

    if (!s->local_ok) {
        for (k = 0; k < s->n && s->local_mask[k] != 0; k++)
            continue;
        return core_err(e, CORE_E_RUNTIME, "layer %zu has no UE option and the edge is not "
                        "available", k);
    }
    set_prices(s, st, &pr);
    for (k = 1; k <= s->n; k++)
        forward_cut(s, st, &pr, s->local_mask, s->prefix[k]);
    o = best_ue_end(s, s->prefix[s->n], &cost);
    CORE_ASSERT(o >= 0);
    emit(s, s->prefix[s->n], o, -1, out);
    return CORE_OK;
}

static void decide_random(struct policy_solver *s, struct core_rng *rng,
                          struct compute_plan *out)
{
    uint32_t c = s->valid[core_rng_below(rng, s->n_valid)];
    uint8_t pick[COMPUTE_PLAN_MAX_OPTIONS];
    uint32_t k;

    emit(s, c, -1, -1, out);
    for (k = 0; k < out->n_layers; k++) {
        enum compute_side sd = k < out->n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;
        uint16_t l = out->order[k], m = s->mask[sd][l];
        size_t n_pick = 0, o;

        for (o = 0; o < s->n_opt[sd]; o++)
            if ((m >> o) & 1)
                pick[n_pick++] = (uint8_t)o;
        out->option[l] = pick[core_rng_below(rng, n_pick)];
    }
}

/* The split policy: every layer has one option on each side (split_opt,
 * the mask's one bit), so the forward and backward programmes are running
 * sums along the prefixes, O(n) instead of O(n options^2). The sums add the
 * same terms in the same order as forward_cut and backward_cut, so the plan
 * is the one they would give. */
static void decide_split(struct policy_solver *s, const struct compute_state *st,
                         const struct prices *pr, struct compute_plan *out)
{
    const struct compute_problem *p = s->p;
    double f[COMPUTE_PLAN_MAX_LAYERS + 1], h[COMPUTE_PLAN_MAX_LAYERS + 1];
    const int16_t *ou = s->split_opt[COMPUTE_SIDE_UE], *oe = s->split_opt[COMPUTE_SIDE_EDGE];
    const double *lu = s->split_layer[COMPUTE_SIDE_UE], *le = s->split_layer[COMPUTE_SIDE_EDGE];
    const double *cu_ = s->split_copy[COMPUTE_SIDE_UE], *ce = s->split_copy[COMPUTE_SIDE_EDGE];
    double best = INFINITY;
    uint32_t best_c = NO_CUT;
    size_t k, i;

    if (!s->split_cached || s->split_w[0] != st->w_latency || s->split_w[1] != st->w_energy) {
        for (k = 0; k < s->n; k++) {
            int o = ou[k], q = oe[k];

            s->split_layer[COMPUTE_SIDE_UE][k] =
                o < 0 ? 0
                      : st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, k) +
                            st->w_energy * compute_problem_energy_j(p, COMPUTE_SIDE_UE, o, k);
            s->split_layer[COMPUTE_SIDE_EDGE][k] =
                q < 0 ? 0 : st->w_latency * compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, q, k);
            s->split_copy[COMPUTE_SIDE_UE][k] =
                k > 0 && o >= 0 && ou[k - 1] >= 0 &&
                        p->options[COMPUTE_SIDE_UE][ou[k - 1]].resource !=
                            p->options[COMPUTE_SIDE_UE][o].resource
                    ? copy_cost(s, pr, COMPUTE_SIDE_UE, s->cuts[s->prefix[k]].cross_bytes)
                    : 0;
            s->split_copy[COMPUTE_SIDE_EDGE][k] =
                k > 0 && q >= 0 && oe[k - 1] >= 0 &&
                        p->options[COMPUTE_SIDE_EDGE][oe[k - 1]].resource !=
                            p->options[COMPUTE_SIDE_EDGE][q].resource
                    ? copy_cost(s, pr, COMPUTE_SIDE_EDGE, s->cuts[s->prefix[k]].cross_bytes)
                    : 0;
        }
        s->split_w[0] = st->w_latency;
        s->split_w[1] = st->w_energy;
        s->split_cached = true;
    }
    for (k = 1; k <= s->n && ou[k - 1] >= 0; k++) {
        int o = ou[k - 1];
        double v;

        if (k == 1) {
            f[k] = pr->wait[COMPUTE_SIDE_UE][o] + lu[0];
            continue;
        }
        v = f[k - 1];
        if (ou[k - 2] != o)
            v += pr->wait[COMPUTE_SIDE_UE][o];
        if (cu_[k - 1] != 0)
            v += cu_[k - 1];
        f[k] = v + lu[k - 1];
    }
    for (i = s->n; i-- > 0 && oe[i] >= 0;) {
        int o = oe[i], q;
        double v;

        if (i == s->n - 1) {
            h[i] = le[i] + pr->downlink;
            continue;
        }
        q = oe[i + 1];
        v = h[i + 1];
        if (q != o)
            v += pr->wait[COMPUTE_SIDE_EDGE][q];
        if (ce[i + 1] != 0)
            v += ce[i + 1];
        h[i] = le[i] + v;
    }
    for (i = 0; i < s->n_valid; i++) {
        uint32_t c = s->valid[i];
        const struct cut *cu = &s->cuts[c];
        double v = cu->size > 0 ? f[cu->size] : 0;

        if (cu->size < s->n)
            v += pr->ul_per_s *
                     compute_link_time_s(cu->cross_bytes + p->msg_header_bytes, st->ul_rate_bps) +
                 (pr->wait[COMPUTE_SIDE_EDGE][oe[cu->size]] + h[cu->size]);
        if (best_c == NO_CUT || v < best) {
            best = v;
            best_c = c;
        }
    }
    CORE_ASSERT(best_c != NO_CUT);
    emit(s, best_c, -1, -1, out);
    for (k = 0; k < s->n; k++)
        out->option[out->order[k]] =
            (uint8_t)(k < out->n_ue ? ou[out->order[k]] : oe[out->order[k]]);
}

enum core_rc policy_decide(struct policy_solver *s, const struct compute_state *st,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e)
{
    struct prices pr;
    double best = INFINITY;
    uint32_t best_c = NO_CUT;
    int best_ue = -1, best_edge = -1;
    size_t i;

    if (!st->edge_available || s->kind == POLICY_LOCAL)
        return decide_local(s, st, out, e);
    if (s->kind == POLICY_RANDOM) {
        CORE_ASSERT(rng != NULL);
        decide_random(s, rng, out);
        return CORE_OK;
    }
    set_prices(s, st, &pr);
    if (s->kind == POLICY_SPLIT) {
        decide_split(s, st, &pr, out);
        return CORE_OK;
    }
    if (s->kind == POLICY_EDGE) {
        for (i = s->n; i-- > 0;)
            backward_cut(s, st, &pr, s->mask[COMPUTE_SIDE_EDGE], s->prefix[i]);
    } else {
        for (i = 0; i < s->n_cuts; i++)
            if (s->cuts[i].size > 0 && s->cuts[i].ue_ok)
                forward_cut(s, st, &pr, s->mask[COMPUTE_SIDE_UE], (uint32_t)i);
        for (i = s->n_cuts; i-- > 0;)
            if (s->cuts[i].size < s->n && s->cuts[i].edge_ok)
                backward_cut(s, st, &pr, s->mask[COMPUTE_SIDE_EDGE], (uint32_t)i);
    }
    for (i = 0; i < s->n_valid; i++) {
        uint32_t c = s->valid[i];
        const struct cut *k = &s->cuts[c];
        double ue = 0, edge = 0, v;
        int ou = -1, oe = -1;

        if (k->size > 0) {
            ou = best_ue_end(s, c, &ue);
            if (ou < 0)
                continue;
        }
        v = ue;
        if (k->size < s->n) {
            oe = best_edge_start(s, &pr, c, &edge);
            if (oe < 0)
                continue;
            v += pr.ul_per_s *
                     compute_link_time_s(k->cross_bytes + s->p->msg_header_bytes, st->ul_rate_bps) +
                 edge;
        }
        if (best_c == NO_CUT || v < best) {
            best = v;
            best_c = c;
            best_ue = ou;
            best_edge = oe;
        }
    }
    CORE_ASSERT(best_c != NO_CUT);
    emit(s, best_c, best_ue, best_edge, out);
    return CORE_OK;
}
