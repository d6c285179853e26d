#!/usr/bin/env bash
# Batch-1 inference of the zoo models on coinfer's nn (tests/bench/zoo.c, batch
# norms folded, activations fused) side by side with PyTorch running
# torchvision's same networks (tests/bench/ref/torch_zoo.py, eval mode,
# no_grad, random weights), at 1 and 2 threads, 5 timed runs each after 2
# untimed ones. The table shows each side's median and the ratio
# torch/coinfer (above 1: coinfer is faster). Goal: faster than PyTorch.
# PyTorch is a reference only: when it is not installed, coinfer's figures are
# shown alone with how to install it. Figures are wall clock: other work on
# the machine makes them noisy.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
REPS=5
MODELS=(alexnet vgg16 resnet18 mobilenetv2)
coinfer=$BUILD/bench/zoo
torch_py=tests/bench/ref/torch_zoo.py
python=/usr/bin/python3

# OpenBLAS picks its kernels for the CPU it runs on unless OPENBLAS_CORETYPE
# forces a core type. Some machines set it (this project's did: Haswell, AVX2
# only, on an AVX-512 CPU), which handicaps every OpenBLAS user, PyTorch's FC
# layers included, while oneDNN still picks AVX-512 for PyTorch's convolutions.
# Both sides therefore run with OpenBLAS's own detection unless
# ZOO_KEEP_CORETYPE=1 keeps the environment as it is.
if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ "${ZOO_KEEP_CORETYPE:-0}" != 1 ]; then
    echo "note: the environment forces OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE; both sides run"
    echo "      without it (OpenBLAS's own CPU detection). ZOO_KEEP_CORETYPE=1 keeps it."
    unset OPENBLAS_CORETYPE
    reproduce_env="env -u OPENBLAS_CORETYPE "
fi

if [ ! -x "$coinfer" ]; then
    echo "zoo: $coinfer is missing (make BUILD=$BUILD $coinfer)" >&2
    exit 1
fi
have_torch=0
if [ -x "$python" ] && "$python" -c 'import torch, torchvision' 2>/dev/null; then
    have_torch=1
fi

# medians OUTPUT: "name median_s" per model= line
medians() { sed -nE 's/^model=([a-z0-9]+) threads=[0-9]+ median_s=([0-9.]+)$/\1 \2/p' <<<"$1"; }

declare -A c_med t_med
cmds=()
status=0
for threads in 1 2; do
    args=(--threads "$threads" --reps "$REPS" "${MODELS[@]}")
    out=$("$coinfer" "${args[@]}") || status=1
    while read -r name med; do c_med[$name,$threads]=$med; done < <(medians "$out")
    cmds+=("$coinfer ${args[*]}")
    if [ "$have_torch" -eq 1 ]; then
        out=$("$python" "$torch_py" "${args[@]}") || status=1
        while read -r name med; do t_med[$name,$threads]=$med; done < <(medians "$out")
        cmds+=("$python $torch_py ${args[*]}")
    fi
done

echo "Zoo models, batch 1, 3x224x224: median of $REPS runs, seconds per inference (wall clock:"
echo "noisy when other work runs on the machine). ratio = PyTorch / coinfer (> 1: coinfer faster)."
printf '%-12s %7s  %12s  %12s  %7s  %-26s\n' model threads "coinfer s" "PyTorch s" ratio \
    "goal: faster than PyTorch"
for threads in 1 2; do
    for m in "${MODELS[@]}"; do
        c=${c_med[$m,$threads]:--}
        t=${t_med[$m,$threads]:--}
        if [ "$c" != "-" ] && [ "$t" != "-" ]; then
            ratio=$(awk -v a="$t" -v b="$c" 'BEGIN { printf "%.2fx", a / b }')
            met=$(awk -v a="$t" -v b="$c" 'BEGIN { print (b < a) ? "met" : "NOT met" }')
        else
            ratio="-"
            met=$([ "$have_torch" -eq 1 ] && echo "(no figure)" || echo "(no PyTorch)")
        fi
        printf '%-12s %7d  %12s  %12s  %7s  %-26s\n' "$m" "$threads" "$c" "$t" "$ratio" "$met"
    done
done
if [ "$have_torch" -eq 0 ]; then
    echo "The PyTorch reference is not installed (python3 -c 'import torch' fails); install it"
    echo "with: scripts/install-deps.sh --bench   (Debian: python3-torch python3-torchvision)"
fi
echo "Reproduce with:"
for c in "${cmds[@]}"; do
    echo "  ${reproduce_env:-}$c"
done
exit $status
