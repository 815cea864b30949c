// Benchmark of the linearizability checker (analysis/linearizability.hpp): time and peak memory
// on synthetic histories of a healthy replicated register service, next to a C++ re-implementation
// of the algorithm as Porcupine runs it (the baseline below).
//
//   checker_bench                     the standard table (1k / 10k / 100k ops, 10 clients,
//                                     20 keys; one key with 10 clients)
//   checker_bench [--model kv] [--timeout 60s] FILE...   time the checker on history files
//   checker_bench --write-history OPS KEYS FILE [stale]  write a generated history (JSON Lines)
//
// Each case runs in a forked child, which resets its peak RSS (VmHWM) just before checking; the
// table shows the growth of the peak over the RSS before checking, and the checker's own count of
// its largest search (cache, stack, values). Times are the fastest of 7 runs (3 above 20k ops).
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "analysis/history.hpp"
#include "analysis/linearizability.hpp"
#include "protocols/common/duration.hpp"

namespace {

using synod::analysis::Event;
using synod::analysis::EventType;
using synod::analysis::History;
using synod::analysis::OpFunction;
using synod::analysis::Operation;
using synod::analysis::Outcome;
using Clock = std::chrono::steady_clock;

// SplitMix64: deterministic on every compiler.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

struct Workload {
  size_t ops = 1000;
  size_t clients = 10;
  size_t keys = 20;
  double info_probability = 0.01;  // a timed-out read or write (Jepsen's :info)
  uint64_t seed = 1;
};

// A healthy replicated register, as a Raft cluster would serve it: each client runs one
// operation at a time (think 0–2 ms, latency 1–6 ms with a 2% tail up to 50 ms), every operation
// takes effect at one instant inside its interval. Values 0–4 as in Jepsen's cas-register test
// (small values make the search work harder than unique ones). A timed-out operation is `info`,
// took effect or not (half each), and its client continues as a new process.
std::vector<Event> generate(const Workload& w) {
  struct Planned {
    size_t client;
    int64_t process;
    OpFunction f;
    std::string key;
    int64_t a = 0;
    int64_t b = 0;
    double invoke_s, effect_s, complete_s;
    bool is_info = false;
    bool is_applied = true;
    bool is_ok = true;
    std::optional<int64_t> read;
  };
  Rng rng(w.seed);
  std::vector<Planned> ops;
  ops.reserve(w.ops);
  std::vector<double> clock_s(w.clients, 0);
  std::vector<int64_t> process(w.clients);
  for (size_t c = 0; c < w.clients; ++c) process[c] = static_cast<int64_t>(c);
  for (size_t i = 0; i < w.ops; ++i) {
    // The client that is free earliest goes next, so clients stay concurrent.
    const size_t c = static_cast<size_t>(
        std::min_element(clock_s.begin(), clock_s.end()) - clock_s.begin());
    Planned p;
    p.client = c;
    p.process = process[c];
    const uint64_t kind = rng.below(10);
    p.f = kind < 5 ? OpFunction::Read : kind < 8 ? OpFunction::Write : OpFunction::Cas;
    p.key = "k" + std::to_string(rng.below(w.keys));
    p.a = static_cast<int64_t>(rng.below(5));
    p.b = static_cast<int64_t>(rng.below(5));
    p.invoke_s = clock_s[c] + 0.002 * rng.unit();
    double latency_s = 0.001 + 0.005 * rng.unit();
    if (rng.unit() < 0.02) latency_s += 0.045 * rng.unit();
    p.complete_s = p.invoke_s + latency_s;
    p.effect_s = p.invoke_s + latency_s * rng.unit();
    if (p.f != OpFunction::Cas && rng.unit() < w.info_probability) {
      p.is_info = true;
      p.is_applied = rng.unit() < 0.5;
      process[c] += static_cast<int64_t>(w.clients);
    }
    clock_s[c] = p.complete_s;
    ops.push_back(p);
  }
  // Apply in effect order to learn what each read saw and whether each cas succeeded.
  std::vector<size_t> by_effect(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) by_effect[i] = i;
  std::sort(by_effect.begin(), by_effect.end(),
            [&](size_t x, size_t y) { return ops[x].effect_s < ops[y].effect_s; });
  std::unordered_map<std::string, std::optional<int64_t>> state;
  for (size_t i : by_effect) {
    Planned& p = ops[i];
    if (!p.is_applied) continue;
    std::optional<int64_t>& s = state[p.key];
    if (p.f == OpFunction::Read) p.read = s;
    if (p.f == OpFunction::Write) s = p.a;
    if (p.f == OpFunction::Cas) {
      p.is_ok = s == p.a;  // a cas whose compare fails is a `fail`: it did not happen
      if (p.is_ok) s = p.b;
    }
  }
  struct Timed {
    double time_s;
    int order;  // invocations first at equal times
    Event event;
  };
  std::vector<Timed> timed;
  timed.reserve(2 * ops.size());
  for (const Planned& p : ops) {
    Event e;
    e.process = p.process;
    e.f = p.f;
    e.key = p.key;
    e.type = EventType::Invoke;
    if (p.f == OpFunction::Write) e.value = p.a;
    if (p.f == OpFunction::Cas) e.value = nlohmann::json::array({p.a, p.b});
    timed.push_back({p.invoke_s, 0, e});
    e.type = p.is_info ? EventType::Info : p.is_ok ? EventType::Ok : EventType::Fail;
    if (p.f == OpFunction::Read) {
      e.value = p.is_info || !p.read ? nlohmann::json(nullptr) : nlohmann::json(*p.read);
    }
    timed.push_back({p.complete_s, 1, e});
  }
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& x, const Timed& y) {
    return x.time_s != y.time_s ? x.time_s < y.time_s : x.order < y.order;
  });
  std::vector<Event> events;
  events.reserve(timed.size());
  for (Timed& t : timed) {
    t.event.time_s = t.time_s;
    t.event.line = events.size() + 1;
    events.push_back(std::move(t.event));
  }
  return events;
}

