/*
 * err.c — the one way errors are raised and reported.
 *
 * Every failure in coinfer passes through core_verr_at(): it records the code,
 * the function that raised it and the message in the caller's struct
 * core_err, and returns the code so the raise is a visible `return`.
 * A breakpoint on core_verr_at catches every error.
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rc_names[] = {
    [CORE_OK] = "ok",
    [CORE_E_INPUT] = "input",
    [CORE_E_USAGE] = "usage",
    [CORE_E_NOMEM] = "nomem",
    [CORE_E_IO] = "io",
    [CORE_E_DB] = "db",
    [CORE_E_RUNTIME] = "runtime",
    [CORE_E_INTERRUPTED] = "interrupted",
};
static_assert(ARRAY_LEN(rc_names) == CORE_RC_COUNT, "one name per core_rc");

enum core_rc core_verr_at(struct core_err *e, enum core_rc rc, const char *origin,
                          const char *fmt, va_list ap)
{
    if (e) {
        e->rc = rc;
        e->origin = origin;
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    }
    return rc;
}

enum core_rc core_err_at(struct core_err *e, enum core_rc rc, const char *origin,
                         const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    core_verr_at(e, rc, origin, fmt, ap);
    va_end(ap);
    return rc;
}

void core_err_clear(struct core_err *e)
{
    e->rc = CORE_OK;
    e->origin = NULL;
    e->msg[0] = '\0';
}

const char *core_rc_name(enum core_rc rc)
{
    CORE_ASSERT(rc >= 0 && rc < CORE_RC_COUNT);
    return rc_names[rc];
}

int core_rc_exit_code(enum core_rc rc)
{
    switch (rc) {
    case CORE_OK:
        return 0;
    case CORE_E_INPUT:
    case CORE_E_USAGE:
        return 2;
    default:
        return 1;
    }
}

_Noreturn void core_panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "coinfer: internal error at %s:%d: assertion '%s' failed\n", file, line,
            what);
    abort();
}
