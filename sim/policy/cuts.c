/*
 * cuts.c — the family of cuts a solver works over: every ideal of the
 * model's DAG (the sets of layers closed under predecessors) by a bounded
 * enumeration when there are at most POLICY_CUTS_MAX of them, else (and for
 * a chain, or a policy that asks for prefixes) the n + 1 prefixes of the
 * layer order. The family is sorted by size; each cut knows its forward
 * parent (minus its highest layer) and backward parent (plus the lowest
 * layer outside), the bytes crossing from it to the rest, and whether the
 * policy's masks give every layer an option on its side.
 *
 * Sets of layers are bit sets of COMPUTE_PLAN_MAX_LAYERS bits; the parents
 * are found through an open-addressing table keyed by the sets.
 */
#include "policy/policy_int.h"

#include <string.h>

#define WORDS ((COMPUTE_PLAN_MAX_LAYERS + 63) / 64)

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
    uint32_t *slot;         /* [mask + 1] cut indices, POLICY_NO_CUT: empty (owned) */
    size_t mask;            /* slots - 1, slots a power of two */
    const struct bits *set; /* the cuts' sets, by index (borrowed) */
};

static uint32_t table_find(const struct table *t, const struct bits *b)
{
    size_t i = (size_t)bits_hash(b) & t->mask;

    while (t->slot[i] != POLICY_NO_CUT) {
        if (memcmp(&t->set[t->slot[i]], b, sizeof(*b)) == 0)
            return t->slot[i];
        i = (i + 1) & t->mask;
    }
    return POLICY_NO_CUT;
}

static void table_add(struct table *t, uint32_t c)
{
    size_t i = (size_t)bits_hash(&t->set[c]) & t->mask;

    while (t->slot[i] != POLICY_NO_CUT)
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
    s->n_enc = p->n_encodings;
    if (s->n_enc > 0) {
        s->enc_bytes = core_malloc(n_sets * s->n_enc * sizeof(*s->enc_bytes));
        s->enc_acc = core_malloc(n_sets * s->n_enc * sizeof(*s->enc_acc));
    }
    if (!sorted || !s->cuts || !t.slot || (s->n_enc > 0 && (!s->enc_bytes || !s->enc_acc))) {
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
        t.slot[i] = POLICY_NO_CUT;
    for (c = 0; c < n_sets; c++)
        table_add(&t, c);

    for (c = 0; c < n_sets; c++) {
        struct policy_cut *k = &s->cuts[c];
        struct bits b = sorted[c];
        bool read_outside[COMPUTE_PLAN_MAX_LAYERS + 1] = {false}; /* [0]: model input */
        struct compute_layer_set ue;
        size_t j;
        uint32_t q;

        static_assert(sizeof(ue.w) == sizeof(b.w), "a cut's bits are a compute_layer_set");
        memcpy(ue.w, b.w, sizeof(ue.w));

        k->size = (uint16_t)popcount_bits(&b);
        k->fparent = k->gparent = POLICY_NO_CUT;
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
        for (uint32_t en = 0; en < s->n_enc; en++) {
            double bytes = read_outside[0] ? compute_problem_tensor_bytes(p, en, 0) : 0;

            for (j = 0; j < s->n; j++)
                if (bit_get(&b, j) && read_outside[1 + j])
                    bytes += compute_problem_tensor_bytes(p, en, 1 + j);
            s->enc_bytes[c * s->n_enc + en] = bytes;
            s->enc_acc[c * s->n_enc + en] = compute_problem_accuracy(p, en, &ue, k->size);
        }
        if (k->size > 0) {
            bit_set(&b, k->last, false);
            k->fparent = table_find(&t, &b);
            bit_set(&b, k->last, true);
            CORE_ASSERT(k->fparent != POLICY_NO_CUT && k->fparent < c);
        }
        if (k->size < s->n) {
            bit_set(&b, k->next, true);
            k->gparent = table_find(&t, &b);
            CORE_ASSERT(k->gparent != POLICY_NO_CUT);
        }
        if (k->size == 0)
            s->prefix[0] = c;
        else if (k->last + 1u == k->size)
            s->prefix[k->size] = c;
    }
    for (c = 0; c < n_sets; c++) {
        struct policy_cut *k = &s->cuts[c];

        k->ue_ok = k->size == 0 ||
                   (s->cuts[k->fparent].ue_ok && s->mask[COMPUTE_SIDE_UE][k->last] != 0);
    }
    for (c = (uint32_t)n_sets; c-- > 0;) {
        struct policy_cut *k = &s->cuts[c];

        k->edge_ok = k->size == s->n ||
                     (s->cuts[k->gparent].edge_ok && s->mask[COMPUTE_SIDE_EDGE][k->next] != 0);
    }
out_free:
    core_free(sorted);
    core_free(t.slot);
    return rc;
}

enum core_rc policy_cuts_build(struct policy_solver *s, bool ideals, struct core_err *e)
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
