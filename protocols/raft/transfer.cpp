// Leadership transfer (Raft dissertation §3.10; etcd/raft's MsgTransferLeader). The leader picks
// a voter, stops taking new client commands, brings the voter's log up to its own, then sends it
// TimeoutNow; the voter starts an election at once (no pre-vote round), flagged as a transfer so
// that voters still inside the old leader's lease answer it. Its log is as up-to-date as any, so
// it wins unless something else happens, and the old leader steps down on seeing the new term.
// If no new leader shows within an election timeout, the leader gives up and takes commands again.
// Used before a leader removes itself (membership.cpp): the cluster changes leader in one round
// trip instead of waiting out an election timeout.
#include <memory>

#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

void RaftNode::on_transfer_leadership(Nanos now, NodeId to, Outbox& out) {
  now_ = now;
  if (transfer_to_ != kNoNode) return;  // one handover at a time
  transfer_leadership(to, out);
}

bool RaftNode::can_hand_over_to(Nanos now, NodeId to) const {
  if (role_ != Role::Leader || transfer_to_ != kNoNode || !is_peer(to) || !is_voter(to)) return false;
  if (config_index_ > commit_index_ || log_.term_at(commit_index_) != term()) return false;
  if (have_wanted_)  // a membership change still to make: let it finish first
    for (NodeId n = 0; n < cluster_size_; ++n)
      if (is_voter(n) != static_cast<bool>(wanted_[static_cast<size_t>(n)])) return false;
  const Progress& p = progress_[static_cast<size_t>(to)];
  // Heard within a heartbeat: a peer that went quiet since may be down, and a transfer to it
  // would hold commands back until the transfer gives up.
  return p.match_index == log_.last_index() && now - p.heard_at <= config_.heartbeat_interval;
}

void RaftNode::transfer_leadership(NodeId to, Outbox& out) {
  if (role_ != Role::Leader || to == id_ || !is_peer(to) || !is_voter(to)) return;
  transfer_to_ = to;
  transfer_until_ = now_ + config_.election_timeout_max;
  lease_until_ = 0;  // the target stands inside every follower's lease (reads.cpp)
  timeout_now_sent_ = false;
  replicate(to, out);
  send_timeout_now_if_ready(to, out);
}

void RaftNode::send_timeout_now_if_ready(NodeId peer, Outbox& out) {
  if (role_ != Role::Leader || peer != transfer_to_ || timeout_now_sent_) return;
  if (progress_[static_cast<size_t>(peer)].match_index != log_.last_index()) return;
  auto m = std::make_shared<TimeoutNow>();
  m->term = term();
  out.send(peer, std::move(m));
  timeout_now_sent_ = true;
}

void RaftNode::on_timeout_now(Address from, const TimeoutNow& m, Outbox& out) {
  // Only from the leader of our own term, and only a voter stands.
  if (m.term != term() || role_ != Role::Follower || leader_hint_ != from || !is_voter(id_)) return;
  campaign_transfer_ = true;
  start_election(out);
}

}  // namespace synod::raft
