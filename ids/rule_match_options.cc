// Contents, their modifiers, pcre, isdataat, bsize, urilen and the buffer keywords (sticky
// buffers and the older Snort-style content modifiers). See rule_options.h.
#include <map>

#include "ids/rule_options.h"

namespace vigil::ids {
namespace {

using Handler = bool (*)(OptionContext&, const RawOption&, RuleError*);

// Sticky buffers: the following content/pcre/isdataat/bsize look in this buffer. The
// underscore forms are Suricata's legacy aliases of the same sticky keywords.
const std::map<std::string_view, Buffer, std::less<>>& sticky_buffers() {
  static const std::map<std::string_view, Buffer, std::less<>> m = {
      {"pkt_data", Buffer::kPayload},
      {"http.uri", Buffer::kHttpUri},
      {"http.uri.raw", Buffer::kHttpUriRaw},
      {"http.method", Buffer::kHttpMethod},
      {"http.protocol", Buffer::kHttpProtocol},
      {"http_protocol", Buffer::kHttpProtocol},
      {"http.request_line", Buffer::kHttpRequestLine},
      {"http_request_line", Buffer::kHttpRequestLine},
      {"http.host", Buffer::kHttpHost},
      // The raw host differs only in case and port, which are normalised away here.
      {"http.host.raw", Buffer::kHttpHost},
      {"http.user_agent", Buffer::kHttpUserAgent},
      {"http.header", Buffer::kHttpHeader},
      // No separate raw header buffer: the raw and the normalised header lines are close enough.
      {"http.header.raw", Buffer::kHttpHeader},
      {"http.header_names", Buffer::kHttpHeaderNames},
      {"http_header_names", Buffer::kHttpHeaderNames},
      {"http.cookie", Buffer::kHttpCookie},
      {"http.referer", Buffer::kHttpReferer},
      {"http_referer", Buffer::kHttpReferer},
      {"http.content_type", Buffer::kHttpContentType},
      {"http_content_type", Buffer::kHttpContentType},
      {"http.accept", Buffer::kHttpAccept},
      {"http_accept", Buffer::kHttpAccept},
      {"http.request_body", Buffer::kHttpRequestBody},
      {"http.client_body", Buffer::kHttpRequestBody},
      {"http.stat_code", Buffer::kHttpStatCode},
      {"http.stat_msg", Buffer::kHttpStatMsg},
      {"http.server", Buffer::kHttpServer},
      {"http_server", Buffer::kHttpServer},
      {"http.location", Buffer::kHttpLocation},
      {"http_location", Buffer::kHttpLocation},
      {"http.response_line", Buffer::kHttpResponseLine},
      {"http_response_line", Buffer::kHttpResponseLine},
      // file.data to_client is the response body, which is all http.response_body is.
      {"http.response_body", Buffer::kFileData},
      {"file.data", Buffer::kFileData},
      {"file_data", Buffer::kFileData},
      {"dns.query", Buffer::kDnsQuery},
      {"dns_query", Buffer::kDnsQuery},
      {"tls.sni", Buffer::kTlsSni},
      {"tls_sni", Buffer::kTlsSni},
  };
  return m;
}

// Snort-style modifiers: move the preceding content into this buffer.
const std::map<std::string_view, Buffer, std::less<>>& content_modifiers() {
  static const std::map<std::string_view, Buffer, std::less<>> m = {
      {"http_uri", Buffer::kHttpUri},
      {"http_raw_uri", Buffer::kHttpUriRaw},
      {"http_method", Buffer::kHttpMethod},
      {"http_header", Buffer::kHttpHeader},
      {"http_raw_header", Buffer::kHttpHeader},
      {"http_cookie", Buffer::kHttpCookie},
      {"http_raw_cookie", Buffer::kHttpCookie},
      {"http_user_agent", Buffer::kHttpUserAgent},
      {"http_host", Buffer::kHttpHost},
      {"http_raw_host", Buffer::kHttpHost},
      {"http_client_body", Buffer::kHttpRequestBody},
      {"http_stat_code", Buffer::kHttpStatCode},
      {"http_stat_msg", Buffer::kHttpStatMsg},
  };
  return m;
}

// The content a modifier applies to: the latest one.
MatchItem* modified_content(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (ctx.last_content < 0) {
    option_error(err, "bad content modifier", opt, "no preceding content");
    return nullptr;
  }
  return &ctx.rule->items[static_cast<size_t>(ctx.last_content)];
}

// The buffer of a pcre / isdataat without its own: the sticky buffer, or for a relative one
// with none set, the buffer of the match it is relative to (as Suricata does).
Buffer implied_buffer(const OptionContext& ctx, bool relative) {
  if (ctx.sticky == Buffer::kPayload && relative && ctx.last_match >= 0) {
    return ctx.rule->items[static_cast<size_t>(ctx.last_match)].buffer;
  }
  return ctx.sticky;
}

bool add_content(OptionContext& ctx, const RawOption& opt, Buffer buffer, RuleError* err) {
  if (!need_value(opt, err)) return false;
  std::string_view v = opt.value;
  MatchItem item;
  item.kind = MatchKind::kContent;
  item.buffer = buffer;
  if (v.front() == '!') {
    item.negated = true;
    v = trim(v.substr(1));
  }
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
    return option_error(err, "bad content", opt, "content must be a double-quoted string");
  }
  std::string why;
  if (!decode_content(v.substr(1, v.size() - 2), &item.pattern, &why)) {
    return option_error(err, "bad content", opt, why);
  }
  if (item.pattern.empty()) return option_error(err, "bad content", opt, "empty content");
  ctx.rule->items.push_back(std::move(item));
  ctx.last_content = ctx.last_match = static_cast<int>(ctx.rule->items.size() - 1);
  return true;
}

bool opt_content(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  return add_content(ctx, opt, ctx.sticky, err);
}

// Snort's uricontent: a content in the normalised URI.
bool opt_uricontent(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  return add_content(ctx, opt, Buffer::kHttpUri, err);
}

bool opt_nocase(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  MatchItem* c = modified_content(ctx, opt, err);
  if (!c || !no_value(opt, err)) return false;
  if (c->nocase) return option_error(err, "bad content modifier", opt, "nocase given twice");
  c->nocase = true;
  return true;
}

// depth/offset/distance/within share their checks.
bool opt_position(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  MatchItem* c = modified_content(ctx, opt, err);
  if (!c || !need_value(opt, err)) return false;
  int32_t v = 0;
  if (!parse_i32(opt.value, &v)) {
    return option_error(err, "bad content modifier", opt,
                        "not a number (variables need byte_extract)");
  }
  const std::string_view n = opt.name;
  const bool relative = n == "distance" || n == "within";
  if (v < 0 && n != "distance") {
    return option_error(err, "bad content modifier", opt, "negative values only for distance");
  }
  if (relative ? (c->has_offset || c->has_depth) : (c->has_distance || c->has_within)) {
    return option_error(err, "bad content modifier", opt,
                        "depth/offset and distance/within on the same content");
  }
  if (c->startswith && n != "within" && n != "distance") {
    return option_error(err, "bad content modifier", opt, "offset/depth with startswith");
  }
  const auto len = static_cast<int32_t>(c->pattern.size());
  bool* has = n == "depth"      ? &c->has_depth
              : n == "offset"   ? &c->has_offset
              : n == "distance" ? &c->has_distance
                                : &c->has_within;
  int32_t* field = n == "depth"      ? &c->depth
                   : n == "offset"   ? &c->offset
                   : n == "distance" ? &c->distance
                                     : &c->within;
  if (*has) return option_error(err, "bad content modifier", opt, "given twice for one content");
  if ((n == "depth" || n == "within") && v < len) {
    return option_error(err, "bad content modifier", opt,
                        std::string(n) + " " + std::to_string(v) +
                            " is shorter than the content (" + std::to_string(len) + " bytes)");
  }
  *has = true;
  *field = v;
  return true;
}

bool opt_startswith(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  MatchItem* c = modified_content(ctx, opt, err);
  if (!c || !no_value(opt, err)) return false;
  if (c->startswith) return option_error(err, "bad content modifier", opt, "given twice");
  if (c->has_offset || c->has_depth) {
    return option_error(err, "bad content modifier", opt, "startswith with offset/depth");
  }
  c->startswith = true;
  return true;
}

bool opt_endswith(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  MatchItem* c = modified_content(ctx, opt, err);
  if (!c || !no_value(opt, err)) return false;
  if (c->endswith) return option_error(err, "bad content modifier", opt, "given twice");
  c->endswith = true;
  return true;
}

bool opt_fast_pattern(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  MatchItem* c = modified_content(ctx, opt, err);
  if (!c) return false;
  if (ctx.has_fast_pattern) {
    return option_error(err, "bad fast_pattern", opt, "only one fast_pattern per rule");
  }
  if (opt.has_value) {
    if (opt.value == "only") {
      if (c->negated)
        return option_error(err, "bad fast_pattern", opt, "only on a negated content");
      c->fast_pattern_only = true;
    } else {
      std::vector<std::string_view> parts = split_trimmed(opt.value, ',');
      uint32_t off = 0, len = 0;
      if (parts.size() != 2 || !parse_u32(parts[0], &off) || !parse_u32(parts[1], &len) ||
          len == 0) {
        return option_error(err, "bad fast_pattern", opt, "expected only or <offset>,<length>");
      }
      if (uint64_t{off} + len > c->pattern.size()) {
        return option_error(
            err, "bad fast_pattern", opt,
            cat({"chop beyond the content (", std::to_string(c->pattern.size()), " bytes)"}));
      }
      c->has_fast_pattern_chop = true;
      c->fp_chop_offset = static_cast<uint16_t>(off);
      c->fp_chop_length = static_cast<uint16_t>(len);
    }
  }
  c->fast_pattern = true;
  ctx.has_fast_pattern = true;
  return true;
}

// rawbytes only mattered to Snort's (removed) telnet/ftp normalisation: accepted, ignored.
bool opt_rawbytes(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  return modified_content(ctx, opt, err) && no_value(opt, err);
}

bool opt_isdataat(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  std::vector<std::string_view> parts = split_trimmed(opt.value, ',');
  MatchItem item;
  item.kind = MatchKind::kIsDataAt;
  std::string_view n = parts[0];
  if (!n.empty() && n.front() == '!') {
    item.negated = true;
    n = trim(n.substr(1));
  }
  if (!parse_u32(n, &item.value)) {
    return option_error(err, "bad isdataat", opt, "expected [!]N[,relative]");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "relative") {
      item.relative = true;
    } else if (parts[i] != "rawbytes") {
      return option_error(err, "bad isdataat", opt,
                          cat({"unknown flag '", clip(parts[i], 30), "'"}));
    }
  }
  item.buffer = implied_buffer(ctx, item.relative);
  ctx.rule->items.push_back(std::move(item));
  return true;
}

