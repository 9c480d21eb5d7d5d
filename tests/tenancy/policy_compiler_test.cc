#include "tenancy/policy_compiler.h"

#include <gtest/gtest.h>

#include "dataplane/frame_parser.h"
#include "tests/support/frame_builder.h"
#include "tests/tenancy/policy_test_support.h"

namespace vigil {
namespace {

using namespace vigil::test;

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmp6 = 58;
constexpr uint16_t kBlue = 0, kRed = 1;

VmSpec vm(const std::string& port, std::vector<std::array<uint8_t, 4>> v4,
          std::vector<std::string> v6 = {}) {
  VmSpec v;
  v.port = port;
  v.ipv4 = std::move(v4);
  for (const std::string& a : v6) v.ipv6.push_back(addr(a));
  return v;
}

// blue (tenant 0): blue1..blue3; red (tenant 1): red1, which reuses blue1's address.
TenancySpec spec() {
  TenancySpec s;
  TenantSpec blue;
  blue.name = "blue";
  blue.vlan = 10;
  blue.vms = {vm("blue1", {{10, 0, 10, 1}}, {"fd00:10::1"}),
              vm("blue2", {{10, 0, 10, 2}}, {"fd00:10::2"}), vm("blue3", {{10, 0, 10, 3}})};
  TenantSpec red;
  red.name = "red";
  red.vlan = 20;
  red.vms = {vm("red1", {{10, 0, 10, 1}}, {"fd00:10::1"})};
  s.tenants = {blue, red};
  return s;
}

PolicyRule rule(PolicyAction action, std::vector<std::string> src = {},
                std::vector<std::string> dst = {}, uint8_t proto = 0, int line = 0) {
  PolicyRule r;
  r.action = action;
  r.src = std::move(src);
  r.dst = std::move(dst);
  r.proto = proto;
  r.line = line;
  return r;
}

PolicyRule dport(PolicyRule r, uint16_t lo, uint16_t hi) {
  r.dport_lo = lo;
  r.dport_hi = hi;
  return r;
}

std::unique_ptr<PolicyClassifier> build(const TenancySpec& s) {
  std::string error;
  auto pc = PolicyClassifier::build(s, &error);
  EXPECT_NE(pc, nullptr) << error;
  return pc;
}

// Every case is also checked against the reference matcher.
class PolicyCompilerTest : public ::testing::Test {
 protected:
  void compile() {
    pc_ = build(spec_);
    ref_ = std::make_unique<ReferenceMatcher>(spec_);
  }
  uint32_t id(const Pkt& p) {
    const uint32_t got = classify(*pc_, p);
    EXPECT_EQ(got, ref_->match(p)) << "reference disagrees";
    return got;
  }
  PolicyAction action(const Pkt& p) { return pc_->action_of(p.tenant, id(p)); }
  std::vector<PolicyRule>& blue() { return spec_.tenants[kBlue].policy.rules; }

  TenancySpec spec_ = spec();
  std::unique_ptr<PolicyClassifier> pc_;
  std::unique_ptr<ReferenceMatcher> ref_;
};

TEST_F(PolicyCompilerTest, FirstMatchingRuleWins) {
  blue() = {dport(rule(PolicyAction::kDeny, {}, {}, kTcp, 7), 22, 22),
            rule(PolicyAction::kAllow, {}, {}, kTcp, 8)};
  compile();
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1000, 22)), 1u);
  EXPECT_EQ(pc_->rule(1).line, 7);
  EXPECT_EQ(pc_->rule(1).tenant, kBlue);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1000, 23)), 2u);
  EXPECT_EQ(action(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1000, 22)), PolicyAction::kDeny);
  EXPECT_EQ(action(pkt(kBlue, kUdp, "10.0.10.1", "10.0.10.2", 1000, 22)), PolicyAction::kAllow);
  EXPECT_EQ(pc_->rule_count(), 2u);
}

