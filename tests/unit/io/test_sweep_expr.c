/*
 * test_sweep_expr.c — the expression language of sweep constraints and
 * filters: precedence and associativity, units on literals, strings and
 * booleans, every kind of error at parse time with its column (syntax,
 * unknown names and units, type and dimension mismatches), and evaluation
 * on given values (never by substituting text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "io/io.h"

/* The names the tests use: a bit rate, a time, a count, a string, a boolean. */
static const struct io_expr_name names[] = {
    {"rate", IO_TYPE_NUMBER, CORE_DIM_BITRATE},
    {"delay", IO_TYPE_NUMBER, CORE_DIM_TIME},
    {"n", IO_TYPE_NUMBER, CORE_DIM_NONE},
    {"policy", IO_TYPE_STRING, CORE_DIM_COUNT},
    {"trace", IO_TYPE_BOOL, CORE_DIM_COUNT},
};

/* Parse text (which must parse) and evaluate it on values. */
static bool eval(const char *text, const struct io_value *values)
{
    struct io_expr *x = NULL;
    char why[256];
    enum core_rc rc = io_expr_parse(text, names, ARRAY_LEN(names), &x, why, sizeof(why));
    bool r;

    if (rc != CORE_OK)
        fail_msg("'%s' does not parse: %s", text, why);
    r = io_expr_eval(x, values);
    io_expr_destroy(x);
    return r;
}

/* text must not parse, with a message containing want. */
static void rejects(const char *text, const char *want)
{
    struct io_expr *x = NULL;
    char why[256];
    enum core_rc rc = io_expr_parse(text, names, ARRAY_LEN(names), &x, why, sizeof(why));

    if (rc == CORE_OK) {
        io_expr_destroy(x);
        fail_msg("'%s' parsed, expected an error containing '%s'", text, want);
    }
    assert_int_equal(rc, CORE_E_INPUT);
    assert_null(x);
    if (!strstr(why, want))
        fail_msg("'%s': message '%s' does not contain '%s'", text, why, want);
}

static const struct io_value base[] = {
    {.num = 5e6}, {.num = 0.02}, {.num = 4}, {.str = "joint"}, {.b = false},
};

static void test_expr_arithmetic_follows_precedence_and_left_associativity(void **unused)
{
    assert_true(eval("1 + 2 * 3 == 7", base));
    assert_true(eval("(1 + 2) * 3 == 9", base));
    assert_true(eval("10 - 4 - 3 == 3", base));
    assert_true(eval("8 / 4 / 2 == 1", base));
    assert_true(eval("-n + 5 == 1", base));
    assert_true(eval("--n == 4", base));
}

static void test_expr_and_binds_tighter_than_or_and_not_tighter_than_and(void **unused)
{
    assert_true(eval("true or false and false", base));
    assert_false(eval("(true or false) and false", base));
    assert_true(eval("not false and true", base));
    assert_false(eval("not (false or true)", base));
    assert_true(eval("true && !false || false", base));
}

static void test_expr_literals_with_units_are_read_in_si(void **unused)
{
    assert_true(eval("rate == 5 Mbps", base));
    assert_true(eval("rate == 5Mbit/s", base));
    assert_true(eval("rate < 1 GB/s", base));
    assert_true(eval("delay == 20 ms", base));
    assert_true(eval("delay * 2 == 40ms", base));
    assert_true(eval("rate * delay > 0", base)); /* a product of dimensions is any number */
    assert_true(eval("n * rate == 20 Mbps", base));
    assert_true(eval("rate / n == 1.25 Mbps", base));
}

static void test_expr_names_take_the_values_given(void **unused)
{
    struct io_value v[ARRAY_LEN(base)];

    memcpy(v, base, sizeof(v));
    assert_true(eval("policy == 'joint' and n >= 4", v));
    v[3].str = "split-default";
    v[2].num = 3;
    assert_false(eval("policy == 'joint' and n >= 4", v));
    assert_true(eval("policy == \"split-default\" and n < 4", v));
    v[4].b = true;
    assert_true(eval("trace", v));
    assert_true(eval("trace == true and not (trace != true)", v));
}

static void test_expr_nan_compares_false_and_division_by_zero_is_infinite(void **unused)
{
    struct io_value v[ARRAY_LEN(base)];

    memcpy(v, base, sizeof(v));
    v[2].num = 0;
    assert_true(eval("1 / n > 1e300", v));
    assert_false(eval("n / n == n / n", v));
    assert_true(eval("n / n != n / n", v));
}

static void test_expr_syntax_errors_name_their_column(void **unused)
{
    rejects("", "column 1: the expression ends where a value is expected");
    rejects("n > ", "column 5: the expression ends");
    rejects("(n > 1", "expected ')' to close the '(' of column 1");
    rejects("n > 1 )", "column 7: unexpected ')' after a complete expression");
    rejects("n = 1", "column 3: '=' is not an operator: compare with '=='");
    rejects("1 < n < 3", "comparisons do not chain");
    rejects("policy == 'joint", "a string without its closing '");
    rejects("n > 1 #", "unexpected '#'");
}

