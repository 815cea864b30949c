// The vocabulary that the tests of every protocol family share: client commands and requests,
// queries over an Outbox, matching invariant lines, and the seed range of a randomized sweep.
// Protocol-agnostic: it knows only protocols/common. Each family's test_util re-exports it into
// its own `testing` namespace, so a test reads `cmd(...)` and `sent_to<M>(...)` unqualified.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/types.hpp"

namespace synod::testkit {

constexpr Address kClient = 100;  // a client address (anything outside 0..cluster_size-1)

inline Command cmd(int64_t client, uint64_t seq, OpType type = OpType::Write, int64_t value = 0,
                   int64_t expected = 0, std::string key = "x") {
  Command c;
  c.client = client;
  c.seq = seq;
  c.type = type;
  c.key = std::move(key);
  c.value = value;
  c.expected = expected;
  return c;
}

inline MessagePtr client_request(Command c) {
  return std::make_shared<ClientRequest>(std::move(c));
}

// The messages of type M in an outbox, with their destinations.
template <class M>
std::vector<std::pair<Address, const M*>> sent(const Outbox& out) {
  std::vector<std::pair<Address, const M*>> found;
  for (const auto& s : out.messages) {
    if (auto* m = dynamic_cast<const M*>(s.message.get())) found.emplace_back(s.to, m);
  }
  return found;
}

template <class M>
const M* sent_to(const Outbox& out, Address to) {
  for (const auto& [dest, m] : sent<M>(out)) {
    if (dest == to) return m;
  }
  return nullptr;
}

inline std::vector<ProtocolEvent> events_of(const Outbox& out, EventType type) {
  std::vector<ProtocolEvent> found;
  for (const auto& e : out.events) {
    if (e.type == type) found.push_back(e);
  }
  return found;
}

inline int count_events(const Outbox& out, EventType type) {
  return static_cast<int>(events_of(out, type).size());
}

// check_invariants() tests look for one violation among the lines, and print them all if absent.
inline bool mentions(const std::vector<std::string>& lines, const std::string& what) {
  for (const auto& l : lines) {
    if (l.find(what) != std::string::npos) return true;
  }
  return false;
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// Seeds [first, last] of a sweep. <PREFIX>_SEED=S replays one seed (to reproduce a failure);
// <PREFIX>_SEEDS=N runs seeds 1..N instead of the default (for long soaks).
inline std::pair<uint64_t, uint64_t> seed_range(const std::string& prefix,
                                                uint64_t default_count) {
  if (const char* one = std::getenv((prefix + "_SEED").c_str())) {
    const uint64_t s = std::strtoull(one, nullptr, 10);
    return {s, s};
  }
  const char* count = std::getenv((prefix + "_SEEDS").c_str());
  return {1, count ? std::strtoull(count, nullptr, 10) : default_count};
}

}  // namespace synod::testkit
