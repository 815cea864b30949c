// Messages of the last-writer-wins store (lww_node.hpp): an Update carries versioned entries to
// merge (one fresh write, or the answer to an anti-entropy digest); a Digest lists keys with the
// stamp the sender holds for each, for the receiver to compare against its own.
//
// Every message carries the sender's Lamport time (IR2 at the receiver), which is at least the
// time of every stamp it carries, so a receiver's clock passes every stamp it has merged and its
// own next write is stamped above all of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"

namespace synod::lamport {

// A write's position in the store's total order: (Lamport time, writer node). Distinct writes
// have distinct stamps: a node stamps each of its writes with a fresh tick.
struct Stamp {
  int64_t time = 0;       // 0 = no write (a key that is absent)
  NodeId node = kNoNode;  // the replica that accepted the write
  bool operator<(const Stamp& o) const { return time != o.time ? time < o.time : node < o.node; }
  bool operator==(const Stamp& o) const { return time == o.time && node == o.node; }
  bool operator!=(const Stamp& o) const { return !(*this == o); }
  bool operator>(const Stamp& o) const { return o < *this; }
  bool operator<=(const Stamp& o) const { return !(o < *this); }
};

// A key's value as a replica holds it, with the command that wrote it: (client, seq) travels with
// the value so that other replicas recognise a retry of that command (lww_node.hpp, dedup).
struct Versioned {
  int64_t value = 0;
  Stamp stamp;
  int64_t client = 0;
  uint64_t seq = 0;
  bool operator==(const Versioned& o) const {
    return value == o.value && stamp == o.stamp && client == o.client && seq == o.seq;
  }
};

struct UpdateEntry {
  std::string key;
  Versioned version;
};

class LwwUpdate final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::LwwUpdate; }
  const char* type_name() const override { return "Update"; }
  size_t size_bytes() const override;
  std::string describe() const override;
  int64_t timestamp = 0;  // the sender's Lamport time
  std::vector<UpdateEntry> entries;
};

struct DigestEntry {
  std::string key;
  Stamp stamp;  // what the sender holds; time 0 if it holds nothing for the key
};

class LwwDigest final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::LwwDigest; }
  const char* type_name() const override { return "Digest"; }
  size_t size_bytes() const override;
  std::string describe() const override;
  int64_t timestamp = 0;  // the sender's Lamport time
  // Sorted by key. `full`: every key the sender holds (a key missing is one it lacks); otherwise
  // only the keys the sender asks about.
  std::vector<DigestEntry> entries;
  bool full = false;
  // Answer with a digest of the keys where the sender is newer, so it can push them to us.
  bool reply_wanted = false;
};

}  // namespace synod::lamport