// The same history with one stale read half-way through: a read returns what an earlier read of
// its key returned at least 50 ms before it began. Small values can make that value current again
// (a concurrent write of it; with info operations, an earlier info write of it may take effect at
// any time), so candidates are tried in turn, at most 50, until the checker refutes the history.
std::vector<Event> with_stale_read(const Workload& w) {
  std::vector<Event> events = generate(w);
  std::unordered_map<std::string, std::vector<std::pair<double, nlohmann::json>>> reads;
  int tries = 0;
  for (size_t i = 0; i < events.size() && tries < 50; ++i) {
    Event& e = events[i];
    if (e.f != OpFunction::Read || e.type != EventType::Ok) continue;
    auto& seen = reads[*e.key];
    if (i > events.size() / 2 && !seen.empty() && seen.front().first < *e.time_s - 0.05) {
      auto old = std::find_if(seen.rbegin(), seen.rend(),
                              [&](const auto& r) { return r.first < *e.time_s - 0.05; });
      if (old->second != e.value) {
        ++tries;
        const nlohmann::json actual = e.value;
        e.value = old->second;
        const History h = synod::analysis::build_history(events, "stale");
        if (synod::analysis::check(h, synod::analysis::Model::Register).verdict ==
            synod::analysis::Verdict::NotLinearizable) {
          return events;
        }
        e.value = actual;
      }
    }
    seen.emplace_back(*e.time_s, e.value);
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// The baseline: the Wing & Gong / Lowe search the way Porcupine implements it (checker.go,
// bitset.go), re-written in C++ for this benchmark. Per key: entries sorted by time, info
// operations return at +infinity (and must then be linearized, with a model that accepts any
// outcome for them), a linked entry list with lift/unlift, and for every candidate a fresh copy of
// the linearized bitset, hashed by popcount XOR its words, looked up in a hash map of lists of
// (bitset, state). No forced moves, no pruning. Integer states: if anything this is faster than
// Porcupine's boxed interface{} states.
struct BaselineResult {
  bool is_linearizable = true;
  bool is_aborted = false;  // cache past the memory cap
  size_t cache_bytes = 0;
};

class Baseline {
 public:
  static constexpr size_t kCapBytes = size_t{2} << 30;

  // ops of one key: (kind 0 read / 1 write / 2 cas, a, b, is_info, call, ret)
  struct Op {
    int kind;
    int64_t a, b;
    bool is_info;
    uint64_t call, ret;
  };

  BaselineResult run(const std::vector<Op>& ops, size_t& cache_bytes_total) {
    const size_t n = ops.size();
    struct Entry {
      uint64_t time;
      bool is_return;
      size_t id;
    };
    std::vector<Entry> entries;
    for (size_t i = 0; i < n; ++i) {
      entries.push_back({ops[i].call, false, i});
      entries.push_back({ops[i].is_info ? UINT64_MAX : ops[i].ret, true, i});
    }
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
      if (x.time != y.time) return x.time < y.time;
      return !x.is_return && y.is_return;
    });
    // Linked list: node 0 is the head, nodes 1..2n the entries, 2n+1 the end.
    const size_t count = entries.size();
    std::vector<size_t> next(count + 2), prev(count + 2), match(count + 2, 0);
    std::vector<size_t> call_node(n), return_node(n);
    for (size_t i = 0; i <= count + 1; ++i) {
      next[i] = i + 1;
      prev[i] = i == 0 ? 0 : i - 1;
    }
    for (size_t i = 0; i < count; ++i) {
      (entries[i].is_return ? return_node : call_node)[entries[i].id] = i + 1;
    }
    for (size_t i = 0; i < n; ++i) match[call_node[i]] = return_node[i];
    const size_t end = count + 1;
    auto node_id = [&](size_t node) { return entries[node - 1].id; };

    const size_t words = (n + 63) / 64;
    std::vector<uint64_t> linearized(words, 0);
    std::unordered_map<uint64_t, std::vector<std::pair<std::vector<uint64_t>, int64_t>>> cache;
    size_t cache_bytes = 0;
    struct Call {
      size_t node;
      int64_t state;
    };
    std::vector<Call> calls;
    int64_t state = -1;  // -1 is null; values are 0..4
    size_t node = next[0];
    BaselineResult result;
    auto hash_of = [&](const std::vector<uint64_t>& bits) {
      uint64_t h = 0;
      for (uint64_t w : bits) h += static_cast<uint64_t>(__builtin_popcountll(w));
      for (uint64_t w : bits) h ^= w;
      return h;
    };
    while (next[0] != end) {
      if (match[node] != 0) {
        const Op& op = ops[node_id(node)];
        bool ok = true;
        int64_t new_state = state;
        if (op.kind == 0) {
          ok = op.is_info || state == op.a;
        } else if (op.kind == 1) {
          new_state = op.a;
        } else {
          ok = state == op.a;
          new_state = op.b;
        }
        if (ok) {
          std::vector<uint64_t> candidate = linearized;  // Porcupine clones the bitset here
          candidate[node_id(node) / 64] |= uint64_t{1} << (node_id(node) % 64);
          const uint64_t h = hash_of(candidate);
          auto& bucket = cache[h];
          bool is_seen = false;
          for (const auto& [bits, s] : bucket) is_seen |= s == new_state && bits == candidate;
          if (!is_seen) {
            cache_bytes += candidate.size() * 8 + 48;
            bucket.emplace_back(std::move(candidate), new_state);
            if (cache_bytes > kCapBytes) {
              result.is_aborted = true;
              break;
            }
            calls.push_back({node, state});
            state = new_state;
            linearized[node_id(node) / 64] |= uint64_t{1} << (node_id(node) % 64);
            // lift: unlink the call and its return
            next[prev[node]] = next[node];
            prev[next[node]] = prev[node];
            const size_t r = match[node];
            next[prev[r]] = next[r];
            prev[next[r]] = prev[r];
            node = next[0];
            continue;
          }
        }
        node = next[node];
      } else {
        if (calls.empty()) {
          result.is_linearizable = false;
          break;
        }
        const Call top = calls.back();
        calls.pop_back();
        state = top.state;
        node = top.node;
        linearized[node_id(node) / 64] &= ~(uint64_t{1} << (node_id(node) % 64));
        const size_t r = match[node];  // unlift
        next[prev[r]] = r;
        prev[next[r]] = r;
        next[prev[node]] = node;
        prev[next[node]] = node;
        node = next[node];
      }
    }
    result.cache_bytes = cache_bytes;
    cache_bytes_total = std::max(cache_bytes_total, cache_bytes);
    return result;
  }
};

