// Internal: how operations, values and moments read in explanations and reports.
//   "write of 3 to x by process 2 (0.100–0.200 s)", "read of x returned 3", "at 1.204 s".
// Moments are simulated seconds when the history has times, else line numbers.
#pragma once

#include <string>

#include "analysis/history.hpp"

namespace synod::analysis::detail {

// 1.204 -> "1.204 s"; at least three decimals, up to six, trailing zeros trimmed.
std::string format_seconds(double seconds);
// What the operation did: "read of x returned 3", "cas of x from 1 to 2", "put of \"a\" to k".
std::string op_phrase(const Operation& op);
// op_phrase plus who and when: "write of 3 to x by process 2 (0.100–0.200 s)".
std::string describe_op(const Operation& op);
// The same inside a sentence: "a write of 3 to x by process 2 (0.100–0.200 s)".
std::string describe_op_in_sentence(const Operation& op);
// When it was invoked / completed: "1.100 s" or "line 7".
std::string invoke_moment(const Operation& op);
std::string complete_moment(const Operation& op);
// The JSON form used in reports.
nlohmann::json op_to_json(const Operation& op);

}  // namespace synod::analysis::detail
