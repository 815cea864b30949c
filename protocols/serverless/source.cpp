#include "protocols/serverless/source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace synod::faas {

Source::Source(int index, int n_sources, const Config& config, Nanos start, Nanos stop,
               Ledger* ledger, Rng rng)
    : index_(index), n_sources_(n_sources), config_(config), start_(start), stop_(stop),
      ledger_(ledger), rng_(rng) {}

double Source::total_rate(Nanos t) const {
  double r = 0;
  for (const Function& f : config_.functions) r += f.rate_at(t);
  return r;
}

Nanos Source::next_change(Nanos t) const {
  Nanos next = kNever;
  for (const Function& f : config_.functions)
    for (const auto& [at, v] : f.schedule)
      if (at > t) next = std::min(next, at);
  return next;
}

void Source::start(Nanos now, Outbox& out) {
  (void)out;
  draw_next(std::max(now, start_));
  uint64_t dealt = 0;
  for (size_t f = 0; f < config_.functions.size(); ++f) {
    const auto& counts = config_.functions[f].per_minute;
    for (size_t m = 0; m < counts.size(); ++m) {
      for (uint32_t c = 0; c < counts[m]; ++c) {
        const bool mine = dealt++ % static_cast<uint64_t>(n_sources_) == static_cast<uint64_t>(index_);
        const double u = rng_.unit();  // drawn by every source, so the dealing keeps the times
        if (!mine) continue;
        const Nanos t = start_ + static_cast<Nanos>(m) * 60 * kNanosPerSecond +
                        static_cast<Nanos>(u * 60e9);
        if (t >= std::max(now, start_) && t < stop_) trace_.push_back({t, static_cast<int>(f)});
      }
    }
  }
  std::sort(trace_.begin(), trace_.end());
}

void Source::send(Nanos at, int f, Outbox& out) {
  const uint64_t id = 1 + static_cast<uint64_t>(index_) + seq_++ * static_cast<uint64_t>(n_sources_);
  auto& e = ledger_->entries();
  if (e.size() < id) e.resize(id);
  e[id - 1].function = f;
  e[id - 1].arrived = at;
  auto m = std::make_shared<Invoke>();
  m->id = id;
  m->function = f;
  out.send(0, std::move(m));
}

// Memoryless: a gap drawn at the current rate that crosses a rate change is thrown away and
// drawn again from the change, at the new rate — exactly a piecewise-constant Poisson process.
void Source::draw_next(Nanos after) {
  Nanos from = after;
  next_ = kNever;
  while (from < stop_) {
    const double rate = total_rate(from);
    const Nanos change = next_change(from);
    if (rate <= 0) {
      from = change;
      continue;
    }
    const Nanos t = from + static_cast<Nanos>(std::llround(exponential_draw(rng_, rate / n_sources_) * 1e9));
    if (t < change) {
      next_ = t < stop_ ? t : kNever;
      return;
    }
    from = change;
  }
}

void Source::on_timer(Nanos now, Outbox& out) {
  while (trace_next_ < trace_.size() && trace_[trace_next_].first <= now) {
    send(trace_[trace_next_].first, trace_[trace_next_].second, out);
    ++trace_next_;
  }
  while (next_ != kNever && next_ <= now) {
    const Nanos at = next_;
    // Which function: by rate.
    double u = rng_.unit() * total_rate(at);
    int f = 0;
    while (f + 1 < static_cast<int>(config_.functions.size()) && u >= config_.functions[f].rate_at(at)) {
      u -= config_.functions[f].rate_at(at);
      ++f;
    }
    send(at, f, out);
    draw_next(at);
  }
}

void Source::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  (void)from;
  (void)out;
  if (m.kind() != MsgKind::FaasResult) return;
  const auto& r = static_cast<const Result&>(m);
  auto& e = ledger_->entries();
  if (r.id == 0 || r.id > e.size() || e[r.id - 1].arrived == kNever) {
    ledger_->unknown_results++;
    return;
  }
  InvocationRecord& rec = e[r.id - 1];
  rec.results++;
  if (rec.result_at != kNever) return;
  rec.result_at = now;
  rec.rejected = r.rejected;
  rec.cold = r.cold;
  rec.started = r.started;
  rec.finished = r.finished;
}

std::string Source::describe() const { return fmt::format("source{} sent={}", index_ + 1, seq_); }

}  // namespace synod::faas
