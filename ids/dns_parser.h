// DNS question parsing for dns.query: the first question's name, type and class, from a DNS
// message (a UDP payload, or a TCP message after its 2-byte length prefix). No allocation;
// the name goes into fixed storage. Any malformed or truncated message yields false, never a
// read out of bounds: compression pointers are followed with a jump limit, so loops end.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::ids {

inline constexpr uint32_t kDnsHeaderLen = 12;
inline constexpr uint32_t kDnsMaxName = 253;  // dotted, no trailing dot (RFC 1035: 255 on the wire)
inline constexpr uint32_t kDnsMaxJumps = 16;  // compression pointers followed per name

struct DnsQuery {
  uint16_t id;
  bool is_response;  // QR bit
  uint8_t opcode;
  uint8_t rcode;
  uint16_t qdcount, ancount, nscount, arcount;
  // The first question. The name is dotted, without the trailing dot, in the case it was sent
  // (Suricata's dns.query keeps it); the root name is empty. Label bytes are copied as they
  // are, dots inside labels included.
  char name[256];  // NUL-terminated for convenience; name_len <= kDnsMaxName
  uint16_t name_len;
  uint16_t qtype, qclass;
  uint32_t question_end;  // offset after the first question in the message

  std::string_view name_view() const { return {name, name_len}; }
};

// Parses a DNS message's header and first question. False when the message is shorter than
// its header, has no question, or the name is malformed (bad label type, pointer out of the
// message or looping, name too long) or cut short.
bool parse_dns_query_name(const uint8_t* msg, uint32_t len, DnsQuery& out);

// DNS over TCP (RFC 7766): `data` starts with the 2-byte message length. True only when the
// whole message is present and its question parses. *wire_len (may be null) receives the
// framed message's size, prefix included (2 + the announced length), as soon as the prefix is
// there: what the caller consumes, or waits for.
bool parse_dns_tcp_query_name(const uint8_t* data, uint32_t len, DnsQuery& out,
                              uint32_t* wire_len = nullptr);

}  // namespace vigil::ids
