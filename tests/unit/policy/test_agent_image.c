/*
 * test_agent_image.c — the learning agent's edges (agent.c, agent_train.c):
 * an agent image with any one field broken (names, counts, layer inputs,
 * option labels, cuts, scales, normalisation, weight count, a weight) is
 * refused by policy_agent_create naming what is wrong, and the intact image
 * still builds; a training configuration or problem out of range is a clear
 * error; binding names each part of the signature that differs (model input,
 * a layer's input, options, the family of cuts); and training and building
 * from an image fail cleanly at every allocation (CORE_E_NOMEM, nothing
 * leaked), then succeed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agentutil.h"
#include "testutil.h"

#include "policy/policy.h"

static struct core_err err;

#define N_SAMPLES 64

/* A small problem, samples decided by joint on random states, and an agent
 * trained on them for a few steps. */
struct fixture {
    struct compute_problem p;
    float x[N_SAMPLES][POLICY_STATE_MAX];
    struct compute_state st[N_SAMPLES];
    struct policy_sample samples[N_SAMPLES];
    struct policy_agent_problem prob;
    struct policy_agent *agent;
};

static const struct policy_train_config small_cfg = {
    .seed = 2, .steps = 3, .batch = 8, .learning_rate = 1e-2, .hidden = 4, .depth = 1,
    .conservative = 0.1, .holdout = 0.2, .threads = 1};

static void fixture_make(struct fixture *f, bool dag)
{
    struct core_rng *r = core_rng_create(17, 0, CORE_RNG_POLICY);
    struct policy_solver *joint;

    memset(f, 0, sizeof(*f));
    assert_core_rc(agentutil_problem(&f->p, r, 5, dag, 2, 2, 0.1, &err), CORE_OK);
    joint = policy_solver_create(POLICY_JOINT, &f->p, &err);
    assert_non_null(joint);
    for (int i = 0; i < N_SAMPLES; i++) {
        struct compute_decision req;
        struct compute_plan pl;
        struct compute_plan_cost c;

        memset(&req, 0, sizeof(req));
        req.problem = &f->p;
        agentutil_state(&f->st[i], r, &f->p, 0.9, 0.0);
        req.state = f->st[i];
        req.deadline_s = 0.1;
        req.battery_j = INFINITY;
        policy_state_encode(&req, f->x[i]);
        assert_core_rc(policy_decide(joint, &f->st[i], r, &pl, &err), CORE_OK);
        compute_plan_cost(&f->p, &f->st[i], &pl, &c);
        f->samples[i] = (struct policy_sample){0, f->x[i], pl, c.objective, &f->st[i]};
    }
    policy_solver_destroy(joint);
    core_rng_destroy(r);
    f->prob = (struct policy_agent_problem){"m", "d", &f->p, (uint32_t)policy_state_size(&f->p)};
    assert_core_rc(policy_agent_train(&f->prob, 1, f->samples, N_SAMPLES, &small_cfg, NULL, NULL,
                                      0, &f->agent, &err),
                   CORE_OK);
}

static void fixture_free(struct fixture *f)
{
    policy_agent_destroy(f->agent);
    compute_problem_fini(&f->p);
}

/* A mutable copy of an agent's image with two parts: the agent's one, and
 * the same for device "d2". Its arrays are the test's. */
struct image_copy {
    struct policy_agent_image img;
    struct policy_agent_part parts[2];
    float *mean[2], *sd[2], *w[2];
};

static void image_copy(struct image_copy *c, const struct policy_agent_image *src)
{
    const struct policy_agent_part *s = &src->parts[0];
    size_t ns = s->sig.n_state;

    c->img = *src;
    c->img.n_problems = 2;
    c->img.parts = c->parts;
    for (int i = 0; i < 2; i++) {
        c->parts[i] = *s;
        c->mean[i] = test_malloc(ns * sizeof(float));
        c->sd[i] = test_malloc(ns * sizeof(float));
        c->w[i] = test_malloc(s->n_weights * sizeof(float));
        memcpy(c->mean[i], s->state_mean, ns * sizeof(float));
        memcpy(c->sd[i], s->state_sd, ns * sizeof(float));
        memcpy(c->w[i], s->weights, s->n_weights * sizeof(float));
        c->parts[i].state_mean = c->mean[i];
        c->parts[i].state_sd = c->sd[i];
        c->parts[i].weights = c->w[i];
    }
    snprintf(c->parts[1].sig.device, sizeof(c->parts[1].sig.device), "d2");
}

static void image_free(struct image_copy *c)
{
    for (int i = 0; i < 2; i++) {
        test_free(c->mean[i]);
        test_free(c->sd[i]);
        test_free(c->w[i]);
    }
}

