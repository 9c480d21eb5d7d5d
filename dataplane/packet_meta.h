// What the stages learn about one frame and decide for it. Plain data, filled by the parser and
// the later stages, kept beside the mbuf pointer in a PacketBatch.
#pragma once

#include <cstdint>

#include "dataplane/drop_reason.h"

namespace vigil {

inline constexpr uint16_t kNoTenant = 0xffff;
inline constexpr uint16_t kNoPort = 0xffff;
inline constexpr uint16_t kFloodPort = 0xfffe;

enum class L3Kind : uint8_t { kOther, kArp, kIpv4, kIpv6 };

struct PacketMeta {
  // Parser output. Offsets are from the start of the frame as received (tag included).
  uint16_t vlan_id = 0;  // outer 802.1Q VID, valid when tagged
  uint8_t pcp = 0;       // outer 802.1Q priority
  bool tagged = false;   // an outer 802.1Q tag was present
  L3Kind l3 = L3Kind::kOther;
  uint8_t l4_proto = 0;      // IP protocol of the L4 header, 0 when none was parsed
  bool is_fragment = false;  // non-first IP fragment: no L4 header
  uint16_t ether_type = 0;   // inner EtherType
  uint16_t l3_offset = 0;
  uint16_t l4_offset = 0;

  // Set by the rx loop: ingress port and arrival time (capture time in replay).
  uint16_t in_port = 0;
  uint64_t time_us = 0;

  // Later stages.
  uint16_t tenant = kNoTenant;
  uint16_t out_port = kNoPort;  // a port index, kFloodPort, or kNoPort
  bool reply = false;  // dropped, and the mbuf now holds a reply to send back out of in_port
  DropReason drop = DropReason::kNone;
};

}  // namespace vigil
