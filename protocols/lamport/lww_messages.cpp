#include "protocols/lamport/lww_messages.hpp"

#include <fmt/format.h>

namespace synod::lamport {

size_t LwwUpdate::size_bytes() const {
  size_t bytes = 24;                                                // header, timestamp, count
  for (const UpdateEntry& e : entries) bytes += 36 + e.key.size();  // value, stamp, client, seq
  return bytes;
}

std::string LwwUpdate::describe() const {
  if (entries.size() == 1) {
    const UpdateEntry& e = entries.front();
    return fmt::format("Update ts={} {}={}@{}.n{}", timestamp, e.key, e.version.value,
                       e.version.stamp.time, e.version.stamp.node);
  }
  return fmt::format("Update ts={} n={}", timestamp, entries.size());
}

size_t LwwDigest::size_bytes() const {
  size_t bytes = 26;
  for (const DigestEntry& e : entries) bytes += 12 + e.key.size();
  return bytes;
}

std::string LwwDigest::describe() const {
  return fmt::format("Digest ts={} {} n={}{}", timestamp, full ? "full" : "ask", entries.size(),
                     reply_wanted ? " reply" : "");
}

}  // namespace synod::lamport
