#!/usr/bin/env python3
"""rows_diff.py A.db B.db: how far apart two runs' inference rows are.

Compares the inferences tables of two results databases (one run each, rows
matched by inference_id, every column but run_id): prints the row counts,
how many rows are identical, and per column that differs how many rows
differ with the largest relative difference (numbers; texts whose numbers
alone differ, such as decided_edge_waits_s, by their numbers). A column
whose values differ otherwise (a split, an allocation, a flag) is printed as
CATEGORICAL and makes the exit code 1. Used to show that a speed-up changes
rows by rounding only (README, Benchmarks)."""
import collections
import re
import sqlite3
import sys

NUM = re.compile(r'[-+]?\d+\.?\d*(?:e[-+]?\d+)?')


def rows(path):
    con = sqlite3.connect(path)
    cols = [r[1] for r in con.execute("pragma table_info(inferences)") if r[1] != 'run_id']
    return cols, con.execute("select %s from inferences order by inference_id"
                             % ",".join(cols)).fetchall()


def rel(x, y):
    return abs(x - y) / max(abs(x), abs(y))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: rows_diff.py A.db B.db")
    ca, a = rows(sys.argv[1])
    cb, b = rows(sys.argv[2])
    if ca != cb or len(a) != len(b):
        print(f"different tables: {len(a)} rows against {len(b)}")
        return 1
    count, worst = collections.Counter(), collections.defaultdict(float)
    identical = sum(ra == rb for ra, rb in zip(a, b))
    for ra, rb in zip(a, b):
        for col, x, y in zip(ca, ra, rb):
            if x == y:
                continue
            if isinstance(x, float) and isinstance(y, float):
                key, r = col, rel(x, y)
            elif (isinstance(x, str) and isinstance(y, str) and
                  NUM.sub('#', x) == NUM.sub('#', y)):
                key = col + " (its numbers)"
                r = max((rel(float(p), float(q)) for p, q in zip(NUM.findall(x), NUM.findall(y))
                         if float(p) != float(q)), default=0.0)
            else:
                key, r = "CATEGORICAL " + col, 0.0
            count[key] += 1
            worst[key] = max(worst[key], r)
    print(f"{len(a)} rows, {identical} identical")
    for key in sorted(count):
        print(f"  {key}: {count[key]} rows differ, largest relative difference {worst[key]:.3g}")
    return 1 if any(k.startswith("CATEGORICAL") for k in count) else 0


if __name__ == "__main__":
    sys.exit(main())
