/*
 * transport.c — the protocol's messages: one table of them, indexed by
 * enum proto_msg_type (name, direction, size, who handles the delivery and
 * who learns of it), sending, delivering and tracing.
 *
 * Every message is a transfer of its UE's radio in its direction
 * (radio_world_transfer): the NR access wait, the air time as a flow of the
 * serving cell, HARQ retransmissions. It also crosses the backhaul between
 * the gNB and the edge node (the network device's compute and state live
 * there): latency + bytes / bandwidth of the world's proto_backhaul, after
 * the air for an uplink message, before it for a downlink one; nothing
 * queues on that link. A UE with a fixed-rate link (radio.h's
 * radio_link_config) talks to the edge node over that link alone: its
 * latency is the whole way, no backhaul is added. When the transfer is
 * delivered, the message reaches the network device of its cell (uplink)
 * or the UE (downlink); an uplink sender learns of the delivery at the same
 * instant (an idealised acknowledgement, no message of its own: so a2
 * always reaches the network before the intermediate result that follows
 * it). Its times are the message's:
 * from the send to the delivery. The transfer's UE radio energy is the
 * inference's. A message whose inference restarted (a handover) or ended is
 * stale and goes nowhere, but for the energy report, which follows its
 * inference's end by design: it goes to the UE's feedback window.
 *
 * Sizes (the <protocol> knobs, proto.h): every message carries the header;
 * a request describes each layer of the model; a reply and a state update
 * carry the network's state; a2 and a3 describe each layer the edge
 * computes (an a3, each layer of the a2's edge part: those it keeps or
 * remaps and those it hands back); an update-ack is a bare header; the
 * intermediate result is the tensors crossing the cut (real
 * mode: the ones really computed); the result is the model's output; an
 * energy report its body; a state request is a bare header.
 */
#include "proto/proto_int.h"

#include <string.h>

/* A delivery (or its acknowledgement) of message m of inference inf at t_s
 * after duration_s on the air. */
typedef void (*msg_handler_fn)(struct proto_collab_world *w, const struct proto_msg *m,
                               struct proto_inf *inf, double t_s, double duration_s);

/* The size of a message for inf, B. */
typedef double (*msg_size_fn)(const struct proto_collab_world *w, const struct proto_inf *inf);

static double size_request(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    const struct proto_protocol_config *pc = &w->cfg->protocol;

    return pc->header_bytes +
           pc->request_layer_bytes * (double)proto_inf_base_problem(w, inf)->n_layers;
}

static double size_state(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    (void)inf;
    return w->cfg->protocol.header_bytes + w->cfg->protocol.reply_bytes;
}

static double size_edge_part(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    const struct proto_protocol_config *pc = &w->cfg->protocol;

    return pc->header_bytes +
           pc->decision_layer_bytes * (double)(inf->plan.n_layers - inf->plan.n_ue);
}

static double size_intermediate(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    return w->cfg->protocol.header_bytes +
           (inf->real_buf ? inf->real_cross_bytes
                          : compute_plan_uplink_bytes(proto_inf_problem(w, inf), &inf->plan));
}

static double size_result(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    return w->cfg->protocol.header_bytes + w->cfg->models[inf->model].output_bytes;
}

static double size_header(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    (void)inf;
    return w->cfg->protocol.header_bytes;
}

static double size_energy_report(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    (void)inf;
    return w->cfg->protocol.header_bytes + w->cfg->protocol.energy_report_bytes;
}

/* ---- the handlers, by receiver ----------------------------------------------------- */

#define NET_OF(w, m) (&(w)->nets[(m)->cell])

static void net_request(struct proto_collab_world *w, const struct proto_msg *m,
                        struct proto_inf *inf, double t_s, double duration_s)
{
    (void)t_s, (void)duration_s;
    proto_net_on_request(w, NET_OF(w, m), inf);
}

static void net_decision(struct proto_collab_world *w, const struct proto_msg *m,
                         struct proto_inf *inf, double t_s, double duration_s)
{
    (void)t_s, (void)duration_s;
    proto_net_on_decision(w, NET_OF(w, m), inf);
}

static void net_intermediate(struct proto_collab_world *w, const struct proto_msg *m,
                             struct proto_inf *inf, double t_s, double duration_s)
{
    (void)t_s, (void)duration_s;
    proto_net_on_intermediate(w, NET_OF(w, m), inf);
}

