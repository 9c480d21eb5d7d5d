// tenant.* and vm.* commands: every success path changes the state, rewrites the file and
// applies it once; every refusal leaves file, state and dataplane untouched.
#include <gtest/gtest.h>

#include "tests/control/service_test_support.h"

namespace vigil::control::testing {
namespace {

using TenantCommands = ServiceTest;
using VmCommands = ServiceTest;

const TenantSpec* tenant(const Config& c, const std::string& name) {
  for (const TenantSpec& t : c.tenancy.tenants) {
    if (t.name == name) return &t;
  }
  return nullptr;
}
const TenantSpec* tenant(const Config&& c, const std::string& name) = delete;  // would dangle

const VmSpec* vm(const Config& c, const std::string& port) {
  for (const TenantSpec& t : c.tenancy.tenants) {
    for (const VmSpec& v : t.vms) {
      if (v.port == port) return &v;
    }
  }
  return nullptr;
}
const VmSpec* vm(const Config&& c, const std::string& port) = delete;

TEST_F(TenantCommands, AddTenant) {
  const Json t = changed("tenant.add", {{"name", "green"}, {"vlan", 30}});
  EXPECT_EQ(t, (Json{{"name", "green"}, {"vlan", 30}, {"vms", Json::array()}, {"policy", false}}));
  const Config on_disk = load_config(path_);
  const TenantSpec* green = tenant(on_disk, "green");
  ASSERT_NE(green, nullptr);
  EXPECT_EQ(green->vlan, 30);
  // Comments are not kept; relative paths are kept as written.
  const std::string text = read_text(path_);
  EXPECT_EQ(text.find("# vigild test config"), std::string::npos);
  EXPECT_NE(text.find("rx_pcap: in/replay.pcap"), std::string::npos) << text;
  EXPECT_EQ(service_->config().ports[7].rx_pcap, dir_ + "/in/replay.pcap");
  EXPECT_EQ(service_->config().path, path_);
}

TEST_F(TenantCommands, AddRefusals) {
  Response r = refused("tenant.add", {{"name", "red"}, {"vlan", 30}}, code::kConflict);
  EXPECT_EQ(r.error_message, "tenant 'red' exists");
  r = refused("tenant.add", {{"name", "green"}, {"vlan", 20}}, code::kConflict);
  EXPECT_EQ(r.error_message, "VLAN 20 is tenant 'red'");
  r = refused("tenant.add", {{"name", "green"}, {"vlan", 4095}}, code::kInvalid);
  EXPECT_NE(r.error_message.find(".vlan: 4095 is out of range 1..4094"), std::string::npos)
      << r.error_message;
  refused("tenant.add", {{"name", "green"}, {"vlan", 0}}, code::kInvalid);
  refused("tenant.add", {{"name", "green"}, {"vlan", -3}}, code::kInvalid);
  refused("tenant.add", {{"name", ""}, {"vlan", 30}}, code::kBadRequest);
}

TEST_F(TenantCommands, RemoveNeedsForceWhenInUse) {
  Response r = refused("tenant.remove", {{"name", "red"}}, code::kConflict);
  EXPECT_EQ(r.error_message,
            "tenant 'red' has 1 VM(s), operators, cross_tenant rules (force: true removes them "
            "too)");
  refused("tenant.remove", {{"name", "nope"}}, code::kNotFound);
}

TEST_F(TenantCommands, ForcedRemoveTakesVmsOperatorsAndCrossTenantRules) {
  changed("tenant.remove", {{"name", "red"}, {"force", true}});
  const Config& c = service_->config();
  EXPECT_EQ(tenant(c, "red"), nullptr);
  EXPECT_TRUE(c.tenancy.cross_tenant.empty());
  ASSERT_EQ(c.control.operators.size(), 1u);
  EXPECT_EQ(c.control.operators[0].tenant, "blue");
  EXPECT_EQ(read_text(path_).find("cross_tenant"), std::string::npos);
  // The operator of the removed tenant has no role any more.
  GroupDirectory groups;
  groups.groups_of = [](uid_t, gid_t gid) { return std::vector<gid_t>{gid}; };
  groups.gid_of = [](const std::string&) { return std::nullopt; };
  EXPECT_EQ(identify(Peer{2002, 2002, 1}, c.control, groups).role, Role::kNone);
}

TEST_F(TenantCommands, RemoveAnUnusedTenant) {
  ASSERT_TRUE(call("tenant.add", {{"name", "green"}, {"vlan", 30}}).ok);
  fake_.applied.clear();
  const Response r = call("tenant.remove", {{"name", "green"}});
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result, Json::object());
  EXPECT_EQ(tenancy_summary(load_config(path_)), original_summary_);
  EXPECT_EQ(fake_.applied.size(), 1u);
}

TEST_F(TenantCommands, TenantsNamedByTrunksStay) {
  std::string text = kServiceConfig;
  text.replace(text.find("{port: uplink}"), 14, "{port: uplink, allowed: [blue, red]}");
  start(text);
  Response r = refused("tenant.remove", {{"name", "red"}, {"force", true}}, code::kConflict);
  EXPECT_NE(r.error_message.find("trunk uplink"), std::string::npos) << r.error_message;
}

TEST_F(VmCommands, AddVm) {
  const Json v = changed("vm.add", {{"tenant", "red"},
                                    {"port", "spare1"},
                                    {"mac", "02:00:00:00:14:09"},
                                    {"ipv4", {"10.0.20.9"}},
                                    {"ipv6", {"fd00:20::9"}},
                                    {"allow_dhcp_server", true}});
  EXPECT_EQ(v["tenant"], "red");
  EXPECT_EQ(v["port"], "spare1");
  EXPECT_EQ(v["ipv6"], Json::array({"fd00:20::9"}));
  EXPECT_EQ(v["allow_dhcp_server"], true);
  const Config on_disk = load_config(path_);
  const VmSpec* added = vm(on_disk, "spare1");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->mac, (MacAddress{2, 0, 0, 0, 0x14, 9}));
  EXPECT_TRUE(added->allow_dhcp_server);
  EXPECT_TRUE(added->port_security);
}

