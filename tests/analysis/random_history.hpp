// Random small histories for the property tests: simulated register / kv services whose
// operations take effect at a random moment inside their interval (so the history is
// linearizable), then, for some histories, one result corrupted (so it usually is not).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/history.hpp"
#include "analysis/linearizability.hpp"

namespace synod::analysis::testing {

// SplitMix64: the same numbers on every compiler (no std:: distributions, STYLE.md).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t below(uint64_t n) { return next() % n; }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t state_;
};

struct RandomHistoryOptions {
  Model model = Model::Register;
  size_t ops = 8;
  size_t processes = 3;
  size_t keys = 1;
  double info_probability = 0.15;
  double fail_probability = 0.1;     // a write that fails (did not take effect)
  double corrupt_probability = 0.5;  // of corrupting one result in the history
  bool with_times = false;           // times with ties, else line order
};

inline nlohmann::json random_register_value(Rng& rng) {
  const uint64_t v = rng.below(4);
  return v == 3 ? nlohmann::json(nullptr) : nlohmann::json(v);
}

inline std::string random_kv_text(Rng& rng) {
  static const char* const kTexts[] = {"", "a", "b", "ab"};
  return kTexts[rng.below(4)];
}

// Events of a random history. Each process runs its operations one at a time; at every step
// one pending operation may take effect, and completions report what happened.
inline std::vector<Event> random_events(Rng& rng, const RandomHistoryOptions& options) {
  struct Pending {
    Event invoke;
    bool is_applied = false;
    bool is_compare_failed = false;
    nlohmann::json result;
    bool is_info = false;
  };
  const bool is_register = options.model == Model::Register;
  std::vector<std::optional<Pending>> pending(options.processes);
  // A process whose operation never completes is retired; its slot continues under a new
  // number (Jepsen's convention).
  std::vector<int64_t> process_id(options.processes);
  for (size_t i = 0; i < options.processes; ++i) process_id[i] = static_cast<int64_t>(i);
  std::vector<nlohmann::json> state(options.keys, is_register ? nlohmann::json(nullptr) : "");
  std::vector<Event> events;
  size_t invoked = 0;
  double time = 0;
  auto emit = [&](Event e) {
    e.line = events.size() + 1;
    if (options.with_times) {
      if (!rng.chance(0.3)) time += 1;  // ties are concurrent
      e.time_s = time;
    }
    events.push_back(std::move(e));
  };
  auto apply = [&](Pending& p) {
    nlohmann::json& s = state[p.invoke.key ? std::stoul(p.invoke.key->substr(1)) : 0];
    p.is_applied = true;
    switch (p.invoke.f) {
      case OpFunction::Read:
      case OpFunction::Get: p.result = s; break;
      case OpFunction::Write:
      case OpFunction::Put: s = p.invoke.value; break;
      case OpFunction::Append: s = s.get<std::string>() + p.invoke.value.get<std::string>(); break;
      case OpFunction::Cas:
        if (s == p.invoke.value[0]) {
          s = p.invoke.value[1];
        } else {
          p.is_compare_failed = true;
        }
        break;
    }
  };
  while (true) {
    bool has_pending = false;
    for (const auto& p : pending) has_pending |= p.has_value();
    if (!has_pending && invoked == options.ops) break;
    // One step: maybe apply a pending operation, then invoke or complete on a random process.
    const size_t proc = rng.below(options.processes);
    std::optional<Pending>& slot = pending[proc];
    if (slot && !slot->is_applied && rng.chance(0.5)) apply(*slot);
    if (!slot) {
      if (invoked == options.ops) continue;
      ++invoked;
      Pending p;
      p.invoke.process = process_id[proc];
      p.invoke.type = EventType::Invoke;
      if (options.keys > 1) p.invoke.key = "k" + std::to_string(rng.below(options.keys));
      const uint64_t kind = rng.below(10);
      if (is_register) {
        if (kind < 4) {
          p.invoke.f = OpFunction::Read;
        } else if (kind < 7) {
          p.invoke.f = OpFunction::Write;
          p.invoke.value = random_register_value(rng);
        } else {
          p.invoke.f = OpFunction::Cas;
          p.invoke.value = nlohmann::json::array({random_register_value(rng), random_register_value(rng)});
        }
      } else {
        p.invoke.f = kind < 4 ? OpFunction::Get : kind < 6 ? OpFunction::Put : OpFunction::Append;
        if (p.invoke.f != OpFunction::Get) p.invoke.value = random_kv_text(rng);
      }
      p.is_info = rng.chance(options.info_probability);
      emit(p.invoke);
      slot = std::move(p);
      continue;
    }
    // Complete. A write chosen to fail never takes effect; an info operation may or may not
    // have; an ok one takes effect now if it has not yet.
    Pending& p = *slot;
    const bool is_write = p.invoke.f != OpFunction::Read && p.invoke.f != OpFunction::Get;
    Event done = p.invoke;
    if (!p.is_applied && is_write && !p.is_info && rng.chance(options.fail_probability)) {
      done.type = EventType::Fail;
    } else if (p.is_info) {
      if (rng.chance(0.5) || rng.chance(0.2)) {
        done.type = EventType::Info;
        if (!p.is_applied && rng.chance(0.3)) apply(p);  // happened, nobody was told
      } else {
        slot.reset();
        process_id[proc] += static_cast<int64_t>(options.processes);
        continue;  // never completes (it may still have taken effect)
      }
    } else {
      if (!p.is_applied) apply(p);
      done.type = p.is_compare_failed ? EventType::Fail : EventType::Ok;
      if (p.invoke.f == OpFunction::Read || p.invoke.f == OpFunction::Get) done.value = p.result;
    }
    if (done.type == EventType::Info && !is_write) done.value = nullptr;
    emit(done);
    slot.reset();
  }
  // Corrupt one result: a read returns something else, or a failed cas claims success.
  if (rng.chance(options.corrupt_probability)) {
    // Mostly a read's result (the commonest anomaly), else any completion.
    const bool only_reads = rng.chance(0.6);
    std::vector<size_t> completions;
    for (size_t i = 0; i < events.size(); ++i) {
      const bool is_read_result = events[i].type == EventType::Ok &&
                                  (events[i].f == OpFunction::Read || events[i].f == OpFunction::Get);
      if (events[i].type != EventType::Invoke && (is_read_result || !only_reads)) {
        completions.push_back(i);
      }
    }
    if (!completions.empty()) {
      Event& e = events[completions[rng.below(completions.size())]];
      if (e.f == OpFunction::Read && e.type == EventType::Ok) {
        e.value = random_register_value(rng);
      } else if (e.f == OpFunction::Get && e.type == EventType::Ok) {
        static const char* const kOdd[] = {"", "a", "b", "ab", "ba", "aa", "bab"};
        e.value = kOdd[rng.below(7)];
      } else if (e.type == EventType::Fail) {
        e.type = EventType::Ok;
      } else if (e.type == EventType::Info && e.f != OpFunction::Read && e.f != OpFunction::Get) {
        e.type = EventType::Ok;
      }
    }
  }
  return events;
}

}  // namespace synod::analysis::testing
