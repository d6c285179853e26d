#!/usr/bin/env bash
# The figures of `coinfer plot` about plans and training (issue 13): the
# split-point histogram (per policy, and per value of a sweep factor), the
# per-layer resource map and the learning curves of `coinfer train`. Each is
# checked as an image of the format asked, and the data behind it (--data)
# against the database: counts from SQL, and the modal options of a database
# whose plans were rewritten to known ones. Skips the drawing, saying why,
# where gnuplot is absent.
set -u
. "$(dirname "$0")/lib.sh"

here=$(pwd)
cat >"$TMP/s.xml" <<XML
<sweep name="small" scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 2"/>
  <factor name="dur" path="simulation@duration" values="3 s"/>
  <policies>local edge joint</policies>
  <replications count="2" first-seed="3"/>
</sweep>
XML
DB=$TMP/s.db
expect_exit 0 "a small sweep runs" "$COINFER" sweep "$TMP/s.xml" --db "$DB" --jobs 2 --quiet

# ---- usage -----------------------------------------------------------------------------------
expect_exit 0 "plot --help" "$COINFER" plot --help
expect_match "lists the new figures" "$OUT" "split +the share.*"
expect_match "and the options" "$OUT" "--data FILE"
expect_exit 2 "--model with a figure that has no models" "$COINFER" plot "$DB" --figure energy \
    --model lenet5 --out "$TMP/p.png"
expect_match "says which figures take it" "$ERR" "--model goes with --figure split or layers only"
expect_exit 2 "--x with the layer map" "$COINFER" plot "$DB" --figure layers --x gpus \
    --out "$TMP/p.png"
expect_match "says which figures take it" "$ERR" "--x goes with --figure sweep or split only"
expect_exit 2 "an unknown model" "$COINFER" plot "$DB" --figure split --model vgg99 --out "$TMP/p.png"
expect_match "lists the models" "$ERR" "--model vgg99: .*\(models: lenet5, resnet18|\(models: resnet18, lenet5"
expect_exit 2 "an unknown policy" "$COINFER" plot "$DB" --figure layers --policy joint,nope \
    --out "$TMP/p.png"
expect_match "names it and lists the policies" "$ERR" "no complete run of policy 'nope' .*\(policies: [a-z, ]+\)"
expect_eq "all three" "$(grep -o '(policies: .*)' <<<"$ERR" | tr -d '(),' | tr ' ' '\n' | sort | tr '\n' ' ')" \
    "edge joint local policies: "
expect_exit 2 "--x naming no factor" "$COINFER" plot "$DB" --figure split --x rate --out "$TMP/p.png"
expect_match "says so" "$ERR" "--x rate: no complete sweep point"
expect_exit 2 "the training figure of a database without training" "$COINFER" plot "$DB" \
    --figure training --out "$TMP/p.png"
expect_match "says what records it" "$ERR" "no training to plot .*coinfer train"
expect_eq "no figure is left behind" "$(ls "$TMP"/p.* 2>/dev/null)" ""

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "SKIP: the figures: gnuplot is not installed (Debian: gnuplot-nox; scripts/install-deps.sh installs it)"
    exit 0
fi
png_size() { # FILE -> "WIDTH HEIGHT" from the IHDR chunk
    od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4,
        $5*16777216 + $6*65536 + $7*256 + $8 }'
}
series() { grep -o 'id="gnuplot_plot_[0-9]*[a-z]*"' "$1" | sort -u | wc -l; }

# ---- --data of the other figures ---------------------------------------------------------------
expect_exit 0 "plot --figure sweep --data" "$COINFER" plot "$DB" --figure sweep --out "$TMP/sw.png" \
    --data "$TMP/sw.tsv"
expect_eq "its data: a line per policy and value of gpus, the mean over the seeds" \
    "$(tail -n +2 "$TMP/sw.tsv" | awk -F'\t' '{ printf "%s|%s|%.9g\n", $1, $2, $3 }' | sort)" \
    "$(sql "$DB" "SELECT p.policy || '|' || v.value || '|' || avg(m) FROM (SELECT run_id,
        avg(latency_s) AS m FROM inferences WHERE t_done_s IS NOT NULL GROUP BY run_id)
        JOIN sweep_points p USING (run_id) JOIN sweep_values v USING (point_key)
        WHERE v.factor = 'gpus' GROUP BY p.policy, v.value" |
        awk -F'|' '{ printf "%s|%s|%.9g\n", $1, $2, $3 }' | sort)"
expect_exit 0 "plot --figure energy --data" "$COINFER" plot "$DB" --figure energy --out "$TMP/en.png" \
    --data "$TMP/en.tsv"
expect_eq "its data: each policy's runs and finished inferences" \
    "$(tail -n +2 "$TMP/en.tsv" | cut -f1-3 | tr '\t' '|' | sort)" \
    "$(sql "$DB" "SELECT r.policy, count(DISTINCT run_id), count(*) FROM inferences i
        JOIN runs r USING (run_id) WHERE i.t_done_s IS NOT NULL GROUP BY r.policy" | sort)"
