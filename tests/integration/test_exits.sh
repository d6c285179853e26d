#!/usr/bin/env bash
# Early exits as a user meets them: a tiny joint training of the shipped
# LeNet-5 with exits (its exit lines, the same weights twice for a seed and
# others for another seed), `coinfer accuracy --exits` on it (the header,
# one row per threshold, exit rates adding up to 100 %, threshold 0 sending
# every image out at the first exit, one threshold per exit), the rows of
# exit_accuracy with --db
# agreeing with themselves and the printed table, the shipped weights'
# output stage equal to plain `coinfer accuracy`'s whole model, and the
# errors (exit 2).
set -u
. "$(dirname "$0")/lib.sh"

MODEL=models/lenet5-exits.xml
WEIGHTS=models/lenet5-exits.weights
TRAIN=(train-model "$MODEL" --data fashion-mnist --epochs 1 --train-items 640 --test-items 200
       --batch 32)

# ---- joint training ------------------------------------------------------------------
expect_exit 0 "train-model --help mentions exits" "$COINFER" train-model --help
expect_match "train-model --help: the exit lines" "$OUT" "exit=<name> after=<layer> test_accuracy=<x>"
expect_exit 0 "a tiny joint training" "$COINFER" "${TRAIN[@]}" --seed 4 --out "$TMP/a.w"
expect_match "a line for exit1" "$OUT" "^exit=exit1 after=pool1 test_accuracy=0\.[0-9]{4}$"
expect_match "a line for exit2" "$OUT" "^exit=exit2 after=flatten test_accuracy=0\.[0-9]{4}$"
expect_match "the last line is the model's" "$(tail -n 1 <<<"$OUT")" "^test_accuracy=0\.[0-9]{4} "
expect_exit 0 "the same training again" "$COINFER" "${TRAIN[@]}" --seed 4 --out "$TMP/b.w" --quiet
expect_exit 0 "one seed, the same weights bit for bit" cmp "$TMP/a.w" "$TMP/b.w"
expect_exit 0 "another seed" "$COINFER" "${TRAIN[@]}" --seed 5 --out "$TMP/c.w" --quiet
expect_exit 1 "another seed, other weights" cmp -s "$TMP/a.w" "$TMP/c.w"

# ---- accuracy --exits ----------------------------------------------------------------
expect_exit 0 "accuracy --help lists --exits" "$COINFER" accuracy --help
expect_match "accuracy --help: --confidence" "$OUT" "--confidence C"
expect_exit 0 "accuracy --exits, 300 images, --db" "$COINFER" accuracy "$MODEL" --weights "$TMP/a.w" \
    --exits --limit 300 --db "$TMP/x.db" --quiet
expect_match "the header" "$(head -n 1 <<<"$OUT")" \
    "^# lenet5-exits, weights $TMP/a.w: 300 test images, confidence max-prob"
# the rows without their % signs: threshold, per stage rate and accuracy ("-": none
# left), the cascade's accuracy and mean MACs
ROWS=$(grep -E '^[0-9.][0-9./]* ' <<<"$OUT" | tr -d '%')
expect_eq "one row per default threshold" "$(awk '{print $1}' <<<"$ROWS" | tr '\n' ' ')" \
    "0.5 0.6 0.7 0.8 0.9 0.95 0.99 0.999 "
expect_eq "exit rates add up to 100 % on every row" \
    "$(awk '{s = $2 + $4 + $6; if (s < 99.95 || s > 100.05) print}' <<<"$ROWS")" ""
FIRST=$OUT

expect_eq "--db: 8 thresholds x 3 stages, one measurement" \
    "$(sql "$TMP/x.db" "SELECT count(*), count(DISTINCT measured_at) FROM exit_accuracy")" "24|1"
expect_eq "--db: every image leaves somewhere at each threshold" \
    "$(sql "$TMP/x.db" "SELECT count(*) FROM (SELECT thresholds, sum(exited) AS s FROM exit_accuracy GROUP BY thresholds) WHERE s != 300")" 0
expect_eq "--db: the cascade's accuracy and MACs are its stages'" \
    "$(sql "$TMP/x.db" "SELECT count(*) FROM (SELECT thresholds, sum(correct) AS c, sum(exited * stage_macs) AS m, max(cascade_accuracy) AS a, max(cascade_macs) AS cm FROM exit_accuracy GROUP BY thresholds) WHERE abs(c / 300.0 - a) > 1e-12 OR abs(m / 300.0 - cm) > 1e-6")" 0
expect_eq "--db: the stages, their attach points and the model's MACs" \
    "$(sql "$TMP/x.db" "SELECT stage, ifnull(exit, 'NULL'), after_layer, ifnull(threshold, 'NULL'), stage_macs, model_macs FROM exit_accuracy WHERE thresholds = '0.5' ORDER BY stage" | tr '\n' ' ')" \
    "0|exit1|pool1|0.5|99200|281640 1|exit2|flatten|0.5|255360|281640 2|NULL|fc3|NULL|297000|281640 "
