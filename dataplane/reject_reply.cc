#include "dataplane/reject_reply.h"

#include <algorithm>
#include <cstring>

namespace vigil {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmpv6 = 58;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

// One's-complement sum of big-endian 16-bit words, starting from `sum`.
uint32_t add_words(uint32_t sum, const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += be16(p + i);
  if (n & 1) sum += uint32_t(p[n - 1]) << 8;
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// L4 checksum with the IPv4 or IPv6 pseudo-header.
uint16_t l4_checksum(bool v4, const uint8_t* ip, uint8_t proto, const uint8_t* l4, uint32_t n) {
  uint32_t sum = v4 ? add_words(0, ip + 12, 8) : add_words(0, ip + 8, 32);
  sum += proto;
  sum += v4 ? n : (n >> 16) + (n & 0xffff);
  return fold(add_words(sum, l4, n));
}

bool is_error_or_control(bool v4, uint8_t proto, const uint8_t* l4) {
  if (v4) {
    const uint8_t t = l4[0];
    return proto == kProtoIcmp && (t == 3 || t == 4 || t == 5 || t == 11 || t == 12);
  }
  return proto == kProtoIcmpv6 && (l4[0] < 128 || l4[0] > 128);  // only echo requests answered
}

// Writes the reply's IP header (addresses swapped) at `ip`; returns its length.
uint32_t ip_header(bool v4, const uint8_t* orig, uint8_t proto, uint32_t l4_len, uint8_t* ip) {
  if (v4) {
    std::memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, static_cast<uint16_t>(20 + l4_len));
    put16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = proto;
    std::memcpy(ip + 12, orig + 16, 4);
    std::memcpy(ip + 16, orig + 12, 4);
    put16(ip + 10, fold(add_words(0, ip, 20)));
    return 20;
  }
  std::memset(ip, 0, 40);
  ip[0] = 0x60;
  put16(ip + 4, static_cast<uint16_t>(l4_len));
  ip[6] = proto;
  ip[7] = 64;
  std::memcpy(ip + 8, orig + 24, 16);
  std::memcpy(ip + 24, orig + 8, 16);
  return 40;
}

}  // namespace

uint32_t build_reject_reply(const uint8_t* frame, uint32_t len, const PacketMeta& m, uint8_t* out) {
  if ((frame[0] & 1) || m.is_fragment) return 0;
  const bool v4 = m.l3 == L3Kind::kIpv4;
  if (!v4 && m.l3 != L3Kind::kIpv6) return 0;
  const uint8_t* orig_ip = frame + m.l3_offset;
  const uint32_t orig_ip_len = v4 ? be16(orig_ip + 2) : 40u + be16(orig_ip + 4);
  if (m.l3_offset + orig_ip_len > len) return 0;  // the parser guarantees it; stay safe
  const uint8_t* l4 = m.l4_proto != 0 ? frame + m.l4_offset : nullptr;
  if (l4 != nullptr && is_error_or_control(v4, m.l4_proto, l4)) return 0;

  // Ethernet: back to the sender, untagged (egress adds the tag its port needs).
  std::memcpy(out, frame + 6, 6);
  std::memcpy(out + 6, frame, 6);
  put16(out + 12, v4 ? 0x0800 : 0x86dd);
  uint8_t* ip = out + 14;
  const uint32_t ip_hlen = v4 ? 20 : 40;
  uint8_t* reply_l4 = ip + ip_hlen;

  if (m.l4_proto == kProtoTcp) {
    const uint8_t flags = l4[13];
    if (flags & 0x04) return 0;  // never answer a RST
    const uint32_t tcp_len = m.l3_offset + orig_ip_len - m.l4_offset;
    const uint32_t payload = tcp_len - (l4[12] >> 4) * 4u;
    std::memset(reply_l4, 0, 20);
    std::memcpy(reply_l4, l4 + 2, 2);  // ports swapped
    std::memcpy(reply_l4 + 2, l4, 2);
    if (flags & 0x10) {  // ACK: the reset takes the acknowledged sequence number
      put32(reply_l4 + 4, be32(l4 + 8));
      reply_l4[13] = 0x04;
    } else {
      const uint32_t ack = be32(l4 + 4) + payload + ((flags & 0x02) ? 1 : 0) + (flags & 0x01);
      put32(reply_l4 + 8, ack);
      reply_l4[13] = 0x14;
    }
    reply_l4[12] = 5 << 4;
    ip_header(v4, orig_ip, kProtoTcp, 20, ip);
    put16(reply_l4 + 16, l4_checksum(v4, ip, kProtoTcp, reply_l4, 20));
    return 14 + ip_hlen + 20;
  }

  // ICMP/ICMPv6 unreachable, administratively prohibited, quoting the rejected packet.
  uint32_t quoted;
  if (v4) {
    const uint32_t ihl = (orig_ip[0] & 0x0f) * 4u;
    quoted = ihl + std::min<uint32_t>(8, orig_ip_len - ihl);
  } else {
    quoted = std::min<uint32_t>(1232, orig_ip_len);
  }
  std::memset(reply_l4, 0, 8);
  reply_l4[0] = v4 ? 3 : 1;
  reply_l4[1] = v4 ? 13 : 1;
  std::memcpy(reply_l4 + 8, orig_ip, quoted);
  const uint8_t proto = v4 ? kProtoIcmp : kProtoIcmpv6;
  ip_header(v4, orig_ip, proto, 8 + quoted, ip);
  const uint16_t sum = v4 ? fold(add_words(0, reply_l4, 8 + quoted))
                          : l4_checksum(false, ip, proto, reply_l4, 8 + quoted);
  put16(reply_l4 + 2, sum);
  return 14 + ip_hlen + 8 + quoted;
}

}  // namespace vigil
