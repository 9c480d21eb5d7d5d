#include "ids/eve_format.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <ctime>
#include <string_view>

namespace vigil::ids {
namespace {

// Suricata masks flow ids to 51 bits so that JavaScript readers keep them exact.
constexpr uint64_t kFlowIdMask = 0x7ffffffffffffULL;

// Length of the valid UTF-8 sequence at s[0, n), or 0 when it is not one (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(const uint8_t* s, size_t n) {
  const auto in = [](uint8_t c, uint8_t lo, uint8_t hi) { return c >= lo && c <= hi; };
  const uint8_t c = s[0];
  if (in(c, 0xC2, 0xDF)) return n >= 2 && in(s[1], 0x80, 0xBF) ? 2 : 0;
  if (in(c, 0xE0, 0xEF)) {
    if (n < 3 || !in(s[2], 0x80, 0xBF)) return 0;
    const uint8_t lo = c == 0xE0 ? 0xA0 : 0x80;
    const uint8_t hi = c == 0xED ? 0x9F : 0xBF;
    return in(s[1], lo, hi) ? 3 : 0;
  }
  if (in(c, 0xF0, 0xF4)) {
    if (n < 4 || !in(s[2], 0x80, 0xBF) || !in(s[3], 0x80, 0xBF)) return 0;
    const uint8_t lo = c == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = c == 0xF4 ? 0x8F : 0xBF;
    return in(s[1], lo, hi) ? 4 : 0;
  }
  return 0;
}

// Bounded JSON writer: once something does not fit it stops writing and reports failure.
class JsonOut {
 public:
  JsonOut(char* out, size_t cap) : begin_(out), p_(out), end_(out + cap) {}

  bool ok() const { return ok_; }
  size_t size() const { return static_cast<size_t>(p_ - begin_); }

  void raw(const char* s, size_t n) {
    if (!ok_ || static_cast<size_t>(end_ - p_) < n) {
      ok_ = false;
      return;
    }
    std::memcpy(p_, s, n);
    p_ += n;
  }
  void raw(std::string_view s) { raw(s.data(), s.size()); }
  void ch(char c) { raw(&c, 1); }

  void u64(uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    raw(buf, static_cast<size_t>(r.ptr - buf));
  }

  // Objects and arrays: a comma goes before every member but the first.
  void open(char c) {
    ch(c);
    if (depth_ < kMaxDepth) first_[++depth_] = true;
  }
  void close(char c) {
    ch(c);
    if (depth_ > 0) --depth_;
  }
  void key(std::string_view k) {
    next();
    ch('"');
    raw(k);
    raw("\":", 2);
  }
  void next() {
    if (!first_[depth_]) ch(',');
    first_[depth_] = false;
  }

  // A text field of at most `max` bytes, NUL-terminated or not, as an escaped JSON string.
  void text(const char* s, size_t max) {
    const size_t n = strnlen(s, max);
    const auto* b = reinterpret_cast<const uint8_t*>(s);
    ch('"');
    size_t i = 0;
    while (i < n && ok_) {
      const uint8_t c = b[i];
      if (c == '"' || c == '\\') {
        ch('\\');
        ch(static_cast<char>(c));
        ++i;
      } else if (c >= 0x20 && c < 0x7F) {
        ch(static_cast<char>(c));
        ++i;
      } else if (const size_t len = c >= 0x80 ? utf8_sequence(b + i, n - i) : 0; len > 0) {
        raw(s + i, len);
        i += len;
      } else {
        // Control characters, DEL and bytes that are not UTF-8 become \u00XX: always valid JSON.
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        raw(esc, sizeof esc);
        ++i;
      }
    }
    ch('"');
  }
  template <size_t N>
  void text(const char (&field)[N]) {
    text(field, N);
  }

  void string_field(std::string_view k, std::string_view v) {
    key(k);
    ch('"');
    raw(v);
    ch('"');
  }
  void number_field(std::string_view k, uint64_t v) {
    key(k);
    u64(v);
  }
  template <size_t N>
  void text_field(std::string_view k, const char (&field)[N]) {
    key(k);
    text(field, N);
  }
  // Only when the field is not empty.
  template <size_t N>
  void text_field_opt(std::string_view k, const char (&field)[N]) {
    if (field[0] != '\0') text_field(k, field);
  }

