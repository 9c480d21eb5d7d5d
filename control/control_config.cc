#include "control/control_config.h"

#include <algorithm>

#include "control/config_reader.h"

namespace vigil {
namespace {

Principals read_principals(const detail::Reader& r, const YAML::Node& node,
                           const std::string& where) {
  r.check_keys(node, where, {"uids", "groups", "tenant"});
  Principals p;
  if (const YAML::Node uids = node["uids"]) {
    if (!uids.IsSequence()) r.fail(uids, where + ".uids", "expected a list of user ids");
    for (std::size_t i = 0; i < uids.size(); ++i) {
      p.uids.push_back(static_cast<uid_t>(r.number(uids[i], where + ".uids", 0, 0xfffffffe)));
    }
  }
  if (const YAML::Node groups = node["groups"]) {
    if (!groups.IsSequence()) r.fail(groups, where + ".groups", "expected a list of groups");
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const std::string g = r.text(groups[i], where + ".groups");
      if (g.empty()) r.fail(groups[i], where + ".groups", "empty group name");
      p.groups.push_back(g);
    }
  }
  return p;
}

}  // namespace

void read_control(const detail::Reader& r, const YAML::Node& node,
                  const std::vector<std::string>& tenants, ControlSettings& s) {
  r.check_keys(node, "control",
               {"socket", "audit", "capture_dir", "admins", "operators", "max_clients",
                "max_request_bytes"});
  s.enabled = true;
  if (!node["socket"]) r.fail(node, "control", "a control section needs 'socket'");
  s.socket = r.path(node["socket"], "control.socket");
  if (node["audit"]) s.audit = r.path(node["audit"], "control.audit");
  if (node["capture_dir"]) s.capture_dir = r.path(node["capture_dir"], "control.capture_dir");
  if (node["max_clients"]) {
    s.max_clients =
        static_cast<uint32_t>(r.number(node["max_clients"], "control.max_clients", 1, 1024));
  }
  if (node["max_request_bytes"]) {
    s.max_request_bytes = static_cast<uint32_t>(
        r.number(node["max_request_bytes"], "control.max_request_bytes", 1024, 64 << 20));
  }
  if (const YAML::Node admins = node["admins"]) {
    s.admins = read_principals(r, admins, "control.admins");
  }
  if (const YAML::Node ops = node["operators"]) {
    if (!ops.IsSequence()) r.fail(ops, "control.operators", "expected a list of operators");
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const std::string where = "control.operators[" + std::to_string(i) + "]";
      if (!ops[i]["tenant"]) r.fail(ops[i], where, "an operator needs 'tenant'");
      OperatorSpec op;
      op.tenant = r.text(ops[i]["tenant"], where + ".tenant");
      if (std::find(tenants.begin(), tenants.end(), op.tenant) == tenants.end()) {
        r.fail(ops[i]["tenant"], where + ".tenant", "no tenant '" + op.tenant + "'");
      }
      op.who = read_principals(r, ops[i], where);
      s.operators.push_back(std::move(op));
    }
  }
}

}  // namespace vigil
