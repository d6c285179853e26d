/*
 * explore.c — exploration around any policy's plan: the behaviour policies
 * that collect training samples (policy.h). A random cut is drawn from the
 * solver's family by rejection (a uniform cut, kept when the state allows
 * it: at most EXPLORE_TRIES draws, else the cut stays), so that a family of
 * thousands of ideals costs nothing up front.
 */
#include "policy/policy_int.h"

#define EXPLORE_TRIES 64

static const struct core_knob explore_knobs[] = {
    {"split", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1, NULL,
     offsetof(struct policy_explore_config, split),
     "Probability that a decision takes a uniformly drawn cut instead of the policy's."},
    {"option", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1, NULL,
     offsetof(struct policy_explore_config, option),
     "Probability, per layer, that a decision puts the layer on a uniformly drawn option of "
     "its side."},
};

const struct core_knob_table policy_explore_knobs = {"exploration", explore_knobs,
                                                     ARRAY_LEN(explore_knobs)};

/* Option o of side sd can take layer i now: it runs it and is available. */
static bool usable(const struct compute_problem *p, const struct compute_state *st,
                   enum compute_side sd, size_t o, size_t i)
{
    return policy_supports(p, sd, o, i) && !isinf(st->wait_s[sd][o]);
}

/* A uniform usable option of side sd for layer i (-1: none). */
static int draw_option(const struct compute_problem *p, const struct compute_state *st,
                       enum compute_side sd, size_t i, struct core_rng *rng)
{
    uint8_t pick[COMPUTE_PLAN_MAX_OPTIONS];
    size_t n = 0;

    for (size_t o = 0; o < p->n_options[sd]; o++)
        if (usable(p, st, sd, o, i))
            pick[n++] = (uint8_t)o;
    return n ? pick[core_rng_below(rng, n)] : -1;
}

/* Whether cut c of s's family can be taken under st. */
static bool cut_allowed(const struct policy_solver *s, const struct compute_state *st,
                        const struct compute_plan *pl)
{
    for (uint32_t k = 0; k < pl->n_layers; k++) {
        enum compute_side sd = k < pl->n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;
        size_t o, i = pl->order[k];

        for (o = 0; o < s->p->n_options[sd]; o++)
            if (usable(s->p, st, sd, o, i))
                break;
        if (o == s->p->n_options[sd])
            return false;
    }
    return true;
}

static void explore_cut(const struct policy_solver *s, const struct compute_state *st,
                        struct core_rng *rng, struct compute_plan *pl)
{
    struct compute_plan cand;
    bool was_ue[COMPUTE_PLAN_MAX_LAYERS];

    for (uint32_t k = 0; k < pl->n_layers; k++)
        was_ue[pl->order[k]] = k < pl->n_ue;
    for (int t = 0; t < EXPLORE_TRIES; t++) {
        policy_emit(s, (uint32_t)core_rng_below(rng, s->n_cuts), -1, -1, &cand);
        if (!cut_allowed(s, st, &cand))
            continue;
        for (uint32_t k = 0; k < cand.n_layers; k++) {
            size_t i = cand.order[k];
            bool on_ue = k < cand.n_ue;

            cand.option[i] = on_ue == was_ue[i]
                                 ? pl->option[i]
                                 : (uint8_t)draw_option(s->p, st,
                                                        on_ue ? COMPUTE_SIDE_UE
                                                              : COMPUTE_SIDE_EDGE,
                                                        i, rng);
        }
        *pl = cand;
        return;
    }
}

void policy_explore(const struct policy_solver *s, const struct compute_state *st,
                    const struct policy_explore_config *c, struct core_rng *rng,
                    struct compute_plan *pl)
{
    uint8_t x = pl->exit;

    if (x > 0 && x <= s->p->n_exits) { /* explore on the exit's problem, ending there */
        if (s->exit_solver[x - 1])
            policy_explore(s->exit_solver[x - 1], st, c, rng, pl);
        pl->exit = x;
        return;
    }
    if (c->split > 0 && st->edge_available && core_rng_uniform(rng) < c->split)
        explore_cut(s, st, rng, pl);
    if (!(c->option > 0))
        return;
    for (uint32_t k = 0; k < pl->n_layers; k++) {
        enum compute_side sd = k < pl->n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;
        size_t i = pl->order[k];
        int o;

        if (core_rng_uniform(rng) >= c->option)
            continue;
        o = draw_option(s->p, st, sd, i, rng);
        if (o >= 0)
            pl->option[i] = (uint8_t)o;
    }
}
