/*
 * pool.c — the pools of what is in flight in a collaborative world:
 * inferences and messages, recycled through free stacks. An inference
 * carries a generation, bumped when it is recycled or restarted, so that a
 * callback holding (slot, generation) finds it gone rather than another
 * one (proto_inf_find). The pools grow by doubling and never shrink; growth
 * is the only allocation, and a failure is the caller's to report.
 */
#include "proto/proto_int.h"

#include <string.h>

/* Grow a pool's pointer array and free stack to hold one more object. */
static bool pool_grow(void ***items, uint32_t **free_stack, size_t *cap)
{
    size_t cap2 = *cap ? 2 * *cap : 64;
    void **it = core_realloc(*items, cap2 * sizeof(*it));
    uint32_t *fs;

    if (!it)
        return false;
    *items = it;
    fs = core_realloc(*free_stack, cap2 * sizeof(*fs));
    if (!fs)
        return false;
    *free_stack = fs;
    *cap = cap2;
    return true;
}

struct proto_inf *proto_inf_get(struct proto_collab_world *w)
{
    struct proto_inf *inf;
    uint32_t gen, slot;

    if (w->n_free_infs == 0) {
        if (w->n_infs == w->cap_infs &&
            !pool_grow((void ***)&w->infs, &w->free_infs, &w->cap_infs))
            return NULL;
        if (!proto_push_index_reserve(w, w->cap_infs))
            return NULL;
        inf = core_calloc(1, sizeof(*inf));
        if (!inf)
            return NULL;
        inf->slot = (uint32_t)w->n_infs;
        w->infs[w->n_infs++] = inf;
        w->free_infs[w->n_free_infs++] = inf->slot;
    }
    inf = w->infs[w->free_infs[--w->n_free_infs]];
    gen = inf->gen + 1;
    slot = inf->slot;
    memset(inf, 0, sizeof(*inf));
    inf->slot = slot;
    inf->gen = gen;
    inf->state = PROTO_INF_FREE;
    inf->grp = UINT32_MAX;
    return inf;
}

void proto_inf_put(struct proto_collab_world *w, struct proto_inf *inf)
{
    CORE_ASSERT(inf->state == PROTO_INF_FREE);
    inf->gen++;
    w->free_infs[w->n_free_infs++] = inf->slot;
}

struct proto_inf *proto_inf_find(struct proto_collab_world *w, uint32_t slot, uint32_t gen)
{
    struct proto_inf *inf;

    if (slot >= w->n_infs)
        return NULL;
    inf = w->infs[slot];
    return inf->state != PROTO_INF_FREE && inf->gen == gen ? inf : NULL;
}

struct proto_msg *proto_msg_get(struct proto_collab_world *w)
{
    struct proto_msg *m;

    if (w->n_free_msgs == 0) {
        if (w->n_msgs == w->cap_msgs &&
            !pool_grow((void ***)&w->msgs, &w->free_msgs, &w->cap_msgs))
            return NULL;
        m = core_calloc(1, sizeof(*m));
        if (!m)
            return NULL;
        m->slot = (uint32_t)w->n_msgs;
        w->msgs[w->n_msgs++] = m;
        w->free_msgs[w->n_free_msgs++] = m->slot;
    }
    m = w->msgs[w->free_msgs[--w->n_free_msgs]];
    m->live = true;
    return m;
}

void proto_msg_put(struct proto_collab_world *w, struct proto_msg *m)
{
    m->live = false;
    w->free_msgs[w->n_free_msgs++] = m->slot;
}
