// check(): split by key, search the keys in rounds of growing budgets on `jobs` threads, explain
// violations (the scheme is described in linearizability.hpp).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <new>
#include <thread>

#include <fmt/format.h>

#include "analysis/explain.hpp"
#include "analysis/key_ops.hpp"
#include "analysis/key_problem.hpp"
#include "analysis/linearizability.hpp"
#include "analysis/wgl_search.hpp"

namespace synod::analysis {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kFirstRoundConfigurations = uint64_t{1} << 16;

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

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One key's search in one round, and what it left for the next.
struct Attempt {
  detail::SearchResult search;
  std::optional<Explanation> explanation;
  std::exception_ptr error;  // a HistoryError from compiling or explaining the key
  double elapsed_s = 0;
};

// Runs fn(i) for i in [0, n) on up to `jobs` threads (the calling thread is one of them).
template <typename Fn>
void parallel_for(size_t n, unsigned jobs, const Fn& fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const size_t threads = std::min<size_t>(jobs, n);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace

CheckResult check(const History& history, Model model, const CheckOptions& options) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = deadline_after(start, options.timeout_s);
  require_model_operations(history, model);

  const std::vector<detail::KeyOps> key_ops = detail::split_by_key(history, model);

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

  const unsigned jobs = std::max(1u, options.jobs);
  const size_t memory_share = options.max_memory_bytes / std::min<size_t>(jobs, std::max<size_t>(1, key_ops.size()));
  std::vector<size_t> undecided(key_ops.size());
  for (size_t k = 0; k < undecided.size(); ++k) undecided[k] = k;
  uint64_t budget = kFirstRoundConfigurations;
  while (!undecided.empty()) {
    std::vector<Attempt> attempts(undecided.size());
    parallel_for(undecided.size(), jobs, [&](size_t i) {
      const size_t k = undecided[i];
      Attempt& attempt = attempts[i];
      const Clock::time_point key_start = Clock::now();
      try {
        detail::KeyProblem problem = detail::compile_key(key_ops[k], model);
        detail::SearchLimits limits;
        limits.deadline = deadline;
        limits.max_memory_bytes = memory_share;
        limits.max_configurations = budget;
        try {
          attempt.search = detail::search_linearization(problem, limits);
        } catch (const std::bad_alloc&) {
          attempt.search = {};
          attempt.search.exhausted = BudgetExhausted::Memory;
        }
        if (attempt.search.verdict == Verdict::NotLinearizable) {
          attempt.explanation =
              detail::explain_violation(history, key_ops[k], model, problem, attempt.search);
        }
      } catch (...) {
        attempt.error = std::current_exception();
      }
      attempt.elapsed_s = seconds_since(key_start);
    });
    // Merged in key order, so neither the threads' order nor their number shows in the result.
    std::vector<size_t> next_round;
    bool found_violation = false;
    for (size_t i = 0; i < undecided.size(); ++i) {
      Attempt& attempt = attempts[i];
      if (attempt.error) std::rethrow_exception(attempt.error);
      KeyResult& key_result = result.keys[undecided[i]];
      key_result.verdict = attempt.search.verdict;
      key_result.exhausted = attempt.search.exhausted;
      key_result.explanation = std::move(attempt.explanation);
      key_result.elapsed_s += attempt.elapsed_s;
      result.peak_memory_bytes = std::max(result.peak_memory_bytes, attempt.search.peak_memory_bytes);
      found_violation |= key_result.verdict == Verdict::NotLinearizable;
      if (attempt.search.out_of_configurations) next_round.push_back(undecided[i]);
    }
    const bool is_stopping = options.stop_at_first_violation && found_violation;
    const bool is_late = Clock::now() >= deadline;
    for (size_t k : next_round) {
      if (is_stopping) {
        result.keys[k].exhausted = BudgetExhausted::Stopped;
      } else if (is_late) {
        result.keys[k].exhausted = BudgetExhausted::Time;
      }
    }
    if (is_stopping || is_late) break;
    undecided = std::move(next_round);
    budget = budget > UINT64_MAX / 4 ? UINT64_MAX : budget * 4;
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
