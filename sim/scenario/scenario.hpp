// A scenario: everything one simulated run needs, as loaded and validated from a YAML file.
// The loader reads one section per file in this folder (cluster.cpp, protocol.cpp, workload.cpp,
// faults.cpp, load.cpp for the rest), all through reader.hpp. load_scenario() is the only way in; it either returns a Scenario whose every field is valid
// (node indexes in range, probabilities in [0,1], durations positive where they must be) or throws
// ScenarioError naming file:line:column and what was expected. Every key is documented in
// docs/scenarios.md.
//
// Node references in the file are names ("n1"); here they are resolved to indexes 0..n-1.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/common/duration.hpp"
#include "protocols/common/types.hpp"

namespace YAML {
class Node;
}

namespace synod::sim {

// An input error in a scenario file. what() is the full message: "path:line:col: message".
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(const std::string& file, int line, int column, const std::string& message);
  std::string file;
  int line;    // 1-based; 0 if unknown
  int column;  // 1-based; 0 if unknown
  std::string message;  // without the location
};

// Where a fault came from in the file, so run-time errors about it can point back at it.
struct SourceLoc {
  int line = 0;
  int column = 0;
};

struct LatencyDist {
  enum class Kind { Constant, Uniform };
  Kind kind = Kind::Constant;
  Nanos min_ns = kNanosPerMilli;  // Constant: min_ns == max_ns
  Nanos max_ns = kNanosPerMilli;
};

enum class Topology {
  Full,      // a link between every pair of nodes, latency drawn from `latency` per link
  Star,      // every node linked to one central switch; a pair's path crosses two links
  Ring,      // n1-n2-...-nN-n1; messages take the latency-shortest way round
  Regions,   // full mesh inside each region (its latency), regions joined by WAN links
  Edges,     // an explicit list of links with latencies; must connect all nodes
  Platform,  // a SimGrid XML platform file; hosts named like the nodes
};
const char* topology_name(Topology t);

struct Region {
  std::string name;
  std::vector<int> nodes;  // indexes
  LatencyDist latency;     // links inside the region
};

struct EdgeSpec {
  int a = 0;  // node indexes
  int b = 0;
  Nanos latency_ns = 0;
};

// A node's CPU: what Outbox::compute() work runs on (SimGrid's CPU model).
struct HostSpec {
  double speed_flops = 1e9;  // per core
  int cores = 1;
};

struct ClusterSpec {
  std::vector<std::string> node_names;  // size = node count; default n1..nN
  std::vector<HostSpec> hosts;          // [i] = node i's CPU; default 1Gf, 1 core (Platform: the file's)
  Topology topology = Topology::Full;
  LatencyDist latency;                // per link (Full, Star, Ring); default 1ms constant
  std::vector<Region> regions;        // Regions: every node in exactly one region
  LatencyDist wan_latency;            // Regions: links between regions
  std::vector<EdgeSpec> edges;        // Edges
  std::string platform_file;          // Platform: path resolved relative to the scenario file
  Nanos jitter_ns = 0;                // each message gets + uniform[0, jitter] extra delay
  bool jitter_exponential = false;    // ... or + exponential with mean jitter_ns (PBS's WARS model)
  double loss = 0;                    // probability a message is dropped
  double duplicate = 0;               // probability a message is delivered twice
  Nanos client_latency_ns = kNanosPerMilli;  // one-way latency between any client and any node
  // The membership at the start (node indexes); empty = every node. The other nodes are spares
  // that a join fault adds. Only for protocols that change membership.
  std::vector<int> members;
};

// A protocol family's part of the protocol section, as its family read it (sim/families/). The
// loader knows no protocol: it hands the section to the schema named by `name`.
class ProtocolConfig {
 public:
  virtual ~ProtocolConfig() = default;
};

// `shards: K` and `replication: R` in the protocol section of a family that can be sharded: the
// key space is K shards, each a group of R replicas of that protocol (protocols/shards).
struct ShardSpec {
  int count = 0;        // 0: not sharded (one group of every node)
  int replication = 3;
  bool balance_leaders = true;  // hand each group's leadership to its preferred member
  SourceLoc loc;        // of `shards`, for errors found once the cluster is known
};

struct ProtocolSpec {
  std::string name = "raft";
  std::shared_ptr<const ProtocolConfig> config;  // never null once loaded
  ShardSpec shards;
  // The section as written (null when the file has none), so the scenario can be re-read for
  // another protocol (with_protocol).
  std::shared_ptr<const YAML::Node> source;

  // The family's own config type; a mismatch is a programmer error and stops the run.
  template <class C>
  const C& config_as() const {
    const C* c = dynamic_cast<const C*>(config.get());
    if (c == nullptr) {
      std::fprintf(stderr, "synod: internal error: protocol '%s' has no config of the asked type\n",
                   name.c_str());
      std::abort();
    }
    return *c;
  }
};

