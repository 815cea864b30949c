// Transcript tests (etcd/raft's datadriven style): short scripts in tests/protocols/data/raft_*.txt
// drive a small in-memory cluster step by step and the whole conversation is compared with the
// golden output stored under each command. They read as stories (an election, Figure 8, a
// partitioned leader). RAFT_REWRITE_GOLDEN=1 rewrites the files from the current behaviour:
// review the diff before committing it.
//
// Script commands (one per "> " line; "#" lines are comments):
//   cluster N [max_entries=K] [pre_vote=on|off] [check_quorum=on|off]
//                               N fresh nodes, started (times in the output are ms); pre-vote and
//                               check-quorum are on unless turned off, as in Config
//   campaign nI                 nI's election timer fires (time jumps to its deadline)
//   heartbeat nI                leader nI's heartbeat timer fires
//   run MS                      let MS milliseconds pass: every timer fires when due (the
//                               earliest first) and what it sends is delivered at once, as by
//                               stabilize; after each timer, the node's next deadline is shown
//   deliver [nI...]             deliver what is in flight now (only to the listed nodes)
//   stabilize                   deliver until nothing is in flight
//   drop [nI...]                drop what is in flight (only to the listed nodes)
//   propose nI write|read|cas KEY [VALUE [EXPECTED]]   a client request to nI
//   crash nI / restart nI       lose volatile state / start again from the same Storage
//   partition nI...             cut the listed nodes off from the others; heal: reconnect all
//   status                      describe every node and its log as term runs
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

constexpr Address kScriptClient = 100;

std::string runs_text(const std::vector<TermRun>& runs) {
  std::string s;
  for (const TermRun& r : runs) {
    s += fmt::format("{}t{}@{}", s.empty() ? "" : " ", r.term, r.first);
    if (r.last != r.first) s += fmt::format("-{}", r.last);
  }
  return s.empty() ? "(empty)" : s;
}

std::string event_text(const ProtocolEvent& e) {
  switch (e.type) {
    case EventType::Role:
      if (e.role == "leader") {
        return fmt::format("leader t={} log={}", e.term, runs_text(e.log_runs));
      }
      return fmt::format("{} t={}", e.role, e.term);
    case EventType::ElectionStart: return fmt::format("election t={}", e.term);
    case EventType::Commit: return fmt::format("commit {}", e.index);
    case EventType::Apply: return fmt::format("apply {} t{} {}", e.index, e.entry_term, e.command);
    default: break;  // other protocols' events
  }
  return event_type_name(e.type);
}

class Script {
 public:
  std::string run(const std::vector<std::string>& w) {
    out_.clear();
    const std::string& c = w[0];
    if (c == "cluster") {
      cluster(w);
    } else if (c == "campaign" || c == "heartbeat") {
      RaftNode& n = node(w[1]);
      now_ = std::max(now_, n.next_timer());
      line(fmt::format("{} timer at {:.3f}ms", w[1], to_millis(now_)));
      step(id(w[1]), [&](Outbox& o) { n.on_timer(now_, o); });
    } else if (c == "run") {
      run_for(std::stoll(w[1]) * kNanosPerMilli);
    } else if (c == "deliver" || c == "drop" || c == "stabilize") {
      transfer(w);
    } else if (c == "propose") {
      propose(w);
    } else if (c == "crash") {
      nodes_[static_cast<size_t>(id(w[1]))].reset();
      line(w[1] + " crashed");
    } else if (c == "restart") {
      start(id(w[1]));
    } else if (c == "partition" || c == "heal") {
      std::fill(side_.begin(), side_.end(), 0);
      for (size_t k = 1; k < w.size(); ++k) side_[static_cast<size_t>(id(w[k]))] = 1;
    } else if (c == "status") {
      status();
    } else {
      line("unknown command " + c);
    }
    return out_;
  }

 private:
  struct Wire {
    Address from;
    Address to;
    MessagePtr message;
  };

