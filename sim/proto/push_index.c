/*
 * push_index.c — the push index: for each cell, the inferences a state push
 * of that cell's network may act on, grouped by UE.
 *
 * A push (net.c, push_state) sends an update to the inferences served by
 * its cell that may re-plan with no update already on the air, of the UEs
 * whose push gap has passed; and while the a3 rule may apply, it judges
 * every a2 the network holds before its edge part starts. In an overloaded
 * cell thousands of inferences wait, most with an update on the air, while
 * a handful are ready for one, so the push walks the cell's groups (one per
 * UE with indexed inferences there: O(UEs of the cell)) and the ready
 * inferences of the open ones, instead of the whole pool.
 *
 * An inference is in two lists of the group of its (cell, UE), each
 * decided by its own fields alone (proto_push_index_sync):
 *   PROTO_PUSH_READY  it may re-plan (proto_inf_may_replan) and no update
 *                     for it is on the air;
 *   PROTO_PUSH_HELD   the network holds its a2 and its edge part has not
 *                     started (COMPUTING_A2_IN, UPLOADING).
 * Layout: each list is doubly linked through proto_inf.grp_next/grp_prev
 * (pool slots); the cell's groups are a doubly linked list from
 * proto_net.first_grp, the UE's a singly linked one from proto_ue.first_grp
 * (a UE has groups in two cells only while inferences started before a
 * handover finish at the old cell). Groups come from a pool of the
 * inference pool's capacity (a group holds at least one inference), grown
 * with it, so keeping the index never allocates. An inference's cell
 * changes only on its move to REQUESTING, in no list. The order of groups
 * and of inferences in them is arbitrary: a push sorts what it gathers by
 * pool slot, the order of the walk over the pool it replaces.
 *
 * Beside it, each UE's re-planning list: its inferences that may re-plan
 * (proto_inf_may_replan), linked through proto_inf.rp_next/rp_prev from
 * proto_ue.first_replan, newest request first (by inference_id, the order
 * of the UE's list of inferences in flight, which a new request enters at
 * its head). A change of the UE's load asks each of them whether to ask for
 * the network's state; an overloaded UE has hundreds of uploads in flight
 * and one or two of those.
 */
#include "proto/proto_int.h"

#include <string.h>

bool proto_push_member(const struct proto_inf *inf, enum proto_push_list l)
{
    if (l == PROTO_PUSH_READY)
        return proto_inf_may_replan(inf) && !inf->push_on_air;
    return inf->state == PROTO_INF_COMPUTING_A2_IN || inf->state == PROTO_INF_UPLOADING;
}

bool proto_push_index_reserve(struct proto_collab_world *w, size_t cap)
{
    struct proto_push_group *g;
    uint32_t *fs, *scratch;

    if (cap <= w->cap_grps)
        return true;
    g = core_realloc(w->grps, cap * sizeof(*g));
    if (!g)
        return false;
    w->grps = g;
    fs = core_realloc(w->free_grps, cap * sizeof(*fs));
    if (!fs)
        return false;
    w->free_grps = fs;
    scratch = core_realloc(w->push_scratch, cap * sizeof(*scratch));
    if (!scratch)
        return false;
    w->push_scratch = scratch;
    for (size_t i = cap; i > w->cap_grps; i--)
        w->free_grps[w->n_free_grps++] = (uint32_t)(i - 1);
    w->cap_grps = cap;
    return true;
}

/* The group of (ue, cell), or UINT32_MAX. */
static uint32_t find_group(const struct proto_collab_world *w, uint32_t ue, uint32_t cell)
{
    uint32_t gi = w->ues[ue].first_grp;

    while (gi != UINT32_MAX && w->grps[gi].cell != cell)
        gi = w->grps[gi].next_of_ue;
    return gi;
}