class Fields;
class Reader;

// How one family reads its protocol section. `keys` are the section's keys it accepts besides
// `name`; `parse` sees only those (any other key was already reported), and is called with an
// empty section when the file has none, so it returns its defaults.
struct WorkloadSpec;
struct ProtocolSchema {
  std::string name;
  std::vector<std::string> keys;  // with "shards" and "replication" when it can be sharded
  bool shardable = false;
  std::function<std::shared_ptr<const ProtocolConfig>(const Reader& reader, const Fields& section)>
      parse;
  // A family with a workload of its own (not key-value clients) reads the workload section:
  // `workload_keys` are its keys, and `parse_workload` fills in the generic part (clients, start,
  // stop) and returns its own reading. `config` is what `parse` returned. Empty: the key-value
  // workload section (docs/scenarios.md, "workload").
  std::vector<std::string> workload_keys;
  std::function<std::shared_ptr<const ProtocolConfig>(const Reader& reader, const Fields& section,
                                                      const ProtocolConfig& config,
                                                      WorkloadSpec* generic)>
      parse_workload;
};
// The protocols a loader knows, in the order messages list them; the first is the default.
using ProtocolSchemas = std::vector<ProtocolSchema>;

struct WorkloadSpec {
  int clients = 5;                // client processes (each on its own host, one op at a time); 0 = none
  // Open loop: operations arrive at `rate_per_s` (Poisson) and go to an idle client; an arrival
  // that finds every client busy is counted as skipped. Closed loop (rate_per_s == 0): every
  // client issues its next operation as soon as the previous one completes, after `think_ns`.
  double rate_per_s = 0;
  Nanos think_ns = 0;
  int keys = 10;                  // keys k0..k{keys-1}
  enum class KeyDist { Uniform, Zipf };
  KeyDist key_dist = KeyDist::Uniform;
  double zipf_s = 1.0;            // Zipf exponent (> 0)
  double read = 0.5;              // mix; non-negative, normalised to sum to 1
  double write = 0.4;
  double cas = 0.1;
  Nanos timeout_ns = kNanosPerSecond;          // give up on an op after this: recorded as info
  Nanos attempt_timeout_ns = 200 * kNanosPerMilli;  // no reply from a node: try the next one
  Nanos start_ns = 0;             // load window [start, stop); stop defaults to the duration
  Nanos stop_ns = 0;
  // A family with a workload of its own (tasks, serverless): its peak arrivals per second, for
  // the run's size estimate (estimate_run_size) only.
  double arrival_rate_per_s = 0;
};

enum class FaultKind {
  Crash,      // crash targets (volatile state lost; persistent storage kept)
  Restart,    // restart crashed targets
  Partition,  // split the nodes into groups that cannot talk across
  Cut,        // one-way: messages from `from` to `to` are dropped
  Heal,       // undo partitions and cuts (and latency/loss windows)
  Latency,    // add latency to every message to or from the targets
  Loss,       // raise the loss probability of messages to or from the targets
  Random,     // every `every`, revert the previous random fault and inject one from `menu`
  Skew,       // step the targets' clocks ahead or behind: the time their protocol is handed
  Join,       // add the targets to the membership (protocols that change membership: quorum)
  Leave,      // remove the targets from the membership
  Transfer,   // the leader hands leadership to the target (protocols that transfer: raft)
  Duplicate,  // raise the duplication probability of messages to or from the targets
  Reorder,    // delay each message to or from the targets by an extra uniform [0, spread]
};
const char* fault_kind_name(FaultKind k);

// Which nodes a fault acts on, resolved at the moment the fault fires.
struct TargetSpec {
  enum class Kind {
    Names,           // `nodes`
    Leader,          // the current leader (the node in leader role with the highest term); none → no-op
    Followers,       // every live node that is not the leader
    Random,          // one live node chosen at random
    RandomMinority,  // a random set of floor((n-1)/2) nodes (crashing skips those already down)
    Majority,        // a random set of floor(n/2)+1 nodes
    All,             // every node
    Crashed,         // every currently crashed node (for Restart)
  };
  Kind kind = Kind::All;
  std::vector<int> nodes;
};

struct PartitionSpec {
  enum class Kind {
    Groups,            // explicit `groups`; nodes not listed form one more group
    IsolateLeader,     // the leader alone | everyone else
    MajorityMinority,  // a random majority | the rest
    Bridge,            // two halves that cannot talk, plus one node that talks to both
    Halves,            // a random split into two halves (sizes floor(n/2), ceil(n/2))
  };
  Kind kind = Kind::Groups;
  std::vector<std::vector<int>> groups;
};

