#include "protocols/quorum/quorum_node.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synod::quorum {

QuorumNode::QuorumNode(NodeId id, int cluster_size, const Config& config, Storage* storage, Rng rng)
    : id_(id), n_(cluster_size), config_(config), disk_(storage), rng_(rng),
      suspect_until_(static_cast<size_t>(cluster_size), 0) {
  for (NodeId i = 0; i < n_; ++i) members_.push_back(i);
  ring_ = placement::make_placement(config_.placement, members_, config_.vnodes);
}

void QuorumNode::on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) {
  (void)now;
  if (members.empty()) return;
  auto next = placement::make_placement(config_.placement, members, config_.vnodes);
  if (!membership_known_) {
    // This incarnation's first word of the membership (at boot or restart): adopt it; whatever
    // moved while it was down reaches it by anti-entropy and read repair.
    membership_known_ = true;
    ring_ = std::move(next);
    members_ = members;
    return;
  }
  if (members == members_) return;
  std::map<NodeId, std::vector<KeyVersion>> streams;
  for (const auto& [k, sibs] : disk_->data) {
    const auto before = ring_->replicas(k, config_.n);
    if (before.empty() || before[0] != id_) continue;  // the old owner streams
    for (NodeId t : next->replicas(k, config_.n))
      if (t != id_ && std::find(before.begin(), before.end(), t) == before.end())
        for (const Version& v : sibs) streams[t].push_back({k, v});
  }
  for (auto& [to, entries] : streams) {
    for (size_t i = 0; i < entries.size(); i += 100) {
      auto m = std::make_shared<Stream>();
      m->entries.assign(entries.begin() + static_cast<long>(i),
                        entries.begin() + static_cast<long>(std::min(entries.size(), i + 100)));
      out.send(to, std::move(m));
    }
  }
  ring_ = std::move(next);
  members_ = members;
}

void QuorumNode::start(Nanos now, Outbox& out) {
  (void)out;
  for (const auto& [k, sibs] : disk_->data)
    if (!sibs.empty()) seen_[k] = sibs.back().ts;
  next_handoff_ = now + config_.handoff_interval;
  // A random phase, so the nodes do not all run anti-entropy at the same instants.
  if (config_.anti_entropy > 0)
    next_anti_entropy_ = now + static_cast<Nanos>(rng_.below(static_cast<uint64_t>(config_.anti_entropy)));
}

std::vector<NodeId> QuorumNode::preference_list(const std::string& key) const {
  return ring_->replicas(key, config_.n);
}

// (target, hint) pairs: `needed` of the preference list (all of it with send_to_all, else a
// random choice), each suspected one replaced, when sloppy, by the next healthy node on the ring
// past the list, carrying a hint naming the node it stands in for.
std::vector<std::pair<NodeId, NodeId>> QuorumNode::targets_for(const std::string& key, int needed, Nanos now) {
  std::vector<NodeId> ring = ring_->replicas(key, n_);
  std::vector<NodeId> list(ring.begin(), ring.begin() + std::min<size_t>(ring.size(), static_cast<size_t>(config_.n)));
  if (!config_.send_to_all) {
    for (size_t k = 0; k < list.size(); ++k) std::swap(list[k], list[k + rng_.below(list.size() - k)]);
    list.resize(std::min(list.size(), static_cast<size_t>(needed)));
  }
  std::vector<std::pair<NodeId, NodeId>> out;
  size_t spare = static_cast<size_t>(config_.n);
  for (NodeId t : list) {
    if (!config_.sloppy || !suspected(t, now)) {
      out.push_back({t, kNoNode});
      continue;
    }
    while (spare < ring.size() && suspected(ring[spare], now)) ++spare;
    if (spare < ring.size())
      out.push_back({ring[spare++], t});
    else
      out.push_back({t, kNoNode});  // nowhere better to go
  }
  return out;
}

