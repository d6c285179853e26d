/*
 * zoo.c — builders for the reference networks, through the public graph API.
 *
 * Architectures follow torchvision 0.14 (AlexNet, VGG-16 without batch norm,
 * ResNet-18, MobileNetV2 width 1.0, GoogLeNet without its auxiliary heads,
 * SqueezeNet 1.1, ShuffleNetV2 x1.0, MobileNetV3-Small, EfficientNet-B0) and
 * LeNet-5 as commonly modernised (ReLU, max pooling, 1x28x28 input padded by
 * 2 in the first convolution). A conv followed directly by its activation
 * (no batch norm between) carries it fused; a conv followed by a batch norm
 * has no bias and its activation is a separate layer after the batch norm,
 * so nn_model_fold_batchnorm can fold every batch norm. Adaptive average
 * pooling is left out where it is the identity at 224x224 (AlexNet, VGG-16)
 * and is a global average pool where it pools to 1x1. Dropout and
 * stochastic depth are the identity at inference. No softmax ends the
 * ImageNet models (their outputs are logits, as torchvision's).
 *
 * Layer names: the first five models use sim/nn's defaults (type and
 * index); the five newer ones are named after torchvision's modules
 * ("features.1.0.block.1.fc1", "inception3a.branch2.1.bn"), so that a
 * torchvision state_dict's tensor names are the weights file's (weights.c).
 * Layers torchvision computes without a module of their own get the name of
 * the enclosing module and what they do ("conv1.relu", "inception3a.cat",
 * "features.2.1.add", "stage2.1.shuffle").
 */
#include "nn/nn_int.h"

#include <stdio.h>
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

/* name = fmt's printf, cut to NN_NAME_MAX - 1 bytes (the zoo's names are
 * shorter); returns name. */
static char *namef(char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *namef(char *name, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, NN_NAME_MAX, fmt, ap);
    va_end(ap);
    return name;
}

