// Rule variables ($HOME_NET, $HTTP_PORTS, ...) and the parsers of a rule header's address and
// port fields into AddressSet / PortSet: "any", addresses, CIDR, nested [..] lists, '!'
// negation and $VAR references, expanded recursively with cycle detection.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "ids/rule.h"

namespace vigil::ids {

// Variable values as written in suricata.yaml (names without the '$').
struct RuleVars {
  std::map<std::string, std::string> address;  // address-groups
  std::map<std::string, std::string> port;     // port-groups
  // suricata.yaml's defaults: HOME_NET = RFC 1918, EXTERNAL_NET = !$HOME_NET, servers = $HOME_NET.
  static RuleVars defaults();
  // Sets NAME=VALUE in the map that already holds NAME, else in `port` when the name contains
  // "PORT", else in `address`. False when NAME is empty or not [A-Za-z0-9_]+.
  bool set(const std::string& name, const std::string& value);
};

// One address, "a.b.c.d", "a.b.c.d/len", "a.b.c.d/m.a.s.k" or IPv6 "x::y[/len]"; host bits are
// cleared.
bool parse_ip_prefix(std::string_view text, IpPrefix* out, std::string* error);

// A whole address / port field. Negating a list negates each member, so the result is flat:
// (any || in include) && not in exclude. An empty list, "!any", an undefined or cyclic variable,
// a bad element, or a set that can match nothing is an error.
bool parse_address_field(std::string_view text, const RuleVars& vars, AddressSet* out,
                         std::string* error);
bool parse_port_field(std::string_view text, const RuleVars& vars, PortSet* out,
                      std::string* error);

}  // namespace vigil::ids
