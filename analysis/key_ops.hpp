// Internal: a history split by key (P-compositionality), in one sequential pass, into compact
// per-key operation lists with interned values. Everything per key (the search, the durability
// view) works on these, not on the History's JSON values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/history.hpp"
#include "analysis/value_table.hpp"

namespace synod::analysis::detail {

struct KeyOp {
  uint32_t id = 0;  // index in History::ops
  OpFunction f = OpFunction::Read;
  Outcome outcome = Outcome::Info;
  // Value ids: write/put/append: a = the value; cas: a = expected, b = new; an ok read or get:
  // a = the result (otherwise unused).
  uint32_t a = 0;
  uint32_t b = 0;
  uint64_t invoke_seq = 0;
  uint64_t complete_seq = 0;  // meaningful only when the operation completed
};

struct KeyOps {
  explicit KeyOps(Model model) : values(model) {}
  std::optional<std::string> key;  // nullopt: the unnamed register
  std::vector<KeyOp> ops;          // in invocation order
  ValueTable values;
};

// The keys in order (the unnamed register first). The model decides how values are interned;
// operations must belong to it (check() verifies that first).
std::vector<KeyOps> split_by_key(const History& history, Model model);

}  // namespace synod::analysis::detail
