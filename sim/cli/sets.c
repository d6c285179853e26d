/*
 * sets.c — the knob overrides of a command line: --set PATH=VALUE, repeatable,
 * and --seed N, which is simulation@seed=N. They are handed in order to
 * io_scenario_load, which applies them through the knobs' own tables (a bad
 * path or value is a usage error naming it), so the configuration is built
 * once and never patched.
 */
#include "cli/cli_int.h"

#include <stdio.h>

bool cli_sets_init(struct cli_sets *s, int argc, const char *command)
{
    s->n = 0;
    s->seed_text[0] = '\0';
    s->v = core_calloc(argc > 0 ? (size_t)argc : 1, sizeof(*s->v));
    if (!s->v)
        fprintf(stderr, "coinfer %s: out of memory\n", command);
    return s->v != NULL;
}

void cli_sets_fini(struct cli_sets *s)
{
    core_free(s->v);
    s->v = NULL;
    s->n = 0;
}

void cli_sets_add(struct cli_sets *s, const char *assignment)
{
    s->v[s->n++] = assignment;
}

bool cli_sets_seed(struct cli_sets *s, const char *value, const char *command)
{
    uint64_t seed;

    if (!cli_whole_option(command, "--seed", value, 0, UINT64_MAX, &seed))
        return false;
    snprintf(s->seed_text, sizeof(s->seed_text), "simulation@seed=%llu",
             (unsigned long long)seed);
    cli_sets_add(s, s->seed_text);
    return true;
}
