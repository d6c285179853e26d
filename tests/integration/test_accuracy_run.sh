#!/usr/bin/env bash
# Accuracy as a decision variable through the binary (issue 12): scenarios/accuracy-lenet5.xml
# (encodings alone), shortened, run under every policy. Each inference's correctness is drawn from the
# measured accuracy of what it ran (models/lenet5-fmnist.accuracy) with the same draw under
# every policy: the policies that send fp32 (whole-model accuracy at any split) agree on
# every inference, joint (int4 at the input: 91.87 % against 91.92 %) is right only where
# they are; joint's upload is the int4 image, theirs the 8-bit one; a forced lossy encoding
# (top-25 % at the input, 75.14 %) gives its measured rate within a binomial interval.
# inferences.encoding names what each inference sent: int4 for joint (int8 at
# accuracy-weight 1000), fp32 for the fixed policies, none for local, the forced one.
# Bad accuracy data and encodings are usage errors naming the file and line.
# scenarios/accuracy.xml adds early exits: joint sends the int4 image from the nodes on
# 200 kbit/s uplinks and ends at exit1 on most inferences of those on 50 kbit/s, where
# the fp32 policies miss the deadline; its accuracy column is filled for every policy;
# real mode runs it with the exits set off. On the residual network, the cuts across branches `coinfer accuracy --cuts all` measures give
# the inferences that random sends there their correctness.
set -u
. "$(dirname "$0")/lib.sh"

S=scenarios/accuracy-lenet5.xml
DB="$TMP/a.db"
expect_exit 0 "accuracy-lenet5.xml runs under every policy" \
    "$COINFER" run "$S" --policy all --set simulation@duration=30s --trace --db "$DB" --quiet

# Every finished inference of every policy has its correctness.
expect_eq "every finished inference has correct set" \
    "$(sql "$DB" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND correct IS NULL")" 0
expect_match "the report's accuracy column is filled for joint" \
    "$("$COINFER" report "$DB" | grep -E '^ +[0-9]+  joint ')" ' 0\.9[0-9]+$'

# policy P's correct by inference_id, for the inferences every fp32 policy finished.
pair() {
    sql "$DB" "SELECT count(*) FROM inferences a JOIN runs ra ON ra.run_id = a.run_id
               JOIN inferences b ON b.inference_id = a.inference_id
               JOIN runs rb ON rb.run_id = b.run_id
               WHERE ra.policy = '$1' AND rb.policy = '$2' AND a.t_done_s IS NOT NULL
                 AND b.t_done_s IS NOT NULL AND $3"
}
expect_eq "local and split (both fp32) are right on the same inferences" \
    "$(pair local split 'a.correct <> b.correct')" 0
expect_eq "edge and split (both fp32) are right on the same inferences" \
    "$(pair edge split 'a.correct <> b.correct')" 0
expect_eq "joint (int4, lower accuracy) is never right where split is wrong" \
    "$(pair joint split 'a.correct = 1 AND b.correct = 0')" 0
expect_match "the fp32 policies are wrong on some inferences (the draw is not all 1)" \
    "$(pair local split 'a.correct = 0')" '^[1-9]'

# What crosses the uplink: joint the int4 image (64 B header + 397 B), split the 8-bit one.
bytes() {
    sql "$DB" "SELECT group_concat(DISTINCT m.bytes) FROM messages m JOIN runs r USING (run_id)
               WHERE r.policy = '$1' AND m.type = 'intermediate'"
}
expect_eq "joint uploads the int4 image" "$(bytes joint)" "461.0"
expect_eq "split uploads the 8-bit image" "$(bytes split)" "848.0"

# The same in inferences.encoding (schema 13): the encodings a policy's finished
# inferences sent, NULL (nothing sent: run locally) left out.
encodings() {
    sql "$1" "SELECT coalesce(group_concat(e, ','), '(none)') FROM (SELECT DISTINCT
              i.encoding AS e FROM inferences i JOIN runs r USING (run_id)
              WHERE r.policy = '$2' AND i.t_done_s IS NOT NULL AND i.encoding IS NOT NULL
              ORDER BY e)"
}
expect_eq "joint's inferences record int4" "$(encodings "$DB" joint)" "int4"
expect_eq "oracle's inferences record int4" "$(encodings "$DB" oracle)" "int4"
expect_eq "split's inferences record fp32" "$(encodings "$DB" split)" "fp32"
expect_eq "edge's inferences record fp32" "$(encodings "$DB" edge)" "fp32"
expect_eq "local's inferences record no encoding (nothing crosses)" \
    "$(encodings "$DB" local)" "(none)"
