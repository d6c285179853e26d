#!/usr/bin/python3
"""torchvision_zoo.py - coinfer's zoo as torchvision builds it: the reference
for the zoo's parameter and MAC counts, its logits and its speed. A reference
only, never a dependency of coinfer (Debian: apt-get install python3-torch
python3-torchvision; run with /usr/bin/python3).

    torchvision_zoo.py figures
        Print tests/data/zoo/torchvision.txt: per model, the parameters (the
        sum of every parameter tensor's numel, batch norms' running
        statistics not included) and the MACs of one 224x224 (LeNet-5: 28x28)
        inference, counted as coinfer counts them: output elements x
        (C / groups) kh kw for every Conv2d, in x out features for every
        Linear, nothing else.

    torchvision_zoo.py export DIR MODEL...
        For the logits check (tests/validation/test_zoo_torch.c): build each
        MODEL with weights drawn from seed 1 (He normal for convs and
        linears, small biases, batch norms with random affine parameters and
        running statistics, so that folding them is exercised), eval mode, and
        write DIR/MODEL.tensors, its state_dict in order (num_batches_tracked
        left out), each tensor as u32 name length, the name, u32 rank, the
        dimensions (u32 each) and the float32 data, little-endian;
        DIR/MODEL.input, one input from seed 2 in [-1, 1) (float32); and
        DIR/MODEL.logits, the model's output on it (float32).

    torchvision_zoo.py onnx DIR MODEL...
        For the import check (tests/bench/onnx.bench.sh): each MODEL built and
        randomised as for export, written as DIR/MODEL.onnx by
        torch.onnx.export (opset 13, batch norms kept as they are:
        TrainingMode.PRESERVE on the model in eval mode), with DIR/MODEL.input
        and DIR/MODEL.logits as for export and DIR/MODEL.params, its
        parameter count as text.

MODEL is a zoo name: lenet5 alexnet vgg16 resnet18 mobilenetv2 googlenet
squeezenet shufflenetv2 mobilenetv3small efficientnetb0. torchvision has no
LeNet-5; it is written here as coinfer's zoo.c builds it.
"""
import struct
import sys

import torch
import torchvision
from torch import nn


class LeNet5(nn.Module):
    """LeNet-5 as coinfer's zoo.c builds it: ReLU, max pooling, 1x28x28 input
    padded by 2, a softmax at the end."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10), nn.Softmax(dim=1))

    def forward(self, x):
        return self.classifier(self.features(x))


# name -> (constructor, input shape). GoogLeNet without its auxiliary heads
# and input transform (as torchvision loads its ImageNet weights: no aux
# heads at inference; the transform is an affine map of the input coinfer
# leaves to the caller).
MODELS = {
    "lenet5": (LeNet5, (1, 1, 28, 28)),
    "alexnet": (lambda: torchvision.models.alexnet(weights=None), (1, 3, 224, 224)),
    "vgg16": (lambda: torchvision.models.vgg16(weights=None), (1, 3, 224, 224)),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (1, 3, 224, 224)),
    "mobilenetv2": (lambda: torchvision.models.mobilenet_v2(weights=None), (1, 3, 224, 224)),
    "googlenet": (lambda: torchvision.models.googlenet(weights=None, aux_logits=False,
                                                        transform_input=False, init_weights=False),
                  (1, 3, 224, 224)),
    "squeezenet": (lambda: torchvision.models.squeezenet1_1(weights=None), (1, 3, 224, 224)),
    "shufflenetv2": (lambda: torchvision.models.shufflenet_v2_x1_0(weights=None),
                     (1, 3, 224, 224)),
    "mobilenetv3small": (lambda: torchvision.models.mobilenet_v3_small(weights=None),
                         (1, 3, 224, 224)),
    "efficientnetb0": (lambda: torchvision.models.efficientnet_b0(weights=None),
                       (1, 3, 224, 224)),
}


def build(name):
    """MODELS[name] in eval mode, and its input shape."""
    ctor, shape = MODELS[name]
    return ctor().eval(), shape


def count(model, shape):
    """(parameters, MACs) of one inference of model on an input of shape."""
    macs = [0]

    def conv_hook(m, inp, out):
        macs[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inp, out):
        macs[0] += out.numel() * m.in_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        model(torch.zeros(shape))
    for h in hooks:
        h.remove()
    return sum(p.numel() for p in model.parameters()), macs[0]


def figures():
    print("# coinfer's zoo as torchvision %s (torch %s) builds it: written by" %
          (torchvision.__version__, torch.__version__))
    print("# tests/ref/torchvision_zoo.py figures. Per model: parameters (exact), MACs of one")
    print("# inference (conv2d and linear multiply-accumulates).")
    print("# model params macs")
    for name in MODELS:
        params, macs = count(*build(name))
        print("%s %d %d" % (name, params, macs))


def randomise(model):
    """Weights from seed 1: He normal for convs and linears, small random
    biases, batch norms with random gamma, beta, mean and variance."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(0.0, (2.0 / m.weight[0].numel()) ** 0.5, generator=g)
                if m.bias is not None:
                    m.bias.uniform_(-0.1, 0.1, generator=g)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)


def export(name, out_dir):
    """One model's tensors, input and logits into out_dir/name.*."""
    model, shape = build(name)
    randomise(model)
    base = "%s/%s" % (out_dir, name)
    with open(base + ".tensors", "wb") as f:
        for key, t in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            a = t.detach().contiguous().numpy().astype("<f4", copy=False)
            f.write(struct.pack("<I", len(key)) + key.encode() + struct.pack("<I", a.ndim))
            f.write(struct.pack("<%dI" % a.ndim, *a.shape))
            a.tofile(f)
    x = torch.rand(shape, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        y = model(x)
    with open(base + ".input", "wb") as f:
        f.write(x.contiguous().numpy().astype("<f4").tobytes())
    with open(base + ".logits", "wb") as f:
        f.write(y.contiguous().numpy().astype("<f4").tobytes())


def export_onnx(name, out_dir):
    """One model as ONNX with its input, logits and parameter count."""
    model, shape = build(name)
    randomise(model)
    base = "%s/%s" % (out_dir, name)
    x = torch.rand(shape, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, base + ".onnx", opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    with open(base + ".input", "wb") as f:
        f.write(x.contiguous().numpy().astype("<f4").tobytes())
    with open(base + ".logits", "wb") as f:
        f.write(y.contiguous().numpy().astype("<f4").tobytes())
    with open(base + ".params", "w") as f:
        f.write("%d\n" % sum(p.numel() for p in model.parameters()))


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "figures":
        figures()
    elif len(sys.argv) >= 4 and sys.argv[1] == "export" and all(m in MODELS for m in sys.argv[3:]):
        torch.set_num_threads(1)
        for name in sys.argv[3:]:
            export(name, sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "onnx" and all(m in MODELS for m in sys.argv[3:]):
        torch.set_num_threads(1)
        for name in sys.argv[3:]:
            export_onnx(name, sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
