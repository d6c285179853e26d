/*
 * exit_rule.c — when an item leaves at an early exit: the confidence scores
 * of a branch's answer (maximum softmax probability, or the softmax's
 * entropy normalised by log k) and the cascade that applies a threshold per
 * exit to the scores of a set of items.
 *
 * Scores are computed in double from float logits: p_c = exp(z_c - max z) /
 * sum exp(z - max z). max-prob = max p (in [1/k, 1]); entropy = -sum p log p
 * / log k (in [0, 1], 0 when one class takes everything). An item leaves at
 * an exit when max-prob >= threshold, or entropy <= threshold.
 */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

static const char *const conf_names[] = {
    [NN_CONF_MAX_PROB] = "max-prob",
    [NN_CONF_ENTROPY] = "entropy",
};
static_assert(ARRAY_LEN(conf_names) == NN_CONF_COUNT, "one name per enum nn_conf_kind");

const char *nn_conf_name(enum nn_conf_kind k)
{
    CORE_ASSERT((unsigned)k < NN_CONF_COUNT);
    return conf_names[k];
}

bool nn_conf_find(const char *name, enum nn_conf_kind *k)
{
    for (size_t i = 0; i < NN_CONF_COUNT; i++)
        if (strcmp(name, conf_names[i]) == 0) {
            *k = (enum nn_conf_kind)i;
            return true;
        }
    return false;
}

double nn_conf_score(enum nn_conf_kind k, const float *row, size_t n, bool probs)
{
    double top = row[0], sum = 0.0, h = 0.0;
    size_t i;

    CORE_ASSERT(n >= 2 && (unsigned)k < NN_CONF_COUNT);
    for (i = 1; i < n; i++)
        top = row[i] > top ? row[i] : top;
    if (probs) {
        for (i = 0; i < n; i++)
            sum += row[i] > 0.0f ? row[i] : 0.0;
        if (!(sum > 0.0))
            return k == NN_CONF_MAX_PROB ? 1.0 / (double)n : 1.0;
        if (k == NN_CONF_MAX_PROB)
            return top / sum;
        for (i = 0; i < n; i++) {
            const double p = (row[i] > 0.0f ? row[i] : 0.0) / sum;
            if (p > 0.0)
                h -= p * log(p);
        }
        return h / log((double)n);
    }
    for (i = 0; i < n; i++)
        sum += exp((double)row[i] - top);
    if (k == NN_CONF_MAX_PROB)
        return 1.0 / sum;
    /* log p_i = z_i - top - log sum: exact where p_i underflows. */
    for (i = 0; i < n; i++) {
        const double lp = (double)row[i] - top - log(sum);
        h -= exp(lp) * lp;
    }
    return h / log((double)n);
}

bool nn_conf_leaves(enum nn_conf_kind k, double score, double thr)
{
    return k == NN_CONF_MAX_PROB ? score >= thr : score <= thr;
}

void nn_exit_cascade(enum nn_conf_kind k, size_t n, size_t n_exits, const double *thr,
                     const uint32_t *pred, const float *score, const uint8_t *labels,
                     struct nn_exit_stage *st)
{
    const size_t stages = n_exits + 1;

    memset(st, 0, stages * sizeof(*st));
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < n_exits && !nn_conf_leaves(k, score[i * stages + j], thr[j]))
            j++;
        st[j].left++;
        st[j].correct += pred[i * stages + j] == labels[i];
    }
}
