/*
 * model_file.c — model files in: a DNN described in XML, built through sim/nn.
 *
 * The file is read and validated against models/schema.xsd (xml_load.c),
 * then each <layer> is turned into one nn_model_add call in file order, so
 * the file's order is the model's topological order and every error of the
 * graph builder (unknown input, shapes that do not fit, a duplicate name) is
 * reported at the line of the layer that caused it. The structure:
 *
 *   <model name=".." weights="..">     both optional
 *     <description>..</description>    optional
 *     <input channels=".." height=".." width=".." batch=".."/>
 *     <layer name=".." type=".." inputs=".." out-channels=".." kernel=".."
 *            kernel-w=".." stride=".." pad=".." groups=".." bias=".."
 *            activation=".." eps=".." ceil-mode=".." offset=".."/>  one or more
 *     <exit name=".." after=".." loss-weight="..">   any number, among the layers
 *       <layer .../>                                 one or more: the branch
 *     </exit>
 *   </model>
 *
 * A layer reads the layer above it (the model input for the first) unless
 * inputs names others; "input" names the model input. Which attributes a
 * layer type takes is the table attrs_of below; the XSD cannot say it (one
 * <layer> element serves every type), so it is checked here. Sizes are
 * element counts. A weights path is taken from the model file's directory
 * when relative.
 *
 * An <exit> is an early exit (nn.h, nn_exits): its layers build a branch
 * model of their own whose input ("input" inside the branch) is the output
 * of the main layer named after, which must be above the exit. Exits are
 * built once the whole main model is, so that the main model is the same
 * with or without them; a weights file then holds the branches' tensors
 * too (nn_weights_load_exits). Loading without asking for the exits still
 * builds and checks them, and drops them.
 */
#include "io/io.h"
#include "io/io_int.h"
#include "nn/nn.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

static const struct io_xml_kind model_kind = {"model", "models", "COINFER_MODEL_SCHEMA_DIR",
                                              NULL,
                                             "model file", CORE_FILE_MAX_MODEL,
                                             IO_MODEL_MAX_LAYERS + 16};

/* The attributes of <layer> that depend on its type, as bits. */
enum {
    A_OUT = 1 << 0,    /* out-channels */
    A_KERNEL = 1 << 1, /* kernel, kernel-w, stride, pad */
    A_GROUPS = 1 << 2, /* groups */
    A_BIAS = 1 << 3,   /* bias, activation */
    A_EPS = 1 << 4,    /* eps */
    A_CEIL = 1 << 5,   /* ceil-mode */
    A_OFFSET = 1 << 6, /* offset */
};

/* Which attribute groups each op takes; required: out-channels where A_OUT,
 * kernel where A_KERNEL (slice takes out-channels as its channel count). */
static const unsigned attrs_of[] = {
    [NN_OP_CONV2D] = A_OUT | A_KERNEL | A_GROUPS | A_BIAS,
    [NN_OP_FC] = A_OUT | A_BIAS,
    [NN_OP_BATCHNORM] = A_EPS,
    [NN_OP_RELU] = 0,
    [NN_OP_RELU6] = 0,
    [NN_OP_MAXPOOL] = A_KERNEL | A_CEIL,
    [NN_OP_AVGPOOL] = A_KERNEL,
    [NN_OP_GAP] = 0,
    [NN_OP_ADD] = 0,
    [NN_OP_CONCAT] = 0,
    [NN_OP_FLATTEN] = 0,
    [NN_OP_SOFTMAX] = 0,
    [NN_OP_DROPOUT] = 0,
    [NN_OP_SIGMOID] = 0,
    [NN_OP_HARDSIGMOID] = 0,
    [NN_OP_HARDSWISH] = 0,
    [NN_OP_SILU] = 0,
    [NN_OP_MUL] = 0,
    [NN_OP_SLICE] = A_OUT | A_OFFSET,
    [NN_OP_SHUFFLE] = A_GROUPS,
};
static_assert(ARRAY_LEN(attrs_of) == NN_OP_COUNT, "one attribute set per enum nn_op");

