/*
 * scenario.c — fuzz target: a scenario file, loaded and validated as
 * `coinfer validate` and `coinfer run` load it (io_scenario_load: the
 * limits scan, libxml2 and the XSD, the tree, the cross-checks), then
 * written back in canonical form, which must load again to the same
 * canonical text (it "reads back to the same values", io.h). Bad input must
 * be CORE_E_INPUT.
 */
#include "fuzz.h"

#include "io/io.h"

static void fuzz_setup(void)
{
}

/* c's canonical text loads again to the same canonical text. */
static void check_round_trip(const struct io_config *c)
{
    const char *path = fuzz_path("scenarios/fuzz-canonical.xml");
    char *text = NULL, *again = NULL, sha256[65], sha256_again[65];
    struct io_config *c2 = NULL;
    struct core_err e = {0};
    enum core_rc rc;

    rc = io_config_canonical(c, &text, sha256, &e);
    if (!fuzz_must_succeed("io_config_canonical", rc, &e))
        return;
    fuzz_write(path, text, strlen(text));
    rc = io_scenario_load(path, NULL, 0, &c2, &e);
    if (rc != CORE_OK && !(fuzz_walking && rc == CORE_E_NOMEM)) {
        fprintf(stderr, "fuzz: the canonical text does not load: %s\n%s\n", e.msg, text);
        abort();
    }
    if (rc != CORE_OK)
        goto out_free_text;
    rc = io_config_canonical(c2, &again, sha256_again, &e);
    if (!fuzz_must_succeed("io_config_canonical", rc, &e))
        goto out_destroy;
    if (strcmp(text, again) != 0) {
        fprintf(stderr, "fuzz: the canonical text reads back to another:\n%s\n---\n%s\n", text,
                again);
        abort();
    }
    core_free(again);
out_destroy:
    io_config_destroy(c2);
out_free_text:
    core_free(text);
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    static const enum core_rc allowed[] = {CORE_E_INPUT};
    const char *path = fuzz_path("scenarios/fuzz-input.xml");
    struct core_err e = {0};
    struct io_config *c = NULL;
    enum core_rc rc;

    fuzz_write(path, data, size);
    rc = io_scenario_load(path, NULL, 0, &c, &e);
    fuzz_check_rc("io_scenario_load", rc, &e, allowed, ARRAY_LEN(allowed));
    if (rc == CORE_OK)
        check_round_trip(c);
    io_config_destroy(c);
}
