#!/usr/bin/env bash
# Early exits as a decision through the binary (issue 12; Edgent's right-sizing):
# scenarios/exits.xml, shortened. joint and oracle end most inferences at exit1 on the
# sensor (the image costs more to send than the rest of the network is worth there): they
# meet the 100 ms deadline where every policy ending at the model's output misses it, and
# are right only where those are (exit1's measured 88.07 % against the output's 91.04 %,
# the same draw under every policy). A fixed exit (<model exit>) moves the other policies
# there, at its measured accuracy within a binomial interval. Real mode runs the exits on
# real test images: costed mode's plans, the crossing bytes at every cut, the same class at
# every lossless cut, and the measured accuracy within a binomial interval. Missing exit
# accuracy data, an unknown exit, an exit without exits="on", and a section of the
# accuracy file for an exit the model lacks or with other bytes are errors naming the file
# and line, exit 2. inferences.exit records where each inference ended; coinfer report prints
# the shares per run.
set -u
. "$(dirname "$0")/lib.sh"

S=scenarios/exits.xml
DB="$TMP/x.db"
expect_exit 0 "exits.xml runs under every policy" \
    "$COINFER" run "$S" --policy all --set simulation@duration=60s --db "$DB" --quiet

met() {
    sql "$DB" "SELECT round(avg(deadline_met), 3) FROM inferences i JOIN runs r USING (run_id)
               WHERE r.policy = '$1' AND i.t_done_s IS NOT NULL"
}
expect_match "joint meets the deadline on most inferences" "$(met joint)" '^0\.[89]'
expect_eq "local (the whole network on the sensor) meets it on none" "$(met local)" "0.0"
expect_eq "split (ending at the output) meets it on none" "$(met split)" "0.0"

pair() {
    sql "$DB" "SELECT count(*) FROM inferences a JOIN runs ra ON ra.run_id = a.run_id
               JOIN inferences b ON b.inference_id = a.inference_id
               JOIN runs rb ON rb.run_id = b.run_id
               WHERE ra.policy = '$1' AND rb.policy = '$2' AND a.t_done_s IS NOT NULL
                 AND b.t_done_s IS NOT NULL AND $3"
}
expect_eq "joint (mostly exit1, lower accuracy) is never right where local is wrong" \
    "$(pair joint local 'a.correct = 1 AND b.correct = 0')" 0
expect_match "joint is wrong on some inferences local gets right (it took the exit)" \
    "$(pair joint local 'a.correct = 0 AND b.correct = 1')" '^[1-9]'
expect_match "joint runs most inferences on the sensor alone (split = every layer of exit1)" \
    "$(sql "$DB" "SELECT count(*) > 0.8 * (SELECT count(*) FROM inferences i2 JOIN runs r2
                  USING (run_id) WHERE r2.policy = 'joint') FROM inferences i JOIN runs r
                  USING (run_id) WHERE r.policy = 'joint' AND i.encoding IS NULL")" '^1$'

# A fixed exit: split ends at exit1 on every inference, right at exit1's measured rate.
DB2="$TMP/f.db"
expect_exit 0 "a fixed exit runs" \
    "$COINFER" run "$S" --policy split --set 'model[lenet5-exits]@exit=exit1' \
    --db "$DB2" --quiet
rate=$(sql "$DB2" "SELECT avg(correct) FROM inferences WHERE t_done_s IS NOT NULL")
n=$(sql "$DB2" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL")
expect_match "split at exit1 is right at exit1's measured 88.07 % (4 binomial sd)" \
    "$(awk -v r="$rate" -v n="$n" 'BEGIN { sd = sqrt(0.8807 * 0.1193 / n);
        print (r > 0.8807 - 4 * sd && r < 0.8807 + 4 * sd) ? "ok" : "off " r }')" '^ok$'

# The errors: FILE:LINE, exit 2, saying what to do.
expect_exit 2 "exits without accuracy data are refused" \
    "$COINFER" run "$S" --set 'model[lenet5-exits]@accuracy=' --db "$TMP/c.db"
expect_match "... naming the model's line and how to make the data" "$ERR" \
    'exits\.xml:[0-9]+: .*coinfer accuracy MODEL --weights W --exits'
head -42 models/lenet5-exits.accuracy >"$TMP/noexits.accuracy"
expect_exit 2 "an accuracy file without exit lines is refused" \
    "$COINFER" run "$S" --set "model[lenet5-exits]@accuracy=$TMP/noexits.accuracy" \
    --db "$TMP/c.db"
expect_match "... saying how to append them" "$ERR" \
    'exits\.xml:[0-9]+: .*no exit lines: append them with `coinfer accuracy MODEL --weights W --exits'
sed 's/^# exit2    after flatten /# exit2    after pool2 /' models/lenet5-exits.accuracy \
    >"$TMP/other.accuracy"
