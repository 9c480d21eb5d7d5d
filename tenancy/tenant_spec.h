// The declarative description of tenants, their VM ports and trunks, as the config gives it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tenancy/policy_spec.h"

namespace vigil {

using MacAddress = std::array<uint8_t, 6>;

struct VmSpec {
  std::string port;  // name of the port the VM is attached to
  MacAddress mac{};
  std::vector<std::array<uint8_t, 4>> ipv4;
  std::vector<std::array<uint8_t, 16>> ipv6;
  bool port_security = true;                // drop frames whose source is not the above
  bool allow_dhcp_server = false;           // may send DHCP / DHCPv6 server messages
  bool allow_router_advertisement = false;  // may send IPv6 router advertisements
};

struct TenantSpec {
  std::string name;
  uint16_t vlan = 0;  // 1..4094
  std::vector<VmSpec> vms;
  TenantPolicy policy;  // no `policy:` in the config: allow everything
};

struct TrunkSpec {
  std::string port;
  uint16_t native_vlan = 0;          // 0: untagged frames are refused
  std::vector<std::string> allowed;  // tenant names carried; empty: all
};

// Traffic from one tenant's VMs into another tenant (it can only come routed, through a trunk)
// is denied unless a rule here allows it. src names are `from`'s, dst names `to`'s.
struct CrossTenantRule {
  std::string from, to;
  PolicyRule rule;
};

struct TenancySpec {
  std::vector<TenantSpec> tenants;
  std::vector<TrunkSpec> trunks;
  std::vector<CrossTenantRule> cross_tenant;
  // The hypervisor's own and its management addresses: never reachable from a VM port.
  std::vector<std::array<uint8_t, 4>> host_ipv4;
  std::vector<std::array<uint8_t, 16>> host_ipv6;
};

}  // namespace vigil
