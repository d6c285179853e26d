"""torch_train.py - the PyTorch reference of coinfer's training benchmark
(tests/bench/train.bench.sh): the same network (built from the coinfer model
file by scripts/coinfer_torch.py), the same data (Fashion-MNIST's IDX files,
pixel / 255), batch size, optimiser (SGD with momentum or Adam, weight
decay, cosine schedule per step) and thread count; times each epoch's
training (forward, cross-entropy, backward, step; no evaluation) and prints

    model=<name> threads=<n> epoch=<k> epoch_s=<x> loss=<x>

then the test accuracy. A reference only: never a dependency of coinfer.
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import coinfer_torch  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def idx(dirname, base):
    for p in (os.path.join(dirname, base), os.path.join(dirname, base + ".gz")):
        if os.path.exists(p):
            return coinfer_torch.read_idx(p)
    sys.exit(f"torch_train: no {base}[.gz] in {dirname}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--optim", default="sgd")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--train-items", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    name = os.path.basename(a.model).removesuffix(".xml")
    x = torch.from_numpy(idx(a.data, "train-images-idx3-ubyte").astype(np.float32) / 255.0)
    y = torch.from_numpy(idx(a.data, "train-labels-idx1-ubyte").astype(np.int64))
    if a.train_items:
        x, y = x[:a.train_items], y[:a.train_items]
    x = x.unsqueeze(1).contiguous()
    tx = torch.from_numpy(idx(a.data, "t10k-images-idx3-ubyte").astype(np.float32) / 255.0)
    ty = torch.from_numpy(idx(a.data, "t10k-labels-idx1-ubyte").astype(np.int64))
    net = coinfer_torch.build(a.model)
    lr = a.lr if a.lr is not None else (0.05 if a.optim == "sgd" else 1e-3)
    if a.optim == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=a.momentum,
                              weight_decay=a.weight_decay)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=a.weight_decay)
    softmax_out = net.plan[-1][1] == "softmax"
    steps = x.shape[0] // a.batch
    total = steps * a.epochs
    for epoch in range(1, a.epochs + 1):
        net.train()
        perm = torch.randperm(x.shape[0])
        t0 = time.perf_counter()
        loss_sum = 0.0
        for s in range(steps):
            for g in opt.param_groups:
                g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * ((epoch - 1) * steps + s) / total))
            i = perm[s * a.batch:(s + 1) * a.batch]
            out = net(x[i]).reshape(a.batch, -1)
            loss = (F.nll_loss(torch.log(out.clamp_min(1e-30)), y[i]) if softmax_out
                    else F.cross_entropy(out, y[i]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
        dt = time.perf_counter() - t0
        print(f"model={name} threads={a.threads} epoch={epoch} epoch_s={dt:.3f} "
              f"loss={loss_sum / steps:.4f}", flush=True)
    net.eval()
    with torch.no_grad():
        hits = 0
        for s in range(0, tx.shape[0], 1000):
            out = net(tx[s:s + 1000].unsqueeze(1)).reshape(-1, 10)
            hits += int((out.argmax(1) == ty[s:s + 1000]).sum())
    print(f"test_accuracy={hits / tx.shape[0]:.4f}")


if __name__ == "__main__":
    main()
