#!/usr/bin/env bash
# Knob paths through the binary: --set overrides a scenario's knobs (usage
# errors exit 2 and leave no database), the runs table records each run's
# configuration and overrides, `coinfer report` shows what --set changed, and
# `coinfer report DB --config RUN` gives a scenario file that makes the same
# rows again.
set -u
. "$(dirname "$0")/lib.sh"

SC=scenarios/collab-small.xml

# ---- --set ----------------------------------------------------------------------------
db="$TMP/set.db"
expect_exit 0 "run --set two knobs" "$COINFER" run $SC --policy split --db "$db" --quiet \
    --set simulation@duration=5s --set "edge/use[gpu]@count=2"
expect_eq "the run recorded its overrides, one per line" \
    "$(sql "$db" "SELECT replace(overrides, char(10), ' | ') FROM runs")" \
    "simulation@duration=5s | edge/use[gpu]@count=2"
expect_eq "the run's configuration is stored once, keyed by its SHA-256" \
    "$(sql "$db" "SELECT count(*) FROM configs c JOIN runs r USING (config_sha256)")" "1"
expect_eq "--set simulation@duration reached the run" \
    "$(sql "$db" "SELECT max(t_request_s) < 5 FROM inferences")" "1"
expect_exit 0 "report shows the overrides" "$COINFER" report "$db"
expect_match "report lists each override of each run" "$OUT" "^  run 1: edge/use\[gpu\]@count=2$"

# ---- the configuration makes the run again ------------------------------------------------
expect_exit 0 "report --config prints the run's configuration" "$COINFER" report "$db" --config 1
printf '%s\n' "$OUT" >"$TMP/again.xml"
expect_match "the configuration writes every knob" "$OUT" 'count="2"'
expect_exit 0 "the configuration is a valid scenario" "$COINFER" validate "$TMP/again.xml"
expect_exit 0 "run the configuration" "$COINFER" run "$TMP/again.xml" --policy split \
    --db "$TMP/again.db" --quiet
expect_eq "the configuration gives the same rows" \
    "$(tests/golden/digest.sh "$TMP/again.db")" "$(tests/golden/digest.sh "$db")"
expect_eq "and the same configuration" \
    "$(sql "$TMP/again.db" "SELECT config_sha256 FROM runs")" \
    "$(sql "$db" "SELECT config_sha256 FROM runs")"
expect_exit 2 "report --config of a run that does not exist" "$COINFER" report "$db" --config 9
expect_match "it says so" "$ERR" "run 9 does not exist"
expect_exit 2 "report --config takes a run id" "$COINFER" report "$db" --config x

# ---- --seed is simulation@seed -------------------------------------------------------------
expect_exit 0 "run --seed 11" "$COINFER" run $SC --policy split --seed 11 --db "$TMP/s1.db" \
    --quiet --set simulation@duration=5s
expect_exit 0 "run --set simulation@seed=11" "$COINFER" run $SC --policy split \
    --set simulation@seed=11 --db "$TMP/s2.db" --quiet --set simulation@duration=5s
expect_eq "--seed N and --set simulation@seed=N give the same rows" \
    "$(tests/golden/digest.sh "$TMP/s1.db")" "$(tests/golden/digest.sh "$TMP/s2.db")"

# ---- bad overrides ------------------------------------------------------------------------
for bad in "radio/deployment@isd=-3m" "radio/deployment@speed=3" "nowhere@x=1" \
           "radio/ue-group[9]@count=1" "simulation@duration"; do
    expect_exit 2 "--set $bad is a usage error" "$COINFER" run $SC --db "$TMP/bad.db" --set "$bad"
    expect_eq "--set $bad: the message names it" "${ERR:0:$((15 + ${#bad}))}" "coinfer: --set $bad"
done
expect_exit 2 "a cross-check broken by --set is bad input" "$COINFER" run $SC \
    --db "$TMP/bad.db" --set simulation@warmup=1h
expect_match "the message names the element's line and the override" "$ERR" \
    "collab-small.xml:[0-9]+: element 'simulation': .*\(after --set simulation@warmup=1h\)"
[ -e "$TMP/bad.db" ] && fail "no database after a bad --set" "$TMP/bad.db exists" ||
    pass "no database after a bad --set"
expect_exit 0 "radio takes --set" "$COINFER" radio scenarios/radio-7cells.xml --csv --quiet \
    --set simulation@duration=1s --set "radio/ue-group[0]@count=5"
expect_eq "radio --set: 5 UEs at 0 s and 1 s" "$(grep -c '^[0-9]' <<<"$OUT")" "10"
