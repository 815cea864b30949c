// A last-writer-wins replicated key-value store ordered by Lamport timestamps: every replica
// accepts every command and answers at once from its own copy; writes spread in the background.
// It is available under any partition and eventually consistent, and it is NOT linearizable:
// that is its point in synod, and the checker shows where.
//
//   write  stamps the value with (Lamport time, node id), a fresh tick, so it is newer than
//          anything this replica holds; applies it; answers Ok; broadcasts an LwwUpdate.
//   read   answers with the local value (null if none). It may be stale: another replica may
//          have acknowledged a newer write this one has not heard of yet (or, across a
//          partition, will not hear of for a while).
//   cas    compares with the local value and, if equal, writes as above; otherwise Fail. The
//          compare is local, not atomic across replicas: two replicas can both see the old
//          value and both succeed, and only one of the two writes survives the merge.
//   merge  a replica keeps, per key, the version with the larger stamp. The merge is
//          commutative, associative and idempotent, so the order, duplication and delay of
//          updates do not matter: replicas that received the same set of writes hold the same
//          state.
//
// Anti-entropy repairs what the broadcast missed (loss, partitions, a restarted replica): every
// `anti_entropy_interval` a replica sends a digest, every key it holds with its stamp, to one
// random peer. The peer answers with an Update of its entries newer than the digest's, and with a
// digest of the keys where the sender is newer, which the sender answers with those entries. One
// exchange leaves the two replicas equal; with a random peer each round, all replicas converge
// once faults heal. Cost per replica and interval: one digest of ~(12 + key length) bytes per
// key, plus the differing entries; fine for the workloads' tens to thousands of keys (a Merkle
// tree would replace the flat digest for millions).
//
// Lamport order is not real-time order: a write acknowledged at a replica whose clock lags is
// stamped below an older write from a replica whose clock runs ahead, and loses to it (the later
// acknowledged write vanishes). A crashed replica loses everything (there is no storage): it
// restarts empty with clock 0, so its first writes lose to older ones until it has heard from its
// peers; acknowledged writes that had not left it are gone. Both are last-writer-wins anomalies
// the linearizability checker reports.
//
// Client dedup: a client retries a command with the same (client, seq), at the same replica (a
// duplicated request) or at the next one (a timeout). Applied twice, one write would get two
// stamps, and the second copy could overwrite a newer write from another client that landed in
// between: the old value reappears, which no history with one application per command explains.
// So each replica keeps, per client, its last seq and that command's result, and answers a repeat
// from the table. Writes carry their (client, seq) to other replicas, which record it too, so a
// retry at another replica that has already merged the write is also recognised. A retry that
// reaches a replica before the write does is applied again: eventual consistency has no better
// answer without coordination.
//
// Addresses 0..cluster_size-1 are the replicas; any other address is a client.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/bug_knobs.hpp"
#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"
#include "protocols/common/rng.hpp"
#include "protocols/common/types.hpp"
#include "protocols/lamport/clock.hpp"
#include "protocols/lamport/lww_messages.hpp"

namespace synod::lamport {

struct LwwBugs {
  bool arrival_order = false;  // lww_node.cpp: the update that arrives last wins, not the highest
                               // Lamport stamp: replicas that heard updates in different orders
                               // keep different values for ever
};
using LwwBugKnob = BugKnobOf<LwwBugs>;
const std::vector<LwwBugKnob>& lww_bug_knobs();

struct LwwConfig {
  Nanos anti_entropy_interval = 100 * kNanosPerMilli;  // 0 or kNever: no anti-entropy
  LwwBugs bugs;
};

class LwwNode final : public ProtocolNode {
 public:
  LwwNode(NodeId id, int cluster_size, LwwConfig config, Rng rng);

  void start(Nanos now, Outbox& out) override;
  void on_message(Nanos now, Address from, const Message& m, Outbox& out) override;
  void on_timer(Nanos now, Outbox& out) override;
  Nanos next_timer() const override;
  std::vector<std::string> check_invariants() override;
  std::string describe() const override;  // "n1 lww keys=12 clock=40"

  // The whole store, for convergence checks: key -> (value, stamp, writer command).
  const std::map<std::string, Versioned>& state() const { return store_; }
  // Deterministic text of the whole store, "k1=5@12.n0 k2=7@15.n2": equal on converged replicas.
  std::string state_digest() const;
  std::optional<int64_t> get(const std::string& key) const;
  int64_t clock() const { return clock_.time(); }

 private:
  bool is_peer(Address a) const { return a >= 0 && a < cluster_size_ && a != id_; }

  // lww_node.cpp: commands, writes and merging.
  void on_client_request(Address from, const Command& c, Outbox& out);
  ClientResult execute(const Command& c, Outbox& out);
  void write(const Command& c, Outbox& out);
  bool merge(const std::string& key, const Versioned& v);  // true if it replaced ours
  void note_session(int64_t client, uint64_t seq, ClientResult result);
  void on_update(const LwwUpdate& m);

  // lww_anti_entropy.cpp
  void start_anti_entropy(Outbox& out);
  void on_digest(NodeId from, const LwwDigest& d, Outbox& out);
  void schedule_anti_entropy(Nanos from_time);

  // lww_invariants.cpp
  void flag(std::vector<std::string>& v, const std::string& what) const;

  const NodeId id_;
  const int cluster_size_;
  const LwwConfig config_;
  Rng rng_;

  Nanos now_ = 0;
  LamportClock clock_;
  std::map<std::string, Versioned> store_;  // absent key = null
  struct Session {
    uint64_t last_seq = 0;
    ClientResult last_result;
  };
  std::map<int64_t, Session> sessions_;  // by client
  Nanos next_anti_entropy_ = kNever;

  // For the delta checks: what changed since the last check_invariants(), and the stamps and
  // session seqs it saw then.
  std::vector<std::string> touched_keys_;
  std::vector<int64_t> touched_clients_;
  std::map<std::string, Stamp> checked_stamps_;
  std::map<int64_t, uint64_t> checked_seqs_;
  int64_t checked_clock_ = 0;
  int64_t max_stamp_time_ = 0;  // the largest stamp time in store_
};

}  // namespace synod::lamport
