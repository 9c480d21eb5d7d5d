#include "tenancy/address_owners.h"

#include <algorithm>
#include <cstring>

namespace vigil {
namespace {

template <typename Entries, typename Key>
uint16_t foreign(const Entries& entries, const Key& key, uint16_t tenant) {
  auto it = std::lower_bound(entries.begin(), entries.end(), std::make_pair(key, uint16_t{0}));
  uint16_t other = kNoTenant;
  for (; it != entries.end() && it->first == key; ++it) {
    if (it->second == tenant) return kNoTenant;
    if (other == kNoTenant) other = it->second;
  }
  return other;
}

}  // namespace

AddressOwners::AddressOwners(const TenancySpec& spec) {
  for (uint16_t t = 0; t < spec.tenants.size(); ++t) {
    for (const VmSpec& vm : spec.tenants[t].vms) {
      for (const auto& a : vm.ipv4) {
        v4_.emplace_back(uint32_t(a[0]) << 24 | uint32_t(a[1]) << 16 | uint32_t(a[2]) << 8 | a[3],
                         t);
      }
      for (const auto& a : vm.ipv6) v6_.emplace_back(a, t);
    }
  }
  std::sort(v4_.begin(), v4_.end());
  std::sort(v6_.begin(), v6_.end());
}

uint16_t AddressOwners::foreign_owner(uint16_t tenant, bool v4, const uint8_t* src) const {
  if (v4) {
    const uint32_t a =
        uint32_t(src[0]) << 24 | uint32_t(src[1]) << 16 | uint32_t(src[2]) << 8 | src[3];
    return foreign(v4_, a, tenant);
  }
  std::array<uint8_t, 16> a;
  std::memcpy(a.data(), src, 16);
  return foreign(v6_, a, tenant);
}

}  // namespace vigil
