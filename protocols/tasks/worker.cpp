#include "protocols/tasks/worker.hpp"

#include <fmt/format.h>

namespace synod::tasks {

namespace {
constexpr Address kMaster = 0;
}

Worker::Worker(NodeId id, int cluster_size, const Config& config, Rng rng)
    : id_(id), config_(config), boot_(rng.next_u64()) {
  (void)cluster_size;
  const size_t i = static_cast<size_t>(id);
  slots_ = i < config_.cores.size() && config_.cores[i] > 0 ? config_.cores[i] : 1;
}

void Worker::start(Nanos now, Outbox& out) {
  if (config_.policy == Policy::Pull) {
    auto p = std::make_shared<Pull>();
    p->boot = boot_;
    p->free = slots_;
    p->slots = slots_;
    out.send(kMaster, std::move(p));
  }
  next_heartbeat_ = now;  // announce ourselves at once
}

void Worker::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  if (from != kMaster || m.kind() != MsgKind::TaskRun) return;
  const auto& r = static_cast<const Run&>(m);
  if (!held_.insert({r.id, r.attempt}).second) return;  // the network delivered it twice
  queue_.push_back({r.id, r.attempt, r.work, now, 0});
  start_jobs(now, out);
}

void Worker::start_jobs(Nanos now, Outbox& out) {
  while (static_cast<int>(running_.size()) < slots_ && !queue_.empty()) {
    Job j = queue_.front();
    queue_.pop_front();
    j.started = now;
    const uint64_t token = next_token_++;
    running_.emplace(token, j);
    out.compute(j.work, token);
  }
}

void Worker::on_compute_done(Nanos now, uint64_t token, Outbox& out) {
  const auto it = running_.find(token);
  if (it == running_.end()) return;
  const Job j = it->second;
  running_.erase(it);
  held_.erase({j.id, j.attempt});
  // In pull mode the Done is also the next pull: the master counts the freed core.
  auto d = std::make_shared<Done>();
  d->id = j.id;
  d->attempt = j.attempt;
  d->received = j.received;
  d->started = j.started;
  d->finished = now;
  out.send(kMaster, std::move(d));
  start_jobs(now, out);
}

void Worker::on_timer(Nanos now, Outbox& out) {
  if (now < next_heartbeat_) return;
  auto h = std::make_shared<Heartbeat>();
  h->boot = boot_;
  h->queued = static_cast<int32_t>(queue_.size());
  h->running = static_cast<int32_t>(running_.size());
  h->slots = slots_;
  out.send(kMaster, std::move(h));
  next_heartbeat_ = now + config_.heartbeat;
}

std::vector<std::string> Worker::check_invariants() {
  std::vector<std::string> v;
  if (static_cast<int>(running_.size()) > slots_)
    v.push_back(fmt::format("worker {} runs {} tasks on {} cores", id_, running_.size(), slots_));
  if (held_.size() != queue_.size() + running_.size())
    v.push_back(fmt::format("worker {} holds {} executions but queues {} and runs {}", id_,
                            held_.size(), queue_.size(), running_.size()));
  return v;
}

std::string Worker::describe() const {
  return fmt::format("worker queued={} running={}/{}", queue_.size(), running_.size(), slots_);
}

}  // namespace synod::tasks
