#!/usr/bin/env bash
# `coinfer radio` as a user meets it: help, usage errors, FILE:LINE errors
# that leave no database behind, radio_samples rows (one per UE per sample
# period, the run marked complete with policy 'radio'), --csv, --seed
# determinism, the report's radio table, --link-budget's exact header and
# rows from 10 m to the cell edge, and a run stopped by SIGINT.
set -u
. "$(dirname "$0")/lib.sh"

SC=tests/data/scenarios/valid-radio.xml

# ---- help and usage ----------------------------------------------------------
expect_exit 0 "coinfer --help lists radio" "$COINFER" --help
expect_match "--help lists the radio command" "$OUT" "^  radio "
expect_exit 0 "coinfer radio --help exits 0" "$COINFER" radio --help
expect_match "coinfer radio --help shows its usage" "$OUT" "^usage: coinfer radio SCENARIO"
expect_match "coinfer radio --help documents --link-budget" "$OUT" "--link-budget"
expect_exit 2 "radio: no scenario is a usage error" "$COINFER" radio
expect_exit 2 "radio: unknown option" "$COINFER" radio --frob "$SC"
expect_exit 2 "radio: --seed must be an integer" "$COINFER" radio --seed x "$SC"
expect_match "radio: --seed error names the value" "$ERR" "--seed takes a whole number from 0 to 18446744073709551615, not 'x'"
expect_exit 2 "radio: --db needs a value" "$COINFER" radio "$SC" --db
expect_exit 2 "radio: --link-budget takes no --db" "$COINFER" radio --link-budget --db "$TMP/x.db" "$SC"

# ---- bad input -----------------------------------------------------------------
expect_exit 2 "radio: a queue scenario is bad input" "$COINFER" radio --db "$TMP/q.db" \
    scenarios/validation-mm1.xml
expect_match "radio: a queue scenario is named as not radio" "$ERR" \
    "^coinfer: scenarios/validation-mm1.xml:0: not a radio scenario"
expect_exit 2 "radio: an ISD beyond the path-loss range is exit 2" "$COINFER" radio \
    --db "$TMP/bad.db" tests/data/scenarios/radio-isd-beyond-range.xml
expect_match "radio: the range error is FILE:LINE with the valid range" "$ERR" \
    "radio-isd-beyond-range.xml:5: element 'deployment': .*isd at most 8660.25 m"
if [ ! -e "$TMP/q.db" ] && [ ! -e "$TMP/bad.db" ]; then pass "bad input creates no database"
else fail "bad input creates no database"; fi

# ---- a run into the database --------------------------------------------------------
expect_exit 0 "radio: the small scenario runs" "$COINFER" radio --db "$TMP/r.db" "$SC"
expect_match "radio: the summary names the run" "$OUT" "^radio run 1 complete: radio-small"
# 22 UEs, samples at 0, 0.5, ..., 10 s: 21 instants.
expect_eq "radio: one row per UE per sample period" \
    "$(sql "$TMP/r.db" 'SELECT count(*) FROM radio_samples WHERE run_id = 1')" "462"
expect_eq "radio: 21 sample instants" \
    "$(sql "$TMP/r.db" 'SELECT count(DISTINCT t_s) || " " || min(t_s) || " " || max(t_s) FROM radio_samples')" \
    "21 0.0 10.0"
expect_eq "radio: the run is complete with policy radio and the scenario's seed" \
    "$(sql "$TMP/r.db" "SELECT status || ' ' || policy || ' ' || seed FROM runs WHERE run_id = 1")" \
    "complete radio 4"
expect_eq "radio: cells, CQIs and rates are in range" \
    "$(sql "$TMP/r.db" 'SELECT count(*) FROM radio_samples WHERE cell_id < 0 OR cell_id >= 21 OR ul_cqi > 15 OR dl_cqi > 15 OR ul_rate_bps < 0 OR dl_rate_bps <= 0')" \
    "0"
expect_eq "radio: positioned UEs start where the file says" \
    "$(sql "$TMP/r.db" 'SELECT x_m || " " || y_m FROM radio_samples WHERE ue_id = 20 AND t_s = 0')" \
    "10.0 -20.0"
expect_exit 0 "radio: report reads the radio run" "$COINFER" report "$TMP/r.db"
expect_match "radio: report prints the radio samples table" "$OUT" "^radio samples"
expect_match "radio: report's radio line has 462 samples of 22 UEs" "$OUT" "^ +1 +462 +22 "

# ---- determinism and --seed ------------------------------------------------------------
"$COINFER" radio --quiet --db "$TMP/r.db" "$SC" >/dev/null 2>&1
"$COINFER" radio --quiet --seed 5 --db "$TMP/r.db" "$SC" >/dev/null 2>&1
same=$(sql "$TMP/r.db" 'SELECT count(*) FROM radio_samples a JOIN radio_samples b ON a.ue_id = b.ue_id AND a.t_s = b.t_s WHERE a.run_id = 1 AND b.run_id = 2 AND a.x_m = b.x_m AND a.dl_sinr_db = b.dl_sinr_db AND a.cell_id = b.cell_id')
expect_eq "radio: the same seed gives the same rows" "$same" "462"
other=$(sql "$TMP/r.db" 'SELECT count(*) FROM radio_samples a JOIN radio_samples b ON a.ue_id = b.ue_id AND a.t_s = b.t_s WHERE a.run_id = 1 AND b.run_id = 3 AND a.x_m = b.x_m AND a.t_s > 0')
expect_eq "radio: another --seed moves the UEs" "$other" "0"
expect_eq "radio: --seed is recorded" "$(sql "$TMP/r.db" 'SELECT seed FROM runs WHERE run_id = 3')" "5"

