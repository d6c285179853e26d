#!/usr/bin/env bash
# Line and branch coverage of sim/ per folder: scripts/coverage.sh BUILD
# (`make coverage` builds everything `make test` needs with --coverage into
# $(BUILD)/coverage, build/coverage by default, first, then calls this with
# that directory).
#
# Zeroes the counters, runs the whole suite on that build (scripts/run-tests.sh:
# unit, validation and integration tests and the fuzz replay; a failing test
# fails the coverage run: its figures would mean nothing), captures the counts
# with lcov (branch coverage on), writes an HTML report to BUILD/html/ and
# prints, per folder of sim/ (cli, core, radio, ...), the lines and branches
# hit. Every compiled source of sim/ counts, those no test reaches included (at
# 0: a zero baseline from the compiler's notes, lcov --initial, is added to the
# counts). Each folder's floor is in scripts/coverage-floors.txt ("FOLDER LINE%
# BRANCH%"); a folder below its floor, or one the file does not name, fails the
# run (exit 1).
set -u
cd "$(dirname "$0")/.." || exit 2
build=${1:?usage: scripts/coverage.sh BUILD}
floors=scripts/coverage-floors.txt
info=$build/coverage.info
rc_branch=(--rc lcov_branch_coverage=1)

lcov -q --zerocounters --directory "$build/obj" || exit 1
BUILD=$build scripts/run-tests.sh || { echo "coverage: a test failed; no figures" >&2; exit 1; }

# Its warnings (the knob tables are data without code: "no functions found")
# go to a log, shown only if the capture fails.
if ! lcov -q "${rc_branch[@]}" --capture --initial --directory "$build/obj" \
    --base-directory . --output-file "$info.base" 2>"$build/lcov-initial.log"; then
    cat "$build/lcov-initial.log" >&2
    exit 1
fi
lcov -q "${rc_branch[@]}" --capture --directory "$build/obj" --base-directory . \
    --output-file "$info.run" || exit 1
lcov -q "${rc_branch[@]}" --add-tracefile "$info.base" --add-tracefile "$info.run" \
    --output-file "$info.all" || exit 1
# Only coinfer's own sources: not the generated ONNX code, not system headers.
lcov -q "${rc_branch[@]}" --extract "$info.all" "$PWD/sim/*" --output-file "$info" || exit 1
genhtml -q "${rc_branch[@]}" --output-directory "$build/html" "$info" >/dev/null || exit 1
echo "HTML report: $build/html/index.html"

# Per folder: lines found/hit (LF/LH) and branches found/hit (BRF/BRH).
awk -v floors="$floors" -v root="$PWD/sim/" '
    BEGIN {
        while ((getline line < floors) > 0) {
            if (line ~ /^[ \t]*(#|$)/) continue
            split(line, f, /[ \t]+/)
            min_line[f[1]] = f[2]; min_branch[f[1]] = f[3]
        }
    }
    /^SF:/ {
        path = substr($0, 4); sub(root, "", path); split(path, p, "/"); dir = p[1]; dirs[dir] = 1
    }
    /^LF:/ { lf[dir] += substr($0, 4) }
    /^LH:/ { lh[dir] += substr($0, 4) }
    /^BRF:/ { brf[dir] += substr($0, 5) }
    /^BRH:/ { brh[dir] += substr($0, 5) }
    END {
        printf "%-10s %8s %8s %7s  %9s %9s %7s  %s\n", "folder", "lines", "hit", "line%",
               "branches", "hit", "branch%", "floors (line% branch%)"
        bad = 0
        sort = "sort"
        for (d in dirs) {
            lp = lf[d] ? 100 * lh[d] / lf[d] : 100
            bp = brf[d] ? 100 * brh[d] / brf[d] : 100
            if (!(d in min_line)) {
                verdict = "no floor in " floors; bad = 1
            } else if (lp < min_line[d] || bp < min_branch[d]) {
                verdict = sprintf("%s %s  BELOW THE FLOOR", min_line[d], min_branch[d]); bad = 1
            } else {
                verdict = sprintf("%s %s", min_line[d], min_branch[d])
            }
            printf "%-10s %8d %8d %6.1f%%  %9d %9d %6.1f%%  %s\n", d, lf[d], lh[d], lp,
                   brf[d], brh[d], bp, verdict | sort
            tlf += lf[d]; tlh += lh[d]; tbrf += brf[d]; tbrh += brh[d]
        }
        close(sort)
        printf "%-10s %8d %8d %6.1f%%  %9d %9d %6.1f%%\n", "sim", tlf, tlh, 100 * tlh / tlf,
               tbrf, tbrh, 100 * tbrh / tbrf
        exit bad
    }' "$info"
