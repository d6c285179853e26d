#!/usr/bin/env bash
# `make bench REF=<rev>`: the current build side by side with revision <rev>.
#
#   scripts/bench-ref.sh REV      (BUILD, RUNS, SCENARIO, BENCH_DURATION,
#                                  PHOLD_LPS, PHOLD_EVENTS from the environment)
#
# REV (any git revision: 8236c7f, HEAD~3, a tag) is extracted with `git archive`
# into a temporary directory $BUILD/bench-ref/tree.XXXXXX and built there by its
# own Makefile into its own build/ (the working tree's $BUILD is not touched;
# CC, OPT, CFLAGS, LDFLAGS and SAN of this invocation are passed on, so both
# sides are compiled alike). The directory is removed at exit, also on error or
# interruption; the build log stays in $BUILD/bench-ref/ref-build.log. A
# revision that does not build stops the comparison with exit 1.
#
# Then, for each figure, the reference and the current binary run RUNS times
# (5) each, alternating (ref, cur, ref, cur, ...; with the default-environment
# figures below, each round is ref, cur clean then ref, cur default), under
# nice -n 10:
#   protocol split-default, protocol joint: build/bench/protocol on SCENARIO
#     (scenarios/bench-1000ues.xml) with its <simulation duration> rewritten to
#     BENCH_DURATION ("30 s"; empty keeps the file's 60 s) so a run takes
#     seconds; figure: inferences per wall second. A figure is named by the
#     current policy; a reference whose C sources do not name that policy runs
#     the one it was called there (OLD_NAME below: split-default was `split`
#     and joint `oracle` before issue 10), and the printout says so;
#   PHOLD N LPs: build/bench/phold --lps N --events-per-lp 10 --events
#     PHOLD_EVENTS (10,000,000), N in PHOLD_LPS ("1000 100000"); figure:
#     events per wall second.
# Only arguments every revision since the benchmarks exist understands are
# passed (protocol: SCENARIO --policy P; phold: --lps --events-per-lp
# --events); the duration is shortened in a copy of the scenario rather than
# with --set, which older revisions lack. Each side reads its own revision's
# scenario and model files (copies whose relative file="..." paths point into
# that revision's tree); the printout says whether they are identical.
#
# OpenBLAS: the main figures run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# unset in the measured command alone; when the environment sets either, every
# round also runs both sides in the environment as it is ("default" rows).
#
# Printed per figure: median, min and max of each side, the ratio
# current/reference of the medians (throughput: > 1 means current is faster)
# and a verdict (no slower; slower within noise when the two sides' ranges
# overlap; SLOWER when they do not), then the commands that reproduce it. A
# program whose two binaries have byte-identical code and data (.text,
# .rodata, .data; objcopy) is named: its ratio shows the noise alone.
# Figures are wall clock: other work on the machine makes them noisy.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
SCENARIO=${SCENARIO:-scenarios/bench-1000ues.xml}
DURATION=${BENCH_DURATION-30 s}
PHOLD_LPS=${PHOLD_LPS-1000 100000}
PHOLD_EVENTS=${PHOLD_EVENTS:-10000000}
PHOLD_M=10

usage() {
    echo "usage: scripts/bench-ref.sh REV   (or: make bench REF=REV)" >&2
    echo "  compares build/bench/protocol (split-default, joint) and build/bench/phold with the" >&2
    echo "  same programs built from git revision REV; see the head of this script." >&2
    exit 2
}
die() { echo "bench-ref: $1" >&2; exit "${2:-1}"; }

[ $# -eq 1 ] || usage
case "$1" in -h | --help) usage ;; esac
REF=$1
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$RUNS'" 2
[[ $PHOLD_EVENTS =~ ^[1-9][0-9]*$ ]] || die "PHOLD_EVENTS must be a positive integer, not '$PHOLD_EVENTS'" 2
for n in $PHOLD_LPS; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "PHOLD_LPS must list positive integers, not '$PHOLD_LPS'" 2
done
[ -f "$SCENARIO" ] || die "SCENARIO '$SCENARIO' is not a file" 2
[[ -z $DURATION || $DURATION =~ ^[0-9.]+\ ?[a-z]+$ ]] ||
    die "BENCH_DURATION must be a duration such as '20 s', not '$DURATION'" 2

git rev-parse --git-dir >/dev/null 2>&1 || die "REF needs a git checkout of coinfer" 2
sha=$(git rev-parse --verify --quiet "$REF^{commit}") ||
    die "REF='$REF' is not a commit of this repository (git rev-parse --verify '$REF^{commit}')" 2
short=$(git rev-parse --short "$sha")
cur_desc=$(git describe --always --dirty --tags 2>/dev/null || echo unknown)

