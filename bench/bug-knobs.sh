#!/usr/bin/env bash
# Sweeps every Raft bug knob (docs/bugs.md) over up to SEEDS seeds of scenarios/raft-harsh.yaml
# with `synod sweep --stop-at-first`, and the same seeds with every knob off; prints per knob the
# first catching seed and what caught it. ~10 runs/s on 2 cores: the knobs caught at once take
# seconds, each one never caught takes SEEDS / 10 s.
#
#   bench/bug-knobs.sh [BUILD_DIR] [SEEDS]      (defaults: build, 1000)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
seeds="${2:-1000}"
synod="$build/synod"
[ -x "$synod" ] || { echo "bug-knobs: no synod binary at $synod" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-16s %-14s %s\n' knob first-seed caught-by
for knob in none figure8 vote-twice skip-log-check forget-vote minority-quorum local-reads; do
  file="$work/$knob.yaml"
  if [ "$knob" = none ]; then
    cp "$root/scenarios/raft-harsh.yaml" "$file"
  else
    sed "s/^  name: raft$/  name: raft\n  bugs: [$knob]/" "$root/scenarios/raft-harsh.yaml" > "$file"
  fi
  "$synod" sweep "$file" --seeds "1-$seeds" --stop-at-first --out "$work/$knob" > /dev/null 2>&1 || true
  python3 - "$work/$knob/sweep.json" "$knob" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["protocols"][0]
if p["first_failing"]:
    f = p["first_failing"][0]
    print(f"{sys.argv[2]:<16} {f['seed']:<14} {' '.join(f['kinds'])}")
else:
    print(f"{sys.argv[2]:<16} {'none':<14} 0 unsafe in {p['runs']} runs")
PY
done
