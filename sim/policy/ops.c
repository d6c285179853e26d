/*
 * ops.c — the policies' table: one row per enum policy_kind with its name,
 * its one-line help, whether it is the default, whether it is optimal over
 * its family of cuts, whether it decides on the truth, and its create /
 * decide / adapt / observe / destroy. The one
 * owner of these facts: the names --policy takes, the default, the help
 * `coinfer run --help` prints and the run tier's list of policies all read
 * them here. Adding a policy is adding its enum value and its row.
 */
#include "policy/policy_int.h"

#include <string.h>

/* The built-ins do not learn: observe is NULL in each of their rows. */
static const struct policy_ops table[] = {
    [POLICY_LOCAL] = {
        .name = "local",
        .help = "everything on the UE, each layer's best UE option",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = true,
        .create = policy_local_create,
        .decide = policy_local_decide,
        .observe = NULL,
        .destroy = policy_release,
    },
    [POLICY_EDGE] = {
        .name = "edge",
        .help = "everything on the edge; the raw input goes uplink",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .create = policy_edge_create,
        .decide = policy_edge_decide,
        .observe = NULL,
        .destroy = policy_release,
    },
    [POLICY_RESOURCE] = {
        .name = "resource",
        .help = "no split: the whole model on the best one option",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .create = policy_resource_create,
        .decide = policy_candidates_decide,
        .adapt = policy_adapt_candidates,
        .observe = NULL,
        .destroy = policy_candidates_release,
    },
    [POLICY_SPLIT] = {
        .name = "split",
        .help = "Neurosurgeon: best split, one best option a side",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .create = policy_split_create,
        .decide = policy_candidates_decide,
        .adapt = policy_adapt_candidates,
        .observe = NULL,
        .destroy = policy_candidates_release,
    },
    [POLICY_SPLIT_DEFAULT] = {
        .name = "split-default",
        .help = "the best split, each side on its default option",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .create = policy_split_default_create,
        .decide = policy_candidates_decide,
        .adapt = policy_adapt_candidates,
        .observe = NULL,
        .destroy = policy_candidates_release,
    },
    [POLICY_JOINT] = {
        .name = "joint",
        .help = "the method: best cut and option per layer, exact",
        .is_default = true,
        .optimal = true,
        .truth = false,
        .on_device = false,
        .encodes = true,
        .exits = true,
        .create = policy_joint_create,
        .decide = policy_joint_decide,
        .observe = NULL,
        .destroy = policy_release,
    },
    [POLICY_ORACLE] = {
        .name = "oracle",
        .help = "joint on the truth: true costs, queues and rates",
        .is_default = false,
        .optimal = true,
        .truth = true,
        .on_device = false,
        .encodes = true,
        .exits = true,
        .create = policy_joint_create,
        .decide = policy_joint_decide,
        .observe = NULL,
        .destroy = policy_release,
    },
    [POLICY_RANDOM] = {
        .name = "random",
        .help = "a uniform valid cut, uniform options",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .create = policy_random_create,
        .decide = policy_random_decide,
        .adapt = policy_adapt_random,
        .observe = NULL,
        .destroy = policy_release,
    },
    [POLICY_DADS] = {
        .name = "dads",
        .help = "DADS: min s-t cut of the DAG, default options",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .create = policy_dads_create,
        .decide = policy_dads_decide,
        .adapt = policy_adapt_candidates,
        .observe = NULL,
        .destroy = policy_dads_release,
    },
    [POLICY_EDGENT] = {
        .name = "edgent",
        .help = "Edgent: most accurate (exit, split) in the deadline",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .exits = true,
        .create = policy_edgent_create,
        .decide = policy_edgent_decide,
        .decide_request = policy_edgent_decide_request,
        .adapt = policy_adapt_candidates,
        .observe = NULL,
        .destroy = policy_candidates_release,
    },
    [POLICY_RL] = {
        .name = "rl",
        .help = "the learning agent of --agent FILE",
        .is_default = false,
        .optimal = false,
        .truth = false,
        .on_device = false,
        .needs_agent = true,
        .create = policy_rl_create,
        .decide = policy_rl_decide,
        .decide_request = policy_rl_decide_request,
        .observe = NULL,
        .destroy = policy_release,
    },
};
static_assert(ARRAY_LEN(table) == POLICY_KIND_COUNT, "one row per policy");

const struct policy_ops *policy_ops_of(enum policy_kind k)
{
    CORE_ASSERT((unsigned)k < POLICY_KIND_COUNT);
    return &table[k];
}

const char *policy_kind_name(enum policy_kind k)
{
    return (unsigned)k < POLICY_KIND_COUNT ? table[k].name : "?";
}

const char *policy_help(enum policy_kind k)
{
    return policy_ops_of(k)->help;
}

enum policy_kind policy_default(void)
{
    size_t i;

    for (i = 0; i < POLICY_KIND_COUNT && !table[i].is_default; i++)
        continue;
    CORE_ASSERT(i < POLICY_KIND_COUNT);
    return (enum policy_kind)i;
}

bool policy_kind_find(const char *name, enum policy_kind *k)
{
    for (size_t i = 0; i < POLICY_KIND_COUNT; i++)
        if (strcmp(name, table[i].name) == 0) {
            *k = (enum policy_kind)i;
            return true;
        }
    return false;
}

bool policy_optimal(enum policy_kind k)
{
    return policy_ops_of(k)->optimal;
}

bool policy_observes(enum policy_kind k)
{
    return policy_ops_of(k)->observe != NULL;
}

bool policy_truth(enum policy_kind k)
{
    return policy_ops_of(k)->truth;
}

bool policy_encodes(enum policy_kind k)
{
    return policy_ops_of(k)->encodes;
}

bool policy_chooses_exit(enum policy_kind k)
{
    return policy_ops_of(k)->exits;
}

bool policy_on_device(enum policy_kind k)
{
    return policy_ops_of(k)->on_device;
}

bool policy_needs_agent(enum policy_kind k)
{
    return policy_ops_of(k)->needs_agent;
}
