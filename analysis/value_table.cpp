// Interning of one key's values (see value_table.hpp).
#include "analysis/value_table.hpp"

namespace synod::analysis::detail {

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

ValueTable::ValueTable(Model model) : model_(model) {
  // Id 0 is the initial state: null for a register, "" for a kv key.
  if (model == Model::Register) {
    intern_text(value_key(nullptr), "null");
  } else {
    intern_text(std::string(), std::string());
  }
}

uint32_t ValueTable::intern_text(std::string key, std::string text) {
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(texts_.size());
  memory_bytes_ += key.size() + text.size() + 96;  // key, text and the map node
  texts_.push_back(std::move(text));
  ids_.emplace(std::move(key), id);
  return id;
}

uint32_t ValueTable::intern(const nlohmann::json& value) {
  if (model_ == Model::Kv) {
    std::string text = value.is_string() ? value.get<std::string>() : std::string();
    return intern_text(text, text);
  }
  if (value.is_number_integer()) {
    const auto number = value.get<int64_t>();
    auto it = int_ids_.find(number);
    if (it != int_ids_.end()) return it->second;
    const uint32_t id = intern_text(value_key(value), value.dump());
    int_ids_.emplace(number, id);
    memory_bytes_ += 32;
    return id;
  }
  std::string key = value_key(value);
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  return intern_text(std::move(key), value.dump());
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
  auto it = ids_.find(key);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

uint32_t ValueTable::append(uint32_t state, uint32_t suffix) {
  if (texts_[suffix].empty()) return state;
  const uint64_t memo_key = (uint64_t{state} << 32) | suffix;
  auto it = appended_.find(memo_key);
  if (it != appended_.end()) return it->second;
  std::string text = texts_[state] + texts_[suffix];
  const uint32_t result = intern_text(text, text);
  appended_.emplace(memo_key, result);
  memory_bytes_ += 48;
  return result;
}

std::string ValueTable::render(uint32_t id) const {
  if (model_ == Model::Kv) return nlohmann::json(texts_[id]).dump();
  return texts_[id];
}

}  // namespace synod::analysis::detail
