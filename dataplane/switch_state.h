// Everything about tenancy that the workers read, as one immutable snapshot: tenant lookup and
// bridge domains, anti-spoofing bindings, address owners, the compiled policies. vigild builds
// a new one off the fast path when the control API (or SIGHUP) changes the configuration and
// publishes it with one atomic store; a burst uses the snapshot it loaded at its start, and the
// old one is freed once every worker has passed a quiescent state (RCU, via the ConnTable's).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tenancy/address_owners.h"
#include "tenancy/policy_compiler.h"
#include "tenancy/port_security.h"
#include "tenancy/tenancy_map.h"
#include "tenancy/tenant_spec.h"

namespace vigil {

struct SwitchState {
  std::unique_ptr<TenancyMap> tenancy;
  std::unique_ptr<PortSecurity> security;
  std::unique_ptr<AddressOwners> owners;
  std::unique_ptr<PolicyClassifier> policy;
  std::vector<bool> filtered;  // per tenant: it has a policy
  std::vector<bool> vm_port;   // per port: a VM is attached
  bool cross_tenant = false;   // two tenants or more with bound addresses: owners are checked
};

// Builds the snapshot of `spec` (tenants in their slots, see tenancy_map.h). Throws
// std::runtime_error saying what is wrong (a port bound twice, a policy that does not compile).
std::unique_ptr<SwitchState> build_switch_state(const TenancySpec& spec,
                                                const std::vector<std::string>& port_names);

}  // namespace vigil
