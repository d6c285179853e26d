#!/usr/bin/env bash
# coinfer accuracy as a user meets it: help, the table of every cut point and
# encoding on the shipped LeNet-5 (the first 200 test images keep it quick),
# fp32 and top-k of every value equal to the whole model at every split, the
# byte counts of the encodings, the summary lines, the same table twice, the
# rows of the accuracy table with --db (and coinfer export of them), --cuts
# all's cuts across the residual network's branches (and none more on a
# chain; with --db stored with their text in column cut, schema 15, and
# exported back), a model file with early exits (one section per exit: the
# plans that cut before it and end there, fp32 its accuracy as --exits
# measures it; with --db its rows named in column exit), and the usage
# errors (exit 2).
set -u
. "$(dirname "$0")/lib.sh"

MODEL=models/lenet5-fmnist.xml
WEIGHTS=models/lenet5-fmnist.weights

# ---- help -------------------------------------------------------------------------
expect_exit 0 "accuracy --help exits 0" "$COINFER" accuracy --help
expect_match "accuracy --help shows its usage" "$OUT" "^usage: coinfer accuracy MODEL --weights W"
expect_match "accuracy --help lists the encodings" "$OUT" "topk:F"
expect_exit 0 "coinfer --help lists accuracy" "$COINFER" --help
expect_match "coinfer --help has an accuracy line" "$OUT" "^  accuracy "

# ---- the table ---------------------------------------------------------------------
expect_exit 0 "accuracy on lenet5-fmnist, 200 images, --db" "$COINFER" accuracy "$MODEL" \
    --weights "$WEIGHTS" --limit 200 --encodings fp32,int8,topk:1 --db "$TMP/a.db" --quiet
expect_match "the header names the model, the images and the whole model's accuracy" \
    "$(head -n 1 <<<"$OUT")" "^# lenet5-fmnist, weights $WEIGHTS: 200 test images, whole-model accuracy [0-9.]+ %$"
ROWS=$(grep -E '^ +[0-9]+  ' <<<"$OUT")
# the cut points: the input, conv1, pool1, conv2, pool2+flatten, fc1+drop (fc2 stays at the edge)
expect_eq "one row per cut point and encoding" "$(wc -l <<<"$ROWS" | tr -d ' ')" 18
expect_eq "the cut points" "$(awk '{print $1 ":" $2}' <<<"$ROWS" | uniq | tr '\n' ' ')" \
    "0:input 1:conv1 2:pool1 3:conv2 5:flatten 7:drop "
expect_eq "fp32 is the whole model at every split" \
    "$(awk '$3 == "fp32" && $7 != "+0.00"' <<<"$ROWS")" ""
expect_eq "top-k of every value is lossless at every split" \
    "$(awk '$3 == "topk:1" && $7 != "+0.00"' <<<"$ROWS")" ""
expect_eq "bytes of the input: fp32 4 x 784, int8 5 + 784, topk:1 4 + 784 x (2 + 4)" \
    "$(awk '$1 == 0 {print $4}' <<<"$ROWS" | tr '\n' ' ')" "3136 789 4708 "
expect_eq "bytes after pool2+flatten: 800 values" \
    "$(awk '$1 == 5 {print $4}' <<<"$ROWS" | tr '\n' ' ')" "3200 805 4804 "
expect_match "a summary line per encoding, fp32's drop zero" "$OUT" \
    "^encoding=fp32 max_drop_points=0.00 split=0 layer=input$"
expect_eq "three summary lines" "$(grep -c '^encoding=' <<<"$OUT")" 3
expect_match "int8's summary line" "$OUT" "^encoding=int8 max_drop_points=-?[0-9]+\.[0-9]{2} split=[0-9]+ layer=[a-z0-9_]+$"
FIRST=$OUT

# ---- the rows in the database --------------------------------------------------------
expect_eq "--db: 18 rows, one measurement" \
    "$(sql "$TMP/a.db" "SELECT count(*), count(DISTINCT measured_at) FROM accuracy")" "18|1"
expect_eq "--db: fp32 rows hold the whole model's accuracy" \
    "$(sql "$TMP/a.db" "SELECT count(*) FROM accuracy WHERE encoding = 'fp32' AND accuracy = fp32_accuracy AND correct = round(accuracy * items)")" 6
expect_eq "--db: the model, weights, items and the input row's bytes" \
    "$(sql "$TMP/a.db" "SELECT model, weights, items, crossing_bytes FROM accuracy WHERE split = 0 AND encoding = 'int8'")" \
    "lenet5-fmnist|$WEIGHTS|200|789"
