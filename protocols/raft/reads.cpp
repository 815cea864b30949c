// Reads without the log (Raft dissertation §6.4 and §6.4.1; etcd/raft's ReadOnlySafe and
// ReadOnlyLeaseBased).
//
// A read through the log costs an entry, a disk write on a majority and a commit. It only needs
// two facts: which writes had completed when the read arrived (all are in our commit index, since
// only a leader acknowledges writes, and it does so after committing), and that we still lead,
// so no other leader has since committed a newer write.
//
// ReadIndex (§6.4): (1) a new leader first commits an entry of its term (its no-op), until then its
// commit index may be behind what earlier leaders committed; (2) it notes its commit index as the
// read index; (3) it sends a round of heartbeats, and once a majority of voters has answered one of
// that round or a later one it knows that at the moment they answered, after the read arrived, no
// other leader could exist; (4) it answers from its state machine once applied up to the read index.
// Rounds are cheap and batched: each read opens a round (a counter), which every AppendEntries sent
// from then on carries, replication traffic included. A round of heartbeats is broadcast only when
// none is out; the reads that arrive meanwhile are confirmed by whatever AppendEntries leaves next
// (under a write load, the next batch), or at the latest by the broadcast that follows the one out.
// So there is at most one broadcast per round trip however many reads come in, and a heartbeat tick
// resends the latest round to whoever has not answered (nothing extra to do for lost messages).
//
// Lease (§6.4.1): each heartbeat tick is a round; when a majority answers a round sent at time s
// (on our clock), the leader holds a lease until s + election_timeout_min / (1 + max_clock_drift).
// Followers that heard from their leader less than election_timeout_min ago (on their clocks) grant
// no vote (check-quorum's vote lease, election.cpp), so no other leader can be elected before
// the lease ends unless a clock runs faster than the bound, or jumps. Inside the lease a read is
// answered at once; outside it takes the ReadIndex path. Two further rules keep it sound:
//   - a restarted server forgot when it last heard from a leader, so with lease reads it grants no
//     vote for election_timeout_min after it starts (check_quorum.cpp), as if it just had;
//   - a leadership transfer makes the target stand at once, inside every lease (transfer.cpp), so
//     starting one gives up our lease (and no client command is taken while it runs anyway).
// Lease reads need check-quorum (the loader refuses them without it).
#include <algorithm>
#include <functional>
#include <memory>

#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

const char* read_mode_name(ReadMode m) {
  switch (m) {
    case ReadMode::Log: return "log";
    case ReadMode::ReadIndex: return "read-index";
    case ReadMode::Lease: return "lease";
  }
  return "?";
}

bool RaftNode::committed_in_own_term() const { return log_.term_at(commit_index_) == term(); }

void RaftNode::on_read_request(Address from, const Command& c, Outbox& out) {
  if (config_.reads == ReadMode::Lease && committed_in_own_term() && now_ < lease_until_) {
    ++lease_reads_served_;
    answer_read(from, c, out);
    return;
  }
  PendingRead r;
  r.from = from;
  r.command = c;
  // Until our first own-term commit nothing can be read: that commit gives the waiting reads their
  // round (take_waiting_reads).
  if (!committed_in_own_term()) {
    waiting_reads_.push_back(std::move(r));
    return;
  }
  new_read_round();
  r.round = read_round_;
  r.read_index = commit_index_;
  reads_.push_back(std::move(r));
  send_read_round_if_idle(out);
}

void RaftNode::take_waiting_reads(Outbox& out) {
  if (waiting_reads_.empty() || !committed_in_own_term()) return;
  new_read_round();
  for (PendingRead& r : waiting_reads_) {
    r.round = read_round_;
    r.read_index = commit_index_;
    reads_.push_back(std::move(r));
  }
  waiting_reads_.clear();
  send_read_round_if_idle(out);
}

void RaftNode::new_read_round() {
  ++read_round_;
  // Lease: a round's lease runs from when it was opened, which is no later than any message that
  // carries it leaves.
  if (config_.reads == ReadMode::Lease) round_sent_at_.emplace_back(read_round_, now_);
}

void RaftNode::send_read_round_if_idle(Outbox& out) {
  if (reads_.empty() || reads_.back().round <= confirmed_round_) return;  // nothing to confirm
  if (broadcast_round_ > confirmed_round_) return;  // a round is out; this one leaves after it
  broadcast_heartbeats(out);
}

void RaftNode::broadcast_heartbeats(Outbox& out) {
  broadcast_round_ = read_round_;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (replicates_to(peer)) heartbeat(peer, out);
  }
  on_read_round_ack(id_, read_round_, out);  // we count ourselves, as a voter
}

void RaftNode::on_read_round_ack(NodeId peer, uint64_t round, Outbox& out) {
  if (role_ != Role::Leader || config_.reads == ReadMode::Log) return;
  if (peer != id_) {
    uint64_t& acked = progress_[static_cast<size_t>(peer)].acked_round;
    if (round <= acked) return;
    acked = round;
  }
  // The highest round a majority of voters has answered (we have answered every round we sent).
  acked_scratch_.clear();
  for (NodeId n = 0; n < cluster_size_; ++n) {
    if (!is_voter(n)) continue;
    acked_scratch_.push_back(n == id_ ? read_round_
                                      : progress_[static_cast<size_t>(n)].acked_round);
  }
  const auto kth = acked_scratch_.begin() + (majority() - 1);
  std::nth_element(acked_scratch_.begin(), kth, acked_scratch_.end(), std::greater<>());
  if (*kth <= confirmed_round_) return;
  confirmed_round_ = *kth;
  while (!round_sent_at_.empty() && round_sent_at_.front().first <= confirmed_round_) {
    if (round_sent_at_.front().first == confirmed_round_) {
      const auto lease = static_cast<Nanos>(static_cast<double>(config_.election_timeout_min) /
                                            (1.0 + config_.max_clock_drift));
      lease_until_ = std::max(lease_until_, round_sent_at_.front().second + lease);
    }
    round_sent_at_.pop_front();
  }
  serve_ready_reads(out);
  send_read_round_if_idle(out);
}

void RaftNode::serve_ready_reads(Outbox& out) {
  while (!reads_.empty() && reads_.front().round <= confirmed_round_ &&
         reads_.front().read_index <= last_applied_) {
    const PendingRead r = std::move(reads_.front());
    reads_.pop_front();
    answer_read(r.from, r.command, out);
  }
}

void RaftNode::answer_read(Address to, const Command& c, Outbox& out) {
  ++reads_served_;
  const ClientResult r{ReplyStatus::Ok, kv_.get(c.key)};
  out.send(to, std::make_shared<ClientReply>(c.client, c.seq, r, id_));
}

void RaftNode::reset_reads() {
  read_round_ = 0;
  broadcast_round_ = 0;
  confirmed_round_ = 0;
  round_sent_at_.clear();
  lease_until_ = 0;
  waiting_reads_.clear();
  reads_.clear();
}

void RaftNode::fail_reads(Outbox& out) {
  const ClientResult not_leader{ReplyStatus::NotLeader, std::nullopt};
  for (const std::deque<PendingRead>* q : {&waiting_reads_, &reads_}) {
    for (const PendingRead& r : *q) {
      out.send(r.from,
               std::make_shared<ClientReply>(r.command.client, r.command.seq, not_leader,
                                             leader_hint_));
    }
  }
  reset_reads();
}

}  // namespace synod::raft
