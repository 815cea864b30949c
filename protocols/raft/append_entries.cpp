// Log replication, the follower's side (Raft paper §5.3, Figure 2 "AppendEntries RPC"): the
// consistency check, conflict truncation, the commit index learned from the leader, and the
// answers that let the leader back up quickly.
//
// Reordering: a pipelined AppendEntries (sent right behind unacknowledged ones) that starts
// beyond our log has most likely overtaken its predecessor in the network. Rather than reject it
// (and make the leader start over), we hold it, up to kMaxInflightAppends messages, and handle
// it once the gap is filled; if the gap was lost, the leader resends it after a heartbeat
// interval.
// Holding a message is the same as the network delaying it, which Raft tolerates by design; held
// messages die with the term (or a restart). When the hold is full we reject as Figure 2 says.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

void RaftNode::on_append_entries(Address from, const AppendEntries& m, Outbox& out) {
  if (m.term < term()) {  // a deposed leader: our term in the reply tells it so (§5.1)
    reject_append(from, m, out);
    return;
  }
  if (m.term == term() && role_ == Role::Leader) {
    note_violation(fmt::format("AppendEntries from n{} in our own term: two leaders", from));
    return;
  }
  step_down(m.term, from, out);  // persists a newer term; a candidate yields (§5.2)
  reset_election_timer();        // the leader of our term is alive
  leader_contact_at_ = now_;     // and its lease (pre_vote.cpp, check_quorum.cpp) starts again
  if (m.pipelined && m.prev_log_index > log_.last_index() && held_.size() < kMaxInflightAppends) {
    held_.try_emplace(m.prev_log_index, m);  // ahead of a predecessor still on its way
    return;
  }
  // Figure 2, AppendEntries receiver step 2: our log must hold prevLogIndex with prevLogTerm.
  if (!log_.matches(m.prev_log_index, m.prev_log_term)) {
    reject_append(from, m, out);
    return;
  }
  accept_append(from, m, out);
  // The gap may now be filled for messages we held.
  while (!held_.empty() && held_.begin()->first <= log_.last_index()) {
    const AppendEntries next = std::move(held_.begin()->second);
    held_.erase(held_.begin());
    if (log_.matches(next.prev_log_index, next.prev_log_term)) {
      accept_append(from, next, out);
    } else {
      reject_append(from, next, out);
    }
  }
}

// Steps 3-5 for a message that passed the consistency check.
void RaftNode::accept_append(Address from, const AppendEntries& m, Outbox& out) {
  // Steps 3-4: cut at the first real conflict, keep what matches, append the rest (persisted
  // before the reply leaves). Entries past the message's end are kept: a reordered older message
  // must never remove entries that a newer one delivered.
  Log::MergeResult merged = log_.merge(m.prev_log_index + 1, m.entries);
  if (config_.bugs.truncate_suffix &&
      log_.last_index() > std::max(commit_index_, m.prev_log_index + static_cast<int64_t>(m.entries.size()))) {
    // The knob: "delete everything after the new entries", matching or not (Figure 2 step 3
    // says only on a conflict). A late, older AppendEntries then removes what a newer one
    // delivered and this follower already acknowledged.
    // (Never below our own commit index: that would be a follower destroying what it applied,
    // which the node invariant names at once; the danger is the acknowledged, not yet known
    // committed, tail the leader has counted.)
    const int64_t keep =
        std::max(commit_index_, m.prev_log_index + static_cast<int64_t>(m.entries.size()));
    if (merged.truncated_from == 0 || merged.truncated_from > keep + 1) merged.truncated_from = keep + 1;
    log_.cut_after(keep);
    merged.changed = true;
  }
  if (merged.truncated_from != 0 && merged.truncated_from <= commit_index_) {
    note_violation(fmt::format("AppendEntries from n{} cut committed entries from {} (commit={})",
                               from, merged.truncated_from, commit_index_));
  }
  // §4.1: a configuration is in force from its append, and a cut one no longer is.
  if (merged.changed) {
    bool config_touched = merged.truncated_from != 0 && merged.truncated_from <= config_index_;
    for (const Entry& e : m.entries) config_touched |= e.is_config();
    if (config_touched) refresh_config();
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
  reply->read_round = m.read_round;
  out.send(from, std::move(reply));
}

void RaftNode::reject_append(Address to, const AppendEntries& m, Outbox& out) {
  auto reply = std::make_shared<AppendEntriesReply>();
  reply->term = term();
  reply->success = false;
  reply->reject_index = m.prev_log_index;
  reply->read_round = m.read_round;
  // End of §5.3: tell the leader enough to skip a whole conflicting term (or our whole missing
  // tail) in one round trip. A deposed leader only needs our term.
  if (m.term < term()) {
    // nothing more
  } else if (m.prev_log_index > log_.last_index()) {
    reply->conflict_term = 0;
    reply->conflict_index = log_.last_index() + 1;
  } else if (m.prev_log_index >= 1) {
    reply->conflict_term = log_.term_at(m.prev_log_index);
    reply->conflict_index = log_.first_index_of_term(reply->conflict_term);
  }
  out.send(to, std::move(reply));
}

}  // namespace synod::raft
