/*
 * collab_world.c — the collaborative world: building it from a resolved
 * configuration, the pools of inferences and messages in flight, message
 * transport over the radio world, and the record buffers.
 *
 * Every message is a radio flow of its UE in its direction; when the flow
 * completes, the message is delivered to the UE (downlink) or to the network
 * device it was sent to (uplink), and an uplink sender learns of the delivery
 * at the same instant (link-layer acknowledgement; no extra message).
 */
#include "proto/collab_int.h"

#include <math.h>
#include <string.h>

#include "nn/nn.h"

static const char *const msg_names[] = {
    "request", "reply", "decision", "intermediate", "update",
    "result", "state-update", "state-request", "energy-report",
};
static_assert(ARRAY_LEN(msg_names) == PROTO_MSG_TYPE_COUNT, "one name per message type");

const char *proto_msg_type_name(enum proto_msg_type t)
{
    CORE_ASSERT((unsigned)t < PROTO_MSG_TYPE_COUNT);
    return msg_names[t];
}

/* ---- records ---------------------------------------------------------------- */

enum core_rc proto_collab_records_init(struct proto_collab_records *r, size_t cap_inferences,
                                       size_t cap_messages)
{
    CORE_ASSERT(cap_inferences > 0);
    memset(r, 0, sizeof(*r));
    r->inferences = core_calloc(cap_inferences, sizeof(*r->inferences));
    if (!r->inferences)
        return CORE_E_NOMEM;
    r->cap_inferences = cap_inferences;
    if (cap_messages > 0) {
        r->messages = core_calloc(cap_messages, sizeof(*r->messages));
        if (!r->messages) {
            proto_collab_records_fini(r);
            return CORE_E_NOMEM;
        }
        r->cap_messages = cap_messages;
    }
    return CORE_OK;
}

void proto_collab_records_fini(struct proto_collab_records *r)
{
    core_free(r->inferences);
    core_free(r->messages);
    memset(r, 0, sizeof(*r));
}

void collab_trace(struct proto_collab_world *w, const struct collab_msg *m, double t_s)
{
    struct proto_collab_records *r = w->rec;
    struct proto_message_record *row;

    w->stats.messages++;
    if (!r->messages || t_s < w->cfg.sim.warmup_s)
        return;
    CORE_ASSERT(r->n_messages < r->cap_messages);
    row = &r->messages[r->n_messages++];
    row->t_s = t_s;
    row->ue_id = m->ue;
    row->cell_id = m->cell;
    row->uplink = m->uplink;
    row->type = m->type;
    row->bytes = m->bytes;
    row->inference_id = m->inf_id;
    if (r->n_messages == r->cap_messages)
        core_engine_request_stop(w->eng);
}

/* ---- pools -------------------------------------------------------------------- */

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

struct collab_inf *collab_inf_get(struct proto_collab_world *w)
{
    struct collab_inf *inf;
    uint32_t gen;

    if (w->n_free_infs == 0) {
        if (w->n_infs == w->cap_infs &&
            !pool_grow((void ***)&w->infs, &w->free_infs, &w->cap_infs))
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
    {
        uint32_t slot = inf->slot;

        memset(inf, 0, sizeof(*inf));
        inf->slot = slot;
    }
    inf->gen = gen;
    inf->live = true;
    return inf;
}

void collab_inf_put(struct proto_collab_world *w, struct collab_inf *inf)
{
    CORE_ASSERT(inf->live);
    inf->live = false;
    inf->gen++;
    w->free_infs[w->n_free_infs++] = inf->slot;
}

struct collab_inf *collab_inf_find(struct proto_collab_world *w, uint32_t slot, uint32_t gen)
{
    struct collab_inf *inf;

    if (slot >= w->n_infs)
        return NULL;
    inf = w->infs[slot];
    return inf->live && inf->gen == gen ? inf : NULL;
}

static struct collab_msg *msg_get(struct proto_collab_world *w)
{
    struct collab_msg *m;

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

static void msg_put(struct proto_collab_world *w, struct collab_msg *m)
{
    m->live = false;
    w->free_msgs[w->n_free_msgs++] = m->slot;
}

/* ---- transport ------------------------------------------------------------------ */

static void msg_done(void *ctx, struct radio_world *rw, const struct radio_world_flow_done *d)
{
    struct collab_msg *m = ctx;
    struct proto_collab_world *w = m->world;
    struct collab_inf *inf = NULL;
    struct collab_msg copy = *m;

    (void)rw;
    msg_put(w, m);
    collab_trace(w, &copy, d->t_end_s);
    if (copy.inf_slot != UINT32_MAX) {
        inf = collab_inf_find(w, copy.inf_slot, copy.inf_gen);
        if (inf)
            inf->ue_energy_j += d->ue_energy_j;
        else if (copy.type != PROTO_MSG_ENERGY_REPORT)
            return; /* its inference restarted: a stale message */
    }
    if (copy.uplink) {
        collab_net_receive(w, &copy, inf, d->t_end_s);
        if (inf && collab_inf_find(w, copy.inf_slot, copy.inf_gen))
            collab_ue_sent(w, &copy, inf, d->t_end_s, d->duration_s);
    } else {
        collab_ue_receive(w, &copy, inf, d->t_end_s, d->duration_s);
    }
}

void collab_send(struct proto_collab_world *w, uint32_t ue, uint32_t cell,
                 enum proto_msg_type type, double bytes, struct collab_inf *inf)
{
    struct collab_msg *m = msg_get(w);
    struct core_err e;
    bool up = type == PROTO_MSG_REQUEST || type == PROTO_MSG_DECISION ||
              type == PROTO_MSG_INTERMEDIATE || type == PROTO_MSG_STATE_REQUEST;

