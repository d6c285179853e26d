#!/usr/bin/env bash
# Hardening (issue 15): what a user can do wrong, and the machine's limits,
# end in a clear message and exit code, never a hang, a memory blow-up, a
# file outside results/ or a cut-off reason.
#
#  1. under an address-space limit (ulimit -v, in a subshell) validate, profile
#     and a real-mode run exit 0, or 1 with "out of memory", and never hang
#     (OpenBLAS retries a failed buffer mapping for ever; coinfer checks first);
#  2. a model, scenario or weights path that is a device, a FIFO or a directory,
#     or a file over its kind's size limit: FILE error, exit 2, without blocking;
#  3. a scenario name with '\', '..' or a leading '.': FILE:LINE, exit 2;
#  4. the documented limits (elements, attributes per element, attribute
#     bytes, layers per model): just over is refused with the limit named, just
#     under is accepted (no timing here; the README quotes the measured times);
#  5. --db: empty, not a regular file, or in a missing directory: usage error
#     naming --db, exit 2, and no directory created;
#  6. a long path keeps the reason of its error message;
#  7. weights holding NaN or Inf, peak="0", and report on a foreign SQLite file:
#     clear errors, exit 2.
# A hang is caught by `timeout` at WAIT_TIMEOUT_S (lib.sh), never a threshold
# on speed.
set -u
. "$(dirname "$0")/lib.sh"

SRC=$(pwd)
T=$WAIT_TIMEOUT_S
BIN=$(cd "$(dirname "$COINFER")" && pwd)/$(basename "$COINFER") # from any directory

# ---- 1. memory limits ---------------------------------------------------------
# One command under `ulimit -v KB`: exit 0, or 1 with "out of memory" in stderr.
under_limit() { # KB DESC CMD...
    local kb=$1 desc=$2 rc
    shift 2
    # -k: a process spinning in OpenBLAS's allocator ignores SIGTERM.
    (ulimit -v "$kb" && exec timeout -k 5 "$T" "$@") >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && grep -q "out of memory" "$TMP/err"; }; then
        pass "$desc under ulimit -v $kb: exit $rc"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "$desc under ulimit -v $kb" "hung: still running after $T s"
    else
        fail "$desc under ulimit -v $kb" "exit $rc, expected 0, or 1 with 'out of memory'" \
            "stderr: $(head -c 400 "$TMP/err")"
    fi
}

if ldd "$COINFER" 2>/dev/null | grep -q 'libasan'; then
    echo "SKIP: AddressSanitizer reserves terabytes of address space: no ulimit -v part"
else
    for kb in 100000 150000 200000; do
        under_limit $kb "validate vgg16" "$COINFER" validate models/vgg16.xml
        under_limit $kb "profile lenet5" "$COINFER" profile models/lenet5.xml --reps 1 \
            --db "$TMP/prof-$kb.db"
        under_limit $kb "profile lenet5 on 2 threads" "$COINFER" profile models/lenet5.xml \
            --reps 1 --threads 2 --db "$TMP/prof-$kb.db"
        under_limit $kb "a costed run" "$COINFER" run -q scenarios/collab-small.xml \
            --set 'simulation@duration=2 s' --db "$TMP/costed-$kb.db"
        under_limit $kb "a real-mode run" "$COINFER" run -q tests/data/scenarios/collab-real.xml \
            --db "$TMP/real-$kb.db"
        if [ -f "$TMP/real-$kb.db" ]; then
            expect_eq "the real-mode run under ulimit -v $kb is not left running" \
                "$(sql "$TMP/real-$kb.db" "SELECT count(*) FROM runs WHERE status = 'running'")" 0
        fi
    done
    # Too little for OpenBLAS's one 128 MiB buffer: the error says so.
    (ulimit -v 150000 && exec timeout -k 5 "$T" "$COINFER" profile models/lenet5.xml --reps 1 \
        --db "$TMP/p.db") >/dev/null 2>"$TMP/err"
    expect_match "profile under 150 MB names OpenBLAS's buffers" "$(cat "$TMP/err")" \
        "out of memory: OpenBLAS needs [0-9]+ MiB more address space"
fi

