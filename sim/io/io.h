/*
 * io.h — the whole public face of sim/io: files in.
 *
 * Scenario and model files are XML validated against their schemas
 * (scenarios/schema.xsd, models/schema.xsd; libxml2) before anything runs;
 * every error names the user's file and line. A scenario is read once into
 * a configuration tree (struct io_config) that owns every value, holds no
 * fixed maxima a user can reach, names every knob by a path, takes --set
 * overrides through the same knob tables as the file, and has a canonical
 * text whose SHA-256 identifies the configuration of a run. Only this folder
 * includes libxml2.
 */
#ifndef COINFER_IO_H
#define COINFER_IO_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"
#include "policy/policy.h"
#include "proto/proto.h"
#include "radio/radio.h"

#define IO_PATH_MAX 4096 /* a file path */

/* ======================================================================== */
/* The configuration tree (config.c)                                         */
/* ======================================================================== */

/* A tree of elements read from a file through a grammar: each node is one
 * element, its values the structs of its grammar entry's knob tables (the
 * very structs the modules declare their knobs for), defaults first. Nodes
 * are named by index (io_node); the root is node 0. */
struct io_config;
typedef uint32_t io_node;
#define IO_NODE_NONE UINT32_MAX
#define IO_NODE_ROOT ((io_node)0)
#define IO_ELEMENT_TABLES 2 /* knob tables one element may have */

/* One element kind of a grammar. */
struct io_element {
    const char *name;         /* element name in the file */
    uint16_t parent;          /* index of its parent's entry (the root: its own) */
    uint8_t n_tables;         /* knob tables its attributes fill, 0..IO_ELEMENT_TABLES */
    const struct core_knob_table *table[IO_ELEMENT_TABLES]; /* those tables (static) */
    size_t size[IO_ELEMENT_TABLES];                          /* bytes of each one's struct */
    void (*init)(void *blob);  /* fills table 0's struct before its defaults (NULL: zeros) */
    const char *key;           /* string knob naming an instance in paths ([name]); NULL */
    const char *key_fallback;  /* knob naming it when key is empty; NULL */
    /* Rewrite a knob's canonical text (a path made absolute, say); NULL: as is. */
    void (*canonical_value)(const struct io_config *c, io_node n, const char *knob, char *value,
                            size_t size);
};

/* What a scenario file describes. */
enum io_scenario_kind {
    IO_SCENARIO_QUEUE,  /* <queue>: the validation queueing model */
    IO_SCENARIO_RADIO,  /* <radio> alone: mobility, channel and transfers only */
    IO_SCENARIO_COLLAB, /* <radio> with models, devices and an edge: collaborative inference */
    IO_SCENARIO_KIND_COUNT
};

void io_config_destroy(struct io_config *c); /* NULL is a no-op */

/* The file it was read from, the SHA-256 of its bytes, what it describes. */
const char *io_config_path(const struct io_config *c);
const char *io_config_file_sha256(const struct io_config *c);
enum io_scenario_kind io_config_kind(const struct io_config *c);
/* The scenario's name (<scenario name>, else the file's base name). */
const char *io_config_name(const struct io_config *c);

/* Navigation. Children are in document order; element is an index of the
 * tree's grammar (for scenarios, enum io_element_id). */
io_node io_config_first(const struct io_config *c, io_node parent);   /* NONE: none */
io_node io_config_next(const struct io_config *c, io_node node);      /* NONE: last */
io_node io_config_parent(const struct io_config *c, io_node node);    /* NONE: root */
size_t io_config_count(const struct io_config *c, io_node parent, uint16_t element);
/* The i-th child of parent that is element, or IO_NODE_NONE. */
io_node io_config_child(const struct io_config *c, io_node parent, uint16_t element, size_t i);
/* The first child of parent that is element with key key (its key knob's
 * value, or its fallback's when that is empty), or IO_NODE_NONE. */
io_node io_config_find(const struct io_config *c, io_node parent, uint16_t element,
                       const char *key);
