/*
 * state.c — what a network device knows and reports (DESIGN.md step 2): the
 * RRM's view of a UE's channel (radio_world_rrm: SINR, CQI, the rate one
 * more flow would get, the mean delay the NR access and HARQ add to a
 * transfer, to which the backhaul's latency is added; its serialisation,
 * bytes / bandwidth, is left out of the quote), the CRM's view of its compute resources (each edge
 * option's expected wait: the backlog of its instance's queue, infinite
 * while the scenario withdraws the instance) and its load. The CPMM's
 * per-(resource, layer) predictions are the problem's tables. Read by the
 * network device when it replies or decides an a3, and by the UE when a
 * state update reaches it (the state as of its delivery).
 */
#include "proto/proto_int.h"

#include <math.h>

double proto_net_instance_wait_s(const struct proto_collab_world *w,
                                 const struct proto_net *net, uint32_t i, double now)
{
    const struct proto_instance *in = &w->cfg->edge.instances[i];

    if (now >= in->withdrawn_from_s && now < in->withdrawn_until_s)
        return INFINITY;
    return compute_server_backlog_s(net->server[i], now);
}

double proto_net_load(const struct proto_collab_world *w, const struct proto_net *net)
{
    uint32_t busy = 0, units = 0;

    for (size_t i = 0; i < w->cfg->edge.n_instances; i++) {
        busy += compute_server_busy(net->server[i]);
        units += compute_server_units(net->server[i]);
    }
    return (double)busy / (double)units;
}

static const char *const decline_names[] = {
    [PROTO_DECLINE_NONE] = NULL,
    [PROTO_DECLINE_NO_UPLINK] = "no-uplink",
    [PROTO_DECLINE_NO_DOWNLINK] = "no-downlink",
    [PROTO_DECLINE_EDGE_WITHDRAWN] = "edge-withdrawn",
    [PROTO_DECLINE_ADMISSION_WAIT] = "admission-wait",
};
static_assert(ARRAY_LEN(decline_names) == PROTO_DECLINE_COUNT, "one name per decline reason");

const char *proto_decline_name(enum proto_decline d)
{
    CORE_ASSERT((unsigned)d < PROTO_DECLINE_COUNT);
    return decline_names[d];
}

enum proto_decline proto_net_decline(const struct proto_collab_world *w,
                                     const struct compute_state *st)
{
    double best = INFINITY;

    if (st->edge_available)
        return PROTO_DECLINE_NONE;
    if (!(st->ul_rate_bps > 0))
        return PROTO_DECLINE_NO_UPLINK;
    if (!(st->dl_rate_bps > 0))
        return PROTO_DECLINE_NO_DOWNLINK;
    for (size_t o = 0; o < w->cfg->edge.n_options; o++)
        best = fmin(best, st->wait_s[COMPUTE_SIDE_EDGE][o]);
    return isinf(best) ? PROTO_DECLINE_EDGE_WITHDRAWN : PROTO_DECLINE_ADMISSION_WAIT;
}

bool proto_net_radio(struct proto_collab_world *w, uint32_t ue, struct compute_state *st,
                     double *ul_sinr_db)
{
    struct radio_rrm_reply rr;
    struct core_err e;

    if (radio_world_rrm(w->radio, ue, &rr, &e) != CORE_OK) {
        core_engine_fail(w->eng, e.rc, e.msg);
        return false;
    }
    st->ul_rate_bps = rr.ul_rate_bps;
    st->dl_rate_bps = rr.dl_rate_bps;
    st->ul_delay_s = rr.ul_delay_s + (rr.fixed_link ? 0.0 : w->cfg->backhaul.latency_s);
    st->dl_delay_s = rr.dl_delay_s + (rr.fixed_link ? 0.0 : w->cfg->backhaul.latency_s);
    st->ul_power_w = radio_ue_power_w(&w->cfg->ue_power, RADIO_DIR_UL,
                                      radio_dbm_to_w(rr.ul_tx_power_dbm));
    st->dl_power_w = radio_ue_power_w(&w->cfg->ue_power, RADIO_DIR_DL, 0.0);
    /* A fixed-rate link has no channel to watch: no SINR triggers a state request. */
    *ul_sinr_db = rr.fixed_link ? NAN : rr.ul_sinr_db;
    return true;
}

void proto_net_state(struct proto_collab_world *w, uint32_t cell, uint32_t ue, uint32_t model,
                     struct compute_state *st)
{
    const struct proto_side *edge = &w->cfg->edge;
    const struct compute_problem *p;
    struct proto_net *net = &w->nets[cell];
    struct proto_ue *u = &w->ues[ue];
    double now = core_engine_now(w->eng), best = INFINITY;

    p = proto_problem(w->cfg, u->device, model);
    *st = (struct compute_state){0};
    if (!proto_net_radio(w, ue, st, &u->last_sinr_db))
        return;
    for (size_t o = 0; o < edge->n_options; o++) {
        uint32_t res = p->options[COMPUTE_SIDE_EDGE][o].resource;
        double wait = proto_net_instance_wait_s(w, net, res, now);

        st->wait_s[COMPUTE_SIDE_EDGE][o] = wait;
        if (wait < best)
            best = wait;
    }
    st->edge_available = best <= w->cfg->protocol.admission_wait_s && st->ul_rate_bps > 0 &&
                         st->dl_rate_bps > 0;
    st->w_latency = w->cfg->objective.latency_weight;
    st->w_energy = w->cfg->objective.energy_weight;
    st->w_accuracy = w->cfg->objective.accuracy_weight;
}
