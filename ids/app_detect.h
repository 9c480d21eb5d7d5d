// Application protocol detection for a flow from its first payload bytes, so the IDS knows
// which app-layer parser (and which rules: alert http/dns/tls) applies, and which flows are
// encrypted (TLS, SSH) and bypassed. Pure functions over bytes; no allocation.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::ids {

enum class AppProto : uint8_t { kUnknown, kHttp, kTls, kSsh, kDns, kFailed };

const char* app_proto_name(AppProto p);  // "unknown", "http", "tls", "ssh", "dns", "failed"

inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

// Decides from the first bytes of one direction (to_server: from the connection's client).
//  - HTTP: to_server data starting with a known method and a space; to_client data starting
//    with "HTTP/1.".
//  - TLS: a handshake record header (type 22, version 3.0..3.4) carrying a ClientHello
//    (to_server) or a ServerHello (to_client).
//  - SSH: "SSH-" either way.
//  - DNS: UDP from or to port 53 whose payload parses as a DNS question; TCP port 53 when no
//    other protocol's bytes are there.
// kUnknown when the bytes are too few to decide (a prefix of a possible signature; TCP only:
// a UDP datagram is whole), kFailed when none can match (then the flow is inspected as plain
// payload).
AppProto detect_app(const uint8_t* data, uint32_t len, bool to_server, uint8_t ip_proto,
                    uint16_t sport, uint16_t dport);

// An SSH identification line, "SSH-protoversion-softwareversion[ SP comments]" (RFC 4253 4.2).
struct SshBanner {
  std::string_view proto_version;  // "2.0"
  std::string_view software;       // "OpenSSH_9.2p1"
  std::string_view comments;       // after the first space, may be empty
  uint32_t line_len;               // bytes of the line with its CRLF (or LF)
};

// True when data starts with a complete, well-formed SSH identification line (at most 255
// bytes with its CRLF). The views point into data.
bool ssh_banner(const uint8_t* data, uint32_t len, SshBanner& out);

}  // namespace vigil::ids
