#!/usr/bin/env bash
# Training speed: an epoch of coinfer train-model side by side with PyTorch
# 1.13 (tests/bench/ref/torch_train.py) on the same network (the shipped
# models' files: models/lenet5-fmnist.xml, models/resnet-fmnist.xml), the same
# data (Fashion-MNIST, pixel / 255), batch 64, SGD with momentum 0.9, weight
# decay 5e-4, cosine learning rate, no augmentation, at 1 and 2 threads.
# Each side trains on the first $ITEMS training items (one epoch of them;
# the time of a whole epoch of 60,000 is that times 60000 / $ITEMS, the cost
# of a step being the same), $REPS runs alternating the two sides; the table
# shows each side's median epoch time and the ratio PyTorch / coinfer (above
# 1: coinfer is faster). Goal: an epoch no slower than PyTorch's.
# PyTorch is a reference only: without it coinfer's figures are shown alone.
# Both sides run without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (OpenBLAS's
# own CPU detection); one more pair of runs at 1 thread in the environment
# as it is follows the table.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
REPS=${TRAIN_BENCH_REPS:-3}
ITEMS=${TRAIN_BENCH_ITEMS:-12800}
read -r -a MODELS <<<"${TRAIN_BENCH_MODELS:-lenet5-fmnist resnet-fmnist}" # the models trained
coinfer=$BUILD/coinfer
torch_py=tests/bench/ref/torch_train.py
python=/usr/bin/python3
COMMON=(--epochs 1 --batch 64 --optim sgd --lr 0.05 --momentum 0.9 --weight-decay 5e-4
        --train-items "$ITEMS")

TMP=$(mktemp -d /tmp/coinfer-train-bench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$coinfer" ]; then
    echo "train: $coinfer is missing (make BUILD=$BUILD)" >&2
    exit 1
fi
have_torch=0
if [ -x "$python" ] && "$python" -c 'import torch' 2>/dev/null; then
    have_torch=1
fi

# One run of each side: its epoch time, s.
run_coinfer() { # env-prefix model threads
    local out
    out=$($1 "$coinfer" train-model "models/$2.xml" --data fashion-mnist "${COMMON[@]}" \
        --test-items 100 --threads "$3" --out "$TMP/w" --quiet) || return 1
    sed -nE 's/.* epoch_s=([0-9.]+) .*/\1/p' <<<"$out"
}
run_torch() { # env-prefix model threads
    local out
    out=$($1 "$python" "$torch_py" "models/$2.xml" "${COMMON[@]}" --threads "$3") || return 1
    sed -nE 's/^model=.* epoch_s=([0-9.]+) .*/\1/p' <<<"$out"
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
    else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

CLEAN="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
declare -A c_med t_med
status=0
for threads in 1 2; do
    for m in "${MODELS[@]}"; do
        cs="" ts=""
        for ((r = 0; r < REPS; r++)); do
            v=$(run_coinfer "$CLEAN" "$m" "$threads") || status=1
            cs="$cs $v"
            if [ "$have_torch" -eq 1 ]; then
                v=$(run_torch "$CLEAN" "$m" "$threads") || status=1
                ts="$ts $v"
            fi
        done
        c_med[$m,$threads]=$(median <<<"$cs")
        t_med[$m,$threads]=$(median <<<"$ts")
    done
done

echo "Training, one epoch of the first $ITEMS Fashion-MNIST items, batch 64, SGD: median of $REPS"
echo "alternating runs, seconds (whole epoch of 60,000 = x $(awk -v n="$ITEMS" 'BEGIN { printf "%.3g", 60000 / n }'));"
echo "ratio = PyTorch / coinfer (> 1: coinfer faster). Wall clock: noisy when other work runs."
printf '%-14s %7s  %10s  %10s  %7s  %-22s\n' model threads "coinfer s" "PyTorch s" ratio \
    "goal: no slower"
for threads in 1 2; do
    for m in "${MODELS[@]}"; do
        c=${c_med[$m,$threads]:--}
        t=${t_med[$m,$threads]:--}
        if [ "$c" != "-" ] && [ "$t" != "-" ]; then
            ratio=$(awk -v a="$t" -v b="$c" 'BEGIN { printf "%.2fx", a / b }')
            met=$(awk -v a="$t" -v b="$c" 'BEGIN { print (b <= a) ? "met" : "NOT met" }')
        else
            ratio="-"
            met=$([ "$have_torch" -eq 1 ] && echo "(no figure)" || echo "(no PyTorch)")
        fi
        printf '%-14s %7d  %10s  %10s  %7s  %-22s\n' "$m" "$threads" "$c" "$t" "$ratio" "$met"
    done
done
echo "In the environment as it is (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}), 1 thread, one run each:"
for m in "${MODELS[@]}"; do
    c=$(run_coinfer "" "$m" 1) || status=1
    t="-"
    [ "$have_torch" -eq 1 ] && { t=$(run_torch "" "$m" 1) || status=1; }
    printf '%-14s %7d  %10s  %10s\n' "$m" 1 "$c" "$t"
done
if [ "$have_torch" -eq 0 ]; then
    echo "The PyTorch reference is not installed (python3 -c 'import torch' fails); install it"
    echo "with: scripts/install-deps.sh --bench   (Debian: python3-torch)"
fi
echo "Reproduce with (THREADS = 1 or 2):"
echo "  $CLEAN $coinfer train-model models/MODEL.xml --data fashion-mnist ${COMMON[*]} --test-items 100 --threads THREADS --out W"
[ "$have_torch" -eq 1 ] && echo "  $CLEAN $python $torch_py models/MODEL.xml ${COMMON[*]} --threads THREADS"
exit $status
