#!/usr/bin/env bash
# The multi-Raft scale bench: bench/shards-1000.yaml (1,000 nodes, 300 Raft groups of 3, 10
# simulated seconds), once, with wall time and peak memory (GNU time), and the run's own summary.
#   bench/shards-scale.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
command -v /usr/bin/time >/dev/null || { echo "shards-scale: needs GNU time (apt-get install time)"; exit 2; }
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$build/synod" run "$root/bench/shards-1000.yaml" \
  --out "$out/run" 2>"$out/time" | grep -E "synod:|operations|throughput|invariants|consistency|shards|simulation speed"
tail -1 "$out/time"
