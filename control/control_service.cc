// Routing and authorization of control requests (control_service.h); the commands themselves
// are in commands_*.cc.
#include "control/control_service.h"

#include <algorithm>
#include <map>
#include <vector>

#include "control/commands.h"

namespace vigil::control {
namespace {

// PROTOCOL.md "Who may do what": kTenant commands are open to operators, scoped to their tenant.
enum class Access { kAnyone, kTenant, kAdmin };

struct CommandSpec {
  Access access;
  Json (*run)(Context&);
  std::vector<std::string> args;  // the arguments it takes; others are refused
};

const std::map<std::string, CommandSpec>& commands() {
  static const std::map<std::string, CommandSpec> table = {
      {"whoami", {Access::kAnyone, cmd_whoami, {}}},
      {"status", {Access::kTenant, cmd_status, {"tenant"}}},
      {"tenant.list", {Access::kTenant, cmd_tenant_list, {"tenant"}}},
      {"tenant.add", {Access::kAdmin, cmd_tenant_add, {"name", "vlan"}}},
      {"tenant.remove", {Access::kAdmin, cmd_tenant_remove, {"name", "force"}}},
      {"vm.list", {Access::kTenant, cmd_vm_list, {"tenant"}}},
      {"vm.add",
       {Access::kAdmin,
        cmd_vm_add,
        {"tenant", "port", "mac", "ipv4", "ipv6", "port_security", "allow_dhcp_server",
         "allow_router_advertisement"}}},
      {"vm.remove", {Access::kAdmin, cmd_vm_remove, {"port"}}},
      {"vm.bind", {Access::kAdmin, cmd_vm_bind, {"port", "mac", "ipv4", "ipv6"}}},
      {"vm.move", {Access::kAdmin, cmd_vm_move, {"port", "to"}}},
      {"vm.export", {Access::kAdmin, cmd_vm_export, {"port"}}},
      {"vm.import", {Access::kAdmin, cmd_vm_import, {"state", "port"}}},
      {"policy.show", {Access::kTenant, cmd_policy_show, {"tenant"}}},
      {"policy.replace", {Access::kTenant, cmd_policy_replace, {"tenant", "policy"}}},
      {"policy.add_rule", {Access::kTenant, cmd_policy_add_rule, {"tenant", "rule", "position"}}},
      {"policy.remove_rule", {Access::kTenant, cmd_policy_remove_rule, {"tenant", "index"}}},
      {"policy.clear", {Access::kTenant, cmd_policy_clear, {"tenant"}}},
      {"ids.reload", {Access::kAdmin, cmd_ids_reload, {}}},
      {"ids.report", {Access::kAdmin, cmd_ids_report, {}}},
      {"ids.stats", {Access::kAdmin, cmd_ids_stats, {}}},
      {"stats.ports", {Access::kTenant, cmd_stats_ports, {"tenant"}}},
      {"stats.drops", {Access::kTenant, cmd_stats_drops, {"tenant"}}},
      {"stats.flows", {Access::kTenant, cmd_stats_flows, {"top", "tenant"}}},
      {"capture.start", {Access::kTenant, cmd_capture_start, {"port", "file", "max_packets"}}},
      {"capture.stop", {Access::kTenant, cmd_capture_stop, {"port"}}},
      {"capture.list", {Access::kTenant, cmd_capture_list, {}}},
      {"monitor.status", {Access::kTenant, cmd_monitor_status, {"tenant"}}},
      {"alerts.list", {Access::kTenant, cmd_alerts_list, {"tenant", "limit"}}},
      {"monitor.release", {Access::kAdmin, cmd_monitor_release, {"vm"}}},
  };
  return table;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Refuses `who` running `command` (forbidden), saying which role was found and what is needed.
void authorize(const std::string& command, Access access, const Identity& who) {
  if (access == Access::kAnyone || who.role == Role::kAdmin) return;
  const char* needs = access == Access::kAdmin ? "admins only" : "admins and tenant operators";
  if (who.role == Role::kNone) {
    fail(code::kForbidden,
         "uid " + std::to_string(who.peer.uid) + " has no role (" + command + ": " + needs + ")");
  }
  if (access == Access::kAdmin) {
    fail(code::kForbidden,
         "operator of tenant " + who.tenant + " may not run " + command + " (" + needs + ")");
  }
}

void check_args(const std::string& command, const Json& args,
                const std::vector<std::string>& known) {
  if (!args.is_object()) fail(code::kBadRequest, "'args' must be an object");
  for (const auto& [name, value] : args.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      fail(code::kBadRequest, "unknown argument '" + name + "' for " + command + " (expected: " +
                                  (known.empty() ? std::string("none") : join(known)) + ")");
    }
  }
}

}  // namespace

ControlService::ControlService(StateStore store, const std::string& config_text,
                               DataplaneControl& dataplane, const GroupDirectory& groups)
    : running_(std::move(store), config_text, dataplane), dataplane_(dataplane), groups_(groups) {}

std::unique_ptr<ControlService> ControlService::open(const std::string& path,
                                                     DataplaneControl& dataplane) {
  std::string text, error;
  if (!read_file(path, &text, &error)) throw ConfigError(error);
  return std::make_unique<ControlService>(StateStore(path), text, dataplane);
}

Identity ControlService::identify(const Peer& peer) {
  return control::identify(peer, running_.config().control, groups_);
}

Response ControlService::handle(const Request& request, const Identity& who) {
  const std::string& command = request.command;
  try {
    const auto it = commands().find(command);
    if (it == commands().end()) fail(code::kUnknownCommand, "no command '" + command + "'");
    authorize(command, it->second.access, who);
    const Json args = request.args.is_null() ? Json::object() : request.args;
    check_args(command, args, it->second.args);
    Context context{command, who, Args(args), running_, dataplane_};
    if (it->second.access != Access::kAnyone && who.role == Role::kOperator &&
        find_tenant(running_.config(), who.tenant) == nullptr) {
      fail(code::kForbidden, "operator of tenant " + who.tenant + ", which no longer exists");
    }
    return Response::success(request.id, it->second.run(context));
  } catch (const CommandError& e) {
    return Response::failure(request.id, e.code(), e.what());
  } catch (const std::exception& e) {
    return Response::failure(request.id, code::kInternal, command + " failed: " + e.what());
  }
}

}  // namespace vigil::control
