/*
 * cpmm_knobs.c — the <resource .../> element, declared once: attribute name,
 * type, unit, default, valid range, help; and its resolution into a
 * struct compute_resource (type lists parsed, units converted, figures
 * checked for consistency). bias and bias-by-type are not the CPMM's: they
 * say how far the truth the world executes is from what the CPMM predicts
 * (compute_cpmm_truth), so that a scenario can make the model wrong;
 * profile names a stored profile whose measurements are the truth (the
 * caller reads it: sim/compute sees no database).
 *
 * Memory bandwidth is a bit rate, written in bits or bytes per second:
 * "200 Gbps" and "25 GB/s" are the same.
 */
#include "compute/compute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"cpu", "gpu", "npu", "dsp", NULL};
static_assert(ARRAY_LEN(kind_names) == COMPUTE_RES_KIND_COUNT + 1, "one name per kind");

const char *compute_resource_kind_name(enum compute_resource_kind k)
{
    return kind_names[k];
}

#define OFF(f) offsetof(struct compute_resource_config, f)

static const struct core_knob resource_knobs[] = {
    {"name", CORE_KNOB_STRING, CORE_DIM_NONE, NULL, 0, 0, NULL, OFF(name),
     "Name of the resource type, referred to by devices and edge servers."},
    {"kind", CORE_KNOB_ENUM, CORE_DIM_NONE, "cpu", 0, 0, kind_names, OFF(kind),
     "cpu (amount = cores, peak per core), or gpu, npu, dsp (amount = share 0..1)."},
    {"units", CORE_KNOB_INT, CORE_DIM_NONE, "1", 1, 4096, NULL, OFF(units),
     "Cores of a CPU cluster; 1 for an accelerator."},
    {"peak", CORE_KNOB_REAL, CORE_DIM_FLOPS, "0", 0, 1e18, NULL, OFF(peak_flops),
     "Peak FLOP/s per unit (per CPU core, or of the whole accelerator); 0: undeclared."},
    {"memory-bandwidth", CORE_KNOB_REAL, CORE_DIM_BITRATE, "0", 0, 1e16, NULL,
     OFF(mem_bandwidth_bps), "Memory bandwidth of the device, in bits or bytes per second (200 Gbps = 25 GB/s); "
     "0: undeclared."},
    {"overhead", CORE_KNOB_REAL, CORE_DIM_TIME, "0", 0, 1, NULL, OFF(overhead_s),
     "Fixed cost added to every layer (kernel launch, DMA set-up)."},
    {"idle-power", CORE_KNOB_REAL, CORE_DIM_POWER, "0", 0, 1e6, NULL, OFF(idle_power_w),
     "Power drawn while the resource is on and idle."},
    {"active-power", CORE_KNOB_REAL, CORE_DIM_POWER, "0", 0, 1e6, NULL, OFF(active_power_w),
     "Power drawn when all of the resource computes."},
    {"efficiency", CORE_KNOB_REAL, CORE_DIM_NONE, "1", 1e-6, 1, NULL, OFF(efficiency),
     "Achieved over peak FLOP/s for every layer type without an override."},
    {"efficiency-by-type", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, OFF(efficiency_by_type),
     "Per-type overrides, space-separated type=value (conv2d=0.7 fc=0.3)."},
    {"supports", CORE_KNOB_STRING, CORE_DIM_NONE, "all", 0, 0, NULL, OFF(supports),
     "Layer types it runs: all, or space-separated type names (conv2d dwconv fc ...)."},
    {"measured", CORE_KNOB_BOOL, CORE_DIM_NONE, "false", 0, 0, NULL, OFF(measured),
     "Figures come from profiling this host (its CPU), not from the declaration."},
    {"bias", CORE_KNOB_REAL, CORE_DIM_NONE, "1", 1e-3, 1e3, NULL, OFF(bias),
     "The truth over the CPMM's prediction: each layer really takes bias times the time (and "
     "energy) predicted, for every type without an override; 1: the prediction is right."},
    {"bias-by-type", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, OFF(bias_by_type),
     "Per-type overrides of bias, space-separated type=value (conv2d=1.3 fc=0.8)."},
    {"profile", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, OFF(profile),
     "A stored profile that is this resource's truth, FILE#KEY: FILE a results database "
     "coinfer profile --db wrote (relative to the scenario file), KEY a host key in it. Each "
     "layer really takes its measured time (times bias), while the CPMM predicts from its "
     "regression fitted on the stored layers; every option of the resource takes the "
     "profile's threads as its cores, and the file must hold every layer of every model of "
     "the scenario. Empty: none, the roofline of the declared figures is the truth's base."},
};

