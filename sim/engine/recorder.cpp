#include "sim/engine/recorder.hpp"

namespace synod::sim {

const char* history_type_name(HistoryOp::Type t) {
  switch (t) {
    case HistoryOp::Type::Invoke: return "invoke";
    case HistoryOp::Type::Ok: return "ok";
    case HistoryOp::Type::Fail: return "fail";
    case HistoryOp::Type::Info: return "info";
  }
  return "?";
}

Recorder::Recorder(int n_nodes) : role_(n_nodes, "follower"), term_(n_nodes, 0) {}

void Recorder::protocol_event(Nanos now, NodeId node, uint32_t incarnation,
                              const ProtocolEvent& e) {
  analysis::RunEvent r;
  r.time_s = to_seconds(now);
  r.node = node;
  r.incarnation = incarnation;
  r.type = event_type_name(e.type);
  r.term = e.term;
  r.group = e.group;
  switch (e.type) {
    case EventType::Role:
      r.role = e.role;
      if (e.group < 0) {  // a sharded node has a role per group: none of its own to chart
        role_[node] = e.role;
        term_[node] = e.term;
      } else if (e.role == "leader") {
        auto it = group_leader_.find(e.group);
        if (it == group_leader_.end() || it->second.second <= e.term)
          group_leader_[e.group] = {node, e.term};
      } else {
        auto it = group_leader_.find(e.group);
        if (it != group_leader_.end() && it->second.first == node) group_leader_.erase(it);
      }
      if (e.role == "leader") {
        leaders_elected_++;
        for (const TermRun& run : e.log_runs) r.log.push_back({run.term, run.first, run.last});
      }
      break;
    case EventType::ElectionStart:
      elections_started_++;
      if (e.group < 0) term_[node] = e.term;
      break;
    case EventType::Commit:
      r.index = e.index;
      break;
    case EventType::Apply:
      r.index = e.index;
      r.entry_term = e.entry_term;
      r.command = e.command;
      break;
    case EventType::Promise:
    case EventType::Accept:
    case EventType::Learn:
    case EventType::CsRequest:
    case EventType::CsEnter:
    case EventType::CsExit:
      r.index = e.index;
      r.command = e.command;
      break;
  }
  events_.push_back(std::move(r));
}

void Recorder::nemesis_event(Nanos now, int node, uint32_t incarnation, const std::string& type,
                             const std::string& detail) {
  analysis::RunEvent r;
  r.time_s = to_seconds(now);
  r.node = node;
  r.incarnation = incarnation;
  r.type = type;
  r.detail = detail;
  events_.push_back(std::move(r));
}

void Recorder::node_invariant_violation(Nanos now, NodeId node, const std::string& what) {
  node_violations_.push_back({to_seconds(now), "node-invariant", what});
}

void Recorder::set_down(NodeId node) {
  role_[node] = "down";
  for (auto it = group_leader_.begin(); it != group_leader_.end();)
    it = it->second.first == node ? group_leader_.erase(it) : std::next(it);
}
void Recorder::set_restarted(NodeId node) { role_[node] = "follower"; }

NodeId Recorder::leader() const {
  if (!group_leader_.empty()) {
    std::vector<int> leads(role_.size(), 0);
    for (const auto& [g, at] : group_leader_) leads[at.first]++;
    NodeId most = kNoNode;
    for (NodeId n = 0; n < static_cast<NodeId>(leads.size()); ++n)
      if (leads[n] > 0 && role_[n] != "down" && (most == kNoNode || leads[n] > leads[most])) most = n;
    return most;
  }
  NodeId best = kNoNode;
  for (NodeId n = 0; n < static_cast<NodeId>(role_.size()); ++n)
    if (role_[n] == "leader" && (best == kNoNode || term_[n] > term_[best])) best = n;
  return best;
}

int64_t Recorder::max_term() const {
  int64_t t = 0;
  for (int64_t x : term_) t = std::max(t, x);
  return t;
}

}  // namespace synod::sim
