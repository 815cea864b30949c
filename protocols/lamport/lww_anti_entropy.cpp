// Anti-entropy for the LWW store (lww_node.hpp): a push-pull exchange of digests with one random
// peer per interval.
//
//   A -> B  Digest(full, reply_wanted): every key A holds, with its stamp
//   B -> A  Update: B's entries newer than A's (keys A lacks included)
//   B -> A  Digest(ask): the keys where A is newer or B has nothing, with B's stamps
//   A -> B  Update: A's entries newer than B's for those keys
//
// Each step merges with the LWW rule, so lost, duplicated or reordered exchange messages do no
// harm: the next round repeats whatever did not arrive.
#include <algorithm>
#include <cassert>
#include <memory>

#include "protocols/lamport/lww_node.hpp"

namespace synod::lamport {

namespace {

// The stamp a sorted digest gives `key` (time 0 if absent).
const DigestEntry* find_in(const std::vector<DigestEntry>& entries, const std::string& key) {
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const DigestEntry& e, const std::string& k) { return e.key < k; });
  return it != entries.end() && it->key == key ? &*it : nullptr;
}

}  // namespace

void LwwNode::schedule_anti_entropy(Nanos from_time) {
  next_anti_entropy_ = from_time + config_.anti_entropy_interval;
}

void LwwNode::start_anti_entropy(Outbox& out) {
  assert(cluster_size_ > 1);
  NodeId peer = static_cast<NodeId>(rng_.below(static_cast<uint64_t>(cluster_size_ - 1)));
  if (peer >= id_) ++peer;  // uniform among the others
  auto d = std::make_shared<LwwDigest>();
  d->timestamp = clock_.tick();
  d->full = true;
  d->reply_wanted = true;
  d->entries.reserve(store_.size());
  for (const auto& [key, v] : store_) d->entries.push_back({key, v.stamp});  // sorted by key
  out.send(peer, std::move(d));
}

void LwwNode::on_digest(NodeId from, const LwwDigest& d, Outbox& out) {
  clock_.receive(d.timestamp);
  // What we hold newer than the sender: over all our keys for a full digest, else the keys asked.
  auto push = std::make_shared<LwwUpdate>();
  auto offer = [&](const std::string& key, const Stamp& theirs) {
    auto it = store_.find(key);
    if (it != store_.end() && theirs < it->second.stamp) push->entries.push_back({key, it->second});
  };
  if (d.full) {
    for (const auto& [key, v] : store_) {
      const DigestEntry* e = find_in(d.entries, key);
      offer(key, e ? e->stamp : Stamp{});
    }
  } else {
    for (const DigestEntry& e : d.entries) offer(e.key, e.stamp);
  }
  if (!push->entries.empty()) {
    push->timestamp = clock_.tick();
    out.send(from, std::move(push));
  }
  if (!d.reply_wanted) return;
  // What the sender holds newer than us: ask for it with our stamps.
  auto ask = std::make_shared<LwwDigest>();
  for (const DigestEntry& e : d.entries) {
    auto it = store_.find(e.key);
    const Stamp ours = it == store_.end() ? Stamp{} : it->second.stamp;
    if (ours < e.stamp) ask->entries.push_back({e.key, ours});
  }
  if (ask->entries.empty()) return;
  ask->timestamp = clock_.tick();
  out.send(from, std::move(ask));
}

}  // namespace synod::lamport