TEST_F(PolicyCompilerTest, HigherPriorityWinsThenOrder) {
  blue() = {rule(PolicyAction::kAllow), rule(PolicyAction::kDeny, {}, {}, kTcp),
            dport(rule(PolicyAction::kReject, {}, {}, kTcp), 80, 80),
            rule(PolicyAction::kLog, {}, {}, kUdp)};
  blue()[1].priority = 10;
  blue()[2].priority = 10;  // same as rule 2, later: never wins against it
  blue()[3].priority = 20;
  compile();
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 80)), 2u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, "10.0.10.1", "10.0.10.2", 1, 80)), 4u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, "10.0.10.1", "10.0.10.2", 8, 0)), 1u);
  // Lift the reject above the deny.
  blue()[2].priority = 11;
  compile();
  EXPECT_EQ(action(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 80)), PolicyAction::kReject);
  EXPECT_EQ(action(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 81)), PolicyAction::kDeny);
}

TEST_F(PolicyCompilerTest, DefaultActionPerTenant) {
  spec_.tenants[kBlue].policy.default_action = PolicyAction::kDeny;
  spec_.tenants[kRed].policy.default_action = PolicyAction::kReject;
  compile();  // no rule at all: no ACL context, every result is the default
  EXPECT_EQ(pc_->acl_rule_count_v4(), 0u);
  EXPECT_EQ(action(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 80)), PolicyAction::kDeny);
  EXPECT_EQ(action(pkt(kRed, kTcp, "10.0.10.1", "10.0.10.2", 1, 80)), PolicyAction::kReject);
  EXPECT_EQ(action(pkt(kRed, kTcp, "fd00:10::1", "fd00:10::2", 1, 80)), PolicyAction::kReject);
  blue() = {dport(rule(PolicyAction::kAllow, {}, {}, kTcp), 80, 80)};
  compile();
  EXPECT_EQ(action(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 80)), PolicyAction::kAllow);
  EXPECT_EQ(action(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 81)), PolicyAction::kDeny);
  EXPECT_EQ(action(pkt(kRed, kTcp, "10.0.10.1", "10.0.10.2", 1, 80)), PolicyAction::kReject);
}

TEST_F(PolicyCompilerTest, RulesNeverMatchAnotherTenant) {
  // Same addresses in both tenants; only blue has rules.
  blue() = {rule(PolicyAction::kDeny, {"blue1"}), rule(PolicyAction::kDeny, {"any"}, {"any"})};
  compile();
  for (const auto& [src, dst] :
       {std::pair{"10.0.10.1", "10.0.10.2"}, std::pair{"fd00:10::1", "fd00:10::2"}}) {
    const Pkt b = pkt(kBlue, kTcp, src, dst);
    Pkt r = b;
    r.tenant = kRed;
    EXPECT_EQ(id(b), 1u) << src;
    EXPECT_EQ(id(r), 0u) << src;
    EXPECT_EQ(action(r), PolicyAction::kAllow);
  }
  // A tenant index no policy has (e.g. 2) also misses.
  Pkt other = pkt(kRed, kUdp, "10.0.10.1", "10.0.10.2");
  other.tenant = 2;
  EXPECT_EQ(classify(*pc_, other), 0u);
}

TEST_F(PolicyCompilerTest, ExpandsVmNamesCidrsAndNestedGroups) {
  auto& groups = spec_.tenants[kBlue].policy.groups;
  groups["web"] = {"blue1", "inner"};
  groups["inner"] = {"blue2", "192.168.0.0/16", "fd00:99::/64", "web"};  // a cycle
  groups["self"] = {"self"};
  spec_.tenants[kBlue].policy.default_action = PolicyAction::kDeny;
  blue() = {rule(PolicyAction::kAllow, {"web"}, {"blue3"}, kTcp),
            rule(PolicyAction::kLog, {"self", "10.1.0.0/16"}, {"blue1", "fd00:10::2"})};
  compile();
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.3")), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.2", "10.0.10.3")), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "192.168.200.9", "10.0.10.3")), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "192.169.0.1", "10.0.10.3")), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.4", "10.0.10.3")), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.3", "10.0.10.3")), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2")), 0u);
  // blue3 has no IPv6 address: the rule has nothing to match in IPv6.
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:99::1", "fd00:10::3")), 0u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, "10.1.2.3", "10.0.10.1")), 2u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, "10.1.2.3", "fd00:10::2")), 0u);  // mixed families: no
  EXPECT_EQ(id(pkt(kBlue, kUdp, "10.1.2.3", "10.0.10.2")), 0u);
  EXPECT_GT(pc_->acl_rule_count_v4(), 2u);
}

