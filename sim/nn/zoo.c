/*
 * zoo.c — builders for the reference networks, through the public graph API.
 *
 * Architectures follow torchvision (AlexNet, VGG-16 without batch norm,
 * ResNet-18, MobileNetV2 width 1.0) and LeNet-5 as commonly modernised (ReLU,
 * max pooling, 1x28x28 input padded by 2 in the first convolution). A conv
 * followed directly by a ReLU carries it fused; a conv followed by a batch
 * norm has no bias and its activation is a separate layer after the batch
 * norm, so nn_model_fold_batchnorm can fold every batch norm of ResNet-18 and
 * MobileNetV2. Adaptive average pooling is left out where it is the identity
 * at 224x224 (AlexNet, VGG-16). No softmax ends the ImageNet models (their
 * outputs are logits, as torchvision's).
 */
#include "nn/nn_int.h"

#include <string.h>

/* Building state: stops at the first error, so a builder is a plain list of
 * calls and checks once at the end. */
struct zb {
    struct nn_model *m; /* model being built */
    struct core_err *e; /* where the first error goes */
    enum core_rc rc;    /* first failure, CORE_OK until then */
};

static int add(struct zb *b, enum nn_op op, const struct nn_params *p, const int *in, size_t n_in)
{
    int index = -1;

    if (b->rc == CORE_OK)
        b->rc = nn_model_add(b->m, op, p, in, n_in, NULL, &index, b->e);
    return index;
}

static int add1(struct zb *b, enum nn_op op, const struct nn_params *p, int in)
{
    return add(b, op, p, &in, 1);
}

static int conv(struct zb *b, int in, uint32_t k, uint32_t ks, uint32_t stride, uint32_t pad,
                uint32_t groups, bool bias, enum nn_act act)
{
    const struct nn_params p = {.out_channels = k,
                                .kernel_h = ks,
                                .stride = stride,
                                .pad = pad,
                                .groups = groups,
                                .bias = bias,
                                .act = act};

    return add1(b, NN_OP_CONV2D, &p, in);
}

static int pool(struct zb *b, enum nn_op op, int in, uint32_t ks, uint32_t stride, uint32_t pad)
{
    const struct nn_params p = {.kernel_h = ks, .stride = stride, .pad = pad};

    return add1(b, op, &p, in);
}

static int fc(struct zb *b, int in, uint32_t k, enum nn_act act)
{
    const struct nn_params p = {.out_channels = k, .bias = true, .act = act};

    return add1(b, NN_OP_FC, &p, in);
}

static int simple(struct zb *b, enum nn_op op, int in)
{
    return add1(b, op, NULL, in);
}

/* conv (no bias) -> batch norm -> optional activation layer. */
static int conv_bn(struct zb *b, int in, uint32_t k, uint32_t ks, uint32_t stride, uint32_t groups,
                   enum nn_op act)
{
    int x = conv(b, in, k, ks, stride, ks / 2, groups, false, NN_ACT_NONE);

    x = simple(b, NN_OP_BATCHNORM, x);
    return act == NN_OP_COUNT ? x : simple(b, act, x);
}

static void lenet5(struct zb *b)
{
    int x = conv(b, NN_INPUT, 6, 5, 1, 2, 1, true, NN_ACT_RELU);

    x = pool(b, NN_OP_MAXPOOL, x, 2, 2, 0);
    x = conv(b, x, 16, 5, 1, 0, 1, true, NN_ACT_RELU);
    x = pool(b, NN_OP_MAXPOOL, x, 2, 2, 0);
    x = simple(b, NN_OP_FLATTEN, x);
    x = fc(b, x, 120, NN_ACT_RELU);
    x = fc(b, x, 84, NN_ACT_RELU);
    x = fc(b, x, 10, NN_ACT_NONE);
    simple(b, NN_OP_SOFTMAX, x);
}

