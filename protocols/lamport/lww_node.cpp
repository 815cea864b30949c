// Dispatch, client commands, writes and the merge rule. See lww_node.hpp for the design.
#include "protocols/lamport/lww_node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <memory>

namespace synod::lamport {

const std::vector<LwwBugKnob>& lww_bug_knobs() {
  static const std::vector<LwwBugKnob> knobs = {
      {"arrival-order", &LwwBugs::arrival_order,
       "updates are applied in the order they arrive, not by Lamport stamp: replicas diverge"},
  };
  return knobs;
}

LwwNode::LwwNode(NodeId id, int cluster_size, LwwConfig config, Rng rng)
    : id_(id), cluster_size_(cluster_size), config_(config), rng_(rng) {
  assert(cluster_size >= 1);
  assert(id >= 0 && id < cluster_size);
  assert(config.anti_entropy_interval >= 0);
}

void LwwNode::start(Nanos now, Outbox& out) {
  now_ = now;
  // No storage: a (re)started replica is empty and relearns the store from its peers.
  clock_ = LamportClock{};
  store_.clear();
  sessions_.clear();
  touched_keys_.clear();
  touched_clients_.clear();
  checked_stamps_.clear();
  checked_seqs_.clear();
  checked_clock_ = 0;
  max_stamp_time_ = 0;
  // A random phase, so that the replicas' rounds do not all fall at the same instants.
  next_anti_entropy_ = kNever;
  if (cluster_size_ > 1 && config_.anti_entropy_interval > 0 &&
      config_.anti_entropy_interval != kNever) {
    next_anti_entropy_ = now + rng_.between(1, config_.anti_entropy_interval);
  }
}

void LwwNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  now_ = now;
  switch (m.kind()) {
    case MsgKind::ClientRequest:
      on_client_request(from, static_cast<const ClientRequest&>(m).command, out);
      return;
    case MsgKind::LwwUpdate:
      if (is_peer(from)) on_update(static_cast<const LwwUpdate&>(m));
      return;
    case MsgKind::LwwDigest:
      if (is_peer(from)) on_digest(from, static_cast<const LwwDigest&>(m), out);
      return;
    default: return;  // another protocol's message
  }
}

void LwwNode::on_timer(Nanos now, Outbox& out) {
  now_ = now;
  if (now < next_anti_entropy_) return;
  start_anti_entropy(out);
  schedule_anti_entropy(now);
}

Nanos LwwNode::next_timer() const { return next_anti_entropy_; }

std::string LwwNode::describe() const {
  return fmt::format("n{} lww keys={} clock={}", id_, store_.size(), clock_.time());
}

std::string LwwNode::state_digest() const {
  std::string s;
  for (const auto& [key, v] : store_) {
    if (!s.empty()) s += ' ';
    s += fmt::format("{}={}@{}.n{}", key, v.value, v.stamp.time, v.stamp.node);
  }
  return s;
}

std::optional<int64_t> LwwNode::get(const std::string& key) const {
  auto it = store_.find(key);
  if (it == store_.end()) return std::nullopt;
  return it->second.value;
}

void LwwNode::on_client_request(Address from, const Command& c, Outbox& out) {
  auto session = sessions_.find(c.client);
  if (session != sessions_.end()) {
    if (c.seq == session->second.last_seq) {  // a repeat: its first result, not a second run
      out.send(from,
               std::make_shared<ClientReply>(c.client, c.seq, session->second.last_result, id_));
      return;
    }
    if (c.seq < session->second.last_seq) return;  // older than what the client has moved on to
  }
  const ClientResult result = execute(c, out);
  note_session(c.client, c.seq, result);
  out.send(from, std::make_shared<ClientReply>(c.client, c.seq, result, id_));
}

ClientResult LwwNode::execute(const Command& c, Outbox& out) {
  switch (c.type) {
    case OpType::Read: return {ReplyStatus::Ok, get(c.key)};
    case OpType::Write: write(c, out); return {ReplyStatus::Ok, std::nullopt};
    case OpType::Cas: {
      // The register model's cas: on null or on another value it fails and changes nothing. The
      // comparison sees only this replica's copy (see the header).
      const std::optional<int64_t> current = get(c.key);
      if (!current || *current != c.expected) return {ReplyStatus::Fail, std::nullopt};
      write(c, out);
      return {ReplyStatus::Ok, std::nullopt};
    }
  }
  return {ReplyStatus::Fail, std::nullopt};
}

void LwwNode::write(const Command& c, Outbox& out) {
  Versioned v;
  v.value = c.value;
  v.stamp = {clock_.tick(), id_};  // the write event; its broadcast carries the same time
  v.client = c.client;
  v.seq = c.seq;
  // Our clock has passed every stamp we hold (IR2 on every merge), so a fresh tick is newer.
  const bool applied = merge(c.key, v);
  assert(applied);
  (void)applied;
  for (NodeId peer = 0; peer < cluster_size_; ++peer) {
    if (peer == id_) continue;
    auto m = std::make_shared<LwwUpdate>();
    m->timestamp = v.stamp.time;
    m->entries.push_back({c.key, v});
    out.send(peer, std::move(m));
  }
}

bool LwwNode::merge(const std::string& key, const Versioned& v) {
  auto it = store_.find(key);
  if (it != store_.end() && v.stamp <= it->second.stamp && !config_.bugs.arrival_order)
    return false;  // ours is newer, or it
  store_[key] = v;
  touched_keys_.push_back(key);
  max_stamp_time_ = std::max(max_stamp_time_, v.stamp.time);
  return true;
}

void LwwNode::note_session(int64_t client, uint64_t seq, ClientResult result) {
  Session& s = sessions_[client];
  if (seq < s.last_seq) return;
  s.last_seq = seq;
  s.last_result = result;
  touched_clients_.push_back(client);
}

void LwwNode::on_update(const LwwUpdate& m) {
  clock_.receive(m.timestamp);  // IR2: our next write is stamped above everything merged here
  for (const UpdateEntry& e : m.entries) {
    merge(e.key, e.version);
    // Whichever version wins, the command that wrote this one has been applied: remember it, so
    // a retry of it here is answered from the table instead of being applied again.
    const auto s = sessions_.find(e.version.client);
    if (s == sessions_.end() || s->second.last_seq < e.version.seq) {
      note_session(e.version.client, e.version.seq, {ReplyStatus::Ok, std::nullopt});
    }
  }
}

}  // namespace synod::lamport
