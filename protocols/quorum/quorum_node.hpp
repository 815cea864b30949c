// A Dynamo/Cassandra-style quorum store, as a deterministic state machine: every node is a
// replica and a coordinator.
//
// Placement: consistent hashing with `vnodes` points per node (protocols/placement), or
// rendezvous or modulo hashing; a key's preference list is its first N distinct nodes (clockwise
// from its hash, on the ring). Any node coordinates a
// client's request (Cassandra's way; Dynamo forwards to a node of the list):
//   write  timestamp = the coordinator's clock (so clock skew reorders writes: last writer wins
//          by the clock, not by real time), node id breaking ties; sent to the replicas, and
//          acknowledged to the client once W of them stored it;
//   read   asks the replicas, answers with the newest version among the first R replies; with
//          `read_repair`, once every replica asked has answered, sends the newest version to those
//          that returned an older one;
//   cas    not offered (a last-writer-wins store has no compare-and-set): answered Fail.
// `send_to: all` asks all N replicas and waits for the first W (R); `send_to: quorum` asks only W
// (R) of them, drawn at random — the model of PBS's closed form, where a write reaches W replicas
// and nothing spreads it further.
// No answer from enough replicas within `request_timeout`: the coordinator gives up without
// answering (the client times out: the write may or may not be stored somewhere) and suspects
// the replicas that did not answer for `suspect_for`. With `sloppy`, a suspected replica of the
// preference list is replaced by the next healthy node on the ring, which stores the version
// aside as a hint for it and hands it over every `handoff_interval` once the owner answers
// (hinted handoff). Hints are not read: a sloppy quorum's R replicas need not meet its W — the
// reason R + W > N does not promise a fresh read under sloppy quorums and partitions.
// Anti-entropy (every `anti_entropy`, when set): a node picks a random peer and sends a digest
// of the keys they share (one Merkle level: `buckets` hashes of (key, timestamp)); the peer
// sends back its versions of the buckets that differ and asks for the node's; both merge.
// Membership (join and leave faults): the ring is over the members only; on a change the old
// owner of each key streams it to the replicas new in its preference list. Until a stream
// arrives, a new replica answers reads without the key — R + W > N meets the new replica set,
// not the old one, so reads can be stale for that moment (Cassandra writes to pending replicas
// too; this store does not).
// What is on disk: every stored version and the hints (a restart keeps them).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/placement/placement.hpp"
#include "protocols/quorum/messages.hpp"

namespace synod::quorum {

struct Config {
  int n = 3;
  int r = 2;
  int w = 2;
  std::string placement = "consistent";  // consistent | rendezvous | modulo (protocols/placement)
  int vnodes = 16;
  bool send_to_all = true;
  bool read_repair = true;
  bool sloppy = false;
  Nanos request_timeout = 100 * kNanosPerMilli;
  Nanos suspect_for = kNanosPerSecond;
  Nanos handoff_interval = kNanosPerSecond;
  Nanos anti_entropy = 0;  // 0: off
  int buckets = 64;
  // Conflicts: false = last writer wins by timestamp; true = siblings by vector clock (Dynamo,
  // Riak's allow_mult): the coordinator of a write first reads R replicas (what a Dynamo client
  // does with get-then-put), and the new version's clock is theirs merged plus its own counter,
  // so it replaces exactly the versions it saw; versions that did not see each other stay side
  // by side as siblings until a write that saw them all. A read merges the replies' siblings and
  // answers the client the one with the latest timestamp (one value: the kv history's model).
  bool siblings = false;
};

struct Storage {
  std::map<std::string, Siblings> data;
  std::map<NodeId, std::map<std::string, Siblings>> hints;  // for node → versions held for it
  uint64_t writes = 0;
  uint64_t clock_counter = 0;  // siblings: this node's last vector-clock counter
};

class QuorumNode final : public ProtocolNode {
 public:
  QuorumNode(NodeId id, int cluster_size, const Config& config, Storage* storage, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;
  // Every stored version, "key=value@time.node;" in key order (siblings: one item each, in
  // timestamp order; the family reads the final state).
  std::string state_digest() const override;
  // A join or leave: the ring is rebuilt over the new members, and this node streams each key it
  // owned to the replicas new in the key's preference list (at most 100 versions per message).
  void on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) override;

  std::vector<NodeId> preference_list(const std::string& key) const;

 private:
  struct Pending {
    Address client = 0;
    Command command;
    std::vector<NodeId> targets;
    std::set<NodeId> stand_ins;  // sloppy: targets outside the preference list
    std::set<NodeId> acks;
    std::map<NodeId, Siblings> replies;
    bool answered = false;
    bool reading_for_write = false;  // siblings: a write's first phase, gathering the clocks
    Nanos deadline = 0;
  };
  void coordinate(Nanos now, Address client, const Command& c, Outbox& out);
  std::vector<std::pair<NodeId, NodeId>> targets_for(const std::string& key, int needed, Nanos now);
  void store(const std::string& key, const Version& v, NodeId hint);
  void send_writes(Nanos now, uint64_t req, Pending& p, const Clock& seen, Outbox& out);
  void answer(uint64_t req, Pending& p, const ClientResult& result, Outbox& out);
  void finish_read(Nanos now, uint64_t req, Pending& p, Outbox& out);
  bool suspected(NodeId n, Nanos now) const { return suspect_until_[n] > now; }
  uint64_t bucket_of(const std::string& key) const;
  std::vector<uint64_t> digest_for(NodeId peer) const;
  std::vector<KeyVersion> entries_in(NodeId peer, const std::vector<uint32_t>& buckets) const;

  NodeId id_;
  int n_;
  Config config_;
  Storage* disk_;
  Rng rng_;
  std::unique_ptr<placement::Placement> ring_;
  std::vector<NodeId> members_;
  bool membership_known_ = false;
  std::map<uint64_t, Pending> pending_;
  std::set<std::pair<Nanos, uint64_t>> deadlines_;
  uint64_t next_request_ = 1;
  Timestamp last_ts_;
  std::vector<Nanos> suspect_until_;
  Nanos next_handoff_ = kNever;
  Nanos next_anti_entropy_ = kNever;
  std::map<uint64_t, std::pair<NodeId, std::vector<KeyVersion>>> handoffs_;  // request → (owner, sent)
  std::map<std::string, Timestamp> seen_;  // invariant: a key's stored timestamp never goes back
  std::vector<std::string> violations_;
};

}  // namespace synod::quorum