BaselineResult run_baseline(const History& history) {
  std::map<std::string, std::vector<Baseline::Op>> by_key;
  for (const Operation& op : history.ops) {
    if (op.outcome == Outcome::Fail) continue;
    Baseline::Op b{};
    b.kind = op.f == OpFunction::Read ? 0 : op.f == OpFunction::Write ? 1 : 2;
    auto value = [](const nlohmann::json& v) { return v.is_null() ? int64_t{-1} : v.get<int64_t>(); };
    if (b.kind == 0) b.a = op.outcome == Outcome::Ok ? value(op.value) : 0;
    if (b.kind == 1) b.a = value(op.value);
    if (b.kind == 2) {
      b.a = value(op.value[0]);
      b.b = value(op.value[1]);
    }
    b.is_info = op.outcome != Outcome::Ok;
    b.call = op.invoke_seq;
    b.ret = op.complete_seq;
    by_key[op.key.value_or("")].push_back(b);
  }
  BaselineResult total;
  size_t peak = 0;
  for (const auto& [key, ops] : by_key) {
    const BaselineResult r = Baseline().run(ops, peak);
    total.is_linearizable &= r.is_linearizable;
    if (r.is_aborted) {
      total.is_aborted = true;
      break;
    }
  }
  total.cache_bytes = peak;
  return total;
}