void QuorumNode::coordinate(Nanos now, Address client, const Command& c, Outbox& out) {
  if (c.type == OpType::Cas) {
    auto r = std::make_shared<ClientReply>(c.client, c.seq, ClientResult{ReplyStatus::Fail, {}}, kNoNode);
    out.send(client, std::move(r));
    return;
  }
  const bool write = c.type == OpType::Write;
  const uint64_t req = next_request_++;
  Pending& p = pending_[req];
  p.client = client;
  p.command = c;
  p.deadline = now + config_.request_timeout;
  deadlines_.insert({p.deadline, req});
  if (write && config_.siblings) {
    // Get, then put: the clocks of what R replicas hold, so the write replaces what it saw.
    p.reading_for_write = true;
    for (const auto& [t, hint] : targets_for(c.key, config_.r, now)) {
      p.targets.push_back(t);
      if (hint != kNoNode) p.stand_ins.insert(t);
      auto m = std::make_shared<Read>();
      m->request = req;
      m->key = c.key;
      out.send(t, std::move(m));
    }
    return;
  }
  const auto targets = targets_for(c.key, write ? config_.w : config_.r, now);
  Version v;
  if (write) {
    Timestamp ts{std::max(now, last_ts_.time + 1), id_};
    last_ts_ = ts;
    v.value = c.value;
    v.ts = ts;
  }
  for (const auto& [t, hint] : targets) {
    p.targets.push_back(t);
    if (hint != kNoNode) p.stand_ins.insert(t);
    if (write) {
      auto m = std::make_shared<Write>();
      m->request = req;
      m->key = c.key;
      m->version = v;
      m->hint = hint;
      out.send(t, std::move(m));
    } else {
      auto m = std::make_shared<Read>();
      m->request = req;
      m->key = c.key;
      out.send(t, std::move(m));
    }
  }
}

// Siblings: the write's second phase, once R replicas told what they hold.
void QuorumNode::send_writes(Nanos now, uint64_t req, Pending& p, const Clock& seen, Outbox& out) {
  p.reading_for_write = false;
  p.targets.clear();
  p.stand_ins.clear();
  p.replies.clear();
  Version v;
  Timestamp ts{std::max(now, last_ts_.time + 1), id_};
  last_ts_ = ts;
  v.value = p.command.value;
  v.ts = ts;
  v.clock = seen;
  v.clock.set(id_, std::max(seen.at(id_), disk_->clock_counter) + 1);
  disk_->clock_counter = v.clock.at(id_);
  disk_->writes++;
  for (const auto& [t, hint] : targets_for(p.command.key, config_.w, now)) {
    p.targets.push_back(t);
    if (hint != kNoNode) p.stand_ins.insert(t);
    auto m = std::make_shared<Write>();
    m->request = req;
    m->key = p.command.key;
    m->version = v;
    m->hint = hint;
    out.send(t, std::move(m));
  }
}

void QuorumNode::store(const std::string& key, const Version& v, NodeId hint) {
  Siblings& held = hint != kNoNode && hint != id_ ? disk_->hints[hint][key] : disk_->data[key];
  if (config_.siblings) {
    if (merge_sibling(held, v)) disk_->writes++;
    for (size_t i = 0; i < held.size(); ++i)
      for (size_t j = 0; j < held.size(); ++j)
        if (i != j && held[i].clock.descends(held[j].clock))
          violations_.push_back(fmt::format("{}: a stored sibling descends from another", key));
    return;
  }
  if (held.empty() || held[0].ts < v.ts) {
    held = {v};
    disk_->writes++;
  }
  if (hint != kNoNode && hint != id_) return;
  const Version& cur = held[0];
  auto s = seen_.find(key);
  if (s != seen_.end() && cur.ts < s->second)
    violations_.push_back(fmt::format("{}: stored timestamp went back", key));
  seen_[key] = cur.ts;
}

void QuorumNode::answer(uint64_t req, Pending& p, const ClientResult& result, Outbox& out) {
  (void)req;
  p.answered = true;
  out.send(p.client, std::make_shared<ClientReply>(p.command.client, p.command.seq, result, kNoNode));
}

// Every replica asked has answered (or the deadline passed): read repair.
void QuorumNode::finish_read(Nanos now, uint64_t req, Pending& p, Outbox& out) {
  (void)now;
  (void)req;
  if (!config_.read_repair || p.replies.empty() || p.reading_for_write) return;
  if (config_.siblings) {
    // Every version some reply had and another lacks goes to the one that lacks it.
    Siblings all;
    for (const auto& [n, sibs] : p.replies)
      for (const Version& v : sibs) merge_sibling(all, v);
    for (const auto& [n, sibs] : p.replies) {
      if (p.stand_ins.count(n)) continue;
      for (const Version& v : all) {
        Siblings probe = sibs;
        if (!merge_sibling(probe, v)) continue;  // it holds v, or something newer
        auto m = std::make_shared<Write>();
        m->key = p.command.key;
        m->version = v;
        out.send(n, std::move(m));
      }
    }
    return;
  }
  Version latest;
  for (const auto& [n, sibs] : p.replies)
    if (!sibs.empty() && (!latest.written() || latest.ts < sibs[0].ts)) latest = sibs[0];
  if (!latest.written()) return;
  for (const auto& [n, sibs] : p.replies) {
    if (p.stand_ins.count(n)) continue;  // not a replica of the key: nothing to repair there
    if (!sibs.empty() && !(sibs[0].ts < latest.ts)) continue;
    auto m = std::make_shared<Write>();
    m->key = p.command.key;
    m->version = latest;
    out.send(n, std::move(m));
  }
}

void QuorumNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  if (from >= 0 && from < n_) suspect_until_[from] = 0;  // it is alive
  switch (m.kind()) {
    case MsgKind::ClientRequest:
      coordinate(now, from, static_cast<const ClientRequest&>(m).command, out);
      break;
    case MsgKind::QuorumWrite: {
      const auto& w = static_cast<const Write&>(m);
      store(w.key, w.version, w.hint);
      if (w.request != 0) {
        auto a = std::make_shared<WriteAck>();
        a->request = w.request;
        out.send(from, std::move(a));
      }
      break;
    }
    case MsgKind::QuorumWriteAck: {
      const auto& a = static_cast<const WriteAck&>(m);
      auto h = handoffs_.find(a.request);
      if (h != handoffs_.end()) {  // the owner has its hints: drop what it now holds
        auto& held = disk_->hints[h->second.first];
        for (const KeyVersion& kv : h->second.second) {
          auto it = held.find(kv.key);
          if (it == held.end()) continue;
          Siblings& sibs = it->second;
          sibs.erase(std::remove_if(sibs.begin(), sibs.end(),
                                    [&](const Version& v) {
                                      return v.ts == kv.version.ts && v.clock == kv.version.clock;
                                    }),
                     sibs.end());
          if (sibs.empty()) held.erase(it);
        }
        if (held.empty()) disk_->hints.erase(h->second.first);
        disk_->writes++;
        handoffs_.erase(h);
        break;
      }
      auto it = pending_.find(a.request);
      if (it == pending_.end()) break;
      Pending& p = it->second;
      p.acks.insert(from);
      if (!p.answered && static_cast<int>(p.acks.size()) >= std::min<int>(config_.w, static_cast<int>(p.targets.size())))
        answer(a.request, p, ClientResult{ReplyStatus::Ok, {}}, out);
      if (p.acks.size() == p.targets.size()) {
        deadlines_.erase({p.deadline, a.request});
        pending_.erase(it);
      }
      break;
    }
    case MsgKind::QuorumRead: {
      const auto& r = static_cast<const Read&>(m);
      auto reply = std::make_shared<ReadReply>();
      reply->request = r.request;
      const auto it = disk_->data.find(r.key);
      if (it != disk_->data.end()) reply->versions = it->second;
      out.send(from, std::move(reply));
      break;
    }
    case MsgKind::QuorumReadReply: {
      const auto& r = static_cast<const ReadReply&>(m);
      auto it = pending_.find(r.request);
      if (it == pending_.end()) break;
      Pending& p = it->second;
      if (!p.reading_for_write && p.command.type == OpType::Write) break;  // late: writing now
      p.replies[from] = r.versions;
      const bool enough = static_cast<int>(p.replies.size()) >= std::min<int>(config_.r, static_cast<int>(p.targets.size()));
      if (p.reading_for_write) {
        if (!enough) break;
        Clock seen;
        for (const auto& [n, sibs] : p.replies)
          for (const Version& v : sibs) seen.merge(v.clock);
        send_writes(now, r.request, p, seen, out);
        break;
      }
      if (!p.answered && enough) {
        Version latest;
        for (const auto& [n, sibs] : p.replies)
          for (const Version& v : sibs)  // siblings: the latest timestamp among them all
            if (v.written() && (!latest.written() || latest.ts < v.ts)) latest = v;
        answer(r.request, p, ClientResult{ReplyStatus::Ok, latest.written() ? latest.value : std::nullopt}, out);
      }
      if (p.replies.size() == p.targets.size()) {
        finish_read(now, r.request, p, out);
        deadlines_.erase({p.deadline, r.request});
        pending_.erase(it);
      }
      break;
    }
    case MsgKind::QuorumDigest: {
      if (from < 0 || from >= n_) break;
      const auto& d = static_cast<const Digest&>(m);
      const std::vector<uint64_t> mine = digest_for(from);
      std::vector<uint32_t> differ;
      for (size_t b = 0; b < mine.size() && b < d.buckets.size(); ++b)
        if (mine[b] != d.buckets[b]) differ.push_back(static_cast<uint32_t>(b));
      if (differ.empty()) break;
      auto s = std::make_shared<Sync>();
      s->entries = entries_in(from, differ);
      s->want = differ;
      out.send(from, std::move(s));
      break;
    }
    case MsgKind::QuorumStream: {
      for (const KeyVersion& kv : static_cast<const Stream&>(m).entries) store(kv.key, kv.version, kNoNode);
      break;
    }
    case MsgKind::QuorumSync: {
      const auto& s = static_cast<const Sync&>(m);
      for (const KeyVersion& kv : s.entries) store(kv.key, kv.version, kNoNode);
      if (s.request != 0) {
        auto a = std::make_shared<WriteAck>();
        a->request = s.request;
        out.send(from, std::move(a));
      }
      if (!s.want.empty() && from >= 0 && from < n_) {
        auto back = std::make_shared<Sync>();
        back->entries = entries_in(from, s.want);
        out.send(from, std::move(back));
      }
      break;
    }
    default:
      break;
  }
}