  void cluster(const std::vector<std::string>& w) {
    const int n = std::stoi(w[1]);
    config_ = Config{};
    for (size_t k = 2; k < w.size(); ++k) {
      if (w[k].rfind("max_entries=", 0) == 0) {
        config_.max_entries_per_append = std::stoi(w[k].substr(12));
      } else if (w[k] == "pre_vote=on" || w[k] == "pre_vote=off") {
        config_.pre_vote = w[k] == "pre_vote=on";
      } else if (w[k] == "check_quorum=on" || w[k] == "check_quorum=off") {
        config_.check_quorum = w[k] == "check_quorum=on";
      } else {
        line("unknown cluster option " + w[k]);
      }
    }
    storages_.assign(static_cast<size_t>(n), Storage{});
    nodes_.clear();
    nodes_.resize(static_cast<size_t>(n));
    side_.assign(static_cast<size_t>(n), 0);
    for (NodeId i = 0; i < n; ++i) start(i);
  }

  void start(NodeId i) {
    ++incarnation_;
    const auto k = static_cast<size_t>(i);
    nodes_[k] = std::make_unique<RaftNode>(static_cast<int>(i), static_cast<int>(storages_.size()),
                                           config_, &storages_[k],
                                           Rng::stream(2024, "raft-transcript", incarnation_));
    line(fmt::format("n{} start", i));
    step(i, [&](Outbox& o) { nodes_[k]->start(now_, o); });
    line(fmt::format("  election timer at {:.3f}ms", to_millis(nodes_[k]->next_timer())));
  }

  void run_for(Nanos duration) {
    const Nanos end = now_ + duration;
    for (;;) {
      NodeId due = kNoNode;
      for (NodeId i = 0; i < static_cast<NodeId>(nodes_.size()); ++i) {
        const RaftNode* n = nodes_[static_cast<size_t>(i)].get();
        if (n && n->next_timer() <= end &&
            (due == kNoNode || n->next_timer() < nodes_[static_cast<size_t>(due)]->next_timer())) {
          due = i;
        }
      }
      if (due == kNoNode) break;
      RaftNode& n = *nodes_[static_cast<size_t>(due)];
      now_ = std::max(now_, n.next_timer());
      line(fmt::format("n{} timer at {:.3f}ms", due, to_millis(now_)));
      step(due, [&](Outbox& o) { n.on_timer(now_, o); });
      line(fmt::format("  next timer at {:.3f}ms", to_millis(n.next_timer())));
      transfer({"stabilize"});
    }
    now_ = end;
  }

  void transfer(const std::vector<std::string>& w) {
    std::vector<bool> only(storages_.size(), w.size() == 1);
    for (size_t k = 1; k < w.size(); ++k) only[static_cast<size_t>(id(w[k]))] = true;
    const bool deliver = w[0] != "drop";
    size_t budget = w[0] == "stabilize" ? 10000 : wire_.size();
    std::deque<Wire> kept;
    while (budget-- > 0 && !wire_.empty()) {
      Wire m = std::move(wire_.front());
      wire_.pop_front();
      if (!only[static_cast<size_t>(m.to)]) {
        kept.push_back(std::move(m));
        continue;
      }
      const std::string what = fmt::format("n{} <- n{} {}", m.to, m.from, m.message->describe());
      RaftNode* n = nodes_[static_cast<size_t>(m.to)].get();
      if (!deliver || !n) {
        line(what + (deliver ? " (down, lost)" : " (dropped)"));
        continue;
      }
      line(what);
      step(m.to, [&](Outbox& o) { n->on_message(now_, m.from, *m.message, o); });
    }
    // What was not for the listed nodes stays in flight, ahead of anything sent meanwhile.
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) wire_.push_front(std::move(*it));
  }

  void propose(const std::vector<std::string>& w) {
    Command c = cmd(1, ++client_seq_, OpType::Read, 0, 0, w[3]);
    if (w[2] == "write") c.type = OpType::Write;
    if (w[2] == "cas") c.type = OpType::Cas;
    if (w.size() > 4) c.value = std::stoll(w[4]);
    if (w.size() > 5) c.expected = std::stoll(w[5]);
    const NodeId to = id(w[1]);
    line(fmt::format("{} <- client {}", w[1], c.describe()));
    ClientRequest request(c);
    step(to, [&](Outbox& o) { node(w[1]).on_message(now_, kScriptClient, request, o); });
  }

  void status() {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      Log log(&storages_[i]);
      const std::string d = nodes_[i] ? nodes_[i]->describe() : fmt::format("n{} down", i);
      line(fmt::format("{} log={}", d, runs_text(log.runs())));
    }
  }

  // Runs one input on node i and prints what it did; client replies leave the cluster at once.
  template <class F>
  void step(NodeId i, F input) {
    Outbox o;
    input(o);
    RaftNode& n = *nodes_[static_cast<size_t>(i)];
    for (const ProtocolEvent& e : o.events) line("  " + event_text(e));
    for (const Outbox::Send& s : o.messages) {
      if (s.to >= static_cast<Address>(storages_.size())) {
        line(fmt::format("  -> client {}", s.message->describe()));
        continue;
      }
      const bool cut = side_[static_cast<size_t>(i)] != side_[static_cast<size_t>(s.to)];
      line(fmt::format("  -> n{} {}{}", s.to, s.message->describe(), cut ? " (cut)" : ""));
      if (!cut) wire_.push_back({i, s.to, s.message});
    }
    for (const std::string& v : n.check_invariants()) line("  INVARIANT " + v);
  }

  NodeId id(const std::string& name) const {
    return static_cast<NodeId>(std::stoi(name.substr(1)));
  }
  RaftNode& node(const std::string& name) { return *nodes_[static_cast<size_t>(id(name))]; }
  void line(const std::string& s) { out_ += s + "\n"; }

  Config config_;
  Nanos now_ = 0;
  uint64_t incarnation_ = 0;
  uint64_t client_seq_ = 0;
  std::vector<Storage> storages_;
  std::vector<std::unique_ptr<RaftNode>> nodes_;
  std::vector<int> side_;
  std::deque<Wire> wire_;
  std::string out_;
};

