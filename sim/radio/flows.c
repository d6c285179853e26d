/*
 * flows.c — transfers as flows: event-driven processor sharing of one cell's
 * PRBs in one direction, the UE's radio energy per flow, and per-TTI
 * reference schedulers for small cases (round robin at a fixed rate per PRB;
 * and round robin or proportional fair with fading and power-limited
 * uplinks).
 *
 * Layout: flows live in an array indexed by handle (stable while the flow is
 * active; freed slots are reused through a free list). A flow's rate
 * depends only on its own channel and on the number n of active flows (the
 * rule below), and the set keeps flows of two kinds:
 *  - separable ("lazy") flows, whose rate is c / n for a constant c of their
 *    own (round robin, and proportional fair without fading, for every flow
 *    not power-limited): they drain on the set's virtual clock V, dV/dt =
 *    1 / n, so a flow holds remaining_bits and energy_j at (t_s, v_s) and
 *    finishes when V reaches f_v = v_s + remaining_bits / c. They sit in a
 *    binary heap by f_v (ties: the lower handle); an add or remove moves only
 *    V, never them: O(log n);
 *  - the others ("eager": proportional fair's fixed-rate and faded flows,
 *    uplinks at P_max on their share N / n) keep their own clock as a flow
 *    always did: remaining_bits and energy_j hold at t_s, and they drain at
 *    rate_bps until t_done_s. They are listed densely in eag[] and advanced
 *    and re-rated at every add or remove, O(k) for k of them (an uplink is at
 *    P_max only while n < N p_prb / p_max, so k <= N_PRB in an overloaded
 *    cell unless its UEs are at the cell edge).
 * An uplink leaves the separable kind when a removal grows its share above
 * what its power allows: the separable uplinks are also in a max-heap by
 * power per PRB, whose top is checked at every removal; an eager flow that
 * becomes separable moves at the next add or remove that rates it. A
 * channel change touches one flow: O(log n). The two ways give the same
 * rates and completions up to rounding (V sums dt / n where a flow summed
 * rate x dt). The earliest completion is the heap's top (at t_last_s +
 * (f_v - V) n) or the eager flows' earliest (cached in best).
 *
 * The sharing rule (radio_sched_share_bps) and the UE power model are
 * documented in radio.h. Uplink flows added with a link (radio_flows_add_ul)
 * share in frequency: each gets M = N_PRB / n PRBs, its full-band-equivalent
 * rate and transmit power are evaluated on M (radio_ul_link_rate_bps; the
 * rate below P_max is cached, as it does not depend on M: so below P_max its
 * rate is c / n with c that rate, and its power p_on_w + p_prb_w M /
 * pa_efficiency, linear in 1 / n too) and the scheduler's rule is applied to
 * that rate. Energy: while a flow is active its UE draws p_on_w + tx_power_w
 * / pa_efficiency (uplink; tx_power_w as the caller last set it, or P(M) on
 * the current share for a linked flow) or p_on_w + p_rx_w (downlink); each
 * flow is charged on its own, so two simultaneous flows of one UE in a set
 * count p_on_w twice. The base power is the UE's, not a flow's: the radio
 * world, which sees a UE's flows in both directions, gives its sets a model
 * with p_on_w 0 and charges p_on_w once per UE (radio_ue_ledger, ledger.c).
 */
#include "radio/radio_int.h"

#include <string.h>

#define NO_FLOW UINT32_MAX

struct flow {
    uint64_t id;            /* caller's identifier */
    uint32_t ue;            /* caller's UE tag */
    uint32_t pos;           /* index in eag[] (eager) or hf[] (lazy) while active; next free
                               slot otherwise */
    uint32_t ppos;          /* index in hp[] (a lazy linked flow), else NO_FLOW */
    bool active;            /* in the set */
    bool lazy;              /* separable: drains on the set's virtual clock */
    double size_bytes;      /* bytes requested */
    double t_s;             /* time remaining_bits and energy_j refer to, s */
    double v_s;             /* lazy: the set's virtual time at t_s, s per flow */
    double remaining_bits;  /* bits left at t_s */
    double t_done_s;        /* eager: completion at the current rate, s */
    double f_v;             /* lazy: virtual time of its completion */
    double full_rate_bps;   /* rate alone on the whole band, bit/s (lazy: c) */
    double rate_bps;        /* eager: current share, bit/s */
    double e1_j;            /* lazy: energy per unit of virtual time, J (power x n) */
    bool has_link;          /* uplink shared in frequency: full_rate_bps follows link */
    bool has_sinr;          /* channel given as a mean SINR on carrier (radio_flows_add_sinr) */
    const struct radio_carrier *carrier; /* its carrier when has_sinr (borrowed) */
    double sinr;            /* its mean per-PRB SINR when has_sinr, 1 */
    double floor_bps;       /* lowest full-band rate when has_sinr, bit/s */
    struct radio_ul_link link; /* its channel (when has_link) */
    double rate_pc_bps;     /* full-band-equivalent rate below P_max, bit/s */
    double power_w;         /* UE power draw while active (lazy: its part constant in n), W */
    double t_start_s;       /* when added, s */
    double energy_j;        /* UE energy up to t_s, J */
};

