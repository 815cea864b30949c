// Field validation shared by the history readers: the names and types DESIGN.md specifies.
#include "analysis/history_fields.hpp"

#include <fmt/format.h>

namespace synod::analysis::detail {
namespace {

[[noreturn]] void fail_at(const std::string& source, size_t line, const std::string& message) {
  throw HistoryError(fmt::format("{}:{}: {}", source, line, message));
}

std::optional<EventType> parse_event_type(const std::string& name) {
  if (name == "invoke") return EventType::Invoke;
  if (name == "ok") return EventType::Ok;
  if (name == "fail") return EventType::Fail;
  if (name == "info") return EventType::Info;
  return std::nullopt;
}

}  // namespace

std::optional<Event> event_from_fields(const nlohmann::json& fields, const std::string& source,
                                       size_t line, const FieldRules& rules) {
  if (!fields.is_object()) fail_at(source, line, "expected an object (one event per line)");
  Event e;
  e.line = line;

  const auto process = fields.find("process");
  if (process == fields.end()) fail_at(source, line, "missing field 'process'");
  if (process->is_number_integer()) {
    e.process = process->get<int64_t>();
  } else if (process->is_string() &&
             (rules.skip_non_integer_process || process->get<std::string>() == "nemesis")) {
    return std::nullopt;  // the fault injector's events are not client operations
  } else {
    fail_at(source, line, fmt::format("'process' must be an integer, not {}", process->dump()));
  }

  const auto type = fields.find("type");
  if (type == fields.end()) fail_at(source, line, "missing field 'type'");
  const std::optional<EventType> event_type =
      type->is_string() ? parse_event_type(type->get<std::string>()) : std::nullopt;
  if (!event_type) {
    fail_at(source, line,
            fmt::format("unknown type {} (expected invoke, ok, fail or info)", type->dump()));
  }
  e.type = *event_type;

  const auto f = fields.find("f");
  if (f == fields.end()) fail_at(source, line, "missing field 'f'");
  const std::optional<OpFunction> function =
      f->is_string() ? parse_op_function(f->get<std::string>()) : std::nullopt;
  if (!function) {
    fail_at(source, line,
            fmt::format("unknown f {} (expected read, write, cas, get, put or append)", f->dump()));
  }
  e.f = *function;

  const auto key = fields.find("key");
  if (key != fields.end() && !key->is_null()) {
    if (key->is_string()) {
      e.key = key->get<std::string>();
    } else if (key->is_number_integer()) {
      e.key = std::to_string(key->get<int64_t>());
    } else {
      fail_at(source, line, fmt::format("'key' must be a string or an integer, not {}", key->dump()));
    }
  }

  const auto value = fields.find("value");
  if (value != fields.end()) e.value = *value;

  const auto time = fields.find("time");
  if (time != fields.end() && !time->is_null()) {
    if (!time->is_number()) {
      fail_at(source, line, fmt::format("'time' must be a number, not {}", time->dump()));
    }
    e.time_s = time->get<double>() * rules.time_unit_s;
  }
  return e;
}

}  // namespace synod::analysis::detail
