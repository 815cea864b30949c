// One Raft server as a deterministic state machine (Ongaro & Ousterhout, "In Search of an
// Understandable Consensus Algorithm", extended version; Figure 2 is the whole contract).
//
// The node takes one input at a time (start, a message, a timer) and answers through an Outbox;
// it writes its persistent state (term, vote, log) into the driver-owned Storage inside the step,
// so the write precedes every message of that step. Its commit index, last applied index and the
// KV state machine are volatile: a restarted node (a new RaftNode over the same Storage) starts
// them at 0 and re-applies its log as it learns the commit index again.
//
// Beyond Figure 2 it implements: a no-op entry on election (§8), so earlier terms' entries commit
// promptly and reads through the log are linearizable; fast backup of nextIndex (end of §5.3);
// client sessions with (client, seq) deduplication inside the KvStore (dissertation §6.3);
// pipelined replication with a bounded window per follower, and followers that hold a batch
// which overtook its predecessor in the network instead of rejecting it; pre-vote (dissertation
// §9.6) and check-quorum (as etcd/raft has them); single-server membership changes with
// learners (dissertation chapter 4, membership.cpp); reads by ReadIndex or by leader lease
// (dissertation §6.4, reads.cpp). Not yet: snapshots, joint consensus.
//
// Addresses 0..cluster_size-1 are the cluster's nodes; any other address is a client. The code is
// split by concern: raft_node.cpp (dispatch, term handling, timers), election.cpp, pre_vote.cpp,
// check_quorum.cpp, membership.cpp, reads.cpp, replication.cpp (leader side), append_entries.cpp (follower side), commit.cpp
// (commitment and apply), client.cpp, invariants.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/kv_store.hpp"
#include "protocols/common/message.hpp"
#include "protocols/common/bug_knobs.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/common/types.hpp"
#include "protocols/raft/log.hpp"
#include "protocols/raft/messages.hpp"
#include "protocols/raft/storage.hpp"

namespace synod::raft {

// How the leader serves a read (dissertation §6.4). Log: the read is a log entry like a write,
// answered once applied. ReadIndex: the leader notes its commit index, confirms it still leads
// by a round of heartbeats a majority answers, and answers from its state machine (no log entry,
// no disk write). Lease: a majority's answer to a heartbeat round sent at time s gives the leader
// a lease until s + election_timeout_min / (1 + max_clock_drift), inside which it answers reads at
// once; outside it, a read takes the ReadIndex path. Safe only while clocks keep the bound.
enum class ReadMode { Log, ReadIndex, Lease };
const char* read_mode_name(ReadMode m);  // "log" | "read-index" | "lease"

// Classic mistakes, each switched on by name in a scenario (`protocol: {bugs: [figure8]}`), for
// courses and for checking that synod's checks catch them (tests/sim/bugs_test.cpp). All off by
// default; each is one test of a bool where the correct rule is applied.
struct Bugs {
  bool figure8 = false;          // commit.cpp: commit a previous term's entry by counting replicas
                                 // (and election.cpp: no no-op on election, which would hide it)
  bool vote_twice = false;       // election.cpp: grant a vote though we voted for another this term
  bool skip_log_check = false;   // election.cpp: grant votes without the §5.4.1 up-to-date check
  bool forget_vote = false;      // raft_node.cpp: the vote is not on disk: a restart forgets it
  bool minority_quorum = false;  // raft_node.hpp: a "majority" of n/2 (two leaders, split commits)
  bool local_reads = false;      // client.cpp: the leader answers reads from its state machine at
                                 // once, without confirming it still leads
  bool truncate_suffix = false;  // append_entries.cpp: a follower drops every entry after an
                                 // AppendEntries' last, matching or not
};
// The knobs by scenario name ("figure8", "vote-twice", ...), each with what it breaks.
using BugKnob = BugKnobOf<Bugs>;
const std::vector<BugKnob>& bug_knobs();

struct Config {
  // Each election timeout is drawn afresh, uniformly in [min, max] (§5.2).
  Nanos election_timeout_min = 150 * kNanosPerMilli;
  Nanos election_timeout_max = 300 * kNanosPerMilli;
  // Leader's idle AppendEntries period; also how long a batch may go unanswered before the
  // leader presumes it lost and resends (replication.cpp).
  Nanos heartbeat_interval = 50 * kNanosPerMilli;
  int max_entries_per_append = 64;  // flow control: entries per AppendEntries
  // Dissertation §9.6: an election timeout first asks, without touching the term or the vote,
  // whether a majority would vote for us in term + 1; only then is there a real election. Peers
  // that heard from a leader less than election_timeout_min ago say no (leader stickiness), so a
  // node rejoining from a partition does not depose a healthy leader. See pre_vote.cpp.
  bool pre_vote = true;
  // etcd/raft's CheckQuorum: a leader that heard from no majority within election_timeout_min
  // steps down, and followers that heard from their leader within election_timeout_min ignore
  // RequestVote for a higher term (the leader could still be serving). See check_quorum.cpp.
  bool check_quorum = true;
  // The voters before any configuration entry (sorted node ids); empty: every node 0..n-1. The
  // others start as spares that a membership change may add (membership.cpp).
  std::vector<NodeId> initial_voters;
  ReadMode reads = ReadMode::Log;
  // Lease reads: the bound on how much faster than the leader's any voter's clock may run, as a
  // fraction (0.05: 5%). The lease is shortened by it (election_timeout_min / (1 + drift)).
  double max_clock_drift = 0.05;
  Bugs bugs;
};

// A pre-candidate (pre-vote round running) is a follower in every respect that matters to others:
// its term and vote are those of a follower and it still obeys any leader of its term. So it is
// not a Role of its own; RaftNode::is_pre_candidate() tells it apart.
enum class Role { Follower, Candidate, Leader };
const char* role_name(Role r);  // "follower" | "candidate" | "leader"

class RaftNode final : public ProtocolNode {
 public:
  RaftNode(NodeId id, int cluster_size, Config config, Storage* storage, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  // The wanted membership (join and leave): the leader moves the configuration towards it, one
  // server at a time, a joining server first catching up as a learner (membership.cpp).
  void on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) override;
  // A transfer fault: if we lead, hand leadership to `to` (transfer.cpp).
  void on_transfer_leadership(Nanos now, NodeId to, Outbox& out) override;
  bool can_hand_over_to(Nanos now, NodeId to) const override;
  std::vector<std::string> check_invariants() override;
  // "n2 leader t=4 last=120 commit=118"; a pre-candidate shows as "pre-candidate".
  std::string describe() const override;

