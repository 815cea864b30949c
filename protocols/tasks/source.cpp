#include "protocols/tasks/source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace synod::tasks {

namespace {
constexpr Address kMaster = 0;
Nanos seconds(double s) { return static_cast<Nanos>(std::llround(s * 1e9)); }
}  // namespace

Source::Source(int index, int n_sources, const Arrivals& arrivals, Ledger* ledger, Rng rng)
    : index_(index),
      n_sources_(n_sources),
      arrivals_(arrivals),
      ledger_(ledger),
      rng_(rng),
      trace_next_(static_cast<size_t>(index)) {}

void Source::start(Nanos now, Outbox& out) {
  (void)out;
  const Nanos from = std::max(now, arrivals_.start);
  if (arrivals_.process == Arrivals::Process::OnOff) {
    on_ = true;
    phase_end_ = from + seconds(exponential_draw(rng_, 1e9 / static_cast<double>(arrivals_.on)));
  }
  schedule_next_arrival(from);
}

// The next arrival after `after`, or kNever past the load window.
void Source::schedule_next_arrival(Nanos after) {
  Nanos t = kNever;
  switch (arrivals_.process) {
    case Arrivals::Process::Trace:
      if (trace_next_ < arrivals_.trace.size()) t = arrivals_.trace[trace_next_].at;
      break;
    case Arrivals::Process::Poisson:
      t = after + seconds(exponential_draw(rng_, arrivals_.rate / n_sources_));
      break;
    case Arrivals::Process::OnOff: {
      // Memoryless: draw a gap; if it crosses the end of the on period, skip the off period and
      // draw again from the next on period.
      Nanos from = after;
      while (true) {
        const Nanos gap = seconds(exponential_draw(rng_, arrivals_.rate / n_sources_));
        if (from + gap < phase_end_) {
          t = from + gap;
          break;
        }
        const Nanos off = seconds(exponential_draw(rng_, 1e9 / static_cast<double>(arrivals_.off)));
        from = phase_end_ + off;
        phase_end_ = from + seconds(exponential_draw(rng_, 1e9 / static_cast<double>(arrivals_.on)));
        if (from >= arrivals_.stop) break;
      }
      break;
    }
  }
  next_arrival_ = t != kNever && t < arrivals_.stop ? t : kNever;
}

void Source::send(uint64_t id, Outbox& out) {
  auto s = std::make_shared<Submit>();
  s->id = id;
  s->work = pending_[(id - 1) / static_cast<uint64_t>(n_sources_)].work;
  out.send(kMaster, std::move(s));
}

void Source::on_timer(Nanos now, Outbox& out) {
  while (next_arrival_ != kNever && next_arrival_ <= now) {
    const Nanos at = next_arrival_;
    double work_s = 0;
    if (arrivals_.process == Arrivals::Process::Trace) {
      work_s = arrivals_.trace[trace_next_].work_s;
      trace_next_ += static_cast<size_t>(n_sources_);
    } else {
      work_s = arrivals_.work.sample(rng_);
    }
    const uint64_t id = 1 + static_cast<uint64_t>(index_) + seq_ * static_cast<uint64_t>(n_sources_);
    seq_++;
    pending_.push_back({work_s * kReferenceFlops, arrivals_.retry});
    ledger_->arrive(id, at, work_s, index_);
    waiting_.insert(id);
    send(id, out);
    retry_.insert({now + arrivals_.retry, id});
    schedule_next_arrival(at);
  }
  while (!retry_.empty() && retry_.begin()->first <= now) {
    const uint64_t id = retry_.begin()->second;
    retry_.erase(retry_.begin());
    if (!waiting_.count(id)) continue;
    Pending& p = pending_[(id - 1) / static_cast<uint64_t>(n_sources_)];
    send(id, out);
    p.backoff = std::min(p.backoff * 2, arrivals_.retry * 32);
    retry_.insert({now + p.backoff, id});
  }
}

Nanos Source::next_timer() const {
  Nanos t = next_arrival_;
  if (!retry_.empty()) t = std::min(t, retry_.begin()->first);
  return t;
}

void Source::on_message(Nanos now, Address from, const Message& m, Outbox& out) {
  (void)from;
  (void)out;
  if (m.kind() != MsgKind::TaskResult) return;
  const auto& r = static_cast<const Result&>(m);
  ledger_->result(r.id, r, now);
  waiting_.erase(r.id);  // its retry entry is skipped when it comes due
}

std::string Source::describe() const {
  return fmt::format("source{} sent={} waiting={}", index_ + 1, seq_, waiting_.size());
}

}  // namespace synod::tasks