# ---- --csv -----------------------------------------------------------------------------
expect_exit 0 "radio: --csv runs" "$COINFER" radio --csv "$SC"
expect_eq "radio: --csv header" "$(head -n 1 <<<"$OUT")" \
    "ue_id,t_s,cell_id,x_m,y_m,ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,dl_rate_bps"
expect_eq "radio: --csv prints one line per sample" "$(tail -n +2 <<<"$OUT" | wc -l)" "462"
expect_match "radio: --csv puts the summary on stderr" "$ERR" "^radio run 0 complete"
if [ ! -e results/radio-small.db ]; then pass "radio: --csv alone writes no database"
else fail "radio: --csv alone writes no database"; fi
csv_row=$(sed -n '22p' <<<"$OUT" | cut -d, -f1-5)
db_row=$(sql "$TMP/r.db" "SELECT ue_id || ',' || t_s || ',' || cell_id FROM radio_samples WHERE run_id = 1 AND ue_id = 20 AND t_s = 0")
expect_eq "radio: --csv rows are the database's rows" "$(cut -d, -f1,3 <<<"$csv_row")" \
    "$(cut -d, -f1,3 <<<"$db_row")"
expect_exit 0 "radio: --csv with --db does both" "$COINFER" radio --csv --db "$TMP/both.db" "$SC"
expect_eq "radio: --csv with --db fills the database" \
    "$(sql "$TMP/both.db" 'SELECT count(*) FROM radio_samples')" "462"

# ---- a world with nothing scheduled still samples at every period ----------------
cat >"$TMP/static.xml" <<'XML'
<scenario name="static">
  <simulation duration="3 s"/>
  <radio sample-period="1 s">
    <ue-group count="2" placement="positions">
      <position x="50 m" y="0 m"/>
      <position x="0 m" y="-120 m"/>
    </ue-group>
  </radio>
</scenario>
XML
expect_exit 0 "radio: a static world runs" "$COINFER" radio --csv "$TMP/static.xml"
expect_eq "radio: a static world is sampled at 0, 1, 2 and 3 s" \
    "$(tail -n +2 <<<"$OUT" | cut -d, -f2 | sort -u | tr '\n' ' ')" "0 1 2 3 "

# ---- --link-budget -----------------------------------------------------------------------
expect_exit 0 "radio: --link-budget runs" "$COINFER" radio --link-budget scenarios/radio-7cells.xml
expect_eq "radio: --link-budget header" "$(head -n 1 <<<"$OUT")" \
    "distance_m,los_probability,pathloss_los_db,pathloss_nlos_db,ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,dl_rate_bps"
expect_eq "radio: --link-budget starts at 10 m" "$(sed -n '2p' <<<"$OUT" | cut -d, -f1)" "10"
# 200 m ISD, one sector: the cell edge is 200/sqrt(3) = 115.47 m.
expect_eq "radio: --link-budget ends at the cell edge" "$(tail -n 1 <<<"$OUT" | cut -d, -f1)" \
    "115.470054"
expect_eq "radio: --link-budget has a row every 10 m and the edge" "$(tail -n +2 <<<"$OUT" | wc -l)" "12"
mono=$(tail -n +2 <<<"$OUT" | awk -F, 'NR > 1 && ($4 < p || $6 > s) { bad = 1 } { p = $4; s = $6 } END { print bad ? "no" : "yes" }')
expect_eq "radio: --link-budget path loss rises and DL SINR falls with distance" "$mono" "yes"

# ---- SIGINT ------------------------------------------------------------------------------
sed -e 's/duration="60 s"/duration="100000 s"/' scenarios/radio-7cells.xml >"$TMP/long.xml"
"$COINFER" radio --quiet --db "$TMP/int.db" "$TMP/long.xml" >/dev/null 2>"$TMP/int.err" &
pid=$!
wait_until --pid "$pid" "the radio run to record samples before SIGINT" \
    has_rows "$TMP/int.db" radio_samples
kill -INT "$pid"
wait "$pid"
code=$?
expect_eq "radio: SIGINT exits 1" "$code" "1"
expect_eq "radio: SIGINT marks the run interrupted" \
    "$(sql "$TMP/int.db" 'SELECT status FROM runs')" "interrupted"
n=$(sql "$TMP/int.db" 'SELECT count(*) FROM radio_samples')
if [ "$n" -gt 0 ] && [ $((n % 1000)) -eq 0 ]; then pass "radio: SIGINT keeps whole sample periods"
else fail "radio: SIGINT keeps whole sample periods" "$n rows"; fi
