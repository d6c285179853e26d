#!/usr/bin/env bash
# Decision time of the learning agent (build/bench/agent): the median time of
# one policy_agent_decide on a VGG-16- and a ResNet-18-shaped problem over
# random states, beside joint's on the same states (batches alternate), with
# the model prior (at pessimism 0 and at coinfer train's default 64: two
# decodes) and without. The issue's goal: under 5 us a decision.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
bin=$BUILD/bench/agent
if [ ! -x "$bin" ]; then
    echo "agent: $bin is missing (make BUILD=$BUILD $bin)" >&2
    exit 1
fi
"$bin" --prior model   # at pessimism 0 and at coinfer train's default, a line each
"$bin" --prior none
