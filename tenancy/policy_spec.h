// A tenant's firewall policy as the config gives it: named groups of endpoints and an ordered
// list of rules; tenancy/policy_compiler.h turns every tenant's policy into rte_acl contexts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil {

// kLog lets the packet through and records it.
enum class PolicyAction : uint8_t { kAllow, kDeny, kReject, kLog };

struct PolicyRule {
  // Higher wins; among equal priorities the earlier rule wins (the config's default is 0).
  int priority = 0;
  // Each entry: an IPv4/IPv6 CIDR or address, a VM port name of the tenant, a group name, or
  // "any". An empty list means any.
  std::vector<std::string> src, dst;
  uint8_t proto = 0;  // IP protocol number; 0: any
  // Port ranges (TCP/UDP only); for ICMP/ICMPv6 the type and code ranges use the same fields.
  uint16_t sport_lo = 0, sport_hi = 65535;
  uint16_t dport_lo = 0, dport_hi = 65535;
  int icmp_type = -1, icmp_code = -1;  // -1: any
  PolicyAction action = PolicyAction::kAllow;
  int line = 0;  // config line, for logs and errors
};

struct TenantPolicy {
  bool present = false;  // the tenant has a `policy:`: its IP traffic goes through the firewall
  PolicyAction default_action = PolicyAction::kAllow;  // applies when no rule matches
  std::vector<PolicyRule> rules;
  // Group name -> members (CIDRs, VM port names, other group names).
  std::map<std::string, std::vector<std::string>> groups;
};

const char* policy_action_name(PolicyAction action);

}  // namespace vigil
