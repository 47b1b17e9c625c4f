#!/usr/bin/env python3
"""Compares two runs of the same scenario and seed, metric by metric and plan by plan.

Used to check that a new stream version (the same laws drawn differently, so different
futures for a seed) moves no result beyond Monte Carlo noise:

    python3 scripts/compare-summaries.py OLD_DIR NEW_DIR [Z]

Each directory is a `pivotsim run` output with `runs.csv`. For each plan and each numeric
column of `runs.csv`, the replications are paired (same replication index: the streams the
new version leaves alone are the same draws) and the mean of new − old is tested against 0
with its paired standard error: z = mean(d) / (sd(d)/√n). Pairing makes the test sharper
than comparing the two means as if independent, because the shared draws cancel. Prints every
column with |z| > Z (default 3), the largest |z| and a count; exits 1 when any exceeds Z.
With about 100 columns × plans, a few |z| above 2 are expected by chance; above 3, rarely.
"""
import csv
import math
import sys
from collections import defaultdict


def load(directory):
    """{(plan, column): {replication: value}} of the finite numeric cells of runs.csv."""
    values = defaultdict(dict)
    with open(f"{directory}/runs.csv", newline="") as f:
        for row in csv.DictReader(f):
            rep, plan = int(row["replication"]), row["plan"]
            for column, cell in row.items():
                if column in ("replication", "plan"):
                    continue
                try:
                    x = float(cell)
                except ValueError:
                    continue
                if math.isfinite(x):
                    values[(plan, column)][rep] = x
    return values


def main():
    old, new = load(sys.argv[1]), load(sys.argv[2])
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    compared, beyond, largest = 0, 0, (0.0, "")
    for key, a in old.items():
        b = new.get(key, {})
        diffs = [b[r] - a[r] for r in a if r in b]
        n = len(diffs)
        if n < 30:
            continue
        mean = sum(diffs) / n
        var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
        if var == 0.0:
            if mean != 0.0:
                print(f"{key[0]}: {key[1]}: every future moved by {mean:.6g}")
                beyond += 1
            continue
        z = mean / math.sqrt(var / n)
        compared += 1
        label = f"{key[0]}: {key[1]}"
        if abs(z) > abs(largest[0]):
            largest = (z, label)
        if abs(z) > limit:
            beyond += 1
            print(f"{label}: mean change {mean:.6g} (z = {z:.2f}, {n} paired futures)")
    print(f"{compared} columns compared on paired futures; {beyond} beyond |z| = {limit:g}; "
          f"largest |z| {abs(largest[0]):.2f} ({largest[1]})")
    sys.exit(1 if beyond else 0)


if __name__ == "__main__":
    main()
