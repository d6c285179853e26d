#!/usr/bin/env bash
# Train the shipped agent, models/agents/default.agent, reproducibly: samples
# from scenarios/default.xml (joint exploring: 20 % random cuts, 10 % random
# options per layer) on seeds 101..105, then `coinfer train` with seed 1 at
# one thread (deterministic: the same file on the same machine type, since
# OpenBLAS picks its kernels by CPU), with shrinkage 10 (`--shrink`; chosen
# on default.xml's validation seeds 201 and 202 among 0, 0.1, 1, 3 and 10:
# there the prediction is already the truth's optimum, and the more the
# agent is held at it the better it decides; README "What it is worth"), and
# pessimism 64 (`--pessimism`, coinfer train's default; chosen on the same
# validation seeds among 0, 0.25, 0.5, 1, 2, 4, 8, 16, 32 and 64: the agent
# leaves joint's plan only where a plan's estimated gain exceeds 64 standard
# errors of the heads it changes; README "Pessimism per plan").
# The samples database is kept in results/agent-samples.db, the training's
# output in results/train-agent.log.
#
#   scripts/train-agent.sh            (STEPS=N overrides the 1000 steps,
#                                      SHRINK=L the shrinkage 10,
#                                      PESSIMISM=K the pessimism 64)
#
# The agent decides for default.xml's problems: `make run` runs it beside the
# other policies (`coinfer run --policy all --agent models/agents/default.agent`).
# A change to default.xml's devices, edge or models changes those problems:
# run this again (the run says so, exit 2, naming the difference).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
STEPS=${STEPS:-1000}
SHRINK=${SHRINK:-10}
PESSIMISM=${PESSIMISM:-64}
make --no-print-directory "$BUILD/coinfer" >/dev/null
mkdir -p results models/agents
db=results/agent-samples.db
rm -f "$db" "$db-wal" "$db-shm"
for seed in 101 102 103 104 105; do
    echo "train-agent: samples of seed $seed" >&2
    "$BUILD/coinfer" run scenarios/default.xml --policy joint --seed "$seed" --db "$db" -q \
        --set exploration@split=0.2 --set exploration@option=0.1
done
nice -n 10 "$BUILD/coinfer" train "$db" --out models/agents/default.agent --steps "$STEPS" \
    --shrink "$SHRINK" --pessimism "$PESSIMISM" --seed 1 --threads 1 | tee results/train-agent.log
