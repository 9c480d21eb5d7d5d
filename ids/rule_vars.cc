// Rule variables and address/port field parsing (rule_vars.h).
#include "ids/rule_vars.h"

#include <arpa/inet.h>

#include <algorithm>
#include <vector>

#include "ids/rule_syntax.h"

namespace vigil::ids {
namespace {

// Bounds that keep hostile variable definitions (deep or exponential expansion) cheap.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxElements = 100000;
// The "matches nothing" check is quadratic; skip it for huge sets.
constexpr size_t kMaxCoverCheck = 1000000;

template <typename T>
struct Acc {
  std::vector<T> include, exclude;
  bool any = false;  // a positive "any" was seen
  size_t elements = 0;
  std::vector<std::string> stack;  // variables being expanded, for cycle detection
};

bool valid_var_name(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Expands one element (recursively for lists and variables) into `acc`. `parse_leaf` turns a
// plain element into T.
template <typename T, typename Leaf>
bool expand(std::string_view text, bool neg, int depth,
            const std::map<std::string, std::string>& vars, const char* kind, Leaf parse_leaf,
            Acc<T>* acc, std::string* error) {
  text = trim(text);
  if (depth > kMaxDepth) {
    *error = cat({"nesting deeper than ", std::to_string(kMaxDepth)});
    return false;
  }
  if (++acc->elements > kMaxElements) {
    *error = cat({"more than ", std::to_string(kMaxElements), " elements after expansion"});
    return false;
  }
  while (!text.empty() && text.front() == '!') {
    neg = !neg;
    text = trim(text.substr(1));
  }
  if (text.empty()) {
    *error = "empty element";
    return false;
  }
  if (text.front() == '[') {
    if (text.back() != ']') {
      *error = cat({"list '", clip(text, 60), "' does not end with ']'"});
      return false;
    }
    std::vector<std::string_view> parts;
    if (!split_top_level(text.substr(1, text.size() - 2), ',', &parts, error)) return false;
    if (parts.size() == 1 && parts[0].empty()) {
      *error = "empty list";
      return false;
    }
    for (std::string_view p : parts) {
      if (!expand(p, neg, depth + 1, vars, kind, parse_leaf, acc, error)) return false;
    }
    return true;
  }
  if (text.front() == '$') {
    std::string name(text.substr(1));
    auto it = vars.find(name);
    if (it == vars.end()) {
      *error = std::string("undefined ") + kind + " variable $" + clip(name, 60);
      return false;
    }
    if (std::find(acc->stack.begin(), acc->stack.end(), name) != acc->stack.end()) {
      std::string path;
      for (const std::string& s : acc->stack) path += cat({"$", s, " -> "});
      *error = cat({"variable cycle: ", path, "$", name});
      return false;
    }
    acc->stack.push_back(name);
    bool ok = expand(it->second, neg, depth + 1, vars, kind, parse_leaf, acc, error);
    acc->stack.pop_back();
    if (!ok) *error = cat({"in $", name, ": ", *error});
    return ok;
  }
  if (text == "any") {
    if (neg) {
      *error = "'!any' matches nothing";
      return false;
    }
    acc->any = true;
    return true;
  }
  T leaf;
  if (!parse_leaf(text, &leaf, error)) return false;
  (neg ? acc->exclude : acc->include).push_back(leaf);
  return true;
}

bool prefix_covers(const IpPrefix& outer, const IpPrefix& inner) {
  if (outer.v6 != inner.v6 || outer.len > inner.len) return false;
  for (int bit = 0; bit < outer.len; ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((outer.addr[bit / 8] & mask) != (inner.addr[bit / 8] & mask)) return false;
  }
  return true;
}

bool range_covers(const PortRange& outer, const PortRange& inner) {
  return outer.lo <= inner.lo && inner.hi <= outer.hi;
}

// True when every include is inside some exclude (the set can match nothing).
template <typename T, typename Covers>
bool all_excluded(const Acc<T>& acc, Covers covers) {
  if (acc.any || acc.include.empty()) return false;
  if (acc.include.size() * acc.exclude.size() > kMaxCoverCheck) return false;
  for (const T& in : acc.include) {
    bool covered = false;
    for (const T& ex : acc.exclude) covered = covered || covers(ex, in);
    if (!covered) return false;
  }
  return true;
}

bool parse_port(std::string_view text, uint16_t* out) {
  uint32_t v = 0;
  if (!parse_u32(text, &v) || v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

bool parse_port_range(std::string_view text, PortRange* out, std::string* error) {
  size_t colon = text.find(':');
  bool ok;
  if (colon == std::string_view::npos) {
    ok = parse_port(text, &out->lo);
    out->hi = out->lo;
  } else {
    std::string_view lo = trim(text.substr(0, colon)), hi = trim(text.substr(colon + 1));
    out->lo = 0;
    out->hi = 65535;
    ok = !(lo.empty() && hi.empty()) && (lo.empty() || parse_port(lo, &out->lo)) &&
         (hi.empty() || parse_port(hi, &out->hi));
  }
  if (!ok) {
    *error = cat({"bad port '", clip(text, 60), "'"});
    return false;
  }
  if (out->lo > out->hi) {
    *error = cat({"empty port range '", std::string(text), "'"});
    return false;
  }
  return true;
}

}  // namespace

RuleVars RuleVars::defaults() {
  RuleVars v;
  v.address["HOME_NET"] = "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]";
  v.address["EXTERNAL_NET"] = "!$HOME_NET";
  for (const char* name :
       {"HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS", "TELNET_SERVERS",
        "AIM_SERVERS", "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT", "MODBUS_CLIENT", "MODBUS_SERVER",
        "ENIP_CLIENT", "ENIP_SERVER"}) {
    v.address[name] = "$HOME_NET";
  }
  v.port["HTTP_PORTS"] = "80";
  v.port["SHELLCODE_PORTS"] = "!80";
  v.port["ORACLE_PORTS"] = "1521";
  v.port["SSH_PORTS"] = "22";
  v.port["DNP3_PORTS"] = "20000";
  v.port["MODBUS_PORTS"] = "502";
  v.port["FILE_DATA_PORTS"] = "[$HTTP_PORTS,110,143]";
  v.port["FTP_PORTS"] = "21";
  v.port["GENEVE_PORTS"] = "6081";
  v.port["VXLAN_PORTS"] = "4789";
  v.port["TEREDO_PORTS"] = "3544";
  return v;
}

bool RuleVars::set(const std::string& name, const std::string& value) {
  if (!valid_var_name(name)) return false;
  if (address.count(name)) {
    address[name] = value;
  } else if (port.count(name) || name.find("PORT") != std::string::npos) {
    port[name] = value;
  } else {
    address[name] = value;
  }
  return true;
}

bool parse_ip_prefix(std::string_view text, IpPrefix* out, std::string* error) {
  text = trim(text);
  IpPrefix p;
  size_t slash = text.find('/');
  std::string addr(text.substr(0, slash));
  p.v6 = addr.find(':') != std::string::npos;
  const int max_len = p.v6 ? 128 : 32;
  if (addr.empty() || inet_pton(p.v6 ? AF_INET6 : AF_INET, addr.c_str(), p.addr.data()) != 1) {
    *error = cat({"bad address '", clip(text, 60), "'"});
    return false;
  }
  p.len = static_cast<uint8_t>(max_len);
  if (slash != std::string_view::npos) {
    std::string_view len_text = text.substr(slash + 1);
    uint32_t len = 0;
    if (parse_u32(len_text, &len) && len <= static_cast<uint32_t>(max_len)) {
      p.len = static_cast<uint8_t>(len);
    } else {
      // IPv4 also allows a dotted netmask, if its ones are contiguous.
      std::string mask_text(len_text);
      uint8_t m[4];
      if (p.v6 || inet_pton(AF_INET, mask_text.c_str(), m) != 1) {
        *error = cat({"bad prefix length in '", clip(text, 60), "'"});
        return false;
      }
      uint32_t mask = uint32_t{m[0]} << 24 | uint32_t{m[1]} << 16 | uint32_t{m[2]} << 8 | m[3];
      uint32_t ones = 0;
      while (ones < 32 && (mask & (0x80000000u >> ones))) ++ones;
      if (ones < 32 && (mask << ones) != 0) {
        *error = cat({"non-contiguous netmask in '", clip(text, 60), "'"});
        return false;
      }
      p.len = static_cast<uint8_t>(ones);
    }
  }
  for (int bit = p.len; bit < max_len; ++bit) {
    p.addr[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  *out = p;
  return true;
}

bool parse_address_field(std::string_view text, const RuleVars& vars, AddressSet* out,
                         std::string* error) {
  Acc<IpPrefix> acc;
  if (!expand(text, false, 0, vars.address, "address", parse_ip_prefix, &acc, error)) {
    return false;
  }
  if (all_excluded(acc, prefix_covers)) {
    *error = cat({"'", clip(text, 60), "' matches no address"});
    return false;
  }
  out->any = acc.any || acc.include.empty();
  out->include = out->any ? std::vector<IpPrefix>{} : std::move(acc.include);
  out->exclude = std::move(acc.exclude);
  return true;
}

bool parse_port_field(std::string_view text, const RuleVars& vars, PortSet* out,
                      std::string* error) {
  Acc<PortRange> acc;
  if (!expand(text, false, 0, vars.port, "port", parse_port_range, &acc, error)) return false;
  if (all_excluded(acc, range_covers)) {
    *error = cat({"'", clip(text, 60), "' matches no port"});
    return false;
  }
  out->any = acc.any || acc.include.empty();
  out->include = out->any ? std::vector<PortRange>{} : std::move(acc.include);
  out->exclude = std::move(acc.exclude);
  return true;
}

}  // namespace vigil::ids
