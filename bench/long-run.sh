#!/usr/bin/env bash
# The long-run bench (issue 12): bench/raft-100ops.yaml (5-node Raft, 100 ops/s, no faults) run for
# 10, 100 and 3,600 simulated seconds, once each. For each: wall time and peak
# RSS (GNU time), simulated s per wall s (the run's own measure of the simulation alone, and the
# whole process's), and the bytes of every output file. Memory flat in duration means the peak
# RSS of the 3,600 s run is close to the 10 s run's; today it is not (docs/performance.md).
#   bench/long-run.sh [BUILD_DIR] [DURATIONS...]      (defaults: build, 10 100 3600)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
durations=("$@")
[ ${#durations[@]} -gt 0 ] || durations=(10 100 3600)
command -v /usr/bin/time >/dev/null || { echo "long-run: needs GNU time (apt-get install time)"; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

printf "%-10s %9s %10s %20s %12s %10s  %s\n" "simulated" "wall s" "sim s/wall" "simulation alone" "peak RSS MB" "outputs MB" "largest outputs"
for d in "${durations[@]}"; do
  sed "s/^duration: .*/duration: ${d}s/" "$root/bench/raft-100ops.yaml" > "$work/run-$d.yaml"
  /usr/bin/time -f "%e %M" -o "$work/time-$d" "$build/synod" run "$work/run-$d.yaml" \
    --out "$work/out-$d" > "$work/summary-$d"
  read -r wall rss_kb < "$work/time-$d"
  # the summary's "simulation speed  N simulated s per wall s (W s wall)": the simulation alone
  sim_alone=$(sed -n 's/.*simulation speed *\([0-9.]*\) simulated s per wall s (\([0-9.]*\) s wall).*/\1 (\2 s)/p' "$work/summary-$d")
  total=$(du -sb "$work/out-$d" | cut -f1)
  largest=$(cd "$work/out-$d" && find . -type f -printf "%s %P\n" | sort -rn | head -3 |
            awk '{printf "%s %.1f MB; ", $2, $1/1e6}')
  printf "%-10s %9s %10.0f %20s %12.0f %10.1f  %s\n" "${d}s" "$wall" "$(python3 -c "print($d/$wall)")" \
    "$sim_alone" "$((rss_kb / 1024))" "$(python3 -c "print($total/1e6)")" "$largest"
done
