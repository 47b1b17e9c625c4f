#!/usr/bin/env bash
# slurm-smoke.sh: run a sharded pivotsim study through a real, throwaway one-node Slurm cluster and
# check that the merged outputs are byte-identical to one `pivotsim run`.
#
#   sudo PIVOTSIM=target/release/pivotsim scripts/slurm-smoke.sh     (or unset PIVOTSIM to build it)
#
# For a fresh Debian 12 (bookworm) machine or container, as root, systemd or not. It
#   1. installs munge slurmctld slurmd slurm-client (apt, --no-install-recommends) if missing;
#   2. writes a slurm.conf under $SLURM_SMOKE_DIR (not /etc/slurm: a real cluster's configuration
#      is left alone; every command finds ours through SLURM_CONF) for one host that is both
#      controller and compute node, with no cgroups, no accounting database and non-default ports,
#      and starts munged (unless one already answers), slurmctld and slurmd directly, by PID file;
#   3. submits examples/slurm/submit.sh: a 4-task array of shard.sbatch (--runs 300 --seed 11) and
#      merge.sbatch with --dependency=afterok; waits by polling squeue; requires every record
#      COMPLETED with exit code 0; then `cmp`s every file of merged/ (summary.json, runs.csv,
#      timeseries.csv, PNG and SVG plots) against a single `pivotsim run --runs 300 --seed 11`;
#   4. negative checks: a shard task stopped by SIGTERM (what a time limit does) exits 130, leaves
#      no shard.json and its merge job is cancelled (DependencyNeverSatisfied); merge.sbatch over a
#      set with an incomplete shard fails with exit code 2 ("incomplete") and writes nothing;
#      resubmitting just that task (submit.sh --tasks 3) completes the study, byte-identical again;
#   5. stops the daemons it started (on any exit) and prints SLURM SMOKE OK.
# On failure it prints the Slurm daemon logs, the job logs and the queue.
#
# Environment:
#   PIVOTSIM          pivotsim binary to test (default: `cargo build --release` in this repository)
#   SLURM_SMOKE_DIR   scratch folder, emptied at start and kept at the end (default /tmp/pivotsim-slurm-smoke)
#   SLURM_SMOKE_USER  SlurmUser of slurmctld (default slurm, the Debian package's user)
#   SLURM_SMOKE_TIMEOUT  seconds to wait for each batch of jobs (default 300)
# Exit codes: 0 ok, 1 a check failed, 2 not root or bad setup.
set -Eeuo pipefail
# A relative PIVOTSIM is relative to the caller's directory, not to the repository.
[[ -z ${PIVOTSIM:-} ]] || PIVOTSIM=$(realpath -- "$PIVOTSIM")
cd "$(dirname "$0")/.."
REPO=$PWD

DIR=${SLURM_SMOKE_DIR:-/tmp/pivotsim-slurm-smoke}
SLURM_USER=${SLURM_SMOKE_USER:-slurm}
TIMEOUT=${SLURM_SMOKE_TIMEOUT:-300}
SL=$DIR/slurm                     # conf, state, spool, logs and PID files of the cluster
WORK=$DIR/work                    # studies and job logs
BIN=$DIR/bin/pivotsim             # a copy: a rebuild of target/ cannot change it under the jobs
CTLD_PORT=16817                   # not Slurm's default 6817/6818: no clash with a real Slurm
SLURMD_PORT=16818
export SLURM_CONF=$SL/etc/slurm.conf   # read by every Slurm daemon and command, submit.sh's too
RUNS=300
SEED=11
SHARDS=4
PACKAGES=(munge slurmctld slurmd slurm-client)
STARTED_MUNGED=0
T0=$SECONDS

