#include "protocols/common/kv_store.hpp"

namespace synod {

bool KvStore::is_duplicate(const Command& c, ClientResult* result) const {
  auto it = sessions_.find(c.client);
  if (it == sessions_.end() || c.seq > it->second.last_seq) return false;
  if (result) *result = it->second.last_result;
  return true;
}

std::optional<int64_t> KvStore::get(const std::string& key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

ClientResult KvStore::apply(const Command& c) {
  ClientResult r;
  if (is_duplicate(c, &r)) return r;
  switch (c.type) {
    case OpType::Read:
      r = {ReplyStatus::Ok, get(c.key)};
      break;
    case OpType::Write:
      data_[c.key] = c.value;
      r = {ReplyStatus::Ok, std::nullopt};
      break;
    case OpType::Cas: {
      // Jepsen's register: a cas on null or on a different value fails and changes nothing.
      auto cur = get(c.key);
      if (cur && *cur == c.expected) {
        data_[c.key] = c.value;
        r = {ReplyStatus::Ok, std::nullopt};
      } else {
        r = {ReplyStatus::Fail, std::nullopt};
      }
      break;
    }
  }
  sessions_[c.client] = {c.seq, r};
  return r;
}

}  // namespace synod