static const struct {
    const char *name; /* attribute */
    unsigned group;   /* its bit in attrs_of; 0: every type */
} layer_attrs[] = {
    {"name", 0},
    {"type", 0},
    {"inputs", 0},
    {"out-channels", A_OUT},
    {"kernel", A_KERNEL},
    {"kernel-w", A_KERNEL},
    {"stride", A_KERNEL},
    {"pad", A_KERNEL},
    {"groups", A_GROUPS},
    {"bias", A_BIAS},
    {"activation", A_BIAS},
    {"eps", A_EPS},
    {"ceil-mode", A_CEIL},
    {"offset", A_OFFSET},
};

/* Building state. */
struct builder {
    const char *path;   /* the model file */
    struct nn_model *m; /* model being built (the main model or a branch) */
    struct core_err *e; /* where errors go */
    long *lines;        /* line of each layer added (n_layers entries) */
    size_t cap;         /* room in lines[] */
    struct nn_exits *exits; /* the main model's exits as they are built */
};

static bool is_element(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Attribute name of node as a new string (xmlFree it), or NULL if absent. */
static char *attr(xmlNodePtr node, const char *name)
{
    return (char *)xmlGetProp(node, (const xmlChar *)name);
}

/* An element-count attribute (the XSD checked its syntax): *out keeps its
 * value when the attribute is absent. */
static enum core_rc count_attr(const struct builder *b, xmlNodePtr node, const char *name,
                               uint32_t *out)
{
    char *text = attr(node, name), *end;
    unsigned long long v;

    if (text == NULL)
        return CORE_OK;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || v > UINT32_MAX) {
        enum core_rc rc = core_err(b->e, CORE_E_INPUT,
                                   "%s:%ld: element '%s': attribute '%s': '%s' is too large "
                                   "(at most %u)",
                                   b->path, io_xml_node_line(node), (const char *)node->name, name,
                                   text, UINT32_MAX);
        xmlFree(text);
        return rc;
    }
    xmlFree(text);
    *out = (uint32_t)v;
    return CORE_OK;
}

/* The layer's inputs: the names in inputs="..." or the layer above. */
static enum core_rc layer_inputs(struct builder *b, xmlNodePtr node, const char *lname, int *inputs,
                                 size_t *n)
{
    char *text = attr(node, "inputs"), *save = NULL;
    enum core_rc rc = CORE_OK;

    *n = 0;
    if (text == NULL) {
        inputs[(*n)++] = (int)nn_model_n_layers(b->m) - 1;
        return CORE_OK;
    }
    for (char *tok = strtok_r(text, " \t\r\n", &save); tok != NULL;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        int index;

        CORE_ASSERT(*n < NN_MAX_INPUTS); /* the XSD allows at most 8 names */
        if (strcmp(tok, "input") == 0) {
            index = NN_INPUT;
        } else if (!nn_model_find_layer(b->m, tok, &index)) {
            rc = core_err(b->e, CORE_E_INPUT,
                          "%s:%ld: layer '%s': unknown input '%s' (not \"input\" nor a layer "
                          "above this one)",
                          b->path, io_xml_node_line(node), lname, tok);
            break;
        }
        inputs[(*n)++] = index;
    }
    xmlFree(text);
    return rc;
}

/* Every attribute of node is known and taken by its type; the required
 * ones are there. */
