#!/usr/bin/env bash
# Run every benchmark driver tests/bench/*.bench.sh in name order. Each prints
# its own figures (medians of several runs, and ratios to a reference measured
# in the same invocation where the reference is installed). With REF set
# (make bench REF=<rev>), runs scripts/bench-ref.sh <rev> instead.
# With QUICK=1 (make bench QUICK=1) every driver runs with fewer repetitions
# and shorter runs (the knobs below, each still overridable from the
# environment), and the printout says so; the goal is under 90 s a driver.
# The printout ends with a table of each driver's wall time and exit status.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
# make bench REF=<rev>: only the side-by-side comparison with revision <rev>.
if [ -n "${REF:-}" ]; then
    exec scripts/bench-ref.sh "$REF"
fi
QUICK_LIMIT_S=90
if [ "${QUICK:-}" = 1 ]; then
    export RUNS=${RUNS:-1} REPS=${REPS:-1} E=${E:-1000000}
    export ZOO_REPS=${ZOO_REPS:-2} ZOO_ROUNDS=${ZOO_ROUNDS:-1}
    export CPMM_RUNS=${CPMM_RUNS:-1} CPMM_REPS=${CPMM_REPS:-3}
    export TRAIN_BENCH_REPS=${TRAIN_BENCH_REPS:-1} TRAIN_BENCH_ITEMS=${TRAIN_BENCH_ITEMS:-1280}
    # the drivers with a PyTorch side also on fewer models: a small, a depthwise and
    # a residual network (PyTorch's start-up, exports and data loading are most of
    # their time)
    export ZOO_MODELS=${ZOO_MODELS:-lenet5 mobilenetv2 resnet18}
    export ONNX_MODELS=${ONNX_MODELS:-lenet5 mobilenetv2 resnet18}
    export TRAIN_BENCH_MODELS=${TRAIN_BENCH_MODELS:-lenet5-fmnist}
    echo "QUICK: fewer repetitions, shorter runs and fewer models, figures noisier than the full bench's:"
    echo "  RUNS=$RUNS REPS=$REPS E=$E ZOO_REPS=$ZOO_REPS ZOO_ROUNDS=$ZOO_ROUNDS" \
         "CPMM_RUNS=$CPMM_RUNS CPMM_REPS=$CPMM_REPS"
    echo "  TRAIN_BENCH_REPS=$TRAIN_BENCH_REPS TRAIN_BENCH_ITEMS=$TRAIN_BENCH_ITEMS" \
         "TRAIN_BENCH_MODELS='$TRAIN_BENCH_MODELS'"
    echo "  ZOO_MODELS='$ZOO_MODELS' ONNX_MODELS='$ONNX_MODELS' (goal: each driver under $QUICK_LIMIT_S s)"
    echo
fi
status=0
names=(); secs=(); codes=()
for b in tests/bench/*.bench.sh; do
    [ -f "$b" ] || continue
    echo "== ${b#tests/bench/}"
    t0=$(date +%s.%N)
    bash "$b"
    rc=$?
    [ "$rc" = 0 ] || status=1
    names+=("${b#tests/bench/}")
    secs+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')")
    codes+=("$rc")
    echo
done
echo "== summary$([ "${QUICK:-}" = 1 ] && echo " (QUICK: fewer repetitions)")"
printf '%-22s  %8s  %s\n' driver "wall s" "exit (0: ran, goals met where it checks them)"
for i in "${!names[@]}"; do
    note=""
    if [ "${QUICK:-}" = 1 ]; then
        note=$(awk -v s="${secs[$i]}" -v l="$QUICK_LIMIT_S" \
            'BEGIN { print (s < l) ? "under " l " s" : "OVER " l " s" }')
    fi
    printf '%-22s  %8s  %s  %s\n' "${names[$i]}" "${secs[$i]}" "${codes[$i]}" "$note"
done
exit $status
