// 10,000 generated rules over 64 tenants, checked against the brute-force reference matcher on
// random packets: the real check that names, priorities, ranges and byte order all line up.
#include <gtest/gtest.h>

#include <random>

#include "tenancy/policy_compiler.h"
#include "tests/tenancy/policy_test_support.h"

namespace vigil {
namespace {

using namespace vigil::test;

constexpr int kTenants = 64;
constexpr int kVms = 4;
constexpr int kRules = 10000;
constexpr int kPackets = 40000;

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  TenancySpec spec() {
    TenancySpec s;
    for (int t = 0; t < kTenants; ++t) {
      TenantSpec ts;
      ts.name = std::string("t").append(std::to_string(t));
      ts.vlan = static_cast<uint16_t>(t + 1);
      for (int v = 0; v < kVms; ++v) {
        VmSpec vm;
        vm.port = ts.name + "vm" + std::to_string(v);
        vm.ipv4 = {v4(t, v, 1)};
        if (v % 2 == 0) vm.ipv4.push_back(v4(t, v, 2));
        if (v != 3) vm.ipv6 = {v6(t, v, 1)};
        ts.vms.push_back(vm);
      }
      auto& g = ts.policy.groups;
      g["g0"] = {ts.vms[0].port, ts.vms[1].port};
      g["g1"] = {"g0", "10." + std::to_string(t) + ".128.0/17"};
      g["g2"] = {"g1", ts.vms[3].port, "fd00:" + std::to_string(t) + "::/32"};
      g["g3"] = {"g2", "g0", "g3"};  // overlaps and a cycle
      ts.policy.default_action =
          pick({PolicyAction::kAllow, PolicyAction::kDeny, PolicyAction::kReject});
      s.tenants.push_back(ts);
    }
    for (int i = 0; i < kRules; ++i) {
      TenantSpec& ts = s.tenants[below(kTenants)];
      PolicyRule r = rule(ts);
      r.line = i + 1;
      ts.policy.rules.push_back(r);
    }
    return s;
  }

  Pkt packet() {
    Pkt p;
    p.tenant = static_cast<uint16_t>(below(kTenants));
    p.v6 = below(3) == 0;
    p.src = address(p.v6, p.tenant);
    p.dst = address(p.v6, p.tenant);
    p.proto = pick<uint8_t>({6, 6, 6, 17, 17, 1, 58, 47});
    if (p.proto == 6 || p.proto == 17) {
      p.sport = port();
      p.dport = port();
    } else if (p.proto == 1 || p.proto == 58) {
      p.sport = static_cast<uint16_t>(below(6));
      p.dport = static_cast<uint16_t>(below(4));
    }
    return p;
  }

 private:
  static std::array<uint8_t, 4> v4(int t, int v, int host) {
    return {10, static_cast<uint8_t>(t), static_cast<uint8_t>(v), static_cast<uint8_t>(host)};
  }
  static std::array<uint8_t, 16> v6(int t, int v, int host) {
    return {0xfd, 0, 0, static_cast<uint8_t>(t),   0, static_cast<uint8_t>(v), 0, 0, 0, 0, 0, 0,
            0,    0, 0, static_cast<uint8_t>(host)};
  }

  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T>
  T pick(std::initializer_list<T> list) {
    return *(list.begin() + below(static_cast<int>(list.size())));
  }

  // Mostly near the tenants' own addresses, so that rules and packets meet.
  std::array<uint8_t, 16> address(bool is6, int tenant) {
    std::array<uint8_t, 16> a{};
    const int t = below(4) == 0 ? below(kTenants) : tenant;
    const int v = below(5);
    const int host = below(4);
    if (is6) {
      a = v6(t, v, host);
      if (below(8) == 0) a[2] = static_cast<uint8_t>(below(256));
      if (below(8) == 0) a[8] = 0x80;
    } else {
      const auto b = v4(t, v, host);
      std::copy(b.begin(), b.end(), a.begin());
      if (below(4) == 0) a[2] = static_cast<uint8_t>(128 + below(3));
      if (below(10) == 0) a[1] = static_cast<uint8_t>(below(256));
    }
    return a;
  }

  uint16_t port() {
    if (below(20) == 0) return pick<uint16_t>({0, 65535, 65534, 256, 1});
    return static_cast<uint16_t>(below(72));
  }

