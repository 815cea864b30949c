#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests/slurm/sweep-slurm.sh: munged, slurmctld and
# slurmd (Debian's slurm-wlm and munge, run as root), configured in DIR, nothing written outside it
# but munge's own socket. Prints the SLURM_CONF to export.
#   tests/slurm/local-slurm.sh start DIR     (waits until the node is idle; exit 3: no Slurm here)
#   tests/slurm/local-slurm.sh stop DIR
set -euo pipefail
cmd=${1:?usage: local-slurm.sh start|stop DIR}
dir=${2:?usage: local-slurm.sh start|stop DIR}
command -v slurmctld > /dev/null && command -v slurmd > /dev/null && command -v munged > /dev/null ||
  { echo "local-slurm: slurmctld, slurmd or munged not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
conf="$dir/slurm.conf"
stop() {
  for p in slurmd slurmctld; do
    [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2> /dev/null || true
  done
  [ -f "$dir/munged.pid" ] && kill "$(cat "$dir/munged.pid")" 2> /dev/null || true
  sleep 1
}
if [ "$cmd" = stop ]; then stop; exit 0; fi

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
cat > "$conf" <<CONF
ClusterName=synod-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=synod Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# munge: its own socket, key and pid in DIR (the Debian package's key is reused if readable).
key="$dir/munge/munge.key"
if [ -r /etc/munge/munge.key ]; then cp /etc/munge/munge.key "$key"; else dd if=/dev/urandom of="$key" bs=128 count=1 2> /dev/null; fi
chmod 600 "$key"
munged --force --socket="$dir/munge/munge.socket" --key-file="$key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munge.seed"
SLURM_CONF="$conf" slurmctld -f "$conf"
SLURM_CONF="$conf" slurmd -f "$conf"
for _ in $(seq 1 60); do
  state=$(SLURM_CONF="$conf" sinfo -h -o %T 2> /dev/null || true)
  case "$state" in idle*) echo "$conf"; exit 0 ;; esac
  sleep 1
done
echo "local-slurm: the node did not become idle within 60 s (state '$state'); logs in $dir" >&2
stop
exit 1