/* policy_agent_create(c) is bad input whose message contains want. */
static void refused(struct image_copy *c, const char *want)
{
    struct policy_agent *a = NULL;

    assert_core_rc(policy_agent_create(&c->img, &a, &err), CORE_E_INPUT);
    assert_null(a);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' does not contain '%s'", err.msg, want);
}

static void test_an_image_with_any_field_broken_is_refused_naming_it(void **state)
{
    struct fixture f;
    struct image_copy c;
    struct policy_agent *a = NULL;
    struct policy_agent_signature keep;
    struct policy_agent_part part;

    (void)state;
    fixture_make(&f, true);
    image_copy(&c, policy_agent_image(f.agent));
    assert_core_rc(policy_agent_create(&c.img, &a, &err), CORE_OK);
    assert_int_equal(policy_agent_n_problems(a), 2);
    assert_string_equal(policy_agent_device(a, 1), "d2");
    policy_agent_destroy(a);

    keep = c.parts[1].sig;
    part = c.parts[1];
#define RESTORE() (c.parts[1] = part, c.parts[1].sig = keep)
    c.img.n_problems = 0;
    refused(&c, "at least one problem");
    c.img.n_problems = 2;
    c.img.config.hidden = 0;
    refused(&c, "trunk of");
    c.img.config.hidden = POLICY_AGENT_MAX_HIDDEN + 1;
    refused(&c, "trunk of");
    c.img.config.hidden = small_cfg.hidden;
    c.img.config.depth = POLICY_AGENT_MAX_DEPTH + 1;
    refused(&c, "trunk of");
    c.img.config.depth = small_cfg.depth;

    c.parts[1].sig.model[0] = '\0';
    refused(&c, "problem 1: a model or device name is empty");
    RESTORE();
    memset(c.parts[1].sig.device, 'x', sizeof(c.parts[1].sig.device));
    refused(&c, "longer than 63 bytes");
    RESTORE();
    snprintf(c.parts[1].sig.device, sizeof(c.parts[1].sig.device), "d");
    refused(&c, "problems 0 and 1 are both m on d");
    RESTORE();
    c.parts[1].sig.n_state = 0;
    refused(&c, "problem 1: 0 state features");
    RESTORE();
    c.parts[1].sig.n_state = POLICY_AGENT_MAX_STATE + 1;
    refused(&c, "state features (1..");
    RESTORE();
    c.parts[1].sig.n_layers = COMPUTE_PLAN_MAX_LAYERS + 1;
    refused(&c, "layers (1..");
    RESTORE();
    c.parts[1].sig.n_layers = 0;
    refused(&c, "problem 1: 0 layers");
    RESTORE();
    c.parts[1].sig.layers[1].n_inputs = COMPUTE_PLAN_MAX_INPUTS + 1;
    refused(&c, "problem 1: layer 1 has");
    RESTORE();
    c.parts[1].sig.layers[2].n_inputs = 0;
    refused(&c, "problem 1: layer 2 has 0 inputs");
    RESTORE();
    c.parts[1].sig.layers[2].inputs[0] = 2;
    refused(&c, "problem 1: layer 2 reads 2");
    RESTORE();
    c.parts[1].sig.layers[2].inputs[0] = -2;
    refused(&c, "problem 1: layer 2 reads -2");
    RESTORE();
    c.parts[1].sig.n_options[COMPUTE_SIDE_EDGE] = 0;
    refused(&c, "problem 1: 0 edge options");
    RESTORE();
    c.parts[1].sig.n_options[COMPUTE_SIDE_UE] = COMPUTE_PLAN_MAX_OPTIONS + 1;
    refused(&c, "ue options (1..");
    RESTORE();
    memset(c.parts[1].sig.options[COMPUTE_SIDE_UE][1].label, 'a',
           sizeof(c.parts[1].sig.options[COMPUTE_SIDE_UE][1].label));
    refused(&c, "ue option 1's label has no end");
    RESTORE();
    c.parts[1].sig.n_cuts = 0;
    refused(&c, "problem 1: 0 cuts");
    RESTORE();
    c.parts[1].sig.n_cuts = 1u << 30;
    refused(&c, "cuts");
    RESTORE();
    c.parts[1].cost_sd = INFINITY;
    refused(&c, "a cost or byte scale");
    RESTORE();
    c.parts[1].bytes_scale = 0;
    refused(&c, "a cost or byte scale");
    RESTORE();
    c.parts[1].cost_sd = 0;
    refused(&c, "a cost or byte scale is not positive and finite");
    RESTORE();
    c.parts[1].cost_mean = NAN;
    refused(&c, "a cost or byte scale");
    RESTORE();
    c.parts[1].bytes_scale = INFINITY;
    refused(&c, "a cost or byte scale");
    RESTORE();
    c.sd[1][1] = 0;
    refused(&c, "problem 1: feature 1's normalisation");
    c.sd[1][1] = INFINITY;
    refused(&c, "problem 1: feature 1's normalisation");
    c.sd[1][1] = 1;
    c.mean[1][0] = NAN;
    refused(&c, "problem 1: feature 0's normalisation");
    c.mean[1][0] = 0;
    c.parts[1].n_weights--;
    refused(&c, "weights where its network has");
    RESTORE();
    c.w[1][3] = INFINITY;
    refused(&c, "problem 1: weight 3 is not finite");
    c.w[1][3] = 0;
#undef RESTORE
    assert_core_rc(policy_agent_create(&c.img, &a, &err), CORE_OK);
    policy_agent_destroy(a);
    image_free(&c);
    fixture_free(&f);
}

