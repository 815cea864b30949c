// Dispatch of inputs, the rules every server follows whatever its role (Figure 2, "Rules for
// Servers: All Servers"), role changes and their events, persistence and timers.
#include "protocols/raft/raft_node.hpp"

#include <fmt/format.h>

#include <cassert>

#include "protocols/raft/messages.hpp"

namespace synod::raft {

const char* role_name(Role r) {
  switch (r) {
    case Role::Follower: return "follower";
    case Role::Candidate: return "candidate";
    case Role::Leader: return "leader";
  }
  return "?";
}

RaftNode::RaftNode(NodeId id, int cluster_size, Config config, Storage* storage, Rng rng)
    : id_(id),
      cluster_size_(cluster_size),
      config_(config),
      storage_(storage),
      rng_(rng),
      log_(storage) {
  assert(storage != nullptr);
  assert(cluster_size >= 1);
  assert(id >= 0 && id < cluster_size);
  assert(config.election_timeout_min > 0);
  assert(config.election_timeout_min <= config.election_timeout_max);
  assert(config.heartbeat_interval > 0);
  assert(config.max_entries_per_append >= 1);
  refresh_config();
}

void RaftNode::start(Nanos now, Outbox& out) {
  now_ = now;
  if (config_.bugs.forget_vote) storage_->voted_for = kNoNode;  // it never reached the disk
  // Every incarnation begins as a follower (§5.2) that knows of no leader and, its commit index
  // being volatile, has applied nothing yet (Figure 2).
  leader_hint_ = kNoNode;
  started_at_ = now;
  set_role(Role::Follower, out);
  reset_election_timer();
}

void RaftNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  now_ = now;
  switch (m.kind()) {
    case MsgKind::ClientRequest:
      on_client_request(from, static_cast<const ClientRequest&>(m), out);
      return;
    case MsgKind::RaftRequestVote:
      if (is_peer(from)) on_request_vote(from, static_cast<const RequestVote&>(m), out);
      return;
    case MsgKind::RaftRequestVoteReply:
      if (is_peer(from)) {
        on_request_vote_reply(from, static_cast<const RequestVoteReply&>(m), out);
      }
      return;
    case MsgKind::RaftAppendEntries:
      if (is_peer(from)) on_append_entries(from, static_cast<const AppendEntries&>(m), out);
      return;
    case MsgKind::RaftAppendEntriesReply:
      if (is_peer(from)) {
        on_append_entries_reply(from, static_cast<const AppendEntriesReply&>(m), out);
      }
      return;
    case MsgKind::RaftTimeoutNow:
      if (is_peer(from)) on_timeout_now(from, static_cast<const TimeoutNow&>(m), out);
      return;
    default: return;  // not addressed to a Raft server (a ClientReply, another protocol's message)
  }
}

void RaftNode::on_timer(Nanos now, Outbox& out) {
  now_ = now;
  if (role_ == Role::Leader) {
    // §5.2: leaders send periodic heartbeats to keep their authority; each heartbeat is also when
    // we notice and retry what a lossy network dropped.
    if (now < heartbeat_deadline_) return;
    if (config_.check_quorum) {
      check_quorum(out);
      if (role_ != Role::Leader) return;
    }
    heartbeat_deadline_ = now + config_.heartbeat_interval;
    if (transfer_to_ != kNoNode && now >= transfer_until_) transfer_to_ = kNoNode;  // gave up
    if (config_.reads == ReadMode::Lease) new_read_round();  // renews the lease (reads.cpp)
    broadcast_heartbeats(out);
    maybe_change_config(out);
    return;
  }
  // §5.2: no word from a leader and no vote granted for a whole election timeout. A server that is
  // not a voter of its configuration (a learner, a spare, a removed server) never stands.
  if (now < election_deadline_) return;
  if (!is_voter(id_)) {
    reset_election_timer();
    return;
  }
  on_election_timeout(out);
}

Nanos RaftNode::next_timer() const {
  return role_ == Role::Leader ? heartbeat_deadline_ : election_deadline_;
}

const std::vector<BugKnob>& bug_knobs() {
  static const std::vector<BugKnob> knobs = {
      {"figure8", &Bugs::figure8,
       "a leader commits an entry of an earlier term once a majority holds it (Figure 8; and "
       "appends no no-op on election, which would hide it): a later leader can overwrite it"},
      {"vote-twice", &Bugs::vote_twice, "two candidates get a vote from the same server in one term"},
      {"skip-log-check", &Bugs::skip_log_check,
       "a candidate missing committed entries can win and overwrite them (§5.4.1)"},
      {"forget-vote", &Bugs::forget_vote,
       "a server that restarts votes again in the same term (the vote must be persisted)"},
      {"minority-quorum", &Bugs::minority_quorum,
       "n/2 counts as a majority: two leaders in one term, entries committed on disjoint halves"},
      {"local-reads", &Bugs::local_reads,
       "a deposed leader that does not know it yet answers reads from a stale state machine"},
      {"truncate-suffix", &Bugs::truncate_suffix,
       "a follower cuts its log after every AppendEntries' last entry: a late, reordered older "
       "one removes entries it acknowledged, so a committed entry can be held by a minority"},
  };
  return knobs;
}

std::string RaftNode::describe() const {
  return fmt::format("n{} {} t={} last={} commit={}", id_,
                     pre_candidate_ ? "pre-candidate" : role_name(role_), term(), log_.last_index(),
                     commit_index_);
}

// Figure 2, "All Servers": a message with a higher term makes us a follower of that term; §5.2:
// a candidate (or, impossibly, a second leader) that hears from a leader of its own term steps
// down too. `leader` is the sender when it is that term's leader, else kNoNode. Check-quorum
// also calls it, with our own term and no leader. Either way a pre-vote round is over: there is a
// leader of our term to follow, or a newer term to stand in.
void RaftNode::step_down(int64_t term, NodeId leader, Outbox& out) {
  assert(term >= this->term());
  pre_candidate_ = false;
  if (term > this->term()) {
    persist_term_and_vote(term, kNoNode);
    held_.clear();  // held AppendEntries belong to the old term's leader
  }
  leader_hint_ = leader;
  transfer_to_ = kNoNode;
  if (role_ == Role::Follower) return;
  const bool was_leader = role_ == Role::Leader;
  set_role(Role::Follower, out);
  if (!was_leader) return;
  // Our pending clients cannot learn their fate from us any more. Telling them NotLeader is safe:
  // they retry with the same seq, and the KvStore's dedup makes the retry idempotent (§6.3).
  fail_pending(out);
  fail_reads(out);
  progress_.clear();
  heartbeat_deadline_ = kNever;
  reset_election_timer();  // a leader kept no election deadline
}

void RaftNode::persist_term_and_vote(int64_t term, NodeId voted_for) {
  storage_->current_term = term;
  storage_->voted_for = voted_for;
  ++storage_->writes;  // term and vote go to disk together, before any message of this step
}

void RaftNode::set_role(Role role, Outbox& out) {
  role_ = role;
  ProtocolEvent e;
  e.type = EventType::Role;
  e.term = term();
  e.role = role_name(role);
  // The log a leader was elected with lets the recorder check Leader Completeness (§5.4).
  if (role == Role::Leader) e.log_runs = log_.runs();
  out.event(std::move(e));
}

void RaftNode::reset_election_timer() {
  // §5.2: randomized timeouts make split votes rare and short.
  election_deadline_ =
      now_ + rng_.between(config_.election_timeout_min, config_.election_timeout_max);
}

}  // namespace synod::raft
