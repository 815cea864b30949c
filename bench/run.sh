#!/usr/bin/env bash
# Runs every benchmark once and prints the tables quoted in the closing notes. The machines are
# shared and noisy: compare ratios within one run, not absolute numbers across runs.
#   bench/run.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== simulator (bench/sim_bench)"
"$build/bench/sim_bench"

echo
echo "== linearizability checker on synthetic histories (bench/checker_bench)"
"$build/bench/checker_bench"

echo
echo "== linearizability checker on histories from synod run (healthy Raft, 10 clients, 20 keys)"
# ~500 ok ops per simulated second: 2 s, 20 s and 200 s give about 1k, 10k and 100k operations.
for seconds in 2 20 200; do
  sed "s/^duration: .*/duration: ${seconds}s/" bench/raft-healthy.yaml > "$work/raft-healthy-$seconds.yaml"
  "$build/synod" run "$work/raft-healthy-$seconds.yaml" --quiet --out "$work/run-$seconds"
  cp "$work/run-$seconds/history.jsonl" "$work/raft-$seconds-s.jsonl"
done
"$build/bench/checker_bench" "$work"/raft-2-s.jsonl "$work"/raft-20-s.jsonl "$work"/raft-200-s.jsonl
