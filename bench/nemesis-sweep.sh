#!/usr/bin/env bash
# With every bug knob off, the harsh random-fault scenario (scenarios/raft-nemesis.yaml) under
# raft, paxos and multipaxos for SEEDS seeds each (issue 11: 10,000): prints per protocol the runs,
# the unsafe ones and runs/s. Resumable: rerun the same command with the same OUT_DIR to go on
# after an interruption (records already there are not run again).
#   bench/nemesis-sweep.sh [BUILD_DIR] [SEEDS] [OUT_DIR] [JOBS]    (defaults: build, 10000,
#                                                                  out/bench-nemesis, the cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
seeds="${2:-10000}"
out="${3:-out/bench-nemesis}"
jobs="${4:-$(nproc)}"
for protocol in raft paxos multipaxos; do
  "$build/synod" sweep "$root/scenarios/raft-nemesis.yaml" --protocols "$protocol" \
    --seeds "1-$seeds" -j "$jobs" --out "$out/$protocol" > "$out.$protocol.txt" 2>&1 || true
  python3 - "$out/$protocol/sweep.json" "$out.$protocol.txt" <<'PY'
import json, re, sys
p = json.load(open(sys.argv[1]))["protocols"][0]
rate = re.search(r"([0-9.]+) runs/s", open(sys.argv[2]).read())
print(f"{p['protocol']:<11} {p['runs']:>6} runs  {p['unsafe']:>4} unsafe  "
      f"{rate.group(1) if rate else '?'} runs/s (this invocation)  kinds: {p['unsafe_by_kind'] or '-'}")
PY
done
