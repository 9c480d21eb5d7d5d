// IdsStage's HTTP part: cuts a direction's stream into requests or responses and inspects each
// once, with its http.* buffers.
#include "ids/ids_stage.h"

namespace vigil::ids {
namespace {

constexpr int kMaxTransactionsPerSegment = 16;

void set_view(Inspection& insp, Buffer b, const HttpView& v) {
  if (!v.empty()) insp.set_buffer(b, v.ptr, v.len);
}

void set_request(Inspection& insp, const HttpRequest& r) {
  insp.set_buffer(Buffer::kHttpUri, r.uri.data, r.uri.len);
  set_view(insp, Buffer::kHttpUriRaw, r.uri_raw);
  set_view(insp, Buffer::kHttpMethod, r.method);
  set_view(insp, Buffer::kHttpProtocol, r.protocol);
  set_view(insp, Buffer::kHttpRequestLine, r.request_line);
  if (r.host.len > 0) insp.set_buffer(Buffer::kHttpHost, r.host.data, r.host.len);
  set_view(insp, Buffer::kHttpUserAgent, r.user_agent);
  set_view(insp, Buffer::kHttpHeader, r.header);
  if (r.header_names.len > 0) {
    insp.set_buffer(Buffer::kHttpHeaderNames, r.header_names.data, r.header_names.len);
  }
  set_view(insp, Buffer::kHttpCookie, r.cookie);
  set_view(insp, Buffer::kHttpReferer, r.referer);
  set_view(insp, Buffer::kHttpContentType, r.content_type);
  set_view(insp, Buffer::kHttpAccept, r.accept);
  set_view(insp, Buffer::kHttpRequestBody, r.body());
  set_view(insp, Buffer::kFileData, r.body());
}

void set_response(Inspection& insp, const HttpResponse& r) {
  set_view(insp, Buffer::kHttpStatCode, r.stat_code);
  set_view(insp, Buffer::kHttpStatMsg, r.stat_msg);
  set_view(insp, Buffer::kHttpProtocol, r.protocol);
  set_view(insp, Buffer::kHttpResponseLine, r.response_line);
  set_view(insp, Buffer::kHttpHeader, r.header);
  if (r.header_names.len > 0) {
    insp.set_buffer(Buffer::kHttpHeaderNames, r.header_names.data, r.header_names.len);
  }
  set_view(insp, Buffer::kHttpServer, r.server);
  set_view(insp, Buffer::kHttpLocation, r.location);
  set_view(insp, Buffer::kHttpContentType, r.content_type);
  set_view(insp, Buffer::kFileData, r.body());
}

}  // namespace

bool IdsStage::skip_body(IdsFlow& f, IdsDirection& sd) {
  using Skip = IdsDirection::BodySkip;
  while (sd.body_skip != Skip::kNone) {
    const uint8_t* b = sd.buf;
    const uint32_t len = sd.stream.contiguous;
    if (sd.body_skip == Skip::kToEnd) {
      stream_consume(sd.stream, sd.buf, len);
      return false;
    }
    uint32_t i = 0;
    if (sd.body_skip == Skip::kChunks) {  // the CRLF closing the previous chunk's data
      if (len >= 1 && b[0] == '\n') i = 1;
      if (len >= 2 && b[0] == '\r' && b[1] == '\n') i = 2;
    }
    uint32_t eol = i;
    while (eol < len && eol < i + 1024 && b[eol] != '\n') ++eol;
    if (eol == len) {
      if (len - i < 1024) return false;  // the line is still arriving
      sd.body_skip = Skip::kNone;
      f.app = AppProto::kFailed;  // no line break in 1 KiB: not chunk framing
      ++counters_.http_errors;
      return false;
    }
    if (sd.body_skip == Skip::kTrailers) {
      const bool empty = eol == i || (eol == i + 1 && b[i] == '\r');
      stream_consume(sd.stream, sd.buf, eol + 1);
      if (empty) sd.body_skip = Skip::kNone;  // the message ends here
      continue;
    }
    uint64_t size = 0;
    uint32_t k = i;
    for (; k < eol; ++k) {
      const uint8_t c = b[k];
      const int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (v < 0) break;
      size = size * 16 + static_cast<uint64_t>(v);
      if (size > (uint64_t(1) << 40)) break;
    }
    if (k == i || size > (uint64_t(1) << 40)) {
      sd.body_skip = Skip::kNone;
      f.app = AppProto::kFailed;  // not a chunk-size line
      ++counters_.http_errors;
      return false;
    }
    stream_consume(sd.stream, sd.buf, eol + 1);
    if (size == 0) {
      sd.body_skip = Skip::kTrailers;
    } else {
      stream_skip(sd.stream, sd.buf, size);
    }
  }
  return sd.stream.contiguous > 0;
}

void IdsStage::inspect_http(IdsFlow& f, int d, const Packet& p) {
  IdsDirection& sd = f.dir[d];
  const uint32_t cap = shared_.stream_buffer;
  const bool to_server = d == 0;
  if (sd.body_skip != IdsDirection::BodySkip::kNone && !skip_body(f, sd)) {
    if (f.app == AppProto::kFailed) inspect_raw_stream(f, d);
    return;
  }
  for (int n = 0; n < kMaxTransactionsPerSegment && sd.stream.contiguous > 0; ++n) {
    const uint32_t len = sd.stream.contiguous;
    HttpParse r;
    HttpMessage* msg;
    if (to_server) {
      r = parse_http_request(sd.buf, len, request_);
      msg = &request_;
    } else {
      HttpResponseContext ctx;
      ctx.stream_ended = sd.fin_seen;
      ctx.head_request = f.dir[0].http_head_pending;
      r = parse_http_response(sd.buf, len, response_, ctx);
      msg = &response_;
    }
    if (r == HttpParse::kError) {
      ++counters_.http_errors;
      f.app = AppProto::kFailed;  // not (or no longer) HTTP: raw stream from here on
      fill_flow_base(f, p, to_server, d);
      inspect_raw_stream(f, d);
      return;
    }
    const bool full = len >= cap;
    if (r == HttpParse::kIncomplete && !full) {
      // Wait for the rest; raw stream rules still see what has arrived.
      fill_flow_base(f, p, to_server, d);
      inspect_raw_stream(f, d);
      return;
    }
    if (r == HttpParse::kIncomplete && msg->consumed == 0) {
      ++counters_.http_errors;  // a header block larger than the buffer
      fill_flow_base(f, p, to_server, d);
      inspect_raw_stream(f, d);
      return;
    }
    // A whole message, or its headers and as much body as the buffer holds.
    fill_flow_base(f, p, to_server, d);
    insp_.set_buffer(Buffer::kPayload, sd.buf, msg->consumed, sd.stream.consumed);
    insp_.stream = true;
    if (to_server) {
      ++counters_.http_requests;
      set_request(insp_, request_);
      if (request_.host.len > 0) {
        set_dotted(Buffer::kHttpHostDotPrefix, reinterpret_cast<const char*>(request_.host.data),
                   request_.host.len);
      }
      f.dir[0].http_head_pending = request_.method.str() == "HEAD";
      http_tx_ = &request_;
    } else {
      ++counters_.http_responses;
      set_response(insp_, response_);
    }
    run(&f);
    http_tx_ = nullptr;
    const uint64_t skip = msg->body_remaining;
    const bool truncated = r == HttpParse::kIncomplete;
    stream_consume(sd.stream, sd.buf, msg->consumed);
    if (skip > 0) stream_skip(sd.stream, sd.buf, skip);
    if (verdict_drop_ || verdict_reject_ || verdict_pass_) return;
    if (truncated && msg->chunked) {
      sd.body_skip = IdsDirection::BodySkip::kChunks;  // the rest of the chunks, then trailers
    } else if (truncated && msg->body_until_close) {
      sd.body_skip = IdsDirection::BodySkip::kToEnd;
    }
    if (sd.body_skip != IdsDirection::BodySkip::kNone && !skip_body(f, sd)) {
      if (f.app == AppProto::kFailed) inspect_raw_stream(f, d);
      return;
    }
  }
}

}  // namespace vigil::ids
