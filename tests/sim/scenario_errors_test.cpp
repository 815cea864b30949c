// Invalid scenarios are rejected with "file:line:col: message", the line pointing at the offending
// node. Each file in tests/sim/data/bad/ holds exactly one problem; the table below says where the
// loader must point and a phrase its message must contain. Short cases are inline below that.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/families/registry.hpp"
#include "sim/scenario/scenario.hpp"

namespace synod::sim {
namespace {

struct BadFile {
  const char* file;    // under tests/sim/data/bad/
  int line;            // 1-based
  int column;          // 1-based
  const char* phrase;  // must appear in the message
};

void PrintTo(const BadFile& b, std::ostream* os) { *os << b.file; }

const BadFile kBadFiles[] = {
    {"yaml_syntax.yaml", 5, 11, "end of sequence flow not found"},
    {"unknown_top_key.yaml", 5, 1,
     "unknown key 'worklaod' in the scenario (did you mean 'workload'? expected one of: name, description, seed"},
    {"unknown_nested_key.yaml", 5, 3,
     "unknown key 'lattency' in cluster (did you mean 'latency'? expected one of: nodes, topology, latency,"},
    {"wrong_type.yaml", 6, 12, "expected a whole number like 5, got 'many'"},
    {"bad_duration.yaml", 6, 14, "expected a duration like 150ms, got 'fast'"},
    {"skew_without_amount.yaml", 5, 20, "a skew fault needs exactly one of 'ahead' or 'behind'"},
    {"bare_number_duration.yaml", 2, 11, "a bare number is ambiguous as a duration, got '30'"},
    {"negative_duration.yaml", 5, 11, "expected a duration >= 0, got '-1ms'"},
    {"probability_range.yaml", 5, 9, "expected a probability in [0, 1], got '1.5'"},
    {"unknown_node.yaml", 7, 21, "unknown node 'n9' (nodes are n1..n5"},
    {"partition_unknown_node.yaml", 9, 10, "unknown node 'x' (nodes are a, b, c)"},
    {"unknown_fault.yaml", 6, 14,
     "unknown fault 'clog' (expected one of: crash, restart, partition, cut, heal, latency, loss, "
     "random, skew, join, leave, transfer, duplicate, reorder)"},
    {"random_unknown_kind.yaml", 6, 41, "unknown fault 'restart' for random"},
    {"two_actions.yaml", 8, 5, "this one has 'crash' and 'partition'"},
    {"fault_no_action.yaml", 7, 5, "fault has no action"},
    {"for_on_restart.yaml", 7, 27, "'for' does not apply to a restart fault"},
    {"heal_target.yaml", 7, 20, "heal takes only 'all', got 'n1'"},
    {"election_min_gt_max.yaml", 7, 21, "election_timeout min 300ms is greater than max 150ms"},
    {"heartbeat_too_long.yaml", 7, 14, "heartbeat 200ms must be shorter than the election timeout"},
    {"missing_duration.yaml", 2, 1, "missing required key 'duration'"},
    {"regions_missing_node.yaml", 7, 5, "no region holds n5"},
    {"regions_overlap.yaml", 8, 26, "node 'n2' is in two regions ('eu' and 'us')"},
    {"regions_key_without_regions.yaml", 5, 3, "'regions' applies only to topology: regions"},
    {"disconnected_edges.yaml", 7, 5, "the edges do not connect all nodes: n3, n4 cannot reach n1"},
    {"unknown_protocol.yaml", 6, 9,
     "unknown protocol 'zab' (known: raft, paxos, multipaxos, lamport-mutex, lamport-lww, "
     "primary-backup, quorum, tasks, serverless)"},
    {"key_for_another_protocol.yaml", 7, 3, "'backoff' applies only to paxos, not to raft"},
    {"bad_boolean.yaml", 7, 13, "expected true or false, got 'maybe'"},
    {"unknown_topology.yaml", 5, 13, "unknown topology 'mesh'"},
    {"fault_after_duration.yaml", 7, 10, "fault at 40s is after the end of the run (duration 30s)"},
    {"attempt_timeout_gt_timeout.yaml", 7, 20, "attempt_timeout 2s must be <= timeout 1s"},
    {"stop_after_duration.yaml", 7, 9, "stop 12s is after the end of the run"},
    {"missing_platform.yaml", 6, 13, "platform file 'no-such-platform.xml' not found"},
    {"duplicate_node.yaml", 7, 7, "duplicate node name 'b'"},
    {"duplicate_key.yaml", 6, 1, "duplicate key 'seed' (first at line 3)"},
    {"mix_all_zero.yaml", 6, 8, "the mix needs at least one operation with a weight > 0"},
    {"zero_nodes.yaml", 4, 10, "expected a count >= 1, got '0'"},
    {"cluster_not_map.yaml", 3, 10, "expected a mapping for cluster, got a list"},
    {"bad_name.yaml", 2, 7, "a name may hold only letters, digits"},
    {"empty.yaml", 1, 1, "the scenario is empty"},
    {"two_documents.yaml", 5, 1, "one YAML document"},
    {"stray_comma.yaml", 2, 2, "unexpected ',' here"},  // yaml-cpp 0.7's LoadAll never returns
};

class BadScenarioFile : public testing::TestWithParam<BadFile> {};

TEST_P(BadScenarioFile, ThrowsWithFileLineAndPhrase) {
  const BadFile& b = GetParam();
  const std::string path = std::string(SYNOD_TEST_DATA) + "/bad/" + b.file;
  try {
    registry::load(path);
    FAIL() << path << " loaded without an error";
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    const std::string prefix = path + ":" + std::to_string(b.line) + ":";
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << "expected to start with " << prefix << "\n got " << what;
    EXPECT_EQ(e.file, path);
    EXPECT_EQ(e.line, b.line) << what;
    EXPECT_EQ(e.column, b.column) << what;
    EXPECT_NE(what.find(b.phrase), std::string::npos) << "phrase '" << b.phrase << "' not in\n"
                                                      << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BadScenarioFile, testing::ValuesIn(kBadFiles),
                         [](const testing::TestParamInfo<BadFile>& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// Every fixture in bad/ is in the table (a new one without a row would test nothing).
TEST(BadScenarioFiles, TableCoversEveryFixture) {
  int yaml_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(SYNOD_TEST_DATA) + "/bad")) {
    if (entry.path().extension() != ".yaml") continue;
    ++yaml_files;
    const std::string name = entry.path().filename().string();
    bool found = false;
    for (const BadFile& b : kBadFiles) found = found || name == b.file;
    EXPECT_TRUE(found) << name << " has no row in kBadFiles";
  }
  EXPECT_EQ(yaml_files, static_cast<int>(std::size(kBadFiles)));
  EXPECT_GE(yaml_files, 15);
}

// Several problems are all reported, unknown keys first (the typo is often why a required key
// is "missing"); the error's position is the first one's.
TEST(BadScenarioFiles, EveryProblemIsListedTheTypoFirst) {
  try {
    registry::parse("cluster:\n  nodes: 3\n  topolgy: full\n", "typo.yaml");
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.column, 3);
    EXPECT_EQ(std::string(e.what()),
              "typo.yaml:3:3: unknown key 'topolgy' in cluster (did you mean 'topology'? expected "
              "one of: nodes, topology, latency, jitter, loss, duplicate, client_latency, regions, "
              "wan_latency, edges, platform, hosts, members)\n"
              "typo.yaml:1:1: missing required key 'duration' in the scenario");
  }
  try {
    registry::parse("duratoin: 10s\ncluster:\n  nodez: 3\n  latency: fast\n", "many.yaml");
    FAIL();
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    const auto at = [&](const std::string& needle) { return what.find(needle); };
    EXPECT_EQ(what.rfind("many.yaml:1:1: unknown key 'duratoin' in the scenario (did you mean "
                         "'duration'?",
                         0),
              0u)
        << what;
    ASSERT_NE(at("many.yaml:3:3: unknown key 'nodez' in cluster"), std::string::npos) << what;
    ASSERT_NE(at("many.yaml:1:1: missing required key 'duration'"), std::string::npos) << what;
    EXPECT_LT(at("unknown key 'nodez'"), at("missing required key 'duration'")) << what;
  }
}

TEST(BadScenarioFiles, UnreadableFileNamesThePathWithLineZero) {
  const std::string path = std::string(SYNOD_TEST_DATA) + "/bad/does-not-exist.yaml";
  try {
    registry::load(path);
    FAIL();
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.line, 0);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
}

// --- inline cases: the smallest valid scenario with one thing wrong ---

struct BadText {
  const char* name;
  const char* text;
  int line;
  const char* phrase;
};

void PrintTo(const BadText& b, std::ostream* os) { *os << b.name; }

// Every case starts from "duration: 30s\ncluster:\n  nodes: 3\n" (lines 1-3) unless its text
// replaces that.
const BadText kBadTexts[] = {
    {"DuplicateRegionName",
     "  topology: regions\n  wan_latency: 9ms\n  regions:\n"
     "    - {name: eu, nodes: [n1]}\n    - {name: eu, nodes: [n2, n3]}\n",
     8, "duplicate region 'eu'"},
    {"RegionWithNoNodes",
     "  topology: regions\n  wan_latency: 9ms\n  regions:\n"
     "    - {name: eu, nodes: [n1, n2, n3]}\n    - {name: us, nodes: []}\n",
     8, "region 'us' has no nodes"},
    // Found by tests/fuzz (fuzz_scenario): the message read the region list past its end.
    {"NodeTwiceInOneRegion",
     "  topology: regions\n  wan_latency: 9ms\n  regions:\n"
     "    - {name: eu, nodes: [n1]}\n    - {name: us, nodes: [n2, n2, n3]}\n",
     8, "node 'n2' is listed twice in region 'us'"},
    // Found by tests/fuzz (fuzz_scenario): the message asked for the position of an absent 'n'.
    {"QuorumDefaultNPastTheNodes", "duration: 30s\ncluster:\n  nodes: 2\nprotocol:\n  name: quorum\n",
     5, "n 3 (the default) is more replicas than the cluster's 2 nodes: set n"},
    {"RegionsWithoutWanLatency",
     "  topology: regions\n  regions:\n    - {name: eu, nodes: [n1, n2, n3]}\n", 3,
     "missing required key 'wan_latency' in cluster"},
    {"DuplicateEdge",
     "  topology: edges\n  edges:\n    - [n1, n2, 1ms]\n    - [n3, n2, 1ms]\n    - [n2, n1, 2ms]\n",
     8, "duplicate edge n2-n1 (first at line 6)"},
    {"SelfLoopEdge", "  topology: edges\n  edges:\n    - [n1, n1, 1ms]\n", 6,
     "an edge needs two different nodes"},
    {"EdgeOfTwoItems", "  topology: edges\n  edges:\n    - [n1, n2]\n", 6,
     "expected an edge like [n1, n2, 5ms]"},
    {"LatencyWithEdges", "  topology: edges\n  latency: 1ms\n  edges: [[n1, n2, 1ms]]\n", 5,
     "'latency' does not apply to topology: edges"},
    {"LatencyMinAboveMax", "  latency: {dist: uniform, min: 9ms, max: 2ms}\n", 4,
     "latency min 9ms is greater than max 2ms"},
    {"ConstantLatencyWithMin", "  latency: {dist: constant, value: 2ms, min: 1ms}\n", 4,
     "'min' does not apply to dist: constant"},
    {"UnknownLatencyDist", "  latency: {dist: normal, min: 1ms, max: 2ms}\n", 4,
     "unknown latency distribution 'normal' (expected one of: constant, uniform)"},
    {"UnknownKeyInLatency", "  latency: {dist: uniform, min: 1ms, max: 2ms, mean: 1ms}\n", 4,
     "unknown key 'mean' in cluster.latency"},
    {"NodeNamedLeader", "duration: 1s\ncluster:\n  nodes: [a, leader]\n", 3,
     "'leader' cannot name a node"},
    {"NodeNameWithSpace", "duration: 1s\ncluster:\n  nodes: [a, 'b c']\n", 3,
     "a node name may hold only"},
    {"TooManyNodes", "duration: 1s\ncluster:\n  nodes: 5000\n", 3, "expected a count <= 1000"},
    {"EmptyValuePointsAtItsKey", "duration: 1s\ncluster:\n  nodes:\n  loss: 0\n", 3,
     "expected a node count like 5 or a list of names"},
    {"SeedNegative", "seed: -4\n", 4, "expected an unsigned integer like 42, got '-4'"},
    {"ElectionTimeoutNotAPair", "protocol: {election_timeout: 150ms}\n", 4,
     "expected an election timeout range like [150ms, 300ms]"},
    {"ZeroHeartbeat", "protocol:\n  heartbeat: 0\n", 5, "expected a duration > 0, got '0'"},
    {"ZeroMaxEntries", "protocol:\n  max_entries_per_append: 0\n", 5, "expected a count >= 1"},
    {"ThinkWithRate", "workload:\n  rate: 10/s\n  think: 1ms\n", 6,
     "'think' applies only to a closed loop"},
    {"ZeroRate", "workload:\n  rate: 0/s\n", 5, "expected a rate > 0"},
    {"BadRate", "workload:\n  rate: lots\n", 5, "expected a rate like 500/s, got 'lots'"},
    {"ZipfSWithUniform", "workload:\n  zipf_s: 1.1\n", 5,
     "'zipf_s' applies only to distribution: zipf"},
    {"ZipfSNotPositive", "workload:\n  distribution: zipf\n  zipf_s: 0\n", 6,
     "expected a Zipf exponent > 0"},
    {"NegativeMixWeight", "workload:\n  mix: {read: 1, write: -1}\n", 5,
     "expected a weight >= 0, got '-1'"},
    {"UnknownMixKey", "workload:\n  mix: {read: 1, delete: 1}\n", 5,
     "unknown key 'delete' in workload.mix (expected one of: read, write, cas)"},
    {"TimeoutBelowDefaultAttempt", "workload:\n  timeout: 100ms\n", 5,
     "attempt_timeout 200ms must be <= timeout 100ms"},
    {"StartAtTheEnd", "workload:\n  start: 30s\n", 5, "start 30s is not before the end"},
    {"StopBeforeStart", "workload:\n  start: 5s\n  stop: 5s\n", 6, "stop 5s must be after start 5s"},
    {"FaultsNotAList", "faults: {at: 1s, crash: n1}\n", 4, "expected a list for faults"},
    {"FaultNotAMap", "faults:\n  - crash n1\n", 5, "expected a fault like {at: 5s, crash: leader}"},
    {"FaultWithoutAt", "faults:\n  - {crash: n1}\n", 5, "missing required key 'at' in crash fault"},
    {"CrashedForCrash", "faults:\n  - {at: 1s, crash: crashed}\n", 5,
     "'crashed' is not a target for crash"},
    {"LeaderForRestart", "faults:\n  - {at: 1s, restart: leader}\n", 5,
     "'leader' is not a target for restart"},
    {"NodeTwiceInTargets", "faults:\n  - {at: 1s, crash: [n1, n2, n1]}\n", 5,
     "node 'n1' is listed twice"},
    {"EveryWithoutRandom", "faults:\n  - {at: 1s, crash: n1, every: 1s}\n", 5,
     "'every' applies only to a random fault"},
    {"RandomWithoutEvery", "faults:\n  - {at: 1s, random: [crash]}\n", 5,
     "missing required key 'every' in random fault"},
    {"UntilBeforeAt", "faults:\n  - {at: 5s, every: 1s, until: 2s, random: [crash]}\n", 5,
     "until 2s must be between at 5s"},
    {"ReorderWithoutSpread", "faults:\n  - {at: 1s, reorder: {targets: all}}\n", 5,
     "missing required key 'spread'"},
    {"DuplicateTooLikely", "faults:\n  - {at: 1s, duplicate: {targets: all, p: 2}}\n", 5,
     "expected a probability in [0, 1], got '2'"},
    {"RandomLeaderTwice", "faults:\n  - {at: 1s, every: 1s, random: [crash-leader, crash-leader]}\n", 5,
     "'crash-leader' is listed twice"},
    {"RandomListedTwice", "faults:\n  - {at: 1s, every: 1s, random: [loss, loss]}\n", 5,
     "'loss' is listed twice"},
    {"PartitionOneGroupOfAll", "faults:\n  - {at: 1s, partition: [[n1, n2, n3]]}\n", 5,
     "separates nothing"},
    {"PartitionNodeInTwoGroups", "faults:\n  - {at: 1s, partition: [[n1, n2], [n2]]}\n", 5,
     "node 'n2' is in two partition groups"},
    {"UnknownPartitionShape", "faults:\n  - {at: 1s, partition: thirds}\n", 5,
     "unknown partition shape 'thirds'"},
    {"BridgeOnTwoNodes", "duration: 9s\ncluster: {nodes: 2}\nfaults:\n  - {at: 1s, partition: bridge}\n",
     4, "partition shape 'bridge' needs at least 3 nodes"},
    {"CutBothWays", "faults:\n  - {at: 1s, cut: {from: [n1, n2], to: [n2]}}\n", 5,
     "node 'n2' is in both from and to"},
    {"CutWithoutTo", "faults:\n  - {at: 1s, cut: {from: n1}}\n", 5,
     "missing required key 'to' in cut"},
    {"LatencyFaultUnknownKey", "faults:\n  - {at: 1s, latency: {targets: all, plus: 1ms}}\n", 5,
     "unknown key 'plus' in latency fault (expected one of: targets, add)"},
    {"LossFaultOutOfRange", "faults:\n  - {at: 1s, loss: {targets: all, p: 2}}\n", 5,
     "expected a probability in [0, 1], got '2'"},
    {"DuplicateFaultKey", "faults:\n  - {at: 1s, at: 2s, crash: n1}\n", 5, "duplicate key 'at'"},
    {"UnknownReportFormat", "report: {formats: [text, pdf]}\n", 4,
     "unknown report format 'pdf' (expected one of: text, json, html)"},
    {"UnknownReportKey", "report:\n  dir: x\n", 5, "unknown key 'dir' in report"},
    {"NonScalarKey", "? [a, b]\n: 1\n", 4, "expected a plain word as a key"},
    {"UnknownRaftReadMode", "protocol: {name: raft, reads: local}\n", 4,
     "unknown reads 'local' (expected one of: log, read-index, lease)"},
    {"LeaseReadsWithoutCheckQuorum",
     "protocol:\n  name: raft\n  check_quorum: false\n  reads: lease\n", 7,
     "reads: lease needs check_quorum: true"},
    {"TransferNeedsALeaderThatHandsOver",
     "protocol: {name: multipaxos}\nfaults:\n  - {at: 1s, transfer: n2}\n", 6,
     "a transfer fault needs a protocol whose leader can hand over leadership (raft); multipaxos "
     "cannot"},
    {"TransferOfTwoNodes", "faults:\n  - {at: 1s, transfer: [n2, n3]}\n", 5,
     "a transfer names one node (or random), the new leader"},
    {"ClockDriftOutOfRange", "protocol: {name: raft, reads: lease, max_clock_drift: 1.5}\n", 4,
     "max_clock_drift must be in [0, 1), got 1.5"},
};

class BadScenarioText : public testing::TestWithParam<BadText> {};

TEST_P(BadScenarioText, ThrowsWithLineAndPhrase) {
  const BadText& b = GetParam();
  std::string text = b.text;
  if (text.rfind("duration:", 0) != 0) text = "duration: 30s\ncluster:\n  nodes: 3\n" + text;
  try {
    registry::parse(text, "inline.yaml");
    FAIL() << "accepted:\n" << text;
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("inline.yaml:" + std::to_string(b.line) + ":", 0), 0u)
        << what << "\nin:\n" << text;
    EXPECT_NE(what.find(b.phrase), std::string::npos) << "phrase '" << b.phrase << "' not in\n"
                                                      << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Inline, BadScenarioText, testing::ValuesIn(kBadTexts),
                         [](const testing::TestParamInfo<BadText>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace synod::sim