/* Its position among its parent's children of its element. */
size_t io_config_index(const struct io_config *c, io_node node);
/* Its key ("" when its element has none). */
const char *io_config_key(const struct io_config *c, io_node node);
uint16_t io_config_element_index(const struct io_config *c, io_node node);
const struct io_element *io_config_element(const struct io_config *c, io_node node);
/* Its line in the file (a node of defaults: its parent's line). */
long io_config_line(const struct io_config *c, io_node node);
/* The struct table `table` of its element fills (borrowed; valid while the
 * tree lives and does not grow). */
const void *io_config_data(const struct io_config *c, io_node node, size_t table);
/* Whether attribute name was written in the file or set by --set. */
bool io_config_given(const struct io_config *c, io_node node, const char *name);

/* Set one knob by path: "PATH=VALUE" where PATH is ELEMENT[/ELEMENT...]@ATTRIBUTE,
 * an element written name, name[INDEX] (from 0) or name[KEY] (its key, as
 * edge/use[gpu]@count), and VALUE as a file would write it. The same
 * parsing, units and range checks as the file; the override is recorded
 * (io_config_override) and named in later error messages about its
 * element. CORE_E_USAGE "--set PATH=VALUE: why" for a bad path or value. */
enum core_rc io_config_set(struct io_config *c, const char *assignment, struct core_err *e);
/* The knob a path (ELEMENT[/ELEMENT...]@ATTRIBUTE, as io_config_set takes
 * before '=') names in c, or NULL with why[] saying which part fails. */
const struct core_knob *io_config_knob_at(const struct io_config *c, const char *path, char *why,
                                         size_t why_size);
size_t io_config_n_overrides(const struct io_config *c);
const char *io_config_override(const struct io_config *c, size_t i); /* "PATH=VALUE" */

/* A cross-check's error about node: "FILE:LINE: element 'E': message", with
 * "(after --set PATH=VALUE)" when an override changed that element. Returns
 * CORE_E_INPUT. */
