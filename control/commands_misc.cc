// whoami, status, ids.*, stats.*, capture.*, monitor.* (PROTOCOL.md): the commands that read the
// dataplane
// rather than edit the configuration.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "control/commands.h"

namespace vigil::control {
namespace {

// The ports whose counters a tenant's view shows. Operators get their VM ports only: a trunk's
// counters mix every tenant it carries.
std::set<std::string> ports_of(Context& c, const std::string& tenant) {
  const Config& config = c.running.config();
  const TenantSpec& t = *find_tenant(config, tenant);
  if (c.who.role == Role::kOperator) {
    std::set<std::string> vms;
    for (const VmSpec& vm : t.vms) vms.insert(vm.port);
    return vms;
  }
  const std::vector<std::string> ports = tenant_ports(config, t);
  return {ports.begin(), ports.end()};
}

void require_ids(Context& c) {
  if (!c.dataplane.ids_enabled()) {
    fail(code::kUnavailable, "the IDS is not configured (no ids: section in the config)");
  }
}

bool port_exists(const Config& config, const std::string& port) {
  return std::any_of(config.ports.begin(), config.ports.end(),
                     [&](const PortSpec& p) { return p.name == port; });
}

// An operator may capture only its tenant's VM ports (trunks carry other tenants' traffic).
void check_capture_port(Context& c, const std::string& port) {
  if (!port_exists(c.running.config(), port)) fail(code::kNotFound, "no port '" + port + "'");
  if (c.who.role != Role::kOperator) return;
  const TenantSpec* owner = tenant_of_port(c.running.config(), port);
  if (owner == nullptr || owner->name != c.who.tenant) {
    fail(code::kForbidden, "operator of tenant " + c.who.tenant + " may not run " + c.command +
                               " on port " + port + " (only its tenant's VM ports)");
  }
}

}  // namespace

Json cmd_whoami(Context& c) {
  const Json tenant = c.who.tenant.empty() ? Json(nullptr) : Json(c.who.tenant);
  return Json{{"uid", c.who.peer.uid},
              {"gid", c.who.peer.gid},
              {"pid", c.who.peer.pid},
              {"role", role_name(c.who.role)},
              {"tenant", tenant}};
}

Json cmd_status(Context& c) {
  const std::string only = c.scope(false);
  Json out = c.dataplane.status();
  if (!out.is_object()) out = Json::object();
  out["config"] = c.running.path();
  out["ids"] = c.dataplane.ids_enabled();
  Json tenants = Json::array();
  for (const TenantSpec& t : c.running.config().tenancy.tenants) {
    if (only.empty() || t.name == only) tenants.push_back(t.name);
  }
  out["tenants"] = tenants;
  if (!only.empty() && out.contains("ports") && out["ports"].is_array()) {
    const std::set<std::string> mine = ports_of(c, only);
    Json ports = Json::array();
    for (const Json& p : out["ports"]) {
      if (p.is_string() && mine.count(p.get<std::string>())) ports.push_back(p);
    }
    out["ports"] = ports;
  }
  return out;
}

Json cmd_ids_reload(Context& c) {
  require_ids(c);
  Json report;
  std::string error;
  if (!c.dataplane.ids_reload(&report, &error)) {
    fail(code::kInvalid,
         "the IDS rules were not reloaded (" + error + "); the previous rules stay");
  }
  return report;
}

Json cmd_ids_report(Context& c) {
  require_ids(c);
  return c.dataplane.ids_report();
}

Json cmd_ids_stats(Context& c) {
  require_ids(c);
  const Json stats = c.dataplane.stats();
  return stats.contains("ids") ? stats.at("ids") : Json::object();
}

Json cmd_stats_ports(Context& c) {
  const std::string only = c.scope(false);
  const Json stats = c.dataplane.stats();
  const Json ports = stats.contains("ports") ? stats.at("ports") : Json::object();
  if (only.empty()) return ports;
  Json out = Json::object();
  for (const std::string& p : ports_of(c, only)) {
    if (ports.contains(p)) out[p] = ports.at(p);
  }
  return out;
}

Json cmd_stats_drops(Context& c) {
  const std::string only = c.scope(false);
  const Json stats = c.dataplane.stats();
  if (only.empty()) return stats.contains("drops") ? stats.at("drops") : Json::object();
  // Operators see the drops counted on their ports, not the switch's.
  const Json ports = stats.contains("ports") ? stats.at("ports") : Json::object();
  Json out = Json::object();
  for (const std::string& p : ports_of(c, only)) {
    if (!ports.contains(p) || !ports.at(p).contains("drops")) continue;
    for (const auto& [reason, n] : ports.at(p).at("drops").items()) {
      if (!n.is_number_unsigned() && !n.is_number_integer()) continue;
      out[reason] = out.value(reason, uint64_t{0}) + n.get<uint64_t>();
    }
  }
  return out;
}

Json cmd_stats_flows(Context& c) {
  const std::string only = c.scope(false);
  const auto top = c.args.opt_integer("top", 1, 100000).value_or(10);
  return c.dataplane.flows(static_cast<size_t>(top), only);
}

Json cmd_capture_start(Context& c) {
  const std::string port = c.args.text("port");
  const std::string file = c.args.text("file");
  const auto max_packets = c.args.opt_integer("max_packets", 0, INT64_MAX).value_or(0);
  check_capture_port(c, port);
  if (file[0] != '/') fail(code::kBadRequest, "argument 'file' must be an absolute path");
  // No "..", "." or "//" (a symlink inside the directory could otherwise lead elsewhere).
  if (std::filesystem::path(file).lexically_normal().string() != file) {
    fail(code::kBadRequest, "argument 'file' must be a normal absolute path (no '..' or '.')");
  }
  // vigild writes as root: an operator's captures stay in control.capture_dir.
  if (c.who.role == Role::kOperator) {
    const std::string dir = c.running.config().control.capture_dir;
    const std::string norm = std::filesystem::path(file).lexically_normal().string();
    if (dir.empty() || norm.rfind(dir + "/", 0) != 0 ||
        norm.find('/', dir.size() + 1) != std::string::npos) {
      fail(code::kForbidden, "operators capture only to files directly in control.capture_dir (" +
                                 (dir.empty() ? std::string("not set") : dir) + ")");
    }
  }
  // vigild writes as root: never over an existing file or through a symlink.
  struct stat st;
  if (::lstat(file.c_str(), &st) == 0) fail(code::kConflict, file + " exists");
  for (const Json& cap : c.dataplane.capture_list()) {
    if (cap.is_object() && cap.value("port", "") == port) {
      fail(code::kConflict, "port " + port + " is already being captured");
    }
  }
  std::string error;
  if (!c.dataplane.capture_start(port, file, static_cast<uint64_t>(max_packets), &error)) {
    fail(code::kInternal, "cannot capture " + port + " to " + file + ": " + error);
  }
  return Json{{"port", port}, {"file", file}};
}

Json cmd_capture_stop(Context& c) {
  const std::string port = c.args.text("port");
  check_capture_port(c, port);
  // A playbook's forensic capture of a suspect VM is not its tenant's to stop.
  if (c.who.role == Role::kOperator) {
    for (const Json& cap : c.dataplane.capture_list()) {
      if (cap.is_object() && cap.value("port", "") == port && cap.value("by_monitor", false)) {
        fail(code::kForbidden,
             "the capture of " + port + " was started by the monitors (admins only)");
      }
    }
  }
  Json result;
  if (!c.dataplane.capture_stop(port, &result)) {
    fail(code::kNotFound, "port " + port + " is not being captured");
  }
  return result;
}

Json cmd_monitor_status(Context& c) {
  if (!c.dataplane.monitor_enabled()) {
    fail(code::kUnavailable, "the monitors are not configured (no monitor: section in the config)");
  }
  const std::string only = c.scope(false);
  Json all = c.dataplane.monitor_status();
  if (only.empty() || !all.is_object() || !all.contains("vms")) return all;
  Json vms = Json::array();
  for (const Json& vm : all["vms"]) {
    if (vm.is_object() && vm.value("tenant", "") == only) vms.push_back(vm);
  }
  return Json{{"vms", vms}};
}

Json cmd_alerts_list(Context& c) {
  const std::string only = c.scope(false);
  const auto limit = c.args.opt_integer("limit", 1, 10000).value_or(50);
  return c.dataplane.recent_events(static_cast<size_t>(limit), only);
}

Json cmd_monitor_release(Context& c) {
  if (!c.dataplane.monitor_enabled()) {
    fail(code::kUnavailable, "the monitors are not configured (no monitor: section in the config)");
  }
  const std::string vm = c.args.text("vm");
  std::string error;
  if (!c.dataplane.monitor_release(vm, &error)) fail(code::kNotFound, error);
  return Json{{"vm", vm}, {"level", 1}};
}

Json cmd_capture_list(Context& c) {
  Json all = c.dataplane.capture_list();
  if (!all.is_array()) return Json::array();
  if (c.who.role != Role::kOperator) return all;
  Json out = Json::array();
  for (const Json& cap : all) {
    if (!cap.is_object() || !cap.contains("port") || !cap.at("port").is_string()) continue;
    const TenantSpec* owner = tenant_of_port(c.running.config(), cap.at("port").get<std::string>());
    if (owner != nullptr && owner->name == c.who.tenant) out.push_back(cap);
  }
  return out;
}

}  // namespace vigil::control