/* add, the layer named printf-style. */
static int addf(struct zb *b, enum nn_op op, const struct nn_params *p, const int *in, size_t n_in,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int addf(struct zb *b, enum nn_op op, const struct nn_params *p, const int *in, size_t n_in,
                const char *fmt, ...)
{
    char name[NN_NAME_MAX];
    va_list ap;
    int index = -1;

    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    if (b->rc == CORE_OK)
        b->rc = nn_model_add(b->m, op, p, in, n_in, name, &index, b->e);
    return index;
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

/* ---- the torchvision-named models ------------------------------------- */

/* Names of the three layers of a conv - batch norm - activation block. */
struct cba_names {
    const char *conv, *bn, *act;
};
/* torchvision's Conv2dNormActivation (a Sequential) and GoogLeNet's
 * BasicConv2d. */
static const struct cba_names seq_names = {"0", "1", "2"}, basic_names = {"conv", "bn", "relu"};

/* Conv (no bias, padding (ks - 1) / 2) - batch norm (eps) - activation
 * (NN_OP_COUNT: none), named prefix.<names>. */
static int cba(struct zb *b, int in, const char *prefix, const struct cba_names *nm, uint32_t k,
               uint32_t ks, uint32_t stride, uint32_t groups, float eps, enum nn_op act)
{
    const struct nn_params pc = {.out_channels = k,
                                 .kernel_h = ks,
                                 .stride = stride,
                                 .pad = (ks - 1) / 2,
                                 .groups = groups,
                                 .bias = false};
    const struct nn_params pb = {.eps = eps};
    int x = addf(b, NN_OP_CONV2D, &pc, &in, 1, "%s.%s", prefix, nm->conv);

    x = addf(b, NN_OP_BATCHNORM, &pb, &x, 1, "%s.%s", prefix, nm->bn);
    return act == NN_OP_COUNT ? x : addf(b, act, NULL, &x, 1, "%s.%s", prefix, nm->act);
}

/* A conv with a bias and its activation fused, named name. */
static int conv_act(struct zb *b, int in, const char *name, uint32_t k, uint32_t ks,
                    uint32_t stride, uint32_t pad, enum nn_act act)
{
    const struct nn_params p = {
        .out_channels = k, .kernel_h = ks, .stride = stride, .pad = pad, .bias = true, .act = act};

    return addf(b, NN_OP_CONV2D, &p, &in, 1, "%s", name);
}

/* A max pool named name. */
static int maxpool(struct zb *b, int in, const char *name, uint32_t ks, uint32_t stride,
                   uint32_t pad, bool ceil)
{
    const struct nn_params p = {.kernel_h = ks, .stride = stride, .pad = pad, .ceil = ceil};

    return addf(b, NN_OP_MAXPOOL, &p, &in, 1, "%s", name);
}

/* A layer without parameters of one input, named printf-style. */
#define SIMPLE(b, op, in, ...) addf(b, op, NULL, (const int[]){in}, 1, __VA_ARGS__)

/* The global average pool, flatten, dropout (when dropout) and fc of the
 * ImageNet classifiers; fc named fc_name. */
static int head(struct zb *b, int x, const char *pool_name, const char *dropout_name,
                const char *fc_name)
{
    const struct nn_params p = {.out_channels = 1000, .bias = true};

    x = SIMPLE(b, NN_OP_GAP, x, "%s", pool_name);
    x = SIMPLE(b, NN_OP_FLATTEN, x, "flatten");
    if (dropout_name)
        x = SIMPLE(b, NN_OP_DROPOUT, x, "%s", dropout_name);
    return addf(b, NN_OP_FC, &p, &x, 1, "%s", fc_name);
}

/* torchvision's Inception block: a 1x1 branch, 1x1 - 3x3 twice (branch3's
 * 5x5 is a 3x3 in torchvision, vision issue #906), and a 3x3 stride-1 max
 * pool (ceil mode) - 1x1, concatenated. BasicConv2d's batch norms have eps
 * 0.001. */
static int inception(struct zb *b, int x, const char *name, uint32_t c1, uint32_t c3r, uint32_t c3,
                     uint32_t c5r, uint32_t c5, uint32_t cp)
{
    char pre[NN_NAME_MAX];
    int br[4], y;

    namef(pre, "%s.branch1", name);
    br[0] = cba(b, x, pre, &basic_names, c1, 1, 1, 1, 1e-3f, NN_OP_RELU);
    namef(pre, "%s.branch2.0", name);
    y = cba(b, x, pre, &basic_names, c3r, 1, 1, 1, 1e-3f, NN_OP_RELU);
    namef(pre, "%s.branch2.1", name);
    br[1] = cba(b, y, pre, &basic_names, c3, 3, 1, 1, 1e-3f, NN_OP_RELU);
    namef(pre, "%s.branch3.0", name);
    y = cba(b, x, pre, &basic_names, c5r, 1, 1, 1, 1e-3f, NN_OP_RELU);
    namef(pre, "%s.branch3.1", name);
    br[2] = cba(b, y, pre, &basic_names, c5, 3, 1, 1, 1e-3f, NN_OP_RELU);
    namef(pre, "%s.branch4.0", name);
    y = maxpool(b, x, pre, 3, 1, 1, true);
    namef(pre, "%s.branch4.1", name);
    br[3] = cba(b, y, pre, &basic_names, cp, 1, 1, 1, 1e-3f, NN_OP_RELU);
    return addf(b, NN_OP_CONCAT, NULL, br, 4, "%s.cat", name);
}

static void googlenet(struct zb *b)
{
    /* Inception blocks: name, then 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5",
     * pool projection channels; or a stride-2 max pool (ceil mode) of
     * kernel pool. */
    static const struct {
        const char *name;
        uint32_t c[6];
        uint32_t pool;
    } blocks[] = {
        {"inception3a", {64, 96, 128, 16, 32, 32}, 0},
        {"inception3b", {128, 128, 192, 32, 96, 64}, 0},
        {"maxpool3", {0}, 3},
        {"inception4a", {192, 96, 208, 16, 48, 64}, 0},
        {"inception4b", {160, 112, 224, 24, 64, 64}, 0},
        {"inception4c", {128, 128, 256, 24, 64, 64}, 0},
        {"inception4d", {112, 144, 288, 32, 64, 64}, 0},
        {"inception4e", {256, 160, 320, 32, 128, 128}, 0},
        {"maxpool4", {0}, 2},
        {"inception5a", {256, 160, 320, 32, 128, 128}, 0},
        {"inception5b", {384, 192, 384, 48, 128, 128}, 0},
    };
    int x = cba(b, NN_INPUT, "conv1", &basic_names, 64, 7, 2, 1, 1e-3f, NN_OP_RELU);
    size_t i;

    x = maxpool(b, x, "maxpool1", 3, 2, 0, true);
    x = cba(b, x, "conv2", &basic_names, 64, 1, 1, 1, 1e-3f, NN_OP_RELU);
    x = cba(b, x, "conv3", &basic_names, 192, 3, 1, 1, 1e-3f, NN_OP_RELU);
    x = maxpool(b, x, "maxpool2", 3, 2, 0, true);
    for (i = 0; i < ARRAY_LEN(blocks); i++) {
        const uint32_t *c = blocks[i].c;
        if (blocks[i].pool)
            x = maxpool(b, x, blocks[i].name, blocks[i].pool, 2, 0, true);
        else
            x = inception(b, x, blocks[i].name, c[0], c[1], c[2], c[3], c[4], c[5]);
    }
    head(b, x, "avgpool", "dropout", "fc");
}

/* SqueezeNet's Fire module: a 1x1 squeeze, then 1x1 and 3x3 expands
 * concatenated; every conv with a bias and a ReLU. */
static int fire(struct zb *b, int x, const char *name, uint32_t squeeze, uint32_t expand)
{
    char n[NN_NAME_MAX];
    int e[2];

    namef(n, "%s.squeeze", name);
    x = conv_act(b, x, n, squeeze, 1, 1, 0, NN_ACT_RELU);
    namef(n, "%s.expand1x1", name);
    e[0] = conv_act(b, x, n, expand, 1, 1, 0, NN_ACT_RELU);
    namef(n, "%s.expand3x3", name);
    e[1] = conv_act(b, x, n, expand, 3, 1, 1, NN_ACT_RELU);
    return addf(b, NN_OP_CONCAT, NULL, e, 2, "%s.cat", name);
}

static void squeezenet(struct zb *b)
{
    /* features.3 .. features.12: squeeze and expand channels of a Fire
     * module, 0 a 3x3 stride-2 max pool (ceil mode). */
    static const uint32_t cfg[][2] = {{16, 64}, {16, 64},  {0, 0},    {32, 128}, {32, 128},
                                      {0, 0},   {48, 192}, {48, 192}, {64, 256}, {64, 256}};
    int x = conv_act(b, NN_INPUT, "features.0", 64, 3, 2, 0, NN_ACT_RELU);
    char name[NN_NAME_MAX];
    size_t i;

    x = maxpool(b, x, "features.2", 3, 2, 0, true);
    for (i = 0; i < ARRAY_LEN(cfg); i++) {
        namef(name, "features.%zu", i + 3);
        x = cfg[i][0] ? fire(b, x, name, cfg[i][0], cfg[i][1]) : maxpool(b, x, name, 3, 2, 0, true);
    }
    x = SIMPLE(b, NN_OP_DROPOUT, x, "classifier.0");
    x = conv_act(b, x, "classifier.1", 1000, 1, 1, 0, NN_ACT_RELU);
    x = SIMPLE(b, NN_OP_GAP, x, "classifier.3");
    SIMPLE(b, NN_OP_FLATTEN, x, "flatten");
}

/* ShuffleNetV2's InvertedResidual named name, inp -> oup channels: stride 2
 * runs branch1 (3x3 depthwise - BN - 1x1 - BN - ReLU) on the input and
 * branch2 (1x1 - BN - ReLU - 3x3 depthwise - BN - 1x1 - BN - ReLU) on it
 * too; stride 1 splits the channels in halves, keeps the first and runs
 * branch2 on the second. The two are concatenated and shuffled in 2 groups. */
static int shuffle_block(struct zb *b, int x, const char *name, uint32_t inp, uint32_t oup,
                         uint32_t stride)
{
    const uint32_t half = oup / 2;
    const struct nn_params bn = {0}, shuffle = {.groups = 2};
    const struct nn_params c1x1 = {.out_channels = half, .kernel_h = 1};
    int cat[2], y;

    if (stride == 1) {
        const struct nn_params lo = {.out_channels = half},
                               hi = {.out_channels = half, .offset = half};
        cat[0] = addf(b, NN_OP_SLICE, &lo, &x, 1, "%s.split0", name);
        x = addf(b, NN_OP_SLICE, &hi, &x, 1, "%s.split1", name);
    } else {
        const struct nn_params dw = {
            .out_channels = inp, .kernel_h = 3, .stride = stride, .pad = 1, .groups = inp};
        y = addf(b, NN_OP_CONV2D, &dw, &x, 1, "%s.branch1.0", name);
        y = addf(b, NN_OP_BATCHNORM, &bn, &y, 1, "%s.branch1.1", name);
        y = addf(b, NN_OP_CONV2D, &c1x1, &y, 1, "%s.branch1.2", name);
        y = addf(b, NN_OP_BATCHNORM, &bn, &y, 1, "%s.branch1.3", name);
        cat[0] = SIMPLE(b, NN_OP_RELU, y, "%s.branch1.4", name);
    }
    {
        const struct nn_params dw = {
            .out_channels = half, .kernel_h = 3, .stride = stride, .pad = 1, .groups = half};
        y = addf(b, NN_OP_CONV2D, &c1x1, &x, 1, "%s.branch2.0", name);
        y = addf(b, NN_OP_BATCHNORM, &bn, &y, 1, "%s.branch2.1", name);
        y = SIMPLE(b, NN_OP_RELU, y, "%s.branch2.2", name);
        y = addf(b, NN_OP_CONV2D, &dw, &y, 1, "%s.branch2.3", name);
        y = addf(b, NN_OP_BATCHNORM, &bn, &y, 1, "%s.branch2.4", name);
        y = addf(b, NN_OP_CONV2D, &c1x1, &y, 1, "%s.branch2.5", name);
        y = addf(b, NN_OP_BATCHNORM, &bn, &y, 1, "%s.branch2.6", name);
        cat[1] = SIMPLE(b, NN_OP_RELU, y, "%s.branch2.7", name);
    }
    y = addf(b, NN_OP_CONCAT, NULL, cat, 2, "%s.cat", name);
    return addf(b, NN_OP_SHUFFLE, &shuffle, &y, 1, "%s.shuffle", name);
}

static void shufflenetv2(struct zb *b)
{
    static const uint32_t repeats[] = {4, 8, 4}, widths[] = {116, 232, 464};
    int x = cba(b, NN_INPUT, "conv1", &seq_names, 24, 3, 2, 1, 1e-5f, NN_OP_RELU);
    uint32_t in_c = 24, r;
    char name[NN_NAME_MAX];
    size_t s;

    x = maxpool(b, x, "maxpool", 3, 2, 1, false);
    for (s = 0; s < ARRAY_LEN(repeats); s++) {
        for (r = 0; r < repeats[s]; r++) {
            namef(name, "stage%zu.%u", s + 2, r);
            x = shuffle_block(b, x, name, in_c, widths[s], r == 0 ? 2 : 1);
            in_c = widths[s];
        }
    }
    x = cba(b, x, "conv5", &seq_names, 1024, 1, 1, 1, 1e-5f, NN_OP_RELU);
    head(b, x, "globalpool", NULL, "fc");
}

/* torchvision's _make_divisible(v, 8): v rounded to the nearest multiple of
 * 8, at least 8, and up by 8 when rounding lost more than 10 %. */
static uint32_t make_divisible8(uint32_t v)
{
    uint32_t r = (v + 4) / 8 * 8;

    if (r < 8)
        r = 8;
    if (10 * r < 9 * v)
        r += 8;
    return r;
}

/* torchvision's SqueezeExcitation named name on x (c channels): global
 * average pool, 1x1 conv to squeeze channels with act1 fused, 1x1 conv back
 * with the gate act2 fused, x times the gate. */
static int squeeze_excite(struct zb *b, int x, const char *name, uint32_t c, uint32_t squeeze,
                          enum nn_act act1, enum nn_act act2)
{
    char n[NN_NAME_MAX];
    int s, in[2];

    s = SIMPLE(b, NN_OP_GAP, x, "%s.avgpool", name);
    namef(n, "%s.fc1", name);
    s = conv_act(b, s, n, squeeze, 1, 1, 0, act1);
    namef(n, "%s.fc2", name);
    s = conv_act(b, s, n, c, 1, 1, 0, act2);
    in[0] = x;
    in[1] = s;
    return addf(b, NN_OP_MUL, NULL, in, 2, "%s.mul", name);
}

/* One inverted residual block of MobileNetV3 or EfficientNet, named name:
 * an expanding 1x1 conv-BN-act (when exp != in), a k x k depthwise
 * conv-BN-act, squeeze-and-excitation (squeeze channels se, 0: none, with
 * se_act fused in its first conv and gate its gate), a 1x1 conv-BN
 * projection, and the sum with the input when the shape is kept. */
struct ir_block {
    uint32_t in, exp, out;    /* input, expanded and output channels */
    uint32_t k, stride;       /* depthwise kernel and stride */
    uint32_t se;              /* squeeze channels, 0: no squeeze-and-excitation */
    enum nn_op act;           /* activation after the expansion and the depthwise conv */
    enum nn_act se_act, gate; /* squeeze-and-excitation's activation and gate */
    float eps;                /* batch norms' epsilon */
};

static int ir_block(struct zb *b, int x, const char *name, const struct ir_block *c)
{
    char pre[NN_NAME_MAX];
    int y = x, j = 0, sum[2];

    if (c->exp != c->in) {
        namef(pre, "%s.block.%d", name, j++);
        y = cba(b, y, pre, &seq_names, c->exp, 1, 1, 1, c->eps, c->act);
    }
    namef(pre, "%s.block.%d", name, j++);
    y = cba(b, y, pre, &seq_names, c->exp, c->k, c->stride, c->exp, c->eps, c->act);
    if (c->se) {
        namef(pre, "%s.block.%d", name, j++);
        y = squeeze_excite(b, y, pre, c->exp, c->se, c->se_act, c->gate);
    }
    namef(pre, "%s.block.%d", name, j++);
    y = cba(b, y, pre, &seq_names, c->out, 1, 1, 1, c->eps, NN_OP_COUNT);
    if (c->stride != 1 || c->in != c->out)
        return y;
    sum[0] = y;
    sum[1] = x;
    return addf(b, NN_OP_ADD, NULL, sum, 2, "%s.add", name);
}

static void mobilenetv3small(struct zb *b)
{
    /* in, kernel, expanded, out, squeeze-and-excitation, hardswish (else
     * ReLU), stride: torchvision's _mobilenet_v3_conf("mobilenet_v3_small"). */
    static const uint32_t cfg[][7] = {
        {16, 3, 16, 16, 1, 0, 2},  {16, 3, 72, 24, 0, 0, 2},  {24, 3, 88, 24, 0, 0, 1},
        {24, 5, 96, 40, 1, 1, 2},  {40, 5, 240, 40, 1, 1, 1}, {40, 5, 240, 40, 1, 1, 1},
        {40, 5, 120, 48, 1, 1, 1}, {48, 5, 144, 48, 1, 1, 1}, {48, 5, 288, 96, 1, 1, 2},
        {96, 5, 576, 96, 1, 1, 1}, {96, 5, 576, 96, 1, 1, 1},
    };
    const struct nn_params fc1 = {.out_channels = 1024, .bias = true, .act = NN_ACT_HARDSWISH};
    const struct nn_params fc2 = {.out_channels = 1000, .bias = true};
    int x = cba(b, NN_INPUT, "features.0", &seq_names, 16, 3, 2, 1, 1e-3f, NN_OP_HARDSWISH);
    char name[NN_NAME_MAX];
    size_t i;

    for (i = 0; i < ARRAY_LEN(cfg); i++) {
        const uint32_t *c = cfg[i];
        const struct ir_block blk = {.in = c[0],
                                     .exp = c[2],
                                     .out = c[3],
                                     .k = c[1],
                                     .stride = c[6],
                                     .se = c[4] ? make_divisible8(c[2] / 4) : 0,
                                     .act = c[5] ? NN_OP_HARDSWISH : NN_OP_RELU,
                                     .se_act = NN_ACT_RELU,
                                     .gate = NN_ACT_HARDSIGMOID,
                                     .eps = 1e-3f};
        namef(name, "features.%zu", i + 1);
        x = ir_block(b, x, name, &blk);
    }
    x = cba(b, x, "features.12", &seq_names, 576, 1, 1, 1, 1e-3f, NN_OP_HARDSWISH);
    x = SIMPLE(b, NN_OP_GAP, x, "avgpool");
    x = SIMPLE(b, NN_OP_FLATTEN, x, "flatten");
    x = addf(b, NN_OP_FC, &fc1, &x, 1, "classifier.0");
    x = SIMPLE(b, NN_OP_DROPOUT, x, "classifier.2");
    addf(b, NN_OP_FC, &fc2, &x, 1, "classifier.3");
}

static void efficientnetb0(struct zb *b)
{
    /* expand ratio, kernel, stride, in, out, blocks: torchvision's
     * _efficientnet_conf("efficientnet_b0") (width and depth 1.0). */
    static const uint32_t cfg[][6] = {
        {1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},   {6, 5, 2, 24, 40, 2},  {6, 3, 2, 40, 80, 3},
        {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1}};
    int x = cba(b, NN_INPUT, "features.0", &seq_names, 32, 3, 2, 1, 1e-5f, NN_OP_SILU);
    char name[NN_NAME_MAX];
    size_t s;
    uint32_t r;

    for (s = 0; s < ARRAY_LEN(cfg); s++) {
        for (r = 0; r < cfg[s][5]; r++) {
            const uint32_t in = r == 0 ? cfg[s][3] : cfg[s][4];
            const struct ir_block blk = {.in = in,
                                         .exp = make_divisible8(in * cfg[s][0]),
                                         .out = cfg[s][4],
                                         .k = cfg[s][1],
                                         .stride = r == 0 ? cfg[s][2] : 1,
                                         .se = in / 4 > 1 ? in / 4 : 1,
                                         .act = NN_OP_SILU,
                                         .se_act = NN_ACT_SILU,
                                         .gate = NN_ACT_SIGMOID,
                                         .eps = 1e-5f};
            namef(name, "features.%zu.%u", s + 1, r);
            x = ir_block(b, x, name, &blk);
        }
    }
    x = cba(b, x, "features.8", &seq_names, 1280, 1, 1, 1, 1e-5f, NN_OP_SILU);
    head(b, x, "avgpool", "classifier.0", "classifier.1");
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
    [NN_ZOO_GOOGLENET] = {{1, 3, 224, 224}, googlenet},
    [NN_ZOO_SQUEEZENET] = {{1, 3, 224, 224}, squeezenet},
    [NN_ZOO_SHUFFLENETV2] = {{1, 3, 224, 224}, shufflenetv2},
    [NN_ZOO_MOBILENETV3SMALL] = {{1, 3, 224, 224}, mobilenetv3small},
    [NN_ZOO_EFFICIENTNETB0] = {{1, 3, 224, 224}, efficientnetb0},
};
static_assert(ARRAY_LEN(zoo) == NN_ZOO_COUNT, "one zoo entry per enum nn_zoo_model");

const char *const nn_zoo_names[NN_ZOO_COUNT + 1] = {
    [NN_ZOO_LENET5] = "lenet5",
    [NN_ZOO_ALEXNET] = "alexnet",
    [NN_ZOO_VGG16] = "vgg16",
    [NN_ZOO_RESNET18] = "resnet18",
    [NN_ZOO_MOBILENETV2] = "mobilenetv2",
    [NN_ZOO_GOOGLENET] = "googlenet",
    [NN_ZOO_SQUEEZENET] = "squeezenet",
    [NN_ZOO_SHUFFLENETV2] = "shufflenetv2",
    [NN_ZOO_MOBILENETV3SMALL] = "mobilenetv3small",
    [NN_ZOO_EFFICIENTNETB0] = "efficientnetb0",
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
