#!/usr/bin/env bash
# What running a parameter study in parallel gains and what MPI costs, on a
# sweep of short runs (scenarios/studies/uplink-rate.xml: 45 points of 20
# simulated seconds each, a fraction of a second of wall time each):
#   - parallel efficiency of `coinfer sweep --jobs 2` against `--jobs 1`:
#     T(1) / (2 T(2)) (goal of issue 13: >= 90 % at 2 workers);
#   - `mpirun -n 3` of the MPI build (rank 0 hands out points, ranks 1 and 2
#     run them: 2 workers) against `--jobs 2`: the extra wall time per point,
#     and mpirun's fixed cost, measured apart as a re-run with every point
#     complete already (nothing to run: start, plan, merge nothing, end).
#   - the CPU time per point run of the sweep process itself and of its
#     workers (the `cpu:` line of the summary), which does not depend on
#     other work on the machine as wall time does: the sweep's share bounds
#     the efficiency on 2 cores at about workers / (workers + sweep).
#   - the machine's own efficiency for two processes that share nothing
#     (one point's run twice, one after the other and at once), the ceiling
#     for any way of running points two at a time here.
# Median of REPS (3) runs of each, the sides alternating, each into a fresh
# database. Wall clock, on a machine shared with other work: noisy; the
# figures say what this machine did in this invocation (the load average is
# printed with them).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
REPS=${REPS:-3}
COINFER=$BUILD/coinfer
SW=scenarios/studies/uplink-rate.xml
. tests/scaleoututil.sh

now() { echo "$EPOCHREALTIME"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
TMP=$(mktemp -d /tmp/coinfer-bench-sweep-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

points=$("$COINFER" sweep "$SW" --count) || exit 1
timed() { # DB CMD... -> seconds (the command's stdout kept in $TMP/out)
    local t0 t1
    rm -f "$1"
    shift
    t0=$(now)
    "$@" >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; echo "sweep.bench: $* failed" >&2; exit 1; }
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# The machine's own ceiling: one point's run (200 simulated seconds of the
# sweep's joint point, a few hundred ms) twice one after the other against
# twice at once, as two independent processes: T(seq) / (2 T(par)) is what
# two cores give two processes that share nothing, the sweep's or not.
REF_RUN=("$COINFER" run scenarios/fixed-link.xml --policy joint --set "simulation@duration=200 s" --quiet)
pair_seq() {
    local t0
    rm -f "$TMP"/ra.db* "$TMP"/rb.db*
    t0=$(now)
    "${REF_RUN[@]}" --db "$TMP/ra.db" >/dev/null && "${REF_RUN[@]}" --db "$TMP/rb.db" >/dev/null ||
        { echo "sweep.bench: ${REF_RUN[*]} failed" >&2; exit 1; }
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}
pair_par() {
    local t0 p1 p2
    rm -f "$TMP"/ra.db* "$TMP"/rb.db*
    t0=$(now)
    "${REF_RUN[@]}" --db "$TMP/ra.db" >/dev/null & p1=$!
    "${REF_RUN[@]}" --db "$TMP/rb.db" >/dev/null & p2=$!
    wait $p1 && wait $p2 || { echo "sweep.bench: ${REF_RUN[*]} failed" >&2; exit 1; }
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}

have_mpi=0
if scripts/install-deps.sh --scaleout >/dev/null 2>&1 && mpi_coinfer_build >/dev/null 2>&1; then
    have_mpi=1
fi
# the sweep's and the workers' CPU ms per point, from the summary's cpu: line
cpu_of() { sed -n 's/^cpu: the sweep .* (\([0-9.e+]*\) ms a point), its workers .* (\([0-9.e+]*\) ms a point)$/\1 \2/p' "$TMP/out"; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t1=() t2=() tm=() tr=() c1s=() c1w=() c2s=() c2w=() ps=() pp=()
for _ in $(seq 1 "$REPS"); do
    ps+=("$(pair_seq)")
    pp+=("$(pair_par)")
    t1+=("$(timed "$TMP/1.db" "$COINFER" sweep "$SW" --jobs 1 --db "$TMP/1.db")")
    read -r a b <<<"$(cpu_of)"; c1s+=("$a") c1w+=("$b")
    t2+=("$(timed "$TMP/2.db" "$COINFER" sweep "$SW" --jobs 2 --db "$TMP/2.db")")
    read -r a b <<<"$(cpu_of)"; c2s+=("$a") c2w+=("$b")
    if [ "$have_mpi" = 1 ]; then
        tm+=("$(timed "$TMP/m.db" "${MPIRUN[@]}" -n 3 "$MPI_COINFER" sweep "$SW" --db "$TMP/m.db" --quiet)")
        # the same again: every point complete, nothing runs
        t0=$(now)
        "${MPIRUN[@]}" -n 3 "$MPI_COINFER" sweep "$SW" --db "$TMP/m.db" --quiet >/dev/null 2>&1
        tr+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')")
    fi
done
m1=$(median "${t1[@]}") m2=$(median "${t2[@]}")
echo "sweep: $SW, $points points, median of $REPS runs each"
printf '  --jobs 1          %7.2f s   (%s)\n' "$m1" "${t1[*]}"
printf '  --jobs 2          %7.2f s   (%s)\n' "$m2" "${t2[*]}"
awk -v a="$m1" -v b="$m2" 'BEGIN { printf "  parallel efficiency at 2 workers: %.0f %% (T1 / (2 T2); goal >= 90 %%)\n", 100 * a / (2 * b) }'
printf '  CPU per point run, median: --jobs 1: sweep %s ms, workers %s ms; --jobs 2: sweep %s ms, workers %s ms\n' \
    "$(median "${c1s[@]}")" "$(median "${c1w[@]}")" "$(median "${c2s[@]}")" "$(median "${c2w[@]}")"
awk -v s="$(median "${c2s[@]}")" -v w="$(median "${c2w[@]}")" 'BEGIN {
    printf "  the bound the sweep'"'"'s own CPU sets at 2 workers on 2 cores: %.0f %% (workers / (workers + sweep))\n", 100 * w / (w + s) }'
msq=$(median "${ps[@]}") mpa=$(median "${pp[@]}")
printf '  the machine, two independent runs of one point (%s): one after the other %.2f s, at once %.2f s\n' \
    "joint, fixed-link.xml, 200 s" "$msq" "$mpa"
awk -v a="$msq" -v b="$mpa" 'BEGIN { printf "  the machine'"'"'s own efficiency for two processes that share nothing: %.0f %% (T(seq) / (2 T(par)))\n", 100 * a / (2 * b) }'
echo "  load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$have_mpi" = 1 ]; then
    mm=$(median "${tm[@]}") mr=$(median "${tr[@]}")
    printf '  mpirun -n 3       %7.2f s   (%s)\n' "$mm" "${tm[*]}"
    printf '  mpirun -n 3, nothing to run: %.2f s (mpirun, MPI_Init, plan, MPI_Finalize)\n' "$mr"
    awk -v m="$mm" -v j="$m2" -v r="$mr" -v n="$points" 'BEGIN {
        printf "  MPI against --jobs 2: %+.1f ms per point beyond the fixed cost ((T_mpi - fixed - T_jobs2) / points)\n",
            1000 * (m - r - j) / n }'
else
    echo "  mpirun: not measured (Open MPI or make MPI=1 unavailable here)"
fi
