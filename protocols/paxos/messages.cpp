#include "protocols/paxos/messages.hpp"

#include <fmt/format.h>

namespace synod::paxos {

std::string ballot_name(Ballot b) {
  if (b == kNoBallot) return "-";
  return fmt::format("{}.{}", ballot_round(b), ballot_node(b));
}

std::string Value::describe() const { return noop ? "noop" : command.describe(); }

namespace {
const char* slot_scope(bool all_from) { return all_from ? ">=" : "="; }
}  // namespace

std::string Prepare::describe() const {
  return fmt::format("{} b={} s{}{}", probe ? "PrePrepare" : "Prepare", ballot_name(ballot),
                     slot_scope(all_from), slot);
}

size_t Promise::size_bytes() const {
  size_t bytes = 48;
  for (const AcceptedSlot& a : accepted) {
    bytes += 24 + (a.value.noop ? 0 : 48 + a.value.command.key.size());
  }
  return bytes;
}

std::string Promise::describe() const {
  if (probe) return fmt::format("PrePromise b={} {}", ballot_name(ballot), ok ? "yes" : "no");
  if (!ok) {
    return fmt::format("Promise b={} s{}{} refused promised={}", ballot_name(ballot),
                       slot_scope(all_from), slot, ballot_name(promised));
  }
  if (!all_from && accepted.size() == 1) {
    return fmt::format("Promise b={} s={} accepted={} '{}'", ballot_name(ballot), slot,
                       ballot_name(accepted[0].ballot), accepted[0].value.describe());
  }
  return fmt::format("Promise b={} s{}{} accepted={}", ballot_name(ballot), slot_scope(all_from),
                     slot, accepted.size());
}

std::string Accept::describe() const {
  return fmt::format("Accept b={} s={} '{}'", ballot_name(ballot), slot, value.describe());
}

std::string Accepted::describe() const {
  if (ok) return fmt::format("Accepted b={} s={}", ballot_name(ballot), slot);
  return fmt::format("Accepted b={} s={} refused promised={}", ballot_name(ballot), slot,
                     ballot_name(promised));
}

std::string Decide::describe() const {
  return fmt::format("Decide s={} b={} '{}'", slot, ballot_name(ballot), value.describe());
}

std::string HeartbeatAck::describe() const {
  return fmt::format("HeartbeatAck b={}", ballot_name(ballot));
}

std::string Heartbeat::describe() const {
  return fmt::format("Heartbeat b={} commit={}", ballot_name(ballot), commit);
}

std::string CatchUp::describe() const { return fmt::format("CatchUp from={}", from); }

}  // namespace synod::paxos