expect_match "coinfer report shows joint's encoding share" \
    "$("$COINFER" report "$DB" | sed -n '/^uplink encodings:/,/^$/p' | grep -E '^ +[0-9]+  joint ')" \
    'joint +int4 100\.00 %$'
expect_match "...and split's" \
    "$("$COINFER" report "$DB" | sed -n '/^uplink encodings:/,/^$/p' | grep -E '^ +[0-9]+  split ')" \
    'split +fp32 [0-9.]+ %'
expect_eq "an inference records an encoding exactly when it uploaded" \
    "$(sql "$DB" "SELECT count(*) FROM inferences i WHERE i.t_done_s IS NOT NULL AND
                  (i.encoding IS NOT NULL) <> EXISTS (SELECT 1 FROM messages m WHERE
                  m.run_id = i.run_id AND m.inference_id = i.inference_id AND
                  m.type = 'intermediate')")" 0
expect_eq "the encoding recorded is what crossed (joint int4: 461 B, split fp32: 848 B)" \
    "$(sql "$DB" "SELECT group_concat(p, ',') FROM (SELECT DISTINCT i.encoding || '=' ||
                  m.bytes AS p FROM inferences i JOIN messages m ON m.run_id = i.run_id AND
                  m.inference_id = i.inference_id JOIN runs r ON r.run_id = i.run_id
                  WHERE r.policy IN ('joint', 'split') AND m.type = 'intermediate' ORDER BY p)")" \
    "fp32=848.0,int4=461.0"
DB1k="$TMP/w.db"
expect_exit 0 "joint runs at accuracy-weight 1000" \
    "$COINFER" run "$S" --policy joint --set simulation@duration=30s \
    --set objective@accuracy-weight=1000 --db "$DB1k" --quiet
expect_eq "...and most of its inferences record int8 (after flatten, split 4)" \
    "$(sql "$DB1k" "SELECT encoding || ' ' || split FROM inferences WHERE t_done_s IS NOT NULL
                    GROUP BY encoding, split ORDER BY count(*) DESC LIMIT 1")" "int8 4"

# A forced encoding: edge sends top-25 % of the input, measured at 75.14 %.
DB2="$TMP/b.db"
expect_exit 0 "a lossy fixed encoding runs" \
    "$COINFER" run "$S" --policy edge --set simulation@duration=60s \
    --set 'model[lenet5-fmnist]@encoding=topk:0.25' --db "$DB2" --quiet
read -r n k < <(sql -separator ' ' "$DB2" \
    "SELECT count(*), sum(correct) FROM inferences WHERE t_done_s IS NOT NULL")
# |k/n - 0.7514| within 4 binomial standard deviations.
ok=$(awk -v n="$n" -v k="$k" 'BEGIN { p = 0.7514; sd = sqrt(p * (1 - p) / n);
    d = k / n - p; if (d < 0) d = -d; print (n > 500 && d <= 4 * sd) ? "yes" : "no " k "/" n }')
expect_eq "edge with top-25 % is right at its measured rate" "$ok" yes
expect_eq "...and its inferences record topk:0.25" "$(encodings "$DB2" edge)" "topk:0.25"

# Errors: exit 2, naming where.
expect_exit 2 "an encoding without accuracy data is refused" \
    "$COINFER" run scenarios/collab-small.xml --set 'model[lenet5]@encoding=int8' \
    --db "$TMP/c.db"
expect_match "...naming the scenario's model line" "$ERR" 'collab-small\.xml:[0-9]+: .*needs the model'
sed 's/^\(    3  conv2            fp32             \)12800/\112804/' \
    models/lenet5-fmnist.accuracy >"$TMP/other.accuracy"
expect_exit 2 "accuracy data of another model is refused" \
    "$COINFER" run "$S" --set "model[lenet5-fmnist]@accuracy=$TMP/other.accuracy" \
    --db "$TMP/c.db"
expect_match "...naming its file and line" "$ERR" 'other\.accuracy:[0-9]+: split 3 sends 12804 B'
printf '# x, weights y: 10 test images, whole-model accuracy 90.00 %%\nsplit layer encoding bytes accuracy vs_fp32\n    0  input  int8  789  hello\n' \
    >"$TMP/bad.accuracy"
expect_exit 2 "a malformed accuracy row is refused" \
    "$COINFER" run "$S" --set "model[lenet5-fmnist]@accuracy=$TMP/bad.accuracy" \
    --db "$TMP/c.db"
expect_match "...naming its line" "$ERR" 'bad\.accuracy:3: expected a row'
expect_exit 2 "an encoding the accuracy file does not have is refused" \
    "$COINFER" run "$S" --set 'model[lenet5-fmnist]@encoding=topk:0.5' --db "$TMP/c.db"