struct radio_flows {
    struct flow *f;          /* cap flows, owned */
    uint32_t *eag;           /* eager handles, n_eag of cap entries, owned */
    uint32_t *hf;            /* lazy handles, a min-heap by (f_v, handle), owned */
    uint32_t *hp;            /* lazy linked handles, a max-heap by link.p_prb_w, owned */
    size_t cap;              /* slots in f, eag, hf and hp */
    size_t n_active;         /* active flows: n_eag + n_hf */
    size_t n_eag;            /* entries of eag in use */
    size_t n_hf;             /* entries of hf in use */
    size_t n_hp;             /* entries of hp in use */
    size_t n_used;           /* slots of f ever used (high-water mark) */
    uint32_t free_head;      /* first free slot below n_used, or NO_FLOW */
    enum radio_sched sched;  /* sharing rule */
    enum radio_dir dir;      /* uplink or downlink */
    double peak_rate_bps;    /* PF gain cap, bit/s */
    struct radio_power_model power; /* UE power model */
    double t_last_s;         /* time of the last add or remove (every flow advanced), s */
    double v;                /* the virtual clock at t_last_s: the integral of 1 / n */
    double t_call_s;         /* time of the last call, s (calls are in time order) */
    double busy_s;           /* time with at least one flow active up to t_last_s, s */
    double h_n;              /* H_n of the current n_active (PF), 1 */
    bool rayleigh;           /* PF: channels Rayleigh-faded (radio_flows_set_fading) */
    uint32_t best;           /* eager flow with the earliest t_done_s, NO_FLOW if none */
    /* The last link's rate below P_max (set_channel): a UE's uplink flows
     * are re-linked together, all to one link, at each of its channel
     * updates, and the rate is a function of the link alone. */
    struct radio_ul_link pc_link; /* the link it was computed for (carrier NULL: none) */
    double pc_rate_bps;           /* its rate below P_max, at least its floor, bit/s */
    /* Likewise the last SINR's full-band rate (set_sinr: a UE's downlinks). */
    const struct radio_carrier *sinr_carrier; /* its carrier (NULL: none) */
    double sinr_key;              /* the SINR, 1 */
    double sinr_rate_bps;         /* radio_link_rate_bps on all PRBs, bit/s */
};

double radio_harmonic(size_t n)
{
    double h = 0.0;

    for (size_t k = n; k >= 1; k--)
        h += 1.0 / (double)k;
    return h;
}

/* The share of one of n_active flows given H_n (so a recompute of n flows
 * costs O(n), not O(n^2)). */
static double share_bps(enum radio_sched sched, double full_rate_bps, size_t n_active,
                        double h_n, double peak_rate_bps)
{
    CORE_ASSERT(n_active > 0);
    switch (sched) {
    case RADIO_SCHED_RR:
        return full_rate_bps / (double)n_active;
    case RADIO_SCHED_PF: {
        double boosted_bps = full_rate_bps * h_n;

        if (boosted_bps > peak_rate_bps)
            boosted_bps = peak_rate_bps > full_rate_bps ? peak_rate_bps : full_rate_bps;
        return boosted_bps / (double)n_active;
    }
    default:
        CORE_ASSERT(!"unknown scheduler");
    }
    return 0.0;
}

double radio_sched_share_bps(enum radio_sched sched, double full_rate_bps, size_t n_active,
                             double peak_rate_bps)
{
    return share_bps(sched, full_rate_bps, n_active, radio_harmonic(n_active), peak_rate_bps);
}

struct radio_flows *radio_flows_create(size_t capacity, enum radio_sched sched,
                                       enum radio_dir dir, double peak_rate_bps,
                                       const struct radio_power_model *power)
{
    struct radio_flows *fs;

    CORE_ASSERT(sched < RADIO_SCHED_COUNT && dir < RADIO_DIR_COUNT);
    if (capacity < 4)
        capacity = 4;
    fs = core_calloc(1, sizeof(*fs));
    if (!fs)
        return NULL;
    fs->f = core_calloc(capacity, sizeof(*fs->f));
    fs->eag = core_calloc(capacity, sizeof(*fs->eag));
    fs->hf = core_calloc(capacity, sizeof(*fs->hf));
    fs->hp = core_calloc(capacity, sizeof(*fs->hp));
    if (!fs->f || !fs->eag || !fs->hf || !fs->hp) {
        radio_flows_destroy(fs);
        return NULL;
    }
    fs->cap = capacity;
    fs->free_head = NO_FLOW;
    fs->best = NO_FLOW;
    fs->sched = sched;
    fs->dir = dir;
    fs->peak_rate_bps = peak_rate_bps;
    fs->power = *power;
    return fs;
}

void radio_flows_destroy(struct radio_flows *fs)
{
    if (!fs)
        return;
    core_free(fs->hp);
    core_free(fs->hf);
    core_free(fs->eag);
    core_free(fs->f);
    core_free(fs);
}

/* ---- the two heaps ------------------------------------------------------------------- */

