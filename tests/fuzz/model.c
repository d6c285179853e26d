/*
 * model.c — fuzz target: a model file (models/schema.xsd), checked as
 * `coinfer validate` checks it (io_model_validate: the limits scan, XSD,
 * every layer's parameters and shapes, its weights file if it names one)
 * and loaded as pricing loads it (io_model_load_shapes, then its cost);
 * when it is small (at most FUZZ_MODEL_MAX_PARAMS parameters and
 * FUZZ_MODEL_MAX_TENSOR_BYTES of activations), loaded whole as `profile`
 * does (io_model_load: weights drawn or read, activations planned), which
 * must then succeed too.
 * Bad input must be CORE_E_INPUT. The input is written in the sandbox's
 * models/, beside links to the tree's model and weights files.
 */
#include "fuzz.h"

#include "io/io.h"
#include "nn/nn.h"

#define FUZZ_MODEL_MAX_PARAMS (1u << 20)
#define FUZZ_MODEL_MAX_TENSOR_BYTES (16u << 20)

/* Whether loading m whole stays small enough for a fuzzer's memory. */
static bool small_enough(const struct nn_model *m, const struct nn_cost *cost)
{
    uint64_t bytes = 0;

    if (cost->params > FUZZ_MODEL_MAX_PARAMS)
        return false;
    for (size_t i = 0; i < nn_model_n_layers(m); i++) {
        bytes += nn_model_tensor_bytes(m, (int)i);
        if (bytes > FUZZ_MODEL_MAX_TENSOR_BYTES)
            return false;
    }
    return true;
}

static void fuzz_setup(void)
{
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT};
    const char *path = fuzz_path("models/fuzz-input.xml");
    struct core_err e = {0};
    struct nn_model *m = NULL;
    struct nn_cost cost;
    enum core_rc rc;

    fuzz_write(path, data, size);
    rc = io_model_validate(path, &e);
    fuzz_check_rc("io_model_validate", rc, &e, allowed, ARRAY_LEN(allowed));
    if (rc != CORE_OK)
        return;
    rc = io_model_load_shapes(path, &m, &e);
    if (!fuzz_must_succeed("io_model_load_shapes", rc, &e))
        return;
    nn_model_cost(m, &cost);
    if (small_enough(m, &cost)) {
        struct nn_model *whole = NULL;

        rc = io_model_load(path, 1, &whole, &e);
        if (fuzz_must_succeed("io_model_load", rc, &e))
            nn_model_destroy(whole);
    }
    nn_model_destroy(m);
}
