// A protocol or workload family: everything synod needs to know about one protocol, in one
// value, so that adding a protocol means writing its own files here plus one line in
// registry.cpp — never a switch in five places.
//
//   name, summary    what the scenario's `protocol.name` says, and one line for --help and docs
//   keys, parse      its part of the protocol section (scenario/scenario.hpp, ProtocolSchema)
//   workload_keys,   the workload section, when the family reads it itself (tasks, invocations)
//   parse_workload   rather than taking the key-value clients
//   make_factory     its nodes and their persistent storage (engine/protocol_factory.hpp)
//   make_workload    the load it takes (engine/workload.hpp); empty: the key-value clients
//   analysis         its promises (traits), its cluster-wide invariants and its report sections
//                    (report/report.hpp, AnalysisHooks)
//
// Layering: a family may use scenario/, engine/ and report/ headers; none of them knows any
// family. The command line (cli/) hands the registered families to each of them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/protocol_factory.hpp"
#include "sim/engine/workload.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/reader.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

struct Family {
  std::string name;
  std::string summary;
  std::vector<std::string> keys;
  std::function<std::shared_ptr<const ProtocolConfig>(const Reader&, const Fields&)> parse;
  // A workload of its own: the workload section's keys and reader (ProtocolSchema).
  std::vector<std::string> workload_keys;
  decltype(ProtocolSchema::parse_workload) parse_workload;
  std::function<std::unique_ptr<ProtocolFactory>(const Scenario&)> make_factory;
  std::function<std::unique_ptr<Workload>(const Scenario&)> make_workload;
  AnalysisHooks analysis;
  // Its nodes follow membership changes (cluster.members, join and leave faults).
  bool membership = false;
  // Its leader can hand leadership to a named node (transfer faults).
  bool transfer = false;
  // It can run as `shards: K` groups of `replication: R` replicas (shards.hpp): a replicated
  // log whose nodes address their cluster as 0..n-1 and answer clients with ClientReply.
  bool shardable = false;
};

// One per file in this folder; registry.cpp lists them.
Family raft_family();
Family paxos_family();
Family multipaxos_family();
Family lamport_mutex_family();
Family lamport_lww_family();
Family primary_backup_family();
Family tasks_family();
Family serverless_family();
Family quorum_family();

}  // namespace synod::sim
