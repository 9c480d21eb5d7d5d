// Normalisation of the request target and the host for http.uri and http.host (http_parser.h).
#include <cstring>
#include <string_view>

#include "ids/http_internal.h"
#include "ids/http_parser.h"

namespace vigil::ids {

using namespace http_detail;

namespace {

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends [p, p+n) with valid %XX escapes decoded; an invalid escape is kept as written.
void percent_decode(const uint8_t* p, uint32_t n, HttpFixed<kHttpUriMax>& out) {
  for (uint32_t i = 0; i < n;) {
    if (p[i] == '%' && i + 2 < n && hex_value(p[i + 1]) >= 0 && hex_value(p[i + 2]) >= 0) {
      out.push(static_cast<uint8_t>(hex_value(p[i + 1]) * 16 + hex_value(p[i + 2])));
      i += 3;
    } else {
      out.push(p[i]);
      i += 1;
    }
  }
}

// RFC 3986 5.2.4 remove_dot_segments, in place over d[0, n); returns the new length. Empty
// segments ("//") are kept. The output never runs ahead of the input, so in place is safe.
uint32_t remove_dot_segments(uint8_t* d, uint32_t n) {
  uint32_t i = 0, o = 0;
  while (i < n) {
    const bool slash = d[i] == '/';
    const uint32_t seg = slash ? i + 1 : i;
    uint32_t seg_end = seg;
    while (seg_end < n && d[seg_end] != '/') ++seg_end;
    const uint32_t seg_len = seg_end - seg;
    const bool dot = seg_len == 1 && d[seg] == '.';
    const bool dotdot = seg_len == 2 && d[seg] == '.' && d[seg + 1] == '.';
    if (!dot && !dotdot) {
      std::memmove(d + o, d + i, seg_end - i);
      o += seg_end - i;
      i = seg_end;
      continue;
    }
    if (dotdot) {  // drop the last output segment and its '/'
      while (o > 0 && d[o - 1] != '/') --o;
      if (o > 0) --o;
    }
    if (slash) {
      if (seg_end == n) d[o++] = '/';  // "/." or "/.." at the end leaves "/"
      i = seg_end;
    } else {  // a leading "./" or "../" of a relative path
      i = seg_end < n ? seg_end + 1 : seg_end;
    }
  }
  return o;
}

}  // namespace

namespace http_detail {

bool split_absolute_uri(const uint8_t* uri, uint32_t len, uint32_t* authority_start,
                        uint32_t* authority_end) {
  const std::string_view s(reinterpret_cast<const char*>(uri), len);
  const size_t scheme_end = s.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  for (size_t i = 0; i < scheme_end; ++i) {
    const uint8_t c = uri[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  const size_t end = s.find_first_of("/?#", scheme_end + 3);
  *authority_start = static_cast<uint32_t>(scheme_end + 3);
  *authority_end = static_cast<uint32_t>(end == std::string_view::npos ? len : end);
  return true;
}

}  // namespace http_detail

bool http_normalize_uri(const uint8_t* uri, uint32_t len, HttpFixed<kHttpUriMax>& out) {
  out.clear();
  if (uri == nullptr || len == 0) return true;
  uint32_t authority_start = 0, skip = 0;
  split_absolute_uri(uri, len, &authority_start, &skip);
  uri += skip;
  len -= skip;
  if (skip > 0 && (len == 0 || uri[0] != '/')) out.push('/');  // "http://h" or "http://h?q"
  const void* q = std::memchr(uri, '?', len);
  const uint32_t path_len = q ? static_cast<uint32_t>(static_cast<const uint8_t*>(q) - uri) : len;
  percent_decode(uri, path_len, out);
  out.len = remove_dot_segments(out.data, out.len);
  percent_decode(uri + path_len, len - path_len, out);
  return !out.truncated;
}

void http_normalize_host(const uint8_t* host, uint32_t len, HttpFixed<kHttpHostMax>& out) {
  out.clear();
  if (host == nullptr) return;
  uint32_t start = 0;
  while (start < len && is_space(host[start])) ++start;
  uint32_t end = start;
  if (start < len && host[start] == '[') {  // IPv6 literal: keep the brackets, drop the port
    while (end < len && host[end] != ']') ++end;
    if (end < len) ++end;
  } else {
    while (end < len && host[end] != ':' && !is_space(host[end])) ++end;
  }
  while (end > start && host[end - 1] == '.') --end;
  for (uint32_t i = start; i < end; ++i) out.push(to_lower(host[i]));
}

}  // namespace vigil::ids