expect_exit 2 "an exit line of another attach point is refused" \
    "$COINFER" run "$S" --set "model[lenet5-exits]@accuracy=$TMP/other.accuracy" \
    --db "$TMP/c.db"
expect_match "... naming the accuracy file's line" "$ERR" 'other\.accuracy:[0-9]+: exit exit2 after pool2'
sed 's/cuts before exit exit2 after/cuts before exit exit7 after/' models/lenet5-exits.accuracy \
    >"$TMP/exit7.accuracy"
expect_exit 2 "a section of an exit the model lacks is refused" \
    "$COINFER" run "$S" --set "model[lenet5-exits]@accuracy=$TMP/exit7.accuracy" \
    --db "$TMP/c.db"
expect_match "... naming the accuracy file's line" "$ERR" \
    'exit7\.accuracy:[0-9]+: a cut before exit exit7, which is not the model.s'
awk '/cuts before exit exit1/ {s = 1} s && $1 == 4 && $3 == "int4" {$4 = 999} {print}' \
    models/lenet5-exits.accuracy >"$TMP/bytes.accuracy"
expect_exit 2 "a row before an exit with other bytes is refused" \
    "$COINFER" run "$S" --set "model[lenet5-exits]@accuracy=$TMP/bytes.accuracy" \
    --db "$TMP/c.db"
expect_match "... naming the accuracy file's line" "$ERR" \
    'bytes\.accuracy:[0-9]+: split 4 before exit exit1 sends 999 B under int4, but this model sends 105 B'
expect_exit 2 "an unknown exit is refused" \
    "$COINFER" run "$S" --set 'model[lenet5-exits]@exit=exit9' --db "$TMP/c.db"
expect_match "... naming the model's line" "$ERR" "exits\.xml:[0-9]+: .*exit 'exit9'"
expect_exit 2 "an exit without exits=on is refused" \
    "$COINFER" run "$S" --set 'model[lenet5-exits]@exits=off' \
    --set 'model[lenet5-exits]@exit=exit1' --db "$TMP/c.db"
expect_exit 0 "exits=off runs as the model without exits" \
    "$COINFER" run "$S" --policy joint --set 'model[lenet5-exits]@exits=off' \
    --set simulation@duration=10s --db "$TMP/d.db" --quiet

# Real mode: each sensor feeds Fashion-MNIST test images drawn from its stream, a plan that
# ends at an exit runs its right-sized problem's layers on them (the attach point's layers,
# then the head, on either side of the cut), the crossing tensor is really encoded and
# decoded, and the exit's class is compared with the label.
DBR="$TMP/r.db"
expect_exit 0 "exits.xml runs in real mode under every policy" \
    "$COINFER" run "$S" --policy all --set simulation@duration=60s --set inference@mode=real \
    --db "$DBR" --quiet
expect_eq "every finished real inference has correct set" \
    "$(sql "$DBR" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND correct IS NULL")" 0
expect_eq "real mode runs costed mode's plans: the same exits, splits and times, row for row" \
    "$(sql "$DBR" "ATTACH '$DB' AS c; SELECT count(*), sum(a.exit IS NOT b.exit OR
        a.split <> b.split OR a.latency_s IS NOT b.latency_s OR a.ue_energy_j <> b.ue_energy_j)
        FROM inferences a JOIN runs ra ON ra.run_id = a.run_id
        JOIN c.runs rb ON rb.policy = ra.policy
        JOIN c.inferences b ON b.run_id = rb.run_id AND b.inference_id = a.inference_id")" \
    "$(sql "$DB" "SELECT count(*) FROM inferences")|0"
expect_eq "real mode: edgent's inferences record exit1" \
    "$(sql "$DBR" "SELECT group_concat(DISTINCT i.exit) FROM inferences i JOIN runs r
                   USING (run_id) WHERE r.policy = 'edgent' AND i.t_done_s IS NOT NULL")" "exit1"
# At a fixed exit, fp32 (lossless): random's cuts of exit1's right-sized problem (before
# conv1, after it, after pool1, inside the head, all on the sensor) give every image
# local's class; the top 25 % of the image (topk:0.25) changes some (really encoded).
DBF="$TMP/rf.db"
for p in local random; do
    expect_exit 0 "real mode at exit1 runs under $p" \
        "$COINFER" run "$S" --policy "$p" --set 'model[lenet5-exits]@exit=exit1' \
        --set simulation@duration=60s --set inference@mode=real --db "$DBF" --quiet
done
expect_exit 0 "real mode at exit1 runs under edge sending topk:0.25" \
    "$COINFER" run "$S" --policy edge --set 'model[lenet5-exits]@exit=exit1' \
    --set 'model[lenet5-exits]@encoding=topk:0.25' --set simulation@duration=60s \
    --set inference@mode=real --db "$DBF" --quiet
