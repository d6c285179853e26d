/*
 * world.c — the collaborative world: checking its configuration, building
 * it (its network devices, its UEs, their servers and random streams) and
 * tearing it down. The pools of what is in flight are pool.c's.
 *
 * The configuration is borrowed, whole, by const pointer (it and what it
 * points to outlive the world); nothing is copied but the counts the pools
 * grow with. Each UE's servers and arrival streams, and each network
 * device's servers and background streams, are slices of two arrays sized
 * once from the configuration.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <string.h>

#include "nn/nn.h"

/* ---- checking the configuration ------------------------------------------------------ */

static const char *check_side(const struct proto_side *s, enum compute_side side,
                              const struct compute_problem *p)
{
    if (s->n_instances == 0 || !s->instances)
        return "a side needs at least one resource instance";
    /* An instance of no unit would abort in compute_server_create, and
     * background work of no duration would arrive at an infinite rate. */
    for (size_t i = 0; i < s->n_instances; i++) {
        const struct proto_instance *in = &s->instances[i];

        if (in->units == 0)
            return "a resource instance needs at least one unit";
        if (!(in->background_load >= 0 && in->background_load < 1) ||
            (in->background_load > 0 && !(in->background_job_s > 0)))
            return "background work needs a load in [0, 1) and a mean job time > 0";
    }
    if (p->n_options[side] != s->n_options || !s->option_units)
        return "a problem's options do not match its side";
    for (size_t o = 0; o < s->n_options; o++) {
        const struct compute_option *op = &p->options[side][o];

        if (op->resource >= s->n_instances)
            return "an option names a resource instance that does not exist";
        if (s->option_units[o] == 0 ||
            s->option_units[o] > s->instances[op->resource].units)
            return "an option takes more units than its instance has";
    }
    return NULL;
}

/* Whether truth t describes the same problem as p: its layers, options and
 * copies, and the same layers runnable on the same options (only prices
 * may differ). NULL when it does, else why not. */
static const char *check_truth(const struct compute_problem *p, const struct compute_problem *t)
{
    if (!t)
        return "a problem without its truth";
    if (t == p)
        return NULL;
    if (t->n_layers != p->n_layers || t->input_bytes != p->input_bytes ||
        t->msg_header_bytes != p->msg_header_bytes)
        return "a truth whose layers are not its problem's";
    for (size_t i = 0; i < p->n_layers; i++) {
        const struct compute_problem_layer *a = &t->layers[i], *b = &p->layers[i];

        if (a->n_inputs != b->n_inputs || b->n_inputs > COMPUTE_PLAN_MAX_INPUTS ||
            a->out_bytes != b->out_bytes ||
            memcmp(a->inputs, b->inputs, b->n_inputs * sizeof(b->inputs[0])) != 0)
            return "a truth whose layers are not its problem's";
    }
    for (int sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        if (t->n_options[sd] != p->n_options[sd])
            return "a truth whose options are not its problem's";
        for (size_t o = 0; o < p->n_options[sd]; o++)
            if (t->options[sd][o].resource != p->options[sd][o].resource ||
                t->options[sd][o].amount != p->options[sd][o].amount)
                return "a truth whose options are not its problem's";
        if (t->copy_latency_s[sd] != p->copy_latency_s[sd] ||
            t->copy_bytes_per_s[sd] != p->copy_bytes_per_s[sd] ||
            t->copy_power_w[sd] != p->copy_power_w[sd] ||
            t->default_option[sd] != p->default_option[sd])
            return "a truth whose options are not its problem's";
        if (t->n_encodings != p->n_encodings || t->fixed_encoding != p->fixed_encoding)
            return "a truth whose encodings are not its problem's";
        for (size_t o = 0; o < p->n_options[sd]; o++)
            for (size_t i = 0; i < p->n_layers; i++)
                if (isinf(compute_problem_latency_s(t, sd, o, i)) !=
                    isinf(compute_problem_latency_s(p, sd, o, i)))
                    return "a truth that runs other layers than its problem on an option";
    }
    if (t->n_exits != p->n_exits || t->fixed_exit != p->fixed_exit)
        return "a truth whose exits are not its problem's";
    for (size_t k = 0; k < p->n_exits; k++) {
        const char *why;

        if (t->exits[k].attach != p->exits[k].attach ||
            t->exits[k].accuracy != p->exits[k].accuracy)
            return "a truth whose exits are not its problem's";
        why = check_truth(p->exits[k].problem, t->exits[k].problem);
        if (why)
            return why;
    }
    return NULL;
}

