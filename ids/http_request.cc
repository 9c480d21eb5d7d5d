// HTTP/1.x request parsing: request line, headers, body framing (http_parser.h).
#include <algorithm>
#include <cstring>

#include "ids/http_internal.h"
#include "ids/http_parser.h"

namespace vigil::ids {

using namespace http_detail;

void HttpRequest::reset() {
  reset_message();
  method = uri_raw = protocol = request_line = {};
  user_agent = cookie = referer = accept = host_raw = {};
  host.clear();
  uri.clear();
  http09 = false;
}

namespace {

HttpParse fail(HttpRequest& out, const char* reason) {
  out.error = reason;
  return HttpParse::kError;
}

// Request-target bytes: anything visible; controls and DEL are not HTTP.
bool valid_uri_byte(uint8_t c) {
  return c > 0x20 && c != 0x7f;
}

// The host of an absolute-form target "scheme://[user@]host[:port]/...", or an empty view.
HttpView absolute_uri_host(HttpView uri) {
  uint32_t start = 0, end = 0;
  if (uri.ptr == nullptr || !split_absolute_uri(uri.ptr, uri.len, &start, &end)) return {};
  for (uint32_t i = start; i < end; ++i) {
    if (uri.ptr[i] == '@') start = i + 1;  // userinfo
  }
  return HttpView{uri.ptr + start, end - start};
}

// The request line, validated as far as the bytes go: a prefix that cannot become a request
// line is an error at once (so protocol detection can give up early).
HttpParse parse_request_line(const uint8_t* data, uint32_t len, uint32_t start, HttpRequest& out,
                             uint32_t* next) {
  const uint32_t limit =
      static_cast<uint32_t>(std::min<uint64_t>(len, uint64_t{start} + kHttpMaxHeaderBlock));
  Line line;
  const bool complete = next_line(data, limit, start, line);
  uint32_t end = complete ? line.end : limit;
  if (!complete && end > start && data[end - 1] == '\r') --end;  // its '\n' may follow

  uint32_t i = start;
  while (i < end && is_tchar(data[i])) ++i;
  const uint32_t method_len = i - start;
  if (method_len > kHttpMaxMethod) return fail(out, http_error::kBadMethod);
  if (i == end && !complete) {
    return limit < len ? fail(out, http_error::kHeaderTooLong) : HttpParse::kIncomplete;
  }
  if (method_len == 0 || i == end || data[i] != ' ') return fail(out, http_error::kBadMethod);
  out.method = HttpView{data + start, method_len};
  while (i < end && data[i] == ' ') ++i;
  for (uint32_t k = i; k < end; ++k) {
    if (data[k] != ' ' && !valid_uri_byte(data[k])) return fail(out, http_error::kBadUri);
  }
  if (!complete) {
    return limit < len ? fail(out, http_error::kHeaderTooLong) : HttpParse::kIncomplete;
  }
  // Target and protocol: the protocol is the last space-separated token when it looks like
  // one; a target with spaces in it is tolerated as libhtp does.
  uint32_t rest_end = end;
  while (rest_end > i && data[rest_end - 1] == ' ') --rest_end;
  if (rest_end == i) return fail(out, http_error::kBadUri);
  uint32_t sp = rest_end;
  while (sp > i && data[sp - 1] != ' ') --sp;
  if (sp == i) {  // "GET /": HTTP/0.9
    out.uri_raw = HttpView{data + i, rest_end - i};
    out.http09 = true;
  } else {
    if (!valid_protocol(data + sp, rest_end - sp)) return fail(out, http_error::kBadProtocol);
    out.protocol = HttpView{data + sp, rest_end - sp};
    uint32_t uri_end = sp;
    while (uri_end > i && data[uri_end - 1] == ' ') --uri_end;
    out.uri_raw = HttpView{data + i, uri_end - i};
  }
  out.request_line = HttpView{data + start, line.end - start};
  *next = line.next;
  return HttpParse::kComplete;
}

}  // namespace

HttpParse parse_http_request(const uint8_t* data, uint32_t len, HttpRequest& out) {
  out.reset();
  if (data == nullptr || len == 0) return HttpParse::kIncomplete;
  const uint32_t start = skip_leading_newlines(data, len);
  if (start == len) return HttpParse::kIncomplete;

  uint32_t pos = 0;
  const HttpParse line = parse_request_line(data, len, start, out, &pos);
  if (line != HttpParse::kComplete) return line;

  http_normalize_uri(out.uri_raw.ptr, out.uri_raw.len, out.uri);
  uint32_t body_start = pos;
  if (out.http09) {
    out.header = HttpView{data + pos, 0};
  } else {
    const WantedHeader wanted[] = {
        {"user-agent", &out.user_agent}, {"cookie", &out.cookie}, {"referer", &out.referer},
        {"accept", &out.accept},         {"host", &out.host_raw},
    };
    const HttpParse headers = parse_header_block(
        data, len, start, pos, wanted, sizeof(wanted) / sizeof(wanted[0]), out, &body_start);
    if (headers != HttpParse::kComplete) return headers;
  }
  const HttpView uri_host = absolute_uri_host(out.uri_raw);
  const HttpView host = uri_host.len > 0 ? uri_host : out.host_raw;
  http_normalize_host(host.ptr, host.len, out.host);

  // A request has a body only when it says so (RFC 9112 6.3).
  BodyMode mode = BodyMode::kNone;
  if (out.chunked) {
    mode = BodyMode::kChunked;
  } else if (out.has_content_length) {
    mode = BodyMode::kLength;
  }
  return frame_body(data, len, body_start, mode, false, out);
}

}  // namespace vigil::ids