void QuorumNode::on_timer(Nanos now, Outbox& out) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const uint64_t req = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(req);
    if (it == pending_.end()) continue;
    Pending& p = it->second;
    // Whoever did not answer is suspected; an unanswered client times out on its own.
    for (NodeId t : p.targets)
      if (!p.acks.count(t) && !p.replies.count(t)) suspect_until_[t] = now + config_.suspect_for;
    if (p.command.type == OpType::Read) finish_read(now, req, p, out);
    pending_.erase(it);
  }
  if (next_handoff_ <= now) {
    next_handoff_ = now + config_.handoff_interval;
    handoffs_.clear();  // a handoff unanswered since the last round is sent again
    for (const auto& [owner, held] : disk_->hints) {
      if (suspected(owner, now) || held.empty()) continue;
      auto s = std::make_shared<Sync>();
      s->request = next_request_++;
      for (const auto& [k, sibs] : held)
        for (const Version& v : sibs) s->entries.push_back({k, v});
      handoffs_[s->request] = {owner, s->entries};
      out.send(owner, std::move(s));
    }
  }
  if (next_anti_entropy_ <= now) {
    next_anti_entropy_ = now + config_.anti_entropy;
    std::vector<NodeId> peers;
    for (NodeId m : members_)
      if (m != id_) peers.push_back(m);
    if (!peers.empty()) {
      const NodeId peer = peers[rng_.below(peers.size())];
      auto d = std::make_shared<Digest>();
      d->buckets = digest_for(peer);
      out.send(peer, std::move(d));
    }
  }
}

Nanos QuorumNode::next_timer() const {
  Nanos t = std::min(next_handoff_, next_anti_entropy_);
  if (!deadlines_.empty()) t = std::min(t, deadlines_.begin()->first);
  return t;
}

uint64_t QuorumNode::bucket_of(const std::string& key) const {
  return placement::hash64(key) % static_cast<uint64_t>(std::max(1, config_.buckets));
}

// Keys this node holds whose preference list also has `peer`, hashed per bucket: order-free sums
// of a hash of (key, timestamp), so two replicas with the same versions have the same digest.
std::vector<uint64_t> QuorumNode::digest_for(NodeId peer) const {
  std::vector<uint64_t> b(static_cast<size_t>(std::max(1, config_.buckets)), 0);
  for (const auto& [k, sibs] : disk_->data) {
    const auto list = preference_list(k);
    if (std::find(list.begin(), list.end(), peer) == list.end()) continue;
    for (const Version& v : sibs)
      b[bucket_of(k)] += placement::mix64(placement::hash64(k) ^ placement::mix64(static_cast<uint64_t>(v.ts.time) * 31 + static_cast<uint64_t>(v.ts.node)));
  }
  return b;
}

std::vector<KeyVersion> QuorumNode::entries_in(NodeId peer, const std::vector<uint32_t>& buckets) const {
  std::vector<KeyVersion> out;
  const std::set<uint32_t> want(buckets.begin(), buckets.end());
  for (const auto& [k, sibs] : disk_->data) {
    if (!want.count(static_cast<uint32_t>(bucket_of(k)))) continue;
    const auto list = preference_list(k);
    if (std::find(list.begin(), list.end(), peer) == list.end()) continue;
    for (const Version& v : sibs) out.push_back({k, v});
  }
  return out;
}

std::vector<std::string> QuorumNode::check_invariants() {
  std::vector<std::string> v;
  v.swap(violations_);
  return v;
}

std::string QuorumNode::describe() const {
  size_t hints = 0;
  for (const auto& [o, h] : disk_->hints) hints += h.size();
  return fmt::format("quorum keys={} hints={} pending={}", disk_->data.size(), hints, pending_.size());
}

std::string QuorumNode::state_digest() const {
  std::string s;
  for (const auto& [k, sibs] : disk_->data)
    for (const Version& v : sibs)
      s += fmt::format("{}={}@{}.{};", k, v.value ? std::to_string(*v.value) : "null", v.ts.time, v.ts.node);
  return s;
}

}  // namespace synod::quorum
