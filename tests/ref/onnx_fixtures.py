#!/usr/bin/python3
"""onnx_fixtures.py - the ONNX fixtures of coinfer's import test
(tests/integration/test_onnx.sh), written with PyTorch. A reference tool
only, never a dependency of coinfer (Debian: apt-get install python3-torch;
run with /usr/bin/python3). Its output is checked in under tests/data/onnx/.

    onnx_fixtures.py DIR
        Write into DIR, for each fixture NAME (lenet, resblock):
          NAME.onnx    the network, weights from seed 1, exported by
                       torch.onnx.export in eval mode with its batch norms
                       kept (TrainingMode.PRESERVE)
          NAME.input   one input from seed 2 in [-1, 1), float32 little-endian
          NAME.logits  the network's output on it, computed by PyTorch (float32)
          NAME.params  its parameter count (text)
        and unsupported.onnx, a convolution followed by a LeakyRelu, which
        coinfer import must refuse naming that node.

lenet: a LeNet-class classifier on 1x28x28 at opset 11 (Conv with bias,
Relu, Clip to [0, 6], MaxPool, AveragePool, Flatten, Gemm, Dropout, and a
MatMul without bias). resblock: a residual block with squeeze-and-excitation,
a channel split and a channel shuffle at opset 17 on 1x8x16x16 (Conv without
bias, BatchNormalization, Relu, Add, HardSwish, HardSigmoid, Sigmoid, Mul,
GlobalAveragePool, Split, Concat, the Reshape-Transpose-Reshape of a channel
shuffle, MaxPool with ceil_mode, Reshape to (N, -1), Gemm).
"""
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Parameter(torch.zeros(84, 10))  # x @ head: a MatMul

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.avg_pool2d(F.relu6(self.conv2(x)), 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.drop(F.relu(self.fc2(x)))
        return x @ self.head


class ResBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.se_reduce = nn.Conv2d(16, 4, 1)
        self.se_expand = nn.Conv2d(4, 16, 1)
        self.branch = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.fc = nn.Linear(16 * 8 * 8, 10)

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = F.hardswish(x + y)
        s = F.hardsigmoid(self.se_expand(F.relu(self.se_reduce(F.adaptive_avg_pool2d(x, 1)))))
        x = x * s
        a, b = torch.split(x, [8, 8], dim=1)
        x = torch.cat([a, torch.sigmoid(self.branch(b))], dim=1)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)  # 16 -> 8 with the last window
        return self.fc(x.reshape(x.shape[0], -1))


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        return F.leaky_relu(self.conv(x), 0.1)


def randomise(model, seed):
    """Every parameter and running statistic from seed: weights He normal,
    biases small, batch norms with random affine parameters and statistics."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = p[0].numel() if name != "head" else p.shape[0]
                p.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=g)
            else:
                p.uniform_(-0.1, 0.1, generator=g)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)


def write(out_dir, name, model, shape, opset):
    base = "%s/%s" % (out_dir, name)
    randomise(model, 1)
    model.eval()
    x = torch.rand(shape, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, base + ".onnx", opset_version=opset,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=["image"], output_names=["logits"])
    with open(base + ".input", "wb") as f:
        f.write(x.contiguous().numpy().astype("<f4").tobytes())
    with open(base + ".logits", "wb") as f:
        f.write(y.contiguous().numpy().astype("<f4").tobytes())
    with open(base + ".params", "w") as f:
        f.write("%d\n" % sum(p.numel() for p in model.parameters()))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    write(sys.argv[1], "lenet", LeNet(), (1, 1, 28, 28), 11)
    write(sys.argv[1], "resblock", ResBlock(), (1, 8, 16, 16), 17)
    model = Unsupported().eval()
    torch.onnx.export(model, torch.zeros(1, 1, 8, 8), "%s/unsupported.onnx" % sys.argv[1],
                      opset_version=13)


if __name__ == "__main__":
    main()
