// One detection rule in the Suricata language (Snort 2 rules mostly fit), as the parser
// (rule_parser.h) leaves it: plain data, variables expanded, contents decoded. The detection
// engine (detect_engine.h) compiles a set of these; nothing here touches packets.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil::ids {

enum class RuleAction : uint8_t { kAlert, kDrop, kReject, kPass };

// The protocol field. App-layer protocols match only flows detected as that protocol.
enum class RuleProto : uint8_t { kIp, kTcp, kUdp, kIcmp, kHttp, kDns, kTls };

// Where a content/pcre/bsize looks. kPayload is the packet payload for UDP/ICMP/IP and the
// reassembled stream of the direction for TCP.
enum class Buffer : uint8_t {
  kPayload,
  kHttpUri,           // http.uri, http_uri: normalised request URI
  kHttpUriRaw,        // http.uri.raw, http_raw_uri
  kHttpMethod,        // http.method, http_method
  kHttpProtocol,      // http.protocol: "HTTP/1.1"
  kHttpRequestLine,   // http.request_line
  kHttpHost,          // http.host, http_host (lowercased, port stripped)
  kHttpUserAgent,     // http.user_agent, http_user_agent
  kHttpHeader,        // http.header, http_header: all header lines, "Name: value\r\n" each
  kHttpHeaderNames,   // http.header_names: "\r\nName1\r\nName2\r\n\r\n"
  kHttpCookie,        // http.cookie, http_cookie
  kHttpReferer,       // http.referer
  kHttpContentType,   // http.content_type
  kHttpAccept,        // http.accept
  kHttpRequestBody,   // http.request_body, http_client_body
  kHttpStatCode,      // http.stat_code, http_stat_code
  kHttpStatMsg,       // http.stat_msg, http_stat_msg
  kHttpServer,        // http.server
  kHttpLocation,      // http.location
  kHttpResponseLine,  // http.response_line
  kFileData,          // file.data, file_data: HTTP response body (request body to_server)
  kDnsQuery,          // dns.query, dns_query: the query name, dotted, no trailing dot
  kTlsSni,            // tls.sni, tls_sni
  // The dotprefix transform of three buffers: "." + the value, so ".example.com" with endswith
  // matches example.com and its subdomains but not badexample.com.
  kDnsQueryDotPrefix,
  kTlsSniDotPrefix,
  kHttpHostDotPrefix,
  kCount
};
inline constexpr size_t kBufferCount = static_cast<size_t>(Buffer::kCount);
const char* buffer_name(Buffer b);  // "payload", "http.uri", ...

// An IPv4 or IPv6 prefix.
struct IpPrefix {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};  // network byte order; IPv4 in the first 4 bytes
  uint8_t len = 0;
};

// An address field after variables are expanded and negations folded: an address matches when
// (any || it is in some `include`) && it is in no `exclude`. "any" is any = true, no lists.
struct AddressSet {
  bool any = true;
  std::vector<IpPrefix> include;
  std::vector<IpPrefix> exclude;
};

struct PortRange {
  uint16_t lo = 0, hi = 65535;
};
// A port field, the same way: (any || in some include) && in no exclude.
struct PortSet {
  bool any = true;
  std::vector<PortRange> include;
  std::vector<PortRange> exclude;
};

// A numeric comparison as dsize, bsize, urilen, itype, icode write it:
// "N" (==), "<N", ">N", "<=N", ">=N", "!N", "N<>M" (strictly between), "N-M" (inclusive).
struct NumCheck {
  enum Op : uint8_t {
    kEq,
    kNe,
    kLt,
    kLe,
    kGt,
    kGe,
    kBetween /* lo < x < hi */,
    kRange /* lo <= x <= hi */
  };
  Op op = kEq;
  uint32_t lo = 0, hi = 0;  // kEq..kGe use lo
  bool matches(uint32_t x) const;
};

enum class MatchKind : uint8_t { kContent, kPcre, kIsDataAt, kBsize };

// One detection keyword bound to a buffer, in rule order. "relative" keywords apply from the end
// of the previous item's match in the same buffer (content distance/within, pcre /R,
// isdataat ,relative).
struct MatchItem {
  MatchKind kind = MatchKind::kContent;
  Buffer buffer = Buffer::kPayload;
  bool negated = false;

