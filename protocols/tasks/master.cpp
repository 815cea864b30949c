#include "protocols/tasks/master.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synod::tasks {

namespace {

struct PolicyName {
  Policy policy;
  const char* name;
};
constexpr PolicyName kPolicies[] = {
    {Policy::RoundRobin, "round-robin"}, {Policy::WeightedRoundRobin, "weighted-round-robin"},
    {Policy::Random, "random"},          {Policy::Jsq, "jsq"},
    {Policy::LeastConnections, "least-connections"},
    {Policy::LeastLoaded, "least-loaded"}, {Policy::PowerOfD, "power-of-d"},
    {Policy::Pull, "pull"},
};

}  // namespace

const char* policy_name(Policy p) {
  for (const PolicyName& e : kPolicies)
    if (e.policy == p) return e.name;
  return "?";
}

bool parse_policy(const std::string& s, Policy* out) {
  for (const PolicyName& e : kPolicies) {
    if (s == e.name) {
      *out = e.policy;
      return true;
    }
  }
  return false;
}

const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const PolicyName& e : kPolicies) v.push_back(e.name);
    return v;
  }();
  return names;
}

Master::Master(NodeId id, int cluster_size, const Config& config, MasterStorage* storage, Rng rng)
    : id_(id), n_(cluster_size), config_(config), disk_(storage), rng_(rng) {}

void Master::start(Nanos now, Outbox& out) {
  disk_->boots++;
  disk_->writes++;
  workers_.assign(static_cast<size_t>(n_), WorkerView{});
  // A restarted master knows its table, not where anything ran: every task not done goes out
  // again once workers are heard from (their old copies may still finish: first Done wins).
  for (const auto& [id, rec] : disk_->tasks)
    if (!rec.done) queue_.push_back(id);
  next_check_ = now + config_.heartbeat;
  (void)out;
}

void Master::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  switch (m.kind()) {
    case MsgKind::TaskSubmit:
      on_submit(now, from, static_cast<const Submit&>(m), out);
      break;
    case MsgKind::TaskDone:
      if (from > 0 && from < n_) on_done(now, from, static_cast<const Done&>(m), out);
      break;
    case MsgKind::TaskHeartbeat: {
      if (from <= 0 || from >= n_) break;
      const auto& h = static_cast<const Heartbeat&>(m);
      on_worker_seen(now, from, h.boot, h.slots, out);
      workers_[from].reported_load = h.queued + h.running;
      break;
    }
    case MsgKind::TaskPull: {
      if (from <= 0 || from >= n_) break;
      const auto& p = static_cast<const Pull&>(m);
      on_worker_seen(now, from, p.boot, p.slots, out);
      break;
    }
    default:
      break;
  }
}

void Master::on_submit(Nanos now, Address from, const Submit& m, Outbox& out) {
  auto it = disk_->tasks.find(m.id);
  if (it != disk_->tasks.end()) {
    // A source asking again: the task is under way, or done and its result was lost on the way.
    if (it->second.done) out.send(it->second.source, std::make_shared<Result>(it->second.result));
    return;
  }
  TaskRecord rec;
  rec.source = from;
  rec.work = m.work;
  rec.accepted = now;
  disk_->tasks.emplace(m.id, rec);
  disk_->writes++;
  place(now, m.id, out);
}

void Master::place(Nanos now, uint64_t id, Outbox& out) {
  if (config_.policy != Policy::Pull) {
    const NodeId w = choose(now);
    if (w != kNoNode) {
      send_run(now, id, w, out);
      return;
    }
  }
  queue_.push_back(id);
  drain_queue(now, out);
}

void Master::drain_queue(Nanos now, Outbox& out) {
  while (!queue_.empty()) {
    const uint64_t id = queue_.front();
    const auto it = disk_->tasks.find(id);
    if (it == disk_->tasks.end() || it->second.done || assigned_.count(id)) {
      queue_.pop_front();  // an old copy finished it meanwhile, or it is out already
      continue;
    }
    const NodeId w = config_.policy == Policy::Pull ? choose_pull() : choose(now);
    if (w == kNoNode) return;
    queue_.pop_front();
    send_run(now, id, w, out);
  }
}

