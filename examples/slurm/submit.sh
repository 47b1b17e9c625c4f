#!/usr/bin/env bash
# Submit a sharded pivotsim study to Slurm: a job array running shard.sbatch (one task per shard)
# and merge.sbatch, which runs only once every task has succeeded (afterok). See README.md.
#
# Usage: submit.sh [options] [SCENARIO]
#   SCENARIO          scenario file (default: the embedded default scenario)
#   --shards N        shard count of the study (env SHARDS, default 8)
#   --runs N          replications of the whole study (env RUNS, default 10000)
#   --seed S          root seed (env SEED, default 1); fix it so that shards can be rerun
#   --out DIR         study folder on a shared file system (env OUT_ROOT, default ./pivotsim-study);
#                     shards go to DIR/shard-K, the merge to DIR/merged, job logs to DIR/logs
#   --cpus N          CPUs (threads) per shard task (env CPUS, default 4)
#   --tasks SPEC      array tasks to submit (env TASKS, default 1-N); e.g. `--tasks 3` or `--tasks 3,7`
#                     to resubmit failed shards, then the merge again. `1-N%4` runs at most 4 at once
#   --pivotsim PATH   pivotsim binary (env PIVOTSIM, default: `pivotsim` on PATH)
#   --no-plots        merge without PNG/SVG plots (env NO_PLOTS=1)
#   -- ARGS...        extra sbatch options for both jobs, e.g. -- --partition=short --account=me
# Env PIVOTSIM_RUN_ARGS: extra `pivotsim run` options for every shard (e.g. "--set a.b=1").
#
# Prints the job ids as `array_job=ID` and `merge_job=ID` on stdout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:-8}
RUNS=${RUNS:-10000}
SEED=${SEED:-1}
OUT_ROOT=${OUT_ROOT:-pivotsim-study}
CPUS=${CPUS:-4}
TASKS=${TASKS:-}
PIVOTSIM=${PIVOTSIM:-pivotsim}
NO_PLOTS=${NO_PLOTS:-0}
SCENARIO=${SCENARIO:-}
sbatch_extra=()

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit "$1"; }
need() { [[ $# -ge 2 && -n $2 ]] || { echo "submit.sh: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --shards)   need "$@"; SHARDS=$2; shift 2 ;;
    --runs)     need "$@"; RUNS=$2; shift 2 ;;
    --seed)     need "$@"; SEED=$2; shift 2 ;;
    --out)      need "$@"; OUT_ROOT=$2; shift 2 ;;
    --cpus)     need "$@"; CPUS=$2; shift 2 ;;
    --tasks)    need "$@"; TASKS=$2; shift 2 ;;
    --pivotsim) need "$@"; PIVOTSIM=$2; shift 2 ;;
    --no-plots) NO_PLOTS=1; shift ;;
    -h|--help)  usage 0 ;;
    --)         shift; sbatch_extra=("$@"); break ;;
    -*)         echo "submit.sh: unknown option $1" >&2; usage 2 ;;
    *)          SCENARIO=$1; shift ;;
  esac
done

for v in SHARDS RUNS SEED CPUS; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -ge 1 ]] || { echo "submit.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
TASKS=${TASKS:-1-$SHARDS}

# Absolute paths: the jobs run on other nodes, maybe in other directories.
if [[ $PIVOTSIM != */* ]]; then
  PIVOTSIM=$(command -v "$PIVOTSIM") || { echo "submit.sh: $PIVOTSIM not found on PATH; use --pivotsim PATH" >&2; exit 2; }
fi
PIVOTSIM=$(realpath "$PIVOTSIM")
if [[ -n $SCENARIO ]]; then
  [[ -f $SCENARIO ]] || { echo "submit.sh: no scenario file $SCENARIO" >&2; exit 2; }
  SCENARIO=$(realpath "$SCENARIO")
  "$PIVOTSIM" validate "$SCENARIO" >/dev/null   # fail now, not in N queued jobs
fi
mkdir -p "$OUT_ROOT/logs"
OUT_ROOT=$(realpath "$OUT_ROOT")

# The jobs inherit these through --export=ALL (exported rather than listed in
# --export=ALL,VAR=value because a value containing a comma would break that list).
export PIVOTSIM SCENARIO RUNS SEED SHARDS OUT_ROOT NO_PLOTS
export PIVOTSIM_RUN_ARGS=${PIVOTSIM_RUN_ARGS:-}

array=$(sbatch --parsable --export=ALL --array="$TASKS" --cpus-per-task="$CPUS" \
  --job-name=pivotsim-shard --output="$OUT_ROOT/logs/shard-%A_%a.out" \
  "${sbatch_extra[@]}" "$HERE/shard.sbatch")
array=${array%%;*}   # --parsable prints "id" or "id;cluster"

# afterok: run only if every task of the array ends with exit code 0. --kill-on-invalid-dep:
# if one fails, cancel this job at once instead of leaving it pending forever.
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --job-name=pivotsim-merge --output="$OUT_ROOT/logs/merge-%j.out" \
  "${sbatch_extra[@]}" "$HERE/merge.sbatch")
merge=${merge%%;*}

echo "array_job=$array"
echo "merge_job=$merge"
cat >&2 <<EOF
submitted shards $TASKS of $SHARDS (runs $RUNS, seed $SEED, ${SCENARIO:-embedded default scenario})
  as array job $array, and merge job $merge after it; output in $OUT_ROOT
  watch:    squeue -j $array,$merge
  result:   $OUT_ROOT/merged/summary.json (logs in $OUT_ROOT/logs)
  a failed task K: rerun with the same options plus --tasks K
EOF
