#include "protocols/serverless/host.hpp"

#include <fmt/format.h>

#include <cmath>

namespace synod::faas {

namespace {
Nanos seconds(double s) { return static_cast<Nanos>(std::llround(s * 1e9)); }
}  // namespace

Host::Host(NodeId id, int cluster_size, const Config& config, Rng rng)
    : id_(id), config_(config), rng_(rng) {
  (void)cluster_size;
}

void Host::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  (void)out;
  if (from != 0) return;
  switch (m.kind()) {
    case MsgKind::FaasStart: {
      const auto& s = static_cast<const Start&>(m);
      if (instances_.count(s.instance)) return;  // delivered twice
      const Function& fn = config_.functions.at(static_cast<size_t>(s.function));
      instances_[s.instance] = s.function;
      used_mb_ += fn.memory_mb;
      const double d = s.invocation != 0 ? fn.cold.sample(rng_) : fn.boot.sample(rng_);
      running_.insert({now + seconds(d), {s.instance, s.invocation, true, now}});
      break;
    }
    case MsgKind::FaasRun: {
      const auto& r = static_cast<const Run&>(m);
      const auto it = instances_.find(r.instance);
      if (it == instances_.end()) {
        violations_.push_back(fmt::format("host {}: asked to run on instance {}, which it lacks", id_, r.instance));
        return;
      }
      for (const auto& [t, j] : running_)
        if (j.instance == r.instance) {
          if (j.invocation == r.invocation) return;  // delivered twice
          violations_.push_back(fmt::format("host {}: instance {} given invocation {} while busy", id_, r.instance, r.invocation));
          return;
        }
      const double d = config_.functions.at(static_cast<size_t>(it->second)).warm.sample(rng_);
      running_.insert({now + seconds(d), {r.instance, r.invocation, false, now}});
      break;
    }
    case MsgKind::FaasStop: {
      const auto& s = static_cast<const Stop&>(m);
      const auto it = instances_.find(s.instance);
      if (it == instances_.end()) return;
      for (const auto& [t, j] : running_)
        if (j.instance == s.instance)
          violations_.push_back(fmt::format("host {}: instance {} stopped while running", id_, s.instance));
      used_mb_ -= config_.functions.at(static_cast<size_t>(it->second)).memory_mb;
      instances_.erase(it);
      break;
    }
    default:
      break;
  }
}

void Host::on_timer(Nanos now, Outbox& out) {
  while (!running_.empty() && running_.begin()->first <= now) {
    const Job j = running_.begin()->second;
    running_.erase(running_.begin());
    auto d = std::make_shared<Done>();
    d->instance = j.instance;
    d->invocation = j.invocation;
    d->cold = j.cold;
    d->started = j.started;
    d->finished = now;
    out.send(0, std::move(d));
  }
}

Nanos Host::next_timer() const { return running_.empty() ? kNever : running_.begin()->first; }

std::vector<std::string> Host::check_invariants() {
  std::vector<std::string> v;
  v.swap(violations_);
  const size_t i = static_cast<size_t>(id_);
  if (i < config_.host_memory_mb.size() && used_mb_ > config_.host_memory_mb[i] + 1e-6)
    v.push_back(fmt::format("host {} holds {} MB of instances, more than its {} MB", id_, used_mb_,
                            config_.host_memory_mb[i]));
  return v;
}

std::string Host::describe() const {
  return fmt::format("host instances={} running={} memory={}MB", instances_.size(), running_.size(), used_mb_);
}

}  // namespace synod::faas