    if (!m) {
        core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory for messages in flight");
        return;
    }
    m->world = w;
    m->type = type;
    m->uplink = up;
    m->ue = ue;
    m->cell = cell;
    m->bytes = bytes;
    m->inf_slot = inf ? inf->slot : UINT32_MAX;
    m->inf_gen = inf ? inf->gen : 0;
    m->inf_id = inf ? (int64_t)inf->id : -1;
    if (radio_world_start_flow(w->radio, ue, up ? RADIO_DIR_UL : RADIO_DIR_DL, bytes, msg_done, m,
                               NULL, &e) != CORE_OK) {
        msg_put(w, m);
        core_engine_fail(w->eng, e.rc, e.msg);
    }
}

/* ---- plans ------------------------------------------------------------------------ */

void collab_segment_at(struct proto_collab_world *w, struct collab_inf *inf, uint32_t pos,
                       struct compute_segment *out)
{
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];
    const struct compute_segment *segs = inf->segs;
    size_t n = inf->n_segs;

    if (!inf->segs_valid) {
        n = compute_plan_segments(p, &inf->plan, w->segs);
        segs = w->segs;
        if (n <= COLLAB_SEG_CACHE) {
            memcpy(inf->segs, w->segs, n * sizeof(*w->segs));
            inf->n_segs = (uint32_t)n;
            inf->segs_valid = true;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct compute_segment *sg = &segs[i];

        if (pos < sg->first || pos >= sg->first + sg->count)
            continue;
        *out = *sg;
        if (sg->first == pos)
            return;
        out->first = pos;
        out->count = sg->first + sg->count - pos;
        out->copy_s = 0.0;
        out->compute_s = 0.0;
        out->energy_j = 0.0;
        for (uint32_t k = pos; k < sg->first + sg->count; k++) {
            uint32_t layer = inf->plan.order[k];

            out->compute_s += compute_problem_latency_s(p, sg->side, sg->option, layer);
            out->energy_j += compute_problem_energy_j(p, sg->side, sg->option, layer);
        }
        return;
    }
    CORE_ASSERT(!"a plan position outside every segment");
}

double collab_jitter(struct proto_collab_world *w, struct core_rng *r)
{
    double j = w->cfg.inference.jitter, sigma;

    if (!(j > 0))
        return 1.0;
    sigma = sqrt(log1p(j * j));
    return core_rng_lognormal(r, -0.5 * sigma * sigma, sigma);
}

/* ---- building ---------------------------------------------------------------------- */

static const char *check_side(const struct proto_side *s, enum compute_side side,
                              const struct compute_problem *p)
{
    if (s->n_instances == 0 || s->n_instances > PROTO_MAX_INSTANCES)
        return "a side needs 1 to 16 resource instances";
    /* An instance of no unit would abort in compute_server_create, and
     * background work of no duration would arrive at an infinite rate. */
    for (size_t i = 0; i < s->n_instances; i++) {
        if (s->instance_units[i] == 0)
            return "a resource instance needs at least one unit";
        if (!(s->background_load[i] >= 0 && s->background_load[i] < 1) ||
            (s->background_load[i] > 0 && !(s->background_job_s[i] > 0)))
            return "background work needs a load in [0, 1) and a mean job time > 0";
    }
    if (p->n_options[side] != s->n_options)
        return "a problem's options do not match its side";
    for (size_t o = 0; o < s->n_options; o++) {
        const struct compute_option *op = &p->options[side][o];

        if (op->resource >= s->n_instances)
            return "an option names a resource instance that does not exist";
        if (s->option_units[o] == 0 || s->option_units[o] > s->instance_units[op->resource])
            return "an option takes more units than its instance has";
    }
    return NULL;
}

static enum core_rc check_config(const struct proto_collab_config *c, size_t n_ues,
                                 struct core_err *e)
{
    size_t total = 0;

