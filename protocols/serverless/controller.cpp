#include "protocols/serverless/controller.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace synod::faas {

namespace {
constexpr Nanos kMinute = 60 * kNanosPerSecond;
}

Controller::Controller(NodeId id, int cluster_size, const Config& config, Stats* stats, Rng rng)
    : id_(id), n_(cluster_size), config_(config), stats_(stats), rng_(rng) {
  const size_t nf = config_.functions.size();
  used_mb_.assign(static_cast<size_t>(n_), 0);
  idle_by_fn_.resize(nf);
  count_by_fn_.assign(nf, 0);
  const size_t bins = static_cast<size_t>(std::max<Nanos>(1, config_.histogram_range / kMinute));
  idle_hist_.assign(nf, std::vector<uint32_t>(bins, 0));
  idle_samples_.assign(nf, 0);
  last_end_.assign(nf, kNever);
  running_.assign(nf, 0);
  inflight_integral_.assign(nf, 0);
  window_.resize(nf);
}

void Controller::start(Nanos now, Outbox& out) {
  (void)out;
  stats_->since = stats_->last = now;
  inflight_last_ = now;
  next_sample_ = now;
  if (config_.target_concurrency > 0) next_autoscale_ = now + config_.autoscale_interval;
}

void Controller::account(Nanos now) {
  if (now > stats_->last) {
    const double dt = to_seconds(now - stats_->last);
    stats_->instance_s += static_cast<double>(instances_.size()) * dt;
    stats_->busy_s += busy_ * dt;
    stats_->idle_s += idle_ * dt;
    stats_->idle_mb_s += idle_mb_ * dt;
    stats_->last = now;
  }
  if (now > inflight_last_) {
    const double dt = to_seconds(now - inflight_last_);
    for (size_t f = 0; f < running_.size(); ++f) inflight_integral_[f] += running_[f] * dt;
    inflight_last_ = now;
  }
}

void Controller::reset_stats(Nanos now) {
  account(now);
  Stats fresh;
  fresh.since = fresh.last = now;
  fresh.instances_over_time = std::move(stats_->instances_over_time);
  fresh.busy_over_time = std::move(stats_->busy_over_time);
  *stats_ = std::move(fresh);
}

void Controller::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  account(now);
  if (!stats_reset_ && now >= config_.warmup) {
    stats_reset_ = true;
    reset_stats(now);
  }
  if (m.kind() == MsgKind::FaasInvoke)
    invoke(now, from, static_cast<const Invoke&>(m), out);
  else if (m.kind() == MsgKind::FaasDone && from > 0 && from < n_)
    on_done(now, static_cast<const Done&>(m), out);
}

void Controller::invoke(Nanos now, Address from, const Invoke& m, Outbox& out) {
  if (m.function < 0 || static_cast<size_t>(m.function) >= config_.functions.size()) return;
  const int f = m.function;
  const Function& fn = config_.functions[f];
  stats_->invocations++;
  // An idle time for the histogram policy: from the last completion to this arrival.
  if (running_[f] == 0 && last_end_[f] != kNever) {
    auto& hist = idle_hist_[f];
    const size_t bin = std::min(hist.size() - 1, static_cast<size_t>((now - last_end_[f]) / kMinute));
    hist[bin]++;
    idle_samples_[f]++;
  }
  auto& idle = idle_by_fn_[f];
  if (!idle.empty()) {
    const uint64_t id = *idle.rbegin();  // the newest idle instance
    Instance& in = instances_.at(id);
    idle.erase(id);
    expiries_.erase({in.expires, id});
    idle_--;
    idle_mb_ -= fn.memory_mb;
    in.state = State::Busy;
    in.invocation = m.id;
    in.source = from;
    busy_++;
    running_[f]++;
    stats_->warm++;
    auto r = std::make_shared<Run>();
    r->instance = id;
    r->invocation = m.id;
    out.send(in.host, std::move(r));
    return;
  }
  if (count_by_fn_[f] >= fn.max_instances || create(now, f, m.id, from, out) == 0) {
    stats_->rejected++;
    auto r = std::make_shared<Result>();
    r->id = m.id;
    r->function = f;
    r->rejected = true;
    out.send(from, std::move(r));
    return;
  }
  running_[f]++;
  stats_->cold++;
}