/* Whether lazy flow a finishes before lazy flow b. */
static bool hf_before(const struct radio_flows *fs, uint32_t a, uint32_t b)
{
    double fa = fs->f[a].f_v, fb = fs->f[b].f_v;

    return fa < fb || (fa == fb && a < b);
}

/* Whether a's power per PRB is above b's (ties: the lower handle). */
static bool hp_before(const struct radio_flows *fs, uint32_t a, uint32_t b)
{
    double pa = fs->f[a].link.p_prb_w, pb = fs->f[b].link.p_prb_w;

    return pa > pb || (pa == pb && a < b);
}

/* A heap of handles: its array, its size, the order, and where each flow
 * keeps its index (pos for hf, ppos for hp). */
struct heap {
    uint32_t *h;
    size_t *n;
    bool (*before)(const struct radio_flows *, uint32_t, uint32_t);
    bool power; /* hp: positions in ppos */
};

static struct heap heap_f(struct radio_flows *fs)
{
    return (struct heap){fs->hf, &fs->n_hf, hf_before, false};
}

static struct heap heap_p(struct radio_flows *fs)
{
    return (struct heap){fs->hp, &fs->n_hp, hp_before, true};
}

static void heap_put(struct radio_flows *fs, const struct heap *hp, size_t i, uint32_t h)
{
    hp->h[i] = h;
    if (hp->power)
        fs->f[h].ppos = (uint32_t)i;
    else
        fs->f[h].pos = (uint32_t)i;
}

