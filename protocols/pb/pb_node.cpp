// Primary-backup: the primary's ordering and commit, the backups' replication, and the node's
// own invariants. The view change is in view_change.cpp.
#include "protocols/pb/pb_node.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synod::pb {

const char* role_name(PbNode::Role r) {
  switch (r) {
    case PbNode::Role::Primary: return "leader";
    case PbNode::Role::Backup: return "follower";
    case PbNode::Role::Candidate: return "candidate";
  }
  return "?";
}

PbNode::PbNode(NodeId id, int cluster_size, const Config& config, Storage* storage, Rng rng)
    : id_(id),
      cluster_size_(cluster_size),
      config_(config),
      storage_(storage),
      rng_(rng),
      log_(storage->log) {
  ++storage_->boots;
  epoch_ = storage_->epoch;
  granted_epoch_ = storage_->granted_epoch;
  persisted_length_ = log_.size();
  if (storage_->boots > 1) {
    role_ = Role::Backup;  // a restart: whoever is primary will send it the whole log
    primary_ = kNoNode;
  } else {
    role_ = id_ == 0 ? Role::Primary : Role::Backup;  // the first view: n1 leads, all are members
    primary_ = 0;
    synced_epoch_ = epoch_;
  }
}

void PbNode::persist() {
  const bool log_changed = log_replaced_ || log_.size() != persisted_length_;
  if (!log_changed && storage_->epoch == epoch_ && storage_->granted_epoch == granted_epoch_) return;
  storage_->epoch = epoch_;
  storage_->granted_epoch = granted_epoch_;
  persisted_length_ = log_.size();
  log_replaced_ = false;
  ++storage_->writes;
}

void PbNode::set_role(Role r, Outbox& out) {
  role_ = r;
  ProtocolEvent e;
  e.type = EventType::Role;
  e.role = role_name(r);
  e.term = epoch_;
  if (r == Role::Primary) {
    for (size_t i = 0; i < log_.size(); ++i) {
      const int64_t index = static_cast<int64_t>(i) + 1;
      if (e.log_runs.empty() || e.log_runs.back().term != log_[i].epoch)
        e.log_runs.push_back({log_[i].epoch, index, index});
      else
        e.log_runs.back().last = index;
    }
  }
  out.event(std::move(e));
}

int PbNode::rank() const {
  if (primary_ == kNoNode) return id_;
  return (id_ - primary_ - 1 + cluster_size_) % cluster_size_;
}

void PbNode::reset_deadline(Nanos now) {
  deadline_ = now + config_.failover_timeout + rank() * (config_.failover_timeout / 2) +
              rng_.between(0, config_.heartbeat);
}

void PbNode::start(Nanos now, Outbox& out) {
  set_role(role_, out);
  last_heard_ = now;
  if (role_ == Role::Primary) {
    for (NodeId i = 0; i < cluster_size_; ++i) {
      members_.insert(i);
      match_[i] = 0;
      next_[i] = 1;
      heard_from_[i] = now;
    }
    next_heartbeat_ = now;
  } else {
    reset_deadline(now);
  }
}

Nanos PbNode::next_timer() const { return role_ == Role::Primary ? next_heartbeat_ : deadline_; }

void PbNode::on_timer(Nanos now, Outbox& out) {
  if (role_ == Role::Primary) {
    if (now < next_heartbeat_) return;
    // Check quorum: a primary that heard from no majority for a failover timeout steps down.
    int heard = 1;
    for (NodeId i = 0; i < cluster_size_; ++i)
      if (i != id_ && heard_from_.count(i) && now - heard_from_[i] < config_.failover_timeout) ++heard;
    if (heard < majority()) {
      step_down(epoch_, out);
      primary_ = kNoNode;
      reset_deadline(now);
      return;
    }
    // Drop silent members, never below a majority.
    for (auto it = members_.begin(); it != members_.end();) {
      const NodeId m = *it;
      if (m != id_ && static_cast<int>(members_.size()) > majority() &&
          now - heard_from_[m] >= config_.failover_timeout) {
        it = members_.erase(it);
      } else {
        ++it;
      }
    }
    advance_commit(out);
    // Members get what they may have missed; every other node a bare heartbeat (an unsynced one
    // refuses it, and then gets the whole log).
    for (NodeId i = 0; i < cluster_size_; ++i) {
      if (i == id_) continue;
      next_[i] = members_.count(i) ? match_[i] + 1 : static_cast<int64_t>(log_.size()) + 1;
      send_to(i, out);
    }
    next_heartbeat_ = now + config_.heartbeat;
    persist();
    return;
  }
  if (now < deadline_) return;
  start_view_change(now, out);
  persist();
}

