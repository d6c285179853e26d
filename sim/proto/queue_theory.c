/*
 * queue_theory.c — what queueing theory says the validation queue should do,
 * so a run can print its error against theory. (The validation tests compute
 * theory on their own, independently of this file.)
 *
 * M/M/c: Erlang C probability of waiting C(c, a) with a = lambda/mu,
 *        W = C / (c mu - lambda) + 1/mu.
 * M/D/1: Pollaczek-Khinchine, W = rho / (2 mu (1 - rho)) + 1/mu.
 */
#include "proto/proto.h"

#include <math.h>

/* Erlang C: probability that an arrival waits, for c servers at offered load a
 * (in Erlangs), via the numerically stable Erlang B recursion. */
static double erlang_c(long c, double a)
{
    double b = 1.0; /* Erlang B with 0 servers */
    double rho = a / (double)c;
    long k;

    for (k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    return b / (1.0 - rho + rho * b);
}

double proto_queue_theory_sojourn_s(const struct proto_queue_config *q)
{
    double lambda = (double)q->ues.n_ues * q->ues.rate_hz;
    double mu = 1.0 / q->server.mean_service_s;
    long c = q->server.n_servers;
    double rho = proto_queue_rho(q);

    if (q->ues.arrival != PROTO_ARRIVAL_POISSON || rho >= 1.0)
        return NAN;
    if (q->server.service == PROTO_SERVICE_EXPONENTIAL)
        return erlang_c(c, lambda / mu) / ((double)c * mu - lambda) + 1.0 / mu;
    if (c == 1)
        return rho / (2.0 * mu * (1.0 - rho)) + 1.0 / mu;
    return NAN;
}