# ---- 2. regular files only, of bounded size -------------------------------------
mkfifo "$TMP/fifo"
mkdir "$TMP/dir"
for bad in /dev/zero /dev/urandom "$TMP/fifo" "$TMP/dir"; do
    expect_exit 2 "validate $bad: exit 2" timeout -k 5 "$T" "$COINFER" validate "$bad"
    expect_match "validate $bad: not a regular file" "$ERR" "^coinfer: $bad:0: not a regular file"
    expect_exit 2 "profile $bad: exit 2" timeout -k 5 "$T" "$COINFER" profile "$bad"
    expect_match "profile $bad: a model file must be a regular file" "$ERR" \
        "a model file must be a regular file"
done
sed "s|file=\"../models/lenet5.xml\"|file=\"$TMP/fifo\"|; s|file=\"../models/|file=\"$SRC/models/|" \
    scenarios/collab-small.xml >"$TMP/fifo-model.xml"
expect_exit 2 "a scenario whose model file is a FIFO: exit 2" \
    timeout -k 5 "$T" "$COINFER" validate "$TMP/fifo-model.xml"
truncate -s $((64 * 1024 * 1024 + 1)) "$TMP/huge.xml"
expect_exit 2 "a model file of 64 MiB + 1 byte: exit 2" "$COINFER" profile "$TMP/huge.xml"
expect_match "a model file of 64 MiB + 1 byte: the limit named" "$ERR" \
    "67108865 bytes is more than a model file may have \\(67108864 bytes\\)"
truncate -s $((16 * 1024 * 1024 + 1)) "$TMP/huge.xml"
expect_exit 2 "a scenario file of 16 MiB + 1 byte: exit 2" "$COINFER" validate "$TMP/huge.xml"
expect_match "a scenario file of 16 MiB + 1 byte: the limit named" "$ERR" \
    "16777217 bytes is more than a scenario file may have"
mkdir "$TMP/w"
cp models/lenet5-fmnist.xml "$TMP/w/"
mkfifo "$TMP/w/lenet5-fmnist.weights"
expect_exit 2 "a weights file that is a FIFO: exit 2, no hang" \
    timeout -k 5 "$T" "$COINFER" validate "$TMP/w/lenet5-fmnist.xml"
expect_match "a weights file that is a FIFO: said so" "$ERR" "a weights file must be a regular file"

# ---- 3. a name is a name ---------------------------------------------------------
mkdir "$TMP/cwd"
for name in '..\\x' '.hidden' 'a..b'; do
    sed "s|<scenario name=\"[^\"]*\"|<scenario name=\"$name\"|" scenarios/validation-mm1.xml \
        >"$TMP/cwd/named.xml"
    (cd "$TMP/cwd" && COINFER_SCHEMA_DIR="$SRC/scenarios" "$BIN" run named.xml \
        >"$TMP/out" 2>"$TMP/err")
    expect_eq "name '$name': exit 2" "$?" 2
    expect_match "name '$name': FILE:LINE" "$(cat "$TMP/err")" \
        "^coinfer: named.xml:[0-9]+: element 'scenario': attribute 'name'"
done
expect_eq "no name wrote anything beside the scenario" "$(ls -A "$TMP/cwd")" "named.xml"

# ---- 4. documented limits, fast and clear ----------------------------------------
model_of() { # N: a model file of N relu layers
    local i
    echo '<?xml version="1.0"?>'
    echo '<model name="long">'
    echo '  <input channels="1" height="2" width="2"/>'
    for ((i = 0; i < $1; i++)); do echo "  <layer name=\"r$i\" type=\"relu\"/>"; done
    echo '</model>'
}
model_of 100000 >"$TMP/m100000.xml"
expect_exit 0 "a model of 100,000 layers (the limit) validates" "$COINFER" validate \
    "$TMP/m100000.xml"
model_of 100001 >"$TMP/m100001.xml"
expect_exit 2 "a model of 100,001 layers: exit 2" "$COINFER" validate "$TMP/m100001.xml"
expect_match "a model of 100,001 layers: the limit named" "$ERR" \
    "m100001.xml:[0-9]+: layer 100001: a model may have at most 100000 layers"
