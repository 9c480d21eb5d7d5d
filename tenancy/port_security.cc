#include "tenancy/port_security.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

namespace vigil {
namespace {

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

bool is_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;

// fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291, appendix A).
std::array<uint8_t, 16> eui64_link_local(const MacAddress& mac) {
  return {0xfe,   0x80,   0,    0,    0,      0,      0,     0, static_cast<uint8_t>(mac[0] ^ 2),
          mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]};
}

}  // namespace

PortSecurity::PortSecurity(const TenancySpec& spec, const std::vector<std::string>& port_names)
    : ports_(port_names.size()), host_ipv6_(spec.host_ipv6) {
  for (const auto& a : spec.host_ipv4) host_ipv4_.push_back(load32(a.data()));
  for (const TenantSpec& t : spec.tenants) {
    for (const VmSpec& vm : t.vms) {
      const auto it = std::find(port_names.begin(), port_names.end(), vm.port);
      if (it == port_names.end()) continue;  // TenancyMap reports it
      Binding& b = ports_[it - port_names.begin()];
      b.is_vm = true;
      b.check_sources = vm.port_security;
      b.allow_dhcp_server = vm.allow_dhcp_server;
      b.allow_router_advertisement = vm.allow_router_advertisement;
      b.mac = vm.mac;
      for (const auto& a : vm.ipv4) b.ipv4.push_back(load32(a.data()));
      b.ipv6 = vm.ipv6;
      b.ipv6.push_back(eui64_link_local(vm.mac));
    }
  }
}

bool PortSecurity::is_host_ipv4(uint32_t addr) const {
  return std::find(host_ipv4_.begin(), host_ipv4_.end(), addr) != host_ipv4_.end();
}

bool PortSecurity::is_host_ipv6(const uint8_t* addr) const {
  return std::any_of(host_ipv6_.begin(), host_ipv6_.end(),
                     [&](const auto& h) { return std::memcmp(h.data(), addr, 16) == 0; });
}

DropReason PortSecurity::check_arp(const Binding& b, const uint8_t* arp) const {
  // Ethernet/IPv4 ARP: sender MAC at 8, sender IP at 14, target IP at 24.
  if (be16(arp) != 1 || be16(arp + 2) != 0x0800)
    return DropReason::kNone;  // not IPv4 over Ethernet
  if (is_host_ipv4(load32(arp + 24))) return DropReason::kHostAccess;
  if (!b.check_sources) return DropReason::kNone;
  if (std::memcmp(arp + 8, b.mac.data(), 6) != 0) return DropReason::kSpoofedArp;
  const uint32_t sender = load32(arp + 14);
  if (sender == 0) return DropReason::kNone;  // ARP probe (RFC 5227)
  if (std::find(b.ipv4.begin(), b.ipv4.end(), sender) == b.ipv4.end()) {
    return DropReason::kSpoofedArp;
  }
  return DropReason::kNone;
}

DropReason PortSecurity::check_ipv4(const Binding& b, const uint8_t* ip, const PacketMeta& m,
                                    const uint8_t* frame) const {
  if (is_host_ipv4(load32(ip + 16))) return DropReason::kHostAccess;
  const bool udp = m.l4_proto == kProtoUdp;
  const uint8_t* l4 = frame + m.l4_offset;
  if (udp && be16(l4) == 67 && be16(l4 + 2) == 68 && !b.allow_dhcp_server) {
    return DropReason::kDhcpServerFromVm;
  }
  if (!b.check_sources) return DropReason::kNone;
  const uint32_t src = load32(ip + 12);
  if (src == 0) {  // only a DHCP client asking for an address
    return udp && be16(l4) == 68 && be16(l4 + 2) == 67 ? DropReason::kNone
                                                       : DropReason::kSpoofedSrcIp;
  }
  if (std::find(b.ipv4.begin(), b.ipv4.end(), src) == b.ipv4.end()) {
    return DropReason::kSpoofedSrcIp;
  }
  return DropReason::kNone;
}

DropReason PortSecurity::check_ipv6(const Binding& b, const uint8_t* ip, const PacketMeta& m,
                                    const uint8_t* frame) const {
  if (is_host_ipv6(ip + 24)) return DropReason::kHostAccess;
  const uint8_t* l4 = frame + m.l4_offset;
  if (m.l4_proto == kProtoIcmpv6 && l4[0] == 134 && !b.allow_router_advertisement) {
    return DropReason::kRouterAdvertFromVm;
  }
  if (m.l4_proto == kProtoUdp && be16(l4) == 547 && be16(l4 + 2) == 546 && !b.allow_dhcp_server) {
    return DropReason::kDhcpServerFromVm;
  }
  if (!b.check_sources) return DropReason::kNone;
  const uint8_t* src = ip + 8;
  if (is_zero(src, 16)) {  // duplicate-address detection (NS) and MLD reports only
    const bool dad_or_mld = m.l4_proto == kProtoIcmpv6 && (l4[0] == 135 || l4[0] == 143);
    return dad_or_mld ? DropReason::kNone : DropReason::kSpoofedSrcIp;
  }
  const bool bound = std::any_of(b.ipv6.begin(), b.ipv6.end(), [&](const auto& a) {
    return std::memcmp(a.data(), src, 16) == 0;
  });
  return bound ? DropReason::kNone : DropReason::kSpoofedSrcIp;
}

DropReason PortSecurity::check(const Binding& b, const uint8_t* frame, const PacketMeta& m) const {
  if (b.check_sources && std::memcmp(frame + 6, b.mac.data(), 6) != 0) {
    return DropReason::kSpoofedSrcMac;
  }
  const uint8_t* l3 = frame + m.l3_offset;
  switch (m.l3) {
    case L3Kind::kArp:
      return check_arp(b, l3);
    case L3Kind::kIpv4:
      return check_ipv4(b, l3, m, frame);
    case L3Kind::kIpv6:
      return check_ipv6(b, l3, m, frame);
    default:
      return DropReason::kNone;
  }
}

DropReason PortSecurity::check(uint16_t port, const uint8_t* frame, const PacketMeta& m) const {
  const Binding& b = ports_[port];
  return b.is_vm ? check(b, frame, m) : DropReason::kNone;
}

void PortSecurity::process(PacketBatch& batch) const {
  for (uint16_t i = 0; i < batch.count; ++i) {
    if (!batch.alive(i)) continue;
    const PacketMeta& m = batch.meta[i];
    const DropReason r = check(m.in_port, rte_pktmbuf_mtod(batch.pkts[i], const uint8_t*), m);
    if (r != DropReason::kNone) batch.drop(i, r);
  }
}

}  // namespace vigil
