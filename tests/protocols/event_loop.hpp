// A small deterministic driver for protocol nodes in unit tests of the workload families (tasks,
// serverless): messages arrive after a fixed latency, Outbox::compute work finishes after
// flops / speed, timers fire when due; nodes can crash, restart and be cut apart. No SimGrid.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "protocols/common/node.hpp"

namespace synod::testkit {

class EventLoop {
 public:
  // make(i, boot) builds endpoint i for its `boot`-th start (0 first).
  using Make = std::function<std::unique_ptr<ProtocolNode>(int index, uint64_t boot)>;
  EventLoop(int endpoints, Make make, Nanos latency = kNanosPerMilli)
      : make_(std::move(make)), latency_(latency), nodes_(endpoints), up_(endpoints, true),
        boots_(endpoints, 0), incarnation_(endpoints, 0), speeds_(endpoints, 1e9) {
    for (int i = 0; i < endpoints; ++i) boot(i);
  }

  void set_speed(int i, double flops) { speeds_[i] = flops; }
  void crash(int i) {
    up_[i] = false;
    incarnation_[i]++;
  }
  void restart(int i) {
    up_[i] = true;
    boot(i);
  }
  void cut(int a, int b, bool on) {
    cut_[{a, b}] = on;
    cut_[{b, a}] = on;
  }
  Nanos now() const { return now_; }
  // An input the loop has no event for (a membership change): run it on node i, send its output.
  void call(int i, const std::function<void(ProtocolNode&, Nanos, Outbox&)>& input) {
    Outbox out;
    input(*nodes_[i], now_, out);
    flush(i, out);
  }
  ProtocolNode& node(int i) { return *nodes_[i]; }
  // Every message sent (before loss by cuts), for tests that look at the traffic.
  std::function<void(int from, int to, const Message& m)> on_send;
  // Every event a node reported, for tests that look at roles and applies.
  std::function<void(int node, const ProtocolEvent& e)> on_event;
  std::vector<std::string> violations;

  void run_until(Nanos end) {
    while (true) {
      Nanos t = kNever;
      int who = -1;
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (!up_[i]) continue;
        const Nanos nt = nodes_[i]->next_timer();
        if (nt < t) t = nt, who = static_cast<int>(i);
      }
      const bool event_first = !events_.empty() && events_.top().at <= t;
      if (event_first) t = events_.top().at;
      if (t == kNever || t > end) break;
      now_ = std::max(now_, t);
      Outbox out;
      if (event_first) {
        const Event e = events_.top();
        events_.pop();
        if (!up_[e.dst] || e.incarnation != incarnation_[e.dst]) continue;
        if (e.message)
          nodes_[e.dst]->on_message(now_, e.src, *e.message, out);
        else
          nodes_[e.dst]->on_compute_done(now_, e.token, out);
        flush(e.dst, out);
      } else {
        nodes_[who]->on_timer(now_, out);
        flush(who, out);
      }
    }
    now_ = std::max(now_, end);
  }

 private:
  struct Event {
    Nanos at;
    uint64_t seq;
    int dst;
    uint64_t incarnation;
    int src;
    MessagePtr message;  // null: compute done
    uint64_t token;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return std::tie(a.at, a.seq) > std::tie(b.at, b.seq);
    }
  };
  void boot(int i) {
    nodes_[i] = make_(i, boots_[i]++);
    incarnation_[i]++;
    Outbox out;
    nodes_[i]->start(now_, out);
    flush(i, out);
  }
  void flush(int from, Outbox& out) {
    for (const std::string& v : nodes_[from]->check_invariants()) violations.push_back(v);
    if (on_event)
      for (const ProtocolEvent& e : out.events) on_event(from, e);
    for (auto& s : out.messages) {
      if (on_send) on_send(from, s.to, *s.message);
      if (cut_[{from, s.to}]) continue;
      events_.push({now_ + latency_, seq_++, s.to, incarnation_[s.to], from, s.message, 0});
    }
    for (auto& c : out.computes) {
      const Nanos d = static_cast<Nanos>(c.flops / speeds_[from] * 1e9);
      events_.push({now_ + d, seq_++, from, incarnation_[from], from, nullptr, c.token});
    }
    out.clear();
  }

  Make make_;
  Nanos latency_;
  std::vector<std::unique_ptr<ProtocolNode>> nodes_;
  std::vector<bool> up_;
  std::vector<uint64_t> boots_;
  std::vector<uint64_t> incarnation_;
  std::vector<double> speeds_;
  std::map<std::pair<int, int>, bool> cut_;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  uint64_t seq_ = 0;
  Nanos now_ = 0;
};

}  // namespace synod::testkit