static enum core_rc check_layer_attrs(const struct builder *b, xmlNodePtr node, enum nn_op op,
                                      const char *lname)
{
    const unsigned take = attrs_of[op];
    const long line = io_xml_node_line(node);

    for (xmlAttrPtr a = node->properties; a != NULL; a = a->next) {
        for (size_t i = 0; i < ARRAY_LEN(layer_attrs); i++) {
            if (strcmp((const char *)a->name, layer_attrs[i].name) != 0)
                continue;
            if (layer_attrs[i].group != 0 && !(take & layer_attrs[i].group))
                return core_err(b->e, CORE_E_INPUT,
                                "%s:%ld: layer '%s' (%s): attribute '%s' does not apply to %s "
                                "layers",
                                b->path, line, lname, nn_op_name(op), layer_attrs[i].name,
                                nn_op_name(op));
        }
    }
    if ((take & A_OUT) && !xmlHasProp(node, (const xmlChar *)"out-channels"))
        return core_err(b->e, CORE_E_INPUT,
                        "%s:%ld: layer '%s' (%s): attribute 'out-channels' is required", b->path,
                        line, lname, nn_op_name(op));
    if ((take & A_KERNEL) && !xmlHasProp(node, (const xmlChar *)"kernel"))
        return core_err(b->e, CORE_E_INPUT,
                        "%s:%ld: layer '%s' (%s): attribute 'kernel' is required", b->path, line,
                        lname, nn_op_name(op));
    return CORE_OK;
}

/* The op named text (the XSD allows only op names). */
static enum nn_op op_named(const char *text)
{
    enum nn_op op = NN_OP_COUNT;

    if (!nn_op_find(text, &op))
        CORE_ASSERT(!"layer type outside the schema's enumeration");
    return op;
}

/* The parameters of <layer> node into *p. */
static enum core_rc layer_params(const struct builder *b, xmlNodePtr node, enum nn_op op,
                                 struct nn_params *p)
{
    char *text;
    enum core_rc rc = CORE_OK;

    memset(p, 0, sizeof(*p));
    p->bias = (attrs_of[op] & A_BIAS) != 0;
    rc = count_attr(b, node, "out-channels", &p->out_channels);
    if (rc == CORE_OK)
        rc = count_attr(b, node, "kernel", &p->kernel_h);
    if (rc == CORE_OK)
        rc = count_attr(b, node, "kernel-w", &p->kernel_w);
    if (rc == CORE_OK)
        rc = count_attr(b, node, "stride", &p->stride);
    if (rc == CORE_OK)
        rc = count_attr(b, node, "pad", &p->pad);
    if (rc == CORE_OK)
        rc = count_attr(b, node, "groups", &p->groups);
    if (rc == CORE_OK)
        rc = count_attr(b, node, "offset", &p->offset);
    if (rc != CORE_OK)
        return rc;
    if ((text = attr(node, "bias")) != NULL) {
        /* xs:boolean: true, false, 1 or 0, with white space around it. */
        p->bias = strpbrk(text, "t1") != NULL;
        xmlFree(text);
    }
    if ((text = attr(node, "ceil-mode")) != NULL) {
        p->ceil = strpbrk(text, "t1") != NULL;
        xmlFree(text);
    }
    if ((text = attr(node, "activation")) != NULL) {
        /* The XSD allows only nn_act_name's names. */
        for (int a = 0; a < NN_ACT_COUNT; a++)
            if (strcmp(text, nn_act_name((enum nn_act)a)) == 0)
                p->act = (enum nn_act)a;
        xmlFree(text);
    }
    if ((text = attr(node, "eps")) != NULL) {
        const float eps = (float)strtod(text, NULL);
        if (!(isfinite(eps) && eps > 0.0f))
            rc = core_err(b->e, CORE_E_INPUT,
                          "%s:%ld: element 'layer': attribute 'eps': '%s' is not a positive "
                          "finite float32 number",
                          b->path, io_xml_node_line(node), text);
        p->eps = eps;
        xmlFree(text);
    }
    return rc;
}

/* One <layer> into the model. */
static enum core_rc add_layer(struct builder *b, xmlNodePtr node)
{
    char *type = attr(node, "type"), *name = attr(node, "name"), lname[NN_NAME_MAX + 16];
    const long line = io_xml_node_line(node);
    const size_t index = nn_model_n_layers(b->m);
    int inputs[NN_MAX_INPUTS];
    struct nn_params p;
    struct core_err why;
    size_t n_inputs = 0;
    enum nn_op op;
    enum core_rc rc;

