/*
 * test_ops.c — the policies' table (ops.c), white-box: every kind has a
 * complete row (name, a one-line help, create, decide, destroy); names are
 * unique, well-formed and not `all`; exactly one policy is the default and
 * policy_default names it; only the oracle decides on the truth, with
 * joint's optimiser; names round-trip through policy_kind_find;
 * policy_observe reaches a policy that observes (a fake row, here only)
 * with the feedback as given, and passes over one that does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "policy/policy_int.h"

/* ---- the table ------------------------------------------------------------ */

static void test_every_kind_has_a_complete_row(void **state)
{
    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++) {
        const struct policy_ops *o = policy_ops_of(k);
        const char *help = policy_help(k);

        assert_non_null(o->name);
        assert_string_equal(policy_kind_name(k), o->name);
        assert_non_null(help);
        if (help[0] == '\0' || strchr(help, '\n') || strlen(help) > 52) {
            print_error("%s: help \"%s\" is not one line of 1 to 52 characters\n", o->name,
                        help);
            fail();
        }
        assert_non_null(o->create);
        assert_non_null(o->decide);
        assert_non_null(o->destroy);
        assert_int_equal(policy_observes(k), o->observe != NULL);
        assert_int_equal(policy_optimal(k), o->optimal);
        assert_int_equal(policy_truth(k), o->truth);
    }
    assert_string_equal(policy_kind_name(POLICY_KIND_COUNT), "?");
}

static void test_names_are_unique_well_formed_and_not_all(void **state)
{
    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++) {
        const char *name = policy_kind_name(k);

        assert_true(name[0] >= 'a' && name[0] <= 'z');
        for (const char *c = name; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-')) {
                print_error("policy name \"%s\" has '%c'\n", name, *c);
                fail();
            }
        /* `--policy all` runs every policy: no policy may take the word */
        assert_string_not_equal(name, "all");
        for (enum policy_kind j = 0; j < k; j++)
            if (strcmp(name, policy_kind_name(j)) == 0) {
                print_error("kinds %d and %d are both named \"%s\"\n", (int)j, (int)k, name);
                fail();
            }
    }
}

static void test_exactly_one_default_and_it_is_joint(void **state)
{
    int n_default = 0;

    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++)
        if (policy_ops_of(k)->is_default) {
            n_default++;
            assert_int_equal(policy_default(), k);
        }
    assert_int_equal(n_default, 1);
    assert_string_equal(policy_kind_name(policy_default()), "joint");
}

static void test_kind_names_round_trip(void **state)
{
    enum policy_kind got;

    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++) {
        assert_true(policy_kind_find(policy_kind_name(k), &got));
        assert_int_equal(got, k);
    }
    assert_string_equal(policy_kind_name(POLICY_SPLIT), "split");
    assert_string_equal(policy_kind_name(POLICY_JOINT), "joint");
    assert_false(policy_kind_find("neurosurgeon", &got));
    assert_false(policy_kind_find("Joint", &got));
    assert_false(policy_kind_find("all", &got));
    assert_false(policy_kind_find("", &got));
}

/* The oracle alone decides on the truth, and it is joint's optimiser: the
 * same create and decide, optimal like it. */
static void test_only_the_oracle_decides_on_the_truth(void **state)
{
    const struct policy_ops *oracle = policy_ops_of(POLICY_ORACLE);
    const struct policy_ops *joint = policy_ops_of(POLICY_JOINT);

    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++)
        assert_int_equal(policy_truth(k), k == POLICY_ORACLE);
    assert_string_equal(policy_kind_name(POLICY_ORACLE), "oracle");
    assert_ptr_equal(oracle->create, joint->create);
    assert_ptr_equal(oracle->decide, joint->decide);
    assert_true(oracle->optimal && joint->optimal);
    assert_false(oracle->is_default);
}

/* rl alone needs an agent: asked for without one, it is a usage error
 * naming what is missing, and it decides on whole requests only. */
static void test_only_rl_needs_an_agent(void **state)
{
    struct compute_problem p = {0}; /* refused before the problem is read */
    struct core_err e;

    (void)state;
    for (enum policy_kind k = 0; k < POLICY_KIND_COUNT; k++)
        assert_int_equal(policy_needs_agent(k), k == POLICY_RL);
    assert_string_equal(policy_kind_name(POLICY_RL), "rl");
    assert_non_null(policy_ops_of(POLICY_RL)->decide_request);
    assert_null(policy_solver_create(POLICY_RL, &p, &e));
    assert_int_equal(e.rc, CORE_E_USAGE);
    assert_non_null(strstr(e.msg, "rl needs an agent (--agent FILE)"));
}

/* ---- observe ----------------------------------------------------------------- */

/* A fake learner: what it heard, and from which solver. */
static struct {
    const struct policy_solver *s; /* the solver observed */
    const struct policy_feedback *fb; /* the feedback handed over */
    int calls;
} heard;

static void fake_observe(struct policy_solver *s, const struct policy_feedback *fb)
{
    heard.s = s;
    heard.fb = fb;
    heard.calls++;
}

static void test_observe_reaches_a_policy_that_listens(void **state)
{
    struct policy_ops listening = *policy_ops_of(POLICY_JOINT);
    struct policy_solver s = {.kind = POLICY_JOINT, .ops = &listening};
    struct compute_problem p;
    struct compute_state st;
    struct compute_plan pl;
    const struct policy_feedback fb = {&p, &st, &pl, true, 0.25, 0.5, 0.75, -1};

    (void)state;
    listening.observe = fake_observe;
    memset(&heard, 0, sizeof(heard));
    policy_observe(&s, &fb);
    assert_int_equal(heard.calls, 1);
    assert_ptr_equal(heard.s, &s);
    assert_ptr_equal(heard.fb, &fb);
    /* joint's own row does not observe: nothing heard */
    s.ops = policy_ops_of(POLICY_JOINT);
    policy_observe(&s, &fb);
    assert_int_equal(heard.calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_every_kind_has_a_complete_row),
        TEST(test_names_are_unique_well_formed_and_not_all),
        TEST(test_exactly_one_default_and_it_is_joint),
        TEST(test_kind_names_round_trip),
        TEST(test_only_the_oracle_decides_on_the_truth),
        TEST(test_only_rl_needs_an_agent),
        TEST(test_observe_reaches_a_policy_that_listens),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
