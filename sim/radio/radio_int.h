/*
 * radio_int.h — shared between the files of sim/radio only: small numeric
 * helpers and constants that more than one file needs.
 */
#ifndef COINFER_RADIO_INT_H
#define COINFER_RADIO_INT_H

#include "radio/radio.h"

#include <math.h>

#define RADIO_PI 3.14159265358979323846

/* The harmonic number H_n = 1 + 1/2 + ... + 1/n (PF's multiuser diversity
 * gain over Rayleigh fading); 0 for n = 0. */
double radio_harmonic(size_t n);

#endif /* COINFER_RADIO_INT_H */