expect_exit 2 "--data into a directory that does not exist" "$COINFER" plot "$DB" --figure energy \
    --out "$TMP/en4.png" --data "$TMP/nodir/en.tsv"
expect_match "is a usage error naming it" "$ERR" "--data .*nodir/en.tsv: cannot write"
expect_eq "and no figure is written" "$(ls "$TMP"/en4.* 2>/dev/null)" ""

# ---- split -----------------------------------------------------------------------------------
expect_exit 0 "plot --figure split as PNG with --data" "$COINFER" plot "$DB" --figure split \
    --out "$TMP/split.png" --data "$TMP/split.tsv"
expect_eq "split.png starts with the PNG signature" \
    "$(head -c 8 "$TMP/split.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
expect_eq "split.png is 1000 x 650 pixels" "$(png_size "$TMP/split.png")" "1000 650"
expect_eq "the data has its header" "$(head -1 "$TMP/split.tsv")" \
    "$(printf 'model\tseries\tsplit\tlayers\tinferences\tshare')"
got=$(awk -F'\t' 'NR > 1 && $5 > 0 { print $1 "|" $2 "|" $3 "|" $5 }' "$TMP/split.tsv" | sort)
want=$(sql "$DB" "SELECT i.model || '|' || r.policy || '|' || i.split || '|' || count(*)
    FROM inferences i JOIN runs r USING (run_id) WHERE r.status = 'complete'
    AND i.t_done_s IS NOT NULL GROUP BY i.model, r.policy, i.split" | sort)
expect_eq "each (model, policy, split) counts the finished inferences SQL counts" "$got" "$want"
expect_eq "each series' shares add up to 1 per model" \
    "$(awk -F'\t' 'NR > 1 { s[$1 "|" $2] += $6 } END { for (k in s) { d = s[k] - 1;
        if (d < 0) d = -d; if (d > 1e-12) print k } }' "$TMP/split.tsv")" ""
expect_eq "local runs every layer on the UE: its split is the layer count" \
    "$(awk -F'\t' 'NR > 1 && $2 == "local" && $5 > 0 && $3 != $4' "$TMP/split.tsv")" ""
expect_eq "edge runs none: split 0" \
    "$(awk -F'\t' 'NR > 1 && $2 == "edge" && $5 > 0 && $3 != 0' "$TMP/split.tsv")" ""
expect_exit 0 "plot --figure split --x gpus --policy joint as SVG" "$COINFER" plot "$DB" \
    --figure split --x gpus --policy joint --out "$TMP/split.svg" --data "$TMP/splitx.tsv"
expect_exit 0 "it parses as XML" xmllint --noout "$TMP/split.svg"
expect_match "a series per factor value, named in the legend" "$(tr -d '\n' <"$TMP/split.svg")" \
    ">joint, gpus=1</text>.*>joint, gpus=2</text>"
expect_exit 0 "plot --figure split as SVG" "$COINFER" plot "$DB" --figure split --out "$TMP/split2.svg"
expect_match "the policies in the policy table's order, whatever order their runs finished in" \
    "$(tr -d '\n' <"$TMP/split2.svg")" ">local</text>.*>edge</text>.*>joint</text>"
expect_match "the title names the scenario and the seed count" "$(cat "$TMP/split.svg")" \
    "collab-small; 4 runs, 2 seeds, [0-9]+ finished inferences"
