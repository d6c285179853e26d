#!/usr/bin/env bash
# coinfer train-model as a user meets it: help, short runs on the first items
# of Fashion-MNIST (a model file and a zoo name), the per-epoch lines and the
# last line, weights a model file then loads, one thread repeating a run byte
# for byte, the shipped models' files, SIGINT, and the usage and input errors.
set -u
. "$(dirname "$0")/lib.sh"

LAST_RE='^test_accuracy=[0-9.]+ test_loss=[0-9.]+ train_loss=[0-9.]+ epochs=[0-9]+ epoch_s=[0-9.]+ params=[0-9]+$'
SHORT=(--data fashion-mnist --train-items 512 --test-items 200 --batch 32)

# ---- help ---------------------------------------------------------------------
expect_exit 0 "train-model --help exits 0" "$COINFER" train-model --help
expect_match "train-model --help shows its usage" "$OUT" "^usage: coinfer train-model MODEL --data"
expect_match "train-model --help documents --augment" "$OUT" "^  --augment "
expect_exit 0 "coinfer --help lists train-model" "$COINFER" --help
expect_match "coinfer --help has a train-model line" "$OUT" "^  train-model "

# ---- short runs -----------------------------------------------------------------
expect_exit 0 "train a model file for two epochs" "$COINFER" train-model models/lenet5-fmnist.xml \
    "${SHORT[@]}" --epochs 2 --out "$TMP/a.weights"
expect_eq "one line per epoch, then the last line" "$(wc -l <<<"$OUT" | tr -d ' ')" 3
expect_match "an epoch line has loss, accuracies and time" "$(head -n 1 <<<"$OUT")" \
    '^epoch 1/2 loss=[0-9.]+ train_accuracy=[0-9.]+ test_loss=[0-9.]+ test_accuracy=[0-9.]+ epoch_s=[0-9.]+$'
expect_match "the last line is for scripts" "$(tail -n 1 <<<"$OUT")" "$LAST_RE"
expect_match "the last line counts the model's parameters" "$(tail -n 1 <<<"$OUT")" "params=431080$"
ACC=$(tail -n 1 <<<"$OUT" | sed -E 's/^test_accuracy=([0-9.]+) .*/\1/')
expect_eq "it learns: test accuracy above 0.5 after 2 epochs on 512 items" \
    "$(awk -v a="$ACC" 'BEGIN { print (a > 0.5) ? "yes" : "no" }')" yes
expect_exit 0 "the same run again" "$COINFER" train-model models/lenet5-fmnist.xml \
    "${SHORT[@]}" --epochs 2 --out "$TMP/b.weights" --quiet
expect_eq "--quiet prints the last line only" "$(wc -l <<<"$OUT" | tr -d ' ')" 1
if cmp -s "$TMP/a.weights" "$TMP/b.weights"; then
    pass "one thread repeats a run byte for byte"
else
    fail "one thread repeats a run byte for byte" "$TMP/a.weights and $TMP/b.weights differ"
fi
expect_exit 0 "another seed" "$COINFER" train-model models/lenet5-fmnist.xml "${SHORT[@]}" \
    --epochs 2 --out "$TMP/c.weights" --seed 2 --quiet
if cmp -s "$TMP/a.weights" "$TMP/c.weights"; then
    fail "another seed gives other weights" "the files are equal"
else
    pass "another seed gives other weights"
fi
sed 's/weights="lenet5-fmnist.weights"/weights="a.weights"/' models/lenet5-fmnist.xml >"$TMP/a.xml"
expect_exit 0 "a model file names the trained weights and validates" "$COINFER" validate "$TMP/a.xml"
expect_exit 0 "the profile of the trained model runs" "$COINFER" profile "$TMP/a.xml" --reps 1 --quiet
expect_exit 0 "a zoo model by name, adam, two threads, no augmentation" "$COINFER" train-model \
    lenet5 "${SHORT[@]}" --epochs 1 --optim adam --threads 2 --schedule constant \
    --out "$TMP/z.weights" --quiet
expect_match "the zoo LeNet-5's last line" "$OUT" "params=61706$"
expect_exit 0 "a residual network with batch norm" "$COINFER" train-model models/resnet-fmnist.xml \
    --data fashion-mnist --train-items 128 --test-items 64 --batch 16 --epochs 1 --augment \
    --out "$TMP/r.weights" --quiet
expect_match "the residual network's last line" "$OUT" "$LAST_RE"

