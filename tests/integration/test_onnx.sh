#!/usr/bin/env bash
# coinfer infer and coinfer import end to end.
#
# infer: models/lenet5-fmnist.xml (trained, 91.9 % test accuracy) on the
# first Fashion-MNIST test images, one raw float32 file each: its argmax is
# the label for nearly all, the same with --weights naming its weights file,
# and (where python3-torch is installed) its logits are PyTorch's on the same
# weights (scripts/coinfer_torch.py) within 1e-4 relative. Bad input: wrong
# input size, missing file, missing options, a weights file of another model.
#
# import: the fixtures of tests/data/onnx (written by tests/ref/onnx_fixtures.py
# with PyTorch, checked in): each converts, validates, has PyTorch's parameter
# count, and `coinfer infer` on the stored input gives the stored PyTorch
# logits within 1e-4 relative. An unsupported operator is an error naming the
# node and its type, exit 2, with nothing written; so is a file that is not
# ONNX.
set -u
. "$(dirname "$0")/lib.sh"

CMP="perl tests/cmp_floats.pl"
DATA=tests/data/onnx
FMNIST=${COINFER_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
N_IMAGES=20

# ---- coinfer infer ----------------------------------------------------------

expect_exit 0 "infer --help" "$COINFER" infer --help
expect_match "infer --help shows its usage" "$OUT" "^usage: coinfer infer MODEL"

# image I of the test set as pixel / 255, float32 little-endian, and labels.
zcat "$FMNIST/t10k-images-idx3-ubyte.gz" | head -c $((16 + 784 * N_IMAGES)) |
    perl -e 'binmode STDIN; local $/; my $b = <STDIN>; my $n = (length($b) - 16) / 784;
             for my $i (0 .. $n - 1) {
                 open(my $f, ">:raw", sprintf("%s/img%02d.f32", $ARGV[0], $i)) or die;
                 print $f pack("f<*", map { $_ / 255 } unpack("C*", substr($b, 16 + 784 * $i, 784)));
             }' "$TMP"
labels=$(zcat "$FMNIST/t10k-labels-idx1-ubyte.gz" | head -c $((8 + N_IMAGES)) | tail -c "$N_IMAGES" |
    od -An -tu1 -v | tr -s ' \n' ' ')
read -r -a label <<<"$labels"
expect_eq "the first $N_IMAGES Fashion-MNIST test images are extracted" \
    "$(ls "$TMP"/img*.f32 | wc -l) ${#label[@]}" "$N_IMAGES $N_IMAGES"

right=0
same_bits=1
for i in $(seq 0 $((N_IMAGES - 1))); do
    img=$(printf '%s/img%02d.f32' "$TMP" "$i")
    out=$(printf '%s/out%02d.f32' "$TMP" "$i")
    got=$("$COINFER" infer models/lenet5-fmnist.xml --input "$img" --output "$out")
    [ "$got" = "argmax: ${label[$i]}" ] && right=$((right + 1))
    "$COINFER" infer models/lenet5-fmnist.xml --weights models/lenet5-fmnist.weights \
        --input "$img" --output "$TMP/w.f32" >/dev/null || same_bits=0
    cmp -s "$out" "$TMP/w.f32" || same_bits=0
done
# 91.9 % accurate over the 10,000 test images; a broken pass gets ~10 %.
if [ "$right" -ge $((N_IMAGES - 3)) ]; then
    pass "infer: lenet5-fmnist's argmax is the label for $right of $N_IMAGES test images"
else
    fail "infer: lenet5-fmnist's argmax is the label for only $right of $N_IMAGES test images"
fi
expect_eq "infer: --weights naming the model's own weights gives the same bits" "$same_bits" 1
expect_eq "infer: the output holds the 10 logits as float32" "$(stat -c %s "$TMP/out00.f32")" 40

if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
    /usr/bin/python3 scripts/coinfer_torch.py logits models/lenet5-fmnist.xml "$N_IMAGES" "$FMNIST" \
        >"$TMP/torch.txt" 2>"$TMP/torch.err"
    worst=ok
    for i in $(seq 0 $((N_IMAGES - 1))); do
        sed -n "$((i + 1))p" "$TMP/torch.txt" |
            perl -ne 'binmode STDOUT; print pack("f<*", split)' >"$TMP/torch.f32"
        r=$($CMP "$(printf '%s/out%02d.f32' "$TMP" "$i")" "$TMP/torch.f32") || worst="image $i: $r"
    done
    expect_eq "infer: lenet5-fmnist's logits are PyTorch's within 1e-4 relative" "$worst" ok
else
    echo "SKIP: python3-torch is not installed: infer is not compared with PyTorch" \
        "(scripts/install-deps.sh --bench installs it)"
fi

head -c 100 "$TMP/img00.f32" >"$TMP/short.f32"
expect_exit 2 "infer: an input of the wrong size is refused" \
    "$COINFER" infer models/lenet5-fmnist.xml --input "$TMP/short.f32" --output "$TMP/o.f32"
expect_match "infer: ... saying both sizes" "$ERR" "short.f32: holds 100 bytes; the model's input, 1x1x28x28 float32, takes 3136"
expect_exit 2 "infer: a missing input file is refused" \
    "$COINFER" infer models/lenet5-fmnist.xml --input "$TMP/none.f32" --output "$TMP/o.f32"
expect_match "infer: ... naming it" "$ERR" "none.f32: cannot open"
expect_exit 2 "infer: --output is required" "$COINFER" infer models/lenet5-fmnist.xml --input "$TMP/img00.f32"
expect_exit 2 "infer: an unknown model is refused" "$COINFER" infer nosuchmodel \
    --input "$TMP/img00.f32" --output "$TMP/o.f32"
expect_exit 2 "infer: a weights file of another model is refused" \
    "$COINFER" infer models/lenet5-fmnist.xml --weights models/resnet-fmnist.weights \
    --input "$TMP/img00.f32" --output "$TMP/o.f32"
expect_match "infer: ... naming the weights file" "$ERR" "resnet-fmnist.weights"

# ---- coinfer import ---------------------------------------------------------

expect_exit 0 "import --help" "$COINFER" import --help
expect_match "import --help shows its usage" "$OUT" "^usage: coinfer import MODEL.onnx --out DIR"

for m in lenet resblock; do
    expect_exit 0 "import: $m.onnx converts" "$COINFER" import "$DATA/$m.onnx" --out "$TMP/imp"
    expect_match "import: $m.onnx has PyTorch's parameter count" "$OUT" \
        " $(cat "$DATA/$m.params") parameters"
    expect_exit 0 "import: $m.xml validates" "$COINFER" validate "$TMP/imp/$m.xml"
    expect_exit 0 "import: $m runs" "$COINFER" infer "$TMP/imp/$m.xml" --input "$DATA/$m.input" \
        --output "$TMP/imp/$m.out"
    r=$($CMP "$TMP/imp/$m.out" "$DATA/$m.logits")
    if [ $? -eq 0 ]; then
        pass "import: $m's logits are PyTorch's within 1e-4 relative ($r)"
    else
        fail "import: $m's logits are PyTorch's within 1e-4 relative" "$r"
    fi
done

expect_exit 2 "import: an unsupported operator is refused" \
    "$COINFER" import "$DATA/unsupported.onnx" --out "$TMP/bad"
expect_match "import: ... naming the node and its operator" "$ERR" \
    "unsupported.onnx: node '/LeakyRelu' \(LeakyRelu\): unsupported operator"
expect_eq "import: ... writing nothing" "$(ls "$TMP/bad" 2>/dev/null | wc -l)" 0
expect_exit 2 "import: a file that is not ONNX is refused" \
    "$COINFER" import models/lenet5-fmnist.xml --out "$TMP/bad"
expect_match "import: ... saying so" "$ERR" "lenet5-fmnist.xml: not an ONNX model"
head -c 30000 "$DATA/lenet.onnx" >"$TMP/cut.onnx"
expect_exit 2 "import: a truncated file is refused" "$COINFER" import "$TMP/cut.onnx" --out "$TMP/bad"
expect_exit 2 "import: --out is required" "$COINFER" import "$DATA/lenet.onnx"
expect_exit 2 "import: a missing file is refused" "$COINFER" import "$TMP/none.onnx" --out "$TMP/bad"
# Regular files only (issue 15's rule for every loader): a FIFO is refused at once, not
# waited on; a device is not read until memory runs out.
mkfifo "$TMP/fifo.onnx"
for bad in "$TMP/fifo.onnx" /dev/zero; do
    expect_exit 2 "import: $bad is refused without blocking" \
        timeout -k 5 "$WAIT_TIMEOUT_S" "$COINFER" import "$bad" --out "$TMP/bad"
    expect_match "import: $bad: not a regular file" "$ERR" \
        "a model file \\(ONNX\\) must be a regular file"
done
