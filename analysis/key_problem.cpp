// Compiling one key's operations: interning values and dropping operations that cannot matter.
#include "analysis/key_problem.hpp"

#include <algorithm>
#include <cassert>
#include <set>

namespace synod::analysis::detail {
namespace {

// Above this many character comparisons, the kv pruning of info writes is skipped: it is an
// optimization, and a history with long strings and many info writes must not pay quadratic time.
constexpr size_t kKvPruneWorkMax = size_t{50} * 1000 * 1000;

bool is_read_like(OpFunction f) { return f == OpFunction::Read || f == OpFunction::Get; }

// Register: an info write of v (or info cas to v) may be dropped when no operation can observe v:
// no ok read returns v and no cas expects v. Why this is sound: had it taken effect, every
// operation linearized after it and before the next write would see v, so none of them can be a
// read or a successful cas; only writes follow, and they do not care. Dropping it leaves a valid
// linearization. (Herlihy & Wing's "info" is an optional operation, so dropping is allowed.)
// Returns, by value id, whether the value is observable.
std::vector<uint8_t> observable_register_values(const History& history,
                                                const std::vector<size_t>& op_ids,
                                                uint64_t cut_seq, ValueTable& values) {
  std::vector<uint8_t> observable;
  auto mark = [&](const nlohmann::json& v) {
    const uint32_t id = values.intern(v);
    if (id >= observable.size()) observable.resize(id + 1, 0);
    observable[id] = 1;
  };
  for (size_t id : op_ids) {
    const Operation& op = history.ops[id];
    if (op.invoke_seq >= cut_seq || op.outcome == Outcome::Fail) continue;
    const bool is_ok = op.outcome == Outcome::Ok && op.complete_seq < cut_seq;
    if (op.f == OpFunction::Read && is_ok) mark(op.value);
    if (op.f == OpFunction::Cas) mark(op.value[0]);
  }
  return observable;
}

// Kv: an info put of v may be dropped when no ok get returns a string starting with v, and an
// info append of s (non-empty) when no ok get returns a string containing s. Same argument as
// for registers: until the next put, every state after it starts with v (contains s).
struct KvObservations {
  std::vector<std::string> gets;  // distinct ok get results
  bool is_affordable = true;
};

KvObservations kv_observations(const History& history, const std::vector<size_t>& op_ids,
                               uint64_t cut_seq) {
  std::set<std::string> distinct;
  size_t info_writes = 0;
  for (size_t id : op_ids) {
    const Operation& op = history.ops[id];
    if (op.invoke_seq >= cut_seq || op.outcome == Outcome::Fail) continue;
    const bool is_ok = op.outcome == Outcome::Ok && op.complete_seq < cut_seq;
    if (op.f == OpFunction::Get && is_ok) distinct.insert(op.value.get<std::string>());
    if (!is_ok && !is_read_like(op.f)) ++info_writes;
  }
  KvObservations result;
  size_t bytes = 0;
  for (const std::string& s : distinct) bytes += s.size() + 1;
  result.is_affordable = bytes * info_writes <= kKvPruneWorkMax;
  result.gets.assign(distinct.begin(), distinct.end());
  return result;
}

bool kv_can_observe(const KvObservations& seen, OpFunction f, const std::string& text) {
  if (!seen.is_affordable || text.empty()) return true;
  for (const std::string& get : seen.gets) {
    if (f == OpFunction::Put ? get.compare(0, text.size(), text) == 0
                             : get.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
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

KeyProblem compile_key(const History& history, const std::vector<size_t>& op_ids, Model model,
                       uint64_t cut_seq) {
  KeyProblem problem(model);
  const std::vector<uint8_t> register_observable =
      model == Model::Register
          ? observable_register_values(history, op_ids, cut_seq, problem.values)
          : std::vector<uint8_t>{};
  auto is_observable = [&](const nlohmann::json& v) {
    const std::optional<uint32_t> id = problem.values.find(v);
    return id && *id < register_observable.size() && register_observable[*id] != 0;
  };
  const KvObservations kv_seen =
      model == Model::Kv ? kv_observations(history, op_ids, cut_seq) : KvObservations{};

  // History::ops are in invocation order, and so are the callers' op_ids.
  assert(std::is_sorted(op_ids.begin(), op_ids.end()));
  for (size_t id : op_ids) {
    const Operation& op = history.ops[id];
    if (op.invoke_seq >= cut_seq) continue;  // not yet invoked at the cut
    // fail: certainly did not take effect (Jepsen's meaning), so it constrains nothing.
    if (op.outcome == Outcome::Fail && op.complete_seq < cut_seq) {
      ++problem.dropped_ops;
      continue;
    }
    const bool is_ok = op.outcome == Outcome::Ok && op.complete_seq < cut_seq;
    CompiledOp c;
    c.is_optional = !is_ok;
    c.op_id = static_cast<uint32_t>(id);
    c.invoke_seq = op.invoke_seq;
    c.complete_seq = is_ok ? op.complete_seq : UINT64_MAX;
    if (c.is_optional) {
      // An info read returned nothing we know, and reads change no state: it constrains nothing.
      bool is_droppable = is_read_like(op.f);
      if (op.f == OpFunction::Write) {
        is_droppable = !is_observable(op.value);
      } else if (op.f == OpFunction::Cas) {
        is_droppable = op.value[0] == op.value[1] ||  // a cas that changes nothing
                       !is_observable(op.value[1]);
      } else if (op.f == OpFunction::Put || op.f == OpFunction::Append) {
        is_droppable = !kv_can_observe(kv_seen, op.f, op.value.get<std::string>());
      }
      if (is_droppable) {
        ++problem.dropped_ops;
        continue;
      }
    }
    switch (op.f) {
      case OpFunction::Read:
      case OpFunction::Get:
        c.kind = StepKind::Read;
        c.a = problem.values.intern(op.value);
        break;
      case OpFunction::Write:
      case OpFunction::Put:
        c.kind = StepKind::Write;
        c.a = problem.values.intern(op.value);
        break;
      case OpFunction::Cas:
        c.kind = StepKind::Cas;
        c.a = problem.values.intern(op.value[0]);
        c.b = problem.values.intern(op.value[1]);
        break;
      case OpFunction::Append:
        c.kind = StepKind::Append;
        c.a = problem.values.intern(op.value);
        break;
    }
    problem.ops.push_back(c);
  }
  return problem;
}

}  // namespace synod::analysis::detail
