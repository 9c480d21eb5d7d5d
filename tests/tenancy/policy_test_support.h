// Shared by the policy classifier tests (in vigil_dpdk_unit_tests, whose main starts the EAL
// rte_acl needs): packets as the tests describe them, and a brute-force reference matcher
// written straight from the policy's meaning.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "tenancy/policy_compiler.h"

namespace vigil::test {

struct Pkt {
  uint16_t tenant = 0;
  bool v6 = false;
  uint8_t proto = 0;
  std::array<uint8_t, 16> src{}, dst{};  // IPv4 in the first 4 bytes
  uint16_t sport = 0, dport = 0;         // ICMP: type and code
};

inline std::array<uint8_t, 16> addr(const std::string& text, bool* v6 = nullptr) {
  std::array<uint8_t, 16> a{};
  const bool is6 = text.find(':') != std::string::npos;
  EXPECT_EQ(inet_pton(is6 ? AF_INET6 : AF_INET, text.c_str(), a.data()), 1) << text;
  if (v6) *v6 = is6;
  return a;
}

inline Pkt pkt(uint16_t tenant, uint8_t proto, const std::string& src, const std::string& dst,
               uint16_t sport = 0, uint16_t dport = 0) {
  Pkt p;
  p.tenant = tenant;
  p.proto = proto;
  p.src = addr(src, &p.v6);
  p.dst = addr(dst);
  p.sport = sport;
  p.dport = dport;
  return p;
}

// Keys as the dataplane would fill them: network byte order.
inline AclKeyV4 key_v4(const Pkt& p) {
  AclKeyV4 k{};
  k.proto = p.proto;
  std::memcpy(&k.src, p.src.data(), 4);
  std::memcpy(&k.dst, p.dst.data(), 4);
  k.sport = htons(p.sport);
  k.dport = htons(p.dport);
  k.tenant = htons(p.tenant);
  return k;
}

inline AclKeyV6 key_v6(const Pkt& p) {
  AclKeyV6 k{};
  k.proto = p.proto;
  std::memcpy(k.src, p.src.data(), 16);
  std::memcpy(k.dst, p.dst.data(), 16);
  k.sport = htons(p.sport);
  k.dport = htons(p.dport);
  k.tenant = htons(p.tenant);
  return k;
}

// Classifies packets (of both families, in any order) in bursts of 32, as a worker would.
inline std::vector<uint32_t> classify(const PolicyClassifier& pc, const std::vector<Pkt>& pkts) {
  std::vector<uint32_t> out(pkts.size());
  std::vector<AclKeyV4> k4(pkts.size());
  std::vector<AclKeyV6> k6(pkts.size());
  for (size_t start = 0; start < pkts.size(); start += 32) {
    const size_t end = std::min(pkts.size(), start + 32);
    std::vector<const uint8_t*> p4, p6;
    std::vector<size_t> i4, i6;
    for (size_t i = start; i < end; ++i) {
      if (pkts[i].v6) {
        k6[i] = key_v6(pkts[i]);
        p6.push_back(reinterpret_cast<const uint8_t*>(&k6[i]));
        i6.push_back(i);
      } else {
        k4[i] = key_v4(pkts[i]);
        p4.push_back(reinterpret_cast<const uint8_t*>(&k4[i]));
        i4.push_back(i);
      }
    }
    std::vector<uint32_t> r4(p4.size()), r6(p6.size());
    pc.classify_v4(p4.data(), static_cast<uint32_t>(p4.size()), r4.data());
    pc.classify_v6(p6.data(), static_cast<uint32_t>(p6.size()), r6.data());
    for (size_t j = 0; j < i4.size(); ++j) out[i4[j]] = r4[j];
    for (size_t j = 0; j < i6.size(); ++j) out[i6[j]] = r6[j];
  }
  return out;
}

inline uint32_t classify(const PolicyClassifier& pc, const Pkt& p) {
  return classify(pc, std::vector<Pkt>{p})[0];
}

// The reference: membership tested name by name, rules tried in rank order. It shares no code
// with the compiler (which enumerates prefixes and lets rte_acl pick by priority).
class ReferenceMatcher {
 public:
  explicit ReferenceMatcher(const TenancySpec& spec) : spec_(spec) {
    uint32_t first = 1;
    for (const TenantSpec& t : spec.tenants) {
      first_id_.push_back(first);
      first += static_cast<uint32_t>(t.policy.rules.size());
      std::vector<size_t> order(t.policy.rules.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return t.policy.rules[a].priority > t.policy.rules[b].priority;
      });
      order_.push_back(order);
    }
  }

  // 0 or the rule id the classifier should give.
  uint32_t match(const Pkt& p) const {
    const TenantSpec& t = spec_.tenants[p.tenant];
    for (size_t i : order_[p.tenant]) {
      if (matches(t, t.policy.rules[i], p)) return first_id_[p.tenant] + static_cast<uint32_t>(i);
    }
    return 0;
  }

 private:
  static bool in_prefix(const std::string& cidr, const Pkt& p, const std::array<uint8_t, 16>& a) {
    const auto slash = cidr.find('/');
    bool v6 = false;
    const auto net = addr(cidr.substr(0, slash), &v6);
    if (v6 != p.v6) return false;
    int len = slash == std::string::npos ? (v6 ? 128 : 32) : std::stoi(cidr.substr(slash + 1));
    for (int bit = 0; bit < len; ++bit) {
      const uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
      if ((net[bit / 8] & m) != (a[bit / 8] & m)) return false;
    }
    return true;
  }

  static bool member(const TenantSpec& t, const std::string& name, const Pkt& p,
                     const std::array<uint8_t, 16>& a, std::set<std::string>& seen) {
    if (name == "any") return true;
    if (name.find_first_of(".:/") != std::string::npos) return in_prefix(name, p, a);
    for (const VmSpec& vm : t.vms) {
      if (vm.port != name) continue;
      if (p.v6) return std::count(vm.ipv6.begin(), vm.ipv6.end(), a) > 0;
      return std::any_of(vm.ipv4.begin(), vm.ipv4.end(),
                         [&](const auto& v) { return std::equal(v.begin(), v.end(), a.begin()); });
    }
    if (!seen.insert(name).second) return false;
    for (const std::string& m : t.policy.groups.at(name)) {
      if (member(t, m, p, a, seen)) return true;
    }
    return false;
  }

  static bool side(const TenantSpec& t, const std::vector<std::string>& names, const Pkt& p,
                   const std::array<uint8_t, 16>& a) {
    if (names.empty()) return true;
    for (const std::string& n : names) {
      std::set<std::string> seen;
      if (member(t, n, p, a, seen)) return true;
    }
    return false;
  }

  static bool matches(const TenantSpec& t, const PolicyRule& r, const Pkt& p) {
    if (r.proto != 0 && r.proto != p.proto) return false;
    const bool icmp = r.proto == 1 || r.proto == 58;
    if (icmp && r.icmp_type >= 0 ? p.sport != r.icmp_type
                                 : (p.sport < r.sport_lo || p.sport > r.sport_hi)) {
      return false;
    }
    if (icmp && r.icmp_code >= 0 ? p.dport != r.icmp_code
                                 : (p.dport < r.dport_lo || p.dport > r.dport_hi)) {
      return false;
    }
    return side(t, r.src, p, p.src) && side(t, r.dst, p, p.dst);
  }

  const TenancySpec& spec_;
  std::vector<uint32_t> first_id_;
  std::vector<std::vector<size_t>> order_;
};

}  // namespace vigil::test
