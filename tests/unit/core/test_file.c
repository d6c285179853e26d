/*
 * test_file.c — opening a user's input file (core_file_open): regular files
 * of bounded size only, refused at once otherwise (a FIFO without a writer
 * does not block); and error messages that keep their reason when a value
 * in them is long (core_elide, core_err).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "testutil.h"

static struct core_err err;

static void test_file_open_reads_a_regular_file_and_gives_its_size(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("file", "f.xml");
    FILE *f = NULL, *w;
    uint64_t size = 0;
    char buf[8] = {0};

    assert_non_null(d);
    w = fopen(d->path, "wb");
    assert_non_null(w);
    fputs("hello", w);
    fclose(w);
    assert_core_rc(core_file_open(d->path, "model file", 5, &f, &size, &err), CORE_OK);
    assert_int_equal(size, 5);
    assert_int_equal(fread(buf, 1, sizeof(buf), f), 5);
    assert_string_equal(buf, "hello");
    fclose(f);
    testutil_dir_destroy(d);
}

static void test_file_open_refuses_a_file_over_its_limit_before_reading(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("file", "big");
    FILE *f = NULL;
    int fd;

    assert_non_null(d);
    fd = open(d->path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0); /* sparse: 1 TiB of nothing */
    close(fd);
    assert_core_rc(core_file_open(d->path, "scenario file", 100, &f, NULL, &err), CORE_E_INPUT);
    assert_null(f);
    assert_non_null(strstr(err.msg, "1099511627776 bytes is more than a scenario file may have "
                                    "(100 bytes)"));
    testutil_dir_destroy(d);
}

static void test_file_open_refuses_devices_directories_and_fifos_without_blocking(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("file", "fifo");
    const char *kinds[][2] = {{"/dev/zero", "a character device"},
                              {"/tmp", "a directory"},
                              {NULL, "a FIFO"}};
    FILE *f = NULL;

    assert_non_null(d);
    assert_int_equal(mkfifo(d->path, 0600), 0);
    kinds[2][0] = d->path;
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        char want[128];

        assert_core_rc(core_file_open(kinds[i][0], "model file", 1u << 20, &f, NULL, &err),
                       CORE_E_INPUT);
        assert_null(f);
        snprintf(want, sizeof(want), "%s:0: not a regular file (%s): a model file must be a "
                 "regular file", kinds[i][0], kinds[i][1]);
        assert_string_equal(err.msg, want);
    }
    testutil_dir_destroy(d);
}

static void test_file_open_names_a_missing_file(void **unused)
{
    FILE *f = NULL;

    assert_core_rc(core_file_open("/nonexistent/x.xml", "model file", 100, &f, NULL, &err),
                   CORE_E_INPUT);
    assert_string_equal(err.msg,
                        "/nonexistent/x.xml:0: cannot open: No such file or directory");
    assert_core_rc(core_file_open("", "model file", 100, &f, NULL, &err), CORE_E_INPUT);
}

static void test_elide_keeps_short_words_and_cuts_the_middle_of_long_ones(void **unused)
{
    char big[5000], msg[6000], out[256];

    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[0] = 'A';
    big[sizeof(big) - 2] = 'Z';
    snprintf(msg, sizeof(msg), "f.xml:3: name '%s' is too long", big);
    core_elide(out, sizeof(out), msg);
    assert_true(strlen(out) < sizeof(out));
    assert_non_null(strstr(out, "f.xml:3: name 'A"));
    assert_non_null(strstr(out, "...vvv"));
    assert_non_null(strstr(out, "Z' is too long"));
    core_elide(out, sizeof(out), "short enough");
    assert_string_equal(out, "short enough");
}

static void test_elide_cuts_the_end_only_when_short_words_alone_do_not_fit(void **unused)
{
    char msg[2000], out[64];

    memset(msg, 0, sizeof(msg));
    for (size_t i = 0; i + 3 < sizeof(msg) - 1; i += 3)
        memcpy(msg + i, "ab ", 3);
    core_elide(out, sizeof(out), msg);
    assert_int_equal(strlen(out), sizeof(out) - 1);
    assert_string_equal(out + strlen(out) - 3, "...");
}

static void test_elide_never_splits_a_utf8_character(void **unused)
{
    char msg[4000], out[200];
    size_t n = 0;

    while (n + 2 < sizeof(msg) - 1) {
        memcpy(msg + n, "\xc3\xa9", 2); /* é */
        n += 2;
    }
    msg[n] = '\0';
    core_elide(out, sizeof(out), msg);
    for (size_t i = 0; out[i]; i++) {
        const unsigned char c = (unsigned char)out[i];

        if (c == 0xc3)
            assert_int_equal((unsigned char)out[i + 1], 0xa9);
        if (c == 0xa9 && i > 0)
            assert_int_equal((unsigned char)out[i - 1], 0xc3);
    }
}

static void test_err_keeps_the_reason_after_a_5kb_path(void **unused)
{
    char path[5001];

    memset(path, 'p', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    core_err(&err, CORE_E_INPUT, "%s:12: element 'model': attribute 'file': no such model", path);
    assert_int_equal(err.rc, CORE_E_INPUT);
    assert_true(strlen(err.msg) < sizeof(err.msg));
    assert_non_null(strstr(err.msg, "...ppp"));
    assert_non_null(strstr(err.msg, "pp:12: element 'model': attribute 'file': no such model"));
    /* An argument may be the message itself. */
    core_err(&err, CORE_E_INPUT, "%s: %s", "prefix", err.msg);
    assert_non_null(strstr(err.msg, "prefix: /ppp"));
    assert_non_null(strstr(err.msg, "no such model"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_file_open_reads_a_regular_file_and_gives_its_size),
        TEST(test_file_open_refuses_a_file_over_its_limit_before_reading),
        TEST(test_file_open_refuses_devices_directories_and_fifos_without_blocking),
        TEST(test_file_open_names_a_missing_file),
        TEST(test_elide_keeps_short_words_and_cuts_the_middle_of_long_ones),
        TEST(test_elide_cuts_the_end_only_when_short_words_alone_do_not_fit),
        TEST(test_elide_never_splits_a_utf8_character),
        TEST(test_err_keeps_the_reason_after_a_5kb_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
