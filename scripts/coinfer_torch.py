"""coinfer_torch.py - coinfer models and weights in PyTorch (a reference, never
a dependency of coinfer).

    import coinfer_torch
    net = coinfer_torch.load("models/lenet5-fmnist.xml")   # graph + its weights
    net.eval()
    logits = net(x)       # x: (N, 1, 28, 28) float32, pixel / 255

    net = coinfer_torch.load("models/lenet5-exits.xml")    # a model with early exits
    logits, exits = net(x, exits=True)   # exits: {exit name: its logits}, in file order

build(model_xml) builds the graph of a coinfer model file (models/schema.xsd)
as a torch.nn.Module whose state_dict keys are coinfer's tensor names
("<layer>.weight", "<layer>.bias", "<layer>.running_mean", ...);
read_weights(path) reads a coinfer weights file (its checksum verified) into
{name: numpy array}; load(model_xml, weights=None) does both, taking the
weights file the model names when weights is None. A model file's early
exits (<exit name after>) become submodules named after the exits, each
holding its branch's layers, so that their tensors are "<exit>.<layer>.weight"
and so on, as coinfer's weights files name them (README, "Early exits"); a
branch reads the output of the main layer `after`, and net(x, exits=True)
gives the exits' logits too. The layer semantics are
coinfer's (README, "Training"): conv2d and fc with an optional fused
activation after the bias; fc reads its input as (N, C*H*W); flatten gives
(N, C*H*W, 1, 1); pools with explicit stride (1 unless given) and padding,
average pooling counting the padding; gap; add; concat on channels; softmax
over each item's C*H*W values; batchnorm with momentum 0.1; dropout p = 0.5.

Needs python3-numpy; build/load need python3-torch.
"""

import struct
import sys
import xml.etree.ElementTree as ET

import numpy as np

MAGIC = b"COINFERW"
FNV_BASIS = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(data):
    """FNV-1a-64 of bytes (the checksum that ends a weights file)."""
    h = FNV_BASIS
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def read_weights(path):
    """{name: float32 numpy array} from a coinfer weights file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 24 or raw[:8] != MAGIC:
        raise ValueError(f"{path}: not a coinfer weights file")
    body, (check,) = raw[:-8], struct.unpack("<Q", raw[-8:])
    if fnv1a64(body) != check:
        raise ValueError(f"{path}: checksum mismatch")
    version, count = struct.unpack_from("<II", raw, 8)
    if version != 1:
        raise ValueError(f"{path}: unsupported version {version}")
    at, out = 16, {}
    for _ in range(count):
        (n,) = struct.unpack_from("<I", raw, at)
        name = raw[at + 4:at + 4 + n].decode()
        at += 4 + n
        (rank,) = struct.unpack_from("<I", raw, at)
        dims = struct.unpack_from(f"<{rank}I", raw, at + 4)
        at += 4 + 4 * rank
        size = int(np.prod(dims))
        out[name] = np.frombuffer(raw, dtype="<f4", count=size, offset=at).reshape(dims).copy()
        at += 4 * size
    if at != len(body):
        raise ValueError(f"{path}: {len(body) - at} bytes after the last tensor")
    return out


def _graph_layers(parent):
    """The <layer> children of parent as attribute dicts, unnamed ones named."""
    layers = []
    for i, el in enumerate(parent.findall("layer")):
        a = dict(el.attrib)
        a.setdefault("name", f"{a['type']}{i}")
        layers.append(a)
    return layers


def _layers(model_xml):
    root = ET.parse(model_xml).getroot()
    inp = root.find("input")
    shape = (int(inp.get("channels")), int(inp.get("height")), int(inp.get("width")))
    return root, shape, _graph_layers(root)


def _exits(root):
    """[(name, after, layers)] of the model file's <exit> elements, in file order."""
    return [(el.get("name"), el.get("after"), _graph_layers(el)) for el in root.findall("exit")]


