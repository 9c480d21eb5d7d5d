// The command table of vigilctl (what each command accepts, its help) and the translation of a
// parsed command line into the protocol request's command and args.
#include "control/cli_commands.h"

#include <filesystem>
#include <map>

#include "control/cli_document.h"

namespace vigil::control::cli {
namespace {

using K = ValueKind;

ArgSpec positional(std::string name, std::string key, std::string help, K kind = K::kString,
                   bool required = true) {
  return ArgSpec{std::move(name), "", std::move(key), kind, required, std::move(help)};
}

ArgSpec option(std::string name, std::string metavar, std::string key, std::string help,
               K kind = K::kString, bool required = false) {
  return ArgSpec{std::move(name), std::move(metavar), std::move(key), kind,
                 required,        std::move(help)};
}

ArgSpec required(std::string name, std::string metavar, std::string key, std::string help,
                 K kind = K::kString) {
  return option(std::move(name), std::move(metavar), std::move(key), std::move(help), kind, true);
}

ArgSpec flag(std::string name, std::string key, K kind, std::string help) {
  return ArgSpec{std::move(name), "", std::move(key), kind, false, std::move(help)};
}

ArgSpec tenant_filter() {
  return option("--tenant", "T", "tenant", "only tenant T (operators: their own tenant)");
}

ArgSpec tenant_positional() {
  return positional("TENANT", "tenant", "the tenant");
}

std::vector<CommandSpec> make_table() {
  std::vector<CommandSpec> t;
  t.push_back({"whoami",
               "",
               "whoami",
               "your uid, gid, pid and role as vigild sees them",
               {},
               {},
               "Allowed to anyone who can open the socket."});
  t.push_back(
      {"status", "", "status", "vigild's version, uptime, workers, ports and tenants", {}, {}, ""});

  t.push_back(
      {"tenant", "list", "tenant.list", "tenants with their VLAN, VMs and policy", {}, {}, ""});
  t.push_back({"tenant",
               "add",
               "tenant.add",
               "add a tenant (no VMs yet)",
               {positional("NAME", "name", "the tenant's name")},
               {required("--vlan", "N", "vlan", "its VLAN, 1..4094, not used by another tenant",
                         K::kCount)},
               ""});
  t.push_back({"tenant",
               "remove",
               "tenant.remove",
               "remove a tenant",
               {positional("NAME", "name", "the tenant's name")},
               {flag("--force", "force", K::kSetTrue,
                     "remove it with its VMs and operators (refused otherwise)")},
               ""});

  const ArgSpec ipv4 =
      option("--ipv4", "A", "ipv4", "a bound IPv4 address (repeat, or A,B)", K::kStrings);
  const ArgSpec ipv6 =
      option("--ipv6", "A", "ipv6", "a bound IPv6 address (repeat, or A,B)", K::kStrings);
  t.push_back({"vm",
               "list",
               "vm.list",
               "VM ports with their MAC, addresses and flags",
               {},
               {tenant_filter()},
               ""});
  t.push_back({"vm",
               "add",
               "vm.add",
               "bind a VM to a free port of a tenant",
               {},
               {required("--tenant", "T", "tenant", "the VM's tenant"),
                required("--port", "P", "port", "the port (a port of vigild's config)"),
                required("--mac", "M", "mac", "the VM's MAC address"), ipv4, ipv6,
                flag("--no-port-security", "port_security", K::kSetFalse,
                     "do not check the VM's source addresses (a router or NAT VM)"),
                flag("--allow-dhcp-server", "allow_dhcp_server", K::kSetTrue,
                     "let the VM send DHCP/DHCPv6 server messages"),
                flag("--allow-router-advertisement", "allow_router_advertisement", K::kSetTrue,
                     "let the VM send IPv6 router advertisements")},
               ""});
  t.push_back({"vm",
               "remove",
               "vm.remove",
               "unbind the VM of a port",
               {},
               {required("--port", "P", "port", "the VM's port")},
               ""});
  t.push_back({"vm",
               "bind",
               "vm.bind",
               "change a VM's MAC or bound addresses",
               {},
               {required("--port", "P", "port", "the VM's port"),
                option("--mac", "M", "mac", "its new MAC address"), ipv4, ipv6,
                flag("--clear-ipv4", "ipv4", K::kClearList, "bind no IPv4 address"),
                flag("--clear-ipv6", "ipv6", K::kClearList, "bind no IPv6 address")},
               "Given --ipv4/--ipv6 lists replace the bound ones; the others are kept."});
  t.push_back({"vm",
               "move",
               "vm.move",
               "move a VM's binding to another port of this host",
               {},
               {required("--port", "P", "port", "the VM's port now"),
                required("--to", "Q", "to", "its new port (free)")},
               ""});
  t.push_back(
      {"vm",
       "export",
       "vm.export",
       "a VM's state, to re-attach it elsewhere",
       {},
       {required("--port", "P", "port", "the VM's port"),
        option("--output", "FILE", "", "write the state to FILE instead of stdout", K::kLocal)},
       "The state (JSON) is what 'vm import --file' takes, here or on another host."});
  t.push_back(
      {"vm",
       "import",
       "vm.import",
       "re-attach a VM from its exported state",
       {},
       {required("--file", "FILE", "state",
                 "the state 'vm export' wrote (JSON or YAML; - for stdin)", K::kDocumentFile),
        option("--port", "P", "port", "attach it to port P (default: its own port)")},
       ""});

  t.push_back({"policy",
               "show",
               "policy.show",
               "a tenant's firewall policy",
               {tenant_positional()},
               {},
               ""});
  t.push_back({"policy",
               "replace",
               "policy.replace",
               "replace a tenant's whole policy at once",
               {tenant_positional()},
               {required("--file", "FILE", "policy",
                         "the policy, YAML or JSON: {default, groups, rules} (- for stdin)",
                         K::kPolicyFile)},
               "FILE may also be the output of 'policy show --json' or a mapping with one "
               "'policy:' key.\nRules use the config's shape (README \"Firewall policy\")."});
  t.push_back(
      {"policy",
       "add-rule",
       "policy.add_rule",
       "add one rule to a tenant's policy",
       {tenant_positional()},
       {required("--rule", "RULE", "rule",
                 "the rule, JSON or YAML, e.g. '{proto: tcp, dst_port: 22, "
                 "action: allow}'",
                 K::kDocumentText),
        option("--position", "N", "position", "insert it at index N (default: append)", K::kCount)},
       ""});
  t.push_back(
      {"policy",
       "remove-rule",
       "policy.remove_rule",
       "remove a rule by its index",
       {tenant_positional(),
        positional("INDEX", "index", "the rule's index ('policy show' numbers them)", K::kCount)},
       {},
       ""});
  t.push_back({"policy",
               "clear",
               "policy.clear",
               "remove a tenant's policy (allow all)",
               {tenant_positional()},
               {},
               ""});

  t.push_back({"ids", "reload", "ids.reload", "reload the IDS rules", {}, {}, ""});
  t.push_back({"ids", "report", "ids.report", "the IDS rule load report", {}, {}, ""});
  t.push_back({"ids", "stats", "ids.stats", "the IDS counters", {}, {}, ""});

  t.push_back({"alerts",
               "list",
               "alerts.list",
               "the latest IDS alerts and monitor events (EVE), oldest first",
               {},
               {tenant_filter(),
                option("--limit", "N", "limit", "at most N events (default 50)", K::kCount)},
               ""});
  t.push_back({"monitor",
               "status",
               "monitor.status",
               "per VM: level, verdict, detections, evidence, limits in force",
               {},
               {tenant_filter()},
               ""});
  t.push_back({"monitor",
               "release",
               "monitor.release",
               "put a suspect VM back to level 1 now, lifting its limits",
               {positional("VM", "vm", "the VM's port name")},
               {},
               ""});

  t.push_back({"stats",
               "ports",
               "stats.ports",
               "per-port packets, bytes, drops and link",
               {},
               {tenant_filter()},
               ""});
  t.push_back({"stats",
               "drops",
               "stats.drops",
               "drops by reason (non-zero ones)",
               {},
               {tenant_filter()},
               ""});
  t.push_back({"stats",
               "flows",
               "stats.flows",
               "tracked connections, most bytes first",
               {},
               {option("--top", "N", "top", "at most N (default 10)", K::kCount), tenant_filter()},
               ""});

  t.push_back(
      {"capture",
       "start",
       "capture.start",
       "capture a port's frames to a pcapng file",
       {},
       {required("--port", "P", "port", "the port"),
        required("--file", "F", "file",
                 "the pcapng file vigild writes (relative: to the current directory)", K::kPath),
        option("--max-packets", "N", "max_packets", "stop after N frames (0: no limit)",
               K::kCount)},
       ""});
  t.push_back({"capture",
               "stop",
               "capture.stop",
               "stop capturing a port",
               {},
               {required("--port", "P", "port", "the port")},
               ""});
  t.push_back({"capture", "list", "capture.list", "running captures", {}, {}, ""});

  t.push_back(
      {"raw",
       "",
       "",
       "send any request; prints the result as JSON",
       {positional("COMMAND", "", "the protocol command, e.g. tenant.list", K::kCommandName),
        positional("JSON_ARGS", "", "its args, a JSON (or YAML) object", K::kArgsObject, false)},
       {},
       "For scripts: COMMAND and JSON_ARGS are sent as they are (control/PROTOCOL.md)."});
  return t;
}

// The request being built, and which argument set each of its keys (to name clashes).
struct Builder {
  BuiltRequest* out;
  std::map<std::string, std::string> owner;
  std::string cwd;
  std::string* error;