# The benchmarks compared: a program the reference lacks is left out, saying so.
progs=()
for p in protocol phold; do
    [ -x "$BUILD/bench/$p" ] || die "$BUILD/bench/$p is missing (make BUILD=$BUILD $BUILD/bench/$p)"
    if git cat-file -e "$sha:tests/bench/$p.c" 2>/dev/null; then
        progs+=("$p")
    else
        echo "bench-ref: $REF has no tests/bench/$p.c: its figures are left out" >&2
    fi
done
[ "${#progs[@]}" -gt 0 ] || die "$REF has neither tests/bench/protocol.c nor tests/bench/phold.c"

# --- the reference tree and its build ----------------------------------------
mkdir -p "$BUILD/bench-ref" || exit 1
work=$(cd "$BUILD/bench-ref" && pwd) || exit 1
tree=$(mktemp -d "$work/tree.XXXXXX") || exit 1
trap 'rm -rf "$tree"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

set -o pipefail
git archive --format=tar "$sha" | tar -x -C "$tree" || die "git archive $sha failed"
set +o pipefail

make_args=(BUILD=build)
[ -n "${BENCH_CC:-}" ] && make_args+=("CC=$BENCH_CC")
[ -n "${BENCH_OPT:-}" ] && make_args+=("OPT=$BENCH_OPT")
[ -n "${BENCH_CFLAGS:-}" ] && make_args+=("CFLAGS=$BENCH_CFLAGS")
[ -n "${BENCH_LDFLAGS:-}" ] && make_args+=("LDFLAGS=$BENCH_LDFLAGS")
[ -n "${BENCH_SAN:-}" ] && make_args+=("SAN=$BENCH_SAN")
targets=()
for p in "${progs[@]}"; do targets+=("build/bench/$p"); done
log=$work/ref-build.log
echo "Building $REF ($short) in $tree: make ${make_args[*]} ${targets[*]} (log: $log)"
# The parent make's MAKEFLAGS (BUILD=, REF=, -j) must not reach the reference's
# make; GIT_CEILING_DIRECTORIES keeps its `git describe` from finding this
# checkout (the reference's version string is "unknown").
if ! (cd "$tree" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL GIT_CEILING_DIRECTORIES="$work" \
    nice -n 10 make "${make_args[@]}" "${targets[@]}") >"$log" 2>&1; then
    echo "bench-ref: revision $REF ($short) failed to build; the end of $log:" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
    exit 1
fi

# --- the scenario copies -------------------------------------------------------
# scenario_copy SRC ROOT DST: SRC (relative to ROOT) with the duration rewritten
# and every relative file="..." made absolute under ROOT's copy of SRC's folder.
scenario_copy() {
    local src=$1 root=$2 dst=$3 dir esc
    dir=$(cd "$root/$(dirname "$src")" && pwd) || return 1
    esc=$(printf '%s' "$dir" | sed 's/[|&\\]/\\&/g')
    sed -E -e "s|file=\"([^/\"][^\"]*)\"|file=\"$esc/\\1\"|g" "$root/$src" >"$dst" || return 1
    if [ -n "$DURATION" ]; then
        sed -E -i "s|(<simulation[^>]*[[:space:]]duration=\")[^\"]*\"|\\1$DURATION\"|" "$dst" || return 1
        grep -q "<simulation[^>]*[[:space:]]duration=\"$DURATION\"" "$dst" ||
            die "$src has no <simulation duration=\"...\"> on one line to shorten (set BENCH_DURATION= to keep it)" 2
    fi
}
# inputs_differ: the scenario and the files it names that differ between the trees
inputs_differ() {
    local f rel
    cmp -s "$SCENARIO" "$tree/$SCENARIO" || echo "$SCENARIO"
    while IFS= read -r f; do
        rel=$(dirname "$SCENARIO")/$f
        cmp -s "$rel" "$tree/$rel" || echo "$rel"
    done < <(sed -nE 's/.*file="([^/"][^"]*)".*/\1/p' "$SCENARIO" | sort -u)
}
name=$(basename "$SCENARIO" .xml)
scen_cur=$work/$name.xml
scen_ref=$tree/$name.xml
inputs_note=""
if printf '%s\n' "${progs[@]}" | grep -qx protocol; then
    scenario_copy "$SCENARIO" . "$scen_cur" || die "cannot write $scen_cur"
    if [ -f "$tree/$SCENARIO" ]; then
        scenario_copy "$SCENARIO" "$tree" "$scen_ref" || die "cannot write $scen_ref"
        differ=$(inputs_differ | tr '\n' ' ')
        if [ -z "$differ" ]; then
            inputs_note="$SCENARIO and the model files it names are identical in both revisions."
        else
            inputs_note="NOTE: these inputs differ between the revisions (each side reads its own): $differ"
        fi
    else
        # The reference lacks the scenario: it reads the current one, with the
        # files it names taken from the reference's tree.
        mkdir -p "$tree/$(dirname "$SCENARIO")"
        cp "$SCENARIO" "$tree/$SCENARIO"
        scenario_copy "$SCENARIO" "$tree" "$scen_ref" || die "cannot write $scen_ref"
        inputs_note="NOTE: $REF has no $SCENARIO; it runs the current one (its own model files)."
    fi
