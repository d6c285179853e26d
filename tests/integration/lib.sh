# Helpers for integration tests: each check prints "PASS: what" or "FAIL: what"
# (counted by scripts/run-tests.sh). Source from a test script.
#
# No check here depends on how fast the machine is: a script that needs
# something to have happened (rows in a database, a line on a terminal) waits
# for it with wait_until, which polls and fails with a message naming what it
# waited for; it never sleeps a fixed time and assumes. Processes are
# signalled by the PIDs the script started (or a PID file it asked for),
# never by a pattern (pkill -f, killall).
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

# How long wait_until waits at most, s: generous, so that a loaded machine
# (`make test` under `stress-ng --cpu 2`, scripts/stress-check.sh) never
# reaches it; it only bounds a test that would otherwise hang.
WAIT_TIMEOUT_S=${COINFER_TEST_WAIT_S:-300}
case "$WAIT_TIMEOUT_S" in '' | *[!0-9]*)
    echo "lib.sh: COINFER_TEST_WAIT_S must be whole seconds, not '$WAIT_TIMEOUT_S'" >&2
    exit 2 ;;
esac

# running PID: PID is alive (a child that has exited but not been waited for
# is a zombie: not running).
running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# wait_until [--pid PID] DESC CMD...: poll CMD every 0.1 s until it succeeds
# (return 0). With --pid, give up as soon as PID is no longer running and CMD
# still fails (the condition can no longer come). On giving up, or after
# WAIT_TIMEOUT_S, print "FAIL: waiting for DESC" with the reason, return 1.
wait_until() {
    local pid="" desc deadline
    if [ "$1" = --pid ]; then
        pid=$2
        shift 2
    fi
    desc=$1
    shift
    deadline=$((SECONDS + WAIT_TIMEOUT_S))
    until "$@"; do
        if [ -n "$pid" ] && ! running "$pid"; then
            "$@" && return 0
            fail "waiting for $desc" "process $pid ended first"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "waiting for $desc" \
                "timed out after $WAIT_TIMEOUT_S s (COINFER_TEST_WAIT_S sets the limit)"
            return 1
        fi
        sleep 0.1
    done
}

# has_rows DB TABLE [N]: TABLE of DB has more than N rows (default 0); a
# database being created or locked counts as not yet.
has_rows() {
    local n
    n=$(sql "$1" "SELECT count(*) FROM $2" 2>/dev/null) || return 1
    [ "${n:-0}" -gt "${3:-0}" ]
}
