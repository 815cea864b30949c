// The node's own invariants, in the manner of LogCabin's Invariants.cc: state checks on what the
// node holds now, and delta checks against what it held when last checked. The driver calls
// check_invariants() after every input; each violation is one readable line naming the node, its
// term and the values involved. Conditions that can only be seen inside a step (a second leader
// in our term, a cut below the commit index) are noted there and reported here.
//
// Cost: O(cluster size + entries written since the last call), so it can run after every step.
#include <fmt/format.h>

#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

std::vector<std::string> RaftNode::check_invariants() {
  std::vector<std::string> v = std::move(violations_);
  violations_.clear();
  check_state(v);
  if (role_ == Role::Leader) check_leader_state(v);
  check_deltas(v);

  checked_.valid = true;
  checked_.term = term();
  checked_.voted_for = storage_->voted_for;
  checked_.role = role_;
  checked_.commit_index = commit_index_;
  const bool commit_in_log = commit_index_ <= log_.last_index();
  checked_.commit_term = commit_in_log ? log_.term_at(commit_index_) : 0;
  checked_.last_applied = last_applied_;
  checked_.writes = storage_->writes;
  checked_.quorum_step_downs = quorum_step_downs_;
  checked_.removal_step_downs = removal_step_downs_;
  checked_.match_index.clear();
  for (const Progress& p : progress_) checked_.match_index.push_back(p.match_index);
  return v;
}

std::string RaftNode::tag() const { return fmt::format("n{} t={}", id_, term()); }

void RaftNode::note_violation(const std::string& what) { flag(violations_, what); }

// Formats the node's tag only for a violation: the checks run after every input.
void RaftNode::flag(std::vector<std::string>& v, const std::string& what) const {
  v.push_back(tag() + ": " + what);
}

void RaftNode::check_state(std::vector<std::string>& v) {
  const int64_t last = log_.last_index();
  if (last_applied_ > commit_index_) {
    flag(v, fmt::format("lastApplied {} > commitIndex {}", last_applied_, commit_index_));
  }
  if (commit_index_ > last) {
    flag(v, fmt::format("commitIndex {} > last log index {}", commit_index_, last));
  }
  // Entries come from leaders of terms we have already seen (§5.3).
  if (log_.last_term() > term()) {
    flag(v, fmt::format("last log term {} > current term {}", log_.last_term(), term()));
  }
  // Terms never decrease along the log; checked over the entries written since last time.
  for (int64_t i = std::max<int64_t>(1, log_.take_lowest_written()); i <= last; ++i) {
    if (log_.term_at(i) < std::max<int64_t>(1, log_.term_at(i - 1))) {
      flag(v,
           fmt::format("log term {} at {} after term {}", log_.term_at(i), i, log_.term_at(i - 1)));
      break;
    }
  }
  if (role_ != Role::Follower && storage_->voted_for != id_) {
    flag(v, fmt::format("{} voted for n{}, not itself", role_name(role_), storage_->voted_for));
  }
  if ((role_ == Role::Leader) != (leader_hint_ == id_)) {
    flag(v, fmt::format("{} names n{} as leader", role_name(role_), leader_hint_));
  }
  if (role_ == Role::Candidate && votes_granted_ >= majority()) {
    flag(v, fmt::format("candidate holds {} votes of {} and is not leader", votes_granted_,
                        cluster_size_));
  }
  // A pre-candidate is a follower that knows no leader (it timed out on it), and goes on to a
  // real election the moment it holds a majority of pre-votes.
  if (pre_candidate_) {
    if (!config_.pre_vote) flag(v, "pre-vote round with pre_vote off");
    if (role_ != Role::Follower) flag(v, fmt::format("pre-candidate is a {}", role_name(role_)));
    if (leader_hint_ != kNoNode) {
      flag(v, fmt::format("pre-candidate names n{} as leader", leader_hint_));
    }
    if (votes_granted_ >= majority()) {
      flag(v, fmt::format("pre-candidate holds {} pre-votes of {} and is not a candidate",
                          votes_granted_, cluster_size_));
    }
  }
  if (role_ != Role::Follower && !held_.empty()) {
    flag(v, fmt::format("{} holds {} AppendEntries", role_name(role_), held_.size()));
  }
  if (held_.size() > kMaxInflightAppends) {
    flag(v, fmt::format("holds {} AppendEntries", held_.size()));
  }
  for (const auto& [prev, m] : held_) {  // held messages die with their term
    if (m.term != term()) {
      flag(v, fmt::format("holds an AppendEntries of term {} (prev={})", m.term, prev));
    }
  }
  if (role_ != Role::Leader && !pending_.empty()) {
    flag(v, fmt::format("{} holds {} pending client requests", role_name(role_), pending_.size()));
  }
  if (next_timer() == kNever) {  // a node with no timer would wait forever for a leader
    flag(v, fmt::format("{} has no timer armed", role_name(role_)));
  }
}

