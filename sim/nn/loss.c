/*
 * loss.c — the losses training starts its backward pass from: softmax
 * cross-entropy on logits (classification), mean squared error and the
 * Huber loss (regression), with their gradients, as PyTorch's
 * cross_entropy, mse_loss and huber_loss with reduction "mean".
 *
 * Cross-entropy is taken on the logits z of a row: log softmax(z)_y =
 * z_y - max - log sum_j exp(z_j - max), in double, which stays finite where
 * softmax(z)_y underflows to 0.
 */
#include "nn/nn_int.h"

#include <math.h>

double nn_loss_xent(const float *logits, const uint32_t *labels, size_t n, size_t k,
                    float *d_logits, size_t *correct)
{
    double total = 0.0;
    size_t i, j, hits = 0;

    for (i = 0; i < n; i++) {
        const float *z = logits + i * k;
        const uint32_t y = labels[i];
        size_t best = 0;
        double mx, sum = 0.0;
        CORE_ASSERT(y < k);
        for (j = 1; j < k; j++)
            if (z[j] > z[best])
                best = j;
        hits += best == y;
        mx = z[best];
        for (j = 0; j < k; j++)
            sum += exp((double)z[j] - mx);
        total += log(sum) - ((double)z[y] - mx);
        if (d_logits) {
            float *d = d_logits + i * k;
            for (j = 0; j < k; j++)
                d[j] = (float)((exp((double)z[j] - mx) / sum - (j == y)) / (double)n);
        }
    }
    if (correct)
        *correct = hits;
    return n ? total / (double)n : 0.0;
}

double nn_loss_mse(const float *y, const float *target, size_t count, float *dy)
{
    double total = 0.0;
    size_t i;

    for (i = 0; i < count; i++) {
        const double d = (double)y[i] - target[i];
        total += d * d;
        if (dy)
            dy[i] = (float)(2.0 * d / (double)count);
    }
    return count ? total / (double)count : 0.0;
}

double nn_loss_huber(const float *y, const float *target, size_t count, double delta, float *dy)
{
    double total = 0.0;
    size_t i;

    CORE_ASSERT(delta > 0);
    for (i = 0; i < count; i++) {
        const double d = (double)y[i] - target[i], a = fabs(d);

        total += a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
        if (dy)
            dy[i] = (float)((a <= delta ? d : (d > 0 ? delta : -delta)) / (double)count);
    }
    return count ? total / (double)count : 0.0;
}
