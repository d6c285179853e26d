#!/usr/bin/env bash
# The ablation report (issue 10): the baselines and the method on one scenario
# over several seeds, with 95 % confidence intervals over the seeds.
#
#   scripts/ablation.sh [options] [SCENARIO]      (default scenarios/default.xml)
#   scripts/ablation.sh --from DB
#
#   --seeds N          seeds 1..N (10); --first-seed S starts at S instead (N seeds)
#   --policies "P..."  the policies to run, in this order (default: local edge
#                      resource split split-default joint oracle; `all` runs
#                      `coinfer run --policy all`, random included)
#   --set PATH=VALUE   passed on to every `coinfer run` (repeatable)
#   --db FILE          keep the runs in FILE (default: a temporary database,
#                      removed at exit); its earlier runs are left out of the report
#   --from DB          no runs: report every complete run of DB (seeds and
#                      policies as recorded, in the order of their first run,
#                      or of a sweep's points when DB holds a sweep), e.g. runs
#                      made by hand with `coinfer run SCENARIO --policy all
#                      --seed N --db DB`
#
# For each seed, `coinfer run SCENARIO --policy P --seed N --db DB --quiet` per
# policy (build/coinfer, or $COINFER); every policy of a seed sees the same
# requests and channels (common random numbers). Then, from the database
# (SQL), per run and model over the finished inferences: the mean latency,
# the 95th percentile (exact, R type 7, as `coinfer report`), the mean UE
# energy, and the unfinished count. Printed per model and for all models
# together: each policy's figures as mean +- the half-width of a 95 %
# Student-t interval over the seeds (one value per seed), and the gain of
# joint over split, resource and split-default (1 - joint / baseline, per
# seed, then mean +- half-width: positive when joint is lower), for the mean
# latency, the p95 and the UE energy. With one seed there is no interval
# (printed -). Exit 2 on bad usage, 1 when a run fails.
set -u
cd "$(dirname "$0")/.." || exit 1
COINFER=${COINFER:-build/coinfer}

usage() {
    sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "ablation: $1" >&2; exit "${2:-1}"; }

seeds=10 first=1 policies="local edge resource split split-default joint oracle"
db="" from="" scenario="" sets=()
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage ;;
        --seeds) [ $# -ge 2 ] || usage; seeds=$2; shift 2 ;;
        --first-seed) [ $# -ge 2 ] || usage; first=$2; shift 2 ;;
        --policies) [ $# -ge 2 ] || usage; policies=$2; shift 2 ;;
        --set) [ $# -ge 2 ] || usage; sets+=(--set "$2"); shift 2 ;;
        --db) [ $# -ge 2 ] || usage; db=$2; shift 2 ;;
        --from) [ $# -ge 2 ] || usage; from=$2; shift 2 ;;
        -*) echo "ablation: unknown option '$1'" >&2; usage ;;
        *) [ -z "$scenario" ] || usage; scenario=$1; shift ;;
    esac
done
[[ $seeds =~ ^[1-9][0-9]*$ ]] || die "--seeds must be a positive integer, not '$seeds'" 2
[[ $first =~ ^[0-9]+$ ]] || die "--first-seed must be a non-negative integer, not '$first'" 2
[ -n "$policies" ] || die "--policies names no policy" 2
command -v sqlite3 >/dev/null || die "sqlite3 is missing (scripts/install-deps.sh installs it)"

