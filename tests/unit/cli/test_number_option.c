/*
 * test_number_option.c — the number options every subcommand parses
 * (sim/cli/number_option.c): the bounds of a range are in it and their
 * neighbours are not; junk, empty text, signs, spaces, overflow, NaN and
 * infinities are rejected; a rejection prints the one usage message naming
 * the command, the option, the range and the text, and leaves *out alone.
 *
 * sim/cli is the binary's, not libcoinfer.a's, so the file under test is
 * compiled into this program (it needs nothing from the rest of sim/cli).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/number_option.c"

/* What the last call printed on stderr. */
static char said[512];

static FILE *capture_file;   /* stderr while capturing */
static int capture_saved_fd; /* the real stderr */

static void capture_begin(void)
{
    capture_file = tmpfile();
    assert_non_null(capture_file);
    fflush(stderr);
    capture_saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

/* Put stderr back, read what was printed into said and return r. */
static bool capture_end(bool r)
{
    size_t n;

    fflush(stderr);
    dup2(capture_saved_fd, 2);
    close(capture_saved_fd);
    rewind(capture_file);
    n = fread(said, 1, sizeof(said) - 1, capture_file);
    said[n] = '\0';
    fclose(capture_file);
    return r;
}

/* call's result, with what it printed on stderr in said. */
#define CAPTURE(call) (capture_begin(), capture_end(call))

static void test_parse_u64_takes_digits_alone_up_to_2_64_minus_1(void **state)
{
    static const char *const bad[] = {"", " 1", "1 ", "+1", "-1", " -1", "1x", "0x10", "1e3",
                                      "18446744073709551616", "99999999999999999999999"};
    uint64_t v = 7;

    (void)state;
    assert_true(cli_parse_u64("0", &v));
    assert_int_equal(v, 0);
    assert_true(cli_parse_u64("18446744073709551615", &v));
    assert_true(v == UINT64_MAX);
    assert_true(cli_parse_u64("0042", &v));
    assert_int_equal(v, 42);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 7;
        if (cli_parse_u64(bad[i], &v))
            fail_msg("'%s' was accepted as %llu", bad[i], (unsigned long long)v);
        assert_int_equal(v, 7);
    }
}

static void test_whole_option_takes_both_bounds_and_nothing_past_them(void **state)
{
    uint64_t v = 0;

    (void)state;
    assert_true(CAPTURE(cli_whole_option("cmd", "--n", "1", 1, 10, &v)));
    assert_int_equal(v, 1);
    assert_string_equal(said, "");
    assert_true(CAPTURE(cli_whole_option("cmd", "--n", "10", 1, 10, &v)));
    assert_int_equal(v, 10);
    v = 5;
    assert_false(CAPTURE(cli_whole_option("cmd", "--n", "0", 1, 10, &v)));
    assert_int_equal(v, 5);
    assert_false(CAPTURE(cli_whole_option("cmd", "--n", "11", 1, 10, &v)));
    assert_int_equal(v, 5);
    assert_true(CAPTURE(cli_whole_option("cmd", "--n", "18446744073709551615", 0, UINT64_MAX,
                                         &v)));
    assert_true(v == UINT64_MAX);
}

static void test_whole_option_rejects_junk_empty_sign_and_overflow(void **state)
{
    static const char *const bad[] = {"", "x", "3x", "-3", "+3", " 3", "3.0",
                                      "18446744073709551616"};
    uint64_t v = 5;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (CAPTURE(cli_whole_option("cmd", "--n", bad[i], 0, UINT64_MAX, &v)))
            fail_msg("'%s' was accepted as %llu", bad[i], (unsigned long long)v);
        assert_int_equal(v, 5);
    }
}

static void test_whole_option_message_names_command_option_range_and_text(void **state)
{
    uint64_t v;

    (void)state;
    assert_false(CAPTURE(cli_whole_option("sweep", "--jobs", "0", 1, 4096, &v)));
    assert_string_equal(said, "coinfer sweep: --jobs takes a whole number from 1 to 4096, not "
                              "'0' (see coinfer sweep --help)\n");
}