static uint32_t take_group(struct proto_collab_world *w, uint32_t ue, uint32_t cell)
{
    struct proto_net *net = &w->nets[cell];
    struct proto_push_group *g;
    uint32_t gi;

    /* Never empty: the pool holds as many groups as inference slots. */
    CORE_ASSERT(w->n_free_grps > 0);
    gi = w->free_grps[--w->n_free_grps];
    g = &w->grps[gi];
    memset(g, 0, sizeof(*g));
    g->ue = ue;
    g->cell = cell;
    for (int l = 0; l < PROTO_PUSH_LISTS; l++)
        g->first[l] = UINT32_MAX;
    g->prev_in_cell = UINT32_MAX;
    g->next_in_cell = net->first_grp;
    if (net->first_grp != UINT32_MAX)
        w->grps[net->first_grp].prev_in_cell = gi;
    net->first_grp = gi;
    g->next_of_ue = w->ues[ue].first_grp;
    w->ues[ue].first_grp = gi;
    return gi;
}

static void put_group(struct proto_collab_world *w, uint32_t gi)
{
    struct proto_push_group *g = &w->grps[gi];
    uint32_t *link = &w->ues[g->ue].first_grp;

    if (g->prev_in_cell != UINT32_MAX)
        w->grps[g->prev_in_cell].next_in_cell = g->next_in_cell;
    else
        w->nets[g->cell].first_grp = g->next_in_cell;
    if (g->next_in_cell != UINT32_MAX)
        w->grps[g->next_in_cell].prev_in_cell = g->prev_in_cell;
    while (*link != gi)
        link = &w->grps[*link].next_of_ue;
    *link = g->next_of_ue;
    w->free_grps[w->n_free_grps++] = gi;
}

static void link_in(struct proto_collab_world *w, struct proto_inf *inf, enum proto_push_list l)
{
    struct proto_push_group *g;

    if (inf->grp == UINT32_MAX)
        inf->grp = find_group(w, inf->ue, inf->cell);
    if (inf->grp == UINT32_MAX)
        inf->grp = take_group(w, inf->ue, inf->cell);
    g = &w->grps[inf->grp];
    CORE_ASSERT(g->cell == inf->cell && g->ue == inf->ue);
    inf->grp_prev[l] = UINT32_MAX;
    inf->grp_next[l] = g->first[l];
    if (g->first[l] != UINT32_MAX)
        w->infs[g->first[l]]->grp_prev[l] = inf->slot;
    g->first[l] = inf->slot;
    g->n[l]++;
    inf->in_list |= 1u << l;
}

static void link_out(struct proto_collab_world *w, struct proto_inf *inf, enum proto_push_list l)
{
    uint32_t gi = inf->grp;
    struct proto_push_group *g = &w->grps[gi];

    if (inf->grp_prev[l] != UINT32_MAX)
        w->infs[inf->grp_prev[l]]->grp_next[l] = inf->grp_next[l];
    else
        g->first[l] = inf->grp_next[l];
    if (inf->grp_next[l] != UINT32_MAX)
        w->infs[inf->grp_next[l]]->grp_prev[l] = inf->grp_prev[l];
    g->n[l]--;
    inf->in_list &= ~(1u << l);
    if (inf->in_list == 0) {
        inf->grp = UINT32_MAX;
        if (g->n[PROTO_PUSH_READY] + g->n[PROTO_PUSH_HELD] == 0)
            put_group(w, gi);
    }
}

/* Enter inf into its UE's re-planning list, keeping it newest first. */
static void replan_in(struct proto_collab_world *w, struct proto_inf *inf)
{
    struct proto_ue *ue = &w->ues[inf->ue];
    uint32_t prev = UINT32_MAX, next = ue->first_replan;

    while (next != UINT32_MAX && w->infs[next]->id > inf->id) {
        prev = next;
        next = w->infs[next]->rp_next;
    }
    inf->rp_prev = prev;
    inf->rp_next = next;
    if (prev != UINT32_MAX)
        w->infs[prev]->rp_next = inf->slot;
    else
        ue->first_replan = inf->slot;
    if (next != UINT32_MAX)
        w->infs[next]->rp_prev = inf->slot;
    inf->in_replan = true;
}

