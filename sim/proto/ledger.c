/*
 * ledger.c — the energy ledger of the run (proto.h's struct
 * proto_energy_row): per UE, its resources' idle power over the run, the
 * segments it computed, its transfers and its RRC tails; per edge instance
 * of each cell, its idle power, the inference segments and the background
 * jobs it computed. The running sums live with the UEs and network devices
 * (proto_int.h) and are added to where the energy is spent: segments in
 * ue.c and net.c, transfers here. Idle power is the resources' floor over
 * the wall-clock time (compute.h's compute_energy_j): charged at the end,
 * over the whole run.
 */
#include "proto/proto_int.h"

void proto_ledger_radio(struct proto_collab_world *w, uint32_t ue,
                        const struct radio_world_flow_done *d)
{
    struct proto_ue *u = &w->ues[ue];

    u->radio_j += d->ue_energy_j - d->ue_tail_j;
    u->tail_j += d->ue_tail_j;
    proto_ue_drain(w, ue, d->ue_energy_j);
}

void proto_ledger_emit(struct proto_collab_world *w)
{
    const struct proto_world_config *c = w->cfg;
    double duration_s = core_engine_now(w->eng) - w->t_created_s;

    if (!w->sink.energy)
        return;
    for (size_t i = 0; i < w->n_ues; i++) {
        const struct proto_ue *u = &w->ues[i];
        const struct proto_side *dev = &c->devices[u->device];
        struct proto_energy_row r = {
            .ue_id = (uint32_t)i,
            .cell_id = radio_world_serving(w->radio, (uint32_t)i),
            .compute_j = u->compute_j,
            .radio_j = u->radio_j,
            .tail_j = u->tail_j,
            .duration_s = duration_s,
        };

        for (size_t k = 0; k < dev->n_instances; k++)
            r.idle_j += dev->instances[k].idle_power_w * duration_s;
        w->sink.energy(w->sink.ctx, &r);
    }
    for (size_t cell = 0; cell < w->n_cells; cell++) {
        const struct proto_net *net = &w->nets[cell];

        for (size_t k = 0; k < c->edge.n_instances; k++) {
            struct proto_energy_row r = {
                .edge = true,
                .ue_id = UINT32_MAX,
                .cell_id = (uint32_t)cell,
                .instance = (uint32_t)k,
                .resource = c->edge.instances[k].name,
                .idle_j = c->edge.instances[k].idle_power_w * duration_s,
                .compute_j = net->compute_j[k],
                .background_j = net->background_j[k],
                .duration_s = duration_s,
            };

            w->sink.energy(w->sink.ctx, &r);
        }
    }
}
