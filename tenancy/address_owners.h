// Which tenant's VMs an IP address is bound to: the firewall's test for traffic arriving in one
// tenant from another tenant's VM (routed in through a trunk). Built once; lookups are binary
// searches over a few sorted entries per VM.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "dataplane/packet_meta.h"
#include "tenancy/tenant_spec.h"

namespace vigil {

class AddressOwners {
 public:
  explicit AddressOwners(const TenancySpec& spec);

  // The tenant whose VM sent `src` into tenant `tenant`, when that is another tenant: kNoTenant
  // if the address is no VM's, or is bound in `tenant` itself (overlapping address spaces are
  // given the benefit of the doubt).
  uint16_t foreign_owner(uint16_t tenant, bool v4, const uint8_t* src) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<std::pair<uint32_t, uint16_t>> v4_;  // address (host order), tenant; sorted
  std::vector<std::pair<std::array<uint8_t, 16>, uint16_t>> v6_;
};

}  // namespace vigil
