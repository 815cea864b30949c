// Logical clocks (Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System",
// CACM 1978; vector clocks after Fidge and Mattern, 1988).
//
// A LamportClock satisfies the Clock Condition: if a happened before b then C(a) < C(b). It does
// so with the paper's two implementation rules:
//   IR1: a process advances its clock between any two of its events (tick() on a local event or a
//        send; the send carries the new value as its timestamp);
//   IR2: on receiving a message timestamped Tm, the process sets its clock to something greater
//        than both Tm and its own value (receive(Tm) = max(C, Tm) + 1, which also counts the
//        receive as an event).
// The converse does not hold: C(a) < C(b) says nothing about causality. A VectorClock does capture
// it exactly (the strong clock condition): a happened before b iff V(a) < V(b), where < means
// component-wise <= and not equal; two events whose vectors are incomparable are concurrent.
//
// Values start at 0 ("no event yet"); the first event of a process has time 1. Used by the
// protocols in this directory, and by the simulator's transport to stamp every message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace synod::lamport {

class LamportClock {
 public:
  int64_t time() const { return time_; }
  // IR1: a local event or a send. Returns the event's time (the timestamp a send carries).
  int64_t tick() { return ++time_; }
  // IR2: the receive of a message stamped `ts`. Returns the receive event's time.
  int64_t receive(int64_t ts) {
    time_ = (ts > time_ ? ts : time_) + 1;
    return time_;
  }

 private:
  int64_t time_ = 0;
};

// How two vector timestamps relate.
enum class Causality {
  Before,      // a happened before b: a <= b component-wise, a != b
  After,       // b happened before a
  Equal,       // the same vector (the same event, if both are events of one run)
  Concurrent,  // incomparable: neither happened before the other
};
const char* causality_name(Causality c);  // "before" | "after" | "equal" | "concurrent"

class VectorClock {
 public:
  explicit VectorClock(int n_processes = 0);
  explicit VectorClock(std::vector<int64_t> entries) : v_(std::move(entries)) {}

  int size() const { return static_cast<int>(v_.size()); }
  int64_t operator[](int i) const { return v_[static_cast<size_t>(i)]; }
  const std::vector<int64_t>& entries() const { return v_; }

  // A local event or a send at process i: V[i] += 1.
  void tick(int i);
  // Component-wise max with `other` (same size), without counting an event.
  void merge(const VectorClock& other);
  // The receive of a message stamped `other` at process i: merge, then tick(i).
  void receive(int i, const VectorClock& other);

  // Compares this (as a) with other (as b); both must have the same size.
  Causality compare(const VectorClock& other) const;
  bool happened_before(const VectorClock& other) const {
    return compare(other) == Causality::Before;
  }
  bool concurrent_with(const VectorClock& other) const {
    return compare(other) == Causality::Concurrent;
  }
  bool operator==(const VectorClock& other) const { return v_ == other.v_; }
  bool operator!=(const VectorClock& other) const { return v_ != other.v_; }

  std::string to_string() const;  // "[2,0,1]"

 private:
  std::vector<int64_t> v_;
};

}  // namespace synod::lamport