static void heap_fix(struct radio_flows *fs, const struct heap *hp, size_t i)
{
    uint32_t h = hp->h[i];

    while (i > 0 && hp->before(fs, h, hp->h[(i - 1) / 2])) {
        heap_put(fs, hp, i, hp->h[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= *hp->n)
            break;
        if (c + 1 < *hp->n && hp->before(fs, hp->h[c + 1], hp->h[c]))
            c++;
        if (!hp->before(fs, hp->h[c], h))
            break;
        heap_put(fs, hp, i, hp->h[c]);
        i = c;
    }
    heap_put(fs, hp, i, h);
}

static void heap_push(struct radio_flows *fs, const struct heap *hp, uint32_t h)
{
    heap_put(fs, hp, (*hp->n)++, h);
    heap_fix(fs, hp, *hp->n - 1);
}

static void heap_del(struct radio_flows *fs, const struct heap *hp, size_t i)
{
    uint32_t last = hp->h[--*hp->n];

    if (i < *hp->n) {
        heap_put(fs, hp, i, last);
        heap_fix(fs, hp, i);
    }
}

/* ---- time ---------------------------------------------------------------------------- */

/* Calls come in time order. */
static void check_time(struct radio_flows *fs, double t_s)
{
    CORE_ASSERT(t_s >= fs->t_call_s);
    fs->t_call_s = t_s;
}

/* The virtual clock at t_s (>= t_last_s): n is constant since t_last_s. */
static double v_at(const struct radio_flows *fs, double t_s)
{
    return fs->n_active > 0 ? fs->v + (t_s - fs->t_last_s) / (double)fs->n_active : fs->v;
}

/* Drain one eager flow from its t_s to t_s at its current rate. */
static void advance_flow(struct flow *fl, double t_s)
{
    double dt_s = t_s - fl->t_s;

    if (dt_s == 0.0)
        return;
    fl->remaining_bits -= fl->rate_bps * dt_s;
    if (fl->remaining_bits < 0.0)
        fl->remaining_bits = 0.0;
    fl->energy_j += fl->power_w * dt_s;
    fl->t_s = t_s;
}

/* Drain one lazy flow from its t_s to t_s on the virtual clock. */
static void sync_lazy(const struct radio_flows *fs, struct flow *fl, double t_s)
{
    double v = v_at(fs, t_s), dv = v - fl->v_s;

    if (t_s == fl->t_s)
        return;
    fl->remaining_bits -= fl->full_rate_bps * dv;
    if (fl->remaining_bits < 0.0)
        fl->remaining_bits = 0.0;
    fl->energy_j += fl->power_w * (t_s - fl->t_s) + fl->e1_j * dv;
    fl->t_s = t_s;
    fl->v_s = v;
}

static void sync_flow(const struct radio_flows *fs, struct flow *fl, double t_s)
{
    if (fl->lazy)
        sync_lazy(fs, fl, t_s);
    else
        advance_flow(fl, t_s);
}

/* Drain every eager flow to t_s and move the virtual clock (an add or
 * remove). */
static void advance(struct radio_flows *fs, double t_s)
{
    check_time(fs, t_s);
    if (fs->n_active > 0)
        fs->busy_s += t_s - fs->t_last_s;
    fs->v = v_at(fs, t_s);
    for (size_t i = 0; i < fs->n_eag; i++)
        advance_flow(&fs->f[fs->eag[i]], t_s);
    fs->t_last_s = t_s;
}

/* Whether eager flow h completing at t_s comes before the current best (ties:
 * the lower handle). */
static bool earlier(const struct radio_flows *fs, double t_s, uint32_t h)
{
    if (fs->best == NO_FLOW)
        return true;
    double best_s = fs->f[fs->best].t_done_s;

    return t_s < best_s || (t_s == best_s && h < fs->best);
}

static void find_best(struct radio_flows *fs)
{
    fs->best = NO_FLOW;
    for (size_t i = 0; i < fs->n_eag; i++)
        if (earlier(fs, fs->f[fs->eag[i]].t_done_s, fs->eag[i]))
            fs->best = fs->eag[i];
}

/* ---- rates --------------------------------------------------------------------------- */

static double power_draw_w(const struct radio_flows *fs, double tx_power_w);

/* Whether fl's rate among the n_active flows is c / n_active (its share
 * below P_max under round robin, or proportional fair without fading on a
 * flow known by its channel). */
static bool separable(const struct radio_flows *fs, const struct flow *fl)
{
    if (fs->sched == RADIO_SCHED_PF && (fs->rayleigh || !(fl->has_link || fl->has_sinr)))
        return false;
    return !fl->has_link ||
           fl->link.p_prb_w * ((double)fl->link.carrier->n_prb / (double)fs->n_active) <=
               fl->link.p_max_w;
}

/* A linked flow's full-band-equivalent rate and power draw on m_prb PRBs. */
static void link_on_prbs(const struct radio_flows *fs, struct flow *fl, double m_prb)
{
    double tx_w;

    if (fl->link.p_prb_w * m_prb <= fl->link.p_max_w) {
        fl->full_rate_bps = fl->rate_pc_bps;
        tx_w = fl->link.p_prb_w * m_prb;
    } else {
        fl->full_rate_bps = radio_ul_link_rate_bps(&fl->link, m_prb, &tx_w);
    }
    fl->power_w = power_draw_w(fs, tx_w);
}

/* Proportional fair's share of a flow whose SINR is known: selection
 * diversity over Rayleigh fading (radio_pf_rate_bps), or equal time shares
 * without fading. */
static double pf_sinr_share_bps(const struct radio_flows *fs, const struct flow *fl)
{
    double n = (double)fs->n_active, r_bps, floor_bps;

    if (!fs->rayleigh)
        return fl->full_rate_bps / n;
    if (fl->has_link) {
        double m_prb = (double)fl->link.carrier->n_prb / n;

        r_bps = radio_pf_rate_bps(fl->link.carrier, radio_ul_link_sinr(&fl->link, m_prb, NULL),
                                  fs->n_active);
        floor_bps = fl->link.floor_bps;
    } else {
        r_bps = radio_pf_rate_bps(fl->carrier, fl->sinr, fs->n_active);
        floor_bps = fl->floor_bps;
    }
    return (r_bps > floor_bps ? r_bps : floor_bps) / n;
}

/* Eager fl's rate among the n_active flows, and its completion time. */
static void rate_flow(const struct radio_flows *fs, struct flow *fl)
{
    if (fl->has_link)
        link_on_prbs(fs, fl, (double)fl->link.carrier->n_prb / (double)fs->n_active);
    if (fs->sched == RADIO_SCHED_PF && (fl->has_link || fl->has_sinr))
        fl->rate_bps = pf_sinr_share_bps(fs, fl);
    else
        fl->rate_bps =
            share_bps(fs->sched, fl->full_rate_bps, fs->n_active, fs->h_n, fs->peak_rate_bps);
    fl->t_done_s = fl->t_s + fl->remaining_bits / fl->rate_bps;
}

/* Lazy fl's constants (its c in full_rate_bps, its power's parts) from its
 * channel, and its virtual completion. */
static void rate_lazy(const struct radio_flows *fs, struct flow *fl)
{
    if (fl->has_link) {
        fl->full_rate_bps = fl->rate_pc_bps;
        fl->power_w = power_draw_w(fs, 0.0);
        fl->e1_j = fl->link.p_prb_w * (double)fl->link.carrier->n_prb / fs->power.pa_efficiency;
    } else {
        fl->e1_j = 0.0;
    }
    fl->f_v = fl->v_s + fl->remaining_bits / fl->full_rate_bps;
}

/* Eager flow h (its state at t_s) becomes lazy. */
static void to_lazy(struct radio_flows *fs, uint32_t h, double t_s)
{
    struct flow *fl = &fs->f[h];
    struct heap hf = heap_f(fs), hp = heap_p(fs);
    uint32_t last = fs->eag[--fs->n_eag];

    fs->eag[fl->pos] = last;
    fs->f[last].pos = fl->pos;
    fl->lazy = true;
    fl->t_s = t_s;
    fl->v_s = v_at(fs, t_s);
    rate_lazy(fs, fl);
    heap_push(fs, &hf, h);
    fl->ppos = NO_FLOW;
    if (fl->has_link)
        heap_push(fs, &hp, h);
}

/* Lazy flow h leaves its heaps, drained to t_s (and is listed nowhere). */
static void unheap(struct radio_flows *fs, uint32_t h, double t_s)
{
    struct flow *fl = &fs->f[h];
    struct heap hf = heap_f(fs), hp = heap_p(fs);

    sync_lazy(fs, fl, t_s);
    heap_del(fs, &hf, fl->pos);
    if (fl->ppos != NO_FLOW)
        heap_del(fs, &hp, fl->ppos);
    fl->ppos = NO_FLOW;
    fl->lazy = false;
}

/* Flow h (not listed) joins the eager list, unrated. */
static void list_eager(struct radio_flows *fs, uint32_t h)
{
    struct flow *fl = &fs->f[h];

    fl->lazy = false;
    fl->ppos = NO_FLOW;
    fl->pos = (uint32_t)fs->n_eag;
    fs->eag[fs->n_eag++] = h;
}

/* Flow h (not listed, its state at the current time) joins the eager list,
 * rated. */
static void to_eager_list(struct radio_flows *fs, uint32_t h)
{
    list_eager(fs, h);
    rate_flow(fs, &fs->f[h]);
}

/* The active set changed at t_last_s (every flow listed, the new one too):
 * eager flows re-rated or made lazy, lazy uplinks that a grown share puts
 * at P_max made eager, the earliest eager completion. */
static void recompute(struct radio_flows *fs)
{
    double t_s = fs->t_last_s;

    fs->h_n = fs->sched == RADIO_SCHED_PF ? radio_harmonic(fs->n_active) : 1.0;
    if (fs->n_active == 0) {
        fs->best = NO_FLOW;
        fs->v = 0.0; /* a new busy period: V's rounding stays that of one period */
        return;
    }
    for (size_t i = 0; i < fs->n_eag;) {
        uint32_t h = fs->eag[i];

        if (separable(fs, &fs->f[h])) {
            to_lazy(fs, h, t_s); /* moves the last eager flow to i */
            continue;
        }
        rate_flow(fs, &fs->f[h]);
        i++;
    }
    while (fs->n_hp > 0 && !separable(fs, &fs->f[fs->hp[0]])) {
        uint32_t h = fs->hp[0];

        unheap(fs, h, t_s);
        to_eager_list(fs, h);
    }
    find_best(fs);
}

/* One flow's channel changed at t_s (its state drained to t_s, its channel
 * set): only its rate does (the rule depends on the others through n
 * alone). */
static void rerate_one(struct radio_flows *fs, uint32_t handle, double t_s)
{
    struct flow *fl = &fs->f[handle];
    bool sep = separable(fs, fl);

    if (fl->lazy && sep) {
        struct heap hf = heap_f(fs), hp = heap_p(fs);

        rate_lazy(fs, fl);
        heap_fix(fs, &hf, fl->pos);
        if (fl->ppos != NO_FLOW)
            heap_fix(fs, &hp, fl->ppos);
        return;
    }
    if (fl->lazy) {
        unheap(fs, handle, t_s);
        to_eager_list(fs, handle);
    } else if (sep) {
        to_lazy(fs, handle, t_s);
        if (fs->best == handle)
            find_best(fs);
        return;
    } else {
        rate_flow(fs, fl);
    }
    if (fs->best == handle)
        find_best(fs);
    else if (earlier(fs, fl->t_done_s, handle))
        fs->best = handle;
}

double radio_ue_power_w(const struct radio_power_model *pm, enum radio_dir dir,
                        double tx_power_w)
{
    if (dir == RADIO_DIR_UL)
        return pm->p_on_w + tx_power_w / pm->pa_efficiency;
    return pm->p_on_w + pm->p_rx_w;
}

static double power_draw_w(const struct radio_flows *fs, double tx_power_w)
{
    return radio_ue_power_w(&fs->power, fs->dir, tx_power_w);
}

static enum core_rc grow(struct radio_flows *fs, struct core_err *e)
{
    size_t cap = fs->cap * 2;
    uint32_t **lists[] = {&fs->eag, &fs->hf, &fs->hp};
    struct flow *f = core_realloc(fs->f, cap * sizeof(*f));

    if (!f)
        return core_err(e, CORE_E_NOMEM, "no memory for %zu radio flows", cap);
    fs->f = f;
    for (size_t k = 0; k < ARRAY_LEN(lists); k++) {
        uint32_t *l = core_realloc(*lists[k], cap * sizeof(*l));

        if (!l)
            return core_err(e, CORE_E_NOMEM, "no memory for %zu radio flows", cap);
        *lists[k] = l;
    }
    fs->cap = cap;
    return CORE_OK;
}

static struct flow *active_flow(const struct radio_flows *fs, uint32_t handle)
{
    CORE_ASSERT(handle < fs->n_used && fs->f[handle].active);
    return &fs->f[handle];
}

/* Set fl's channel: a fixed full-band rate, or (link not NULL) a link. */
static void set_channel(struct radio_flows *fs, struct flow *fl, double rate_bps,
                        double tx_power_w, const struct radio_ul_link *link)
{
    fl->has_link = link != NULL;
    fl->has_sinr = false;
    if (link != NULL) {
        struct radio_ul_link *c = &fs->pc_link;

        fl->link = *link;
        if (c->carrier != link->carrier || c->p_prb_w != link->p_prb_w ||
            c->gain_per_w != link->gain_per_w || c->floor_bps != link->floor_bps) {
            fs->pc_rate_bps = radio_link_rate_bps(
                link->carrier, link->p_prb_w * link->gain_per_w, link->carrier->n_prb);
            if (fs->pc_rate_bps < link->floor_bps)
                fs->pc_rate_bps = link->floor_bps;
            *c = *link;
        }
        fl->rate_pc_bps = fs->pc_rate_bps;
        return;
    }
    fl->full_rate_bps = rate_bps;
    fl->power_w = power_draw_w(fs, tx_power_w);
}

/* How a new flow is rated: a SINR on a carrier with a rate floor
 * (radio_flows_add_sinr), else a fixed rate and power or an uplink link. */
struct sinr_spec {
    const struct radio_carrier *c; /* the carrier */
    double sinr;                   /* linear SINR, 1 */
    double floor_bps;              /* rate floor, bit/s */
};

static void set_sinr(struct radio_flows *fs, struct flow *fl, const struct radio_carrier *c,
                     double sinr, double floor_bps);

static enum core_rc add_flow(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                             double size_bytes, double rate_bps, double tx_power_w,
                             const struct radio_ul_link *link, const struct sinr_spec *by_sinr,
                             uint32_t *handle, struct core_err *e)
{
    uint32_t h;

    CORE_ASSERT(size_bytes > 0.0);
    if (fs->free_head == NO_FLOW && fs->n_used == fs->cap) {
        enum core_rc rc = grow(fs, e);

        if (rc != CORE_OK)
            return rc;
    }
    advance(fs, t_s);
    if (fs->free_head != NO_FLOW) {
        h = fs->free_head;
        fs->free_head = fs->f[h].pos;
    } else {
        h = (uint32_t)fs->n_used++;
    }
    struct flow *fl = &fs->f[h];

    memset(fl, 0, sizeof(*fl));
    fl->id = id;
    fl->ue = ue;
    fl->active = true;
    fl->size_bytes = size_bytes;
    fl->remaining_bits = 8.0 * size_bytes;
    if (by_sinr)
        set_sinr(fs, fl, by_sinr->c, by_sinr->sinr, by_sinr->floor_bps);
    else
        set_channel(fs, fl, rate_bps, tx_power_w, link);
    fl->t_start_s = t_s;
    fl->t_s = t_s;
    fs->n_active++;
    list_eager(fs, h); /* recompute rates it, or makes it lazy */
    recompute(fs);
    *handle = h;
    return CORE_OK;
}

enum core_rc radio_flows_add(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                             double size_bytes, double rate_bps, double tx_power_w,
                             uint32_t *handle, struct core_err *e)
{
    CORE_ASSERT(rate_bps > 0.0);
    return add_flow(fs, t_s, id, ue, size_bytes, rate_bps, tx_power_w, NULL, NULL, handle, e);
}

static void check_link(const struct radio_flows *fs, const struct radio_ul_link *link)
{
    CORE_ASSERT(fs->dir == RADIO_DIR_UL && link->carrier != NULL);
    CORE_ASSERT(link->p_prb_w > 0.0 && link->p_max_w > 0.0 && link->gain_per_w > 0.0 &&
                link->floor_bps >= 0.0);
    (void)fs;
    (void)link;
}

enum core_rc radio_flows_add_ul(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                                double size_bytes, const struct radio_ul_link *link,
                                uint32_t *handle, struct core_err *e)
{
    check_link(fs, link);
    return add_flow(fs, t_s, id, ue, size_bytes, 0.0, 0.0, link, NULL, handle, e);
}

void radio_flows_set_ul_link(struct radio_flows *fs, double t_s, uint32_t handle,
                             const struct radio_ul_link *link)
{
    struct flow *fl = active_flow(fs, handle);

    check_link(fs, link);
    check_time(fs, t_s);
    sync_flow(fs, fl, t_s);
    set_channel(fs, fl, 0.0, 0.0, link);
    rerate_one(fs, handle, t_s);
}

void radio_flows_set_channel(struct radio_flows *fs, double t_s, uint32_t handle,
                             double rate_bps, double tx_power_w)
{
    struct flow *fl = active_flow(fs, handle);

    CORE_ASSERT(rate_bps > 0.0);
    check_time(fs, t_s);
    sync_flow(fs, fl, t_s);
    set_channel(fs, fl, rate_bps, tx_power_w, NULL);
    rerate_one(fs, handle, t_s);
}

/* A flow known by its mean SINR on c: full-band rate rate(c, sinr, N) with
 * the floor. */
static void set_sinr(struct radio_flows *fs, struct flow *fl, const struct radio_carrier *c,
                     double sinr, double floor_bps)
{
    double r_bps;

    if (fs->sinr_carrier != c || fs->sinr_key != sinr) {
        fs->sinr_rate_bps = radio_link_rate_bps(c, sinr, c->n_prb);
        fs->sinr_carrier = c;
        fs->sinr_key = sinr;
    }
    r_bps = fs->sinr_rate_bps;

    set_channel(fs, fl, r_bps > floor_bps ? r_bps : floor_bps, 0.0, NULL);
    fl->has_sinr = true;
    fl->carrier = c;
    fl->sinr = sinr;
    fl->floor_bps = floor_bps;
}

enum core_rc radio_flows_add_sinr(struct radio_flows *fs, double t_s, uint64_t id, uint32_t ue,
                                  double size_bytes, const struct radio_carrier *c, double sinr,
                                  double floor_bps, uint32_t *handle, struct core_err *e)
{
    const struct sinr_spec spec = {c, sinr, floor_bps};

    CORE_ASSERT(c != NULL && sinr >= 0.0 && floor_bps >= 0.0);
    CORE_ASSERT(floor_bps > 0.0 || radio_link_rate_bps(c, sinr, c->n_prb) > 0.0);
    return add_flow(fs, t_s, id, ue, size_bytes, 0.0, 0.0, NULL, &spec, handle, e);
}

void radio_flows_set_sinr(struct radio_flows *fs, double t_s, uint32_t handle, double sinr)
{
    struct flow *fl = active_flow(fs, handle);

    CORE_ASSERT(fl->has_sinr && sinr >= 0.0);
    check_time(fs, t_s);
    sync_flow(fs, fl, t_s);
    set_sinr(fs, fl, fl->carrier, sinr, fl->floor_bps);
    rerate_one(fs, handle, t_s);
}

void radio_flows_set_fading(struct radio_flows *fs, bool rayleigh)
{
    CORE_ASSERT(fs->n_active == 0);
    fs->rayleigh = rayleigh;
}

void radio_flows_remove(struct radio_flows *fs, double t_s, uint32_t handle,
                        struct radio_flow_report *rep)
{
    struct flow *fl = active_flow(fs, handle);

    advance(fs, t_s);
    if (fl->lazy) {
        unheap(fs, handle, t_s);
    } else {
        uint32_t last = fs->eag[--fs->n_eag];

        fs->eag[fl->pos] = last;
        fs->f[last].pos = fl->pos;
    }
    /* A flow removed at its own completion time may keep rounding dust. */
    double size_bits = 8.0 * fl->size_bytes;
    double left_bits = fl->remaining_bits <= 1e-9 * size_bits ? 0.0 : fl->remaining_bits;

    rep->id = fl->id;
    rep->ue = fl->ue;
    rep->size_bytes = fl->size_bytes;
    rep->sent_bytes = (size_bits - left_bits) / 8.0;
    rep->t_start_s = fl->t_start_s;
    rep->t_end_s = t_s;
    rep->duration_s = t_s - fl->t_start_s;
    rep->ue_energy_j = fl->energy_j;

    fs->n_active--;
    fl->active = false;
    fl->pos = fs->free_head;
    fs->free_head = handle;
    if (fs->best == handle)
        fs->best = NO_FLOW;
    recompute(fs);
}

bool radio_flows_next_completion(const struct radio_flows *fs, double *t_s, uint32_t *handle)
{
    bool any = false;

    if (fs->n_hf > 0) {
        const struct flow *fl = &fs->f[fs->hf[0]];
        double t = fs->t_last_s + (fl->f_v - fs->v) * (double)fs->n_active;

        *t_s = t > fs->t_last_s ? t : fs->t_last_s;
        *handle = fs->hf[0];
        any = true;
    }
    if (fs->best != NO_FLOW) {
        double t = fs->f[fs->best].t_done_s;

        if (!any || t < *t_s || (t == *t_s && fs->best < *handle)) {
            *t_s = t;
            *handle = fs->best;
        }
        any = true;
    }
    return any;
}

size_t radio_flows_active(const struct radio_flows *fs)
{
    return fs->n_active;
}

double radio_flows_busy_s(const struct radio_flows *fs, double t_s)
{
    CORE_ASSERT(t_s >= fs->t_last_s);
    return fs->busy_s + (fs->n_active > 0 ? t_s - fs->t_last_s : 0.0);
}

double radio_flows_rate_bps(const struct radio_flows *fs, uint32_t handle)
{
    const struct flow *fl = active_flow(fs, handle);

    return fl->lazy ? fl->full_rate_bps / (double)fs->n_active : fl->rate_bps;
}

double radio_flows_remaining_bits(const struct radio_flows *fs, uint32_t handle)
{
    const struct flow *fl = active_flow(fs, handle);

    if (fl->lazy) {
        double left = fl->remaining_bits - fl->full_rate_bps * (v_at(fs, fs->t_call_s) - fl->v_s);

        return left > 0.0 ? left : 0.0;
    }
    return fl->remaining_bits;
}

enum core_rc radio_tti_simulate(struct radio_tti_flow *flows, size_t n, uint32_t n_prb,
                                double tti_s, double max_t_s, struct core_err *e)
{
    double *sent_bits = core_calloc(n ? n : 1, sizeof(*sent_bits));
    bool *done = core_calloc(n ? n : 1, sizeof(*done));
    size_t n_done = 0, next = 0;
    enum core_rc rc = CORE_OK;

    CORE_ASSERT(n_prb > 0 && tti_s > 0.0);
    if (!sent_bits || !done) {
        rc = core_err(e, CORE_E_NOMEM, "no memory for %zu TTI flows", n);
        goto out_free;
    }
    for (uint64_t slot = 0; n_done < n; slot++) {
        double t0_s = (double)slot * tti_s, t1_s = t0_s + tti_s;

        if (t0_s > max_t_s) {
            rc = core_err(e, CORE_E_INPUT, "%zu of %zu TTI flows unfinished at %g s",
                          n - n_done, n, max_t_s);
            goto out_free;
        }
        for (uint32_t prb = 0; prb < n_prb; prb++) {
            size_t k, i = next;

            /* The next present, unfinished flow at or after `next`, cyclically. */
            for (k = 0; k < n; k++, i = (i + 1) % n)
                if (!done[i] && flows[i].t_start_s <= t0_s &&
                    sent_bits[i] < 8.0 * flows[i].size_bytes)
                    break;
            if (k == n)
                break;
            sent_bits[i] += flows[i].rate_bps * tti_s / n_prb;
            next = (i + 1) % n;
        }
        for (size_t i = 0; i < n; i++) {
            if (!done[i] && flows[i].t_start_s <= t0_s &&
                sent_bits[i] >= 8.0 * flows[i].size_bytes) {
                done[i] = true;
                flows[i].t_end_s = t1_s;
                n_done++;
            }
        }
    }
out_free:
    core_free(done);
    core_free(sent_bits);
    return rc;
}

/* Per-PRB SINR of flow f on m PRBs at t_s, fading included. */
static double ref_sinr(const struct radio_tti_ref_flow *f, uint32_t m, double t_s)
{
    double sinr = f->link != NULL ? radio_ul_link_sinr(f->link, (double)m, NULL) : f->sinr;

    return f->fade != NULL ? sinr * radio_fading_power(f->fade, t_s) : sinr;
}

enum core_rc radio_tti_reference(struct radio_tti_ref_flow *flows, size_t n,
                                 const struct radio_carrier *c, enum radio_sched sched,
                                 double tti_s, double pf_window_s, double max_t_s,
                                 struct core_err *e)
{
    double *sent_bits = core_calloc(n ? n : 1, sizeof(*sent_bits));
    double *avg_bps = core_calloc(n ? n : 1, sizeof(*avg_bps));
    uint32_t *prbs = core_calloc(n ? n : 1, sizeof(*prbs));
    bool *present = core_calloc(n ? n : 1, sizeof(*present));
    double beta = sched == RADIO_SCHED_PF ? tti_s / pf_window_s : 0.0;
    size_t n_done = 0, next = 0;
    enum core_rc rc = CORE_OK;

    CORE_ASSERT(tti_s > 0.0 && sched < RADIO_SCHED_COUNT);
    CORE_ASSERT(sched != RADIO_SCHED_PF || pf_window_s >= tti_s);
    if (!sent_bits || !avg_bps || !prbs || !present) {
        rc = core_err(e, CORE_E_NOMEM, "no memory for %zu TTI flows", n);
        goto out_free;
    }
    for (uint64_t slot = 0; n_done < n; slot++) {
        double t0_s = (double)slot * tti_s, t1_s = t0_s + tti_s;
        size_t n_present = 0;

        if (t0_s > max_t_s) {
            rc = core_err(e, CORE_E_INPUT, "%zu of %zu TTI flows unfinished at %g s",
                          n - n_done, n, max_t_s);
            goto out_free;
        }
        for (size_t i = 0; i < n; i++) {
            bool was = present[i];

            present[i] = flows[i].t_start_s <= t0_s && sent_bits[i] < 8.0 * flows[i].size_bytes;
            n_present += present[i];
            if (present[i] && !was && sent_bits[i] == 0.0)
                avg_bps[i] = radio_link_rate_bps(c, ref_sinr(&flows[i], c->n_prb, t0_s),
                                                 c->n_prb);
            prbs[i] = 0;
        }
        if (sched == RADIO_SCHED_RR) {
            for (uint32_t prb = 0; prb < c->n_prb && n_present > 0; prb++) {
                size_t i = next;

                while (!present[i])
                    i = (i + 1) % n;
                prbs[i]++;
                next = (i + 1) % n;
            }
        } else if (n_present > 0) {
            size_t best = n;
            double best_metric = -1.0;

            for (size_t i = 0; i < n; i++) {
                if (!present[i])
                    continue;
                double r = radio_link_rate_bps(c, ref_sinr(&flows[i], c->n_prb, t0_s), c->n_prb);
                double metric = avg_bps[i] > 0.0 ? r / avg_bps[i] : INFINITY;

                if (metric > best_metric) {
                    best_metric = metric;
                    best = i;
                }
            }
            prbs[best] = c->n_prb;
        }
        for (size_t i = 0; i < n; i++) {
            double bits = 0.0;

            if (!present[i])
                continue;
            if (prbs[i] > 0)
                bits = radio_link_rate_bps(c, ref_sinr(&flows[i], prbs[i], t0_s), prbs[i]) *
                       tti_s;
            sent_bits[i] += bits;
            avg_bps[i] = (1.0 - beta) * avg_bps[i] + beta * bits / tti_s;
            if (sent_bits[i] >= 8.0 * flows[i].size_bytes) {
                flows[i].t_end_s = t1_s;
                n_done++;
            }
        }
    }
out_free:
    core_free(present);
    core_free(prbs);
    core_free(avg_bps);
    core_free(sent_bits);
    return rc;
}
