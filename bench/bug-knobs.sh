#!/usr/bin/env bash
# Sweeps every bug knob (docs/bugs.md) over up to SEEDS seeds with `synod sweep --stop-at-first`,
# and the same seeds with every knob off; prints per knob the first catching seed and what caught
# it. Raft, Paxos and Multi-Paxos run scenarios/raft-harsh.yaml (the protocol swapped; Basic
# Paxos without the leader keys), LWW lamport-lww-partition, mutex lamport-mutex-basic.
# ~10 runs/s on 2 cores: the knobs caught at once take seconds, each one never caught (and each
# knobs-off line) takes SEEDS / 10 s.
#
#   bench/bug-knobs.sh [BUILD_DIR] [SEEDS] [NEMESIS] [PROTOCOLS]
#     defaults: build, 1000, raft-harsh, every protocol. NEMESIS: the consensus protocols'
#     scenario (e.g. raft-nemesis); PROTOCOLS: a regex on the protocol (e.g. '^raft$').
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
seeds="${2:-1000}"
nemesis="${3:-raft-harsh}"
only="${4:-.}"
synod="$build/synod"
[ -x "$synod" ] || { echo "bug-knobs: no synod binary at $synod" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

scenario_for() {  # protocol knob file
  local protocol="$1" knob="$2" file="$3" with=""
  [ "$knob" = none ] || with="\n  bugs: [$knob]"
  case "$protocol" in
    lamport-lww)
      sed "s/^  name: lamport-lww$/  name: lamport-lww$with/" "$root/scenarios/lamport-lww-partition.yaml" > "$file" ;;
    lamport-mutex)
      sed "s/^  name: lamport-mutex$/  name: lamport-mutex$with/" "$root/scenarios/lamport-mutex-basic.yaml" > "$file" ;;
    paxos)
      sed "s/^  name: raft$/  name: paxos$with/; /^  election_timeout:\|^  heartbeat:\|^  pre_vote:\|^  check_quorum:/d" \
        "$root/scenarios/$nemesis.yaml" > "$file" ;;
    *)
      sed "s/^  name: raft$/  name: $protocol$with/" "$root/scenarios/$nemesis.yaml" > "$file" ;;
  esac
}

printf '%-14s %-22s %-11s %-10s %s\n' protocol knob first-seed runs/s caught-by
while read -r protocol knob; do
  [[ "$protocol" =~ $only ]] || continue
  file="$work/$protocol-$knob.yaml"
  scenario_for "$protocol" "$knob" "$file"
  "$synod" sweep "$file" --seeds "1-$seeds" --stop-at-first --out "$work/$protocol-$knob" \
    > "$work/$protocol-$knob.log" 2>&1 || true
  rate="$(grep -o '[0-9.]* runs/s' "$work/$protocol-$knob.log" | head -1 | cut -d' ' -f1)"
  python3 - "$work/$protocol-$knob/sweep.json" "$protocol" "$knob" "${rate:-?}" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["protocols"][0]
proto, knob, rate = sys.argv[2], sys.argv[3], sys.argv[4]
if p["first_failing"]:
    f = p["first_failing"][0]
    print(f"{proto:<14} {knob:<22} {f['seed']:<11} {rate:<10} {' '.join(f['kinds'])}")
else:
    print(f"{proto:<14} {knob:<22} {'none':<11} {rate:<10} 0 unsafe in {p['runs']} runs")
PY
done <<'LIST'
raft none
raft figure8
raft vote-twice
raft skip-log-check
raft forget-vote
raft minority-quorum
raft local-reads
raft truncate-suffix
paxos none
paxos accept-below-promise
paxos ignore-accepted
multipaxos none
multipaxos accept-below-promise
multipaxos ignore-accepted
multipaxos skip-recovery
lamport-lww none
lamport-lww arrival-order
lamport-mutex none
lamport-mutex enter-without-acks
LIST