static void alexnet(struct zb *b)
{
    int x = conv(b, NN_INPUT, 64, 11, 4, 2, 1, true, NN_ACT_RELU);

    x = pool(b, NN_OP_MAXPOOL, x, 3, 2, 0);
    x = conv(b, x, 192, 5, 1, 2, 1, true, NN_ACT_RELU);
    x = pool(b, NN_OP_MAXPOOL, x, 3, 2, 0);
    x = conv(b, x, 384, 3, 1, 1, 1, true, NN_ACT_RELU);
    x = conv(b, x, 256, 3, 1, 1, 1, true, NN_ACT_RELU);
    x = conv(b, x, 256, 3, 1, 1, 1, true, NN_ACT_RELU);
    x = pool(b, NN_OP_MAXPOOL, x, 3, 2, 0);
    x = simple(b, NN_OP_FLATTEN, x);
    x = simple(b, NN_OP_DROPOUT, x);
    x = fc(b, x, 4096, NN_ACT_RELU);
    x = simple(b, NN_OP_DROPOUT, x);
    x = fc(b, x, 4096, NN_ACT_RELU);
    fc(b, x, 1000, NN_ACT_NONE);
}

static void vgg16(struct zb *b)
{
    /* Output channels per conv; 0 is a 2x2 max pool. */
    static const uint32_t cfg[] = {64, 64,  0,   128, 128, 0,   256, 256, 256,
                                   0,  512, 512, 512, 0,   512, 512, 512, 0};
    int x = NN_INPUT;
    size_t i;

    for (i = 0; i < ARRAY_LEN(cfg); i++)
        x = cfg[i] ? conv(b, x, cfg[i], 3, 1, 1, 1, true, NN_ACT_RELU)
                   : pool(b, NN_OP_MAXPOOL, x, 2, 2, 0);
    x = simple(b, NN_OP_FLATTEN, x);
    x = fc(b, x, 4096, NN_ACT_RELU);
    x = simple(b, NN_OP_DROPOUT, x);
    x = fc(b, x, 4096, NN_ACT_RELU);
    x = simple(b, NN_OP_DROPOUT, x);
    fc(b, x, 1000, NN_ACT_NONE);
}

/* torchvision's BasicBlock: two 3x3 conv-BN, a 1x1 conv-BN shortcut when the
 * shape changes, the sum, then ReLU. */
static int basic_block(struct zb *b, int x, uint32_t in_c, uint32_t out_c, uint32_t stride)
{
    int y = conv_bn(b, x, out_c, 3, stride, 1, NN_OP_RELU);
    int sum[2];

    y = conv_bn(b, y, out_c, 3, 1, 1, NN_OP_COUNT);
    if (stride != 1 || in_c != out_c)
        x = conv_bn(b, x, out_c, 1, stride, 1, NN_OP_COUNT);
    sum[0] = y;
    sum[1] = x;
    return simple(b, NN_OP_RELU, add(b, NN_OP_ADD, NULL, sum, 2));
}

static void resnet18(struct zb *b)
{
    static const uint32_t widths[] = {64, 128, 256, 512};
    uint32_t in_c = 64;
    int x = conv_bn(b, NN_INPUT, 64, 7, 2, 1, NN_OP_RELU);
    size_t s;

    x = pool(b, NN_OP_MAXPOOL, x, 3, 2, 1);
    for (s = 0; s < ARRAY_LEN(widths); s++) {
        x = basic_block(b, x, in_c, widths[s], s == 0 ? 1 : 2);
        x = basic_block(b, x, widths[s], widths[s], 1);
        in_c = widths[s];
    }
    x = simple(b, NN_OP_GAP, x);
    x = simple(b, NN_OP_FLATTEN, x);
    fc(b, x, 1000, NN_ACT_NONE);
}

/* torchvision's InvertedResidual: 1x1 expansion (unless t = 1), 3x3
 * depthwise, 1x1 linear projection, and the sum when the shape is kept. */
