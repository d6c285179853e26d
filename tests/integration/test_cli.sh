#!/usr/bin/env bash
# The coinfer binary as a user meets it: help, version, exit codes, FILE:LINE
# errors that leave the database untouched, rows in the database, report,
# and runs stopped by SIGINT and by kill -9.
set -u
. "$(dirname "$0")/lib.sh"

# ---- help and version -------------------------------------------------------
expect_exit 0 "coinfer --help exits 0" "$COINFER" --help
expect_match "--help lists the run command" "$OUT" "^  run "
expect_exit 2 "coinfer without a command is a usage error" "$COINFER"
expect_exit 2 "an unknown command is a usage error" "$COINFER" frobnicate
expect_match "an unknown command says so" "$ERR" "'frobnicate' is not a command"
expect_exit 0 "coinfer --version exits 0" "$COINFER" --version
expect_match "--version prints git describe (or unknown outside git)" "$OUT" "^coinfer (unknown|[0-9a-g][-0-9a-z.]*)$"
for cmd in run validate report; do
    expect_exit 0 "coinfer $cmd --help exits 0" "$COINFER" "$cmd" --help
    expect_match "coinfer $cmd --help shows its usage" "$OUT" "^usage: coinfer $cmd"
done

# ---- usage errors -------------------------------------------------------------
expect_exit 2 "run: unknown option" "$COINFER" run --frob tests/data/cli/small.xml
expect_exit 2 "run: --seed must be an integer" "$COINFER" run --seed abc tests/data/cli/small.xml
expect_match "run: --seed error names the value" "$ERR" "--seed takes a whole number from 0 to 18446744073709551615, not 'abc'"
expect_exit 2 "run: --db needs a value" "$COINFER" run tests/data/cli/small.xml --db
expect_exit 2 "run: --policy unknown for the queue model" \
    "$COINFER" run --policy oracle --db "$TMP/p.db" tests/data/cli/small.xml
expect_match "run: bad --policy names the valid one" "$ERR" "fifo"
if [ ! -e "$TMP/p.db" ]; then pass "a usage error creates no database"; else
    fail "a usage error creates no database"; fi
expect_exit 2 "report: no argument" "$COINFER" report
expect_exit 2 "validate: no file" "$COINFER" validate

# ---- validate ------------------------------------------------------------------
expect_exit 0 "validate accepts the shipped scenarios" "$COINFER" validate \
    scenarios/default.xml scenarios/validation-mm1.xml scenarios/validation-md1.xml
expect_match "validate prints ok per file" "$OUT" "scenarios/validation-md1.xml: ok"
printf '<scenario name="x">\n  <simulation duration="10 s"/>\n  <queue>\n    <server mean-service="1 s"/>\n    <ues count="0" rate="1 Hz"/>\n  </queue>\n</scenario>\n' >"$TMP/bad.xml"
expect_exit 2 "validate rejects count=0 with exit 2" "$COINFER" validate "$TMP/bad.xml"
expect_match "the error is FILE:LINE: message" "$ERR" "^coinfer: $TMP/bad.xml:5: .*count"
expect_exit 2 "validate: a missing file is exit 2" "$COINFER" validate "$TMP/nope.xml"
expect_match "a missing file is named" "$ERR" "$TMP/nope.xml"
printf 'this is not xml\n' >"$TMP/notxml.xml"
expect_exit 2 "validate: non-XML input is exit 2" "$COINFER" validate "$TMP/notxml.xml"
expect_match "non-XML input has FILE:LINE" "$ERR" "$TMP/notxml.xml:[0-9]+: "
# An agent file (the learning agent's, tests/data/agents/tiny.agent) is
# recognised by its magic and checked: a flipped byte is a checksum error.
expect_exit 0 "validate accepts an agent file" "$COINFER" validate tests/data/agents/tiny.agent
expect_match "validate prints ok for the agent file" "$OUT" "tiny.agent: ok"
cp tests/data/agents/tiny.agent "$TMP/bad.agent"
printf 'x' | dd of="$TMP/bad.agent" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_exit 2 "validate: a corrupted agent file is exit 2" "$COINFER" validate "$TMP/bad.agent"
expect_match "a corrupted agent file is FILE:0: checksum mismatch" "$ERR" \
    "^coinfer: $TMP/bad.agent:0: checksum mismatch"
