/*
 * expr.c — fuzz target: the expression language of sweep constraints and
 * `coinfer sweep --filter` (io_expr_parse, then io_expr_eval on fixed
 * values and io_expr_uses on every name). The input is the expression's
 * text (up to its first NUL byte). A text that does not parse must say why
 * ("column N: ..."), with CORE_E_INPUT (CORE_E_NOMEM in an allocation
 * failure walk).
 */
#include "fuzz.h"

#include "io/io.h"

/* The names an expression may use: one of each type, numbers of several
 * dimensions (as a sweep's factors and filter names are). */
static const struct io_expr_name names[] = {
    {"rate", IO_TYPE_NUMBER, CORE_DIM_BITRATE},
    {"delay", IO_TYPE_NUMBER, CORE_DIM_TIME},
    {"power", IO_TYPE_NUMBER, CORE_DIM_POWER_DBM},
    {"n", IO_TYPE_NUMBER, CORE_DIM_NONE},
    {"seed", IO_TYPE_NUMBER, CORE_DIM_COUNT},
    {"policy", IO_TYPE_STRING, CORE_DIM_COUNT},
    {"trace", IO_TYPE_BOOL, CORE_DIM_COUNT},
};

static const struct io_value values[] = {
    {.num = 5e6}, {.num = 0.02}, {.num = 23}, {.num = 3}, {.num = 7},
    {.str = "joint"}, {.b = true},
};

_Static_assert(ARRAY_LEN(names) == ARRAY_LEN(values), "a value for every name");

static void fuzz_setup(void)
{
}

static void fuzz_one(const uint8_t *data, size_t size)
{
    struct io_expr *x = NULL;
    char why[256] = "";
    char *text = malloc(size + 1); /* not counted: the walk fails only the loader's */
    enum core_rc rc;

    if (text == NULL)
        fuzz_die("out of memory", NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    rc = io_expr_parse(text, names, ARRAY_LEN(names), &x, why, sizeof(why));
    if (rc == CORE_OK) {
        (void)io_expr_eval(x, values);
        for (size_t i = 0; i < ARRAY_LEN(names); i++)
            (void)io_expr_uses(x, i);
    } else if (fuzz_walking && rc == CORE_E_NOMEM) {
        /* the walk's injected failure */
    } else if (rc != CORE_E_INPUT || strncmp(why, "column ", 7) != 0) {
        fprintf(stderr, "fuzz: io_expr_parse returned %d: '%s'\n", rc, why);
        abort();
    }
    io_expr_destroy(x);
    free(text);
}
