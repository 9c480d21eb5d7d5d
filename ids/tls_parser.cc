#include "ids/tls_parser.h"

#include <cstring>

namespace vigil::ids {
namespace {

constexpr uint8_t kClientHelloType = 1;
constexpr uint8_t kServerHelloType = 2;
constexpr uint16_t kExtServerName = 0;
constexpr uint8_t kHostName = 0;

// A bounds-checked reader: every read fails (and keeps failing) past the end.
struct Cursor {
  const uint8_t* p;
  uint32_t n;
  uint32_t pos = 0;
  bool ok = true;

  uint32_t left() const { return ok ? n - pos : 0; }
  bool skip(uint32_t k) {
    if (!ok || k > n - pos) return ok = false;
    pos += k;
    return true;
  }
  uint32_t u8() {
    if (!ok || pos + 1 > n) return ok = false;
    return p[pos++];
  }
  uint32_t u16() {
    if (!ok || n - pos < 2) return ok = false;
    const uint32_t v = static_cast<uint32_t>(p[pos] << 8 | p[pos + 1]);
    pos += 2;
    return v;
  }
  uint32_t u24() {
    if (!ok || n - pos < 3) return ok = false;
    const uint32_t v = static_cast<uint32_t>(p[pos] << 16 | p[pos + 1] << 8 | p[pos + 2]);
    pos += 3;
    return v;
  }
};

TlsParse fail(TlsClientHello& out, const char* reason) {
  out.error = reason;
  return TlsParse::kError;
}

// The server_name extension body: a list of (type, name); the first host_name is the SNI.
bool parse_server_name(const uint8_t* p, uint32_t n, TlsClientHello& out) {
  Cursor c{p, n};
  const uint32_t list_len = c.u16();
  if (!c.ok || list_len != c.left()) return false;
  while (c.left() > 0) {
    const uint32_t type = c.u8();
    const uint32_t len = c.u16();
    const uint32_t at = c.pos;
    if (!c.skip(len)) return false;
    if (type == kHostName && !out.has_sni) {
      out.has_sni = true;
      const uint32_t keep = len > kTlsMaxSni ? kTlsMaxSni : len;
      std::memcpy(out.sni, p + at, keep);
      out.sni[keep] = 0;
      out.sni_len = static_cast<uint16_t>(keep);
      out.sni_truncated = keep < len;
    }
  }
  return true;
}

// The ClientHello body (after the 4-byte handshake header).
TlsParse parse_hello_body(const uint8_t* p, uint32_t n, TlsClientHello& out) {
  Cursor c{p, n};
  out.client_version = static_cast<uint16_t>(c.u16());
  c.skip(32);  // random
  const uint32_t sid = c.u8();
  if (!c.ok || sid > 32 || !c.skip(sid)) return fail(out, tls_error::kBadHello);
  out.session_id_len = static_cast<uint8_t>(sid);
  const uint32_t suites = c.u16();
  if (!c.ok || suites < 2 || suites % 2 != 0 || !c.skip(suites)) {
    return fail(out, tls_error::kBadHello);
  }
  out.n_cipher_suites = static_cast<uint16_t>(suites / 2);
  const uint32_t compressions = c.u8();
  if (!c.ok || compressions < 1 || !c.skip(compressions)) return fail(out, tls_error::kBadHello);
  if (c.left() == 0) return TlsParse::kClientHello;  // no extensions (SSL 3.0 style)

  const uint32_t ext_total = c.u16();
  if (!c.ok || ext_total > c.left()) return fail(out, tls_error::kBadExtensions);
  Cursor e{p + c.pos, ext_total};
  while (e.left() > 0) {
    const uint32_t type = e.u16();
    const uint32_t len = e.u16();
    const uint32_t at = e.pos;
    if (!e.skip(len)) return fail(out, tls_error::kBadExtensions);
    ++out.n_extensions;
    if (type == kExtServerName && len > 0 && !out.has_sni &&
        !parse_server_name(e.p + at, len, out)) {
      return fail(out, tls_error::kBadExtensions);
    }
  }
  return TlsParse::kClientHello;
}

}  // namespace

bool tls_record_header(const uint8_t* data, uint32_t len, TlsRecordHeader& out) {
  if (data == nullptr || len < kTlsRecordHeaderLen) return false;
  out.type = data[0];
  out.version = static_cast<uint16_t>(data[1] << 8 | data[2]);
  out.length = static_cast<uint16_t>(data[3] << 8 | data[4]);
  return tls_valid_version(out.version);
}

TlsParse parse_tls_client_hello(const uint8_t* data, uint32_t len, TlsClientHello& out) {
  out = TlsClientHello{};
  if (data == nullptr || len == 0) return TlsParse::kIncomplete;
  // A prefix of a handshake record header: decide with what is there.
  if (data[0] != kTlsHandshake) return TlsParse::kNotTls;
  if (len >= 2 && data[1] != 3) return TlsParse::kNotTls;
  if (len >= 3 && data[2] > 4) return TlsParse::kNotTls;
  TlsRecordHeader rec;
  if (!tls_record_header(data, len, rec)) return TlsParse::kIncomplete;
  out.record_version = rec.version;
  if (rec.length == 0 || rec.length > kTlsMaxRecordLen) {
    return fail(out, tls_error::kBadRecordLength);
  }
  // The handshake header can be judged as soon as it is there.
  const uint32_t in_first = len - kTlsRecordHeaderLen;
  if (in_first >= 1 && data[5] != kClientHelloType) return fail(out, tls_error::kNotClientHello);
  if (in_first < rec.length) return TlsParse::kIncomplete;
  if (rec.length < 4) return fail(out, tls_error::kBadHello);
  const uint8_t* body = data + kTlsRecordHeaderLen;
  const uint32_t hs_len = static_cast<uint32_t>(body[1] << 16 | body[2] << 8 | body[3]);

  if (4 + hs_len <= rec.length) {  // the usual case: the hello fits in its record
    out.consumed = kTlsRecordHeaderLen + rec.length;
    return parse_hello_body(body + 4, hs_len, out);
  }
  // The hello continues in following handshake records: gather the fragments.
  if (4 + hs_len > kTlsMaxFragmentedHello) return fail(out, tls_error::kHelloTooLarge);
  uint8_t gathered[kTlsMaxFragmentedHello];
  uint32_t have = rec.length;
  std::memcpy(gathered, body, have);
  uint32_t pos = kTlsRecordHeaderLen + rec.length;
  while (have < 4 + hs_len) {
    TlsRecordHeader next;
    if (len - pos < kTlsRecordHeaderLen) return TlsParse::kIncomplete;
    if (!tls_record_header(data + pos, len - pos, next) || next.type != kTlsHandshake) {
      return fail(out, tls_error::kBadFragment);
    }
    if (next.length == 0 || next.length > kTlsMaxRecordLen) {
      return fail(out, tls_error::kBadRecordLength);
    }
    if (len - pos - kTlsRecordHeaderLen < next.length) return TlsParse::kIncomplete;
    const uint32_t take = next.length < 4 + hs_len - have ? next.length : 4 + hs_len - have;
    std::memcpy(gathered + have, data + pos + kTlsRecordHeaderLen, take);
    have += take;
    pos += kTlsRecordHeaderLen + next.length;
  }
  out.consumed = pos;
  return parse_hello_body(gathered + 4, hs_len, out);
}

bool tls_is_application_data(const uint8_t* data, uint32_t len) {
  TlsRecordHeader rec;
  return tls_record_header(data, len, rec) && rec.type == kTlsApplicationData && rec.length > 0 &&
         rec.length <= kTlsMaxRecordLen;
}

bool tls_is_server_hello(const uint8_t* data, uint32_t len) {
  TlsRecordHeader rec;
  return tls_record_header(data, len, rec) && rec.type == kTlsHandshake && rec.length >= 4 &&
         len > kTlsRecordHeaderLen && data[kTlsRecordHeaderLen] == kServerHelloType;
}

bool tls_is_change_cipher_spec(const uint8_t* data, uint32_t len) {
  TlsRecordHeader rec;
  return tls_record_header(data, len, rec) && rec.type == kTlsChangeCipherSpec && rec.length == 1 &&
         len > kTlsRecordHeaderLen && data[kTlsRecordHeaderLen] == 1;
}

}  // namespace vigil::ids
