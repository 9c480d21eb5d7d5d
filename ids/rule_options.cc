// Option dispatch, and the meta (msg, sid, classtype, ...) and flow-level (flow, flags, dsize,
// itype, icode, flowbits, threshold) options. See rule_options.h.
#include "ids/rule_options.h"

#include <map>
#include <set>

namespace vigil::ids {
namespace {

using Handler = bool (*)(OptionContext&, const RawOption&, RuleError*);

bool bad(RuleError* err, const RawOption& opt, std::string why) {
  return option_error(err, cat({"bad ", opt.name}), opt, std::move(why));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool opt_msg(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (ctx.has_msg) return bad(err, opt, "given twice");
  std::string why;
  if (!need_value(opt, err)) return false;
  if (!parse_quoted(opt.value, &ctx.rule->msg, &why)) return bad(err, opt, why);
  ctx.has_msg = true;
  return true;
}

// sid, rev, gid: unsigned numbers, each given once.
bool opt_id(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  const std::string_view n = opt.name;
  bool* seen = n == "sid" ? &ctx.has_sid : n == "rev" ? &ctx.has_rev : &ctx.has_gid;
  uint32_t* field = n == "sid" ? &ctx.rule->sid : n == "rev" ? &ctx.rule->rev : &ctx.rule->gid;
  if (*seen) return bad(err, opt, "given twice");
  uint32_t v = 0;
  if (!parse_u32(opt.value, &v)) return bad(err, opt, "not an unsigned number");
  if (n == "sid" && v == 0) return bad(err, opt, "sid 0 is reserved");
  *seen = true;
  *field = v;
  return true;
}

bool opt_classtype(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  if (ctx.has_classtype) return bad(err, opt, "given twice");
  if (!valid_name(opt.value)) return bad(err, opt, "bad class name");
  // An empty table (no classification.config given) is treated as no table.
  if (ctx.classifications && ctx.classifications->size() > 0) {
    const Classification* c = ctx.classifications->find(opt.value);
    if (!c) return option_error(err, "unknown classtype", opt, "not in classification.config");
    ctx.rule->category = c->description;
    if (!ctx.has_priority) ctx.rule->priority = c->priority;
  }
  ctx.rule->classtype = std::string(opt.value);
  ctx.has_classtype = true;
  return true;
}

bool opt_priority(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  uint32_t v = 0;
  if (ctx.has_priority) return bad(err, opt, "given twice");
  if (!parse_u32(opt.value, &v) || v < 1 || v > 255) return bad(err, opt, "expected 1..255");
  ctx.rule->priority = static_cast<uint8_t>(v);
  ctx.has_priority = true;
  return true;
}

// "key value, key value": each pair split at its first space; a bare key has an empty value.
bool opt_metadata(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  for (std::string_view item : split_trimmed(opt.value, ',')) {
    if (item.empty()) continue;
    size_t sp = item.find_first_of(" \t");
    std::string_view key = item.substr(0, sp);
    std::string_view value =
        sp == std::string_view::npos ? std::string_view() : trim(item.substr(sp));
    ctx.rule->metadata.emplace_back(std::string(key), std::string(value));
  }
  return true;
}

bool opt_reference(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  size_t comma = opt.value.find(',');
  if (comma == std::string_view::npos) return bad(err, opt, "expected type,id");
  std::string_view type = trim(opt.value.substr(0, comma)), id = trim(opt.value.substr(comma + 1));
  if (!valid_name(type) || id.empty()) return bad(err, opt, "expected type,id");
  ctx.rule->references.push_back(std::string(type) + "," + std::string(id));
  return true;
}

bool opt_flow(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  FlowCheck& f = ctx.rule->flow;
  for (std::string_view w : split_trimmed(opt.value, ',')) {
    if (w == "established") {
      f.established = true;
    } else if (w == "not_established") {
      f.not_established = true;
    } else if (w == "stateless") {
      f.stateless = true;
    } else if (w == "to_server" || w == "from_client") {
      f.to_server = true;
    } else if (w == "to_client" || w == "from_server") {
      f.to_client = true;
    } else if (w == "only_stream") {
      f.only_stream = true;
    } else if (w == "no_stream") {
      f.no_stream = true;
    } else {
      return bad(err, opt, cat({"unknown flow option '", clip(w, 30), "'"}));
    }
  }
  if (f.to_server && f.to_client) return bad(err, opt, "both to_server and to_client");
  if (f.established + f.not_established + f.stateless > 1) {
    return bad(err, opt, "more than one of established, not_established, stateless");
  }
  if (f.only_stream && f.no_stream) return bad(err, opt, "both only_stream and no_stream");
  ctx.rule->has_flow = true;
  return true;
}

// TCP flag letters (and Snort's 1/2 for the two former reserved bits, CWR and ECE).
int flag_bit(char c) {
  switch (c) {
    case 'F':
      return 0x01;
    case 'S':
      return 0x02;
    case 'R':
      return 0x04;
    case 'P':
      return 0x08;
    case 'A':
      return 0x10;
    case 'U':
      return 0x20;
    case 'E':
    case '2':
      return 0x40;
    case 'C':
    case '1':
      return 0x80;
    default:
      return -1;
  }
}

bool opt_flags(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  if (ctx.rule->has_flags) return bad(err, opt, "given twice");
  std::vector<std::string_view> parts = split_trimmed(opt.value, ',');
  if (parts.size() > 2) return bad(err, opt, "expected [+*!]FLAGS[,MASK]");
  TcpFlagsCheck f;
  bool has_mode = false, zero = false, any_letter = false;
  for (char c : parts[0]) {
    if (c == '+' || c == '*' || c == '!') {
      if (has_mode) return bad(err, opt, "more than one of + * !");
      has_mode = true;
      f.mode = c == '+'   ? TcpFlagsCheck::kAll
               : c == '*' ? TcpFlagsCheck::kAny
                          : TcpFlagsCheck::kNone;
    } else if (c == '0') {
      zero = true;
    } else {
      int bit = flag_bit(c);
      if (bit < 0) return bad(err, opt, std::string("unknown flag '") + c + "'");
      if (f.bits & bit) return bad(err, opt, std::string("flag '") + c + "' given twice");
      f.bits = static_cast<uint8_t>(f.bits | bit);
      any_letter = true;
    }
  }
  if (zero == any_letter) return bad(err, opt, "expected flag letters, or 0 alone");
  if (parts.size() == 2) {
    if (parts[1].empty()) return bad(err, opt, "empty mask");
    for (char c : parts[1]) {
      int bit = flag_bit(c);
      if (bit < 0) return bad(err, opt, std::string("unknown mask flag '") + c + "'");
      f.ignore = static_cast<uint8_t>(f.ignore | bit);
    }
  }
  ctx.rule->flags = f;
  ctx.rule->has_flags = true;
  return true;
}

// dsize, itype, icode: one NumCheck each.
bool opt_numeric(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  Rule& r = *ctx.rule;
  const std::string_view n = opt.name;
  bool* has = n == "dsize" ? &r.has_dsize : n == "itype" ? &r.has_itype : &r.has_icode;
  NumCheck* check = n == "dsize" ? &r.dsize : n == "itype" ? &r.itype : &r.icode;
  if (*has) return bad(err, opt, "given twice");
  std::string why;
  if (!parse_num_check(opt.value, n == "dsize" ? 65535 : 255, check, &why)) {
    return bad(err, opt, why);
  }
  *has = true;
  return true;
}

bool opt_flowbits(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  size_t comma = opt.value.find(',');
  std::string_view op = trim(opt.value.substr(0, comma));
  std::string_view names =
      comma == std::string_view::npos ? std::string_view() : trim(opt.value.substr(comma + 1));
  static const std::map<std::string_view, FlowbitOp, std::less<>> kOps = {
      {"set", FlowbitOp::kSet},           {"unset", FlowbitOp::kUnset},
      {"toggle", FlowbitOp::kToggle},     {"isset", FlowbitOp::kIsSet},
      {"isnotset", FlowbitOp::kIsNotSet}, {"noalert", FlowbitOp::kNoAlert}};
  auto it = kOps.find(op);
  if (it == kOps.end()) return bad(err, opt, cat({"unknown operation '", clip(op, 30), "'"}));
  Flowbit fb;
  fb.op = it->second;
  if (fb.op == FlowbitOp::kNoAlert) {
    if (comma != std::string_view::npos) return bad(err, opt, "noalert takes no name");
    ctx.rule->noalert = true;
    ctx.rule->flowbits.push_back(fb);
    return true;
  }
  if (names.empty()) return bad(err, opt, std::string(op) + " needs a name");
  bool has_or = names.find('|') != std::string_view::npos;
  bool has_and = names.find('&') != std::string_view::npos;
  if (has_or && has_and) return bad(err, opt, "names joined by both | and &");
  if (has_or && fb.op != FlowbitOp::kIsSet && fb.op != FlowbitOp::kIsNotSet) {
    return bad(err, opt, "| only with isset/isnotset");
  }
  fb.any_of = has_or;
  for (std::string_view name : split_trimmed(names, has_or ? '|' : '&')) {
    if (!valid_name(name)) return bad(err, opt, cat({"bad flowbit name '", clip(name, 40), "'"}));
    fb.names.emplace_back(name);
  }
  ctx.rule->flowbits.push_back(std::move(fb));
  return true;
}

// threshold: type T, track B, count N, seconds N (any order); detection_filter: no type.
bool opt_threshold(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!need_value(opt, err)) return false;
  const bool filter = opt.name == "detection_filter";
  if (ctx.rule->has_threshold) {
    return bad(err, opt, "only one threshold or detection_filter per rule");
  }
  Threshold t;
  if (filter) t.type = Threshold::kDetectionFilter;
  std::set<std::string_view> seen;
  for (std::string_view item : split_trimmed(opt.value, ',')) {
    size_t sp = item.find_first_of(" \t");
    std::string_view key = item.substr(0, sp);
    std::string_view value =
        sp == std::string_view::npos ? std::string_view() : trim(item.substr(sp));
    if (!seen.insert(key).second) return bad(err, opt, cat({"'", clip(key, 20), "' given twice"}));
    uint32_t n = 0;
    if (key == "type" && !filter) {
      if (value == "limit")
        t.type = Threshold::kLimit;
      else if (value == "threshold")
        t.type = Threshold::kThreshold;
      else if (value == "both")
        t.type = Threshold::kBoth;
      else
        return bad(err, opt, cat({"unknown type '", clip(value, 20), "'"}));
    } else if (key == "track") {
      if (value == "by_src")
        t.track = TrackBy::kSrc;
      else if (value == "by_dst")
        t.track = TrackBy::kDst;
      else if (value == "by_rule")
        t.track = TrackBy::kRule;
      else if (value == "by_both")
        t.track = TrackBy::kBoth;
      else
        return bad(err, opt, cat({"unknown track '", clip(value, 20), "'"}));
    } else if (key == "count" || key == "seconds") {
      if (!parse_u32(value, &n) || n == 0) return bad(err, opt, std::string(key) + " must be >= 1");
      (key == "count" ? t.count : t.seconds) = n;
    } else {
      return bad(err, opt, cat({"unknown key '", clip(item, 30), "'"}));
    }
  }
  for (std::string_view key : {"type", "track", "count", "seconds"}) {
    if (filter && key == "type") continue;
    if (!seen.count(key)) return bad(err, opt, cat({"missing ", std::string(key)}));
  }
  ctx.rule->threshold = t;
  ctx.rule->has_threshold = true;
  return true;
}

// Suricata's standalone noalert: the rule only sets state.
bool opt_noalert(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!no_value(opt, err)) return false;
  ctx.rule->noalert = true;
  return true;
}

// Accepted and ignored: target (which side is the victim, for EVE only) and tag (session
// capture after an alert; vigil has its own capture at VSEM level 2).
bool opt_ignored(OptionContext&, const RawOption&, RuleError*) {
  return true;
}

const std::map<std::string_view, Handler, std::less<>>& handlers() {
  static const std::map<std::string_view, Handler, std::less<>> m = {
      {"msg", opt_msg},
      {"sid", opt_id},
      {"rev", opt_id},
      {"gid", opt_id},
      {"classtype", opt_classtype},
      {"priority", opt_priority},
      {"metadata", opt_metadata},
      {"reference", opt_reference},
      {"flow", opt_flow},
      {"flags", opt_flags},
      {"dsize", opt_numeric},
      {"itype", opt_numeric},
      {"icode", opt_numeric},
      {"flowbits", opt_flowbits},
      {"threshold", opt_threshold},
      {"detection_filter", opt_threshold},
      {"noalert", opt_noalert},
      {"target", opt_ignored},
      {"tag", opt_ignored},
  };
  return m;
}

// Suricata's transforms: they rewrite the sticky buffer before matching; none is implemented.
bool is_transform(std::string_view n) {
  static const std::set<std::string_view, std::less<>> kTransforms = {"dotprefix",
                                                                      "to_lowercase",
                                                                      "to_uppercase",
                                                                      "strip_whitespace",
                                                                      "compress_whitespace",
                                                                      "url_decode",
                                                                      "xor",
                                                                      "pcrexform",
                                                                      "to_md5",
                                                                      "to_sha1",
                                                                      "to_sha256",
                                                                      "header_lowercase",
                                                                      "strip_pseudo_headers",
                                                                      "from_base64",
                                                                      "casechange"};
  return kTransforms.count(n) != 0;
}

// dotprefix: the sticky buffer just named is matched as "." + its value.
bool apply_dotprefix(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  if (!no_value(opt, err)) return false;
  Buffer to;
  switch (ctx.sticky) {
    case Buffer::kDnsQuery:
      to = Buffer::kDnsQueryDotPrefix;
      break;
    case Buffer::kTlsSni:
      to = Buffer::kTlsSniDotPrefix;
      break;
    case Buffer::kHttpHost:
      to = Buffer::kHttpHostDotPrefix;
      break;
    default:
      return option_error(err, "unsupported transform: dotprefix", opt,
                          "dotprefix is supported after dns.query, tls.sni and http.host");
  }
  for (const MatchItem& it : ctx.rule->items) {
    if (it.buffer == ctx.sticky) {
      return option_error(err, "bad transform", opt,
                          "a transform must come before the buffer's first match");
    }
  }
  ctx.sticky = to;
  return true;
}

}  // namespace

