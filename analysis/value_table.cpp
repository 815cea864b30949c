// Interning of one key's values (see value_table.hpp).
#include "analysis/value_table.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

namespace synod::analysis::detail {

namespace {

// Chunks double from 4 KiB (a register key has a few values) to 1 MiB (a hard kv key, millions).
constexpr size_t kFirstChunkBytes = size_t{1} << 12;
constexpr size_t kMaxChunkBytes = size_t{1} << 20;

uint64_t hash_bytes(std::string_view bytes) { return std::hash<std::string_view>{}(bytes); }

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

}  // namespace

std::string value_key(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "n";
    case nlohmann::json::value_t::boolean: return value.get<bool>() ? "t" : "f";
    case nlohmann::json::value_t::number_integer: return "i" + std::to_string(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return "i" + std::to_string(value.get<uint64_t>());
    case nlohmann::json::value_t::string: return "s" + value.get<std::string>();
    default: return "j" + value.dump();
  }
}

ValueTable::ValueTable(Model model) : model_(model), slots_(16, kNone), appended_(16) {
  // Id 0 is the initial state: null for a register, "" for a kv key.
  if (model == Model::Register) {
    intern_text(value_key(nullptr), "null");
  } else {
    intern_text(std::string_view(), std::string_view());
  }
}

// A deep copy: the views of `other` point into its chunks, so every value is stored again, in the
// same order (the ids stay the same).
ValueTable::ValueTable(const ValueTable& other)
    : model_(other.model_),
      slots_(other.slots_),
      int_ids_(other.int_ids_),
      appended_(other.appended_),
      appended_used_(other.appended_used_) {
  texts_.reserve(other.texts_.size());
  hashes_ = other.hashes_;
  for (size_t id = 0; id < other.texts_.size(); ++id) {
    texts_.push_back(store(other.texts_[id]));
    if (model_ == Model::Register) keys_.push_back(store(other.keys_[id]));
  }
}

size_t ValueTable::memory_bytes() const {
  return chunk_bytes_ + texts_.capacity() * sizeof(std::string_view) +
         keys_.capacity() * sizeof(std::string_view) + hashes_.capacity() * sizeof(uint64_t) +
         slots_.capacity() * sizeof(uint32_t) + int_ids_.size() * 32 +
         appended_.capacity() * sizeof(appended_[0]);
}

std::string_view ValueTable::store(std::string_view bytes) {
  if (bytes.empty()) return std::string_view();
  if (bytes.size() > chunk_free_) {
    const size_t next = chunks_.empty() ? kFirstChunkBytes
                                        : std::min(kMaxChunkBytes, 2 * chunk_bytes_);
    const size_t size = std::max(next, bytes.size());
    chunks_.push_back(std::make_unique<char[]>(size));
    chunk_next_ = chunks_.back().get();
    chunk_free_ = size;
    chunk_bytes_ += size;
  }
  std::memcpy(chunk_next_, bytes.data(), bytes.size());
  const std::string_view stored(chunk_next_, bytes.size());
  chunk_next_ += bytes.size();
  chunk_free_ -= bytes.size();
  return stored;
}

uint32_t ValueTable::lookup(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint32_t id = slots_[i];
    if (id == kNone) return kNone;
    if (hashes_[id] == hash && key_of(id) == key) return id;
  }
}

uint32_t ValueTable::add(std::string_view key, std::string_view text, uint64_t hash) {
  const auto id = static_cast<uint32_t>(texts_.size());
  texts_.push_back(store(text));
  if (model_ == Model::Register) keys_.push_back(store(key));
  hashes_.push_back(hash);
  if (10 * texts_.size() > 7 * slots_.size()) {
    std::vector<uint32_t> grown(slots_.size() * 2, kNone);
    const size_t mask = grown.size() - 1;
    for (uint32_t old : slots_) {
      if (old == kNone) continue;
      size_t i = hashes_[old] & mask;
      while (grown[i] != kNone) i = (i + 1) & mask;
      grown[i] = old;
    }
    slots_.swap(grown);
  }
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i] != kNone) i = (i + 1) & mask;
  slots_[i] = id;
  return id;
}

uint32_t ValueTable::intern_text(std::string_view key, std::string_view text) {
  const uint64_t hash = hash_bytes(key);
  const uint32_t id = lookup(key, hash);
  return id != kNone ? id : add(key, text, hash);
}

uint32_t ValueTable::intern(const nlohmann::json& value) {
  if (model_ == Model::Kv) {
    const std::string text = value.is_string() ? value.get<std::string>() : std::string();
    return intern_text(text, text);
  }
  if (value.is_number_integer()) {
    const auto number = value.get<int64_t>();
    auto it = int_ids_.find(number);
    if (it != int_ids_.end()) return it->second;
    const uint32_t id = intern_text(value_key(value), value.dump());
    int_ids_.emplace(number, id);
    return id;
  }
  return intern_text(value_key(value), value.dump());
}

std::optional<uint32_t> ValueTable::find(const nlohmann::json& value) const {
  if (model_ == Model::Register && value.is_number_integer()) {
    auto it = int_ids_.find(value.get<int64_t>());
    if (it == int_ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string key = model_ == Model::Kv
                              ? (value.is_string() ? value.get<std::string>() : std::string())
                              : value_key(value);
  const uint32_t id = lookup(key, hash_bytes(key));
  if (id == kNone) return std::nullopt;
  return id;
}

uint32_t ValueTable::appended(uint64_t memo_key) const {
  const size_t mask = appended_.size() - 1;
  for (size_t i = mix(memo_key) & mask;; i = (i + 1) & mask) {
    if (appended_[i].first == memo_key) return appended_[i].second;
    if (appended_[i].first == 0) return kNone;
  }
}

void ValueTable::remember_append(uint64_t memo_key, uint32_t id) {
  if (10 * (appended_used_ + 1) > 7 * appended_.size()) {
    std::vector<std::pair<uint64_t, uint32_t>> grown(appended_.size() * 2);
    const size_t mask = grown.size() - 1;
    for (const auto& entry : appended_) {
      if (entry.first == 0) continue;
      size_t i = mix(entry.first) & mask;
      while (grown[i].first != 0) i = (i + 1) & mask;
      grown[i] = entry;
    }
    appended_.swap(grown);
  }
  const size_t mask = appended_.size() - 1;
  size_t i = mix(memo_key) & mask;
  while (appended_[i].first != 0) i = (i + 1) & mask;
  appended_[i] = {memo_key, id};
  ++appended_used_;
}

uint32_t ValueTable::append(uint32_t state, uint32_t suffix) {
  if (texts_[suffix].empty()) return state;
  const uint64_t memo_key = (uint64_t{state} << 32) | suffix;
  const uint32_t known = appended(memo_key);
  if (known != kNone) return known;
  std::string text;
  text.reserve(texts_[state].size() + texts_[suffix].size());
  text.append(texts_[state]).append(texts_[suffix]);
  const uint32_t result = intern_text(text, text);
  remember_append(memo_key, result);
  return result;
}

std::string ValueTable::render(uint32_t id) const {
  if (model_ == Model::Kv) return nlohmann::json(texts_[id]).dump();
  return std::string(texts_[id]);
}

}  // namespace synod::analysis::detail
