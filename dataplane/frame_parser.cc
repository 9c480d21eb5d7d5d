#include "dataplane/frame_parser.h"

namespace vigil {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinq = 0x88a8;
constexpr uint16_t kEtherIpv6 = 0x86dd;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

bool is_zero_mac(const uint8_t* m) {
  return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

// Checks the L4 header found at l4 with l4_len bytes declared by the IP header.
DropReason parse_l4(const uint8_t* l4, uint32_t l4_len, uint8_t proto, bool more_fragments,
                    PacketMeta& meta) {
  switch (proto) {
    case kProtoTcp: {
      if (l4_len < 20) return DropReason::kTruncatedTcp;
      const uint32_t data_offset = l4[12] >> 4;
      if (data_offset < 5) return DropReason::kBadTcpDataOffset;
      if (data_offset * 4 > l4_len) return DropReason::kTruncatedTcp;
      break;
    }
    case kProtoUdp: {
      if (l4_len < 8) return DropReason::kTruncatedUdp;
      const uint32_t udp_len = be16(l4 + 4);
      // A first fragment holds only part of the datagram the UDP length describes.
      if (!more_fragments && (udp_len < 8 || udp_len > l4_len)) return DropReason::kBadUdpLength;
      break;
    }
    case kProtoIcmp:
      if (l4_len < 8) return DropReason::kTruncatedIcmp;
      break;
    case kProtoIcmpv6:
      if (l4_len < 8) return DropReason::kTruncatedIcmpv6;
      break;
    default:
      return DropReason::kNone;
  }
  meta.l4_proto = proto;
  return DropReason::kNone;
}

DropReason parse_ipv4(const uint8_t* ip, uint32_t avail, PacketMeta& meta) {
  if (avail < 20) return DropReason::kTruncatedIpv4;
  if ((ip[0] >> 4) != 4) return DropReason::kBadIpVersion;
  const uint32_t header_len = (ip[0] & 0x0f) * 4u;
  if (header_len < 20 || header_len > avail) return DropReason::kBadIhl;
  const uint32_t total_len = be16(ip + 2);
  if (total_len < header_len || total_len > avail) return DropReason::kBadIpv4TotalLength;
  meta.l3 = L3Kind::kIpv4;
  const uint16_t frag = be16(ip + 6);
  const bool more_fragments = frag & 0x2000;
  if ((frag & 0x1fff) != 0) {
    meta.is_fragment = true;
    return DropReason::kNone;
  }
  meta.l4_offset = static_cast<uint16_t>(meta.l3_offset + header_len);
  return parse_l4(ip + header_len, total_len - header_len, ip[9], more_fragments, meta);
}

DropReason parse_ipv6(const uint8_t* ip, uint32_t avail, PacketMeta& meta) {
  if (avail < 40) return DropReason::kTruncatedIpv6;
  if ((ip[0] >> 4) != 6) return DropReason::kBadIpVersion;
  const uint32_t payload_len = be16(ip + 4);
  if (40 + payload_len > avail) return DropReason::kBadIpv6PayloadLength;
  meta.l3 = L3Kind::kIpv6;

  uint8_t next = ip[6];
  uint32_t off = 40;
  const uint32_t end = 40 + payload_len;
  bool more_fragments = false;
  for (;;) {
    switch (next) {
      case 0:     // hop-by-hop options
      case 43:    // routing
      case 60: {  // destination options
        if (off + 8 > end) return DropReason::kTruncatedIpv6Ext;
        const uint32_t ext_len = (ip[off + 1] + 1u) * 8u;
        if (off + ext_len > end) return DropReason::kTruncatedIpv6Ext;
        next = ip[off];
        off += ext_len;
        continue;
      }
      case 51: {  // authentication header: length in 4-byte units, minus 2
        if (off + 8 > end) return DropReason::kTruncatedIpv6Ext;
        const uint32_t ext_len = (ip[off + 1] + 2u) * 4u;
        if (off + ext_len > end) return DropReason::kTruncatedIpv6Ext;
        next = ip[off];
        off += ext_len;
        continue;
      }
      case 44: {  // fragment
        if (off + 8 > end) return DropReason::kTruncatedIpv6Ext;
        const uint16_t frag = be16(ip + off + 2);
        next = ip[off];
        off += 8;
        if ((frag & 0xfff8) != 0) {
          meta.is_fragment = true;
          return DropReason::kNone;
        }
        more_fragments = frag & 1;
        continue;
      }
      default:
        break;
    }
    break;
  }
  meta.l4_offset = static_cast<uint16_t>(meta.l3_offset + off);
  return parse_l4(ip + off, end - off, next, more_fragments, meta);
}

}  // namespace

DropReason parse_frame(const uint8_t* data, uint32_t len, const ParseLimits& limits,
                       PacketMeta& meta) {
  if (len < 14) return DropReason::kRunt;
  uint16_t ether_type = be16(data + 12);
  uint32_t off = 14;
  if (ether_type == kEtherQinq) return DropReason::kDoubleTagged;
  if (ether_type == kEtherVlan) {
    if (len < 18) return DropReason::kTruncatedVlan;
    const uint16_t tci = be16(data + 14);
    meta.tagged = true;
    meta.vlan_id = tci & 0x0fff;
    meta.pcp = static_cast<uint8_t>(tci >> 13);
    ether_type = be16(data + 16);
    off = 18;
    if (ether_type == kEtherVlan || ether_type == kEtherQinq) return DropReason::kDoubleTagged;
  }
  if (len > limits.max_frame + (meta.tagged ? 4u : 0u)) return DropReason::kOversized;

  const uint8_t* dst = data;
  const uint8_t* src = data + 6;
  if ((src[0] & 1) || is_zero_mac(src)) return DropReason::kBadSrcMac;
  if (dst[0] == 0x01 && dst[1] == 0x80 && dst[2] == 0xc2 && dst[3] == 0 && dst[4] == 0 &&
      (dst[5] & 0xf0) == 0) {
    return DropReason::kReservedMulticast;
  }

  meta.ether_type = ether_type;
  meta.l3_offset = static_cast<uint16_t>(off);
  const uint32_t avail = len - off;
  switch (ether_type) {
    case kEtherArp:
      if (avail < 28) return DropReason::kTruncatedArp;
      meta.l3 = L3Kind::kArp;
      return DropReason::kNone;
    case kEtherIpv4:
      return parse_ipv4(data + off, avail, meta);
    case kEtherIpv6:
      return parse_ipv6(data + off, avail, meta);
    default:
      return DropReason::kNone;
  }
}

}  // namespace vigil
