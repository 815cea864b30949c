#include "sim/engine/client.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace synod::sim {

namespace {
// With no leader known, a client waits this long before asking the next node (during an election
// every node answers NotLeader at once; resending immediately would spin).
constexpr Nanos kNoLeaderBackoff = 10 * kNanosPerMilli;
}  // namespace

WorkloadState::WorkloadState(const WorkloadSpec& spec, int n_clients)
    : spec_(spec), n_clients_(n_clients) {
  // Uniform: equal weights. Zipf: weight of the k-th most popular key is 1/k^s.
  double total = 0;
  for (int k = 0; k < spec_.keys; ++k) {
    total += spec_.key_dist == WorkloadSpec::KeyDist::Zipf ? 1.0 / std::pow(k + 1, spec_.zipf_s)
                                                            : 1.0;
    key_cdf_.push_back(total);
  }
  for (double& c : key_cdf_) c /= total;
}

std::string WorkloadState::pick_key(Rng& rng) const {
  double u = rng.unit();
  auto it = std::upper_bound(key_cdf_.begin(), key_cdf_.end(), u);
  size_t k = std::min<size_t>(it - key_cdf_.begin(), key_cdf_.size() - 1);
  return fmt::format("k{}", k);
}

OpType WorkloadState::pick_op(Rng& rng) const {
  double total = spec_.read + spec_.write + spec_.cas;
  double u = rng.unit() * total;
  if (u < spec_.read) return OpType::Read;
  if (u < spec_.read + spec_.write) return OpType::Write;
  return OpType::Cas;
}

std::optional<int64_t> WorkloadState::last_written(const std::string& key) const {
  auto it = last_written_.find(key);
  if (it == last_written_.end()) return std::nullopt;
  return it->second;
}

ClientProcess::ClientProcess(int index, std::shared_ptr<const shards::ShardMap> map,
                             WorkloadState* workload, Recorder* recorder, Rng rng)
    : index_(index),
      n_nodes_(map->nodes()),
      map_(std::move(map)),
      workload_(workload),
      recorder_(recorder),
      rng_(rng),
      process_(index),
      target_(map_->members(0)[index % map_->replication()]),
      timed_out_(n_nodes_, false) {
  // Clients start spread over each group's members.
  for (int g = 0; g < map_->shards(); ++g)
    leader_.push_back(map_->members(g)[index % map_->replication()]);
}

void ClientProcess::set_target(NodeId n) {
  target_ = n;
  leader_[group_] = n;
}

Address ClientProcess::address() const { return n_nodes_ + index_; }

void ClientProcess::start(Nanos now, Outbox&) {
  const WorkloadSpec& w = workload_->spec();
  // Closed loop: clients start staggered over one attempt timeout so they do not move in step.
  if (w.rate_per_s <= 0)
    next_start_ = std::max(now, w.start_ns) + rng_.between(0, w.attempt_timeout_ns / 4);
}

bool ClientProcess::offer(Nanos now) {
  if (busy_ || next_start_ != kNever) return false;
  next_start_ = now;
  return true;
}

Nanos ClientProcess::next_timer() const {
  if (!busy_) return next_start_;
  return std::min(op_deadline_, resend_at_);
}

void ClientProcess::on_timer(Nanos now, Outbox& out) {
  if (!busy_) {
    if (now >= next_start_) {
      next_start_ = kNever;
      if (now < workload_->spec().stop_ns) begin_operation(now, out);
    }
    return;
  }
  if (now >= op_deadline_) {
    complete(now, HistoryOp::Type::Info, std::nullopt);
    return;
  }
  if (now >= resend_at_) {
    if (!backing_off_) {
      timed_out_[target_] = true;
      set_target(map_->next_member(group_, target_));
    }
    send_attempt(now, out);
  }
}

void ClientProcess::begin_operation(Nanos now, Outbox& out) {
  const WorkloadSpec& w = workload_->spec();
  op_ = Command{};
  op_.client = process_;
  op_.seq = ++seq_;
  op_.type = workload_->pick_op(rng_);
  op_.key = workload_->pick_key(rng_);
  HistoryOp h;
  h.process = process_;
  h.type = HistoryOp::Type::Invoke;
  h.f = op_.type;
  h.key = op_.key;
  h.time = now;
  if (op_.type == OpType::Write) {
    op_.value = workload_->fresh_value();
    workload_->note_write(op_.key, op_.value);
    h.value = op_.value;
  } else if (op_.type == OpType::Cas) {
    // Compare against the last value some client wrote: often current, sometimes not, so both
    // successful and failed cas operations occur.
    op_.expected = workload_->last_written(op_.key).value_or(0);
    op_.value = workload_->fresh_value();
    workload_->note_write(op_.key, op_.value);
    h.expected = op_.expected;
    h.value = op_.value;
  }
  recorder_->history(h);
  busy_ = true;
  group_ = map_->group_of(op_.key);
  target_ = leader_[group_];
  std::fill(timed_out_.begin(), timed_out_.end(), false);
  op_deadline_ = now + w.timeout_ns;
  send_attempt(now, out);
}

