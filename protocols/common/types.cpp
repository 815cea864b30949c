#include "protocols/common/types.hpp"

#include <fmt/format.h>

#include "protocols/common/message.hpp"
#include "protocols/common/node.hpp"

namespace synod {

const char* op_name(OpType op) {
  switch (op) {
    case OpType::Read: return "read";
    case OpType::Write: return "write";
    case OpType::Cas: return "cas";
  }
  return "?";
}

const char* status_name(ReplyStatus s) {
  switch (s) {
    case ReplyStatus::Ok: return "ok";
    case ReplyStatus::Fail: return "fail";
    case ReplyStatus::NotLeader: return "not-leader";
  }
  return "?";
}

const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::Role: return "role";
    case EventType::ElectionStart: return "election";
    case EventType::Commit: return "commit";
    case EventType::Apply: return "apply";
    case EventType::Promise: return "promise";
    case EventType::Accept: return "accept";
    case EventType::Learn: return "learn";
    case EventType::CsRequest: return "cs-request";
    case EventType::CsEnter: return "cs-enter";
    case EventType::CsExit: return "cs-exit";
  }
  return "?";
}

const char* message_kind_name(MsgKind k) {
  switch (k) {
    case MsgKind::ClientRequest: return "ClientRequest";
    case MsgKind::ClientReply: return "ClientReply";
    case MsgKind::RaftRequestVote: return "RequestVote";
    case MsgKind::RaftRequestVoteReply: return "RequestVoteReply";
    case MsgKind::RaftAppendEntries: return "AppendEntries";
    case MsgKind::RaftAppendEntriesReply: return "AppendEntriesReply";
    case MsgKind::RaftTimeoutNow: return "TimeoutNow";
    case MsgKind::PaxosPrepare: return "Prepare";
    case MsgKind::PaxosPromise: return "Promise";
    case MsgKind::PaxosAccept: return "Accept";
    case MsgKind::PaxosAccepted: return "Accepted";
    case MsgKind::PaxosDecide: return "Decide";
    case MsgKind::PaxosHeartbeat: return "Heartbeat";
    case MsgKind::PaxosCatchUp: return "CatchUp";
    case MsgKind::PaxosHeartbeatAck: return "HeartbeatAck";
    case MsgKind::LamportRequest: return "Request";
    case MsgKind::LamportAck: return "Ack";
    case MsgKind::LamportRelease: return "Release";
    case MsgKind::LwwUpdate: return "Update";
    case MsgKind::LwwDigest: return "Digest";
    case MsgKind::TaskSubmit: return "TaskSubmit";
    case MsgKind::TaskResult: return "TaskResult";
    case MsgKind::TaskRun: return "TaskRun";
    case MsgKind::TaskDone: return "TaskDone";
    case MsgKind::TaskHeartbeat: return "TaskHeartbeat";
    case MsgKind::TaskPull: return "TaskPull";
    case MsgKind::FaasInvoke: return "FaasInvoke";
    case MsgKind::FaasResult: return "FaasResult";
    case MsgKind::FaasStart: return "FaasStart";
    case MsgKind::FaasRun: return "FaasRun";
    case MsgKind::FaasDone: return "FaasDone";
    case MsgKind::FaasStop: return "FaasStop";
    case MsgKind::QuorumWrite: return "QuorumWrite";
    case MsgKind::QuorumWriteAck: return "QuorumWriteAck";
    case MsgKind::QuorumRead: return "QuorumRead";
    case MsgKind::QuorumReadReply: return "QuorumReadReply";
    case MsgKind::QuorumDigest: return "QuorumDigest";
    case MsgKind::QuorumSync: return "QuorumSync";
    case MsgKind::QuorumStream: return "QuorumStream";
    case MsgKind::PbReplicate: return "Replicate";
    case MsgKind::PbReplicateReply: return "ReplicateReply";
    case MsgKind::PbViewChange: return "ViewChange";
    case MsgKind::PbViewReply: return "ViewReply";
    case MsgKind::Ping: return "Ping";
    case MsgKind::kCount: break;
  }
  return "?";
}

std::string Command::describe() const {
  switch (type) {
    case OpType::Read: return fmt::format("c{}#{} read {}", client, seq, key);
    case OpType::Write: return fmt::format("c{}#{} write {} {}", client, seq, key, value);
    case OpType::Cas:
      return fmt::format("c{}#{} cas {} {}->{}", client, seq, key, expected, value);
  }
  return "?";
}

std::string ClientRequest::describe() const { return "ClientRequest " + command.describe(); }

std::string ClientReply::describe() const {
  std::string v = result.value ? std::to_string(*result.value) : "null";
  return fmt::format("ClientReply c{}#{} {} value={} hint={}", client, seq,
                     status_name(result.status), v, leader_hint);
}

}  // namespace synod
