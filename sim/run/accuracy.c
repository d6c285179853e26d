/*
 * accuracy.c — a scenario model's accuracy data on its problems (issue 12:
 * accuracy as a decision variable): the encodings an accuracy file
 * (io_accuracy_load: what `coinfer accuracy` measured for the model's
 * weights) names become the problem's encodings (compute.h, "Encodings and
 * accuracy"), each layer's output and the model input priced at that
 * encoding's bytes (nn_encoding_bytes), and each measured split's accuracy
 * put on the problem prefix that runs the same layers.
 *
 * Splits. A row's split k is a prefix of the model's layer order (the
 * device runs layers 0..k-1, nn_model_cut_prefixes); problem prefix g (its
 * problem layers 0..g-1, proto_layers' groups) runs the nn layers whose
 * group is below g, which is that prefix when they are layers 0..k-1. A
 * row's split may also be a cut that is no prefix (`coinfer accuracy --cuts
 * all`: a DAG cut across branches, the device's nn layers listed): it must
 * hold whole groups, closed under predecessors, and becomes the problem's
 * measured cut of those groups (compute_problem_cut_accuracy; a prefix of
 * the problem's order when the groups are its first ones). Every row must
 * fall on such a cut, and the bytes it says one inference sends must be
 * what the problem's tensors send there under its encoding: a file
 * measured on another model is refused, naming its line. (Under fp32 the
 * model input is left out of that check: the problem sends it as the UE
 * holds it, input-element bytes an element, where `coinfer accuracy` counts
 * float32.)
 *
 * Exits (<model exits="on">). The accuracy file's exit lines (what
 * `coinfer accuracy --exits` printed, appended to it) give each exit's
 * accuracy when every input leaves there; each of the model file's exits
 * must have one, at the same attach point, and becomes an exit of every
 * problem of the model (proto_problem_exit_add). The file's sections per
 * exit (what `coinfer accuracy` printed for a model file with exits: the
 * plans that cut before the exit, or inside its branch, and end there) put
 * their lossy encodings' accuracy on the exit's right-sized problem: a
 * row's split counts the exit model's layers the device runs (nn_exit_model:
 * the layers the attach point needs in layer order, then the branch's),
 * which must be whole problem layers of the right-sized problem (its kept
 * problem layers in order, then the branch's groups), and send the bytes
 * that problem's tensors send there. Without such rows a lossy encoding at
 * an exit has no accuracy, and joint and oracle send fp32 there.
 */
#include "run/run_int.h"

#include <stdio.h>
#include <string.h>

#include "io/io.h"
#include "nn/nn.h"

/* Problem prefix g's nn split: the count of nn layers in groups below g
 * when they are the first ones, else -1. */
static long nn_split_of(const struct proto_layers *ml, size_t g)
{
    size_t k = 0;

    for (size_t i = 0; i < ml->n; i++)
        k += ml->group_of[i] < g;
    for (size_t i = 0; i < k; i++)
        if (ml->group_of[i] >= g)
            return -1;
    return (long)k;
}

/* Bytes crossing from the problem layers in[] (the UE's) to the rest under
 * encoding en: every tensor made in it (or the model input) read outside
 * it; *input whether the model input is among them. */
static double cut_bytes(const struct compute_problem *p, const bool *in, uint32_t en, bool *input)
{
    bool read_after[COMPUTE_PLAN_MAX_LAYERS + 1] = {false};
    double sum = 0;

    for (size_t i = 0; i < p->n_layers; i++)
        if (!in[i])
            for (uint32_t j = 0; j < p->layers[i].n_inputs; j++)
                read_after[1 + p->layers[i].inputs[j]] = true;
    *input = read_after[0];
    for (size_t t = 0; t <= p->n_layers; t++)
        if (read_after[t] && (t == 0 || in[t - 1]))
            sum += compute_problem_tensor_bytes(p, en, t);
    return sum;
}

/* The problem layers of a row's cut that is no prefix (row->cut) in in[],
 * checked: whole groups, closed under predecessors, the last left out. */
