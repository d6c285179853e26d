#!/usr/bin/env bash
# A real Slurm job array, as `scripts/slurm/sweep.sbatch` will submit one: the
# test starts a single-node cluster (munged, slurmctld, slurmd from Debian) in
# a private directory with scripts/slurm/test-cluster.sh, submits
# `sbatch --array=0-3 --wait` of a script that writes its SLURM_ARRAY_TASK_ID
# to a file, checks that the four tasks ran once each, that a failing task makes
# `sbatch --wait` fail, and that `stop` ends every daemon it started and leaves
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

# ---- stop ----------------------------------------------------------------------------
expect_exit 0 "test-cluster.sh stop stops the cluster" "$CLUSTER" stop "$CL"
alive=""
for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive+="$p "; done
expect_eq "after stop none of the three daemons runs" "$alive" ""
expect_exit 3 "status after stop says nothing runs" "$CLUSTER" status "$CL"
expect_eq "the system's /etc/slurm and /etc/munge are as they were" "$(etc_state)" "$ETC_BEFORE"
