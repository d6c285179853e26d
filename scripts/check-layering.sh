#!/usr/bin/env bash
# Reject an #include that breaks the layering of DESIGN.md:
#   core <- radio, compute, nn <- proto, policy <- io, db <- run <- cli, api
# A folder of sim/ may include its own headers and those of lower tiers only,
# never a sibling of its own tier nor anything above. Third-party regimes stay
# at their border: only db/ includes sqlite3.h, only io/ libxml2 and protobuf-c
# (with the ONNX code protoc-c generates, onnx.pb-c.h), only nn/
# cblas.h and zlib.h (the datasets' IDX files); GSL random-number headers only core/;
# mpi.h and COINFER_MPI only sim/run/sweep_mpi.c (the one file that differs under make MPI=1).
set -u
cd "$(dirname "$0")/.."

tier() {
    case "$1" in
        core) echo 0 ;;
        radio|compute|nn) echo 1 ;;
        proto|policy) echo 2 ;;
        io|db) echo 3 ;;
        run) echo 4 ;;
        cli|api) echo 5 ;;
        *) echo "" ;;
    esac
}

bad=0
complain() { echo "$1:$2: $3" >&2; bad=1; }

while IFS= read -r f; do
    sub=${f#sim/}; sub=${sub%%/*}
    t=$(tier "$sub")
    if [ -z "$t" ]; then
        complain "$f" 1 "folder '$sub' has no place in the layering (add it to DESIGN.md and this script)"
        continue
    fi
    while IFS=: read -r line inc; do
        [ -n "$line" ] || continue
        target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$inc")
        case "$target" in
            */*)
                dir=${target%%/*}
                dt=$(tier "$dir")
                if [ -n "$dt" ]; then
                    if [ "$dir" != "$sub" ] && [ "$dt" -ge "$t" ]; then
                        complain "$f" "$line" "'$sub' (tier $t) may not include '$target' (tier $dt)"
                    fi
                fi
                ;;
        esac
        case "$target" in
            sqlite3.h)
                [ "$sub" = db ] || complain "$f" "$line" "only sim/db/ includes $target" ;;
            libxml/*|protobuf-c/*|onnx.pb-c.h)
                [ "$sub" = io ] || complain "$f" "$line" "only sim/io/ includes $target" ;;
            cblas.h|openblas*|zlib.h)
                [ "$sub" = nn ] || complain "$f" "$line" "only sim/nn/ includes $target" ;;
            mpi.h)
                [ "$f" = sim/run/sweep_mpi.c ] ||
                    complain "$f" "$line" "only sim/run/sweep_mpi.c includes $target" ;;
            gsl/gsl_rng.h|gsl/gsl_randist.h)
                [ "$sub" = core ] || complain "$f" "$line" "GSL random numbers only through core/rng ($target)" ;;
        esac
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" | sed -E 's/^([0-9]+):/\1:/')
done < <(find sim -name '*.[ch]' | sort)

# MPI stays in one file: the build without it must not depend on it anywhere else.
while IFS=: read -r f line _; do
    [ "$f" = sim/run/sweep_mpi.c ] ||
        complain "$f" "$line" "COINFER_MPI belongs to sim/run/sweep_mpi.c alone"
done < <(grep -rn 'COINFER_MPI' sim --include='*.[ch]')

if [ "$bad" -ne 0 ]; then
    echo "check-layering: FAIL" >&2
    exit 1
fi
echo "check-layering: ok ($(find sim -name '*.[ch]' | wc -l) files)"