  Role role() const { return role_; }
  bool is_pre_candidate() const { return pre_candidate_; }
  int64_t term() const { return storage_->current_term; }
  int64_t commit_index() const { return commit_index_; }
  int64_t last_applied() const { return last_applied_; }
  NodeId leader_hint() const { return leader_hint_; }
  NodeId transferring_to() const { return transfer_to_; }
  const KvStore& state_machine() const { return kv_; }
  const Storage& storage() const { return *storage_; }
  // Reads answered without the log (ReadIndex or lease), and of those how many inside a lease.
  uint64_t reads_served() const { return reads_served_; }
  uint64_t lease_reads_served() const { return lease_reads_served_; }
  bool is_voter(NodeId n) const { return voter_[static_cast<size_t>(n)]; }
  std::vector<NodeId> voters() const;
  int64_t config_index() const { return config_index_; }

 private:
  // The leader's view of one follower (Figure 2, "Volatile state on leaders"), plus flow control.
  struct Progress {
    int64_t next_index = 1;   // next entry to send
    int64_t match_index = 0;  // highest entry known replicated there; never decreases in a term
    // Probing: we do not know where the follower's log diverges, so we send one AppendEntries
    // from next_index at a time (again on each heartbeat) and wait for its answer. Otherwise we
    // pipeline: next_index runs ahead of the replies, by at most kMaxInflightAppends messages.
    bool probing = true;
    struct Batch {
      int64_t last;  // last index it carried
      Nanos sent_at;
    };
    std::deque<Batch> inflight;  // pipelining: unacknowledged batches, in index order
    // Check-quorum: when this follower last answered an AppendEntries of our term (or when we
    // were elected, which gives every follower a full window to answer).
    Nanos heard_at = 0;
    uint64_t acked_round = 0;  // reads: the latest heartbeat round it answered (reads.cpp)
  };
  // Unacknowledged AppendEntries per follower while pipelining. Enough to keep a link busy; when
  // it is full, new entries wait for the next reply and then travel together in one batch.
  static constexpr size_t kMaxInflightAppends = 16;

