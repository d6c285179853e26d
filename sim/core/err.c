/*
 * err.c — the one way errors are raised and reported.
 *
 * Every failure in coinfer passes through core_verr_at(): it records the code,
 * the function that raised it and the message in the caller's struct
 * core_err, and returns the code so the raise is a visible `return`.
 * A breakpoint on core_verr_at catches every error. A message longer than
 * the struct's buffer is written whole into a temporary one and elided into
 * it word by word (core_elide): a long value loses its middle, the reason
 * around it stays.
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
    char tmp[sizeof(e->msg)];
    va_list again;
    int n;

    if (!e)
        return rc;
    /* Formatted apart first: an argument may be e->msg itself. */
    va_copy(again, ap);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (n < 0) {
        tmp[0] = '\0';
    } else if (n >= (int)sizeof(tmp)) {
        char *whole = core_malloc((size_t)n + 1);

        if (whole) {
            vsnprintf(whole, (size_t)n + 1, fmt, again);
            core_elide(tmp, sizeof(tmp), whole);
            core_free(whole);
        } else {
            memcpy(tmp + sizeof(tmp) - 4, "...", 4);
        }
    }
    va_end(again);
    e->rc = rc;
    e->origin = origin;
    memcpy(e->msg, tmp, sizeof(tmp));
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