static void net_update_ack(struct proto_collab_world *w, const struct proto_msg *m,
                           struct proto_inf *inf, double t_s, double duration_s)
{
    (void)t_s, (void)duration_s;
    proto_net_on_update_ack(w, NET_OF(w, m), inf);
}

static void net_state_request(struct proto_collab_world *w, const struct proto_msg *m,
                              struct proto_inf *inf, double t_s, double duration_s)
{
    (void)t_s, (void)duration_s;
    proto_net_on_state_request(w, NET_OF(w, m), inf);
}

#define UE_HANDLER(name, fn)                                                                     \
    static void name(struct proto_collab_world *w, const struct proto_msg *m,                    \
                     struct proto_inf *inf, double t_s, double duration_s)                       \
    {                                                                                            \
        (void)m;                                                                                 \
        fn(w, inf, t_s, duration_s);                                                             \
    }
UE_HANDLER(ue_reply, proto_ue_on_reply)
UE_HANDLER(ue_update, proto_ue_on_update)
UE_HANDLER(ue_result, proto_ue_on_result)
UE_HANDLER(ue_state_update, proto_ue_on_state_update)
UE_HANDLER(ue_sent_decision, proto_ue_sent_decision)
UE_HANDLER(ue_sent_intermediate, proto_ue_sent_intermediate)

/* The energy report comes after its inference ended (inf NULL): it goes to
 * the UE's feedback window by the inference's identifier. */
static void ue_energy_report(struct proto_collab_world *w, const struct proto_msg *m,
                             struct proto_inf *inf, double t_s, double duration_s)
{
    (void)inf, (void)t_s, (void)duration_s;
    proto_feedback_report(w, m->ue, (uint64_t)m->inf_id, m->energy_j);
}

/* ---- the message table ---------------------------------------------------------------- */

static const struct msg_spec {
    const char *name;       /* as in the messages table */
    enum radio_dir dir;     /* uplink: UE -> network; downlink: network -> UE */
    msg_size_fn size;       /* bytes on the air */
    msg_handler_fn deliver; /* the receiver's handler */
    msg_handler_fn ack;     /* the uplink sender's, on delivery (NULL: none) */
} msg_table[] = {
    [PROTO_MSG_REQUEST] = {"request", RADIO_DIR_UL, size_request, net_request, NULL},
    [PROTO_MSG_REPLY] = {"reply", RADIO_DIR_DL, size_state, ue_reply, NULL},
    [PROTO_MSG_DECISION] = {"decision", RADIO_DIR_UL, size_edge_part, net_decision,
                            ue_sent_decision},
    [PROTO_MSG_INTERMEDIATE] = {"intermediate", RADIO_DIR_UL, size_intermediate,
                                net_intermediate, ue_sent_intermediate},
    [PROTO_MSG_UPDATE] = {"update", RADIO_DIR_DL, size_edge_part, ue_update, NULL},
    [PROTO_MSG_RESULT] = {"result", RADIO_DIR_DL, size_result, ue_result, NULL},
    [PROTO_MSG_STATE_UPDATE] = {"state-update", RADIO_DIR_DL, size_state, ue_state_update, NULL},
    [PROTO_MSG_STATE_REQUEST] = {"state-request", RADIO_DIR_UL, size_header, net_state_request,
                                 NULL},
    [PROTO_MSG_ENERGY_REPORT] = {"energy-report", RADIO_DIR_DL, size_energy_report,
                                 ue_energy_report, NULL},
    [PROTO_MSG_UPDATE_ACK] = {"update-ack", RADIO_DIR_UL, size_header, net_update_ack, NULL},
};
static_assert(ARRAY_LEN(msg_table) == PROTO_MSG_TYPE_COUNT, "one entry per message type");

const char *proto_msg_type_name(enum proto_msg_type t)
{
    CORE_ASSERT((unsigned)t < PROTO_MSG_TYPE_COUNT);
    return msg_table[t].name;
}

/* ---- tracing, delivering, sending ------------------------------------------------------- */

