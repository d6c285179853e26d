/*
 * onnx.c — fuzz target: an ONNX file, imported as `coinfer import` reads
 * it (io_onnx_import: protobuf-c's unpacking, the opset, every node mapped
 * onto an nn op with its attributes and initializers, the model finalized
 * holding the file's weights). Bad input must be CORE_E_INPUT.
 */
#include "fuzz.h"

#include "io/io.h"
#include "nn/nn.h"

static void fuzz_setup(void)
{
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT};
    const char *path = fuzz_path("models/fuzz-input.onnx");
    struct io_onnx_info info;
    struct core_err e = {0};
    struct nn_model *m = NULL;
    enum core_rc rc;

    fuzz_write(path, data, size);
    rc = io_onnx_import(path, 1, &m, &info, &e);
    fuzz_check_rc("io_onnx_import", rc, &e, allowed, ARRAY_LEN(allowed));
    nn_model_destroy(m);
}
