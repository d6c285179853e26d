#!/usr/bin/env bash
# coinfer profile as a user meets it: help, a zoo model by name and by file,
# the last line scripts parse, the OpenBLAS kernels line and warning, --csv, rows in the profiles table with --db,
# the usage errors (unknown model, bad --threads) and the output of
# --cpmm-check, live and on the recorded fixture (tests/data/cpmm/, the same
# figures as tests/validation/test_cpmm_check.c expects). LeNet-5 with --reps 3
# keeps it fast.
set -u
. "$(dirname "$0")/lib.sh"

TOTAL_RE='^total latency_s=[0-9.e+-]+ flops=[0-9]+ params=[0-9]+$'

# ---- help ---------------------------------------------------------------------
expect_exit 0 "profile --help exits 0" "$COINFER" profile --help
expect_match "profile --help shows its usage" "$OUT" "^usage: coinfer profile MODEL"
expect_match "profile --help says batch norms are folded" "$OUT" "Batch norms are folded"
expect_exit 0 "coinfer --help lists profile" "$COINFER" --help
expect_match "coinfer --help has a profile line" "$OUT" "^  profile "

# ---- a zoo model by name and by file -----------------------------------------
expect_exit 0 "profile lenet5 by name" "$COINFER" profile lenet5 --reps 3
expect_eq "the last line is the total line" "$(tail -n 1 <<<"$OUT" | grep -cE "$TOTAL_RE")" 1
expect_match "the total line has LeNet-5's FLOPs and params" "$(tail -n 1 <<<"$OUT")" \
    "flops=852410 params=61706$"
expect_match "the table names each layer with its output shape" "$OUT" \
    "^ +0  conv2d0 +conv2d +1x6x28x28 "
expect_match "the energy line says where energy comes from" "$OUT" "^energy: (RAPL|not measurable)"
expect_match "a line names the OpenBLAS kernels and OPENBLAS_CORETYPE" "$OUT" \
    "^OpenBLAS kernels: [A-Za-z0-9()]+ \(OPENBLAS_CORETYPE=[^;]+; this CPU runs up to [A-Za-z0-9]+'s\); OpenBLAS "
# The warning when the environment forces older kernels (the variable is never
# changed here): none when it is unset; with Haswell's on an AVX-512 CPU, one.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    expect_eq "no OPENBLAS_CORETYPE: no kernel warning" "$(grep -c 'forces OpenBLAS kernels' <<<"$ERR")" 0
elif [ "${OPENBLAS_CORETYPE,,}" = haswell ] && grep -qw avx512f /proc/cpuinfo; then
    expect_match "OPENBLAS_CORETYPE=Haswell on AVX-512: the warning says so" "$ERR" \
        "warning: OPENBLAS_CORETYPE=Haswell forces OpenBLAS kernels older than this CPU's"
fi
BY_NAME=$(tail -n 1 <<<"$OUT" | sed 's/latency_s=[^ ]* //')
expect_exit 0 "profile lenet5 by file" "$COINFER" profile models/lenet5.xml --reps 3
BY_FILE=$(tail -n 1 <<<"$OUT" | sed 's/latency_s=[^ ]* //')
expect_eq "by name and by file: the same FLOPs and params" "$BY_FILE" "$BY_NAME"
expect_exit 0 "profile --quiet" "$COINFER" profile lenet5 --reps 3 --quiet
expect_eq "--quiet prints only the total line" "$(wc -l <<<"$OUT" | tr -d ' ')" 1
expect_match "--quiet's line is the total line" "$OUT" "$TOTAL_RE"

# ---- --csv ----------------------------------------------------------------------
expect_exit 0 "profile --csv" "$COINFER" profile lenet5 --reps 3 --csv
expect_eq "--csv header" "$(head -n 1 <<<"$OUT")" \
    "layer_index,layer_name,layer_type,output_shape,flops,params,out_bytes,latency_s,latency_min_s,latency_max_s,gflops"
expect_eq "--csv: one row per layer" "$(tail -n +2 <<<"$OUT" | wc -l | tr -d ' ')" 9
expect_match "--csv: the total line goes to stderr" "$(tail -n 1 <<<"$ERR")" "$TOTAL_RE"

