#include "control/policy_config.h"

#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "tenancy/cidr.h"

namespace vigil {
namespace {

using detail::Reader;

bool is_name(const std::string& s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

class PolicyReader {
 public:
  PolicyReader(const Reader& r, TenantSpec& spec) : r_(r), spec_(spec) {
    for (const VmSpec& vm : spec.vms) vm_names_.insert(vm.port);
  }

  void groups(const YAML::Node& node, const std::string& where) {
    if (!node.IsMap()) r_.fail(node, where, "expected a mapping of group name to members");
    for (const auto& kv : node) {
      const std::string name = r_.text(kv.first, where);
      if (!is_name(name) || name == "any" || vm_names_.count(name)) {
        r_.fail(kv.first, where + "." + name,
                "a group name is 1-64 of [A-Za-z0-9_-], not 'any' and not a VM port name");
      }
      spec_.policy.groups[name];  // known before members refer to it
    }
    for (const auto& kv : node) {
      const std::string name = kv.first.Scalar();
      spec_.policy.groups[name] = endpoints(kv.second, where + "." + name);
    }
  }

  void policy(const YAML::Node& node, const std::string& where) {
    r_.check_keys(node, where, {"default", "rules"});
    if (const YAML::Node d = node["default"]) {
      const std::string s = r_.text(d, where + ".default");
      if (s == "allow") {
        spec_.policy.default_action = PolicyAction::kAllow;
      } else if (s == "deny") {
        spec_.policy.default_action = PolicyAction::kDeny;
      } else if (s == "reject") {
        spec_.policy.default_action = PolicyAction::kReject;
      } else {
        r_.fail(d, where + ".default", "'" + s + "' is not allow, deny or reject");
      }
    }
    if (const YAML::Node rules = node["rules"]) {
      if (!rules.IsSequence()) r_.fail(rules, where + ".rules", "expected a list of rules");
      for (std::size_t i = 0; i < rules.size(); ++i) {
        spec_.policy.rules.push_back(rule(rules[i], where + ".rules[" + std::to_string(i) + "]"));
      }
    }
  }

 private:
  // A string or a list of strings; each "any", an address or prefix, a VM port or a group.
  std::vector<std::string> endpoints(const YAML::Node& node, const std::string& key) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(endpoint(node, key));
    } else if (node.IsSequence() && node.size() > 0) {
      for (std::size_t i = 0; i < node.size(); ++i) out.push_back(endpoint(node[i], key));
    } else {
      r_.fail(node, key, "expected a name, an address or a non-empty list of them");
    }
    return out;
  }

  std::string endpoint(const YAML::Node& node, const std::string& key) {
    const std::string s = r_.text(node, key);
    if (s == "any" || vm_names_.count(s) || spec_.policy.groups.count(s)) return s;
    if (looks_like_cidr(s)) {
      Cidr c;
      std::string why;
      if (!parse_cidr(s, &c, &why)) r_.fail(node, key, why);
      return s;
    }
    r_.fail(node, key,
            "'" + s + "' is neither 'any', an address, a VM port nor a group of tenant '" +
                spec_.name + "'");
  }

