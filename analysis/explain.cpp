// Explanations of violations: which operation, what came before it, and why, in one sentence.
#include "analysis/explain.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/describe.hpp"

namespace synod::analysis::detail {
namespace {

constexpr size_t kShownOps = 10;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The value an ok read, get or cas needed the state to hold; nullopt for other operations.
std::optional<nlohmann::json> observed_value(const Operation& op) {
  if (op.outcome != Outcome::Ok) return std::nullopt;
  if (op.f == OpFunction::Read || op.f == OpFunction::Get) return op.value;
  if (op.f == OpFunction::Cas) return op.value[0];
  return std::nullopt;
}

// Can `op`, if it takes effect, be the last operation to set the state to v?
bool can_produce(const Operation& op, const nlohmann::json& v, Model model) {
  if (op.outcome == Outcome::Fail) return false;
  if (model == Model::Register) {
    return (op.f == OpFunction::Write && op.value == v) ||
           (op.f == OpFunction::Cas && op.value[1] == v);
  }
  if (op.f == OpFunction::Put) return op.value == v;
  if (op.f == OpFunction::Append) {
    return ends_with(v.get<std::string>(), op.value.get<std::string>());
  }
  return false;
}

bool sets_state(const Operation& op) {
  return op.f == OpFunction::Write || op.f == OpFunction::Cas || op.f == OpFunction::Put ||
         op.f == OpFunction::Append;
}

// Why no linearization can give `blocking` the value it observed, when the real-time order
// alone shows it. Argument: take the last operation X that set the state before `blocking` in a
// linearization. X must produce v. If X began after `blocking` completed, X cannot precede it.
// If X completed before some ok state-setting operation O that cannot produce v began, and O
// completed before `blocking` began, then O lies between them and X was not the last.
// So if every candidate X is of one of these two kinds (and v is not the initial value, or the
// initial value was overwritten too), no linearization exists.
// When there is no such proof, `candidates` receives the writers it could not rule out.
std::optional<std::string> real_time_argument(const History& history, const KeyOps& key_ops,
                                              Model model, const Operation& blocking,
                                              const nlohmann::json& v,
                                              std::vector<const Operation*>& candidates) {
  const bool is_initial = model == Model::Register ? v.is_null() : v == "";
  // The overwrite that began last among those that completed before `blocking` began.
  const Operation* last_overwrite = nullptr;
  std::vector<const Operation*> writers;
  for (const KeyOp& k : key_ops.ops) {
    const Operation& op = history.ops[k.id];
    if (op.id == blocking.id) continue;
    if (can_produce(op, v, model)) {
      writers.push_back(&op);
    } else if (op.outcome == Outcome::Ok && sets_state(op) &&
               op.complete_seq < blocking.invoke_seq &&
               (last_overwrite == nullptr || op.invoke_seq > last_overwrite->invoke_seq)) {
      last_overwrite = &op;
    }
  }
  const std::string claim =
      fmt::format("{}{} at {}", op_phrase(blocking),
                  blocking.f == OpFunction::Cas ? " succeeded" : "", complete_moment(blocking));
  const std::string noun = fmt::format("the {}", to_string(blocking.f));
  const std::string began = invoke_moment(blocking);
  const std::string wrote =
      model == Model::Register ? "wrote" : "could have produced";

  if (writers.empty() && !is_initial) {
    return model == Model::Register
               ? fmt::format("{}, but no operation ever wrote {}", claim, v.dump())
               : fmt::format("{}, but no put or append could have produced {}", claim, v.dump());
  }
  size_t late = 0;
  size_t overwritten = 0;
  const Operation* example = nullptr;  // the overwritten writer that completed last
  for (const Operation* w : writers) {
    if (w->invoke_seq > blocking.complete_seq) {
      ++late;
    } else if (w->outcome == Outcome::Ok && last_overwrite != nullptr &&
               last_overwrite->invoke_seq > w->complete_seq) {
      ++overwritten;
      if (example == nullptr || w->complete_seq > example->complete_seq) example = w;
    } else {
      candidates.push_back(w);
    }
  }
  const bool initial_overwritten = is_initial && last_overwrite != nullptr;
  if (late + overwritten < writers.size() || (is_initial && !initial_overwritten)) {
    return std::nullopt;
  }
  const std::string overwrite = last_overwrite ? describe_op_in_sentence(*last_overwrite) : "";
  if (writers.empty()) {  // only the initial value, and it was overwritten
    return fmt::format("{}, the initial value, but {} had completed before {} began at {}", claim,
                       overwrite, noun, began);
  }
  const std::string and_initial = is_initial ? " (and so was the initial value)" : "";
  if (writers.size() == 1) {
    if (late == 1) {
      return fmt::format("{}, but the only operation that {} {}, {}, began after {} completed{}",
                         claim, wrote, v.dump(), describe_op_in_sentence(*writers[0]), noun, and_initial);
    }
    return fmt::format(
        "{}, but the only operation that {} {}, {}, was overwritten by {}, which completed before "
        "{} began at {}",
        claim, wrote, v.dump(), describe_op_in_sentence(*example), overwrite, noun, began);
  }
  if (overwritten == 0) {
    return fmt::format("{}, but all {} operations that {} {} began after {} completed", claim,
                       writers.size(), wrote, v.dump(), noun);
  }
  if (late == 0) {
    return fmt::format(
        "{}, but each of the {} operations that {} {} was overwritten before {} began at {}; the "
        "last of them, {}, by {}",
        claim, writers.size(), wrote, v.dump(), noun, began, describe_op_in_sentence(*example), overwrite);
  }
  return fmt::format(
      "{}, but of the {} operations that {} {}, {} began after {} completed and {} were "
      "overwritten before it began at {} (the last of them, {}, by {})",
      claim, writers.size(), wrote, v.dump(), late, noun, overwritten, began,
      describe_op_in_sentence(*example), overwrite);
}

// What the search found, when no short real-time argument exists: the violation needs several
// operations together. Names the writes of the value that were not ruled out, if any.
std::string search_argument(const Explanation& ex, const std::optional<nlohmann::json>& v,
                            const std::vector<const Operation*>& candidates) {
  const std::string subject = ex.blocking.key ? *ex.blocking.key : std::string("the register");
  const std::string what = ex.blocking.f == OpFunction::Cas
                               ? fmt::format("{} succeeded", op_phrase(ex.blocking))
                               : op_phrase(ex.blocking);
  std::string could_see;
  if (v && !candidates.empty()) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < candidates.size() && i < 3; ++i) {
      shown.push_back(describe_op_in_sentence(*candidates[i]));
    }
    const std::string more =
        candidates.size() > 3 ? fmt::format(" and {} more", candidates.size() - 3) : "";
    could_see = fmt::format(" (the writes of {} it could have seen: {}{})", v->dump(),
                            fmt::join(shown, "; "), more);
  }
  return fmt::format(
      "{} at {}, but no order of the operations before and concurrent with it allows that{}: one "
      "linearization of the {} operations before it leaves {} at {}",
      what, complete_moment(ex.blocking), could_see, ex.prefix_length, subject,
      ex.value_after_prefix);
}

}  // namespace

