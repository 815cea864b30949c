// Pairing invocations with completions, value validation, and the real-time order of events.
#include "analysis/history.hpp"

#include <algorithm>
#include <cmath>
#include <istream>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

namespace synod::analysis {
namespace {

[[noreturn]] void fail_at(const std::string& source, size_t line, const std::string& message) {
  throw HistoryError(fmt::format("{}:{}: {}", source, line, message));
}

bool is_scalar(const nlohmann::json& v) {
  return v.is_null() || v.is_boolean() || v.is_number() || v.is_string();
}

// 3.0 and 3 are the same register value: JSON equality, not representation, decides.
nlohmann::json canonical_scalar(const nlohmann::json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return nlohmann::json(static_cast<int64_t>(d));
    }
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
    return nlohmann::json(static_cast<int64_t>(v.get<uint64_t>()));
  }
  return v;
}

// The argument an invocation carries, checked for its function.
nlohmann::json invocation_value(const Event& e, const std::string& source) {
  switch (e.f) {
    case OpFunction::Read:
    case OpFunction::Get:
      return nullptr;  // a read's argument is ignored; its result comes with the completion
    case OpFunction::Write:
      if (!is_scalar(e.value)) {
        fail_at(source, e.line, fmt::format("write value must be a number, string or null, not {}",
                                            e.value.dump()));
      }
      return canonical_scalar(e.value);
    case OpFunction::Cas:
      if (!e.value.is_array() || e.value.size() != 2 || !is_scalar(e.value[0]) ||
          !is_scalar(e.value[1])) {
        fail_at(source, e.line,
                fmt::format("cas value must be [expected, new], not {}", e.value.dump()));
      }
      return nlohmann::json::array({canonical_scalar(e.value[0]), canonical_scalar(e.value[1])});
    case OpFunction::Put:
    case OpFunction::Append:
      if (!e.value.is_string()) {
        fail_at(source, e.line, fmt::format("{} value must be a string, not {}", to_string(e.f),
                                            e.value.dump()));
      }
      return e.value;
  }
  return nullptr;
}

// The result an `ok` read carries. A kv get that returns null read the empty string.
nlohmann::json read_result(const Event& e, const std::string& source) {
  if (e.f == OpFunction::Get) {
    if (e.value.is_null()) return "";
    if (!e.value.is_string()) {
      fail_at(source, e.line, fmt::format("get result must be a string, not {}", e.value.dump()));
    }
    return e.value;
  }
  if (!is_scalar(e.value)) {
    fail_at(source, e.line,
            fmt::format("read result must be a number, string or null, not {}", e.value.dump()));
  }
  return canonical_scalar(e.value);
}

// Position of each event in real-time order. Equal times are concurrent: invocations first.
std::vector<uint64_t> real_time_positions(const std::vector<Event>& events, bool has_times) {
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (has_times) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (*events[a].time_s != *events[b].time_s) return *events[a].time_s < *events[b].time_s;
      const bool a_completes = events[a].type != EventType::Invoke;
      const bool b_completes = events[b].type != EventType::Invoke;
      return !a_completes && b_completes;
    });
  }
  std::vector<uint64_t> position(events.size());
  for (size_t rank = 0; rank < order.size(); ++rank) position[order[rank]] = rank;
  return position;
}

}  // namespace

