/*
 * init.c — process start-up for the parts of third-party libraries whose
 * defaults do not suit a simulator: GSL aborts on error unless told not to.
 */
#include "core/core.h"

#include <gsl/gsl_errno.h>

void core_init(void)
{
    gsl_set_error_handler_off();
}
