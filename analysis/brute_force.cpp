// The reference checker: every order of every subset of the info operations, by definition.
//
// A history is linearizable iff some sequence of its operations (every ok operation, any subset
// of the info ones, no fail ones) respects real time (a completed before b was invoked => a comes
// first) and the model (each operation is valid in the state its predecessors leave). This file
// enumerates such sequences depth-first, abandoning a prefix as soon as it breaks either rule;
// nothing else is pruned. Values are compared as JSON, states are kept per key in a std::map.
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "analysis/linearizability.hpp"

namespace synod::analysis {
namespace {

constexpr size_t kMaxOps = 8;

class BruteForce {
 public:
  BruteForce(const History& history, Model model) : model_(model) {
    for (const Operation& op : history.ops) {
      if (op.outcome != Outcome::Fail) ops_.push_back(&op);
    }
    if (ops_.size() > kMaxOps) {
      throw std::invalid_argument(
          fmt::format("check_brute_force: {} operations, at most {}", ops_.size(), kMaxOps));
    }
  }

  bool run() {
    std::map<std::optional<std::string>, nlohmann::json> state;
    return extend(0, state);
  }

 private:
  bool must_complete(const Operation& op) const { return op.outcome == Outcome::Ok; }

  bool is_done(unsigned used) const {
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (must_complete(*ops_[i]) && !(used & (1u << i))) return false;
    }
    return true;
  }

  // May ops_[i] come next? Not if an unused ok operation completed before it was invoked.
  bool respects_real_time(unsigned used, size_t i) const {
    for (size_t j = 0; j < ops_.size(); ++j) {
      if (j == i || (used & (1u << j)) || !must_complete(*ops_[j])) continue;
      if (ops_[j]->complete_seq < ops_[i]->invoke_seq) return false;
    }
    return true;
  }

  nlohmann::json initial() const {
    return model_ == Model::Register ? nlohmann::json(nullptr) : nlohmann::json("");
  }

  // Applies op to the state; false if op is not valid there.
  bool apply(const Operation& op, nlohmann::json& value) const {
    switch (op.f) {
      case OpFunction::Read:
      case OpFunction::Get:
        // An info read's result is unknown: any state will do.
        return op.outcome != Outcome::Ok || value == op.value;
      case OpFunction::Write:
      case OpFunction::Put:
        value = op.value;
        return true;
      case OpFunction::Cas:
        if (value != op.value[0]) return false;
        value = op.value[1];
        return true;
      case OpFunction::Append:
        value = value.get<std::string>() + op.value.get<std::string>();
        return true;
    }
    return false;
  }

  bool extend(unsigned used, std::map<std::optional<std::string>, nlohmann::json>& state) {
    if (is_done(used)) return true;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if ((used & (1u << i)) || !respects_real_time(used, i)) continue;
      const Operation& op = *ops_[i];
      auto it = state.find(op.key);
      const nlohmann::json before = it == state.end() ? initial() : it->second;
      nlohmann::json after = before;
      if (!apply(op, after)) continue;
      state[op.key] = after;
      if (extend(used | (1u << i), state)) return true;
      state[op.key] = before;
    }
    return false;
  }

  Model model_;
  std::vector<const Operation*> ops_;
};

}  // namespace

Verdict check_brute_force(const History& history, Model model) {
  return BruteForce(history, model).run() ? Verdict::Linearizable : Verdict::NotLinearizable;
}

}  // namespace synod::analysis
