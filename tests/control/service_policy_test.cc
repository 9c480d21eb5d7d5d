// policy.* commands: policies in the config's YAML shape, edited by admins and by the tenant's
// operators, validated whole (a bad rule changes nothing).
#include <gtest/gtest.h>

#include "tests/control/service_test_support.h"

namespace vigil::control::testing {
namespace {

using PolicyCommands = ServiceTest;

const TenantPolicy& policy_of(const Config& c, const std::string& name) {
  for (const TenantSpec& t : c.tenancy.tenants) {
    if (t.name == name) return t.policy;
  }
  throw std::runtime_error("no tenant " + name);
}
const TenantPolicy& policy_of(const Config&& c, const std::string& name) = delete;  // would dangle

TEST_F(PolicyCommands, ShowInTheConfigsShape) {
  Response r = call("policy.show", Json::object(), op_blue());
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result["present"], true);
  EXPECT_EQ(r.result["default"], "deny");
  EXPECT_EQ(r.result["groups"]["web"], Json::array({"vb1", "vb2", "vb4"}));
  ASSERT_EQ(r.result["rules"].size(), 3u);
  EXPECT_EQ(r.result["rules"][0], (Json{{"priority", 100},
                                        {"src", "web"},
                                        {"dst", "any"},
                                        {"proto", "tcp"},
                                        {"dst_port", 80},
                                        {"action", "allow"}}));
  EXPECT_EQ(r.result["rules"][1]["dst_port"], "5000-5999");
  r = call("policy.show", {{"tenant", "red"}});
  EXPECT_EQ(r.result, (Json{{"present", false},
                            {"default", "allow"},
                            {"groups", Json::object()},
                            {"rules", Json::array()}}));
  refused("policy.show", Json::object(), code::kBadRequest);  // admins name the tenant
  refused("policy.show", {{"tenant", "nope"}}, code::kNotFound);
}

TEST_F(PolicyCommands, OperatorReplacesItsPolicy) {
  const Json policy = {
      {"default", "reject"},
      {"groups", {{"db", {"vb3", "10.0.99.0/24"}}}},
      {"rules", {{{"src", "db"}, {"proto", "tcp"}, {"dst_port", 5432}, {"action", "allow"}}}}};
  const Json shown = changed("policy.replace", {{"policy", policy}}, op_blue());
  EXPECT_EQ(shown["present"], true);
  EXPECT_EQ(shown["default"], "reject");
  EXPECT_EQ(shown["groups"], policy["groups"]);
  EXPECT_EQ(shown["rules"], policy["rules"]);
  const Config on_disk = load_config(path_);
  const TenantPolicy& p = policy_of(on_disk, "blue");
  EXPECT_EQ(p.default_action, PolicyAction::kReject);
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].dport_lo, 5432);
  EXPECT_EQ(p.groups.size(), 1u);  // web and solo are gone with the old policy
}

TEST_F(PolicyCommands, ShowOutputReplacesAsIs) {
  const Json blue = call("policy.show", {{"tenant", "blue"}}).result;
  ASSERT_TRUE(call("policy.clear", {{"tenant", "blue"}}).ok);
  Response r = call("policy.replace", {{"tenant", "blue"}, {"policy", blue}});
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result, blue);
  // present: false is no policy, with the groups given.
  const Json none = {{"present", false}, {"groups", {{"g", {"vb1"}}}}, {"rules", Json::array()}};
  r = call("policy.replace", {{"tenant", "blue"}, {"policy", none}});
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result["present"], false);
  EXPECT_EQ(r.result["groups"], none["groups"]);
  EXPECT_FALSE(policy_of(service_->config(), "blue").present);
}