static void test_expr_unknown_names_and_units_are_errors(void **unused)
{
    rejects("speed > 1", "column 1: unknown name 'speed' (known: rate, delay, n, policy, trace)");
    rejects("rate > 5 furlongs", "column 10: 'furlongs' is neither a unit nor a name");
}

static void test_expr_types_and_dimensions_must_match(void **unused)
{
    rejects("rate > 10 ms", "'>' compares a bit rate with a time");
    rejects("rate + delay > 0", "'+' of a bit rate and a time");
    rejects("policy == 1", "'==' compares a string with a number");
    rejects("policy < 'x'", "'<' orders numbers only, not a string and a string");
    rejects("n and true", "'and' takes two booleans, not a number and a boolean");
    rejects("not n", "'not' takes a boolean, not a number");
    rejects("-policy == 1", "'-' takes a number, not a string");
    rejects("trace * 2 > 1", "'*' takes two numbers, not a boolean and a number");
    rejects("n + 1", "column 1: the expression is a number, not a condition");
}

static void test_expr_uses_reports_the_names_it_reads(void **unused)
{
    struct io_expr *x = NULL;
    char why[128];

    assert_int_equal(io_expr_parse("n > 2 or policy == 'x'", names, ARRAY_LEN(names), &x, why,
                                   sizeof(why)),
                     CORE_OK);
    assert_false(io_expr_uses(x, 0));
    assert_true(io_expr_uses(x, 2));
    assert_true(io_expr_uses(x, 3));
    io_expr_destroy(x);
}

static void test_expr_out_of_memory_is_reported_and_leaks_nothing(void **unused)
{
    for (unsigned long k = 1; k < 40; k++) {
        struct io_expr *x = NULL;
        char why[128];
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = io_expr_parse("policy == 'joint' and (rate > 1 Mbps or n * 2 <= 8)", names,
                           ARRAY_LEN(names), &x, why, sizeof(why));
        core_alloc_fail_after(0);
        if (rc == CORE_OK) {
            io_expr_destroy(x);
            return;
        }
        assert_int_equal(rc, CORE_E_NOMEM);
        assert_null(x);
    }
    fail_msg("the parse never succeeded");
}

/* prefix n times, middle, suffix n times, then tail (owned, free()). */
static char *repeat(const char *prefix, size_t n, const char *middle, const char *suffix,
                    const char *tail)
{
    size_t lp = strlen(prefix), lm = strlen(middle), ls = strlen(suffix), lt = strlen(tail);
    char *t = malloc(n * (lp + ls) + lm + lt + 1), *q = t;

    assert_non_null(t);
    for (size_t i = 0; i < n; i++, q += lp)
        memcpy(q, prefix, lp);
    memcpy(q, middle, lm);
    q += lm;
    for (size_t i = 0; i < n; i++, q += ls)
        memcpy(q, suffix, ls);
    memcpy(q, tail, lt + 1);
    return t;
}

/* The parser and the evaluation recurse: nesting (parentheses, "-", "not")
 * and chains whose tree is as deep as they are long stop at 256 levels with
 * an error, not a stack overflow (a fuzzer's find: 2,500 '(' crashed it). */
static void test_expr_nesting_deeper_than_256_levels_is_an_error_not_a_crash(void **unused)
{
    static const struct {
        const char *prefix, *middle, *suffix, *tail;
        size_t n;
    } deep[] = {
        {"(", "true", ")", "", 100000},    {"not ", "trace", "", "", 100000},
        {"-", "n == 1", "", "", 100000},   {"", "n", " + 1", " > 0", 100000},
        {"", "true", " and true", "", 300}, {"(", "n > 1", ")", "", 257},
    };
    char *t;

    for (size_t i = 0; i < ARRAY_LEN(deep); i++) {
        t = repeat(deep[i].prefix, deep[i].n, deep[i].middle, deep[i].suffix, deep[i].tail);
        rejects(t, "nests more than 256 levels deep");
        free(t);
    }
    t = repeat("(", 200, "n > 1", ")", "");
    assert_true(eval(t, base));
    free(t);
    t = repeat("", 200, "n", " + 1", " == 204");
    assert_true(eval(t, base));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_expr_arithmetic_follows_precedence_and_left_associativity),
        TEST(test_expr_and_binds_tighter_than_or_and_not_tighter_than_and),
        TEST(test_expr_literals_with_units_are_read_in_si),
        TEST(test_expr_names_take_the_values_given),
        TEST(test_expr_nan_compares_false_and_division_by_zero_is_infinite),
        TEST(test_expr_syntax_errors_name_their_column),
        TEST(test_expr_unknown_names_and_units_are_errors),
        TEST(test_expr_types_and_dimensions_must_match),
        TEST(test_expr_uses_reports_the_names_it_reads),
        TEST(test_expr_out_of_memory_is_reported_and_leaks_nothing),
        TEST(test_expr_nesting_deeper_than_256_levels_is_an_error_not_a_crash),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