attrs_of() { # N: the validation scenario with N extra attributes on <simulation>
    local i a="" text
    for ((i = 0; i < $1; i++)); do a+=" x$i=\"1\""; done
    text=$(cat scenarios/validation-mm1.xml)
    printf '%s\n' "${text/<simulation /<simulation$a }"
}
attrs_of 250 >"$TMP/a253.xml" # with duration, seed and warmup: 253
expect_exit 2 "253 attributes on one element: refused by the schema" "$COINFER" validate \
    "$TMP/a253.xml"
expect_match "253 attributes: the schema's message, not the limit" "$ERR" "unknown attribute 'x0'"
attrs_of 100000 >"$TMP/a100000.xml"
expect_exit 2 "100,003 attributes on one element: exit 2" "$COINFER" validate "$TMP/a100000.xml"
expect_match "100,003 attributes: the limit named" "$ERR" \
    "a100000.xml:[0-9]+: an element with 100003 attributes: no element of a scenario file has more than 256"
long=$(head -c 4097 /dev/zero | tr '\0' n)
sed "s|<scenario name=\"[^\"]*\"|<scenario name=\"$long\"|" scenarios/validation-mm1.xml \
    >"$TMP/v4097.xml"
expect_exit 2 "an attribute value of 4097 bytes: exit 2" "$COINFER" validate "$TMP/v4097.xml"
expect_match "an attribute value of 4097 bytes: the limit named" "$ERR" \
    "v4097.xml:[0-9]+: an attribute value of 4097 bytes: no value in a scenario file may be longer than 4096 bytes"
long=$(head -c 4096 /dev/zero | tr '\0' n)
sed "s|<scenario name=\"[^\"]*\"|<scenario name=\"$long\"|" scenarios/validation-mm1.xml \
    >"$TMP/v4096.xml"
expect_exit 2 "a name of 4096 bytes: refused as a name, not by the limit" "$COINFER" validate \
    "$TMP/v4096.xml"
expect_match "a name of 4096 bytes: the knob's message" "$ERR" "is longer than 255 characters"

# ---- 5. --db ------------------------------------------------------------------------
for cmd in run radio profile; do
    case $cmd in
    run) args=(run scenarios/validation-mm1.xml) ;;
    radio) args=(radio scenarios/radio-7cells.xml) ;;
    profile) args=(profile models/lenet5.xml --reps 1) ;;
    esac
    expect_exit 2 "$cmd --db '': exit 2" "$COINFER" "${args[@]}" --db ''
    expect_match "$cmd --db '': a usage error naming --db" "$ERR" "^coinfer $cmd: --db needs a file name"
    expect_exit 2 "$cmd --db in a missing directory: exit 2" "$COINFER" "${args[@]}" \
        --db "$TMP/no/such/dir/x.db"
    expect_match "$cmd --db in a missing directory: names --db and the directory" "$ERR" \
        "^coinfer $cmd: --db: directory .*/no/such/dir does not exist"
    if [ -e "$TMP/no" ]; then fail "$cmd --db created $TMP/no"; else pass "$cmd --db created no directory"; fi
    for bad in /dev/zero "$TMP/fifo" "$TMP/dir"; do
        expect_exit 2 "$cmd --db $bad: exit 2" timeout -k 5 "$T" "$COINFER" "${args[@]}" --db "$bad"
        expect_match "$cmd --db $bad: not a results database" "$ERR" \
            "^coinfer $cmd: --db $bad: .*not a results database"
    done
done
expect_eq "no journal beside /dev/zero" "$(ls /dev/zero-journal /dev/zero-wal 2>/dev/null)" ""
mkdir "$TMP/def"
(cd "$TMP/def" && COINFER_SCHEMA_DIR="$SRC/scenarios" "$BIN" run -q "$SRC/scenarios/validation-mm1.xml" \
    --set 'simulation@duration=2000 s' >/dev/null 2>"$TMP/err")
expect_eq "the default database goes to results/ (created)" "$(cd "$TMP/def" && ls -d results/*.db)" \
    "results/validation-mm1.db"

# ---- 6. long values keep the reason ----------------------------------------------
deep="$TMP"
for i in $(seq 14); do deep="$deep/$(head -c 200 /dev/zero | tr '\0' q)"; done
mkdir -p "$deep"
sed 's/peak="38.7 GFLOPS"/peak="0"/; s|file="../models/|file="'"$SRC"'/models/|' \
    scenarios/collab-small.xml >"$deep/s.xml"