void RaftNode::check_leader_state(std::vector<std::string>& v) {
  const int64_t last = log_.last_index();
  // §8: a leader appends a no-op of its term on election, so its log ends in its own term (not
  // with the figure8 knob, which leaves the no-op out on purpose: what it breaks is caught later).
  if (log_.last_term() != term() && !config_.bugs.figure8) {
    flag(v, fmt::format("leader's last log term {} is not its term", log_.last_term()));
  }
  if (progress_.size() != static_cast<size_t>(cluster_size_)) {
    flag(v, fmt::format("leader tracks {} followers of {}", progress_.size(), cluster_size_));
    return;
  }
  for (NodeId n = 0; n < cluster_size_; ++n) {
    if (n == id_) continue;
    const Progress& p = progress_[static_cast<size_t>(n)];
    if (p.match_index > last) {
      flag(v, fmt::format("matchIndex[n{}]={} > last log index {}", n, p.match_index, last));
    }
    if (p.next_index <= p.match_index || p.next_index > last + 1) {
      flag(v, fmt::format("nextIndex[n{}]={} outside [matchIndex+1={}, last+1={}]", n, p.next_index,
                          p.match_index + 1, last + 1));
    }
    if (p.probing && !p.inflight.empty()) {
      flag(v, fmt::format("probing n{} with {} batches in flight", n, p.inflight.size()));
    }
    if (p.inflight.size() > kMaxInflightAppends) {
      flag(v, fmt::format("{} batches in flight to n{}", p.inflight.size(), n));
    }
    // In-flight batches end above matchIndex, below nextIndex, in increasing order.
    int64_t below = p.match_index;
    for (const Progress::Batch& b : p.inflight) {
      const int64_t end = b.last;
      if (end <= below || end >= p.next_index) {
        flag(v, fmt::format("in-flight batch to n{} ends at {}, outside ({}, {})", n, end, below,
                            p.next_index));
        break;
      }
      below = end;
    }
  }
}

void RaftNode::check_deltas(std::vector<std::string>& v) {
  if (!checked_.valid) return;
  const Snapshot& was = checked_;
  if (term() < was.term) flag(v, fmt::format("term decreased {} -> {}", was.term, term()));
  if (term() == was.term && was.voted_for != kNoNode && storage_->voted_for != was.voted_for) {
    flag(v, fmt::format("vote changed within the term: n{} -> n{}", was.voted_for,
                        storage_->voted_for));
  }
  if (commit_index_ < was.commit_index) {
    flag(v, fmt::format("commitIndex decreased {} -> {}", was.commit_index, commit_index_));
  }
  if (last_applied_ < was.last_applied) {
    flag(v, fmt::format("lastApplied decreased {} -> {}", was.last_applied, last_applied_));
  }
  // A committed entry never changes (State Machine Safety); checked at the old commit point.
  if (was.commit_index > 0 && was.commit_index <= log_.last_index() &&
      log_.term_at(was.commit_index) != was.commit_term) {
    flag(v, fmt::format("committed entry {} changed term {} -> {}", was.commit_index,
                        was.commit_term, log_.term_at(was.commit_index)));
  }
  if (storage_->writes < was.writes) {
    flag(v, fmt::format("storage write count went back {} -> {}", was.writes, storage_->writes));
  }
  // A leader leaves office only on seeing a higher term (§5.1), by check-quorum, or once its own
  // removal from the configuration committed (§4.2.2) — and then it is no voter.
  if (was.role == Role::Leader && term() == was.term && role_ != Role::Leader &&
      quorum_step_downs_ == was.quorum_step_downs &&
      (removal_step_downs_ == was.removal_step_downs || is_voter(id_))) {
    flag(v, fmt::format("leader became {} within its term", role_name(role_)));
  }
  if (role_ == Role::Leader && !is_voter(id_) && config_index_ <= commit_index_) {
    flag(v, "leads after its removal committed");
  }
  if (quorum_step_downs_ != was.quorum_step_downs && !config_.check_quorum) {
    flag(v, "check-quorum step-down with check_quorum off");
  }
  // Pre-vote never persists anything: a round starts on a timer that writes nothing, and every
  // step that would write (a real vote, a leader's entries, a newer term) ends the round first.
  // Together with the check in on_pre_vote, a pre-vote changes no one's term or vote.
  if (pre_candidate_ && storage_->writes != was.writes) {
    flag(v, fmt::format("pre-candidate wrote storage ({} -> {} writes; term {} -> {})", was.writes,
                        storage_->writes, was.term, term()));
  }
  if (was.role == Role::Leader && role_ == Role::Leader && term() == was.term &&
      was.match_index.size() == progress_.size()) {
    for (size_t n = 0; n < progress_.size(); ++n) {
      if (progress_[n].match_index < was.match_index[n]) {
        flag(v, fmt::format("matchIndex[n{}] decreased {} -> {}", n, was.match_index[n],
                            progress_[n].match_index));
      }
    }
  }
}

}  // namespace synod::raft
