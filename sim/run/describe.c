/*
 * describe.c — the rows that describe a collaborative run as it starts, so
 * that its results can be read without the scenario: each UE's device
 * class, group, serving cell and position (`ues`), and each model's
 * problem layers (`layers`): the index a plan uses, the name and op of its
 * first nn layer, every nn layer it groups (an alias or a layer folded
 * into it joins its producer: proto_layers_init) and its output's bytes.
 */
#include "run/run_int.h"

#include <string.h>

#include "nn/nn.h"

enum core_rc run_record_ues(const struct run_assembly *a, struct radio_world *radio,
                            struct db *db, int64_t run_id, struct core_err *e)
{
    size_t n = radio_world_n_ues(radio), ue = 0;
    struct db_ue_row *rows = core_calloc(n ? n : 1, sizeof(*rows));
    enum core_rc rc;

    if (!rows)
        return core_err(e, CORE_E_NOMEM, "out of memory for %zu UEs", n);
    for (size_t g = 0; g < a->radio.n_groups; g++) {
        const struct proto_group *gr = &a->collab.groups[g];
        io_node dn = io_config_child(a->cfg, IO_NODE_ROOT, IO_EL_DEVICE, gr->device);
        const struct proto_device_config *dc = io_config_data(a->cfg, dn, 0);

        for (size_t k = 0; k < gr->n_ues && ue < n; k++, ue++) {
            rows[ue].ue_id = (uint32_t)ue;
            rows[ue].device = dc->name;
            rows[ue].group = (uint32_t)g;
            rows[ue].cell_id = radio_world_serving(radio, (uint32_t)ue);
            radio_world_ue_position(radio, (uint32_t)ue, &rows[ue].x_m, &rows[ue].y_m);
        }
    }
    rc = db_insert_ues(db, run_id, rows, ue, e);
    core_free(rows);
    return rc;
}

/* The layers rows of model m into rows (room for its problem layers), the
 * nn layers' names joined into text (room for every name and a separator
 * each); their count. */
static size_t model_layers(const struct run_assembly *a, size_t m, struct db_layer_row *rows,
                           char *text)
{
    const struct nn_model *nm = a->nn_models[m];
    const uint16_t *group = a->layer_group[m];
    size_t n = nn_model_n_layers(nm), n_groups = 0;

    for (size_t i = 0; i < n; i++)
        if ((size_t)group[i] + 1 > n_groups)
            n_groups = (size_t)group[i] + 1;
    for (size_t g = 0; g < n_groups; g++) {
        struct db_layer_row *r = &rows[g];
        int last = -1;

        r->model = a->models[m].name;
        r->layer = (uint32_t)g;
        r->nn_layers = text;
        for (size_t i = 0; i < n; i++) {
            const char *name = nn_model_layer_name(nm, (int)i);
            size_t len = strlen(name);

            if (group[i] != g)
                continue;
            if (last < 0) {
                r->name = name;
                r->op = nn_op_name(nn_model_layer_op(nm, (int)i));
            } else {
                *text++ = '+';
            }
            memcpy(text, name, len);
            text += len;
            last = (int)i;
        }
        *text++ = '\0';
        r->out_bytes = (double)nn_model_tensor_bytes(nm, last);
    }
    return n_groups;
}

enum core_rc run_record_layers(const struct run_assembly *a, struct db *db, int64_t run_id,
                               struct core_err *e)
{
    enum core_rc rc = CORE_OK;

    for (size_t m = 0; rc == CORE_OK && m < a->n_models; m++) {
        const struct nn_model *nm = a->nn_models[m];
        size_t n = nn_model_n_layers(nm), bytes = 1;
        struct db_layer_row *rows;
        char *text;

        for (size_t i = 0; i < n; i++)
            bytes += strlen(nn_model_layer_name(nm, (int)i)) + 1;
        rows = core_calloc(n ? n : 1, sizeof(*rows));
        text = core_malloc(bytes);
        if (!rows || !text)
            rc = core_err(e, CORE_E_NOMEM, "out of memory describing model '%s'",
                          a->models[m].name);
        else
            rc = db_insert_layers(db, run_id, rows, model_layers(a, m, rows, text), e);
        core_free(rows);
        core_free(text);
    }
    return rc;
}
