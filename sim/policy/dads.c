/*
 * dads.c — DADS (Hu et al., "Dynamic Adaptive DNN Surgery for Inference
 * Acceleration on the Edge", INFOCOM 2019): the UE's part is the source side
 * of a minimum s-t cut of a flow network built on the model's DAG, each
 * side's part on its declared default option (a layer the default cannot run
 * on the side's fastest option that can, as split-default). Unlike split it
 * is not limited to the prefixes of the layer order: on a DAG (GoogLeNet's
 * Inception branches, ResNet's shortcuts) it finds the best cut of all.
 *
 * The network (DADS's construction, with its output-once refinement):
 *   - source s = the UE, sink t = the edge; a node per layer v;
 *   - s -> v with the price of v on the edge (paid when v is on the edge's
 *     side), v -> t with the price of v on the UE (paid when on the UE's);
 *   - per layer u with consumers, a node u' and u -> u' with the price of
 *     uploading u's output, u' -> w infinite for each consumer w: a tensor
 *     that several edge layers read crosses once;
 *   - w -> u infinite for each input u of w: a cut with w on the UE and u on
 *     the edge (data coming back) costs infinity, so the UE's side is closed
 *     under predecessors (an ideal) and a valid plan;
 *   - the model input as a node pinned to the UE's side (s -> in infinite),
 *     in -> in' with the price of uploading the input, in' -> w infinite;
 *   - s -> output layer also carries what every plan with an edge part pays
 *     once: the message header of the upload, the uplink's fixed delay and
 *     the result's download (the output runs on the edge exactly when some
 *     layer does: every layer precedes it).
 * The prices are the objective's (policy_int.h): a UE layer w_latency t +
 * w_energy E, an edge layer w_latency t, an upload (w_latency + w_energy
 * P_ul) bytes x 8 / rate. A cut's capacity is then the plan's objective
 * without its waits and copies, so the minimum cut is the best plan of
 * every cut under light load (no queues) with one option per side, as DADS
 * assumes ("exact for light load"); waits and the copies a fallback option
 * brings are left out, as DADS leaves them (an option the state says is
 * unavailable, an infinite wait, prices its layers at infinity; when no
 * finite cut is left, the local plan).
 *
 * The maximum flow is Dinic's (breadth-first levels, depth-first blocking
 * flows, iterative), in doubles: infinity is a finite M larger than the sum
 * of every finite capacity, and a residual counts while above M x 1e-13.
 * The UE's side is what the source reaches in the final residual network
 * (the smallest minimum cut). The network's shape is built at creation, its
 * capacities at each decision: nothing is allocated per decision.
 */
#include "policy/policy_int.h"

#include <string.h>

/* Nodes: source, sink, then per layer v its node and its output's node, then
 * the input and its output's node. */
#define NODE_SRC 0u
#define NODE_SNK 1u
#define NODE_LAYER(i) (2u + (uint32_t)(i))
#define NODE_TENSOR(n, i) (2u + (uint32_t)(n) + (uint32_t)(i))
#define NODE_IN(n) (2u + 2u * (uint32_t)(n))
#define NODE_IN_TENSOR(n) (3u + 2u * (uint32_t)(n))

/* What an arc's capacity is, fixed at creation; its value comes per state. */
enum dads_arc {
    ARC_EDGE_PRICE, /* s -> v: v on the edge (the output's also the fixed terms) */
    ARC_UE_PRICE,   /* v -> t: v on the UE */
    ARC_UPLOAD,     /* u -> u': u's output (or the input) uploaded */
    ARC_INFINITE,   /* structure: never cut */
    ARC_RESIDUAL    /* the reverse arc of each: capacity 0 */
};

