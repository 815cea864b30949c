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
#include <type_traits>

#include "tests/protocols/paxos_test_util.hpp"

namespace synod::paxos {
namespace {

using namespace testing;  // NOLINT: the fixtures of this suite

template <class Node>
class Cluster {
 public:
  Cluster(int n, uint64_t seed, int n_clients)
      : n_(n),
        seed_(seed),
        rng_(Rng::stream(seed, "paxos-cluster-test")),
        sim_(n, config(), seed),
        applied_by_(static_cast<size_t>(n), 0) {
    drop_ = static_cast<double>(rng_.below(16)) / 100;  // 0-15%
    sim_.latency = [this](Address, Address, const Message&) {
      return rng_.between(1 * kMs, 10 * kMs);
    };
    sim_.drop = [this](Address, Address, const Message&) { return faults_ && rng_.chance(drop_); };
    sim_.duplicate = [this](Address, Address, const Message&) {
      return faults_ && rng_.chance(0.03);
    };
    sim_.on_step = [this](NodeId i, const Outbox& out) {
      for (const ProtocolEvent& e : out.events) observe(i, e);
    };
    sim_.on_reply = [this](const typename Sim<Node>::Reply& r) { on_reply(r); };
    sim_.external_timer = [this] { return next_external(); };
    sim_.on_external = [this] { run_external(); };
    for (int c = 0; c < n_clients; ++c) {
      Client client;
      client.address = n_ + c;
      client.id = c + 1;
      client.next_issue = rng_.between(0, 5 * kMs);
      clients_.push_back(client);
    }
    next_fault_ = rng_.between(100 * kMs, 400 * kMs);
  }

  static Config config() {
    Config c;
    return c;
  }

  void run_until(Nanos t) { sim_.run_until(t); }
  bool failed() const { return sim_.failed; }
  void heal() {
    faults_ = false;
    for (NodeId i = 0; i < n_; ++i) {
      if (!sim_.alive(i)) restart(i);
    }
  }
  void stop_clients() { clients_stopped_ = true; }
  int64_t ops_done() const {
    int64_t total = 0;
    for (const Client& c : clients_) total += c.done;
    return total;
  }
  std::string summary() const {
    return fmt::format(
        "seed={} n={} drop={:.2f} ops={} applied={} chosen={} crashes={} ballot_differs={}", seed_,
        n_, drop_, ops_done(), applied_.size(), chosen_.size(), crashes_, ballot_differs_);
  }
  Sim<Node>& sim() { return sim_; }

  // After a quiet period every node has learned and applied the same log (Multi-Paxos: the
  // heartbeats' commit point drives catch-up).
  void expect_converged() {
    const Node& first = sim_.node(0);
    for (NodeId i = 0; i < n_; ++i) {
      const Node& node = sim_.node(i);
      EXPECT_EQ(node.applied(), static_cast<int64_t>(applied_.size())) << node.describe();
      EXPECT_EQ(node.state_machine().data(), first.state_machine().data()) << node.describe();
    }
    if (::testing::Test::HasFailure()) fail("did not converge: " + summary());
  }
  int64_t applied() const { return static_cast<int64_t>(applied_.size()); }

 private:
  struct Client {
    Address address = 0;
    int64_t id = 0;
    uint64_t seq = 0;
    bool outstanding = false;
    Command command;
    Nanos next_issue = 0;
    Nanos retry_at = kNever;
    int64_t done = 0;
  };
  struct Votes {
    std::string value;
    std::set<NodeId> acceptors;
  };

  Nanos next_external() const {
    Nanos t = faults_ ? next_fault_ : kNever;
    for (const Client& c : clients_) {
      t = std::min(t, c.outstanding ? c.retry_at : clients_stopped_ ? kNever : c.next_issue);
    }
    return t;
  }