log() { printf '[slurm-smoke +%3ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

[[ $DIR == /* && $DIR != / ]] || { echo "slurm-smoke.sh: SLURM_SMOKE_DIR must be an absolute path" >&2; exit 2; }
if [[ $EUID -ne 0 ]]; then
  echo "slurm-smoke.sh: run as root (it installs packages and starts munged, slurmctld and slurmd)" >&2
  exit 2
fi

dump_logs() {
  local f
  {
    printf '\n===== sinfo / squeue / jobs =====\n'
    timeout 15 sinfo -N -l 2>&1 || true
    timeout 15 squeue -l 2>&1 || true
    timeout 15 scontrol -o show job 2>&1 || true
    for f in "$SL"/log/*.log; do
      [[ -f $f ]] || continue
      printf '\n===== %s (last 60 lines) =====\n' "$f"
      tail -n 60 "$f"
    done
    for f in "$WORK"/*/logs/*.out; do
      [[ -f $f ]] || continue
      printf '\n===== %s =====\n' "$f"
      tail -n 30 "$f"
    done
  } >&2
}

# ------------------------------------------------------------------------------------ daemons
# stop_pidfile NAME FILE: stop the process in FILE if it is still NAME (PIDs get reused).
stop_pidfile() {
  local name=$1 file=$2 pid i
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do [[ -e /proc/$pid ]] || break; sleep 0.25; done
    if [[ -e /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; log "$name ($pid) killed"; else log "$name ($pid) stopped"; fi
  fi
  rm -f "$file"
}

down() {
  # Both at once (each takes ~2 s to exit); slurmctld's child slurmscriptd exits with it.
  stop_pidfile slurmd "$SL/run/slurmd.pid" &
  stop_pidfile slurmctld "$SL/run/slurmctld.pid" &
  wait
  [[ $STARTED_MUNGED == 0 ]] || stop_pidfile munged /run/munge/munged.pid
}

# Leftovers of an earlier run killed before its EXIT trap ran: cancel its jobs, then stop its
# daemons by PID file, before the scratch folder (which holds the PID files) is emptied.
cleanup_stale() {
  local ids
  if [[ -s $SL/run/slurmctld.pid && -f $SLURM_CONF ]]; then
    ids=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | xargs || true)
    if [[ -n $ids ]]; then
      log "cancelling jobs left over by an earlier run: $ids"
      # shellcheck disable=SC2086 # a list of job ids
      timeout 10 scancel $ids || true
      sleep 2
    fi
  fi
  stop_pidfile slurmd "$SL/run/slurmd.pid" &
  stop_pidfile slurmctld "$SL/run/slurmctld.pid" &
  wait
  [[ ! -e $SL/run/munged.ours ]] || stop_pidfile munged /run/munge/munged.pid
}

on_exit() {
  local rc=$?
  trap - EXIT
  if [[ $rc -ne 0 ]]; then dump_logs; log "FAILED (exit code $rc); scratch files kept in $DIR"; fi
  down
  exit "$rc"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_packages() {
  local missing=() p policy_added=0
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "packages already installed: ${PACKAGES[*]}"
    return 0
  fi
  log "installing ${missing[*]}"
  # Keep the packages' maintainer scripts from starting daemons (with the default config, outside
  # our control) on a machine with an init system; containers usually ship this file already.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  local rc=0
  # --no-install-recommends: 8 small packages instead of ~43 (sview/GTK, PMIx, ...).
  { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  } || rc=$?
  [[ $policy_added == 0 ]] || rm -f /usr/sbin/policy-rc.d
  [[ $rc -eq 0 ]] || die "apt-get failed (exit code $rc)"
  log "installed ($(dpkg-query -W -f='${Version}' slurmctld))"
}

write_config() {
  local host node_hw
  host=$(hostname -s)    # slurmd finds its NodeName with `hostname -s`
  # The node line slurmd detects, without RealMemory (a node reporting less memory than
  # configured is drained; jobs here do not ask for memory).
  node_hw=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //; s/ ?RealMemory=[0-9]+//')
  id "$SLURM_USER" >/dev/null 2>&1 || SLURM_USER=root
  install -d -m 0755 "$SL" "$SL/etc" "$SL/run" "$SL/spool"
  install -d -m 0755 -o "$SLURM_USER" -g "$SLURM_USER" "$SL/state" "$SL/log"
  cat >"$SLURM_CONF" <<EOF
# Written by pivotsim's scripts/slurm-smoke.sh: one host is the controller and the only node.
ClusterName=pivotsim-smoke
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${CTLD_PORT}
SlurmdPort=${SLURMD_PORT}
SlurmUser=${SLURM_USER}
SlurmdUser=root
AuthType=auth/munge
# No cgroups: works in containers and VMs whatever their cgroup setup.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
# No accounting database; finished jobs stay visible to scontrol for MinJobAge seconds.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=900
ReturnToService=2
SchedulerType=sched/backfill
# The default batch_sched_delay=3 leaves ~3 s between scheduling waves.
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
# Schedule hardware threads: a 2-thread machine runs two 1-CPU shards at once.
SelectTypeParameters=CR_CPU
SlurmctldPidFile=${SL}/run/slurmctld.pid
SlurmdPidFile=${SL}/run/slurmd.pid
StateSaveLocation=${SL}/state
SlurmdSpoolDir=${SL}/spool
SlurmctldLogFile=${SL}/log/slurmctld.log
SlurmdLogFile=${SL}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
NodeName=${host} NodeAddr=127.0.0.1 ${node_hw} State=UNKNOWN
PartitionName=smoke Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  # Slurm 22.05's slurmd always loads a cgroup plugin, even with proctrack/linuxproc and task/none;
  # the default (autodetect) makes it exit when /sys/fs/cgroup is missing or looks hybrid. cgroup/v1
  # is loaded and then unused, so slurmd starts whatever the cgroup setup. (Found next to slurm.conf.)
  echo 'CgroupPlugin=cgroup/v1' >"$SL/etc/cgroup.conf"
  log "wrote $SLURM_CONF (node ${host}: ${node_hw}; SlurmUser ${SLURM_USER})"
}

start_munge() {
  if [[ ! -s /etc/munge/munge.key ]]; then   # the Debian postinst normally creates it
    install -d -m 0700 -o munge -g munge /etc/munge
    runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0600 /etc/munge/munge.key
  # systemd's RuntimeDirectory= would create /run/munge; without systemd we must.
  install -d -m 0755 -o munge -g munge /run/munge /var/lib/munge /var/log/munge
  if [[ -S /run/munge/munge.socket.2 ]] && munge -n | unmunge >/dev/null 2>&1; then
    log "munged already running; using it"
  else
    # --origin: a bare machine may not resolve its own hostname.
    runuser -u munge -- /usr/sbin/munged --origin=127.0.0.1   # forks; PID in /run/munge/munged.pid
    STARTED_MUNGED=1
    touch "$SL/run/munged.ours"   # for cleanup_stale, should this run not reach its EXIT trap
    munge -n | unmunge >/dev/null || die "munge round trip failed"
    log "munged started (pid $(cat /run/munge/munged.pid))"
  fi
}

start_slurm() {
  local i state
  for i in "$CTLD_PORT" "$SLURMD_PORT"; do
    ! port_in_use "$i" || die "port $i is in use: a Slurm daemon this script cannot stop is running"
  done
  /usr/sbin/slurmctld -i || die "slurmctld did not start"   # daemonizes, drops to SlurmUser
  /usr/sbin/slurmd || die "slurmd did not start"            # daemonizes, stays root
  for i in $(seq 1 120); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null || true)
    if [[ $state == idle ]]; then
      log "slurmctld pid $(cat "$SL/run/slurmctld.pid"), slurmd pid $(cat "$SL/run/slurmd.pid"); node idle"
      return 0
    fi
    sleep 0.5
  done
  die "node not idle within 60 s (state '${state:-}')"
}

# ------------------------------------------------------------------------------------ jobs
# wait_jobs SECONDS ID...: poll squeue until no listed job is pending or running.
# (Not `sbatch --wait`: it polls slowly and exits 0 for a job cancelled by DependencyNeverSatisfied.)
wait_jobs() {
  local limit=$1 ids active end
  shift
  ids=$(IFS=,; echo "$*")
  end=$((SECONDS + limit))
  while ((SECONDS < end)); do
    # While slurmctld keeps finished jobs, squeue -j may list them too: ignore final states.
    if active=$(squeue -h -j "$ids" -o '%i %T' 2>/dev/null); then
      active=$(grep -Ev ' (COMPLETED|CANCELLED|FAILED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY)$' <<<"$active" || true)
      [[ -n $active ]] || return 0
    fi
    sleep 0.5
  done
  die "jobs $ids still queued after ${limit} s: $(squeue -h -j "$ids" -o '%i %T %r' 2>&1 | xargs)"
}

# records ID: one "JobId=... JobState=... ExitCode=..." line per job record (one per array task).
records() {
  scontrol -o show job "$1" | awk '{
    out = ""
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=")
      if (kv[1] ~ /^(JobId|ArrayTaskId|JobState|Reason|ExitCode)$/) out = out (out == "" ? "" : " ") $i
    }
    print out
  }'
}

# expect_records ID COUNT STATE EXITCODE: exactly COUNT records, each in STATE with EXITCODE.
expect_records() {
  local id=$1 count=$2 state=$3 code=$4 recs n good
  recs=$(records "$id")
  n=$(grep -c '^JobId=' <<<"$recs" || true)
  good=$(grep -c "JobState=$state .*ExitCode=$code\$" <<<"$recs" || true)
  if [[ $n -ne $count || $good -ne $count ]]; then
    die "job $id: want $count record(s) JobState=$state ExitCode=$code, got:"$'\n'"$recs"
  fi
  log "job $id: $count record(s) $state, exit code $code"
}

submit() {   # submit ARGS...: run examples/slurm/submit.sh; sets ARRAY and MERGE
  local out
  out=$(PIVOTSIM=$BIN bash examples/slurm/submit.sh "$@") || die "submit.sh $* failed"
  ARRAY=$(sed -n 's/^array_job=//p' <<<"$out")
  MERGE=$(sed -n 's/^merge_job=//p' <<<"$out")
  [[ $ARRAY =~ ^[0-9]+$ && $MERGE =~ ^[0-9]+$ ]] || die "submit.sh printed no job ids: $out"
  log "submit.sh $*: array job $ARRAY, merge job $MERGE (afterok:$ARRAY)"
}

# same_files A B: the two folders hold the same file names, and every file is byte-identical.
same_files() {
  local a=$1 b=$2 f n=0 plots=0
  diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) >&2 ||
    die "$a and $b do not hold the same files"
  while IFS= read -r f; do
    cmp "$a/$f" "$b/$f" || die "$b/$f differs from $a/$f"
    n=$((n + 1))
    [[ $f != *.png && $f != *.svg ]] || plots=$((plots + 1))
  done < <(cd "$a" && find . -type f | sort)
  for f in summary.json runs.csv timeseries.csv; do [[ -s $a/$f ]] || die "$a/$f missing or empty"; done
  ((plots > 0)) || die "$a has no plots to compare"
  log "$b: all $n files byte-identical to $a (summary.json, runs.csv, timeseries.csv, $plots plots)"
}

# ------------------------------------------------------------------------------------ main
trap on_exit EXIT
trap 'exit 130' INT TERM
trap 'log "command failed (line $LINENO): $BASH_COMMAND"' ERR

if [[ -n ${PIVOTSIM:-} ]]; then
  SRC=$PIVOTSIM
  [[ -f $SRC && -x $SRC ]] || { echo "slurm-smoke.sh: PIVOTSIM=$PIVOTSIM is not an executable" >&2; exit 2; }
else
  log "PIVOTSIM not set: cargo build --release"
  cargo build --release --quiet
  SRC=${CARGO_TARGET_DIR:-$REPO/target}/release/pivotsim
fi

cleanup_stale
rm -rf "${DIR:?}"
install -d -m 0755 "$DIR" "$DIR/bin" "$WORK"
cp "$SRC" "$BIN"
log "testing $("$BIN" --version) from $SRC; scratch in $DIR"

install_packages
write_config
start_munge
start_slurm

# 1. The study: 4-task array + dependent merge, through examples/slurm/submit.sh and real sbatch.
study=$WORK/study
submit --shards "$SHARDS" --runs "$RUNS" --seed "$SEED" --cpus 1 --out "$study"
wait_jobs "$TIMEOUT" "$ARRAY" "$MERGE"
expect_records "$ARRAY" "$SHARDS" COMPLETED 0:0
expect_records "$MERGE" 1 COMPLETED 0:0
for k in $(seq 1 "$SHARDS"); do [[ -s $study/shard-$k/shard.json ]] || die "shard-$k has no shard.json"; done

log "reference: one pivotsim run --runs $RUNS --seed $SEED"
"$BIN" run --runs "$RUNS" --seed "$SEED" --out "$WORK/single" --quiet >"$WORK/single.txt"
same_files "$WORK/single" "$study/merged"

# 2. A shard stopped by SIGTERM, as at a time limit: exit 130, no shard.json, merge cancelled.
stopped=$WORK/stopped
submit --shards "$SHARDS" --runs 100000 --seed "$SEED" --cpus 1 --tasks 2 --out "$stopped"
end=$((SECONDS + 60))
until [[ $(squeue -h -j "${ARRAY}_2" -o %T 2>/dev/null) == RUNNING && -d $stopped/shard-2 ]]; do
  ((SECONDS < end)) || die "shard task ${ARRAY}_2 did not start within 60 s"
  sleep 0.2
done
sleep 1
scancel --full --signal=TERM "${ARRAY}_2"
wait_jobs 60 "$ARRAY" "$MERGE"
expect_records "$ARRAY" 1 FAILED 130:0
expect_records "$MERGE" 1 CANCELLED 0:0
records "$MERGE" | grep -q 'Reason=DependencyNeverSatisfied' || die "merge $MERGE: not cancelled for its dependency"
# (pivotsim removes the folder it created; in a folder left by an earlier attempt it removes its
# partial files, and shard.sbatch has removed the old shard.json.)
[[ ! -e $stopped/shard-2/shard.json ]] || die "the stopped shard has a shard.json"
[[ ! -e $stopped/merged ]] || die "a merged folder exists although the shard was stopped"
log "stopped shard: exit 130, no shard.json; merge job cancelled (DependencyNeverSatisfied)"

# 3. merge.sbatch over a set with an incomplete shard (no shard.json) refuses: exit 2, nothing written.
resume=$WORK/resume
mkdir -p "$resume/logs"
cp -a "$study"/shard-* "$resume/"
rm "$resume/shard-3/shard.json"
MERGE=$(PIVOTSIM=$BIN OUT_ROOT=$resume sbatch --parsable --export=ALL \
  --output="$resume/logs/merge-%j.out" examples/slurm/merge.sbatch)
MERGE=${MERGE%%;*}
wait_jobs "$TIMEOUT" "$MERGE"
expect_records "$MERGE" 1 FAILED 2:0
grep -q 'incomplete' "$resume/logs/merge-$MERGE.out" || die "merge log does not say 'incomplete'"
[[ ! -e $resume/merged ]] || die "the refused merge wrote $resume/merged"
log "merge of an incomplete set refused: $(grep -m1 incomplete "$resume/logs/merge-$MERGE.out")"

# 4. Resubmit only the missing task (and the merge), as README.md says: byte-identical again.
submit --shards "$SHARDS" --runs "$RUNS" --seed "$SEED" --cpus 1 --tasks 3 --out "$resume"
wait_jobs "$TIMEOUT" "$ARRAY" "$MERGE"
expect_records "$ARRAY" 1 COMPLETED 0:0
expect_records "$MERGE" 1 COMPLETED 0:0
same_files "$WORK/single" "$resume/merged"

log "total $((SECONDS - T0)) s"
echo "SLURM SMOKE OK"
