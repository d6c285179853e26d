/*
 * signals.c — what every long-running subcommand shares: a clean stop on
 * SIGINT/SIGTERM (the flag the engine polls; a second signal kills at once).
 */
#include "cli/cli_int.h"

#include <signal.h>
#include <string.h>

static_assert(sizeof(sig_atomic_t) == sizeof(int), "the engine polls a volatile int");
volatile int cli_stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    cli_stop_requested = 1;
}

void cli_install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal takes the default action */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