static void test_training_settings_and_problems_out_of_range_are_clear_errors(void **state)
{
    struct fixture f;
    struct policy_agent *a = NULL;
    struct policy_train_config cfg;
    struct policy_agent_problem pr;
    char long_name[POLICY_AGENT_NAME_MAX + 1];

    (void)state;
    fixture_make(&f, false);
    policy_agent_destroy(f.agent);
    f.agent = NULL;
#define BAD_CFG(field, value, want)                                                                \
    do {                                                                                           \
        cfg = small_cfg;                                                                           \
        cfg.field = value;                                                                         \
        assert_core_rc(policy_agent_train(&f.prob, 1, f.samples, N_SAMPLES, &cfg, NULL, NULL, 0,  \
                                          &a, &err),                                               \
                       CORE_E_INPUT);                                                              \
        if (!strstr(err.msg, want))                                                                \
            fail_msg("%s = %s: message '%s' lacks '%s'", #field, #value, err.msg, want);          \
    } while (0)
    BAD_CFG(steps, 0, "at least one step");
    BAD_CFG(batch, 0, "at least one step");
    BAD_CFG(learning_rate, NAN, "learning rate");
    BAD_CFG(hidden, 0, "a trunk of");
    BAD_CFG(hidden, POLICY_AGENT_MAX_HIDDEN + 1, "a trunk of");
    BAD_CFG(depth, POLICY_AGENT_MAX_DEPTH + 1, "a trunk of");
    BAD_CFG(conservative, -1, "conservative weight");
    BAD_CFG(conservative, INFINITY, "conservative weight");
    BAD_CFG(holdout, NAN, "held-out share");
    BAD_CFG(threads, 0, "threads");
    BAD_CFG(pessimism, -1, "pessimism -1");
    BAD_CFG(pessimism, NAN, "pessimism");
    BAD_CFG(pessimism, INFINITY, "pessimism");
#undef BAD_CFG
    assert_core_rc(policy_agent_train(&f.prob, 0, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0,
                                      &a, &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "at least one problem"));

    pr = f.prob;
    pr.model = NULL;
    assert_core_rc(policy_agent_train(&pr, 1, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "model and device names"));
    pr.model = "";
    assert_core_rc(policy_agent_train(&pr, 1, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "model and device names"));
    memset(long_name, 'n', POLICY_AGENT_NAME_MAX);
    long_name[POLICY_AGENT_NAME_MAX] = '\0';
    pr.model = "m";
    pr.device = long_name;
    assert_core_rc(policy_agent_train(&pr, 1, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "model and device names"));
    pr.device = "d";
    pr.n_state = 0;
    assert_core_rc(policy_agent_train(&pr, 1, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "state features"));
    pr.n_state = POLICY_AGENT_MAX_STATE + 1;
    assert_core_rc(policy_agent_train(&pr, 1, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "state features"));
    pr.n_state = f.prob.n_state;

    f.samples[6].state = NULL;
    assert_core_rc(policy_agent_train(&pr, 1, f.samples, N_SAMPLES, &small_cfg, NULL, NULL, 0, &a,
                                      &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "sample 6: no state"));
    f.samples[6].state = f.x[6];
    assert_null(a);
    fixture_free(&f);
}

/* p with one field changed no longer binds to the agent: the message names it. */
static void bind_refused(struct fixture *f, const struct compute_problem *p, const char *want)
{
    assert_core_rc(policy_agent_bind(f->agent, 0, p, f->prob.n_state, &err), CORE_E_INPUT);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
}

static void test_binding_names_each_difference_of_the_signature(void **state)
{
    struct fixture f;
    struct compute_problem q;
    struct core_rng *r = core_rng_create(17, 0, CORE_RNG_POLICY);
    struct compute_problem_layer *l;
    double keep;
    uint32_t res;
    int32_t input;

    (void)state;
    fixture_make(&f, true);
    keep = f.p.input_bytes;
    f.p.input_bytes *= 2;
    bind_refused(&f, &f.p, "the model input has");
    f.p.input_bytes = keep;
    res = f.p.options[COMPUTE_SIDE_UE][1].resource;
    f.p.options[COMPUTE_SIDE_UE][1].resource = res + 1;
    bind_refused(&f, &f.p, "ue option 1 is 'u1' (resource");
    f.p.options[COMPUTE_SIDE_UE][1].resource = res;
    f.p.options[COMPUTE_SIDE_UE][1].amount = 0.5;
    bind_refused(&f, &f.p, "amount 0.5");
    f.p.options[COMPUTE_SIDE_UE][1].amount = 1;
    /* a layer that reads one more earlier layer */
    l = &f.p.layers[f.p.n_layers - 1];
    l->inputs[l->n_inputs++] = 0;
    bind_refused(&f, &f.p, "differs (");
    l->n_inputs--;
    /* a layer that reads its two inputs in the other order */
    for (l = f.p.layers; l->n_inputs < 2; l++)
        assert_true(l < f.p.layers + f.p.n_layers - 1);
    input = l->inputs[0];
    l->inputs[0] = l->inputs[1];
    l->inputs[1] = input;
    bind_refused(&f, &f.p, "'s input 0 is");
    l->inputs[1] = l->inputs[0];
    l->inputs[0] = input;
    assert_core_rc(policy_agent_bind(f.agent, 0, &f.p, f.prob.n_state, &err), CORE_OK);
    /* the same layers with a third edge option */
    assert_core_rc(agentutil_problem(&q, r, 5, true, 2, 3, 0.1, &err), CORE_OK);
    q.input_bytes = f.p.input_bytes;
    for (size_t i = 0; i < q.n_layers; i++)
        q.layers[i] = f.p.layers[i];
    bind_refused(&f, &q, "3 edge options, the agent's 2");
    {
        struct compute_plan pl;

        assert_core_rc(policy_agent_decide(f.agent, 1, f.x[0], &f.st[0], &pl, &err),
                       CORE_E_RUNTIME);
        assert_non_null(strstr(err.msg, "not bound"));
    }
    compute_problem_fini(&q);
    core_rng_destroy(r);
    fixture_free(&f);
}

/* Walk every allocation of fn(ctx): each failure is CORE_E_NOMEM with a
 * message and leaks nothing; the walk ends when fn succeeds. */
static void walk_allocations(enum core_rc (*fn)(void *ctx), void *ctx, const char *what)
{
    unsigned long k;

    for (k = 1; k < 100000; k++) {
        long live = core_alloc_live();
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = fn(ctx);
        core_alloc_fail_after(0);
        if (rc == CORE_OK)
            break;
        if (rc != CORE_E_NOMEM)
            fail_msg("%s, allocation %lu failing: %s (%s), expected out of memory", what, k,
                     core_rc_name(rc), err.msg);
        assert_true(err.msg[0] != '\0');
        if (core_alloc_live() != live)
            fail_msg("%s, allocation %lu failing: %ld blocks leaked", what, k,
                     core_alloc_live() - live);
    }
    print_message("%s: %lu allocations walked\n", what, k - 1);
    assert_true(k > 5);
}

struct walk_ctx {
    struct fixture *f;
    struct policy_agent *out;
};

static enum core_rc create_from_image(void *ctx)
{
    struct walk_ctx *w = ctx;

    return policy_agent_create(policy_agent_image(w->f->agent), &w->out, &err);
}

static enum core_rc train_small(void *ctx)
{
    struct walk_ctx *w = ctx;

    return policy_agent_train(&w->f->prob, 1, w->f->samples, N_SAMPLES, &small_cfg, NULL, NULL, 0,
                              &w->out, &err);
}

static void test_building_and_training_fail_cleanly_at_every_allocation(void **state)
{
    struct fixture f;
    struct walk_ctx w = {&f, NULL};

    (void)state;
    fixture_make(&f, true);
    walk_allocations(create_from_image, &w, "policy_agent_create");
    assert_non_null(w.out);
    policy_agent_destroy(w.out);
    w.out = NULL;
    walk_allocations(train_small, &w, "policy_agent_train");
    assert_non_null(w.out);
    policy_agent_destroy(w.out);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_an_image_with_any_field_broken_is_refused_naming_it),
        TEST(test_training_settings_and_problems_out_of_range_are_clear_errors),
        TEST(test_binding_names_each_difference_of_the_signature),
        TEST(test_building_and_training_fail_cleanly_at_every_allocation),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
