// Check-quorum (etcd/raft's CheckQuorum) and the leader lease that both it and pre-vote use.
//
// A leader cut off from a majority still believes it leads: plain Raft only deposes it when it
// sees a higher term, which it cannot while cut off. Meanwhile it takes client requests it can
// never commit, and those clients wait. With check-quorum, a leader that has heard from no
// majority (itself included) within election_timeout_min steps down to follower in its own term
// and answers its pending clients NotLeader (as on any step-down), so they go find the leader the
// majority has elected by then. Any AppendEntriesReply of the leader's term counts as hearing
// from that follower, a rejection included. It is checked on each heartbeat tick, so the step-down
// comes between election_timeout_min and election_timeout_min + heartbeat_interval after the last
// majority contact; a new leader counts its election as contact with everyone.
//
// The other half of etcd's CheckQuorum is the leader lease for votes: a follower that heard from a
// leader of its term within election_timeout_min ignores RequestVote for a higher term
// (election.cpp). A leader with check-quorum keeps a majority within that same window, so this
// majority refuses to help a disruptive candidate depose a leader that is still working. Pre-vote
// uses the same lease for its leader stickiness (pre_vote.cpp), with or without check-quorum.
//
// Neither is needed for Election Safety, which rests on the real votes: they keep leaders stable
// and let a stranded leader give up. Lease reads (reads.cpp) do rest on the vote lease.
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

// A leader is its own leader, so it is always in its lease; a follower is while the leader of its
// term (leader_hint_, cleared whenever the term changes or we time out) spoke recently enough.
// Our own election timer never fires inside the lease: it is reset on each contact and runs at
// least election_timeout_min.
bool RaftNode::is_in_leader_lease() const {
  if (role_ == Role::Leader) return true;
  // Lease reads: a restarted server may have answered a leader's heartbeat just before it went
  // down, so it behaves as if it just had (reads.cpp).
  if (config_.reads == ReadMode::Lease && now_ - started_at_ < config_.election_timeout_min)
    return true;
  return leader_hint_ != kNoNode && now_ - leader_contact_at_ < config_.election_timeout_min;
}

bool RaftNode::has_quorum_contact() const {
  int heard = is_voter(id_) ? 1 : 0;  // ourselves, unless we are being removed
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer == id_ || !is_voter(peer)) continue;
    const Nanos heard_at = progress_[static_cast<size_t>(peer)].heard_at;
    if (now_ - heard_at < config_.election_timeout_min) ++heard;
  }
  return heard >= majority();
}

void RaftNode::check_quorum(Outbox& out) {
  if (role_ != Role::Leader || has_quorum_contact()) return;
  ++quorum_step_downs_;
  step_down(term(), kNoNode, out);  // a follower of our own term; pending clients hear NotLeader
}

}  // namespace synod::raft
