/*
 * queue_knobs.c — the knobs of the simulation and of the validation queue,
 * declared once: attribute name, type, unit, default, valid range, help.
 * The scenario loader applies them; a test checks scenarios/schema.xsd
 * documents each one with the same default and unit.
 */
#include "proto/proto.h"

static const struct core_knob sim_knobs[] = {
    {"duration", CORE_KNOB_REAL, CORE_DIM_TIME, NULL, 1e-9, 1e12, NULL,
     offsetof(struct proto_sim_config, duration_s),
     "Simulated time to run."},
    {"seed", CORE_KNOB_UINT64, CORE_DIM_NONE, "1", 0, 1.8446744073709552e19, NULL,
     offsetof(struct proto_sim_config, seed),
     "Master seed: every random stream is derived from (seed, entity, purpose)."},
    {"warmup", CORE_KNOB_REAL, CORE_DIM_TIME, "0", 0, 1e12, NULL,
     offsetof(struct proto_sim_config, warmup_s),
     "Requests that arrive before this time are simulated but not recorded."},
};

const struct core_knob_table proto_sim_knobs = {
    "simulation", sim_knobs, ARRAY_LEN(sim_knobs)
};

static const char *const service_names[] = {"exponential", "deterministic", NULL};
static_assert(ARRAY_LEN(service_names) == PROTO_SERVICE_DIST_COUNT + 1, "one name each");

static const struct core_knob server_knobs[] = {
    {"servers", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 100000, NULL,
     offsetof(struct proto_queue_server_config, n_servers),
     "Identical service units in front of one FIFO queue."},
    {"service", CORE_KNOB_ENUM, CORE_DIM_NONE, "exponential", 0, 0, service_names,
     offsetof(struct proto_queue_server_config, service),
     "Distribution of service times: exponential (M/M/c) or deterministic (M/D/c)."},
    {"mean-service", CORE_KNOB_REAL, CORE_DIM_TIME, NULL, 1e-12, 1e9, NULL,
     offsetof(struct proto_queue_server_config, mean_service_s),
     "Mean service time of one request."},
};

const struct core_knob_table proto_queue_server_knobs = {
    "server", server_knobs, ARRAY_LEN(server_knobs)
};

static const char *const arrival_names[] = {"poisson", "periodic", NULL};
static_assert(ARRAY_LEN(arrival_names) == PROTO_ARRIVAL_PROCESS_COUNT + 1, "one name each");

static const struct core_knob ues_knobs[] = {
    {"count", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 10000000, NULL,
     offsetof(struct proto_queue_ues_config, n_ues),
     "Number of UEs sending requests."},
    {"arrival", CORE_KNOB_ENUM, CORE_DIM_NONE, "poisson", 0, 0, arrival_names,
     offsetof(struct proto_queue_ues_config, arrival),
     "Arrival process of each UE: poisson or periodic (fixed period, random phase)."},
    {"rate", CORE_KNOB_REAL, CORE_DIM_FREQUENCY, NULL, 1e-12, 1e12, NULL,
     offsetof(struct proto_queue_ues_config, rate_hz),
     "Requests per second sent by each UE."},
};

const struct core_knob_table proto_queue_ues_knobs = {
    "ues", ues_knobs, ARRAY_LEN(ues_knobs)
};

double proto_queue_rho(const struct proto_queue_config *q)
{
    return (double)q->ues.n_ues * q->ues.rate_hz * q->server.mean_service_s /
           (double)q->server.n_servers;
}