    if (c->n_models == 0 || c->n_models > PROTO_MAX_MODELS || c->n_devices == 0 ||
        c->n_devices > PROTO_MAX_DEVICES || c->n_groups > PROTO_MAX_GROUPS)
        return core_err(e, CORE_E_INPUT, "collaborative world: bad model, device or group count");
    if (!(c->objective.latency_weight >= 0 && c->objective.energy_weight >= 0 &&
          c->objective.latency_weight + c->objective.energy_weight > 0))
        return core_err(e, CORE_E_INPUT, "collaborative world: objective weights must be >= 0 "
                                         "and not both 0");
    /* Every message is a radio transfer, which must carry at least a byte:
     * with no header, a state request (a bare header) or an energy report
     * with an empty body would make the run fail half-way. */
    if (!(c->protocol.header_bytes > 0))
        return core_err(e, CORE_E_INPUT, "collaborative world: the message header must be "
                                         "> 0 B (every message is a radio transfer), got %g B",
                        c->protocol.header_bytes);
    for (size_t g = 0; g < c->n_groups; g++) {
        const struct proto_ue_group *gr = &c->groups[g];

        total += c->group_n_ues[g];
        if (gr->device >= c->n_devices || gr->n_workloads > PROTO_MAX_WORKLOADS)
            return core_err(e, CORE_E_INPUT, "collaborative world: group %zu is inconsistent", g);
        for (size_t k = 0; k < gr->n_workloads; k++)
            if (gr->workloads[k].model >= c->n_models || !(gr->workloads[k].rate_hz > 0))
                return core_err(e, CORE_E_INPUT,
                                "collaborative world: group %zu workload %zu is inconsistent", g,
                                k);
    }
    if (total != n_ues)
        return core_err(e, CORE_E_INPUT,
                        "collaborative world: the groups hold %zu UEs, the radio world %zu",
                        total, n_ues);
    for (size_t g = 0; g < c->n_groups; g++)
        for (size_t k = 0; k < c->groups[g].n_workloads; k++)
            if (!c->problem[c->groups[g].device][c->groups[g].workloads[k].model])
                return core_err(e, CORE_E_INPUT, "collaborative world: no problem for device "
                                                 "%u, model %u, which group %zu runs",
                                (unsigned)c->groups[g].device,
                                (unsigned)c->groups[g].workloads[k].model, g);
    for (size_t d = 0; d < c->n_devices; d++)
        for (size_t m = 0; m < c->n_models; m++) {
            const struct compute_problem *p = c->problem[d][m];
            const char *why;

            if (!p)
                continue; /* no UE of this class runs this model */
            if (c->inference.mode == PROTO_INFER_REAL &&
                (!c->real_model[m] ||
                 (c->real_group[m] ? nn_model_n_layers(c->real_model[m]) < p->n_layers
                                   : nn_model_n_layers(c->real_model[m]) != p->n_layers)))
                return core_err(e, CORE_E_INPUT, "collaborative world: real mode needs model %zu "
                                                 "('%s') as the problems describe it", m,
                                c->model_name[m]);
            why = check_side(&c->device[d], COMPUTE_SIDE_UE, p);
            if (!why)
                why = check_side(&c->edge, COMPUTE_SIDE_EDGE, p);
            if (why)
                return core_err(e, CORE_E_INPUT, "collaborative world (device %zu, model %zu): %s",
                                d, m, why);
        }
    return CORE_OK;
}

struct proto_collab_world *proto_collab_world_create(const struct proto_collab_config *cfg,
                                                     struct core_engine *eng,
                                                     struct radio_world *radio,
                                                     proto_decide_fn decide, void *decide_ctx,
                                                     struct proto_collab_records *records,
                                                     struct core_err *e)
{
    struct proto_collab_world *w;
    uint64_t seed = cfg->sim.seed;
    size_t ue_index = 0;