  // raft_node.cpp: term handling, role changes, persistence, timers.
  void step_down(int64_t term, NodeId leader, Outbox& out);
  void persist_term_and_vote(int64_t term, NodeId voted_for);
  void set_role(Role role, Outbox& out);
  void reset_election_timer();
  bool is_peer(Address a) const { return a >= 0 && a < cluster_size_ && a != id_; }
  // A majority of the current configuration's voters (§4.1: the latest configuration in the log).
  int majority() const {
    return config_.bugs.minority_quorum ? std::max(1, voter_count_ / 2) : voter_count_ / 2 + 1;
  }

  // membership.cpp (dissertation §4.1 single-server changes, §4.2.1 learners, §4.2.2 removing
  // the leader)
  void refresh_config();                       // from the log's latest configuration entry
  void set_config(const std::vector<NodeId>& voters, int64_t index);
  bool replicates_to(NodeId peer) const;       // leader: a voter, or a learner catching up
  void maybe_change_config(Outbox& out);       // leader: the next step towards wanted_
  void step_down_if_removed(Outbox& out);      // leader: its removal committed

  // transfer.cpp (dissertation §3.10)
  void transfer_leadership(NodeId to, Outbox& out);
  void send_timeout_now_if_ready(NodeId peer, Outbox& out);
  void on_timeout_now(Address from, const TimeoutNow& m, Outbox& out);

  // reads.cpp (dissertation §6.4, §6.4.1)
  struct PendingRead {
    uint64_t round = 0;      // the heartbeat round that must confirm our leadership
    int64_t read_index = 0;  // our commit index when that round left
    Address from = 0;
    Command command;
  };
  void on_read_request(Address from, const Command& c, Outbox& out);
  void take_waiting_reads(Outbox& out);  // after our first own-term commit
  void new_read_round();
  void send_read_round_if_idle(Outbox& out);
  void broadcast_heartbeats(Outbox& out);  // to every follower, carrying the latest round
  void on_read_round_ack(NodeId peer, uint64_t round, Outbox& out);
  void serve_ready_reads(Outbox& out);
  void answer_read(Address to, const Command& c, Outbox& out);
  bool committed_in_own_term() const;
  void reset_reads();
  void fail_reads(Outbox& out);

  // election.cpp (§5.2, §5.4.1)
  void on_election_timeout(Outbox& out);
  void start_election(Outbox& out);
  void become_leader(Outbox& out);
  void on_request_vote(Address from, const RequestVote& m, Outbox& out);
  void on_request_vote_reply(Address from, const RequestVoteReply& m, Outbox& out);

  // pre_vote.cpp (dissertation §9.6, etcd/raft's PreVote)
  void start_pre_vote(Outbox& out);
  void on_pre_vote(Address from, const RequestVote& m, Outbox& out);
  void on_pre_vote_reply(Address from, const RequestVoteReply& m, Outbox& out);

  // check_quorum.cpp (etcd/raft's CheckQuorum) and the leader lease both features rely on
  bool is_in_leader_lease() const;
  bool has_quorum_contact() const;
  void check_quorum(Outbox& out);

  // replication.cpp (§5.3)
  int64_t send_append(NodeId peer, int64_t first, int64_t max_entries, Outbox& out,
                      bool pipelined = false);
  void replicate(NodeId peer, Outbox& out);
  void heartbeat(NodeId peer, Outbox& out);
  void start_probing(Progress& p, int64_t next_index);
  void on_append_entries_reply(Address from, const AppendEntriesReply& m, Outbox& out);
  void on_rejected_append(NodeId peer, const AppendEntriesReply& m, Outbox& out);
  void on_accepted_append(NodeId peer, const AppendEntriesReply& m, Outbox& out);

  // append_entries.cpp (§5.3, the follower's side)
  void on_append_entries(Address from, const AppendEntries& m, Outbox& out);
  void accept_append(Address from, const AppendEntries& m, Outbox& out);
  void reject_append(Address to, const AppendEntries& m, Outbox& out);

  // commit.cpp (§5.3, §5.4.2, Figure 8)
  void advance_leader_commit(Outbox& out);
  void advance_commit_to(int64_t index, Outbox& out);
  void apply_committed(Outbox& out);

  // client.cpp (§8, dissertation §6.3)
  void on_client_request(Address from, const ClientRequest& m, Outbox& out);
  void leader_append(Entry e, Outbox& out);
  void reply_to_pending(const Command& c, const ClientResult& r, Outbox& out);
  void fail_pending(Outbox& out);

