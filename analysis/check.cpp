// check(): split by key, search each key within its share of the budget, explain violations.
#include <chrono>

#include <fmt/format.h>

#include "analysis/explain.hpp"
#include "analysis/key_ops.hpp"
#include "analysis/key_problem.hpp"
#include "analysis/linearizability.hpp"
#include "analysis/wgl_search.hpp"

namespace synod::analysis {
namespace {

using Clock = std::chrono::steady_clock;

bool belongs_to(OpFunction f, Model model) {
  const bool is_register = f == OpFunction::Read || f == OpFunction::Write || f == OpFunction::Cas;
  return model == Model::Register ? is_register : !is_register;
}

void require_model_operations(const History& history, Model model) {
  for (const Operation& op : history.ops) {
    if (belongs_to(op.f, model)) continue;
    throw HistoryError(fmt::format(
        "{}:{}: '{}' is not an operation of the {} model (expected {})", history.source,
        op.invoke_line, to_string(op.f), to_string(model),
        model == Model::Register ? "read, write or cas" : "get, put or append"));
  }
}

Clock::time_point deadline_after(Clock::time_point start, double seconds) {
  // Beyond a few centuries the arithmetic would overflow; treat it as no deadline.
  if (!(seconds < 1e10)) return Clock::time_point::max();
  if (seconds <= 0) return start;
  return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// An equal share of the time left among `keys_left` keys.
Clock::time_point share_of(Clock::time_point deadline, size_t keys_left) {
  if (deadline == Clock::time_point::max()) return deadline;
  const Clock::time_point now = Clock::now();
  if (now >= deadline) return now;
  return now + (deadline - now) / static_cast<Clock::rep>(keys_left);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

CheckResult check(const History& history, Model model, const CheckOptions& options) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = deadline_after(start, options.timeout_s);
  require_model_operations(history, model);

  std::vector<detail::KeyOps> key_ops = detail::split_by_key(history, model);

  CheckResult result;
  result.source = history.source;
  result.model = model;
  result.keys_checked = key_ops.size();
  result.ops_checked = history.ops.size();
  for (const detail::KeyOps& k : key_ops) {
    KeyResult key_result;
    key_result.key = k.key;
    key_result.ops = k.ops.size();
    result.keys.push_back(std::move(key_result));
  }

  auto check_key = [&](size_t k, Clock::time_point key_deadline) {
    const Clock::time_point key_start = Clock::now();
    KeyResult& key_result = result.keys[k];
    detail::KeyProblem problem = detail::compile_key(key_ops[k], model);
    detail::SearchLimits limits;
    limits.deadline = key_deadline;
    limits.max_memory_bytes = options.max_memory_bytes;
    const detail::SearchResult search = detail::search_linearization(problem, limits);
    key_result.verdict = search.verdict;
    key_result.exhausted = search.exhausted;
    if (search.verdict == Verdict::NotLinearizable) {
      key_result.explanation = detail::explain_violation(history, key_ops[k], model, problem, search);
    }
    result.peak_memory_bytes = std::max(result.peak_memory_bytes, search.peak_memory_bytes);
    key_result.elapsed_s += seconds_since(key_start);
  };

  // Pass 1: an equal share each, so one hard key cannot starve the easy ones after it.
  std::vector<size_t> retry;
  for (size_t k = 0; k < result.keys.size(); ++k) {
    check_key(k, share_of(deadline, result.keys.size() - k));
    if (result.keys[k].exhausted == BudgetExhausted::Time) retry.push_back(k);
  }
  // Pass 2: the keys that ran out of time share what is left, from scratch.
  for (size_t i = 0; i < retry.size(); ++i) {
    if (Clock::now() >= deadline) break;
    check_key(retry[i], share_of(deadline, retry.size() - i));
  }

  bool has_violation = false;
  bool has_unknown = false;
  for (size_t k = 0; k < result.keys.size(); ++k) {
    has_violation |= result.keys[k].verdict == Verdict::NotLinearizable;
    has_unknown |= result.keys[k].verdict == Verdict::Unknown;
    detail::find_durability_anomalies(history, key_ops[k], model, result.lost_writes,
                                      result.never_written_reads);
  }
  result.verdict = has_violation ? Verdict::NotLinearizable
                   : has_unknown ? Verdict::Unknown
                                 : Verdict::Linearizable;
  result.elapsed_s = seconds_since(start);
  return result;
}

}  // namespace synod::analysis
