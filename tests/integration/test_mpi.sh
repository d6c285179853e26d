#!/usr/bin/env bash
# `make MPI=1` and mpirun as `coinfer sweep` will use them: the Makefile builds
# tests/mpi/test_mpi_hello.c with mpicc and COINFER_MPI, and `mpirun -n 3` runs
# it (rank/size checks, a 4 MiB round trip from rank 0 to each other rank).
# With one rank the program must refuse, so the test can see it fail.
# Skips (SKIP:, counted neither way) only when Open MPI cannot be installed.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../scaleoututil.sh"

scaleout_deps_or_skip "the MPI test"

expect_exit 0 "make MPI=1 builds the MPI test program with mpicc" mpi_hello_build
expect_match "the MPI build compiles with mpicc and -DCOINFER_MPI" "$OUT" \
    "^mpicc .*-DCOINFER_MPI .*tests/mpi/test_mpi_hello.c"
expect_match "the MPI build records Open MPI in its config.mk" "$(cat "$MPI_BUILD/config.mk")" \
    "^CONFIG_MPI := .*Open MPI"

if [ -x "$MPI_HELLO" ]; then
    expect_exit 0 "mpirun -n 3: ranks, size and round trips from rank 0 hold" \
        "${MPIRUN[@]}" -n 3 "$MPI_HELLO"
    expect_match "mpirun -n 3: rank 0 reports both round trips" "$OUT" \
        "^test_mpi_hello: 3 ranks; round trips 0->r->0 of 4194312 bytes ok for r = 1..2$"
    expect_exit 1 "mpirun -n 1: the program refuses a single rank" "${MPIRUN[@]}" -n 1 "$MPI_HELLO"
    expect_match "mpirun -n 1: it says it needs two ranks" "$OUT" "needs at least 2 ranks"
else
    fail "the MPI test program exists after make MPI=1" "no $MPI_HELLO"
fi

# ---- coinfer sweep under mpirun ------------------------------------------------------
expect_exit 0 "make MPI=1 builds coinfer" mpi_coinfer_build
if [ ! -x "$MPI_COINFER" ]; then
    fail "coinfer exists after make MPI=1" "no $MPI_COINFER"
    exit 0
fi
here=$(pwd)
cat >"$TMP/run.xml" <<XML
<sweep name="small" scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 2"/>
  <factor name="dur" path="simulation@duration" values="2 s"/>
  <policies>local joint</policies>
  <replications count="2" first-seed="3"/>
</sweep>
XML
expect_exit 0 "the reference: sweep --jobs 1 (the plain build)" "$COINFER" sweep "$TMP/run.xml" \
    --jobs 1 --db "$TMP/j1.db" --quiet
mkdir -p "$TMP/ranks"
expect_exit 0 "mpirun -n 3 coinfer sweep: rank 0 farms the points to ranks 1 and 2" \
    env TMPDIR="$TMP/ranks" "${MPIRUN[@]}" -n 3 "$MPI_COINFER" sweep "$TMP/run.xml" \
    --db "$TMP/m.db"
expect_match "rank 0 alone reports the sweep" "$OUT" \
    "^sweep small: 8 points: 8 run now, 0 failed now, 0 complete before; .* on 3 MPI ranks"
expect_eq "one report only" "$(grep -c '^sweep small' <<<"$OUT")" "1"
expect_eq "every point complete with a run of its own" \
    "$(sql "$TMP/m.db" "SELECT count(*), count(DISTINCT run_id) FROM sweep_points
        WHERE status = 'complete'")" "8|8"
