// The JSON Lines history reader: one event object per line (DESIGN.md, "Histories").
#include <istream>

#include <fmt/format.h>

#include "analysis/history.hpp"
#include "analysis/history_fields.hpp"

namespace synod::analysis {

History parse_history_jsonl(std::istream& in, const std::string& source_name) {
  std::vector<Event> events;
  std::string text;
  size_t line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json fields;
    try {
      fields = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
      // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1,
      // column 7: ..."; keep only the part after the position, which names the problem.
      std::string message = error.what();
      const size_t colon = message.find(": ", message.find("column"));
      if (colon != std::string::npos) message = message.substr(colon + 2);
      throw HistoryError(fmt::format("{}:{}: invalid JSON at column {}: {}", source_name, line,
                                     error.byte, message));
    } catch (const nlohmann::json::exception& error) {
      // out_of_range: a number too large for a double (1e400), and the like.
      std::string message = error.what();
      const size_t bracket = message.find("] ");
      if (bracket != std::string::npos) message = message.substr(bracket + 2);
      throw HistoryError(fmt::format("{}:{}: invalid JSON: {}", source_name, line, message));
    }
    std::optional<Event> event = detail::event_from_fields(fields, source_name, line, {});
    if (event) events.push_back(std::move(*event));
  }
  if (in.bad()) throw HistoryError(fmt::format("{}:{}: read error", source_name, line));
  return build_history(events, source_name);
}

}  // namespace synod::analysis
