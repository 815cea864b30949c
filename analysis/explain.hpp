// Internal: counterexamples a person can read, and the durability view.
//
// explain_violation turns a failed search into an Explanation: the blocking operation, the
// longest linearizable prefix, the operations left unplaced, and one sentence. The sentence comes
// from the real-time order alone when a simple argument exists (a value nobody wrote; every write
// of it began too late or was overwritten before the read began), else it falls back to what the
// search found ("no order of the operations before and concurrent with it explains that ...").
//
// find_durability_anomalies lists, per key, acknowledged writes that were lost and reads of
// values no operation wrote (definitions in docs/checker.md, "Durability view").
#pragma once

#include <vector>

#include "analysis/history.hpp"
#include "analysis/key_ops.hpp"
#include "analysis/key_problem.hpp"
#include "analysis/linearizability.hpp"
#include "analysis/wgl_search.hpp"

namespace synod::analysis::detail {

Explanation explain_violation(const History& history, const KeyOps& key_ops, Model model,
                              const KeyProblem& problem, const SearchResult& search);

void find_durability_anomalies(const History& history, const KeyOps& key_ops,
                               Model model, std::vector<Operation>& lost_writes,
                               std::vector<Operation>& never_written_reads);

}  // namespace synod::analysis::detail
