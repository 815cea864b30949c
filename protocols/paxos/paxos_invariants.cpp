// Basic Paxos node invariants: the shared acceptor/learner checks (storage_checker.hpp) plus the
// proposer's own. Each line names the node and its round.
#include <fmt/format.h>

#include <utility>

#include "protocols/paxos/paxos_node.hpp"

namespace synod::paxos {

std::string PaxosNode::tag() const {
  return fmt::format("n{} s={} b={}", id_, round_.slot, ballot_name(round_.ballot));
}

std::vector<std::string> PaxosNode::check_invariants() {
  std::vector<std::string> lines = std::move(acceptor_.violations());
  acceptor_.violations().clear();
  for (std::string& l : learner_.violations()) lines.push_back(std::move(l));
  learner_.violations().clear();
  storage_checker_.check(*storage_, learner_, lines);

  if (round_.phase != Phase::Idle) {
    if (ballot_node(round_.ballot) != id_ || ballot_round(round_.ballot) < 1) {
      lines.push_back(fmt::format("round with a ballot that is not ours"));
    }
    // §3 footnote: every ballot we use is on disk first.
    if (ballot_round(round_.ballot) > storage_->last_round) {
      lines.push_back(fmt::format("round {} above the persisted round {}",
                                  ballot_round(round_.ballot), storage_->last_round));
    }
    if (learner_.is_chosen(round_.slot)) {
      lines.push_back(fmt::format("still proposing in chosen slot {}", round_.slot));
    }
    if (round_.granted >= majority()) {
      lines.push_back(
          fmt::format("{} of {} answers and the phase did not end", round_.granted, cluster_size_));
    }
    if (acceptor_.promised_for(round_.slot) < round_.ballot) {
      lines.push_back(fmt::format("our own acceptor promised only {}",
                                  ballot_name(acceptor_.promised_for(round_.slot))));
    }
    if (retry_at_ == kNever) lines.push_back("a round without a timeout");
  }
  // Liveness of the proposer: work to do means a round in flight or a backoff that will end.
  if (round_.phase == Phase::Idle && retry_at_ == kNever &&
      (!queue_.empty() || learner_.has_gap())) {
    lines.push_back(fmt::format("idle with {} queued commands and gap={}, no timer", queue_.size(),
                                learner_.has_gap()));
  }
  for (size_t i = 0; i < queue_.size(); ++i) {
    for (size_t j = i + 1; j < queue_.size(); ++j) {
      if (queue_[i].command.client == queue_[j].command.client &&
          queue_[i].command.seq == queue_[j].command.seq) {
        lines.push_back(fmt::format("command {} queued twice", queue_[i].command.describe()));
      }
    }
  }
  if (checked_.valid && round_.ballot < checked_.round_ballot) {
    lines.push_back(fmt::format("proposer ballot decreased {} -> {}",
                                ballot_name(checked_.round_ballot), ballot_name(round_.ballot)));
  }
  checked_.valid = true;
  checked_.round_slot = round_.slot;
  checked_.round_ballot = round_.ballot;

  if (!lines.empty()) {
    const std::string t = tag();
    for (std::string& l : lines) l = t + ": " + l;
  }
  return lines;
}

}  // namespace synod::paxos