TEST_F(PolicyCommands, ReplaceRefusals) {
  Json bad = {{"rules", {{{"proto", "tcpp"}, {"action", "allow"}}}}};
  Response r = refused("policy.replace", {{"tenant", "blue"}, {"policy", bad}}, code::kInvalid);
  EXPECT_NE(r.error_message.find("policy.rules[0].proto: 'tcpp' is not tcp"), std::string::npos)
      << r.error_message;
  bad = {{"rules", {{{"proto", "udp"}, {"icmp_type", 3}, {"action", "allow"}}}}};
  refused("policy.replace", {{"tenant", "blue"}, {"policy", bad}}, code::kInvalid);
  bad = {{"defualt", "deny"}};
  r = refused("policy.replace", {{"tenant", "blue"}, {"policy", bad}}, code::kInvalid);
  EXPECT_NE(r.error_message.find("unknown key"), std::string::npos);
  // The cross-tenant rule names vb1, a port of blue: fine; naming a missing group is not.
  bad = {{"rules", {{{"src", "nogroup"}, {"action", "allow"}}}}};
  refused("policy.replace", {{"tenant", "blue"}, {"policy", bad}}, code::kInvalid);
  refused("policy.replace", {{"tenant", "red"}, {"policy", Json::object()}}, code::kForbidden,
          op_blue());
  refused("policy.replace", {{"tenant", "blue"}, {"policy", "deny"}}, code::kBadRequest);
  // Nesting deeper than any config needs is refused before it reaches YAML.
  Json deep = "x";
  for (int i = 0; i < 100; ++i) deep = Json::array({deep});
  refused("policy.replace", {{"tenant", "blue"}, {"policy", {{"rules", deep}}}}, code::kBadRequest);
}

TEST_F(PolicyCommands, AddRuleAppendsOrInserts) {
  const Json rule = {{"proto", "udp"}, {"dst_port", 53}, {"action", "allow"}};
  Json shown = changed("policy.add_rule", {{"tenant", "blue"}, {"rule", rule}});
  ASSERT_EQ(shown["rules"].size(), 4u);
  EXPECT_EQ(shown["rules"][3], rule);
  fake_.applied.clear();
  original_ = read_text(path_);
  original_summary_ = tenancy_summary(service_->config());
  const Json first = {{"src", "10.0.0.0/8"}, {"action", "deny"}};
  shown = changed("policy.add_rule", {{"rule", first}, {"position", 0}}, op_blue());
  ASSERT_EQ(shown["rules"].size(), 5u);
  EXPECT_EQ(shown["rules"][0], first);
  const Config on_disk = load_config(path_);
  EXPECT_EQ(policy_of(on_disk, "blue").rules[0].action, PolicyAction::kDeny);
}

TEST_F(PolicyCommands, AddRuleToATenantWithoutPolicy) {
  const Json shown =
      changed("policy.add_rule", {{"rule", {{"proto", "icmp"}, {"action", "log"}}}}, op_red());
  EXPECT_EQ(shown["present"], true);
  EXPECT_EQ(shown["default"], "allow");
  EXPECT_TRUE(policy_of(service_->config(), "red").present);
}

TEST_F(PolicyCommands, AddRuleRefusals) {
  refused("policy.add_rule",
          {{"tenant", "blue"}, {"rule", {{"proto", "bogus"}, {"action", "allow"}}}},
          code::kInvalid);
  refused("policy.add_rule", {{"tenant", "blue"}, {"rule", {{"action", "allow"}}}, {"position", 4}},
          code::kBadRequest);
  refused("policy.add_rule", {{"tenant", "blue"}, {"rule", "allow"}}, code::kBadRequest);
}

TEST_F(PolicyCommands, RemoveRule) {
  const Json shown = changed("policy.remove_rule", {{"index", 1}}, op_blue());
  ASSERT_EQ(shown["rules"].size(), 2u);
  EXPECT_EQ(shown["rules"][1]["proto"], "icmp");
  const Config on_disk = load_config(path_);
  EXPECT_EQ(policy_of(on_disk, "blue").rules.size(), 2u);
}

TEST_F(PolicyCommands, RemoveRuleOutOfRangeIsNotFound) {
  refused("policy.remove_rule", {{"tenant", "blue"}, {"index", 3}}, code::kNotFound);
  refused("policy.remove_rule", {{"tenant", "blue"}, {"index", -1}}, code::kNotFound);
  refused("policy.remove_rule", {{"tenant", "red"}, {"index", 0}}, code::kNotFound);
}

TEST_F(PolicyCommands, ClearKeepsGroups) {
  EXPECT_EQ(changed("policy.clear", Json::object(), op_blue()), Json::object());
  const Config on_disk = load_config(path_);
  const TenantPolicy& p = policy_of(on_disk, "blue");
  EXPECT_FALSE(p.present);
  EXPECT_EQ(p.groups.size(), 2u);
  EXPECT_EQ(call("policy.show", Json::object(), op_blue()).result["present"], false);
}

TEST_F(PolicyCommands, ClearingNoPolicyIsANoOp) {
  ASSERT_TRUE(call("policy.clear", {{"tenant", "red"}}).ok);
  expect_untouched();
}

}  // namespace
}  // namespace vigil::control::testing
