// Randomized whole-cluster test (TigerBeetle VOPR style, in miniature): 3 and 5 RaftNodes over an
// in-memory network that delays (so reorders), drops and duplicates messages, partitions nodes,
// and crashes and restarts them with the same Storage; a few clients with retries drive a KV
// workload. One seed gives one run. After every step it checks:
//   - Election Safety (§5.2): at most one leader per term;
//   - Leader Completeness (§5.4): a new leader holds every entry applied anywhere so far;
//   - State Machine Safety (§5.4.3): every node applies the same command at each index;
//   - Log Matching (§5.3): same index and term means identical prefixes (every few steps);
//   - each node's own check_invariants();
//   - client answers equal what a reference KvStore gives for the one applied order.
// Then a liveness phase with the faults healed must make progress and converge, and the healed
// cluster must settle: one leader that everyone follows, and no more elections once it has.
// Most seeds run with pre-vote and check-quorum on (the default); every eighth seed runs plain
// Raft, and two in eight have only one of the two (see flags_for_seed).
// A failure prints the seed and the last steps of the run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <deque>
#include <map>
#include <queue>

#include "tests/protocols/raft_test_util.hpp"

namespace synod::raft {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

constexpr Nanos kMs = kNanosPerMilli;

struct Faults {
  double drop = 0;
  double duplicate = 0;
  bool crashes = false;
  bool partitions = false;
};

// The safety phase's faults; the loss rate and batch size vary with the seed.
Faults all_faults(Rng& rng) {
  Faults f;
  f.drop = static_cast<double>(rng.below(16)) / 100;  // 0-15%
  f.duplicate = 0.03;
  f.crashes = true;
  f.partitions = true;
  return f;
}

// Pre-vote and check-quorum per seed: mostly both on, as configured by default, with plain Raft
// and each one alone kept in the mix. Derived from the seed, not drawn from the run's generator,
// so the rest of a seed's run does not depend on it.
Config flags_for_seed(uint64_t seed) {
  Config c;
  c.pre_vote = seed % 8 != 0 && seed % 8 != 6;
  c.check_quorum = seed % 8 != 0 && seed % 8 != 4;
  return c;
}

class Cluster {
 public:
  // max_entries 0 picks one of 1, 2, 8, 64 from the seed (small ones make catch-up take many
  // rounds and the window fill up).
  Cluster(int n, uint64_t seed, int n_clients, bool faults, int max_entries = 0)
      : n_(n),
        seed_(seed),
        flags_(flags_for_seed(seed)),
        rng_(Rng::stream(seed, "raft-cluster-test")),
        storages_(static_cast<size_t>(n)),
        nodes_(static_cast<size_t>(n)),
        incarnation_(static_cast<size_t>(n), 0),
        side_(static_cast<size_t>(n), 0),
        applied_by_(static_cast<size_t>(n), 0),
        last_entry_(static_cast<size_t>(n)) {
    if (faults) faults_ = all_faults(rng_);
    max_entries_ = max_entries ? max_entries : std::array<int, 4>{1, 2, 8, 64}[rng_.below(4)];
    for (NodeId i = 0; i < n_; ++i) restart(i);
    for (int c = 0; c < n_clients; ++c) {
      Client client;
      client.address = n_ + c;
      client.id = c + 1;
      client.next_issue = rng_.between(0, 5 * kMs);
      clients_.push_back(client);
    }
    next_fault_ = rng_.between(100 * kMs, 400 * kMs);
  }

  // Runs events in time order until `end` (or the first failed check).
  void run_until(Nanos end) {
    while (!::testing::Test::HasFatalFailure() && !failed_) {
      const Nanos t = next_event_time();
      if (t > end) break;
      now_ = t;
      step();
      if (++steps_ % 16 == 0) check_log_matching();
    }
    now_ = end;
  }

  void heal() {
    faults_ = Faults{};
    std::fill(side_.begin(), side_.end(), 0);
    for (NodeId i = 0; i < n_; ++i) {
      if (!nodes_[static_cast<size_t>(i)]) restart(i);
    }
  }
  void stop_clients() { clients_stopped_ = true; }

