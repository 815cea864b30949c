// raft as a family: its protocol keys, its nodes over persistent storage (term, vote, log), the
// consensus-log invariants (Raft Figure 3) on every run, and linearizability promised.
#include "sim/families/raft.hpp"

#include "analysis/events.hpp"
#include "sim/families/family.hpp"
#include "sim/families/leader_timing.hpp"
#include "sim/families/node_factory.hpp"

namespace synod::sim {

namespace {

constexpr int kMaxEntriesPerAppend = 1'000'000;

std::shared_ptr<const ProtocolConfig> parse(const Reader& rd, const Fields& f) {
  auto c = std::make_shared<RaftSection>();
  if (f.has("pre_vote")) c->raft.pre_vote = rd.boolean(f.get("pre_vote"));
  if (f.has("check_quorum")) c->raft.check_quorum = rd.boolean(f.get("check_quorum"));
  const LeaderTiming t = read_leader_timing(rd, f);
  c->raft.election_timeout_min = t.election_timeout_min;
  c->raft.election_timeout_max = t.election_timeout_max;
  c->raft.heartbeat_interval = t.heartbeat;
  if (f.has("max_entries_per_append")) {
    c->raft.max_entries_per_append = rd.count(f.get("max_entries_per_append"), kMaxEntriesPerAppend);
  }
  return c;
}

}  // namespace

Family raft_family() {
  Family f;
  f.name = "raft";
  f.summary = "Raft: leader election, log replication, pre-vote and check-quorum";
  f.keys = {"election_timeout", "heartbeat", "max_entries_per_append", "pre_vote", "check_quorum"};
  f.parse = parse;
  f.make_factory = [](const Scenario& s) {
    raft::Config c = s.protocol.config_as<RaftSection>().raft;
    // cluster.members are the first configuration; the other nodes are spares that a join adds.
    c.initial_voters.assign(s.cluster.members.begin(), s.cluster.members.end());
    return std::make_unique<StoredNodeFactory<raft::RaftNode, raft::Storage, raft::Config>>(
        s.node_count(), c);
  };
  f.analysis.traits = {/*replicated_log=*/true, /*promises_linearizability=*/true};
  f.analysis.invariants = analysis::check_log_invariants;
  f.shardable = true;
  f.membership = true;  // configuration entries, learners (protocols/raft/membership.cpp)
  return f;
}

}  // namespace synod::sim
