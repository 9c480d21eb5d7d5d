// Which tenant every frame belongs to, and how each tenant's bridge domain is laid out.
//
// Built from a TenancySpec and the port list (off the fast path), then read-only; the control
// API replaces it whole (switch_state.h). A tenant's index is its position in the spec, kept for
// the life of vigild: a removed tenant leaves an empty slot (no name match, VLAN 0, no ports).
//  - classify(): the tenancy stage. A VM port's frames belong to its VM's tenant; on a trunk the
//    802.1Q VID (or the native VLAN for untagged frames) selects the tenant. Frames that fit no
//    tenant are dropped with a named reason.
//  - members(): the ports of a tenant's bridge domain, VM ports then trunks, in config order.
//  - egress_tagged(): whether a frame of a tenant leaves a port with an 802.1Q tag.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/packet_batch.h"
#include "tenancy/tenant_spec.h"

namespace vigil {

class TenancyMap {
 public:
  // Throws std::invalid_argument naming the offending port or tenant.
  TenancyMap(const TenancySpec& spec, const std::vector<std::string>& port_names);

  void classify(PacketBatch& batch) const;

  const std::vector<uint16_t>& members(uint16_t tenant) const { return tenants_[tenant].members; }
  bool egress_tagged(uint16_t port, uint16_t tenant) const {
    const PortRole& r = roles_[port];
    return r.kind == PortKind::kTrunk && trunks_[r.index].native_tenant != tenant;
  }
  uint16_t vlan(uint16_t tenant) const { return tenants_[tenant].vlan; }
  // Whether frames of `tenant` may leave through `port` (its VM's port, or a trunk carrying it).
  // A MAC learned before the port changed hands fails this and is flooded instead.
  bool serves(uint16_t port, uint16_t tenant) const {
    const PortRole& r = roles_[port];
    if (r.kind == PortKind::kVm) return r.index == tenant;
    if (r.kind != PortKind::kTrunk || tenants_[tenant].vlan == 0) return false;
    return trunks_[r.index].vlan_to_tenant[tenants_[tenant].vlan] == tenant;
  }
  const std::string& tenant_name(uint16_t tenant) const { return tenants_[tenant].name; }
  uint16_t tenant_count() const { return static_cast<uint16_t>(tenants_.size()); }

 private:
  enum class PortKind : uint8_t { kUnbound, kVm, kTrunk };
  struct PortRole {
    PortKind kind = PortKind::kUnbound;
    uint16_t index = 0;  // tenant index for a VM port, trunk index for a trunk
  };
  struct Tenant {
    std::string name;
    uint16_t vlan;
    std::vector<uint16_t> members;
  };
  struct Trunk {
    std::array<uint16_t, 4096> vlan_to_tenant;  // kNoTenant where the VLAN is not carried
    uint16_t native_tenant = kNoTenant;
  };

  std::vector<PortRole> roles_;
  std::vector<Tenant> tenants_;
  std::vector<Trunk> trunks_;
};

}  // namespace vigil
