#include "protocols/lamport/clock.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cassert>

namespace synod::lamport {

const char* causality_name(Causality c) {
  switch (c) {
    case Causality::Before: return "before";
    case Causality::After: return "after";
    case Causality::Equal: return "equal";
    case Causality::Concurrent: return "concurrent";
  }
  return "?";
}

VectorClock::VectorClock(int n_processes) : v_(static_cast<size_t>(std::max(0, n_processes)), 0) {
  assert(n_processes >= 0);
}

void VectorClock::tick(int i) {
  assert(i >= 0 && i < size());
  ++v_[static_cast<size_t>(i)];
}

void VectorClock::merge(const VectorClock& other) {
  assert(other.size() == size());
  for (size_t k = 0; k < v_.size(); ++k) v_[k] = std::max(v_[k], other.v_[k]);
}

void VectorClock::receive(int i, const VectorClock& other) {
  merge(other);
  tick(i);
}

Causality VectorClock::compare(const VectorClock& other) const {
  assert(other.size() == size());
  bool some_less = false;     // a[k] < b[k] somewhere
  bool some_greater = false;  // a[k] > b[k] somewhere
  for (size_t k = 0; k < v_.size(); ++k) {
    some_less |= v_[k] < other.v_[k];
    some_greater |= v_[k] > other.v_[k];
  }
  if (some_less && some_greater) return Causality::Concurrent;
  if (some_less) return Causality::Before;
  if (some_greater) return Causality::After;
  return Causality::Equal;
}

std::string VectorClock::to_string() const { return fmt::format("[{}]", fmt::join(v_, ",")); }

}  // namespace synod::lamport