void Master::send_run(Nanos now, uint64_t id, NodeId w, Outbox& out) {
  TaskRecord& rec = disk_->tasks.at(id);
  if (rec.done) violations_.push_back(fmt::format("task {} dispatched after it was done", id));
  rec.attempts++;
  disk_->writes++;
  disk_->stats.dispatched++;
  if (rec.attempts > 1) disk_->stats.redispatched++;
  assigned_[id] = {w, rec.attempts, now};
  workers_[w].outstanding[id] = rec.attempts;
  auto run = std::make_shared<Run>();
  run->id = id;
  run->attempt = rec.attempts;
  run->work = rec.work;
  out.send(w, std::move(run));
}

void Master::on_done(Nanos now, NodeId w, const Done& m, Outbox& out) {
  WorkerView& v = workers_[w];
  auto o = v.outstanding.find(m.id);
  if (o != v.outstanding.end() && o->second == m.attempt) {
    if (static_cast<int>(v.outstanding.size()) == v.slots) v.free_since = now;
    v.outstanding.erase(o);
  }
  auto it = disk_->tasks.find(m.id);
  if (it == disk_->tasks.end()) {
    violations_.push_back(fmt::format("worker {} finished task {}, which the master never accepted",
                                      w, m.id));
    return;
  }
  TaskRecord& rec = it->second;
  if (m.attempt == 0 || m.attempt > rec.attempts)
    violations_.push_back(fmt::format("task {}: attempt {} finished but only {} were dispatched",
                                      m.id, m.attempt, rec.attempts));
  Result r;
  r.id = m.id;
  r.attempt = m.attempt;
  r.worker = w;
  r.accepted = rec.accepted;
  r.received = m.received;
  r.started = m.started;
  r.finished = m.finished;
  if (rec.done) {
    if (config_.delivery == Delivery::ExactlyOnce) {
      disk_->stats.duplicate_done++;  // a second execution: its result is not delivered
    } else if (rec.result.attempt != m.attempt) {
      out.send(rec.source, std::make_shared<Result>(r));  // at-least-once: the source sees it again
    }
  } else {
    rec.done = true;
    rec.result = r;
    disk_->writes++;  // on disk before the result leaves: a restart never delivers a second one
    auto a = assigned_.find(m.id);
    if (a != assigned_.end()) assigned_.erase(a);
    out.send(rec.source, std::make_shared<Result>(r));
  }
  drain_queue(now, out);
}

void Master::on_worker_seen(Nanos now, NodeId w, uint64_t boot, int slots, Outbox& out) {
  WorkerView& v = workers_[w];
  if (v.known && v.boot != boot) {
    // Restarted since we last heard: whatever it held is gone.
    if (v.alive) declare_dead(now, w, out);
    v.outstanding.clear();
  }
  v.known = true;
  v.boot = boot;
  v.slots = std::max(1, slots);
  v.last_heard = now;
  if (!v.alive) {
    v.alive = true;
    v.free_since = now;
  }
  drain_queue(now, out);
}

void Master::declare_dead(Nanos now, NodeId w, Outbox& out) {
  WorkerView& v = workers_[w];
  v.alive = false;
  disk_->stats.workers_declared_dead++;
  if (!config_.redispatch) return;  // the bug knob: its tasks stay assigned to a dead worker
  std::vector<uint64_t> lost;
  for (const auto& [id, attempt] : v.outstanding) {
    auto a = assigned_.find(id);
    if (a != assigned_.end() && a->second.worker == w && a->second.attempt == attempt) {
      assigned_.erase(a);
      lost.push_back(id);
    }
  }
  v.outstanding.clear();
  for (uint64_t id : lost)
    if (!disk_->tasks.at(id).done) place(now, id, out);
}

void Master::on_timer(Nanos now, Outbox& out) {
  if (now < next_check_) return;
  for (NodeId w = 1; w < n_; ++w) {
    WorkerView& v = workers_[w];
    if (v.alive && now - v.last_heard > config_.failure_timeout) declare_dead(now, w, out);
  }
  next_check_ = now + config_.heartbeat;
}

Nanos Master::next_timer() const { return next_check_; }

double Master::weight(NodeId w) const {
  const size_t i = static_cast<size_t>(w);
  return i < config_.weights.size() && config_.weights[i] > 0 ? config_.weights[i] : 1.0;
}

