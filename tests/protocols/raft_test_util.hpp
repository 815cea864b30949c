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
#include "protocols/common/rng.hpp"
#include "protocols/raft/messages.hpp"
#include "protocols/raft/raft_node.hpp"

namespace synod::raft::testing {

constexpr Address kClient = 100;  // a client address (anything outside 0..cluster_size-1)

inline Command cmd(int64_t client, uint64_t seq, OpType type, int64_t value = 0,
                   int64_t expected = 0, std::string key = "x") {
  Command c;
  c.client = client;
  c.seq = seq;
  c.type = type;
  c.key = std::move(key);
  c.value = value;
  c.expected = expected;
  return c;
}

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

inline MessagePtr request_vote(int64_t term, NodeId cand, int64_t last_index, int64_t last_term) {
  auto m = std::make_shared<RequestVote>();
  m->term = term;
  m->candidate = cand;
  m->last_log_index = last_index;
  m->last_log_term = last_term;
  return m;
}

inline MessagePtr vote_reply(int64_t term, bool granted) {
  auto m = std::make_shared<RequestVoteReply>();
  m->term = term;
  m->vote_granted = granted;
  return m;
}

// Pre-vote (dissertation §9.6): `term` is the term the pre-candidate would stand in.
inline MessagePtr pre_vote(int64_t term, NodeId cand, int64_t last_index, int64_t last_term) {
  auto m = std::make_shared<RequestVote>();
  m->pre_vote = true;
  m->term = term;
  m->candidate = cand;
  m->last_log_index = last_index;
  m->last_log_term = last_term;
  return m;
}

inline MessagePtr pre_vote_reply(int64_t term, bool granted) {
  auto m = std::make_shared<RequestVoteReply>();
  m->pre_vote = true;
  m->term = term;
  m->vote_granted = granted;
  return m;
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

inline MessagePtr client_request(Command c) {
  return std::make_shared<ClientRequest>(std::move(c));
}

// The messages of type M in an outbox, with their destinations.
template <class M>
std::vector<std::pair<Address, const M*>> sent(const Outbox& out) {
  std::vector<std::pair<Address, const M*>> found;
  for (const auto& s : out.messages) {
    if (auto* m = dynamic_cast<const M*>(s.message.get())) found.emplace_back(s.to, m);
  }
  return found;
}

template <class M>
const M* sent_to(const Outbox& out, Address to) {
  for (const auto& [dest, m] : sent<M>(out)) {
    if (dest == to) return m;
  }
  return nullptr;
}

inline int count_events(const Outbox& out, EventType type) {
  int n = 0;
  for (const auto& e : out.events) n += e.type == type;
  return n;
}

// One node under test. Storage lives here, so restart() models a crash and a new incarnation.
struct TestNode {
  TestNode(NodeId id_, int cluster_size_, Storage initial = {}, Config config_ = {})
      : id(id_), cluster_size(cluster_size_), config(config_), storage(std::move(initial)) {
    restart();
  }

  void restart() {
    ++incarnation;
    node = std::make_unique<RaftNode>(id, cluster_size, config, &storage,
                                      Rng::stream(7, "raft-test", id * 1000 + incarnation));
    out.clear();
    node->start(now, out);
    check();
  }

  const Outbox& deliver(Address from, const MessagePtr& m) {
    out.clear();
    node->on_message(now, from, *m, out);
    check();
    return out;
  }

  const Outbox& fire_timer() {
    now = node->next_timer();
    out.clear();
    node->on_timer(now, out);
    check();
    return out;
  }

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

  void check() {
    for (const std::string& line : node->check_invariants()) ADD_FAILURE() << line;
  }

  RaftNode& operator*() { return *node; }
  RaftNode* operator->() { return node.get(); }

  NodeId id;
  int cluster_size;
  Config config;
  Storage storage;
  std::unique_ptr<RaftNode> node;
  Outbox out;
  Nanos now = 0;
  uint64_t incarnation = 0;
};

}  // namespace synod::raft::testing