expect_match "...saying so" "$ERR" 'encoding topk:0\.5 is not among'

# Real mode: each UE feeds Fashion-MNIST test images drawn from its input stream, the
# crossing tensor is really encoded and decoded, the class compared with the label.
DB3="$TMP/r.db"
for p in local split joint; do
    expect_exit 0 "accuracy-lenet5.xml runs in real mode under $p" \
        "$COINFER" run "$S" --policy "$p" --set inference@mode=real --trace --db "$DB3" --quiet
done
DB=$DB3
expect_eq "every finished real inference has correct set" \
    "$(sql "$DB" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND correct IS NULL")" 0
expect_eq "real mode: local and split (fp32, the same images) are right on the same inferences" \
    "$(pair local split 'a.correct <> b.correct')" 0
expect_match "real mode: joint's int4 image changes some results (really encoded)" \
    "$(pair joint split 'a.correct <> b.correct')" '^[1-9]'
expect_eq "real mode: joint uploads the int4 image, at the costed mode's bytes" \
    "$(bytes joint)" "461.0"
expect_eq "real mode: joint's inferences record int4" "$(encodings "$DB" joint)" "int4"
# The real rate against the measured accuracy (91.92 %, fp32) and against costed mode's
# draws on the same seed (the first database), each within 4 binomial standard deviations.
read -r n k < <(sql -separator ' ' "$DB3" "SELECT count(*), sum(correct) FROM inferences i
    JOIN runs r USING (run_id) WHERE r.policy = 'split' AND t_done_s IS NOT NULL")
read -r n2 k2 < <(sql -separator ' ' "$TMP/a.db" "SELECT count(*), sum(correct) FROM inferences i
    JOIN runs r USING (run_id) WHERE r.policy = 'split' AND t_done_s IS NOT NULL")
ok=$(awk -v n="$n" -v k="$k" -v n2="$n2" -v k2="$k2" 'BEGIN { p = 0.9192;
    sd = sqrt(p * (1 - p) / n); d = k / n - p; if (d < 0) d = -d;
    sd2 = sqrt(p * (1 - p) / n + p * (1 - p) / n2); d2 = k / n - k2 / n2; if (d2 < 0) d2 = -d2;
    print (n > 5000 && d <= 4 * sd && d2 <= 4 * sd2) ? "yes" : "no " k "/" n " " k2 "/" n2 }')
expect_eq "real mode's accuracy is the measured one, and costed mode's within the intervals" \
    "$ok" yes

# A DAG: the residual network's accuracy data maps onto its grouped problem, splits inside
# its blocks (two tensors crossing) included, the bytes of every row matching.
expect_exit 0 "the residual network's accuracy data fits its problem" \
    "$COINFER" validate tests/data/scenarios/accuracy-resnet.xml
expect_exit 0 "and a run with it draws correctness" \
    "$COINFER" run tests/data/scenarios/accuracy-resnet.xml --policy joint \
    --set simulation@duration=5s --db "$TMP/d.db" --quiet
expect_eq "...for every finished inference" \
    "$(sql "$TMP/d.db" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND correct IS NULL")" 0

# Cuts across branches: random sends the fixed int8 at whatever cut it draws. With data of
# the prefixes only, its inferences at a cut that is no prefix (plan_order set) have no
# known accuracy; with `coinfer accuracy --cuts all`'s data every one has it.
"$COINFER" accuracy models/resnet-fmnist.xml --weights models/resnet-fmnist.weights \
    --cuts all --limit 100 --quiet >"$TMP/dag.accuracy" 2>/dev/null
grep -vE '^[0-9]+-|^encoding=' "$TMP/dag.accuracy" >"$TMP/prefix.accuracy"
for f in prefix dag; do
    expect_exit 0 "random with int8 on the residual network, $f accuracy data" \
        "$COINFER" run tests/data/scenarios/accuracy-resnet.xml --policy random \
        --set simulation@duration=20s --set "model[resnet-fmnist]@accuracy=$TMP/$f.accuracy" \
        --set 'model[resnet-fmnist]@encoding=int8' --db "$TMP/$f.db" --quiet
done
across() {
    sql "$TMP/$1.db" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND
                      encoding = 'int8' AND plan_order IS NOT NULL AND $2"
}
expect_match "random sends int8 at cuts across branches" "$(across dag 1)" '^[1-9]'
expect_eq "...the same inferences under both data" "$(across prefix 1)" "$(across dag 1)"
expect_eq "...whose correctness is unknown with the prefixes' data" \
    "$(across prefix 'correct IS NULL')" "$(across dag 1)"
expect_eq "...and known with --cuts all's" "$(across dag 'correct IS NULL')" 0
expect_eq "every finished inference has correct set with --cuts all's data" \
    "$(sql "$TMP/dag.db" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND correct IS NULL")" 0
