// Randomized whole-cluster tests (TigerBeetle VOPR style, in miniature) for Basic Paxos and
// Multi-Paxos: 3 and 5 nodes over an in-memory network that delays (so reorders), drops and
// duplicates messages, and crashes and restarts nodes with the same Storage; a few clients with
// retries drive a KV workload. One seed gives one run. After every step it checks:
//   - at most one value is chosen per slot ("Paxos Made Simple" §2.2's safety requirement),
//     computed from the acceptors' Accept events: a value is chosen in a slot once a majority of
//     acceptors accepted it in the same ballot; and one ballot never carries two values;
//   - every Learn is of the value so chosen;
//   - every node applies slots 1, 2, 3, ... and all applied sequences are prefixes of one another;
//   - each node's own check_invariants();
//   - client answers equal what a reference KvStore gives for the one applied order.
// Then a liveness phase without faults must make progress.
// PAXOS_SEED=S replays one seed; PAXOS_SEEDS=N runs N seeds.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/protocols/client_workload.hpp"
#include "tests/protocols/paxos_test_util.hpp"

namespace synod::paxos {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

template <class Node>
class Cluster {
 public:
  Cluster(int n, uint64_t seed, int n_clients)
      : sim_(n, Config{}, seed, "paxos-cluster-test"),
        drop_(static_cast<double>(sim_.rng().below(16)) / 100),  // 0-15%
        clients_(sim_, n_clients, ClientTarget::Random),
        applied_by_(static_cast<size_t>(n), 0) {
    sim_.links.latency_min = 1 * kMs;
    sim_.links.latency_max = 10 * kMs;
    sim_.links.drop = drop_;
    sim_.links.duplicate = 0.03;
    sim_.trace_to_stderr = std::getenv("PAXOS_TRACE") != nullptr;  // every step, as it happens
    sim_.on_step = [this](NodeId i, const Outbox& out) {
      for (const ProtocolEvent& e : out.events) observe(i, e);
    };
    sim_.add_agent({[this] { return faults_ ? next_fault_ : kNever; }, [this] { inject_fault(); }});
    next_fault_ = sim_.rng().between(100 * kMs, 400 * kMs);
  }

  void run_until(Nanos t) { sim_.run_until(t); }
  bool failed() const { return sim_.failed(); }
  void heal() {
    faults_ = false;
    sim_.links.drop = 0;
    sim_.links.duplicate = 0;
    for (NodeId i = 0; i < n(); ++i) {
      if (!sim_.alive(i)) restart(i);
    }
  }
  void stop_clients() { clients_.stop(); }
  int64_t ops_done() const { return clients_.ops_done(); }
  std::string summary() const {
    return fmt::format(
        "seed={} n={} drop={:.2f} ops={} applied={} chosen={} crashes={} ballot_differs={}",
        sim_.seed(), n(), drop_, ops_done(), applied_.size(), chosen_.size(), crashes_,
        ballot_differs_);
  }

  // After a quiet period every node has learned and applied the same log (Multi-Paxos: the
  // heartbeats' commit point drives catch-up).
  void expect_converged() {
    const Node& first = sim_.node(0);
    for (NodeId i = 0; i < n(); ++i) {
      const Node& node = sim_.node(i);
      EXPECT_EQ(node.applied(), static_cast<int64_t>(applied_.size())) << node.describe();
      EXPECT_EQ(node.state_machine().data(), first.state_machine().data()) << node.describe();
    }
    if (::testing::Test::HasFailure()) fail("did not converge: " + summary());
  }
  int64_t applied() const { return static_cast<int64_t>(applied_.size()); }

 private:
  struct Votes {
    std::string value;
    std::set<NodeId> acceptors;
  };

  int n() const { return sim_.size(); }

  void inject_fault() {
    next_fault_ = sim_.now() + sim_.rng().between(100 * kMs, 600 * kMs);
    for (NodeId i = 0; i < n(); ++i) {
      if (!sim_.alive(i)) {
        restart(i);
        return;
      }
    }
    const auto victim = static_cast<NodeId>(sim_.rng().below(static_cast<uint64_t>(n())));
    sim_.crash(victim);
    ++crashes_;
  }

  void restart(NodeId i) {
    applied_by_[static_cast<size_t>(i)] = 0;  // a new incarnation re-applies from slot 1
    sim_.restart(i);
  }

  void observe(NodeId i, const ProtocolEvent& e) {
    switch (e.type) {
      case EventType::Accept:
        on_accept(i, e);
        break;
      case EventType::Learn:
        on_learn(i, e);
        break;
      case EventType::Apply:
        on_apply(i, e);
        break;
      default:
        break;
    }
  }

  // §2.2: chosen = accepted by a majority in one ballot; at most one value per slot.
  void on_accept(NodeId i, const ProtocolEvent& e) {
    Votes& v = votes_[{e.index, e.term}];
    if (v.acceptors.empty()) v.value = e.command;
    if (v.value != e.command) {
      fail(fmt::format("slot {} ballot {}: n{} accepted '{}', another accepted '{}'", e.index,
                       ballot_name(e.term), i, e.command, v.value));
      return;
    }
    v.acceptors.insert(i);
    if (static_cast<int>(v.acceptors.size()) * 2 <= n()) return;
    auto [it, fresh] = chosen_.try_emplace(e.index, e.command);
    if (!fresh && it->second != e.command) {
      fail(fmt::format("slot {}: '{}' chosen in ballot {} after '{}' was chosen", e.index,
                       e.command, ballot_name(e.term), it->second));
    }
  }