bool opt_bsize(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  if (ctx.sticky == Buffer::kPayload) {
    return option_error(err, "bad bsize", opt, "bsize needs a sticky buffer before it");
  }
  MatchItem item;
  item.kind = MatchKind::kBsize;
  item.buffer = ctx.sticky;
  std::string why;
  if (!parse_num_check(opt.value, 0xffffffffu, &item.check, &why)) {
    return option_error(err, "bad bsize", opt, why);
  }
  ctx.rule->items.push_back(std::move(item));
  return true;
}

// urilen is a bsize on the URI (normalised unless ",raw").
bool opt_urilen(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  std::vector<std::string_view> parts = split_trimmed(opt.value, ',');
  MatchItem item;
  item.kind = MatchKind::kBsize;
  item.buffer = Buffer::kHttpUri;
  if (parts.size() > 2 || (parts.size() == 2 && parts[1] != "raw" && parts[1] != "norm")) {
    return option_error(err, "bad urilen", opt, "expected N[,raw|norm]");
  }
  if (parts.size() == 2 && parts[1] == "raw") item.buffer = Buffer::kHttpUriRaw;
  std::string why;
  if (!parse_num_check(parts[0], 0xffffffffu, &item.check, &why)) {
    return option_error(err, "bad urilen", opt, why);
  }
  ctx.rule->items.push_back(std::move(item));
  return true;
}