DB_SAVED=$DB
DB=$DBF
expect_eq "random ran every cut of exit1's problem" \
    "$(sql "$DBF" "SELECT group_concat(s) FROM (SELECT DISTINCT split AS s FROM inferences i
                   JOIN runs r USING (run_id) WHERE r.policy = 'random' ORDER BY s)")" "0,1,2,3,4"
expect_eq "random's cuts at exit1 are right on exactly local's images" \
    "$(pair random local 'a.correct <> b.correct')" 0
expect_match "edge's topk:0.25 image at exit1 changes some results (really encoded)" \
    "$(pair edge local 'a.correct <> b.correct')" '^[1-9]'
DB=$DB_SAVED
# The crossing tensors' bytes at every cut of exit1 (int8) are costed mode's, bit for bit.
for mode in costed real; do
    expect_exit 0 "random at exit1 sending int8 runs in $mode mode" \
        "$COINFER" run "$S" --policy random --set 'model[lenet5-exits]@exit=exit1' \
        --set 'model[lenet5-exits]@encoding=int8' --set simulation@duration=30s \
        --set inference@mode=$mode --trace --db "$TMP/b-$mode.db" --quiet
done
cut_bytes() {
    sql "$1" "SELECT group_concat(x, ' ') FROM (SELECT DISTINCT i.split || ':' || m.bytes AS x
              FROM messages m JOIN inferences i USING (run_id, inference_id)
              WHERE m.type = 'intermediate' ORDER BY i.split)"
}
expect_eq "real mode sends costed mode's bytes at every cut of exit1 (int8)" \
    "$(cut_bytes "$TMP/b-real.db")" "$(cut_bytes "$TMP/b-costed.db")"
# The fixed exit in real mode: right at exit1's measured 88.07 %, and at costed mode's
# drawn rate on the same seed (the fixed-exit database above), each within 4 binomial sd.
DBX="$TMP/rx.db"
expect_exit 0 "a fixed exit runs in real mode" \
    "$COINFER" run "$S" --policy split --set 'model[lenet5-exits]@exit=exit1' \
    --set inference@mode=real --db "$DBX" --quiet
read -r n k < <(sql -separator ' ' "$DBX" "SELECT count(*), sum(correct) FROM inferences
    WHERE t_done_s IS NOT NULL AND exit = 'exit1'")
read -r n2 k2 < <(sql -separator ' ' "$DB2" "SELECT count(*), sum(correct) FROM inferences
    WHERE t_done_s IS NOT NULL AND exit = 'exit1'")
expect_eq "real mode's accuracy at exit1 is the measured one, and costed mode's within 4 sd" \
    "$(awk -v n="$n" -v k="$k" -v n2="$n2" -v k2="$k2" 'BEGIN { p = 0.8807;
        sd = sqrt(p * (1 - p) / n); d = k / n - p; if (d < 0) d = -d;
        sd2 = sqrt(p * (1 - p) / n + p * (1 - p) / n2); d2 = k / n - k2 / n2; if (d2 < 0) d2 = -d2;
        print (n > 5000 && d <= 4 * sd && d2 <= 4 * sd2) ? "yes" : "no " k "/" n " " k2 "/" n2 }')" \
    yes

# Where each inference ended (inferences.exit, schema 14) and the report's shares.
exits() {
    sql "$DB" "SELECT coalesce(group_concat(x, ','), '(none)') FROM (SELECT DISTINCT i.exit AS x
               FROM inferences i JOIN runs r USING (run_id) WHERE r.policy = '$1'
               AND i.t_done_s IS NOT NULL ORDER BY x)"
}
expect_eq "split's inferences end at the output" "$(exits split)" "output"
expect_eq "edgent's end at exit1 (the most accurate within 100 ms)" "$(exits edgent)" "exit1"
expect_match "joint's end at exit1, some at the output" "$(exits joint)" '^exit1(,output)?$'
expect_exit 0 "report runs" "$COINFER" report "$DB"
expect_match "the report prints the exits' shares per run" "$OUT" \
    '^ +[0-9]+  edgent +exit1 100\.00 %$'
expect_eq "a fixed exit records exit1 on every finished inference" \
    "$(sql "$DB2" "SELECT group_concat(DISTINCT exit) FROM inferences WHERE t_done_s IS NOT NULL")" \
    "exit1"
expect_exit 0 "report on a run without exits" "$COINFER" report "$TMP/d.db"
if grep -q '^exits:' <<<"$OUT"; then
    fail "a database where no inference took an exit prints no exits table"
else
    pass "a database where no inference took an exit prints no exits table"
fi
expect_exit 2 "exits other than on or off is refused" \
    "$COINFER" run "$S" --set 'model[lenet5-exits]@exits=maybe' --db "$TMP/c.db"
expect_match "... naming the model's line" "$ERR" "exits\.xml:[0-9]+: .*exits 'maybe', expected on or off"
