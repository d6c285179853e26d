/*
 * collab_knobs.c — the knobs of a collaborative-inference scenario's
 * protocol, objective, reward, inference mode and workloads, declared once:
 * attribute name, type, unit, default, valid range, help. The scenario
 * loader applies them; a test checks scenarios/schema.xsd documents each
 * one with the same default, unit and range.
 *
 * Where the message sizes come from (all defaults, all overridable):
 *  - header 64 B: IPv6 (40 B) + UDP (8 B) + a 16 B application header
 *    (message type, UE and inference identifiers, length);
 *  - request, per layer 16 B: the layer's type (2 B), output bytes (4 B),
 *    FLOPs (4 B), parameter bytes (4 B) and its first input (2 B);
 *  - reply 704 B: channel quality (16 B), the state of up to 16 edge
 *    resource instances at 16 B each (type, free amount, queue, load) and
 *    4 resource types x 13 layer types of CPMM predictions at 8 B each
 *    (latency and energy as float32);
 *  - decision, per layer 4 B: layer index (2 B), option (1 B), position (1 B);
 *  - energy report 16 B: the inference's identifier (8 B) and energy (8 B).
 */
#include "proto/proto.h"

/* ---- <protocol> ------------------------------------------------------------ */

static const char *const handover_names[] = {"complete", "replan", NULL};
static_assert(ARRAY_LEN(handover_names) == PROTO_HO_MODE_COUNT + 1, "one name each");

#define PROT(f) offsetof(struct proto_protocol_config, f)

static const struct core_knob protocol_knobs[] = {
    {"header", CORE_KNOB_REAL, CORE_DIM_BYTES, "64 B", 1, 1e6, NULL, PROT(header_bytes),
     "Header of every message: IPv6, UDP and a 16 B application header."},
    {"request-layer", CORE_KNOB_REAL, CORE_DIM_BYTES, "16 B", 0, 1e6, NULL,
     PROT(request_layer_bytes),
     "Inference request body per layer of the model (type, output bytes, FLOPs, parameters)."},
    {"reply", CORE_KNOB_REAL, CORE_DIM_BYTES, "704 B", 0, 1e9, NULL, PROT(reply_bytes),
     "Body of an inference reply or state update: channel, resource states, CPMM predictions."},
    {"decision-layer", CORE_KNOB_REAL, CORE_DIM_BYTES, "4 B", 0, 1e6, NULL,
     PROT(decision_layer_bytes),
     "Decision a2 or update a3 body per layer the edge computes (index, option, position)."},
    {"energy-report", CORE_KNOB_REAL, CORE_DIM_BYTES, "16 B", 0, 1e6, NULL,
     PROT(energy_report_bytes), "Body of an energy report (inference identifier and energy)."},
    {"admission-wait", CORE_KNOB_REAL, CORE_DIM_TIME, "200 ms", 0, 1e6, NULL,
     PROT(admission_wait_s),
     "The network declines a request when the shortest expected wait at its edge exceeds this."},
    {"override-wait", CORE_KNOB_REAL, CORE_DIM_TIME, "200 ms", 0, 1e6, NULL, PROT(override_wait_s),
     "The network overrides a2 with a3 when the expected wait at its options exceeds this."},
    {"push-period", CORE_KNOB_REAL, CORE_DIM_TIME, "1 s", 0, 1e6, NULL, PROT(push_period_s),
     "Period of the network's state pushes to its UEs (0: no periodic push)."},
    {"push-gap", CORE_KNOB_REAL, CORE_DIM_TIME, "100 ms", 0, 1e6, NULL, PROT(push_gap_s),
     "The network pushes its state to one UE at most once per this interval, and at most once "
     "per instant in any case (0: once per instant only)."},
    {"load-threshold", CORE_KNOB_REAL, CORE_DIM_NONE, "0.2", 0, 1, NULL, PROT(load_threshold),
     "The network pushes its state when its edge load (busy units over all units) moves by this "
     "share, and a UE asks for it when its own load moves by this share (0: never)."},
    {"channel-threshold", CORE_KNOB_REAL, CORE_DIM_DB, "3 dB", 0, 100, NULL,
     PROT(channel_threshold_db),
     "A UE asks for the network state when its SINR moved this far since it last decided (0: "
     "never)."},
    {"battery-threshold", CORE_KNOB_REAL, CORE_DIM_NONE, "0.05", 0, 1, NULL,
     PROT(battery_threshold),
     "A UE asks for the network state when its battery moved by this share of its capacity "
     "since it last decided (0: never)."},
    {"on-handover", CORE_KNOB_ENUM, CORE_DIM_NONE, "complete", 0, 0, handover_names,
     PROT(on_handover),
     "An inference in flight at a handover: complete (with the old cell's edge) or replan (at "
     "the new cell when its data has not reached the edge)."},
};