const struct core_knob_table compute_resource_knobs = {"resource", resource_knobs,
                                                       ARRAY_LEN(resource_knobs)};

static const char *const separators = " \t,";

static enum core_rc parse_supports(const struct compute_resource_config *c,
                                   struct compute_resource *r, struct core_err *e)
{
    char buf[CORE_KNOB_STRING_MAX], *tok, *save = NULL;
    enum compute_layer_type t;
    size_t i;

    if (strcmp(c->supports, "all") == 0) {
        for (i = 0; i < COMPUTE_LAYER_TYPE_COUNT; i++)
            r->supports[i] = true;
        return CORE_OK;
    }
    snprintf(buf, sizeof(buf), "%s", c->supports);
    for (tok = strtok_r(buf, separators, &save); tok; tok = strtok_r(NULL, separators, &save)) {
        if (!compute_layer_type_find(tok, &t))
            return core_err(e, CORE_E_INPUT,
                            "resource '%s': supports names unknown layer type '%s'", c->name, tok);
        r->supports[t] = true;
    }
    return CORE_OK;
}

/* Fill out[type] with all for every type, then the overrides of by_type
 * ("type=value ..."), each within (lo, hi] (lo_incl: [lo, hi]); attr names
 * the attribute and what in messages. */
static enum core_rc parse_by_type(const struct compute_resource_config *c, const char *attr,
                                  const char *what, const char *by_type, double all, double lo,
                                  bool lo_incl, double hi, double *out, struct core_err *e)
{
    char buf[CORE_KNOB_STRING_MAX], *tok, *save = NULL, *eq, *end;
    enum compute_layer_type t;
    double v;
    size_t i;

    for (i = 0; i < COMPUTE_LAYER_TYPE_COUNT; i++)
        out[i] = all;
    snprintf(buf, sizeof(buf), "%s", by_type);
    for (tok = strtok_r(buf, separators, &save); tok; tok = strtok_r(NULL, separators, &save)) {
        eq = strchr(tok, '=');
        if (!eq)
            return core_err(e, CORE_E_INPUT, "resource '%s': %s entry '%s' is not type=value",
                            c->name, attr, tok);
        *eq = '\0';
        if (!compute_layer_type_find(tok, &t))
            return core_err(e, CORE_E_INPUT, "resource '%s': %s names unknown layer type '%s'",
                            c->name, attr, tok);
        v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end != '\0' || !((lo_incl ? v >= lo : v > lo) && v <= hi))
            return core_err(e, CORE_E_INPUT,
                            "resource '%s': %s of %s is '%s', expected a number in %c%g, %g]",
                            c->name, what, tok, eq + 1, lo_incl ? '[' : '(', lo, hi);
        out[t] = v;
    }
    return CORE_OK;
}

bool compute_resource_profile_split(const char *profile, char *file, char *key)
{
    const char *hash = strrchr(profile, '#');
    size_t n;

    if (!hash || hash == profile || hash[1] == '\0')
        return false;
    n = (size_t)(hash - profile);
    memcpy(file, profile, n);
    file[n] = '\0';
    snprintf(key, CORE_KNOB_STRING_MAX, "%s", hash + 1);
    return true;
}

