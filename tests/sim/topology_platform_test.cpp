// The SimGrid platform agrees with the topology: for every pair of hosts, SimGrid's route latency
// is the matrix's (built platforms), the matrix is SimGrid's (loaded XML platforms), and a
// zero-byte SimGrid comm under CM02 takes exactly that latency.
//
// SimGrid allows one Engine and one platform per process, so each test runs its body in a forked
// child (gtest's EXPECT_EXIT) that builds a fresh Engine; the parent never touches SimGrid.
// A child reports problems on stderr (shown by gtest when the exit code is not 0).
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <simgrid/s4u.hpp>

#include "sim/engine/platform.hpp"
#include "sim/engine/topology.hpp"

namespace sg4 = simgrid::s4u;

namespace synod::sim {
namespace {

constexpr Nanos kMs = kNanosPerMilli;
const std::string kPlatforms = std::string(SYNOD_TEST_DATA) + "/platforms/";

// Collects the failed checks of a child process.
class Problems {
 public:
  template <typename A, typename B>
  void expect_eq(const A& actual, const B& expected, const std::string& what) {
    if (actual == expected) return;
    ++count_;
    std::fprintf(stderr, "MISMATCH %s: got %s, expected %s\n", what.c_str(),
                 fmt::format("{}", actual).c_str(), fmt::format("{}", expected).c_str());
  }
  void fail(const std::string& what) {
    ++count_;
    std::fprintf(stderr, "FAIL %s\n", what.c_str());
  }
  int count() const { return count_; }

 private:
  int count_ = 0;
};

using Body = std::function<void(sg4::Engine&, Problems&)>;

// Runs `body` against a fresh Engine (network model CM02 unless told otherwise), then ends the
// process: exit code 0 iff no problem. The Engine is never destroyed; _Exit skips its teardown.
[[noreturn]] void in_fresh_engine(const Body& body, bool cm02 = true) {
  static int argc = 1;
  static char name[] = "topology_platform_test";
  static char* argv[] = {name, nullptr};
  auto* engine = new sg4::Engine(&argc, argv);
  if (cm02) sg4::Engine::set_config("network/model:CM02");
  Problems problems;
  try {
    body(*engine, problems);
  } catch (const std::exception& e) {
    problems.fail(std::string("exception: ") + e.what());
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(problems.count() == 0 ? 0 : 1);
}

// Variadic: braces in the lambda body hold commas that a one-parameter macro would split on.
#define EXPECT_CHILD_OK(...) \
  EXPECT_EXIT(in_fresh_engine(__VA_ARGS__), ::testing::ExitedWithCode(0), "")

LatencyDist constant(Nanos ns) { return {LatencyDist::Kind::Constant, ns, ns}; }
LatencyDist uniform(Nanos lo, Nanos hi) { return {LatencyDist::Kind::Uniform, lo, hi}; }

ClusterSpec spec_of(int n, Topology kind, LatencyDist latency = constant(kMs)) {
  ClusterSpec spec;
  for (int i = 1; i <= n; ++i) spec.node_names.push_back("n" + std::to_string(i));
  spec.topology = kind;
  spec.latency = latency;
  return spec;
}

size_t route_link_count(const sg4::Host* a, const sg4::Host* b) {
  std::vector<sg4::Link*> links;
  double latency = 0;
  a->route_to(b, links, &latency);
  return links.size();
}

// Builds the platform of `topo` and checks every route against it.
void check_built_platform(sg4::Engine& engine, Problems& p, const TopologyGraph& topo,
                          const PlatformOptions& options = {}) {
  constexpr int kClients = 3;
  constexpr Nanos kClientLatency = 700 * kNanosPerMicro;
  const Platform platform = build_platform(engine, topo, kClients, kClientLatency, options);
  const int n = topo.n_nodes;
  p.expect_eq(platform.node_hosts.size(), static_cast<size_t>(n), "node host count");
  p.expect_eq(platform.client_hosts.size(), static_cast<size_t>(kClients), "client host count");
  p.expect_eq(engine.get_host_count(), static_cast<size_t>(n + kClients), "engine host count");
  for (int a = 0; a < n; ++a) {
    const sg4::Host* ha = platform.node_hosts[static_cast<size_t>(a)];
    p.expect_eq(ha->get_name(), topo.names[static_cast<size_t>(a)], "host name");
    for (int b = 0; b < n; ++b) {
      const sg4::Host* hb = platform.node_hosts[static_cast<size_t>(b)];
      const std::string pair = fmt::format("{}->{}", ha->get_name(), hb->get_name());
      p.expect_eq(route_latency_ns(ha, hb), topo.latency_ns(a, b), "latency " + pair);
      if (a != b) {
        const size_t expected = platform.routes_follow_links ? topo.path_links(a, b).size() : 1;
        p.expect_eq(route_link_count(ha, hb), expected, "links " + pair);
      }
    }
    for (const sg4::Host* client : platform.client_hosts) {
      p.expect_eq(route_latency_ns(client, ha), kClientLatency, "client->node latency");
      p.expect_eq(route_latency_ns(ha, client), kClientLatency, "node->client latency");
    }
  }
  for (int k = 0; k < kClients; ++k) {
    p.expect_eq(platform.client_hosts[static_cast<size_t>(k)]->get_name(), client_host_name(k),
                "client host name");
    // No route between two clients (they never talk; n_clients^2 routes were the platform's
    // largest part): SimGrid's full zone finds an empty one.
    for (int j = 0; j < kClients; ++j) {
      if (j == k) continue;
      p.expect_eq(route_link_count(platform.client_hosts[static_cast<size_t>(k)],
                                   platform.client_hosts[static_cast<size_t>(j)]),
                  size_t{0}, "client->client links");
    }
  }
}

// Sends a zero-byte message from `from` to `to` and returns when it arrived (simulated ns).
Nanos zero_byte_comm_ns(sg4::Engine& engine, sg4::Host* from, sg4::Host* to) {
  static int payload = 0;
  static double arrived_s = -1;
  sg4::Mailbox* mailbox = sg4::Mailbox::by_name("probe");
  sg4::Actor::create("sender", from, [mailbox] { mailbox->put(&payload, 0); });
  sg4::Actor::create("receiver", to, [mailbox] {
    mailbox->get<int>();
    arrived_s = sg4::Engine::get_clock();
  });
  engine.run();
  return static_cast<Nanos>(std::llround(arrived_s * 1e9));
}

TEST(BuildPlatform, FullUniformRoutesMatchTheMatrix) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    check_built_platform(e, p, build_topology(spec_of(6, Topology::Full, uniform(kMs, 9 * kMs)), 5));
  });
}