    CORE_ASSERT(type != NULL); /* required by the XSD */
    op = op_named(type);
    xmlFree(type);
    if (name != NULL)
        snprintf(lname, sizeof(lname), "%s", name);
    else
        snprintf(lname, sizeof(lname), "%s%zu", nn_op_name(op), index);
    if (name != NULL && strcmp(name, "input") == 0) {
        rc = core_err(b->e, CORE_E_INPUT,
                      "%s:%ld: layer 'input': the name \"input\" is reserved for the model input",
                      b->path, line);
        goto out_free_name;
    }
    rc = check_layer_attrs(b, node, op, lname);
    if (rc == CORE_OK)
        rc = layer_params(b, node, op, &p);
    if (rc == CORE_OK)
        rc = layer_inputs(b, node, lname, inputs, &n_inputs);
    if (rc != CORE_OK)
        goto out_free_name;
    if (index == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        long *grown = core_realloc(b->lines, cap * sizeof(*grown));
        if (grown == NULL) {
            rc = core_err(b->e, CORE_E_NOMEM, "%s:%ld: out of memory", b->path, line);
            goto out_free_name;
        }
        b->lines = grown;
        b->cap = cap;
    }
    core_err_clear(&why);
    rc = nn_model_add(b->m, op, &p, inputs, n_inputs, name, NULL, &why);
    if (rc != CORE_OK)
        rc = core_err(b->e, rc, "%s:%ld: %s", b->path, line, why.msg);
    else
        b->lines[index] = line;
out_free_name:
    xmlFree(name);
    return rc;
}

/* Every layer but the last is read by a later one (nn_model_finalize checks
 * it too, but without the line). */
static enum core_rc check_all_used(const struct builder *b)
{
    const size_t n = nn_model_n_layers(b->m);
    enum core_rc rc = CORE_OK;
    bool *used = core_calloc(n, sizeof(*used));

    if (used == NULL)
        return core_err(b->e, CORE_E_NOMEM, "%s:0: out of memory", b->path);
    for (size_t i = 0; i < n; i++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(b->m, (int)i, &n_in);
        for (size_t k = 0; k < n_in; k++) {
            if (in[k] != NN_INPUT)
                used[in[k]] = true;
        }
    }
    for (size_t i = 0; i + 1 < n && rc == CORE_OK; i++) {
        if (!used[i])
            rc = core_err(b->e, CORE_E_INPUT,
                          "%s:%ld: layer '%s': its output is never used (only the last layer, "
                          "the model output, may be unused)",
                          b->path, b->lines[i], nn_model_layer_name(b->m, (int)i));
    }
    core_free(used);
    return rc;
}

/* An <exit>'s after names a main layer above the exit (checked while the
 * main model is built, when only those exist). */
static enum core_rc note_exit(struct builder *b, xmlNodePtr node)
{
    char *name = attr(node, "name"), *after = attr(node, "after");
    enum core_rc rc = CORE_OK;
    int index;

    CORE_ASSERT(name != NULL && after != NULL); /* required by the XSD */
    if (!nn_model_find_layer(b->m, after, &index))
        rc = core_err(b->e, CORE_E_INPUT,
                      "%s:%ld: exit '%s': attribute 'after': '%s' is not a layer above the exit",
                      b->path, io_xml_node_line(node), name, after);
    xmlFree(name);
    xmlFree(after);
    return rc;
}

/* The loss-weight attribute of an <exit> (1 when absent). */
static enum core_rc exit_weight(const struct builder *b, xmlNodePtr node, const char *name,
                                double *w)
{
    char *text = attr(node, "loss-weight");
    enum core_rc rc = CORE_OK;

    *w = 1.0;
    if (text == NULL)
        return CORE_OK;
    *w = strtod(text, NULL);
    if (!(isfinite(*w) && *w >= 0.0))
        rc = core_err(b->e, CORE_E_INPUT,
                      "%s:%ld: exit '%s': attribute 'loss-weight': '%s' is not a finite number "
                      ">= 0",
                      b->path, io_xml_node_line(node), name, text);
    xmlFree(text);
    return rc;
}

/* One <exit> (noted by note_exit) into b->exits: its branch built layer by
 * layer on the attach point's shape, then checked against the model. */