TEST_F(PolicyCompilerTest, PortRangeEdges) {
  PolicyRule r = dport(rule(PolicyAction::kDeny, {}, {}, kTcp), 1000, 2000);
  r.sport_lo = r.sport_hi = 53;
  blue() = {r, dport(rule(PolicyAction::kLog, {}, {}, kUdp), 65535, 65535),
            dport(rule(PolicyAction::kReject, {}, {}, kUdp), 0, 1)};
  compile();
  const char* s = "10.0.10.1";
  const char* d = "10.0.10.2";
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 53, 999)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 53, 1000)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 53, 1500)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 53, 2000)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 53, 2001)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 52, 1000)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 54, 1000)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 53, 1000)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 1, 65535)), 2u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 1, 65534)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 1, 0)), 3u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 1, 1)), 3u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 1, 2)), 0u);
  // 0x0100 and 0x0001 differ only by byte order: a swapped key would match the wrong one.
  EXPECT_EQ(id(pkt(kBlue, kUdp, s, d, 1, 256)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, "fd00:10::1", "fd00:10::2", 1, 1)), 3u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:10::1", "fd00:10::2", 53, 2001)), 0u);
}

TEST_F(PolicyCompilerTest, AnyProtocolAndSpecificOnes) {
  blue() = {rule(PolicyAction::kDeny, {}, {}, kUdp), rule(PolicyAction::kLog, {}, {}, 47),
            rule(PolicyAction::kReject, {"blue1"})};
  compile();
  EXPECT_EQ(id(pkt(kBlue, kUdp, "10.0.10.1", "10.0.10.2", 5, 5)), 1u);
  EXPECT_EQ(id(pkt(kBlue, 47, "10.0.10.1", "10.0.10.2")), 2u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 5, 5)), 3u);
  EXPECT_EQ(id(pkt(kBlue, 0, "10.0.10.1", "10.0.10.2")), 3u);
  EXPECT_EQ(id(pkt(kBlue, 255, "fd00:10::1", "fd00:10::2")), 3u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.2", "10.0.10.1", 5, 5)), 0u);
}

TEST_F(PolicyCompilerTest, IcmpTypeAndCode) {
  PolicyRule echo = rule(PolicyAction::kAllow, {}, {}, kIcmp);
  echo.icmp_type = 8;
  PolicyRule unreach = rule(PolicyAction::kReject, {}, {}, kIcmp);
  unreach.icmp_type = 3;
  unreach.icmp_code = 4;
  PolicyRule echo6 = rule(PolicyAction::kLog, {}, {}, kIcmp6);
  echo6.icmp_type = 128;
  PolicyRule code_only = rule(PolicyAction::kDeny, {}, {}, kIcmp6);
  code_only.icmp_code = 1;
  blue() = {echo, unreach, echo6, code_only};
  compile();
  const char* s = "10.0.10.1";
  const char* d = "10.0.10.2";
  EXPECT_EQ(id(pkt(kBlue, kIcmp, s, d, 8, 0)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, s, d, 8, 9)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, s, d, 0, 0)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, s, d, 3, 4)), 2u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, s, d, 3, 3)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, s, d, 128, 0)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, s, d, 8, 0)), 0u);  // a port that looks like the type
  EXPECT_EQ(id(pkt(kBlue, kIcmp6, "fd00:10::1", "fd00:10::2", 128, 0)), 3u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp6, "fd00:10::1", "fd00:10::2", 129, 1)), 4u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp6, "fd00:10::1", "fd00:10::2", 129, 0)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kIcmp, "fd00:10::1", "fd00:10::2", 8, 0)), 1u);
}

