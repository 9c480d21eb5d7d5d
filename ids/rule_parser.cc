// The rule header (action, protocol, addresses, ports, direction) and the walk over the
// options; option semantics live in rule_options.cc and rule_match_options.cc.
#include "ids/rule_parser.h"

#include <map>
#include <set>

#include "ids/rule_options.h"
#include "ids/rule_syntax.h"

namespace vigil::ids {
namespace {

bool fail(RuleError* err, std::string reason, std::string detail) {
  err->reason = std::move(reason);
  err->detail = std::move(detail);
  return false;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Header words split at whitespace outside [...] (lists may hold spaces).
std::vector<std::string_view> header_words(std::string_view h) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < h.size()) {
    while (i < h.size() && is_space(h[i])) ++i;
    if (i >= h.size()) break;
    size_t start = i;
    int depth = 0;
    while (i < h.size() && (depth > 0 || !is_space(h[i]))) {
      if (h[i] == '[') ++depth;
      if (h[i] == ']' && depth > 0) --depth;
      ++i;
    }
    out.push_back(h.substr(start, i - start));
  }
  return out;
}

bool parse_action(std::string_view w, RuleAction* out) {
  static const std::map<std::string_view, RuleAction, std::less<>> kActions = {
      {"alert", RuleAction::kAlert},      {"drop", RuleAction::kDrop},
      {"pass", RuleAction::kPass},        {"reject", RuleAction::kReject},
      {"rejectsrc", RuleAction::kReject}, {"rejectdst", RuleAction::kReject},
      {"rejectboth", RuleAction::kReject}};
  auto it = kActions.find(w);
  if (it == kActions.end()) return false;
  *out = it->second;
  return true;
}

// How the protocol field constrains the rule beyond RuleProto.
struct ProtoInfo {
  RuleProto proto;
  bool packet_only = false;  // tcp-pkt
  bool stream_only = false;  // tcp-stream
};

bool parse_proto(std::string_view w, ProtoInfo* out) {
  static const std::map<std::string_view, ProtoInfo, std::less<>> kProtos = {
      {"ip", {RuleProto::kIp}},
      {"ipv4", {RuleProto::kIp}},
      {"ipv6", {RuleProto::kIp}},
      {"tcp", {RuleProto::kTcp}},
      {"tcp-pkt", {RuleProto::kTcp, true, false}},
      {"tcp-stream", {RuleProto::kTcp, false, true}},
      {"udp", {RuleProto::kUdp}},
      {"icmp", {RuleProto::kIcmp}},
      {"icmpv4", {RuleProto::kIcmp}},
      {"icmpv6", {RuleProto::kIcmp}},
      {"http", {RuleProto::kHttp}},
      {"http1", {RuleProto::kHttp}},
      {"dns", {RuleProto::kDns}},
      {"tls", {RuleProto::kTls}}};
  auto it = kProtos.find(w);
  if (it == kProtos.end()) return false;
  *out = it->second;
  return true;
}

bool looks_like_protocol(std::string_view w) {
  if (w.empty() || w.size() > 32) return false;
  for (char c : w) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool parse_header(std::string_view h, const RuleVars& vars, Rule* r, ProtoInfo* proto,
                  RuleError* err) {
  std::vector<std::string_view> w = header_words(h);
  if (w.empty()) return fail(err, "bad header", "empty header");
  if (!parse_action(w[0], &r->action)) {
    return fail(err, "unsupported action", cat({"action '", clip(w[0], 40), "'"}));
  }
  if (w.size() < 2) return fail(err, "bad header", "no protocol");
  if (!parse_proto(w[1], proto)) {
    if (looks_like_protocol(w[1])) {
      return fail(err, cat({"unsupported protocol: ", std::string(w[1])}),
                  cat({"protocol '", std::string(w[1]), "' is not inspected"}));
    }
    return fail(err, "bad header", cat({"bad protocol '", clip(w[1], 40), "'"}));
  }
  r->proto = proto->proto;
  if (w.size() != 7) {
    return fail(err, "bad header",
                cat({"expected 'action proto src sport -> dst dport', got ",
                     std::to_string(w.size()), " fields: '", clip(h, 120), "'"}));
  }
  if (w[4] == "<>") {
    r->bidirectional = true;
  } else if (w[4] != "->") {
    return fail(err, "bad header", cat({"bad direction '", clip(w[4], 20), "' (-> or <>)"}));
  }
  std::string why;
  if (!parse_address_field(w[2], vars, &r->src, &why)) {
    return fail(err, "bad address", cat({"source '", clip(w[2], 80), "': ", why}));
  }
  if (!parse_address_field(w[5], vars, &r->dst, &why)) {
    return fail(err, "bad address", cat({"destination '", clip(w[5], 80), "': ", why}));
  }
  if (!parse_port_field(w[3], vars, &r->src_ports, &why)) {
    return fail(err, "bad port", cat({"source '", clip(w[3], 80), "': ", why}));
  }
  if (!parse_port_field(w[6], vars, &r->dst_ports, &why)) {
    return fail(err, "bad port", cat({"destination '", clip(w[6], 80), "': ", why}));
  }
  return true;
}

// The app-layer protocol a buffer belongs to, or kIp for the packet payload.
RuleProto buffer_proto(Buffer b) {
  switch (b) {
    case Buffer::kPayload:
      return RuleProto::kIp;
    case Buffer::kDnsQuery:
    case Buffer::kDnsQueryDotPrefix:
      return RuleProto::kDns;
    case Buffer::kTlsSni:
    case Buffer::kTlsSniDotPrefix:
      return RuleProto::kTls;
    default:
      return RuleProto::kHttp;
  }
}

const char* proto_name(RuleProto p) {
  switch (p) {
    case RuleProto::kIp:
      return "ip";
    case RuleProto::kTcp:
      return "tcp";
    case RuleProto::kUdp:
      return "udp";
    case RuleProto::kIcmp:
      return "icmp";
    case RuleProto::kHttp:
      return "http";
    case RuleProto::kDns:
      return "dns";
    case RuleProto::kTls:
      return "tls";
  }
  return "?";
}

// App-layer buffers in an ip/tcp rule make it a rule of that app protocol (as Suricata sets the
// rule's app protocol); buffers of two app protocols, or an app buffer the transport cannot
// carry, are a conflict.
bool settle_protocol(Rule* r, RuleError* err) {
  for (const MatchItem& it : r->items) {
    RuleProto need = buffer_proto(it.buffer);
    if (need == RuleProto::kIp || need == r->proto) continue;
    bool upgradable = r->proto == RuleProto::kIp || r->proto == RuleProto::kTcp ||
                      (r->proto == RuleProto::kUdp && need == RuleProto::kDns);
    if (!upgradable) {
      return fail(err, "protocol conflict",
                  std::string(buffer_name(it.buffer)) + " in a " + proto_name(r->proto) + " rule");
    }
    r->proto = need;
  }
  return true;
}

}  // namespace

bool parse_rule(std::string_view line, const RuleVars& vars, const Classifications* classifications,
                Rule* out, RuleError* err) {
  line = trim(line);
  if (line.empty() || line.front() == '#') {
    return fail(err, "not a rule",
                line.empty() ? "empty line" : cat({"comment: ", clip(line, 80)}));
  }
  Rule r;
  // Without '(' the header is checked anyway: a bad action or protocol is the better reason.
  size_t open = line.find('(');
  ProtoInfo proto;
  if (!parse_header(line.substr(0, open), vars, &r, &proto, err)) return false;
  if (open == std::string_view::npos) return fail(err, "bad header", "no '(' option list");
  if (line.back() != ')') {
    return fail(err, "bad option syntax", "the rule does not end with ')'");
  }

  std::vector<RawOption> opts;
  std::string why;
  if (!split_options(line.substr(open + 1, line.size() - open - 2), &opts, &why)) {
    return fail(err, "bad option syntax", why);
  }
  OptionContext ctx;
  ctx.rule = &r;
  ctx.classifications = classifications;
  for (const RawOption& opt : opts) {
    if (!apply_option(ctx, opt, err)) return false;
  }
  if (!ctx.has_sid)
    return fail(err, "missing sid", cat({"no sid option in '", clip(line, 100), "'"}));

  if (proto.packet_only || proto.stream_only) {
    FlowCheck& f = r.flow;
    if ((proto.packet_only && f.only_stream) || (proto.stream_only && f.no_stream)) {
      return fail(err, "bad flow", "flow stream option contradicts the protocol field");
    }
    f.no_stream = f.no_stream || proto.packet_only;
    f.only_stream = f.only_stream || proto.stream_only;
    r.has_flow = true;
  }
  if (!settle_protocol(&r, err)) return false;
  *out = std::move(r);
  return true;
}

}  // namespace vigil::ids
