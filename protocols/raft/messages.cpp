#include "protocols/raft/messages.hpp"

#include <fmt/format.h>

namespace synod::raft {

std::string RequestVote::describe() const {
  return fmt::format("{} t={} cand=n{} last={}/{}{}", pre_vote ? "PreVote" : "RequestVote", term,
                     candidate, last_log_index, last_log_term, transfer ? " transfer" : "");
}

std::string TimeoutNow::describe() const { return fmt::format("TimeoutNow t={}", term); }

std::string RequestVoteReply::describe() const {
  return fmt::format("{} t={} {}", pre_vote ? "PreVoteReply" : "RequestVoteReply", term,
                     vote_granted ? "granted" : "refused");
}

size_t AppendEntries::size_bytes() const {
  // Header fields, then per entry its term, flags and the command (ids, type, values, key).
  size_t bytes = read_round != 0 ? 64 : 56;
  for (const Entry& e : entries) bytes += 48 + e.command.key.size();
  return bytes;
}

std::string AppendEntries::describe() const {
  return fmt::format("AppendEntries t={} prev={}/{} n={} commit={}{}", term, prev_log_index,
                     prev_log_term, entries.size(), leader_commit,
                     read_round != 0 ? fmt::format(" read={}", read_round) : "");
}

std::string AppendEntriesReply::describe() const {
  const std::string read = read_round != 0 ? fmt::format(" read={}", read_round) : "";
  if (success) return fmt::format("AppendEntriesReply t={} ok match={}{}", term, match_index, read);
  return fmt::format("AppendEntriesReply t={} reject prev={} conflict={}@{}{}", term, reject_index,
                     conflict_term, conflict_index, read);
}

}  // namespace synod::raft