# ---- --db -------------------------------------------------------------------------
expect_exit 0 "profile --db" "$COINFER" profile lenet5 --reps 3 --db "$TMP/p.db"
DB_OUT=$OUT
expect_eq "--db: layers + 1 rows" "$(sql "$TMP/p.db" "SELECT count(*) FROM profiles")" 10
expect_eq "--db: the whole model is layer_index -1" \
    "$(sql "$TMP/p.db" "SELECT layer_name, flops, params, reps, resource, threads FROM profiles WHERE layer_index = -1")" \
    "total|852410|61706|3|host-cpu|1"
expect_eq "--db: the whole model's latency is the printed one" \
    "$(sql "$TMP/p.db" "SELECT latency_s > 0 AND latency_min_s <= latency_s AND latency_s <= latency_max_s FROM profiles WHERE layer_index = -1")" 1
expect_exit 0 "report reads a database with profiles only" "$COINFER" report "$TMP/p.db"
expect_match "report lists the profile" "$OUT" "^lenet5 +host-cpu +1 +9 +3 "
# The host key: this CPU's model (/proc/cpuinfo), the kernels that ran, the threads.
cpu=$(sed -nE 's/^model name[[:space:]]*:[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1/p' /proc/cpuinfo | head -n 1)
kernels=$(sed -nE 's/^OpenBLAS kernels: ([^ ]+) .*/\1/p' <<<"$DB_OUT" | head -n 1)
key=$(printf '%s' "${cpu:-unknown}" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//')
key="$key:$(printf '%s' "$kernels" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//'):1t"
expect_eq "--db: every row carries the host key (CPU:kernels:threads)" \
    "$(sql "$TMP/p.db" "SELECT DISTINCT host_key FROM profiles")" "$key"
expect_match "--db: it says the key and how a scenario names it" "$DB_OUT" \
    "under host key $key, replacing any earlier profile of lenet5 under that key \(a scenario resource reads them as profile=\"$TMP/p.db#$key\"\)"
expect_eq "--db: the CPU and OpenBLAS columns are the host's" \
    "$(sql "$TMP/p.db" "SELECT DISTINCT cpu_model, blas_coretype, blas_corename, blas_config LIKE 'OpenBLAS %' FROM profiles")" \
    "${cpu:-unknown}|${OPENBLAS_CORETYPE:-}|$kernels|1"
expect_exit 0 "report on the keyed profiles" "$COINFER" report "$TMP/p.db"
expect_match "report names each profile's host key" "$OUT" "^lenet5 +host-cpu +1 +9 +3 .* $key$"
expect_exit 0 "profile --db again, same key" "$COINFER" profile lenet5 --reps 3 --db "$TMP/p.db" -q
expect_eq "--db again: the key's profile is replaced, not added" \
    "$(sql "$TMP/p.db" "SELECT count(*), count(DISTINCT profiled_at) FROM profiles")" "10|1"
if [ "$(nproc)" -ge 2 ]; then
    expect_exit 0 "profile --db on 2 threads" "$COINFER" profile lenet5 --reps 3 --threads 2 --db "$TMP/p.db" -q
    expect_eq "--db on 2 threads: another key beside the first" \
        "$(sql "$TMP/p.db" "SELECT host_key, count(*) FROM profiles GROUP BY host_key ORDER BY host_key")" \
        "$key|10"$'\n'"${key%:1t}:2t|10"
fi
expect_exit 0 "profile without --db" "$COINFER" profile lenet5 --reps 3 --quiet
if [ ! -e results/lenet5.db ]; then pass "without --db no database is written"; else
    fail "without --db no database is written" "results/lenet5.db exists"; fi

# ---- usage errors -------------------------------------------------------------------
expect_exit 2 "unknown model exits 2" "$COINFER" profile lenet6
expect_match "unknown model lists the zoo" "$ERR" "unknown model 'lenet6' \(zoo: lenet5, alexnet"
printf '<model name="x">\n  <input shape="1 1 28 28"/>\n  <bogus/>\n</model>\n' >"$TMP/bad.xml"
expect_exit 2 "a bad model file exits 2" "$COINFER" profile "$TMP/bad.xml"
expect_match "a bad model file is FILE:LINE" "$ERR" "$TMP/bad.xml:[0-9]+: "
expect_exit 2 "--threads 0 exits 2" "$COINFER" profile lenet5 --threads 0
expect_exit 2 "--threads above the cores exits 2" "$COINFER" profile lenet5 --threads 100000
expect_match "--threads error names the range" "$ERR" "--threads takes a whole number from 1 to [0-9]+, not '100000'"
expect_exit 2 "--reps 0 exits 2" "$COINFER" profile lenet5 --reps 0
expect_exit 2 "no model exits 2" "$COINFER" profile
expect_exit 2 "--cpmm-check takes no model" "$COINFER" profile --cpmm-check lenet5

# ---- --cpmm-check (two reps: the format, not the figures) ----------------------------
expect_exit 0 "profile --cpmm-check" "$COINFER" profile --cpmm-check --reps 2
expect_match "--cpmm-check: a line per zoo model" "$OUT" "^  mobilenetv2 +layers +[0-9]+ +within"
expect_match "--cpmm-check: the overall share and median error" "$OUT" \
    "^  overall +layers +[0-9]+ +within \+-10 % +[0-9]+ \( *[0-9.]+ %\) +median \|error\| +[0-9.]+ %"

# ---- --save-timings / --timings: the check on recorded timings -------------------------
expect_exit 0 "profile --cpmm-check --save-timings" "$COINFER" profile --cpmm-check --reps 2 \
    --save-timings "$TMP/timings.csv"
first=$(grep '^  overall' <<<"$OUT")
expect_eq "--save-timings: a header and one row per layer of every zoo model" \
    "$(head -1 "$TMP/timings.csv")" "model,layer_index,latency_s"
expect_exit 0 "profile --cpmm-check --timings" "$COINFER" profile --cpmm-check \
    --timings "$TMP/timings.csv"
expect_eq "--timings reproduces the figures of the run that saved them" \
    "$(grep '^  overall' <<<"$OUT")" "$first"
printf 'model,layer_index,latency_s\nlenet5,0,1e-5\nlenet5,2,1e-5\n' >"$TMP/gap.csv"
expect_exit 0 "--cpmm-check --verbose on the recorded timings" "$COINFER" profile --cpmm-check \
    --timings tests/data/cpmm/zoo-host-timings.csv --verbose
expect_match "... prints measured over predicted per layer type" "$OUT" \
    "^  conv2d +[0-9]+ +[0-9]+\.[0-9]{3}$"
bias=$(sed -nE 's/^bias-by-type="(.*)"$/\1/p' <<<"$OUT")
expect_match "... and a bias-by-type value for a scenario" "$bias" "^conv2d=[0-9.]+ dwconv=[0-9.]+ fc="
expect_exit 0 "... that a scenario's resource takes" "$COINFER" run scenarios/collab-small.xml \
    --db "$TMP/bias.db" -q --set "resource[a77]@bias-by-type=$bias" --set 'simulation@duration=5 s'
expect_exit 2 "--timings: a missing layer is bad input" "$COINFER" profile --cpmm-check \
    --timings "$TMP/gap.csv"
expect_match "--timings: FILE:LINE names the gap" "$ERR" "gap.csv:3: layer 2 of 'lenet5'"
printf 'model,layer_index,latency_s\nnot-a-model,0,1e-5\n' >"$TMP/bad.csv"
expect_exit 2 "--timings: an unknown model is bad input" "$COINFER" profile --cpmm-check \
    --timings "$TMP/bad.csv"
expect_match "--timings: FILE:LINE names the model" "$ERR" "bad.csv:2: 'not-a-model' is not a zoo"
expect_exit 2 "--timings needs --cpmm-check" "$COINFER" profile lenet5 --timings "$TMP/bad.csv"

# ---- the check on the recorded fixture: the CLI gives what test_cpmm_check expects ----------
FIXTURE=tests/data/cpmm/zoo-host-timings.csv
EXPECTED=tests/data/cpmm/zoo-host-expected.txt
expect_exit 0 "profile --cpmm-check --timings on the recorded fixture" "$COINFER" profile \
    --cpmm-check --timings "$FIXTURE"
want=$(awk '!/^#/ && NF == 5 {
    if ($2 == 0) printf "  %-12s layers   0  (none at or above the floor)\n", $1
    else printf "  %-12s layers %3d  within +-10 %% %3d (%5.1f %%)  median |error| %6.1f %%  unpriced %d\n",
        $1, $2, $3, 100 * ($3 / $2), 100 * $5, $4 }' "$EXPECTED")
expect_eq "--timings on the fixture: every model's and the overall figures are $EXPECTED's" \
    "$(grep -E '^  [a-z0-9]+ +layers ' <<<"$OUT")" "$want"
