#!/usr/bin/env bash
# A real Slurm job array, as `scripts/slurm/sweep.sbatch` submits one: the
# test starts a single-node cluster (munged, slurmctld, slurmd from Debian) in
# a private directory with scripts/slurm/test-cluster.sh, submits
# `sbatch --array=0-3 --wait` of a script that writes its SLURM_ARRAY_TASK_ID
# to a file, checks that the four tasks ran once each, that a failing task makes
# `sbatch --wait` fail, that scripts/slurm/sweep.sbatch runs a sweep as a
# 2-task array and a dependent merge job whose database holds the rows of a
# `--jobs 1` run, that its `submit --wait` returns with an error when a task
# fails (Slurm cancels the merge job), and that `stop` ends every daemon it started and leaves
# the system's Slurm and munge configuration as it was.
# Skips (SKIP:, counted neither way) only when the packages cannot be
# installed or the test does not run as root (the daemons run as root).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../scaleoututil.sh"

scaleout_deps_or_skip "the Slurm test"
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the Slurm test: the test cluster runs slurmd and slurmctld as root, and this is uid $(id -u)"
    exit 0
fi

CLUSTER=scripts/slurm/test-cluster.sh
# test-cluster.sh waits for conditions (munge answering, the node idle, the
# daemons gone) up to COINFER_SLURM_TIMEOUT s each (60 by default); the test
# gives it the integration tests' generous limit, so a loaded machine never
# reaches it.
export COINFER_SLURM_TIMEOUT=${COINFER_SLURM_TIMEOUT:-$WAIT_TIMEOUT_S}
# Not under $TMP: munged wants every directory above its socket searchable by all.
CL=""
cleanup() {
    if [ -n "$CL" ]; then
        "$CLUSTER" stop "$CL" >/dev/null 2>&1
        rm -rf "$CL"
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
CL=$(mktemp -d /tmp/coinfer-slurm-XXXXXX) || { fail "mktemp -d /tmp/coinfer-slurm-XXXXXX"; exit 1; }
export SLURM_CONF=$CL/slurm.conf

# What the system had before: the test must leave it as it was.
etc_state() { find /etc/slurm /etc/munge -type f -exec sha256sum {} + 2>/dev/null | sort; }
ETC_BEFORE=$(etc_state)

# ---- start ---------------------------------------------------------------------------
expect_exit 0 "test-cluster.sh start brings up munged, slurmctld and slurmd" "$CLUSTER" start "$CL"
if [ ! -s "$CL/run/slurmd.pid" ]; then
    fail "the cluster is up: the other checks need it" "stdout: $OUT" "stderr: $ERR"
    exit 1
fi
expect_match "start waits until the node is idle" "$OUT" "^slurm test cluster up in .*: node [^ ]+ idle"
expect_exit 0 "status: all three daemons run" "$CLUSTER" status "$CL"
expect_match "status: the node is idle in sinfo" "$OUT" " idle [0-9]+ [0-9]+ debug\*$"
PIDS=$(sed -nE 's/^[a-z]+: running \(PID ([0-9]+)\)$/\1/p' <<<"$OUT" | tr '\n' ' ')
expect_eq "status: three daemon PIDs" "$(wc -w <<<"$PIDS")" 3
expect_match "the generated slurm.conf keeps state and spool in the cluster's directory" \
    "$(cat "$SLURM_CONF")" "^StateSaveLocation=$CL/state$"
expect_exit 1 "a second start on the same directory is refused" "$CLUSTER" start "$CL"
expect_match "the refusal names the running daemon" "$ERR" "munged already runs for $CL"

# ---- a job array ---------------------------------------------------------------------
mkdir -p "$CL/out"
cat >"$CL/task.sh" <<'EOF'
#!/bin/sh
echo "$SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT" >"$OUTDIR/task-$SLURM_ARRAY_TASK_ID"
EOF
expect_exit 0 "sbatch --array=0-3 --wait: the array runs and every task exits 0" \
    env OUTDIR="$CL/out" sbatch --parsable --array=0-3 --wait -o "$CL/out/%A_%a.log" "$CL/task.sh"
JOB=$(head -n 1 <<<"$OUT" | cut -d';' -f1)
got=""
for f in "$CL"/out/task-*; do [ -f "$f" ] && got+="$(cat "$f");"; done
expect_eq "each of the four tasks ran once with its own SLURM_ARRAY_TASK_ID" "$got" \
    "$JOB 0 4;$JOB 1 4;$JOB 2 4;$JOB 3 4;"

cat >"$CL/fail.sh" <<'EOF'
#!/bin/sh
exit "$((SLURM_ARRAY_TASK_ID * 3))"
EOF
expect_exit 3 "sbatch --wait exits with a failed task's status" \
    sbatch --array=0-1 --wait -o /dev/null "$CL/fail.sh"

# ---- a sweep as a job array: scripts/slurm/sweep.sbatch ---------------------------------
here=$(pwd)
cat >"$CL/run.xml" <<XML
<sweep name="small" scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 2"/>
  <factor name="dur" path="simulation@duration" values="2 s"/>
  <policies>local joint</policies>
  <replications count="2" first-seed="3"/>
</sweep>
XML
expect_exit 0 "the reference: sweep --jobs 1" "$COINFER" sweep "$CL/run.xml" --jobs 1 \
    --db "$CL/j1.db" --quiet
expect_exit 0 "sweep.sbatch submit 2: a 2-task array and a dependent merge job, waited for" \
    env COINFER="$(cd "$(dirname "$COINFER")" && pwd)/$(basename "$COINFER")" \
    scripts/slurm/sweep.sbatch submit 2 "$CL/run.xml" "$CL/sw" --wait
expect_match "it names the array job" "$OUT" "^array job [0-9]+: 2 shards of $CL/run.xml into $CL/sw$"
expect_match "and the merge job after it" "$OUT" "^merge job [0-9]+: into $CL/sw/merged.db after job [0-9]+$"
expect_eq "each task left its shard" "$(cd "$CL/sw" && ls shard-*.db | tr '\n' ' ')" "shard-0.db shard-1.db "
expect_eq "each shard holds its half of the points" \
    "$(sql "$CL/sw/shard-0.db" "SELECT group_concat(point_index) FROM (SELECT point_index FROM sweep_points WHERE status = 'complete' ORDER BY 1)") $(sql "$CL/sw/shard-1.db" "SELECT group_concat(point_index) FROM (SELECT point_index FROM sweep_points WHERE status = 'complete' ORDER BY 1)")" \
    "0,2,4,6 1,3,5,7"
expect_match "the merge job's log reports both shards" "$(cat "$CL"/sw/slurm-merge-*.out)" \
    "shard-1.db: 4 points imported"
cols=$(sql "$CL/j1.db" "SELECT group_concat('quote(i.' || name || ')', ' || ''|'' || ')
    FROM pragma_table_info('inferences') WHERE name != 'run_id'")
rows() {
    sql "$1" "SELECT p.point_key || '|' || r.policy || '|' || r.seed || '|' || r.config_sha256
        || '|' || $cols FROM sweep_points p JOIN runs r USING (run_id)
        JOIN inferences i USING (run_id) ORDER BY p.point_key, i.inference_id"
}
rows1=$(rows "$CL/j1.db")
expect_eq "the merged database holds the rows of --jobs 1" \
    "$(rows "$CL/sw/merged.db" 2>/dev/null | sha256sum)" "$(sha256sum <<<"$rows1")"
expect_eq "every point complete in it" \
    "$(sql "$CL/sw/merged.db" "SELECT count(*) FROM sweep_points WHERE status = 'complete'" 2>/dev/null)" "8"
# a task that fails: the merge job is cancelled and --wait returns (it used to wait forever
# with the merge job pending on DependencyNeverSatisfied); timeout 300 only guards the test
expect_exit 1 "submit --wait with failing tasks returns, non-zero" \
    env COINFER="$CL/no-such-coinfer" timeout 300 scripts/slurm/sweep.sbatch submit 2 "$CL/run.xml" \
    "$CL/swf" --wait
expect_match "saying the merge job did not run because a task failed" "$ERR" \
    "the merge job [0-9]+ did not run: a task of array job [0-9]+ failed"
expect_eq "and no merged database exists" "$(ls "$CL/swf"/merged.db 2>/dev/null)" ""
expect_exit 2 "sweep.sbatch outside a job array is refused" scripts/slurm/sweep.sbatch \
    "$CL/run.xml" "$CL/sw"
expect_match "saying how to run it" "$ERR" "run it as a job array: sbatch --array=0-\(N-1\)"
expect_exit 2 "submit with N = 0" scripts/slurm/sweep.sbatch submit 0 "$CL/run.xml" "$CL/sw"

# ---- stop ----------------------------------------------------------------------------
expect_exit 0 "test-cluster.sh stop stops the cluster" "$CLUSTER" stop "$CL"
alive=""
for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive+="$p "; done
expect_eq "after stop none of the three daemons runs" "$alive" ""
expect_exit 3 "status after stop says nothing runs" "$CLUSTER" status "$CL"
expect_eq "the system's /etc/slurm and /etc/munge are as they were" "$(etc_state)" "$ETC_BEFORE"
