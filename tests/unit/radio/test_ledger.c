/*
 * test_ledger.c — the UE's shared radio costs (radio_ue_ledger): the base
 * power is drawn once per UE however many transfers overlap, split equally
 * among those active; the RRC tail goes to the transfer that ends last, and
 * a transfer inside a tail already charged pays only on-power less
 * tail-power until the tail's end; the shares of a UE's transfers always
 * add up to on-power over the time any is active plus tail-power over the
 * tails. And the model's checks, with their messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "testutil.h"

#include "radio/radio.h"

static const struct radio_power_model no_tail = {1.288, 0.3, 0.1, 0.0, 1.06};
static const struct radio_power_model tail10 = {1.288, 0.3, 0.1, 10.0, 1.06};

static void test_ledger_lone_transfer_pays_on_power_over_its_duration(void **state)
{
    struct radio_ue_ledger l;
    double mark, tail_j = -1.0;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    mark = radio_ue_ledger_begin(&l, &no_tail, 2.0);
    assert_near(radio_ue_ledger_end(&l, &no_tail, 2.5, mark, &tail_j), 1.288 * 0.5, 1e-15);
    assert_true(tail_j == 0.0);
    assert_int_equal(l.n_active, 0);
}

static void test_ledger_two_overlapping_transfers_pay_the_base_power_once(void **state)
{
    /* A on [0, 2], B on [1, 3]: alone, together (half each), alone. */
    struct radio_ue_ledger l;
    double ma, mb, a_j, b_j;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    ma = radio_ue_ledger_begin(&l, &no_tail, 0.0);
    mb = radio_ue_ledger_begin(&l, &no_tail, 1.0);
    a_j = radio_ue_ledger_end(&l, &no_tail, 2.0, ma, NULL);
    b_j = radio_ue_ledger_end(&l, &no_tail, 3.0, mb, NULL);
    assert_near(a_j, 1.288 * (1.0 + 0.5), 1e-15);
    assert_near(b_j, 1.288 * (0.5 + 1.0), 1e-15);
    /* Once over the 3 s the UE was active, not once per transfer (4 s). */
    assert_near(a_j + b_j, 1.288 * 3.0, 1e-15);
}

static void test_ledger_three_transfers_split_each_interval_by_those_active(void **state)
{
    /* A [0, 4], B [1, 3], C [2, 3]: [0,1] A; [1,2] A, B; [2,3] A, B, C; [3,4] A. */
    struct radio_ue_ledger l;
    const double p = no_tail.p_on_w;
    double ma, mb, mc, a_j, b_j, c_j;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    ma = radio_ue_ledger_begin(&l, &no_tail, 0.0);
    mb = radio_ue_ledger_begin(&l, &no_tail, 1.0);
    mc = radio_ue_ledger_begin(&l, &no_tail, 2.0);
    c_j = radio_ue_ledger_end(&l, &no_tail, 3.0, mc, NULL);
    b_j = radio_ue_ledger_end(&l, &no_tail, 3.0, mb, NULL);
    a_j = radio_ue_ledger_end(&l, &no_tail, 4.0, ma, NULL);
    assert_near(a_j, p * (1.0 + 0.5 + 1.0 / 3.0 + 1.0), 1e-14);
    assert_near(b_j, p * (0.5 + 1.0 / 3.0), 1e-14);
    assert_near(c_j, p / 3.0, 1e-14);
    assert_near(a_j + b_j + c_j, p * 4.0, 1e-14);
}

static void test_ledger_tail_goes_to_the_transfer_that_ends_last(void **state)
{
    struct radio_ue_ledger l;
    double ma, mb, ta = -1.0, tb = -1.0;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    ma = radio_ue_ledger_begin(&l, &tail10, 0.0);
    mb = radio_ue_ledger_begin(&l, &tail10, 0.5);
    radio_ue_ledger_end(&l, &tail10, 1.0, ma, &ta);
    radio_ue_ledger_end(&l, &tail10, 2.0, mb, &tb);
    assert_true(ta == 0.0); /* B was still active: no tail yet */
    assert_near(tb, 1.06 * 10.0, 1e-15);
    assert_near(l.tail_until_s, 12.0, 0.0);
}

