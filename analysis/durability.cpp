// The durability view: lost acknowledged writes and reads of values nobody wrote.
//
// Definitions (per key; `fail` operations never count as writes):
// - A lost write is an ok write (register write or successful cas; kv put or append) such that
//   (1) no ok read observes it: for a register no ok read returns its value and no cas expects it;
//       for a put of v no ok get returns a string starting with v; for an append of s no ok get
//       returns a string containing s;
//   (2) nothing could have overwritten it: every other write (put, for kv) completed before it
//       was invoked; and
//   (3) someone looked: an ok read (get) was invoked after it completed.
// - A never-written read is an ok read (or a successful cas's expected value, or a kv get) whose
//   value is not the initial one and that no operation could have produced: no write or cas of
//   it; for kv no put of it and no append of a suffix of it.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "analysis/explain.hpp"

namespace synod::analysis::detail {
namespace {

bool is_write(OpFunction f) {
  return f == OpFunction::Write || f == OpFunction::Cas || f == OpFunction::Put ||
         f == OpFunction::Append;
}

bool is_read(OpFunction f) { return f == OpFunction::Read || f == OpFunction::Get; }

// The value id an ok write leaves (register) or adds (kv).
uint32_t written_value(const KeyOp& op) { return op.f == OpFunction::Cas ? op.b : op.a; }

// Writes that may overwrite: for kv only puts (an append keeps what came before).
bool overwrites(const KeyOp& op, Model model) {
  if (op.outcome == Outcome::Fail) return false;
  return model == Model::Register ? (op.f == OpFunction::Write || op.f == OpFunction::Cas)
                                  : op.f == OpFunction::Put;
}

}  // namespace

void find_durability_anomalies(const History& history, const KeyOps& key_ops, Model model,
                               std::vector<Operation>& lost_writes,
                               std::vector<Operation>& never_written_reads) {
  const ValueTable& values = key_ops.values;
  std::vector<uint8_t> observed(values.size(), 0);  // register: returned or expected
  std::vector<uint32_t> produced(values.size(), 0);  // how many operations wrote (put) each
  std::vector<const KeyOp*> gets;                      // kv: ok gets, by invocation
  std::unordered_set<std::string> appended;            // kv: non-empty appended strings
  std::set<size_t> appended_sizes;
  std::vector<uint64_t> overwrite_done;  // completion positions of ok overwrites
  size_t overwrite_count = 0;
  uint64_t last_read_invoke = 0;
  bool has_read = false;
  for (const KeyOp& op : key_ops.ops) {
    const bool is_ok = op.outcome == Outcome::Ok;
    if (is_read(op.f) && is_ok) {
      observed[op.a] = 1;
      if (op.f == OpFunction::Get) gets.push_back(&op);
      last_read_invoke = std::max(last_read_invoke, op.invoke_seq);
      has_read = true;
    }
    if (op.f == OpFunction::Cas) observed[op.a] = 1;
    if (op.outcome != Outcome::Fail && is_write(op.f)) {
      if (op.f != OpFunction::Append) {
        ++produced[written_value(op)];
      } else if (!values.text(op.a).empty()) {
        appended.insert(std::string(values.text(op.a)));
        appended_sizes.insert(values.text(op.a).size());
      }
    }
    if (overwrites(op, model)) {
      ++overwrite_count;
      if (is_ok) overwrite_done.push_back(op.complete_seq);
    }
  }
  std::sort(overwrite_done.begin(), overwrite_done.end());

  auto kv_observed = [&](const KeyOp& w) {
    const std::string_view text = values.text(w.a);
    if (text.empty()) return true;
    // Latest gets first: in a healthy history the next get after the write already shows it.
    for (auto it = gets.rbegin(); it != gets.rend(); ++it) {
      const std::string_view seen = values.text((*it)->a);
      if (w.f == OpFunction::Put ? seen.compare(0, text.size(), text) == 0
                                 : seen.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  };

  for (const KeyOp& op : key_ops.ops) {
    if (op.outcome != Outcome::Ok) continue;
    if (is_write(op.f) && has_read && last_read_invoke > op.complete_seq) {
      // Overwrites other than op itself that did not complete before op was invoked.
      const size_t done_before = static_cast<size_t>(
          std::lower_bound(overwrite_done.begin(), overwrite_done.end(), op.invoke_seq) -
          overwrite_done.begin());
      const size_t others = overwrite_count - done_before - (overwrites(op, model) ? 1 : 0);
      if (others == 0) {
        const bool is_observed =
            model == Model::Register ? observed[written_value(op)] != 0 : kv_observed(op);
        if (!is_observed) lost_writes.push_back(history.ops[op.id]);
      }
    }
    if (!is_read(op.f) && op.f != OpFunction::Cas) continue;
    const uint32_t v = op.a;  // the value read, or the value a cas expected
    // A cas that expects and writes the same value does not vouch for it.
    const bool is_self = op.f == OpFunction::Cas && op.a == op.b;
    bool is_written = v == ValueTable::kInitial || produced[v] > (is_self ? 1u : 0u);
    if (!is_written && model == Model::Kv) {
      const std::string_view text = values.text(v);
      for (size_t size : appended_sizes) {
        if (size <= text.size() && appended.count(std::string(text.substr(text.size() - size))) > 0) {
          is_written = true;
          break;
        }
      }
    }
    if (!is_written) never_written_reads.push_back(history.ops[op.id]);
  }
}

}  // namespace synod::analysis::detail
