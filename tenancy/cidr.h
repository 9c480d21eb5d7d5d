// IPv4/IPv6 prefixes as policies write them: "10.0.10.0/24", "fd00:99::/64" or a bare address.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace vigil {

struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};  // network byte order; IPv4 uses the first 4 bytes
  uint8_t len = 0;                 // prefix length; 32 or 128 for a bare address
};

// Parses `text`; on failure returns false and says why in *why (when given). Host bits set
// beyond the prefix are refused: "10.0.10.5/24" is more likely a typo than a network.
bool parse_cidr(const std::string& text, Cidr* out, std::string* why = nullptr);
// Whether `text` is meant as an address (it has a '.', ':' or '/'), rather than a name.
bool looks_like_cidr(const std::string& text);

}  // namespace vigil