if [ -n "$from" ]; then
    [ -z "$scenario" ] && [ -z "$db" ] && [ ${#sets[@]} -eq 0 ] ||
        die "--from reports a database: no scenario, --db or --set with it" 2
    [ -f "$from" ] || die "--from $from: no such file" 2
    db=$from
    after=0
else
    scenario=${scenario:-scenarios/default.xml}
    [ -f "$scenario" ] || die "$scenario: no such scenario file" 2
    [ -x "$COINFER" ] || die "$COINFER is missing (make)"
    if [ -z "$db" ]; then
        tmp=$(mktemp -d /tmp/coinfer-ablation-XXXXXX) || exit 1
        trap 'rm -rf "$tmp"' EXIT
        db=$tmp/ablation.db
    fi
    after=0
    if [ -f "$db" ]; then
        after=$(sqlite3 -batch -noheader "$db" "SELECT coalesce(max(run_id), 0) FROM runs" 2>/dev/null) ||
            die "--db $db is not a results database"
    fi
    if [ "$policies" = all ]; then run_list=(all); else read -r -a run_list <<<"$policies"; fi
    last=$((first + seeds - 1))
    echo "ablation: $scenario, seeds $first..$last, policies: ${run_list[*]}${sets:+ (${sets[*]})}" >&2
    for ((s = first; s <= last; s++)); do
        for p in "${run_list[@]}"; do
            printf 'ablation: seed %d, %s\n' "$s" "$p" >&2
            "$COINFER" run "$scenario" --policy "$p" --seed "$s" "${sets[@]}" --db "$db" --quiet ||
                die "'$COINFER run $scenario --policy $p --seed $s ${sets[*]} --db $db' failed"
        done
    done
fi

# The runs reported, in the order the policies were asked (or first run).
q() { sqlite3 -batch -noheader -separator ' ' "$db" "$1"; }
n_runs=$(q "SELECT count(*) FROM runs WHERE run_id > $after AND status = 'complete'") ||
    die "$db is not a results database"
[ "$n_runs" -gt 0 ] || die "$db has no complete run to report"
if [ -n "$from" ] && [ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'sweep_points'")" = 1 ] &&
    [ "$(q "SELECT count(*) FROM sweep_points WHERE status = 'complete'")" != 0 ]; then
    # a sweep's database: the sweep's order of policies (its points' order), which does not
    # depend on the order its workers' runs were imported in; runs of no point after them
    order=$(q "SELECT r.policy FROM runs r LEFT JOIN sweep_points p USING (run_id)
               WHERE r.status = 'complete' GROUP BY r.policy
               ORDER BY min(coalesce(p.point_index, 9e18)), min(r.run_id)" | tr '\n' ' ')
elif [ -n "$from" ] || [ "$policies" = all ]; then
    order=$(q "SELECT policy FROM runs WHERE run_id > $after AND status = 'complete'
               GROUP BY policy ORDER BY min(run_id)" | tr '\n' ' ')
else
    order=$policies
fi

# One line per finished inference, grouped by (policy, seed, model) and sorted
# by latency within, then the same with every model pooled (model "*"); then
# the unfinished counts. awk (POSIX: mawk will do) does the statistics.
finished="FROM inferences i JOIN runs r USING (run_id)
          WHERE r.run_id > $after AND r.status = 'complete' AND i.t_done_s IS NOT NULL"
{
    q "SELECT 'row', r.policy, r.seed, i.model, i.latency_s, i.ue_energy_j $finished
       ORDER BY r.policy, r.seed, i.model, i.latency_s"
    q "SELECT 'row', r.policy, r.seed, '*', i.latency_s, i.ue_energy_j $finished
       ORDER BY r.policy, r.seed, i.latency_s"
    q "SELECT 'unfinished', r.policy, r.seed, i.model, count(*)
       FROM inferences i JOIN runs r USING (run_id)
       WHERE r.run_id > $after AND r.status = 'complete' AND i.t_done_s IS NULL
       GROUP BY r.policy, r.seed, i.model"
} | awk -v order="$order" -v source="$db" '
# t quantile 0.975 with df degrees of freedom (Student); beyond 30, the
# Cornish-Fisher term of the normal (within 1e-3).
function tq(df) {
    if (df <= 30) return T[df]
    return 1.959964 + 2.4 / df
}
# R type 7 quantile p of v[1..n] (sorted).
function quantile(p, n,   h, lo) {
    h = (n - 1) * p; lo = int(h)
    if (lo >= n - 1) return v[n]
    return v[lo + 1] + (h - lo) * (v[lo + 2] - v[lo + 1])
}
# The group read (its latencies sorted in v[1..n], energies in en[]).
function flush(   k, sl, se) {
    if (cur == "") return
    sl = 0; se = 0
    for (k = 1; k <= n; k++) { sl += v[k]; se += en[k] }
    stat[cur_p, cur_s, cur_m, "mean"] = sl / n
    stat[cur_p, cur_s, cur_m, "p95"] = quantile(0.95, n)
    stat[cur_p, cur_s, cur_m, "energy"] = se / n
    have[cur_p, cur_s, cur_m] = 1
    if (cur_m != "*" && !(cur_m in models)) { models[cur_m] = 1; mlist[++nm] = cur_m }
    if (!(cur_s in seedset)) { seedset[cur_s] = 1; n_seed++ }
    polset[cur_p] = 1
    cur = ""
}
# "mean +- half-width" of k values with sum and sum of squares, printed with
# fmt and hw_fmt, then suffix.
function ci(sum, sq, k, fmt, hw_fmt, suffix,   mean, var, hw) {
    if (k == 0) return "-"
    mean = sum / k
    if (k < 2) return sprintf(fmt " +- -%s", mean, suffix)
    var = (sq - k * mean * mean) / (k - 1)
    if (var < 0) var = 0
    hw = tq(k - 1) * sqrt(var / k)
    return sprintf(fmt " +- " hw_fmt "%s", mean, hw, suffix)
}
BEGIN {
    split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 " \
          "2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 " \
          "2.060 2.056 2.052 2.048 2.045 2.042", T, " ")
    cur = ""; nm = 0; n_seed = 0
}
$1 == "row" {
    key = $2 SUBSEP $3 SUBSEP $4
    if (key != cur) { flush(); cur = key; cur_p = $2; cur_s = $3; cur_m = $4; n = 0 }
    v[++n] = $5 + 0; en[n] = $6 + 0
    next
}
$1 == "unfinished" { flush(); unf[$2, $3, $4] += $5; unf[$2, $3, "*"] += $5; next }
END {
    flush()
    # the models by name
    for (i = 2; i <= nm; i++)
        for (j = i; j > 1 && mlist[j - 1] > mlist[j]; j--) { t = mlist[j]; mlist[j] = mlist[j - 1]; mlist[j - 1] = t }
    mlist[++nm] = "*"
    n_pol = split(order, pol, " ")
    n_fig = split("mean p95 energy", fig, " ")
    printf "Ablation (%s): %d seed(s); each model over its finished inferences;\n", source, n_seed
    printf "mean +- the half-width of a 95 %% t interval over the seeds (- with one seed).\n"
    for (mi = 1; mi <= nm; mi++) {
        m = mlist[mi]
        printf "\nmodel %s\n", m == "*" ? "(all models)" : m
        printf "%-18s %22s %22s %22s %11s\n", "policy", "mean latency (ms)", "p95 latency (ms)",
               "UE energy (mJ)", "unfinished"
        for (pi = 1; pi <= n_pol; pi++) {
            p = pol[pi]
            if (!(p in polset)) continue
            line = sprintf("%-18s", p)
            for (fi = 1; fi <= n_fig; fi++) {
                f = fig[fi]; k = 0; sum = 0; sq = 0
                for (s in seedset)
                    if ((p, s, m) in have) { x = 1e3 * stat[p, s, m, f]; k++; sum += x; sq += x * x }
                line = line sprintf(" %22s", ci(sum, sq, k, "%.3f", "%.3f", ""))
            }
            u = 0
            for (s in seedset) u += unf[p, s, m]
            print line sprintf(" %11d", u)
        }
        if (!("joint" in polset)) continue
        printf "%-18s %22s %22s %22s\n", "gain of joint", "mean latency", "p95 latency", "UE energy"
        nb = split("split resource split-default", base, " ")
        for (bi = 1; bi <= nb; bi++) {
            b = base[bi]
            if (!(b in polset)) continue
            line = sprintf("%-18s", "over " b)
            for (fi = 1; fi <= n_fig; fi++) {
                f = fig[fi]; k = 0; sum = 0; sq = 0
                for (s in seedset)
                    if (("joint", s, m) in have && (b, s, m) in have && stat[b, s, m, f] > 0) {
                        x = 100 * (1 - stat["joint", s, m, f] / stat[b, s, m, f])
                        k++; sum += x; sq += x * x
                    }
                line = line sprintf(" %22s", ci(sum, sq, k, "%+.2f", "%.2f", " %"))
            }
            print line
        }
    }
}
'
