// The control service's commands (PROTOCOL.md "Commands"), one function per command, grouped by
// noun in commands_*.cc; control_service.cc routes requests to them after authorization.
// Internal to the control service.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/command_error.h"
#include "control/control_types.h"
#include "control/dataplane_control.h"
#include "control/running_config.h"

namespace vigil::control {

// Typed access to a request's `args`. An ill-typed or missing argument is `bad_request` naming
// it; a null optional argument counts as absent.
class Args {
 public:
  explicit Args(const Json& args) : args_(args) {}

  bool has(const char* name) const;
  std::string text(const char* name) const;  // required, non-empty
  std::optional<std::string> opt_text(const char* name) const;
  int64_t integer(const char* name, int64_t lo, int64_t hi) const;  // required
  std::optional<int64_t> opt_integer(const char* name, int64_t lo, int64_t hi) const;
  std::optional<bool> opt_flag(const char* name) const;
  std::optional<std::vector<std::string>> opt_texts(const char* name) const;  // list of strings
  const Json& object(const char* name) const;                                 // required
  const Json& raw(const char* name) const;  // any JSON; null when absent

 private:
  const Json& args_;
};

// What a command sees: the caller, its arguments, the running configuration and the dataplane.
struct Context {
  const std::string& command;
  const Identity& who;
  Args args;
  RunningConfig& running;
  DataplaneControl& dataplane;

  bool admin() const { return who.role == Role::kAdmin; }
  // The tenant a tenant-scoped command acts on: the `tenant` argument, checked against the
  // operator's own (forbidden otherwise); an operator without it gets its own. Admins without it
  // get "" (all tenants) unless `required`. A named tenant must exist (not_found).
  std::string scope(bool required) const;
  // Refuses (forbidden) an operator acting on tenant `tenant`.
  void check_tenant(const std::string& tenant) const;
};

// Helpers over the running document and Config shared by the command files.
const TenantSpec* find_tenant(const Config& config, const std::string& name);
// The tenant owning VM port `port`, or nullptr.
const TenantSpec* tenant_of_port(const Config& config, const std::string& port);
const VmSpec* find_vm(const TenantSpec& tenant, const std::string& port);
// The index of tenant `name` in the document's `tenants:` list; not_found when absent.
std::size_t tenant_index(const YAML::Node& doc, const std::string& name);
// The VM ports of `tenant` and the trunks carrying it: what an operator of it may see counted.
std::vector<std::string> tenant_ports(const Config& config, const TenantSpec& tenant);
// A sequence holding the elements of `seq` for which keep(element) is true (yaml-cpp cannot
// remove from a sequence in place).
template <typename Keep>
YAML::Node filtered(const YAML::Node& seq, Keep keep) {
  YAML::Node out(YAML::NodeType::Sequence);
  if (!seq || !seq.IsSequence()) return out;
  for (const YAML::Node& item : seq) {
    if (keep(item)) out.push_back(item);
  }
  return out;
}
// The scalar at `node[key]`, or "" when it is absent or not a scalar.
std::string scalar_at(const YAML::Node& node, const char* key);

// JSON of a parsed VM (vm.list's shape, without the tenant).
Json vm_json(const VmSpec& vm);

// whoami, status, ids.*, stats.*, capture.*, monitor.* (commands_misc.cc)
Json cmd_whoami(Context& c);
Json cmd_status(Context& c);
Json cmd_ids_reload(Context& c);
Json cmd_ids_report(Context& c);
Json cmd_ids_stats(Context& c);
Json cmd_stats_ports(Context& c);
Json cmd_stats_drops(Context& c);
Json cmd_stats_flows(Context& c);
Json cmd_capture_start(Context& c);
Json cmd_capture_stop(Context& c);
Json cmd_capture_list(Context& c);
Json cmd_monitor_status(Context& c);
Json cmd_alerts_list(Context& c);
Json cmd_monitor_release(Context& c);

// tenant.* (commands_tenant.cc)
Json cmd_tenant_list(Context& c);
Json cmd_tenant_add(Context& c);
Json cmd_tenant_remove(Context& c);

// vm.* (commands_vm.cc, commands_vm_transfer.cc)
Json cmd_vm_list(Context& c);
Json cmd_vm_add(Context& c);
Json cmd_vm_remove(Context& c);
Json cmd_vm_bind(Context& c);
Json cmd_vm_move(Context& c);
Json cmd_vm_export(Context& c);
Json cmd_vm_import(Context& c);

// policy.* (commands_policy.cc)
Json cmd_policy_show(Context& c);
Json cmd_policy_replace(Context& c);
Json cmd_policy_add_rule(Context& c);
Json cmd_policy_remove_rule(Context& c);
Json cmd_policy_clear(Context& c);

}  // namespace vigil::control