// pcre:"[!]/expr/flags" (the '!' may also precede the quotes).
bool opt_pcre(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  MatchItem item;
  item.kind = MatchKind::kPcre;
  std::string_view v = opt.value;
  if (v.front() == '!') {
    item.negated = true;
    v = trim(v.substr(1));
  }
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
    return option_error(err, "bad pcre", opt, "expected \"/expression/flags\"");
  }
  v = v.substr(1, v.size() - 2);
  if (!v.empty() && v.front() == '!' && !item.negated) {
    item.negated = true;
    v.remove_prefix(1);
  }
  size_t last = v.rfind('/');
  if (v.empty() || v.front() != '/' || last == 0 || last == std::string_view::npos) {
    return option_error(err, "bad pcre", opt, "expected /expression/flags");
  }
  item.pattern = std::string(v.substr(1, last - 1));
  if (item.pattern.empty()) return option_error(err, "bad pcre", opt, "empty expression");
  bool has_letter = false;
  Buffer letter_buffer = Buffer::kPayload;
  for (char f : v.substr(last + 1)) {
    Buffer b = Buffer::kCount;
    switch (f) {
      case 'i':
        item.pcre_caseless = true;
        break;
      case 's':
        item.pcre_dotall = true;
        break;
      case 'm':
        item.pcre_multiline = true;
        break;
      case 'x':
        item.pcre_extended = true;
        break;
      case 'A':
        item.pcre_anchored = true;
        break;
      case 'E':
        item.pcre_dollar_endonly = true;
        break;
      case 'G':
        item.pcre_ungreedy = true;
        break;
      case 'R':
        item.relative = true;
        break;
      case 'O':
      case 'B':
        break;  // match-limit override, base64 hint: nothing to do here
      case 'U':
        b = Buffer::kHttpUri;
        break;
      case 'I':
        b = Buffer::kHttpUriRaw;
        break;
      case 'H':
      case 'D':
        b = Buffer::kHttpHeader;
        break;
      case 'M':
        b = Buffer::kHttpMethod;
        break;
      case 'C':
      case 'K':
        b = Buffer::kHttpCookie;
        break;
      case 'P':
        b = Buffer::kHttpRequestBody;
        break;
      case 'S':
        b = Buffer::kHttpStatCode;
        break;
      case 'Y':
        b = Buffer::kHttpStatMsg;
        break;
      case 'V':
        b = Buffer::kHttpUserAgent;
        break;
      case 'W':
        b = Buffer::kHttpHost;
        break;
      case 'Q':
        b = Buffer::kFileData;
        break;
      default:
        return option_error(err, "bad pcre", opt, std::string("unknown flag '") + f + "'");
    }
    if (b == Buffer::kCount) continue;
    if (has_letter && b != letter_buffer) {
      return option_error(err, "bad pcre", opt, "two different buffer flags");
    }
    has_letter = true;
    letter_buffer = b;
  }
  if (has_letter && ctx.sticky != Buffer::kPayload && ctx.sticky != letter_buffer) {
    return option_error(err, "bad pcre", opt, "buffer flag differs from the sticky buffer");
  }
  item.buffer = has_letter ? letter_buffer : implied_buffer(ctx, item.relative);
  ctx.rule->items.push_back(std::move(item));
  ctx.last_match = static_cast<int>(ctx.rule->items.size() - 1);
  return true;
}