static void test_ledger_transfer_inside_a_charged_tail_pays_the_difference(void **state)
{
    /* A [0, 1], its tail [1, 11] charged to A; B [5, 6] pays on - tail power and its own
     * tail, to 16, adds only [11, 16]. The UE's true draw: on-power for 2 s, tail-power
     * over [1, 5] and [6, 16]. */
    const double on = tail10.p_on_w, tp = tail10.p_tail_w;
    struct radio_ue_ledger l;
    double ma, mb, a_j, b_j, ta, tb;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    ma = radio_ue_ledger_begin(&l, &tail10, 0.0);
    a_j = radio_ue_ledger_end(&l, &tail10, 1.0, ma, &ta);
    mb = radio_ue_ledger_begin(&l, &tail10, 5.0);
    b_j = radio_ue_ledger_end(&l, &tail10, 6.0, mb, &tb);
    assert_near(a_j, on, 1e-15);
    assert_near(ta, tp * 10.0, 1e-14);
    assert_near(b_j, on - tp, 1e-15);
    assert_near(tb, tp * 5.0, 1e-14);
    assert_near(a_j + ta + b_j + tb, on * 2.0 + tp * (4.0 + 10.0), 1e-13);
}

static void test_ledger_transfer_across_a_tail_end_pays_full_power_after_it(void **state)
{
    /* A [0, 1], tail to 11; B [10, 12]: one second covered by the tail, one not. */
    const double on = tail10.p_on_w, tp = tail10.p_tail_w;
    struct radio_ue_ledger l;
    double ma, mb, b_j, tb;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    ma = radio_ue_ledger_begin(&l, &tail10, 0.0);
    radio_ue_ledger_end(&l, &tail10, 1.0, ma, NULL);
    mb = radio_ue_ledger_begin(&l, &tail10, 10.0);
    b_j = radio_ue_ledger_end(&l, &tail10, 12.0, mb, &tb);
    assert_near(b_j, (on - tp) * 1.0 + on * 1.0, 1e-14);
    assert_near(tb, tp * 10.0, 1e-14); /* the old tail was over: a whole new one */
}

static void test_ledger_transfer_after_the_tail_pays_full_power(void **state)
{
    struct radio_ue_ledger l;
    double ma, mb;

    (void)state;
    radio_ue_ledger_init(&l, 0.0);
    ma = radio_ue_ledger_begin(&l, &tail10, 0.0);
    radio_ue_ledger_end(&l, &tail10, 1.0, ma, NULL);
    mb = radio_ue_ledger_begin(&l, &tail10, 20.0);
    assert_near(radio_ue_ledger_end(&l, &tail10, 21.5, mb, NULL), tail10.p_on_w * 1.5, 1e-14);
}

static void test_power_model_check_names_the_bad_attribute(void **state)
{
    static const struct {
        struct radio_power_model pm;
        const char *msg;
    } bad[] = {
        {{-1.0, 0.3, 0.1, 0.0, 0.0}, "attribute 'on-power': -1 W must be at least 0 W"},
        {{1.0, 0.0, 0.1, 0.0, 0.0}, "attribute 'pa-efficiency': 0 is not in (0, 1]"},
        {{1.0, 0.3, -0.1, 0.0, 0.0}, "attribute 'rx-power': -0.1 W must be at least 0 W"},
        {{1.0, 0.3, 0.1, -2.0, 0.5}, "attribute 'tail': -2 s must be at least 0 s"},
        {{1.0, 0.3, 0.1, 5.0, 1.5},
         "attribute 'tail-power': 1.5 W must be between 0 W and 'on-power' (1 W): the tail is "
         "the connected state without a transfer"},
    };
    struct core_err e;

    (void)state;
    assert_int_equal(radio_power_model_check(&tail10, &e), CORE_OK);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(radio_power_model_check(&bad[i].pm, &e), CORE_E_INPUT);
        assert_string_equal(e.msg, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_ledger_lone_transfer_pays_on_power_over_its_duration),
        TEST(test_ledger_two_overlapping_transfers_pay_the_base_power_once),
        TEST(test_ledger_three_transfers_split_each_interval_by_those_active),
        TEST(test_ledger_tail_goes_to_the_transfer_that_ends_last),
        TEST(test_ledger_transfer_inside_a_charged_tail_pays_the_difference),
        TEST(test_ledger_transfer_across_a_tail_end_pays_full_power_after_it),
        TEST(test_ledger_transfer_after_the_tail_pays_full_power),
        TEST(test_power_model_check_names_the_bad_attribute),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