static void test_real_option_takes_both_bounds_and_nothing_past_them(void **state)
{
    double x = 0;

    (void)state;
    assert_true(CAPTURE(cli_real_option("cmd", "--x", "0", 0, 0.5, &x)));
    assert_true(x == 0);
    assert_true(CAPTURE(cli_real_option("cmd", "--x", "0.5", 0, 0.5, &x)));
    assert_true(x == 0.5);
    assert_true(CAPTURE(cli_real_option("cmd", "--x", "2.5e-1", 0, 0.5, &x)));
    assert_true(x == 0.25);
    x = 9;
    assert_false(CAPTURE(cli_real_option("cmd", "--x", "0.5000001", 0, 0.5, &x)));
    assert_false(CAPTURE(cli_real_option("cmd", "--x", "-1e-300", 0, 0.5, &x)));
    assert_true(x == 9);
}

static void test_real_option_rejects_junk_empty_nan_inf_and_overflow(void **state)
{
    static const char *const bad[] = {"", "x", "1x", " 1", "1 ", "nan", "NAN", "inf",
                                      "-inf", "infinity", "1e999", "-1e999"};
    double x = 9;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (CAPTURE(cli_real_option("cmd", "--x", bad[i], -DBL_MAX, DBL_MAX, &x)))
            fail_msg("'%s' was accepted as %g", bad[i], x);
        assert_true(x == 9);
    }
}

static void test_real_option_message_names_command_option_range_and_text(void **state)
{
    double x;

    (void)state;
    assert_false(CAPTURE(cli_real_option("train", "--lr", "abc", 1e-9, 10, &x)));
    assert_string_equal(said, "coinfer train: --lr takes a number from 1e-09 to 10, not 'abc' "
                              "(see coinfer train --help)\n");
}

static void test_positive_option_takes_above_zero_only(void **state)
{
    static const char *const bad[] = {"0", "-0", "-1", "", "x", "nan", "inf", "1e999"};
    double x = 9;

    (void)state;
    assert_true(CAPTURE(cli_positive_option("cmd", "--t", "1e-300", &x)));
    assert_true(x == 1e-300);
    assert_true(CAPTURE(cli_positive_option("cmd", "--t", "3600", &x)));
    assert_true(x == 3600);
    x = 9;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (CAPTURE(cli_positive_option("cmd", "--t", bad[i], &x)))
            fail_msg("'%s' was accepted as %g", bad[i], x);
        assert_true(x == 9);
    }
    assert_string_equal(said, "coinfer cmd: --t takes a number above 0, not '1e999' (see "
                              "coinfer cmd --help)\n");
}

static void test_threads_option_takes_1_to_the_cores(void **state)
{
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char text[32];
    int t = 0;

    (void)state;
    assert_true(cores >= 1);
    assert_true(CAPTURE(cli_threads_option("cmd", "1", &t)));
    assert_int_equal(t, 1);
    snprintf(text, sizeof(text), "%ld", cores);
    assert_true(CAPTURE(cli_threads_option("cmd", text, &t)));
    assert_int_equal(t, cores);
    snprintf(text, sizeof(text), "%ld", cores + 1);
    t = 0;
    assert_false(CAPTURE(cli_threads_option("cmd", text, &t)));
    assert_false(CAPTURE(cli_threads_option("cmd", "0", &t)));
    assert_int_equal(t, 0);
    assert_non_null(strstr(said, "coinfer cmd: --threads takes a whole number from 1 to "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64_takes_digits_alone_up_to_2_64_minus_1),
        cmocka_unit_test(test_whole_option_takes_both_bounds_and_nothing_past_them),
        cmocka_unit_test(test_whole_option_rejects_junk_empty_sign_and_overflow),
        cmocka_unit_test(test_whole_option_message_names_command_option_range_and_text),
        cmocka_unit_test(test_real_option_takes_both_bounds_and_nothing_past_them),
        cmocka_unit_test(test_real_option_rejects_junk_empty_nan_inf_and_overflow),
        cmocka_unit_test(test_real_option_message_names_command_option_range_and_text),
        cmocka_unit_test(test_positive_option_takes_above_zero_only),
        cmocka_unit_test(test_threads_option_takes_1_to_the_cores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
