#!/usr/bin/env bash
# The Figure 8 counterexample, found and shrunk (issue 11): sweeps bench/figure8-hunt.yaml (Raft with
# the figure8 bug knob under leader-following faults) for its first failing seed, shrinks that run,
# and prints the sizes before and after and the wall time of each step (one run each; the machine
# is shared, so quote them as measured). The shrunk file is scenarios/raft-figure8.yaml.
#   bench/shrink-figure8.sh BUILD_DIR [OUT_DIR]
set -euo pipefail
build=${1:?usage: bench/shrink-figure8.sh BUILD_DIR [OUT_DIR]}
out=${2:-out/bench-shrink-figure8}
here=$(cd "$(dirname "$0")" && pwd)
synod="$build/synod"
rm -rf "$out"
start=$(date +%s.%N)
"$synod" sweep "$here/figure8-hunt.yaml" --seeds 1-1000 --stop-at-first --out "$out/sweep" > "$out.sweep.txt" || true
seed=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['protocols'][0]; f=p['first_failing']; print(f[0]['seed'] if f else '')" "$out/sweep/sweep.json")
mid=$(date +%s.%N)
[ -n "$seed" ] || { echo "figure8 not caught in 1000 seeds"; exit 1; }
"$synod" shrink "$here/figure8-hunt.yaml" --seed "$seed" --keep invariant:state-machine-safety --out "$out/shrink"
end=$(date +%s.%N)
python3 - "$out/shrink/shrink.json" "$seed" "$start" "$mid" "$end" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
seed, t0, t1, t2 = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print(f"first failing seed {seed} (sweep {t1 - t0:.1f} s); shrink: {d['runs']} runs, {t2 - t1:.1f} s, shrunk seed {d['shrunk_seed']}")
print("| | nodes | clients | operations | fault entries | nemesis actions | simulated | YAML lines |")
print("|---|---|---|---|---|---|---|---|")
for k in ("before", "after"):
    z = d[k]
    print(f"| {k} | {z['nodes']} | {z['clients']} | {z['operations']} | {z['fault_entries']} | {z['nemesis_actions']} | {z['duration']} | {z['scenario_lines']} |")
PY
