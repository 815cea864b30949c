// Staleness of reads in a key-value history, as Probabilistically Bounded Staleness measures it
// (Bailis et al., VLDB 2012): for each read, the latest write to its key acknowledged before the
// read began; t = the read's start minus that acknowledgement. The read is k versions stale when
// k of the writes acknowledged before it began are newer in real time than the write whose value
// it returned (each began after that write was acknowledged; null is older than every write).
// Writes that overlap in time have no order a client could see, so returning either is fresh —
// also under last-writer-wins, which may order them either way. t-visibility is the share of
// reads at time t that are not stale. Writes are told apart by their values (synod's workload
// writes each value once); a read that returns a value whose write was not yet acknowledged is
// fresh (it saw something newer). PBS's own count, by acknowledgement order, is kept beside it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/types.hpp"

namespace synod::analysis {

struct KvOp {
  bool write = false;
  std::string key;
  std::optional<int64_t> value;  // write: what it wrote; read: what it read
  Nanos invoke = 0;
  Nanos complete = 0;            // ok completion
};

struct StalenessBin {
  double from_ms = 0, to_ms = 0;  // t in [from, to)
  uint64_t reads = 0;
  uint64_t stale = 0;
  uint64_t missed_latest = 0;
};

struct StalenessReport {
  uint64_t reads = 0;        // ok reads with an acknowledged write to their key before them
  uint64_t stale = 0;
  // PBS's own measure (commit order): the read did not return the last write acknowledged before
  // it began, nor one acknowledged after. Counts overlapping writes as ordered by acknowledgement,
  // which last writer wins need not follow — so a strict quorum can "miss" without being stale.
  uint64_t missed_latest = 0;
  std::vector<StalenessBin> bins;           // by t
  std::map<int64_t, uint64_t> by_versions;  // k (0 = fresh) → reads
};

// `ops`: the ok operations (reads and writes), any order. `edges_ms`: bin edges, increasing
// (the last bin is open-ended).
StalenessReport measure_staleness(const std::vector<KvOp>& ops, const std::vector<double>& edges_ms);

}  // namespace synod::analysis
