#!/usr/bin/env bash
# Byte-identical results: every golden case (tests/golden/cases.txt) run with the
# binary at hand gives the rows recorded in tests/golden/digests/, table by table
# and policy by policy (the digests were recorded with tests/golden/record.sh; a
# deliberate change of behaviour records them again in the same commit).
set -u
. "$(dirname "$0")/lib.sh"

if ! tests/golden/run-cases.sh "$COINFER" "$TMP/golden" 2>"$TMP/golden.err"; then
    fail "every golden case runs" "$(cat "$TMP/golden.err")"
fi
for want in tests/golden/digests/*.txt; do
    case=$(basename "$want" .txt)
    got="$TMP/golden/$case.txt"
    if [ ! -f "$got" ]; then
        fail "golden case $case ran" "no digest at $got"
        continue
    fi
    while read -r policy table n sum; do
        line=$(grep -E "^$policy $table " "$got" || true)
        expect_eq "golden $case: $policy $table ($n rows) identical" "$line" \
            "$policy $table $n $sum"
    done <"$want"
    expect_eq "golden $case: no table or run beyond the recorded ones" \
        "$(wc -l <"$got")" "$(wc -l <"$want")"
done
