// Internal: one event from a parsed line's fields, shared by the JSON Lines and EDN readers.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/history.hpp"

namespace synod::analysis::detail {

struct FieldRules {
  double time_unit_s = 1.0;  // JSON Lines: seconds; Jepsen EDN: nanoseconds
  // Jepsen's nemesis and other non-client processes carry a keyword instead of a number.
  bool skip_non_integer_process = false;
};

// `fields` is an object with keys process, type, f, key, value, time (others are ignored).
// Returns nullopt for events to skip (the nemesis). Throws HistoryError "source:line: ...".
std::optional<Event> event_from_fields(const nlohmann::json& fields, const std::string& source,
                                       size_t line, const FieldRules& rules);

}  // namespace synod::analysis::detail