expect_exit 2 "a ${#deep}-byte path with a bad file: exit 2" "$COINFER" validate "$deep/s.xml"
expect_match "a ${#deep}-byte path: the reason is kept" "$ERR" \
    "^coinfer: $TMP/q+\\.\\.\\.q+/s\\.xml:[0-9]+: element 'resource': resource 'a77': peak is 0"
expect_exit 2 "a ${#deep}-byte path to no file: exit 2" "$COINFER" validate "$deep/none.xml"
expect_match "a ${#deep}-byte path to no file: the reason is kept" "$ERR" \
    "none\\.xml:0: cannot open: No such file or directory$"

# ---- 7. NaN and Inf weights, peak="0", a foreign database --------------------------
# A one-layer model (fc 2 -> 2) and its weights written by hand: the format of
# sim/nn/weights.c, the checksum FNV-1a-64 computed here.
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))\\x$(printf %02x $((($1 >> 16) & 255)))\\x$(printf %02x $((($1 >> 24) & 255)))"; }
weights_with() { # FLOAT-BYTES (the first weight, as printf escapes) OUT
    local body="$TMP/body" h b
    {
        printf 'COINFERW'; le32 1; le32 2
        le32 10; printf 'fc0.weight'; le32 2; le32 2; le32 2
        printf "$1"; printf '\x00\x00\x80\x3f'; printf '\x00\x00\x80\x3f'; printf '\x00\x00\x80\x3f'
        le32 8; printf 'fc0.bias'; le32 1; le32 2
        printf '\x00\x00\x00\x00\x00\x00\x00\x00'
    } >"$body"
    h=$((0xcbf29ce484222325))
    for b in $(od -An -tu1 -v "$body"); do h=$(((h ^ b) * 0x100000001b3)); done
    { cat "$body"; for i in 0 1 2 3 4 5 6 7; do printf "\\x$(printf %02x $(((h >> (8 * i)) & 255)))"; done; } >"$2"
}
cat >"$TMP/w/fc.xml" <<'EOF'
<?xml version="1.0"?>
<model name="fc" weights="fc.weights">
  <input channels="2" height="1" width="1"/>
  <layer name="fc0" type="fc" out-channels="2"/>
</model>
EOF
weights_with '\x00\x00\x80\x3f' "$TMP/w/fc.weights"
expect_exit 0 "hand-written weights of 1.0 load" "$COINFER" validate "$TMP/w/fc.xml"
for v in 'NaN:\x00\x00\xc0\x7f' 'infinite:\x00\x00\x80\x7f' 'infinite:\x00\x00\x80\xff'; do
    weights_with "${v#*:}" "$TMP/w/fc.weights"
    expect_exit 2 "a ${v%%:*} weight: validate exits 2" "$COINFER" validate "$TMP/w/fc.xml"
    expect_match "a ${v%%:*} weight: validate names the layer" "$ERR" \
        "tensor 0 'fc0.weight' of layer 'fc0': element 0 is ${v%%:*}"
    expect_exit 2 "a ${v%%:*} weight: profile exits 2" "$COINFER" profile "$TMP/w/fc.xml" --reps 1
done
sed 's/peak="38.7 GFLOPS"/peak="0"/; s|file="../models/|file="'"$SRC"'/models/|' \
    scenarios/collab-small.xml >"$TMP/peak0.xml"
expect_exit 2 "peak=\"0\": exit 2" "$COINFER" validate "$TMP/peak0.xml"
expect_match "peak=\"0\": says peak is 0" "$ERR" \
    "peak0.xml:[0-9]+: element 'resource': resource 'a77': peak is 0 \\(left out, or written as 0\\)"
sql "$TMP/foreign.db" "CREATE TABLE t(a); INSERT INTO t VALUES (1);"
expect_exit 2 "report on a foreign SQLite file: exit 2" "$COINFER" report "$TMP/foreign.db"
expect_match "report on a foreign SQLite file: says so" "$ERR" \
    "foreign.db: not a coinfer results database"
sql "$TMP/foreign2.db" "CREATE TABLE t(a); PRAGMA user_version = 3;"
expect_exit 2 "report on a foreign SQLite file with a version: exit 2" "$COINFER" report \
    "$TMP/foreign2.db"
expect_match "report on a foreign SQLite file with a version: no runs table" "$ERR" \
    "it has no runs table"