/* Whether some problem of c offers encodings with accuracy data: then
 * each UE draws its inferences' correctness. */
static bool any_accuracy(const struct proto_world_config *c)
{
    for (size_t i = 0; i < c->n_devices * c->n_models; i++)
        if (c->problems[i] && c->problems[i]->n_encodings > 0)
            return true;
    return false;
}

static enum core_rc check_config(const struct proto_world_config *c, size_t n_ues,
                                 struct core_err *e)
{
    size_t total = 0;

    if (c->n_models == 0 || !c->models || c->n_devices == 0 || !c->devices || !c->problems ||
        (c->n_groups > 0 && !c->groups))
        return core_err(e, CORE_E_INPUT, "collaborative world: no models, devices or problems");
    if (!(c->objective.latency_weight >= 0 && c->objective.energy_weight >= 0 &&
          c->objective.latency_weight + c->objective.energy_weight > 0))
        return core_err(e, CORE_E_INPUT, "collaborative world: objective weights must be >= 0 "
                                         "and not both 0");
    if (!(c->reward.latency_scale_s > 0 && c->reward.energy_scale_j > 0 &&
          c->reward.window >= 0 && c->reward.window <= 4096))
        return core_err(e, CORE_E_INPUT, "collaborative world: reward scales must be > 0 and "
                                         "the window 0..4096 inferences");
    /* Every message is a radio transfer, which must carry at least a byte:
     * with no header, a state request (a bare header) or an energy report
     * with an empty body would make the run fail half-way. */
    if (!(c->protocol.header_bytes > 0))
        return core_err(e, CORE_E_INPUT, "collaborative world: the message header must be "
                                         "> 0 B (every message is a radio transfer), got %g B",
                        c->protocol.header_bytes);
    for (size_t g = 0; g < c->n_groups; g++) {
        const struct proto_group *gr = &c->groups[g];

        total += gr->n_ues;
        if (gr->device >= c->n_devices || gr->n_workloads == 0 || !gr->workloads)
            return core_err(e, CORE_E_INPUT, "collaborative world: group %zu is inconsistent", g);
        for (size_t k = 0; k < gr->n_workloads; k++) {
            const struct proto_workload *wl = &gr->workloads[k];

            if (wl->model >= c->n_models || !(wl->rate_hz > 0))
                return core_err(e, CORE_E_INPUT,
                                "collaborative world: group %zu workload %zu is inconsistent", g,
                                k);
            if (!proto_problem(c, gr->device, wl->model))
                return core_err(e, CORE_E_INPUT, "collaborative world: no problem for device "
                                                 "%u, model %u, which group %zu runs",
                                (unsigned)gr->device, (unsigned)wl->model, g);
        }
    }
    if (total != n_ues)
        return core_err(e, CORE_E_INPUT,
                        "collaborative world: the groups hold %zu UEs, the radio world %zu",
                        total, n_ues);
    for (size_t d = 0; d < c->n_devices; d++)
        for (size_t m = 0; m < c->n_models; m++) {
            const struct compute_problem *p = proto_problem(c, d, m);
            const struct proto_model *md = &c->models[m];
            const char *why;

            if (!p)
                continue; /* no UE of this class runs this model */
            if (c->inference.mode == PROTO_INFER_REAL &&
                (!md->real ||
                 (md->real_group ? nn_model_n_layers(md->real) < p->n_layers
                                 : nn_model_n_layers(md->real) != p->n_layers)))
                return core_err(e, CORE_E_INPUT, "collaborative world: real mode needs model %zu "
                                                 "('%s') as the problems describe it", m,
                                md->name);
            if (c->inference.mode == PROTO_INFER_REAL && p->n_exits > 0 &&
                (!md->real_exits || !md->real_exit_layers || md->real_exits->n != p->n_exits))
                return core_err(e, CORE_E_INPUT,
                                "collaborative world: real mode needs model %zu ('%s')'s %zu "
                                "exits as the problems offer them",
                                m, md->name, p->n_exits);
            why = check_side(&c->devices[d], COMPUTE_SIDE_UE, p);
            if (!why)
                why = check_side(&c->edge, COMPUTE_SIDE_EDGE, p);
            if (!why && c->truths)
                why = check_truth(p, c->truths[d * c->n_models + m]);
            if (why)
                return core_err(e, CORE_E_INPUT, "collaborative world (device %zu, model %zu): %s",
                                d, m, why);
        }
    return CORE_OK;
}

/* ---- building ------------------------------------------------------------------------ */

/* The slices of the world's pointer arrays: n_servers servers and n_rngs
 * streams over every UE and network device. */
