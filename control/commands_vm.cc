// vm.list, vm.add, vm.remove, vm.bind, vm.move (PROTOCOL.md); vm.export and vm.import are in
// commands_vm_transfer.cc.
#include "control/commands.h"
#include "control/vm_edit.h"

namespace vigil::control {
namespace {

YAML::Node address_list(const std::vector<std::string>& addresses) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const std::string& a : addresses) list.push_back(a);
  return list;
}

// Sets (or, for an empty list, removes) the address list `key` of `vm` from argument `key`.
void set_addresses(Context& c, YAML::Node vm, const char* key) {
  const auto given = c.args.opt_texts(key);
  if (!given) return;
  if (given->empty()) {
    vm.remove(key);
  } else {
    vm[key] = address_list(*given);
  }
}

}  // namespace

Json cmd_vm_list(Context& c) {
  const std::string only = c.scope(false);
  Json out = Json::array();
  for (const TenantSpec& t : c.running.config().tenancy.tenants) {
    if (!only.empty() && t.name != only) continue;
    for (const VmSpec& vm : t.vms) {
      Json j = vm_json(vm);
      j["tenant"] = t.name;
      out.push_back(std::move(j));
    }
  }
  return out;
}

Json cmd_vm_add(Context& c) {
  const std::string tenant = c.args.text("tenant");
  const std::string port = c.args.text("port");
  const std::string mac = c.args.text("mac");  // its format is the config's to check
  YAML::Node doc = c.running.copy();
  const std::size_t index = tenant_index(doc, tenant);
  check_port_free(c.running.config(), port);

  YAML::Node vm(YAML::NodeType::Map);
  vm["port"] = port;
  vm["mac"] = mac;
  set_addresses(c, vm, "ipv4");
  set_addresses(c, vm, "ipv6");
  for (const char* flag : {"port_security", "allow_dhcp_server", "allow_router_advertisement"}) {
    if (const auto v = c.args.opt_flag(flag)) vm[flag] = std::string(*v ? "true" : "false");
  }
  append_vm(doc, index, vm);
  c.running.commit(doc);
  return vm_result(c.running.config(), port);
}

Json cmd_vm_remove(Context& c) {
  const std::string port = c.args.text("port");
  YAML::Node doc = c.running.copy();
  const VmLocation at = locate_vm(doc, port);
  YAML::Node tenant = doc["tenants"][at.tenant];
  // Rules that name the port directly stay, and the config check refuses the removal, naming
  // the rule: dropping the name could widen a rule (an empty src is "any").
  remove_from_groups(tenant, at.tenant_name, port);
  const YAML::Node vms = tenant["vms"];
  const YAML::Node rest =
      filtered(vms, [&](const YAML::Node& vm) { return scalar_at(vm, "port") != port; });
  if (rest.size() == 0) {
    tenant.remove("vms");
  } else {
    tenant["vms"] = rest;
  }
  c.running.commit(doc);
  return Json::object();
}

Json cmd_vm_bind(Context& c) {
  const std::string port = c.args.text("port");
  // Check every argument before touching the document.
  const auto mac = c.args.opt_text("mac");
  c.args.opt_texts("ipv4");
  c.args.opt_texts("ipv6");
  YAML::Node doc = c.running.copy();
  const VmLocation at = locate_vm(doc, port);
  YAML::Node vm = doc["tenants"][at.tenant]["vms"][at.vm];
  if (mac) vm["mac"] = *mac;
  set_addresses(c, vm, "ipv4");
  set_addresses(c, vm, "ipv6");
  c.running.commit(doc);
  return vm_result(c.running.config(), port);
}

Json cmd_vm_move(Context& c) {
  const std::string port = c.args.text("port");
  const std::string to = c.args.text("to");
  YAML::Node doc = c.running.copy();
  const VmLocation at = locate_vm(doc, port);
  if (to == port) return vm_result(c.running.config(), port);
  check_port_free(c.running.config(), to);
  YAML::Node vm = doc["tenants"][at.tenant]["vms"][at.vm];
  vm["port"] = to;
  // The policy names the VM by its port: the names follow it.
  rename_port_refs(doc, at.tenant, at.tenant_name, port, to);
  c.running.commit(doc);
  return vm_result(c.running.config(), to);
}

}  // namespace vigil::control
