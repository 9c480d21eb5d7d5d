// Parses and validates one frame's headers: Ethernet, one 802.1Q tag, ARP, IPv4, IPv6 (with its
// extension headers), TCP, UDP, ICMP and ICMPv6. Pure function over bytes, so it is unit-tested
// without DPDK. A malformed frame yields the DropReason that names what is wrong with it.
#pragma once

#include <cstdint>

#include "dataplane/packet_meta.h"

namespace vigil {

struct ParseLimits {
  uint32_t max_frame = 1518;  // longest untagged frame accepted; +4 B when tagged
};

// Fills the parser fields of `meta`; returns kNone for a well-formed frame.
DropReason parse_frame(const uint8_t* data, uint32_t len, const ParseLimits& limits,
                       PacketMeta& meta);

}  // namespace vigil
