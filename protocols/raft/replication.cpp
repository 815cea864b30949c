// Log replication, the leader's side (Raft paper §5.3): what to send each follower and what to
// make of its answers. The follower's side is in append_entries.cpp.
//
// Flow control per follower, in the manner of etcd/raft's probe and replicate states:
//   - probing: the leader does not know where the follower's log matches its own, so it sends one
//     AppendEntries from nextIndex (with up to max_entries_per_append entries), and sends it again
//     on each heartbeat until answered. A rejection moves nextIndex back (fast backup, end of
//     §5.3); a success switches to pipelining.
//   - pipelining: the leader sends batches back to back, nextIndex running ahead of the replies,
//     with at most kMaxInflightAppends unacknowledged. Followers hold batches that overtake their
//     predecessors (append_entries.cpp), so reordering costs nothing; a batch unanswered for a
//     heartbeat interval is presumed lost and everything from matchIndex + 1 is sent again. A
//     rejection (a real conflict, or a follower whose hold is full) goes back to probing.
// Stale rejections (reordered or duplicated) are recognised by their reject_index and ignored.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

// One AppendEntries with entries [first, first + max_entries) that the log holds (maybe none).
// Returns the last index sent (first - 1 if none).
int64_t RaftNode::send_append(NodeId peer, int64_t first, int64_t max_entries, Outbox& out,
                              bool pipelined) {
  const int64_t prev = first - 1;
  auto m = std::make_shared<AppendEntries>();
  m->term = term();
  m->leader = id_;
  m->prev_log_index = prev;
  m->prev_log_term = log_.term_at(prev);
  m->leader_commit = commit_index_;
  m->pipelined = pipelined;
  m->read_round = read_round_;  // 0 with log reads
  const int64_t last = std::min(log_.last_index(), prev + max_entries);
  if (last > prev) m->entries = log_.copy(first, last);
  out.send(peer, std::move(m));
  return last;
}

// Pipelining: send what the follower lacks while the window has room.
void RaftNode::replicate(NodeId peer, Outbox& out) {
  Progress& p = progress_[static_cast<size_t>(peer)];
  if (p.probing) return;  // one probe at a time; it is resent on heartbeats
  while (p.next_index <= log_.last_index() && p.inflight.size() < kMaxInflightAppends) {
    // Only a batch behind unacknowledged ones has a predecessor a follower could wait for.
    const bool pipelined = !p.inflight.empty();
    const int64_t last =
        send_append(peer, p.next_index, config_.max_entries_per_append, out, pipelined);
    p.inflight.push_back({last, now_});
    p.next_index = last + 1;
  }
}

void RaftNode::heartbeat(NodeId peer, Outbox& out) {
  Progress& p = progress_[static_cast<size_t>(peer)];
  if (p.probing) {
    send_append(peer, p.next_index, config_.max_entries_per_append, out);  // (re)send the probe
    return;
  }
  // The oldest batch (or its answer) has been out for a whole heartbeat interval, much longer
  // than a round trip should take (§5.6: broadcastTime << electionTimeout): presume it lost and
  // send everything from matchIndex + 1 again. The follower ignores what it already holds.
  if (!p.inflight.empty() && now_ - p.inflight.front().sent_at >= config_.heartbeat_interval) {
    p.inflight.clear();
    p.next_index = p.match_index + 1;
    replicate(peer, out);
    return;
  }
  // An empty AppendEntries at what the follower is known to hold always passes the consistency
  // check; it asserts our term and carries the commit index.
  send_append(peer, p.match_index + 1, 0, out);
  replicate(peer, out);
}

void RaftNode::start_probing(Progress& p, int64_t next_index) {
  p.probing = true;
  p.inflight.clear();
  p.next_index = next_index;
}

void RaftNode::on_append_entries_reply(Address from, const AppendEntriesReply& m, Outbox& out) {
  if (m.term > term()) {
    step_down(m.term, kNoNode, out);
    return;
  }
  if (role_ != Role::Leader || m.term != term()) return;  // answers an earlier term's message
  // Any answer of our term, even a rejection, shows the follower still takes us as its leader.
  progress_[static_cast<size_t>(from)].heard_at = now_;
  if (!m.success) {
    on_rejected_append(from, m, out);
  } else {
    on_accepted_append(from, m, out);
  }
  // Reads (reads.cpp): last, as confirming a round may start the next one, which sends to everyone.
  if (m.read_round != 0 && role_ == Role::Leader) on_read_round_ack(from, m.read_round, out);
}

void RaftNode::on_accepted_append(NodeId from, const AppendEntriesReply& m, Outbox& out) {
  Progress& p = progress_[static_cast<size_t>(from)];
  if (m.match_index > log_.last_index()) {
    note_violation(fmt::format("n{} claims match={} beyond our last index {}", from, m.match_index,
                               log_.last_index()));
    return;
  }
  // Replies arrive out of order: matchIndex only ever grows within a term.
  if (m.match_index > p.match_index) {
    p.match_index = m.match_index;
    while (!p.inflight.empty() && p.inflight.front().last <= p.match_index) {
      p.inflight.pop_front();
    }
    advance_leader_commit(out);
  }
  if (p.probing) {  // the probe found where our logs match: from here on, pipeline
    p.probing = false;
    p.inflight.clear();
  }
  p.next_index = std::max(p.next_index, p.match_index + 1);
  replicate(from, out);
  if (from == transfer_to_) send_timeout_now_if_ready(from, out);
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
  start_probing(p, next);
  send_append(peer, p.next_index, config_.max_entries_per_append, out);
}

}  // namespace synod::raft
