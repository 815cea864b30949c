// One cluster node of a sharded store: it hosts one replica of every group the ShardMap gives it
// (a RaftNode per group for multi-Raft, or any protocol node written for a cluster of its own)
// and is the only thing the driver sees. Each hosted replica believes it runs in a cluster of R
// nodes addressed 0..R-1; the host translates at the boundary and nowhere else:
//   - peer traffic travels wrapped in a GroupMessage (the group's number plus the replica's own
//     message, whose kind it keeps, so per-type counters stay per type); an incoming one goes to
//     the group's replica with the sender's address turned into its index in the group;
//   - a client's request goes to the replica of the key's group (clients route by the map; a
//     request for a group this node does not host is answered NotLeader, hinting the group's first
//     member); the replica's replies go out with their leader hint turned back into a node id;
//   - events leave tagged with their group, so invariants are checked per group;
//   - timers: the host's deadline is the earliest of its replicas', and each replica due is woken;
//   - membership (the driver's on_membership, at start and after every join or leave): the host
//     finds the step in the map's plan, makes the replicas it gains there (an empty learner, or a
//     removed one's storage back) and tells each replica of a group that changes its members, as
//     slots; the group's leader carries out the change (for Raft: protocols/raft/membership.cpp).
// Persistent state is each replica's own (the maker hands out storage that outlives a crash).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/shards/shard_map.hpp"

namespace synod::shards {

// A replica's message to a peer replica of the same group.
class GroupMessage final : public Message {
 public:
  GroupMessage(int32_t group_, MessagePtr inner_) : group(group_), inner(std::move(inner_)) {}
  MsgKind kind() const override { return inner->kind(); }
  const char* type_name() const override { return inner->type_name(); }
  size_t size_bytes() const override { return inner->size_bytes() + 4; }
  std::string describe() const override;  // "g3 AppendEntries t=2 ..."
  int32_t group;
  MessagePtr inner;
};

// Makes node `local` (0..R-1) of `group`'s cluster of R, over its persistent storage.
using ReplicaMaker = std::function<std::unique_ptr<ProtocolNode>(int group, NodeId local, Rng rng)>;

class ShardHost final : public ProtocolNode {
 public:
  // balance_every > 0: every so often, each replica that leads a group whose preferred leader
  // (ShardMap::preferred) is another member hands leadership over to it, if its protocol says
  // that is quick and safe now (ProtocolNode::can_hand_over_to; Raft's transfer, §3.10).
  ShardHost(NodeId id, std::shared_ptr<const ShardMap> map, const ReplicaMaker& make, Rng rng,
            Nanos balance_every = 0);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  void on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;  // "3 groups: g0 leader t=2 ...; g4 follower ..."

  // The groups this node holds a replica of (members now, or removed since), ascending.
  const std::vector<int>& groups() const { return hosted_; }
  const ProtocolNode& replica(size_t i) const { return *replicas_[i]; }  // of groups()[i]

 private:
  // Hands replica i's outputs on, translated, and clears its scratch outbox.
  void forward(size_t i, Outbox& out);
  int slot_of(int group) const;  // index into replicas_, -1 if not hosted

  NodeId id_;
  std::shared_ptr<const ShardMap> map_;
  ReplicaMaker make_;
  Rng rng_;
  int step_ = 0;                                          // the plan's step we were told of
  Nanos balance_every_ = 0;
  Nanos next_balance_ = kNever;
  std::vector<int> hosted_;                               // ascending
  std::vector<std::unique_ptr<ProtocolNode>> replicas_;  // parallel to hosted_
  Outbox scratch_;
};

}  // namespace synod::shards