head -c 300 tests/data/agents/tiny.agent >"$TMP/short.agent"
expect_exit 2 "validate: a truncated agent file is exit 2" "$COINFER" validate "$TMP/short.agent"
expect_match "a truncated agent file says so" "$ERR" "$TMP/short.agent:0: truncated agent file"

# ---- run and the database ---------------------------------------------------------
db=$TMP/r.db
expect_exit 0 "run a small scenario" "$COINFER" run --quiet --db "$db" tests/data/cli/small.xml
expect_eq "--quiet prints nothing" "$OUT$ERR" ""
expect_eq "the run is complete" "$(sql "$db" "SELECT status FROM runs")" "complete"
n1=$(sql "$db" "SELECT count(*) FROM requests WHERE run_id = 1")
if [ "$n1" -gt 3000 ]; then pass "requests are recorded ($n1)"; else fail "requests are recorded" "$n1"; fi
expect_eq "the run records scenario, policy and seed" \
    "$(sql "$db" "SELECT scenario || ',' || policy || ',' || seed FROM runs")" "cli-small,fifo,3"
expect_eq "the run records the scenario's sha256" \
    "$(sql "$db" "SELECT scenario_sha256 FROM runs")" "$(sha256sum tests/data/cli/small.xml | cut -d' ' -f1)"
expect_exit 0 "run again with another seed into the same db" \
    "$COINFER" run --seed 4 --db "$db" tests/data/cli/small.xml
expect_match "the summary names the run" "$OUT" "^run 2 complete: cli-small \(seed 4"
expect_match "the summary gives the mean sojourn and theory" "$OUT" "sojourn mean .* \(theory"
expect_eq "two runs in one database" "$(sql "$db" "SELECT count(*) FROM runs")" "2"
expect_eq "the same seed reproduces the rows" \
    "$("$COINFER" run -q --seed 3 --db "$db" tests/data/cli/small.xml; sql "$db" "SELECT count(*) FROM (SELECT request_id, t_arrival_s, t_start_s, t_done_s FROM requests WHERE run_id = 1 EXCEPT SELECT request_id, t_arrival_s, t_start_s, t_done_s FROM requests WHERE run_id = 3)")" "0"
expect_exit 2 "a bad scenario into an existing db exits 2" "$COINFER" run --db "$db" "$TMP/bad.xml"
expect_eq "a bad scenario adds no run" "$(sql "$db" "SELECT count(*) FROM runs")" "3"
expect_exit 0 "report on the database" "$COINFER" report "$db"
expect_match "report lists every run" "$OUT" "cli-small"
expect_match "report gives statuses" "$OUT" "complete"
expect_exit 2 "report on a missing database exits 2" "$COINFER" report "$TMP/missing.db"

# ---- the default scenario --------------------------------------------------------------
expect_exit 0 "run with no scenario runs scenarios/default.xml" "$COINFER" run -q --db "$TMP/d.db"
expect_eq "the default scenario is recorded" \
    "$(sql "$TMP/d.db" "SELECT status FROM runs")" "complete"

# ---- interrupted runs ---------------------------------------------------------------
# long.xml runs for 1e9 simulated seconds: it is still running when signalled.
for sig in INT TERM; do
    idb=$TMP/int-$sig.db
    "$COINFER" run --db "$idb" tests/data/cli/long.xml >"$TMP/int.out" 2>"$TMP/int.err" &
    pid=$!
    wait_until --pid "$pid" "the run to record requests before SIG$sig" has_rows "$idb" requests
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    expect_eq "SIG$sig ends the run with exit code 1" "$rc" "1"
    expect_eq "SIG$sig marks the run interrupted" "$(sql "$idb" "SELECT status FROM runs")" "interrupted"
    expect_match "SIG$sig: the error says interrupted" "$(cat "$TMP/int.err")" "interrupted at t="
    n=$(sql "$idb" "SELECT count(*) FROM requests")
    printed=$(sed -nE 's/^  requests recorded +([0-9]+)$/\1/p' "$TMP/int.out")
    expect_eq "SIG$sig: every recorded row is in the database" "$n" "$printed"
    expect_eq "SIG$sig: the database is intact" "$(sql "$idb" "PRAGMA integrity_check")" "ok"
done

