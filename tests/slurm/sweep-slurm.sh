#!/usr/bin/env bash
# `synod sweep --slurm` against a real one-node Slurm cluster started here (local-slurm.sh):
# raft-harsh with the vote-twice knob, seeds 1-6 as a job array of 3 tasks; the merged sweep.json
# and sweep.csv must be byte-identical to a local sweep of the same seeds (sweep.json but for the
# output directory it names), the unsafe runs' outputs
# kept, one log per task. Exit 77 (skipped) without Slurm or without root.
#   tests/slurm/sweep-slurm.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: sweep-slurm.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v slurmctld > /dev/null || { echo "sweep-slurm: Slurm not installed: skipped"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "sweep-slurm: needs root to start slurmd: skipped"; exit 77; }
work=$(mktemp -d /tmp/synod-slurm.XXXXXX)
cleanup() { bash "$here/local-slurm.sh" stop "$work/cluster" || true; rm -rf "$work"; }
trap cleanup EXIT
conf=$(bash "$here/local-slurm.sh" start "$work/cluster")
export SLURM_CONF="$conf"
sed 's/^  name: raft$/  name: raft\n  bugs: [vote-twice]/' "$root/scenarios/raft-harsh.yaml" > "$work/harsh.yaml"
set +e
"$build/synod" sweep "$work/harsh.yaml" --seeds 1-6 --slurm --slurm-chunk 2 -j 1 --out "$work/slurm" > "$work/slurm.txt" 2>&1
slurm_code=$?
"$build/synod" sweep "$work/harsh.yaml" --seeds 1-6 -j 2 --out "$work/local" > "$work/local.txt" 2>&1
local_code=$?
set -e
fail() { echo "sweep-slurm: $*"; cat "$work/slurm.txt"; exit 1; }
[ "$slurm_code" = 1 ] || fail "exit $slurm_code (expected 1: vote-twice is unsafe)"
[ "$local_code" = 1 ] || fail "local sweep exit $local_code"
grep -q "6 runs (6 done by the Slurm job), 0 run now" "$work/slurm.txt" || fail "not every run was done by the job"
# (sweep.json names each unsafe run's output directory: the same but for the --out given)
cmp <(sed "s|$work/slurm|OUT|g" "$work/slurm/sweep.json") <(sed "s|$work/local|OUT|g" "$work/local/sweep.json") ||
  fail "sweep.json differs from a local sweep"
cmp "$work/slurm/sweep.csv" "$work/local/sweep.csv" || fail "sweep.csv differs from a local sweep"
for k in 0 1 2; do [ -f "$work/slurm/slurm/task-$k.log" ] || fail "no log for task $k"; done
[ -f "$work/slurm/runs/raft/1/report.json" ] || fail "the unsafe seed 1 kept no output"
echo "sweep-slurm: 6 seeds in 3 Slurm tasks, merged summary identical to a local sweep"
