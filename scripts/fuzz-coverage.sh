#!/usr/bin/env bash
# How much of each loader its fuzz corpus reaches: scripts/fuzz-coverage.sh
# [TARGET...] (`make fuzz-coverage` builds the replay drivers with --coverage
# in build/coverage/ first, then calls this; default: every target).
#
# For each target it zeroes the counters, replays the seed corpus
# (tests/fuzz/corpus/T), what the fuzzers saved (build/fuzz/corpus/T) and the
# past crashes (tests/fuzz/crashes/T) through build/coverage/fuzz/replay/T,
# and prints the lines and branches hit in the loader's own files (below),
# as lcov counts them. A figure, not a check: nothing fails on it.
set -u
cd "$(dirname "$0")/.." || exit 2
build=build/coverage
rc_branch=(--rc lcov_branch_coverage=1)
files_of() {
    case "$1" in
        scenario) echo sim/io/scenario.c sim/io/check.c sim/io/config.c sim/io/xml_load.c \
                       sim/io/xml_scan.c ;;
        model) echo sim/io/model_file.c ;;
        weights) echo sim/nn/weights.c ;;
        sweep) echo sim/io/sweep.c ;;
        onnx) echo sim/io/onnx_import.c ;;
        expr) echo sim/io/sweep_expr.c ;;
        report) echo sim/run/report.c sim/db/reader.c ;;
        *) return 1 ;;
    esac
}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || for src in tests/fuzz/*.c; do targets+=("$(basename "$src" .c)"); done
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

printf '%-9s %7s  %-22s %-22s %s\n' target inputs lines branches files
for t in "${targets[@]}"; do
    files=$(files_of "$t") || { echo "fuzz-coverage: no target '$t'" >&2; exit 2; }
    inputs=(tests/fuzz/corpus/"$t")
    [ -d build/fuzz/corpus/"$t" ] && inputs+=(build/fuzz/corpus/"$t")
    [ -d tests/fuzz/crashes/"$t" ] && inputs+=(tests/fuzz/crashes/"$t")
    lcov -q --zerocounters --directory "$build/obj" || exit 1
    "$build/fuzz/replay/$t" "${inputs[@]}" >"$tmp/replay.log" 2>&1 ||
        { echo "fuzz-coverage: the $t replay failed:" >&2; tail -5 "$tmp/replay.log" >&2; exit 1; }
    n=$(find "${inputs[@]}" -type f | wc -l)
    lcov -q "${rc_branch[@]}" --capture --directory "$build/obj" --base-directory . \
        --output-file "$tmp/all.info" 2>/dev/null || exit 1
    patterns=()
    for f in $files; do patterns+=("$PWD/$f"); done
    lcov -q "${rc_branch[@]}" --extract "$tmp/all.info" "${patterns[@]}" \
        --output-file "$tmp/t.info" 2>/dev/null || exit 1
    awk -v t="$t" -v n="$n" -v files="$files" '
        /^LF:/ { lf += substr($0, 4) } /^LH:/ { lh += substr($0, 4) }
        /^BRF:/ { bf += substr($0, 5) } /^BRH:/ { bh += substr($0, 5) }
        END {
            printf "%-9s %7d  %5d/%-5d %6.1f%%    %5d/%-5d %6.1f%%    %s\n", t, n, lh, lf,
                   lf ? 100 * lh / lf : 0, bh, bf, bf ? 100 * bh / bf : 0, files
        }' "$tmp/t.info"
done