bool option_error(RuleError* err, std::string reason, const RawOption& opt, std::string why) {
  err->reason = std::move(reason);
  err->detail = std::string(opt.name);
  if (opt.has_value) err->detail += cat({":", clip(opt.value, 100)});
  err->detail += cat({": ", why});
  return false;
}

bool need_value(const RawOption& opt, RuleError* err) {
  if (opt.has_value && !opt.value.empty()) return true;
  return option_error(err, "bad option syntax", opt, "needs a value");
}

bool no_value(const RawOption& opt, RuleError* err) {
  if (!opt.has_value) return true;
  return option_error(err, "bad option syntax", opt, "takes no value");
}

bool apply_option(OptionContext& ctx, const RawOption& opt, RuleError* err) {
  bool handled = false;
  if (!apply_match_option(ctx, opt, &handled, err)) return false;
  if (handled) return true;
  if (auto it = handlers().find(opt.name); it != handlers().end()) {
    return it->second(ctx, opt, err);
  }
  if (opt.name == "dotprefix") return apply_dotprefix(ctx, opt, err);
  if (is_transform(opt.name)) {
    return option_error(err, cat({"unsupported transform: ", clip(opt.name, 40)}), opt,
                        "transforms are not supported");
  }
  return option_error(err, cat({"unsupported keyword: ", clip(opt.name, 40)}), opt,
                      "keyword not supported");
}

}  // namespace vigil::ids