TEST(BuildPlatform, StarRoutesCrossTheHub) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    const TopologyGraph topo = build_topology(spec_of(5, Topology::Star, uniform(kMs, 4 * kMs)), 9);
    check_built_platform(e, p, topo);
    const Nanos direct = route_latency_ns(e.host_by_name("n1"), e.host_by_name("n2"));
    p.expect_eq(direct, topo.links[0].latency_ns + topo.links[1].latency_ns, "n1->n2 via hub");
  });
}

TEST(BuildPlatform, RingOfFive) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    check_built_platform(e, p, build_topology(spec_of(5, Topology::Ring, constant(kMs)), 1));
    p.expect_eq(route_latency_ns(e.host_by_name("n1"), e.host_by_name("n4")), 2 * kMs,
                "n1->n4 the short way");
  });
}

TEST(BuildPlatform, RingOverTheRouteBudgetGetsALinkPerPair) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    PlatformOptions options;
    options.max_route_links = 20;  // a ring of 7 needs 1·7 + 2·7 + 3·7 = 42
    check_built_platform(e, p, build_topology(spec_of(7, Topology::Ring, uniform(kMs, 5 * kMs)), 2),
                         options);
    p.expect_eq(route_link_count(e.host_by_name("n1"), e.host_by_name("n4")), size_t{1},
                "n1->n4 is one link");
    p.expect_eq(e.link_by_name_or_null("n1~n4") != nullptr, true, "link n1~n4 exists");
  });
}

TEST(BuildPlatform, RingWithinTheRouteBudgetFollowsLinks) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    PlatformOptions options;
    options.max_route_links = 42;
    check_built_platform(e, p, build_topology(spec_of(7, Topology::Ring, constant(kMs)), 2),
                         options);
    p.expect_eq(route_link_count(e.host_by_name("n1"), e.host_by_name("n4")), size_t{3},
                "n1->n4 crosses three links");
  });
}