static enum core_rc make_arena(struct proto_collab_world *w, struct compute_server ***servers,
                               struct core_rng ***rngs)
{
    const struct proto_world_config *c = w->cfg;
    size_t n_servers = w->n_cells * c->edge.n_instances, n_rngs = n_servers;

    for (size_t g = 0; g < c->n_groups; g++) {
        n_servers += c->groups[g].n_ues * c->devices[c->groups[g].device].n_instances;
        n_rngs += c->groups[g].n_ues * c->groups[g].n_workloads;
    }
    /* One block: the servers' pointers, then the streams'. */
    w->arena = core_calloc(n_servers + n_rngs ? n_servers + n_rngs : 1, sizeof(void *));
    if (!w->arena)
        return CORE_E_NOMEM;
    *servers = (struct compute_server **)w->arena;
    *rngs = (struct core_rng **)((void **)w->arena + n_servers);
    return CORE_OK;
}

struct proto_collab_world *proto_collab_world_create(const struct proto_world_config *cfg,
                                                     struct core_engine *eng,
                                                     struct radio_world *radio,
                                                     const struct proto_decider *ue_decider,
                                                     const struct proto_decider *net_decider,
                                                     const struct proto_sink *sink,
                                                     struct core_err *e)
{
    struct proto_collab_world *w;
    struct compute_server **servers = NULL;
    struct core_rng **rngs = NULL;
    uint64_t seed = cfg->sim.seed;
    size_t ue_index = 0;
    uint64_t id;

    CORE_ASSERT(ue_decider && ue_decider->decide && sink);
    if (check_config(cfg, radio_world_n_ues(radio), e) != CORE_OK)
        return NULL;
    w = core_calloc(1, sizeof(*w));
    if (!w)
        goto out_nomem;
    w->cfg = cfg;
    w->eng = eng;
    w->radio = radio;
    w->ue_decider = *ue_decider;
    w->net_decider =
        net_decider && net_decider->decide
            ? *net_decider
            : (struct proto_decider){.decide = proto_net_override, .ctx = (void *)&cfg->protocol};
    w->sink = *sink;
    w->next_ticket = 1;
    w->n_ues = radio_world_n_ues(radio);
    w->n_cells = radio_world_n_cells(radio);
    w->ues = core_calloc(w->n_ues ? w->n_ues : 1, sizeof(*w->ues));
    w->nets = core_calloc(w->n_cells, sizeof(*w->nets));
    w->segs = core_malloc(COMPUTE_PLAN_MAX_LAYERS * sizeof(*w->segs));
    w->edge_j = core_calloc(3 * w->n_cells * (cfg->edge.n_instances ? cfg->edge.n_instances : 1),
                            sizeof(*w->edge_j));
    w->t_created_s = core_engine_now(eng);
    if (cfg->reward.window > 0)
        w->windows = core_calloc(w->n_ues ? w->n_ues * (size_t)cfg->reward.window : 1,
                                 sizeof(*w->windows));
    if (!w->ues || !w->nets || !w->segs || !w->edge_j ||
        (cfg->reward.window > 0 && !w->windows) || make_arena(w, &servers, &rngs) != CORE_OK)
        goto out_nomem;
    w->ue_type = core_engine_register_type(eng, &proto_ue_type);
    w->net_type = core_engine_register_type(eng, &proto_net_type);
    if (w->ue_type < 0 || w->net_type < 0)
        goto out_nomem;
    for (size_t c = 0; c < w->n_cells; c++) {
        struct proto_net *net = &w->nets[c];

        net->world = w;
        net->cell = (uint32_t)c;
        net->last_push_s = -INFINITY;
        net->first_grp = UINT32_MAX;
        net->server = servers;
        net->background = rngs;
        net->compute_j = &w->edge_j[3 * c * cfg->edge.n_instances];
        net->background_j = net->compute_j + cfg->edge.n_instances;
        net->push_wait_s = net->background_j + cfg->edge.n_instances;
        servers += cfg->edge.n_instances;
        rngs += cfg->edge.n_instances;
        net->entity = core_engine_add_entity(eng, w->net_type, net);
        if (net->entity == UINT32_MAX)
            goto out_nomem;
        for (size_t i = 0; i < cfg->edge.n_instances; i++) {
            net->server[i] = compute_server_create(eng, cfg->edge.instances[i].units, 64,
                                                   proto_net_job_done, net);
            net->background[i] = core_rng_create(
                seed, core_rng_entity(CORE_RNG_ENTITY_CELL, (uint32_t)c, (uint32_t)i),
                CORE_RNG_BACKGROUND);
            if (!net->server[i] || !net->background[i])
                goto out_nomem;
        }
    }
    for (size_t g = 0; g < cfg->n_groups; g++) {
        const struct proto_group *gr = &cfg->groups[g];
        const struct proto_side *dev = &cfg->devices[gr->device];

        for (size_t k = 0; k < gr->n_ues; k++, ue_index++) {
            struct proto_ue *ue = &w->ues[ue_index];

            ue->world = w;
            ue->index = (uint32_t)ue_index;
            ue->device = gr->device;
            ue->group = (uint32_t)g;
            ue->last_sinr_db = NAN;
            ue->first_inf = UINT32_MAX;
            ue->first_grp = UINT32_MAX;
            ue->first_replan = UINT32_MAX;
            ue->last_push_s = -INFINITY;
            ue->battery_j = dev->battery_j > 0 ? dev->battery_j : INFINITY;
            ue->last_battery_j = ue->battery_j;
            ue->server = servers;
            ue->arrivals = rngs;
            ue->window = w->windows ? w->windows + ue_index * (size_t)cfg->reward.window : NULL;
            servers += dev->n_instances;
            rngs += gr->n_workloads;
            ue->entity = core_engine_add_entity(eng, w->ue_type, ue);
            if (ue->entity == UINT32_MAX)
                goto out_nomem;
            for (size_t i = 0; i < dev->n_instances; i++) {
                ue->server[i] = compute_server_create(eng, dev->instances[i].units, 16,
                                                      proto_ue_job_done, ue);
                if (!ue->server[i])
                    goto out_nomem;
            }
            for (size_t j = 0; j < gr->n_workloads; j++) {
                ue->arrivals[j] = core_rng_create(
                    seed, core_rng_entity(CORE_RNG_ENTITY_UE, (uint32_t)ue_index, (uint32_t)j),
                    CORE_RNG_ARRIVALS);
                if (!ue->arrivals[j])
                    goto out_nomem;
            }
            id = core_rng_entity(CORE_RNG_ENTITY_UE, (uint32_t)ue_index, 0);
            ue->decision = core_rng_create(seed, id, CORE_RNG_POLICY);
            ue->jitter = core_rng_create(seed, id, CORE_RNG_JITTER);
            ue->input = core_rng_create(seed, id, CORE_RNG_INPUT);
            if (!ue->decision || !ue->jitter || !ue->input)
                goto out_nomem;
            if (any_accuracy(cfg)) {
                ue->correct = core_rng_create(seed, id, CORE_RNG_CORRECT);
                if (!ue->correct)
                    goto out_nomem;
            }
        }
    }
    radio_world_on_handover(radio, proto_ue_handover, w);
    for (size_t c = 0; c < w->n_cells; c++)
        if (proto_net_start(w, &w->nets[c]) != CORE_OK)
            goto out_nomem;
    for (size_t u = 0; u < w->n_ues; u++)
        if (proto_ue_start(w, &w->ues[u]) != CORE_OK)
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
            struct proto_ue *ue = &w->ues[u];
            const struct proto_group *gr;