# ---- the shipped models ------------------------------------------------------------
for m in lenet5-fmnist resnet-fmnist; do
    expect_exit 0 "models/$m.xml and its weights validate" "$COINFER" validate "models/$m.xml"
done

# ---- SIGINT ------------------------------------------------------------------------
# An asynchronous command of a script starts with SIGINT ignored: a SIGINT
# sent before train-model installs its handler (after loading the data, as
# training starts) would be lost and the 50 epochs would run. So wait for
# the handler (SIGINT, signal 2, in the SigCgt mask of /proc/PID/status).
catches_sigint() {
    local m
    m=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    [ -n "$m" ] && (( (16#$m >> 1) & 1 ))
}
"$COINFER" train-model models/resnet-fmnist.xml --data fashion-mnist --epochs 50 \
    --out "$TMP/int.weights" --quiet >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_until --pid "$pid" "train-model to catch SIGINT" catches_sigint "$pid"
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT stops training with exit 1" "$?" 1
expect_match "and says where it stopped" "$(cat "$TMP/err")" "interrupted in epoch 1, batch [0-9]+"
if [ -e "$TMP/int.weights" ]; then
    fail "an interrupted run writes no weights" "$TMP/int.weights exists"
else
    pass "an interrupted run writes no weights"
fi

# ---- errors ------------------------------------------------------------------------
expect_exit 2 "no model" "$COINFER" train-model --data fashion-mnist --out "$TMP/x"
expect_match "the message says MODEL is missing" "$ERR" "MODEL is missing"
expect_exit 2 "no --data" "$COINFER" train-model lenet5 --out "$TMP/x"
expect_match "the message asks for --data" "$ERR" "--data is required"
expect_exit 2 "no --out" "$COINFER" train-model lenet5 --data fashion-mnist
expect_match "the message asks for --out" "$ERR" "--out WEIGHTS is required"
expect_exit 2 "--epochs 0" "$COINFER" train-model lenet5 --data fashion-mnist --out "$TMP/x" --epochs 0
expect_match "the message names --epochs" "$ERR" "--epochs takes a whole number from 1 to 100000, not '0'"
expect_exit 2 "--optim sgdx" "$COINFER" train-model lenet5 --data fashion-mnist --out "$TMP/x" --optim sgdx
expect_exit 2 "--lr abc" "$COINFER" train-model lenet5 --data fashion-mnist --out "$TMP/x" --lr abc
expect_exit 2 "--momentum 1" "$COINFER" train-model lenet5 --data fashion-mnist --out "$TMP/x" --momentum 1
expect_exit 2 "--threads 0" "$COINFER" train-model lenet5 --data fashion-mnist --out "$TMP/x" --threads 0
expect_exit 2 "an unknown option" "$COINFER" train-model lenet5 --data fashion-mnist --out "$TMP/x" --fast
expect_exit 2 "an unknown model" "$COINFER" train-model lenet7 --data fashion-mnist --out "$TMP/x"
expect_match "the message lists the zoo" "$ERR" "unknown model 'lenet7' \\(zoo: lenet5, "
expect_exit 2 "a model that does not take Fashion-MNIST" "$COINFER" train-model models/mobilenetv2.xml \
    --data fashion-mnist --out "$TMP/x"
expect_match "the message gives both shapes" "$ERR" "takes \\(3, 224, 224\\) inputs"
expect_exit 2 "a directory without the data" "$COINFER" train-model lenet5 --data "$TMP" --out "$TMP/x"
expect_match "the message points to the Debian package" "$ERR" "dataset-fashion-mnist"
printf 'not idx' >"$TMP/train-images-idx3-ubyte"
printf 'not idx' >"$TMP/train-labels-idx1-ubyte"
printf 'not idx' >"$TMP/t10k-images-idx3-ubyte"
printf 'not idx' >"$TMP/t10k-labels-idx1-ubyte"
expect_exit 2 "a foreign file" "$COINFER" train-model lenet5 --data "$TMP" --out "$TMP/x"
expect_match "the message names the file" "$ERR" "train-images-idx3-ubyte: not an IDX file"
expect_exit 2 "a bad model file" "$COINFER" train-model tests/data/models/does-not-exist.xml \
    --data fashion-mnist --out "$TMP/x"
expect_exit 1 "an output that cannot be written" "$COINFER" train-model lenet5 "${SHORT[@]}" \
    --epochs 1 --out /nonexistent-dir/w --quiet
if [ -e "$TMP/x" ]; then fail "no failed run wrote weights" "$TMP/x exists"; else pass "no failed run wrote weights"; fi
