/*
 * collab_int.h — shared between the files of sim/io only: reading the
 * elements of a collaborative scenario (collab_load.c) into struct
 * io_collab_spec, and the options of one compute side, which both the
 * loader (to check a default) and io_collab_build (to build the problems)
 * derive from the <use> elements.
 */
#ifndef COINFER_IO_COLLAB_INT_H
#define COINFER_IO_COLLAB_INT_H

#include <libxml/tree.h>

#include "compute/compute.h"
#include "io/io.h"
#include "io/io_int.h"

/* Apply the attributes of node through table t into config (defaults
 * first, every attribute a knob of t, required knobs present): the
 * scenario loader's own conversion (scenario.c). */
enum core_rc io_scenario_apply(const char *path, xmlNodePtr node, const struct core_knob_table *t,
                               void *config, struct core_err *e);

/* Read the collaborative elements of the scenario at root (the radio
 * section already in out->radio): the top-level <resource>, <model>,
 * <device>, <edge>, <protocol>, <objective>, <inference> and the device
 * attribute and <workload> children of each <ue-group>. With any of them,
 * out->kind becomes IO_SCENARIO_COLLAB and every name is resolved; without,
 * a device attribute or a <workload> is an error. "FILE:LINE: message". */
enum core_rc io_collab_from_doc(const char *path, xmlNodePtr root, struct io_scenario *out,
                                struct core_err *e);

/* The options of one side: every <use> of side, a CPU's once per amount. */
struct io_side_options {
    size_t n;                                               /* options */
    struct compute_option option[COMPUTE_PLAN_MAX_OPTIONS]; /* instance, amount, label */
    uint32_t units[COMPUTE_PLAN_MAX_OPTIONS];               /* units one job takes */
    uint32_t default_option;                                /* the side's default */
};

/* Derive side's options in spec (resources resolved) with the default
 * named def ("" for the first option); element is "device" or "edge" for
 * messages, owner the device's name (or "edge"). CORE_E_INPUT with
 * "FILE:LINE: ..." for a bad amount, too many options, a name too long for
 * a label or an unknown default. */
enum core_rc io_collab_side_options(const char *path, const struct io_collab_spec *spec,
                                    const struct io_collab_side_spec *side, const char *element,
                                    const char *owner, const char *def, struct io_side_options *out,
                                    struct core_err *e);

#endif /* COINFER_IO_COLLAB_INT_H */
