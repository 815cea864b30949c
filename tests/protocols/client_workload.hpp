// Clients of a replicated KV store for whole-cluster tests, and the reference that judges their
// answers. Works with any family whose nodes take ClientRequests and answer ClientReplies
// (protocols/common/message.hpp); it drives a ClusterHarness as one of its agents.
//
// Each client has at most one command outstanding (the client-table contract of kv_store.hpp): it
// issues a random read, write or cas on key a or b after a short think time, retries after
// kRetryAfter at a random node, and follows a NotLeader reply's hint. The test reports every
// command the cluster applies, in the one applied order, through on_applied(); a reference
// KvStore applies them too, and every Ok or Fail answer must equal the reference's result for
// that command. An answer for a command that was never applied fails the run.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/kv_store.hpp"
#include "protocols/common/message.hpp"
#include "protocols/common/types.hpp"
#include "tests/protocols/test_fixtures.hpp"

namespace synod::testkit {

// Where a client sends a new command. Sticky: where its last one was answered, as a client that
// has found the leader keeps using it. Random: a random node each time, which exercises
// forwarding and NotLeader more.
enum class ClientTarget { Sticky, Random };

template <class Harness>
class ClientWorkload {
 public:
  static constexpr Nanos kThinkMax = 5 * kNanosPerMilli;
  static constexpr Nanos kRetryAfter = 200 * kNanosPerMilli;

  // Clients take the addresses after the nodes. Installs itself as an agent of `h` and takes
  // its on_reply hook.
  ClientWorkload(Harness& h, int n_clients, ClientTarget target) : h_(h), target_(target) {
    for (int c = 0; c < n_clients; ++c) {
      Client client;
      client.address = h_.size() + c;
      client.id = c + 1;
      client.next_issue = h_.rng().between(0, kThinkMax);
      clients_.push_back(client);
    }
    h_.add_agent({[this] { return next_due(); }, [this] { run_due(); }});
    h_.on_reply = [this](const typename Harness::Reply& r) { on_reply(r.to, r.reply); };
  }
  ClientWorkload(const ClientWorkload&) = delete;  // the harness holds `this`
  ClientWorkload& operator=(const ClientWorkload&) = delete;

  // No new commands from now on; outstanding ones are still retried until answered.
  void stop() { stopped_ = true; }

  // The next command applied in the cluster's one applied order (not a no-op).
  void on_applied(const Command& c) {
    const ClientResult r = reference_.apply(c);
    reference_results_.try_emplace({c.client, c.seq}, r);
  }

  int64_t ops_done() const {
    int64_t total = 0;
    for (const Client& c : clients_) total += c.done;
    return total;
  }

 private:
  struct Client {
    Address address = 0;
    int64_t id = 0;
    uint64_t seq = 0;
    bool outstanding = false;
    Command command;
    NodeId target = 0;
    Nanos next_issue = 0;  // when idle
    Nanos retry_at = kNever;
    int64_t done = 0;
  };

  Nanos next_due() const {
    Nanos t = kNever;
    for (const Client& c : clients_) {
      t = std::min(t, c.outstanding ? c.retry_at : stopped_ ? kNever : c.next_issue);
    }
    return t;
  }

  void run_due() {
    const Nanos now = h_.now();
    for (Client& c : clients_) {
      if (c.outstanding && c.retry_at <= now) {
        c.target = random_node();
        send_request(c);
        return;
      }
      if (!c.outstanding && !stopped_ && c.next_issue <= now) {
        issue(c);
        return;
      }
    }
  }

  void issue(Client& c) {
    c.outstanding = true;
    // One draw after another, in a fixed order: argument evaluation order is the compiler's.
    const std::string key = h_.rng().chance(0.5) ? "a" : "b";
    const int64_t expected = h_.rng().between(0, 3);
    const int64_t value = h_.rng().between(0, 3);
    const auto type = static_cast<OpType>(h_.rng().below(3));
    c.command = cmd(c.id, ++c.seq, type, value, expected, key);
    if (target_ == ClientTarget::Random) c.target = random_node();
    send_request(c);
  }

  void send_request(Client& c) {
    c.retry_at = h_.now() + kRetryAfter;
    h_.client_send(c.address, c.target, c.command);
  }

  NodeId random_node() {
    return static_cast<NodeId>(h_.rng().below(static_cast<uint64_t>(h_.size())));
  }

  void on_reply(Address to, const ClientReply& reply) {
    Client& c = clients_[static_cast<size_t>(to - h_.size())];
    if (!c.outstanding || reply.seq != c.seq) return;  // an answer to an earlier attempt
    if (reply.result.status == ReplyStatus::NotLeader) {
      c.target = reply.leader_hint != kNoNode ? reply.leader_hint : random_node();
      send_request(c);
      return;
    }
    // The answer must be what the single applied order gives this command.
    auto it = reference_results_.find({c.id, c.seq});
    if (it == reference_results_.end()) {
      h_.fail(fmt::format("client {} got an answer for {} that was never applied", c.id,
                          c.command.describe()));
      return;
    }
    if (it->second.status != reply.result.status || it->second.value != reply.result.value) {
      h_.fail(fmt::format("client {} got {} for {}, the applied order gives {}", c.id,
                          reply.describe(), c.command.describe(), status_name(it->second.status)));
    }
    c.outstanding = false;
    c.retry_at = kNever;
    c.next_issue = h_.now() + h_.rng().between(0, kThinkMax);
    ++c.done;
  }

  Harness& h_;
  const ClientTarget target_;
  bool stopped_ = false;
  std::vector<Client> clients_;
  KvStore reference_;
  std::map<std::pair<int64_t, uint64_t>, ClientResult> reference_results_;
};

}  // namespace synod::testkit