cols=$(sql "$TMP/j1.db" "SELECT group_concat('quote(i.' || name || ')', ' || ''|'' || ')
    FROM pragma_table_info('inferences') WHERE name != 'run_id'")
rows() {
    sql "$1" "SELECT p.point_key || '|' || r.policy || '|' || r.seed || '|' || r.config_sha256
        || '|' || $cols FROM sweep_points p JOIN runs r USING (run_id)
        JOIN inferences i USING (run_id) ORDER BY p.point_key, i.inference_id"
}
rows1=$(rows "$TMP/j1.db")
expect_eq "the rows are those of --jobs 1" "$(rows "$TMP/m.db" | sha256sum)" \
    "$(sha256sum <<<"$rows1")"
expect_eq "and there are rows to compare" "$(($(wc -l <<<"$rows1") > 8))" "1"
expect_eq "the ranks' own databases are gone from local disk" "$(ls -A "$TMP/ranks")" ""
expect_eq "and rank 0's merge directory too" "$(ls -d "$TMP/m.db.mpi-tmp" 2>/dev/null)" ""
expect_exit 0 "mpirun again resumes" "${MPIRUN[@]}" -n 3 "$MPI_COINFER" sweep "$TMP/run.xml" \
    --db "$TMP/m.db"
expect_match "running nothing twice" "$OUT" "8 points: 0 run now, 0 failed now, 8 complete before"
sed 's/values="1, 2"/values="1, 2, 3"/' "$TMP/run.xml" >"$TMP/run3.xml"
expect_exit 0 "mpirun -n 2 with one more value" "${MPIRUN[@]}" -n 2 "$MPI_COINFER" sweep \
    "$TMP/run3.xml" --db "$TMP/m.db"
expect_match "runs the new points on the one worker rank" "$OUT" \
    "12 points: 4 run now, 0 failed now, 8 complete before"
expect_eq "12 runs" "$(sql "$TMP/m.db" "SELECT count(*) FROM runs WHERE status = 'complete'")" "12"

# a failing point is marked failed at once, the others go on
# statuses DB: each point's status, exit status and whether its error names the bad model
statuses() {
    sql "$1" "SELECT group_concat(status || ':' || coalesce(exit_status, '') || ':' ||
        coalesce(error LIKE '%lenet5.xml:1: not well-formed XML%', 0), ' ') FROM
        (SELECT * FROM sweep_points ORDER BY point_index)"
}
mkdir -p "$TMP/m"
echo "not a model" >"$TMP/m/lenet5.xml"
cat >"$TMP/fail.xml" <<XML
<sweep name="fail" scenario="$here/scenarios/collab-small.xml">
  <factor name="dur" path="simulation@duration" values="1 s, 2 s"/>
  <factor name="lenet" path="model[lenet5]@file" values="$TMP/m/lenet5.xml, $here/models/lenet5.xml"/>
</sweep>
XML
expect_exit 1 "mpirun: a sweep with failing points exits 1" "${MPIRUN[@]}" -n 3 "$MPI_COINFER" \
    sweep "$TMP/fail.xml" --db "$TMP/f.db"
expect_match "saying how many failed" "$ERR" "sweep fail: 2 points failed"
expect_eq "the failed points carry the worker's exit status and stderr" \
    "$(statuses "$TMP/f.db")" \
    "failed:2:1 complete:0:0 failed:2:1 complete:0:0"
# one worker rank gets the points in chunks (2, then 1 and 1: the points left
# over twice the workers): a chunk that holds a failing and a complete point
expect_exit 1 "mpirun -n 2: the same sweep, its points handed out in chunks" \
    "${MPIRUN[@]}" -n 2 "$MPI_COINFER" sweep "$TMP/fail.xml" --db "$TMP/f2.db"
expect_match "the same two failed" "$ERR" "sweep fail: 2 points failed"
expect_eq "each point of a chunk ends as it does alone" \
    "$(statuses "$TMP/f2.db")" \
    "failed:2:1 complete:0:0 failed:2:1 complete:0:0"
expect_exit 0 "--retry-failed after the model is mended" bash -c \
    "cp '$here/models/lenet5.xml' '$TMP/m/lenet5.xml' && $(printf '%q ' "${MPIRUN[@]}") -n 2 \
    '$MPI_COINFER' sweep '$TMP/fail.xml' --db '$TMP/f2.db' --retry-failed"
expect_match "runs the two again, in one chunk" "$OUT" \
    "4 points: 2 run now, 0 failed now, 2 complete before"
expect_exit 2 "--jobs under mpirun is a usage error" "${MPIRUN[@]}" -n 2 "$MPI_COINFER" sweep \
    "$TMP/run.xml" --db "$TMP/m.db" --jobs 2
expect_match "naming the option" "$ERR" "--jobs does not go with mpirun"
expect_exit 2 "a coinfer built without MPI refuses to run under mpirun" "${MPIRUN[@]}" -n 2 \
    "$COINFER" sweep "$TMP/run.xml" --db "$TMP/n.db"
expect_match "saying how to build one that can" "$ERR" "built without MPI: build it with \`make MPI=1\`"
expect_eq "and runs nothing" "$(ls "$TMP/n.db" 2>/dev/null)" ""
