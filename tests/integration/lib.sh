# Helpers for integration tests: each check prints "PASS: what" or "FAIL: what"
# (counted by scripts/run-tests.sh). Source from a test script.
BUILD=${BUILD:-build}
COINFER=${COINFER:-$BUILD/coinfer}
TMP=$(mktemp -d /tmp/coinfer-it-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; }

# expect_exit CODE DESC CMD...: run CMD, capture stdout/stderr in $OUT/$ERR.
expect_exit() {
    local want=$1 desc=$2 got
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
    if [ "$got" -eq "$want" ]; then
        pass "$desc"
    else
        fail "$desc" "exit $got, expected $want" "stdout: $(head -c 400 "$TMP/out")" \
            "stderr: $(head -c 400 "$TMP/err")"
    fi
}

# expect_match DESC TEXT REGEX
expect_match() {
    if grep -qE -- "$3" <<<"$2"; then pass "$1"; else fail "$1" "no match for /$3/ in:" "$2"; fi
}

# expect_eq DESC GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', expected '$3'"; fi
}

sql() { sqlite3 -batch -noheader "$@"; }
