#!/usr/bin/env bash
# Run the golden cases (tests/golden/cases.txt) with BINARY into databases under
# DIR, then write each case's digest to DIR/CASE.txt. Exit 1 when an invocation fails.
#
#   tests/golden/run-cases.sh BINARY DIR
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=$1 dir=$2
# @OFF in a case: every NR access, HARQ and backhaul term off (see cases.txt).
off="--set radio/access@uplink=none --set radio/access@downlink=none --set radio/access@bler=0"
off+=" --set edge@backhaul-latency=0 --set edge@backhaul-bandwidth=0"
mkdir -p "$dir"
rc=0
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    name=${line%%:*}
    args=${line#*: }
    db="$dir/$name.db"
    args=${args//@OFF/$off}
    # shellcheck disable=SC2086
    if ! "$bin" ${args//@DB/$db} --quiet >"$dir/$name.out" 2>&1; then
        echo "run-cases: '$bin $args' failed:" >&2
        tail -5 "$dir/$name.out" >&2
        rc=1
    fi
done < tests/golden/cases.txt
for db in "$dir"/*.db; do
    tests/golden/digest.sh "$db" > "${db%.db}.txt"
done
exit $rc
