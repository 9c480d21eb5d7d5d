#include "tenancy/tenancy_map.h"

#include <algorithm>
#include <stdexcept>

namespace vigil {
namespace {

uint16_t port_index(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw std::invalid_argument("no port named '" + name + "'");
  return static_cast<uint16_t>(it - names.begin());
}

}  // namespace

TenancyMap::TenancyMap(const TenancySpec& spec, const std::vector<std::string>& port_names)
    : roles_(port_names.size()) {
  auto claim = [&](uint16_t port, PortKind kind, uint16_t index) {
    if (roles_[port].kind != PortKind::kUnbound) {
      throw std::invalid_argument("port '" + port_names[port] + "' is bound twice");
    }
    roles_[port] = PortRole{kind, index};
  };

  for (const TenantSpec& t : spec.tenants) {
    const uint16_t tenant = static_cast<uint16_t>(tenants_.size());
    tenants_.push_back(Tenant{t.name, t.vlan, {}});
    for (const VmSpec& vm : t.vms) {
      const uint16_t port = port_index(port_names, vm.port);
      claim(port, PortKind::kVm, tenant);
      tenants_[tenant].members.push_back(port);
    }
  }

  auto tenant_by_name = [&](const std::string& name) {
    for (uint16_t i = 0; i < tenants_.size(); ++i) {
      if (tenants_[i].name == name) return i;
    }
    throw std::invalid_argument("no tenant named '" + name + "'");
  };
  for (const TrunkSpec& ts : spec.trunks) {
    const uint16_t port = port_index(port_names, ts.port);
    claim(port, PortKind::kTrunk, static_cast<uint16_t>(trunks_.size()));
    Trunk trunk;
    trunk.vlan_to_tenant.fill(kNoTenant);
    std::vector<uint16_t> carried;
    if (ts.allowed.empty()) {
      for (uint16_t i = 0; i < tenants_.size(); ++i) carried.push_back(i);
    } else {
      for (const std::string& name : ts.allowed) carried.push_back(tenant_by_name(name));
    }
    for (uint16_t t : carried) {
      if (tenants_[t].vlan == 0) continue;  // a removed tenant's slot (see tenancy_map.h)
      trunk.vlan_to_tenant[tenants_[t].vlan] = t;
      tenants_[t].members.push_back(port);
    }
    if (ts.native_vlan != 0) {
      trunk.native_tenant = trunk.vlan_to_tenant[ts.native_vlan];
      if (trunk.native_tenant == kNoTenant) {
        throw std::invalid_argument("trunk '" + ts.port + "': native_vlan " +
                                    std::to_string(ts.native_vlan) +
                                    " is not a VLAN of a tenant it carries");
      }
    }
    trunks_.push_back(trunk);
  }
}

void TenancyMap::classify(PacketBatch& batch) const {
  for (uint16_t i = 0; i < batch.count; ++i) {
    if (!batch.alive(i)) continue;
    PacketMeta& m = batch.meta[i];
    const PortRole& role = roles_[m.in_port];
    const bool tagged = m.tagged && m.vlan_id != 0;  // VID 0: priority tag, frame is untagged
    switch (role.kind) {
      case PortKind::kVm:
        if (tagged) {
          batch.drop(i, DropReason::kTaggedOnAccessPort);
        } else {
          m.tenant = role.index;
        }
        break;
      case PortKind::kTrunk: {
        const Trunk& trunk = trunks_[role.index];
        m.tenant = tagged ? trunk.vlan_to_tenant[m.vlan_id] : trunk.native_tenant;
        if (m.tenant == kNoTenant) {
          batch.drop(i, tagged ? DropReason::kUnknownVlan : DropReason::kUntaggedOnTrunk);
        }
        break;
      }
      case PortKind::kUnbound:
        batch.drop(i, DropReason::kUnboundPort);
        break;
    }
  }
}

}  // namespace vigil
