#!/usr/bin/env bash
# Fuzz one loader for a given time: scripts/fuzz.sh ENGINE TARGET SECONDS
# (`make fuzz TARGET=... [SECONDS=...] [ENGINE=...]` builds the target first,
# in build/fuzz/ENGINE/, then calls this).
#
#   ENGINE libfuzzer: build/fuzz/libfuzzer/fuzz/bin/TARGET over the seed corpus
#          tests/fuzz/corpus/TARGET (read only) and build/fuzz/corpus/TARGET (where
#          new inputs are saved); crashes, leaks, timeouts and out-of-memory inputs
#          land in build/fuzz/crashes/TARGET/.
#   ENGINE afl: afl-fuzz on build/fuzz/afl/fuzz/bin/TARGET (persistent mode) from
#          the seed corpus; its queue, crashes and hangs land in
#          build/fuzz/afl-out/TARGET/default/ (crashes copied to
#          build/fuzz/crashes/TARGET/).
#
# tests/fuzz/dict/TARGET.dict is used when it exists. Prints the engine's
# closing figures: executions, executions per second and coverage. Exits 1
# when the fuzzer found a crash. Run it niced on a shared machine
# (`nice -n 15 make fuzz ...`).
set -u
cd "$(dirname "$0")/.." || exit 2
engine=${1:?usage: scripts/fuzz.sh ENGINE TARGET SECONDS}
target=${2:?usage: scripts/fuzz.sh ENGINE TARGET SECONDS}
seconds=${3:?usage: scripts/fuzz.sh ENGINE TARGET SECONDS}
case "$seconds" in
    '' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac
# FUZZ_TIMEOUT: the seconds after which one input counts as a hang (10). On a
# machine shared with other work, an input that takes 1 s alone can take
# more than 10 s of wall time: raise it there rather than read starvation as
# a hang.
hang_s=${FUZZ_TIMEOUT:-10}
case "$hang_s" in
    '' | *[!0-9]* | 0) echo "fuzz: FUZZ_TIMEOUT must be a whole number of seconds >= 1, not '$hang_s'" >&2; exit 2 ;;
esac
seeds=tests/fuzz/corpus/$target
dict=tests/fuzz/dict/$target.dict
crashes=build/fuzz/crashes/$target
mkdir -p "$crashes"
[ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; exit 2; }
dict_opt=()

case "$engine" in
libfuzzer)
    bin=build/fuzz/libfuzzer/fuzz/bin/$target
    corpus=build/fuzz/corpus/$target
    mkdir -p "$corpus"
    [ -f "$dict" ] && dict_opt=("-dict=$dict")
    log=build/fuzz/$target-libfuzzer.log
    # -timeout: one input taking FUZZ_TIMEOUT s (10) is a hang; -rss_limit_mb: the loaders'
    # limits must keep any input well under 2 GB.
    "$bin" "$corpus" "$seeds" "${dict_opt[@]}" -max_total_time="$seconds" -timeout="$hang_s" \
        -rss_limit_mb=2048 -artifact_prefix="$crashes/" -print_final_stats=1 \
        -print_pcs=0 2>"$log"
    rc=$?
    grep -E '^#[0-9]+[[:space:]]+INITED' "$log" | tail -1
    grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -1
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log"
    if [ "$rc" -ne 0 ]; then
        grep -E 'ERROR|SUMMARY|fuzz:' "$log" | head -20
        echo "fuzz: $target found a failure (rc $rc): see $crashes/ and $log" >&2
        exit 1
    fi
    ;;
afl)
    bin=build/fuzz/afl/fuzz/bin/$target
    out=build/fuzz/afl-out/$target
    mkdir -p "$out"
    [ -f "$dict" ] && dict_opt=(-x "$dict")
    # Resume from the last run's queue when there is one.
    input=(-i "$seeds")
    [ -d "$out/default/queue" ] && input=(-i -)
    # AFL_SKIP_CPUFREQ: this machine's governor is not ours to change;
    # AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: core_pattern may pipe to a handler.
    AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
        AFL_NO_AFFINITY=1 ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
        afl-fuzz "${input[@]}" -o "$out" "${dict_opt[@]}" -V "$seconds" -t "$((hang_s * 1000))" -m none \
        -- "$bin" >"build/fuzz/$target-afl.log" 2>&1
    rc=$?
    stats=$out/default/fuzzer_stats
    [ -f "$stats" ] &&
        grep -E '^(execs_done|execs_per_sec|bitmap_cvg|corpus_count|saved_(crashes|hangs))' "$stats"
    found=0
    for f in "$out"/default/crashes/id:*; do
        [ -f "$f" ] || continue
        cp "$f" "$crashes/"
        found=1
    done
    if [ "$rc" -ne 0 ] || [ "$found" -eq 1 ]; then
        echo "fuzz: $target: afl-fuzz rc $rc, crashes in $crashes" \
             "(log build/fuzz/$target-afl.log)" >&2
        exit 1
    fi
    ;;
*)
    echo "fuzz: ENGINE must be libfuzzer or afl, not '$engine'" >&2
    exit 2
    ;;
esac