static enum core_rc cut_groups(const struct io_accuracy_row *row, const char *path,
                               const struct proto_layers *ml, const struct compute_problem *p,
                               bool *in, struct core_err *e)
{
    bool *member = core_calloc(ml->n, sizeof(*member));
    enum core_rc rc = CORE_OK;

    if (!member)
        return core_err(e, CORE_E_NOMEM, "out of memory for a cut");
    if (!io_accuracy_cut_parse(row->cut, ml->n, member)) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%d: split %s names layers beyond this model's %zu: measured on "
                      "another model?", path, row->line, row->cut, ml->n);
        goto out;
    }
    for (size_t g = 0; g < p->n_layers; g++)
        in[g] = member[ml->last[g]];
    for (size_t i = 0; i < ml->n; i++)
        if (member[i] != in[ml->group_of[i]]) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%d: split %s cuts through a problem layer (layers grouped as the "
                          "policies see them): measured on another model?",
                          path, row->line, row->cut);
            goto out;
        }
    for (size_t g = 0; g < p->n_layers && rc == CORE_OK; g++)
        for (uint32_t j = 0; in[g] && j < p->layers[g].n_inputs; j++)
            if (p->layers[g].inputs[j] >= 0 && !in[p->layers[g].inputs[j]]) {
                rc = core_err(e, CORE_E_INPUT,
                              "%s:%d: split %s is no cut of this model (a layer on the device "
                              "reads one that is not): measured on another model?",
                              path, row->line, row->cut);
                break;
            }
    if (rc == CORE_OK && in[p->n_layers - 1])
        rc = core_err(e, CORE_E_INPUT, "%s:%d: split %s leaves nothing to the edge", path,
                      row->line, row->cut);
out:
    core_free(member);
    return rc;
}

enum core_rc run_accuracy_attach(const struct io_accuracy *acc, const char *path,
                                 const struct nn_model *m, const struct proto_layers *ml,
                                 const char *fixed, struct compute_problem *p,
                                 struct core_err *e)
{
    struct nn_encoding encs[COMPUTE_PLAN_MAX_ENCODINGS], want;
    char text[32];
    size_t n = 1;
    long splits[COMPUTE_PLAN_MAX_LAYERS];
    enum core_rc rc;

    encs[0].kind = NN_ENC_FP32;
    encs[0].topk_fraction = 0;
    for (size_t r = 0; r < acc->n_rows; r++) {
        struct nn_encoding en;
        size_t k;

        if (!nn_encoding_parse(acc->rows[r].encoding, &en))
            return core_err(e, CORE_E_INPUT,
                            "%s:%d: unknown encoding '%s' (fp32, fp16, int8, int4, topk:F)", path,
                            acc->rows[r].line, acc->rows[r].encoding);
        for (k = 0; k < n; k++)
            if (encs[k].kind == en.kind &&
                (en.kind != NN_ENC_TOPK || encs[k].topk_fraction == en.topk_fraction))
                break;
        if (k < n)
            continue;
        if (n == COMPUTE_PLAN_MAX_ENCODINGS)
            return core_err(e, CORE_E_INPUT, "%s:%d: more than %d encodings besides fp32", path,
                            acc->rows[r].line, COMPUTE_PLAN_MAX_ENCODINGS - 1);
        encs[n++] = en;
    }
    if (n < 2)
        return core_err(e, CORE_E_INPUT, "%s: no encoding but fp32: nothing to choose", path);
    rc = compute_problem_encodings_init(p, n, e);
    if (rc != CORE_OK)
        return rc;
    p->accuracy = acc->whole;
    for (size_t k = 0; k < n; k++) {
        struct compute_encoding *ce = &p->encodings[k];

        nn_encoding_text(&encs[k], ce->name, sizeof(ce->name));
        if (k == 0)
            continue;
        ce->tensor_bytes[0] = (double)nn_encoding_bytes(
            &encs[k], nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float));
        for (size_t g = 0; g < p->n_layers; g++)
            ce->tensor_bytes[1 + g] = (double)nn_encoding_bytes(
                &encs[k], nn_model_tensor_bytes(m, ml->last[g]) / sizeof(float));
    }
    for (size_t g = 0; g < p->n_layers; g++)
        splits[g] = nn_split_of(ml, g);
    for (size_t r = 0; r < acc->n_rows; r++) {
        const struct io_accuracy_row *row = &acc->rows[r];
        struct nn_encoding en;
        struct compute_layer_set ue = {{0}};
        bool in[COMPUTE_PLAN_MAX_LAYERS], input;
        char num[16];
        const char *split_text = row->cut ? row->cut : num;
        size_t g, k, n_in;
        double bytes;

        nn_encoding_parse(row->encoding, &en);
        for (k = 0; k < n; k++)
            if (encs[k].kind == en.kind &&
                (en.kind != NN_ENC_TOPK || encs[k].topk_fraction == en.topk_fraction))
                break;
        if (row->cut) {
            rc = cut_groups(row, path, ml, p, in, e);
            if (rc != CORE_OK)
                return rc;
            for (g = 0; g < p->n_layers; g++)
                if (in[g])
                    compute_layer_set_add(&ue, g);
            n_in = 0;
            for (g = 0; g < p->n_layers; g++)
                n_in += in[g];
        } else {
            for (g = 0; g < p->n_layers && splits[g] != (long)row->split; g++)
                continue;
            if (g == p->n_layers)
                return core_err(e, CORE_E_INPUT,
                                "%s:%d: split %u is no cut of this model's problem (its layers "
                                "grouped as the policies see them): measured on another model?",
                                path, row->line, row->split);
            for (size_t i = 0; i < p->n_layers; i++)
                in[i] = i < g;
            n_in = g;
            snprintf(num, sizeof(num), "%u", row->split);
        }
        bytes = cut_bytes(p, in, (uint32_t)k, &input);
        if ((k != 0 || !input) && bytes != (double)row->bytes)
            return core_err(e, CORE_E_INPUT,
                            "%s:%d: split %s sends %llu B under %s, but this model sends %.0f B "
                            "there: measured on another model?", path, row->line, split_text,
                            (unsigned long long)row->bytes, row->encoding, bytes);
        if (k == 0)
            continue;
        if (!row->cut || compute_layer_set_is_prefix(&ue, n_in)) {
            p->encodings[k].accuracy[n_in] = row->accuracy;
        } else {
            struct compute_cut_accuracy *ca;

            rc = compute_problem_cut_accuracy(p, &ue, &ca, e);
            if (rc != CORE_OK)
                return rc;
            ca->accuracy[k] = row->accuracy;
        }
    }
    if (!nn_encoding_parse(fixed, &want))
        return core_err(e, CORE_E_INPUT, "encoding '%s' is not fp32, fp16, int8, int4 or topk:F",
                        fixed);
    nn_encoding_text(&want, text, sizeof(text));
    for (size_t k = 0; k < n; k++)
        if (strcmp(p->encodings[k].name, text) == 0) {
            p->fixed_encoding = (uint8_t)k;
            return CORE_OK;
        }
    return core_err(e, CORE_E_INPUT, "encoding %s is not among %s's", text, path);
}

