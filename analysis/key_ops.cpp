// Splitting a history by key (see key_ops.hpp).
#include "analysis/key_ops.hpp"

#include <algorithm>
#include <unordered_map>

namespace synod::analysis::detail {

std::vector<KeyOps> split_by_key(const History& history, Model model) {
  std::vector<KeyOps> groups;
  // The hash map only finds each key's group; the groups are sorted afterwards, so no hash
  // order reaches the output.
  std::unordered_map<std::string, size_t> group_of;
  std::optional<size_t> unnamed;
  for (const Operation& op : history.ops) {
    size_t group = 0;
    if (!op.key) {
      if (!unnamed) {
        unnamed = groups.size();
        groups.emplace_back(model);
      }
      group = *unnamed;
    } else {
      auto [it, is_new] = group_of.emplace(*op.key, groups.size());
      if (is_new) {
        groups.emplace_back(model);
        groups.back().key = op.key;
      }
      group = it->second;
    }
    KeyOps& key_ops = groups[group];
    KeyOp k;
    k.id = static_cast<uint32_t>(op.id);
    k.f = op.f;
    k.outcome = op.outcome;
    k.invoke_seq = op.invoke_seq;
    k.complete_seq = op.complete_seq;
    switch (op.f) {
      case OpFunction::Read:
      case OpFunction::Get:
        if (op.outcome == Outcome::Ok) k.a = key_ops.values.intern(op.value);
        break;
      case OpFunction::Cas:
        k.a = key_ops.values.intern(op.value[0]);
        k.b = key_ops.values.intern(op.value[1]);
        break;
      default:
        k.a = key_ops.values.intern(op.value);
        break;
    }
    key_ops.ops.push_back(k);
  }
  std::sort(groups.begin(), groups.end(),
            [](const KeyOps& x, const KeyOps& y) { return x.key < y.key; });
  return groups;
}

}  // namespace synod::analysis::detail