    if (check_config(cfg, radio_world_n_ues(radio), e) != CORE_OK)
        return NULL;
    w = core_calloc(1, sizeof(*w));
    if (!w)
        goto out_nomem;
    w->cfg = *cfg;
    w->eng = eng;
    w->radio = radio;
    w->decide = decide;
    w->decide_ctx = decide_ctx;
    w->rec = records;
    w->n_ues = radio_world_n_ues(radio);
    w->n_cells = radio_world_n_cells(radio);
    w->ues = core_calloc(w->n_ues ? w->n_ues : 1, sizeof(*w->ues));
    w->nets = core_calloc(w->n_cells, sizeof(*w->nets));
    w->segs = core_malloc(COMPUTE_PLAN_MAX_LAYERS * sizeof(*w->segs));
    if (!w->ues || !w->nets || !w->segs)
        goto out_nomem;
    w->ue_type = core_engine_register_type(eng, &collab_ue_type);
    w->net_type = core_engine_register_type(eng, &collab_net_type);
    if (w->ue_type < 0 || w->net_type < 0)
        goto out_nomem;
    for (size_t c = 0; c < w->n_cells; c++) {
        struct collab_net *net = &w->nets[c];

        net->world = w;
        net->cell = (uint32_t)c;
        net->entity = core_engine_add_entity(eng, w->net_type, net);
        if (net->entity == UINT32_MAX)
            goto out_nomem;
        for (size_t i = 0; i < cfg->edge.n_instances; i++) {
            net->server[i] = compute_server_create(eng, cfg->edge.instance_units[i], 64,
                                                   collab_net_job_done, net);
            net->background[i] = core_rng_create(seed, ((uint64_t)c << 32) | i,
                                                 CORE_RNG_BACKGROUND);
            if (!net->server[i] || !net->background[i])
                goto out_nomem;
        }
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct proto_side *dev = &cfg->device[cfg->groups[g].device];

        for (size_t k = 0; k < cfg->group_n_ues[g]; k++, ue_index++) {
            struct collab_ue *ue = &w->ues[ue_index];

            ue->world = w;
            ue->index = (uint32_t)ue_index;
            ue->device = cfg->groups[g].device;
            ue->group = (uint32_t)g;
            ue->last_sinr_db = NAN;
            ue->first_inf = UINT32_MAX;
            ue->battery_j = dev->battery_j > 0 ? dev->battery_j : INFINITY;
            ue->entity = core_engine_add_entity(eng, w->ue_type, ue);
            if (ue->entity == UINT32_MAX)
                goto out_nomem;
            for (size_t i = 0; i < dev->n_instances; i++) {
                ue->server[i] = compute_server_create(eng, dev->instance_units[i], 16,
                                                      collab_ue_job_done, ue);
                if (!ue->server[i])
                    goto out_nomem;
            }
            for (size_t j = 0; j < cfg->groups[g].n_workloads; j++) {
                ue->arrivals[j] = core_rng_create(seed, ((uint64_t)j << 32) | ue_index,
                                                  CORE_RNG_ARRIVALS);
                if (!ue->arrivals[j])
                    goto out_nomem;
            }
            ue->decision = core_rng_create(seed, ue_index, CORE_RNG_POLICY);
            ue->jitter = core_rng_create(seed, ue_index, CORE_RNG_JITTER);
            ue->input = core_rng_create(seed, ue_index, CORE_RNG_INPUT);
            if (!ue->decision || !ue->jitter || !ue->input)
                goto out_nomem;
        }
    }
    radio_world_on_handover(radio, collab_ue_handover, w);
    for (size_t c = 0; c < w->n_cells; c++)
        if (collab_net_start(w, &w->nets[c]) != CORE_OK)
            goto out_nomem;
    for (size_t u = 0; u < w->n_ues; u++)
        if (collab_ue_start(w, &w->ues[u]) != CORE_OK)
            goto out_nomem;
    return w;

out_nomem:
    proto_collab_world_destroy(w);
    core_err(e, CORE_E_NOMEM, "out of memory building the collaborative world");
    return NULL;
}

void proto_collab_world_destroy(struct proto_collab_world *w)
{
    if (!w)
        return;
    if (w->ues)
        for (size_t u = 0; u < w->n_ues; u++) {
            struct collab_ue *ue = &w->ues[u];

            for (size_t i = 0; i < PROTO_MAX_INSTANCES; i++)
                compute_server_destroy(ue->server[i]);
            for (size_t j = 0; j < PROTO_MAX_WORKLOADS; j++)
                core_rng_destroy(ue->arrivals[j]);
            core_rng_destroy(ue->decision);
            core_rng_destroy(ue->jitter);
            core_rng_destroy(ue->input);
        }
    if (w->nets)
        for (size_t c = 0; c < w->n_cells; c++)
            for (size_t i = 0; i < PROTO_MAX_INSTANCES; i++) {
                compute_server_destroy(w->nets[c].server[i]);
                core_rng_destroy(w->nets[c].background[i]);
            }
    for (size_t i = 0; i < w->n_infs; i++) {
        collab_real_free(w->infs[i]);
        core_free(w->infs[i]);
    }
    for (size_t i = 0; i < w->n_msgs; i++)
        core_free(w->msgs[i]);
    if (w->radio)
        radio_world_on_handover(w->radio, NULL, NULL);
    core_free(w->infs);
    core_free(w->free_infs);
    core_free(w->msgs);
    core_free(w->free_msgs);
    core_free(w->segs);
    core_free(w->ues);
    core_free(w->nets);
    core_free(w);
}

void proto_collab_world_stats(const struct proto_collab_world *w, struct proto_collab_stats *s)
{
    *s = w->stats;
}
