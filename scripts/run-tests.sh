#!/usr/bin/env bash
# Run every test of coinfer and print one closing line "N passed, M failed".
#
#   scripts/run-tests.sh              all: layering, unit, validation, integration
#   scripts/run-tests.sh --unit-only  the unit programs only (for valgrind, where the
#                                     validation runs' millions of events take too long)
#
# Unit and validation tests are cmocka programs under $BUILD/tests/; each case
# counts once. Integration tests are tests/integration/test_*.sh; each prints
# "PASS: ..." or "FAIL: ..." lines that count once each, and "SKIP: reason"
# when it cannot run here (shown, counted neither way). $TEST_WRAPPER (for
# example valgrind) prefixes every program. Logs land in $BUILD/test-logs/.
# Fuzz replay: each fuzz target's replay driver ($BUILD/fuzz/replay/T) reads
# its seed corpus tests/fuzz/corpus/T and every past crash
# tests/fuzz/crashes/T/, each input once as it is and once per allocation it
# makes with that allocation failing (--alloc-walk); each target counts once.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
unit_only=0
[ "${1:-}" = "--unit-only" ] && unit_only=1
logs=$BUILD/test-logs
mkdir -p "$logs"

passed=0
failed=0
failures=()

count_cmocka() { # name log rc
    local name=$1 log=$2 rc=$3 p f s
    p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log" | tail -1)
    f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log" | tail -1)
    s=$(sed -nE 's/^\[  SKIPPED \] ([0-9]+) test.*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed, or a wrapper (valgrind) found errors
    fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        failures+=("$name")
        echo "FAIL $name ($p passed, $f failed; log: $log)"
        sed 's/^/    /' "$log" | grep -E 'FAIL|ERROR|error|Assert|==[0-9]+==|runtime error' | head -40
    elif [ "$s" -ne 0 ]; then
        # a skipped case counts neither way, but is shown with its reason
        echo "ok   $name ($p; $s skipped: $(sed -n 's/^SKIP: //p' "$log" | sort -u | head -1))"
    else
        echo "ok   $name ($p)"
    fi
}

run_program() { # binary
    local bin=$1 name log rc
    name=${bin#"$BUILD"/tests/}
    log=$logs/${name//\//_}.log
    # shellcheck disable=SC2086
    ${TEST_WRAPPER:-} "$bin" >"$log" 2>&1
    rc=$?
    count_cmocka "$name" "$log" "$rc"
}

if [ "$unit_only" -eq 0 ]; then
    if scripts/check-layering.sh >"$logs/layering.log" 2>&1; then
        passed=$((passed + 1)); echo "ok   layering"
    else
        failed=$((failed + 1)); failures+=(layering); echo "FAIL layering"; cat "$logs/layering.log"
    fi
fi

dirs=("$BUILD/tests/unit")
[ "$unit_only" -eq 0 ] && dirs+=("$BUILD/tests/validation")
for bin in $(find "${dirs[@]}" -type f -perm -u+x 2>/dev/null | sort); do
    run_program "$bin"
done

if [ "$unit_only" -eq 0 ]; then
    for src in tests/fuzz/*.c; do
        [ -f "$src" ] || continue
        t=$(basename "$src" .c)
        name=fuzz/replay/$t
        log=$logs/fuzz_replay_$t.log
        inputs=(tests/fuzz/corpus/"$t")
        [ -d tests/fuzz/crashes/"$t" ] && inputs+=(tests/fuzz/crashes/"$t")
        # shellcheck disable=SC2086
        if ${TEST_WRAPPER:-} "$BUILD/fuzz/replay/$t" --alloc-walk "${inputs[@]}" >"$log" 2>&1; then
            passed=$((passed + 1)); echo "ok   $name ($(tail -1 "$log" | cut -d' ' -f1) inputs)"
        else
            failed=$((failed + 1)); failures+=("$name")
            echo "FAIL $name (log: $log)"
            grep -E '^replay |fuzz:|ERROR|runtime error' "$log" | tail -8 | sed 's/^/    /'
        fi
    done

    for t in tests/integration/test_*.sh; do
        [ -f "$t" ] || continue
        name=${t#tests/}
        log=$logs/${name//\//_}.log
        bash "$t" >"$log" 2>&1
        rc=$?
        p=$(grep -c '^PASS: ' "$log"); f=$(grep -c '^FAIL: ' "$log")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$f" -ne 0 ]; then
            failures+=("$name"); echo "FAIL $name ($p passed, $f failed; log: $log)"
            grep -E '^FAIL: ' -A6 "$log" | sed 's/^/    /' | head -60
            [ "$rc" -ne 0 ] && tail -20 "$log" | sed 's/^/    /'
        elif grep -q '^SKIP: ' "$log"; then
            echo "skip $name ($p passed; $(grep -m1 '^SKIP: ' "$log" | cut -c7-))"
        else
            echo "ok   $name ($p)"
        fi
    done
fi

echo
if [ "$failed" -ne 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
