#include "protocols/placement/placement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace synod::placement {

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t hash64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);  // FNV alone leaves the low bits of short keys poorly mixed
}

bool Placement::insert_node(NodeId id) {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), id);
  if (it != nodes_.end() && *it == id) return false;
  nodes_.insert(it, id);
  return true;
}

bool Placement::erase_node(NodeId id) {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), id);
  if (it == nodes_.end() || *it != id) return false;
  nodes_.erase(it);
  return true;
}

ModuloPlacement::ModuloPlacement(const std::vector<NodeId>& nodes) {
  for (NodeId n : nodes) insert_node(n);
}

std::vector<NodeId> ModuloPlacement::replicas(std::string_view key, int n) const {
  std::vector<NodeId> out;
  if (nodes_.empty()) return out;
  const size_t size = nodes_.size();
  const size_t first = static_cast<size_t>(hash64(key) % size);
  for (size_t k = 0; k < std::min(size, static_cast<size_t>(std::max(n, 0))); ++k)
    out.push_back(nodes_[(first + k) % size]);
  return out;
}

ConsistentHashPlacement::ConsistentHashPlacement(const std::vector<NodeId>& nodes, int vnodes)
    : vnodes_(std::max(vnodes, 1)) {
  for (NodeId n : nodes) insert_node(n);
  rebuild();
}

void ConsistentHashPlacement::rebuild() {
  ring_.clear();
  for (NodeId node : nodes_)
    for (int v = 0; v < vnodes_; ++v) ring_.emplace_back(hash64(fmt::format("n{}#{}", node, v)), node);
  std::sort(ring_.begin(), ring_.end());
}

void ConsistentHashPlacement::add_node(NodeId id) {
  if (insert_node(id)) rebuild();
}

void ConsistentHashPlacement::remove_node(NodeId id) {
  if (erase_node(id)) rebuild();
}

std::vector<NodeId> ConsistentHashPlacement::replicas(std::string_view key, int n) const {
  std::vector<NodeId> out;
  if (ring_.empty()) return out;
  const size_t want = std::min(nodes_.size(), static_cast<size_t>(std::max(n, 0)));
  const uint64_t h = hash64(key);
  size_t i = static_cast<size_t>(
      std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(h, NodeId{-1})) - ring_.begin());
  for (size_t steps = 0; out.size() < want && steps < ring_.size(); ++steps, ++i) {
    const NodeId node = ring_[i % ring_.size()].second;
    if (std::find(out.begin(), out.end(), node) == out.end()) out.push_back(node);
  }
  return out;
}

RendezvousPlacement::RendezvousPlacement(const std::vector<NodeId>& nodes) {
  for (NodeId n : nodes) insert_node(n);
}

std::vector<NodeId> RendezvousPlacement::replicas(std::string_view key, int n) const {
  const uint64_t h = hash64(key);
  std::vector<std::pair<uint64_t, NodeId>> scored;
  for (NodeId node : nodes_)
    scored.emplace_back(mix64(h ^ mix64(static_cast<uint64_t>(node) + 0x9e3779b97f4a7c15ULL)), node);
  // Highest weight first; equal weights (astronomically rare) by node id.
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<NodeId> out;
  for (size_t k = 0; k < std::min(scored.size(), static_cast<size_t>(std::max(n, 0))); ++k)
    out.push_back(scored[k].second);
  return out;
}

std::unique_ptr<Placement> make_placement(const std::string& scheme,
                                          const std::vector<NodeId>& nodes, int vnodes) {
  if (scheme == "modulo") return std::make_unique<ModuloPlacement>(nodes);
  if (scheme == "consistent") return std::make_unique<ConsistentHashPlacement>(nodes, vnodes);
  if (scheme == "rendezvous") return std::make_unique<RendezvousPlacement>(nodes);
  return nullptr;
}

double moved_fraction(const Placement& before, const Placement& after,
                      const std::vector<std::string>& keys, int n) {
  if (keys.empty()) return 0;
  size_t moved = 0;
  for (const std::string& k : keys)
    if (before.replicas(k, n) != after.replicas(k, n)) ++moved;
  return static_cast<double>(moved) / static_cast<double>(keys.size());
}

double load_imbalance(const Placement& p, const std::vector<std::string>& keys) {
  if (p.nodes().empty() || keys.empty()) return 0;
  std::map<NodeId, size_t> owned;
  for (NodeId n : p.nodes()) owned[n] = 0;
  for (const std::string& k : keys) ++owned[p.owner(k)];
  size_t max = 0;
  for (const auto& [node, count] : owned) max = std::max(max, count);
  const double mean = static_cast<double>(keys.size()) / static_cast<double>(owned.size());
  return static_cast<double>(max) / mean;
}

}  // namespace synod::placement