  int64_t ops_done() const {
    int64_t total = 0;
    for (const Client& c : clients_) total += c.done;
    return total;
  }
  bool failed() const { return failed_; }
  int64_t applied() const { return static_cast<int64_t>(applied_.size()); }
  // Messages put on the wire, by kind, and entries carried by AppendEntries.
  int64_t sent(MsgKind k) const { return sent_[static_cast<size_t>(k)]; }
  int64_t entries_sent() const { return entries_sent_; }
  int64_t rejections() const { return rejections_; }

  std::string summary() const {
    return fmt::format(
        "seed={} n={} pre_vote={} check_quorum={} max_entries={} steps={} ops={} applied={} "
        "leaders={} elections={} crashes={} partitions={} truncations={} messages={} appends={} "
        "entries_sent={} rejections={}",
        seed_, n_, flags_.pre_vote, flags_.check_quorum, max_entries_, steps_, ops_done(),
        applied_.size(), leader_of_term_.size(), elections_, crashes_, partitions_, truncations_,
        order_, sent(MsgKind::RaftAppendEntries), entries_sent_, rejections_);
  }
  std::string trace() const {
    std::string s;
    for (const auto& line : trace_) s += line + "\n";
    return s;
  }

  int elections() const { return elections_; }  // ElectionStart events so far
  const Config& flags() const { return flags_; }

  // Liveness once healed: exactly one leader, of the highest term, that every other node follows
  // in that term.
  void expect_settled() {
    NodeId leader = kNoNode;
    for (NodeId i = 0; i < n_; ++i) {
      if (nodes_[static_cast<size_t>(i)]->role() == Role::Leader) {
        EXPECT_EQ(leader, kNoNode) << "a second leader: n" << i;
        leader = i;
      }
    }
    if (leader == kNoNode) {
      fail("no leader after healing");
      return;
    }
    const RaftNode& l = *nodes_[static_cast<size_t>(leader)];
    for (NodeId i = 0; i < n_; ++i) {
      const RaftNode& node = *nodes_[static_cast<size_t>(i)];
      EXPECT_EQ(node.term(), l.term()) << node.describe();
      if (i != leader) {
        EXPECT_EQ(node.leader_hint(), leader) << node.describe();
      }
    }
    if (::testing::Test::HasFailure()) fail("did not settle on one leader");
  }

  // After a quiet period every node must hold the same commit index and state machine.
  void expect_converged() {
    check_log_matching();
    const RaftNode& first = *nodes_[0];
    for (NodeId i = 0; i < n_; ++i) {
      const RaftNode& node = *nodes_[static_cast<size_t>(i)];
      EXPECT_EQ(node.commit_index(), first.commit_index()) << node.describe();
      EXPECT_EQ(node.last_applied(), node.commit_index()) << node.describe();
      EXPECT_EQ(node.state_machine().data(), first.state_machine().data()) << node.describe();
    }
    EXPECT_EQ(static_cast<int64_t>(applied_.size()), first.commit_index());
    if (::testing::Test::HasFailure()) fail("did not converge");
  }

 private:
  struct InFlight {
    Nanos at;
    uint64_t order;
    Address from;
    Address to;
    uint64_t to_incarnation;
    MessagePtr message;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  struct Client {
    Address address = 0;
    int64_t id = 0;
    uint64_t seq = 0;
    bool outstanding = false;
    Command command;
    NodeId target = 0;
    Nanos next_issue = 0;  // when idle
    Nanos retry_at = kNever;
    int64_t done = 0;
  };
  struct Applied {
    int64_t term;
    std::string command;
  };

  Nanos next_event_time() const {
    Nanos t = wire_.empty() ? kNever : wire_.top().at;
    for (const auto& node : nodes_) {
      if (node) t = std::min(t, node->next_timer());
    }
    for (const Client& c : clients_) {
      t = std::min(t, c.outstanding ? c.retry_at : clients_stopped_ ? kNever : c.next_issue);
    }
    if (faults_.crashes || faults_.partitions) t = std::min(t, next_fault_);
    return t;
  }

