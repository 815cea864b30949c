// The replicated state machine every consensus protocol applies its log to: integer registers
// keyed by string, initially null, plus the client table that makes retries safe.
//
// Deduplication (Raft dissertation §6.3): each client has at most one command outstanding and
// numbers its commands; the store remembers, per client, the last seq it applied and its result.
// A command whose seq is not newer than that is not executed again: its first result is returned.
// The table is part of the state machine, so every replica that applies the same log agrees on it.
#pragma once

#include <map>
#include <string>

#include "protocols/common/types.hpp"

namespace synod {

class KvStore {
 public:
  // Applies `c` (or recognises it as a duplicate) and returns its result.
  ClientResult apply(const Command& c);

  // True if (c.client, c.seq) has already been applied; then *result is its first result.
  bool is_duplicate(const Command& c, ClientResult* result) const;

  std::optional<int64_t> get(const std::string& key) const;
  const std::map<std::string, int64_t>& data() const { return data_; }

 private:
  struct Session {
    uint64_t last_seq = 0;
    ClientResult last_result;
  };
  std::map<std::string, int64_t> data_;  // absent key = null
  std::map<int64_t, Session> sessions_;  // by client
};

}  // namespace synod
