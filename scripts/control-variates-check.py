#!/usr/bin/env python3
"""Control variates over independent seeds (docs/validation.md, "Control variates").

Runs the default scenario once per seed (FIRST .. FIRST + COUNT - 1, RUNS futures each) and
compares, for each plan against the baseline, the plain mean difference (`diff` in
summary.json) with what `pivotsim run` reports (`controlled` where control variates applied,
else `diff`): the mean and the spread of the estimates over the seeds, the mean reported
standard error, how often the 95% interval covers the mean of all the reported estimates, and
the mean of plain minus reported (a bias check).

    python3 scripts/control-variates-check.py [BINARY] [FIRST] [COUNT] [RUNS]

Defaults: target/release/pivotsim, 101, 200, 1000. Needs only Python 3's standard library.
"""
import json
import statistics as st
import subprocess
import sys
import tempfile
from pathlib import Path

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/pivotsim"
first = int(sys.argv[2]) if len(sys.argv) > 2 else 101
count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
runs = sys.argv[4] if len(sys.argv) > 4 else "1000"

summaries = []
with tempfile.TemporaryDirectory() as tmp:
    for seed in range(first, first + count):
        out = Path(tmp) / f"s{seed}"
        subprocess.run(
            [binary, "run", "--runs", runs, "--seed", str(seed), "-q", "--no-plots",
             "--no-report", "-o", str(out)],
            check=True, stdout=subprocess.DEVNULL)
        summaries.append(json.loads((out / "summary.json").read_text()))

M = 1e6
print(f"{count} seeds from {first}, {runs} futures each")
for c, comparison in enumerate(summaries[0]["comparisons"]):
    for key in ["npv_usd", "project_npv_usd"]:
        plain, reported, adjusted = [], [], 0
        for s in summaries:
            m = s["comparisons"][c]["metrics"][key]
            plain.append(m["diff"])
            reported.append(m.get("controlled") or m["diff"])
            adjusted += "controlled" in m
        centre = st.mean(r["mean"] for r in reported)
        cover = lambda xs: sum(x["ci95_low"] <= centre <= x["ci95_high"] for x in xs)
        gaps = [p["mean"] - r["mean"] for p, r in zip(plain, reported)]
        print(f"{comparison['a']} - {comparison['b']}, {key}: adjusted in {adjusted} of {count}")
        for name, xs in [("plain", plain), ("reported", reported)]:
            print(f"  {name:8}: mean {st.mean(x['mean'] for x in xs) / M:.2f}M, "
                  f"spread {st.stdev(x['mean'] for x in xs) / M:.2f}M, "
                  f"mean SE {st.mean(x['std_error'] for x in xs) / M:.2f}M, "
                  f"intervals covering the mean of the reported: {cover(xs)}")
        print(f"  plain - reported: {st.mean(gaps) / M:.3f}M "
              f"± {st.stdev(gaps) / M / len(gaps) ** 0.5:.3f}M (one standard error)")
