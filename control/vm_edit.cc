// VM edits of the config document (vm_edit.h).
#include "control/vm_edit.h"

namespace vigil::control {
namespace {

// A policy endpoint field: a name or a list of names.
bool names(const YAML::Node& field, const std::string& name) {
  if (!field) return false;
  if (field.IsScalar()) return field.Scalar() == name;
  if (!field.IsSequence()) return false;
  for (const YAML::Node& item : field) {
    if (item.IsScalar() && item.Scalar() == name) return true;
  }
  return false;
}

void rename_in(YAML::Node field, const std::string& from, const std::string& to) {
  if (!field) return;
  if (field.IsScalar()) {
    if (field.Scalar() == from) field = to;  // assigns the scalar in place
    return;
  }
  if (!field.IsSequence()) return;
  for (std::size_t i = 0; i < field.size(); ++i) {
    YAML::Node item = field[i];
    if (item.IsScalar() && item.Scalar() == from) item = to;
  }
}

void rename_in_rules(YAML::Node rules, const char* key, const std::string& from,
                     const std::string& to) {
  if (!rules || !rules.IsSequence()) return;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    YAML::Node rule = rules[i];
    if (rule.IsMap() && rule[key]) rename_in(rule[key], from, to);
  }
}

}  // namespace

VmLocation locate_vm(const YAML::Node& doc, const std::string& port) {
  const YAML::Node tenants = doc["tenants"];
  for (std::size_t t = 0; tenants && tenants.IsSequence() && t < tenants.size(); ++t) {
    const YAML::Node vms = tenants[t]["vms"];
    for (std::size_t v = 0; vms && vms.IsSequence() && v < vms.size(); ++v) {
      if (scalar_at(vms[v], "port") == port) return {t, v, scalar_at(tenants[t], "name")};
    }
  }
  fail(code::kNotFound, "no VM on port '" + port + "'");
}

void check_port_free(const Config& config, const std::string& port) {
  bool exists = false;
  for (const PortSpec& p : config.ports) exists = exists || p.name == port;
  if (!exists) {
    fail(code::kConflict, "no port named '" + port +
                              "' in ports: (ports are added by editing the config and "
                              "restarting vigild)");
  }
  if (const TenantSpec* t = tenant_of_port(config, port)) {
    fail(code::kConflict, "port '" + port + "' is in use by a VM of tenant '" + t->name + "'");
  }
  for (const TrunkSpec& trunk : config.tenancy.trunks) {
    if (trunk.port == port) fail(code::kConflict, "port '" + port + "' is a trunk");
  }
}

void append_vm(YAML::Node doc, std::size_t tenant_index, const YAML::Node& vm) {
  YAML::Node tenant = doc["tenants"][tenant_index];
  YAML::Node vms = tenant["vms"];
  if (vms && vms.IsSequence()) {
    vms.push_back(vm);
  } else {
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(vm);
    tenant["vms"] = list;
  }
}

void remove_from_groups(YAML::Node tenant, const std::string& tenant_name,
                        const std::string& port) {
  YAML::Node groups = tenant["groups"];
  if (!groups || !groups.IsMap()) return;
  for (auto kv : groups) {
    const YAML::Node members = kv.second;
    if (!names(members, port)) continue;
    const std::string group = kv.first.Scalar();
    YAML::Node rest = filtered(
        members, [&](const YAML::Node& m) { return !(m.IsScalar() && m.Scalar() == port); });
    if (rest.size() == 0) {
      fail(code::kConflict, "port '" + port + "' is the only member of group '" + group +
                                "' of tenant '" + tenant_name + "'; change the policy first");
    }
    groups[group] = rest;
  }
}

void rename_port_refs(YAML::Node doc, std::size_t tenant_index, const std::string& tenant_name,
                      const std::string& from, const std::string& to) {
  YAML::Node tenant = doc["tenants"][tenant_index];
  if (YAML::Node groups = tenant["groups"]; groups && groups.IsMap()) {
    for (auto kv : groups) rename_in(kv.second, from, to);
  }
  if (YAML::Node policy = tenant["policy"]; policy && policy.IsMap()) {
    rename_in_rules(policy["rules"], "src", from, to);
    rename_in_rules(policy["rules"], "dst", from, to);
  }
  YAML::Node cross = doc["cross_tenant"];
  for (std::size_t i = 0; cross && cross.IsSequence() && i < cross.size(); ++i) {
    YAML::Node rule = cross[i];
    if (!rule.IsMap()) continue;
    if (scalar_at(rule, "from") == tenant_name && rule["src"]) rename_in(rule["src"], from, to);
    if (scalar_at(rule, "to") == tenant_name && rule["dst"]) rename_in(rule["dst"], from, to);
  }
}

Json groups_naming(const YAML::Node& tenant, const std::string& port) {
  Json out = Json::array();
  const YAML::Node groups = tenant["groups"];
  if (!groups || !groups.IsMap()) return out;
  for (const auto& kv : groups) {
    if (names(kv.second, port)) out.push_back(kv.first.Scalar());
  }
  return out;
}

Json vm_result(const Config& config, const std::string& port) {
  const TenantSpec* t = tenant_of_port(config, port);
  if (t == nullptr) fail(code::kInternal, "VM on port '" + port + "' vanished");
  Json vm = vm_json(*find_vm(*t, port));
  vm["tenant"] = t->name;
  return vm;
}

}  // namespace vigil::control
