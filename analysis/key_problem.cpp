// Compiling one key's operations: dropping operations that cannot matter.
#include "analysis/key_problem.hpp"

#include <set>

namespace synod::analysis::detail {
namespace {

// Above this many character comparisons, the kv pruning of info writes is skipped: it is an
// optimization, and a history with long strings and many info writes must not pay quadratic time.
constexpr size_t kKvPruneWorkMax = size_t{50} * 1000 * 1000;

bool is_read_like(OpFunction f) { return f == OpFunction::Read || f == OpFunction::Get; }

bool is_ok_at(const KeyOp& op, uint64_t cut_seq) {
  return op.outcome == Outcome::Ok && op.complete_seq < cut_seq;
}

// Register: an info write of v (or info cas to v) may be dropped when no operation can observe v:
// no ok read returns v and no cas expects v. Why this is sound: had it taken effect, every
// operation linearized after it and before the next write would see v, so none of them can be a
// read or a successful cas; only writes follow, and they do not care. Dropping it leaves a valid
// linearization. (An info operation is optional, so dropping is allowed.)
// Returns, by value id, whether the value is observable.
std::vector<uint8_t> observable_register_values(const KeyOps& key_ops, uint64_t cut_seq) {
  std::vector<uint8_t> observable(key_ops.values.size(), 0);
  for (const KeyOp& op : key_ops.ops) {
    if (op.invoke_seq >= cut_seq || op.outcome == Outcome::Fail) continue;
    if (op.f == OpFunction::Read && is_ok_at(op, cut_seq)) observable[op.a] = 1;
    if (op.f == OpFunction::Cas) observable[op.a] = 1;
  }
  return observable;
}

// Kv: an info put of v may be dropped when no ok get returns a string starting with v, and an
// info append of s (non-empty) when no ok get returns a string containing s. Same argument as
// for registers: until the next put, every state after it starts with v (contains s).
struct KvObservations {
  std::vector<uint32_t> gets;  // distinct ok get results (value ids)
  bool is_affordable = true;
};

KvObservations kv_observations(const KeyOps& key_ops, uint64_t cut_seq) {
  std::set<uint32_t> distinct;
  size_t info_writes = 0;
  for (const KeyOp& op : key_ops.ops) {
    if (op.invoke_seq >= cut_seq || op.outcome == Outcome::Fail) continue;
    const bool is_ok = is_ok_at(op, cut_seq);
    if (op.f == OpFunction::Get && is_ok) distinct.insert(op.a);
    if (!is_ok && !is_read_like(op.f)) ++info_writes;
  }
  KvObservations result;
  size_t bytes = 0;
  for (uint32_t id : distinct) bytes += key_ops.values.text(id).size() + 1;
  result.is_affordable = bytes * info_writes <= kKvPruneWorkMax;
  result.gets.assign(distinct.begin(), distinct.end());
  return result;
}

bool kv_can_observe(const KvObservations& seen, const ValueTable& values, OpFunction f,
                    std::string_view text) {
  if (!seen.is_affordable || text.empty()) return true;
  for (uint32_t id : seen.gets) {
    const std::string_view get = values.text(id);
    if (f == OpFunction::Put ? get.compare(0, text.size(), text) == 0
                             : get.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Should this info operation be dropped (see the rules above)?
bool is_droppable_info(const KeyOp& op, const KeyOps& key_ops,
                       const std::vector<uint8_t>& register_observable,
                       const KvObservations& kv_seen) {
  switch (op.f) {
    case OpFunction::Read:
    case OpFunction::Get:
      return true;  // its result is unknown and reads change no state: it constrains nothing
    case OpFunction::Write:
      return register_observable[op.a] == 0;
    case OpFunction::Cas:
      return op.a == op.b || register_observable[op.b] == 0;  // op.a == op.b changes nothing
    case OpFunction::Put:
    case OpFunction::Append:
      return !kv_can_observe(kv_seen, key_ops.values, op.f, key_ops.values.text(op.a));
  }
  return false;
}

}  // namespace

KeyProblem compile_key(const KeyOps& key_ops, Model model, uint64_t cut_seq) {
  KeyProblem problem(key_ops.values);
  const std::vector<uint8_t> register_observable =
      model == Model::Register ? observable_register_values(key_ops, cut_seq)
                               : std::vector<uint8_t>{};
  const KvObservations kv_seen =
      model == Model::Kv ? kv_observations(key_ops, cut_seq) : KvObservations{};
  for (const KeyOp& op : key_ops.ops) {
    if (op.invoke_seq >= cut_seq) continue;  // not yet invoked at the cut
    // fail: certainly did not take effect (Jepsen's meaning), so it constrains nothing.
    if (op.outcome == Outcome::Fail && op.complete_seq < cut_seq) {
      ++problem.dropped_ops;
      continue;
    }
    CompiledOp c;
    c.is_optional = !is_ok_at(op, cut_seq);
    if (c.is_optional && is_droppable_info(op, key_ops, register_observable, kv_seen)) {
      ++problem.dropped_ops;
      continue;
    }
    c.op_id = op.id;
    c.invoke_seq = op.invoke_seq;
    c.complete_seq = c.is_optional ? UINT64_MAX : op.complete_seq;
    c.a = op.a;
    c.b = op.b;
    switch (op.f) {
      case OpFunction::Read:
      case OpFunction::Get: c.kind = StepKind::Read; break;
      case OpFunction::Write:
      case OpFunction::Put: c.kind = StepKind::Write; break;
      case OpFunction::Cas: c.kind = StepKind::Cas; break;
      case OpFunction::Append: c.kind = StepKind::Append; break;
    }
    problem.ops.push_back(c);
  }
  return problem;
}

}  // namespace synod::analysis::detail
