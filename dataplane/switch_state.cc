#include "dataplane/switch_state.h"

#include <stdexcept>

namespace vigil {

std::unique_ptr<SwitchState> build_switch_state(const TenancySpec& spec,
                                                const std::vector<std::string>& port_names) {
  auto s = std::make_unique<SwitchState>();
  try {
    s->tenancy = std::make_unique<TenancyMap>(spec, port_names);
    s->security = std::make_unique<PortSecurity>(spec, port_names);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  s->owners = std::make_unique<AddressOwners>(spec);
  std::string error;
  s->policy = PolicyClassifier::build(spec, &error);
  if (!s->policy) throw std::runtime_error("policy: " + error);
  unsigned named = 0;
  for (const TenantSpec& t : spec.tenants) {
    s->filtered.push_back(t.policy.present);
    named += t.name.empty() ? 0 : 1;
  }
  s->cross_tenant = named > 1 && !s->owners->empty();
  s->vm_port.assign(port_names.size(), false);
  for (const TenantSpec& t : spec.tenants) {
    for (const VmSpec& vm : t.vms) {
      for (size_t p = 0; p < port_names.size(); ++p) {
        if (port_names[p] == vm.port) s->vm_port[p] = true;
      }
    }
  }
  return s;
}

}  // namespace vigil
