#!/usr/bin/env bash
# Decision times of the policies (build/bench/policy): the median time of one
# decision per policy on a ResNet-18- and a MobileNetV2-shaped problem, over
# random states. No goal: the figure says what a policy costs the simulation.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/bench/policy
if [ ! -x "$bin" ]; then
    echo "policy: $bin is missing (make BUILD=$BUILD $bin)" >&2
    exit 1
fi
"$bin"
