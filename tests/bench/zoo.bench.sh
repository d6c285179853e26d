#!/usr/bin/env bash
# Batch-1 inference of every zoo model on coinfer's nn (tests/bench/zoo.c, batch
# norms folded, activations fused) side by side with PyTorch running
# torchvision's same networks (tests/bench/ref/torch_zoo.py, eval mode,
# no_grad, random weights), at 1 and 2 threads. ROUNDS rounds alternate the two
# sides (coinfer, then PyTorch, each a process timing every model: 2 untimed
# runs, then REPS timed ones); a figure is the median over the rounds of each
# round's median. ratio = PyTorch / coinfer (above 1: coinfer is faster). Goal:
# every model no slower than PyTorch at 1 and 2 threads.
#
# OpenBLAS picks its kernels and blocking for the CPU it runs on unless
# OPENBLAS_CORETYPE forces a core type or OPENBLAS_L2_SIZE a cache size. Some
# machines set them (this project's does: Haswell, AVX2 only, on an AVX-512
# CPU), which handicaps every OpenBLAS user, PyTorch's FC layers included,
# while oneDNN still picks AVX-512 for PyTorch's convolutions. The table's
# main figures therefore run both sides with the two variables unset (in this
# command alone); when the environment sets either, the same measurement with
# the environment as it is follows beside them ("default env").
#
# PyTorch is a reference only: when it is not installed, coinfer's figures are
# shown alone with how to install it. Figures are wall clock: other work on the
# machine makes them noisy (the rounds' spread is printed). Run time: about
# 5 minutes (10 with the default-environment figures).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
REPS=${ZOO_REPS:-5}
ROUNDS=${ZOO_ROUNDS:-3}
coinfer=$BUILD/bench/zoo
torch_py=tests/bench/ref/torch_zoo.py
python=/usr/bin/python3

if [ ! -x "$coinfer" ]; then
    echo "zoo: $coinfer is missing (make BUILD=$BUILD $coinfer)" >&2
    exit 1
fi
# ZOO_MODELS: the models to time (default: every model of `bench/zoo --list`)
if [ -n "${ZOO_MODELS:-}" ]; then
    read -r -a MODELS <<<"$ZOO_MODELS"
else
    mapfile -t MODELS < <("$coinfer" --list)
fi
have_torch=0
if [ -x "$python" ] && "$python" -c 'import torch, torchvision' 2>/dev/null; then
    have_torch=1
fi

# The environments measured: "clean" (both variables unset), and "default"
# (as given) when the environment sets either.
envs=(clean)
env_desc="OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)}"
if [ -n "${OPENBLAS_CORETYPE:-}" ] || [ -n "${OPENBLAS_L2_SIZE:-}" ]; then
    envs+=(default)
fi
# run_in ENV COMMAND...: COMMAND niced (the machine is shared; both sides alike)
run_in() {
    local e=$1
    shift
    if [ "$e" = clean ]; then
        nice -n 10 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"
    else
        nice -n 10 "$@"
    fi
}

# medians OUTPUT: "name median_s" per model= line
medians() { sed -nE 's/^model=([a-z0-9_]+) threads=[0-9]+ median_s=([0-9.]+)$/\1 \2/p' <<<"$1"; }

# median of the numbers on stdin, and their spread max/min - 1 in percent
stats() { sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.6f %.0f\n", m, (v[1] > 0 ? 100 * (v[NR] / v[1] - 1) : 0) }'; }

# The machine's load average (1, 5, 15 min), or "-" where /proc has none.
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo -; }

declare -A c_runs t_runs
cmds=()
status=0
load_start=$(loadavg)
for e in "${envs[@]}"; do
    for threads in 1 2; do
        args=(--threads "$threads" --reps "$REPS" "${MODELS[@]}")
        for ((r = 1; r <= ROUNDS; r++)); do
            out=$(run_in "$e" "$coinfer" "${args[@]}") || status=1
            while read -r name med; do c_runs[$e,$name,$threads]+="$med "; done < <(medians "$out")
            if [ "$have_torch" -eq 1 ]; then
                out=$(run_in "$e" "$python" "$torch_py" "${args[@]}" 2>/dev/null) || status=1
                while read -r name med; do t_runs[$e,$name,$threads]+="$med "; done < <(medians "$out")
            fi
        done
        prefix=$([ "$e" = clean ] && echo "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE " || echo "")
        cmds+=("$prefix$coinfer ${args[*]}")
        [ "$have_torch" -eq 1 ] && cmds+=("$prefix$python $torch_py ${args[*]}")
    done
done

# figure ENV MODEL THREADS -> "coinfer_s coinfer_spread torch_s torch_spread ratio"
figure() {
    local c t ratio
    c=$(tr ' ' '\n' <<<"${c_runs[$1,$2,$3]:-}" | grep . | stats)
    t=$(tr ' ' '\n' <<<"${t_runs[$1,$2,$3]:-}" | grep . | stats)
    ratio=$(awk -v a="${t%% *}" -v b="${c%% *}" 'BEGIN {
        if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f", a / b }')
    echo "$c $t $ratio"
}

echo "Zoo models, batch 1: median over $ROUNDS alternating rounds of the median of $REPS runs,"
echo "seconds per inference (wall clock; spread: slowest round over fastest). Load average"
echo "(1, 5, 15 min) at the start: $load_start; at the end: $(loadavg); on $(nproc) cores."
echo "ratio = PyTorch / coinfer (>= 1: coinfer no slower). Main figures: OPENBLAS_CORETYPE and"
echo "OPENBLAS_L2_SIZE unset for both sides; the environment has $env_desc."
if [ "${#envs[@]}" -gt 1 ]; then
    printf '%-16s %3s  %10s %5s %10s %5s %6s  |  %-26s  %s\n' model thr "coinfer s" "+-%" \
        "PyTorch s" "+-%" ratio "default env: coinfer PyTorch ratio" "goal: ratio >= 1"
else
    printf '%-16s %3s  %10s %5s %10s %5s %6s  %s\n' model thr "coinfer s" "+-%" "PyTorch s" \
        "+-%" ratio "goal: ratio >= 1"
fi
for threads in 1 2; do
    for m in "${MODELS[@]}"; do
        read -r c cs t ts ratio <<<"$(figure clean "$m" "$threads")"
        if [ "$ratio" = "-" ]; then
            met=$([ "$have_torch" -eq 1 ] && echo "(no figure)" || echo "(no PyTorch)")
        else
            met=$(awk -v r="$ratio" 'BEGIN { print (r >= 1) ? "met" : "NOT met" }')
        fi
        if [ "${#envs[@]}" -gt 1 ]; then
            read -r dc _ dt _ dratio <<<"$(figure default "$m" "$threads")"
            printf '%-16s %3d  %10s %5s %10s %5s %6s  |  %10s %10s %6s  %s\n' "$m" "$threads" \
                "$c" "$cs" "$t" "$ts" "$ratio" "$dc" "$dt" "$dratio" "$met"
        else
            printf '%-16s %3d  %10s %5s %10s %5s %6s  %s\n' "$m" "$threads" "$c" "$cs" "$t" \
                "$ts" "$ratio" "$met"
        fi
    done
done
if [ "$have_torch" -eq 0 ]; then
    echo "The PyTorch reference is not installed (python3 -c 'import torch' fails); install it"
    echo "with: scripts/install-deps.sh --bench   (Debian: python3-torch python3-torchvision)"
fi
echo "Reproduce with ($ROUNDS rounds each, alternating; ZOO_ROUNDS and ZOO_REPS change them):"
for c in "${cmds[@]}"; do
    echo "  $c"
done
exit $status
