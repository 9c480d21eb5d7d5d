// HTTP/1.x request and response parsing for the IDS's sticky buffers (http.uri, http.host,
// http.header, ...), over the reassembled bytes of one direction. No allocation, no exceptions:
// results are views into the caller's bytes, plus fixed storage inside the output structs for
// what must be rewritten (normalised URI, host, header names, de-chunked body); truncation of
// that storage is flagged, never an overflow. Views stay valid while the caller's bytes do;
// views into fixed storage (body() of a chunked message) while the output struct does.
//
// Choices (as libhtp/Suricata make them unless noted):
//  - Line endings CRLF or bare LF; empty lines before the start line are skipped.
//  - Header names compare case-insensitively; the first of duplicated headers is reported
//    (Suricata joins them; we cannot without copying); Content-Length duplicates that differ
//    are an error (request smuggling). Folded lines extend the previous header's value view.
//  - Transfer-Encoding chunked wins over Content-Length (RFC 9112 6.3).
//  - Normalised URI: percent-decoding of %XX (invalid escapes kept as is) in path and query,
//    then dot segments removed from the path (RFC 3986 5.2.4: "/./" dropped, "/../" pops,
//    never above the root); "//" is kept, as libhtp does by default. For an absolute-form
//    request target ("http://host/p") it is the normalised path and query only.
//  - host: lowercase, port and trailing dots stripped; taken from an absolute URI first, else
//    from the Host header (as libhtp does).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace vigil::ids {

inline constexpr uint32_t kHttpMaxHeaderBlock = 16384;  // start line + headers
inline constexpr uint32_t kHttpMaxHeaders = 128;
inline constexpr uint32_t kHttpMaxMethod = 32;
inline constexpr uint32_t kHttpHostMax = 256;
inline constexpr uint32_t kHttpUriMax = 2048;
inline constexpr uint32_t kHttpHeaderNamesMax = 1024;
inline constexpr uint32_t kHttpBodyMax = 4096;  // de-chunked body kept

enum class HttpParse : uint8_t { kIncomplete, kComplete, kError };

// Reasons for kError, as constants so callers can count them by pointer.
namespace http_error {
inline constexpr char kBadMethod[] = "request line: bad method";
inline constexpr char kBadUri[] = "request line: bad uri";
inline constexpr char kBadProtocol[] = "bad protocol version";
inline constexpr char kNotResponse[] = "not an HTTP status line";
inline constexpr char kBadStatus[] = "status line: bad status code";
inline constexpr char kBadHeader[] = "malformed header line";
inline constexpr char kTooManyHeaders[] = "too many headers";
inline constexpr char kHeaderTooLong[] = "header block too long";
inline constexpr char kBadContentLength[] = "bad Content-Length";
inline constexpr char kConflictingLength[] = "conflicting Content-Length headers";
inline constexpr char kBadChunk[] = "malformed chunked body";
}  // namespace http_error

// A view: pointer and length into the caller's bytes (or into an output struct's storage).
struct HttpView {
  const uint8_t* ptr = nullptr;
  uint32_t len = 0;
  bool empty() const { return len == 0; }
  std::string_view str() const { return {reinterpret_cast<const char*>(ptr), len}; }
};

// Fixed storage of N bytes; appends past N are cut and flagged.
template <uint32_t N>
struct HttpFixed {
  uint8_t data[N];
  uint32_t len = 0;
  bool truncated = false;

  void clear() {
    len = 0;
    truncated = false;
  }
  void append(const uint8_t* p, uint32_t n) {
    if (n > N - len) {
      n = N - len;
      truncated = true;
    }
    if (n > 0) std::memcpy(data + len, p, n);
    len += n;
  }
  void push(uint8_t c) {
    if (len < N) {
      data[len++] = c;
    } else {
      truncated = true;
    }
  }
  void append(std::string_view s) {
    append(reinterpret_cast<const uint8_t*>(s.data()), static_cast<uint32_t>(s.size()));
  }
  HttpView view() const { return {data, len}; }
  std::string_view str() const { return {reinterpret_cast<const char*>(data), len}; }
};

// What requests and responses share: headers and body framing.
struct HttpMessage {
  HttpView header;  // all header lines exactly as on the wire, "Name: value\r\n" each
  HttpView content_type;
  HttpFixed<kHttpHeaderNamesMax> header_names;  // "\r\nName1\r\nName2\r\n\r\n"
  uint32_t header_count = 0;

  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool body_until_close = false;  // response without length: body runs to the stream's end
  bool body_complete = false;
  HttpView body_wire;                    // body bytes present in data, chunk framing included
  HttpFixed<kHttpBodyMax> body_decoded;  // de-chunked body (chunked messages only)
  // Body bytes announced but not in data (Content-Length, or the rest of the current chunk),
  // so the caller can skip them when they arrive.
  uint64_t body_remaining = 0;
  // Bytes of this message in data: the whole message when kComplete; everything so far when
  // only the body is incomplete; 0 while the header block is incomplete.
  uint32_t consumed = 0;
  const char* error = nullptr;  // an http_error constant when kError

  // The body as the application sees it: de-chunked for chunked messages.
  HttpView body() const { return chunked ? body_decoded.view() : body_wire; }
  void reset_message();
};

struct HttpRequest : HttpMessage {
  HttpView method, uri_raw, protocol, request_line;
  HttpView user_agent, cookie, referer, accept, host_raw;  // values, outer whitespace trimmed
  HttpFixed<kHttpHostMax> host;                            // normalised: lowercase, no port
  HttpFixed<kHttpUriMax> uri;                              // normalised
  bool http09 = false;  // "GET /" without protocol: no headers follow

  void reset();
};

struct HttpResponse : HttpMessage {
  HttpView protocol, stat_code, stat_msg, response_line;
  HttpView server, location;
  uint16_t status = 0;

  void reset();
};

// What a response's framing depends on besides its bytes.
struct HttpResponseContext {
  bool stream_ended = false;  // no more bytes will come (FIN/RST): ends a body without length
  bool head_request = false;  // the request was HEAD: no body whatever the headers say
};

// Parses one request starting at data[0]. kIncomplete while the header block is incomplete or
// the body is shorter than announced (then every field is filled, body_complete is false).
HttpParse parse_http_request(const uint8_t* data, uint32_t len, HttpRequest& out);

// Parses one response starting at data[0]; same conventions. 1xx, 204 and 304 have no body.
HttpParse parse_http_response(const uint8_t* data, uint32_t len, HttpResponse& out,
                              HttpResponseContext ctx = {});

// Normalises a request target (see above) into out; returns false when it was truncated.
bool http_normalize_uri(const uint8_t* uri, uint32_t len, HttpFixed<kHttpUriMax>& out);

// Normalises a host[:port] value into out (lowercase, port and trailing dots stripped).
void http_normalize_host(const uint8_t* host, uint32_t len, HttpFixed<kHttpHostMax>& out);

}  // namespace vigil::ids
