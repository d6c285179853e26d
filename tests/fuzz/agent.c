/*
 * agent.c — fuzz target: an agent file (io/agent_file.c's format) read as
 * `coinfer run --agent` and `coinfer validate` read it (io_agent_read, then
 * io_agent_validate). Bad input must be CORE_E_INPUT; a file that reads is
 * destroyed again (no leak).
 *
 * An agent file ends in the SHA-256 of every byte before it, in 64 hex
 * digits. The harness appends it to each input, so the fuzzer's mutations
 * reach the records instead of dying at the checksum: a corpus entry is an
 * agent file without its last 64 bytes. The product has no way to skip the
 * check; only this harness computes what it expects.
 */
#include "fuzz.h"

#include "io/io.h"
#include "policy/policy.h"

static void fuzz_setup(void)
{
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT};
    const char *path = fuzz_path("fuzz-input.agent");
    struct core_sha256 h;
    struct policy_agent *a = NULL;
    struct core_err e = {0};
    char hex[65];

    core_sha256_init(&h);
    core_sha256_update(&h, data, size);
    core_sha256_final_hex(&h, hex);
    fuzz_write2(path, data, size, hex, 64);
    fuzz_check_rc("io_agent_read", io_agent_read(path, &a, &e), &e, allowed,
                  ARRAY_LEN(allowed));
    policy_agent_destroy(a);
    e = (struct core_err){0};
    fuzz_check_rc("io_agent_validate", io_agent_validate(path, &e), &e, allowed,
                  ARRAY_LEN(allowed));
}
