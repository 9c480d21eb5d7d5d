// Anti-spoofing and host protection for frames from VM ports (the stage after classify, before
// the bridge learns anything):
//  - the source MAC must be the VM's; IPv4/IPv6 sources must be bound to it (0.0.0.0 only for a
//    DHCP client, :: only for duplicate-address detection and MLD, and the VM's EUI-64
//    link-local address is implied by its MAC);
//  - ARP must carry the VM's MAC and one of its addresses (or 0.0.0.0 for a probe);
//  - DHCP/DHCPv6 server messages and IPv6 router advertisements are dropped unless the VM may
//    send them;
//  - anything addressed to a host or management address (IP, or ARP asking for one) is dropped:
//    it is how VM-escape attempts look on the wire, so each drop is counted per VM port.
// VMs with port_security off skip the source checks but not host protection.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/packet_batch.h"
#include "tenancy/tenant_spec.h"

namespace vigil {

class PortSecurity {
 public:
  PortSecurity(const TenancySpec& spec, const std::vector<std::string>& port_names);
  void process(PacketBatch& batch) const;
  // The verdict for one parsed frame received on `port` (kNone: let it through).
  DropReason check(uint16_t port, const uint8_t* frame, const PacketMeta& meta) const;

 private:
  struct Binding {
    bool is_vm = false;
    bool check_sources = true;
    bool allow_dhcp_server = false;
    bool allow_router_advertisement = false;
    MacAddress mac{};
    std::vector<uint32_t> ipv4;  // network byte order, as in the frame
    std::vector<std::array<uint8_t, 16>> ipv6;
  };
  DropReason check(const Binding& b, const uint8_t* frame, const PacketMeta& m) const;
  DropReason check_arp(const Binding& b, const uint8_t* arp) const;
  DropReason check_ipv4(const Binding& b, const uint8_t* ip, const PacketMeta& m,
                        const uint8_t* frame) const;
  DropReason check_ipv6(const Binding& b, const uint8_t* ip, const PacketMeta& m,
                        const uint8_t* frame) const;
  bool is_host_ipv4(uint32_t addr) const;
  bool is_host_ipv6(const uint8_t* addr) const;

  std::vector<Binding> ports_;
  std::vector<uint32_t> host_ipv4_;
  std::vector<std::array<uint8_t, 16>> host_ipv6_;
};

}  // namespace vigil