TEST_F(PolicyCompilerTest, Ipv6Prefixes) {
  blue() = {dport(rule(PolicyAction::kAllow, {"fd00:99::/64"}, {}, kTcp), 443, 443),
            rule(PolicyAction::kDeny, {"fd00::/16"}, {"fd00:10::2/128", "blue1"}),
            rule(PolicyAction::kLog, {"fd00:10:0:0:8000::/65"})};
  compile();
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:99::5", "fd00:10::2", 1, 443)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:99::ffff:1:2:3", "fd00:10::7", 1, 443)), 1u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:98::5", "fd00:10::2", 1, 443)), 2u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:98::5", "fd00:10::1", 1, 443)), 2u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd00:98::5", "fd00:10::3", 1, 443)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "fd01:98::5", "fd00:10::2", 1, 443)), 0u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, "fd00:10::8000:0:0:1", "::1")), 3u);
  EXPECT_EQ(id(pkt(kBlue, kUdp, "fd00:10::7fff:0:0:1", "::1")), 0u);
  EXPECT_EQ(id(pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 443)), 0u);  // IPv4 untouched
}

TEST_F(PolicyCompilerTest, KeysFilledFromParsedFrames) {
  blue() = {dport(rule(PolicyAction::kDeny, {"blue1"}, {"blue2"}, kTcp), 80, 80),
            dport(rule(PolicyAction::kReject, {"blue1"}, {"blue2"}, kUdp), 53, 53)};
  PolicyRule echo = rule(PolicyAction::kLog, {}, {}, kIcmp);
  echo.icmp_type = 8;
  blue().push_back(echo);
  compile();
  auto run = [&](const Bytes& frame) {
    PacketMeta m;
    EXPECT_EQ(parse_frame(frame.data(), static_cast<uint32_t>(frame.size()), {}, m),
              DropReason::kNone);
    uint32_t result = 99;
    if (m.l3 == L3Kind::kIpv4) {
      AclKeyV4 k;
      fill_key_v4(k, frame.data(), m.l3_offset, m.l4_offset, m.l4_proto, kBlue);
      const uint8_t* p = reinterpret_cast<const uint8_t*>(&k);
      pc_->classify_v4(&p, 1, &result);
    } else {
      AclKeyV6 k;
      fill_key_v6(k, frame.data(), m.l3_offset, m.l4_offset, m.l4_proto, kBlue);
      const uint8_t* p = reinterpret_cast<const uint8_t*>(&k);
      pc_->classify_v6(&p, 1, &result);
    }
    return result;
  };
  Bytes tcp = ipv4_on(ether(0x0800), kTcp, 20, 5, {10, 0, 10, 1}, {10, 0, 10, 2});
  put16(tcp, 34, 40000);
  put16(tcp, 36, 80);
  tcp[46] = 0x50;  // data offset 5
  EXPECT_EQ(run(tcp), 1u);
  put16(tcp, 36, 81);
  EXPECT_EQ(run(tcp), 0u);
  Bytes udp = ipv4_on(ether(0x0800, 10), kUdp, 8, 5, {10, 0, 10, 1}, {10, 0, 10, 2});
  put16(udp, 38, 40000);
  put16(udp, 40, 53);
  put16(udp, 42, 8);
  EXPECT_EQ(run(udp), 2u);
  Bytes icmp = ipv4_on(ether(0x0800), kIcmp, 8, 5, {10, 0, 10, 1}, {10, 0, 10, 2});
  icmp[34] = 8;
  EXPECT_EQ(run(icmp), 3u);
  icmp[34] = 0;
  EXPECT_EQ(run(icmp), 0u);
  Bytes udp6 = ipv6_on(ether(0x86dd), kUdp, 8);  // fd00:10::1 -> fd00:10::2
  put16(udp6, 54, 1234);
  put16(udp6, 56, 53);
  put16(udp6, 58, 8);
  EXPECT_EQ(run(udp6), 2u);
}

