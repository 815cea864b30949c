// Pre-vote (Raft dissertation §9.6; etcd/raft's PreVote): before a real election, a follower whose
// election timer fired asks the others whether they would vote for it in term + 1, without
// touching its term or its vote, and stands for election only if a majority say yes.
//
// Why: a node cut off from the cluster times out again and again. Plain Raft has it raise its
// term each time, so when it rejoins, its higher term makes the healthy leader step down (through
// any reply it sends) and forces a needless election, which the rejoining node usually cannot even
// win (its log is behind). With pre-vote its term stays where it was, and it rejoins as a follower.
//
// The rules:
//   - The pre-candidate is a follower with a pre-vote round running (pre_candidate_); it is not a
//     Role of its own, since to the others and to the recorder it is a follower: same term, same
//     vote, and it still follows a leader of its term (any AppendEntries of its term ends the
//     round, as does any higher term). A candidate whose election timed out also goes back
//     through a pre-vote round (as in etcd/raft), so a candidate that has been cut off stops
//     raising its term too; that is a "follower" Role event within the term.
//   - PreVote carries the term the sender would stand in (its term + 1) and its last log entry.
//   - A peer grants it if that term is above its own, the sender's log is at least as up-to-date
//     as its own (§5.4.1, the same rule as a real vote), and it has not heard from a leader of its
//     term within election_timeout_min (leader stickiness, §9.6: it believes a leader is alive).
//     Whether it has voted in its own term does not matter: the question is about a later term.
//   - Answering writes nothing and changes nothing: not the term, not the vote, not the election
//     timer (only a real vote defers one's own candidacy).
//   - A grant carries the term it was granted for (the sender's term + 1); the pre-candidate counts
//     it only while its round runs and that is still its term + 1, and never adopts that term,
//     which no one has actually reached. A refusal carries the voter's own term; a pre-candidate
//     behind it adopts it, like any newer term (Figure 2, All Servers). Neither ever makes the
//     voter or the pre-candidate step down otherwise.
//   - With a majority of grants (counting its own), the pre-candidate starts a real election.
//     Pre-vote is only an optimisation: safety rests on the real election, which is unchanged.
#include <fmt/format.h>

#include <memory>

#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

void RaftNode::start_pre_vote(Outbox& out) {
  if (role_ != Role::Follower) set_role(Role::Follower, out);  // a candidate whose election failed
  pre_candidate_ = true;
  leader_hint_ = kNoNode;  // we timed out on whoever it was
  votes_.assign(static_cast<size_t>(cluster_size_), false);
  votes_[static_cast<size_t>(id_)] = true;
  votes_granted_ = 1;
  reset_election_timer();              // an unanswered round times out and a new one starts
  if (votes_granted_ >= majority()) {  // a single-node cluster needs nobody's opinion
    start_election(out);
    return;
  }
  auto rv = std::make_shared<RequestVote>();
  rv->pre_vote = true;
  rv->term = term() + 1;
  rv->candidate = id_;
  rv->last_log_index = log_.last_index();
  rv->last_log_term = log_.last_term();
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_ && is_voter(peer)) out.send(peer, rv);
  }
}

void RaftNode::on_pre_vote(Address from, const RequestVote& m, Outbox& out) {
  const uint64_t writes = storage_->writes;
  const NodeId voted_for = storage_->voted_for;
  const int64_t term_before = term();
  const Nanos deadline = election_deadline_;
  const bool grant = m.term > term() && !is_in_leader_lease() &&
                     log_.is_up_to_date(m.last_log_term, m.last_log_index);
  auto reply = std::make_shared<RequestVoteReply>();
  reply->pre_vote = true;
  reply->term = grant ? m.term : term();
  reply->vote_granted = grant;
  out.send(from, std::move(reply));
  // Paired with the delta checks in invariants.cpp: answering a pre-vote persists nothing.
  if (storage_->writes != writes || storage_->voted_for != voted_for || term() != term_before ||
      election_deadline_ != deadline) {
    note_violation(fmt::format("answering a pre-vote from n{} changed term/vote/timer", from));
  }
}

void RaftNode::on_pre_vote_reply(Address from, const RequestVoteReply& m, Outbox& out) {
  if (!m.vote_granted) {
    // The voter's own term: if newer, we are behind and must catch up (this ends the round).
    // A refusal for any other reason changes nothing: we wait for the round to time out.
    if (m.term > term()) step_down(m.term, kNoNode, out);
    return;
  }
  // A grant from an earlier round at a lower term, or one arriving after the round ended (we
  // became a candidate, or found a leader or a newer term), counts for nothing. A late grant from
  // an earlier round at this same term does count: it answered the same question (etcd/raft does
  // the same), and at worst it starts an election that plain Raft would have started anyway.
  if (!pre_candidate_ || m.term != term() + 1) return;
  auto voter = static_cast<size_t>(from);
  if (votes_[voter]) return;  // the network duplicated the reply
  if (!is_voter(from)) return;  // not a voter of our configuration
  votes_[voter] = true;
  ++votes_granted_;
  if (votes_granted_ >= majority()) start_election(out);
}

}  // namespace synod::raft