// A new instance of f on the host with the most free memory; 0 if none has room even after
// evicting idle instances.
uint64_t Controller::create(Nanos now, int f, uint64_t invocation, Address source, Outbox& out) {
  const Function& fn = config_.functions[f];
  const NodeId host = host_for(fn.memory_mb, now, out);
  if (host == kNoNode) return 0;
  const uint64_t id = next_instance_++;
  Instance in{f, host, invocation != 0 ? State::Busy : State::Booting, now};
  in.invocation = invocation;
  in.source = source;
  instances_.emplace(id, in);
  used_mb_[host] += fn.memory_mb;
  count_by_fn_[f]++;
  stats_->created++;
  if (invocation != 0) busy_++;
  auto s = std::make_shared<Start>();
  s->instance = id;
  s->function = f;
  s->invocation = invocation;
  out.send(host, std::move(s));
  return id;
}

NodeId Controller::host_for(double memory_mb, Nanos now, Outbox& out) {
  (void)now;
  while (true) {
    NodeId best = kNoNode;
    double best_free = -1;
    for (NodeId h = 1; h < n_; ++h) {
      const double free = config_.host_memory_mb[h] - used_mb_[h];
      if (free >= memory_mb && free > best_free) best = h, best_free = free;
    }
    if (best != kNoNode) return best;
    // Evict the least recently used idle instance, and look again.
    uint64_t victim = 0;
    Nanos oldest = kNever;
    for (const auto& [id, in] : instances_)
      if (in.state == State::Idle && in.idle_since < oldest) victim = id, oldest = in.idle_since;
    if (victim == 0) return kNoNode;
    stats_->evicted++;
    stop(victim, out);
  }
}

void Controller::stop(uint64_t id, Outbox& out) {
  auto it = instances_.find(id);
  if (it == instances_.end()) return;
  Instance& in = it->second;
  const Function& fn = config_.functions[in.function];
  if (in.state == State::Busy) violations_.push_back(fmt::format("instance {} stopped while busy", id));
  if (in.state == State::Idle) {
    idle_--;
    idle_mb_ -= fn.memory_mb;
    idle_by_fn_[in.function].erase(id);
    expiries_.erase({in.expires, id});
  }
  used_mb_[in.host] -= fn.memory_mb;
  count_by_fn_[in.function]--;
  auto s = std::make_shared<Stop>();
  s->instance = id;
  out.send(in.host, std::move(s));
  instances_.erase(it);
}

void Controller::on_done(Nanos now, const Done& m, Outbox& out) {
  auto it = instances_.find(m.instance);
  if (it == instances_.end()) {
    violations_.push_back(fmt::format("a host reported instance {}, which the controller does not have", m.instance));
    return;
  }
  Instance& in = it->second;
  if (m.invocation != 0) {
    if (in.state != State::Busy || in.invocation != m.invocation) {
      violations_.push_back(fmt::format("instance {} finished invocation {} it was not running", m.instance, m.invocation));
      return;
    }
    auto r = std::make_shared<Result>();
    r->id = m.invocation;
    r->function = in.function;
    r->cold = m.cold;
    r->started = m.started;
    r->finished = m.finished;
    out.send(in.source, std::move(r));
    running_[in.function]--;
    last_end_[in.function] = now;
    busy_--;
  } else if (in.state != State::Booting) {
    return;
  }
  go_idle(now, m.instance, in);
  // Histogram policy: unload at once and come back just before the next arrival is likely.
  Nanos prewarm_at = kNever;
  const Nanos expires = keep_alive(in.function, &prewarm_at, now);
  if (m.invocation == 0 && in.planned_expiry != kNever) {
    in.expires = in.planned_expiry;  // a pre-warmed instance lives to the end of its window
    in.planned_expiry = kNever;
  } else if (prewarm_at != kNever) {
    prewarms_.insert({prewarm_at, {in.function, expires}});
    stop(m.instance, out);
    return;
  } else {
    in.expires = expires;
  }
  if (config_.target_concurrency <= 0) expiries_.insert({in.expires, m.instance});
}

void Controller::go_idle(Nanos now, uint64_t id, Instance& in) {
  in.state = State::Idle;
  in.idle_since = now;
  in.invocation = 0;
  idle_++;
  idle_mb_ += config_.functions[in.function].memory_mb;
  idle_by_fn_[in.function].insert(id);
}

