#include "tenancy/cidr.h"

#include <arpa/inet.h>

#include <algorithm>

namespace vigil {

bool looks_like_cidr(const std::string& text) {
  return text.find_first_of(".:/") != std::string::npos;
}

bool parse_cidr(const std::string& text, Cidr* out, std::string* why) {
  auto fail = [&](const std::string& what) {
    if (why) *why = "'" + text + "' " + what;
    return false;
  };
  Cidr c;
  const auto slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  if (inet_pton(AF_INET, addr.c_str(), c.addr.data()) == 1) {
    c.v6 = false;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.addr.data()) == 1) {
    c.v6 = true;
  } else {
    return fail("is not an IPv4 or IPv6 address or prefix");
  }
  const int max = c.v6 ? 128 : 32;
  c.len = static_cast<uint8_t>(max);
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || !std::all_of(len.begin(), len.end(), ::isdigit) ||
        std::stoi(len) > max) {
      return fail("has a bad prefix length (0.." + std::to_string(max) + ")");
    }
    c.len = static_cast<uint8_t>(std::stoi(len));
  }
  for (int bit = c.len; bit < max; ++bit) {
    if (c.addr[bit / 8] & (0x80 >> (bit % 8))) return fail("has host bits set beyond the prefix");
  }
  *out = c;
  return true;
}

}  // namespace vigil