/* ---- exits ------------------------------------------------------------------- */

void run_exits_fini(struct run_exits *rx)
{
    for (size_t j = 0; rx->x && rx->bl && j < rx->x->n; j++)
        proto_layers_fini(&rx->bl[j]);
    core_free(rx->bl);
    if (rx->x)
        nn_exits_fini(rx->x);
    core_free(rx->x);
    nn_model_destroy(rx->graph);
    memset(rx, 0, sizeof(*rx));
}

enum core_rc run_exits_load(const struct io_accuracy *acc, const char *acc_path,
                            const char *model_path, struct run_exits *rx, struct core_err *e)
{
    enum core_rc rc;

    memset(rx, 0, sizeof(*rx));
    rx->x = core_calloc(1, sizeof(*rx->x));
    if (!rx->x)
        return core_err(e, CORE_E_NOMEM, "out of memory for exits");
    rc = io_model_load_graph_exits(model_path, &rx->graph, rx->x, e);
    if (rc == CORE_OK)
        rc = run_exits_match(acc, acc_path, rx->graph, rx, e);
    if (rc != CORE_OK)
        run_exits_fini(rx);
    return rc;
}

enum core_rc run_exits_match(const struct io_accuracy *acc, const char *acc_path,
                             const struct nn_model *graph, struct run_exits *rx, struct core_err *e)
{
    enum core_rc rc;

    if (acc->n_exits == 0)
        return core_err(e, CORE_E_INPUT,
                        "exits=\"on\" needs each exit's accuracy, and %s has no exit lines: "
                        "append them with `coinfer accuracy MODEL --weights W --exits >> %s`",
                        acc_path, acc_path);
    if (rx->x->n == 0)
        return core_err(e, CORE_E_INPUT, "exits=\"on\", but the model file declares no <exit>");
    if (rx->x->n > COMPUTE_PLAN_MAX_EXITS || rx->x->n > IO_ACCURACY_MAX_EXITS)
        return core_err(e, CORE_E_INPUT, "%zu exits, more than a problem offers (%d)", rx->x->n,
                        COMPUTE_PLAN_MAX_EXITS);
    rx->bl = core_calloc(rx->x->n, sizeof(*rx->bl));
    if (!rx->bl)
        return core_err(e, CORE_E_NOMEM, "out of memory for exits");
    for (size_t r = 0; r < acc->n_exit_rows; r++) {
        size_t k;

        for (k = 0; k < rx->x->n && strcmp(rx->x->v[k].name, acc->exit_rows[r].exit) != 0; k++)
            continue;
        if (k == rx->x->n)
            return core_err(e, CORE_E_INPUT,
                            "%s:%d: a cut before exit %s, which is not the "
                            "model's: measured on another model?",
                            acc_path, acc->exit_rows[r].line, acc->exit_rows[r].exit);
    }
    rx->acc = acc;
    rx->acc_path = acc_path;
    rx->main = graph;
    for (size_t j = 0; j < acc->n_exits; j++) {
        size_t k;

        for (k = 0; k < rx->x->n && strcmp(rx->x->v[k].name, acc->exits[j].name) != 0; k++)
            continue;
        if (k == rx->x->n)
            return core_err(e, CORE_E_INPUT,
                            "%s:%d: exit %s is not the model's: measured on another model?",
                            acc_path, acc->exits[j].line, acc->exits[j].name);
    }
    for (size_t k = 0; k < rx->x->n; k++) {
        const struct nn_exit *x = &rx->x->v[k];
        size_t j;

        for (j = 0; j < acc->n_exits && strcmp(x->name, acc->exits[j].name) != 0; j++)
            continue;
        if (j == acc->n_exits)
            return core_err(e, CORE_E_INPUT,
                            "%s has no line for exit %s: make its exit lines again with "
                            "`coinfer accuracy MODEL --weights W --exits`",
                            acc_path, x->name);
        if (strcmp(acc->exits[j].after, nn_model_layer_name(graph, x->attach)) != 0)
            return core_err(e, CORE_E_INPUT,
                            "%s:%d: exit %s after %s, but the model's is after %s: measured "
                            "on another model?",
                            acc_path, acc->exits[j].line, x->name, acc->exits[j].after,
                            nn_model_layer_name(graph, x->attach));
        rx->accuracy[k] = acc->exits[j].accuracy;
        rc = proto_layers_init(x->branch, &rx->bl[k], e);
        if (rc != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

/* The right-sized problem layer of each layer of exit k's model
 * (nn_exit_model's order) in qi[] (room for its layers); their count in
 * *n. */
static enum core_rc exit_model_groups(const struct run_exits *rx, size_t k,
                                      const struct proto_layers *ml, uint32_t *qi, size_t *n,
                                      struct core_err *e)
{
    const struct nn_exit *x = &rx->x->v[k];
    const struct proto_layers *bl = &rx->bl[k];
    bool *member = core_calloc(ml->n, sizeof(*member));
    bool kept[COMPUTE_PLAN_MAX_LAYERS] = {false};
    uint32_t rank[COMPUTE_PLAN_MAX_LAYERS], base = 0;

    if (!member)
        return core_err(e, CORE_E_NOMEM, "out of memory for exit %s", x->name);
    nn_exit_needed(rx->main, x->attach, member);
    for (size_t i = 0; i < ml->n; i++)
        kept[ml->group_of[i]] = kept[ml->group_of[i]] || member[i];
    for (size_t g = 0; g < ml->n_groups; g++)
        rank[g] = kept[g] ? base++ : UINT32_MAX;
    *n = 0;
    for (size_t i = 0; i < ml->n; i++)
        if (member[i])
            qi[(*n)++] = rank[ml->group_of[i]];
    for (size_t h = 0; h < bl->n; h++)
        qi[(*n)++] = base + bl->group_of[h];
    core_free(member);
    return CORE_OK;
}

/* The accuracy of the rows of exit k's section on its right-sized problem
 * q (see the file's comment). */
static enum core_rc exit_rows_attach(const struct run_exits *rx, size_t k,
                                     const struct proto_layers *ml, struct compute_problem *q,
                                     struct core_err *e)
{
    const char *path = rx->acc_path, *name = rx->x->v[k].name;
    uint32_t *qi;
    size_t n = 0;
    enum core_rc rc;

    if (!rx->acc || rx->acc->n_exit_rows == 0)
        return CORE_OK;
    qi = core_calloc(ml->n + rx->bl[k].n, sizeof(*qi));
    if (!qi)
        return core_err(e, CORE_E_NOMEM, "out of memory for exit %s", name);
    rc = exit_model_groups(rx, k, ml, qi, &n, e);
    for (size_t i = 0; rc == CORE_OK && i < n; i++)
        CORE_ASSERT(qi[i] < q->n_layers); /* q keeps the groups the attach point needs */
    for (size_t r = 0; rc == CORE_OK && r < rx->acc->n_exit_rows; r++) {
        const struct io_accuracy_row *row = &rx->acc->exit_rows[r];
        bool in[COMPUTE_PLAN_MAX_LAYERS] = {false}, input, whole = true;
        struct compute_layer_set ue = {{0}};
        struct nn_encoding en;
        char text[32];
        size_t ek, n_in = 0;
        double bytes;

        if (strcmp(row->exit, name) != 0)
            continue;
        if (row->split >= n) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%d: split %u before exit %s leaves it no layer "
                          "(its model has %zu): measured on another model?",
                          path, row->line, row->split, name, n);
            break;
        }
        ek = q->n_encodings;
        if (nn_encoding_parse(row->encoding, &en)) {
            nn_encoding_text(&en, text, sizeof(text));
            for (ek = 0; ek < q->n_encodings && strcmp(q->encodings[ek].name, text) != 0; ek++)
                continue;
        }
        if (ek == q->n_encodings) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%d: encoding '%s' before exit %s is none of the "
                          "table's",
                          path, row->line, row->encoding, name);
            break;
        }
        for (size_t i = 0; i < row->split; i++)
            in[qi[i]] = true;
        for (size_t i = row->split; i < n; i++)
            whole = whole && !in[qi[i]];
        for (size_t g = 0; whole && g < q->n_layers; g++)
            for (uint32_t j = 0; in[g] && j < q->layers[g].n_inputs; j++)
                whole = whole && (q->layers[g].inputs[j] < 0 || in[q->layers[g].inputs[j]]);
        if (!whole || in[q->n_layers - 1]) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%d: split %u before exit %s is no cut of its "
                          "problem (its layers grouped as the policies see them): measured on "
                          "another model?",
                          path, row->line, row->split, name);
            break;
        }
        for (size_t g = 0; g < q->n_layers; g++)
            if (in[g]) {
                compute_layer_set_add(&ue, g);
                n_in++;
            }
        bytes = cut_bytes(q, in, (uint32_t)ek, &input);
        if ((ek != 0 || !input) && bytes != (double)row->bytes) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%d: split %u before exit %s sends %llu B under "
                          "%s, but this model sends %.0f B there: measured on another model?",
                          path, row->line, row->split, name, (unsigned long long)row->bytes,
                          row->encoding, bytes);
            break;
        }
        if (ek == 0)
            continue;
        if (compute_layer_set_is_prefix(&ue, n_in)) {
            q->encodings[ek].accuracy[n_in] = row->accuracy;
        } else {
            struct compute_cut_accuracy *ca;

            rc = compute_problem_cut_accuracy(q, &ue, &ca, e);
            if (rc == CORE_OK)
                ca->accuracy[ek] = row->accuracy;
        }
    }
    core_free(qi);
    return rc;
}

enum core_rc run_exits_attach(const struct run_exits *rx, const struct proto_layers *ml,
                              const struct compute_cpmm *cpmm,
                              const struct proto_side_price *ue,
                              const struct proto_side_price *edge, bool truth, const char *fixed,
                              struct compute_problem *p, struct core_err *e)
{
    for (size_t k = 0; k < rx->x->n; k++) {
        enum core_rc rc = proto_problem_exit_add(cpmm, ml, &rx->x->v[k], &rx->bl[k], ue, edge,
                                                 truth, rx->accuracy[k], p, e);

        if (rc == CORE_OK)
            rc = exit_rows_attach(rx, k, ml, p->exits[p->n_exits - 1].problem, e);
        if (rc != CORE_OK)
            return rc;
    }
    if (strcmp(fixed, "none") == 0)
        return compute_problem_check(p, e);
    for (size_t k = 0; k < p->n_exits; k++)
        if (strcmp(p->exits[k].name, fixed) == 0) {
            p->fixed_exit = (uint8_t)(k + 1);
            return compute_problem_check(p, e);
        }
    return core_err(e, CORE_E_INPUT, "exit '%s' is none of the model's (none, or its <exit> "
                    "names)", fixed);
}
