#include "protocols/lamport/mutex_messages.hpp"

#include <fmt/format.h>

namespace synod::lamport {

std::string MutexRequest::describe() const {
  return fmt::format("Request ts={} req={} seq={}", timestamp, request_number, channel.seq);
}

std::string MutexAck::describe() const {
  return fmt::format("Ack ts={} seq={}", timestamp, channel.seq);
}

std::string MutexRelease::describe() const {
  return fmt::format("Release ts={} of={} seq={}", timestamp, request_timestamp, channel.seq);
}

}  // namespace synod::lamport
