/*
 * scenarioutil.h — a scenario file loaded (with any --set overrides) and
 * assembled for a test or a benchmark, as the coinfer command does it:
 * io_scenario_load, then run_assemble. Header-only.
 */
#ifndef COINFER_TESTS_SCENARIOUTIL_H
#define COINFER_TESTS_SCENARIOUTIL_H

#include "io/io.h"
#include "run/run.h"

/* A loaded scenario and its assembly, both owned. */
struct tu_scenario {
    struct io_config *cfg;  /* the configuration tree */
    struct run_assembly *a; /* what the run drivers take */
};

/* Load path with sets[0..n_sets) ("PATH=VALUE") and assemble it; on error
 * both stay NULL and e says why. */
static inline enum core_rc tu_scenario_open(struct tu_scenario *s, const char *path,
                                            const char *const *sets, size_t n_sets,
                                            struct core_err *e)
{
    enum core_rc rc;

    s->cfg = NULL;
    s->a = NULL;
    rc = io_scenario_load(path, sets, n_sets, &s->cfg, e);
    if (rc == CORE_OK)
        rc = run_assemble(s->cfg, &s->a, e);
    if (rc != CORE_OK) {
        io_config_destroy(s->cfg);
        s->cfg = NULL;
    }
    return rc;
}

static inline void tu_scenario_close(struct tu_scenario *s)
{
    run_assembly_destroy(s->a);
    io_config_destroy(s->cfg);
    s->a = NULL;
    s->cfg = NULL;
}

#endif /* COINFER_TESTS_SCENARIOUTIL_H */
