#include "ids/app_detect.h"

#include <cstring>

#include "ids/dns_parser.h"
#include "ids/tls_parser.h"

namespace vigil::ids {
namespace {

constexpr uint16_t kDnsPort = 53;
constexpr uint32_t kMaxSshLine = 255;  // RFC 4253 4.2, CRLF included
// DNS over TCP: a question always fits in the first 512 bytes of a message (the classic UDP
// size), so past that many bytes a message that does not parse is not DNS.
constexpr uint32_t kDnsTcpProbeMax = 2 + 512;

// What the bytes say about one protocol: cannot be, could still be (too few bytes), is.
enum class Signal : uint8_t { kNo, kMaybe, kYes };

Signal better(Signal a, Signal b) {
  return a > b ? a : b;
}

Signal prefix(const uint8_t* data, uint32_t len, std::string_view sig) {
  const uint32_t n = len < sig.size() ? len : static_cast<uint32_t>(sig.size());
  if (std::memcmp(data, sig.data(), n) != 0) return Signal::kNo;
  return n == sig.size() ? Signal::kYes : Signal::kMaybe;
}

// Methods of HTTP/1.1 and WebDAV (RFC 9110, 4918, 3253, 5789) that libhtp knows, with the space.
constexpr std::string_view kMethods[] = {
    "GET ",
    "POST ",
    "HEAD ",
    "PUT ",
    "DELETE ",
    "OPTIONS ",
    "CONNECT ",
    "TRACE ",
    "PATCH ",
    "PROPFIND ",
    "PROPPATCH ",
    "MKCOL ",
    "COPY ",
    "MOVE ",
    "LOCK ",
    "UNLOCK ",
    "SEARCH ",
    "REPORT ",
    "CHECKOUT ",
    "CHECKIN ",
    "UNCHECKOUT ",
    "MERGE ",
    "MKACTIVITY ",
    "MKWORKSPACE ",
    "VERSION-CONTROL ",
    "BASELINE-CONTROL ",
    "LABEL ",
    "UPDATE ",
    "MKCALENDAR ",
    "ACL ",
};

Signal http_signal(const uint8_t* data, uint32_t len, bool to_server) {
  if (!to_server) return prefix(data, len, "HTTP/1.");
  Signal s = Signal::kNo;
  for (std::string_view m : kMethods) s = better(s, prefix(data, len, m));
  return s;
}

Signal tls_signal(const uint8_t* data, uint32_t len, bool to_server) {
  if (data[0] != kTlsHandshake) return Signal::kNo;
  if (len >= 2 && data[1] != 3) return Signal::kNo;
  if (len >= 3 && data[2] > 4) return Signal::kNo;
  if (len < kTlsRecordHeaderLen + 1) return Signal::kMaybe;
  const uint32_t record_len = static_cast<uint32_t>(data[3] << 8 | data[4]);
  if (record_len < 4 || record_len > kTlsMaxRecordLen) return Signal::kNo;
  const uint8_t want = to_server ? 1 : 2;  // ClientHello, ServerHello
  return data[kTlsRecordHeaderLen] == want ? Signal::kYes : Signal::kNo;
}

// A DNS message whose header and question look like real DNS, not just bytes that parse.
bool plausible_dns(const DnsQuery& q) {
  if (q.opcode > 6 || q.opcode == 3) return false;  // 3 is unassigned
  switch (q.qclass) {
    case 1:    // IN
    case 3:    // CH
    case 4:    // HS
    case 254:  // NONE
    case 255:  // ANY
      return true;
    default:
      return false;
  }
}

AppProto detect_udp(const uint8_t* data, uint32_t len, uint16_t sport, uint16_t dport) {
  if (sport != kDnsPort && dport != kDnsPort) return AppProto::kFailed;
  DnsQuery q;
  return parse_dns_query_name(data, len, q) && plausible_dns(q) ? AppProto::kDns
                                                                : AppProto::kFailed;
}

AppProto detect_tcp(const uint8_t* data, uint32_t len, bool to_server, uint16_t sport,
                    uint16_t dport) {
  const Signal http = http_signal(data, len, to_server);
  const Signal tls = tls_signal(data, len, to_server);
  const Signal ssh = prefix(data, len, "SSH-");
  if (http == Signal::kYes) return AppProto::kHttp;
  if (tls == Signal::kYes) return AppProto::kTls;
  if (ssh == Signal::kYes) return AppProto::kSsh;
  Signal dns = Signal::kNo;
  if ((sport == kDnsPort || dport == kDnsPort) && len < 2 + kDnsHeaderLen) {
    dns = Signal::kMaybe;
  } else if (sport == kDnsPort || dport == kDnsPort) {
    // The question comes first, so a message still arriving is judged by what is there.
    const uint32_t announced = static_cast<uint32_t>(data[0] << 8 | data[1]);
    const uint32_t present = len - 2 < announced ? len - 2 : announced;
    DnsQuery q;
    if (parse_dns_query_name(data + 2, present, q) && plausible_dns(q)) {
      dns = Signal::kYes;
    } else {
      // The question may be cut short in the bytes so far: wait while the message is not all
      // there and can still hold it.
      dns = (present < announced && len < kDnsTcpProbeMax) ? Signal::kMaybe : Signal::kNo;
    }
  }
  if (dns == Signal::kYes) return AppProto::kDns;
  if (better(better(http, tls), better(ssh, dns)) == Signal::kMaybe) return AppProto::kUnknown;
  return AppProto::kFailed;
}

}  // namespace

const char* app_proto_name(AppProto p) {
  switch (p) {
    case AppProto::kUnknown:
      return "unknown";
    case AppProto::kHttp:
      return "http";
    case AppProto::kTls:
      return "tls";
    case AppProto::kSsh:
      return "ssh";
    case AppProto::kDns:
      return "dns";
    case AppProto::kFailed:
      return "failed";
  }
  return "?";
}

AppProto detect_app(const uint8_t* data, uint32_t len, bool to_server, uint8_t ip_proto,
                    uint16_t sport, uint16_t dport) {
  if (ip_proto == kIpProtoUdp) {
    if (data == nullptr) return AppProto::kFailed;
    return detect_udp(data, len, sport, dport);
  }
  if (ip_proto != kIpProtoTcp) return AppProto::kFailed;
  if (data == nullptr || len == 0) return AppProto::kUnknown;
  return detect_tcp(data, len, to_server, sport, dport);
}

bool ssh_banner(const uint8_t* data, uint32_t len, SshBanner& out) {
  out = SshBanner{};
  if (data == nullptr || len < 4 || std::memcmp(data, "SSH-", 4) != 0) return false;
  const uint32_t limit = len < kMaxSshLine ? len : kMaxSshLine;
  const void* nl = std::memchr(data, '\n', limit);
  if (nl == nullptr) return false;
  const uint32_t at = static_cast<uint32_t>(static_cast<const uint8_t*>(nl) - data);
  const uint32_t end = (data[at - 1] == '\r') ? at - 1 : at;  // a bare LF is tolerated
  const std::string_view line(reinterpret_cast<const char*>(data), end);
  for (char c : line) {
    if (static_cast<uint8_t>(c) < 0x20 || static_cast<uint8_t>(c) > 0x7e) return false;
  }
  const size_t dash = line.find('-', 4);
  if (dash == std::string_view::npos || dash == 4) return false;
  const size_t space = line.find(' ', dash + 1);
  const size_t sw_end = space == std::string_view::npos ? line.size() : space;
  if (sw_end == dash + 1) return false;
  out.proto_version = line.substr(4, dash - 4);
  out.software = line.substr(dash + 1, sw_end - dash - 1);
  if (out.proto_version.find(' ') != std::string_view::npos) return false;
  if (space != std::string_view::npos) out.comments = line.substr(space + 1);
  out.line_len = at + 1;
  return true;
}

}  // namespace vigil::ids
