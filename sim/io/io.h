/*
 * io.h — the whole public face of sim/io: files in.
 *
 * Scenario and model files are XML validated against their schemas
 * (scenarios/schema.xsd, models/schema.xsd; libxml2) before anything runs;
 * every error names the user's file and line. Only this folder includes
 * libxml2.
 */
#ifndef COINFER_IO_H
#define COINFER_IO_H

#include <limits.h>
#include <stdio.h>

#include "core/core.h"
#include "proto/proto.h"
#include "radio/radio.h"

/* ======================================================================== */
/* Scenario files (scenario.c)                                              */
/* ======================================================================== */

/* What a scenario file describes. */
enum io_scenario_kind {
    IO_SCENARIO_QUEUE, /* <queue>: the validation queueing model */
    IO_SCENARIO_RADIO, /* <radio> and no <queue>: mobility, channel and transfers only */
    IO_SCENARIO_COLLAB, /* <radio> with models, devices and an edge: collaborative inference */
    IO_SCENARIO_KIND_COUNT
};

#define IO_NAME_MAX 128
#define IO_PATH_MAX 4096
#define IO_RADIO_MAX_GROUPS 16      /* <ue-group> elements in one <radio> */
#define IO_RADIO_MAX_POSITIONS 1024 /* <position> elements in one <radio>, all groups */

/* The elements of a collaborative scenario (IO_SCENARIO_COLLAB) as written,
 * with their lines and the names resolved into indices; io_collab_build
 * turns them into a struct proto_collab_config. No pointers: a struct
 * io_scenario copies with memcpy as far as these go. */
#define IO_COLLAB_MAX_RESOURCES 32 /* <resource> elements */

struct io_collab_side_spec {
    long line;                                   /* the <device> or <edge> element */
    size_t n_uses;                               /* its <use> children */
    struct proto_use_config use[PROTO_MAX_INSTANCES]; /* as written */
    long use_line[PROTO_MAX_INSTANCES];          /* their lines */
    uint32_t use_resource[PROTO_MAX_INSTANCES];  /* index of each one's <resource> */
};

struct io_collab_spec {
    size_t n_resources;                                         /* <resource> elements */
    struct compute_resource_config resource[IO_COLLAB_MAX_RESOURCES]; /* as written */
    long resource_line[IO_COLLAB_MAX_RESOURCES];                /* their lines */
    size_t n_models;                                            /* <model> elements */
    struct proto_model_config model[PROTO_MAX_MODELS];          /* as written */
    long model_line[PROTO_MAX_MODELS];                          /* their lines */
    size_t n_devices;                                           /* <device> elements */
    struct proto_device_config device[PROTO_MAX_DEVICES];       /* as written */
    struct io_collab_side_spec device_side[PROTO_MAX_DEVICES];  /* their <use>s */
    struct proto_edge_config edge;                              /* <edge> */
    struct io_collab_side_spec edge_side;                       /* its <use>s */
    struct proto_protocol_config protocol;                      /* <protocol> or defaults */
    struct proto_objective_config objective;                    /* <objective> or defaults */
    long objective_line;                                        /* its line (0: absent) */
    struct proto_inference_config inference;                    /* <inference> or defaults */
    struct proto_ue_group_config group[IO_RADIO_MAX_GROUPS];    /* <ue-group device> */
    uint32_t group_device[IO_RADIO_MAX_GROUPS];                 /* its device index */
    size_t n_workloads[IO_RADIO_MAX_GROUPS];                    /* <workload>s per group */
    struct proto_workload_config workload[IO_RADIO_MAX_GROUPS][PROTO_MAX_WORKLOADS];
    long workload_line[IO_RADIO_MAX_GROUPS][PROTO_MAX_WORKLOADS]; /* their lines */
    uint32_t workload_model[IO_RADIO_MAX_GROUPS][PROTO_MAX_WORKLOADS]; /* model indices */
};

struct io_scenario {
    char path[IO_PATH_MAX];    /* the file as given */
    char name[IO_NAME_MAX];    /* <scenario name=...>, else the file's base name */
    char sha256[65];           /* hex SHA-256 of the file's bytes */
    enum io_scenario_kind kind;
    struct proto_sim_config sim;
    struct proto_queue_config queue; /* when kind == IO_SCENARIO_QUEUE */
    /* When kind == IO_SCENARIO_RADIO: the radio world. radio.groups points
     * into radio_groups and their positions into radio_pos_*_m of this very
     * struct, so a copy of the struct must repoint them (io_scenario_copy). */
    struct radio_world_config radio;
    struct radio_ue_group_config radio_groups[IO_RADIO_MAX_GROUPS];
    double radio_pos_x_m[IO_RADIO_MAX_POSITIONS]; /* <position x>, m */
    double radio_pos_y_m[IO_RADIO_MAX_POSITIONS]; /* <position y>, m */
    struct io_collab_spec collab; /* when kind == IO_SCENARIO_COLLAB (radio as above) */
};

