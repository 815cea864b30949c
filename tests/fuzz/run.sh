#!/usr/bin/env bash
# Runs the libFuzzer targets of a sanitize build (cmake --preset sanitize):
#   tests/fuzz/run.sh BUILD_DIR --seconds 30 [TARGET...]    each target for 30 s (what CI runs)
#   tests/fuzz/run.sh BUILD_DIR --runs 10000000 [TARGET...] each target for 10 million inputs
# Targets: fuzz_scenario fuzz_history_jsonl fuzz_history_edn (default: all).
# Each starts from the shipped files (scenarios, test data) and the corpus it
# kept from earlier runs (BUILD_DIR/fuzz/corpus/TARGET). An input that crashes, trips a sanitizer,
# runs past 10 s or allocates past 2 GB is written to BUILD_DIR/fuzz/artifacts/TARGET/ and makes
# the script exit 1; replay one with: BUILD_DIR/fuzz/TARGET FILE. Prints the executions per target.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR --seconds S | --runs N [TARGET...]}
mode=${2:?usage: run.sh BUILD_DIR --seconds S | --runs N [TARGET...]}
amount=${3:?usage: run.sh BUILD_DIR --seconds S | --runs N [TARGET...]}
shift 3
src=$(cd "$(dirname "$0")/../.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_scenario fuzz_history_jsonl fuzz_history_edn)
case "$mode" in
  --seconds) limit=(-max_total_time="$amount") ;;
  --runs) limit=(-runs="$amount") ;;
  *) echo "run.sh: expected --seconds or --runs, got '$mode'" >&2; exit 2 ;;
esac

seeds_of() {
  case "$1" in
    fuzz_scenario) ls "$src"/scenarios/*.yaml "$src"/bench/*.yaml "$src"/tests/sim/data/good/*.yaml \
                      "$src"/tests/sim/data/bad/*.yaml ;;
    fuzz_history_jsonl) ls "$src"/tests/analysis/data/*.jsonl ;;
    fuzz_history_edn) ls "$src"/tests/analysis/data/*.edn "$src"/tests/fuzz/seeds/*.edn ;;
  esac
}

# Words the loader knows (its keys and values, from the sources), so mutations reach past the
# first unknown key; and the markup of the other formats.
dict_of() {
  local out=$build/fuzz/$1.dict
  case "$1" in
    fuzz_scenario)
      grep -ohE '"[a-z][a-z0-9_-]{1,30}"' "$src"/sim/scenario/*.cpp "$src"/sim/families/*.cpp \
        "$src"/protocols/common/*.hpp | sort -u > "$out"
      for w in ': ' '- ' '[' ']' '{' '}' ', ' 'ms' '/s' 'us' '1e9' '-1' '0.5' '\x0a  ' '\x0a    '; do
        printf '"%s"\n' "$w" >> "$out"
      done ;;
    fuzz_history_jsonl)
      printf '"%s"\n' '{' '}' '[' ']' ':' ',' 'null' 'true' '\"type\"' '\"invoke\"' '\"ok\"' \
        '\"fail\"' '\"info\"' '\"f\"' '\"read\"' '\"write\"' '\"cas\"' '\"append\"' '\"put\"' \
        '\"get\"' '\"value\"' '\"process\"' '\"key\"' '\"time\"' '\"index\"' > "$out" ;;
    fuzz_history_edn)
      printf '"%s"\n' '{' '}' '[' ']' '(' ')' ':type' ':invoke' ':ok' ':fail' ':info' ':f' ':read' \
        ':write' ':cas' ':value' ':process' ':time' ':index' 'nil' '\"' > "$out" ;;
  esac
  echo "$out"
}

status=0
printf '%-20s %12s %10s %8s  %s\n' target executions exec/s corpus result
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  [ -x "$bin" ] || { echo "run.sh: $bin not built (cmake --build $build --target $t)" >&2; exit 2; }
  corpus=$build/fuzz/corpus/$t
  seeds=$build/fuzz/seeds/$t
  artifacts=$build/fuzz/artifacts/$t
  mkdir -p "$corpus" "$seeds" "$artifacts"
  rm -f "$seeds"/*
  for f in $(seeds_of "$t"); do cp "$f" "$seeds/"; done
  log=$build/fuzz/$t.log
  set +e
  # -jobs/-workers: one process; -use_value_profile helps past compares of whole words.
  "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=8192 \
    -dict="$(dict_of "$t")" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" "$seeds" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  size=$(ls "$corpus" | wc -l)
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FOUND (exit $rc): $(ls -t "$artifacts" | head -1); see $log"
    status=1
  fi
  printf '%-20s %12s %10s %8s  %s\n' "$t" "$execs" "$speed" "$size" "$result"
  [ $rc -eq 0 ] || grep -m5 -E 'ERROR|SUMMARY|runtime error|terminate' "$log" >&2 || true
done
exit $status