const std::map<std::string_view, Handler, std::less<>>& handlers() {
  static const std::map<std::string_view, Handler, std::less<>> m = {
      {"content", opt_content},   {"uricontent", opt_uricontent},
      {"nocase", opt_nocase},     {"depth", opt_position},
      {"offset", opt_position},   {"distance", opt_position},
      {"within", opt_position},   {"startswith", opt_startswith},
      {"endswith", opt_endswith}, {"fast_pattern", opt_fast_pattern},
      {"rawbytes", opt_rawbytes}, {"isdataat", opt_isdataat},
      {"bsize", opt_bsize},       {"urilen", opt_urilen},
      {"pcre", opt_pcre},
  };
  return m;
}

}  // namespace

bool apply_match_option(OptionContext& ctx, const RawOption& opt, bool* handled, RuleError* err) {
  *handled = true;
  if (auto it = sticky_buffers().find(opt.name); it != sticky_buffers().end()) {
    if (!no_value(opt, err)) return false;
    ctx.sticky = it->second;
    return true;
  }
  if (auto it = content_modifiers().find(opt.name); it != content_modifiers().end()) {
    MatchItem* c = modified_content(ctx, opt, err);
    if (!c || !no_value(opt, err)) return false;
    if (c->buffer != Buffer::kPayload && c->buffer != it->second) {
      return option_error(err, "bad content modifier", opt,
                          std::string("content is already in ") + buffer_name(c->buffer));
    }
    c->buffer = it->second;
    return true;
  }
  if (auto it = handlers().find(opt.name); it != handlers().end()) {
    return it->second(ctx, opt, err);
  }
  *handled = false;
  return true;
}

}  // namespace vigil::ids
