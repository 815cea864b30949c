// Key placement: which nodes hold a key. One interface — key → replica set (its first node the
// owner) — over three classic schemes, pure code for tests and for storage families:
//   modulo      owner = nodes[h(key) mod n], replicas the next ones in node order. Changing n
//               moves almost every key (a 10th node joining 9 moves ~90%);
//   consistent  Karger et al. 1997: each node is `vnodes` points on a 64-bit ring; a key belongs to
//               the first point at or after h(key), replicas to the next distinct nodes clockwise.
//               A join moves only the keys the new node takes (~1/n); more vnodes even the load;
//   rendezvous  Thaler & Ravishankar 1996 (highest random weight): a key's replicas are the nodes
//               with the highest h(key, node). A join moves exactly the keys the new node wins.
// Range shards (contiguous key ranges that split and are rebalanced) are in range.hpp.
// The hash is our own (FNV-1a then the splitmix64 finaliser), fixed here, so placements are the
// same on every platform and standard library (std::hash is not).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/types.hpp"

namespace synod::placement {

uint64_t hash64(std::string_view bytes);
uint64_t mix64(uint64_t x);  // splitmix64's finaliser: a bijection that spreads every bit

class Placement {
 public:
  virtual ~Placement() = default;
  // The first min(n, nodes) distinct nodes that hold `key`, the owner first.
  virtual std::vector<NodeId> replicas(std::string_view key, int n) const = 0;
  virtual void add_node(NodeId id) = 0;
  virtual void remove_node(NodeId id) = 0;
  const std::vector<NodeId>& nodes() const { return nodes_; }
  NodeId owner(std::string_view key) const { return replicas(key, 1).at(0); }

 protected:
  bool insert_node(NodeId id);  // keeps nodes_ sorted; false if already there
  bool erase_node(NodeId id);
  std::vector<NodeId> nodes_;
};

class ModuloPlacement final : public Placement {
 public:
  explicit ModuloPlacement(const std::vector<NodeId>& nodes);
  std::vector<NodeId> replicas(std::string_view key, int n) const override;
  void add_node(NodeId id) override { insert_node(id); }
  void remove_node(NodeId id) override { erase_node(id); }
};

class ConsistentHashPlacement final : public Placement {
 public:
  ConsistentHashPlacement(const std::vector<NodeId>& nodes, int vnodes);
  std::vector<NodeId> replicas(std::string_view key, int n) const override;
  void add_node(NodeId id) override;
  void remove_node(NodeId id) override;
  int vnodes() const { return vnodes_; }

 private:
  void rebuild();
  int vnodes_;
  std::vector<std::pair<uint64_t, NodeId>> ring_;  // sorted by point
};

class RendezvousPlacement final : public Placement {
 public:
  explicit RendezvousPlacement(const std::vector<NodeId>& nodes);
  std::vector<NodeId> replicas(std::string_view key, int n) const override;
  void add_node(NodeId id) override { insert_node(id); }
  void remove_node(NodeId id) override { erase_node(id); }
};

// "modulo" | "consistent" | "rendezvous"; nullptr for another name.
std::unique_ptr<Placement> make_placement(const std::string& scheme,
                                          const std::vector<NodeId>& nodes, int vnodes = 100);

// The share of `keys` whose replica set (first `n` nodes, in order) differs between two
// placements — e.g. before and after a node joins.
double moved_fraction(const Placement& before, const Placement& after,
                      const std::vector<std::string>& keys, int n = 1);

// Keys owned per node, as max/mean over the placement's nodes (1 = perfectly even).
double load_imbalance(const Placement& p, const std::vector<std::string>& keys);

}  // namespace synod::placement