static void trace(struct proto_collab_world *w, const struct proto_msg *m, double t_s)
{
    struct proto_message_record row;

    w->stats.messages++;
    if (!w->sink.message || t_s < w->cfg->sim.warmup_s)
        return;
    row.t_s = t_s;
    row.ue_id = m->ue;
    row.cell_id = m->cell;
    row.uplink = msg_table[m->type].dir == RADIO_DIR_UL;
    row.type = m->type;
    row.bytes = m->bytes;
    row.inference_id = m->inf_id;
    w->sink.message(w->sink.ctx, &row);
}

/* The time size_bytes take on the backhaul b, s. */
static double backhaul_s(const struct proto_backhaul *b, double size_bytes)
{
    return b->latency_s + (b->rate_bps > 0.0 ? size_bytes * 8.0 / b->rate_bps : 0.0);
}

static void msg_done(void *ctx, struct radio_world *rw, const struct radio_world_flow_done *d)
{
    struct proto_msg *m = ctx;
    struct proto_collab_world *w = m->world;
    const struct msg_spec *spec = &msg_table[m->type];
    struct proto_inf *inf = NULL;
    struct proto_msg copy = *m;

    (void)rw;
    proto_msg_put(w, m);
    trace(w, &copy, d->t_end_s);
    proto_ledger_radio(w, copy.ue, d); /* spent, whoever it was for */
    if (copy.inf_slot != UINT32_MAX) {
        inf = proto_inf_find(w, copy.inf_slot, copy.inf_gen);
        if (inf) {
            inf->ue_energy_j += d->ue_energy_j;
            if (copy.type == PROTO_MSG_INTERMEDIATE)
                inf->upload_flow = 0;
        } else if (copy.type != PROTO_MSG_ENERGY_REPORT) {
            /* Its inference restarted (a stale message, delivered nowhere):
             * the energy is still the inference's. */
            struct proto_inf *same = w->infs[copy.inf_slot];

            if (same->state != PROTO_INF_FREE && (int64_t)same->id == copy.inf_id)
                same->ue_energy_j += d->ue_energy_j;
            return;
        }
    }
    if (!inf && copy.type != PROTO_MSG_ENERGY_REPORT)
        return; /* for an inference that has ended */
    spec->deliver(w, &copy, inf, d->t_end_s, d->duration_s);
    if (spec->ack && proto_inf_find(w, copy.inf_slot, copy.inf_gen))
        spec->ack(w, &copy, inf, d->t_end_s, d->duration_s);
}

struct proto_msg *proto_send(struct proto_collab_world *w, uint32_t ue, uint32_t cell,
                             enum proto_msg_type type, struct proto_inf *inf)
{
    const struct msg_spec *spec = &msg_table[type];
    struct proto_msg *m = proto_msg_get(w);
    struct core_err e;
    double wired_s;

    if (!m) {
        core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory for messages in flight");
        return NULL;
    }
    m->world = w;
    m->type = type;
    m->ue = ue;
    m->cell = cell;
    m->bytes = spec->size(w, inf);
    m->inf_slot = inf ? inf->slot : UINT32_MAX;
    m->inf_gen = inf ? inf->gen : 0;
    m->inf_id = inf ? (int64_t)inf->id : -1;
    m->energy_j = type == PROTO_MSG_ENERGY_REPORT && inf ? inf->edge_energy_j : 0.0;
    /* A fixed-rate link runs from the UE to the edge node: no backhaul on top. */
    wired_s = radio_world_ue_link_fixed(w->radio, ue) ? 0.0
                                                      : backhaul_s(&w->cfg->backhaul, m->bytes);
    if (radio_world_transfer(w->radio, ue, spec->dir, m->bytes,
                             spec->dir == RADIO_DIR_DL ? wired_s : 0.0,
                             spec->dir == RADIO_DIR_UL ? wired_s : 0.0, msg_done, m, &m->flow,
                             &e) != CORE_OK) {
        proto_msg_put(w, m);
        core_engine_fail(w->eng, e.rc, e.msg);
        return NULL;
    }
    return m;
}

void proto_stop_upload(struct proto_collab_world *w, struct proto_inf *inf)
{
    struct radio_world_flow_done d;

    if (inf->upload_flow != 0 && radio_world_cancel(w->radio, inf->upload_flow, &d)) {
        inf->ue_energy_j += d.ue_energy_j;
        proto_ledger_radio(w, inf->ue, &d);
        proto_msg_put(w, w->msgs[inf->upload_msg]);
        w->stats.uploads_stopped++;
    }
    inf->upload_flow = 0;
}