  void step() {
    if (!wire_.empty() && wire_.top().at == now_) {
      InFlight f = wire_.top();
      wire_.pop();
      deliver(f);
      return;
    }
    for (NodeId i = 0; i < n_; ++i) {
      RaftNode* node = nodes_[static_cast<size_t>(i)].get();
      if (node && node->next_timer() <= now_) {
        Outbox out;
        node->on_timer(now_, out);
        after_step(i, out, "timer");
        return;
      }
    }
    for (Client& c : clients_) {
      if (c.outstanding && c.retry_at <= now_) {
        c.target = static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_)));
        send_request(c);
        return;
      }
      if (!c.outstanding && !clients_stopped_ && c.next_issue <= now_) {
        issue(c);
        return;
      }
    }
    inject_fault();
  }

  // --- network -----------------------------------------------------------------------------

  // A partition cuts links between cluster nodes of different sides. Clients reach every node,
  // so a leader cut off from its followers keeps taking requests it can never commit.
  bool cut(Address a, Address b) const {
    if (a >= n_ || b >= n_) return false;
    return side_[static_cast<size_t>(a)] != side_[static_cast<size_t>(b)];
  }

  void send(Address from, Address to, const MessagePtr& m) {
    ++sent_[static_cast<size_t>(m->kind())];
    if (m->kind() == MsgKind::RaftAppendEntries) {
      entries_sent_ += static_cast<int64_t>(static_cast<const AppendEntries&>(*m).entries.size());
    }
    if (m->kind() == MsgKind::RaftAppendEntriesReply) {
      rejections_ += static_cast<const AppendEntriesReply&>(*m).success ? 0 : 1;
    }
    if (cut(from, to) || rng_.chance(faults_.drop)) return;
    uint64_t inc = 0;
    if (to < n_) {
      if (!nodes_[static_cast<size_t>(to)]) return;  // nobody there
      inc = incarnation_[static_cast<size_t>(to)];
    }
    const int copies = rng_.chance(faults_.duplicate) ? 2 : 1;
    for (int k = 0; k < copies; ++k) {
      wire_.push({now_ + rng_.between(1 * kMs, 10 * kMs), order_++, from, to, inc, m});
    }
  }

  void deliver(const InFlight& f) {
    if (cut(f.from, f.to)) return;
    if (f.to >= n_) {
      on_client_reply(f.to, *f.message);
      return;
    }
    auto& node = nodes_[static_cast<size_t>(f.to)];
    if (!node || incarnation_[static_cast<size_t>(f.to)] != f.to_incarnation) return;
    Outbox out;
    node->on_message(now_, f.from, *f.message, out);
    after_step(f.to, out, fmt::format("from {}: {}", f.from, f.message->describe()));
  }

  void after_step(NodeId i, Outbox& out, const std::string& input) {
    RaftNode& node = *nodes_[static_cast<size_t>(i)];
    count_truncation(i);
    note(fmt::format("{} | {} -> {}", input, node.describe(), out.messages.size()));
    for (const ProtocolEvent& e : out.events) observe(i, e);
    for (const std::string& line : node.check_invariants()) fail("invariant: " + line);
    for (const Outbox::Send& s : out.messages) send(i, s.to, s.message);
  }

  // A statistic, to see that runs exercise conflicts: the node's former last entry is gone.
  void count_truncation(NodeId i) {
    const auto& log = storages_[static_cast<size_t>(i)].log;
    auto& [size, term] = last_entry_[static_cast<size_t>(i)];
    if (log.size() < size || (size > 0 && log[size - 1].term != term)) ++truncations_;
    size = log.size();
    term = log.empty() ? 0 : log.back().term;
  }

  // --- faults ------------------------------------------------------------------------------

  void inject_fault() {
    next_fault_ = now_ + rng_.between(50 * kMs, 400 * kMs);
    int down = 0;
    for (const auto& node : nodes_) down += node ? 0 : 1;
    const uint64_t pick = rng_.below(10);
    if (faults_.partitions && pick < 4) {
      partition_or_heal();
    } else if (faults_.crashes && down > 0 && (pick >= 7 || down >= n_ - 1)) {
      for (NodeId i = 0; i < n_; ++i) {
        if (!nodes_[static_cast<size_t>(i)]) {
          restart(i);
          break;
        }
      }
    } else if (faults_.crashes) {
      crash(choose_victim());
    }
  }

  // Half the time the current leader (the interesting one to lose), else anyone alive.
  NodeId choose_victim() {
    if (rng_.chance(0.5)) {
      for (NodeId i = 0; i < n_; ++i) {
        const auto& node = nodes_[static_cast<size_t>(i)];
        if (node && node->role() == Role::Leader) return i;
      }
    }
    return static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_)));
  }

  void crash(NodeId victim) {
    auto& node = nodes_[static_cast<size_t>(victim)];
    if (!node) return;
    note(fmt::format("fault: crash n{}", victim));
    node.reset();
    ++incarnation_[static_cast<size_t>(victim)];  // its in-flight messages vanish
    ++crashes_;
  }

  void partition_or_heal() {
    const bool whole = std::all_of(side_.begin(), side_.end(), [](int s) { return s == 0; });
    std::fill(side_.begin(), side_.end(), 0);
    if (!whole) {
      note("fault: heal partition");
      return;
    }
    // A random minority (possibly holding the leader) on the other side.
    const auto minority = 1 + rng_.below(static_cast<uint64_t>(n_ / 2));
    std::string names;
    for (uint64_t k = 0; k < minority; ++k) {
      const auto i = static_cast<size_t>(rng_.below(static_cast<uint64_t>(n_)));
      side_[i] = 1;
      names += fmt::format(" n{}", i);
    }
    note("fault: partition off" + names);
    ++partitions_;
  }

  void restart(NodeId i) {
    const auto k = static_cast<size_t>(i);
    ++incarnation_[k];
    Config config = flags_;
    config.max_entries_per_append = max_entries_;  // small ones make catch-up take many rounds
    nodes_[k] = std::make_unique<RaftNode>(
        i, n_, config, &storages_[k], Rng::stream(seed_, "raft-node", k * 1000 + incarnation_[k]));
    applied_by_[k] = 0;
    Outbox out;
    nodes_[k]->start(now_, out);
    after_step(i, out, fmt::format("restart n{}", i));
  }

  // --- clients -----------------------------------------------------------------------------

  void issue(Client& c) {
    c.outstanding = true;
    c.command = cmd(c.id, ++c.seq, static_cast<OpType>(rng_.below(3)), rng_.between(0, 3),
                    rng_.between(0, 3), rng_.chance(0.5) ? "a" : "b");
    send_request(c);
  }

  void send_request(Client& c) {
    c.retry_at = now_ + 200 * kMs;
    send(c.address, c.target, client_request(c.command));
  }

  void on_client_reply(Address to, const Message& m) {
    Client& c = clients_[static_cast<size_t>(to - n_)];
    const auto& reply = static_cast<const ClientReply&>(m);
    if (!c.outstanding || reply.seq != c.seq) return;  // an answer to an earlier attempt
    if (reply.result.status == ReplyStatus::NotLeader) {
      c.target = reply.leader_hint != kNoNode
                     ? reply.leader_hint
                     : static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_)));
      send_request(c);
      return;
    }
    // The answer must be what the single applied order gives this command.
    auto it = reference_results_.find({c.id, c.seq});
    if (it == reference_results_.end()) {
      fail(fmt::format("client {} got an answer for {} that was never applied", c.id,
                       c.command.describe()));
      return;
    }
    if (it->second.status != reply.result.status || it->second.value != reply.result.value) {
      fail(fmt::format("client {} got {} for {}, the applied order gives {}", c.id,
                       reply.describe(), c.command.describe(), status_name(it->second.status)));
    }
    c.outstanding = false;
    c.retry_at = kNever;
    c.next_issue = now_ + rng_.between(0, 5 * kMs);
    ++c.done;
  }

  // --- checks ------------------------------------------------------------------------------

  void observe(NodeId i, const ProtocolEvent& e) {
    if (e.type == EventType::ElectionStart) ++elections_;
    if (e.type == EventType::Role && e.role == "leader") on_new_leader(i, e.term);
    if (e.type == EventType::Apply) on_apply(i, e);
  }

  // Election Safety and Leader Completeness.
  void on_new_leader(NodeId i, int64_t term) {
    auto [it, fresh] = leader_of_term_.try_emplace(term, i);
    if (!fresh && it->second != i) {
      fail(fmt::format("two leaders in term {}: n{} and n{}", term, it->second, i));
    }
    const Storage& s = storages_[static_cast<size_t>(i)];
    for (size_t k = 0; k < applied_.size(); ++k) {
      if (k >= s.log.size() || s.log[k].term != applied_[k].term) {
        fail(fmt::format("leader n{} of term {} lacks applied entry {}", i, term, k + 1));
        return;
      }
    }
  }

  // State Machine Safety: one command per index, everywhere; each node applies 1, 2, 3, ...
  void on_apply(NodeId i, const ProtocolEvent& e) {
    int64_t& mine = applied_by_[static_cast<size_t>(i)];
    if (e.index != mine + 1) fail(fmt::format("n{} applied {} after {}", i, e.index, mine));
    mine = e.index;
    const auto k = static_cast<size_t>(e.index - 1);
    if (k < applied_.size()) {
      if (applied_[k].term != e.entry_term || applied_[k].command != e.command) {
        fail(fmt::format("n{} applied {} '{}' at {}, another node applied '{}'", i, e.entry_term,
                         e.command, e.index, applied_[k].command));
      }
      return;
    }
    applied_.push_back({e.entry_term, e.command});
    const Entry& entry = storages_[static_cast<size_t>(i)].log[k];
    if (entry.noop) return;
    const ClientResult r = reference_.apply(entry.command);
    reference_results_.try_emplace({entry.command.client, entry.command.seq}, r);
  }

  // Log Matching: if two logs hold an entry with the same index and term, the logs are identical
  // up to it. Checked at the highest index where each pair agrees on the term.
  void check_log_matching() {
    for (NodeId a = 0; a < n_; ++a) {
      for (NodeId b = a + 1; b < n_; ++b) {
        const auto& la = storages_[static_cast<size_t>(a)].log;
        const auto& lb = storages_[static_cast<size_t>(b)].log;
        size_t k = std::min(la.size(), lb.size());
        while (k > 0 && la[k - 1].term != lb[k - 1].term) --k;
        for (size_t j = 0; j < k; ++j) {
          if (!(la[j] == lb[j])) {
            fail(fmt::format("logs of n{} and n{} agree at {} but differ at {}", a, b, k, j + 1));
            return;
          }
        }
      }
    }
  }

  void note(const std::string& line) {
    std::string stamped = fmt::format("{:9.3f}ms {}", to_millis(now_), line);
    if (trace_all_) fmt::print(stderr, "{}\n", stamped);
    trace_.push_back(std::move(stamped));
    if (trace_.size() > 40) trace_.pop_front();
  }

  void fail(const std::string& what) {
    failed_ = true;
    ADD_FAILURE() << "seed " << seed_ << " at " << to_millis(now_) << "ms: " << what
                  << "\nlast steps:\n"
                  << trace();
  }

  const int n_;
  const uint64_t seed_;
  const Config flags_;  // pre_vote and check_quorum for this seed
  Rng rng_;
  Nanos now_ = 0;
  uint64_t steps_ = 0;
  int crashes_ = 0;
  int partitions_ = 0;
  int truncations_ = 0;
  int elections_ = 0;
  uint64_t order_ = 0;
  std::array<int64_t, static_cast<size_t>(MsgKind::kCount)> sent_{};
  int64_t entries_sent_ = 0;
  int64_t rejections_ = 0;
  bool failed_ = false;
  const bool trace_all_ = std::getenv("RAFT_TRACE") != nullptr;
  Faults faults_;
  int max_entries_ = 8;
  Nanos next_fault_ = kNever;
  bool clients_stopped_ = false;

  std::vector<Storage> storages_;                 // survive crashes
  std::vector<std::unique_ptr<RaftNode>> nodes_;  // null while crashed
  std::vector<uint64_t> incarnation_;
  std::vector<int> side_;  // partition side per node; all 0 when whole
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> wire_;
  std::vector<Client> clients_;

  std::map<int64_t, NodeId> leader_of_term_;
  std::vector<Applied> applied_;                        // the one applied order, index - 1
  std::vector<int64_t> applied_by_;                     // per node, this incarnation
  std::vector<std::pair<size_t, int64_t>> last_entry_;  // per node: log size and last term
  KvStore reference_;
  std::map<std::pair<int64_t, uint64_t>, ClientResult> reference_results_;
  std::deque<std::string> trace_;
};