static void replan_out(struct proto_collab_world *w, struct proto_inf *inf)
{
    if (inf->rp_prev != UINT32_MAX)
        w->infs[inf->rp_prev]->rp_next = inf->rp_next;
    else
        w->ues[inf->ue].first_replan = inf->rp_next;
    if (inf->rp_next != UINT32_MAX)
        w->infs[inf->rp_next]->rp_prev = inf->rp_prev;
    inf->in_replan = false;
}

void proto_push_index_sync(struct proto_collab_world *w, struct proto_inf *inf)
{
    bool replan = proto_inf_may_replan(inf);

    if (inf->in_replan && !replan)
        replan_out(w, inf);
    else if (!inf->in_replan && replan)
        replan_in(w, inf);
    for (int l = 0; l < PROTO_PUSH_LISTS; l++) {
        bool was = (inf->in_list >> l) & 1u, is = proto_push_member(inf, l);

        if (was && !is)
            link_out(w, inf, l);
        else if (!was && is)
            link_in(w, inf, l);
    }
}

void proto_inf_set_push_on_air(struct proto_collab_world *w, struct proto_inf *inf, bool on_air)
{
    inf->push_on_air = on_air;
    proto_push_index_sync(w, inf);
}

bool proto_push_index_consistent(const struct proto_collab_world *w)
{
    size_t n_member[PROTO_PUSH_LISTS] = {0}, n_listed[PROTO_PUSH_LISTS] = {0}, n_groups = 0;

    for (size_t i = 0; i < w->n_infs; i++) {
        const struct proto_inf *inf = w->infs[i];
        unsigned want = 0;

        for (int l = 0; l < PROTO_PUSH_LISTS; l++)
            if (inf->state != PROTO_INF_FREE && proto_push_member(inf, l)) {
                want |= 1u << l;
                n_member[l]++;
            }
        if (inf->in_list != want)
            return false;
        if (want && (inf->grp >= w->cap_grps || w->grps[inf->grp].cell != inf->cell ||
                     w->grps[inf->grp].ue != inf->ue))
            return false;
    }
    for (size_t c = 0; c < w->n_cells; c++) {
        uint32_t prev = UINT32_MAX;

        for (uint32_t gi = w->nets[c].first_grp; gi != UINT32_MAX;
             prev = gi, gi = w->grps[gi].next_in_cell) {
            const struct proto_push_group *g = &w->grps[gi];

            if (++n_groups > w->cap_grps || g->cell != c || g->prev_in_cell != prev ||
                g->n[PROTO_PUSH_READY] + g->n[PROTO_PUSH_HELD] == 0 ||
                find_group(w, g->ue, g->cell) != gi)
                return false;
            for (int l = 0; l < PROTO_PUSH_LISTS; l++) {
                uint32_t prev_inf = UINT32_MAX, n = 0;

                for (uint32_t s = g->first[l]; s != UINT32_MAX;
                     prev_inf = s, s = w->infs[s]->grp_next[l]) {
                    const struct proto_inf *inf = w->infs[s];

                    if (++n > g->n[l] || inf->grp != gi || inf->grp_prev[l] != prev_inf ||
                        !((inf->in_list >> l) & 1u))
                        return false;
                }
                if (n != g->n[l])
                    return false;
                n_listed[l] += n;
            }
        }
    }
    for (int l = 0; l < PROTO_PUSH_LISTS; l++)
        if (n_listed[l] != n_member[l])
            return false;
    /* Each UE's re-planning list: its in-flight list filtered, in order. */
    for (size_t u = 0; u < w->n_ues; u++) {
        uint32_t r = w->ues[u].first_replan, prev = UINT32_MAX;

        for (uint32_t s = w->ues[u].first_inf; s != UINT32_MAX; s = w->infs[s]->next_of_ue) {
            const struct proto_inf *inf = w->infs[s];

            if (inf->state == PROTO_INF_FREE || !proto_inf_may_replan(inf))
                continue;
            if (r != s || !inf->in_replan || inf->rp_prev != prev)
                return false;
            prev = r;
            r = inf->rp_next;
        }
        if (r != UINT32_MAX)
            return false;
    }
    return n_groups + w->n_free_grps == w->cap_grps;
}