            if (!ue->world)
                continue; /* never built */
            gr = &w->cfg->groups[ue->group];
            for (size_t i = 0; i < w->cfg->devices[ue->device].n_instances; i++)
                compute_server_destroy(ue->server[i]);
            for (size_t j = 0; j < gr->n_workloads; j++)
                core_rng_destroy(ue->arrivals[j]);
            core_rng_destroy(ue->decision);
            core_rng_destroy(ue->jitter);
            core_rng_destroy(ue->input);
            core_rng_destroy(ue->correct);
        }
    if (w->nets)
        for (size_t c = 0; c < w->n_cells; c++) {
            if (!w->nets[c].world)
                continue; /* never built */
            for (size_t i = 0; i < w->cfg->edge.n_instances; i++) {
                compute_server_destroy(w->nets[c].server[i]);
                core_rng_destroy(w->nets[c].background[i]);
            }
        }
    for (size_t i = 0; i < w->n_infs; i++) {
        proto_real_free(w->infs[i]);
        core_free(w->infs[i]);
    }
    for (size_t i = 0; i < w->n_msgs; i++)
        core_free(w->msgs[i]);
    if (w->radio)
        radio_world_on_handover(w->radio, NULL, NULL);
    core_free(w->parked);
    core_free(w->arena);
    core_free(w->windows);
    core_free(w->edge_j);
    core_free(w->infs);
    core_free(w->free_infs);
    core_free(w->grps);
    core_free(w->free_grps);
    core_free(w->push_scratch);
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
