// HTTP/1.x response parsing: status line, headers, body framing (http_parser.h).
#include <algorithm>
#include <cstring>

#include "ids/http_internal.h"
#include "ids/http_parser.h"

namespace vigil::ids {

using namespace http_detail;

void HttpResponse::reset() {
  reset_message();
  protocol = stat_code = stat_msg = response_line = {};
  server = location = {};
  status = 0;
}

namespace {

HttpParse fail(HttpResponse& out, const char* reason) {
  out.error = reason;
  return HttpParse::kError;
}

// "HTTP/x.y SP 3DIGIT [SP reason]"; a prefix that cannot become one is an error at once.
HttpParse parse_status_line(const uint8_t* data, uint32_t len, uint32_t start, HttpResponse& out,
                            uint32_t* next) {
  static constexpr char kPrefix[] = "HTTP/";
  const uint32_t have = std::min<uint32_t>(len - start, 5);
  if (std::memcmp(data + start, kPrefix, have) != 0) return fail(out, http_error::kNotResponse);
  const uint32_t limit =
      static_cast<uint32_t>(std::min<uint64_t>(len, uint64_t{start} + kHttpMaxHeaderBlock));
  Line line;
  if (!next_line(data, limit, start, line)) {
    return limit < len ? fail(out, http_error::kHeaderTooLong) : HttpParse::kIncomplete;
  }
  uint32_t i = start;
  while (i < line.end && data[i] != ' ') ++i;
  if (!valid_protocol(data + start, i - start)) return fail(out, http_error::kBadProtocol);
  out.protocol = HttpView{data + start, i - start};
  while (i < line.end && data[i] == ' ') ++i;
  const uint32_t code = i;
  while (i < line.end && is_digit(data[i])) ++i;
  if (i - code != 3 || (i < line.end && !is_space(data[i]))) {
    return fail(out, http_error::kBadStatus);
  }
  out.stat_code = HttpView{data + code, 3};
  out.status = static_cast<uint16_t>((data[code] - '0') * 100 + (data[code + 1] - '0') * 10 +
                                     (data[code + 2] - '0'));
  while (i < line.end && is_space(data[i])) ++i;
  uint32_t msg_end = line.end;
  while (msg_end > i && is_space(data[msg_end - 1])) --msg_end;
  out.stat_msg = HttpView{data + i, msg_end - i};
  out.response_line = HttpView{data + start, line.end - start};
  *next = line.next;
  return HttpParse::kComplete;
}

}  // namespace

HttpParse parse_http_response(const uint8_t* data, uint32_t len, HttpResponse& out,
                              HttpResponseContext ctx) {
  out.reset();
  if (data == nullptr || len == 0) return HttpParse::kIncomplete;
  const uint32_t start = skip_leading_newlines(data, len);
  if (start == len) return HttpParse::kIncomplete;

  uint32_t pos = 0;
  const HttpParse line = parse_status_line(data, len, start, out, &pos);
  if (line != HttpParse::kComplete) return line;

  const WantedHeader wanted[] = {{"server", &out.server}, {"location", &out.location}};
  uint32_t body_start = pos;
  const HttpParse headers = parse_header_block(
      data, len, start, pos, wanted, sizeof(wanted) / sizeof(wanted[0]), out, &body_start);
  if (headers != HttpParse::kComplete) return headers;

  // RFC 9112 6.3: these never have a body, whatever the headers say.
  const bool no_body =
      ctx.head_request || out.status < 200 || out.status == 204 || out.status == 304;
  BodyMode mode = BodyMode::kUntilClose;
  if (no_body) {
    mode = BodyMode::kNone;
  } else if (out.chunked) {
    mode = BodyMode::kChunked;
  } else if (out.has_content_length) {
    mode = BodyMode::kLength;
  }
  return frame_body(data, len, body_start, mode, ctx.stream_ended, out);
}

}  // namespace vigil::ids