expect_eq "--db: exit rate and accuracy as printed" \
    "$(sql "$TMP/x.db" "SELECT printf('%.2f', 100.0 * exit_rate) FROM exit_accuracy WHERE thresholds = '0.9' ORDER BY stage" | tr '\n' ' ')" \
    "$(awk '$1 == "0.9" {printf "%s %s %s ", $2, $4, $6}' <<<"$ROWS")"

expect_exit 0 "accuracy --exits again, no --db" "$COINFER" accuracy "$MODEL" --weights "$TMP/a.w" \
    --exits --limit 300 --quiet
expect_eq "the same table twice" "$OUT" "$FIRST"

expect_exit 0 "threshold 0: every image leaves at exit1" "$COINFER" accuracy "$MODEL" \
    --weights "$TMP/a.w" --exits --limit 300 --thresholds 0 --quiet
ALONE=$(sed -nE 's/^# exit1 +after pool1 +every image leaving here: accuracy +([0-9.]+) %.*/\1/p' <<<"$OUT")
expect_match "threshold 0: exit1 takes 100 %" "$(grep -E '^0 ' <<<"$OUT")" \
    "^0 +100\.00 % +$ALONE % +0\.00 % +- +0\.00 % +- +$ALONE % +99200$"
expect_exit 0 "a threshold per exit: 1 at exit1, 0 at exit2" "$COINFER" accuracy "$MODEL" \
    --weights "$TMP/a.w" --exits --limit 300 --thresholds 1/0 --db "$TMP/y.db" --quiet
expect_match "1/0: no image reaches the output" "$(grep -E '^1/0 ' <<<"$OUT" | tr -d '%')" \
    "^1/0 +[0-9.]+ +[-0-9.]+ +[0-9.]+ +[0-9.]+ +0\.00 +- "
expect_eq "1/0: each exit's row holds its threshold" \
    "$(sql "$TMP/y.db" "SELECT stage, thresholds, ifnull(threshold, 'NULL') FROM exit_accuracy ORDER BY stage" | tr '\n' ' ')" \
    "0|1/0|1.0 1|1/0|0.0 2|1/0|NULL "
expect_exit 0 "entropy thresholds" "$COINFER" accuracy "$MODEL" --weights "$TMP/a.w" --exits \
    --limit 100 --confidence entropy --thresholds 1,0.3 --quiet
expect_match "entropy: the header says <=" "$OUT" "confidence entropy \(an image leaves at the first exit whose entropy is <= the threshold\)"
expect_match "entropy 1: every image leaves at exit1" "$(grep -E '^1 ' <<<"$OUT")" "^1 +100\.00 %"

# ---- the shipped weights ------------------------------------------------------------------
expect_exit 0 "the shipped weights, 500 images" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --exits --limit 500 --thresholds 0.9 --quiet
OUTPUT=$(sed -nE 's/^# output +after fc3 +every image leaving here: accuracy +([0-9.]+) %.*/\1/p' <<<"$OUT")
expect_exit 0 "plain accuracy of the same model, 500 images" "$COINFER" accuracy "$MODEL" \
    --weights "$WEIGHTS" --limit 500 --encodings fp32 --quiet
expect_match "the output stage is the whole model" "$(head -n 1 <<<"$OUT")" \
    "whole-model accuracy $OUTPUT %$"

# ---- errors -----------------------------------------------------------------------------
expect_exit 2 "--exits on a model without exits" "$COINFER" accuracy models/lenet5-fmnist.xml \
    --weights models/lenet5-fmnist.weights --exits
expect_match "--exits without exits: says so" "$ERR" "declares no early exit"
expect_exit 2 "--confidence without --exits" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --confidence entropy
expect_exit 2 "--encodings with --exits" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --exits --encodings fp32
expect_exit 2 "a bad confidence" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --exits \
    --confidence margin
expect_match "a bad confidence: named" "$ERR" "'margin' is neither max-prob nor entropy"
expect_exit 2 "a threshold beyond 1" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --exits \
    --thresholds 0.5,1.5
expect_match "a bad threshold: named" "$ERR" "--thresholds takes a number from 0 to 1, not '1.5'"
expect_exit 2 "three thresholds for two exits" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --exits --thresholds 0.9/0.8/0.7
expect_match "three for two: says so" "$ERR" "neither one threshold nor one per exit \(the model has 2\)"
sed '/<exit /,/<\/exit>/d; s/ weights="[^"]*"//' "$MODEL" >"$TMP/plain.xml"
expect_exit 0 "weights of the model without its exits" "$COINFER" train-model "$TMP/plain.xml" \
    --data fashion-mnist --epochs 1 --train-items 64 --test-items 10 --out "$TMP/plain.w" --quiet
expect_exit 2 "--exits with weights lacking the exits' tensors" "$COINFER" accuracy "$MODEL" \
    --weights "$TMP/plain.w" --exits --limit 10
expect_match "the missing tensor is named" "$ERR" "the model's tensor 'exit1\.conv\.weight' is missing"
expect_exit 2 "validate: a broken exit" "$COINFER" validate tests/data/models/exit_classes.xml
expect_match "validate: FILE:LINE" "$ERR" "exit_classes\.xml:6: exit 'e1': the branch gives 5 outputs per item, the model 3"
