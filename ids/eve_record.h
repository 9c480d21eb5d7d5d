// AlertRecord: one event on its way from a worker to the EVE writer thread (eve_writer.h). Plain,
// fixed-size data with no pointers, so it outlives the packet, flow and rule set that raised it;
// text is NUL-terminated when shorter than its field and readers never look past the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace vigil::ids {

// What a record is; the formatter switches on it. Only alerts exist today; the monitors will
// add their verdicts (event_type "vigil_verdict") on the same ring.
enum class EventKind : uint8_t { kAlert = 0 };

// Suricata writes "allowed" for alert and pass rules, "blocked" for drop and reject.
enum class AlertAction : uint8_t { kAllowed = 0, kBlocked = 1 };

struct AlertRecord {
  EventKind kind;
  AlertAction action;
  uint8_t family;                // 4 or 6
  uint8_t ip_proto;              // IANA protocol number
  bool to_server;                // direction of the packet within its flow
  uint8_t severity;              // the rule's priority (1 is the most severe)
  uint8_t icmp_type, icmp_code;  // ICMP and ICMPv6 only (they have no ports)
  uint16_t in_port;              // vigil's port id
  uint16_t vlan;                 // tenant VLAN id; 0 = untagged (no "vlan" field)
  uint16_t src_port, dst_port;   // TCP, UDP and SCTP only
  uint32_t gid, sid, rev;
  uint64_t time_us;      // µs since the epoch (the capture's time in replay)
  uint64_t flow_id;      // 0 = no flow (no "flow_id" field)
  uint8_t src_addr[16];  // network byte order; IPv4 in the first 4 bytes
  uint8_t dst_addr[16];

  char in_iface[32];  // the port's name
  char tenant[32];
  char app_proto[8];  // "http", "dns", "tls", "" for none
  char msg[192];      // the rule's msg, cut to fit
  char category[96];  // the classtype's description, "" for none

  // App-layer context; each section is written only when one of its fields is not empty.
  char http_hostname[64];
  char http_url[128];
  char dns_rrname[128];
  char tls_sni[128];
};
static_assert(std::is_trivially_copyable_v<AlertRecord>);
static_assert(sizeof(AlertRecord) <= 1024, "a record should stay under 1 KiB");

// Copies `src` into a text field, cut to fit with the NUL, never in the middle of a UTF-8
// sequence. No allocation: safe on the fast path.
template <size_t N>
inline void set_text(char (&dst)[N], std::string_view src) {
  static_assert(N > 0);
  size_t n = src.size();
  if (n > N - 1) {
    n = N - 1;
    // Back off to the start of a sequence when the byte after the cut continues one.
    const auto cont = [&](size_t i) { return (static_cast<uint8_t>(src[i]) & 0xC0) == 0x80; };
    size_t k = n;
    while (k > 0 && n - k < 3 && cont(k)) --k;
    if (cont(n)) n = k;
  }
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

}  // namespace vigil::ids