static enum core_rc add_exit(struct builder *b, xmlNodePtr node)
{
    const long line = io_xml_node_line(node);
    char *name = attr(node, "name"), *after = attr(node, "after");
    int attach = 0;
    struct nn_shape at;
    struct builder br = {b->path, NULL, b->e, NULL, 0, NULL};
    struct core_err why;
    size_t n_layers = 0;
    double w;
    enum core_rc rc;

    if (!nn_model_find_layer(b->m, after, &attach))
        CORE_ASSERT(!"note_exit found the layer");
    xmlFree(after);
    at = nn_model_shape(b->m, attach);
    rc = exit_weight(b, node, name, &w);
    core_err_clear(&why);
    if (rc == CORE_OK && nn_model_create(&at, &br.m, &why) != CORE_OK)
        rc = core_err(b->e, CORE_E_NOMEM, "%s:%ld: exit '%s': %s", b->path, line, name,
                      why.msg);
    for (xmlNodePtr n = node->children; n != NULL && rc == CORE_OK; n = n->next) {
        if (!is_element(n, "layer"))
            continue;
        if (++n_layers > IO_MODEL_MAX_LAYERS)
            rc = core_err(b->e, CORE_E_INPUT,
                          "%s:%ld: exit '%s': a branch may have at most %d layers", b->path,
                          io_xml_node_line(n), name, IO_MODEL_MAX_LAYERS);
        else
            rc = add_layer(&br, n);
    }
    if (rc == CORE_OK)
        rc = check_all_used(&br);
    if (rc == CORE_OK) {
        rc = nn_exits_add(b->exits, b->m, name, attach, w, br.m, &why);
        if (rc == CORE_OK)
            br.m = NULL;
        else
            rc = core_err(b->e, rc, "%s:%ld: %s", b->path, line, why.msg);
    }
    nn_model_destroy(br.m);
    core_free(br.lines);
    xmlFree(name);
    return rc;
}

/* The model described by doc, not finalized, into b->m. */
static enum core_rc build(struct builder *b, xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), input = NULL;
    struct nn_shape shape = {1, 0, 0, 0};
    struct core_err why;
    size_t n_layers = 0;
    enum core_rc rc;

    for (xmlNodePtr n = root->children; n != NULL && input == NULL; n = n->next) {
        if (is_element(n, "input"))
            input = n;
    }
    CORE_ASSERT(input != NULL); /* required by the XSD */
    rc = count_attr(b, input, "batch", &shape.n);
    if (rc == CORE_OK)
        rc = count_attr(b, input, "channels", &shape.c);
    if (rc == CORE_OK)
        rc = count_attr(b, input, "height", &shape.h);
    if (rc == CORE_OK)
        rc = count_attr(b, input, "width", &shape.w);
    if (rc != CORE_OK)
        return rc;
    core_err_clear(&why);
    rc = nn_model_create(&shape, &b->m, &why);
    if (rc != CORE_OK)
        return core_err(b->e, rc, "%s:%ld: element 'input': %s", b->path, io_xml_node_line(input),
                        why.msg);
    for (xmlNodePtr n = root->children; n != NULL && rc == CORE_OK; n = n->next) {
        if (is_element(n, "exit"))
            rc = note_exit(b, n);
        if (!is_element(n, "layer"))
            continue;
        if (++n_layers > IO_MODEL_MAX_LAYERS)
            return core_err(b->e, CORE_E_INPUT,
                            "%s:%ld: layer %zu: a model may have at most %d layers (the limit; "
                            "see README, Reliability)",
                            b->path, io_xml_node_line(n), n_layers, IO_MODEL_MAX_LAYERS);
        rc = add_layer(b, n);
    }
    if (rc == CORE_OK)
        rc = check_all_used(b);
    for (xmlNodePtr n = root->children; n != NULL && rc == CORE_OK; n = n->next)
        if (is_element(n, "exit"))
            rc = add_exit(b, n);
    return rc;
}

/* The weights attribute of the root resolved against the model file's
 * directory into buf; false when there is none. */