  void on_learn(NodeId i, const ProtocolEvent& e) {
    auto it = chosen_.find(e.index);
    if (it == chosen_.end() || it->second != e.command) {
      fail(fmt::format(
          "n{} learned '{}' in slot {}, but {}", i, e.command, e.index,
          it == chosen_.end() ? "nothing is chosen there" : "'" + it->second + "' is chosen"));
    }
  }

  // Applied sequences are prefixes of one another: each node applies 1, 2, 3, ... and agrees
  // with the one applied order seen so far.
  void on_apply(NodeId i, const ProtocolEvent& e) {
    int64_t& mine = applied_by_[static_cast<size_t>(i)];
    if (e.index != mine + 1) fail(fmt::format("n{} applied {} after {}", i, e.index, mine));
    mine = e.index;
    const auto k = static_cast<size_t>(e.index - 1);
    if (k < applied_.size()) {
      // Not a violation: a value can be chosen in several ballots (a new leader re-proposes it),
      // and nodes that learned it from different leaders report different ballots.
      if (applied_ballot_[k] != e.entry_term) ++ballot_differs_;
      if (applied_[k] != e.command) {
        fail(fmt::format("n{} applied '{}' at {}, another node applied '{}'", i, e.command, e.index,
                         applied_[k]));
      }
      return;
    }
    applied_.push_back(e.command);
    applied_ballot_.push_back(e.entry_term);
    const Decision* d = nullptr;
    auto it = sim_.storage(i).chosen.find(e.index);
    if (it != sim_.storage(i).chosen.end()) d = &it->second;
    if (!d) {
      fail(fmt::format("n{} applied slot {} that it does not hold chosen", i, e.index));
      return;
    }
    if (!d->value.noop) clients_.on_applied(d->value.command);
  }

  void fail(const std::string& what) { sim_.fail(what); }

  Sim<Node> sim_;
  const double drop_;
  ClientWorkload<Sim<Node>> clients_;
  bool faults_ = true;
  Nanos next_fault_ = kNever;
  int crashes_ = 0;
  std::map<std::pair<int64_t, Ballot>, Votes> votes_;  // (slot, ballot) -> accepted value
  std::map<int64_t, std::string> chosen_;              // slot -> the value chosen there
  std::vector<std::string> applied_;                   // the one applied order, slot - 1
  std::vector<Ballot> applied_ballot_;                 // the ballot its first applier knew
  int64_t ballot_differs_ = 0;       // applies of a slot with another ballot than the first one's
  std::vector<int64_t> applied_by_;  // per node, this incarnation
};

template <class Node>
void run_seed(int n, uint64_t seed) {
  SCOPED_TRACE(fmt::format("{} nodes, seed {}", n, seed));
  Cluster<Node> cluster(n, seed, 4);
  cluster.run_until(3 * kNanosPerSecond);  // safety phase: all faults
  if (cluster.failed()) return;
  const int64_t before = cluster.ops_done();
  cluster.heal();
  cluster.run_until(5 * kNanosPerSecond);  // liveness phase: healed, must make progress
  EXPECT_GE(cluster.ops_done() - before, 4 * 5) << "too little progress after healing";
  if (std::is_same_v<Node, MultiPaxosNode> && !cluster.failed()) {
    cluster.stop_clients();
    cluster.run_until(6 * kNanosPerSecond);  // quiet: everyone catches up
    cluster.expect_converged();
  }
  if (std::getenv("PAXOS_VERBOSE")) fmt::print(stderr, "{}\n", cluster.summary());
}

// A sweep stops at its first failure, which names its seed.
template <class Node>
void sweep(int n, uint64_t default_count) {
  const auto [first, last] = seed_range("PAXOS", default_count);
  for (uint64_t seed = first; seed <= last && !::testing::Test::HasFailure(); ++seed) {
    run_seed<Node>(n, seed);
  }
}

// §2.2 safety (only a value that has been proposed may be chosen, only a single value is chosen)
// under loss, duplication, reordering, crashes and restarts; then progress once healed.
TEST(PaxosCluster, ThreeNodesStaySafeUnderFaultsAndRecover) { sweep<PaxosNode>(3, 40); }

TEST(PaxosCluster, FiveNodesStaySafeUnderFaultsAndRecover) { sweep<PaxosNode>(5, 25); }

// Multi-Paxos: the same safety properties through leader changes (phase 1 recovery of accepted
// but unchosen slots, no-op gap filling); after healing, progress and convergence of every
// replica through heartbeats and catch-up.
TEST(MultiPaxosCluster, ThreeNodesStaySafeUnderFaultsAndConverge) { sweep<MultiPaxosNode>(3, 40); }

TEST(MultiPaxosCluster, FiveNodesStaySafeUnderFaultsAndConverge) { sweep<MultiPaxosNode>(5, 25); }

}  // namespace
}  // namespace synod::paxos
