// Shared fixtures for the Raft unit tests: one RaftNode driven by hand (no network), and builders
// for the messages a test feeds it. Every step checks the node's own invariants, so each test
// also exercises check_invariants() on the paths it walks.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"
#include "tests/protocols/node_under_test.hpp"
#include "tests/protocols/test_fixtures.hpp"

namespace synod::raft::testing {

using namespace ::synod::testkit;  // NOLINT: commands, outbox queries, seed ranges

inline Entry entry(int64_t term, Command c) {
  Entry e;
  e.term = term;
  e.command = std::move(c);
  return e;
}

// Entries with the given terms, each a distinct write (client 99, seq = position) so that two
// entries with different terms also differ in content.
inline std::vector<Entry> entries_with_terms(std::initializer_list<int64_t> terms,
                                             uint64_t first_seq = 1) {
  std::vector<Entry> out;
  uint64_t seq = first_seq;
  for (int64_t t : terms) {
    out.push_back(entry(t, cmd(99, seq, OpType::Write, static_cast<int64_t>(seq * 10 + t))));
    ++seq;
  }
  return out;
}

inline Storage storage_with(int64_t current_term, std::initializer_list<int64_t> terms) {
  Storage s;
  s.current_term = current_term;
  s.log = entries_with_terms(terms);
  return s;
}

inline std::vector<int64_t> log_terms(const Storage& s) {
  std::vector<int64_t> terms;
  for (const Entry& e : s.log) terms.push_back(e.term);
  return terms;
}

// RequestVote and its reply; with pre_vote set, the pre-vote round's (dissertation §9.6), where
// `term` is the term the pre-candidate would stand in.
inline std::shared_ptr<RequestVote> vote_request(bool pre_vote, int64_t term, NodeId cand,
                                                 int64_t last_index, int64_t last_term) {
  auto m = std::make_shared<RequestVote>();
  m->pre_vote = pre_vote;
  m->term = term;
  m->candidate = cand;
  m->last_log_index = last_index;
  m->last_log_term = last_term;
  return m;
}
inline std::shared_ptr<RequestVoteReply> vote_answer(bool pre_vote, int64_t term, bool granted) {
  auto m = std::make_shared<RequestVoteReply>();
  m->pre_vote = pre_vote;
  m->term = term;
  m->vote_granted = granted;
  return m;
}

inline MessagePtr request_vote(int64_t term, NodeId cand, int64_t last_index, int64_t last_term) {
  return vote_request(false, term, cand, last_index, last_term);
}
inline MessagePtr vote_reply(int64_t term, bool granted) {
  return vote_answer(false, term, granted);
}
inline MessagePtr pre_vote(int64_t term, NodeId cand, int64_t last_index, int64_t last_term) {
  return vote_request(true, term, cand, last_index, last_term);
}
inline MessagePtr pre_vote_reply(int64_t term, bool granted) {
  return vote_answer(true, term, granted);
}

// Raft as the paper has it: no pre-vote, no check-quorum. For tests of plain-Raft behaviour that
// the two extensions would change (a timeout starting a real election at once, a higher-term
// RequestVote always heard, a leader never stepping down in its own term).
inline Config plain_raft(Config c = {}) {
  c.pre_vote = false;
  c.check_quorum = false;
  return c;
}

inline MessagePtr append_entries(int64_t term, NodeId leader, int64_t prev, int64_t prev_term,
                                 std::vector<Entry> entries, int64_t commit) {
  auto m = std::make_shared<AppendEntries>();
  m->term = term;
  m->leader = leader;
  m->prev_log_index = prev;
  m->prev_log_term = prev_term;
  m->entries = std::move(entries);
  m->leader_commit = commit;
  return m;
}

inline MessagePtr append_ok(int64_t term, int64_t match) {
  auto m = std::make_shared<AppendEntriesReply>();
  m->term = term;
  m->success = true;
  m->match_index = match;
  return m;
}

inline MessagePtr append_reject(int64_t term, int64_t reject_index, int64_t conflict_term,
                                int64_t conflict_index) {
  auto m = std::make_shared<AppendEntriesReply>();
  m->term = term;
  m->success = false;
  m->reject_index = reject_index;
  m->conflict_term = conflict_term;
  m->conflict_index = conflict_index;
  return m;
}

// One node under test. Storage lives here, so restart() models a crash and a new incarnation.
struct TestNode : NodeUnderTest<RaftNode, Storage, Config> {
  TestNode(NodeId id_, int cluster_size_, Storage initial = {}, Config config_ = {})
      : NodeUnderTest(id_, cluster_size_, config_, std::move(initial), "raft-test") {}

  // Times out, then collects pre-votes (if on) and votes from the lowest-numbered peers until it
  // leads.
  void elect() {
    fire_timer();
    if (config.pre_vote && cluster_size > 1) {
      ASSERT_TRUE(node->is_pre_candidate());
      const int64_t term = node->term();
      for (NodeId peer = 0; peer < cluster_size && node->role() != Role::Candidate; ++peer) {
        if (peer != id) deliver(peer, pre_vote_reply(term + 1, true));
      }
    }
    ASSERT_EQ(node->role(), Role::Candidate);
    for (NodeId peer = 0; peer < cluster_size && node->role() != Role::Leader; ++peer) {
      if (peer != id) deliver(peer, vote_reply(node->term(), true));
    }
    ASSERT_EQ(node->role(), Role::Leader);
  }
};

}  // namespace synod::raft::testing