void PbNode::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  switch (m.kind()) {
    case MsgKind::ClientRequest:
      on_client(now, from, static_cast<const ClientRequest&>(m), out);
      break;
    case MsgKind::PbReplicate:
      on_replicate(now, from, static_cast<const Replicate&>(m), out);
      break;
    case MsgKind::PbReplicateReply:
      on_replicate_reply(now, from, static_cast<const ReplicateReply&>(m), out);
      break;
    case MsgKind::PbViewChange:
      on_view_change(now, from, static_cast<const ViewChange&>(m), out);
      break;
    case MsgKind::PbViewReply:
      on_view_reply(now, from, static_cast<const ViewReply&>(m), out);
      break;
    default:
      break;
  }
  persist();
}

void PbNode::on_client(Nanos now, Address from, const ClientRequest& m, Outbox& out) {
  const Command& c = m.command;
  if (role_ != Role::Primary) {
    const NodeId hint = role_ == Role::Backup ? primary_ : kNoNode;  // kNoNode: not known
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq,
                                                 ClientResult{ReplyStatus::NotLeader, std::nullopt},
                                                 hint));
    return;
  }
  ClientResult cached;
  if (kv_.is_duplicate(c, &cached)) {
    out.send(from, std::make_shared<ClientReply>(c.client, c.seq, cached, id_));
    return;
  }
  auto [it, inserted] = pending_.try_emplace({c.client, c.seq}, from);
  if (!inserted) {  // already in the log: answered when it commits
    it->second = from;
    return;
  }
  log_.push_back({epoch_, c, false});
  match_[id_] = static_cast<int64_t>(log_.size());
  // Sync forwards each entry at once; async ships the log with the next heartbeat (replication
  // lag up to one heartbeat, as asynchronous log shipping has).
  if (config_.mode == Mode::Sync)
    for (NodeId peer : members_)
      if (peer != id_) send_to(peer, out);
  advance_commit(out);
}

void PbNode::send_to(NodeId peer, Outbox& out) {
  auto r = std::make_shared<Replicate>();
  r->epoch = epoch_;
  int64_t& next = next_[peer];
  if (next < 1) next = 1;
  r->from = next;
  const int64_t n = static_cast<int64_t>(log_.size());
  for (int64_t i = next; i <= n; ++i) r->entries.push_back(log_[static_cast<size_t>(i - 1)]);
  r->commit = commit_;
  r->members.assign(members_.begin(), members_.end());
  next = n + 1;
  out.send(peer, std::move(r));
}

void PbNode::advance_commit(Outbox& out) {
  int64_t c = static_cast<int64_t>(log_.size());
  if (config_.mode == Mode::Sync) {
    for (NodeId m : members_) c = std::min(c, m == id_ ? c : match_[m]);
    // As in Raft (§5.4.2): commit only through an entry of this epoch; earlier ones commit with it.
    while (c > commit_ && log_[static_cast<size_t>(c - 1)].epoch != epoch_) --c;
  }
  commit_to(c, out);
}

void PbNode::commit_to(int64_t index, Outbox& out) {
  if (index <= commit_) return;
  commit_ = index;
  ProtocolEvent e;
  e.type = EventType::Commit;
  e.index = commit_;
  e.term = epoch_;
  out.event(std::move(e));
  apply_to(commit_, out);
}

void PbNode::apply_to(int64_t index, Outbox& out) {
  index = std::min(index, static_cast<int64_t>(log_.size()));
  while (applied_ < index) {
    const Entry& entry = log_[static_cast<size_t>(applied_)];
    ++applied_;
    ProtocolEvent e;
    e.type = EventType::Apply;
    e.index = applied_;
    e.entry_term = entry.epoch;
    e.term = epoch_;
    if (entry.noop) {
      e.command = "noop";
      out.event(std::move(e));
      continue;
    }
    const ClientResult r = kv_.apply(entry.command);
    e.command = entry.command.describe();
    out.event(std::move(e));
    if (role_ != Role::Primary) continue;
    auto it = pending_.find({entry.command.client, entry.command.seq});
    if (it == pending_.end()) continue;
    out.send(it->second, std::make_shared<ClientReply>(entry.command.client, entry.command.seq, r, id_));
    pending_.erase(it);
  }
}