static int inverted_residual(struct zb *b, int x, uint32_t in_c, uint32_t out_c, uint32_t stride,
                             uint32_t t)
{
    const uint32_t hidden = in_c * t;
    int y = x, sum[2];

    if (t != 1)
        y = conv_bn(b, y, hidden, 1, 1, 1, NN_OP_RELU6);
    y = conv_bn(b, y, hidden, 3, stride, hidden, NN_OP_RELU6);
    y = conv_bn(b, y, out_c, 1, 1, 1, NN_OP_COUNT);
    if (stride != 1 || in_c != out_c)
        return y;
    sum[0] = x;
    sum[1] = y;
    return add(b, NN_OP_ADD, NULL, sum, 2);
}

static void mobilenetv2(struct zb *b)
{
    /* Expansion t, output channels c, repeats n, first stride s. */
    static const uint32_t cfg[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                      {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    uint32_t in_c = 32, r;
    int x = conv_bn(b, NN_INPUT, 32, 3, 2, 1, NN_OP_RELU6);
    size_t s;

    for (s = 0; s < ARRAY_LEN(cfg); s++) {
        for (r = 0; r < cfg[s][2]; r++) {
            x = inverted_residual(b, x, in_c, cfg[s][1], r == 0 ? cfg[s][3] : 1, cfg[s][0]);
            in_c = cfg[s][1];
        }
    }
    x = conv_bn(b, x, 1280, 1, 1, 1, NN_OP_RELU6);
    x = simple(b, NN_OP_GAP, x);
    x = simple(b, NN_OP_FLATTEN, x);
    x = simple(b, NN_OP_DROPOUT, x);
    fc(b, x, 1000, NN_ACT_NONE);
}

/* How to build each model; its name is nn_zoo_names'. */
static const struct {
    struct nn_shape item;        /* input of one batch item (n ignored) */
    void (*build)(struct zb *b); /* adds the layers */
} zoo[] = {
    [NN_ZOO_LENET5] = {{1, 1, 28, 28}, lenet5},
    [NN_ZOO_ALEXNET] = {{1, 3, 224, 224}, alexnet},
    [NN_ZOO_VGG16] = {{1, 3, 224, 224}, vgg16},
    [NN_ZOO_RESNET18] = {{1, 3, 224, 224}, resnet18},
    [NN_ZOO_MOBILENETV2] = {{1, 3, 224, 224}, mobilenetv2},
};
static_assert(ARRAY_LEN(zoo) == NN_ZOO_COUNT, "one zoo entry per enum nn_zoo_model");

const char *const nn_zoo_names[NN_ZOO_COUNT + 1] = {
    [NN_ZOO_LENET5] = "lenet5",
    [NN_ZOO_ALEXNET] = "alexnet",
    [NN_ZOO_VGG16] = "vgg16",
    [NN_ZOO_RESNET18] = "resnet18",
    [NN_ZOO_MOBILENETV2] = "mobilenetv2",
    [NN_ZOO_COUNT] = NULL,
};

const char *nn_zoo_name(enum nn_zoo_model z)
{
    CORE_ASSERT((unsigned)z < NN_ZOO_COUNT);
    return nn_zoo_names[z];
}

bool nn_zoo_find(const char *name, enum nn_zoo_model *z)
{
    for (int i = 0; i < NN_ZOO_COUNT; i++)
        if (strcmp(nn_zoo_names[i], name) == 0) {
            *z = (enum nn_zoo_model)i;
            return true;
        }
    return false;
}

enum core_rc nn_zoo_build(enum nn_zoo_model z, uint32_t batch, struct nn_model **out,
                          struct core_err *e)
{
    struct nn_shape in;
    struct zb b;
    enum core_rc rc;

    CORE_ASSERT((unsigned)z < NN_ZOO_COUNT);
    *out = NULL;
    if (batch == 0)
        return core_err(e, CORE_E_INPUT, "%s: batch size must be at least 1",
                        nn_zoo_names[z]);
    in = zoo[z].item;
    in.n = batch;
    rc = nn_model_create(&in, &b.m, e);
    if (rc != CORE_OK)
        return rc;
    b.e = e;
    b.rc = CORE_OK;
    zoo[z].build(&b);
    if (b.rc != CORE_OK) {
        nn_model_destroy(b.m);
        return b.rc;
    }
    *out = b.m;
    return CORE_OK;
}
