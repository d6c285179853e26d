#!/usr/bin/env bash
# `make test` under load: run it RUNS times in a row (default 3) while
# `stress-ng --cpu N` (STRESS_CPUS, default 2: as many CPU hogs as this
# machine has cores) keeps the CPUs busy, and report each run's closing line.
# `make test` has no wall-clock thresholds and its scripts wait for conditions,
# so every run must be green however slow the machine is.
#
#   scripts/stress-check.sh [RUNS]
#
# stress-ng (Debian package stress-ng) is installed by
# `scripts/install-deps.sh --stress` when missing. It runs in a session of its
# own, started here and stopped here by its process group when the runs end
# (or the script is interrupted). Each run's output goes to
# $BUILD/stress-check/run-K.log. Exit code: 0 when every run passed, 1 when
# one failed or stress-ng could not run, 2 for a bad RUNS.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
RUNS=${1:-3}
CPUS=${STRESS_CPUS:-2}
case "$RUNS$CPUS" in '' | *[!0-9]*)
    echo "stress-check: RUNS and STRESS_CPUS are whole numbers (got '$RUNS', '$CPUS')" >&2
    exit 2 ;;
esac
if [ $# -gt 1 ] || [ "$RUNS" -lt 1 ] || [ "$CPUS" -lt 1 ]; then
    echo "usage: scripts/stress-check.sh [RUNS]   (RUNS >= 1, STRESS_CPUS >= 1)" >&2
    exit 2
fi
scripts/install-deps.sh --stress || { echo "stress-check: stress-ng is not installed" >&2; exit 1; }
logs=$BUILD/stress-check
mkdir -p "$logs"

STRESS_PID=""
stop_stress() {
    [ -n "$STRESS_PID" ] || return 0
    kill -TERM -- "-$STRESS_PID" 2>/dev/null
    wait "$STRESS_PID" 2>/dev/null
    STRESS_PID=""
}
trap stop_stress EXIT
trap 'exit 1' INT TERM

# setsid makes stress-ng the leader of its own session and process group (a
# background job of a script is no group leader, so setsid does not fork and
# $! is stress-ng's PID = its group's id): its workers are signalled by that
# group alone.
setsid stress-ng --cpu "$CPUS" --quiet &
STRESS_PID=$!
# Its workers run once it has CPUS children (the CPU hogs).
workers() { [ "$(ps -o pid= --ppid "$STRESS_PID" | wc -l)" -ge "$CPUS" ]; }
for _ in $(seq 1 300); do
    workers && break
    kill -0 "$STRESS_PID" 2>/dev/null || break
    sleep 0.1
done
if ! workers; then
    echo "stress-check: stress-ng --cpu $CPUS did not start its workers" >&2
    exit 1
fi
echo "stress-ng --cpu $CPUS runs (process group $STRESS_PID); make test $RUNS times:"

status=0
for ((k = 1; k <= RUNS; k++)); do
    log=$logs/run-$k.log
    start=$SECONDS
    make --no-print-directory BUILD="$BUILD" test >"$log" 2>&1
    rc=$?
    kill -0 "$STRESS_PID" 2>/dev/null || { echo "stress-check: stress-ng ended early" >&2; status=1; }
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    [ -n "$line" ] || line="no closing line (make exited $rc)"
    [ "$rc" -eq 0 ] || status=1
    verdict=$([ "$rc" -eq 0 ] && echo green || echo RED)
    echo "run $k: $verdict: $line, $((SECONDS - start)) s," \
        "load $(cut -d' ' -f1-3 /proc/loadavg) (log: $log)"
    [ "$rc" -eq 0 ] || grep -E '^(FAIL|failed:)' "$log" | sed 's/^/    /'
done
stop_stress
echo "stress check: $([ "$status" -eq 0 ] && echo "all $RUNS runs green" || echo "NOT all green")" \
    "under stress-ng --cpu $CPUS"
exit $status
