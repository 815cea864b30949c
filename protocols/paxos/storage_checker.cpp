#include "protocols/paxos/storage_checker.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synod::paxos {

void StorageChecker::check(Storage& s, const Learner& learner, std::vector<std::string>& lines) {
  if (valid_) {
    if (s.promised < promised_) {
      lines.push_back(fmt::format("promise decreased {} -> {}", ballot_name(promised_),
                                  ballot_name(s.promised)));
    }
    if (s.last_round < last_round_) {
      lines.push_back(fmt::format("proposer round decreased {} -> {}", last_round_, s.last_round));
    }
    if (s.writes < writes_) {
      lines.push_back(fmt::format("storage write count went back {} -> {}", writes_, s.writes));
    }
    if (learner.applied() < applied_) {
      lines.push_back(fmt::format("applied index decreased {} -> {}", applied_, learner.applied()));
    }
  }
  const int64_t first_unchosen = learner.first_unchosen();
  if (s.chosen.count(first_unchosen)) {
    lines.push_back(fmt::format("first unchosen slot {} is chosen", first_unchosen));
  }
  if (learner.applied() >= first_unchosen) {
    lines.push_back(fmt::format("applied {} beyond the chosen prefix {}", learner.applied(),
                                first_unchosen - 1));
  }
  if (valid_) check_touched(s, lines);
  s.touched.clear();
  const size_t entries = s.slots.size() + s.chosen.size();
  ++calls_;
  if (!valid_ || entries <= kSmallState || calls_ >= std::max<uint64_t>(kWalkEvery, entries / 4)) {
    calls_ = 0;
    check_slots(s, promised_at_walk_, lines);
    check_chosen(s, learner, lines);
    promised_at_walk_ = s.promised;
  }
  valid_ = true;
  promised_ = s.promised;
  last_round_ = s.last_round;
  writes_ = s.writes;
  applied_ = learner.applied();
}

void StorageChecker::check_slots(const Storage& s, Ballot promised_at_walk,
                                 std::vector<std::string>& lines) {
  const Ballot old_global = promised_at_walk;
  auto was = slots_.begin();
  for (const auto& [slot, cur] : s.slots) {
    const Ballot promise = std::max(s.promised, cur.promised);
    if (slot < 1) lines.push_back(fmt::format("acceptor state for slot {}", slot));
    if (cur.accepted > promise) {
      lines.push_back(fmt::format("slot {}: accepted ballot {} above its promise {}", slot,
                                  ballot_name(cur.accepted), ballot_name(promise)));
    }
    while (was != slots_.end() && was->first < slot) {
      lines.push_back(fmt::format("slot {}: acceptor state vanished", was->first));
      was = slots_.erase(was);
    }
    if (!valid_) {
      was = std::next(slots_.emplace_hint(was, slot, cur));
      continue;
    }
    if (was == slots_.end() || was->first != slot) {  // a slot first touched since last time
      compare_slot(slot, cur, nullptr, old_global, lines);
      was = std::next(slots_.emplace_hint(was, slot, cur));
      continue;
    }
    AcceptorSlot& old = was->second;
    compare_slot(slot, cur, &old, old_global, lines);
    const bool changed = cur.accepted != old.accepted || cur.value != old.value;
    if (changed || cur.promised != old.promised) old = cur;
    ++was;
  }
  while (was != slots_.end()) {
    lines.push_back(fmt::format("slot {}: acceptor state vanished", was->first));
    was = slots_.erase(was);
  }
}

