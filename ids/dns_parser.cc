#include "ids/dns_parser.h"

#include <cstring>

namespace vigil::ids {
namespace {

constexpr uint32_t kMaxWireName = 255;  // RFC 1035 3.1, root byte included

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

// Reads the name at pos into out.name; *after = offset after the name where it was (not where
// a pointer led). Pointers must point backwards (to a prior occurrence, RFC 1035 4.1.4) and are
// followed at most kDnsMaxJumps times, so a loop ends either way.
bool read_name(const uint8_t* msg, uint32_t len, uint32_t pos, DnsQuery& out, uint32_t* after) {
  bool jumped = false;
  uint32_t jumps = 0, wire = 1;
  for (;;) {
    if (pos >= len) return false;
    const uint8_t l = msg[pos];
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= len) return false;
      const uint32_t target = static_cast<uint32_t>(l & 0x3f) << 8 | msg[pos + 1];
      if (!jumped) *after = pos + 2;
      jumped = true;
      if (++jumps > kDnsMaxJumps || target >= pos) return false;
      pos = target;
      continue;
    }
    if (l & 0xc0) return false;  // 0x40 and 0x80 label types are obsolete or reserved
    if (l == 0) {
      if (!jumped) *after = pos + 1;
      break;
    }
    if (pos + 1 + l > len) return false;
    wire += 1u + l;
    if (wire > kMaxWireName) return false;
    if (out.name_len > 0) out.name[out.name_len++] = '.';
    std::memcpy(out.name + out.name_len, msg + pos + 1, l);
    out.name_len = static_cast<uint16_t>(out.name_len + l);
    pos += 1u + l;
  }
  out.name[out.name_len] = 0;
  return true;
}

}  // namespace

bool parse_dns_query_name(const uint8_t* msg, uint32_t len, DnsQuery& out) {
  out = DnsQuery{};
  if (msg == nullptr || len < kDnsHeaderLen) return false;
  out.id = be16(msg);
  out.is_response = (msg[2] & 0x80) != 0;
  out.opcode = static_cast<uint8_t>((msg[2] >> 3) & 0x0f);
  out.rcode = static_cast<uint8_t>(msg[3] & 0x0f);
  out.qdcount = be16(msg + 4);
  out.ancount = be16(msg + 6);
  out.nscount = be16(msg + 8);
  out.arcount = be16(msg + 10);
  if (out.qdcount == 0) return false;
  uint32_t after = 0;
  if (!read_name(msg, len, kDnsHeaderLen, out, &after)) return false;
  if (after + 4 > len) return false;
  out.qtype = be16(msg + after);
  out.qclass = be16(msg + after + 2);
  out.question_end = after + 4;
  return true;
}

bool parse_dns_tcp_query_name(const uint8_t* data, uint32_t len, DnsQuery& out,
                              uint32_t* wire_len) {
  if (data == nullptr || len < 2) {
    out = DnsQuery{};
    return false;
  }
  const uint32_t announced = be16(data);
  if (wire_len != nullptr) *wire_len = 2 + announced;
  if (len - 2 < announced) {
    out = DnsQuery{};
    return false;
  }
  return parse_dns_query_name(data + 2, announced, out);
}

}  // namespace vigil::ids
