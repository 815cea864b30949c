// Commitment and apply (Raft paper §5.3, §5.4.2 and Figure 8): when an entry counts as committed,
// and feeding committed entries, in log order, to the KV state machine.
#include <algorithm>
#include <functional>

#include "protocols/raft/raft_node.hpp"

namespace synod::raft {

namespace {
// "config 0 1 3": a configuration entry's voters, as apply events name it.
std::string config_text(const std::vector<NodeId>& voters) {
  std::string s = "config";
  for (NodeId n : voters) s += " " + std::to_string(n);
  return s;
}
}  // namespace

void RaftNode::advance_leader_commit(Outbox& out) {
  if (role_ != Role::Leader) return;
  // Figure 2, "Leaders": the highest N stored on a majority (our own log counts as stored up to
  // its end) is the majority-th largest match index.
  // Only the configuration's voters count (a leader being removed does not count itself, §4.2.2).
  match_scratch_.clear();
  for (NodeId n = 0; n < cluster_size_; ++n) {
    if (!is_voter(n)) continue;
    match_scratch_.push_back(n == id_ ? log_.last_index()
                                      : progress_[static_cast<size_t>(n)].match_index);
  }
  const auto kth = match_scratch_.begin() + (majority() - 1);
  std::nth_element(match_scratch_.begin(), kth, match_scratch_.end(), std::greater<>());
  const int64_t n = *kth;
  if (n <= commit_index_) return;
  // §5.4.2 / Figure 8: an entry of an earlier term is never committed by counting its replicas:
  // a future leader could still overwrite it. Only an entry of our own term commits by counting,
  // and commits everything before it with it. (Lower N have terms no higher than log[N]'s, so if
  // log[N] is not of our term, nothing above commit_index_ can be committed now.)
  if (log_.term_at(n) != term() && !config_.bugs.figure8) return;
  advance_commit_to(n, out);
}

void RaftNode::advance_commit_to(int64_t index, Outbox& out) {
  commit_index_ = index;
  ProtocolEvent e;
  e.type = EventType::Commit;
  e.term = term();
  e.index = index;
  out.event(std::move(e));
  apply_committed(out);
  if (role_ == Role::Leader && config_.reads != ReadMode::Log) {
    serve_ready_reads(out);
    take_waiting_reads(out);  // the reads that waited for our first own-term commit
  }
  step_down_if_removed(out);
}

void RaftNode::apply_committed(Outbox& out) {
  // Figure 2, "All Servers": while commitIndex > lastApplied, apply log[++lastApplied].
  while (last_applied_ < commit_index_) {
    const int64_t index = ++last_applied_;
    const Entry& entry = log_.at(index);
    ProtocolEvent e;
    e.type = EventType::Apply;
    e.term = term();
    e.index = index;
    e.entry_term = entry.term;
    e.command = entry.noop ? "noop" : entry.is_config() ? config_text(entry.config)
                                                        : entry.command.describe();
    out.event(std::move(e));
    if (entry.noop || entry.is_config()) continue;
    // The KvStore recognises a (client, seq) it has applied before and returns the first result
    // instead of executing it twice (dissertation §6.3).
    const ClientResult result = kv_.apply(entry.command);
    if (role_ == Role::Leader) reply_to_pending(entry.command, result, out);
  }
}

}  // namespace synod::raft
