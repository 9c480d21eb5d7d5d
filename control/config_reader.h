// The YAML reading helpers of the config loader: every error names the file, line and key.
// Internal to control/ (config.cc, policy_config.cc).
#pragma once

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "control/config.h"

namespace vigil::detail {

class Reader {
 public:
  Reader(std::string origin, std::string base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const {
    std::ostringstream out;
    out << origin_;
    if (node.IsDefined() && node.Mark().line >= 0) out << ":" << node.Mark().line + 1;
    out << ": " << key << ": " << what;
    throw ConfigError(out.str());
  }

  void check_keys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<const char*> allowed) const {
    if (!map.IsMap()) fail(map, where, "expected a mapping");
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        fail(kv.first, where + "." + key, "unknown key (expected one of: " + list + ")");
      }
    }
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "expected a string");
    return node.Scalar();
  }

  uint64_t number(const YAML::Node& node, const std::string& key, uint64_t lo, uint64_t hi) const {
    if (!node.IsScalar()) fail(node, key, "expected a number");
    const std::string& s = node.Scalar();
    if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
      fail(node, key, "'" + s + "' is not a whole number");
    }
    const uint64_t v = std::stoull(s);
    if (v < lo || v > hi) {
      fail(
          node, key,
          std::to_string(v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return v;
  }

  bool flag(const YAML::Node& node, const std::string& key, bool fallback) const {
    if (!node.IsDefined()) return fallback;
    const std::string s = node.IsScalar() ? node.Scalar() : "";
    if (s == "true") return true;
    if (s == "false") return false;
    fail(node, key, "expected true or false");
  }

  std::string path(const YAML::Node& node, const std::string& key) const {
    std::string p = text(node, key);
    if (p.empty()) fail(node, key, "empty path");
    // DPDK device arguments are comma- and equals-separated.
    if (p.find_first_of(",=") != std::string::npos)
      fail(node, key, "path may not contain ',' or '='");
    if (p[0] != '/') p = (std::filesystem::path(base_dir_) / p).lexically_normal().string();
    return p;
  }

  MacAddress mac(const YAML::Node& node, const std::string& key) const {
    const std::string s = text(node, key);
    MacAddress m{};
    unsigned b[6];
    char tail;
    if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                    &b[5], &tail) != 6 ||
        s.size() != 17) {
      fail(node, key, "'" + s + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
    }
    for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(b[i]);
    if (m[0] & 1) fail(node, key, "'" + s + "' is a multicast address");
    if (std::all_of(m.begin(), m.end(), [](uint8_t x) { return x == 0; })) {
      fail(node, key, "the all-zero MAC address is not a VM's address");
    }
    return m;
  }

  template <std::size_t N>
  std::vector<std::array<uint8_t, N>> addresses(const YAML::Node& node, const std::string& key,
                                                int family) const {
    std::vector<std::array<uint8_t, N>> out;
    if (!node.IsDefined()) return out;
    if (!node.IsSequence()) fail(node, key, "expected a list of addresses");
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string s = text(node[i], key);
      std::array<uint8_t, N> a{};
      if (inet_pton(family, s.c_str(), a.data()) != 1) {
        fail(node[i], key,
             "'" + s + "' is not an " + (family == AF_INET ? "IPv4" : "IPv6") + " address");
      }
      out.push_back(a);
    }
    return out;
  }

 private:
  std::string origin_;
  std::string base_dir_;
};

}  // namespace vigil::detail
