#!/usr/bin/env bash
# make bench REF=<rev> (scripts/bench-ref.sh) without timing anything: its usage
# errors, and a revision that does not build (exit 1, the build's own error
# shown, the temporary tree removed). The revision is a commit of a clone of
# this repository (git clone --shared: this repository is not written to)
# whose Makefile stops with $(error); the clone runs the working tree's script
# and this build's bench programs.
set -u
. "$(dirname "$0")/lib.sh"

script=scripts/bench-ref.sh

expect_exit 2 "bench-ref: no revision is a usage error" "$script"
expect_match "bench-ref: usage names make bench REF" "$ERR" "usage: .*make bench REF=REV"
expect_exit 2 "bench-ref: an unknown revision is a usage error" "$script" no-such-revision-xyz
expect_match "bench-ref: the unknown revision is named" "$ERR" "REF='no-such-revision-xyz' is not a commit"
RUNS=0 expect_exit 2 "bench-ref: RUNS=0 is refused" "$script" HEAD
expect_match "bench-ref: RUNS is named" "$ERR" "RUNS must be a positive integer"
BENCH_DURATION="twenty" expect_exit 2 "bench-ref: a bad BENCH_DURATION is refused" "$script" HEAD
expect_match "bench-ref: BENCH_DURATION is named" "$ERR" "BENCH_DURATION must be a duration"

# A revision that fails to build.
repo=$TMP/repo
if ! git clone -q --shared . "$repo" 2>"$TMP/clone.err"; then
    fail "bench-ref: clone this repository" "$(cat "$TMP/clone.err")"
    exit 0
fi
cp "$script" "$repo/$script"
bench_dir=$(cd "$BUILD/bench" && pwd) # BUILD may be relative (build) or absolute
mkdir -p "$repo/build/bench"
for p in protocol phold; do
    ln -s "$bench_dir/$p" "$repo/build/bench/$p"
done
# shellcheck disable=SC2016 # a make function, written as such
echo '$(error broken on purpose by test_bench_ref)' >>"$repo/Makefile"
git -C "$repo" -c user.name=test -c user.email=test@invalid commit -qam "broken build" ||
    fail "bench-ref: commit the broken Makefile in the clone"
broken=$(git -C "$repo" rev-parse --short HEAD)
(cd "$repo" && BUILD=build expect_exit 1 "bench-ref: a revision that fails to build exits 1" \
    "$script" "$broken")
OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
expect_match "bench-ref: the failed build is reported with the revision" "$ERR" \
    "revision $broken \($broken\) failed to build"
expect_match "bench-ref: the build's own error is shown" "$ERR" "broken on purpose by test_bench_ref"
expect_eq "bench-ref: the temporary tree is removed" \
    "$(find "$repo/build/bench-ref" -maxdepth 1 -name 'tree.*' | wc -l)" 0
expect_match "bench-ref: the build log is kept" "$(cat "$repo/build/bench-ref/ref-build.log")" \
    "broken on purpose by test_bench_ref"

# The whole comparison on a tiny configuration (collab-small for 2 s, PHOLD
# with 10 LPs; the reference compiled with -O0 to build faster): the table's
# rows and the temporary tree's removal, never a figure's value. The
# reference is the clone's HEAD with the joint policy under its old name,
# oracle, as in revisions before issue 10: its joint row runs `oracle`. Its
# own BUILD keeps its files apart from a `make bench REF=...` in build/.
git -C "$repo" reset -q --hard HEAD~1
cp "$script" "$repo/$script"
sed -i 's/"joint"/"oracle"/' "$repo/sim/policy/ops.c"
git -C "$repo" -c user.name=test -c user.email=test@invalid commit -q --allow-empty -am \
    "joint under its old name" || fail "bench-ref: commit the renamed policy in the clone"
old=$(git -C "$repo" rev-parse --short HEAD)
mkdir -p "$TMP/build/bench"
for p in protocol phold; do
    ln -s "$bench_dir/$p" "$TMP/build/bench/$p"
done
(cd "$repo" && BUILD=$TMP/build RUNS=2 SCENARIO=scenarios/collab-small.xml BENCH_DURATION="2 s" \
    PHOLD_LPS=10 PHOLD_EVENTS=1000 BENCH_OPT=-O0 OPENBLAS_CORETYPE=Haswell \
    expect_exit 0 "bench-ref: a tiny configuration against a revision with oracle runs" \
    "$script" "$old")
OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
num='[0-9]+ +\([0-9]+-[0-9]+\)'
expect_match "bench-ref: the joint row is said to run the reference's oracle" "$OUT" \
    "has no policy 'joint': its row runs the reference's 'oracle'"
for env in clean default; do
    expect_match "bench-ref: a $env protocol split-default row with both medians and the ratio" \
        "$OUT" "^$env +protocol split-default +inferences/s +$num +$num +[0-9]+\.[0-9]{3} "
    expect_match "bench-ref: a $env protocol joint row" "$OUT" \
        "^$env +protocol joint +inferences/s +$num +$num +[0-9]+\.[0-9]{3} "
    expect_match "bench-ref: a $env PHOLD row" "$OUT" \
        "^$env +PHOLD 10 LPs +events/s +$num +$num +[0-9]+\.[0-9]{3} "
done
expect_match "bench-ref: the inputs are said to be identical" "$OUT" \
    "scenarios/collab-small.xml and the model files it names are identical in both revisions"
expect_match "bench-ref: the reproducing make command is printed" "$OUT" \
    "^Reproduce: make bench REF=$old "
expect_match "bench-ref: the current side's command uses the shortened copy" "$OUT" \
    "build/bench/protocol $TMP/build/bench-ref/collab-small.xml --policy split-default"
expect_match "bench-ref: the copy is shortened" "$(cat "$TMP/build/bench-ref/collab-small.xml")" \
    '<simulation duration="2 s"'
expect_eq "bench-ref: the temporary tree is removed after a run" \
    "$(find "$TMP/build/bench-ref" -maxdepth 1 -name 'tree.*' | wc -l)" 0
