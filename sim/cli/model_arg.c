/*
 * model_arg.c — a MODEL argument of the commands that train or measure a
 * classifier (train-model, accuracy): a model file (a path with a '/' or a
 * name ending in ".xml"), of which the graph is read (with its early exits
 * when asked), or a zoo name; and a weights file for such a model.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "io/io.h"
#include "nn/nn.h"

int cli_load_graph(const char *command, const char *arg, struct nn_model **out)
{
    return cli_load_graph_exits(command, arg, out, NULL);
}

int cli_load_graph_exits(const char *command, const char *arg, struct nn_model **out,
                         struct nn_exits *exits)
{
    const size_t n = strlen(arg);
    struct core_err e;
    size_t z;

    core_err_clear(&e);
    *out = NULL;
    if (strchr(arg, '/') != NULL || (n > 4 && strcmp(arg + n - 4, ".xml") == 0))
        return (exits ? io_model_load_graph_exits(arg, out, exits, &e)
                      : io_model_load_graph(arg, out, &e)) == CORE_OK
                   ? 0
                   : cli_fail(&e);
    for (z = 0; z < NN_ZOO_COUNT; z++)
        if (strcmp(arg, nn_zoo_name((enum nn_zoo_model)z)) == 0)
            return nn_zoo_build((enum nn_zoo_model)z, 1, out, &e) == CORE_OK ? 0 : cli_fail(&e);
    fprintf(stderr, "coinfer %s: unknown model '%s' (zoo:", command, arg);
    for (z = 0; z < NN_ZOO_COUNT; z++)
        fprintf(stderr, "%s %s", z ? "," : "", nn_zoo_name((enum nn_zoo_model)z));
    fprintf(stderr, "; or a model file such as models/lenet5-fmnist.xml)\n");
    return 2;
}

int cli_load_weights(struct nn_model *m, const struct nn_exits *exits, const char *path)
{
    struct nn_exits x = {0};
    struct core_err e;
    int rc = 0;

    core_err_clear(&e);
    if (nn_exits_clone(exits, nn_model_shape(m, NN_INPUT).n, &x, &e) != CORE_OK ||
        nn_exits_finalize(&x, 0, &e) != CORE_OK ||
        nn_weights_load_exits(m, &x, path, &e) != CORE_OK)
        rc = cli_fail(&e);
    nn_exits_fini(&x);
    return rc;
}
