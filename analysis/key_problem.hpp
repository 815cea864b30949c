// Internal: one key's operations compiled for the search.
//
// Operations that cannot change the verdict are dropped here, each with the reason next to its
// rule: `fail` operations, `info` reads, and `info` writes whose value nothing could ever observe.
#pragma once

#include <cstdint>
#include <vector>

#include "analysis/key_ops.hpp"
#include "analysis/value_table.hpp"

namespace synod::analysis::detail {

// Read: valid iff state == a.  Write: state := a.  Cas: valid iff state == a, then state := b.
// Append: state := state ++ a (kv strings).
enum class StepKind : uint8_t { Read, Write, Cas, Append };

struct CompiledOp {
  StepKind kind = StepKind::Read;
  bool is_optional = false;  // info: may take effect after its invocation, or never
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t op_id = 0;  // index in History::ops
  uint64_t invoke_seq = 0;
  uint64_t complete_seq = 0;  // meaningful only when !is_optional
};

struct KeyProblem {
  explicit KeyProblem(const ValueTable& key_values) : values(key_values) {}
  std::vector<CompiledOp> ops;  // in invocation order
  ValueTable values;            // a copy: kv appends add values during the search
  size_t dropped_ops = 0;       // fail, info reads, unobservable info writes
};

// With `cut_seq`, only the history's events before that position count: later invocations are
// left out and later completions are treated as never received (for tests of prefixes).
KeyProblem compile_key(const KeyOps& key_ops, Model model, uint64_t cut_seq = UINT64_MAX);

}  // namespace synod::analysis::detail
