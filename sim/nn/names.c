/*
 * names.c — the index of a model's layer names: which layer is called NAME,
 * in O(1), so that building a model of n layers (each name checked unique,
 * each input resolved by name) is linear in n instead of quadratic.
 *
 * An open-addressing hash table of layer indices (slot = index + 1, 0 =
 * empty) keyed by the layer's own name (FNV-1a, linear probing), at most
 * half full, rebuilt twice as large when it would pass that. Layers are
 * only ever appended and never renamed, so the index never goes stale.
 */
#include "nn/nn_int.h"

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

bool nn_names_find(const struct nn_names *x, const struct nn_layer *layers, const char *name,
                   int *index)
{
    size_t i;

    if (x->cap == 0)
        return false;
    for (i = name_hash(name) & (x->cap - 1); x->slot[i] != 0; i = (i + 1) & (x->cap - 1)) {
        const int k = (int)x->slot[i] - 1;

        if (strcmp(layers[k].name, name) == 0) {
            *index = k;
            return true;
        }
    }
    return false;
}

static void put(uint32_t *slot, size_t cap, const struct nn_layer *layers, int index)
{
    size_t i = name_hash(layers[index].name) & (cap - 1);

    while (slot[i] != 0)
        i = (i + 1) & (cap - 1);
    slot[i] = (uint32_t)index + 1;
}

bool nn_names_add(struct nn_names *x, const struct nn_layer *layers, int index)
{
    if (2 * (x->n + 1) > x->cap) {
        const size_t cap = x->cap ? 2 * x->cap : 64;
        uint32_t *slot = core_calloc(cap, sizeof(*slot));

        if (!slot)
            return false;
        for (size_t i = 0; i < x->cap; i++)
            if (x->slot[i] != 0)
                put(slot, cap, layers, (int)x->slot[i] - 1);
        core_free(x->slot);
        x->slot = slot;
        x->cap = cap;
    }
    put(x->slot, x->cap, layers, index);
    x->n++;
    return true;
}

void nn_names_fini(struct nn_names *x)
{
    core_free(x->slot);
    x->slot = NULL;
    x->cap = x->n = 0;
}
