// The quorum store's messages (see quorum_node.hpp). A version is a value (or none) and the
// timestamp that orders versions of a key: last writer wins, by the coordinator's clock, node id
// breaking ties. With `conflicts: siblings` a version also carries a vector clock (Dynamo's):
// a version replaces only those it descends from; concurrent ones are kept side by side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"

namespace synod::quorum {

struct Timestamp {
  Nanos time = 0;
  NodeId node = -1;
  bool operator<(const Timestamp& o) const { return time != o.time ? time < o.time : node < o.node; }
  bool operator==(const Timestamp& o) const { return time == o.time && node == o.node; }
};

// A vector clock: (coordinator, counter) pairs, sorted by node. Empty under last writer wins.
struct Clock {
  std::vector<std::pair<NodeId, uint64_t>> entries;
  uint64_t at(NodeId n) const;
  // Every entry at least the other's: this version has seen `o` (equal clocks descend too).
  bool descends(const Clock& o) const;
  void merge(const Clock& o);
  void set(NodeId n, uint64_t counter);
  bool operator==(const Clock& o) const { return entries == o.entries; }
  std::string text() const;  // "[n0:3 n2:1]"
};

struct Version {
  std::optional<int64_t> value;
  Timestamp ts;  // node -1: never written
  Clock clock;   // siblings only
  bool written() const { return ts.node >= 0; }
};

// A key's versions on one replica: at most one under last writer wins; under siblings, the
// versions none of which descends from another, in timestamp order.
using Siblings = std::vector<Version>;

// Merges `v` into `held` (siblings rules): false if a held version descends from it (it is old
// news), else drops the held versions it descends from and adds it.
bool merge_sibling(Siblings& held, const Version& v);

struct KeyVersion {
  std::string key;
  Version version;
};

// Coordinator → replica: store `version` of `key`. With `hint` set, the receiver stands in for
// node `hint` (sloppy quorum) and keeps the version aside, to hand it to `hint` later.
class Write final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumWrite; }
  const char* type_name() const override { return "QuorumWrite"; }
  size_t size_bytes() const override { return 48 + key.size() + 12 * version.clock.entries.size(); }
  std::string describe() const override;
  uint64_t request = 0;
  std::string key;
  Version version;
  NodeId hint = kNoNode;
};

class WriteAck final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumWriteAck; }
  const char* type_name() const override { return "QuorumWriteAck"; }
  size_t size_bytes() const override { return 24; }
  std::string describe() const override;
  uint64_t request = 0;
};

class Read final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumRead; }
  const char* type_name() const override { return "QuorumRead"; }
  size_t size_bytes() const override { return 32 + key.size(); }
  std::string describe() const override;
  uint64_t request = 0;
  std::string key;
};

class ReadReply final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumReadReply; }
  const char* type_name() const override { return "QuorumReadReply"; }
  size_t size_bytes() const override;  // 48 for one version without a clock
  std::string describe() const override;
  uint64_t request = 0;
  Siblings versions;  // empty: the replica holds no version of the key
};

// Anti-entropy, one level of a Merkle tree: the keys both replicas hold, hashed into `buckets`
// (key hash mod the bucket count), one hash per bucket over (key, timestamp) pairs.
class Digest final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumDigest; }
  const char* type_name() const override { return "QuorumDigest"; }
  size_t size_bytes() const override { return 24 + 8 * buckets.size(); }
  std::string describe() const override;
  std::vector<uint64_t> buckets;
};

// Versions to merge (anti-entropy repair of the buckets that differ, or hinted handoff). With
// `handoff`, the receiver answers with a WriteAck{request} so the sender can drop its hints.
class Sync final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumSync; }
  const char* type_name() const override { return "QuorumSync"; }
  size_t size_bytes() const override;
  std::string describe() const override;
  std::vector<KeyVersion> entries;
  uint64_t request = 0;         // handoff: nonzero
  std::vector<uint32_t> want;   // anti-entropy: send me your versions in these buckets
};

// A membership change moved keys: the old owner of each sends it to the replicas that are new
// in its preference list (Cassandra's streaming). Merged by timestamp like any version.
class Stream final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::QuorumStream; }
  const char* type_name() const override { return "QuorumStream"; }
  size_t size_bytes() const override;
  std::string describe() const override;
  std::vector<KeyVersion> entries;
};

}  // namespace synod::quorum