struct policy_dads {
    uint32_t n_nodes;  /* nodes of the network */
    uint32_t n_arcs;   /* arcs, each followed by its reverse (arc a ^ 1) */
    uint32_t *head;    /* [n_nodes] first arc out of each node (UINT32_MAX: none) */
    uint32_t *next;    /* [n_arcs] next arc out of the same node */
    uint32_t *to;      /* [n_arcs] the node an arc enters */
    uint8_t *kind;     /* [n_arcs] enum dads_arc */
    uint32_t *layer;   /* [n_arcs] the layer (or input: n) whose price it carries */
    double *cap;       /* [n_arcs] residual capacity, objective units */
    uint32_t *level;   /* [n_nodes] BFS level (UINT32_MAX: unreached) */
    uint32_t *iter;    /* [n_nodes] the next arc to try in the blocking flow */
    uint32_t *queue;   /* [n_nodes] BFS queue */
    uint32_t *stack;   /* [n_nodes] the DFS path, arcs */
};

static void add_arc(struct policy_dads *d, uint32_t from, uint32_t to, enum dads_arc kind,
                    uint32_t layer)
{
    uint32_t a = d->n_arcs;

    d->to[a] = to;
    d->kind[a] = (uint8_t)kind;
    d->layer[a] = layer;
    d->next[a] = d->head[from];
    d->head[from] = a;
    d->to[a + 1] = from;
    d->kind[a + 1] = ARC_RESIDUAL;
    d->layer[a + 1] = layer;
    d->next[a + 1] = d->head[to];
    d->head[to] = a + 1;
    d->n_arcs += 2;
}

static void dads_free(struct policy_dads *d)
{
    if (!d)
        return;
    core_free(d->stack);
    core_free(d->queue);
    core_free(d->iter);
    core_free(d->level);
    core_free(d->cap);
    core_free(d->layer);
    core_free(d->kind);
    core_free(d->to);
    core_free(d->next);
    core_free(d->head);
    core_free(d);
}

/* Build the network's shape for s->p into s->dads. */
static enum core_rc network_create(struct policy_solver *s, struct core_err *e)
{
    const struct compute_problem *p = s->p;
    const size_t n = s->n;
    struct policy_dads *d = core_calloc(1, sizeof(*d));
    size_t max_arcs = 0, i, k;
    bool has_consumer[COMPUTE_PLAN_MAX_LAYERS + 1] = {false}; /* [n]: the input */

    if (!d)
        return core_err(e, CORE_E_NOMEM, "out of memory for a dads solver");
    s->dads = d;
    for (i = 0; i < n; i++)
        for (k = 0; k < p->layers[i].n_inputs; k++) {
            const int32_t u = p->layers[i].inputs[k];
            has_consumer[u < 0 ? n : (size_t)u] = true;
        }
    /* per layer: s -> v, v -> t, v -> v'; per input edge: u' -> w, w -> u;
     * the input: s -> in, in -> in' */
    for (i = 0; i < n; i++)
        max_arcs += 3 + 2 * p->layers[i].n_inputs;
    max_arcs = 2 * (max_arcs + 2);
    d->n_nodes = NODE_IN_TENSOR(n) + 1;
    d->head = core_malloc(d->n_nodes * sizeof(*d->head));
    d->next = core_malloc(max_arcs * sizeof(*d->next));
    d->to = core_malloc(max_arcs * sizeof(*d->to));
    d->kind = core_malloc(max_arcs * sizeof(*d->kind));
    d->layer = core_malloc(max_arcs * sizeof(*d->layer));
    d->cap = core_malloc(max_arcs * sizeof(*d->cap));
    d->level = core_malloc(d->n_nodes * sizeof(*d->level));
    d->iter = core_malloc(d->n_nodes * sizeof(*d->iter));
    d->queue = core_malloc(d->n_nodes * sizeof(*d->queue));
    d->stack = core_malloc(d->n_nodes * sizeof(*d->stack));
    if (!d->head || !d->next || !d->to || !d->kind || !d->layer || !d->cap || !d->level ||
        !d->iter || !d->queue || !d->stack)
        return core_err(e, CORE_E_NOMEM, "out of memory for a dads solver");
    for (i = 0; i < d->n_nodes; i++)
        d->head[i] = UINT32_MAX;
    add_arc(d, NODE_SRC, NODE_IN(n), ARC_INFINITE, (uint32_t)n);
    if (has_consumer[n])
        add_arc(d, NODE_IN(n), NODE_IN_TENSOR(n), ARC_UPLOAD, (uint32_t)n);
    for (i = 0; i < n; i++) {
        add_arc(d, NODE_SRC, NODE_LAYER(i), ARC_EDGE_PRICE, (uint32_t)i);
        add_arc(d, NODE_LAYER(i), NODE_SNK, ARC_UE_PRICE, (uint32_t)i);
        if (has_consumer[i])
            add_arc(d, NODE_LAYER(i), NODE_TENSOR(n, i), ARC_UPLOAD, (uint32_t)i);
        for (k = 0; k < p->layers[i].n_inputs; k++) {
            const int32_t u = p->layers[i].inputs[k];

            if (u < 0) {
                add_arc(d, NODE_IN_TENSOR(n), NODE_LAYER(i), ARC_INFINITE, (uint32_t)i);
            } else {
                add_arc(d, NODE_TENSOR(n, u), NODE_LAYER(i), ARC_INFINITE, (uint32_t)i);
                add_arc(d, NODE_LAYER(i), NODE_LAYER(u), ARC_INFINITE, (uint32_t)i);
            }
        }
    }
    CORE_ASSERT(d->n_arcs <= max_arcs);
    return CORE_OK;
}

