// Basic vocabulary shared by every protocol and by the simulator: addresses, time, and the
// client commands that every replicated store accepts (read, write, compare-and-set on a key).
//
// Time inside a protocol is integer nanoseconds handed in by the driver. Integers keep timer
// arithmetic exact: a deadline computed by a protocol converts to SimGrid's double clock and back
// without drifting (exact for any run shorter than ~104 simulated days).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace synod {

// An endpoint of the simulated network. Cluster nodes are 0..n_nodes-1; clients follow them.
using Address = int32_t;
using NodeId = int32_t;
constexpr NodeId kNoNode = -1;

using Nanos = int64_t;
constexpr Nanos kNanosPerMicro = 1'000;
constexpr Nanos kNanosPerMilli = 1'000'000;
constexpr Nanos kNanosPerSecond = 1'000'000'000;
constexpr Nanos kNever = INT64_MAX;  // a timer that is not armed

inline double to_seconds(Nanos t) { return static_cast<double>(t) / 1e9; }
inline double to_millis(Nanos t) { return static_cast<double>(t) / 1e6; }

enum class OpType : uint8_t { Read, Write, Cas };
const char* op_name(OpType op);  // "read" | "write" | "cas"

// A client command as it travels through a protocol and its log. Registers hold integers and start
// out null (absent). (client, seq) identifies the command: a retried command keeps its seq, and
// the state machine applies each (client, seq) at most once.
struct Command {
  int64_t client = 0;  // the history's process id of the client that issued it
  uint64_t seq = 0;    // per client, strictly increasing
  OpType type = OpType::Read;
  std::string key;
  int64_t value = 0;     // Write: the new value; Cas: the new value
  int64_t expected = 0;  // Cas: the value it must currently hold

  // Canonical text, used in events and invariant checks: "c3#17 write k1 5".
  std::string describe() const;
  bool operator==(const Command& o) const {
    return client == o.client && seq == o.seq && type == o.type && key == o.key &&
           value == o.value && expected == o.expected;
  }
};

// What happened to a command, as a client sees it.
enum class ReplyStatus : uint8_t {
  Ok,         // applied; for reads `value` holds the result (nullopt = null)
  Fail,       // certainly not applied and never will be (a cas whose compare failed)
  NotLeader,  // not accepted here; `leader_hint` names who might accept it (kNoNode if unknown)
};
const char* status_name(ReplyStatus s);

struct ClientResult {
  ReplyStatus status = ReplyStatus::Ok;
  std::optional<int64_t> value;  // Read: the value read
};

}  // namespace synod
