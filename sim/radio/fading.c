/*
 * fading.c — flat small-scale fading as a sum of sinusoids correlated in
 * time by the Doppler of the UE's speed.
 *
 * h(t) = los_amp e^{j psi_0(t)} + scatter_amp sum_n e^{j psi_n(t)}, where
 * path n arrives at angle alpha_n = (2 pi n - pi + theta) / N (n = 1..N, one
 * random rotation theta uniform on [-pi, pi)) with a random initial phase,
 * and psi_n advances at omega_d cos(alpha_n). Because the alpha_n together
 * with theta cover [0, 2 pi) uniformly, the ensemble autocorrelation is
 * E[h(t + tau) h*(t)] = (1 - los) J0(2 pi f_D tau) + LOS term, exactly, and
 * E|h|^2 = los_amp^2 + N scatter_amp^2 = 1 at every t (Zheng & Xiao, "Simulation
 * models with correct statistical properties for Rayleigh fading channels",
 * IEEE Trans. Commun. 2003; Patzold, "Mobile Fading Channels", 2002).
 * The LOS ray has its own random arrival angle and phase.
 *
 * Phases are kept relative to t_ref_s so a change of Doppler at t rebases
 * them there and h stays continuous.
 */
#include "radio/radio_int.h"

double radio_doppler_hz(double speed_mps, double carrier_hz)
{
    return speed_mps * carrier_hz / RADIO_SPEED_OF_LIGHT_MPS;
}

double radio_fading_coherence_s(double doppler_hz)
{
    if (!(doppler_hz > 0.0))
        return INFINITY;
    return 0.423 / doppler_hz;
}

void radio_fading_init(struct radio_fading *f, double doppler_hz, double k_factor_db,
                       double t0_s, struct core_rng *r)
{
    double theta = core_rng_uniform_in(r, -RADIO_PI, RADIO_PI);
    double k = isinf(k_factor_db) && k_factor_db < 0.0 ? 0.0 : pow(10.0, k_factor_db / 10.0);
    const int n = RADIO_FADING_SINUSOIDS;

    CORE_ASSERT(doppler_hz >= 0.0);
    for (int i = 0; i < n; i++) {
        double alpha = (2.0 * RADIO_PI * (i + 1) - RADIO_PI + theta) / n;

        f->cos_alpha[i] = cos(alpha);
        f->phase_rad[i] = core_rng_uniform_in(r, -RADIO_PI, RADIO_PI);
    }
    f->los_cos_alpha = cos(core_rng_uniform_in(r, -RADIO_PI, RADIO_PI));
    f->los_phase_rad = core_rng_uniform_in(r, -RADIO_PI, RADIO_PI);
    f->los_amp = sqrt(k / (k + 1.0));
    f->scatter_amp = sqrt(1.0 / (k + 1.0) / n);
    f->t_ref_s = t0_s;
    f->doppler_hz = -1.0;
    radio_fading_set_doppler(f, t0_s, doppler_hz);
}

void radio_fading_set_doppler(struct radio_fading *f, double t_s, double doppler_hz)
{
    double dt_s = t_s - f->t_ref_s;
    double omega_d = 2.0 * RADIO_PI * doppler_hz;

    CORE_ASSERT(dt_s >= 0.0 && doppler_hz >= 0.0);
    if (f->doppler_hz >= 0.0) {
        for (int i = 0; i < RADIO_FADING_SINUSOIDS; i++)
            f->phase_rad[i] = fmod(f->phase_rad[i] + f->omega_rad_s[i] * dt_s, 2.0 * RADIO_PI);
        f->los_phase_rad = fmod(f->los_phase_rad + f->los_omega_rad_s * dt_s, 2.0 * RADIO_PI);
    }
    for (int i = 0; i < RADIO_FADING_SINUSOIDS; i++)
        f->omega_rad_s[i] = omega_d * f->cos_alpha[i];
    f->los_omega_rad_s = omega_d * f->los_cos_alpha;
    f->doppler_hz = doppler_hz;
    f->t_ref_s = t_s;
}

void radio_fading_gain(const struct radio_fading *f, double t_s, double *re, double *im)
{
    double dt_s = t_s - f->t_ref_s;
    double sr = 0.0, si = 0.0;

    for (int i = 0; i < RADIO_FADING_SINUSOIDS; i++) {
        double psi = f->phase_rad[i] + f->omega_rad_s[i] * dt_s;

        sr += cos(psi);
        si += sin(psi);
    }
    double psi0 = f->los_phase_rad + f->los_omega_rad_s * dt_s;

    *re = f->scatter_amp * sr + f->los_amp * cos(psi0);
    *im = f->scatter_amp * si + f->los_amp * sin(psi0);
}

double radio_fading_power(const struct radio_fading *f, double t_s)
{
    double re, im;

    radio_fading_gain(f, t_s, &re, &im);
    return re * re + im * im;
}
