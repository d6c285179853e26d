/*
 * sweep.c — fuzz target: a sweep file (scenarios/sweep.xsd), loaded as
 * `coinfer sweep` loads it (io_sweep_load: XSD, its base scenario, every
 * factor value checked against its knob, the constraints parsed, the kept
 * combinations enumerated), then its first points listed with their
 * settings. Bad input must be CORE_E_INPUT. The input is written in the
 * sandbox's scenarios/studies/, so "../fixed-link.xml" is the tree's.
 */
#include "fuzz.h"

#include "io/io.h"

/* The points listed per input (enough to touch every factor's values). */
#define FUZZ_SWEEP_POINTS 64

static void fuzz_setup(void)
{
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT};
    const char *path = fuzz_path("scenarios/studies/fuzz-input.xml");
    struct core_err e = {0};
    struct io_sweep *s = NULL;
    struct io_value values[256];
    enum core_rc rc;

    fuzz_write(path, data, size);
    rc = io_sweep_load(path, &s, &e);
    fuzz_check_rc("io_sweep_load", rc, &e, allowed, ARRAY_LEN(allowed));
    if (rc != CORE_OK)
        return;
    for (uint64_t i = 0; i < io_sweep_n_points(s) && i < FUZZ_SWEEP_POINTS; i++) {
        struct io_sweep_point pt;

        io_sweep_point(s, i, &pt);
        for (size_t f = 0; f < io_sweep_n_factors(s); f++) {
            if (io_sweep_point_value(s, &pt, f) == NULL || io_sweep_point_set(s, &pt, f) == NULL)
                fuzz_die("a point without a value", io_sweep_factor_name(s, f));
        }
        if (io_sweep_n_names(s) <= ARRAY_LEN(values))
            io_sweep_point_values(s, &pt, values);
    }
    io_sweep_destroy(s);
}