kdb=$TMP/kill.db
"$COINFER" run --quiet --db "$kdb" tests/data/cli/long.xml >/dev/null 2>&1 &
pid=$!
# Killed while it writes: after its first commit of rows and a later one.
wait_until --pid "$pid" "the run to record requests before kill -9" has_rows "$kdb" requests
first=$(sql "$kdb" "SELECT count(*) FROM requests" 2>/dev/null)
wait_until --pid "$pid" "the run to commit more than $first requests before kill -9" \
    has_rows "$kdb" requests "${first:-0}"
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect_eq "after kill -9 the database opens and is intact" \
    "$(sql "$kdb" "PRAGMA integrity_check")" "ok"
expect_eq "after kill -9 the run is still marked running" \
    "$(sql "$kdb" "SELECT status FROM runs")" "running"
n=$(sql "$kdb" "SELECT count(*) FROM requests")
if [ "$n" -gt 0 ]; then pass "after kill -9 the committed rows are there ($n)"; else
    fail "after kill -9 the committed rows are there" "$n"; fi
expect_exit 0 "report reads a database left by kill -9" "$COINFER" report "$kdb"
expect_match "report shows the killed run as running" "$OUT" "running"

# ---- the progress bar: on a terminal, after the first second; never in a pipe -------
if command -v script >/dev/null 2>&1; then
    tdb=$TMP/tty.db
    # script(1) runs the command in a shell, which writes its own PID to
    # tty.pid and then becomes coinfer (exec): the PID file names the run,
    # and the SIGINT goes to it alone.
    script -qefc "echo \$\$ >$TMP/tty.pid; exec $COINFER run --db $tdb tests/data/cli/long.xml" \
        /dev/null >"$TMP/tty.out" 2>&1 &
    spid=$!
    bar_shown() { grep -q 'events/s  ETA' "$TMP/tty.out"; }
    if wait_until --pid "$spid" "the run under script(1) to show its progress bar" bar_shown; then
        kill -INT "$(cat "$TMP/tty.pid")"
    else
        [ -s "$TMP/tty.pid" ] && kill -TERM "$(cat "$TMP/tty.pid")"
        kill -TERM "$spid"
    fi
    wait "$spid" 2>/dev/null
    tty_out=$(tr '\r' '\n' <"$TMP/tty.out")
    expect_match "a terminal shows a progress bar" "$tty_out" '^\[#*\.*\] +[0-9.]+%  [0-9.e+]+ events/s  ETA '
    expect_match "the interrupted run still prints its summary on a terminal" "$tty_out" "^run 1 interrupted"
    if grep -q 'events/s  ETA' "$TMP/int.err" 2>/dev/null; then
        fail "no progress bar when stderr is not a terminal" "$(head -c 300 "$TMP/int.err")"
    else
        pass "no progress bar when stderr is not a terminal"
    fi
else
    fail "the progress-bar test needs script(1) from util-linux"
fi

# ---- model files -------------------------------------------------------------------------
expect_exit 0 "validate accepts the zoo's model files" "$COINFER" validate models/*.xml
expect_match "validate prints ok per model file" "$OUT" "models/resnet18.xml: ok"
expect_exit 2 "run refuses a model file" "$COINFER" run -q --db "$TMP/m.db" models/lenet5.xml
expect_match "run says a model file is not a scenario" "$ERR" "root element 'model' is not a coinfer scenario file"
expect_exit 2 "run refuses a radio scenario with a usage error" \
    "$COINFER" run -q --db "$TMP/radio.db" scenarios/radio-7cells.xml
expect_match "run points a radio scenario to coinfer radio" "$ERR" "coinfer radio"
if [ ! -e "$TMP/radio.db" ]; then pass "run on a radio scenario creates no database"; else
    fail "run on a radio scenario creates no database"; fi

# ---- an installed coinfer finds its schemas away from the source tree -------------------------
# The binary under test is installed as it is (-o: never rebuilt here, where
# the flags it was built with, make coverage's for one, are not known).
if make -s --no-print-directory install BUILD="$BUILD" PREFIX="$TMP/inst" -o "$BUILD/coinfer" \
    >"$TMP/install.log" 2>&1; then
    pass "make install into a prefix"
    cp tests/data/cli/small.xml "$TMP/away.xml"
    expect_exit 0 "the installed binary validates a scenario from another directory" \
        env -C "$TMP" "$TMP/inst/bin/coinfer" validate away.xml
    expect_exit 0 "the installed binary validates an installed model file" \
        env -C "$TMP" "$TMP/inst/bin/coinfer" validate "$TMP/inst/share/coinfer/models/lenet5.xml"
else
    fail "make install into a prefix" "$(tail -5 "$TMP/install.log")"
fi
