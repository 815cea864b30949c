#!/usr/bin/env bash
# The tasks family against queueing theory, in long runs (the tests in tests/sim/tasks_test.cpp
# are the short versions). Prints one row per model: measured (pooled over seeds, weighted by
# tasks), expected, the difference, and the wall time. Usage: bench/tasks-theory.sh [build dir]
set -euo pipefail
build=${1:-build}
synod=$(realpath "$build/synod")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# queue NAME WORKERS POLICY RATE WORK DURATION_S SEEDS QUANTITY EXPECTED
queue() {
  local name=${1//\//}
  local label=$1 workers=$2 policy=$3 rate=$4 work=$5 duration=$6 seeds=$7 quantity=$8 expected=$9
  cat > "$dir/$name.yaml" <<YAML
name: $name
duration: ${duration}s
cluster: {nodes: $((workers + 1)), latency: 0ms, client_latency: 0ms}
protocol: {name: tasks, policy: $policy, heartbeat: 10s, failure_timeout: 60s}
workload:
  arrivals: {process: poisson, rate: $rate/s}
  work: $work
  stop: $((duration - 1))s
  warmup: 1000s
  retry: 1000000s
trace: {clock_check: false}
report: {formats: [json]}
YAML
  local start=$SECONDS
  for seed in $(seq 1 "$seeds"); do
    "$synod" run "$dir/$name.yaml" --quiet --seed "$seed" --out "$dir/$name-$seed" || true
  done
  python3 - "$dir" "$name" "$seeds" "$quantity" "$expected" "$((SECONDS - start))" "$label" <<'PY'
import json, sys
d, name, seeds, quantity, expected, wall, label = sys.argv[1:]
n = w = s = 0.0
for seed in range(1, int(seeds) + 1):
    t = json.load(open(f"{d}/{name}-{seed}/report.json"))["tasks"]
    c = t["wait"]["count"]
    n += c; w += c * t["wait"]["mean_s"]; s += c * (t["wait"]["mean_s"] + t["service"]["mean_s"])
m = w / n if quantity == "wait" else s / n
e = float(expected)
print(f"| {label} | {quantity} | {int(n)} | {m:.4f} | {e:.4f} | {100 * (m / e - 1):+.2f}% | {wall} s |")
PY
}

echo "| model | quantity | tasks | measured (s) | expected (s) | difference | wall |"
echo "|---|---|---|---|---|---|---|"
queue "M/M/1-rho0.5" 1 pull 0.5 "{dist: exponential, mean: 1s}" 400000 5 wait 1.0
queue "M/M/1-rho0.8" 1 pull 0.8 "{dist: exponential, mean: 1s}" 400000 5 wait 4.0
queue "M/M/1-rho0.9" 1 pull 0.9 "{dist: exponential, mean: 1s}" 400000 10 wait 9.0
queue "M/M/10-rho0.5" 10 pull 5 "{dist: exponential, mean: 1s}" 100000 3 wait 0.007221
queue "M/M/10-rho0.8" 10 pull 8 "{dist: exponential, mean: 1s}" 100000 3 wait 0.204590
queue "M/M/10-rho0.9" 10 pull 9 "{dist: exponential, mean: 1s}" 100000 5 wait 0.668732
queue "M/D/1-rho0.8" 1 pull 0.8 "1s" 400000 5 wait 2.0
queue "M/D/1-rho0.9" 1 pull 0.9 "1s" 400000 5 wait 4.5
queue "power-of-2-n100" 100 power-of-d 90 "{dist: exponential, mean: 1s}" 5000 5 system 2.614057
queue "random-n100" 100 random 90 "{dist: exponential, mean: 1s}" 5000 5 system 10.0
