// The protocol section: `name` picks a protocol family, and the rest of the section belongs to
// that family's schema (sim/families/). The loader only checks that every key is known to some
// family, and that it applies to the one named: a key meant for another protocol is an error that
// says which protocols it applies to, never a setting silently ignored.
#include <fmt/format.h>

#include <algorithm>

#include "sim/scenario/sections.hpp"

namespace synod::sim {

namespace {

std::vector<std::string> names_of(const ProtocolSchemas& schemas) {
  std::vector<std::string> out;
  for (const ProtocolSchema& s : schemas) out.push_back(s.name);
  return out;
}

// Every key some family reads, in registration order: the keys a protocol section may hold.
std::vector<std::string> all_keys(const ProtocolSchemas& schemas) {
  std::vector<std::string> out = {"name"};
  for (const ProtocolSchema& s : schemas)
    for (const std::string& k : s.keys)
      if (!contains(out, k)) out.push_back(k);
  return out;
}

std::vector<std::string> schemas_reading(const ProtocolSchemas& schemas, const std::string& key) {
  std::vector<std::string> out;
  for (const ProtocolSchema& s : schemas)
    if (contains(s.keys, key)) out.push_back(s.name);
  return out;
}

constexpr int kMaxShards = 100'000;

// `shards` and `replication` (ShardSpec), for the families that can be sharded; their keys list
// them, so any other family has already refused them.
void read_shards(const Reader& rd, const Fields& f, const ProtocolSchema& schema, ProtocolSpec* p) {
  if (!schema.shardable) return;
  if (f.has("replication") && !f.has("shards"))
    f.forbid("replication", "needs `shards` (the replication factor of each shard's group)");
  if (f.has("balance_leaders") && !f.has("shards"))
    f.forbid("balance_leaders", "needs `shards` (it balances the groups' leaders over the nodes)");
  if (f.has("balance_leaders")) p->shards.balance_leaders = rd.boolean(f.get("balance_leaders"));
  if (!f.has("shards")) return;
  const Item k = f.get("shards");
  p->shards.count = rd.count(k, kMaxShards);
  p->shards.loc = {k.mark.line + 1, k.mark.column + 1};
  const int nodes = static_cast<int>(rd.node_names().size());
  p->shards.replication = std::min(p->shards.replication, nodes);
  if (f.has("replication")) {
    const Item r = f.get("replication");
    p->shards.replication = rd.count(r, 99);
    if (p->shards.replication > nodes)
      rd.fail(r, fmt::format("replication {} is more replicas than the cluster's {} nodes",
                             p->shards.replication, nodes));
  }
}

}  // namespace

const ProtocolSchema* find_schema(const ProtocolSchemas& schemas, const std::string& name) {
  for (const ProtocolSchema& s : schemas)
    if (s.name == name) return &s;
  return nullptr;
}

ProtocolSpec read_protocol(const Reader& rd, const Item* item, const ProtocolSchemas& schemas,
                           const std::string* rename) {
  if (schemas.empty()) throw ScenarioError(rd.file(), 0, 0, "no protocol is registered");
  ProtocolSpec p;
  p.name = schemas.front().name;
  if (item == nullptr) {
    if (rename != nullptr) p.name = *rename;
    const ProtocolSchema* schema = find_schema(schemas, p.name);
    if (schema == nullptr) {
      throw ScenarioError(rd.file(), 0, 0,
                          fmt::format("unknown protocol '{}' (known: {})", p.name,
                                      join(names_of(schemas))));
    }
    p.config = schema->parse(rd, Fields(rd, "protocol"));
    return p;
  }
  const std::vector<std::string> keys = all_keys(schemas);
  Fields f(rd, *item, "protocol", keys);
  p.source = std::make_shared<const YAML::Node>(item->node);
  if (f.has("name")) {
    const Item ni = f.get("name");
    p.name = rd.text(ni, "a protocol name like raft");
  }
  if (rename != nullptr) p.name = *rename;
  const ProtocolSchema* schema = find_schema(schemas, p.name);
  if (schema == nullptr) {
    const std::string message =
        fmt::format("unknown protocol '{}' (known: {})", p.name, join(names_of(schemas)));
    if (rename != nullptr) throw ScenarioError(rd.file(), 0, 0, message);
    rd.fail(f.get("name"), message);
  }
  if (rename == nullptr) {
    for (const std::string& key : keys) {
      if (key == "name" || !f.has(key) || contains(schema->keys, key)) continue;
      f.forbid(key, fmt::format("applies only to {}, not to {}", join(schemas_reading(schemas, key)),
                                p.name));
    }
    p.config = schema->parse(rd, f);
    read_shards(rd, f, *schema, &p);
    return p;
  }
  // Read again for another protocol: only the keys that apply to it.
  std::vector<std::string> kept;
  YAML::Node only(YAML::NodeType::Map);
  for (auto it = item->node.begin(); it != item->node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (contains(schema->keys, key)) only[it->first] = it->second;
  }
  const Item filtered{only, item->mark};
  const Fields kept_fields(rd, filtered, "protocol", keys);
  p.config = schema->parse(rd, kept_fields);
  read_shards(rd, kept_fields, *schema, &p);
  return p;
}

}  // namespace synod::sim
