// Restores the channel the 1978 paper assumes ("messages sent from one process to another are
// received in the order in which they are sent", no loss) on top of a network that reorders,
// duplicates and drops, as far as that can be done without retransmission:
//
//   - reordering: a message that arrives ahead of its predecessors is held until they arrive;
//     the algorithm sees each channel's messages in send order;
//   - duplication: a seq already delivered or already held is discarded;
//   - loss: the messages behind a gap are held, never delivered. The channel is stuck for good
//     (nobody resends), which is what keeps the algorithm safe: the receiver's view of a channel
//     is always a prefix of what was sent, and the mutual exclusion proof needs nothing more
//     (mutex_node.hpp). It blocks instead;
//   - a restarted sender: it starts again at seq 1 under a new random epoch, without the state
//     its earlier messages described. A second epoch on a channel marks it dead (nothing more is
//     delivered from it), for the same reason: a prefix of one incarnation's stream, or nothing.
//
// A channel that holds more than kMaxHeld messages is also marked dead: with no retransmission a
// gap that deep never fills, so holding more only costs memory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocols/lamport/mutex_messages.hpp"

namespace synod::lamport {

template <class T>
class FifoInbox {
 public:
  static constexpr size_t kMaxHeld = 4096;

  enum class Verdict {
    Delivered,  // it (and perhaps messages held behind it) went to `ready`
    Held,       // arrived ahead of a predecessor
    Duplicate,  // already delivered or held
    Dead,       // the channel is dead (restarted sender, or a gap too deep)
  };

  explicit FifoInbox(int n_senders = 0) : channels_(static_cast<size_t>(n_senders)) {}

  // Offers one arrival from `sender`; appends what becomes deliverable, in send order, to `ready`.
  Verdict offer(int sender, const ChannelHeader& h, T payload, std::vector<T>& ready) {
    Channel& c = channels_[static_cast<size_t>(sender)];
    if (c.dead) return Verdict::Dead;
    if (c.epoch == 0) c.epoch = h.epoch;
    if (h.epoch != c.epoch) return kill(c);
    if (h.seq <= c.delivered || c.held.count(h.seq) > 0) return Verdict::Duplicate;
    c.held.emplace(h.seq, std::move(payload));
    if (c.held.size() > kMaxHeld) return kill(c);
    const size_t before = ready.size();
    while (!c.held.empty() && c.held.begin()->first == c.delivered + 1) {
      ready.push_back(std::move(c.held.begin()->second));
      c.held.erase(c.held.begin());
      ++c.delivered;
    }
    return ready.size() > before ? Verdict::Delivered : Verdict::Held;
  }

  bool is_dead(int sender) const { return channel(sender).dead; }
  uint64_t delivered(int sender) const { return channel(sender).delivered; }
  size_t held(int sender) const { return channel(sender).held.size(); }
  // The lowest seq held from `sender` (0 if none): a gap sits just below it.
  uint64_t first_held(int sender) const {
    const Channel& c = channel(sender);
    return c.held.empty() ? 0 : c.held.begin()->first;
  }

 private:
  struct Channel {
    uint64_t epoch = 0;      // the sender incarnation this channel belongs to; 0 = none seen yet
    uint64_t delivered = 0;  // seqs 1..delivered went to the algorithm
    bool dead = false;
    std::map<uint64_t, T> held;  // arrived early, by seq; every key > delivered + 1
  };

  Verdict kill(Channel& c) {
    c.dead = true;
    c.held.clear();
    return Verdict::Dead;
  }
  const Channel& channel(int sender) const { return channels_[static_cast<size_t>(sender)]; }

  std::vector<Channel> channels_;
};

}  // namespace synod::lamport