enum core_rc policy_dads_create(struct policy_solver *s, struct core_err *e)
{
    /* split-default's preparation: each side's fixed option vector, the
     * local plan's machinery, and its a4. */
    enum core_rc rc = policy_split_default_create(s, e);

    if (rc != CORE_OK)
        return rc;
    return network_create(s, e);
}

void policy_dads_release(struct policy_solver *s)
{
    dads_free(s->dads);
    s->dads = NULL;
    policy_candidates_release(s);
}

/* Side sd's price of layer i on its fixed option (INFINITY: none runs it). */
static double layer_price(const struct policy_solver *s, const struct compute_state *st,
                          enum compute_side sd, size_t i)
{
    const int o = s->fixed_opt[sd][i];
    double v;

    if (o < 0 || isinf(st->wait_s[sd][o])) /* none runs it, or its option is unavailable */
        return INFINITY;
    v = st->w_latency * compute_problem_latency_s(s->p, sd, (size_t)o, i);
    if (sd == COMPUTE_SIDE_UE)
        v += st->w_energy * compute_problem_energy_j(s->p, sd, (size_t)o, i);
    return v;
}

/* Set every arc's capacity for state st; returns M, the stand-in for
 * infinity. */
static double capacities_set(struct policy_solver *s, const struct compute_state *st,
                             const struct policy_prices *pr)
{
    struct policy_dads *d = s->dads;
    const struct compute_problem *p = s->p;
    const size_t n = s->n;
    /* what every plan with an edge part pays once, on the output's arc */
    const double fixed =
        pr->downlink + pr->ul_per_s * compute_link_time_s(p->msg_header_bytes, st->ul_rate_bps);
    double sum = 0, big;
    uint32_t a;

    for (a = 0; a < d->n_arcs; a++) {
        const uint32_t l = d->layer[a];
        double c = 0;

        switch ((enum dads_arc)d->kind[a]) {
        case ARC_EDGE_PRICE:
            c = layer_price(s, st, COMPUTE_SIDE_EDGE, l) + (l == n - 1 ? fixed : 0.0);
            break;
        case ARC_UE_PRICE:
            c = layer_price(s, st, COMPUTE_SIDE_UE, l);
            break;
        case ARC_UPLOAD:
            c = pr->ul_per_s *
                compute_link_time_s(l == n ? p->input_bytes : p->layers[l].out_bytes,
                                    st->ul_rate_bps);
            break;
        case ARC_INFINITE:
            c = INFINITY;
            break;
        case ARC_RESIDUAL:
            c = 0;
            break;
        }
        d->cap[a] = c;
        if (isfinite(c))
            sum += c;
    }
    big = 2.0 * sum + 1.0;
    for (a = 0; a < d->n_arcs; a++)
        if (!isfinite(d->cap[a]))
            d->cap[a] = big;
    return big;
}

