// paxos and multipaxos as families: their protocol keys (paxos: backoff; multipaxos: the leader
// timing it shares with raft), nodes over persistent acceptor state, the Paxos-family invariants
// ("Paxos Made Simple" §2) on every run, and linearizability promised.
#include "sim/families/paxos.hpp"

#include <fmt/format.h>

#include "analysis/events.hpp"
#include "protocols/paxos/multipaxos_node.hpp"
#include "protocols/paxos/paxos_node.hpp"
#include "sim/families/bug_knobs.hpp"
#include "sim/families/family.hpp"
#include "sim/families/leader_timing.hpp"
#include "sim/families/node_factory.hpp"

namespace synod::sim {

namespace {

// Basic Paxos has no leader to recover: skip-recovery is Multi-Paxos's alone.
const std::vector<paxos::BugKnob>& paxos_knobs() {
  static const std::vector<paxos::BugKnob> knobs = [] {
    std::vector<paxos::BugKnob> k;
    for (const auto& knob : paxos::bug_knobs())
      if (std::string(knob.name) != "skip-recovery") k.push_back(knob);
    return k;
  }();
  return knobs;
}

// backoff: off | [min, max]
std::shared_ptr<const ProtocolConfig> parse_paxos(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<PaxosSection>();
  if (f.has("backoff")) {
    const Item bi = f.get("backoff");
    if (bi.node.IsScalar()) {
      if (rd.boolean(bi)) rd.fail(bi, "expected off or a range like [10ms, 100ms], got 'on'");
      c->paxos.backoff = false;
    } else {
      std::tie(c->paxos.backoff_min, c->paxos.backoff_max) =
          rd.duration_range(bi, "backoff", "off or a range like [10ms, 100ms]");
    }
  }
  read_bug_knobs(rd, f, paxos_knobs(), &c->paxos.bugs);
  return c;
}

std::shared_ptr<const ProtocolConfig> parse_multipaxos(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<PaxosSection>();
  const LeaderTiming t = read_leader_timing(rd, f);
  c->paxos.election_timeout_min = t.election_timeout_min;
  c->paxos.election_timeout_max = t.election_timeout_max;
  c->paxos.heartbeat_interval = t.heartbeat;
  if (f.has("pre_vote")) c->paxos.pre_vote = rd.boolean(f.get("pre_vote"));
  if (f.has("check_quorum")) c->paxos.check_quorum = rd.boolean(f.get("check_quorum"));
  read_bug_knobs(rd, f, paxos::bug_knobs(), &c->paxos.bugs);
  return c;
}

template <class Node>
std::unique_ptr<ProtocolFactory> paxos_factory(const Scenario& s) {
  return std::make_unique<StoredNodeFactory<Node, paxos::Storage, paxos::Config>>(
      s.node_count(), s.protocol.config_as<PaxosSection>().paxos);
}

AnalysisHooks paxos_analysis() {
  AnalysisHooks h;
  h.traits = {/*replicated_log=*/true, /*promises_linearizability=*/true};
  h.invariants = analysis::check_paxos_invariants;
  return h;
}

}  // namespace

Family paxos_family() {
  Family f;
  f.name = "paxos";
  f.summary = "Basic Paxos (the Synod protocol), one instance per log slot";
  f.keys = {"backoff", "bugs"};
  f.parse = parse_paxos;
  f.make_factory = paxos_factory<paxos::PaxosNode>;
  f.analysis = paxos_analysis();
  return f;
}

Family multipaxos_family() {
  Family f;
  f.name = "multipaxos";
  f.summary = "Multi-Paxos: a stable leader that skips phase 1, gap filling and catch-up";
  f.keys = {"election_timeout", "heartbeat", "pre_vote", "check_quorum", "bugs"};
  f.parse = parse_multipaxos;
  f.make_factory = paxos_factory<paxos::MultiPaxosNode>;
  f.analysis = paxos_analysis();
  f.shardable = true;
  return f;
}

}  // namespace synod::sim