TEST_F(VmCommands, AddRefusals) {
  const Json base = {{"tenant", "red"}, {"port", "spare1"}, {"mac", "02:00:00:00:14:09"}};
  Json a = base;
  a["port"] = "uplink";
  EXPECT_EQ(refused("vm.add", a, code::kConflict).error_message, "port 'uplink' is a trunk");
  a["port"] = "vb1";
  EXPECT_EQ(refused("vm.add", a, code::kConflict).error_message,
            "port 'vb1' is in use by a VM of tenant 'blue'");
  a["port"] = "nope";
  refused("vm.add", a, code::kConflict);
  a = base;
  a["mac"] = "02:00:00:00:14";
  Response r = refused("vm.add", a, code::kInvalid);
  EXPECT_NE(r.error_message.find("vms[1].mac: '02:00:00:00:14' is not a MAC address"),
            std::string::npos)
      << r.error_message;
  a["mac"] = "01:00:00:00:14:09";  // multicast
  refused("vm.add", a, code::kInvalid);
  a = base;
  a["ipv4"] = {"10.0.20.300"};
  refused("vm.add", a, code::kInvalid);
  a = base;
  a["tenant"] = "nope";
  refused("vm.add", a, code::kNotFound);
}

TEST_F(VmCommands, RemoveVmTakesItOutOfGroups) {
  EXPECT_EQ(changed("vm.remove", {{"port", "vb4"}}), Json::object());
  const TenantSpec* blue = tenant(service_->config(), "blue");
  EXPECT_EQ(blue->vms.size(), 3u);
  EXPECT_EQ(blue->policy.groups.at("web"), (std::vector<std::string>{"vb1", "vb2"}));
}

TEST_F(VmCommands, RemoveLastVmOfATenant) {
  std::string text = kServiceConfig;  // without the cross-tenant rule naming vr1
  const auto at = text.find("cross_tenant:");
  text.erase(at, text.find("control:") - at);
  start(text);
  changed("vm.remove", {{"port", "vr1"}});
  EXPECT_TRUE(tenant(service_->config(), "red")->vms.empty());
}

TEST_F(VmCommands, RemoveRefusals) {
  refused("vm.remove", {{"port", "spare1"}}, code::kNotFound);
  Response r = refused("vm.remove", {{"port", "vb2"}}, code::kConflict);
  EXPECT_NE(r.error_message.find("only member of group 'solo'"), std::string::npos);
  // A rule naming the port keeps it: dropping the name would widen the rule.
  r = refused("vm.remove", {{"port", "vb3"}}, code::kInvalid);
  EXPECT_NE(r.error_message.find("policy.rules[1].dst"), std::string::npos) << r.error_message;
}

TEST_F(VmCommands, BindReplacesTheGivenFields) {
  const Json v = changed("vm.bind", {{"port", "vb1"},
                                     {"mac", "02:00:00:00:0a:11"},
                                     {"ipv4", {"10.0.10.11", "10.0.10.12"}},
                                     {"ipv6", Json::array()}});
  EXPECT_EQ(v["mac"], "02:00:00:00:0a:11");
  EXPECT_EQ(v["ipv4"], Json::array({"10.0.10.11", "10.0.10.12"}));
  EXPECT_EQ(v["ipv6"], Json::array());
  const Config on_disk = load_config(path_);
  const VmSpec* b = vm(on_disk, "vb1");
  EXPECT_EQ(b->ipv4.size(), 2u);
  EXPECT_TRUE(b->ipv6.empty());
}

TEST_F(VmCommands, BindRefusals) {
  refused("vm.bind", {{"port", "spare1"}, {"mac", "02:00:00:00:0a:11"}}, code::kNotFound);
  refused("vm.bind", {{"port", "vb1"}, {"ipv6", {"10.0.0.1"}}}, code::kInvalid);
  refused("vm.bind", {{"port", "vb1"}, {"mac", "zz:00:00:00:0a:11"}}, code::kInvalid);
}

TEST_F(VmCommands, IdenticalBindIsANoOp) {
  const Response r = call("vm.bind", {{"port", "vb2"}, {"ipv4", {"10.0.10.2"}}});
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result["port"], "vb2");
  expect_untouched();  // nothing written (the comment is still there), nothing applied
}

