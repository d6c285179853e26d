/*
 * progress.c — the progress bar of long runs: percent of simulated time,
 * events per second of wall time, and the estimated time left. Drawn on
 * stderr with a carriage return, only when stderr is a terminal, not quiet,
 * and after the first second (short runs stay silent).
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define SILENT_FIRST_S 1.0

void cli_progress_init(struct cli_progress *p, bool quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->drawn = false;
}

static void format_eta(char *buf, size_t size, double eta_s)
{
    if (eta_s < 0 || eta_s > 1e7)
        snprintf(buf, size, "--");
    else if (eta_s < 60)
        snprintf(buf, size, "%.0f s", eta_s);
    else if (eta_s < 3600)
        snprintf(buf, size, "%.0f min %02.0f s", eta_s / 60 - 0.5, (double)((long)eta_s % 60));
    else
        snprintf(buf, size, "%.1f h", eta_s / 3600);
}

void cli_progress_update(void *ctx, double sim_now_s, double sim_end_s, uint64_t events,
                         double wall_s)
{
    struct cli_progress *p = ctx;
    double frac = sim_end_s > 0 ? sim_now_s / sim_end_s : 0;
    char bar[BAR_WIDTH + 1], eta[32];
    int i, filled;

    if (!p->enabled || wall_s < SILENT_FIRST_S)
        return;
    if (frac > 1)
        frac = 1;
    filled = (int)(frac * BAR_WIDTH);
    for (i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    format_eta(eta, sizeof(eta), frac > 0 ? wall_s * (1 - frac) / frac : -1);
    fprintf(stderr, "\r[%s] %5.1f%%  %.3g events/s  ETA %s   ", bar, 100 * frac,
            (double)events / wall_s, eta);
    fflush(stderr);
    p->drawn = true;
}

void cli_progress_finish(struct cli_progress *p)
{
    if (p->drawn)
        fputc('\n', stderr);
    p->drawn = false;
}

void cli_progress_draw(struct cli_progress *p, double frac, const char *text, double wall_s)
{
    char bar[BAR_WIDTH + 1], eta[32];
    int i, filled;

    if (!p->enabled || wall_s < SILENT_FIRST_S)
        return;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    filled = (int)(frac * BAR_WIDTH);
    for (i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    format_eta(eta, sizeof(eta), frac > 0 ? wall_s * (1 - frac) / frac : -1);
    fprintf(stderr, "\r%s [%s] %5.1f%%  ETA %s   ", text, bar, 100 * frac, eta);
    fflush(stderr);
    p->drawn = true;
}