/* Levels from the source over arcs with residual above eps; true when the
 * sink is reached. */
static bool levels(struct policy_dads *d, double eps)
{
    uint32_t qh = 0, qt = 0, v, a;

    for (v = 0; v < d->n_nodes; v++)
        d->level[v] = UINT32_MAX;
    d->level[NODE_SRC] = 0;
    d->queue[qt++] = NODE_SRC;
    while (qh < qt) {
        v = d->queue[qh++];
        for (a = d->head[v]; a != UINT32_MAX; a = d->next[a])
            if (d->cap[a] > eps && d->level[d->to[a]] == UINT32_MAX) {
                d->level[d->to[a]] = d->level[v] + 1;
                d->queue[qt++] = d->to[a];
            }
    }
    return d->level[NODE_SNK] != UINT32_MAX;
}

/* One blocking flow along the levels (iterative depth-first search);
 * returns the flow it pushed. */
static double blocking_flow(struct policy_dads *d, double eps)
{
    double pushed = 0;
    uint32_t depth = 0, v = NODE_SRC, k;

    for (k = 0; k < d->n_nodes; k++)
        d->iter[k] = d->head[k];
    for (;;) {
        if (v == NODE_SNK) {
            double push = INFINITY;

            for (k = 0; k < depth; k++)
                if (d->cap[d->stack[k]] < push)
                    push = d->cap[d->stack[k]];
            for (k = 0; k < depth; k++) {
                d->cap[d->stack[k]] -= push;
                d->cap[d->stack[k] ^ 1u] += push;
            }
            pushed += push;
            /* back to the tail of the first arc the push saturated */
            for (k = 0; k < depth && d->cap[d->stack[k]] > eps; k++)
                ;
            depth = k;
            v = depth ? d->to[d->stack[depth - 1]] : NODE_SRC;
            continue;
        }
        while (d->iter[v] != UINT32_MAX) {
            const uint32_t a = d->iter[v];
            if (d->cap[a] > eps && d->level[d->to[a]] == d->level[v] + 1)
                break;
            d->iter[v] = d->next[a];
        }
        if (d->iter[v] != UINT32_MAX) {
            d->stack[depth++] = d->iter[v];
            v = d->to[d->iter[v]];
            continue;
        }
        /* dead end: retreat, and never try this node again in this phase */
        if (depth == 0)
            return pushed;
        d->level[v] = UINT32_MAX;
        depth--;
        v = depth ? d->to[d->stack[depth - 1]] : NODE_SRC;
        d->iter[v] = d->next[d->iter[v]];
    }
}

enum core_rc policy_dads_decide(struct policy_solver *s, const struct compute_state *st,
                                struct core_rng *rng, struct compute_plan *out,
                                struct core_err *e)
{
    struct policy_dads *d = s->dads;
    struct policy_prices pr;
    const size_t n = s->n;
    double big, eps, flow = 0;
    uint32_t pos = 0;
    size_t i;

    policy_prices_set(s, st, &pr);
    big = capacities_set(s, st, &pr);
    eps = big * 1e-13;
    while (levels(d, eps) && flow < big)
        flow += blocking_flow(d, eps);
    /* every cut infinite (some layer runs on neither side's option now): the
     * local plan, as when the edge is not available */
    if (flow >= big)
        return policy_local_decide(s, st, rng, out, e);
    /* levels() left what the source reaches: the UE's side */
    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)n;
    for (i = 0; i < n; i++)
        if (d->level[NODE_LAYER(i)] != UINT32_MAX) {
            out->order[pos++] = (uint16_t)i;
            out->option[i] = (uint8_t)s->fixed_opt[COMPUTE_SIDE_UE][i];
        }
    out->n_ue = pos;
    for (i = 0; i < n; i++)
        if (d->level[NODE_LAYER(i)] == UINT32_MAX) {
            out->order[pos++] = (uint16_t)i;
            out->option[i] = (uint8_t)s->fixed_opt[COMPUTE_SIDE_EDGE][i];
        }
    return CORE_OK;
}
