// Internals shared by the HTTP request and response parsers (http_request.cc,
// http_response.cc): line scanning, the header block walk and body framing. Not a public API.
#pragma once

#include <cstdint>

#include "ids/http_parser.h"

namespace vigil::ids::http_detail {

inline bool is_space(uint8_t c) {
  return c == ' ' || c == '\t';
}
inline bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}
inline uint8_t to_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}
// RFC 9110 tchar: the characters of a method or a header name.
bool is_tchar(uint8_t c);
bool iequals(const uint8_t* p, uint32_t len, const char* lower_literal);

// A line [start, end) without its terminator; next = first byte after the '\n'.
struct Line {
  uint32_t start, end, next;
};
// Finds the line starting at pos; false when no '\n' occurs before `limit`.
bool next_line(const uint8_t* data, uint32_t limit, uint32_t pos, Line& line);

// Skips the empty lines that may precede a start line (RFC 9112 2.2).
uint32_t skip_leading_newlines(const uint8_t* data, uint32_t len);

// "HTTP/" DIGIT "." DIGIT with major version 0 or 1.
bool valid_protocol(const uint8_t* p, uint32_t len);

// An absolute-form target "scheme://authority[/path][?query]": the authority's offsets
// [start, end). False when the target is not absolute-form.
bool split_absolute_uri(const uint8_t* uri, uint32_t len, uint32_t* authority_start,
                        uint32_t* authority_end);

// Header values the caller wants, matched by lowercase name; the first occurrence wins.
struct WantedHeader {
  const char* lower_name;
  HttpView* value;
};

// Walks the header lines from pos up to the empty line that ends them. Fills out.header,
// header_names, header_count, content length and chunked, and the wanted values. On
// kComplete, *body_start is the offset after the empty line. `msg_start` anchors the
// kHttpMaxHeaderBlock limit.
HttpParse parse_header_block(const uint8_t* data, uint32_t len, uint32_t msg_start, uint32_t pos,
                             const WantedHeader* wanted, uint32_t n_wanted, HttpMessage& out,
                             uint32_t* body_start);

enum class BodyMode : uint8_t { kNone, kLength, kChunked, kUntilClose };

// Frames the body starting at body_start and sets the body fields and consumed.
HttpParse frame_body(const uint8_t* data, uint32_t len, uint32_t body_start, BodyMode mode,
                     bool stream_ended, HttpMessage& out);

}  // namespace vigil::ids::http_detail
