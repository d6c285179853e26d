/*
 * test_sha256.c — SHA-256 against the known answers of FIPS 180-4 and
 * NIST's examples, whole and fed in pieces that straddle block boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/core.h"

static void hex_of(const char *data, size_t n, char hex[65])
{
    struct core_sha256 s;

    core_sha256_init(&s);
    core_sha256_update(&s, data, n);
    core_sha256_final_hex(&s, hex);
}

static void test_sha256_known_answers(void **unused)
{
    static const struct {
        const char *text;
        const char *hex;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
         "klmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hex_of(cases[i].text, strlen(cases[i].text), hex);
        assert_string_equal(hex, cases[i].hex);
    }
}

static void test_sha256_million_a_fed_in_uneven_pieces(void **unused)
{
    static char a[1000];
    struct core_sha256 s;
    char hex[65];
    size_t done = 0, piece = 1;

    memset(a, 'a', sizeof(a));
    core_sha256_init(&s);
    while (done < 1000000) {
        size_t n = piece < 1000000 - done ? piece : 1000000 - done;
        core_sha256_update(&s, a, n);
        done += n;
        piece = piece % 900 + 63; /* 1, 64, 127, ...: pieces of every alignment */
    }
    core_sha256_final_hex(&s, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_padding_boundaries_match_one_shot(void **unused)
{
    /* 55, 56 and 64 bytes are where the length either fits or spills over. */
    static const size_t lens[] = {55, 56, 63, 64, 65, 119, 120};
    char data[128], one[65], split[65];

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('A' + i % 26);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct core_sha256 s;
        hex_of(data, lens[i], one);
        core_sha256_init(&s);
        core_sha256_update(&s, data, 7);
        core_sha256_update(&s, data + 7, lens[i] - 7);
        core_sha256_final_hex(&s, split);
        assert_string_equal(one, split);
    }
    hex_of(data, 56, one); /* python3: hashlib.sha256(b"ABC...Z" * 2 + b"ABCD") */
    assert_string_equal(one, "f257b5e23c5cb81d044c7a9074ceeac9235ff5c1b377048c7c368ef1038462a2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_answers),
        cmocka_unit_test(test_sha256_million_a_fed_in_uneven_pieces),
        cmocka_unit_test(test_sha256_padding_boundaries_match_one_shot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
