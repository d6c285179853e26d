/*
 * device_knobs.c — the knobs of the elements that say who computes in a
 * collaborative scenario: <model>, <device>, <edge>, their <use> children
 * and the device attribute of <ue-group>, declared once: attribute name,
 * type, unit, default, valid range, help. The scenario loader applies them
 * and resolves the names; a test checks scenarios/schema.xsd documents
 * each one with the same default, unit and range.
 *
 * Copy figures (the cost of moving a tensor between two resources of one
 * side) default to:
 *  - a phone: 50 us per copy (a cache flush and an accelerator driver call)
 *    at 80 Gbit/s (10 GB/s, about a third of LPDDR4X-4266's 34 GB/s peak on
 *    a 64-bit bus, what memcpy reaches) drawing 1 W;
 *  - the edge: 10 us per copy (a CUDA memcpy call) at 96 Gbit/s (12 GB/s,
 *    PCIe 3.0 x16's 15.75 GB/s less protocol overhead) drawing 10 W.
 *
 * The edge node's link to its gNB (the backhaul every message and tensor
 * crosses, transport.c) defaults to 1 ms one way, an edge node at the
 * aggregation site (about 100 km of fibre at ITU-T G.114's 5 us/km plus a
 * few switches; assumed) at 10 Gbit/s (a 10GBASE-R link, IEEE 802.3ae;
 * assumed).
 */
#include "proto/proto.h"

/* ---- <model> -------------------------------------------------------------- */

static const struct core_knob model_knobs[] = {
    {"name", CORE_KNOB_STRING, CORE_DIM_NONE, NULL, 0, 0, NULL,
     offsetof(struct proto_model_config, name),
     "Name of the model, referred to by workloads and recorded in results."},
    {"file", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL,
     offsetof(struct proto_model_config, file),
     "Model file (models/schema.xsd), relative to the scenario file; this or zoo."},
    {"zoo", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL,
     offsetof(struct proto_model_config, zoo),
     "A zoo model instead of a file, by name (`coinfer profile --help` lists the zoo)."},
    {"input-element", CORE_KNOB_REAL, CORE_DIM_BYTES, "1 B", 0.125, 8, NULL,
     offsetof(struct proto_model_config, input_element_bytes),
     "Bytes per element of the model input when the UE sends it as it is (edge-only "
     "plans): 1 for an 8-bit image as a camera gives it, 4 to send float32."},
    {"accuracy", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL,
     offsetof(struct proto_model_config, accuracy),
     "What `coinfer accuracy` printed for the model's weights, relative to the scenario file: "
     "its encodings become choices, and each inference's correctness is drawn from it (costed "
     "mode) or measured on a Fashion-MNIST test image (real mode) (empty: none, unknown)."},
    {"encoding", CORE_KNOB_STRING, CORE_DIM_NONE, "fp32", 0, 0, NULL,
     offsetof(struct proto_model_config, encoding),
     "Encoding of the tensors sent uplink by the policies that do not choose one (all but joint "
     "and oracle): fp32 or one of the accuracy file's."},
    {"exits", CORE_KNOB_STRING, CORE_DIM_NONE, "off", 0, 0, NULL,
     offsetof(struct proto_model_config, exits),
     "on: the model file's early exits become choices (joint, oracle and edgent choose where "
     "each inference ends; the accuracy file must hold `coinfer accuracy --exits`'s lines); "
     "off: no plan ends at an exit."},
    {"exit", CORE_KNOB_STRING, CORE_DIM_NONE, "none", 0, 0, NULL,
     offsetof(struct proto_model_config, exit),
     "The early exit the policies that do not choose one end every inference at (all but "
     "joint, oracle and edgent): none (the model's output) or an exit's name (needs exits=\"on\")."},
};

const struct core_knob_table proto_model_knobs = {"model", model_knobs, ARRAY_LEN(model_knobs)};

/* ---- <device> ------------------------------------------------------------- */

#define DEV(f) offsetof(struct proto_device_config, f)

static const struct core_knob device_knobs[] = {
    {"name", CORE_KNOB_STRING, CORE_DIM_NONE, NULL, 0, 0, NULL, DEV(name),
     "Name of the device class, referred to by ue-groups."},
    {"copy-latency", CORE_KNOB_REAL, CORE_DIM_TIME, "50 us", 0, 1, NULL, DEV(copy_latency_s),
     "Fixed cost of copying a tensor between two of the device's resources."},
    {"copy-bandwidth", CORE_KNOB_REAL, CORE_DIM_BITRATE, "80 Gbps", 1e3, 1e16, NULL,
     DEV(copy_bandwidth_bps), "Bandwidth of a copy between two of the device's resources."},
    {"copy-power", CORE_KNOB_REAL, CORE_DIM_POWER, "1 W", 0, 1e6, NULL, DEV(copy_power_w),
     "Power the device draws while copying."},
    {"default", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, DEV(default_option),
     "Option of the split-default policy's fixed choice: a label (npu, cpu:4) or a use's name "
     "(its "
     "largest amount); empty: the first option."},
    {"battery", CORE_KNOB_REAL, CORE_DIM_ENERGY, "15 Wh", 0, 1e9, NULL, DEV(battery_j),
     "Battery capacity: the UE's inferences (compute, copies, radio) drain it, and a UE whose "
     "battery is empty sends no more requests; 0: unlimited."},
};

