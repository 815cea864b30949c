// Wording of operations in explanations and reports.
#include "analysis/describe.hpp"

#include <fmt/format.h>

namespace synod::analysis::detail {
namespace {

std::string moment(const std::optional<double>& time_s, size_t line) {
  if (time_s) return format_seconds(*time_s);
  return fmt::format("line {}", line);
}

std::string interval(const Operation& op) {
  const bool has_times = op.invoke_time_s.has_value();
  if (!op.is_completed) return fmt::format("invoked at {}, never completed", invoke_moment(op));
  if (op.outcome == Outcome::Info) {
    return fmt::format("invoked at {}, outcome unknown", invoke_moment(op));
  }
  const std::string outcome = op.outcome == Outcome::Fail ? ", failed" : "";
  if (has_times && op.complete_time_s) {
    std::string end = format_seconds(*op.complete_time_s);
    std::string start = format_seconds(*op.invoke_time_s);
    start.resize(start.size() - 2);  // "0.100–0.200 s": the unit once
    return fmt::format("{}–{}{}", start, end, outcome);
  }
  return fmt::format("lines {}–{}{}", op.invoke_line, op.complete_line, outcome);
}

}  // namespace

std::string format_seconds(double seconds) {
  std::string text = fmt::format("{:.6f}", seconds);
  const size_t dot = text.find('.');
  while (text.size() > dot + 4 && text.back() == '0') text.pop_back();
  return text + " s";
}

std::string op_phrase(const Operation& op) {
  const std::string of_key = op.key ? " of " + *op.key : "";
  const std::string to_key = op.key ? " to " + *op.key : "";
  const bool is_ok = op.outcome == Outcome::Ok;
  switch (op.f) {
    case OpFunction::Read:
    case OpFunction::Get:
      if (is_ok) return fmt::format("{}{} returned {}", to_string(op.f), of_key, op.value.dump());
      return fmt::format("{}{}", to_string(op.f), of_key);
    case OpFunction::Write:
    case OpFunction::Put:
    case OpFunction::Append:
      return fmt::format("{} of {}{}", to_string(op.f), op.value.dump(), to_key);
    case OpFunction::Cas:
      return fmt::format("cas{} from {} to {}", of_key, op.value[0].dump(), op.value[1].dump());
  }
  return "?";
}

std::string describe_op(const Operation& op) {
  return fmt::format("{} by process {} ({})", op_phrase(op), op.process, interval(op));
}

std::string describe_op_in_sentence(const Operation& op) {
  const bool is_vowel = op.f == OpFunction::Append;
  return (is_vowel ? "an " : "a ") + describe_op(op);
}

std::string invoke_moment(const Operation& op) { return moment(op.invoke_time_s, op.invoke_line); }

std::string complete_moment(const Operation& op) {
  return moment(op.complete_time_s, op.complete_line);
}

nlohmann::json op_to_json(const Operation& op) {
  nlohmann::json j;
  j["process"] = op.process;
  j["f"] = to_string(op.f);
  if (op.key) j["key"] = *op.key;
  j["value"] = op.value;
  j["type"] = to_string(op.outcome);
  if (!op.is_completed) j["completed"] = false;
  if (op.invoke_time_s) j["invoke_time"] = *op.invoke_time_s;
  if (op.complete_time_s) j["complete_time"] = *op.complete_time_s;
  j["invoke_line"] = op.invoke_line;
  if (op.is_completed) j["complete_line"] = op.complete_line;
  return j;
}

}  // namespace synod::analysis::detail