void StorageChecker::compare_slot(int64_t slot, const AcceptorSlot& cur, const AcceptorSlot* old,
                                  Ballot old_global, std::vector<std::string>& lines) const {
  if (old == nullptr) {
    if (cur.accepted != kNoBallot && cur.accepted < old_global) {
      lines.push_back(fmt::format("slot {}: accepted ballot {} below the promise {}", slot,
                                  ballot_name(cur.accepted), ballot_name(old_global)));
    }
    return;
  }
  const Ballot old_promise = std::max(old_global, old->promised);
  if (cur.promised < old->promised) {
    lines.push_back(fmt::format("slot {}: promise decreased {} -> {}", slot,
                                ballot_name(old->promised), ballot_name(cur.promised)));
  }
  if (cur.accepted < old->accepted) {
    lines.push_back(fmt::format("slot {}: accepted ballot decreased {} -> {}", slot,
                                ballot_name(old->accepted), ballot_name(cur.accepted)));
  }
  const bool changed = cur.accepted != old->accepted || cur.value != old->value;
  if (changed && cur.accepted < old_promise) {
    lines.push_back(fmt::format("slot {}: accepted '{}' in ballot {} below its promise {}", slot,
                                cur.value.describe(), ballot_name(cur.accepted),
                                ballot_name(old_promise)));
  }
  if (cur.accepted == old->accepted && cur.value != old->value) {
    lines.push_back(fmt::format("slot {}: accepted value changed within ballot {}: '{}' -> '{}'",
                                slot, ballot_name(cur.accepted), old->value.describe(),
                                cur.value.describe()));
  }
}

// The journal's slots, each once, against their snapshots; the snapshots then take the new state.
void StorageChecker::check_touched(const Storage& s, std::vector<std::string>& lines) {
  std::vector<int64_t> slots = s.touched;
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  for (int64_t slot : slots) {
    if (auto it = s.slots.find(slot); it != s.slots.end()) {
      const AcceptorSlot& cur = it->second;
      const Ballot promise = std::max(s.promised, cur.promised);
      if (slot < 1) lines.push_back(fmt::format("acceptor state for slot {}", slot));
      if (cur.accepted > promise) {
        lines.push_back(fmt::format("slot {}: accepted ballot {} above its promise {}", slot,
                                    ballot_name(cur.accepted), ballot_name(promise)));
      }
      auto old = slots_.find(slot);
      compare_slot(slot, cur, old == slots_.end() ? nullptr : &old->second, promised_, lines);
      if (old == slots_.end()) {
        slots_.emplace(slot, cur);
      } else {
        old->second = cur;
      }
    }
    if (auto it = s.chosen.find(slot); it != s.chosen.end()) {
      auto old = chosen_.find(slot);
      if (old == chosen_.end()) {
        chosen_.emplace(slot, it->second);
      } else if (old->second.value != it->second.value) {
        lines.push_back(fmt::format("slot {}: chosen value changed '{}' -> '{}'", slot,
                                    old->second.value.describe(), it->second.value.describe()));
        old->second = it->second;
      }
    }
  }
}

void StorageChecker::check_chosen(const Storage& s, const Learner& learner,
                                  std::vector<std::string>& lines) {
  const int64_t first_unchosen = learner.first_unchosen();
  int64_t below = 0;  // chosen slots below first_unchosen: must be all of 1..first_unchosen-1
  auto was = chosen_.begin();
  for (const auto& [slot, cur] : s.chosen) {
    if (slot < first_unchosen) ++below;
    while (was != chosen_.end() && was->first < slot) {
      lines.push_back(fmt::format("slot {}: chosen value '{}' vanished", was->first,
                                  was->second.value.describe()));
      was = chosen_.erase(was);
    }
    if (was == chosen_.end() || was->first != slot) {
      was = std::next(chosen_.emplace_hint(was, slot, cur));
      continue;
    }
    if (cur.value != was->second.value) {
      lines.push_back(fmt::format("slot {}: chosen value changed '{}' -> '{}'", slot,
                                  was->second.value.describe(), cur.value.describe()));
      was->second = cur;
    }
    ++was;
  }
  while (was != chosen_.end()) {
    lines.push_back(fmt::format("slot {}: chosen value '{}' vanished", was->first,
                                was->second.value.describe()));
    was = chosen_.erase(was);
  }
  if (below != first_unchosen - 1) {
    lines.push_back(fmt::format("chosen prefix ends at {} but only {} of its slots are chosen",
                                first_unchosen - 1, below));
  }
}

}  // namespace synod::paxos