expect_eq "--db: the printed accuracy of each row" \
    "$(sql "$TMP/a.db" "SELECT printf('%d %s %.2f', split, encoding, 100.0 * accuracy) FROM accuracy ORDER BY rowid" | tr '\n' ' ')" \
    "$(awk '{printf "%s %s %s ", $1, $3, $5}' <<<"$ROWS")"

expect_exit 0 "export --table accuracy" "$COINFER" export "$TMP/a.db" --table accuracy --csv
expect_eq "export: the header and 18 rows" "$(head -n 1 <<<"$OUT"),$(tail -n +2 <<<"$OUT" | wc -l | tr -d ' ')" \
    "model,weights,split,layer,encoding,crossing_bytes,items,correct,accuracy,fp32_accuracy,measured_at,cut,exit,18"

# ---- the same table again ----------------------------------------------------------------
expect_exit 0 "accuracy again, no --db" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --limit 200 --encodings fp32,int8,topk:1 --quiet
expect_eq "the same table twice" "$OUT" "$FIRST"

# ---- --cuts all: the residual network's cuts across branches -----------------------------
RMODEL=models/resnet-fmnist.xml
expect_exit 0 "accuracy --cuts all on resnet-fmnist, 100 images, --db" "$COINFER" accuracy \
    "$RMODEL" --weights models/resnet-fmnist.weights --cuts all --limit 100 --encodings fp32,int8 \
    --db "$TMP/r.db" --quiet
DAG=$(grep -E '^[0-9]+-' <<<"$OUT")
# blocks 2 and 3 (1x1 shortcut convolutions): the shortcut alone, or it with the first conv
expect_eq "four cuts across branches, after the 17 prefixes, two encodings each" \
    "$(grep -cE '^ +[0-9]+  ' <<<"$OUT") $(awk '{print $1 ":" $2}' <<<"$DAG" | uniq | tr '\n' ' ')" \
    "34 0-9,15-16:b1_relu+b2_down_bn 0-12,15-16:b2_relu1+b2_down_bn 0-18,24-25:b2_relu+b3_down_bn 0-21,24-25:b3_relu1+b3_down_bn "
expect_eq "fp32 is the whole model at every cut across branches" \
    "$(awk '$3 == "fp32" && $7 != "+0.00"' <<<"$DAG")" ""
# b1_relu 16x28x28 and b2_down_bn 48x14x14: fp32 4 B a value, int8 5 + 1 B a value each
expect_eq "the bytes of both crossing tensors" \
    "$(awk '$1 == "0-9,15-16" {print $4}' <<<"$DAG" | tr '\n' ' ')" "87808 21962 "
expect_eq "--db: every row, the cuts across branches with their text in cut" \
    "$(sql "$TMP/r.db" "SELECT count(*), count(cut), count(exit) FROM accuracy")" "42|8|0"
expect_eq "--db: each cut's text, layer count, layers and bytes as printed" \
    "$(sql "$TMP/r.db" "SELECT printf('%s %d %s %d %.2f', cut, split, layer, crossing_bytes, 100.0 * accuracy) FROM accuracy WHERE cut IS NOT NULL ORDER BY rowid" | tr '\n' ' ')" \
    "$(awk '{n = 0; k = split($1, r, ","); for (i = 1; i <= k; i++) { m = split(r[i], ab, "-");
              n += m == 2 ? ab[2] - ab[1] + 1 : 1 }; printf "%s %d %s %s %s ", $1, n, $2, $4, $5}' \
        <<<"$DAG")"
expect_exit 0 "export --table accuracy reads the cuts back" "$COINFER" export "$TMP/r.db" \
    --table accuracy --csv
expect_eq "export: the header with cut and exit" "$(head -n 1 <<<"$OUT")" \
    "model,weights,split,layer,encoding,crossing_bytes,items,correct,accuracy,fp32_accuracy,measured_at,cut,exit"
expect_eq "export: the cuts' rows, their text in cut" \
    "$(grep -c ',"0-9,15-16",$' <<<"$OUT") $(tail -n +2 <<<"$OUT" | wc -l | tr -d ' ')" "2 42"
expect_exit 0 "accuracy --cuts all on a chain" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --limit 200 --encodings fp32,int8,topk:1 --cuts all --quiet
expect_eq "a chain has no cut but its prefixes: the same table" "$OUT" "$FIRST"