fi

# same_code A B: whether binaries A and B have byte-identical .text, .rodata
# and .data (then they run the same instructions at the same addresses).
same_code() {
    local s rc=0
    command -v objcopy >/dev/null 2>&1 || return 1
    for s in .text .rodata .data; do
        if ! objcopy -O binary --only-section="$s" "$1" "$work/a.sec" 2>/dev/null ||
            ! objcopy -O binary --only-section="$s" "$2" "$work/b.sec" 2>/dev/null ||
            ! cmp -s "$work/a.sec" "$work/b.sec"; then
            rc=1
            break
        fi
    done
    rm -f "$work/a.sec" "$work/b.sec"
    return $rc
}
same=()
for p in "${progs[@]}"; do
    same_code "$tree/build/bench/$p" "$BUILD/bench/$p" && same+=("$p")
done

# --- the figures -----------------------------------------------------------------
# A figure: "protocol POLICY" or "phold N".
figures=()
for p in "${progs[@]}"; do
    case $p in
        protocol) figures+=("protocol split-default" "protocol joint") ;;
        phold) for n in $PHOLD_LPS; do figures+=("phold $n"); done ;;
    esac
done

# A policy's name in revisions older than its current name: before issue 10,
# split-default (the best split on the default options) was `split` and joint
# (the method with its exact optimiser) was `oracle`.
declare -A OLD_NAME=([split-default]=split [joint]=oracle)
# ref_policy P: P as the reference calls it: P when a C file of its sim/ has
# the string "P" (its policy table; comments in headers do not count), else
# its old name (when it has one).
ref_policy() {
    if grep -rqF --include='*.c' "\"$1\"" "$tree/sim" 2>/dev/null || [ -z "${OLD_NAME[$1]:-}" ]; then
        echo "$1"
    else
        echo "${OLD_NAME[$1]}"
    fi
}
policy_notes=()
for f in "${figures[@]}"; do
    read -r kind arg <<<"$f"
    if [ "$kind" = protocol ] && [ "$(ref_policy "$arg")" != "$arg" ]; then
        policy_notes+=("$REF has no policy '$arg': its row runs the reference's '$(ref_policy "$arg")' (the same policy under its old name).")
    fi
done

# command SIDE FIGURE: the argument vector of one run, one word a line
command_of() {
    local side=$1 kind=$2 arg=$3 bin scen
    if [ "$side" = ref ]; then bin=$tree/build/bench; scen=$scen_ref; else bin=$BUILD/bench; scen=$scen_cur; fi
    if [ "$side" = ref ] && [ "$kind" = protocol ]; then arg=$(ref_policy "$arg"); fi
    case $kind in
        protocol) printf '%s\n' "$bin/protocol" "$scen" --policy "$arg" ;;
        phold) printf '%s\n' "$bin/phold" --lps "$arg" --events-per-lp "$PHOLD_M" --events "$PHOLD_EVENTS" ;;
    esac
}
field_of() { [ "$1" = protocol ] && echo inferences_per_s || echo events_per_s; }
label_of() { [ "$1" = protocol ] && echo "protocol $2" || echo "PHOLD $2 LPs"; }
unit_of() { [ "$1" = protocol ] && echo "inferences/s" || echo "events/s"; }

envs=(clean)
env_desc="OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)}"
if [ -n "${OPENBLAS_CORETYPE:-}" ] || [ -n "${OPENBLAS_L2_SIZE:-}" ]; then
    envs+=(default)
fi
# run_in ENV COMMAND...: COMMAND niced; "clean" with both OpenBLAS variables unset.
# Each binary finds its own tree's schemas (no COINFER_*SCHEMA_DIR override).
run_in() {
    local e=$1
    shift
    if [ "$e" = clean ]; then
        nice -n 10 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u COINFER_SCHEMA_DIR \
            -u COINFER_MODEL_SCHEMA_DIR "$@"
    else
        nice -n 10 env -u COINFER_SCHEMA_DIR -u COINFER_MODEL_SCHEMA_DIR "$@"
    fi
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo -; }