 private:
  static constexpr int kMaxDepth = 7;
  char* begin_;
  char* p_;
  char* end_;
  bool ok_ = true;
  int depth_ = 0;
  bool first_[kMaxDepth + 1] = {true, true, true, true, true, true, true, true};
};

char* put_digits(char* p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

bool has_ports(uint8_t proto) {
  return proto == 6 || proto == 17 || proto == 132;
}
bool is_icmp(uint8_t proto) {
  return proto == 1 || proto == 58;
}

// "10.0.0.1" or the canonical compressed IPv6 form (RFC 5952, as inet_ntop writes it).
bool format_addr(uint8_t family, const uint8_t* addr, char* out, size_t cap) {
  const int af = family == 4 ? AF_INET : AF_INET6;
  return inet_ntop(af, addr, out, static_cast<socklen_t>(cap)) != nullptr;
}

void write_app_sections(const AlertRecord& r, JsonOut& j) {
  if (r.http_hostname[0] != '\0' || r.http_url[0] != '\0') {
    j.key("http");
    j.open('{');
    j.text_field_opt("hostname", r.http_hostname);
    j.text_field_opt("url", r.http_url);
    j.close('}');
  }
  if (r.dns_rrname[0] != '\0') {
    // Suricata 7's alert records carry the query as {"query":[{"type":"query","rrname":...}]}.
    j.key("dns");
    j.open('{');
    j.key("query");
    j.open('[');
    j.next();
    j.open('{');
    j.string_field("type", "query");
    j.text_field("rrname", r.dns_rrname);
    j.close('}');
    j.close(']');
    j.close('}');
  }
  if (r.tls_sni[0] != '\0') {
    j.key("tls");
    j.open('{');
    j.text_field("sni", r.tls_sni);
    j.close('}');
  }
}

}  // namespace

const char* eve_proto_name(uint8_t proto) {
  switch (proto) {
    case 1:
      return "ICMP";
    case 2:
      return "IGMP";
    case 6:
      return "TCP";
    case 17:
      return "UDP";
    case 47:
      return "GRE";
    case 58:
      return "IPv6-ICMP";
    case 132:
      return "SCTP";
    default:
      return nullptr;
  }
}

size_t format_eve_timestamp(uint64_t time_us, char* out) {
  const time_t secs = static_cast<time_t>(time_us / 1000000);
  const auto usec = static_cast<unsigned>(time_us % 1000000);
  struct tm tm {};
  if (gmtime_r(&secs, &tm) == nullptr) return 0;
  const long year = static_cast<long>(tm.tm_year) + 1900;
  if (year < 0 || year > 9999) return 0;
  char* p = out;
  p = put_digits(p, static_cast<unsigned>(year), 4);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(tm.tm_mon + 1), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(tm.tm_mday), 2);
  *p++ = 'T';
  p = put_digits(p, static_cast<unsigned>(tm.tm_hour), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<unsigned>(tm.tm_min), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<unsigned>(tm.tm_sec), 2);
  *p++ = '.';
  p = put_digits(p, usec, 6);
  std::memcpy(p, "+0000", 5);
  p += 5;
  *p = '\0';
  return static_cast<size_t>(p - out);
}

size_t format_alert(const AlertRecord& r, char* out, size_t cap) {
  if (r.kind != EventKind::kAlert || (r.family != 4 && r.family != 6)) return 0;
  char ts[32];
  const size_t ts_len = format_eve_timestamp(r.time_us, ts);
  char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
  if (ts_len == 0 || !format_addr(r.family, r.src_addr, src, sizeof src) ||
      !format_addr(r.family, r.dst_addr, dst, sizeof dst)) {
    return 0;
  }

  JsonOut j(out, cap);
  j.open('{');
  j.string_field("timestamp", std::string_view(ts, ts_len));
  if (r.flow_id != 0) j.number_field("flow_id", r.flow_id & kFlowIdMask);
  j.text_field_opt("in_iface", r.in_iface);
  j.string_field("event_type", "alert");
  if (r.vlan != 0) {
    j.key("vlan");
    j.open('[');
    j.next();
    j.u64(r.vlan);
    j.close(']');
  }
  j.string_field("src_ip", src);
  if (has_ports(r.ip_proto)) j.number_field("src_port", r.src_port);
  j.string_field("dest_ip", dst);
  if (has_ports(r.ip_proto)) j.number_field("dest_port", r.dst_port);
  if (const char* name = eve_proto_name(r.ip_proto)) {
    j.string_field("proto", name);
  } else {
    char num[4];
    put_digits(num, r.ip_proto, 3);
    j.string_field("proto", std::string_view(num, 3));
  }
  if (is_icmp(r.ip_proto)) {
    j.number_field("icmp_type", r.icmp_type);
    j.number_field("icmp_code", r.icmp_code);
  }
  j.text_field_opt("app_proto", r.app_proto);
  j.string_field("direction", r.to_server ? "to_server" : "to_client");

  j.key("alert");
  j.open('{');
  j.string_field("action", r.action == AlertAction::kBlocked ? "blocked" : "allowed");
  j.number_field("gid", r.gid);
  j.number_field("signature_id", r.sid);
  j.number_field("rev", r.rev);
  j.text_field("signature", r.msg);
  j.text_field_opt("category", r.category);
  j.number_field("severity", r.severity);
  j.close('}');

  write_app_sections(r, j);

  j.key("vigil");
  j.open('{');
  j.text_field_opt("tenant", r.tenant);
  j.text_field_opt("port", r.in_iface);
  j.number_field("port_id", r.in_port);
  j.close('}');
  j.close('}');
  j.ch('\n');
  return j.ok() ? j.size() : 0;
}

size_t format_event(const AlertRecord& rec, char* out, size_t cap) {
  switch (rec.kind) {
    case EventKind::kAlert:
      return format_alert(rec, out, cap);
  }
  return 0;
}

}  // namespace vigil::ids
