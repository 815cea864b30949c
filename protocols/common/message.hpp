// Messages as the network carries them. The transport never looks inside a message: it needs a
// kind (for per-type counters and traces), a type name and a size estimate. A message is immutable
// once sent and shared by pointer, so duplicating it on the wire costs nothing.
//
// Every protocol adds its kinds to MsgKind; a node switches on kind() and static_casts.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "protocols/common/types.hpp"

namespace synod {

enum class MsgKind : uint16_t {
  ClientRequest,
  ClientReply,
  // Raft (Raft paper, Figure 2)
  RaftRequestVote,
  RaftRequestVoteReply,
  RaftAppendEntries,
  RaftAppendEntriesReply,
  RaftTimeoutNow,  // leadership transfer (dissertation §3.10): stand for election now
  // Paxos and Multi-Paxos ("Paxos Made Simple"; Multi-Paxos after "Paxos Made Moderately Complex")
  PaxosPrepare,    // phase 1a
  PaxosPromise,    // phase 1b (or a refusal, carrying the higher promised ballot)
  PaxosAccept,     // phase 2a
  PaxosAccepted,   // phase 2b (or a refusal)
  PaxosDecide,     // a learner's news that a value was chosen in a slot
  PaxosHeartbeat,  // Multi-Paxos: the leader is alive (with its commit point)
  PaxosCatchUp,    // Multi-Paxos: a lagging replica asks for chosen slots from an index
  PaxosHeartbeatAck,  // Multi-Paxos check-quorum: a follower still takes the heartbeat's leader
  // Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System" (1978)
  LamportRequest,  // mutual exclusion: request the resource at a timestamp
  LamportAck,      // mutual exclusion: acknowledgement of a request
  LamportRelease,  // mutual exclusion: release of the resource
  LwwUpdate,       // last-writer-wins store: a write (or a batch, for anti-entropy) to merge
  LwwDigest,       // last-writer-wins store: anti-entropy summary a peer compares against
  // Task scheduling (protocols/tasks): a source submits to the master, the master dispatches to
  // workers, workers report back
  TaskSubmit,     // source → master: a task (id, work)
  TaskResult,     // master → source: the task is done (or, for a duplicate submit, was)
  TaskRun,        // master → worker: run this task
  TaskDone,       // worker → master: finished (with its start time, for queueing vs service)
  TaskHeartbeat,  // worker → master: alive, with its load (queued + running)
  TaskPull,       // worker → master: pull-based dispatch: send me work (free slots)
  // Serverless (protocols/serverless): invocations through a controller onto instances on hosts
  FaasInvoke,     // source → controller: invoke a function
  FaasResult,     // controller → source: the invocation finished (cold or warm, latency parts)
  FaasStart,      // controller → host: start an instance of a function (a cold start)
  FaasRun,        // controller → host: run an invocation on an instance
  FaasDone,       // host → controller: an invocation finished on an instance
  FaasStop,       // controller → host: remove an instance (expired or evicted)
  // Primary-backup replication (protocols/pb)
  PbReplicate,       // primary → backup: log entries (or a heartbeat), commit point, members
  PbReplicateReply,  // backup → primary: how much of the log it holds, or a later epoch (fence)
  PbViewChange,      // backup → all: make me primary of a new epoch
  PbViewReply,       // → candidate: granted (with the voter's log) or refused
  // Dynamo/Cassandra-style quorum store (protocols/quorum)
  QuorumWrite,     // coordinator → replica: store this version (or a hint for another node)
  QuorumWriteAck,  // replica → coordinator: stored
  QuorumRead,      // coordinator → replica: your version of a key
  QuorumReadReply, // replica → coordinator: the version (or none)
  QuorumDigest,    // anti-entropy: hashes of the key buckets two replicas share
  QuorumSync,      // anti-entropy and hinted handoff: versions to merge
  QuorumStream,    // membership change: a key's old owner streams it to its new replicas
  // Benchmarks and simulator tests: a payload-free message
  Ping,
  kCount
};

// "ClientRequest", "RequestVote", ... (the papers' nouns).
const char* message_kind_name(MsgKind k);

class Message {
 public:
  virtual ~Message() = default;
  virtual MsgKind kind() const = 0;
  virtual const char* type_name() const = 0;
  // Approximate bytes on the wire (headers plus payload); used for the bytes-by-type counters.
  virtual size_t size_bytes() const = 0;
  // One-line human-readable rendering for traces ("RequestVote t=3 last=12/2").
  virtual std::string describe() const = 0;
};

using MessagePtr = std::shared_ptr<const Message>;

// A command sent by a client to a cluster node.
class ClientRequest final : public Message {
 public:
  explicit ClientRequest(Command c) : command(std::move(c)) {}
  MsgKind kind() const override { return MsgKind::ClientRequest; }
  const char* type_name() const override { return "ClientRequest"; }
  size_t size_bytes() const override { return 48 + command.key.size(); }
  std::string describe() const override;
  Command command;
};

// The answer to a ClientRequest. Echoes (client, seq) so a client can discard stale replies.
class ClientReply final : public Message {
 public:
  ClientReply(int64_t client_, uint64_t seq_, ClientResult result_, NodeId leader_hint_)
      : client(client_), seq(seq_), result(result_), leader_hint(leader_hint_) {}
  MsgKind kind() const override { return MsgKind::ClientReply; }
  const char* type_name() const override { return "ClientReply"; }
  size_t size_bytes() const override { return 40; }
  std::string describe() const override;
  int64_t client;
  uint64_t seq;
  ClientResult result;
  NodeId leader_hint;  // with NotLeader: who the node believes leads (kNoNode if unknown)
};

}  // namespace synod