/* Where the scenario schema lives: $COINFER_SCHEMA_DIR/schema.xsd if that
 * variable is set; else ../scenarios/schema.xsd from the directory of the
 * running binary or one of its two parents (found through /proc/self/exe,
 * so build/coinfer and build/asan/coinfer find scenarios/schema.xsd of their
 * source tree); else ../share/coinfer/scenarios/schema.xsd from the binary's
 * directory (make install); else scenarios/schema.xsd from the current
 * directory. A schema that cannot be read is CORE_E_IO with
 * "SCHEMA:0: cannot open the scenario schema: ..." in e. */

/* Load, validate (XSD, then ranges and cross-checks) and convert a scenario
 * file into *out. Bad input: CORE_E_INPUT with "FILE:LINE: message" in e. */
enum core_rc io_scenario_load(const char *path, struct io_scenario *out, struct core_err *e);

/* Copy *src into *dst and repoint dst's radio groups and positions into dst. */
void io_scenario_copy(struct io_scenario *dst, const struct io_scenario *src);

/* Validate any coinfer file by its root element: <model> files as
 * io_model_validate does, everything else as a scenario (io_scenario_load's
 * errors, including a root that is neither). */
enum core_rc io_validate_file(const char *path, struct core_err *e);

/* ======================================================================== */
/* Model files (model_file.c)                                               */
/* ======================================================================== */

struct nn_model;

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

/* Check the model file at path as io_model_load does (weights file
 * included) without allocating the model's weights or activations. */
enum core_rc io_model_validate(const char *path, struct core_err *e);

/* ======================================================================== */
/* Layers as the CPMM sees them (layer_desc.c)                              */
/* ======================================================================== */

struct nn_layer_profile;
struct compute_layer_desc;

/* Describe layer i of finalized model m, profiled as *lp (nn_profile_run),
 * as a CPMM layer in *d: a conv2d with groups = input = output channels is a
 * depthwise conv, flatten and dropout are reshapes, every other op the CPMM
 * type of its name. CORE_E_INPUT (naming the layer) for an op the CPMM has
 * no type for. */
enum core_rc io_layer_desc(const struct nn_model *m, int i, const struct nn_layer_profile *lp,
                           struct compute_layer_desc *d, struct core_err *e);

/* ======================================================================== */
/* Collaborative scenarios (collab.c, collab_load.c)                         */
/* ======================================================================== */

/* A loaded collaborative scenario: the proto config, the problems, the
 * models. io_collab_build loads each model (a file relative to the
 * scenario, or a zoo model), finalizes it with seed 1, folds its batch
 * norms and fuses its activations, resolves the resource types, builds
 * each side's instances and options (a CPU <use> gives one option per
 * amount, labelled "name:cores", with cores units; an accelerator one,
 * labelled "name", share 1, 1 unit) and, for each (device class, model)
 * that some ue-group runs, a compute_problem priced by the CPMM's roofline
 * (unsupported: INFINITY; layers that move no data, as reshapes and the
 * folded or fused aliases, 1 ns and no energy). */
struct io_collab;

/* Build *out from sc (kind IO_SCENARIO_COLLAB; sc is not kept). Bad input:
 * CORE_E_INPUT with "FILE:LINE: message" (a model file's own errors keep
 * its FILE:LINE; a device given a layer type that none of its resources
 * nor the edge supports names the <workload>); CORE_E_USAGE for a scenario
 * of another kind; CORE_E_NOMEM. *out is returned owned. */
enum core_rc io_collab_build(const struct io_scenario *sc, struct io_collab **out,
                             struct core_err *e);
void io_collab_destroy(struct io_collab *c); /* NULL is a no-op */

/* The resolved config (borrowed, valid while c lives; its problems and
 * model names point into c). */
const struct proto_collab_config *io_collab_config(const struct io_collab *c);
/* The radio world of the scenario with the groups' traffic fields zero
 * (borrowed, valid while c lives). */
const struct radio_world_config *io_collab_radio(const struct io_collab *c);
/* Model m (borrowed): in costed mode its graph and shapes only, not
 * finalized (no weights); in real mode finalized, folded and fused. */
struct nn_model *io_collab_model(const struct io_collab *c, size_t m);
/* For each layer of model m, the problem layer it is part of: a problem
 * groups an alias (folded batch norm, fused activation, flatten) with the
 * layer it is the only reader of (borrowed; nn_model_n_layers entries). */
const uint16_t *io_collab_layer_groups(const struct io_collab *c, size_t m);

#endif /* COINFER_IO_H */
