// tenant.list, tenant.add, tenant.remove (PROTOCOL.md).
#include <algorithm>

#include "control/commands.h"

namespace vigil::control {
namespace {

Json tenant_json(const TenantSpec& t) {
  Json vms = Json::array();
  for (const VmSpec& vm : t.vms) vms.push_back(vm.port);
  return Json{{"name", t.name}, {"vlan", t.vlan}, {"vms", vms}, {"policy", t.policy.present}};
}

// Sets `key` of `map` to `seq`, or removes the key when `seq` is empty (no `key: []` left over).
void set_or_remove(YAML::Node map, const char* key, const YAML::Node& seq) {
  if (seq.size() == 0) {
    map.remove(key);
  } else {
    map[key] = seq;
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Json cmd_tenant_list(Context& c) {
  const std::string only = c.scope(false);
  Json out = Json::array();
  for (const TenantSpec& t : c.running.config().tenancy.tenants) {
    if (only.empty() || t.name == only) out.push_back(tenant_json(t));
  }
  return out;
}

Json cmd_tenant_add(Context& c) {
  const std::string name = c.args.text("name");
  // Any whole number: the range (1..4094) is the config's to check, with its message.
  const int64_t vlan = c.args.integer("vlan", INT64_MIN, INT64_MAX);
  for (const TenantSpec& t : c.running.config().tenancy.tenants) {
    if (t.name == name) fail(code::kConflict, "tenant '" + name + "' exists");
    if (t.vlan == vlan) {
      fail(code::kConflict, "VLAN " + std::to_string(vlan) + " is tenant '" + t.name + "'");
    }
  }
  YAML::Node doc = c.running.copy();
  YAML::Node tenant(YAML::NodeType::Map);
  tenant["name"] = name;
  tenant["vlan"] = std::to_string(vlan);
  YAML::Node tenants = doc["tenants"];
  if (!tenants || !tenants.IsSequence()) {
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(tenant);
    doc["tenants"] = list;
  } else {
    tenants.push_back(tenant);
  }
  c.running.commit(doc);
  const TenantSpec* added = find_tenant(c.running.config(), name);
  if (added == nullptr) fail(code::kInternal, "tenant '" + name + "' vanished");
  return tenant_json(*added);
}

Json cmd_tenant_remove(Context& c) {
  const std::string name = c.args.text("name");
  const bool force = c.args.opt_flag("force").value_or(false);
  const Config& config = c.running.config();
  const TenantSpec* tenant = find_tenant(config, name);
  if (tenant == nullptr) fail(code::kNotFound, "no tenant '" + name + "'");

  // References from sections that only a restart may change.
  for (const TrunkSpec& trunk : config.tenancy.trunks) {
    const bool allowed =
        std::find(trunk.allowed.begin(), trunk.allowed.end(), name) != trunk.allowed.end();
    if (allowed || (trunk.native_vlan != 0 && trunk.native_vlan == tenant->vlan)) {
      fail(code::kConflict, "tenant '" + name + "' is named by trunk " + trunk.port +
                                " (allowed or native_vlan); that changes only by editing the "
                                "config and restarting vigild");
    }
  }
  const auto& ids = config.ids.tenants;
  if (std::find(ids.begin(), ids.end(), name) != ids.end()) {
    fail(code::kConflict, "tenant '" + name +
                              "' is in ids.tenants; that changes only by editing the config and "
                              "restarting vigild");
  }

  std::vector<std::string> uses;
  if (!tenant->vms.empty()) uses.push_back(std::to_string(tenant->vms.size()) + " VM(s)");
  const bool has_operators =
      std::any_of(config.control.operators.begin(), config.control.operators.end(),
                  [&](const OperatorSpec& op) { return op.tenant == name; });
  if (has_operators) uses.push_back("operators");
  const bool cross =
      std::any_of(config.tenancy.cross_tenant.begin(), config.tenancy.cross_tenant.end(),
                  [&](const CrossTenantRule& r) { return r.from == name || r.to == name; });
  if (cross) uses.push_back("cross_tenant rules");
  if (!uses.empty() && !force) {
    fail(code::kConflict,
         "tenant '" + name + "' has " + join(uses) + " (force: true removes them too)");
  }

  YAML::Node doc = c.running.copy();
  const YAML::Node tenants = doc["tenants"];
  set_or_remove(doc, "tenants", filtered(tenants, [&](const YAML::Node& t) {
                  return scalar_at(t, "name") != name;
                }));
  if (const YAML::Node rules = doc["cross_tenant"]; rules && rules.IsSequence()) {
    set_or_remove(doc, "cross_tenant", filtered(rules, [&](const YAML::Node& r) {
                    return scalar_at(r, "from") != name && scalar_at(r, "to") != name;
                  }));
  }
  if (YAML::Node ctl = doc["control"]; ctl && ctl.IsMap()) {
    if (const YAML::Node ops = ctl["operators"]; ops && ops.IsSequence()) {
      set_or_remove(ctl, "operators", filtered(ops, [&](const YAML::Node& op) {
                      return scalar_at(op, "tenant") != name;
                    }));
    }
  }
  c.running.commit(doc);
  return Json::object();
}

}  // namespace vigil::control
