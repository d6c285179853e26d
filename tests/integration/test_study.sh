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
expect_match "names the option" "$ERR" "--run takes a whole number from 1 to 9223372036854775807, not 'x'"
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

# ---- sequential stopping ---------------------------------------------------------------
seq_xml() { # REL MIN MAX
    cat <<XML
<sweep name="seq" scenario="$here/scenarios/collab-small.xml">
  <factor name="gpus" path="edge/use[gpu]@count" values="1, 2"/>
  <factor name="dur" path="simulation@duration" values="1 s, 2 s"/>
  <policies>local joint</policies>
  <replications min="$2" max="$3" metric="mean_latency_s" rel-half-width="$1" first-seed="5"/>
</sweep>
XML
}
seq_xml 1000 2 6 >"$TMP/seq-easy.xml"
expect_exit 0 "validate accepts sequential stopping" "$COINFER" validate "$TMP/seq-easy.xml"
expect_exit 0 "--count counts every replication up to max" "$COINFER" sweep "$TMP/seq-easy.xml" --count
expect_eq "4 combinations x 6 x 2 policies" "$OUT" "48"
expect_exit 0 "a target every point meets at once" "$COINFER" sweep "$TMP/seq-easy.xml" \
    --db "$TMP/seq-easy.db" --jobs 2
expect_match "runs min replications only" "$OUT" "^sweep seq: 16 points: 16 run now"
expect_match "and says every combination is within the target" "$OUT" \
    "^sequential stopping on mean_latency_s: 4 combinations within 1000 x \|mean\|, 0 at 6 replications"
# joint's latency over the seeds from 5 on is within 10 % at 2 replications for
# dur = 2 s and not within 5 for dur = 1 s: some combinations stop, others go on
seq_xml 0.1 2 5 >"$TMP/seq.xml"
expect_exit 0 "a target between: replications are added per combination" "$COINFER" sweep \
    "$TMP/seq.xml" --db "$TMP/seq1.db" --jobs 1 --filter "policy == 'joint'"