enum core_rc io_config_err(const struct io_config *c, io_node node, struct core_err *e,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The canonical text (every node in grammar order, every knob written
 * exactly in its SI unit: the same for two trees with the same values) into
 * *text_out (owned, core_free) and its SHA-256 into sha256. It is a file of
 * the same kind, which reads back to the same values. CORE_E_NOMEM. */
enum core_rc io_config_canonical(const struct io_config *c, char **text_out, char sha256[65],
                                 struct core_err *e);

/* ======================================================================== */
/* Scenario files (scenario.c, check.c)                                      */
/* ======================================================================== */

/* The elements of a scenario file (scenario.c has the grammar: parents,
 * knob tables, keys). */
enum io_element_id {
    IO_EL_SCENARIO,      /* the root: io_scenario_knobs, struct io_scenario_attrs */
    IO_EL_SIMULATION,    /* proto_sim_config */
    IO_EL_QUEUE,         /* no attributes */
    IO_EL_SERVER,        /* proto_queue_server_config */
    IO_EL_UES,           /* proto_queue_ues_config */
    IO_EL_RADIO,         /* radio_world_config (sample period; defaults elsewhere) */
    IO_EL_CARRIER,       /* radio_carrier_config */
    IO_EL_DEPLOYMENT,    /* radio_deployment_config */
    IO_EL_POWER_CONTROL, /* radio_pc_config */
    IO_EL_HANDOVER,      /* radio_handover_config */
    IO_EL_ACCESS,        /* radio_access_config */
    IO_EL_UE_POWER,      /* radio_power_model */
    IO_EL_UE_GROUP,      /* radio_ue_group_config, proto_ue_group_config */
    IO_EL_LINK,          /* radio_link_config (a ue-group's link) */
    IO_EL_POSITION,      /* io_position */
    IO_EL_WORKLOAD,      /* proto_workload_config; key: model */
    IO_EL_RESOURCE,      /* compute_resource_config; key: name */
    IO_EL_MODEL,         /* proto_model_config; key: name */
    IO_EL_DEVICE,        /* proto_device_config; key: name */
    IO_EL_DEVICE_USE,    /* proto_use_config under a device; key: name, else resource */
    IO_EL_EDGE,          /* proto_edge_config */
    IO_EL_EDGE_USE,      /* proto_use_config under the edge; key: name, else resource */
    IO_EL_PROTOCOL,      /* proto_protocol_config */
    IO_EL_OBJECTIVE,     /* proto_objective_config */
    IO_EL_REWARD,        /* proto_reward_config */
    IO_EL_EXPLORATION,   /* policy_explore_config */
    IO_EL_INFERENCE,     /* proto_inference_config */
    IO_EL_COUNT
};

/* <scenario>'s own attributes. */
struct io_scenario_attrs {
    char name[CORE_KNOB_STRING_MAX]; /* the scenario's name */
};
extern const struct core_knob_table io_scenario_knobs;

/* <position>: one UE's starting point (placement="positions"). */
struct io_position {
    double x_m; /* m */
    double y_m; /* m */
};
extern const struct core_knob_table io_position_knobs;

/* The scenario grammar, indexed by enum io_element_id. */
extern const struct io_element io_scenario_grammar[IO_EL_COUNT];

/* Where the scenario schema lives: $COINFER_SCHEMA_DIR/schema.xsd if that
 * variable is set; else ../scenarios/schema.xsd from the directory of the
 * running binary or one of its two parents (found through /proc/self/exe,
 * so build/coinfer and build/asan/coinfer find scenarios/schema.xsd of their
 * source tree); else ../share/coinfer/scenarios/schema.xsd from the binary's
 * directory (make install); else scenarios/schema.xsd from the current
 * directory. A schema that cannot be read is CORE_E_IO with
 * "SCHEMA:0: cannot open the scenario schema: ..." in e. */

/* Load the scenario file at path: validate it (XSD), read it into a tree,
 * apply sets[0..n_sets) ("PATH=VALUE", io_config_set) in order, then run
 * every cross-check (io_scenario_check). *out returned owned. Bad input:
 * CORE_E_INPUT with "FILE:LINE: message"; a bad --set CORE_E_USAGE. */
enum core_rc io_scenario_load(const char *path, const char *const *sets, size_t n_sets,
                              struct io_config **out, struct core_err *e);

/* The checks that need several values, other elements or the radio's and
 * compute's validity rules (check.c): names that resolve (a group's device,
 * a workload's model, a use's resource), unique names, side options, radio
 * checks, positions, warm-up before the end, objective weights. What needs
 * the models (layers no resource runs) is checked when the problems are
 * built. "FILE:LINE: element 'E': why". */
enum core_rc io_scenario_check(const struct io_config *c, struct core_err *e);

/* The knob of attribute attr of element (any grammar entry of that name),
 * or NULL; and the list of its attributes, comma-separated, into buf (for
 * messages). */
const struct core_knob *io_scenario_knob(const char *element, const char *attr);
void io_scenario_attributes(const char *element, char *buf, size_t size);

/* path as written in the file base_file: itself if absolute, else joined to
 * base_file's directory (how model files, weights files and the like are
 * found). */
void io_resolve_beside(const char *base_file, const char *path, char *out, size_t size);

/* Whether the file at path is a model file (its root element is <model>,
 * read up to it only; no error is reported). */
bool io_file_is_model(const char *path);

/* ======================================================================== */
/* Model files (model_file.c)                                               */
/* ======================================================================== */

struct nn_model;
struct nn_exits;

/* Where the model schema lives: $COINFER_MODEL_SCHEMA_DIR/schema.xsd if that
 * variable is set, else ../models/schema.xsd from the running binary's
 * directory or one of its two parents, else ../share/coinfer/models/ from
 * the binary's directory (make install), else models/schema.xsd. */

/* Load the model file at path (models/schema.xsd): validate it, build the
 * model layer by layer, finalize it with weights drawn from seed and, when
 * <model weights="..."> names a weights file (relative to the model file's
 * directory), load the weights from it. *out is returned owned
 * (nn_model_destroy), not folded or fused. Bad input: CORE_E_INPUT with
 * "FILE:LINE: message" in e (an unknown input name, parameters or shapes
 * that do not fit, an unused layer, a weights file that is missing or does
 * not match); CORE_E_IO when the schema cannot be read; CORE_E_NOMEM. */
enum core_rc io_model_load(const char *path, uint64_t seed, struct nn_model **out,
                           struct core_err *e);

/* Load the model file at path as io_model_load does, but leave the model
 * unfinalized: its graph, shapes and costs without weights or activations
 * (a weights file is checked against it, not read). What pricing a model
 * needs, at a fraction of the memory (VGG-16: kilobytes, not 553 MB). */
enum core_rc io_model_load_shapes(const char *path, struct nn_model **out, struct core_err *e);

/* Load the model file at path as io_model_load_shapes does, without looking
 * at its weights file at all: the graph a training run starts from (coinfer
 * train-model writes that file). */
enum core_rc io_model_load_graph(const char *path, struct nn_model **out, struct core_err *e);

/* io_model_load and io_model_load_graph that also give the model's early
 * exits (<exit> elements, nn.h's nn_exits) in *exits (empty before; the
 * caller nn_exits_fini's it): finalized and loaded from the weights file
 * with the model, or graphs only. Without exits *exits stays empty. The
 * other loaders build and check a file's exits too, then drop them. */
enum core_rc io_model_load_exits(const char *path, uint64_t seed, struct nn_model **out,
                                 struct nn_exits *exits, struct core_err *e);
enum core_rc io_model_load_graph_exits(const char *path, struct nn_model **out,
                                       struct nn_exits *exits, struct core_err *e);

/* Check the model file at path as io_model_load does (weights file
 * included) without allocating the model's weights or activations. */
enum core_rc io_model_validate(const char *path, struct core_err *e);

/* ======================================================================== */
/* Expressions: constraints between factors and filters (sweep_expr.c)       */
/* ======================================================================== */

/* The types of the expression language. */
enum io_type {
    IO_TYPE_NUMBER, /* a double, in the SI unit of its dimension */
    IO_TYPE_STRING, /* text */
    IO_TYPE_BOOL,   /* true or false */
    IO_TYPE_COUNT
};

/* One value, of the type its name declares (str borrowed). */
struct io_value {
    double num;      /* IO_TYPE_NUMBER, SI */
    bool b;          /* IO_TYPE_BOOL */
    const char *str; /* IO_TYPE_STRING */
};

/* A name an expression may use, and its type (a number also its dimension:
 * CORE_DIM_COUNT for any). */
struct io_expr_name {
    const char *name;
    enum io_type type;
    enum core_dim dim;
};

/* A parsed, typed expression (an AST). */
struct io_expr;

/* Parse text into *out (owned, io_expr_destroy): names[0..n_names) are what
 * it may name; it must be a condition (boolean). CORE_E_INPUT with why[]
 * "column N: what is wrong" (syntax, an unknown name or unit, a type or
 * dimension mismatch); CORE_E_NOMEM. The grammar is in sweep_expr.c and
 * README's "Parameter studies". */
enum core_rc io_expr_parse(const char *text, const struct io_expr_name *names, size_t n_names,
                           struct io_expr **out, char *why, size_t why_size);
void io_expr_destroy(struct io_expr *x); /* NULL is a no-op */
/* Its value on values[0..n_names) (each of its name's type). */
bool io_expr_eval(const struct io_expr *x, const struct io_value *values);
/* Whether it uses name index name. */
bool io_expr_uses(const struct io_expr *x, size_t name);

/* ======================================================================== */
/* Accuracy files (accuracy_file.c)                                          */
/* ======================================================================== */

/* What `coinfer accuracy` printed for a model's weights (its standard
 * output, kept as a file): the accuracy of each (split, encoding). */
struct io_accuracy_row {
    uint32_t split;      /* layers the device runs (in the model's layer order: a prefix, or
                            how many layers cut holds) */
    char *cut;           /* a cut that is no prefix of the layer order: the device's layers
                            as io_accuracy_cut_text writes them; NULL for a prefix (owned) */
    char encoding[32];   /* the encoding's text, as nn_encoding_text writes it */
    uint64_t bytes;      /* bytes one inference sends there, B */
    double accuracy;     /* test accuracy, 0..1 */
    int line;            /* its line in the file */
    char exit[48];       /* the exit the plan ends at (a row of an exit's section, in
                            io_accuracy.exit_rows; its split counts the exit model's layers,
                            nn_exit_model); "" for the table's rows */
};

/* An early exit's line of `coinfer accuracy --exits` (its header lines
 * `# EXIT after LAYER every image leaving here: accuracy X %, ...`): the
 * accuracy when every input leaves at that exit. */
#define IO_ACCURACY_MAX_EXITS 8
struct io_accuracy_exit {
    char name[48];   /* the exit's name */
    char after[64];  /* its attach point's layer name */
    double accuracy; /* 0..1 */
    int line;        /* its line in the file */
};

struct io_accuracy {
    size_t n_images;             /* test images measured */
    double whole;                /* the whole model's accuracy, 0..1 */
    size_t n_rows;               /* rows */
    struct io_accuracy_row *rows; /* [n_rows], in file order (owned) */
    size_t n_exits;              /* exit lines (0: the file holds no --exits section) */
    struct io_accuracy_exit exits[IO_ACCURACY_MAX_EXITS]; /* [n_exits], in file order */
    size_t n_exit_rows;                /* rows of the exits' sections (0: none; older files) */
    struct io_accuracy_row *exit_rows; /* [n_exit_rows], in file order, each naming its exit
                                          (owned) */
};

/* Read the accuracy file at path into *a (io_accuracy_fini frees it).
 * A row's split is a prefix's layer count, or a cut that is no prefix
 * (`coinfer accuracy --cuts all`) written as io_accuracy_cut_text does. The
 * file may also hold what `coinfer accuracy --exits` printed (before or
 * after the table): its per-exit header lines give a->exits, the rest of
 * that section (its other header lines, the threshold table) is skipped.
 * After the table, a model with early exits has one section per exit
 * (`# NAME, weights W: N test images, cuts before exit EXIT after LAYER
 * ...`, the column line, rows as the table's): its rows, in a->exit_rows,
 * are the plans that cut there and end at EXIT (a file without them loads
 * as before, with none). CORE_E_INPUT "PATH:LINE: what is wrong" for a missing file, a first line
 * or column line other than `coinfer accuracy`'s, a malformed row, a
 * (split, encoding) twice (of the table, or of one exit) or no rows;
 * CORE_E_NOMEM. */
enum core_rc io_accuracy_load(const char *path, struct io_accuracy *a, struct core_err *e);
void io_accuracy_fini(struct io_accuracy *a); /* zeroed: a no-op */

/* A cut that is no prefix of the layer order as an accuracy file's split:
 * the device's layers member[0..n) (ascending indices) as comma-separated
 * ranges "a-b" of consecutive layers ("a" for one layer; "a-a" when the cut
 * is that one layer, so that the text always holds ',' or '-' and no
 * number of a prefix reads the same), e.g. "0-13,16-17". Written to buf
 * (size bytes, truncated as snprintf does); returns the length it needs. At
 * least one member. */
size_t io_accuracy_cut_text(const bool *member, size_t n, char *buf, size_t size);
/* Parse such a text: false unless it is ranges as written above (ascending,
 * disjoint, holding ',' or '-') of layers below n. member NULL: only the
 * check; else member[0..n) set to the layers it names. */
bool io_accuracy_cut_parse(const char *text, size_t n, bool *member);

/* ======================================================================== */
/* Sweep files: parameter studies (sweep.c)                                  */
/* ======================================================================== */

/* A sweep file (scenarios/sweep.xsd) names a base scenario (relative to the
 * sweep file) and factors over its knob paths: lists of values, ranges
 * (linear or log, by step or count), zipped factors that move together;
 * constraints between factors; the policies; and the replications (seeds,
 * the same for every policy and combination: common random numbers). Its
 * points are every kept combination x replication x policy, in that order
 * of nesting (the last varies fastest). */
struct io_sweep;

/* Load the sweep file at path: validate it (XSD), load its base scenario,
 * check every factor value against its knob on that scenario (range,
 * cross-checks), parse the constraints and enumerate the combinations they
 * keep. *out owned. Bad input: CORE_E_INPUT "FILE:LINE: message" (the
 * sweep file's, or the base scenario's own); CORE_E_IO, CORE_E_NOMEM. */
enum core_rc io_sweep_load(const char *path, struct io_sweep **out, struct core_err *e);
void io_sweep_destroy(struct io_sweep *s); /* NULL is a no-op */

/* Whether the file at path is a sweep file (its root element is <sweep>). */
bool io_file_is_sweep(const char *path);

const char *io_sweep_path(const struct io_sweep *s);        /* the sweep file */
const char *io_sweep_file_sha256(const struct io_sweep *s); /* of its bytes */
const char *io_sweep_name(const struct io_sweep *s);        /* <sweep name>, else the file's */
const char *io_sweep_scenario(const struct io_sweep *s);    /* the base scenario's path */
enum io_scenario_kind io_sweep_kind(const struct io_sweep *s); /* what that scenario is */
size_t io_sweep_n_factors(const struct io_sweep *s);
const char *io_sweep_factor_name(const struct io_sweep *s, size_t f);
const char *io_sweep_factor_path(const struct io_sweep *s, size_t f); /* its knob path */
size_t io_sweep_n_policies(const struct io_sweep *s);
const char *io_sweep_policy(const struct io_sweep *s, size_t i);
size_t io_sweep_n_replications(const struct io_sweep *s); /* with stopping: its max */

/* Sequential stopping (<replications min max metric rel-half-width>): each
 * combination runs min replications, then one more at a time while some
 * policy's metric has a 95 % t-interval half-width above rel_half_width times
 * its mean, up to max (io_sweep_n_replications). The metric's name is
 * checked by the XSD and by the run tier that computes it. */
struct io_sweep_stopping {
    bool on;               /* sequential stopping was asked for */
    size_t min;            /* replications every combination runs, >= 2 */
    double rel_half_width; /* the target: half-width / |mean|, > 0 */
    const char *metric;    /* the metric (borrowed from the sweep) */
    long line;             /* the <replications> element's line, for messages */
};
const struct io_sweep_stopping *io_sweep_stopping(const struct io_sweep *s);
uint64_t io_sweep_n_combinations(const struct io_sweep *s); /* kept by the constraints */
uint64_t io_sweep_n_points(const struct io_sweep *s);

/* One point of a sweep. */
struct io_sweep_point {
    uint64_t index;       /* its place among the sweep's points, from 0 */
    uint64_t combination; /* its factor combination, among the kept ones, from 0 */
    size_t replication;   /* from 0 */
    uint64_t seed;        /* that replication's master seed */
    const char *policy;   /* borrowed from the sweep */
};

/* Whether point index i is in slice shard of n_shards (0 <= shard < n_shards;
 * n_shards 0 or 1: every point is): i mod n_shards == shard, so that the
 * slices are disjoint, cover every point and each takes a fair share of
 * every combination. */
bool io_sweep_in_shard(uint64_t i, uint64_t shard, uint64_t n_shards);

/* Point i < io_sweep_n_points(s). */
void io_sweep_point(const struct io_sweep *s, uint64_t i, struct io_sweep_point *pt);
/* The value factor f takes at pt: its text (a knob value as a file writes
 * it), and "PATH=VALUE" as io_config_set takes it (borrowed from s). */
const char *io_sweep_point_value(const struct io_sweep *s, const struct io_sweep_point *pt,
                                 size_t f);
const char *io_sweep_point_set(const struct io_sweep *s, const struct io_sweep_point *pt,
                               size_t f);

/* The names a filter over points may use: every factor (in file order),
 * then policy (string), replication and seed (numbers); and their values at
 * pt into values[0..io_sweep_n_names). */
size_t io_sweep_n_names(const struct io_sweep *s);
const struct io_expr_name *io_sweep_names(const struct io_sweep *s);
void io_sweep_point_values(const struct io_sweep *s, const struct io_sweep_point *pt,
                           struct io_value *values);
/* Model files out (model_write.c) and ONNX in (onnx_import.c)               */
/* ======================================================================== */

/* Write model m's graph as a model file at path (created or truncated):
 * <model name weights>, an optional <description> (text, may be NULL), the
 * <input> and one <layer> per layer with every parameter its type takes
 * that differs from the default; a layer's inputs written when they are not
 * the layer above. weights (may be NULL) is written as given, relative to
 * the file's directory. io_model_load reads it back to the same graph.
 * CORE_E_IO naming path when it cannot be written (it is then removed). */
enum core_rc io_model_write(const struct nn_model *m, const char *path, const char *name,
                            const char *weights, const char *description, struct core_err *e);

/* What an imported ONNX file was. */
struct io_onnx_info {
    int64_t opset;      /* the default domain's opset */
    size_t n_nodes;     /* nodes of its graph */
    char producer[128]; /* producer name and version ("pytorch 1.13.0"), may be empty */
    char graph[128];    /* the graph's name, may be empty */
};

/* Read the ONNX file at path (opset 11 to 17; protobuf-c) into a new model:
 * its graph mapped layer by layer onto nn ops (onnx_import.c lists the
 * operators), finalized with seed (nothing is drawn that the file does not
 * overwrite) and holding the file's weights, neither folded nor fused.
 * *out returned owned; *info (may be NULL) filled. Bad input: CORE_E_INPUT
 * with "FILE: node 'NAME' (OP): what is wrong" (an unsupported operator,
 * attribute or value, shapes that do not fit) or "FILE: message";
 * CORE_E_NOMEM. */
enum core_rc io_onnx_import(const char *path, uint64_t seed, struct nn_model **out,
                            struct io_onnx_info *info, struct core_err *e);

/* ======================================================================== */
/* Agent files (agent_file.c)                                               */
/* ======================================================================== */

/* The learning agent (policy.h) in a binary file: magic "COINFERA",
 * version, the training configuration, per problem the action-space
 * signature (model and device names, layers, options per side with their
 * labels, the family of cuts, state features), the feature and cost
 * normalisation, the weights and each head's standard error, then a
 * SHA-256 of it all (the layout: agent_file.c, and README "The learning
 * agent"). Version 3; versions 1 and 2 are still read. */

/* Write agent a to path (created or truncated): version 3, or version 2
 * when a carries no standard errors (read from such a file). CORE_E_IO
 * naming path when it cannot be written (it is then removed),
 * CORE_E_NOMEM. */
enum core_rc io_agent_write(const struct policy_agent *a, const char *path, struct core_err *e);

/* Read the agent file at path into *out (owned, policy_agent_destroy; no
 * problem bound: policy_agent_bind). CORE_E_INPUT "PATH:0: message" for a
 * file that cannot be opened or is no regular file, is larger than
 * CORE_FILE_MAX_AGENT, is foreign (bad magic), of another version,
 * truncated or with bytes after its checksum, corrupted (checksum
 * mismatch), or holds a record out of range or an agent that cannot be
 * built; CORE_E_NOMEM. */
enum core_rc io_agent_read(const char *path, struct policy_agent **out, struct core_err *e);

/* Check the agent file at path as io_agent_read does. */
enum core_rc io_agent_validate(const char *path, struct core_err *e);

/* Whether the file at path starts with the agent file's magic (no error
 * is reported). */
bool io_file_is_agent(const char *path);

#endif /* COINFER_IO_H */
