// vm.export and vm.import (PROTOCOL.md): a VM's binding as a "vigil-vm/1" document, re-created
// on a port here or on another host, with its memberships of the tenant's groups.
#include "control/commands.h"
#include "control/vm_edit.h"
#include "control/yaml_json.h"

namespace vigil::control {
namespace {

constexpr char kFormat[] = "vigil-vm/1";

[[noreturn]] void bad_state(const std::string& what) {
  fail(code::kBadRequest, std::string("argument 'state' is not a ") + kFormat + " export: " + what);
}

const Json& member(const Json& state, const char* key, bool (Json::*is)() const noexcept,
                   const char* type) {
  if (!state.contains(key) || !(state.at(key).*is)()) {
    bad_state(std::string("'") + key + "' must be " + type);
  }
  return state.at(key);
}

// Adds `port` to group `group` of the tenant, when the tenant has that group.
void add_to_group(YAML::Node tenant, const std::string& group, const std::string& port) {
  YAML::Node groups = tenant["groups"];
  if (!groups || !groups.IsMap() || !groups[group]) return;
  YAML::Node members = groups[group];
  if (members.IsSequence()) {
    for (const YAML::Node& m : members) {
      if (m.IsScalar() && m.Scalar() == port) return;
    }
    members.push_back(port);
  } else if (members.IsScalar() && members.Scalar() != port) {
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(members.Scalar());
    list.push_back(port);
    groups[group] = list;
  }
}

}  // namespace

Json cmd_vm_export(Context& c) {
  const std::string port = c.args.text("port");
  const Config& config = c.running.config();
  const TenantSpec* tenant = tenant_of_port(config, port);
  if (tenant == nullptr) fail(code::kNotFound, "no VM on port '" + port + "'");
  const VmLocation at = locate_vm(c.running.document(), port);
  Json out{{"format", kFormat},
           {"tenant", tenant->name},
           {"vm", vm_json(*find_vm(*tenant, port))},
           {"policy_refs", groups_naming(c.running.document()["tenants"][at.tenant], port)}};
  // Its monitor history travels with it: baselines, level, verdict (issue 6, migration).
  if (c.dataplane.monitor_enabled()) out["monitor"] = c.dataplane.monitor_export(port);
  return out;
}

Json cmd_vm_import(Context& c) {
  const Json& state = c.args.object("state");
  if (!state.contains("format") || state.at("format") != kFormat) {
    bad_state(std::string("'format' must be \"") + kFormat + "\"");
  }
  const std::string tenant =
      member(state, "tenant", &Json::is_string, "a string").get<std::string>();
  const Json& vm_state = member(state, "vm", &Json::is_object, "an object");
  std::vector<std::string> refs;
  if (state.contains("policy_refs")) {
    for (const Json& g : member(state, "policy_refs", &Json::is_array, "a list of groups")) {
      if (!g.is_string()) bad_state("'policy_refs' must be a list of group names");
      refs.push_back(g.get<std::string>());
    }
  }
  std::string port;
  if (c.args.has("port")) {
    port = c.args.text("port");
  } else if (vm_state.contains("port") && vm_state.at("port").is_string()) {
    port = vm_state.at("port").get<std::string>();
  } else {
    bad_state("'vm.port' must be a string (or give 'port')");
  }

  YAML::Node vm;
  try {
    vm.reset(json_to_yaml(vm_state));
  } catch (const std::invalid_argument& e) {
    bad_state(std::string("'vm' ") + e.what());
  }
  vm["port"] = port;

  YAML::Node doc = c.running.copy();
  const std::size_t index = tenant_index(doc, tenant);
  check_port_free(c.running.config(), port);
  append_vm(doc, index, vm);
  // Groups that named the VM on the exporting host, where this tenant has them too.
  for (const std::string& group : refs) add_to_group(doc["tenants"][index], group, port);
  c.running.commit(doc);
  if (state.contains("monitor") && !state.at("monitor").is_null() &&
      c.dataplane.monitor_enabled()) {
    std::string error;
    if (!c.dataplane.monitor_import(state.at("monitor"), port, &error)) {
      fail(code::kInvalid, "VM attached, but its monitor state was refused: " + error);
    }
  }
  return vm_result(c.running.config(), port);
}

}  // namespace vigil::control