void PbNode::on_replicate(Nanos now, NodeId from, const Replicate& m, Outbox& out) {
  auto reply = std::make_shared<ReplicateReply>();
  if (m.epoch < epoch_ || (m.epoch == epoch_ && role_ == Role::Primary)) {
    reply->epoch = epoch_;  // fenced: the sender's epoch is over
    out.send(from, std::move(reply));
    return;
  }
  if (m.epoch > epoch_ || role_ != Role::Backup || primary_ != from) {
    if (role_ == Role::Primary) fail_pending(out);
    epoch_ = m.epoch;
    primary_ = from;
    set_role(Role::Backup, out);
  }
  last_heard_ = now;
  reset_deadline(now);
  reply->epoch = epoch_;
  const int64_t n = static_cast<int64_t>(log_.size());
  if (synced_epoch_ < m.epoch) {
    // First word from this epoch's primary: only a whole log will do (it may differ from ours
    // after the entries we applied, never before them: invariants check that).
    if (m.from != 1) {
      reply->length = 0;
      out.send(from, std::move(reply));
      return;
    }
    replace_log(m.entries);
    synced_epoch_ = m.epoch;
  } else if (m.from > n + 1) {
    reply->length = n;  // a gap: send from where we are
    out.send(from, std::move(reply));
    return;
  } else {
    // Within one epoch the primary's log only grows, so what we hold of it is a prefix.
    for (size_t j = 0; j < m.entries.size(); ++j) {
      const int64_t index = m.from + static_cast<int64_t>(j);
      if (index > static_cast<int64_t>(log_.size())) log_.push_back(m.entries[j]);
    }
  }
  reply->ok = true;
  reply->length = static_cast<int64_t>(log_.size());
  commit_to(std::min(m.commit, reply->length), out);
  out.send(from, std::move(reply));
}

void PbNode::on_replicate_reply(Nanos now, NodeId from, const ReplicateReply& m, Outbox& out) {
  if (m.epoch > epoch_) {
    step_down(m.epoch, out);  // fenced by a later epoch
    reset_deadline(now);
    return;
  }
  if (role_ != Role::Primary || m.epoch != epoch_) return;
  heard_from_[from] = now;
  if (!m.ok) {
    next_[from] = m.length + 1;
    send_to(from, out);
    return;
  }
  match_[from] = std::max(match_[from], m.length);
  if (!members_.count(from)) {
    members_.insert(from);  // a rejoined node (or one dropped while silent) is back
  }
  advance_commit(out);
}

void PbNode::fail_pending(Outbox& out) {
  for (const auto& [key, address] : pending_) {
    out.send(address, std::make_shared<ClientReply>(
                          key.first, key.second, ClientResult{ReplyStatus::NotLeader, std::nullopt},
                          kNoNode));
  }
  pending_.clear();
}

std::vector<std::string> PbNode::check_invariants() {
  std::vector<std::string> v;
  if (commit_ < checked_commit_)
    v.push_back(fmt::format("commit went back from {} to {}", checked_commit_, commit_));
  if (applied_ > static_cast<int64_t>(log_.size()))
    v.push_back(fmt::format("applied {} entries but the log holds {}", applied_, log_.size()));
  if (role_ == Role::Primary && !members_.count(id_)) v.push_back("primary is not a member of its view");
  if (role_ == Role::Primary && static_cast<int>(members_.size()) < majority())
    v.push_back(fmt::format("primary's view has {} members, fewer than a majority", members_.size()));
  checked_commit_ = commit_;
  for (std::string& s : violations_) v.push_back(std::move(s));
  violations_.clear();
  return v;
}

std::string PbNode::describe() const {
  return fmt::format("{} e={} log={} commit={}", role_name(role_),
                     epoch_, log_.size(), commit_);
}

}  // namespace synod::pb