const struct core_knob_table proto_device_knobs = {"device", device_knobs, ARRAY_LEN(device_knobs)};

/* ---- <edge> --------------------------------------------------------------- */

#define EDGE(f) offsetof(struct proto_edge_config, f)

static const struct core_knob edge_knobs[] = {
    {"copy-latency", CORE_KNOB_REAL, CORE_DIM_TIME, "10 us", 0, 1, NULL, EDGE(copy_latency_s),
     "Fixed cost of copying a tensor between two of the edge's resources."},
    {"copy-bandwidth", CORE_KNOB_REAL, CORE_DIM_BITRATE, "96 Gbps", 1e3, 1e16, NULL,
     EDGE(copy_bandwidth_bps), "Bandwidth of a copy between two of the edge's resources."},
    {"copy-power", CORE_KNOB_REAL, CORE_DIM_POWER, "10 W", 0, 1e6, NULL, EDGE(copy_power_w),
     "Power the edge node draws while copying."},
    {"default", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, EDGE(default_option),
     "Option of the split-default policy's fixed choice: a label (gpu, cpu:8) or a use's name "
     "(its "
     "largest amount); empty: the first option."},
    {"backhaul-latency", CORE_KNOB_REAL, CORE_DIM_TIME, "1 ms", 0, 10, NULL,
     EDGE(backhaul_latency_s),
     "One-way latency of the link between each cell's gNB and its edge node, which every "
     "message and tensor crosses (an edge node at the aggregation site: about 100 km of fibre "
     "at 5 us/km, ITU-T G.114, and a few switches; assumed); 0: none."},
    {"backhaul-bandwidth", CORE_KNOB_REAL, CORE_DIM_BITRATE, "10 Gbit/s", 0, 1e15, NULL,
     EDGE(backhaul_bandwidth_bps),
     "Bandwidth of that link, in bits or bytes per second: a message of B bytes takes its "
     "latency + 8 B / bandwidth, no queueing between messages (a 10GBASE-R link, IEEE "
     "802.3ae; assumed); 0: unlimited."},
};

const struct core_knob_table proto_edge_knobs = {"edge", edge_knobs, ARRAY_LEN(edge_knobs)};

/* ---- <use> ---------------------------------------------------------------- */

#define USE(f) offsetof(struct proto_use_config, f)

static const struct core_knob use_knobs[] = {
    {"resource", CORE_KNOB_STRING, CORE_DIM_NONE, NULL, 0, 0, NULL, USE(resource),
     "Name of the instance's resource type, as declared by a resource element."},
    {"name", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, USE(name),
     "Name of the instance in allocations (at most 26 characters); empty: the resource's."},
    {"count", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 4096, NULL, USE(count),
     "Identical units pooled in the instance: CPU clusters (cores add up) or accelerators."},
    {"amounts", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, USE(amounts),
     "CPU: the core counts a job may take, space-separated (1 2 4), each an option; empty: all "
     "the cluster's cores. Accelerators: empty or 1."},
    {"idle-power", CORE_KNOB_REAL, CORE_DIM_POWER, "-1", -1, 1e6, NULL, USE(idle_power_w),
     "Idle power of the whole instance; -1: count times the resource type's idle-power."},
    {"background-load", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 0.99, NULL, USE(background_load),
     "Edge only: share of the instance's capacity taken by other work."},
    {"background-job", CORE_KNOB_REAL, CORE_DIM_TIME, "10 ms", 1e-9, 1e6, NULL,
     USE(background_job_s), "Edge only: mean service time of one background job."},
    {"withdrawn-from", CORE_KNOB_REAL, CORE_DIM_TIME, "0 s", 0, 1e12, NULL,
     USE(withdrawn_from_s),
     "Edge only: the scenario withdraws the instance from this time (the network then reports it "
     "unavailable, declines or overrides what would need it; work already queued finishes)."},
    {"withdrawn-until", CORE_KNOB_REAL, CORE_DIM_TIME, "0 s", 0, 1e12, NULL,
     USE(withdrawn_until_s), "Edge only: end of the withdrawal; equal to withdrawn-from: never."},
};

const struct core_knob_table proto_use_knobs = {"use", use_knobs, ARRAY_LEN(use_knobs)};

/* ---- <ue-group device="..."> -------------------------------------------------- */

static const struct core_knob ue_group_knobs[] = {
    {"device", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL,
     offsetof(struct proto_ue_group_config, device),
     "Collaborative scenarios: the device class of the group's UEs, as declared by a device "
     "element."},
};

const struct core_knob_table proto_ue_group_knobs = {"ue-group", ue_group_knobs,
                                                     ARRAY_LEN(ue_group_knobs)};