const struct core_knob_table proto_protocol_knobs = {"protocol", protocol_knobs,
                                                     ARRAY_LEN(protocol_knobs)};

/* ---- <objective> ------------------------------------------------------------ */

static const struct core_knob objective_knobs[] = {
    {"latency-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "1", 0, 1e12, NULL,
     offsetof(struct proto_objective_config, latency_weight),
     "Weight of an inference's latency in seconds (per second)."},
    {"energy-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1e12, NULL,
     offsetof(struct proto_objective_config, energy_weight),
     "Weight of the UE's energy per inference in joules (per joule)."},
    {"accuracy-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1e12, NULL,
     offsetof(struct proto_objective_config, accuracy_weight),
     "Weight of a plan's expected accuracy (0..1; subtracted), where its model has accuracy "
     "data."},
};

const struct core_knob_table proto_objective_knobs = {"objective", objective_knobs,
                                                      ARRAY_LEN(objective_knobs)};

/* ---- <reward> ---------------------------------------------------------------- */

#define REW(f) offsetof(struct proto_reward_config, f)

static const struct core_knob reward_knobs[] = {
    {"accuracy-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1e12, NULL, REW(accuracy_weight),
     "Weight of a correct result (1 correct, 0 wrong; left out when the input has no label)."},
    {"latency-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "1", 0, 1e12, NULL, REW(latency_weight),
     "Weight of the latency over latency-scale."},
    {"energy-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1e12, NULL, REW(energy_weight),
     "Weight of the UE's energy over energy-scale."},
    {"edge-energy-weight", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1e12, NULL,
     REW(edge_energy_weight), "Weight of the edge energy the network reports over energy-scale."},
    {"latency-scale", CORE_KNOB_REAL, CORE_DIM_TIME, "1 s", 1e-12, 1e12, NULL,
     REW(latency_scale_s), "Reference latency the latency term is measured in."},
    {"energy-scale", CORE_KNOB_REAL, CORE_DIM_ENERGY, "1 J", 1e-12, 1e12, NULL,
     REW(energy_scale_j), "Reference energy the energy terms are measured in."},
    {"deadline-penalty", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 1e12, NULL,
     REW(deadline_penalty), "Subtracted when an inference misses its deadline."},
    {"window", CORE_KNOB_INT, CORE_DIM_NONE, "16", 0, 4096, NULL, REW(window),
     "Inferences in a UE's feedback window: the means it keeps of its last finished "
     "inferences (0: none kept)."},
};

const struct core_knob_table proto_reward_knobs = {"reward", reward_knobs,
                                                   ARRAY_LEN(reward_knobs)};

/* ---- <inference> ------------------------------------------------------------ */

static const char *const mode_names[] = {"costed", "real", NULL};
static_assert(ARRAY_LEN(mode_names) == PROTO_INFER_MODE_COUNT + 1, "one name each");

static const struct core_knob inference_knobs[] = {
    {"mode", CORE_KNOB_ENUM, CORE_DIM_NONE, "costed", 0, 0, mode_names,
     offsetof(struct proto_inference_config, mode),
     "costed (layer times from the CPMM) or real (small models run on the host)."},
    {"jitter", CORE_KNOB_REAL, CORE_DIM_NONE, "0", 0, 10, NULL,
     offsetof(struct proto_inference_config, jitter),
     "Relative standard deviation of a log-normal factor on each segment's time (0: none)."},
};

const struct core_knob_table proto_inference_knobs = {"inference", inference_knobs,
                                                      ARRAY_LEN(inference_knobs)};

/* ---- <workload> ------------------------------------------------------------- */

static const char *const arrival_names[] = {"poisson", "periodic", NULL};
static_assert(ARRAY_LEN(arrival_names) == PROTO_ARRIVAL_PROCESS_COUNT + 1, "one name each");

#define WL(f) offsetof(struct proto_workload_config, f)

static const struct core_knob workload_knobs[] = {
    {"model", CORE_KNOB_STRING, CORE_DIM_NONE, NULL, 0, 0, NULL, WL(model),
     "Name of the model each request runs, as declared by a model element."},
    {"arrival", CORE_KNOB_ENUM, CORE_DIM_NONE, "poisson", 0, 0, arrival_names, WL(arrival),
     "Arrival process of each UE's requests: poisson or periodic (fixed period, random phase)."},
    {"rate", CORE_KNOB_REAL, CORE_DIM_FREQUENCY, NULL, 1e-9, 1e6, NULL, WL(rate_hz),
     "Requests per second of each UE of the group."},
    {"deadline", CORE_KNOB_REAL, CORE_DIM_TIME, "1 s", 1e-9, 1e6, NULL, WL(deadline_s),
     "Latency each inference should meet (deadline hits are counted)."},
};

const struct core_knob_table proto_workload_knobs = {"workload", workload_knobs,
                                                     ARRAY_LEN(workload_knobs)};