TEST_F(VmCommands, MoveRenamesThePolicysReferences) {
  const Json v = changed("vm.move", {{"port", "vb1"}, {"to", "spare2"}});
  EXPECT_EQ(v["port"], "spare2");
  EXPECT_EQ(v["mac"], "02:00:00:00:0a:01");
  const Config c = load_config(path_);
  EXPECT_EQ(vm(c, "vb1"), nullptr);
  const TenantSpec* blue = tenant(c, "blue");
  EXPECT_EQ(blue->policy.groups.at("web"), (std::vector<std::string>{"spare2", "vb2", "vb4"}));
  EXPECT_EQ(blue->policy.rules[1].src, std::vector<std::string>{"spare2"});
  EXPECT_EQ(c.tenancy.cross_tenant[0].rule.src, std::vector<std::string>{"spare2"});
}

TEST_F(VmCommands, MoveRefusals) {
  refused("vm.move", {{"port", "vb1"}, {"to", "vr1"}}, code::kConflict);
  refused("vm.move", {{"port", "vb1"}, {"to", "uplink"}}, code::kConflict);
  refused("vm.move", {{"port", "vb1"}, {"to", "nope"}}, code::kConflict);
  refused("vm.move", {{"port", "spare1"}, {"to", "spare2"}}, code::kNotFound);
  refused("vm.move", {{"port", "vb1"}}, code::kBadRequest);
}

TEST_F(VmCommands, ExportThenImportRoundTrips) {
  const Response exported = call("vm.export", {{"port", "vb4"}});
  ASSERT_TRUE(exported.ok);
  EXPECT_EQ(exported.result["format"], "vigil-vm/1");
  EXPECT_EQ(exported.result["tenant"], "blue");
  EXPECT_EQ(exported.result["policy_refs"], Json::array({"web"}));
  EXPECT_EQ(exported.result["vm"]["port_security"], false);
  ASSERT_TRUE(call("vm.remove", {{"port", "vb4"}}).ok);
  // The export travels as JSON text (another host, a file).
  const Json state = Json::parse(exported.result.dump());
  const Response imported = call("vm.import", {{"state", state}});
  ASSERT_TRUE(imported.ok) << imported.error_message;
  EXPECT_EQ(imported.result["port"], "vb4");
  EXPECT_EQ(imported.result["port_security"], false);
  EXPECT_EQ(tenancy_summary(load_config(path_)), original_summary_);
  EXPECT_EQ(fake_.applied.size(), 2u);
}

TEST_F(VmCommands, ImportOnAnotherPort) {
  const Json state = call("vm.export", {{"port", "vb2"}}).result;
  EXPECT_EQ(state["policy_refs"], Json::array({"web", "solo"}));
  Response r = refused("vm.import", {{"state", state}}, code::kConflict);  // vb2 is taken
  EXPECT_NE(r.error_message.find("in use"), std::string::npos);
  // The same VM twice is allowed by the config; here it stands in for a VM from another host.
  const Json v = changed("vm.import", {{"state", state}, {"port", "spare1"}});
  EXPECT_EQ(v["port"], "spare1");
  EXPECT_EQ(v["tenant"], "blue");
  const TenantSpec* blue = tenant(service_->config(), "blue");
  EXPECT_EQ(blue->policy.groups.at("solo"), (std::vector<std::string>{"vb2", "spare1"}));
}

TEST_F(VmCommands, MonitorHistoryTravelsWithTheVm) {
  EXPECT_FALSE(call("vm.export", {{"port", "vb2"}}).result.contains("monitor"));  // none here
  fake_.monitors = true;
  const Json state = call("vm.export", {{"port", "vb2"}}).result;
  EXPECT_EQ(state["monitor"]["state"]["level"], 2);
  const Json v = changed("vm.import", {{"state", state}, {"port", "spare1"}});
  EXPECT_EQ(v["port"], "spare1");
  ASSERT_EQ(fake_.imported_monitor.count("spare1"), 1u);  // installed under its new port name
  EXPECT_EQ(fake_.imported_monitor["spare1"]["state"]["level"], 2);
}

TEST_F(VmCommands, ImportRefusals) {
  Json state = call("vm.export", {{"port", "vr1"}}).result;
  state["tenant"] = "nope";
  refused("vm.import", {{"state", state}, {"port", "spare1"}}, code::kNotFound);
  state["tenant"] = "red";
  state["format"] = "vigil-vm/2";
  refused("vm.import", {{"state", state}, {"port", "spare1"}}, code::kBadRequest);
  state["format"] = "vigil-vm/1";
  state["vm"]["mac"] = "bad";
  refused("vm.import", {{"state", state}, {"port", "spare1"}}, code::kInvalid);
  state["vm"] = "x";
  refused("vm.import", {{"state", state}, {"port", "spare1"}}, code::kBadRequest);
  refused("vm.import", {{"state", "x"}}, code::kBadRequest);
  refused("vm.export", {{"port", "spare1"}}, code::kNotFound);
}

}  // namespace
}  // namespace vigil::control::testing
