// Names of the inspection buffers and the evaluation of numeric comparisons (rule.h).
#include "ids/rule.h"

namespace vigil::ids {

const char* buffer_name(Buffer b) {
  switch (b) {
    case Buffer::kPayload:
      return "payload";
    case Buffer::kHttpUri:
      return "http.uri";
    case Buffer::kHttpUriRaw:
      return "http.uri.raw";
    case Buffer::kHttpMethod:
      return "http.method";
    case Buffer::kHttpProtocol:
      return "http.protocol";
    case Buffer::kHttpRequestLine:
      return "http.request_line";
    case Buffer::kHttpHost:
      return "http.host";
    case Buffer::kHttpUserAgent:
      return "http.user_agent";
    case Buffer::kHttpHeader:
      return "http.header";
    case Buffer::kHttpHeaderNames:
      return "http.header_names";
    case Buffer::kHttpCookie:
      return "http.cookie";
    case Buffer::kHttpReferer:
      return "http.referer";
    case Buffer::kHttpContentType:
      return "http.content_type";
    case Buffer::kHttpAccept:
      return "http.accept";
    case Buffer::kHttpRequestBody:
      return "http.request_body";
    case Buffer::kHttpStatCode:
      return "http.stat_code";
    case Buffer::kHttpStatMsg:
      return "http.stat_msg";
    case Buffer::kHttpServer:
      return "http.server";
    case Buffer::kHttpLocation:
      return "http.location";
    case Buffer::kHttpResponseLine:
      return "http.response_line";
    case Buffer::kFileData:
      return "file.data";
    case Buffer::kDnsQuery:
      return "dns.query";
    case Buffer::kTlsSni:
      return "tls.sni";
    case Buffer::kDnsQueryDotPrefix:
      return "dns.query+dotprefix";
    case Buffer::kTlsSniDotPrefix:
      return "tls.sni+dotprefix";
    case Buffer::kHttpHostDotPrefix:
      return "http.host+dotprefix";
    case Buffer::kCount:
      break;
  }
  return "unknown";
}

bool NumCheck::matches(uint32_t x) const {
  switch (op) {
    case kEq:
      return x == lo;
    case kNe:
      return x != lo;
    case kLt:
      return x < lo;
    case kLe:
      return x <= lo;
    case kGt:
      return x > lo;
    case kGe:
      return x >= lo;
    case kBetween:
      return lo < x && x < hi;
    case kRange:
      return lo <= x && x <= hi;
  }
  return false;
}

}  // namespace vigil::ids
