/*
 * test_accuracy_file.c — accuracy files (sim/io/accuracy_file.c): a cut that
 * is no prefix of the layer order written as ranges of the device's layers
 * and read back (io_accuracy_cut_text, io_accuracy_cut_parse), every text
 * that is not the canonical one refused; a file whose rows mix prefix
 * splits and such cuts loads with each row's cut; the same cut and
 * encoding twice is a FILE:LINE error, and so is a malformed cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "io/io.h"
#include "testutil.h"

static struct core_err err;

static void test_a_cut_is_written_as_ranges_and_read_back(void **state)
{
    const bool two_ranges[] = {true, true, true, false, true, true, false, true};
    const bool one_layer[] = {false, false, true, false};
    bool back[8];
    char buf[64];

    (void)state;
    assert_int_equal(io_accuracy_cut_text(two_ranges, 8, buf, sizeof(buf)), strlen("0-2,4-5,7"));
    assert_string_equal(buf, "0-2,4-5,7");
    assert_int_equal(io_accuracy_cut_text(two_ranges, 8, NULL, 0), strlen("0-2,4-5,7"));
    assert_true(io_accuracy_cut_parse(buf, 8, back));
    assert_memory_equal(back, two_ranges, sizeof(two_ranges));
    /* one layer alone: "2-2", never a bare number (a prefix's split) */
    io_accuracy_cut_text(one_layer, 4, buf, sizeof(buf));
    assert_string_equal(buf, "2-2");
    assert_true(io_accuracy_cut_parse(buf, 4, back));
    assert_memory_equal(back, one_layer, sizeof(one_layer));
    /* truncated as snprintf does, the length it needs returned */
    assert_int_equal(io_accuracy_cut_text(two_ranges, 8, buf, 4), 9);
    assert_string_equal(buf, "0-2");
}

static void test_a_cut_text_other_than_the_canonical_one_is_refused(void **state)
{
    const char *bad[] = {"3",     "",      "0-2,",  ",0-2",  "2-0",   "0-2,2-4", "0-2,3-4",
                         "4-5,0-1", "0-x", "0--2",  "0-2,5-5", "a-b", "0-2 ",   "-1"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(io_accuracy_cut_parse(bad[i], 16, NULL));
    assert_true(io_accuracy_cut_parse("0-2,4", 16, NULL));
    assert_false(io_accuracy_cut_parse("0-2,4", 4, NULL)); /* beyond the model's layers */
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define HEAD "# m, weights w: 100 test images, whole-model accuracy 90.00 %\n" \
             "split  layer            encoding         bytes   accuracy  vs_fp32\n"

static void test_a_file_mixing_prefixes_and_cuts_loads_each_rows_cut(void **state)
{
    struct testutil_dir *d = testutil_dir_create("accfile", "a.accuracy");
    struct io_accuracy a;

    (void)state;
    assert_non_null(d);
    write_file(d->path, HEAD
               "    3  b                fp32             400    90.00 %    +0.00\n"
               "    3  b                int8             105    89.00 %    -1.00\n"
               "0-1,4-5  b+e            fp32             800    90.00 %    +0.00\n"
               "0-1,4-5  b+e            int8             210    88.00 %    -2.00\n"
               "encoding=int8 max_drop_points=2.00 split=0-1,4-5 layer=b+e\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_OK);
    assert_int_equal(a.n_rows, 4);
    assert_null(a.rows[1].cut);
    assert_int_equal(a.rows[1].split, 3);
    assert_string_equal(a.rows[3].cut, "0-1,4-5");
    assert_int_equal(a.rows[3].split, 4); /* the layers the device runs */
    assert_string_equal(a.rows[3].encoding, "int8");
    assert_int_equal(a.rows[3].bytes, 210);
    assert_float_equal(a.rows[3].accuracy, 0.88, 1e-12);
    assert_int_equal(a.rows[3].line, 6);
    io_accuracy_fini(&a);

    /* the same cut and encoding twice */
    write_file(d->path, HEAD
               "0-1,4-5  b+e            int8             210    88.00 %    -2.00\n"
               "0-1,4-5  b+e            int8             210    87.00 %    -3.00\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "a.accuracy:4: split 0-1,4-5 with int8 again (line 3)"));
    /* a cut that is not written as coinfer accuracy writes it */
    write_file(d->path, HEAD
               "0-1,2-5  b+e            int8             210    88.00 %    -2.00\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "a.accuracy:3: expected a row"));
    testutil_dir_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_a_cut_is_written_as_ranges_and_read_back),
        TEST(test_a_cut_text_other_than_the_canonical_one_is_refused),
        TEST(test_a_file_mixing_prefixes_and_cuts_loads_each_rows_cut),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
