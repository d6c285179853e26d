#!/usr/bin/env bash
# The ONNX importer on every zoo model, against PyTorch (a check rather than a
# timing; it lives in `make bench` for its run time, a few minutes, most of it
# PyTorch exporting VGG-16). For each model, tests/ref/torchvision_zoo.py onnx
# builds torchvision's network with random weights (batch norms with random
# statistics), exports it with torch.onnx.export (opset 13, batch norms kept)
# and computes its logits on one input; coinfer import converts the file and
# coinfer infer runs it on the same input. Per model: the parameter count
# (must equal PyTorch's and tests/data/zoo/torchvision.txt's), the MACs
# (must equal the zoo's) and the largest logit difference relative to the
# largest logit (must be within 1e-4).
#
#   bash tests/bench/onnx.bench.sh [MODEL...]   (default: $ONNX_MODELS, else the whole zoo)
#
# Skipped, with the reason printed, where python3-torch or torchvision is not
# installed. Exit 1 when a model fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
COINFER=${COINFER:-$BUILD/coinfer}
python=/usr/bin/python3
zoo=tests/data/zoo/torchvision.txt

if [ ! -x "$COINFER" ]; then
    echo "onnx: $COINFER is missing (make)" >&2
    exit 1
fi
if ! [ -x "$python" ] || ! "$python" -c 'import torch, torchvision' 2>/dev/null; then
    echo "SKIP: python3-torch or python3-torchvision is not installed: the zoo's ONNX import"
    echo "is not checked (scripts/install-deps.sh --bench installs them)"
    exit 0
fi
if [ $# -gt 0 ]; then
    MODELS=("$@")
elif [ -n "${ONNX_MODELS:-}" ]; then # the models to check, space-separated
    read -r -a MODELS <<<"$ONNX_MODELS"
else
    mapfile -t MODELS < <(sed -n 's/^\([a-z0-9]*\) [0-9]* [0-9]*$/\1/p' "$zoo")
fi
TMP=$(mktemp -d /tmp/coinfer-onnx-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

status=0
printf '%-17s %12s %12s %14s %14s %10s %9s  %s\n' model params torch_params macs zoo_macs \
    logits_rel argmax result
for m in "${MODELS[@]}"; do
    want_params=$(awk -v m="$m" '$1 == m { print $2 }' "$zoo")
    want_macs=$(awk -v m="$m" '$1 == m { print $3 }' "$zoo")
    if ! nice -n 10 "$python" tests/ref/torchvision_zoo.py onnx "$TMP" "$m" >"$TMP/export.log" 2>&1; then
        echo "$m: the PyTorch export failed:"; tail -5 "$TMP/export.log"; status=1; continue
    fi
    if ! out=$("$COINFER" import "$TMP/$m.onnx" --out "$TMP/imp" 2>&1); then
        echo "$m: coinfer import failed: $out"; status=1; rm -f "$TMP/$m".*; continue
    fi
    params=$(sed -nE 's/.* ([0-9]+) parameters.*/\1/p' <<<"$out")
    macs=$(sed -nE 's/.* ([0-9]+) MACs.*/\1/p' <<<"$out")
    torch_params=$(cat "$TMP/$m.params")
    if ! "$COINFER" infer "$TMP/imp/$m.xml" --input "$TMP/$m.input" --output "$TMP/$m.out" \
        >/dev/null 2>"$TMP/infer.err"; then
        echo "$m: coinfer infer failed: $(cat "$TMP/infer.err")"; status=1; rm -f "$TMP/$m".* "$TMP/imp/$m".*; continue
    fi
    cmp_out=$(perl tests/cmp_floats.pl "$TMP/$m.out" "$TMP/$m.logits")
    cmp_rc=$?
    rel=$(sed -nE 's/.* rel=([^ ]+).*/\1/p' <<<"$cmp_out")
    argmax=$(sed -nE 's/.* argmax=([^ ]+).*/\1/p' <<<"$cmp_out")
    result=ok
    [ "$params" = "$torch_params" ] && [ "$params" = "$want_params" ] || result="FAIL (params)"
    [ "$macs" = "$want_macs" ] || result="FAIL (MACs)"
    [ "$cmp_rc" -eq 0 ] || result="FAIL (logits: $cmp_out)"
    [ "$result" = ok ] || status=1
    printf '%-17s %12s %12s %14s %14s %10s %9s  %s\n' "$m" "$params" "$torch_params" "$macs" \
        "$want_macs" "$rel" "$argmax" "$result"
    rm -f "$TMP/$m".* "$TMP/imp/$m".*
done
if [ "$status" -eq 0 ]; then
    echo "onnx: every model imported with PyTorch's parameter count, the zoo's MACs and PyTorch's"
    echo "logits within 1e-4 relative"
fi
exit $status
