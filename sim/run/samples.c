/*
 * samples.c — the learning agent's training samples (DESIGN.md step 9),
 * made from the outcomes a run's sinks buffer: for every finished
 * inference, the state its UE decided on and the plan it decided, encoded
 * by sim/policy (policy_state_encode, policy_action_encode) as
 * comma-separated numbers, with the inference's reward and its UE's window
 * reward, into `sample_rows` (the `samples` view adds the next state). At
 * the run's start the fields of each (device class, model)'s encodings go
 * to `sample_fields`, so that a database describes its own samples.
 *
 * An unfinished inference has no reward and leaves no sample. Numbers are
 * written with 9 significant digits (a float's round trip: the agent reads
 * floats) and integers exactly.
 */
#include "nn/nn.h"
#include "run/run_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *run_device_name(const struct run_assembly *a, size_t d)
{
    io_node dn = io_config_child(a->cfg, IO_NODE_ROOT, IO_EL_DEVICE, d);

    return ((const struct proto_device_config *)io_config_data(a->cfg, dn, 0))->name;
}

struct layer_names {
    const struct run_assembly *a;
    size_t model;
};

/* The name of problem layer i of the model: its first nn layer's. */
static const char *layer_name(void *ctx, size_t i)
{
    const struct layer_names *ln = ctx;
    const struct nn_model *nm = ln->a->nn_models[ln->model];
    const uint16_t *group = ln->a->layer_group[ln->model];

    for (size_t j = 0; j < (size_t)nn_model_n_layers(nm); j++)
        if (group[j] == i)
            return nn_model_layer_name(nm, (int)j);
    return NULL;
}

/* The field rows of one problem's encodings into rows (room for both). */
static size_t problem_fields(const struct run_assembly *a, size_t d, size_t m,
                             struct policy_field *fields, struct db_sample_field_row *rows)
{
    const struct compute_problem *p = a->problem_of[d * a->n_models + m];
    struct layer_names ln = {a, m};
    size_t n_state = policy_state_size(p), n_action = policy_action_size(p);

    for (size_t i = 0; i < n_state + n_action; i++) {
        bool state = i < n_state;

        if (state)
            policy_state_field(p, i, &fields[i]);
        else
            policy_action_field(p, i - n_state, layer_name, &ln, &fields[i]);
        rows[i] = (struct db_sample_field_row){
            .device = run_device_name(a, d),
            .model = a->models[m].name,
            .kind = state ? "state" : "action",
            .field = (uint32_t)(state ? i : i - n_state),
            .name = fields[i].name,
            .unit = fields[i].unit,
            .description = fields[i].description,
        };
    }
    return n_state + n_action;
}

enum core_rc run_record_sample_fields(const struct run_assembly *a, struct db *db,
                                      int64_t run_id, struct core_err *e)
{
    enum core_rc rc = CORE_OK;

    for (size_t d = 0; rc == CORE_OK && d < a->n_devices; d++)
        for (size_t m = 0; rc == CORE_OK && m < a->n_models; m++) {
            const struct compute_problem *p = a->problem_of[d * a->n_models + m];
            size_t n;
            struct policy_field *fields;
            struct db_sample_field_row *rows;

            if (!p)
                continue;
            n = policy_state_size(p) + policy_action_size(p);
            fields = core_calloc(n, sizeof(*fields));
            rows = core_calloc(n, sizeof(*rows));
            if (!fields || !rows)
                rc = core_err(e, CORE_E_NOMEM, "out of memory describing the samples");
            else
                rc = db_insert_sample_fields(db, run_id, rows,
                                             problem_fields(a, d, m, fields, rows), e);
            core_free(fields);
            core_free(rows);
        }
    return rc;
}

/* Append text of len bytes to the sinks' text buffer; false when out of memory. */
static bool text_add(struct run_sinks *s, const char *text, size_t len)
{
    if (s->n_text + len + 1 > s->cap_text) {
        size_t cap = s->cap_text ? 2 * s->cap_text : 65536;
        char *p;

        while (cap < s->n_text + len + 1)
            cap *= 2;
        p = core_realloc(s->text, cap);
        if (!p)
            return false;
        s->text = p;
        s->cap_text = cap;
    }
    memcpy(s->text + s->n_text, text, len);
    s->n_text += len;
    s->text[s->n_text] = '\0';
    return true;
}

/* Append field i's number x (a comma before all but the first); false
 * when out of memory. The buffer stays NUL-terminated. */