std::string data_dir() {
  const std::string here = __FILE__;
  return here.substr(0, here.rfind('/')) + "/data/";
}

// Replays a transcript and returns it with fresh output under each command.
std::string replay(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  Script script;
  std::string result, text;
  while (std::getline(in, text)) {
    if (text.rfind("> ", 0) == 0) {
      std::istringstream words(text.substr(2));
      std::vector<std::string> w;
      for (std::string word; words >> word;) w.push_back(word);
      result += text + "\n" + script.run(w);
    } else if (text.empty() || text[0] == '#') {
      result += text + "\n";
    }  // anything else is the old output, replaced
  }
  return result;
}

void check_transcript(const std::string& name) {
  const std::string path = data_dir() + name;
  const std::string actual = replay(path);
  std::ifstream in(path);
  std::stringstream expected;
  expected << in.rdbuf();
  if (std::getenv("RAFT_REWRITE_GOLDEN")) {
    std::ofstream(path) << actual;
    return;
  }
  EXPECT_EQ(expected.str(), actual)
      << "transcript " << path << " differs; RAFT_REWRITE_GOLDEN=1 rewrites it";
  EXPECT_EQ(actual.find("INVARIANT"), std::string::npos);
}

// §5.2-§5.3: an election, the no-op (§8), a replicated and committed write, a read.
TEST(RaftTranscript, ElectionAndReplication) { check_transcript("raft_election.txt"); }

// §5.4.2, Figure 8: an old-term entry on a majority is not committed by counting, and may still
// be overwritten by a leader that never had it.
TEST(RaftTranscript, Figure8) { check_transcript("raft_figure8.txt"); }

// §5.3, §6.3 of the dissertation: a partitioned leader's uncommitted entries are cut when it
// rejoins, and its pending client hears NotLeader.
TEST(RaftTranscript, PartitionedLeader) { check_transcript("raft_partition.txt"); }

// Dissertation §9.6: a follower partitioned away and rejoining with pre-vote keeps its term and
// does not depose the leader; the same story without pre-vote, where it does.
TEST(RaftPreVoteTranscript, PartitionedFollowerRejoins) { check_transcript("raft_pre_vote.txt"); }

// etcd's CheckQuorum: a leader cut off from the majority steps down by itself within an election
// timeout and answers its pending client NotLeader; a majority elects a new leader meanwhile.
TEST(RaftCheckQuorumTranscript, IsolatedLeaderStepsDown) {
  check_transcript("raft_check_quorum.txt");
}

}  // namespace
}  // namespace synod::raft