// One entry of a random fault's menu: a kind, and for crash and partition whether it follows the
// leader (`crash-leader`: the leader crashes; `isolate-leader`: the leader alone | the rest).
struct RandomChoice {
  FaultKind kind = FaultKind::Crash;
  bool leader = false;
  bool operator==(const RandomChoice& o) const { return kind == o.kind && leader == o.leader; }
};

struct FaultSpec {
  SourceLoc loc;
  FaultKind kind = FaultKind::Crash;
  Nanos at_ns = 0;          // when it fires (Random: the first time it fires)
  Nanos for_ns = 0;         // > 0: undone automatically after this long (restart, heal, ...)
  TargetSpec targets;       // Crash, Restart, Latency, Loss
  PartitionSpec partition;  // Partition
  std::vector<int> cut_from, cut_to;  // Cut
  Nanos latency_add_ns = 0; // Latency: extra one-way delay
  double loss = 0;          // Loss: drop probability while active
  double duplicate = 0;     // Duplicate: probability of a second delivery while active
  Nanos reorder_ns = 0;     // Reorder: the extra delay's spread
  Nanos skew_ns = 0;        // Skew: added to the targets' clocks (negative: behind)
  // Random
  Nanos every_ns = 0;
  Nanos until_ns = 0;              // last time it may fire; default: the scenario duration
  std::vector<RandomChoice> menu;
};

struct ReportSpec {
  // text: the terminal summary; html: report.html. report.json and the run record (history, events,
  // timeline) are always written: every other output and tool reads them.
  std::vector<std::string> formats = {"text", "json", "html"};
  std::string out_dir;  // default: out/<name>
};

// What the run records beyond report, history and events.
struct TraceSpec {
  bool messages = false;       // messages.jsonl: every send and receive with its clocks
  bool vector_clocks = false;  // keep vector clocks too (n entries per message), checked as well
  // Keep the send/receive trace and check Lamport's clock condition on it. Off for long runs of
  // many messages (the trace costs ~100 bytes per message): the clocks section then says so.
  bool clock_check = true;
};

struct Scenario {
  std::string file;  // the path it was loaded from
  std::string name;  // [A-Za-z0-9_.-]+; default: the file's stem
  std::string description;
  uint64_t seed = 1;
  // A family that reads the workload section itself (tasks, serverless) leaves its reading here;
  // `workload` then holds only the generic part it filled in (clients, start, stop).
  std::shared_ptr<const ProtocolConfig> workload_config;
  Nanos duration_ns = 10 * kNanosPerSecond;
  ClusterSpec cluster;
  ProtocolSpec protocol;
  WorkloadSpec workload;
  std::vector<FaultSpec> faults;  // sorted by at_ns (stable)
  ReportSpec report;
  TraceSpec trace;

  int node_count() const { return static_cast<int>(cluster.node_names.size()); }
};

// A value set from outside the file ("protocol.policy=pull", `synod compare --vary`): the
// document is read as if it said so at that path. `value` is YAML ("pull", "[1, 2]", "{a: 1}").
struct Override {
  std::vector<std::string> path;  // {"protocol", "policy"}
  std::string value;
  std::string text() const;       // "protocol.policy=pull"
};
// "protocol.policy=pull" → Override; false if there is no '=' or an empty path part.
bool parse_override(const std::string& text, Override* out);

// Loads and validates a scenario file, with the protocols in `schemas` (sim/families/registry.hpp
// has the built-in ones) and `overrides` applied first. Throws ScenarioError on any problem.
Scenario load_scenario(const std::string& path, const ProtocolSchemas& schemas,
                       const std::vector<Override>& overrides = {});
// The same from text (for tests); `file` is the name used in error messages and to resolve
// relative paths.
Scenario parse_scenario(const std::string& yaml_text, const std::string& file,
                        const ProtocolSchemas& schemas, const std::vector<Override>& overrides = {});

// What a run will cost, estimated before it starts (sim/scenario/limits.cpp): `ops` an upper
// bound on the operations the clients issue, `hosts` nodes + clients, `bytes` the peak memory.
struct RunSize {
  double ops = 0;
  double hosts = 0;
  double bytes = 0;
};
RunSize estimate_run_size(const Scenario& s);
// Throws ScenarioError (naming the file) if the estimate exceeds `memory_bytes`.
void check_fits_in_memory(const Scenario& s, double memory_bytes);

// The file being read or run now (the scenario, or its platform file while SimGrid loads it),
// for the last-resort messages of synod-sim (sim/cli/main.cpp: an abort inside SimGrid). The
// text lives in a fixed buffer, so a signal handler may read it.
void set_current_input(const std::string& file);
const char* current_input();

// The scenario with another protocol: the protocol section is read again for `protocol`, keeping
// the keys that apply to it and leaving the others at its defaults. Throws ScenarioError if
// `protocol` is not among `schemas`.
Scenario with_protocol(const Scenario& s, const std::string& protocol,
                       const ProtocolSchemas& schemas);

}  // namespace synod::sim
