/*
 * model_arg.c — a MODEL argument of the commands that train or measure a
 * classifier (train-model, accuracy): a model file (a path with a '/' or a
 * name ending in ".xml"), of which the graph is read, or a zoo name.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "io/io.h"
#include "nn/nn.h"

int cli_load_graph(const char *command, const char *arg, struct nn_model **out)
{
    const size_t n = strlen(arg);
    struct core_err e;
    size_t z;

    core_err_clear(&e);
    *out = NULL;
    if (strchr(arg, '/') != NULL || (n > 4 && strcmp(arg + n - 4, ".xml") == 0))
        return io_model_load_graph(arg, out, &e) == CORE_OK ? 0 : cli_fail(&e);
    for (z = 0; z < NN_ZOO_COUNT; z++)
        if (strcmp(arg, nn_zoo_name((enum nn_zoo_model)z)) == 0)
            return nn_zoo_build((enum nn_zoo_model)z, 1, out, &e) == CORE_OK ? 0 : cli_fail(&e);
    fprintf(stderr, "coinfer %s: unknown model '%s' (zoo:", command, arg);
    for (z = 0; z < NN_ZOO_COUNT; z++)
        fprintf(stderr, "%s %s", z ? "," : "", nn_zoo_name((enum nn_zoo_model)z));
    fprintf(stderr, "; or a model file such as models/lenet5-fmnist.xml)\n");
    return 2;
}