TEST(BuildPlatform, Regions) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    ClusterSpec spec = spec_of(5, Topology::Regions);
    spec.regions = {{"eu", {0, 1, 2}, uniform(kMs, 2 * kMs)}, {"us", {3, 4}, constant(kMs)}};
    spec.wan_latency = uniform(40 * kMs, 60 * kMs);
    check_built_platform(e, p, build_topology(spec, 11));
  });
}

TEST(BuildPlatform, EdgesDetourAndAZeroByteCommTakesItsLatency) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    ClusterSpec spec = spec_of(4, Topology::Edges);
    spec.edges = {{0, 3, 100 * kMs}, {0, 1, 10 * kMs}, {1, 3, 20 * kMs}, {2, 3, 5 * kMs}};
    check_built_platform(e, p, build_topology(spec, 1));
    p.expect_eq(route_link_count(e.host_by_name("n1"), e.host_by_name("n4")), size_t{2},
                "n1->n4 goes through n2");
    p.expect_eq(zero_byte_comm_ns(e, e.host_by_name("n1"), e.host_by_name("n4")), 30 * kMs,
                "comm n1->n4 arrival");
  });
}

TEST(BuildPlatform, SingleNode) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    check_built_platform(e, p, build_topology(spec_of(1, Topology::Full), 1));
  });
}

TEST(BuildPlatform, RefusesASecondPlatform) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    const TopologyGraph topo = build_topology(spec_of(2, Topology::Full), 1);
    build_platform(e, topo, 0, kMs);
    try {
      build_platform(e, topo, 0, kMs);
      p.fail("second build_platform did not throw");
    } catch (const std::logic_error&) {
    }
  });
}

TEST(BuildPlatform, RefusesTheDefaultNetworkModel) {
  EXPECT_EXIT(in_fresh_engine(
                  [](sg4::Engine& e, Problems& p) {
                    try {
                      build_platform(e, build_topology(spec_of(2, Topology::Full), 1), 0, kMs);
                      p.fail("build_platform accepted LV08");
                    } catch (const std::logic_error& ex) {
                      if (std::string(ex.what()).find("CM02") == std::string::npos) {
                        p.fail(std::string("message: ") + ex.what());
                      }
                    }
                  },
                  /*cm02=*/false),
              ::testing::ExitedWithCode(0), "");
}

TEST(BuildPlatform, RefusesANodeNamedLikeAClient) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    ClusterSpec spec = spec_of(2, Topology::Full);
    spec.node_names[1] = "client1";
    try {
      build_platform(e, build_topology(spec, 1), 1, kMs);
      p.fail("duplicate host name accepted");
    } catch (const std::invalid_argument& ex) {
      if (std::string(ex.what()).find("'client1'") == std::string::npos) {
        p.fail(std::string("message: ") + ex.what());
      }
    }
  });
}

TEST(LoadPlatform, MatrixIsReadOffTheRoutes) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    TopologyGraph topo;
    const Platform platform =
        load_platform_file(e, kPlatforms + "three_nodes.xml", {"n1", "n2", "n3"}, 2, &topo);
    p.expect_eq(topo.n_nodes, 3, "n_nodes");
    p.expect_eq(topo.n_vertices(), 3, "vertices");
    p.expect_eq(topo.links.size(), size_t{0}, "links");
    p.expect_eq(topo.has_paths(), false, "has_paths");
    const std::vector<Nanos> expected = {0,      3 * kMs, 4 * kMs,                      //
                                         3 * kMs, 0,      500 * kNanosPerMicro,         //
                                         4 * kMs, 5 * kMs, 0};
    for (size_t i = 0; i < expected.size(); ++i) {
      p.expect_eq(topo.latency.at(i), expected[i], fmt::format("latency[{}]", i));
    }
    p.expect_eq(platform.node_hosts.at(2)->get_name(), std::string("n3"), "node host");
    // client1 is the file's; client2 was added in a zone of its own.
    p.expect_eq(platform.client_hosts.size(), size_t{2}, "clients");
    p.expect_eq(platform.client_hosts.at(0)->get_englobing_zone()->get_name(), std::string("world"),
                "client1 zone");
    p.expect_eq(platform.client_hosts.at(1)->get_name(), std::string("client2"), "client2 name");
    p.expect_eq(platform.client_hosts.at(1)->get_englobing_zone()->get_name(),
                std::string("synod_clients"), "client2 zone");
    p.expect_eq(route_latency_ns(platform.client_hosts[0], platform.node_hosts[0]),
                1250 * kNanosPerMicro, "client1->n1");
    // The added host runs actors like any other, and comms follow the file's routes.
    static double client_woke_s = -1;
    sg4::Actor::create("client", platform.client_hosts[1], [] {
      sg4::this_actor::sleep_for(0.25);
      client_woke_s = sg4::Engine::get_clock();
    });
    p.expect_eq(zero_byte_comm_ns(e, platform.node_hosts[2], platform.node_hosts[1]), 5 * kMs,
                "comm n3->n2 arrival");
    p.expect_eq(client_woke_s, 0.25, "client actor woke");
  });
}

