/*
 * test_accuracy_file.c — accuracy files (sim/io/accuracy_file.c): a cut that
 * is no prefix of the layer order written as ranges of the device's layers
 * and read back (io_accuracy_cut_text, io_accuracy_cut_parse), every text
 * that is not the canonical one refused; a file whose rows mix prefix
 * splits and such cuts loads with each row's cut; the same cut and
 * encoding twice is a FILE:LINE error, and so is a malformed cut; an early
 * exit's section (the plans that cut before the exit and end there) loads
 * its rows apart, each naming the exit, wherever the --exits section is,
 * and a file without such sections loads with none.
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

#define EXITS                                                                                      \
    "# m, weights w: 100 test images, confidence max-prob (an image leaves ...)\n"                 \
    "# x1       after b            every image leaving here: accuracy  85.00 %, 9 MACs\n"          \
    "# output   after f            every image leaving here: accuracy  90.00 %, 9 MACs\n"          \
    "thresholds  x1:rate x1:acc output:rate output:acc accuracy mean_macs\n"                       \
    "0.5  50.00 % 80.00 % 50.00 % 90.00 % 85.00 % 9\n"
#define X1                                                                                         \
    "# m, weights w: 100 test images, cuts before exit x1 after b (every image "                   \
    "leaving there: accuracy 85.00 %)\n"                                                           \
    "split  layer            encoding         bytes   accuracy  vs_exit\n"

static void test_an_exits_section_loads_its_rows_apart_and_older_files_have_none(void **state)
{
    struct testutil_dir *d = testutil_dir_create("accfile", "a.accuracy");
    struct io_accuracy a;

    (void)state;
    assert_non_null(d);
    /* the table, its summary, exit x1's section, then the --exits section */
    write_file(d->path,
               HEAD "    3  b                fp32             400    90.00 %    +0.00\n"
                    "    3  b                int8             105    89.00 %    -1.00\n"
                    "encoding=int8 max_drop_points=1.00 split=3 layer=b\n" X1
                    "    3  b                fp32             400    85.00 %    +0.00\n"
                    "    3  b                int8             105    84.00 %    -1.00\n"
                    "    5  x1.fc            int8              11    83.00 %    -2.00\n" EXITS);
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_OK);
    assert_int_equal(a.n_rows, 2);
    assert_string_equal(a.rows[1].exit, "");
    assert_float_equal(a.rows[1].accuracy, 0.89, 1e-12);
    assert_int_equal(a.n_exit_rows, 3);
    assert_string_equal(a.exit_rows[1].exit, "x1");
    assert_int_equal(a.exit_rows[1].split, 3);
    assert_string_equal(a.exit_rows[1].encoding, "int8");
    assert_float_equal(a.exit_rows[1].accuracy, 0.84, 1e-12);
    assert_int_equal(a.exit_rows[2].split, 5);
    assert_int_equal(a.exit_rows[2].bytes, 11);
    assert_int_equal(a.exit_rows[2].line, 10);
    assert_int_equal(a.n_exits, 1);
    assert_float_equal(a.exits[0].accuracy, 0.85, 1e-12);
    io_accuracy_fini(&a);

    /* the --exits section first, the table after: the same */
    write_file(d->path,
               EXITS HEAD "    3  b                int8             105    89.00 %    -1.00\n" X1
                          "    3  b                int8             105    84.00 %    -1.00\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_OK);
    assert_int_equal(a.n_rows, 1);
    assert_int_equal(a.n_exit_rows, 1);
    assert_int_equal(a.n_exits, 1);
    io_accuracy_fini(&a);

    /* a file without exits' sections (older ones): none */
    write_file(d->path,
               HEAD "    3  b                int8             105    89.00 %    -1.00\n" EXITS);
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_OK);
    assert_int_equal(a.n_exit_rows, 0);
    assert_null(a.exit_rows);
    io_accuracy_fini(&a);

    /* the same split and encoding twice before one exit; a cut across branches there */
    write_file(d->path, HEAD "    3  b                int8             105    89.00 %    -1.00\n" X1
                             "    3  b                int8             105    84.00 %    -1.00\n"
                             "    3  b                int8             105    83.00 %    -2.00\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "a.accuracy:7: split 3 with int8 before exit x1 again "
                                    "(line 6)"));
    write_file(d->path, HEAD "    3  b                int8             105    89.00 %    -1.00\n" X1
                             "0-1,4-5  b+e            int8             210    88.00 %    -2.00\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "a.accuracy:6: split 0-1,4-5 before exit x1"));
    /* a section without its column line */
    write_file(d->path, HEAD "    3  b                int8             105    89.00 %    -1.00\n"
                             "# m, weights w: 100 test images, cuts before exit x1 after b (...)\n"
                             "    3  b                int8             105    84.00 %    -1.00\n");
    assert_int_equal(io_accuracy_load(d->path, &a, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "a.accuracy:5: expected the column line"));
    testutil_dir_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_a_cut_is_written_as_ranges_and_read_back),
        TEST(test_a_cut_text_other_than_the_canonical_one_is_refused),
        TEST(test_a_file_mixing_prefixes_and_cuts_loads_each_rows_cut),
        TEST(test_an_exits_section_loads_its_rows_apart_and_older_files_have_none),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
