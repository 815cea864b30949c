// The four Raft RPCs of the paper's Figure 2, as one-way messages: a "reply" is a message of its
// own, matched to its request by term and by the indexes it echoes, because the network may drop,
// duplicate, delay and reorder anything.
//
// Additions to the paper's fields, and why:
//   - AppendEntries::pipelined: whether the follower may hold a message that overtook its
//     predecessor (see append_entries.cpp) rather than reject it.
//   - AppendEntriesReply::match_index: on success, the last index the follower now knows to match
//     the leader (prevLogIndex + entries). The leader takes the max with what it had, so replies
//     that arrive out of order never move matchIndex backwards.
//   - AppendEntriesReply::reject_index / conflict_term / conflict_index: on failure, which
//     prevLogIndex failed and what the follower holds there, so the leader can skip a whole term
//     per round trip instead of one entry (the optimization at the end of §5.3), and can tell a
//     stale rejection from a current one.
//   - RequestVote::pre_vote / RequestVoteReply::pre_vote: the pre-vote round of dissertation §9.6
//     travels in the same messages, flagged (see pre_vote.cpp for which term each one carries).
//   - AppendEntries::read_round / AppendEntriesReply::read_round: the leader's latest heartbeat
//     round for reads without the log (ReadIndex, lease), echoed so the leader knows a majority
//     took it as leader after the round left (reads.cpp). Always 0, and not sent, with log reads.
//   - RequestVote::transfer: the election a leadership transfer asked for (TimeoutNow, §3.10);
//     voters answer it even while their leader's lease runs (etcd's campaignTransfer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/raft/storage.hpp"

namespace synod::raft {

// Sent by candidates to gather votes (§5.2), and by pre-candidates to ask whether they would get
// them (dissertation §9.6).
class RequestVote final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::RaftRequestVote; }
  const char* type_name() const override { return "RequestVote"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;

  int64_t term = 0;
  NodeId candidate = kNoNode;
  int64_t last_log_index = 0;
  int64_t last_log_term = 0;
  // A pre-vote: `term` is the term the sender would stand in (its own + 1), and nothing the
  // receiver persists may change because of it.
  bool pre_vote = false;
  bool transfer = false;  // asked for by the leader (TimeoutNow): the leader lease does not apply
};

// Leadership transfer (dissertation §3.10): the leader tells a follower whose log matches its own
// to start an election at once.
class TimeoutNow final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::RaftTimeoutNow; }
  const char* type_name() const override { return "TimeoutNow"; }
  size_t size_bytes() const override { return 16; }
  std::string describe() const override;

  int64_t term = 0;
};

class RequestVoteReply final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::RaftRequestVoteReply; }
  const char* type_name() const override { return "RequestVoteReply"; }
  size_t size_bytes() const override { return 24; }
  std::string describe() const override;

  // The voter's current term, for the candidate to update itself; except for a granted pre-vote,
  // which carries the term it was granted for (the voter's term is lower and says nothing new).
  int64_t term = 0;
  bool vote_granted = false;
  bool pre_vote = false;  // answers a pre-vote
};

// Sent by the leader to replicate entries (§5.3); with no entries it is a heartbeat (§5.2).
class AppendEntries final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::RaftAppendEntries; }
  const char* type_name() const override { return "AppendEntries"; }
  size_t size_bytes() const override;
  std::string describe() const override;

  int64_t term = 0;
  NodeId leader = kNoNode;
  int64_t prev_log_index = 0;  // index of the entry just before `entries`
  int64_t prev_log_term = 0;
  std::vector<Entry> entries;  // at indexes prev_log_index + 1, ...
  int64_t leader_commit = 0;
  // Not in the paper: sent while pipelining, right behind batches not yet acknowledged. If it
  // arrives ahead of them the follower may hold it until they do, instead of rejecting it. A
  // probe (pipelined = false) is always answered at once.
  bool pipelined = false;
  uint64_t read_round = 0;
};

class AppendEntriesReply final : public Message {
 public:
  MsgKind kind() const override { return MsgKind::RaftAppendEntriesReply; }
  const char* type_name() const override { return "AppendEntriesReply"; }
  size_t size_bytes() const override { return read_round != 0 ? 56 : 48; }
  std::string describe() const override;

  int64_t term = 0;  // the follower's current term
  bool success = false;
  int64_t match_index = 0;     // success: prev_log_index + number of entries
  int64_t reject_index = 0;    // failure: the prev_log_index that did not match
  int64_t conflict_term = 0;   // failure: term at reject_index in our log, 0 if the log is shorter
  int64_t conflict_index = 0;  // failure: first index of conflict_term, or our last index + 1
  uint64_t read_round = 0;     // the AppendEntries' read_round, echoed
};

}  // namespace synod::raft
