// The three messages of Lamport's mutual exclusion algorithm (1978, the resource-allocation
// problem solved with the total order of section "Ordering the Events Totally"): Request, Ack and
// Release, each carrying the sender's Lamport timestamp.
//
// Additions to the paper's fields, and why: the paper assumes every pair of processes talks over
// a FIFO channel that loses nothing. Our network reorders, duplicates and drops, so each message
// also carries a channel header, (epoch, seq): `seq` numbers the messages of one sender to one
// receiver 1, 2, 3, ... and `epoch` is a random number the sender drew when it started, which
// changes when it restarts. The receiver uses them to hand the algorithm each channel's messages
// in the order they were sent, at most once, and to notice a gap or a restarted peer (see
// fifo_inbox.hpp). They cost 16 bytes a message and no extra messages.
#pragma once

#include <cstdint>
#include <string>

#include "protocols/common/message.hpp"

namespace synod::lamport {

struct ChannelHeader {
  uint64_t epoch = 0;  // the sender's incarnation, drawn at random (never 0)
  uint64_t seq = 0;    // 1, 2, ... per (sender, receiver) channel and epoch
};

class MutexMessage : public Message {
 public:
  size_t size_bytes() const override { return 48; }
  int64_t timestamp = 0;  // the sender's Lamport clock at the send (IR2's Tm)
  ChannelHeader channel;
};

// "To request the resource, process Pi sends the message Tm:Pi requests resource to every other
// process, and puts that message on its request queue." (Tm is `timestamp`.)
class MutexRequest final : public MutexMessage {
 public:
  MsgKind kind() const override { return MsgKind::LamportRequest; }
  const char* type_name() const override { return "Request"; }
  std::string describe() const override;
  int64_t request_number = 0;  // the sender's 1, 2, ... (events and traces only)
};

// "When process Pj receives the message Tm:Pi requests resource, it places it on its request
// queue and sends a (timestamped) acknowledgment message to Pi."
class MutexAck final : public MutexMessage {
 public:
  MsgKind kind() const override { return MsgKind::LamportAck; }
  const char* type_name() const override { return "Ack"; }
  std::string describe() const override;
};

// "To release the resource, process Pi removes any Tm:Pi requests resource message from its
// request queue and sends a (timestamped) Pi releases resource message to every other process."
class MutexRelease final : public MutexMessage {
 public:
  MsgKind kind() const override { return MsgKind::LamportRelease; }
  const char* type_name() const override { return "Release"; }
  std::string describe() const override;
  int64_t request_timestamp = 0;  // the Tm of the request released (a cross-check for receivers)
};

}  // namespace synod::lamport