  // invariants.cpp
  void check_state(std::vector<std::string>& v);
  void check_leader_state(std::vector<std::string>& v);
  void check_deltas(std::vector<std::string>& v);
  void note_violation(const std::string& what);
  void flag(std::vector<std::string>& v, const std::string& what) const;
  std::string tag() const;  // "n2 t=4" for invariant lines

  const NodeId id_;
  const int cluster_size_;
  const Config config_;
  Storage* const storage_;
  Rng rng_;
  Log log_;

  Nanos now_ = 0;  // time of the input being handled
  Role role_ = Role::Follower;
  NodeId leader_hint_ = kNoNode;  // who we believe leads current_term, kNoNode if unknown
  int64_t commit_index_ = 0;      // volatile (Figure 2): relearned after a restart
  int64_t last_applied_ = 0;
  KvStore kv_;

  Nanos election_deadline_ = kNever;   // followers and candidates
  Nanos heartbeat_deadline_ = kNever;  // leaders

  // Candidate: votes_[n] = n granted us its vote this term. Pre-candidate: n granted us a
  // pre-vote for term + 1.
  std::vector<bool> votes_;
  int votes_granted_ = 0;
  bool pre_candidate_ = false;  // a follower running a pre-vote round (pre_vote.cpp)
  // When we last heard from the leader of our term (leader_hint_, while it is not kNoNode); the
  // leader lease of pre-vote and check-quorum runs election_timeout_min from here.
  Nanos leader_contact_at_ = 0;
  uint64_t quorum_step_downs_ = 0;  // check-quorum step-downs, for the delta checks
  uint64_t removal_step_downs_ = 0;  // step-downs after our removal committed (§4.2.2)

  // Membership. voter_[n]: n votes in the current configuration, set by the configuration entry
  // at config_index_ (0: Config::initial_voters). wanted_: the membership the driver asked for
  // (have_wanted_ false until it says), volatile: every server hears it, so a new leader goes on.
  std::vector<bool> voter_;
  int voter_count_ = 0;
  int64_t config_index_ = 0;
  std::vector<bool> wanted_;
  bool have_wanted_ = false;
  // Leader: the follower we hand leadership to (kNoNode: none), until when we wait for it, and
  // whether its TimeoutNow left. Candidate: this election was asked for by a TimeoutNow.
  NodeId transfer_to_ = kNoNode;
  Nanos transfer_until_ = 0;
  bool timeout_now_sent_ = false;
  bool campaign_transfer_ = false;

  // Reads without the log (reads.cpp), leader state reset with each term. Every AppendEntries we
  // send carries read_round_; a round is confirmed once a majority of voters echoed it or a later
  // one. Reads wait for the next round (waiting_reads_) and then for its confirmation (reads_).
  uint64_t read_round_ = 0;
  uint64_t broadcast_round_ = 0;  // the latest round a heartbeat broadcast carried
  uint64_t confirmed_round_ = 0;
  std::vector<uint64_t> acked_scratch_;
  std::deque<std::pair<uint64_t, Nanos>> round_sent_at_;  // lease: unconfirmed rounds, sent when
  Nanos lease_until_ = 0;                                  // lease: reads answered at once before
  std::deque<PendingRead> waiting_reads_;
  std::deque<PendingRead> reads_;
  uint64_t reads_served_ = 0;
  uint64_t lease_reads_served_ = 0;
  Nanos started_at_ = 0;  // this incarnation's start (lease reads: no vote for a lease's length)

  std::vector<Progress> progress_;      // leader: per node (our own entry unused)
  std::vector<int64_t> match_scratch_;  // leader: reused by the commit computation
  std::map<std::pair<int64_t, uint64_t>, Address> pending_;  // leader: (client, seq) -> client
  std::map<int64_t, AppendEntries> held_;  // follower: arrived ahead of the gap, by prevLogIndex

  // What check_invariants() saw last time, for its delta checks.
  struct Snapshot {
    bool valid = false;
    int64_t term = 0;
    NodeId voted_for = kNoNode;
    Role role = Role::Follower;
    int64_t commit_index = 0;
    int64_t commit_term = 0;
    int64_t last_applied = 0;
    uint64_t writes = 0;
    uint64_t quorum_step_downs = 0;
    uint64_t removal_step_downs = 0;
    std::vector<int64_t> match_index;
  };
  Snapshot checked_;
  std::vector<std::string> violations_;  // found inside a step, reported by check_invariants()
};

}  // namespace synod::raft