NodeId Master::pick_min(const std::vector<NodeId>& candidates, const std::vector<double>& score) {
  double best = score[0];
  for (double s : score) best = std::min(best, s);
  std::vector<NodeId> ties;
  for (size_t k = 0; k < candidates.size(); ++k)
    if (score[k] <= best * (1 + 1e-12)) ties.push_back(candidates[k]);
  return ties.size() == 1 ? ties[0] : ties[rng_.below(ties.size())];
}

NodeId Master::choose(Nanos now) {
  (void)now;
  std::vector<NodeId> alive;
  for (NodeId w = 1; w < n_; ++w)
    if (workers_[w].alive) alive.push_back(w);
  if (alive.empty()) return kNoNode;
  std::vector<double> score;
  switch (config_.policy) {
    case Policy::RoundRobin: {
      for (int k = 0; k < n_; ++k) {
        const NodeId w = static_cast<NodeId>((rr_next_ + k - 1) % (n_ - 1) + 1);
        if (workers_[w].alive) {
          rr_next_ = static_cast<size_t>(w) + 1;
          return w;
        }
      }
      return kNoNode;
    }
    case Policy::WeightedRoundRobin: {
      double total = 0;
      NodeId best = kNoNode;
      for (NodeId w : alive) {
        workers_[w].wrr_credit += weight(w);
        total += weight(w);
        if (best == kNoNode || workers_[w].wrr_credit > workers_[best].wrr_credit) best = w;
      }
      workers_[best].wrr_credit -= total;
      return best;
    }
    case Policy::Random:
      return alive[rng_.below(alive.size())];
    case Policy::Jsq:
    case Policy::LeastConnections:
    case Policy::LeastLoaded:
      for (NodeId w : alive) {
        const WorkerView& v = workers_[w];
        if (config_.policy == Policy::LeastLoaded)
          score.push_back(v.reported_load);
        else if (config_.policy == Policy::Jsq)
          score.push_back(static_cast<double>(v.outstanding.size()));
        else
          score.push_back(static_cast<double>(v.outstanding.size()) / weight(w));
      }
      return pick_min(alive, score);
    case Policy::PowerOfD: {
      // d distinct workers by a partial Fisher-Yates shuffle; the first sampled wins a tie.
      const size_t d = std::min(alive.size(), static_cast<size_t>(std::max(1, config_.d)));
      NodeId best = kNoNode;
      for (size_t k = 0; k < d; ++k) {
        const size_t j = k + rng_.below(alive.size() - k);
        std::swap(alive[k], alive[j]);
        if (best == kNoNode || workers_[alive[k]].outstanding.size() < workers_[best].outstanding.size())
          best = alive[k];
      }
      return best;
    }
    case Policy::Pull:
      return kNoNode;
  }
  return kNoNode;
}

NodeId Master::choose_pull() const {
  NodeId best = kNoNode;
  for (NodeId w = 1; w < n_; ++w) {
    const WorkerView& v = workers_[w];
    if (!v.alive || static_cast<int>(v.outstanding.size()) >= v.slots) continue;
    if (best == kNoNode || v.free_since < workers_[best].free_since) best = w;
  }
  return best;
}

Master::Holding Master::holding(uint64_t id, const std::set<uint64_t>& queued, NodeId* worker,
                                uint32_t* attempt, Nanos* sent_at) const {
  const auto it = disk_->tasks.find(id);
  if (it == disk_->tasks.end()) return Holding::Unknown;
  if (it->second.done) return Holding::Done;
  const auto a = assigned_.find(id);
  if (a != assigned_.end()) {
    *worker = a->second.worker;
    *attempt = a->second.attempt;
    *sent_at = a->second.sent_at;
    return Holding::Assigned;
  }
  return queued.count(id) ? Holding::Queued : Holding::Unknown;
}

std::vector<std::string> Master::check_invariants() {
  std::vector<std::string> v;
  v.swap(violations_);
  return v;
}

std::string Master::describe() const {
  int alive = 0;
  for (NodeId w = 1; w < n_; ++w) alive += workers_[w].alive ? 1 : 0;
  return fmt::format("master {} queued={} assigned={} workers alive={}/{}", policy_name(config_.policy),
                     queue_.size(), assigned_.size(), alive, n_ - 1);
}

}  // namespace synod::tasks
