/*
 * weights.c — fuzz target: a weights file (nn/weights.c's format), loaded
 * into a small finalized model that has a tensor of every kind (conv2d
 * weight and bias, batchnorm's four, fc weight and bias) as
 * `<model weights="...">` loads it (nn_weights_load). Bad input must be
 * CORE_E_INPUT.
 *
 * A weights file ends in the FNV-1a-64 checksum of every byte before it.
 * The harness appends that checksum to each input, so the fuzzer's
 * mutations reach the records instead of dying at the checksum: a corpus
 * entry is a weights file without its last 8 bytes. The product has no way
 * to skip the check; only this harness computes what it expects.
 */
#include "fuzz.h"

#include "io/io.h"
#include "nn/nn.h"

static const char model_xml[] =
    "<model name=\"fuzz-weights\">\n"
    "  <input channels=\"2\" height=\"6\" width=\"6\"/>\n"
    "  <layer name=\"conv\" type=\"conv2d\" out-channels=\"3\" kernel=\"3\"/>\n"
    "  <layer name=\"bn\" type=\"batchnorm\"/>\n"
    "  <layer name=\"act\" type=\"relu\"/>\n"
    "  <layer name=\"pool\" type=\"maxpool\" kernel=\"2\" stride=\"2\"/>\n"
    "  <layer name=\"flat\" type=\"flatten\"/>\n"
    "  <layer name=\"fc\" type=\"fc\" out-channels=\"4\"/>\n"
    "</model>\n";

static struct nn_model *model; /* the model every input is loaded into */

static void fuzz_setup(void)
{
    const char *path = fuzz_path("models/fuzz-weights-model.xml");
    struct core_err e = {0};

    fuzz_write(path, model_xml, strlen(model_xml));
    if (io_model_load(path, 1, &model, &e) != CORE_OK)
        fuzz_die("the weights target's model does not load", e.msg);
}

/* FNV-1a-64, as nn/weights.c defines the checksum. */
static uint64_t fnv1a64(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT};
    const char *path = fuzz_path("models/fuzz-input.weights");
    struct core_err e = {0};
    uint8_t sum[8];
    uint64_t h = fnv1a64(data, size);

    for (int i = 0; i < 8; i++)
        sum[i] = (uint8_t)(h >> (8 * i));
    fuzz_write2(path, data, size, sum, sizeof(sum));
    fuzz_check_rc("nn_weights_load", nn_weights_load(model, path, &e), &e, allowed,
                  ARRAY_LEN(allowed));
}
