/*
 * feedback.c — what a UE learns of how its inferences turned out (DESIGN.md
 * step 9, claims 5-6): the reward of an outcome, and the UE's feedback
 * window, the means over its last finished inferences that the state of
 * its next decisions carries.
 *
 * The window is a ring of reward.window entries per UE. An inference enters
 * it when its result is in (latency, UE energy, correctness, deadline);
 * its edge energy when the network's energy report arrives (the report
 * follows the result on the downlink), 0 until then, and 0 for an
 * inference that ran on the UE alone (no report comes: the network spent
 * nothing). A report whose inference has left the window is dropped. The
 * means are summed afresh at each read (a window is small): no drift.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <string.h>

double proto_reward(const struct proto_reward_config *c, double accuracy, double latency_s,
                    double ue_energy_j, double edge_energy_j, double miss)
{
    double r = -c->latency_weight * latency_s / c->latency_scale_s -
               c->energy_weight * ue_energy_j / c->energy_scale_j -
               c->edge_energy_weight * edge_energy_j / c->energy_scale_j -
               c->deadline_penalty * miss;

    if (!isnan(accuracy))
        r += c->accuracy_weight * accuracy;
    return r;
}

void proto_inf_decided(struct proto_inf *inf, const struct compute_decision *req)
{
    inf->decided.state = req->state;
    inf->decided.ue_load = req->ue_load;
    inf->decided.battery_j = req->battery_j;
    inf->decided.ul_sinr_db = req->ul_sinr_db;
    inf->decided.window = req->window;
}

void proto_feedback_finished(struct proto_collab_world *w, const struct proto_inf *inf,
                             double latency_s, int correct, bool deadline_met)
{
    struct proto_ue *ue = &w->ues[inf->ue];
    uint32_t cap = (uint32_t)w->cfg->reward.window;
    struct proto_window_entry *en;

    if (cap == 0)
        return;
    en = &ue->window[ue->window_next];
    en->inference_id = inf->id;
    en->latency_s = (float)latency_s;
    en->ue_energy_j = (float)inf->ue_energy_j;
    en->edge_energy_j = 0.0f;
    en->correct = (int8_t)(correct < 0 ? -1 : correct != 0);
    en->missed = !deadline_met;
    ue->window_next = (ue->window_next + 1) % cap;
    if (ue->window_n < cap)
        ue->window_n++;
}

void proto_feedback_report(struct proto_collab_world *w, uint32_t ue, uint64_t inference_id,
                           double edge_energy_j)
{
    struct proto_ue *u = &w->ues[ue];

    for (uint32_t k = 0; k < u->window_n; k++)
        if (u->window[k].inference_id == inference_id) {
            u->window[k].edge_energy_j = (float)edge_energy_j;
            return;
        }
}

void proto_feedback_window(const struct proto_collab_world *w, uint32_t ue,
                           struct compute_window *out)
{
    const struct proto_ue *u = &w->ues[ue];
    double lat = 0, eu = 0, ee = 0, miss = 0;
    uint32_t labelled = 0, right = 0;

    memset(out, 0, sizeof(*out));
    out->accuracy = NAN;
    if (u->window_n == 0) {
        out->reward = 0.0;
        return;
    }
    for (uint32_t k = 0; k < u->window_n; k++) {
        const struct proto_window_entry *en = &u->window[k];

        lat += en->latency_s;
        eu += en->ue_energy_j;
        ee += en->edge_energy_j;
        miss += en->missed;
        if (en->correct >= 0) {
            labelled++;
            right += (uint32_t)en->correct;
        }
    }
    out->n = u->window_n;
    out->latency_s = lat / u->window_n;
    out->ue_energy_j = eu / u->window_n;
    out->edge_energy_j = ee / u->window_n;
    out->deadline_miss = miss / u->window_n;
    out->accuracy = labelled ? (double)right / labelled : NAN;
    out->reward = proto_reward(&w->cfg->reward, out->accuracy, out->latency_s, out->ue_energy_j,
                               out->edge_energy_j, out->deadline_miss);
}
