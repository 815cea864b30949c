// Internal: the interned values of one key. A model state is one uint32 id; the initial state
// (the register's null, the kv model's "") is id 0.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/linearizability.hpp"

namespace synod::analysis::detail {

// A value's identity as a string, cheaper than its JSON text: equal keys iff equal JSON values
// (numbers are canonical after build_history: integral floats became integers).
std::string value_key(const nlohmann::json& value);

// Register values are JSON scalars compared by JSON equality; kv values are strings, and appends
// create new ones (memoized per (state, suffix)).
//
// A hard kv key makes millions of strings during the search, so the table holds no per-value
// allocation: the bytes live in large chunks, the lookups are open-addressing tables of ids.
// Growing and freeing it costs a few large allocations, which keeps the checker's deadline hard
// (with one std::string and one map node per value, freeing 3 GB of them took seconds).
class ValueTable {
 public:
  static constexpr uint32_t kInitial = 0;

  explicit ValueTable(Model model);

  uint32_t intern(const nlohmann::json& value);
  // The id of `value` if it is already interned.
  std::optional<uint32_t> find(const nlohmann::json& value) const;
  uint32_t append(uint32_t state, uint32_t suffix);
  // Register: the JSON text (3, null, "a"). Kv: the string itself. Valid as long as the table.
  std::string_view text(uint32_t id) const { return texts_[id]; }
  std::string render(uint32_t id) const;  // JSON text: 3, null, "ab"
  size_t size() const { return texts_.size(); }
  size_t memory_bytes() const;

  // A copy stores every value again (the views point into the chunks); a move keeps them.
  ValueTable(const ValueTable& other);
  ValueTable& operator=(const ValueTable& other) { return *this = ValueTable(other); }
  ValueTable(ValueTable&&) noexcept = default;
  ValueTable& operator=(ValueTable&&) noexcept = default;
  ~ValueTable() = default;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  std::string_view store(std::string_view bytes);
  // The lookup key: the register's value_key, the kv string itself.
  std::string_view key_of(uint32_t id) const { return model_ == Model::Kv ? texts_[id] : keys_[id]; }
  uint32_t lookup(std::string_view key, uint64_t hash) const;
  uint32_t add(std::string_view key, std::string_view text, uint64_t hash);
  uint32_t intern_text(std::string_view key, std::string_view text);
  uint32_t appended(uint64_t memo_key) const;
  void remember_append(uint64_t memo_key, uint32_t id);

  Model model_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_bytes_ = 0;  // all chunks' sizes
  size_t chunk_free_ = 0;   // unused bytes at the end of the last chunk
  char* chunk_next_ = nullptr;
  std::vector<std::string_view> texts_;
  std::vector<std::string_view> keys_;  // register only
  std::vector<uint64_t> hashes_;        // of key_of(id)
  std::vector<uint32_t> slots_;         // ids by hash; kNone is empty; a power of two, <= 70% full
  std::unordered_map<int64_t, uint32_t> int_ids_;  // register integers, the common case
  // (state << 32 | suffix) -> state; key 0 is empty (suffix 0 is "", which append never memoizes)
  std::vector<std::pair<uint64_t, uint32_t>> appended_;
  size_t appended_used_ = 0;
};

}  // namespace synod::analysis::detail