# Check each combination's stop against the rule, recomputed here: with the
# replications it ran (n), every policy's half-width t(0.975, n-1) sd / sqrt(n)
# is within 0.04 |mean|, or n is 5; with n - 1 (when n > 2) some policy's is not.
means=$(sql "$TMP/seq1.db" "SELECT p.combination, p.policy, p.replication, avg(i.latency_s)
    FROM sweep_points p JOIN inferences i USING (run_id) WHERE i.t_done_s IS NOT NULL
    GROUP BY p.run_id ORDER BY p.combination, p.policy, p.replication")
verdict=$(awk -F'|' -v rel=0.1 -v max=5 '
    BEGIN { split("12.706204736 4.30265273 3.182446305 2.776445105 2.570581836", t, " ") }
    { key = $1 "|" $2; n[key]++; x[key, n[key]] = $4; comb[$1] = 1; pols[$1, $2] = 1 }
    function ok(c, k,    p, key, i, m, ss, h, all) {
        all = 1
        for (key in n) {
            split(key, a, "|"); if (a[1] != c) continue
            m = 0; for (i = 1; i <= k; i++) m += x[key, i]; m /= k
            ss = 0; for (i = 1; i <= k; i++) ss += (x[key, i] - m) ^ 2
            h = t[k - 1] * sqrt(ss / (k - 1)) / sqrt(k)
            if (!(h <= rel * (m < 0 ? -m : m))) all = 0
        }
        return all
    }
    END {
        bad = 0
        for (c in comb) {
            k = 0; for (key in n) { split(key, a, "|"); if (a[1] == c) k = n[key] }
            if (!(ok(c, k) || k == max)) { print "comb " c ": stopped at " k " outside the target"; bad = 1 }
            if (k > 2 && ok(c, k - 1)) { print "comb " c ": went on past " k - 1; bad = 1 }
            ns[k] = 1
        }
        if (!bad) { s = ""; for (k in ns) s = s k " "; print "ok" }
    }' <<<"$means")
expect_eq "each combination stopped where the rule says" "$verdict" "ok"
expect_eq "replications go on for some combinations and not for others" \
    "$(sql "$TMP/seq1.db" "SELECT group_concat(n) FROM (SELECT combination, count(*) AS n
        FROM sweep_points GROUP BY 1 ORDER BY 1)")" "5,2,5,2"
expect_exit 0 "the same with --jobs 2" "$COINFER" sweep "$TMP/seq.xml" --db "$TMP/seq2.db" --jobs 2 \
    --quiet --filter "policy == 'joint'"
expect_eq "runs the same points" \
    "$(sql "$TMP/seq2.db" "SELECT group_concat(point_key) FROM (SELECT point_key FROM sweep_points ORDER BY 1)")" \
    "$(sql "$TMP/seq1.db" "SELECT group_concat(point_key) FROM (SELECT point_key FROM sweep_points ORDER BY 1)")"
expect_exit 0 "run again" "$COINFER" sweep "$TMP/seq.xml" --db "$TMP/seq2.db" \
    --filter "policy == 'joint'"
expect_match "runs nothing more" "$OUT" " 0 run now, 0 failed now, "
expect_exit 0 "every policy of a combination runs the same replications" "$COINFER" sweep \
    "$TMP/seq-easy.xml" --db "$TMP/seq-easy.db" --quiet
expect_eq "(each combination and replication: both policies)" \
    "$(sql "$TMP/seq-easy.db" "SELECT count(*) FROM (SELECT combination, replication, count(*) AS k
        FROM sweep_points GROUP BY 1, 2) WHERE k != 2")" "0"
expect_exit 2 "--shard with sequential stopping" "$COINFER" sweep "$TMP/seq.xml" --db "$TMP/seq3.db" \
    --shard 0/2
expect_match "is a usage error saying why" "$ERR" "--shard: sweep seq stops its replications sequentially"
seq_xml 0.05 1 5 >"$TMP/seq-bad.xml"
expect_exit 2 "min below 2" "$COINFER" validate "$TMP/seq-bad.xml"
expect_match "is FILE:LINE" "$ERR" "seq-bad.xml:5: <replications>: min 1 is below 2"
seq_xml 0.05 3 2 >"$TMP/seq-bad.xml"
expect_exit 2 "max below min" "$COINFER" validate "$TMP/seq-bad.xml"
expect_match "is FILE:LINE" "$ERR" "seq-bad.xml:5: <replications>: max 2 is not in \[min, "
seq_xml 0 2 5 >"$TMP/seq-bad.xml"
expect_exit 2 "a target of 0" "$COINFER" validate "$TMP/seq-bad.xml"
expect_match "is FILE:LINE" "$ERR" "seq-bad.xml:5: <replications>: rel-half-width '0' is not a number > 0"
seq_xml 0.05 2 5 | sed 's/metric="mean_latency_s"/metric="speed"/' >"$TMP/seq-bad.xml"
expect_exit 2 "an unknown metric" "$COINFER" validate "$TMP/seq-bad.xml"
expect_match "is FILE:LINE naming the metrics" "$ERR" "seq-bad.xml:5: .*'speed' is not one of: mean_latency_s"
seq_xml 0.05 2 5 | sed 's/ rel-half-width="0.05"//' >"$TMP/seq-bad.xml"
expect_exit 2 "stopping without its target" "$COINFER" validate "$TMP/seq-bad.xml"
expect_match "names what is missing" "$ERR" "seq-bad.xml:5: .*rel-half-width missing"
seq_xml 0.05 2 5 | sed 's/first-seed="5"/count="3"/' >"$TMP/seq-bad.xml"
expect_exit 2 "stopping with count" "$COINFER" validate "$TMP/seq-bad.xml"
expect_match "says they exclude each other" "$ERR" "seq-bad.xml:5: .*it takes no count"

# ---- plot ------------------------------------------------------------------------------------
expect_exit 0 "plot --help" "$COINFER" plot --help
expect_match "lists the figures" "$OUT" "latency-cdf"
expect_exit 2 "an unknown figure is a usage error" "$COINFER" plot "$DB" --figure pie --out "$TMP/p.png"
expect_match "naming the figures there are" "$ERR" \
    "^coinfer plot: --figure pie: no such figure \(figures: sweep, latency-cdf, breakdown, energy, split, layers, training\)"
expect_exit 2 "an output that is not .png, .pdf or .svg" "$COINFER" plot "$DB" --figure sweep \
    --out "$TMP/p.gif"
expect_match "says which are" "$ERR" "--out .*p.gif: name a .png, .pdf or .svg file"
expect_exit 2 "an unknown metric" "$COINFER" plot "$DB" --figure sweep --metric speed --out "$TMP/p.png"
expect_match "lists the metrics" "$ERR" "--metric speed: no such metric \(metrics: mean_latency_s, "
expect_exit 2 "--x naming no factor" "$COINFER" plot "$DB" --figure sweep --x rate --out "$TMP/p.png"
expect_match "lists the factors" "$ERR" "--x rate: no sweep in .* has that factor \(factors: gpus, dur\)"
expect_exit 2 "--figure without --out" "$COINFER" plot "$DB" --figure sweep
expect_exit 2 "an output directory that does not exist" "$COINFER" plot "$DB" --figure sweep \
    --out "$TMP/nodir/p.png"
expect_exit 2 "the sweep figure of a database without sweeps" "$COINFER" plot "$TMP/plain.db" \
    --figure sweep --out "$TMP/p.png"
expect_match "says the data is missing" "$ERR" "no complete sweep point to plot"
"$COINFER" run scenarios/validation-mm1.xml --set "simulation@duration=100 s" \
    --set "simulation@warmup=0 s" \
    --db "$TMP/queue.db" --quiet >/dev/null 2>&1
expect_exit 2 "the latency CDF of a database without inferences" "$COINFER" plot "$TMP/queue.db" \
    --figure latency-cdf --out "$TMP/p.png"
expect_match "says the data is missing" "$ERR" "no finished inference of a complete run to plot"
expect_eq "and no figure is left behind" "$(ls "$TMP"/p.* 2>/dev/null)" ""

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "SKIP: the figures: gnuplot is not installed (Debian: gnuplot-nox; scripts/install-deps.sh installs it)"
    exit 0
fi
expect_exit 1 "gnuplot missing from PATH is a runtime error" env PATH=/nonexistent \
    "$COINFER" plot "$DB" --figure energy --out "$TMP/e.png"
expect_match "that says how to install it" "$ERR" "cannot run gnuplot: .*gnuplot-nox"

png_size() { # FILE -> "WIDTH HEIGHT" from the IHDR chunk
    od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216 + $2*65536 + $3*256 + $4,
        $5*16777216 + $6*65536 + $7*256 + $8 }'
}
for fig in sweep latency-cdf breakdown energy; do
    expect_exit 0 "plot --figure $fig as PNG" "$COINFER" plot "$DB" --figure "$fig" \
        --out "$TMP/$fig.png"
    expect_eq "$fig.png starts with the PNG signature" \
        "$(head -c 8 "$TMP/$fig.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
    expect_eq "$fig.png is 1000 x 650 pixels" "$(png_size "$TMP/$fig.png")" "1000 650"
    expect_eq "$fig.png has a picture's worth of bytes" "$(($(stat -c %s "$TMP/$fig.png") > 10000))" "1"
done
series() { grep -o 'id="gnuplot_plot_[0-9]*"' "$1" | sort -u | wc -l; }
expect_exit 0 "plot --figure sweep as SVG" "$COINFER" plot "$DB" --figure sweep --out "$TMP/s.svg"
expect_exit 0 "the SVG parses as XML" xmllint --noout "$TMP/s.svg"
expect_eq "one series per policy (gpus varies, dur does not)" "$(series "$TMP/s.svg")" "2"
expect_match "titled with the sweep, metric and factor" "$(cat "$TMP/s.svg")" \
    "sweep small: mean latency per inference \(s\) against gpus"
expect_match "the CI and the seeds are named" "$(cat "$TMP/s.svg")" \
    "mean and 95 % t-interval over 3 seeds"
expect_match "the legend names the policies" "$(tr -d '\n' <"$TMP/s.svg")" ">local</text>.*>joint</text>"
expect_exit 0 "--x dur --metric p95_latency_s" "$COINFER" plot "$DB" --figure sweep --x dur \
    --metric p95_latency_s --out "$TMP/s2.svg"
expect_eq "one series per policy and gpus value" "$(series "$TMP/s2.svg")" "4"
expect_match "labelled with the time unit" "$(cat "$TMP/s2.svg")" ">dur \(s\)</text>"
expect_match "and the legend names the other factor's value" "$(cat "$TMP/s2.svg")" ">local, gpus=2</text>"
expect_exit 0 "plot --figure breakdown as SVG" "$COINFER" plot "$DB" --figure breakdown \
    --out "$TMP/b.svg"
expect_exit 0 "it parses as XML" xmllint --noout "$TMP/b.svg"
expect_eq "six stacked components" "$(series "$TMP/b.svg")" "6"
expect_match "named in the legend" "$(cat "$TMP/b.svg")" ">edge compute</text>"
expect_exit 0 "plot --figure energy as SVG" "$COINFER" plot "$DB" --figure energy --out "$TMP/en.svg"
expect_eq "two series, UE and edge" "$(series "$TMP/en.svg")" "2"
expect_match "the y axis names its unit" "$(cat "$TMP/en.svg")" "mean energy per inference \(J\)"
expect_exit 0 "plot --figure latency-cdf as SVG" "$COINFER" plot "$DB" --figure latency-cdf \
    --out "$TMP/c.svg"
expect_eq "one line per policy" "$(series "$TMP/c.svg")" "2"
expect_exit 0 "plot --figure latency-cdf as PDF" "$COINFER" plot "$DB" --figure latency-cdf \
    --out "$TMP/c.pdf"
expect_eq "a PDF file" "$(head -c 5 "$TMP/c.pdf")" "%PDF-"
mkdir -p "$TMP/pt"
expect_exit 0 "plot with TMPDIR set" env TMPDIR="$TMP/pt" "$COINFER" plot "$DB" --figure energy \
    --out "$TMP/en2.png"
expect_eq "leaves nothing behind in TMPDIR" "$(ls -A "$TMP/pt")" ""
expect_exit 1 "a failing gnuplot is a runtime error" env TMPDIR="$TMP/pt" PATH="$TMP/fakebin:$PATH" \
    bash -c 'mkdir -p "$0" && printf "#!/bin/sh\necho \"plot.gp, line 3: broken\" >&2\nexit 1\n" \
        >"$0/gnuplot" && chmod +x "$0/gnuplot" && exec "$1" plot "$2" --figure energy --out "$3"' \
    "$TMP/fakebin" "$COINFER" "$DB" "$TMP/en3.png"
expect_match "quoting gnuplot's stderr" "$ERR" "gnuplot failed \(exit status 1\): plot.gp, line 3: broken"
expect_eq "with no figure and nothing left behind" "$(ls "$TMP"/en3.* 2>/dev/null; ls -A "$TMP/pt")" ""