# ---- a model file with early exits: a section per exit ----------------------------------
expect_exit 0 "accuracy on lenet5-exits, 200 images, --db" "$COINFER" accuracy \
    models/lenet5-exits.xml --weights models/lenet5-exits.weights --limit 200 \
    --encodings fp32,int4 --db "$TMP/x.db" --quiet
XOUT=$OUT
expect_eq "--db: the table's rows and each exit's, named in exit" \
    "$(sql "$TMP/x.db" "SELECT coalesce(exit, 'output'), count(*) FROM accuracy GROUP BY exit ORDER BY exit" | tr '\n' ' ')" \
    "output|14 exit1|8 exit2|10 "
expect_eq "--db: exit1's row inside its head as printed" \
    "$(sql "$TMP/x.db" "SELECT printf('%d %s %s %d %.2f', split, layer, encoding, crossing_bytes, 100.0 * accuracy) FROM accuracy WHERE exit = 'exit1' AND split = 4 AND encoding = 'int4'")" \
    "$(sed -n '/cuts before exit exit1/,/cuts before exit exit2/p' <<<"$XOUT" | awk '$1 == 4 && $3 == "int4" {print $1, $2, $3, $4, $5}')"
expect_eq "one section per exit, after the table" \
    "$(grep -c '^# lenet5-exits, weights models/lenet5-exits.weights: 200 test images, cuts before exit' <<<"$XOUT")" 2
X1=$(sed -n '/cuts before exit exit1 after pool1/,/cuts before exit exit2/p' <<<"$XOUT" | grep -E '^ +[0-9]+  ')
expect_eq "exit1's cut points: the input, conv1, pool1 and inside its head" \
    "$(awk '{print $1 ":" $2}' <<<"$X1" | uniq | tr '\n' ' ')" "0:input 1:conv1 2:pool1 4:exit1.flatten "
expect_eq "fp32 is the exit's accuracy at every cut before it" \
    "$(awk '$3 == "fp32" && $7 != "+0.00"' <<<"$X1")" ""
expect_eq "bytes inside exit1's head: 8 x 5 x 5 values, int4 5 + 100" \
    "$(awk '$1 == 4 {print $4}' <<<"$X1" | tr '\n' ' ')" "800 105 "
X1ACC=$(grep 'cuts before exit exit1' <<<"$XOUT" | sed -E 's/.*accuracy ([0-9.]+) %\)$/\1/')
expect_exit 0 "--exits on the same images" "$COINFER" accuracy models/lenet5-exits.xml \
    --weights models/lenet5-exits.weights --limit 200 --exits --quiet
expect_match "the section's exit accuracy is --exits' for exit1" "$OUT" \
    "^# exit1 +after pool1 +every image leaving here: accuracy +$X1ACC %"
expect_eq "the table before the sections: 7 cut points, two encodings" \
    "$(sed '/cuts before exit/,$d' <<<"$XOUT" | grep -c -E '^ +[0-9]+  ')" 14

# ---- usage errors ------------------------------------------------------------------------
expect_exit 2 "no MODEL" "$COINFER" accuracy
expect_match "no MODEL: says so" "$ERR" "MODEL is missing"
expect_exit 2 "no --weights" "$COINFER" accuracy "$MODEL"
expect_match "no --weights: says so" "$ERR" "--weights W is required"
expect_exit 2 "a bad encoding" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --encodings fp32,int9
expect_match "a bad encoding: named" "$ERR" "'int9' is not an encoding"
expect_exit 2 "topk beyond 1" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --encodings topk:1.5
expect_exit 2 "--limit 0" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --limit 0
expect_exit 2 "--cuts some" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --cuts some
expect_match "--cuts some: named" "$ERR" "--cuts 'some' is neither prefixes nor all"
expect_exit 2 "--cuts with --exits" "$COINFER" accuracy models/lenet5-exits.xml \
    --weights models/lenet5-exits.weights --exits --cuts all
expect_exit 2 "--threads 999" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --threads 999
expect_exit 2 "an unknown option" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" --bogus
expect_exit 2 "an unknown model" "$COINFER" accuracy nosuchmodel --weights "$WEIGHTS"
expect_exit 2 "--db in a missing directory" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --db "$TMP/missing/a.db"
expect_exit 2 "weights of another model" "$COINFER" accuracy "$MODEL" \
    --weights models/resnet-fmnist.weights --limit 10
expect_match "weights of another model: the file named" "$ERR" "models/resnet-fmnist.weights"
expect_exit 2 "a missing data directory" "$COINFER" accuracy "$MODEL" --weights "$WEIGHTS" \
    --data "$TMP/nodata" --limit 10