 public:
  // `src_names`: the reader whose tenant the rule's src names belong to (cross-tenant rules).
  PolicyRule rule(const YAML::Node& node, const std::string& where,
                  PolicyReader* src_names = nullptr) {
    if (src_names == nullptr) {
      r_.check_keys(node, where,
                    {"priority", "src", "dst", "proto", "src_port", "dst_port", "icmp_type",
                     "icmp_code", "action"});
    } else {
      r_.check_keys(node, where,
                    {"from", "to", "priority", "src", "dst", "proto", "src_port", "dst_port",
                     "icmp_type", "icmp_code", "action"});
    }
    PolicyRule p;
    p.line = node.Mark().line + 1;
    if (!node["action"]) r_.fail(node, where, "a rule needs 'action'");
    const std::string action = r_.text(node["action"], where + ".action");
    if (action == "allow") {
      p.action = PolicyAction::kAllow;
    } else if (action == "deny") {
      p.action = PolicyAction::kDeny;
    } else if (action == "reject") {
      p.action = PolicyAction::kReject;
    } else if (action == "log") {
      p.action = PolicyAction::kLog;
    } else {
      r_.fail(node["action"], where + ".action",
              "'" + action + "' is not allow, deny, reject or log");
    }
    if (node["priority"]) {
      p.priority = static_cast<int>(r_.number(node["priority"], where + ".priority", 0, 1000000));
    }
    if (node["src"]) {
      p.src = (src_names != nullptr ? *src_names : *this).endpoints(node["src"], where + ".src");
    }
    if (node["dst"]) p.dst = endpoints(node["dst"], where + ".dst");
    if (const YAML::Node proto = node["proto"]) {
      const std::string s = r_.text(proto, where + ".proto");
      if (s == "tcp") {
        p.proto = IPPROTO_TCP;
      } else if (s == "udp") {
        p.proto = IPPROTO_UDP;
      } else if (s == "icmp") {
        p.proto = IPPROTO_ICMP;
      } else if (s == "icmpv6") {
        p.proto = IPPROTO_ICMPV6;
      } else if (s == "any") {
        p.proto = 0;
      } else if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit)) {
        p.proto = static_cast<uint8_t>(r_.number(proto, where + ".proto", 0, 255));
      } else {
        r_.fail(proto, where + ".proto",
                "'" + s + "' is not tcp, udp, icmp, icmpv6, any or a protocol number");
      }
    }
    const bool ports = p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP;
    const bool icmp = p.proto == IPPROTO_ICMP || p.proto == IPPROTO_ICMPV6;
    for (const char* key : {"src_port", "dst_port"}) {
      const YAML::Node n = node[key];
      if (!n) continue;
      if (!ports) r_.fail(n, where + "." + key, "ports need proto tcp or udp");
      const bool src = std::string(key) == "src_port";
      port_range(n, where + "." + key, src ? p.sport_lo : p.dport_lo,
                 src ? p.sport_hi : p.dport_hi);
    }
    for (const char* key : {"icmp_type", "icmp_code"}) {
      const YAML::Node n = node[key];
      if (!n) continue;
      if (!icmp) r_.fail(n, where + "." + key, "needs proto icmp or icmpv6");
      const int v = static_cast<int>(r_.number(n, where + "." + key, 0, 255));
      (std::string(key) == "icmp_type" ? p.icmp_type : p.icmp_code) = v;
    }
    return p;
  }

 private:
  // A port (80) or an inclusive range ("8000-8080").
  void port_range(const YAML::Node& node, const std::string& key, uint16_t& lo, uint16_t& hi) {
    const std::string s = r_.text(node, key);
    const auto dash = s.find('-');
    if (dash == std::string::npos) {
      lo = hi = static_cast<uint16_t>(r_.number(node, key, 0, 65535));
      return;
    }
    auto part = [&](const std::string& t) {
      if (t.empty() || t.size() > 5 || !std::all_of(t.begin(), t.end(), ::isdigit) ||
          std::stoul(t) > 65535) {
        r_.fail(node, key, "'" + s + "' is not a port or a range lo-hi of ports 0..65535");
      }
      return static_cast<uint16_t>(std::stoul(t));
    };
    lo = part(s.substr(0, dash));
    hi = part(s.substr(dash + 1));
    if (lo > hi) r_.fail(node, key, "'" + s + "' is an empty range");
  }

  const Reader& r_;
  TenantSpec& spec_;
  std::set<std::string> vm_names_;
};

}  // namespace

void read_cross_tenant(const Reader& r, const YAML::Node& node, TenancySpec& spec) {
  if (!node.IsSequence()) r.fail(node, "cross_tenant", "expected a list of rules");
  auto tenant = [&](const YAML::Node& n, const std::string& key) -> TenantSpec& {
    if (!n) r.fail(node, key, "a cross-tenant rule needs 'from' and 'to'");
    const std::string name = r.text(n, key);
    for (TenantSpec& t : spec.tenants) {
      if (t.name == name) return t;
    }
    r.fail(n, key, "no tenant '" + name + "'");
  };
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = "cross_tenant[" + std::to_string(i) + "]";
    if (!node[i].IsMap()) r.fail(node[i], where, "expected a rule");
    TenantSpec& from = tenant(node[i]["from"], where + ".from");
    TenantSpec& to = tenant(node[i]["to"], where + ".to");
    if (&from == &to) r.fail(node[i]["to"], where + ".to", "'from' and 'to' are the same tenant");
    PolicyReader src_reader(r, from);
    PolicyReader dst_reader(r, to);
    spec.cross_tenant.push_back(
        CrossTenantRule{from.name, to.name, dst_reader.rule(node[i], where, &src_reader)});
  }
}

void read_tenant_policy(const Reader& r, const YAML::Node& tenant, const std::string& where,
                        TenantSpec& spec) {
  PolicyReader reader(r, spec);
  if (const YAML::Node groups = tenant["groups"]) reader.groups(groups, where + ".groups");
  if (const YAML::Node policy = tenant["policy"]) {
    spec.policy.present = true;
    reader.policy(policy, where + ".policy");
  }
}

}  // namespace vigil