static bool add_number(struct run_sinks *s, size_t i, double x)
{
    char num[CORE_NUM_TEXT_MAX + 1];
    size_t len = 0;

    if (i)
        num[len++] = ',';
    len += core_num_text(x, num + len);
    return text_add(s, num, len);
}

/* Encode outcome o's state and action into the text buffer: the offsets
 * of each; false when out of memory. */
static bool encode(struct run_sinks *s, const struct proto_outcome *o, size_t *state_at,
                   size_t *action_at)
{
    const struct compute_problem *p = o->problem;
    const struct compute_decision req = {
        .kind = COMPUTE_DECIDE_INITIAL,
        .problem = p,
        .state = o->state,
        .inference_id = o->inference_id,
        .ue = o->ue_id,
        .cell = o->cell_id,
        .device = o->device,
        .model = o->model,
        .workload = o->workload,
        .deadline_s = o->deadline_s,
        .ue_load = o->ue_load,
        .battery_j = o->battery_j,
        .ul_sinr_db = o->ul_sinr_db,
        .window = o->window,
    };
    float state[POLICY_STATE_MAX];
    int32_t action[COMPUTE_PLAN_MAX_LAYERS];
    size_t n_state = policy_state_size(p), n_action = policy_action_size(p);

    CORE_ASSERT(n_state <= POLICY_STATE_MAX);
    policy_state_encode(&req, state);
    policy_action_encode(p, &o->plan_decided, action);
    *state_at = s->n_text;
    for (size_t i = 0; i < n_state; i++)
        if (!add_number(s, i, (double)state[i]))
            return false;
    s->n_text++; /* keep the NUL text_add wrote */
    *action_at = s->n_text;
    for (size_t i = 0; i < n_action; i++)
        if (!add_number(s, i, (double)action[i]))
            return false;
    s->n_text++;
    return true;
}

enum core_rc run_samples_write(struct run_sinks *s, const struct proto_outcome *rows, size_t n,
                               struct core_err *e)
{
    size_t n_rows = 0;
    enum core_rc rc;

    s->n_text = 0;
    if (s->cap_rows < n) {
        struct db_sample_row *p = core_realloc(s->sample_rows, n * sizeof(*p));
        size_t *q = core_realloc(s->sample_at, 2 * n * sizeof(*q));

        if (p)
            s->sample_rows = p;
        if (q)
            s->sample_at = q;
        if (!p || !q)
            return core_err(e, CORE_E_NOMEM, "out of memory writing the samples");
        s->cap_rows = n;
    }
    for (size_t i = 0; i < n; i++) {
        const struct proto_outcome *o = &rows[i];

        if (!o->finished || o->plan_decided.n_layers == 0 || o->plan_decided.exit != 0)
            continue; /* the action encoding has no exits: a plan ending at one is no sample */
        if (!encode(s, o, &s->sample_at[2 * n_rows], &s->sample_at[2 * n_rows + 1]))
            return core_err(e, CORE_E_NOMEM, "out of memory writing the samples");
        s->sample_rows[n_rows++] = (struct db_sample_row){
            .inference_id = o->inference_id,
            .ue_id = o->ue_id,
            .device = run_device_name(s->assembly, o->device),
            .model = s->model_names[o->model],
            .reward = o->reward,
            .window_reward = o->window.reward,
        };
    }
    /* The text buffer may have moved while it grew: point into it now. */
    for (size_t k = 0; k < n_rows; k++) {
        s->sample_rows[k].state = s->text + s->sample_at[2 * k];
        s->sample_rows[k].action = s->text + s->sample_at[2 * k + 1];
    }
    rc = n_rows ? db_insert_samples(s->db, s->run_id, s->sample_rows, n_rows, e) : CORE_OK;
    return rc;
}

size_t run_sample_fields(const char *text)
{
    size_t n = 1;

    for (const char *c = text; *c; c++)
        n += *c == ',';
    return n;
}

bool run_sample_numbers(const char *text, size_t n, float *fout, int32_t *iout)
{
    const char *s = text;

    for (size_t i = 0; i < n; i++) {
        char *end;
        double x;

        errno = 0;
        x = strtod(s, &end);
        if (end == s || errno == ERANGE || !isfinite(x))
            return false;
        if (fout) {
            fout[i] = (float)x;
        } else {
            if (x != floor(x) || x < INT32_MIN || x > INT32_MAX)
                return false;
            iout[i] = (int32_t)x;
        }
        s = end;
        if (i + 1 < n) {
            if (*s != ',')
                return false;
            s++;
        }
    }
    return *s == '\0';
}
