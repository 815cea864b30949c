#!/usr/bin/env bash
# The source tree's layering, checked from the #include lines (docs/architecture.md draws it):
#
#   protocols/common   ← protocols/<family>   (no SimGrid, no sim/, no analysis/)
#   protocols/common   ← analysis/            (no sim/, no protocol internals)
#   sim/scenario ← sim/engine ← sim/report ← sim/families ← sim/cli
#
# Each folder may include only itself and the folders to its left, so there is no cycle between
# folders. Also: no file under sim/ longer than 500 lines (one concept per file).
#   tests/layout/check-layers.sh [SOURCE_DIR]
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"
problems=0

# allowed <folder> <include prefixes it may use, besides its own>
check() {
  local folder="$1"; shift
  local allowed=("$folder" "$@")
  while IFS= read -r line; do
    file="${line%%:*}"
    inc="$(sed -E 's/.*#include "([^"]+)".*/\1/' <<< "$line")"
    ok=0
    for a in "${allowed[@]}"; do
      [[ "$inc" == "$a"/* ]] && ok=1
    done
    if [ "$ok" -eq 0 ]; then
      echo "layering: $file includes \"$inc\" ($folder may use only: ${allowed[*]})"
      problems=$((problems + 1))
    fi
  done < <(grep -rn --include='*.hpp' --include='*.cpp' '#include "' "$folder" || true)
}

# protocols/placement (key → replicas) is a building block the storage families share, as they
# share protocols/common; no family includes another.
for family in protocols/*/; do
  family="${family%/}"
  [ "$family" = protocols/common ] && continue
  [ "$family" = protocols/placement ] && continue
  check "$family" protocols/common protocols/placement "$family"
done
check protocols/placement protocols/common
check protocols/common
check analysis protocols/common
check sim/scenario protocols/common
check sim/engine sim/scenario protocols analysis
check sim/report sim/engine sim/scenario protocols analysis
check sim/families sim/report sim/engine sim/scenario protocols analysis
check sim/cli sim/families sim/report sim/engine sim/scenario protocols analysis

# protocols/ links no SimGrid, and includes none of it.
if grep -rqn --include='*.hpp' --include='*.cpp' 'simgrid' protocols; then
  echo "layering: protocols/ mentions simgrid:"; grep -rn 'simgrid' protocols
  problems=$((problems + 1))
fi
if grep -v '^ *#' protocols/CMakeLists.txt | grep -qi 'simgrid'; then
  echo "layering: protocols/CMakeLists.txt links SimGrid"
  problems=$((problems + 1))
fi

while read -r n file; do
  [ "$file" = total ] && continue
  if [ "$n" -gt 500 ]; then
    echo "size: $file has $n lines (split it: one concept per file, under ~500 lines)"
    problems=$((problems + 1))
  fi
done < <(find sim -name '*.cpp' -o -name '*.hpp' | sort | xargs wc -l)

if [ "$problems" -gt 0 ]; then
  echo "check-layers: $problems problem(s)"
  exit 1
fi
echo "check-layers: layering and file sizes hold"