void run_seed(int n, uint64_t seed) {
  SCOPED_TRACE(fmt::format("{} nodes, seed {}", n, seed));
  Cluster cluster(n, seed, 4, /*faults=*/true);
  cluster.run_until(5 * kNanosPerSecond);  // safety phase: all faults
  if (cluster.failed()) return;
  const int64_t before = cluster.ops_done();
  cluster.heal();
  // Liveness: a healed cluster serves clients again within a couple of election rounds (leases
  // run out, a pre-vote round, the election, the no-op) ...
  cluster.run_until(6 * kNanosPerSecond);
  EXPECT_GT(cluster.ops_done(), before) << "no progress within 1s of healing";
  cluster.run_until(7 * kNanosPerSecond);  // ... and keeps making progress
  EXPECT_GE(cluster.ops_done() - before, 4 * 5) << "too little progress after healing";
  cluster.expect_settled();
  // Once settled, a fault-free cluster holds no more elections (leader stability).
  const int elections = cluster.elections();
  cluster.stop_clients();
  cluster.run_until(8 * kNanosPerSecond);  // quiet: everyone catches up
  EXPECT_EQ(cluster.elections(), elections) << "an election in a healed, settled cluster";
  cluster.expect_settled();
  cluster.expect_converged();
  if (std::getenv("RAFT_VERBOSE")) fmt::print(stderr, "{}\n", cluster.summary());
}