sed 's/^\(0-9,15-16  b1_relu+b2_down_bn fp32 *\)87808/\187812/' "$TMP/dag.accuracy" \
    >"$TMP/other.accuracy"
expect_exit 2 "a cut across branches that sends other bytes is refused" \
    "$COINFER" run tests/data/scenarios/accuracy-resnet.xml --set simulation@duration=5s \
    --set "model[resnet-fmnist]@accuracy=$TMP/other.accuracy" --db "$TMP/e.db" --quiet
expect_match "...naming its file, line and cut" "$ERR" 'other\.accuracy:[0-9]+: split 0-9,15-16 sends 87812 B'
sed 's/^0-9,15-16 /0-10,15-16 /' "$TMP/dag.accuracy" >"$TMP/other.accuracy"
expect_exit 2 "a cut through a problem layer is refused" \
    "$COINFER" run tests/data/scenarios/accuracy-resnet.xml --set simulation@duration=5s \
    --set "model[resnet-fmnist]@accuracy=$TMP/other.accuracy" --db "$TMP/e.db" --quiet
expect_match "...saying so" "$ERR" 'other\.accuracy:[0-9]+: split 0-10,15-16 cuts through a problem layer'
sed 's/^0-9,15-16 /0-8,15-16 /' "$TMP/dag.accuracy" >"$TMP/other.accuracy"
expect_exit 2 "a set that is not closed under predecessors is refused" \
    "$COINFER" run tests/data/scenarios/accuracy-resnet.xml --set simulation@duration=5s \
    --set "model[resnet-fmnist]@accuracy=$TMP/other.accuracy" --db "$TMP/e.db" --quiet
expect_match "...saying so" "$ERR" 'other\.accuracy:[0-9]+: split 0-8,15-16 is no cut of this model'

# ---- scenarios/accuracy.xml: encodings and early exits together ---------------------------
A=scenarios/accuracy.xml
DBX="$TMP/x.db"
expect_exit 0 "accuracy.xml runs under every policy" \
    "$COINFER" run "$A" --policy all --set simulation@duration=30s --db "$DBX" --quiet
expect_eq "every policy's report has its accuracy column filled" \
    "$("$COINFER" report "$DBX" | grep -cE '^ +[0-9]+  [a-z-]+ .* 0\.[0-9]+$')" \
    "$(sql "$DBX" "SELECT count(*) FROM runs")"
# UEs 0-4 are on 200 kbit/s uplinks, 5-9 on 50 kbit/s; what joint's finished inferences did
# there, the most frequent first.
plans() {
    sql "$DBX" "SELECT coalesce(i.exit, '-') || ':' || coalesce(i.encoding, 'none')
                FROM inferences i JOIN runs r USING (run_id)
                WHERE r.policy = '$1' AND i.t_done_s IS NOT NULL AND i.ue_id $2
                GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
}
expect_eq "joint sends the int4 image from the 200 kbit/s nodes" "$(plans joint '< 5')" \
    "output:int4"
expect_eq "joint ends at exit1 on the 50 kbit/s nodes" "$(plans joint '>= 5')" "exit1:none"
expect_eq "split sends fp32 and ends at the output there" "$(plans split '< 5')" "output:fp32"
share() {
    sql "$DBX" "SELECT printf('%.2f', avg(deadline_met)) FROM inferences i
                JOIN runs r USING (run_id) WHERE r.policy = '$1' AND i.ue_id >= 5"
}
expect_match "on the 50 kbit/s nodes joint meets the deadline on most inferences" \
    "$(share joint)" '^0\.(9[0-9]|8[0-9])$'
expect_match "...where split misses it on most" "$(share split)" '^0\.[0-2][0-9]$'
expect_exit 0 "accuracy.xml in real mode, its exits and encodings on real images" \
    "$COINFER" run "$A" --policy joint --set inference@mode=real \
    --set simulation@duration=10s --db "$TMP/y.db" --quiet
expect_eq "...every finished inference has its correctness from a real image" \
    "$(sql "$TMP/y.db" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND correct IS NULL")" 0
expect_eq "...joint's exits and int4 uploads both ran" \
    "$(sql "$TMP/y.db" "SELECT count(DISTINCT exit) > 1 AND sum(encoding = 'int4') > 0
        FROM inferences WHERE t_done_s IS NOT NULL")" 1
