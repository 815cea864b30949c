// Primary-backup failover: a backup that lost its primary asks a majority to make it primary of
// the next epoch, adopts the most up-to-date log among them, and fences the old primary by epoch
// (pb_node.hpp has the argument for why no acknowledged sync write is lost).
#include <fmt/format.h>

#include <algorithm>

#include "protocols/pb/pb_node.hpp"

namespace synod::pb {

void PbNode::replace_log(std::vector<Entry> log) {
  const size_t keep = static_cast<size_t>(applied_);
  bool same = log.size() >= keep;
  for (size_t i = 0; same && i < keep; ++i)
    same = log[i].epoch == log_[i].epoch && log[i].noop == log_[i].noop &&
           log[i].command == log_[i].command;
  if (!same)
    violations_.push_back(fmt::format(
        "applied-prefix: a new log ({} entries) does not keep the {} entries already applied",
        log.size(), keep));
  log_ = std::move(log);
  log_replaced_ = true;
}

void PbNode::start_view_change(Nanos now, Outbox& out) {
  candidate_epoch_ = std::max({epoch_, granted_epoch_, candidate_epoch_}) + 1;
  granted_epoch_ = candidate_epoch_;  // our own grant
  persist();
  grants_.clear();
  grants_[id_] = {log_, commit_};
  ProtocolEvent started;
  started.type = EventType::ElectionStart;
  started.term = candidate_epoch_;
  out.event(std::move(started));
  if (role_ != Role::Candidate) set_role(Role::Candidate, out);
  primary_ = kNoNode;
  deadline_ = now + config_.failover_timeout + rng_.between(0, config_.failover_timeout);
  if (static_cast<int>(grants_.size()) >= majority()) {
    become_primary(now, out);
    return;
  }
  for (NodeId i = 0; i < cluster_size_; ++i) {
    if (i == id_) continue;
    auto vc = std::make_shared<ViewChange>();
    vc->epoch = candidate_epoch_;
    vc->last_epoch = last_epoch();
    vc->length = static_cast<int64_t>(log_.size());
    out.send(i, std::move(vc));
  }
}

void PbNode::on_view_change(Nanos now, NodeId from, const ViewChange& m, Outbox& out) {
  auto reply = std::make_shared<ViewReply>();
  reply->epoch = std::max(epoch_, granted_epoch_);
  if (role_ == Role::Primary) {
    // We are alive: refuse, and take the asker back (it will accept our epoch if not newer).
    out.send(from, std::move(reply));
    next_[from] = 1;
    send_to(from, out);
    return;
  }
  // Grant once per epoch, and only when we too have not heard from a primary for half a
  // failover timeout (the lease we gave it).
  const bool lease_over = primary_ == kNoNode || now - last_heard_ >= config_.failover_timeout / 2;
  if (m.epoch <= granted_epoch_ || m.epoch <= epoch_ || !lease_over) {
    out.send(from, std::move(reply));
    return;
  }
  granted_epoch_ = m.epoch;
  epoch_ = m.epoch;  // fences the old primary from now on
  primary_ = kNoNode;
  if (role_ != Role::Backup) set_role(Role::Backup, out);
  last_heard_ = now;
  reset_deadline(now);
  reply->epoch = m.epoch;
  reply->granted = true;
  reply->log = log_;
  reply->commit = commit_;
  out.send(from, std::move(reply));
}

void PbNode::on_view_reply(Nanos now, NodeId from, const ViewReply& m, Outbox& out) {
  if (role_ != Role::Candidate) return;
  if (!m.granted) {
    if (m.epoch > epoch_ && m.epoch >= candidate_epoch_) {
      epoch_ = m.epoch;  // someone is further on: wait for its primary
      set_role(Role::Backup, out);
      reset_deadline(now);
    }
    return;
  }
  if (m.epoch != candidate_epoch_) return;
  grants_[from] = {m.log, m.commit};
  if (static_cast<int>(grants_.size()) >= majority()) become_primary(now, out);
}

void PbNode::become_primary(Nanos now, Outbox& out) {
  // The most up-to-date log among the grants: highest last epoch, then longest.
  const std::vector<Entry>* best = nullptr;
  int64_t best_commit = commit_;
  auto last = [](const std::vector<Entry>& l) { return l.empty() ? 0 : l.back().epoch; };
  for (const auto& [node, g] : grants_) {
    best_commit = std::max(best_commit, g.second);
    if (!best || last(g.first) > last(*best) ||
        (last(g.first) == last(*best) && g.first.size() > best->size()))
      best = &g.first;
  }
  std::vector<Entry> adopted = *best;
  epoch_ = candidate_epoch_;
  primary_ = id_;
  replace_log(std::move(adopted));
  members_.clear();
  match_.clear();
  next_.clear();
  heard_from_.clear();
  for (const auto& [node, g] : grants_) {
    members_.insert(node);
    match_[node] = 0;
    next_[node] = 1;
    heard_from_[node] = now;
  }
  grants_.clear();
  pending_.clear();
  // Entries the grantors had committed are committed (they are in the adopted log, before the
  // first difference with anything acknowledged).
  best_commit = std::min(best_commit, static_cast<int64_t>(log_.size()));
  log_.push_back({epoch_, Command{}, true});
  match_[id_] = static_cast<int64_t>(log_.size());
  set_role(Role::Primary, out);
  persist();
  commit_to(best_commit, out);
  advance_commit(out);  // a cluster of one, or async: at once
  for (NodeId i = 0; i < cluster_size_; ++i) {
    if (i == id_) continue;
    next_[i] = 1;  // the whole log: it takes the others into the new epoch
    send_to(i, out);
  }
  next_heartbeat_ = now + config_.heartbeat;
  deadline_ = kNever;
}

void PbNode::step_down(int64_t epoch, Outbox& out) {
  epoch_ = std::max(epoch_, epoch);
  if (role_ == Role::Primary) fail_pending(out);
  primary_ = kNoNode;
  set_role(Role::Backup, out);
  persist();
}

}  // namespace synod::pb