// RAFT_SEEDS=N in the environment runs N seeds instead of the default (for long soaks);
// RAFT_SEED=S runs that one seed only (to replay a failure); RAFT_TRACE=1 prints every step and
// RAFT_VERBOSE=1 a summary per seed.
std::pair<uint64_t, uint64_t> seed_range(uint64_t default_count) {
  if (const char* one = std::getenv("RAFT_SEED")) {
    const uint64_t s = std::strtoull(one, nullptr, 10);
    return {s, s};
  }
  const char* count = std::getenv("RAFT_SEEDS");
  return {1, count ? std::strtoull(count, nullptr, 10) : default_count};
}

// §5: Election Safety, Log Matching, Leader Completeness and State Machine Safety under message
// loss, duplication, reordering, partitions, crashes and restarts; then progress once healed.
TEST(RaftCluster, ThreeNodesStaySafeUnderFaultsAndRecover) {
  const auto [first, last] = seed_range(150);
  for (uint64_t seed = first; seed <= last; ++seed) {
    run_seed(3, seed);
    if (HasFailure()) return;
  }
}

TEST(RaftCluster, FiveNodesStaySafeUnderFaultsAndRecover) {
  const auto [first, last] = seed_range(100);
  for (uint64_t seed = first; seed <= last; ++seed) {
    run_seed(5, seed);
    if (HasFailure()) return;
  }
}

// Without faults, but with the network's jitter reordering messages, replication stays cheap:
// each entry reaches each follower about once (pipelining, and followers holding batches that
// overtake their predecessors), and almost nothing is rejected.
TEST(RaftCluster, SteadyStateSendsEachEntryToEachFollowerAboutOnce) {
  for (int n : {3, 5}) {
    Cluster cluster(n, 1, 8, /*faults=*/false, 64);
    cluster.run_until(3 * kNanosPerSecond);
    if (std::getenv("RAFT_VERBOSE")) fmt::print(stderr, "{}\n", cluster.summary());
    const int64_t followers = n - 1;
    EXPECT_GT(cluster.applied(), 500);
    EXPECT_LE(cluster.entries_sent(), cluster.applied() * followers * 11 / 10) << cluster.summary();
    EXPECT_LE(cluster.rejections(), 10) << cluster.summary();
  }
}

}  // namespace
}  // namespace synod::raft