got=$(awk -F'\t' 'NR > 1 && $5 > 0 { print $1 "|" $2 "|" $3 "|" $5 }' "$TMP/splitx.tsv" | sort)
want=$(sql "$DB" "SELECT i.model || '|' || p.policy || ', gpus=' || v.value || '|' || i.split
    || '|' || count(*) FROM sweep_points p JOIN sweep_values v USING (point_key)
    JOIN inferences i USING (run_id) WHERE v.factor = 'gpus' AND p.policy = 'joint'
    AND i.t_done_s IS NOT NULL GROUP BY i.model, v.value, i.split" | sort)
expect_eq "each (model, gpus value, split) counts what SQL counts" "$got" "$want"
expect_exit 0 "plot --figure split --model lenet5 as PDF" "$COINFER" plot "$DB" --figure split \
    --model lenet5 --out "$TMP/split.pdf" --data "$TMP/split1.tsv"
expect_eq "a PDF file" "$(head -c 5 "$TMP/split.pdf")" "%PDF-"
expect_eq "of that model only" "$(awk -F'\t' 'NR > 1 { print $1 }' "$TMP/split1.tsv" | sort -u)" \
    "lenet5"

# ---- layers ----------------------------------------------------------------------------------
expect_exit 0 "plot --figure layers as PNG" "$COINFER" plot "$DB" --figure layers \
    --out "$TMP/layers.png" --data "$TMP/layers.tsv"
expect_eq "layers.png starts with the PNG signature" \
    "$(head -c 8 "$TMP/layers.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
expect_eq "layers.png is 1000 x 650 pixels" "$(png_size "$TMP/layers.png")" "1000 650"
expect_eq "local runs every layer on a UE option" \
    "$(awk -F'\t' 'NR > 1 && $2 == "local" && $4 !~ /^UE /' "$TMP/layers.tsv")" ""
expect_eq "edge runs every layer on an edge option" \
    "$(awk -F'\t' 'NR > 1 && $2 == "edge" && $4 !~ /^edge /' "$TMP/layers.tsv")" ""
expect_eq "every policy has a cell for every layer of each model (its split's layer count)" \
    "$(awk -F'\t' 'NR > 1 { n[$1 "|" $2]++ } END { for (k in n) print k "|" n[k] }' \
        "$TMP/layers.tsv" | sort)" \
    "$(for p in local edge joint; do sql "$DB" "SELECT model || '|$p|' || max(split)
        FROM inferences i JOIN runs r USING (run_id) WHERE r.policy = 'local'
        AND i.t_done_s IS NOT NULL GROUP BY model"; done | sort)"
# known plans: rewrite joint's lenet5 inferences to two plans, one on three
# quarters of them, and read the modal options and their shares back
K=$TMP/known.db
cp "$DB" "$K"
sql "$K" "UPDATE inferences SET split = 2, ue_alloc = 'gpu:0-0,cpu:2:1-1', edge_alloc = 'gpu:2-4',
    plan_order = NULL WHERE model = 'lenet5' AND inference_id % 4 != 0
    AND run_id IN (SELECT run_id FROM runs WHERE policy = 'joint');
    UPDATE inferences SET split = 1, ue_alloc = 'cpu:4:0-0', edge_alloc = 'cpu:8:3-4,gpu:1-2',
    plan_order = NULL WHERE model = 'lenet5' AND inference_id % 4 = 0
    AND run_id IN (SELECT run_id FROM runs WHERE policy = 'joint')"
share=$(sql "$K" "SELECT sum(inference_id % 4 != 0) * 1.0 / count(*) FROM inferences i
    JOIN runs r USING (run_id) WHERE r.policy = 'joint' AND model = 'lenet5'
    AND t_done_s IS NOT NULL")
expect_exit 0 "plot --figure layers --policy joint --model lenet5 as SVG" "$COINFER" plot "$K" \
    --figure layers --policy joint --model lenet5 --out "$TMP/layers.svg" --data "$TMP/known.tsv"
expect_exit 0 "it parses as XML" xmllint --noout "$TMP/layers.svg"
expect_eq "the modal option of each layer, with its share" \
    "$(awk -F'\t' 'NR > 1 && $3 <= 4 { printf "%s %s %.6f\n", $3, $4, $5 }' "$TMP/known.tsv")" \
    "$(awk -v s="$share" 'BEGIN { printf "0 UE gpu %.6f\n1 UE cpu:2 %.6f\n2 edge gpu %.6f\n3 edge gpu %.6f\n4 edge gpu %.6f\n", s, s, 1, s, s }')"
expect_match "the legend names the options shown, the UE's first" "$(tr -d '\n' <"$TMP/layers.svg")" \
    ">UE cpu:2</text>.*>UE gpu</text>.*>edge gpu</text>"
expect_eq "and only those: three series" "$(series "$TMP/layers.svg")" "3"

# ---- training --------------------------------------------------------------------------------
T=$TMP/t.db
expect_exit 0 "collect samples" "$COINFER" run scenarios/collab-small.xml --policy joint --db "$T" \
    --set 'exploration@split=0.3' --set 'exploration@option=0.2' --set 'simulation@duration=20 s' \
    --quiet
expect_exit 0 "train an agent" "$COINFER" train "$T" --out "$TMP/a.agent" --steps 60 --every 10 -q
expect_exit 0 "plot --figure training as PNG" "$COINFER" plot "$T" --figure training \
    --out "$TMP/train.png" --data "$TMP/train.tsv"
expect_eq "train.png starts with the PNG signature" \
    "$(head -c 8 "$TMP/train.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
expect_eq "train.png is 1000 x 650 pixels" "$(png_size "$TMP/train.png")" "1000 650"
expect_eq "its data is the training_steps table" \
    "$(tail -n +2 "$TMP/train.tsv" | awk -F'\t' '{ printf "%s|%s|%.12g|%.12g|%.12g\n", $1, $2, $3, $4, $5 }')" \
    "$(sql "$T" "SELECT train_id, step, loss, heldout_loss, heldout_regret FROM training_steps
        ORDER BY train_id, step" | awk -F'|' '{ printf "%s|%s|%.12g|%.12g|%.12g\n", $1, $2, $3, $4, $5 }')"
expect_exit 0 "a second training" "$COINFER" train "$T" --out "$TMP/b.agent" --steps 60 --every 10 \
    --seed 2 --holdout 0 -q
expect_exit 0 "plot --figure training as SVG" "$COINFER" plot "$T" --figure training \
    --out "$TMP/train.svg"
expect_exit 0 "it parses as XML" xmllint --noout "$TMP/train.svg"
expect_match "the legend names each training by its agent and seed" \
    "$(tr -d '\n' <"$TMP/train.svg")" ">train 1: a.agent \(seed 1, [0-9]+ samples\)</text>.*>train 2: b.agent \(seed 2, [0-9]+ samples\)</text>"
expect_match "the axes name what they show" "$(cat "$TMP/train.svg")" ">training step \(1\)</text>"