History build_history(const std::vector<Event>& events, const std::string& source_name) {
  History history;
  history.source = source_name;
  history.event_count = events.size();
  history.has_times = !events.empty() && std::all_of(events.begin(), events.end(), [](const Event& e) {
    return e.time_s.has_value();
  });
  if (history.has_times) {
    for (size_t i = 1; i < events.size(); ++i) {
      if (*events[i].time_s < *events[i - 1].time_s) {
        fail_at(source_name, events[i].line,
                fmt::format("time {} is earlier than the previous event's time {} (events must be "
                            "in real-time order)",
                            *events[i].time_s, *events[i - 1].time_s));
      }
    }
  }
  const std::vector<uint64_t> position = real_time_positions(events, history.has_times);

  std::unordered_map<int64_t, size_t> outstanding;  // process -> index in history.ops
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    auto it = outstanding.find(e.process);
    if (e.type == EventType::Invoke) {
      if (it != outstanding.end()) {
        const Operation& open = history.ops[it->second];
        fail_at(source_name, e.line,
                fmt::format("process {} invokes {} while its {} from line {} has not completed",
                            e.process, to_string(e.f), to_string(open.f), open.invoke_line));
      }
      Operation op;
      op.id = history.ops.size();
      op.process = e.process;
      op.f = e.f;
      op.key = e.key;
      op.value = invocation_value(e, source_name);
      op.outcome = Outcome::Info;
      op.invoke_seq = position[i];
      op.invoke_time_s = e.time_s;
      op.invoke_line = e.line;
      outstanding.emplace(e.process, op.id);
      history.ops.push_back(std::move(op));
      continue;
    }
    if (it == outstanding.end()) {
      fail_at(source_name, e.line,
              fmt::format("{} of {} for process {}, which has no operation outstanding",
                          to_string(e.type), to_string(e.f), e.process));
    }
    Operation& op = history.ops[it->second];
    outstanding.erase(it);
    if (op.f != e.f) {
      fail_at(source_name, e.line,
              fmt::format("completion is a {} but process {} invoked a {} at line {}",
                          to_string(e.f), e.process, to_string(op.f), op.invoke_line));
    }
    if (e.key && op.key != e.key) {
      fail_at(source_name, e.line,
              fmt::format("completion is for key {} but the invocation at line {} was for {}", *e.key,
                          op.invoke_line, op.key ? *op.key : std::string("no key")));
    }
    op.is_completed = true;
    op.complete_seq = position[i];
    op.complete_time_s = e.time_s;
    op.complete_line = e.line;
    switch (e.type) {
      case EventType::Ok: op.outcome = Outcome::Ok; break;
      case EventType::Fail: op.outcome = Outcome::Fail; break;
      default: op.outcome = Outcome::Info; break;
    }
    if (op.outcome == Outcome::Ok && (op.f == OpFunction::Read || op.f == OpFunction::Get)) {
      op.value = read_result(e, source_name);
    }
  }
  return history;
}

History parse_history(std::istream& in, const std::string& source_name, HistoryFormat format) {
  return format == HistoryFormat::Edn ? parse_history_edn(in, source_name)
                                      : parse_history_jsonl(in, source_name);
}

HistoryFormat sniff_history_format(std::string_view line) {
  const size_t start = line.find_first_not_of(" \t\r");
  if (start == std::string_view::npos) return HistoryFormat::Jsonl;
  if (line[start] == '#') return HistoryFormat::Edn;
  if (line[start] == '{') {
    const size_t next = line.find_first_not_of(" \t\r,", start + 1);
    if (next != std::string_view::npos && line[next] == ':') return HistoryFormat::Edn;
  }
  return HistoryFormat::Jsonl;
}

std::optional<HistoryFormat> parse_history_format(std::string_view name) {
  if (name == "jsonl") return HistoryFormat::Jsonl;
  if (name == "jepsen" || name == "edn") return HistoryFormat::Edn;
  return std::nullopt;
}

std::string_view to_string(EventType type) {
  switch (type) {
    case EventType::Invoke: return "invoke";
    case EventType::Ok: return "ok";
    case EventType::Fail: return "fail";
    case EventType::Info: return "info";
  }
  return "?";
}

std::string_view to_string(OpFunction f) {
  switch (f) {
    case OpFunction::Read: return "read";
    case OpFunction::Write: return "write";
    case OpFunction::Cas: return "cas";
    case OpFunction::Get: return "get";
    case OpFunction::Put: return "put";
    case OpFunction::Append: return "append";
  }
  return "?";
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Ok: return "ok";
    case Outcome::Fail: return "fail";
    case Outcome::Info: return "info";
  }
  return "?";
}

std::optional<OpFunction> parse_op_function(std::string_view name) {
  if (name == "read") return OpFunction::Read;
  if (name == "write") return OpFunction::Write;
  if (name == "cas") return OpFunction::Cas;
  if (name == "get") return OpFunction::Get;
  if (name == "put") return OpFunction::Put;
  if (name == "append") return OpFunction::Append;
  return std::nullopt;
}

}  // namespace synod::analysis
