#!/bin/bash
# A real one-node Slurm cluster on localhost for the sweep's --slurm path: starts munged,
# slurmctld and slurmd (as root) from a generated slurm.conf in a temporary directory,
# submits `edgesim sweep FILE --slurm` (an array job over the shards plus a dependent merge
# job), waits for both, and compares the merged results.csv and pareto.csv with a
# single-machine run of the same sweep (wall-clock columns aside).
#
# usage: run_slurm_test.sh EDGESIM_BINARY SWEEP_FILE [SHARDS]
# exit: 0 passed, 1 failed, 77 skipped (not root, or Slurm/munge missing or not startable).
set -u
edgesim=${1:?usage: run_slurm_test.sh EDGESIM_BINARY SWEEP_FILE [SHARDS]}
sweep_file=${2:?usage: run_slurm_test.sh EDGESIM_BINARY SWEEP_FILE [SHARDS]}
shards=${3:-2}
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; dump_logs; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root to start slurmctld and slurmd"
for tool in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v "$tool" >/dev/null || skip "$tool not installed (Debian packages slurm-wlm and munge)"
done

work=$(mktemp -d /tmp/edgesim-slurm-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  # Jobs still queued or running on this private cluster (a failed run) go first.
  if [ -n "${SLURM_CONF:-}" ] && [ -n "$(squeue -h 2>/dev/null)" ]; then
    scancel --quiet --user="$(id -un)" 2>/dev/null
    sleep 1
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  sleep 0.2
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  [ -n "${KEEP_SLURM_TEST_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
dump_logs() {
  for log in "$work"/*.log "$work"/out/slurm/*.log; do
    [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }
  done
}

# munge with its own key and socket, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$work/munge.key" bs=1 count=1024 2>/dev/null
chmod 400 "$work/munge.key"
munged --force --key-file="$work/munge.key" --socket="$work/munge.sock" \
  --pid-file="$work/munged.pid" --seed-file="$work/munge.seed" --log-file="$work/munged.log" \
  >/dev/null 2>&1 || skip "munged does not start: $(tail -n 3 "$work/munged.log" 2>/dev/null)"
pids+=("$(cat "$work/munged.pid")")

# Free TCP ports for the two daemons.
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))' 2>/dev/null) || ports="16817 16818"
read -r ctld_port slurmd_port <<<"$ports"
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<CONF
ClusterName=edgesimtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=20
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"

slurmctld -c -f "$SLURM_CONF" -D >"$work/slurmctld.out.log" 2>&1 &
pids+=("$!")
slurmd -f "$SLURM_CONF" -D -N "$host" >"$work/slurmd.out.log" 2>&1 &
pids+=("$!")
state=""
for _ in $(seq 1 150); do
  state=$(sinfo -h -o %t 2>/dev/null | head -n 1)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || { dump_logs; skip "the one-node cluster did not come up (node state '$state')"; }
echo "slurm: node $host idle (slurmctld port $ctld_port)"

out="$work/out"
submit=$("$edgesim" sweep "$sweep_file" --slurm --shards "$shards" --jobs 1 --out "$out" 2>&1) ||
  fail "edgesim sweep --slurm failed: $submit"
echo "$submit"
grep -q "submitted array job" <<<"$submit" || fail "no job submitted"

for _ in $(seq 1 600); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h 2>/dev/null)" ] || fail "jobs still queued after 120 s: $(squeue)"
[ -f "$out/results.csv" ] || fail "the merge job wrote no results.csv"
[ -f "$out/report.html" ] || fail "the merge job wrote no report.html"
for s in $(seq 0 $((shards - 1))); do
  grep -q '"complete": true' "$out/shards/shard-$s/sweep.json" || fail "shard $s incomplete"
done

"$edgesim" sweep "$sweep_file" --jobs 2 --no-progress --out "$work/single" >/dev/null ||
  fail "single-machine sweep failed"
strip_wall() {
  python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
keep = [i for i, c in enumerate(rows[0]) if c not in ("wall_seconds", "sim_wall_seconds")]
for r in rows:
    print(",".join(r[i] for i in keep))
PY
}
for f in results.csv pareto.csv; do
  if ! diff <(strip_wall "$work/single/$f") <(strip_wall "$out/$f") >"$work/diff.log"; then
    fail "$f from Slurm differs from the single-machine run: $(head -n 20 "$work/diff.log")"
  fi
done
rows=$(($(wc -l <"$out/results.csv") - 1))
echo "PASS: $rows points over $shards Slurm array tasks merged identically to a single-machine run"
