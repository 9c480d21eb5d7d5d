// Byte-level frame builders shared by the unit tests: each field is exactly what a test needs,
// including the malformed ones a real stack would never send.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace vigil::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, std::size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

inline constexpr std::array<uint8_t, 6> kSrcMac = {0x02, 0, 0, 0, 0, 1};
inline constexpr std::array<uint8_t, 6> kDstMac = {0x02, 0, 0, 0, 0, 2};

// Ethernet header with an optional 802.1Q tag.
inline Bytes ether(uint16_t ether_type, int vlan = -1, uint8_t pcp = 0,
                   std::array<uint8_t, 6> src = kSrcMac, std::array<uint8_t, 6> dst = kDstMac) {
  Bytes b;
  b.reserve(18);
  for (uint8_t x : dst) b.push_back(x);
  for (uint8_t x : src) b.push_back(x);
  if (vlan >= 0) {
    b.push_back(0x81);
    b.push_back(0x00);
    b.push_back(static_cast<uint8_t>(pcp << 5 | vlan >> 8));
    b.push_back(static_cast<uint8_t>(vlan));
  }
  b.push_back(static_cast<uint8_t>(ether_type >> 8));
  b.push_back(static_cast<uint8_t>(ether_type));
  return b;
}

// Appends an IPv4 header (no options unless ihl > 5) and l4_len zero bytes of payload.
inline Bytes ipv4_on(Bytes b, uint8_t proto, std::size_t l4_len, uint8_t ihl = 5,
                     std::array<uint8_t, 4> src = {10, 0, 10, 1},
                     std::array<uint8_t, 4> dst = {10, 0, 10, 2}) {
  const std::size_t start = b.size();
  b.resize(start + ihl * 4 + l4_len, 0);
  b[start] = static_cast<uint8_t>(0x40 | ihl);
  put16(b, start + 2, static_cast<uint16_t>(ihl * 4 + l4_len));
  b[start + 8] = 64;
  b[start + 9] = proto;
  std::copy(src.begin(), src.end(), b.begin() + start + 12);
  std::copy(dst.begin(), dst.end(), b.begin() + start + 16);
  return b;
}

inline Bytes ipv4(uint8_t proto, std::size_t l4_len, uint8_t ihl = 5) {
  return ipv4_on(ether(0x0800), proto, l4_len, ihl);
}

inline Bytes ipv6_on(Bytes b, uint8_t next, std::size_t payload_len,
                     std::array<uint8_t, 16> src = {0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                    0, 1},
                     std::array<uint8_t, 16> dst = {0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                    0, 2}) {
  const std::size_t start = b.size();
  b.resize(start + 40 + payload_len, 0);
  b[start] = 0x60;
  put16(b, start + 4, static_cast<uint16_t>(payload_len));
  b[start + 6] = next;
  b[start + 7] = 64;
  std::copy(src.begin(), src.end(), b.begin() + start + 8);
  std::copy(dst.begin(), dst.end(), b.begin() + start + 24);
  return b;
}

inline Bytes ipv6(uint8_t next, std::size_t payload_len) {
  return ipv6_on(ether(0x86dd), next, payload_len);
}

// ARP over Ethernet/IPv4 (28 bytes) with the given sender MAC/IP and target IP.
inline Bytes arp(uint16_t op, std::array<uint8_t, 6> sender_mac, std::array<uint8_t, 4> sender_ip,
                 std::array<uint8_t, 4> target_ip) {
  Bytes b = ether(0x0806, -1, 0, sender_mac, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  const std::size_t s = b.size();
  b.resize(s + 28, 0);
  put16(b, s, 1);
  put16(b, s + 2, 0x0800);
  b[s + 4] = 6;
  b[s + 5] = 4;
  put16(b, s + 6, op);
  std::copy(sender_mac.begin(), sender_mac.end(), b.begin() + s + 8);
  std::copy(sender_ip.begin(), sender_ip.end(), b.begin() + s + 14);
  std::copy(target_ip.begin(), target_ip.end(), b.begin() + s + 24);
  return b;
}

}  // namespace vigil::test