  bool add_key(const ArgSpec& spec, const std::string& key, Json value) {
    const auto it = owner.find(key);
    if (it != owner.end() && it->second != spec.name) {
      *error =
          it->second + " and " + spec.name + " cannot be used together (both set '" + key + "')";
      return false;
    }
    if (it != owner.end()) {
      *error = spec.name + " sets '" + key + "' twice";
      return false;
    }
    owner[key] = spec.name;
    out->args[key] = std::move(value);
    return true;
  }
};

// The mapping a policy file holds: {default, groups, rules}, also when wrapped as {policy: ...}
// or when it is `policy show --json` output (whose "present" is not part of a policy).
Json normalize_policy(Json doc) {
  if (doc.is_object() && doc.size() == 1 && doc.contains("policy") && doc["policy"].is_object()) {
    doc = doc["policy"];
  }
  if (doc.is_object() && doc.contains("present") && doc["present"].is_boolean()) {
    doc.erase("present");
  }
  return doc;
}

bool mapping(const Json& doc, const ArgSpec& spec, const std::string& origin, std::string* error) {
  if (doc.is_object()) return true;
  *error = spec.name + ": " + origin + ": expected a mapping ({...}), not " +
           std::string(doc.type_name());
  return false;
}

bool apply_value(const ArgSpec& spec, const std::string& text, Builder& b) {
  Json& args = b.out->args;
  std::string* error = b.error;
  switch (spec.kind) {
    case K::kString:
      return b.add_key(spec, spec.key, text);
    case K::kPath: {
      if (text.empty()) {
        *error = spec.name + ": empty file name";
        return false;
      }
      std::filesystem::path p(text);
      if (p.is_relative()) p = (std::filesystem::path(b.cwd) / p).lexically_normal();
      return b.add_key(spec, spec.key, p.string());
    }
    case K::kCount: {
      unsigned long long v = 0;
      if (!parse_count(text, &v)) {
        *error = spec.name + ": expected a non-negative integer, not '" + text + "'";
        return false;
      }
      return b.add_key(spec, spec.key, v);
    }
    case K::kStrings: {
      // Several values of one option accumulate in one list.
      const auto owner = b.owner.find(spec.key);
      if ((owner == b.owner.end() || owner->second != spec.name) &&
          !b.add_key(spec, spec.key, Json::array())) {
        return false;
      }
      size_t start = 0;
      while (true) {
        const size_t comma = text.find(',', start);
        const std::string item = text.substr(start, comma - start);
        if (item.empty()) {
          *error = spec.name + ": empty value in '" + text + "'";
          return false;
        }
        args[spec.key].push_back(item);
        if (comma == std::string::npos) return true;
        start = comma + 1;
      }
    }
    case K::kSetTrue:
      return b.add_key(spec, spec.key, true);
    case K::kSetFalse:
      return b.add_key(spec, spec.key, false);
    case K::kClearList:
      return b.add_key(spec, spec.key, Json::array());
    case K::kDocumentFile:
    case K::kPolicyFile: {
      Json doc;
      if (!read_document_file(text, &doc, error)) {
        *error = spec.name + ": " + *error;
        return false;
      }
      if (spec.kind == K::kPolicyFile) doc = normalize_policy(std::move(doc));
      return mapping(doc, spec, text, error) && b.add_key(spec, spec.key, std::move(doc));
    }
    case K::kDocumentText: {
      Json doc;
      if (!parse_document(text, spec.name, &doc, error)) return false;
      return mapping(doc, spec, "'" + text + "'", error) &&
             b.add_key(spec, spec.key, std::move(doc));
    }
    case K::kArgsObject: {
      Json doc;
      if (!parse_document(text, spec.name, &doc, error)) return false;
      if (!mapping(doc, spec, "'" + text + "'", error)) return false;
      for (auto& [k, v] : doc.items()) {
        if (!b.add_key(spec, k, v)) return false;
      }
      return true;
    }
    case K::kCommandName:
      if (text.empty()) {
        *error = spec.name + ": empty command";
        return false;
      }
      b.out->command = text;
      return true;
    case K::kLocal:
      return true;
  }
  return true;
}

}  // namespace

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = make_table();
  return table;
}

bool build_request(const Invocation& inv, const std::string& cwd, BuiltRequest* out,
                   std::string* error) {
  *out = BuiltRequest{};
  out->command = inv.spec->command;
  Builder b{out, {}, cwd, error};
  for (const auto* group : {&inv.spec->positionals, &inv.spec->options}) {
    for (const ArgSpec& spec : *group) {
      const auto it = inv.values.find(spec.name);
      if (it == inv.values.end()) continue;
      for (const std::string& text : it->second) {
        if (!apply_value(spec, text, b)) return false;
      }
    }
  }
  return true;
}

}  // namespace vigil::control::cli
