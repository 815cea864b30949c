// Inside the loader: one reader per section of the file, each in its own .cpp (cluster.cpp,
// protocol.cpp, workload.cpp, faults.cpp; the top level, report and trace in load.cpp). Not for
// use outside sim/scenario/: the public way in is load_scenario() (scenario.hpp).
#pragma once

#include <string>
#include <vector>

#include "sim/scenario/reader.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {

// Upper bounds that keep a typo ("nodes: 50000") from turning into an hour of allocation.
inline constexpr int kMaxNodes = 1000;
inline constexpr int kMaxClients = 100'000;
inline constexpr int kMaxKeys = 1'000'000;
// Nodes + clients: SimGrid's full-zone routing table holds 8 bytes per pair of hosts (2 GiB here).
inline constexpr int kMaxHosts = 16'384;

// Fault targets mix node names with these words, so no node may be called by one of them.
inline const std::vector<std::string> kTargetWords = {"leader",          "followers", "random",
                                                      "random-minority", "majority",  "all"};
inline const std::vector<std::string> kRestartWords = {"crashed", "all"};

// Sets the reader's node names (every later section refers to nodes by them).
ClusterSpec read_cluster(Reader& rd, const Item& item);
// `item` null: the file has no protocol section (the default protocol, all defaults).
// `rename`: read the section for this protocol instead of its `name`, skipping the keys that do
// not apply to it (with_protocol) instead of reporting them.
ProtocolSpec read_protocol(const Reader& rd, const Item* item, const ProtocolSchemas& schemas,
                           const std::string* rename = nullptr);
const ProtocolSchema* find_schema(const ProtocolSchemas& schemas, const std::string& name);
// `item` null: no workload section (all defaults).
WorkloadSpec read_workload(const Reader& rd, const Item* item);
std::vector<FaultSpec> read_faults(const Reader& rd, const Item& item);

}  // namespace synod::sim
