#include "protocols/quorum/messages.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace synod::quorum {

namespace {
std::string text(const Version& v) {
  if (!v.written()) return "none";
  return fmt::format("{}@{}.{}{}", v.value ? std::to_string(*v.value) : "null", v.ts.time, v.ts.node,
                     v.clock.entries.empty() ? "" : v.clock.text());
}
size_t clock_bytes(const Version& v) { return 12 * v.clock.entries.size(); }
}  // namespace

uint64_t Clock::at(NodeId n) const {
  for (const auto& [node, c] : entries)
    if (node == n) return c;
  return 0;
}

bool Clock::descends(const Clock& o) const {
  for (const auto& [node, c] : o.entries)
    if (at(node) < c) return false;
  return true;
}

void Clock::set(NodeId n, uint64_t counter) {
  for (auto& [node, c] : entries)
    if (node == n) {
      c = counter;
      return;
    }
  entries.push_back({n, counter});
  std::sort(entries.begin(), entries.end());
}

void Clock::merge(const Clock& o) {
  for (const auto& [node, c] : o.entries)
    if (at(node) < c) set(node, c);
}

std::string Clock::text() const {
  std::string s = "[";
  for (size_t i = 0; i < entries.size(); ++i)
    s += fmt::format("{}n{}:{}", i ? " " : "", entries[i].first, entries[i].second);
  return s + "]";
}

bool merge_sibling(Siblings& held, const Version& v) {
  for (const Version& h : held)
    if (h.clock.descends(v.clock)) return false;
  held.erase(std::remove_if(held.begin(), held.end(),
                            [&](const Version& h) { return v.clock.descends(h.clock); }),
             held.end());
  held.insert(std::upper_bound(held.begin(), held.end(), v,
                               [](const Version& a, const Version& b) { return a.ts < b.ts; }),
              v);
  return true;
}

std::string Write::describe() const {
  return hint == kNoNode ? fmt::format("QuorumWrite r{} {}={}", request, key, text(version))
                         : fmt::format("QuorumWrite r{} {}={} hint for {}", request, key, text(version), hint);
}
std::string WriteAck::describe() const { return fmt::format("QuorumWriteAck r{}", request); }
std::string Read::describe() const { return fmt::format("QuorumRead r{} {}", request, key); }
size_t ReadReply::size_bytes() const {
  size_t b = 48;
  for (size_t i = 0; i < versions.size(); ++i) b += (i ? 40 : 0) + clock_bytes(versions[i]);
  return b;
}
std::string ReadReply::describe() const {
  if (versions.empty()) return fmt::format("QuorumReadReply r{} none", request);
  std::string s = fmt::format("QuorumReadReply r{} {}", request, text(versions[0]));
  for (size_t i = 1; i < versions.size(); ++i) s += " | " + text(versions[i]);
  return s;
}
std::string Digest::describe() const {
  return fmt::format("QuorumDigest {} buckets", buckets.size());
}
size_t Sync::size_bytes() const {
  size_t b = 24;
  for (const auto& e : entries) b += 32 + e.key.size() + clock_bytes(e.version);
  return b;
}
std::string Sync::describe() const {
  return fmt::format("QuorumSync{} {} versions", request ? " handoff" : "", entries.size());
}

size_t Stream::size_bytes() const {
  size_t b = 24;
  for (const auto& e : entries) b += 32 + e.key.size() + clock_bytes(e.version);
  return b;
}
std::string Stream::describe() const { return fmt::format("QuorumStream {} versions", entries.size()); }

}  // namespace synod::quorum
