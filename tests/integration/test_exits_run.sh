#!/usr/bin/env bash
# Early exits as a decision through the binary (issue 12; Edgent's right-sizing):
# scenarios/exits.xml, shortened. joint and oracle end most inferences at exit1 on the
# sensor (the image costs more to send than the rest of the network is worth there): they
# meet the 100 ms deadline where every policy ending at the model's output misses it, and
# are right only where those are (exit1's measured 88.07 % against the output's 91.04 %,
# the same draw under every policy). A fixed exit (<model exit>) moves the other policies
# there, at its measured accuracy within a binomial interval. Missing exit accuracy data,
# an unknown exit, an exit without exits="on", a section of the accuracy file for an exit
# the model lacks or with other bytes, and real mode are errors naming the file and
# line, exit 2. inferences.exit records where each inference ended; coinfer report prints
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
expect_exit 2 "exits in real mode are refused" \
    "$COINFER" run "$S" --set inference@mode=real --db "$TMP/c.db"
expect_match "... saying so" "$ERR" 'costed mode only'
expect_exit 0 "exits=off runs as the model without exits" \
    "$COINFER" run "$S" --policy joint --set 'model[lenet5-exits]@exits=off' \
    --set simulation@duration=10s --db "$TMP/d.db" --quiet

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