def _graph_class():
    """The torch module of one coinfer graph (the model, or an exit's branch)."""
    import torch
    from torch import nn
    import torch.nn.functional as F

    def out_size(n, k, s, p):
        return (n + 2 * p - k) // s + 1

    class Graph(nn.Module):
        def __init__(self, in_shape, layers):
            super().__init__()
            self.plan = []  # (name, type, inputs, attrs)
            self.shapes = {"input": in_shape}
            shapes = self.shapes
            prev = "input"
            for a in layers:
                name, typ = a["name"], a["type"]
                ins = a.get("inputs", prev).split()
                c, h, w = shapes[ins[0]]
                kh = int(a.get("kernel", 1))
                kw = int(a.get("kernel-w", kh))
                s, p = int(a.get("stride", 1)), int(a.get("pad", 0))
                if typ == "conv2d":
                    k, g = int(a["out-channels"]), int(a.get("groups", 1))
                    self.add_module(name, nn.Conv2d(c, k, (kh, kw), s, p, groups=g,
                                                    bias=a.get("bias", "true") == "true"))
                    shape = (k, out_size(h, kh, s, p), out_size(w, kw, s, p))
                elif typ == "fc":
                    k = int(a["out-channels"])
                    self.add_module(name, nn.Linear(c * h * w, k,
                                                    bias=a.get("bias", "true") == "true"))
                    shape = (k, 1, 1)
                elif typ == "batchnorm":
                    self.add_module(name, nn.BatchNorm2d(c, eps=float(a.get("eps", 1e-5))))
                    shape = (c, h, w)
                elif typ in ("maxpool", "avgpool"):
                    shape = (c, out_size(h, kh, s, p), out_size(w, kw, s, p))
                elif typ == "gap":
                    shape = (c, 1, 1)
                elif typ == "concat":
                    shape = (sum(shapes[i][0] for i in ins), h, w)
                elif typ == "flatten":
                    shape = (c * h * w, 1, 1)
                else:  # relu relu6 add softmax dropout
                    shape = (c, h, w)
                shapes[name] = shape
                self.plan.append((name, typ, ins, a))
                prev = name

        def tensors(self, x):
            """{name: output} of every layer, "input" for x."""
            t = {"input": x}
            for name, typ, ins, a in self.plan:
                x = t[ins[0]]
                act = a.get("activation", "none")
                if typ == "conv2d":
                    y = getattr(self, name)(x)
                elif typ == "fc":
                    y = getattr(self, name)(x.reshape(x.shape[0], -1)).reshape(x.shape[0], -1, 1, 1)
                elif typ == "batchnorm":
                    y = getattr(self, name)(x)
                elif typ == "relu":
                    y = F.relu(x)
                elif typ == "relu6":
                    y = F.relu6(x)
                elif typ in ("maxpool", "avgpool"):
                    kh = int(a["kernel"])
                    kw = int(a.get("kernel-w", kh))
                    s, p = int(a.get("stride", 1)), int(a.get("pad", 0))
                    y = (F.max_pool2d(x, (kh, kw), s, p) if typ == "maxpool"
                         else F.avg_pool2d(x, (kh, kw), s, p, count_include_pad=True))
                elif typ == "gap":
                    y = F.adaptive_avg_pool2d(x, 1)
                elif typ == "add":
                    y = t[ins[0]]
                    for i in ins[1:]:
                        y = y + t[i]
                elif typ == "concat":
                    y = torch.cat([t[i] for i in ins], dim=1)
                elif typ == "flatten":
                    y = x.reshape(x.shape[0], -1, 1, 1)
                elif typ == "softmax":
                    y = F.softmax(x.reshape(x.shape[0], -1), dim=1).reshape(x.shape)
                elif typ == "dropout":
                    y = F.dropout(x, 0.5, self.training)
                else:
                    raise ValueError(f"layer {name}: unknown type {typ}")
                if act == "relu":
                    y = F.relu(y)
                elif act == "relu6":
                    y = F.relu6(y)
                t[name] = y
            return t

        def forward(self, x):
            return self.tensors(x)[self.plan[-1][0]]

    return Graph


def build(model_xml):
    """The model file's graph, with its exits' branches, as a torch.nn.Module
    (weights as PyTorch draws them): net(x) gives the model's output, net(x,
    exits=True) that and {exit name: the exit's output} in file order."""
    import torch  # noqa: F401 (the classes below need it)

    root, in_shape, layers = _layers(model_xml)
    Graph = _graph_class()

    class Net(Graph):
        def __init__(self):
            super().__init__(in_shape, layers)
            self.exits = []  # (name, after)
            for name, after, branch in _exits(root):
                if after not in self.shapes or after == "input":
                    raise ValueError(f"exit {name}: after='{after}' is no layer of the model")
                self.add_module(name, Graph(self.shapes[after], branch))
                self.exits.append((name, after))

        def forward(self, x, exits=False):
            t = self.tensors(x)
            out = t[self.plan[-1][0]]
            if not exits:
                return out
            return out, {name: getattr(self, name)(t[after]) for name, after in self.exits}

    return Net()


def load(model_xml, weights=None):
    """build(model_xml) with the tensors of weights (default: the file the model names)."""
    import os
    import torch

    root, _, _ = _layers(model_xml)
    if weights is None:
        if root.get("weights") is None:
            raise ValueError(f"{model_xml}: names no weights file")
        weights = os.path.join(os.path.dirname(model_xml), root.get("weights"))
    net = build(model_xml)
    tensors = read_weights(weights)
    state = net.state_dict()
    want = {k for k in state if not k.endswith("num_batches_tracked")}
    if want != set(tensors):
        raise ValueError(f"{weights}: tensors {sorted(set(tensors) ^ want)} do not match the model")
    with torch.no_grad():
        for k, v in tensors.items():
            if tuple(state[k].shape) != v.shape:
                raise ValueError(f"{weights}: {k} has shape {v.shape}, the model {tuple(state[k].shape)}")
            state[k].copy_(torch.from_numpy(v))
    return net


def read_idx(path):
    """An IDX file of unsigned bytes (plain or .gz) as a numpy array."""
    import gzip
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack_from(f">{raw[3]}I", raw, 4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * raw[3]).reshape(dims)


def main(argv):
    usage = ("usage: coinfer_torch.py WEIGHTS                 list a weights file's tensors\n"
             "       coinfer_torch.py logits MODEL.xml COUNT [DIR]\n"
             "           the outputs of MODEL (eval mode, its weights) on the first COUNT\n"
             "           Fashion-MNIST test images of DIR (default %s), one row each:\n"
             "           the model's outputs, then each early exit's (file order)")
    if len(argv) == 2 and argv[1] not in ("-h", "--help"):
        for k, v in read_weights(argv[1]).items():
            print(k, v.shape)
        return 0
    if len(argv) in (4, 5) and argv[1] == "logits":
        import os
        import torch
        d = argv[4] if len(argv) == 5 else "/usr/share/datasets/fashion-mnist"
        path = os.path.join(d, "t10k-images-idx3-ubyte")
        images = read_idx(path if os.path.exists(path) else path + ".gz")[:int(argv[3])]
        net = load(argv[2])
        net.eval()
        with torch.no_grad():
            x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
            out, exits = net(x, exits=True)
            out = torch.cat([out.reshape(x.shape[0], -1)] +
                            [e.reshape(x.shape[0], -1) for e in exits.values()], dim=1)
        for row in out.numpy():
            print(" ".join(f"{v:.9g}" for v in row))
        return 0
    print(usage % "/usr/share/datasets/fashion-mnist", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