TEST_F(PolicyCompilerTest, BuildErrorsNameTheRule) {
  std::string error;
  blue() = {rule(PolicyAction::kDeny, {"nobody"}, {}, 0, 42)};
  EXPECT_EQ(PolicyClassifier::build(spec_, &error), nullptr);
  EXPECT_NE(error.find("line 42"), std::string::npos) << error;
  EXPECT_NE(error.find("'nobody'"), std::string::npos) << error;
  blue() = {rule(PolicyAction::kDeny, {}, {"10.0.0.1/24"}, 0, 43)};
  EXPECT_EQ(PolicyClassifier::build(spec_, &error), nullptr);
  EXPECT_NE(error.find("host bits"), std::string::npos) << error;
  blue() = {dport(rule(PolicyAction::kDeny, {}, {}, kTcp, 44), 9, 8)};
  EXPECT_EQ(PolicyClassifier::build(spec_, &error), nullptr);
  EXPECT_NE(error.find("empty port range"), std::string::npos) << error;
  // A VM name of another tenant is unknown here.
  blue() = {rule(PolicyAction::kDeny, {"red1"})};
  EXPECT_EQ(PolicyClassifier::build(spec_, &error), nullptr);
}

TEST_F(PolicyCompilerTest, ClassifiersLiveSideBySide) {
  blue() = {rule(PolicyAction::kDeny, {}, {}, kTcp)};
  compile();
  auto old = std::move(pc_);
  blue() = {rule(PolicyAction::kAllow, {}, {}, kUdp), rule(PolicyAction::kDeny, {}, {}, kTcp)};
  compile();  // a reload: the new one is built while the old one still serves
  const Pkt p = pkt(kBlue, kTcp, "10.0.10.1", "10.0.10.2", 1, 2);
  EXPECT_EQ(classify(*old, p), 1u);
  EXPECT_EQ(classify(*pc_, p), 2u);
  old.reset();
  EXPECT_EQ(classify(*pc_, p), 2u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

TEST_F(PolicyCompilerTest, CrossTenantRulesDecideTheirPairAndDefaultToDeny) {
  // blue2 may reach red1 on UDP 53, nothing else crosses; blue's own policy stays allow.
  spec_.cross_tenant.push_back(
      {"blue", "red", dport(rule(PolicyAction::kAllow, {"blue2"}, {"red1"}, kUdp, 40), 53, 53)});
  compile();
  const uint16_t in_red = cross_tenant_code(kBlue, kRed);
  auto verdict = [&](uint16_t code, const char* src, const char* dst, uint16_t port) {
    return pc_->action_of(code, classify(*pc_, pkt(code, kUdp, src, dst, 1000, port)));
  };
  EXPECT_EQ(verdict(in_red, "10.0.10.2", "10.0.10.1", 53), PolicyAction::kAllow);
  EXPECT_EQ(verdict(in_red, "10.0.10.2", "10.0.10.1", 54), PolicyAction::kDeny);
  EXPECT_EQ(verdict(in_red, "10.0.10.3", "10.0.10.1", 53), PolicyAction::kDeny);  // not blue2
  const uint16_t in_blue = cross_tenant_code(kRed, kBlue);
  EXPECT_EQ(verdict(in_blue, "10.0.10.1", "10.0.10.2", 53), PolicyAction::kDeny);
  EXPECT_EQ(verdict(kBlue, "10.0.10.2", "10.0.10.1", 54), PolicyAction::kAllow);
  EXPECT_EQ(pc_->rule(1).tenant, in_red);
}

}  // namespace
}  // namespace vigil
