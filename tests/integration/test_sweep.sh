#!/usr/bin/env bash
# coinfer sweep through the binary: --list prints every point of a sweep file
# (factor values, policy, replication, seed) without running anything,
# --count counts them, --filter keeps those an expression holds for;
# `coinfer validate` accepts sweep files; bad files are FILE:LINE errors and
# bad options usage errors, both exit 2.
set -u
. "$(dirname "$0")/lib.sh"

SW=scenarios/studies/uplink-rate.xml
here=$(pwd)

# ---- listing and counting ------------------------------------------------------------
expect_exit 0 "validate accepts a sweep file" "$COINFER" validate "$SW"
expect_eq "and says it is ok" "$OUT" "$SW: ok"
expect_exit 0 "sweep --list" "$COINFER" sweep "$SW" --list
expect_eq "the header names the factors" "$(head -1 <<<"$OUT")" \
    "$(printf 'point\tul_rate\tul_rate_2\tduration\tpolicy\treplication\tseed')"
expect_eq "one line per point after the header" "$(($(wc -l <<<"$OUT") - 1))" "45"
expect_eq "policies vary fastest and share their replication's seed" \
    "$(sed -n '2,5p' <<<"$OUT" | cut -f1,5-7 | tr '\t\n' ' |')" \
    "0 local 0 1|1 split 0 1|2 joint 0 1|3 local 1 2|"
expect_eq "the zipped rates move together on a log range" \
    "$(cut -f2,3 <<<"$OUT" | sed 1d | sort -u -g | tr '\t\n' ' |')" \
    "1e6 1e6|3162277.6601683795 3162277.6601683795|1e7 1e7|31622776.60168379 31622776.60168379|1e8 1e8|"
expect_exit 0 "sweep --count" "$COINFER" sweep "$SW" --count
expect_eq "--count agrees with --list" "$OUT" "45"
expect_exit 0 "--filter on policy and a factor with a unit" "$COINFER" sweep "$SW" --count \
    --filter "policy == 'joint' and ul_rate >= 10 Mbps"
expect_eq "it keeps the joint points at 10 Mbit/s and over" "$OUT" "9"
expect_exit 0 "--filter with --list" "$COINFER" sweep "$SW" --list \
    --filter "replication == 2 && policy != 'split' && ul_rate < 2Mbps"
expect_eq "it lists only what it keeps" "$(sed 1d <<<"$OUT" | cut -f1 | tr '\n' ' ')" "6 8 "

# ---- a sweep with constraints, written here -------------------------------------------
cat >"$TMP/c.xml" <<XML
<sweep scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 2, 3"/>
  <factor name="dur" path="simulation@duration" from="1 s" to="3 s" step="1 s"/>
  <constraint>gpus * dur &lt;= 3</constraint>
  <policies>all</policies>
  <replications seeds="5 9"/>
</sweep>
XML
expect_exit 0 "a sweep with a constraint counts" "$COINFER" sweep "$TMP/c.xml" --count
n_pol=$("$COINFER" run --help | sed -n '/--policy NAME/,/every one on the same seed/p' |
    grep -cE '^ {19}[a-z][a-z-]* ')
expect_eq "the constraint keeps 5 combinations, each with every policy and 2 seeds" "$OUT" \
    "$((5 * (n_pol - 1) * 2))"

# ---- errors ---------------------------------------------------------------------------
cat >"$TMP/bad.xml" <<XML
<sweep scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 0"/>
</sweep>
XML
expect_exit 2 "a bad value is bad input" "$COINFER" sweep "$TMP/bad.xml" --list
expect_match "named at its file and line" "$ERR" "^coinfer: $TMP/bad.xml:2: factor 'gpus': value '0': "
expect_eq "and nothing is listed" "$OUT" ""
expect_exit 2 "validate rejects it the same way" "$COINFER" validate "$TMP/bad.xml"
expect_match "with the same message" "$ERR" "$TMP/bad.xml:2: factor 'gpus'"
printf '<sweep scenario="x.xml">\n  <factor name="a"/>\n</sweep>\n' >"$TMP/schema.xml"
expect_exit 2 "a schema violation" "$COINFER" sweep "$TMP/schema.xml" --count
expect_match "is FILE:LINE" "$ERR" "^coinfer: $TMP/schema.xml:2: "
expect_exit 2 "a bad --filter is a usage error" "$COINFER" sweep "$SW" --count \
    --filter "policy > 1"
expect_match "naming the option and the column" "$ERR" \
    "^coinfer sweep: --filter \"policy > 1\": column 8: "
expect_exit 2 "--list and --count together" "$COINFER" sweep "$SW" --list --count
expect_match "name both" "$ERR" "--list and --count"
expect_exit 2 "an unknown option" "$COINFER" sweep "$SW" --bogus
expect_match "is named" "$ERR" "unknown option '--bogus'"
expect_exit 2 "--filter without its value" "$COINFER" sweep "$SW" --count --filter
expect_match "is named" "$ERR" "--filter needs a value"
expect_exit 2 "no file" "$COINFER" sweep --count
expect_exit 2 "a missing file" "$COINFER" sweep "$TMP/none.xml" --count
expect_match "is FILE:0" "$ERR" "$TMP/none.xml:0: cannot open"
