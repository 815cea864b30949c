// Internal: the Wing & Gong / Lowe linearizability search over one key's compiled operations.
//
// The search walks a doubly linked list of call and return entries in real-time order. At each
// configuration (set of linearized operations, model state) it may linearize any operation whose
// call comes before the first remaining return (a "minimal" operation); reaching a return entry
// means the operation it belongs to can no longer be placed, so the search backtracks. A cache of
// visited configurations prunes repeats (Lowe 2017, "Testing for linearizability", §3).
//
// What is ours (see docs/checker.md for measurements):
// - Info operations have no return entry: they may be linearized after their call, or never.
//   The search succeeds when every ok operation is linearized.
// - Forced moves: a minimal operation that changes the state in no state (a read, a cas from v
//   to v, an append of "") and is valid in the current one is linearized without trying
//   alternatives: any linearization from this configuration can be rearranged to put it first
//   (take it out of where it was: it changed nothing there; put it first: it is valid there and
//   no remaining operation completed before it was invoked). When that child fails, so does the
//   parent. (A write of the current value does not qualify: placed later it would change the
//   state.)
// - The set of linearized operations has a Zobrist hash updated in O(1) on lift and unlift; the
//   cache is an open-addressing table keyed by that hash and the state, and stores the set in a
//   run-length form (runs of full 64-bit words are skipped), so memory stays near O(entries).
// - The search tracks how far it got: the index of the first ok operation (by completion) not yet
//   linearized. When the key is not linearizable, the largest index reached identifies the
//   operation whose completion first makes the history non-linearizable, and the stack at the
//   moment that index was reached is a linearization of everything before that completion.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "analysis/key_problem.hpp"
#include "analysis/linearizability.hpp"

namespace synod::analysis::detail {

struct SearchLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  size_t max_memory_bytes = SIZE_MAX;  // the cache never allocates past it
  // A deterministic budget: the search stops (Unknown, out_of_configurations) once it has entered
  // this many configurations (checked every 1024 steps, so the stop is reproducible too).
  uint64_t max_configurations = UINT64_MAX;
};

struct SearchResult {
  Verdict verdict = Verdict::Unknown;
  BudgetExhausted exhausted = BudgetExhausted::None;
  bool out_of_configurations = false;  // Unknown because of SearchLimits::max_configurations
  // Indices into KeyProblem::ops. For Linearizable: a full linearization. For NotLinearizable:
  // a linearization of the longest linearizable prefix (see above), and the blocking operation.
  std::vector<uint32_t> linearization;
  uint32_t final_state = 0;  // the model state after `linearization`
  uint32_t blocking = 0;     // NotLinearizable only
  // Statistics (deterministic, except when a budget ran out).
  uint64_t configurations = 0;  // configurations entered (pushes)
  size_t peak_memory_bytes = 0;
};

SearchResult search_linearization(KeyProblem& problem, const SearchLimits& limits);

}  // namespace synod::analysis::detail
