// Internal: the interned values of one key. A model state is one uint32 id; the initial state
// (the register's null, the kv model's "") is id 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/linearizability.hpp"

namespace synod::analysis::detail {

// A value's identity as a string, cheaper than its JSON text: equal keys iff equal JSON values
// (numbers are canonical after build_history: integral floats became integers).
std::string value_key(const nlohmann::json& value);

// Register values are JSON scalars compared by JSON equality; kv values are strings, and appends
// create new ones (memoized per (state, suffix)).
class ValueTable {
 public:
  static constexpr uint32_t kInitial = 0;

  explicit ValueTable(Model model);

  uint32_t intern(const nlohmann::json& value);
  // The id of `value` if it is already interned.
  std::optional<uint32_t> find(const nlohmann::json& value) const;
  uint32_t append(uint32_t state, uint32_t suffix);
  // Register: the JSON text (3, null, "a"). Kv: the string itself.
  const std::string& text(uint32_t id) const { return texts_[id]; }
  std::string render(uint32_t id) const;  // JSON text: 3, null, "ab"
  size_t size() const { return texts_.size(); }
  size_t memory_bytes() const { return memory_bytes_; }

 private:
  uint32_t intern_text(std::string key, std::string text);

  Model model_;
  std::vector<std::string> texts_;
  std::unordered_map<std::string, uint32_t> ids_;    // by value_key (register), by text (kv)
  std::unordered_map<int64_t, uint32_t> int_ids_;    // register integers, the common case
  std::unordered_map<uint64_t, uint32_t> appended_;  // (state << 32 | suffix) -> state
  size_t memory_bytes_ = 0;
};

}  // namespace synod::analysis::detail
