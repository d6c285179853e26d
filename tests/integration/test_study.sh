#!/usr/bin/env bash
# What comes out of a parameter study: `coinfer export` (any table as CSV or
# TSV, the sweeps' per-point statistics as one tidy table), `coinfer report
# --sweep --versus POLICY` (paired differences over common random numbers)
# and `coinfer plot` (figures through gnuplot; those checks skip, saying
# why, where gnuplot is absent). Every figure is checked against the
# database it comes from.
set -u
. "$(dirname "$0")/lib.sh"

here=$(pwd)
cat >"$TMP/s.xml" <<XML
<sweep name="small" scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 2"/>
  <factor name="dur" path="simulation@duration" values="2 s"/>
  <policies>local joint</policies>
  <replications count="3" first-seed="3"/>
</sweep>
XML
DB=$TMP/s.db
expect_exit 0 "a small sweep runs" "$COINFER" sweep "$TMP/s.xml" --db "$DB" --jobs 2 --quiet

# ---- export --table ------------------------------------------------------------------------
expect_exit 0 "export --table runs" "$COINFER" export "$DB" --table runs
expect_eq "its header names the table's columns" "$(head -1 <<<"$OUT")" \
    "$(sql "$DB" "SELECT group_concat(name, ',') FROM pragma_table_info('runs')")"
# the overrides column holds line breaks: a field with them is quoted
expect_match "a field with line breaks is quoted" "$OUT" ',"edge/use\[gpu\]@count=1$'
# sqlite3's .import --csv reads RFC 4180 (quoted fields, doubled quotes, line breaks)
"$COINFER" export "$DB" --table runs --out "$TMP/runs.csv"
expect_eq "an RFC 4180 reader finds the runs table again, line breaks and all" \
    "$(sql :memory: ".import --csv $TMP/runs.csv t" \
        "SELECT count(*), sum(overrides LIKE '%'||char(10)||'simulation@seed=%') FROM t")" \
    "$(sql "$DB" "SELECT count(*), count(*) FROM runs")"
expect_exit 0 "export --table inferences --run 2 --tsv --out FILE" "$COINFER" export "$DB" \
    --table inferences --run 2 --tsv --out "$TMP/inf.tsv"
expect_eq "it prints nothing on stdout" "$OUT" ""
expect_eq "the file holds run 2's inferences and a header" "$(($(wc -l <"$TMP/inf.tsv") - 1))" \
    "$(sql "$DB" "SELECT count(*) FROM inferences WHERE run_id = 2")"
expect_eq "tab-separated, every line with every column" \
    "$(awk -F'\t' '{print NF}' "$TMP/inf.tsv" | sort -u)" \
    "$(sql "$DB" "SELECT count(*) FROM pragma_table_info('inferences')")"
vals=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "latency_s") c = i; next }
    $c != "" { printf "%s%s", sep, $c; sep = "," }' "$TMP/inf.tsv")
expect_eq "reals are exact: each latency_s read back equals the stored double" \
    "$(sql "$DB" "SELECT count(*) FROM inferences WHERE run_id = 2 AND latency_s IN ($vals)")" \
    "$(sql "$DB" "SELECT count(latency_s) FROM inferences WHERE run_id = 2")"
expect_exit 2 "an unknown table is a usage error" "$COINFER" export "$DB" --table nope
expect_match "naming the valid ones" "$ERR" "--table nope: .* has no such table \(its tables: .*inferences.*runs"
expect_exit 2 "--run on a table without run_id" "$COINFER" export "$DB" --table configs --run 1
expect_match "says so" "$ERR" "table configs has no run_id column"
expect_exit 2 "--csv and --tsv together" "$COINFER" export "$DB" --table runs --csv --tsv
expect_exit 2 "nothing to export" "$COINFER" export "$DB"
expect_match "names the options" "$ERR" "--table T or --sweep"
expect_exit 2 "--run x" "$COINFER" export "$DB" --table runs --run x
expect_match "names the option" "$ERR" "--run 'x' is not a run id"
expect_exit 2 "a missing database" "$COINFER" export "$TMP/none.db" --table runs
expect_exit 0 "export --help" "$COINFER" export --help
expect_match "documents --sweep" "$OUT" "--sweep +one tidy table"

# ---- export --sweep ----------------------------------------------------------------------
expect_exit 0 "export --sweep" "$COINFER" export "$DB" --sweep
expect_eq "a tidy header: sweep, factors, policy, metric and statistics" "$(head -1 <<<"$OUT")" \
    "sweep,gpus,dur,policy,metric,n,mean,sd,ci95_half_width,ci95_low,ci95_high"
line=$(grep '^small,1,2,joint,mean_latency_s,' <<<"$OUT")
expect_match "factor values are numbers in SI; n is the replications" "$line" \
    '^small,1,2,joint,mean_latency_s,3,'
