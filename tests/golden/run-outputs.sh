#!/usr/bin/env bash
# Pins what every shipped scenario produces: runs each file in scenarios/ under a few seeds and
# compares the SHA-256 of its outputs (report.json, history.jsonl, events.jsonl, timeline.csv)
# and its exit code with tests/golden/run-outputs.sha256; and three `synod compare` runs.
#
# A refactoring must leave them byte-identical (issue 8). A change that alters behaviour on
# purpose regenerates the file with --update and says why in its commit message.
#
#   tests/golden/run-outputs.sh BUILD_DIR            compare (exit 1 and a diff on a mismatch)
#   tests/golden/run-outputs.sh BUILD_DIR --update   rewrite the manifest
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:?usage: run-outputs.sh BUILD_DIR [--update]}"
mode="${2:-check}"
synod="$build/synod"
manifest="$here/run-outputs.sha256"
seeds=(1 2 3)
[ -x "$synod" ] || { echo "run-outputs: no synod binary at $synod" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

actual="$work/actual.sha256"
: > "$actual"
for file in "$root"/scenarios/*.yaml; do
  name="$(basename "$file" .yaml)"
  for seed in "${seeds[@]}"; do
    out="$work/$name-$seed"
    code=0
    "$synod" run "$file" --seed "$seed" --out "$out" --quiet 2>/dev/null || code=$?
    for f in report.json history.jsonl events.jsonl timeline.csv; do
      if [ -f "$out/$f" ]; then
        sum="$(sha256sum "$out/$f" | cut -d' ' -f1)"
      else
        sum="missing"
      fi
      echo "$name seed=$seed $f $sum" >> "$actual"
    done
    echo "$name seed=$seed exit $code" >> "$actual"
    rm -rf "$out"
  done
done

# synod compare: one scenario under other protocols (the protocol section is carried over key by key).
compare() {
  local name="$1" protocols="$2"
  local out="$work/compare-$name"
  local code=0
  "$synod" compare "$root/scenarios/$name.yaml" --protocols "$protocols" --seeds 1-2 -j 2 \
    --out "$out" > /dev/null 2>&1 || code=$?
  for f in compare.json compare.csv; do
    if [ -f "$out/$f" ]; then sum="$(sha256sum "$out/$f" | cut -d' ' -f1)"; else sum="missing"; fi
    echo "compare $name $protocols $f $sum" >> "$actual"
  done
  echo "compare $name $protocols exit $code" >> "$actual"
  rm -rf "$out"
}
compare raft-leader-crash raft,multipaxos,paxos,lamport-lww
compare lamport-lww-partition lamport-lww,raft,lamport-mutex
compare paxos-duelling-proposers paxos,multipaxos

if [ "$mode" = "--update" ]; then
  cp "$actual" "$manifest"
  echo "run-outputs: wrote $(wc -l < "$manifest") lines to $manifest"
  exit 0
fi
if diff -u "$manifest" "$actual"; then
  echo "run-outputs: $(wc -l < "$manifest") outputs identical to the manifest"
else
  echo "run-outputs: outputs differ from $manifest (lines with - are expected, + are now)" >&2
  exit 1
fi
