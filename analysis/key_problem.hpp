// Internal: one key's sub-history compiled for the search.
//
// Values are interned to small integers (the register's null and the kv model's "" are id 0, the
// initial state), so a model state is one uint32 and a step is a comparison or two. Operations
// that cannot change the verdict are dropped here, each with the reason next to its rule:
// `fail` operations, `info` reads, and `info` writes whose value nothing could ever observe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/history.hpp"
#include "analysis/linearizability.hpp"

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

// A value's identity as a string, cheaper than its JSON text: equal keys iff equal JSON values
// (numbers are canonical after build_history: integral floats became integers).
std::string value_key(const nlohmann::json& value);

// The interned values of one key. Register values are JSON scalars compared by JSON equality;
// kv values are strings, and appends create new ones (memoized per (state, suffix)).
class ValueTable {
 public:
  static constexpr uint32_t kInitial = 0;

  explicit ValueTable(Model model);

  uint32_t intern(const nlohmann::json& value);
  // The id of `value` if it is already interned.
  std::optional<uint32_t> find(const nlohmann::json& value) const;
  uint32_t append(uint32_t state, uint32_t suffix);
  std::string render(uint32_t id) const;  // JSON text: 3, null, "ab"
  size_t memory_bytes() const { return memory_bytes_; }

 private:
  uint32_t intern_text(std::string key, std::string text);

  Model model_;
  // Register: the value's JSON text, found by value_key. Kv: the string itself, found by itself.
  std::vector<std::string> texts_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::unordered_map<int64_t, uint32_t> int_ids_;  // register integers, the common case
  std::unordered_map<uint64_t, uint32_t> appended_;  // (state << 32 | suffix) -> state
  size_t memory_bytes_ = 0;
};

struct KeyProblem {
  explicit KeyProblem(Model model) : values(model) {}
  std::vector<CompiledOp> ops;  // in invocation order
  ValueTable values;
  size_t dropped_ops = 0;  // fail, info reads, unobservable info writes
};

// `op_ids` are the key's operations in History::ops (all outcomes). With `cut_seq`, only the
// history's events before that position count: later invocations are left out and later
// completions are treated as never received (used by tests and the explanation of a prefix).
KeyProblem compile_key(const History& history, const std::vector<size_t>& op_ids, Model model,
                       uint64_t cut_seq = UINT64_MAX);

}  // namespace synod::analysis::detail