TEST(LoadPlatform, FloydRoutesAreComputedBeforeReading) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    TopologyGraph topo;
    load_platform_file(e, kPlatforms + "floyd_chain.xml", {"n1", "n2", "n3"}, 1, &topo);
    p.expect_eq(topo.latency, std::vector<Nanos>{0, kMs, 3 * kMs, kMs, 0, 2 * kMs, 3 * kMs, 2 * kMs, 0},
                "matrix");
  });
}

TEST(LoadPlatform, ClusterTag) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    TopologyGraph topo;
    const Platform platform =
        load_platform_file(e, kPlatforms + "cluster.xml", {"n1", "n2", "n3", "n4"}, 3, &topo);
    for (int a = 0; a < 4; ++a) {
      for (int b = 0; b < 4; ++b) {
        p.expect_eq(topo.latency_ns(a, b), a == b ? 0 : 600 * kNanosPerMicro,
                    fmt::format("latency {}->{}", a, b));
      }
    }
    p.expect_eq(platform.client_hosts.at(2)->get_name(), std::string("client3"), "client3");
  });
}

// Expects load_platform_file to throw std::runtime_error whose message holds every `needle`.
void expect_load_error(sg4::Engine& e, Problems& p, const std::string& file,
                       const std::vector<std::string>& nodes,
                       const std::vector<std::string>& needles) {
  try {
    load_platform_file(e, file, nodes, 0, nullptr);
    p.fail("no exception for " + file);
  } catch (const std::runtime_error& ex) {
    std::fprintf(stderr, "message: %s\n", ex.what());
    for (const auto& needle : needles) {
      if (std::string(ex.what()).find(needle) == std::string::npos) p.fail("missing: " + needle);
    }
  }
}

TEST(LoadPlatform, MissingHostIsNamed) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    expect_load_error(e, p, kPlatforms + "three_nodes.xml", {"n1", "n2", "n9"},
                      {"three_nodes.xml", "no host named 'n9'", "client1, n1, n2, n3"});
  });
}

TEST(LoadPlatform, MissingRouteIsNamed) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    expect_load_error(e, p, kPlatforms + "missing_route.xml", {"n1", "n2", "n3"},
                      {"missing_route.xml", "no route from host 'n1' to host 'n3'"});
  });
}

TEST(LoadPlatform, MissingFloydRouteIsNamed) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    expect_load_error(e, p, kPlatforms + "floyd_chain.xml", {"n1", "n2", "n3", "n4"},
                      {"floyd_chain.xml", "no route from host 'n1' to host 'n4'"});
  });
}

TEST(LoadPlatform, UnreadableFile) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    expect_load_error(e, p, kPlatforms + "no_such_file.xml", {"n1"},
                      {"no_such_file.xml", "cannot read"});
  });
}

TEST(LoadPlatform, MalformedFile) {
  EXPECT_CHILD_OK([](sg4::Engine& e, Problems& p) {
    expect_load_error(e, p, kPlatforms + "malformed.xml", {"n1"}, {"malformed.xml"});
  });
}

}  // namespace
}  // namespace synod::sim
