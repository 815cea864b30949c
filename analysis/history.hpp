// Client histories: the checker's input, and a public format (DESIGN.md, "Histories").
//
// A history is a list of events in real-time order: a process invokes an operation, then the
// operation completes as `ok` (it happened, with its result), `fail` (it certainly did not happen)
// or `info` (unknown: it may have happened at any time after its invocation, or never). This file
// owns the event and operation types, the pairing of invocations with completions, and the two
// readers: JSON Lines (the format the simulator writes) and Jepsen's EDN maps.
//
// Contract:
// - Every reader throws HistoryError on malformed input; what() is "source:line: message".
// - Operations come out in invocation order. An invocation that never completes becomes an `info`
//   operation (it may have taken effect).
// - Real-time order: when every event carries a time, events are ordered by time, and events with
//   equal times count as concurrent (invocations before completions). Times must not decrease
//   from one line to the next. When some event has no time, the line order is the real-time order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace synod::analysis {

// Malformed or inconsistent input. what() is "source:line: message" (line 0 when the problem has
// no single line, e.g. an event built in memory).
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class EventType { Invoke, Ok, Fail, Info };

// read/write/cas belong to the register model, get/put/append to the kv model.
enum class OpFunction { Read, Write, Cas, Get, Put, Append };

// How an operation ended. `Info` includes operations that were invoked but never completed.
enum class Outcome { Ok, Fail, Info };

struct Event {
  int64_t process = 0;
  EventType type = EventType::Invoke;
  OpFunction f = OpFunction::Read;
  std::optional<std::string> key;  // absent: the single unnamed register
  nlohmann::json value;            // null when absent
  std::optional<double> time_s;
  size_t line = 0;                 // 1-based line in the source; 0 for events built in memory
};

// One invocation and its completion.
struct Operation {
  size_t id = 0;  // index in History::ops
  int64_t process = 0;
  OpFunction f = OpFunction::Read;
  std::optional<std::string> key;
  // write/put/append: the value written; cas: [expected, new]; read/get: the value returned by
  // an `ok` completion (null when the read did not complete ok).
  nlohmann::json value;
  Outcome outcome = Outcome::Info;
  bool is_completed = false;  // false: invoked, never completed (outcome is Info)
  // Positions in the real-time order of all events: a < b means a happened before b.
  // complete_seq is meaningful only when is_completed.
  uint64_t invoke_seq = 0;
  uint64_t complete_seq = 0;
  std::optional<double> invoke_time_s;
  std::optional<double> complete_time_s;
  size_t invoke_line = 0;
  size_t complete_line = 0;  // 0 when never completed
};

struct History {
  std::string source;
  std::vector<Operation> ops;  // in invocation order
  size_t event_count = 0;
  bool has_times = false;  // every event had a time; real-time order came from the times
};

enum class HistoryFormat { Jsonl, Edn };

// Pairs invocations with completions (a process has at most one operation outstanding) and
// validates each operation's value for its function. Throws HistoryError.
History build_history(const std::vector<Event>& events, const std::string& source_name);

// {"process": 3, "type": "invoke", "f": "write", "key": "x", "value": 4, "time": 0.0123}
// Blank lines are skipped. `process` "nemesis" is skipped (Jepsen's fault injector).
History parse_history_jsonl(std::istream& in, const std::string& source_name);

// {:process 0, :type :invoke, :f :write, :value 3, :key "x", :time 12345}
// One map per line (a leading #tag is ignored); `:time` is in nanoseconds, as Jepsen writes it.
// Events whose :process is not an integer (:nemesis) are skipped.
History parse_history_edn(std::istream& in, const std::string& source_name);

History parse_history(std::istream& in, const std::string& source_name, HistoryFormat format);

// Guesses the format from the first non-blank line: EDN if it starts with "{:" or '#'.
HistoryFormat sniff_history_format(std::string_view first_line);
// "jsonl" | "jepsen" (also "edn"); nullopt otherwise. For `synod check --format`.
std::optional<HistoryFormat> parse_history_format(std::string_view name);

std::string_view to_string(EventType type);
std::string_view to_string(OpFunction f);
std::string_view to_string(Outcome outcome);
std::optional<OpFunction> parse_op_function(std::string_view name);

}  // namespace synod::analysis
