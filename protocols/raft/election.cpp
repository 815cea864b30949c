// Leader election (Raft paper §5.2) with the election restriction (§5.4.1): candidates, votes,
// and the move to leader.
#include <cassert>
#include <memory>

#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

// §5.2: a follower (or a candidate whose election was split) heard from no leader and granted no
// vote for a whole election timeout. With pre-vote, it first asks whether it could win.
void RaftNode::on_election_timeout(Outbox& out) {
  if (config_.pre_vote) {
    start_pre_vote(out);
  } else {
    start_election(out);
  }
}

void RaftNode::start_election(Outbox& out) {
  // §5.2: increment the term, vote for ourselves, reset the election timer, ask everyone else.
  // The new term and our own vote are persisted before any RequestVote leaves, so after a crash
  // we can neither reuse the term nor vote for someone else in it.
  pre_candidate_ = false;
  persist_term_and_vote(term() + 1, id_);
  leader_hint_ = kNoNode;
  held_.clear();
  if (role_ != Role::Candidate) set_role(Role::Candidate, out);
  ProtocolEvent e;
  e.type = EventType::ElectionStart;
  e.term = term();
  out.event(std::move(e));

  votes_.assign(static_cast<size_t>(cluster_size_), false);
  votes_[static_cast<size_t>(id_)] = true;
  votes_granted_ = 1;
  reset_election_timer();              // a split vote times out and a new election starts (§5.2)
  if (votes_granted_ >= majority()) {  // a single-node cluster elects itself
    become_leader(out);
    return;
  }
  auto rv = std::make_shared<RequestVote>();
  rv->term = term();
  rv->candidate = id_;
  rv->last_log_index = log_.last_index();
  rv->last_log_term = log_.last_term();
  rv->transfer = campaign_transfer_;
  campaign_transfer_ = false;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_ && is_voter(peer)) out.send(peer, rv);  // one immutable message for all
  }
}

void RaftNode::on_request_vote(Address from, const RequestVote& m, Outbox& out) {
  if (m.pre_vote) {
    on_pre_vote(from, m, out);
    return;
  }
  // Check-quorum's other half (etcd/raft): while we heard from a leader of our term within the
  // minimum election timeout (or are that leader), a higher-term candidate is ignored: the leader
  // may well still be serving a majority, and the candidate is most likely a node rejoining from
  // a partition. We neither adopt its term nor vote. Our refusal carries our (lower) term, which
  // the candidate discards as stale. If the leader is really gone, the lease runs out before our
  // own election timer does, and the candidate's retry is heard.
  if (config_.check_quorum && m.term > term() && is_in_leader_lease() && !m.transfer) {
    auto reply = std::make_shared<RequestVoteReply>();
    reply->term = term();
    reply->vote_granted = false;
    out.send(from, std::move(reply));
    return;
  }
  if (m.term > term()) step_down(m.term, kNoNode, out);
  // Figure 2, RequestVote receiver: refuse a stale term; otherwise grant if we have not voted for
  // someone else in this term and the candidate's log is at least as up-to-date as ours (§5.4.1),
  // which keeps every committed entry in every future leader's log.
  const NodeId voted_for = storage_->voted_for;
  const bool free_to_vote = voted_for == kNoNode || voted_for == from || config_.bugs.vote_twice;
  const bool up_to_date =
      log_.is_up_to_date(m.last_log_term, m.last_log_index) || config_.bugs.skip_log_check;
  const bool grant = m.term == term() && free_to_vote && up_to_date;
  if (grant) {
    if (voted_for != from) persist_term_and_vote(term(), from);  // on disk before the reply
    reset_election_timer();  // §5.2: granting a vote defers our own candidacy...
    pre_candidate_ = false;  // ...and ends a pre-vote round we were running
  }
  auto reply = std::make_shared<RequestVoteReply>();
  reply->term = term();
  reply->vote_granted = grant;
  out.send(from, std::move(reply));
}

void RaftNode::on_request_vote_reply(Address from, const RequestVoteReply& m, Outbox& out) {
  if (m.pre_vote) {
    on_pre_vote_reply(from, m, out);
    return;
  }
  if (m.term > term()) {
    step_down(m.term, kNoNode, out);
    return;
  }
  // A reply to an earlier candidacy, or one that arrives after we won or lost, counts for nothing.
  if (role_ != Role::Candidate || m.term != term() || !m.vote_granted) return;
  auto voter = static_cast<size_t>(from);
  if (votes_[voter]) return;  // the network duplicated the reply
  if (!is_voter(from)) return;  // not a voter of our configuration: its vote counts for nothing
  votes_[voter] = true;
  ++votes_granted_;
  if (votes_granted_ >= majority()) become_leader(out);
}

void RaftNode::become_leader(Outbox& out) {
  assert(role_ == Role::Candidate);
  assert(storage_->voted_for == id_);
  leader_hint_ = id_;
  set_role(Role::Leader, out);
  election_deadline_ = kNever;
  // Figure 2, "Volatile state on leaders": nextIndex starts just past our log, matchIndex at 0.
  // We do not know where each follower's log diverges, so every follower starts probing.
  Progress initial;
  initial.next_index = log_.last_index() + 1;
  initial.heard_at = now_;  // check-quorum: every follower gets a whole window to answer
  progress_.assign(static_cast<size_t>(cluster_size_), initial);
  reset_reads();  // rounds count afresh in each term; no lease until a majority answers one
  // §8: a no-op of our term, so entries of earlier terms get committed as soon as it is
  // (Figure 8), and so reads through the log see every write committed before our election.
  // (The figure8 knob leaves it out too: with it, every message that carries an earlier term's
  // entry also carries our no-op, so counting replicas could never commit the earlier entry alone
  // and the mistake would stay hidden.)
  if (!config_.bugs.figure8) {
    Entry noop;
    noop.term = term();
    noop.noop = true;
    leader_append(std::move(noop), out);
  }
  // Establish our authority at once (§5.2) and start finding where each follower's log matches.
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (replicates_to(peer)) heartbeat(peer, out);
  }
  heartbeat_deadline_ = now_ + config_.heartbeat_interval;
}

}  // namespace synod::raft