want=$(sql "$DB" "SELECT avg(m) FROM (SELECT avg(i.latency_s) AS m FROM sweep_points p
    JOIN sweep_values v USING (point_key) JOIN inferences i USING (run_id)
    WHERE v.factor = 'gpus' AND v.value = '1' AND p.policy = 'joint'
    AND i.t_done_s IS NOT NULL GROUP BY p.run_id)")
expect_eq "its mean is the mean of the runs' mean latencies" \
    "$(awk -F, -v b="$want" '{ d = $7 - b; if (d < 0) d = -d; print (d <= 1e-9 * b) }' <<<"$line")" "1"
expect_eq "half-width = t(0.975, 2) sd / sqrt(3), low and high around the mean" \
    "$(awk -F, '{ h = 4.302652729911275 * $8 / sqrt(3); d = $9 - h; if (d < 0) d = -d;
        e = ($10 + $9 - $7); if (e < 0) e = -e; f = ($11 - $9 - $7); if (f < 0) f = -f;
        print (d <= 1e-6 * h && e <= 1e-9 * $7 && f <= 1e-9 * $7) }' <<<"$line")" "1"
expect_eq "one line per point, policy and metric with data" \
    "$(($(wc -l <<<"$OUT") - 1))" "$(("$(grep -c . <<<"$OUT")" - 1))"
expect_eq "every point and policy has its mean_latency_s line" \
    "$(grep -c ',mean_latency_s,3,' <<<"$OUT")" "4"
expect_exit 2 "export --sweep of a database without sweeps" "$COINFER" export "$TMP/none2.db" --sweep
"$COINFER" run scenarios/collab-small.xml --set "simulation@duration=1 s" --db "$TMP/plain.db" \
    --quiet >/dev/null 2>&1
expect_exit 2 "export --sweep of runs that are not a sweep" "$COINFER" export "$TMP/plain.db" --sweep
expect_match "says there is no sweep point" "$ERR" "no complete sweep point to export"

# ---- report --sweep --versus ---------------------------------------------------------------
expect_exit 0 "report --sweep --versus joint" "$COINFER" report "$DB" --sweep --versus joint
expect_match "prints the per-point statistics" "$OUT" "^sweep small: per point over its replications"
expect_match "then the paired differences" "$OUT" \
    "^sweep small: paired differences against joint \(policy - joint on the same seeds"
pline=$(sed -n '/paired differences/,$p' <<<"$OUT" | grep -E "^gpus=1, dur=2 s +local +mean_latency_s ")
want=$(sql "$DB" "WITH m AS (SELECT p.policy, p.seed, avg(i.latency_s) AS lat FROM sweep_points p
    JOIN sweep_values v USING (point_key) JOIN inferences i USING (run_id)
    WHERE v.factor = 'gpus' AND v.value = '1' AND i.t_done_s IS NOT NULL
    GROUP BY p.policy, p.seed)
    SELECT printf('%.12g %.12g', avg(d), sqrt(sum((d - a) * (d - a)) / (count(*) - 1)))
    FROM (SELECT l.lat - j.lat AS d, (SELECT avg(l2.lat - j2.lat) FROM m l2 JOIN m j2
          ON l2.seed = j2.seed AND l2.policy = 'local' AND j2.policy = 'joint') AS a
          FROM m l JOIN m j ON l.seed = j.seed AND l.policy = 'local' AND j.policy = 'joint')")
expect_eq "its mean and sd are those of local - joint paired by seed" \
    "$(awk -v w="$want" '{ split(w, x, " "); d1 = $(NF-3) - x[1]; d2 = $(NF-2) - x[2];
        if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2; s = x[1] < 0 ? -x[1] : x[1];
        print ($(NF-4) == 3 && d1 <= 1e-5 * s && d2 <= 1e-5 * x[2] + 1e-15) }' <<<"$pline")" "1"
expect_eq "its interval is mean -+ t(0.975, 2) sd / sqrt(3)" \
    "$(awk '{ m = $(NF-3); sd = $(NF-2); h = 4.302652729911275 * sd / sqrt(3);
        d = (m - $(NF-1)) - h; if (d < 0) d = -d; print (d <= 1e-4 * h + 1e-15) }' <<<"$pline")" "1"
expect_eq "the reference policy has no line of its own" \
    "$(sed -n '/paired differences/,$p' <<<"$OUT" | grep -cE '^gpus=.* joint ')" "0"
expect_exit 2 "--versus a policy the sweep lacks" "$COINFER" report "$DB" --sweep --versus edge
expect_match "names the sweep's policies" "$ERR" "--versus edge: .*policies: local, joint"
expect_exit 2 "--versus without --sweep" "$COINFER" report "$DB" --versus joint
expect_match "is a usage error" "$ERR" "--versus goes with --sweep"