  // kContent: the decoded bytes. kPcre: the expression between the slashes.
  std::string pattern;
  // kContent modifiers. A missing modifier has has_* = false.
  bool nocase = false;
  bool has_offset = false, has_depth = false, has_distance = false, has_within = false;
  int32_t offset = 0, depth = 0, distance = 0, within = 0;  // distance may be negative
  bool startswith = false, endswith = false;
  bool fast_pattern = false;       // chosen by the rule's author
  bool fast_pattern_only = false;  // fast_pattern:only
  bool has_fast_pattern_chop = false;
  uint16_t fp_chop_offset = 0, fp_chop_length = 0;  // fast_pattern:<offset>,<length>

  // kPcre: flags after the closing slash, buffer letters already turned into `buffer`.
  bool pcre_caseless = false;        // i
  bool pcre_dotall = false;          // s
  bool pcre_multiline = false;       // m
  bool pcre_extended = false;        // x
  bool pcre_anchored = false;        // A
  bool pcre_dollar_endonly = false;  // E
  bool pcre_ungreedy = false;        // G
  bool relative = false;             // R (pcre), ",relative" (isdataat)

  // kIsDataAt: `value` bytes exist (from the buffer start, or after the previous match).
  // kBsize: the buffer's length satisfies `check`.
  uint32_t value = 0;
  NumCheck check;
};

enum class FlowbitOp : uint8_t { kSet, kUnset, kToggle, kIsSet, kIsNotSet, kNoAlert };
struct Flowbit {
  FlowbitOp op = FlowbitOp::kSet;
  std::vector<std::string> names;  // "a|b" (any of) for isset/isnotset; one name otherwise
  bool any_of = false;             // names joined by '|' rather than '&'
};

// flow: keyword.
struct FlowCheck {
  bool established = false, not_established = false, stateless = false;
  bool to_server = false, to_client = false;  // from_client / from_server are these
  bool only_stream = false, no_stream = false;
};

// flags: keyword. Bits: F=0x01 S=0x02 R=0x04 P=0x08 A=0x10 U=0x20 C(CWR)=0x80 E(ECE)=0x40.
struct TcpFlagsCheck {
  enum Mode : uint8_t { kExact, kAll /* + */, kAny /* * */, kNone /* ! */ };
  Mode mode = kExact;
  uint8_t bits = 0;
  uint8_t ignore = 0;  // the ",<mask>" part: bits not considered
};

enum class TrackBy : uint8_t { kSrc, kDst, kRule, kBoth };
struct Threshold {
  enum Type : uint8_t { kLimit, kThreshold, kBoth, kDetectionFilter };
  Type type = kLimit;
  TrackBy track = TrackBy::kSrc;
  uint32_t count = 1;
  uint32_t seconds = 60;
};

struct Rule {
  // Header.
  RuleAction action = RuleAction::kAlert;
  RuleProto proto = RuleProto::kIp;
  AddressSet src, dst;
  PortSet src_ports, dst_ports;
  bool bidirectional = false;  // "<>"

  // Meta.
  uint32_t gid = 1, sid = 0, rev = 0;
  std::string msg;
  std::string classtype;  // as written
  std::string category;   // classtype's description from classification.config, or ""
  uint8_t priority = 3;   // priority: keyword, else the classtype's, else 3
  std::vector<std::pair<std::string, std::string>> metadata;  // "key value" pairs as written
  std::vector<std::string> references;                        // "type,id"

  // Detection.
  std::vector<MatchItem> items;  // contents, pcres, isdataat and bsize, in rule order
  bool has_dsize = false;
  NumCheck dsize;
  bool has_flow = false;
  FlowCheck flow;
  bool has_flags = false;
  TcpFlagsCheck flags;
  bool has_itype = false, has_icode = false;
  NumCheck itype, icode;
  std::vector<Flowbit> flowbits;
  bool has_threshold = false;
  Threshold threshold;   // threshold: or detection_filter:
  bool noalert = false;  // flowbits:noalert

  // Where it came from, for reports and errors.
  std::string file;
  uint32_t line = 0;
};

}  // namespace vigil::ids