Explanation explain_violation(const History& history, const KeyOps& key_ops,
                              Model model, const KeyProblem& problem, const SearchResult& search) {
  Explanation ex;
  ex.blocking = history.ops[problem.ops[search.blocking].op_id];
  ex.prefix_length = search.linearization.size();
  const size_t tail_from = ex.prefix_length > kShownOps ? ex.prefix_length - kShownOps : 0;
  for (size_t i = tail_from; i < ex.prefix_length; ++i) {
    ex.prefix_tail.push_back(history.ops[problem.ops[search.linearization[i]].op_id]);
  }
  ex.value_after_prefix = problem.values.render(search.final_state);

  std::vector<uint8_t> is_placed(problem.ops.size(), 0);
  for (uint32_t i : search.linearization) is_placed[i] = 1;
  ex.unplaced.push_back(ex.blocking);
  ex.unplaced_count = 1;
  for (size_t i = 0; i < problem.ops.size(); ++i) {
    const CompiledOp& c = problem.ops[i];
    if (is_placed[i] || i == search.blocking || c.invoke_seq >= ex.blocking.complete_seq) continue;
    ++ex.unplaced_count;
    if (ex.unplaced.size() < kShownOps) ex.unplaced.push_back(history.ops[c.op_id]);
  }

  const std::optional<nlohmann::json> v = observed_value(ex.blocking);
  std::optional<std::string> sentence;
  std::vector<const Operation*> candidates;
  if (v) sentence = real_time_argument(history, key_ops, model, ex.blocking, *v, candidates);
  if (!sentence) sentence = search_argument(ex, v, candidates);
  ex.sentence = *sentence;
  return ex;
}

}  // namespace synod::analysis::detail
