// Multi-Paxos node invariants: the shared acceptor/learner checks (storage_checker.hpp) plus the
// roles'. Each line names the node, its role and its ballot.
#include <fmt/format.h>

#include <utility>

#include "protocols/paxos/multipaxos_node.hpp"

namespace synod::paxos {

std::string MultiPaxosNode::tag() const {
  return fmt::format("n{} {} b={}", id_, role_name(role_), ballot_name(ballot_));
}

std::vector<std::string> MultiPaxosNode::check_invariants() {
  std::vector<std::string> lines = std::move(acceptor_.violations());
  acceptor_.violations().clear();
  for (std::string& l : learner_.violations()) lines.push_back(std::move(l));
  learner_.violations().clear();
  storage_checker_.check(*storage_, learner_, lines);

  if (ballot_ != kNoBallot) {
    if (ballot_node(ballot_) != id_) lines.push_back("our ballot belongs to another node");
    if (ballot_round(ballot_) > storage_->last_round) {  // §3 footnote: used only once on disk
      lines.push_back(fmt::format("ballot round {} above the persisted round {}",
                                  ballot_round(ballot_), storage_->last_round));
    }
  }
  if (role_ != Role::Follower) {
    // A candidate or leader holds its own acceptor's promise; a higher one makes it step down.
    if (storage_->promised != ballot_) {
      lines.push_back(fmt::format("{} with ballot {} but its acceptor promised {}",
                                  role_name(role_), ballot_name(ballot_),
                                  ballot_name(storage_->promised)));
    }
    if (highest_seen_ > ballot_) {
      lines.push_back(fmt::format("{} kept its ballot after seeing {}", role_name(role_),
                                  ballot_name(highest_seen_)));
    }
  }
  if ((role_ == Role::Leader) != (leader_hint_ == id_)) {
    lines.push_back(fmt::format("{} names n{} as leader", role_name(role_), leader_hint_));
  }
  if (role_ == Role::Candidate && promises_ >= majority()) {
    lines.push_back(fmt::format("candidate holds {} promises of {} and is not leader", promises_,
                                cluster_size_));
  }
  if (role_ != Role::Leader && (!pending_.empty() || !proposals_.empty())) {
    lines.push_back(fmt::format("{} holds {} pending clients and {} proposals", role_name(role_),
                                pending_.size(), proposals_.size()));
  }
  if (role_ == Role::Leader) {
    for (const auto& [slot, p] : proposals_) {
      if (slot >= next_slot_ || slot < 1) {
        lines.push_back(
            fmt::format("proposal in slot {} outside [1, next slot {})", slot, next_slot_));
      }
      if (learner_.is_chosen(slot)) {
        lines.push_back(fmt::format("slot {} is chosen and still in phase 2", slot));
      }
      if (p.accepted >= majority()) {
        lines.push_back(fmt::format("slot {} accepted by {} and not chosen", slot, p.accepted));
      }
    }
    // Every slot below next_slot_ is chosen or in phase 2: the leader leaves no gap.
    for (int64_t s = learner_.first_unchosen(); s < next_slot_; ++s) {
      if (!learner_.is_chosen(s) && !proposals_.count(s)) {
        lines.push_back(
            fmt::format("leader left slot {} below next slot {} unproposed", s, next_slot_));
        break;
      }
    }
  }
  if (next_timer() == kNever) lines.push_back("no timer armed");

  if (checked_.valid) {
    if (ballot_ < checked_.ballot) {
      lines.push_back(fmt::format("our ballot decreased {} -> {}", ballot_name(checked_.ballot),
                                  ballot_name(ballot_)));
    }
    // A leader leaves office only for a higher ballot, or by check-quorum.
    if (checked_.role == Role::Leader && role_ != Role::Leader &&
        highest_seen_ <= checked_.ballot && quorum_step_downs_ == checked_.quorum_step_downs) {
      lines.push_back(fmt::format("leader of {} stepped down without a higher ballot",
                                  ballot_name(checked_.ballot)));
    }
  }
  checked_.valid = true;
  checked_.role = role_;
  checked_.ballot = ballot_;
  checked_.quorum_step_downs = quorum_step_downs_;

  if (!lines.empty()) {
    const std::string t = tag();
    for (std::string& l : lines) l = t + ": " + l;
  }
  return lines;
}

}  // namespace synod::paxos