enum core_rc compute_resource_from_config(const struct compute_resource_config *c,
                                          struct compute_resource *r, struct core_err *e)
{
    enum core_rc rc;

    memset(r, 0, sizeof(*r));
    if (c->kind < 0 || c->kind >= COMPUTE_RES_KIND_COUNT)
        return core_err(e, CORE_E_INPUT, "resource '%s': kind %d is unknown", c->name, c->kind);
    if (c->kind != COMPUTE_RES_CPU && c->units != 1)
        return core_err(e, CORE_E_INPUT,
                        "resource '%s': a %s has units 1 (amounts are shares), not %ld", c->name,
                        kind_names[c->kind], c->units);
    if (c->units < 1)
        return core_err(e, CORE_E_INPUT, "resource '%s': units %ld, expected >= 1", c->name,
                        c->units);
    if (!(c->efficiency > 0.0 && c->efficiency <= 1.0))
        return core_err(e, CORE_E_INPUT, "resource '%s': efficiency %g outside (0, 1]", c->name,
                        c->efficiency);
    if (!(c->bias >= 1e-3 && c->bias <= 1e3))
        return core_err(e, CORE_E_INPUT, "resource '%s': bias %g outside [0.001, 1000]", c->name,
                        c->bias);
    if (c->active_power_w < c->idle_power_w)
        return core_err(e, CORE_E_INPUT,
                        "resource '%s': active power %g W is below idle power %g W", c->name,
                        c->active_power_w, c->idle_power_w);
    if (c->profile[0] != '\0') {
        char file[CORE_KNOB_STRING_MAX], key[CORE_KNOB_STRING_MAX];

        if (!compute_resource_profile_split(c->profile, file, key))
            return core_err(e, CORE_E_INPUT,
                            "resource '%s': profile '%s' is not FILE#KEY (a results database "
                            "written by coinfer profile --db, '#', and a host key in it)",
                            c->name, c->profile);
        if (c->measured)
            return core_err(e, CORE_E_INPUT,
                            "resource '%s': measured=\"true\" (profile at run time) and "
                            "profile (a stored profile) exclude each other",
                            c->name);
    }
    if (!c->measured && c->profile[0] == '\0' &&
        !(c->peak_flops > 0.0 && c->mem_bandwidth_bps > 0.0)) {
        const bool no_peak = !(c->peak_flops > 0.0), no_bw = !(c->mem_bandwidth_bps > 0.0);

        return core_err(e, CORE_E_INPUT,
                        "resource '%s': %s%s%s%s 0 (left out, or written as 0): a declared "
                        "resource computes at a peak above 0 FLOP/s per unit from a memory "
                        "bandwidth above 0 bit/s (or name a stored profile of the host, "
                        "profile=\"FILE#KEY\")",
                        c->name, no_peak ? "peak" : "", no_peak && no_bw ? " and " : "",
                        no_bw ? "memory-bandwidth" : "", no_peak && no_bw ? " are" : " is");
    }
    snprintf(r->name, sizeof(r->name), "%s", c->name);
    r->kind = (enum compute_resource_kind)c->kind;
    r->units = (uint32_t)c->units;
    r->peak_flops = c->peak_flops;
    r->mem_bandwidth_bytes_per_s = c->mem_bandwidth_bps / 8.0;
    r->overhead_s = c->overhead_s;
    r->idle_power_w = c->idle_power_w;
    r->active_power_w = c->active_power_w;
    r->measured = c->measured;
    rc = parse_supports(c, r, e);
    if (rc == CORE_OK)
        rc = parse_by_type(c, "efficiency-by-type", "efficiency", c->efficiency_by_type,
                           c->efficiency, 0.0, false, 1.0, r->efficiency, e);
    if (rc == CORE_OK)
        rc = parse_by_type(c, "bias-by-type", "bias", c->bias_by_type, c->bias, 1e-3, true, 1e3,
                           r->bias, e);
    return rc;
}
