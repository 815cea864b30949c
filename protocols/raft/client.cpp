// Client interaction (Raft paper §8; dissertation §6.3): requests reach the leader, which puts
// every command through the log, and answers once it is applied; reads too, unless the scenario
// asks for ReadIndex or lease reads (reads.cpp). Followers
// redirect. A (client, seq) already applied is answered from the KvStore's session table.
//
// Pending requests are volatile leader state, keyed by (client, seq): a retry of a command that
// is already in our log this term only updates where the answer goes, instead of appending a
// second copy. If we lose leadership, every pending client hears NotLeader and retries.
#include <memory>

#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

void RaftNode::on_client_request(Address from, const ClientRequest& m, Outbox& out) {
  const Command& c = m.command;
  if (role_ != Role::Leader || transfer_to_ != kNoNode) {
    // While handing leadership over we take nothing new (it could not commit before the handover
    // anyway); the client goes to the node we hand it to.
    ClientResult not_leader{ReplyStatus::NotLeader, std::nullopt};
    const NodeId hint = role_ == Role::Leader ? transfer_to_ : leader_hint_;
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, not_leader, hint));
    return;
  }
  if (c.type == OpType::Read && config_.bugs.local_reads) {  // a knob: no confirmation at all
    const ClientResult r{ReplyStatus::Ok, kv_.get(c.key)};
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, r, id_));
    return;
  }
  // Dissertation §6.4: a read need not go through the log (reads.cpp).
  if (c.type == OpType::Read && config_.reads != ReadMode::Log) {
    on_read_request(from, c, out);
    return;
  }
  ClientResult cached;
  if (kv_.is_duplicate(c, &cached)) {  // already applied: the first result, not a second run
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, cached, id_));
    return;
  }
  auto [it, inserted] = pending_.try_emplace({c.client, c.seq}, from);
  if (!inserted) {  // already in our log this term: it will be answered when applied
    it->second = from;
    return;
  }
  Entry e;
  e.term = term();
  e.command = c;
  leader_append(std::move(e), out);
}

void RaftNode::leader_append(Entry e, Outbox& out) {
  // Figure 2, "Leaders": append to the local log (persisted inside this step), then replicate.
  const bool is_config = e.is_config();
  const std::vector<NodeId> voters = is_config ? e.config : std::vector<NodeId>{};
  const int64_t index = log_.append(std::move(e));
  if (is_config) set_config(voters, index);  // in force from its append (§4.1)
  // Pipelining followers get it now if their window has room; the others in their turn.
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (replicates_to(peer)) replicate(peer, out);
  }
  advance_leader_commit(out);  // a single-node cluster commits at once
}

void RaftNode::reply_to_pending(const Command& c, const ClientResult& r, Outbox& out) {
  auto it = pending_.find({c.client, c.seq});
  if (it == pending_.end()) return;  // asked of an earlier leader, or a duplicate entry
  out.send(it->second, std::make_shared<ClientReply>(c.client, c.seq, r, id_));
  pending_.erase(it);
}

void RaftNode::fail_pending(Outbox& out) {
  const ClientResult not_leader{ReplyStatus::NotLeader, std::nullopt};
  for (const auto& [key, address] : pending_) {
    out.send(address,
             std::make_shared<ClientReply>(key.first, key.second, not_leader, leader_hint_));
  }
  pending_.clear();
}

}  // namespace synod::raft