declare -A vals
status=0
load_start=$(loadavg)
errf=$work/run.err
# Per figure, RUNS rounds; a round runs ref then cur in each environment, so
# that both sides and both environments share the machine's drifts alike.
for f in "${figures[@]}"; do
    read -r kind arg <<<"$f"
    fld=$(field_of "$kind")
    for ((i = 0; i < RUNS; i++)); do
        for e in "${envs[@]}"; do
            for side in ref cur; do
                mapfile -t cmd < <(command_of "$side" "$kind" "$arg")
                if ! out=$(run_in "$e" "${cmd[@]}" 2>"$errf"); then
                    echo "bench-ref: $side run failed: ${cmd[*]}" >&2
                    sed 's/^/    /' "$errf" | tail -n 5 >&2
                    status=1
                    continue
                fi
                v=$(tail -n 1 <<<"$out" | sed -nE "s/.*(^| )$fld=([0-9.e+-]+).*/\\2/p")
                if [ -z "$v" ]; then
                    echo "bench-ref: $side run printed no $fld=: ${cmd[*]}" >&2
                    status=1
                    continue
                fi
                vals[$e,$f,$side]+="$v "
            done
        done
    done
done
rm -f "$errf"

# stats VALUES...: "median min max" (median of an even count: the mean of the middle two)
stats() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - -"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.0f %.0f %.0f\n", m, v[1], v[NR] }'
}

echo
echo "Side by side: current ($cur_desc, $BUILD/) against REF=$REF ($short, built in a"
echo "temporary tree, removed at exit). Median of $RUNS runs each, alternating ref, cur, ...,"
echo "nice -n 10; wall clock: noisy when other work runs. Load average (1, 5, 15 min) at the"
echo "start: $load_start; at the end: $(loadavg); on $(nproc) cores."
echo "ratio = current / reference throughput (> 1: current faster). clean = OPENBLAS_CORETYPE"
echo "and OPENBLAS_L2_SIZE unset in the measured command; default = the environment as given"
echo "($env_desc)."
[ -n "$inputs_note" ] && echo "$inputs_note"
for n in "${policy_notes[@]}"; do echo "$n"; done
for p in "${same[@]}"; do
    echo "$p: both binaries have byte-identical code and data (.text, .rodata, .data): its"
    echo "ratios show the measurement's noise alone."
done
printf '%-7s  %-22s  %-12s  %10s %-23s  %10s %-23s  %6s  %s\n' env figure unit \
    "ref median" "(min-max)" "cur median" "(min-max)" ratio verdict
for e in "${envs[@]}"; do
    for f in "${figures[@]}"; do
        read -r kind arg <<<"$f"
        # shellcheck disable=SC2086
        read -r rmed rlo rhi <<<"$(stats ${vals[$e,$f,ref]:-})"
        # shellcheck disable=SC2086
        read -r cm clo chi <<<"$(stats ${vals[$e,$f,cur]:-})"
        if [ "$rmed" = - ] || [ "$cm" = - ]; then
            ratio="-"; verdict="(no figure: a side failed)"
        elif [ "$RUNS" -lt 3 ]; then
            ratio=$(awk -v c="$cm" -v r="$rmed" 'BEGIN { printf "%.3f", c / r }')
            verdict="(no verdict: RUNS < 3)"
        else
            ratio=$(awk -v c="$cm" -v r="$rmed" 'BEGIN { printf "%.3f", c / r }')
            verdict=$(awk -v c="$cm" -v r="$rmed" -v chi="$chi" -v rlo="$rlo" 'BEGIN {
                if (c >= r) print "no slower"
                else if (chi >= rlo) print "slower within noise"
                else print "SLOWER (ranges apart)" }')
        fi
        printf '%-7s  %-22s  %-12s  %10s %-23s  %10s %-23s  %6s  %s\n' "$e" \
            "$(label_of "$kind" "$arg")" "$(unit_of "$kind")" "$rmed" "($rlo-$rhi)" \
            "$cm" "($clo-$chi)" "$ratio" "$verdict"
    done
done

echo "Reproduce: make bench REF=$REF  (RUNS=$RUNS BENCH_DURATION='$DURATION'" \
    "PHOLD_LPS='$PHOLD_LPS' PHOLD_EVENTS=$PHOLD_EVENTS SCENARIO=$SCENARIO)"
echo "One run of each figure, current side (\"default\" rows: without the env -u prefix):"
for f in "${figures[@]}"; do
    read -r kind arg <<<"$f"
    mapfile -t cmd < <(command_of cur "$kind" "$arg")
    echo "  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE nice -n 10 ${cmd[*]}"
done
echo "The reference side runs the same arguments (policies under their old names, as noted)"
echo "with the binaries of $short, rebuilt by:"
echo "  mkdir DIR && git archive $short | tar -x -C DIR && make -C DIR ${targets[*]}"
if printf '%s\n' "${progs[@]}" | grep -qx protocol; then
    echo "and the protocol scenario copy made the same way from DIR/$SCENARIO ($scen_cur is the"
    echo "current side's: $SCENARIO with${DURATION:+ duration=\"$DURATION\" and} absolute file paths)."
fi
exit $status
