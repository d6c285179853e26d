#!/usr/bin/python3
"""torch_zoo.py - the reference for tests/bench/zoo.c: batch-1 inference time of
the zoo models on PyTorch. A reference only, never a dependency of coinfer
(Debian: apt-get install python3-torch python3-torchvision; run with
/usr/bin/python3).

    torch_zoo.py [--threads N] [--reps R] [--warmup W] [MODEL...]

Each MODEL (default: every zoo model) is torchvision's network as
tests/ref/torchvision_zoo.py builds it (LeNet-5 written there as coinfer
builds it), with its default random weights, in eval mode under
torch.no_grad(), run W times untimed (default 2) and R times timed (default
5) on one input of the model's shape with torch.set_num_threads(N) (default
1). Per model it prints the timed reps, then

    model=<name> threads=<n> median_s=<x>

the line format of zoo.c. Times are wall clock (time.perf_counter).
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ref"))
from torchvision_zoo import MODELS, build  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("models", nargs="*", default=list(MODELS))
    a = p.parse_args()
    if a.threads < 1 or a.reps < 1 or a.warmup < 0:
        p.error("--threads and --reps must be positive, --warmup non-negative")
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    for name in a.models:
        if name not in MODELS:
            p.error("unknown model %r (known: %s)" % (name, " ".join(MODELS)))
        model, shape = build(name)
        x = torch.rand(shape) * 2 - 1
        times = []
        with torch.no_grad():
            for _ in range(a.warmup):
                model(x)
            for i in range(a.reps):
                t0 = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - t0)
                print("  %s rep %d: %.6f s" % (name, i + 1, times[-1]))
        print("model=%s threads=%d median_s=%.6f" % (name, a.threads, statistics.median(times)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
