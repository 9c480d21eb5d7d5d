#include "control/ids_config.h"

#include <algorithm>

#include "control/config_reader.h"
#include "ids/eve_writer.h"

namespace vigil {
namespace {

void read_vars(const detail::Reader& r, const YAML::Node& node, const std::string& where,
               std::map<std::string, std::string>& out) {
  if (!node.IsMap()) r.fail(node, where, "expected a mapping of NAME: value");
  for (const auto& kv : node) {
    const std::string name = kv.first.as<std::string>();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        })) {
      r.fail(kv.first, where + "." + name, "a variable name is letters, digits and '_'");
    }
    out[name] = r.text(kv.second, where + "." + name);
  }
}

}  // namespace

void read_ids(const detail::Reader& r, const YAML::Node& node,
              const std::vector<std::string>& tenants, IdsSettings& s) {
  r.check_keys(node, "ids",
               {"rules", "classification", "vars", "tenants", "eve", "syslog", "flows",
                "stream_buffer", "stream_buffers", "eve_queue"});
  s.enabled = true;
  const YAML::Node rules = node["rules"];
  if (!rules || !rules.IsSequence() || rules.size() == 0) {
    r.fail(rules ? rules : node, "ids.rules", "expected a non-empty list of rule files");
  }
  for (std::size_t i = 0; i < rules.size(); ++i) s.rules.push_back(r.path(rules[i], "ids.rules"));
  if (node["classification"])
    s.classification = r.path(node["classification"], "ids.classification");
  if (const YAML::Node vars = node["vars"]) {
    r.check_keys(vars, "ids.vars", {"address", "port"});
    if (vars["address"]) read_vars(r, vars["address"], "ids.vars.address", s.address_vars);
    if (vars["port"]) read_vars(r, vars["port"], "ids.vars.port", s.port_vars);
  }
  if (const YAML::Node t = node["tenants"]) {
    if (!t.IsSequence()) r.fail(t, "ids.tenants", "expected a list of tenants");
    for (std::size_t i = 0; i < t.size(); ++i) {
      const std::string name = r.text(t[i], "ids.tenants");
      if (std::find(tenants.begin(), tenants.end(), name) == tenants.end()) {
        r.fail(t[i], "ids.tenants", "no tenant '" + name + "'");
      }
      s.tenants.push_back(name);
    }
  }
  if (node["eve"]) s.eve = r.path(node["eve"], "ids.eve");
  if (node["syslog"]) {
    s.syslog = r.text(node["syslog"], "ids.syslog");
    if (ids::EveSyslogSink::Options o; !ids::parse_syslog_spec(s.syslog, &o)) {
      r.fail(node["syslog"], "ids.syslog", "expected unix:/path, udp:host:port or tcp:host:port");
    }
  }
  if (node["flows"]) s.flows = r.number(node["flows"], "ids.flows", 64, 1 << 24);
  if (node["stream_buffer"]) {
    s.stream_buffer = r.number(node["stream_buffer"], "ids.stream_buffer", 2048, 1 << 20);
  }
  if (node["stream_buffers"]) {
    s.stream_buffers = r.number(node["stream_buffers"], "ids.stream_buffers", 64, 1 << 22);
  }
  if (node["eve_queue"]) s.eve_queue = r.number(node["eve_queue"], "ids.eve_queue", 64, 1 << 20);
}

}  // namespace vigil
