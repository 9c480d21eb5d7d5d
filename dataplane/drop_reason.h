// Every reason vigil drops a frame for. Each has a stable name (stats JSON key, CLI) and a
// per-worker counter; adding a reason here is all it takes to count and report it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace vigil {

#define VIGIL_DROP_REASONS(X)                                                       \
  X(kNone, "none", "not dropped")                                                   \
  X(kRunt, "runt", "frame shorter than an Ethernet header")                         \
  X(kOversized, "oversized", "frame longer than max_frame (+4 B per tag)")          \
  X(kTruncatedVlan, "truncated_vlan", "802.1Q tag cut short")                       \
  X(kDoubleTagged, "double_tagged", "a tag inside the 802.1Q tag")                  \
  X(kBadSrcMac, "bad_src_mac", "multicast, broadcast or zero source MAC")           \
  X(kReservedMulticast, "reserved_multicast", "destination 01:80:c2:00:00:0x")      \
  X(kUnboundPort, "unbound_port", "port is neither a VM port nor a trunk")          \
  X(kTaggedOnAccessPort, "tagged_on_access_port", "tagged frame from a VM")         \
  X(kUntaggedOnTrunk, "untagged_on_trunk", "untagged, trunk has no native VLAN")    \
  X(kUnknownVlan, "unknown_vlan", "VLAN carried by no tenant on this trunk")        \
  X(kTruncatedArp, "truncated_arp", "ARP shorter than 28 B")                        \
  X(kTruncatedIpv4, "truncated_ipv4", "fewer than 20 B of IPv4 header")             \
  X(kBadIpVersion, "bad_ip_version", "IP version disagrees with EtherType")         \
  X(kBadIhl, "bad_ihl", "IHL < 5 or header longer than the frame")                  \
  X(kBadIpv4TotalLength, "bad_ipv4_total_length", "total length inconsistent")      \
  X(kTruncatedIpv6, "truncated_ipv6", "fewer than 40 B of IPv6 header")             \
  X(kBadIpv6PayloadLength, "bad_ipv6_payload_length", "payload length > bytes")     \
  X(kTruncatedIpv6Ext, "truncated_ipv6_ext", "extension header chain cut short")    \
  X(kTruncatedTcp, "truncated_tcp", "TCP header cut short")                         \
  X(kBadTcpDataOffset, "bad_tcp_data_offset", "TCP data offset < 5")                \
  X(kTruncatedUdp, "truncated_udp", "fewer than 8 B of UDP")                        \
  X(kBadUdpLength, "bad_udp_length", "UDP length < 8 or > bytes present")           \
  X(kTruncatedIcmp, "truncated_icmp", "fewer than 8 B of ICMP")                     \
  X(kTruncatedIcmpv6, "truncated_icmpv6", "fewer than 8 B of ICMPv6")               \
  X(kSpoofedSrcMac, "spoofed_src_mac", "source MAC not the VM's")                   \
  X(kSpoofedSrcIp, "spoofed_src_ip", "source IP not bound to the VM")               \
  X(kSpoofedArp, "spoofed_arp", "ARP sender MAC or IP not the VM's")                \
  X(kDhcpServerFromVm, "dhcp_server_from_vm", "DHCP server message from a VM")      \
  X(kRouterAdvertFromVm, "router_advert_from_vm", "IPv6 router advert from a VM")   \
  X(kHostAccess, "host_access", "VM addressed a host or management address")        \
  X(kPolicyDeny, "policy_deny", "denied by the tenant's policy")                    \
  X(kPolicyReject, "policy_reject", "rejected by the tenant's policy")              \
  X(kCrossTenantDeny, "cross_tenant_deny", "from another tenant's VM, not allowed") \
  X(kTcpInvalid, "tcp_invalid", "TCP segment invalid for its connection")           \
  X(kTcpNoConnection, "tcp_no_connection", "TCP segment with no connection")        \
  X(kConnLimit, "conn_limit", "the VM holds its maximum of connections")            \
  X(kConnRate, "conn_rate", "the VM opened connections too fast")                   \
  X(kConnTableFull, "conn_table_full", "the connection table is full")              \
  X(kIdsDrop, "ids_drop", "an IDS rule with action drop matched")                   \
  X(kIdsReject, "ids_reject", "an IDS rule with action reject matched")             \
  X(kMonitorQuarantine, "monitor_quarantine", "the monitors quarantined the VM")    \
  X(kMonitorRateLimit, "monitor_rate_limit", "over the VM's monitor rate limit")    \
  X(kMonitorConnLimit, "monitor_conn_limit", "over the VM's monitor SYN limit")     \
  X(kSamePort, "same_port", "destination learned on the ingress port")              \
  X(kFloodNoMember, "flood_no_member", "no other port in the tenant")               \
  X(kDestPortDown, "dest_port_down", "every output port's link is down")            \
  X(kPortDown, "port_down", "a flood skipped a port whose link is down")            \
  X(kNoMbuf, "no_mbuf", "mbuf pool empty when copying a flooded frame")             \
  X(kTxFull, "tx_full", "transmit queue refused a copy")

enum class DropReason : uint8_t {
#define VIGIL_DROP_ENUM(id, name, help) id,
  VIGIL_DROP_REASONS(VIGIL_DROP_ENUM)
#undef VIGIL_DROP_ENUM
      kCount
};

inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
#define VIGIL_DROP_NAME(id, name, help) name,
    VIGIL_DROP_REASONS(VIGIL_DROP_NAME)
#undef VIGIL_DROP_NAME
};

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonHelp = {
#define VIGIL_DROP_HELP(id, name, help) help,
    VIGIL_DROP_REASONS(VIGIL_DROP_HELP)
#undef VIGIL_DROP_HELP
};

constexpr std::string_view drop_reason_name(DropReason r) {
  return kDropReasonNames[static_cast<std::size_t>(r)];
}

}  // namespace vigil