static bool weights_path(const char *path, xmlNodePtr root, char *buf, size_t size)
{
    char *w = attr(root, "weights");
    const char *slash = strrchr(path, '/');

    if (w == NULL)
        return false;
    if (w[0] == '/' || slash == NULL)
        snprintf(buf, size, "%s", w);
    else
        snprintf(buf, size, "%.*s/%s", (int)(slash - path), path, w);
    xmlFree(w);
    return true;
}

/* Load the file; with finalize, also finalize the model with seed and load
 * its weights file, else only check the weights file against the model
 * (unless skip_weights: the graph alone). */
/* Load the file; with finalize, also finalize the model (and its exits)
 * with seed and load its weights file, else only check the weights file
 * against the model (unless skip_weights: the graph alone). The exits go to
 * *exits when it is not NULL (empty before), else they are dropped. */
static enum core_rc load_file(const char *path, bool finalize, bool skip_weights, uint64_t seed,
                              struct nn_model **out, struct nn_exits *exits, struct core_err *e)
{
    struct nn_exits x = {0};
    struct builder b = {path, NULL, e, NULL, 0, &x};
    char sha256[65], wpath[PATH_MAX];
    struct core_err why;
    xmlDocPtr doc;
    xmlNodePtr root;
    enum core_rc rc;

    *out = NULL;
    rc = io_xml_load(path, &model_kind, &doc, sha256, e);
    if (rc != CORE_OK)
        return rc;
    root = xmlDocGetRootElement(doc);
    rc = build(&b, doc);
    if (rc != CORE_OK)
        goto out_fail;
    core_err_clear(&why);
    if (finalize) {
        rc = nn_model_finalize(b.m, seed, &why);
        if (rc == CORE_OK)
            rc = nn_exits_finalize(&x, seed, &why);
        if (rc != CORE_OK) {
            rc = core_err(e, rc, "%s:0: %s", path, why.msg);
            goto out_fail;
        }
    }
    if (!skip_weights && weights_path(path, root, wpath, sizeof(wpath))) {
        rc = finalize ? nn_weights_load_exits(b.m, &x, wpath, &why)
                      : nn_weights_check_exits(b.m, &x, wpath, &why);
        if (rc != CORE_OK) {
            rc = core_err(e, rc, "%s:%ld: element 'model': attribute 'weights': %s", path,
                          io_xml_node_line(root), why.msg);
            goto out_fail;
        }
    }
    *out = b.m;
    b.m = NULL;
    if (exits != NULL) {
        *exits = x;
        x = (struct nn_exits){0};
    }
out_fail:
    nn_exits_fini(&x);
    nn_model_destroy(b.m);
    core_free(b.lines);
    xmlFreeDoc(doc);
    return rc;
}

static enum core_rc load(const char *path, bool finalize, uint64_t seed, struct nn_model **out,
                         struct core_err *e)
{
    return load_file(path, finalize, false, seed, out, NULL, e);
}

enum core_rc io_model_load_graph(const char *path, struct nn_model **out, struct core_err *e)
{
    return load_file(path, false, true, 0, out, NULL, e);
}

enum core_rc io_model_load_graph_exits(const char *path, struct nn_model **out,
                                       struct nn_exits *exits, struct core_err *e)
{
    return load_file(path, false, true, 0, out, exits, e);
}

enum core_rc io_model_load_exits(const char *path, uint64_t seed, struct nn_model **out,
                                 struct nn_exits *exits, struct core_err *e)
{
    return load_file(path, true, false, seed, out, exits, e);
}

enum core_rc io_model_load(const char *path, uint64_t seed, struct nn_model **out,
                           struct core_err *e)
{
    return load(path, true, seed, out, e);
}

enum core_rc io_model_load_shapes(const char *path, struct nn_model **out, struct core_err *e)
{
    return load(path, false, 0, out, e);
}

enum core_rc io_model_validate(const char *path, struct core_err *e)
{
    struct nn_model *m;
    enum core_rc rc = load(path, false, 0, &m, e);

    nn_model_destroy(m);
    return rc;
}