// When an instance of f that went idle at `now` should go. Histogram: the 99th percentile of f's
// idle times plus 10%, and (if the 5th percentile is over a minute) a pre-warm time.
Nanos Controller::keep_alive(int f, Nanos* prewarm_at, Nanos now) const {
  if (config_.keep_alive == KeepAlive::Fixed ||
      idle_samples_[f] < static_cast<uint32_t>(config_.histogram_min_samples))
    return now + config_.ttl;
  const auto& hist = idle_hist_[f];
  const double total = idle_samples_[f];
  size_t p5 = 0, p99 = hist.size() - 1;
  double cum = 0;
  bool have5 = false;
  for (size_t b = 0; b < hist.size(); ++b) {
    cum += hist[b];
    if (!have5 && cum >= 0.05 * total) p5 = b, have5 = true;
    if (cum >= 0.99 * total) {
      p99 = b;
      break;
    }
  }
  // Bins are minutes: the 5th percentile's bin start, the 99th's bin end.
  const Nanos head = static_cast<Nanos>(static_cast<double>(p5 * kMinute) * 0.9);
  const Nanos tail = static_cast<Nanos>(static_cast<double>((p99 + 1) * kMinute) * 1.1);
  if (head > 0) *prewarm_at = now + head;
  return now + tail;
}

void Controller::autoscale(Nanos now, Outbox& out) {
  const size_t keep = static_cast<size_t>(std::max<Nanos>(1, config_.autoscale_window / config_.autoscale_interval));
  for (size_t f = 0; f < config_.functions.size(); ++f) {
    window_[f].push_back(inflight_integral_[f] / to_seconds(config_.autoscale_interval));
    inflight_integral_[f] = 0;
    if (window_[f].size() > keep) window_[f].erase(window_[f].begin());
    double sum = 0;
    for (double v : window_[f]) sum += v;
    const double average = sum / static_cast<double>(window_[f].size());
    const int want = std::min(config_.functions[f].max_instances,
                              static_cast<int>(std::ceil(average / config_.target_concurrency - 1e-9)));
    for (int k = count_by_fn_[f]; k < want; ++k) {
      if (create(now, static_cast<int>(f), 0, 0, out) == 0) break;
      stats_->autoscaled_up++;
    }
    while (count_by_fn_[f] > want && !idle_by_fn_[f].empty()) {
      // Scale down the idle instance that has been idle longest.
      uint64_t victim = 0;
      Nanos oldest = kNever;
      for (uint64_t id : idle_by_fn_[f]) {
        const Instance& in = instances_.at(id);
        if (in.idle_since < oldest) victim = id, oldest = in.idle_since;
      }
      stop(victim, out);
      stats_->autoscaled_down++;
    }
  }
}

void Controller::on_timer(Nanos now, Outbox& out) {
  account(now);
  if (!stats_reset_ && now >= config_.warmup) {
    stats_reset_ = true;
    reset_stats(now);
  }
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const uint64_t id = expiries_.begin()->second;
    stats_->expired++;
    stop(id, out);
  }
  while (!prewarms_.empty() && prewarms_.begin()->first <= now) {
    const auto [f, expires] = prewarms_.begin()->second;
    prewarms_.erase(prewarms_.begin());
    const uint64_t id = create(now, f, 0, 0, out);
    if (id != 0) {
      instances_.at(id).planned_expiry = expires;
      stats_->prewarmed++;
    }
  }
  if (next_autoscale_ <= now) {
    autoscale(now, out);
    next_autoscale_ = now + config_.autoscale_interval;
  }
  if (next_sample_ <= now) {
    stats_->instances_over_time.push_back({to_seconds(now), static_cast<int>(instances_.size())});
    stats_->busy_over_time.push_back({to_seconds(now), busy_});
    next_sample_ = now + sample_every_;
  }
}

Nanos Controller::next_timer() const {
  Nanos t = std::min(next_autoscale_, next_sample_);
  if (!expiries_.empty()) t = std::min(t, expiries_.begin()->first);
  if (!prewarms_.empty()) t = std::min(t, prewarms_.begin()->first);
  if (!stats_reset_) t = std::min(t, config_.warmup);
  return t;
}

std::vector<std::string> Controller::check_invariants() {
  std::vector<std::string> v;
  v.swap(violations_);
  for (NodeId h = 1; h < n_; ++h)
    if (used_mb_[h] > config_.host_memory_mb[h] + 1e-6)
      v.push_back(fmt::format("host {} holds {} MB of instances, more than its {} MB", h, used_mb_[h],
                              config_.host_memory_mb[h]));
  return v;
}

std::string Controller::describe() const {
  return fmt::format("controller instances={} busy={} idle={}", instances_.size(), busy_, idle_);
}

}  // namespace synod::faas
