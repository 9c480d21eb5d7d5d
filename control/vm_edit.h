// Edits of VM ports in the config document shared by vm.* commands (commands_vm*.cc): where a
// VM's node is, whether a port is free for a VM, and keeping the tenant's policy names in step
// when a VM goes away or changes port. Internal to the control service.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "control/commands.h"

namespace vigil::control {

// The VM on `port` in the document: tenants[tenant].vms[vm]. not_found when no VM uses the port.
struct VmLocation {
  std::size_t tenant = 0;
  std::size_t vm = 0;
  std::string tenant_name;
};
VmLocation locate_vm(const YAML::Node& doc, const std::string& port);

// conflict unless `port` is in `ports:` and neither a VM's nor a trunk's.
void check_port_free(const Config& config, const std::string& port);

// Appends `vm` to tenant `tenant_index`'s `vms:` list of `doc`.
void append_vm(YAML::Node doc, std::size_t tenant_index, const YAML::Node& vm);

// Takes `port` out of the member lists of the tenant's groups; conflict when a group would be
// left empty (an empty group is not a group).
void remove_from_groups(YAML::Node tenant, const std::string& tenant_name, const std::string& port);

// Renames VM port `from` to `to` wherever tenant `tenant_name`'s names are used: its groups'
// members, its policy rules' src/dst, and cross_tenant rules (src when from it, dst when to it).
void rename_port_refs(YAML::Node doc, std::size_t tenant_index, const std::string& tenant_name,
                      const std::string& from, const std::string& to);

// The names of the tenant's groups that list `port` as a member.
Json groups_naming(const YAML::Node& tenant, const std::string& port);

// The VM on `port` as vm.list shows it, from the running Config.
Json vm_result(const Config& config, const std::string& port);

}  // namespace vigil::control
