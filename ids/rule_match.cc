#include "ids/rule_match.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstring>

#include "ids/content_search.h"

namespace vigil::ids {
namespace {

// Suricata bounds a rule's content inspection recursion (inspection_recursion_limit, 3000).
constexpr uint32_t kMaxSteps = 3000;

bool in_prefix(const IpPrefix& p, uint8_t family, const uint8_t* addr) {
  if (p.v6 != (family == 6)) return false;
  const uint8_t full = p.len / 8, rest = p.len % 8;
  if (std::memcmp(p.addr.data(), addr, full) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (p.addr[full] & mask) == (addr[full] & mask);
}

bool in_ranges(const std::vector<PortRange>& ranges, uint16_t port) {
  for (const PortRange& r : ranges) {
    if (port >= r.lo && port <= r.hi) return true;
  }
  return false;
}

bool proto_matches(RuleProto proto, const Inspection& insp) {
  switch (proto) {
    case RuleProto::kIp:
      return true;
    case RuleProto::kTcp:
      return insp.ip_proto == 6;
    case RuleProto::kUdp:
      return insp.ip_proto == 17;
    case RuleProto::kIcmp:
      return insp.ip_proto == 1 || insp.ip_proto == 58;
    case RuleProto::kHttp:
      return insp.app == AppKind::kHttp;
    case RuleProto::kDns:
      return insp.app == AppKind::kDns;
    case RuleProto::kTls:
      return insp.app == AppKind::kTls;
  }
  return false;
}

bool endpoints_match(const Rule& r, const Inspection& insp, bool swapped) {
  const uint8_t* src = swapped ? insp.dst : insp.src;
  const uint8_t* dst = swapped ? insp.src : insp.dst;
  const uint16_t sport = swapped ? insp.dport : insp.sport;
  const uint16_t dport = swapped ? insp.sport : insp.dport;
  if (!address_matches(r.src, insp.family, src) || !address_matches(r.dst, insp.family, dst)) {
    return false;
  }
  const bool has_ports = insp.ip_proto == 6 || insp.ip_proto == 17;
  if (!has_ports)
    return r.src_ports.any && r.src_ports.include.empty() && r.src_ports.exclude.empty() &&
           r.dst_ports.any && r.dst_ports.include.empty() && r.dst_ports.exclude.empty();
  return port_matches(r.src_ports, sport) && port_matches(r.dst_ports, dport);
}

bool flags_match(const TcpFlagsCheck& f, uint8_t flags) {
  const uint8_t seen = flags & static_cast<uint8_t>(~f.ignore);
  switch (f.mode) {
    case TcpFlagsCheck::kExact:
      return seen == f.bits;
    case TcpFlagsCheck::kAll:
      return (seen & f.bits) == f.bits;
    case TcpFlagsCheck::kAny:
      return (seen & f.bits) != 0;
    case TcpFlagsCheck::kNone:
      return (seen & f.bits) == 0;
  }
  return false;
}

bool flowbit_checks_pass(const CompiledRule& cr, const FlowBits* bits) {
  for (const CompiledFlowbit& fb : cr.flowbits) {
    if (fb.op != FlowbitOp::kIsSet && fb.op != FlowbitOp::kIsNotSet) continue;
    const bool want_set = fb.op == FlowbitOp::kIsSet;
    bool any = false, all = true;
    for (uint16_t id : fb.ids) {
      const bool set = bits != nullptr && bits->has(id);
      const bool ok = set == want_set;
      any |= ok;
      all &= ok;
    }
    if (!(fb.any_of ? any : all)) return false;
  }
  return true;
}

struct ChainMatcher {
  const CompiledRule& cr;
  const std::vector<uint16_t>& chain;
  const uint8_t* buf;
  uint32_t len;
  int64_t base;  // stream offset of buf[0]; absolute positions are stream offsets
  MatchScratch& scratch;

  bool later_relative(size_t i) const {
    for (size_t k = i + 1; k < chain.size(); ++k) {
      const MatchItem& it = cr.rule.items[chain[k]];
      if (it.relative || it.has_distance || it.has_within) return true;
    }
    return false;
  }

  // The window [start, end) a content may occupy, or false when it is empty.
  bool content_window(const MatchItem& it, uint32_t prev_end, int64_t& start, int64_t& end) const {
    const int64_t plen = static_cast<int64_t>(it.pattern.size());
    if (it.has_distance || it.has_within) {
      const int64_t from = int64_t(prev_end) + (it.has_distance ? it.distance : 0);
      start = from;
      end = it.has_within ? from + it.within : int64_t(len);
    } else if (it.startswith) {
      start = -base;
      end = plen - base;
    } else {
      start = (it.has_offset ? it.offset : 0) - base;
      end = it.has_depth ? start + it.depth : int64_t(len);
    }
    if (start < 0) start = 0;
    if (end > int64_t(len)) end = len;
    if (it.endswith) {
      if (int64_t(len) - plen < start) return false;
      start = int64_t(len) - plen;  // the only place it may be
    }
    return end - start >= plen;
  }

  bool match(size_t i, uint32_t prev_end) {
    if (i == chain.size()) return true;
    if (++scratch.steps > kMaxSteps) return false;
    const MatchItem& it = cr.rule.items[chain[i]];
    switch (it.kind) {
      case MatchKind::kContent:
        return match_content(i, it, prev_end);
      case MatchKind::kPcre:
        return match_pcre(i, it, prev_end);
      case MatchKind::kIsDataAt: {
        const bool there = it.relative ? uint64_t(prev_end) + it.value <= len
                                       : int64_t(it.value) - base < int64_t(len);
        return there != it.negated && match(i + 1, prev_end);
      }
      case MatchKind::kBsize:
        return it.check.matches(len) != it.negated && match(i + 1, prev_end);
    }
    return false;
  }

  bool match_content(size_t i, const MatchItem& it, uint32_t prev_end) {
    const auto* pat = reinterpret_cast<const uint8_t*>(it.pattern.data());
    const uint32_t plen = static_cast<uint32_t>(it.pattern.size());
    int64_t start, end;
    const bool room = content_window(it, prev_end, start, end);
    if (it.negated) {
      const bool found =
          room && find_pattern(buf, uint32_t(end), uint32_t(start), pat, plen, it.nocase) >= 0;
      return !found && match(i + 1, prev_end);
    }
    if (!room) return false;
    const bool retry = later_relative(i);
    uint32_t from = static_cast<uint32_t>(start);
    for (;;) {
      const int64_t pos = find_pattern(buf, uint32_t(end), from, pat, plen, it.nocase);
      if (pos < 0) return false;
      if (match(i + 1, static_cast<uint32_t>(pos) + plen)) return true;
      if (!retry || ++scratch.steps > kMaxSteps) return false;
      from = static_cast<uint32_t>(pos) + 1;
    }
  }

  bool match_pcre(size_t i, const MatchItem& it, uint32_t prev_end) {
    pcre2_code* code = cr.pcres[chain[i]];
    if (code == nullptr) return false;
    // A relative pcre sees the buffer from the previous match on, so ^ anchors there (Suricata).
    const uint32_t origin = it.relative ? prev_end : 0;
    if (origin > len) return it.negated && match(i + 1, prev_end);
    const bool retry = !it.negated && later_relative(i);
    PCRE2_SIZE from = 0;
    for (;;) {
      const int rc = pcre2_match(code, buf + origin, len - origin, from, 0, scratch.match_data,
                                 scratch.match_context);
      if (it.negated) return rc < 0 && match(i + 1, prev_end);
      if (rc < 0) return false;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(scratch.match_data);
      const PCRE2_SIZE s = ov[0], e = ov[1];
      if (match(i + 1, origin + static_cast<uint32_t>(e))) return true;
      if (!retry || ++scratch.steps > kMaxSteps || origin + s + 1 > len) return false;
      from = s + 1;
    }
  }
};

}  // namespace

bool address_matches(const AddressSet& set, uint8_t family, const uint8_t* addr) {
  bool in = set.any;
  if (!in) {
    for (const IpPrefix& p : set.include) {
      if (in_prefix(p, family, addr)) {
        in = true;
        break;
      }
    }
  }
  if (!in) return false;
  for (const IpPrefix& p : set.exclude) {
    if (in_prefix(p, family, addr)) return false;
  }
  return true;
}

bool port_matches(const PortSet& set, uint16_t port) {
  if (!set.any && !in_ranges(set.include, port)) return false;
  return !in_ranges(set.exclude, port);
}

bool compile_rule_pcres(CompiledRule& cr, std::string* error) {
  cr.pcres.assign(cr.rule.items.size(), nullptr);
  for (size_t i = 0; i < cr.rule.items.size(); ++i) {
    const MatchItem& it = cr.rule.items[i];
    if (it.kind != MatchKind::kPcre) continue;
    uint32_t options = 0;
    if (it.pcre_caseless) options |= PCRE2_CASELESS;
    if (it.pcre_dotall) options |= PCRE2_DOTALL;
    if (it.pcre_multiline) options |= PCRE2_MULTILINE;
    if (it.pcre_extended) options |= PCRE2_EXTENDED;
    if (it.pcre_anchored) options |= PCRE2_ANCHORED;
    if (it.pcre_dollar_endonly) options |= PCRE2_DOLLAR_ENDONLY;
    if (it.pcre_ungreedy) options |= PCRE2_UNGREEDY;
    int err = 0;
    PCRE2_SIZE at = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(it.pattern.data()),
                                     it.pattern.size(), options, &err, &at, nullptr);
    if (code == nullptr) {
      PCRE2_UCHAR msg[160];
      pcre2_get_error_message(err, msg, sizeof(msg));
      if (error != nullptr) {
        *error = "pcre at offset " + std::to_string(at) + ": " + reinterpret_cast<char*>(msg);
      }
      free_rule_pcres(cr);
      return false;
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // interpreted when JIT is unavailable
    cr.pcres[i] = code;
  }
  return true;
}

void free_rule_pcres(CompiledRule& cr) {
  for (pcre2_code*& c : cr.pcres) {
    pcre2_code_free(c);
    c = nullptr;
  }
}

bool header_matches(const CompiledRule& cr, const Inspection& insp) {
  const Rule& r = cr.rule;
  if (!proto_matches(r.proto, insp)) return false;
  if (!endpoints_match(r, insp, false) && !(r.bidirectional && endpoints_match(r, insp, true))) {
    return false;
  }
  if (r.has_flow) {
    const FlowCheck& f = r.flow;
    if (f.to_server && !insp.to_server) return false;
    if (f.to_client && insp.to_server) return false;
    if (f.established && !insp.established) return false;
    if (f.not_established && insp.established) return false;
    if (f.only_stream && !insp.stream) return false;
    if (f.no_stream && insp.stream) return false;
  }
  if (r.has_flags && (!insp.has_tcp || !flags_match(r.flags, insp.tcp_flags))) return false;
  if (r.has_itype && (!insp.has_icmp || !r.itype.matches(insp.icmp_type))) return false;
  if (r.has_icode && (!insp.has_icmp || !r.icode.matches(insp.icmp_code))) return false;
  if (r.has_dsize && !r.dsize.matches(insp.dsize)) return false;
  return true;
}

bool rule_matches(const CompiledRule& cr, const Inspection& insp, MatchScratch& scratch) {
  if (!header_matches(cr, insp)) return false;
  if (!flowbit_checks_pass(cr, insp.flowbits)) return false;
  scratch.steps = 0;
  for (const std::vector<uint16_t>& chain : cr.chains) {
    const Buffer b = cr.rule.items[chain.front()].buffer;
    const BufferView& view = insp.buffer(b);
    if (!view.present) return false;
    ChainMatcher m{cr, chain, view.data, view.len, static_cast<int64_t>(view.base), scratch};
    if (!m.match(0, 0)) return false;
  }
  return true;
}

}  // namespace vigil::ids