// ---------------------------------------------------------------------------------------------

size_t current_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

// The peak RSS since reset_peak_rss() (VmHWM), or since the process began if the kernel does not
// let us reset it (then the figure includes generating the history).
size_t peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6));
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<size_t>(usage.ru_maxrss);
}

// Linux: writing 5 to clear_refs resets the peak RSS to the current RSS. Free heap memory is
// handed back first, so that what the check allocates shows as growth.
void reset_peak_rss() {
  malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

std::string megabytes(double bytes) { return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024.0)); }

struct Measurement {
  std::string verdict;
  double seconds = 0;
  size_t rss_growth_kb = 0;
  size_t counted_bytes = 0;
};

// Runs `work` in a child process; it prints one line "verdict seconds rss_growth_kb counted".
template <typename Work>
Measurement measure(Work work) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string line = work();
    if (write(fds[1], line.data(), line.size()) < 0) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buffer[512];
  ssize_t got = 0;
  while ((got = read(fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  Measurement m;
  std::istringstream in(text);
  in >> m.verdict >> m.seconds >> m.rss_growth_kb >> m.counted_bytes;
  if (m.verdict.empty()) m.verdict = "crashed";
  return m;
}

// Small histories run several times and report the fastest run: one run of a millisecond is
// mostly noise.
int repetitions(const History& history) { return history.ops.size() <= 20000 ? 7 : 3; }

std::string run_checker(const History& history, synod::analysis::Model model, double timeout_s) {
  synod::analysis::CheckOptions options;
  options.timeout_s = timeout_s;
  reset_peak_rss();
  const size_t rss_before = current_rss_kb();
  synod::analysis::CheckResult result;
  double seconds = 1e300;
  for (int i = 0; i < repetitions(history); ++i) {
    const Clock::time_point start = Clock::now();
    result = synod::analysis::check(history, model, options);
    seconds = std::min(seconds, std::chrono::duration<double>(Clock::now() - start).count());
  }
  const size_t peak = peak_rss_kb();
  return fmt::format("{} {} {} {}", synod::analysis::to_string(result.verdict), seconds,
                     peak > rss_before ? peak - rss_before : 0, result.peak_memory_bytes);
}

std::string run_porcupine_style(const History& history) {
  reset_peak_rss();
  const size_t rss_before = current_rss_kb();
  BaselineResult result;
  double seconds = 1e300;
  for (int i = 0; i < repetitions(history); ++i) {
    const Clock::time_point start = Clock::now();
    result = run_baseline(history);
    seconds = std::min(seconds, std::chrono::duration<double>(Clock::now() - start).count());
    if (result.is_aborted) break;
  }
  const size_t peak = peak_rss_kb();
  const char* verdict = result.is_aborted ? "aborted(memory)"
                        : result.is_linearizable ? "linearizable"
                                                 : "not-linearizable";
  return fmt::format("{} {} {} {}", verdict, seconds, peak > rss_before ? peak - rss_before : 0,
                     result.cache_bytes);
}

void print_row(const std::string& name, size_t ops, const std::string& who, const Measurement& m) {
  std::cout << fmt::format("{:<34} {:>7} {:<16} {:<17} {:>9.2f} ms {:>11} {:>11}\n", name, ops, who,
                           m.verdict, m.seconds * 1e3, megabytes(m.rss_growth_kb * 1024.0),
                           megabytes(static_cast<double>(m.counted_bytes)));
}

int standard_table() {
  struct Case {
    std::string name;
    Workload workload;
    bool is_stale = false;
  };
  std::vector<Case> cases;
  for (size_t ops : {1000, 10000, 100000}) {
    Workload w;
    w.ops = ops;
    cases.push_back({fmt::format("healthy, 10 clients, 20 keys"), w});
  }
  for (size_t ops : {1000, 10000, 100000}) {
    Workload w;
    w.ops = ops;
    w.keys = 1;
    cases.push_back({fmt::format("healthy, 10 clients, 1 key"), w});
  }
  for (size_t ops : {1000, 10000, 100000}) {
    Workload w;
    w.ops = ops;
    w.keys = 1;
    w.info_probability = 0;  // else an earlier info write can explain almost any stale value
    cases.push_back({fmt::format("one stale read, no info, 1 key"), w, true});
  }
  std::cout << fmt::format("{:<34} {:>7} {:<16} {:<17} {:>12} {:>11} {:>11}\n", "history", "ops",
                           "checker", "verdict", "time", "peak RSS+", "counted");
  for (const Case& c : cases) {
    const Measurement ours = measure([&] {
      const History history = synod::analysis::build_history(
          c.is_stale ? with_stale_read(c.workload) : generate(c.workload), "bench");
      return run_checker(history, synod::analysis::Model::Register, 600);
    });
    print_row(c.name, c.workload.ops, "synod", ours);
    const Measurement base = measure([&] {
      const History history = synod::analysis::build_history(
          c.is_stale ? with_stale_read(c.workload) : generate(c.workload), "bench");
      return run_porcupine_style(history);
    });
    print_row("", c.workload.ops, "porcupine-style", base);
  }
  std::cout << "\npeak RSS+: growth of the process's peak resident memory while checking;\n"
               "counted: synod's largest per-key search (cache + stack + values) / the "
               "baseline's largest per-key cache.\n";
  return 0;
}

int files(const std::vector<std::string>& paths, synod::analysis::Model model, double timeout_s) {
  std::cout << fmt::format("{:<40} {:>8} {:<17} {:>12} {:>11} {:>11}\n", "file", "ops", "verdict",
                           "time", "peak RSS+", "counted");
  int worst = 0;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "checker_bench: cannot read " << path << "\n";
      worst = 2;
      continue;
    }
    std::string first;
    std::getline(in, first);
    in.seekg(0);
    History history;
    try {
      history = synod::analysis::parse_history(in, path, synod::analysis::sniff_history_format(first));
    } catch (const synod::analysis::HistoryError& error) {
      std::cerr << error.what() << "\n";
      worst = 2;
      continue;
    }
    const Measurement m = measure([&] { return run_checker(history, model, timeout_s); });
    std::cout << fmt::format("{:<40} {:>8} {:<17} {:>9.2f} ms {:>11} {:>11}\n", path,
                             history.ops.size(), m.verdict, m.seconds * 1e3,
                             megabytes(m.rss_growth_kb * 1024.0),
                             megabytes(static_cast<double>(m.counted_bytes)));
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  synod::analysis::Model model = synod::analysis::Model::Register;
  double timeout_s = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model" && i + 1 < argc) {
      const auto parsed = synod::analysis::parse_model(argv[++i]);
      if (!parsed) {
        std::cerr << "checker_bench: --model register|kv\n";
        return 2;
      }
      model = *parsed;
    } else if (arg == "--timeout" && i + 1 < argc) {
      synod::Nanos ns = 0;
      const std::string text = argv[++i];
      if (!synod::parse_duration(text, &ns)) {
        std::cerr << "checker_bench: --timeout: " << synod::duration_problem(text) << "\n";
        return 2;
      }
      timeout_s = synod::to_seconds(ns);
    } else if (arg == "--write-history" && i + 3 < argc) {
      // Writes a generated history as JSON Lines, to look at or to feed to `synod check`.
      Workload w;
      w.ops = std::stoul(argv[i + 1]);
      w.keys = std::stoul(argv[i + 2]);
      const bool is_stale = i + 4 < argc && std::string(argv[i + 4]) == "stale";
      if (is_stale) w.info_probability = 0;
      std::ofstream out(argv[i + 3]);
      for (const Event& e : is_stale ? with_stale_read(w) : generate(w)) {
        nlohmann::json j{{"process", e.process}, {"type", synod::analysis::to_string(e.type)},
                         {"f", synod::analysis::to_string(e.f)}, {"key", *e.key},
                         {"value", e.value}, {"time", *e.time_s}};
        out << j.dump() << "\n";
      }
      return out ? 0 : 2;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: checker_bench [--model register|kv] [--timeout 60s] [FILE...]\n"
                   "       checker_bench --write-history OPS KEYS FILE\n";
      return 0;
    } else {
      paths.push_back(arg);
    }
  }
  return paths.empty() ? standard_table() : files(paths, model, timeout_s);
}
