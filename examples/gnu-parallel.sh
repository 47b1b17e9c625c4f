#!/usr/bin/env bash
# Run a pivotsim study as N shards on one machine, JOBS at a time, then merge them: the merged
# outputs are byte-identical to one `pivotsim run --runs RUNS --seed SEED`. Uses GNU parallel, or
# `xargs -P` when it is not installed. See examples/slurm/README.md ("Single machine: GNU parallel").
#
# Usage: examples/gnu-parallel.sh [SCENARIO]        (default: the embedded default scenario)
# Environment:
#   SHARDS=8      shard count N
#   JOBS=4        shards running at once (each with one thread)
#   RUNS=100000   replications of the whole study
#   SEED=7        root seed
#   OUT=pivotsim-parallel   study folder: OUT/shards/1..N, then OUT/merged (must not exist yet)
#   PIVOTSIM=pivotsim       the binary
#   NO_PLOTS=1    merge without PNG/SVG plots
# It is equivalent to
#   parallel -j4 pivotsim run SCENARIO --runs 100000 --seed 7 --shard {}/8 --out OUT/shards/{} --no-plots -q --jobs 1 ::: $(seq 1 8)
#   pivotsim merge OUT/shards/* --out OUT/merged
set -euo pipefail

SHARDS=${SHARDS:-8}
JOBS=${JOBS:-4}
RUNS=${RUNS:-100000}
SEED=${SEED:-7}
OUT=${OUT:-pivotsim-parallel}
PIVOTSIM=${PIVOTSIM:-pivotsim}
SCENARIO=${1:-}

if [[ -e $OUT && -n $(ls -A "$OUT") ]]; then
  echo "gnu-parallel.sh: $OUT exists and is not empty; choose another OUT or remove it" >&2
  exit 2
fi
mkdir -p "$OUT/shards"

# The shard command, with {} standing for the shard number K.
cmd=("$PIVOTSIM" run)
[[ -z $SCENARIO ]] || cmd+=("$SCENARIO")
cmd+=(--runs "$RUNS" --seed "$SEED" --shard "{}/$SHARDS" --out "$OUT/shards/{}" --no-plots -q --jobs 1)

start=$SECONDS
if command -v parallel >/dev/null 2>&1; then
  echo "running $SHARDS shards, $JOBS at a time, with GNU parallel" >&2
  # -q: quote the command's words (paths with spaces); --halt soon,fail=1: start no new shard
  # after a failure, let the running ones finish.
  parallel --will-cite -q -j "$JOBS" --halt soon,fail=1 "${cmd[@]}" ::: $(seq 1 "$SHARDS")
else
  echo "running $SHARDS shards, $JOBS at a time, with xargs -P (GNU parallel not found)" >&2
  # xargs exits with 123 if any shard failed (after running the others).
  seq 1 "$SHARDS" | xargs -P "$JOBS" -I{} "${cmd[@]}"
fi
echo "shards done in $((SECONDS - start)) s" >&2

merge=("$PIVOTSIM" merge "$OUT"/shards/* --out "$OUT/merged")
[[ ${NO_PLOTS:-0} != 1 ]] || merge+=(--no-plots)
"${merge[@]}"
