// Log replication (Raft paper §5.3): the leader's AppendEntries, the follower's consistency check
// and conflict handling, and the leader's bookkeeping of each follower's progress.
//
// Flow control, per follower: while `probing` the leader sends one AppendEntries at a time from
// nextIndex and waits for its answer; after a success it pipelines, advancing nextIndex as it
// sends. A dropped message shows up as a rejection (or is resent by the next heartbeat), which
// puts the follower back to probing. Rejections that are stale (reordered or duplicated) are
// recognised by their reject_index and ignored.
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

void RaftNode::send_append(NodeId peer, Outbox& out) {
  Progress& p = progress_[static_cast<size_t>(peer)];
  const int64_t prev = p.next_index - 1;
  auto m = std::make_shared<AppendEntries>();
  m->term = term();
  m->leader = id_;
  m->prev_log_index = prev;
  m->prev_log_term = log_.term_at(prev);
  m->leader_commit = commit_index_;
  const int64_t last = std::min(log_.last_index(), prev + config_.max_entries_per_append);
  if (last > prev) {
    m->entries = log_.copy(prev + 1, last);
    if (!p.probing) p.next_index = last + 1;
  }
  out.send(peer, std::move(m));
}

void RaftNode::broadcast_append(Outbox& out) {
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer != id_) send_append(peer, out);
  }
}

void RaftNode::on_append_entries(Nanos now, Address from, const AppendEntries& m, Outbox& out) {
  if (m.term < term()) {  // a deposed leader: our term in the reply tells it so (§5.1)
    reject_append(from, m, out);
    return;
  }
  if (m.term == term() && role_ == Role::Leader) {
    note_violation(fmt::format("AppendEntries from n{} in our own term: two leaders", from));
    return;
  }
  step_down(now, m.term, from, out);  // persists a newer term; a candidate yields (§5.2)
  reset_election_timer(now);          // the leader of our term is alive
  // Figure 2, AppendEntries receiver step 2: our log must hold prevLogIndex with prevLogTerm.
  if (!log_.matches(m.prev_log_index, m.prev_log_term)) {
    reject_append(from, m, out);
    return;
  }
  // Steps 3-4: cut at the first real conflict, keep what matches, append the rest (persisted
  // before the reply leaves). Entries past the message's end are kept: a reordered older message
  // must never remove entries that a newer one delivered.
  const Log::MergeResult merged = log_.merge(m.prev_log_index + 1, m.entries);
  if (merged.truncated_from != 0 && merged.truncated_from <= commit_index_) {
    note_violation(fmt::format("AppendEntries from n{} cut committed entries from {} (commit={})",
                               from, merged.truncated_from, commit_index_));
  }
  // Only prev + entries is known to match the leader's log; a longer tail of ours may not.
  const int64_t match = m.prev_log_index + static_cast<int64_t>(m.entries.size());
  // Step 5: commitIndex = min(leaderCommit, index of last new entry).
  const int64_t commit = std::min(m.leader_commit, match);
  if (commit > commit_index_) advance_commit_to(commit, out);

  auto reply = std::make_shared<AppendEntriesReply>();
  reply->term = term();
  reply->success = true;
  reply->match_index = match;
  out.send(from, std::move(reply));
}

void RaftNode::reject_append(Address to, const AppendEntries& m, Outbox& out) {
  auto reply = std::make_shared<AppendEntriesReply>();
  reply->term = term();
  reply->success = false;
  reply->reject_index = m.prev_log_index;
  // End of §5.3: tell the leader enough to skip a whole conflicting term (or our whole missing
  // tail) in one round trip.
  if (m.prev_log_index > log_.last_index()) {
    reply->conflict_term = 0;
    reply->conflict_index = log_.last_index() + 1;
  } else if (m.prev_log_index >= 1) {
    reply->conflict_term = log_.term_at(m.prev_log_index);
    reply->conflict_index = log_.first_index_of_term(reply->conflict_term);
  }
  out.send(to, std::move(reply));
}

void RaftNode::on_append_entries_reply(Nanos now, Address from, const AppendEntriesReply& m,
                                       Outbox& out) {
  if (m.term > term()) {
    step_down(now, m.term, kNoNode, out);
    return;
  }
  if (role_ != Role::Leader || m.term != term()) return;  // answers an earlier term's message
  if (!m.success) {
    on_rejected_append(from, m, out);
    return;
  }
  Progress& p = progress_[static_cast<size_t>(from)];
  if (m.match_index > log_.last_index()) {
    note_violation(fmt::format("n{} claims match={} beyond our last index {}", from,
                               m.match_index, log_.last_index()));
    return;
  }
  // Replies arrive out of order: matchIndex only ever grows within a term.
  if (m.match_index > p.match_index) {
    p.match_index = m.match_index;
    advance_leader_commit(out);
  }
  p.probing = false;
  p.next_index = std::max(p.next_index, p.match_index + 1);
  if (p.next_index <= log_.last_index()) send_append(from, out);  // keep a lagging one coming
}

void RaftNode::on_rejected_append(NodeId peer, const AppendEntriesReply& m, Outbox& out) {
  Progress& p = progress_[static_cast<size_t>(peer)];
  // Stale: it rejects an index the follower has since confirmed, or (while probing) a probe
  // other than our latest one. Acting on it would only resend what the follower has.
  if (m.reject_index <= p.match_index) return;
  if (p.probing && m.reject_index != p.next_index - 1) return;
  // Fast backup (end of §5.3): if we hold the follower's conflicting term, resume just after our
  // last entry of it; otherwise skip the follower's whole run of that term (or, when its log is
  // too short, go straight to its end).
  int64_t next = m.conflict_index;
  if (m.conflict_term != 0) {
    const int64_t ours = log_.last_index_of_term(m.conflict_term);
    if (ours != 0) next = ours + 1;
  }
  next = std::min(next, m.reject_index);     // always move back past the rejected index
  next = std::max(next, p.match_index + 1);  // never below what is known to match
  p.next_index = next;
  p.probing = true;
  send_append(peer, out);
}

}  // namespace synod::raft
