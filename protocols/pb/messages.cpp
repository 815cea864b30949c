#include "protocols/pb/messages.hpp"

#include <fmt/format.h>

namespace synod::pb {

namespace {
size_t entries_bytes(const std::vector<Entry>& es) {
  size_t b = 0;
  for (const Entry& e : es) b += 40 + e.command.key.size();
  return b;
}
}  // namespace

size_t Replicate::size_bytes() const { return 40 + 4 * members.size() + entries_bytes(entries); }

std::string Replicate::describe() const {
  return fmt::format("Replicate e={} from={} n={} commit={}", epoch, from, entries.size(), commit);
}

std::string ReplicateReply::describe() const {
  return fmt::format("ReplicateReply e={} {} len={}", epoch, ok ? "ok" : "refused", length);
}

std::string ViewChange::describe() const {
  return fmt::format("ViewChange e={} last={}/{}", epoch, length, last_epoch);
}

size_t ViewReply::size_bytes() const { return 32 + entries_bytes(log); }

std::string ViewReply::describe() const {
  return fmt::format("ViewReply e={} {} len={}", epoch, granted ? "granted" : "refused",
                     log.size());
}

}  // namespace synod::pb