void ClientProcess::send_attempt(Nanos now, Outbox& out) {
  out.send(target_, std::make_shared<ClientRequest>(op_));
  resend_at_ = now + workload_->spec().attempt_timeout_ns;
  backing_off_ = false;
}

void ClientProcess::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  if (m.kind() != MsgKind::ClientReply) return;
  const auto& r = static_cast<const ClientReply&>(m);
  if (!busy_ || r.client != process_ || r.seq != op_.seq) return;  // a stale or duplicate reply
  switch (r.result.status) {
    case ReplyStatus::Ok:
      complete(now, HistoryOp::Type::Ok, r.result.value);
      return;
    case ReplyStatus::Fail:
      complete(now, HistoryOp::Type::Fail, std::nullopt);
      return;
    case ReplyStatus::NotLeader:
      if (r.leader_hint >= 0 && r.leader_hint < n_nodes_ && r.leader_hint != from &&
          !timed_out_[r.leader_hint]) {
        set_target(r.leader_hint);
        send_attempt(now, out);
      } else {
        // No leader known: ask the group's next node after a short pause.
        set_target(map_->next_member(group_, from));
        resend_at_ = now + kNoLeaderBackoff;
        backing_off_ = true;
      }
      return;
  }
}

void ClientProcess::complete(Nanos now, HistoryOp::Type type, std::optional<int64_t> read_value) {
  HistoryOp h;
  h.process = process_;
  h.type = type;
  h.f = op_.type;
  h.key = op_.key;
  h.time = now;
  if (op_.type == OpType::Read) {
    h.value = type == HistoryOp::Type::Ok ? read_value : std::nullopt;
  } else {
    h.value = op_.value;
    h.expected = op_.expected;
  }
  recorder_->history(h);
  busy_ = false;
  op_deadline_ = resend_at_ = kNever;
  if (type == HistoryOp::Type::Info) {
    // Jepsen's convention: the old process may still have a command in flight; continue as a
    // fresh process so that per-process histories stay sequential.
    process_ += workload_->n_clients();
    seq_ = 0;
  }
  const WorkloadSpec& w = workload_->spec();
  if (w.rate_per_s <= 0) next_start_ = now + w.think_ns;
}

KvWorkload::KvWorkload(const WorkloadSpec& spec, int n_nodes,
                       std::shared_ptr<const shards::ShardMap> map)
    : map_(map ? std::move(map) : std::make_shared<const shards::ShardMap>(n_nodes, 1, n_nodes)),
      state_(spec, spec.clients) {}

std::unique_ptr<ProtocolNode> KvWorkload::make_client(int index, Recorder* recorder, Rng rng) {
  auto client = std::make_unique<ClientProcess>(index, map_, &state_, recorder, rng);
  if (static_cast<int>(clients_.size()) <= index) clients_.resize(index + 1, nullptr);
  clients_[index] = client.get();
  return client;
}

void KvWorkload::run_arrivals(ArrivalContext& ctx, Rng rng) {
  const WorkloadSpec& w = state_.spec();
  const double rate = w.rate_per_s;
  double t = to_seconds(w.start_ns);
  size_t next_client = 0;
  while (true) {
    t += -std::log(1.0 - rng.unit()) / rate;
    const Nanos at = std::llround(t * 1e9);
    if (at >= w.stop_ns) return;
    ctx.sleep_until(at);
    bool placed = false;
    for (size_t k = 0; k < clients_.size() && !placed; ++k) {
      size_t i = (next_client + k) % clients_.size();
      if (clients_[i]->offer(at)) {
        ctx.wake_client(static_cast<int>(i));
        next_client = i + 1;
        placed = true;
      }
    }
    if (!placed) state_.skipped_arrivals++;
  }
}

std::string ClientProcess::describe() const {
  return fmt::format("client{} p{} {}", index_ + 1, process_, busy_ ? op_.describe() : "idle");
}

}  // namespace synod::sim