  void run_external() {
    const Nanos now = sim_.now();
    for (Client& c : clients_) {
      if (c.outstanding && c.retry_at <= now) {
        send_request(c, static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_))));
        return;
      }
      if (!c.outstanding && !clients_stopped_ && c.next_issue <= now) {
        c.outstanding = true;
        c.command = cmd(c.id, ++c.seq, static_cast<OpType>(rng_.below(3)), rng_.between(0, 3),
                        rng_.between(0, 3), rng_.chance(0.5) ? "a" : "b");
        send_request(c, static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_))));
        return;
      }
    }
    if (faults_ && next_fault_ <= now) inject_fault();
  }

  void send_request(Client& c, NodeId to) {
    c.retry_at = sim_.now() + 200 * kMs;
    sim_.client_send(c.address, to, c.command);
  }

  void inject_fault() {
    next_fault_ = sim_.now() + rng_.between(100 * kMs, 600 * kMs);
    for (NodeId i = 0; i < n_; ++i) {
      if (!sim_.alive(i)) {
        restart(i);
        return;
      }
    }
    const auto victim = static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_)));
    sim_.crash(victim);
    ++crashes_;
  }

  void restart(NodeId i) {
    applied_by_[static_cast<size_t>(i)] = 0;  // a new incarnation re-applies from slot 1
    sim_.restart(i);
  }

  void on_reply(const typename Sim<Node>::Reply& r) {
    Client& c = clients_[static_cast<size_t>(r.to - n_)];
    const ClientReply& reply = r.reply;
    if (!c.outstanding || reply.seq != c.seq) return;  // an answer to an earlier attempt
    if (reply.result.status == ReplyStatus::NotLeader) {
      const NodeId to = reply.leader_hint != kNoNode
                            ? reply.leader_hint
                            : static_cast<NodeId>(rng_.below(static_cast<uint64_t>(n_)));
      send_request(c, to);
      return;
    }
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
    c.next_issue = sim_.now() + rng_.between(0, 5 * kMs);
    ++c.done;
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
    if (static_cast<int>(v.acceptors.size()) * 2 <= n_) return;
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
    if (d->value.noop) return;
    const ClientResult r = reference_.apply(d->value.command);
    reference_results_.try_emplace({d->value.command.client, d->value.command.seq}, r);
  }

  void fail(const std::string& what) {
    sim_.failed = true;
    ADD_FAILURE() << "seed " << seed_ << " at " << to_millis(sim_.now()) << "ms: " << what;
  }

  const int n_;
  const uint64_t seed_;
  Rng rng_;
  Sim<Node> sim_;
  double drop_ = 0;
  bool faults_ = true;
  bool clients_stopped_ = false;
  Nanos next_fault_ = kNever;
  int crashes_ = 0;
  std::vector<Client> clients_;
  std::map<std::pair<int64_t, Ballot>, Votes> votes_;  // (slot, ballot) -> accepted value
  std::map<int64_t, std::string> chosen_;              // slot -> the value chosen there
  std::vector<std::string> applied_;                   // the one applied order, slot - 1
  std::vector<Ballot> applied_ballot_;                 // the ballot its first applier knew
  int64_t ballot_differs_ = 0;       // applies of a slot with another ballot than the first one's
  std::vector<int64_t> applied_by_;  // per node, this incarnation
  KvStore reference_;
  std::map<std::pair<int64_t, uint64_t>, ClientResult> reference_results_;
};

std::pair<uint64_t, uint64_t> seed_range(uint64_t default_count) {
  if (const char* one = std::getenv("PAXOS_SEED")) {
    const uint64_t s = std::strtoull(one, nullptr, 10);
    return {s, s};
  }
  const char* count = std::getenv("PAXOS_SEEDS");
  return {1, count ? std::strtoull(count, nullptr, 10) : default_count};
}

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

// §2.2 safety (only a value that has been proposed may be chosen, only a single value is chosen)
// under loss, duplication, reordering, crashes and restarts; then progress once healed.
TEST(PaxosCluster, ThreeNodesStaySafeUnderFaultsAndRecover) {
  const auto [first, last] = seed_range(40);
  for (uint64_t seed = first; seed <= last; ++seed) {
    run_seed<PaxosNode>(3, seed);
    if (HasFailure()) return;
  }
}

TEST(PaxosCluster, FiveNodesStaySafeUnderFaultsAndRecover) {
  const auto [first, last] = seed_range(25);
  for (uint64_t seed = first; seed <= last; ++seed) {
    run_seed<PaxosNode>(5, seed);
    if (HasFailure()) return;
  }
}

// Multi-Paxos: the same safety properties through leader changes (phase 1 recovery of accepted
// but unchosen slots, no-op gap filling); after healing, progress and convergence of every
// replica through heartbeats and catch-up.
TEST(MultiPaxosCluster, ThreeNodesStaySafeUnderFaultsAndConverge) {
  const auto [first, last] = seed_range(40);
  for (uint64_t seed = first; seed <= last; ++seed) {
    run_seed<MultiPaxosNode>(3, seed);
    if (HasFailure()) return;
  }
}

TEST(MultiPaxosCluster, FiveNodesStaySafeUnderFaultsAndConverge) {
  const auto [first, last] = seed_range(25);
  for (uint64_t seed = first; seed <= last; ++seed) {
    run_seed<MultiPaxosNode>(5, seed);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace synod::paxos
