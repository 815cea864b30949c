#include "protocols/shards/shard_host.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace synod::shards {

std::string GroupMessage::describe() const { return fmt::format("g{} {}", group, inner->describe()); }

ShardHost::ShardHost(NodeId id, std::shared_ptr<const ShardMap> map, const ReplicaMaker& make,
                     Rng rng, Nanos balance_every)
    : id_(id), map_(std::move(map)), make_(make), rng_(rng), balance_every_(balance_every),
      hosted_(map_->groups_of(id_)) {
  for (int g : hosted_) {
    // Each replica's randomness is a stream of its own, drawn from the host's.
    replicas_.push_back(make_(g, map_->local_index(g, id_), Rng::stream(rng_.next_u64(), "group", g)));
  }
}

int ShardHost::slot_of(int group) const {
  const std::vector<int>& gs = hosted_;
  auto it = std::lower_bound(gs.begin(), gs.end(), group);
  return it != gs.end() && *it == group ? static_cast<int>(it - gs.begin()) : -1;
}

void ShardHost::forward(size_t i, Outbox& out) {
  const int g = groups()[i];
  const std::vector<NodeId>& members = map_->members(g);
  const int r = static_cast<int>(members.size());
  for (Outbox::Send& s : scratch_.messages) {
    if (s.to >= 0 && s.to < r) {
      out.send(members[s.to], std::make_shared<GroupMessage>(g, std::move(s.message)));
      continue;
    }
    // A client: its address is its own (clients follow the cluster's nodes, so >= n >= R).
    if (s.message->kind() == MsgKind::ClientReply) {
      const auto& reply = static_cast<const ClientReply&>(*s.message);
      if (reply.leader_hint != kNoNode) {
        const NodeId hint = reply.leader_hint >= 0 && reply.leader_hint < r ? members[reply.leader_hint]
                                                                            : kNoNode;
        out.send(s.to, std::make_shared<ClientReply>(reply.client, reply.seq, reply.result, hint));
        continue;
      }
    }
    out.send(s.to, std::move(s.message));
  }
  for (ProtocolEvent& e : scratch_.events) {
    e.group = g;
    out.event(std::move(e));
  }
  // CPU work is not routed (no replicated-group protocol asks for any): scratch_.computes is
  // dropped with the rest.
  scratch_.clear();
}

void ShardHost::start(Nanos now, Outbox& out) {
  if (balance_every_ > 0) next_balance_ = now + balance_every_;
  for (size_t i = 0; i < replicas_.size(); ++i) {
    replicas_[i]->start(now, scratch_);
    forward(i, out);
  }
}

void ShardHost::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  if (m.kind() == MsgKind::ClientRequest) {
    const auto& req = static_cast<const ClientRequest&>(m);
    const int g = map_->group_of(req.command.key);
    const int i = slot_of(g);
    if (i < 0) {  // hint the group's first member now (as far as we were told)
      out.send(from, std::make_shared<ClientReply>(req.command.client, req.command.seq,
                                                   ClientResult{ReplyStatus::NotLeader, {}},
                                                   map_->members_at(g, step_)[0]));
      return;
    }
    replicas_[i]->on_message(now, from, m, scratch_);
    forward(i, out);
    return;
  }
  const auto* gm = dynamic_cast<const GroupMessage*>(&m);
  if (gm == nullptr) return;  // not for a hosted replica (nothing else reaches a storage node)
  const int i = slot_of(gm->group);
  const int local_from = map_->local_index(gm->group, from);
  if (i < 0 || local_from < 0) return;
  replicas_[i]->on_message(now, local_from, *gm->inner, scratch_);
  forward(i, out);
}

void ShardHost::on_timer(Nanos now, Outbox& out) {
  if (next_balance_ <= now) {
    next_balance_ = now + balance_every_;
    for (size_t i = 0; i < replicas_.size(); ++i) {
      const NodeId want = map_->preferred(hosted_[i], step_);
      if (want == id_) continue;
      const int slot = map_->local_index(hosted_[i], want);
      if (!replicas_[i]->can_hand_over_to(now, slot)) continue;
      replicas_[i]->on_transfer_leadership(now, slot, scratch_);
      forward(i, out);
    }
  }
  for (size_t i = 0; i < replicas_.size(); ++i) {
    if (replicas_[i]->next_timer() > now) continue;
    replicas_[i]->on_timer(now, scratch_);
    forward(i, out);
  }
}

void ShardHost::on_membership(Nanos now, const std::vector<NodeId>& members, Outbox& out) {
  const int step = map_->step_of(members);
  if (step < 0) return;  // not a membership the plan knows (the loader makes that impossible)
  step_ = step;
  for (int g : map_->hosted(id_, step)) {
    if (slot_of(g) >= 0) continue;
    // A replica we gain: made over its storage (empty the first time) and started; it learns
    // the group's log, and its configuration, from the group's leader.
    const auto at = std::lower_bound(hosted_.begin(), hosted_.end(), g);
    const size_t i = static_cast<size_t>(at - hosted_.begin());
    hosted_.insert(at, g);
    replicas_.insert(replicas_.begin() + static_cast<std::ptrdiff_t>(i),
                     make_(g, map_->local_index(g, id_), Rng::stream(rng_.next_u64(), "group", g)));
    replicas_[i]->start(now, scratch_);
    forward(i, out);
  }
  for (size_t i = 0; i < hosted_.size(); ++i) {
    const int first = map_->first_change(hosted_[i]);
    if (first < 0 || first > step) continue;  // a group that has not changed runs as it was
    replicas_[i]->on_membership(now, map_->wanted_slots(hosted_[i], step), scratch_);
    forward(i, out);
  }
}

Nanos ShardHost::next_timer() const {
  Nanos t = next_balance_;
  for (const auto& r : replicas_) t = std::min(t, r->next_timer());
  return t;
}

std::vector<std::string> ShardHost::check_invariants() {
  std::vector<std::string> all;
  for (size_t i = 0; i < replicas_.size(); ++i)
    for (std::string& v : replicas_[i]->check_invariants())
      all.push_back(fmt::format("g{}: {}", groups()[i], v));
  return all;
}

std::string ShardHost::describe() const {
  std::string s = fmt::format("{} groups", replicas_.size());
  for (size_t i = 0; i < replicas_.size(); ++i)
    s += fmt::format("{} g{} {}", i == 0 ? ":" : ";", groups()[i], replicas_[i]->describe());
  return s;
}

}  // namespace synod::shards
