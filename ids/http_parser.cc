// What HTTP requests and responses share: line scanning, headers, body framing.
#include "ids/http_parser.h"

#include <algorithm>
#include <cstring>

#include "ids/http_internal.h"

namespace vigil::ids {

void HttpMessage::reset_message() {
  header = {};
  content_type = {};
  header_names.clear();
  header_count = 0;
  has_content_length = false;
  content_length = 0;
  chunked = false;
  body_until_close = false;
  body_complete = false;
  body_wire = {};
  body_decoded.clear();
  body_remaining = 0;
  consumed = 0;
  error = nullptr;
}

namespace http_detail {
namespace {

constexpr uint32_t kMaxChunkLine = 1024;  // size line with extensions
constexpr uint64_t kMaxChunkSize = 0x7fffffff;
constexpr uint64_t kMaxContentLength = 1ull << 62;

HttpView trim(const uint8_t* data, uint32_t start, uint32_t end) {
  while (start < end && is_space(data[start])) ++start;
  while (end > start && is_space(data[end - 1])) --end;
  return HttpView{data + start, end - start};
}

// Content-Length: digits only (surrounding whitespace already trimmed).
bool parse_length(HttpView v, uint64_t* out) {
  if (v.len == 0) return false;
  uint64_t n = 0;
  for (uint32_t i = 0; i < v.len; ++i) {
    if (!is_digit(v.ptr[i])) return false;
    n = n * 10 + (v.ptr[i] - '0');
    if (n > kMaxContentLength) return false;
  }
  *out = n;
  return true;
}

// Whether a Transfer-Encoding value names chunked (case-insensitive, as its last coding in
// practice; any mention is enough to frame by chunks, as libhtp does).
bool mentions_chunked(HttpView v) {
  static constexpr char kChunked[] = "chunked";
  constexpr uint32_t n = sizeof(kChunked) - 1;
  for (uint32_t i = 0; i + n <= v.len; ++i) {
    if (iequals(v.ptr + i, n, kChunked)) return true;
  }
  return false;
}

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A chunk-size line "1a[;ext][ ]". False when malformed.
bool parse_chunk_size(const uint8_t* data, const Line& line, uint64_t* size) {
  uint32_t i = line.start;
  uint64_t n = 0;
  uint32_t digits = 0;
  while (i < line.end && is_space(data[i])) ++i;  // tolerated, as libhtp does
  for (; i < line.end && hex_value(data[i]) >= 0; ++i, ++digits) {
    n = n * 16 + static_cast<uint64_t>(hex_value(data[i]));
    if (n > kMaxChunkSize) return false;
  }
  if (digits == 0) return false;
  while (i < line.end && is_space(data[i])) ++i;
  if (i < line.end && data[i] != ';') return false;
  *size = n;
  return true;
}

HttpParse fail(HttpMessage& out, const char* reason) {
  out.error = reason;
  return HttpParse::kError;
}

HttpParse frame_chunked(const uint8_t* data, uint32_t len, uint32_t body_start, HttpMessage& out) {
  uint32_t pos = body_start;
  auto incomplete = [&](uint64_t remaining) {
    out.body_wire = HttpView{data + body_start, len - body_start};
    out.body_remaining = remaining;
    out.consumed = len;
    return HttpParse::kIncomplete;
  };
  for (;;) {
    Line line;
    const uint32_t limit =
        static_cast<uint32_t>(std::min<uint64_t>(len, uint64_t{pos} + kMaxChunkLine));
    if (!next_line(data, limit, pos, line)) {
      if (limit < len) return fail(out, http_error::kBadChunk);
      return incomplete(0);
    }
    uint64_t size = 0;
    if (!parse_chunk_size(data, line, &size)) return fail(out, http_error::kBadChunk);
    pos = line.next;
    if (size == 0) break;
    const uint32_t avail = static_cast<uint32_t>(std::min<uint64_t>(size, len - pos));
    out.body_decoded.append(data + pos, avail);
    if (avail < size) return incomplete(size - avail);
    pos += avail;
    // The CRLF (or LF) closing the chunk data.
    if (pos >= len) return incomplete(0);
    if (data[pos] == '\n') {
      pos += 1;
    } else if (data[pos] == '\r') {
      if (pos + 1 >= len) return incomplete(0);
      if (data[pos + 1] != '\n') return fail(out, http_error::kBadChunk);
      pos += 2;
    } else {
      return fail(out, http_error::kBadChunk);
    }
  }
  // Trailer lines up to an empty line; bounded like a header block.
  for (uint32_t lines = 0;; ++lines) {
    Line line;
    const uint32_t limit =
        static_cast<uint32_t>(std::min<uint64_t>(len, uint64_t{pos} + kHttpMaxHeaderBlock));
    if (lines > kHttpMaxHeaders) return fail(out, http_error::kBadChunk);
    if (!next_line(data, limit, pos, line)) {
      if (limit < len) return fail(out, http_error::kBadChunk);
      return incomplete(0);
    }
    pos = line.next;
    if (line.start == line.end) break;
  }
  out.body_wire = HttpView{data + body_start, pos - body_start};
  out.body_complete = true;
  out.consumed = pos;
  return HttpParse::kComplete;
}

}  // namespace

bool is_tchar(uint8_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool iequals(const uint8_t* p, uint32_t len, const char* lower_literal) {
  for (uint32_t i = 0; i < len; ++i) {
    if (lower_literal[i] == 0 || to_lower(p[i]) != static_cast<uint8_t>(lower_literal[i])) {
      return false;
    }
  }
  return lower_literal[len] == 0;
}

bool next_line(const uint8_t* data, uint32_t limit, uint32_t pos, Line& line) {
  if (pos >= limit) return false;
  const void* nl = std::memchr(data + pos, '\n', limit - pos);
  if (nl == nullptr) return false;
  const uint32_t at = static_cast<uint32_t>(static_cast<const uint8_t*>(nl) - data);
  line.start = pos;
  line.end = (at > pos && data[at - 1] == '\r') ? at - 1 : at;
  line.next = at + 1;
  return true;
}

uint32_t skip_leading_newlines(const uint8_t* data, uint32_t len) {
  uint32_t i = 0;
  while (i < len && (data[i] == '\r' || data[i] == '\n')) ++i;
  return i;
}

bool valid_protocol(const uint8_t* p, uint32_t len) {
  return len == 8 && std::memcmp(p, "HTTP/", 5) == 0 && (p[5] == '0' || p[5] == '1') &&
         p[6] == '.' && is_digit(p[7]);
}

HttpParse parse_header_block(const uint8_t* data, uint32_t len, uint32_t msg_start, uint32_t pos,
                             const WantedHeader* wanted, uint32_t n_wanted, HttpMessage& out,
                             uint32_t* body_start) {
  static constexpr uint8_t kCrlf[] = {'\r', '\n'};
  const uint32_t limit =
      static_cast<uint32_t>(std::min<uint64_t>(len, uint64_t{msg_start} + kHttpMaxHeaderBlock));
  const uint32_t header_start = pos;
  HttpView* last_value = nullptr;  // value a folded line extends
  out.header_names.append(kCrlf, 2);
  for (;;) {
    Line line;
    if (!next_line(data, limit, pos, line)) {
      if (limit < len) return fail(out, http_error::kHeaderTooLong);
      return HttpParse::kIncomplete;
    }
    if (line.start == line.end) {  // the empty line ending the block
      out.header = HttpView{data + header_start, pos - header_start};
      out.header_names.append(kCrlf, 2);
      *body_start = line.next;
      return HttpParse::kComplete;
    }
    pos = line.next;
    if (is_space(data[line.start])) {  // obsolete line folding
      if (out.header_count == 0) return fail(out, http_error::kBadHeader);
      if (last_value != nullptr) {
        const HttpView tail = trim(data, line.start, line.end);
        if (tail.len > 0) {
          last_value->len = static_cast<uint32_t>(tail.ptr + tail.len - last_value->ptr);
        }
      }
      continue;
    }
    const void* colon_p = std::memchr(data + line.start, ':', line.end - line.start);
    if (colon_p == nullptr) return fail(out, http_error::kBadHeader);
    const uint32_t colon = static_cast<uint32_t>(static_cast<const uint8_t*>(colon_p) - data);
    const HttpView name = trim(data, line.start, colon);  // "Name :" tolerated
    if (name.len == 0) return fail(out, http_error::kBadHeader);
    for (uint32_t i = 0; i < name.len; ++i) {
      if (!is_tchar(name.ptr[i])) return fail(out, http_error::kBadHeader);
    }
    if (++out.header_count > kHttpMaxHeaders) return fail(out, http_error::kTooManyHeaders);
    out.header_names.append(name.ptr, name.len);
    out.header_names.append(kCrlf, 2);

    const HttpView value = trim(data, colon + 1, line.end);
    last_value = nullptr;
    if (iequals(name.ptr, name.len, "content-length")) {
      uint64_t n = 0;
      if (!parse_length(value, &n)) return fail(out, http_error::kBadContentLength);
      if (out.has_content_length && out.content_length != n) {
        return fail(out, http_error::kConflictingLength);
      }
      out.has_content_length = true;
      out.content_length = n;
    } else if (iequals(name.ptr, name.len, "transfer-encoding")) {
      if (mentions_chunked(value)) out.chunked = true;
    } else if (iequals(name.ptr, name.len, "content-type")) {
      if (out.content_type.ptr == nullptr) {
        out.content_type = value;
        last_value = &out.content_type;
      }
    }
    for (uint32_t w = 0; w < n_wanted; ++w) {
      if (wanted[w].value->ptr == nullptr && iequals(name.ptr, name.len, wanted[w].lower_name)) {
        *wanted[w].value = value;
        last_value = wanted[w].value;
      }
    }
  }
}

HttpParse frame_body(const uint8_t* data, uint32_t len, uint32_t body_start, BodyMode mode,
                     bool stream_ended, HttpMessage& out) {
  switch (mode) {
    case BodyMode::kNone:
      out.body_wire = HttpView{data + body_start, 0};
      out.body_complete = true;
      out.consumed = body_start;
      return HttpParse::kComplete;
    case BodyMode::kLength: {
      const uint64_t avail = len - body_start;
      const uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(avail, out.content_length));
      out.body_wire = HttpView{data + body_start, take};
      out.consumed = body_start + take;
      out.body_remaining = out.content_length - take;
      out.body_complete = out.body_remaining == 0;
      return out.body_complete ? HttpParse::kComplete : HttpParse::kIncomplete;
    }
    case BodyMode::kChunked:
      return frame_chunked(data, len, body_start, out);
    case BodyMode::kUntilClose:
      out.body_until_close = true;
      out.body_wire = HttpView{data + body_start, len - body_start};
      out.consumed = len;
      out.body_complete = stream_ended;
      return stream_ended ? HttpParse::kComplete : HttpParse::kIncomplete;
  }
  return fail(out, http_error::kBadChunk);  // unreachable
}

}  // namespace http_detail
}  // namespace vigil::ids
