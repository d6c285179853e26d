#!/usr/bin/env bash
# Record the golden digests with BINARY (default build/coinfer): run every case of
# tests/golden/cases.txt and write tests/golden/digests/CASE.txt. Run it only for a
# deliberate change of behaviour, and say in the commit why the rows changed.
#
#   tests/golden/record.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/coinfer}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tests/golden/run-cases.sh "$bin" "$tmp"
mkdir -p tests/golden/digests
rm -f tests/golden/digests/*.txt
for f in "$tmp"/*.txt; do
    cp "$f" tests/golden/digests/
done
echo "record: $(ls tests/golden/digests | wc -l) cases recorded with $bin ($("$bin" --version))"
