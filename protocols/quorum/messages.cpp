#include "protocols/quorum/messages.hpp"

#include <fmt/format.h>

namespace synod::quorum {

namespace {
std::string text(const Version& v) {
  if (!v.written()) return "none";
  return fmt::format("{}@{}.{}", v.value ? std::to_string(*v.value) : "null", v.ts.time, v.ts.node);
}
}  // namespace

std::string Write::describe() const {
  return hint == kNoNode ? fmt::format("QuorumWrite r{} {}={}", request, key, text(version))
                         : fmt::format("QuorumWrite r{} {}={} hint for {}", request, key, text(version), hint);
}
std::string WriteAck::describe() const { return fmt::format("QuorumWriteAck r{}", request); }
std::string Read::describe() const { return fmt::format("QuorumRead r{} {}", request, key); }
std::string ReadReply::describe() const { return fmt::format("QuorumReadReply r{} {}", request, text(version)); }
std::string Digest::describe() const {
  return fmt::format("QuorumDigest {} buckets", buckets.size());
}
size_t Sync::size_bytes() const {
  size_t b = 24;
  for (const auto& e : entries) b += 32 + e.key.size();
  return b;
}
std::string Sync::describe() const {
  return fmt::format("QuorumSync{} {} versions", request ? " handoff" : "", entries.size());
}

size_t Stream::size_bytes() const {
  size_t b = 24;
  for (const auto& e : entries) b += 32 + e.key.size();
  return b;
}
std::string Stream::describe() const { return fmt::format("QuorumStream {} versions", entries.size()); }

}  // namespace synod::quorum
