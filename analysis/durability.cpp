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
#include "analysis/key_problem.hpp"  // ValueTable

namespace synod::analysis::detail {
namespace {

bool is_write(const Operation& op) {
  return op.f == OpFunction::Write || op.f == OpFunction::Cas || op.f == OpFunction::Put ||
         op.f == OpFunction::Append;
}

// The value an ok write leaves (register) or adds (kv).
const nlohmann::json& written_value(const Operation& op) {
  return op.f == OpFunction::Cas ? op.value[1] : op.value;
}

// Writes that may overwrite: for kv only puts (an append keeps what came before).
bool overwrites(const Operation& op, Model model) {
  if (op.outcome == Outcome::Fail) return false;
  return model == Model::Register ? (op.f == OpFunction::Write || op.f == OpFunction::Cas)
                                  : op.f == OpFunction::Put;
}

}  // namespace

void find_durability_anomalies(const History& history, const std::vector<size_t>& key_op_ids,
                               Model model, std::vector<Operation>& lost_writes,
                               std::vector<Operation>& never_written_reads) {
  ValueTable values(model);
  auto id_of = [&](const nlohmann::json& v) { return static_cast<size_t>(values.intern(v)); };
  auto grow = [](auto& vector, size_t id) {
    if (id >= vector.size()) vector.resize(id + 1, 0);
    return &vector[id];
  };
  std::vector<uint8_t> observed;      // register, by value id: returned or expected
  std::vector<const Operation*> gets;  // kv: ok gets, by invocation
  // Register: written values; kv: put values; by value id, how many operations wrote each.
  std::vector<uint32_t> produced;
  std::unordered_set<std::string> appended;   // kv: non-empty appended strings
  std::set<size_t> appended_sizes;
  std::vector<uint64_t> overwrite_done;  // completion positions of ok overwrites
  size_t overwrite_count = 0;
  uint64_t last_read_invoke = 0;
  bool has_read = false;
  for (size_t id : key_op_ids) {
    const Operation& op = history.ops[id];
    const bool is_ok = op.outcome == Outcome::Ok;
    if ((op.f == OpFunction::Read || op.f == OpFunction::Get) && is_ok) {
      *grow(observed, id_of(op.value)) = 1;
      if (op.f == OpFunction::Get) gets.push_back(&op);
      last_read_invoke = std::max(last_read_invoke, op.invoke_seq);
      has_read = true;
    }
    if (op.f == OpFunction::Cas) *grow(observed, id_of(op.value[0])) = 1;
    if (op.outcome != Outcome::Fail && is_write(op)) {
      if (op.f == OpFunction::Append) {
        if (!op.value.get<std::string>().empty()) {
          appended.insert(op.value.get<std::string>());
          appended_sizes.insert(op.value.get<std::string>().size());
        }
      } else {
        ++*grow(produced, id_of(written_value(op)));
      }
    }
    if (overwrites(op, model)) {
      ++overwrite_count;
      if (is_ok) overwrite_done.push_back(op.complete_seq);
    }
  }
  std::sort(overwrite_done.begin(), overwrite_done.end());

  auto kv_observed = [&](const Operation& w) {
    const std::string& text = w.value.get<std::string>();
    if (text.empty()) return true;
    // Latest gets first: in a healthy history the next get after the write already shows it.
    for (auto it = gets.rbegin(); it != gets.rend(); ++it) {
      const Operation* get = *it;
      const std::string& seen = get->value.get<std::string>();
      if (w.f == OpFunction::Put ? seen.compare(0, text.size(), text) == 0
                                 : seen.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  };

  for (size_t id : key_op_ids) {
    const Operation& op = history.ops[id];
    if (op.outcome != Outcome::Ok) continue;
    if (is_write(op) && has_read && last_read_invoke > op.complete_seq) {
      // Overwrites other than op itself that did not complete before op was invoked.
      const size_t done_before = static_cast<size_t>(
          std::lower_bound(overwrite_done.begin(), overwrite_done.end(), op.invoke_seq) -
          overwrite_done.begin());
      const size_t others = overwrite_count - done_before - (overwrites(op, model) ? 1 : 0);
      if (others == 0) {
        const bool is_observed = model == Model::Register
                                     ? *grow(observed, id_of(written_value(op))) != 0
                                     : kv_observed(op);
        if (!is_observed) lost_writes.push_back(op);
      }
    }
    const bool is_read = op.f == OpFunction::Read || op.f == OpFunction::Get;
    if (!is_read && op.f != OpFunction::Cas) continue;
    const nlohmann::json& v = op.f == OpFunction::Cas ? op.value[0] : op.value;
    bool is_written = model == Model::Register ? v.is_null() : v == "";
    if (!is_written) {
      // A cas that expects and writes the same value does not vouch for it.
      const bool is_self = op.f == OpFunction::Cas && op.value[0] == op.value[1];
      is_written = *grow(produced, id_of(v)) > (is_self ? 1u : 0u);
    }
    if (!is_written && model == Model::Kv) {
      const std::string& text = v.get<std::string>();
      for (size_t size : appended_sizes) {
        if (size <= text.size() && appended.count(text.substr(text.size() - size)) > 0) {
          is_written = true;
          break;
        }
      }
    }
    if (!is_written) never_written_reads.push_back(op);
  }
}

}  // namespace synod::analysis::detail
