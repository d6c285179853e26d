#!/usr/bin/env bash
# The cost of launching work through the scale-out tools, which `coinfer sweep`
# pays once per sweep (mpirun) or once per array (Slurm):
#   - `mpirun -n 3` of tests/mpi/test_mpi_hello (MPI_Init, a 4 MiB round trip
#     to each of ranks 1 and 2, MPI_Finalize), against the same machine
#     starting 3 processes (`true`) in parallel without mpirun;
#   - a 4-task Slurm job array of a script that writes one file, on the
#     single-node test cluster (scripts/slurm/test-cluster.sh), two ways:
#     `sbatch --array=0-3 --wait` (what a script sees: sbatch --wait polls
#     after 2 s, then every 8 s) and submit-to-last-task-done (squeue polled
#     every 20 ms), against the same 4 tasks run by sh, 2 at a time (the
#     node's 2 CPUs), without Slurm;
#   - the test cluster's start (until the node is idle and the scheduler has
#     run) and stop, once each.
# Median of REPS (5) runs, the two sides alternating. No goal: the figures say
# what a launch costs. Wall clock, on a machine shared with other work: noisy.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
REPS=${REPS:-5}
. tests/scaleoututil.sh

if ! why=$(scripts/install-deps.sh --scaleout 2>&1); then
    echo "scaleout: the scale-out packages could not be installed, nothing measured: $why"
    exit 0
fi

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- mpirun -------------------------------------------------------------------------
if ! mpi_hello_build >/dev/null; then
    echo "scaleout: make MPI=1 of $MPI_HELLO failed" >&2
    exit 1
fi
mpi=()
ref=()
for _ in $(seq 1 "$REPS"); do
    t0=$(now)
    "${MPIRUN[@]}" -n 3 "$MPI_HELLO" >/dev/null || { echo "scaleout: mpirun failed" >&2; exit 1; }
    t1=$(now)
    true & true & true & wait
    t2=$(now)
    mpi+=("$(elapsed "$t0" "$t1")")
    ref+=("$(elapsed "$t1" "$t2")")
done
echo "mpirun -n 3 test_mpi_hello: median_s=$(median "${mpi[@]}") (runs: ${mpi[*]})"
echo "3 processes without mpirun: median_s=$(median "${ref[@]}")"

# ---- Slurm --------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm: not measured: the test cluster runs its daemons as root, and this is uid $(id -u)"
    exit 0
fi
CL=""
trap '[ -z "$CL" ] || { scripts/slurm/test-cluster.sh stop "$CL" >/dev/null 2>&1; rm -rf "$CL"; }' EXIT
trap 'exit 1' INT TERM
CL=$(mktemp -d /tmp/coinfer-slurm-XXXXXX) || exit 1
export SLURM_CONF=$CL/slurm.conf
t0=$(now)
scripts/slurm/test-cluster.sh start "$CL" >/dev/null || exit 1
t1=$(now)
start_s=$(elapsed "$t0" "$t1")

mkdir -p "$CL/out"
cat >"$CL/task.sh" <<'EOF'
#!/bin/sh
echo "$SLURM_ARRAY_TASK_ID" >"$OUTDIR/task-$SLURM_ARRAY_TASK_ID"
EOF
export OUTDIR=$CL/out
queue_empty() { [ -z "$(squeue -h -j "$1" 2>/dev/null)" ]; }
wait_s=()
done_s=()
local_s=()
for _ in $(seq 1 "$REPS"); do
    t0=$(now)
    sbatch --array=0-3 --wait -o /dev/null "$CL/task.sh" >/dev/null ||
        { echo "scaleout: sbatch --wait failed" >&2; exit 1; }
    t1=$(now)
    job=$(sbatch --parsable --array=0-3 -o /dev/null "$CL/task.sh") ||
        { echo "scaleout: sbatch failed" >&2; exit 1; }
    until queue_empty "${job%%;*}"; do sleep 0.02; done
    t2=$(now)
    SLURM_ARRAY_TASK_ID=0 sh "$CL/task.sh" & SLURM_ARRAY_TASK_ID=1 sh "$CL/task.sh" & wait
    SLURM_ARRAY_TASK_ID=2 sh "$CL/task.sh" & SLURM_ARRAY_TASK_ID=3 sh "$CL/task.sh" & wait
    t3=$(now)
    wait_s+=("$(elapsed "$t0" "$t1")")
    done_s+=("$(elapsed "$t1" "$t2")")
    local_s+=("$(elapsed "$t2" "$t3")")
done
t0=$(now)
scripts/slurm/test-cluster.sh stop "$CL" >/dev/null || exit 1
t1=$(now)
stop_s=$(elapsed "$t0" "$t1")

echo "slurm array 0-3, sbatch --wait: median_s=$(median "${wait_s[@]}") (runs: ${wait_s[*]})"
echo "slurm array 0-3, submit to last task done: median_s=$(median "${done_s[@]}") (runs: ${done_s[*]})"
echo "the same 4 tasks without Slurm: median_s=$(median "${local_s[@]}")"
echo "test cluster start_s=$start_s stop_s=$stop_s"
echo
echo "reproduce: make bench, or REPS=$REPS bash tests/bench/scaleout.bench.sh"
