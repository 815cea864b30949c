// Membership change (Raft dissertation chapter 4): single-server changes (§4.1), new servers
// catching up as non-voting learners first (§4.2.1), and removal of the leader (§4.2.2).
//
// A configuration is a log entry listing the voters; a server uses the latest one in its log,
// committed or not, from the moment it appends it (§4.1), and falls back to the one before when
// a conflict cuts it. Majorities (votes, pre-votes, commitment, check-quorum) count only voters;
// only voters stand for election; a leader replicates to voters and to the learners it is
// catching up. Changing one server at a time keeps any two majorities of consecutive
// configurations overlapping, so no two leaders can be elected in one term across a change.
//
// The driver says which membership it wants (on_membership, from cluster.members and the join
// and leave faults); every server keeps it, and whoever leads moves the configuration towards it:
//   - one change at a time: only when the latest configuration entry is committed;
//   - only once an entry of the leader's own term is committed (the no-op of §8): without it a
//     leader could append a change on top of an uncommitted one of an earlier leader and two
//     configurations could decide (the single-server bug Ongaro reported on raft-dev in 2015);
//   - additions first, lowest id first, each waiting until the learner holds the committed log
//     (match index at the commit index), so a new voter does not stall commitment (§4.2.1);
//   - then removals, the leader's own last. A leader that is not in its configuration keeps
//     leading (and replicating) without counting itself until that entry commits, then steps
//     down; not being a voter, it never stands again (§4.2.2).
// A removed server that never learned of its removal may time out and ask for votes: pre-vote
// and the leader lease of check-quorum make the others refuse it while their leader is alive
// (§4.2.3).
#include <algorithm>

#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

std::vector<NodeId> RaftNode::voters() const {
  std::vector<NodeId> v;
  for (NodeId n = 0; n < cluster_size_; ++n)
    if (voter_[static_cast<size_t>(n)]) v.push_back(n);
  return v;
}

void RaftNode::set_config(const std::vector<NodeId>& voters, int64_t index) {
  voter_.assign(static_cast<size_t>(cluster_size_), false);
  voter_count_ = 0;
  for (NodeId n : voters) {
    if (n < 0 || n >= cluster_size_ || voter_[static_cast<size_t>(n)]) continue;
    voter_[static_cast<size_t>(n)] = true;
    ++voter_count_;
  }
  config_index_ = index;
}

void RaftNode::refresh_config() {
  for (int64_t i = log_.last_index(); i >= 1; --i) {
    const Entry& e = log_.at(i);
    if (e.is_config()) {
      set_config(e.config, i);
      return;
    }
  }
  if (config_.initial_voters.empty()) {
    std::vector<NodeId> all;
    for (NodeId n = 0; n < cluster_size_; ++n) all.push_back(n);
    set_config(all, 0);
  } else {
    set_config(config_.initial_voters, 0);
  }
}

bool RaftNode::replicates_to(NodeId peer) const {
  if (peer == id_) return false;
  return is_voter(peer) || (have_wanted_ && wanted_[static_cast<size_t>(peer)]);
}

void RaftNode::on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) {
  now_ = now;
  wanted_.assign(static_cast<size_t>(cluster_size_), false);
  for (NodeId n : members)
    if (n >= 0 && n < cluster_size_) wanted_[static_cast<size_t>(n)] = true;
  have_wanted_ = true;
  if (role_ != Role::Leader) return;
  // A learner is new to us: start finding where its log matches (it starts probing from the end).
  maybe_change_config(out);
}

void RaftNode::maybe_change_config(Outbox& out) {
  if (!have_wanted_ || role_ != Role::Leader) return;
  if (config_index_ > commit_index_) return;          // one change at a time
  if (log_.term_at(commit_index_) != term()) return;  // our own term's entry committed first
  std::vector<NodeId> next = voters();
  for (NodeId n = 0; n < cluster_size_; ++n) {
    if (!wanted_[static_cast<size_t>(n)] || is_voter(n)) continue;
    const bool caught_up =
        n == id_ || progress_[static_cast<size_t>(n)].match_index >= commit_index_;
    if (!caught_up) return;  // still a learner: wait for it before any other change
    next.insert(std::upper_bound(next.begin(), next.end(), n), n);
    Entry e;
    e.term = term();
    e.config = next;
    leader_append(std::move(e), out);
    return;
  }
  // Removals, our own last.
  NodeId remove = kNoNode;
  for (NodeId n = 0; n < cluster_size_ && remove == kNoNode; ++n)
    if (n != id_ && is_voter(n) && !wanted_[static_cast<size_t>(n)]) remove = n;
  if (remove == kNoNode && is_voter(id_) && !wanted_[static_cast<size_t>(id_)]) {
    // Our own removal: hand leadership to the most up-to-date server that stays (§3.10, as etcd
    // and TiKV do), which then removes us — clients wait for one round trip, not an election.
    NodeId best = kNoNode;
    for (NodeId n = 0; n < cluster_size_; ++n) {
      if (n == id_ || !is_voter(n) || !wanted_[static_cast<size_t>(n)]) continue;
      if (best == kNoNode || progress_[static_cast<size_t>(n)].match_index >
                                 progress_[static_cast<size_t>(best)].match_index)
        best = n;
    }
    if (best != kNoNode) {
      if (transfer_to_ == kNoNode) transfer_leadership(best, out);
      return;
    }
    remove = id_;  // nobody to hand over to: leave by the configuration entry itself
  }
  if (remove == kNoNode || voter_count_ <= 1) return;  // never an empty configuration
  next.erase(std::find(next.begin(), next.end(), remove));
  Entry e;
  e.term = term();
  e.config = next;
  leader_append(std::move(e), out);
}

void RaftNode::step_down_if_removed(Outbox& out) {
  if (role_ != Role::Leader) return;
  if (!is_voter(id_) && config_index_ <= commit_index_) {
    ++removal_step_downs_;
    step_down(term(), kNoNode, out);  // pending clients hear NotLeader and find the new leader
    return;
  }
  maybe_change_config(out);  // the next step, now that this one committed
}

}  // namespace synod::raft