  std::string cidr(int tenant) {
    const bool is6 = below(3) == 0;
    auto a = address(is6, tenant);
    const int len = is6 ? pick({16, 32, 40, 48, 64, 65, 100, 128}) : pick({8, 16, 17, 24, 30, 32});
    for (int bit = len; bit < (is6 ? 128 : 32); ++bit) a[bit / 8] &= ~(0x80 >> (bit % 8));
    char text[64];
    inet_ntop(is6 ? AF_INET6 : AF_INET, a.data(), text, sizeof text);
    return std::string(text) + "/" + std::to_string(len);
  }

  std::vector<std::string> side(const TenantSpec& ts) {
    const int n = below(10);
    if (n < 2) return {};
    std::vector<std::string> out;
    for (int i = 0, count = below(10) == 0 ? 2 : 1; i < count; ++i) {
      const int k = below(10);
      if (k < 4) {
        out.push_back(cidr(ts.vlan - 1));
      } else if (k < 7) {
        out.push_back(ts.vms[below(kVms)].port);
      } else if (k < 9) {
        out.push_back(std::string("g").append(std::to_string(below(4))));
      } else {
        out.push_back("any");
      }
    }
    return out;
  }

  void range(uint16_t& lo, uint16_t& hi) {
    const int k = below(10);
    if (k < 5) return;
    lo = port();
    hi = k < 8 ? lo : static_cast<uint16_t>(std::min(65535, lo + below(30)));
    if (below(30) == 0) hi = 65535;
  }

  PolicyRule rule(const TenantSpec& ts) {
    PolicyRule r;
    r.action = pick(
        {PolicyAction::kAllow, PolicyAction::kDeny, PolicyAction::kReject, PolicyAction::kLog});
    r.priority = below(2) == 0 ? 0 : below(50);
    r.src = side(ts);
    r.dst = side(ts);
    // Rules open on both sides would leave no packet to the tenant's default.
    auto open = [](const std::vector<std::string>& v) {
      return v.empty() || std::count(v.begin(), v.end(), "any") > 0;
    };
    if (open(r.src) && open(r.dst)) r.dst = {cidr(ts.vlan - 1)};
    r.proto = pick<uint8_t>({0, 6, 6, 6, 17, 17, 1, 58, 47});
    if (r.proto == 6 || r.proto == 17) {
      range(r.sport_lo, r.sport_hi);
      range(r.dport_lo, r.dport_hi);
    } else if (r.proto == 1 || r.proto == 58) {
      if (below(3) != 0) r.icmp_type = below(6);
      if (below(3) == 0) r.icmp_code = below(4);
    }
    return r;
  }

  std::mt19937 rng_;
};

TEST(PolicyRandom, TenThousandRulesAgreeWithTheReference) {
  Generator gen(20261128);
  const TenancySpec spec = gen.spec();
  std::string error;
  const auto pc = PolicyClassifier::build(spec, &error);
  ASSERT_NE(pc, nullptr) << error;
  EXPECT_EQ(pc->rule_count(), static_cast<size_t>(kRules));
  const ReferenceMatcher ref(spec);
  std::vector<Pkt> pkts;
  for (int i = 0; i < kPackets; ++i) pkts.push_back(gen.packet());
  const std::vector<uint32_t> got = classify(*pc, pkts);
  int mismatches = 0, matched = 0;
  for (size_t i = 0; i < pkts.size(); ++i) {
    const uint32_t want = ref.match(pkts[i]);
    matched += want != 0;
    if (got[i] != want && ++mismatches <= 10) {
      ADD_FAILURE() << "packet " << i << " (tenant " << pkts[i].tenant << ", v6 " << pkts[i].v6
                    << ", proto " << int(pkts[i].proto) << ", " << pkts[i].sport << " -> "
                    << pkts[i].dport << "): classifier " << got[i] << ", reference " << want;
    }
  }
  EXPECT_EQ(mismatches, 0);
  // The packets must exercise the rules, not just the defaults.
  EXPECT_GT(matched, kPackets / 3);
  EXPECT_LT(matched, kPackets);
  std::cout << "acl rules v4 " << pc->acl_rule_count_v4() << ", v6 " << pc->acl_rule_count_v6()
            << "; " << matched << " of " << kPackets << " packets matched a rule\n";
}

}  // namespace
}  // namespace vigil
