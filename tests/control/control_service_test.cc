// The control service's routing and authorization, and its read-only commands: whoami, status,
// ids.*, stats.*, capture.*, monitor.*, argument checking.
#include "control/control_service.h"

#include <gtest/gtest.h>

#include "tests/control/service_test_support.h"

namespace vigil::control::testing {
namespace {

using Service = ServiceTest;

TEST_F(Service, WhoamiAnswersEveryRole) {
  Response r = call("whoami", Json::object(), nobody());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["uid"], 3000);
  EXPECT_EQ(r.result["role"], "none");
  EXPECT_TRUE(r.result["tenant"].is_null());
  r = call("whoami", Json::object(), op_blue());
  EXPECT_EQ(r.result["role"], "operator");
  EXPECT_EQ(r.result["tenant"], "blue");
  EXPECT_EQ(r.result["pid"], 12);
  EXPECT_EQ(call("whoami").result["role"], "admin");
}

TEST_F(Service, IdentifyUsesTheRunningControlSection) {
  GroupDirectory groups;
  groups.groups_of = [](uid_t, gid_t gid) { return std::vector<gid_t>{gid, 777}; };
  groups.gid_of = [](const std::string& name) -> std::optional<gid_t> {
    if (name == "ops-red") return 777;
    return std::nullopt;
  };
  ControlService svc(StateStore(path_), original_, fake_, groups);
  EXPECT_EQ(svc.identify(Peer{0, 0, 1}).role, Role::kAdmin);
  EXPECT_EQ(svc.identify(Peer{1000, 5, 1}).role, Role::kAdmin);
  const Identity blue = svc.identify(Peer{2001, 5, 1});
  EXPECT_EQ(blue.role, Role::kOperator);
  EXPECT_EQ(blue.tenant, "blue");
  const Identity red = svc.identify(Peer{4242, 5, 1});  // through group ops-red
  EXPECT_EQ(red.role, Role::kOperator);
  EXPECT_EQ(red.tenant, "red");
}

TEST_F(Service, NoRoleIsRefusedEverythingButWhoami) {
  for (const char* cmd : {"status", "tenant.list", "vm.list", "policy.show", "stats.ports",
                          "capture.list", "tenant.add", "ids.report", "monitor.status"}) {
    const Response r = refused(cmd, Json::object(), code::kForbidden, nobody());
    EXPECT_NE(r.error_message.find("uid 3000 has no role"), std::string::npos) << r.error_message;
  }
}

TEST_F(Service, OperatorsMayNotRunAdminCommands) {
  const Response r =
      refused("tenant.add", {{"name", "green"}, {"vlan", 30}}, code::kForbidden, op_blue());
  EXPECT_EQ(r.error_message, "operator of tenant blue may not run tenant.add (admins only)");
  for (const char* cmd : {"tenant.remove", "vm.add", "vm.remove", "vm.bind", "vm.move", "vm.export",
                          "vm.import", "ids.reload", "ids.report", "ids.stats"}) {
    refused(cmd, Json::object(), code::kForbidden, op_blue());
  }
}

TEST_F(Service, OperatorsAreKeptInsideTheirTenant) {
  Response r = refused("vm.list", {{"tenant", "red"}}, code::kForbidden, op_blue());
  EXPECT_EQ(r.error_message, "operator of tenant blue may not run vm.list on tenant red");
  refused("policy.show", {{"tenant", "red"}}, code::kForbidden, op_blue());
  refused("policy.clear", {{"tenant", "red"}}, code::kForbidden, op_blue());
  refused("stats.ports", {{"tenant", "red"}}, code::kForbidden, op_blue());
  refused("stats.flows", {{"tenant", "red"}}, code::kForbidden, op_blue());
  // Naming an unknown tenant is the same refusal, not a way to learn which tenants exist.
  refused("tenant.list", {{"tenant", "nope"}}, code::kForbidden, op_blue());
}

TEST_F(Service, OperatorsGetTheirTenantByDefault) {
  Response r = call("vm.list", Json::object(), op_blue());
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.result.size(), 4u);
  for (const Json& vm : r.result) EXPECT_EQ(vm["tenant"], "blue");
  r = call("tenant.list", Json::object(), op_red());
  ASSERT_EQ(r.result.size(), 1u);
  EXPECT_EQ(r.result[0]["name"], "red");
  EXPECT_EQ(r.result[0]["vlan"], 20);
  EXPECT_EQ(r.result[0]["vms"], Json::array({"vr1"}));
  EXPECT_EQ(r.result[0]["policy"], false);
  r = call("vm.list", {{"tenant", "red"}}, op_red());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result.size(), 1u);
}

TEST_F(Service, ListsForAdmins) {
  Response r = call("tenant.list");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.result.size(), 2u);
  EXPECT_EQ(r.result[0]["policy"], true);
  r = call("vm.list");
  ASSERT_EQ(r.result.size(), 5u);
  const Json& vb1 = r.result[0];
  EXPECT_EQ(vb1["tenant"], "blue");
  EXPECT_EQ(vb1["port"], "vb1");
  EXPECT_EQ(vb1["mac"], "02:00:00:00:0a:01");
  EXPECT_EQ(vb1["ipv4"], Json::array({"10.0.10.1"}));
  EXPECT_EQ(vb1["ipv6"], Json::array({"fd00:10::1"}));
  EXPECT_EQ(vb1["port_security"], true);
  EXPECT_EQ(vb1["allow_dhcp_server"], false);
  EXPECT_EQ(r.result[3]["port_security"], false);
  refused("vm.list", {{"tenant", "nope"}}, code::kNotFound);
}

TEST_F(Service, Status) {
  fake_.port_names = {"vb1", "vb2", "vb3", "vb4", "vr1", "spare1", "spare2", "replay", "uplink"};
  Response r = call("status");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["version"], "test");
  EXPECT_EQ(r.result["config"], path_);
  EXPECT_EQ(r.result["tenants"], Json::array({"blue", "red"}));
  EXPECT_EQ(r.result["ids"], false);
  EXPECT_EQ(r.result["ports"].size(), 9u);
  r = call("status", Json::object(), op_red());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["tenants"], Json::array({"red"}));
  EXPECT_EQ(r.result["ports"], Json::array({"vr1"}));  // its VM ports, not the shared trunk
}

TEST_F(Service, UnknownCommandsAndMonitors) {
  Response r = refused("tenant.rename", Json::object(), code::kUnknownCommand);
  EXPECT_NE(r.error_message.find("tenant.rename"), std::string::npos);
  refused("", Json::object(), code::kUnknownCommand);
  refused("monitor.list", Json::object(), code::kUnknownCommand, op_blue());
  // This fake dataplane has no monitors; releasing a VM is for admins only.
  r = refused("monitor.status", Json::object(), code::kUnavailable, op_blue());
  EXPECT_NE(r.error_message.find("no monitor: section"), std::string::npos) << r.error_message;
  refused("monitor.release", {{"vm", "vb1"}}, code::kForbidden, op_blue());
}

TEST_F(Service, BadArgumentsAreBadRequestsNamingTheArgument) {
  Response r = refused("tenant.add", {{"name", "green"}, {"vlan", "30"}}, code::kBadRequest);
  EXPECT_NE(r.error_message.find("'vlan'"), std::string::npos) << r.error_message;
  r = refused("tenant.add", {{"vlan", 30}}, code::kBadRequest);
  EXPECT_NE(r.error_message.find("'name' is missing"), std::string::npos) << r.error_message;
  r = refused("tenant.add", {{"name", "green"}, {"vlan", 30}, {"vlna", 1}}, code::kBadRequest);
  EXPECT_NE(r.error_message.find("unknown argument 'vlna'"), std::string::npos);
  refused("tenant.add", Json::array({1, 2}), code::kBadRequest);
  refused("vm.add", {{"tenant", "blue"}, {"port", "spare1"}, {"mac", 12}}, code::kBadRequest);
  refused("vm.add",
          {{"tenant", "blue"}, {"port", "spare1"}, {"mac", "02:00:00:00:0a:09"}, {"ipv4", "x"}},
          code::kBadRequest);
  refused("vm.bind", {{"port", "vb1"}, {"ipv4", Json::array({1})}}, code::kBadRequest);
  refused("tenant.remove", {{"name", "red"}, {"force", "yes"}}, code::kBadRequest);
  refused("stats.flows", {{"top", 0}}, code::kBadRequest);
  refused("policy.remove_rule", {{"tenant", "blue"}, {"index", 1.5}}, code::kBadRequest);
  refused("whoami", {{"x", 1}}, code::kBadRequest, nobody());
}

TEST_F(Service, NullArgumentsCountAsAbsent) {
  const Response r = call("vm.list", {{"tenant", nullptr}});
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result.size(), 5u);
  Request req;
  req.command = "tenant.list";
  req.args = nullptr;
  EXPECT_TRUE(service_->handle(req, admin()).ok);
}

TEST_F(Service, IdsCommands) {
  refused("ids.reload", Json::object(), code::kUnavailable);
  refused("ids.report", Json::object(), code::kUnavailable);
  refused("ids.stats", Json::object(), code::kUnavailable);
  fake_.ids = true;
  fake_.stats_json = {{"ids", {{"alerts", 3}}}};
  Response r = call("ids.reload");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["loaded"], 7);
  EXPECT_EQ(call("ids.report").result["skipped"], 1);
  EXPECT_EQ(call("ids.stats").result["alerts"], 3);
  fake_.reload_ok = false;
  r = call("ids.reload");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error_message.find("bad rule"), std::string::npos);
  EXPECT_EQ(fake_.reloads, 2);
}

class StatsTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    auto port = [](int rx, Json drops) {
      return Json{{"rx_packets", rx}, {"tx_packets", 1}, {"link", "up"}, {"drops", drops}};
    };
    fake_.stats_json = {{"drops", {{"spoofed_src_ip", 9}, {"unknown_vlan", 4}, {"policy_deny", 7}}},
                        {"ports",
                         {{"vb1", port(10, {{"spoofed_src_ip", 2}})},
                          {"vb2", port(20, {{"spoofed_src_ip", 3}, {"policy_deny", 7}})},
                          {"vb3", port(0, Json::object())},
                          {"vb4", port(0, Json::object())},
                          {"vr1", port(30, {{"spoofed_src_ip", 4}})},
                          {"spare1", port(0, Json::object())},
                          {"uplink", port(40, {{"unknown_vlan", 4}})}}}};
  }
};

TEST_F(StatsTest, PortsAreFilteredForOperators) {
  Response r = call("stats.ports");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result.size(), 7u);
  r = call("stats.ports", Json::object(), op_red());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result.size(), 1u);  // its VM port; a trunk's counters mix every tenant's traffic
  EXPECT_EQ(r.result["vr1"]["rx_packets"], 30);
  EXPECT_FALSE(r.result.contains("uplink"));
  r = call("stats.ports", {{"tenant", "blue"}});
  EXPECT_EQ(r.result.size(), 5u);
  EXPECT_FALSE(r.result.contains("vr1"));
}

TEST_F(StatsTest, DropsAreSummedOverTheOperatorsPorts) {
  Response r = call("stats.drops");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["spoofed_src_ip"], 9);
  r = call("stats.drops", Json::object(), op_blue());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["spoofed_src_ip"], 5);
  EXPECT_EQ(r.result["policy_deny"], 7);
  // The trunk's drops are not blue's alone: an operator does not see them.
  EXPECT_FALSE(r.result.contains("unknown_vlan"));
}

TEST_F(StatsTest, FlowsAreScopedToTheOperatorsTenant) {
  ASSERT_TRUE(call("stats.flows", Json::object(), op_blue()).ok);
  ASSERT_TRUE(call("stats.flows", {{"top", 3}}).ok);
  ASSERT_TRUE(call("stats.flows", {{"tenant", "red"}, {"top", 5}}).ok);
  ASSERT_EQ(fake_.flow_calls.size(), 3u);
  EXPECT_EQ(fake_.flow_calls[0], (std::pair<size_t, std::string>{10, "blue"}));
  EXPECT_EQ(fake_.flow_calls[1], (std::pair<size_t, std::string>{3, ""}));
  EXPECT_EQ(fake_.flow_calls[2], (std::pair<size_t, std::string>{5, "red"}));
}

TEST_F(Service, AlertsAreScopedToTheOperatorsTenant) {
  ASSERT_TRUE(call("alerts.list", Json::object(), op_blue()).ok);
  ASSERT_TRUE(call("alerts.list", {{"limit", 5}}).ok);
  refused("alerts.list", {{"tenant", "red"}}, code::kForbidden, op_blue());
  refused("alerts.list", {{"limit", 0}}, code::kBadRequest);
  refused("alerts.list", Json::object(), code::kForbidden, nobody());
  ASSERT_EQ(fake_.event_calls.size(), 2u);
  EXPECT_EQ(fake_.event_calls[0], (std::pair<size_t, std::string>{50, "blue"}));
  EXPECT_EQ(fake_.event_calls[1], (std::pair<size_t, std::string>{5, ""}));
}

TEST_F(Service, CaptureStartStopList) {
  const std::string file = dir_ + "/captures/vb1.pcapng";  // in control.capture_dir
  Response r =
      call("capture.start", {{"port", "vb1"}, {"file", file}, {"max_packets", 100}}, op_blue());
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result["file"], file);
  EXPECT_EQ(fake_.captures["vb1"], file);
  EXPECT_EQ(fake_.last_max_packets, 100u);
  refused("capture.start", {{"port", "vb1"}, {"file", dir_ + "/other.pcapng"}}, code::kConflict);
  ASSERT_TRUE(call("capture.start", {{"port", "vr1"}, {"file", dir_ + "/vr1.pcapng"}}).ok);
  r = call("capture.list", Json::object(), op_blue());
  ASSERT_EQ(r.result.size(), 1u);
  EXPECT_EQ(r.result[0]["port"], "vb1");
  EXPECT_EQ(call("capture.list").result.size(), 2u);
  refused("capture.stop", {{"port", "vr1"}}, code::kForbidden, op_blue());
  r = call("capture.stop", {{"port", "vb1"}}, op_blue());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["packets"], 3);
  refused("capture.stop", {{"port", "vb1"}}, code::kNotFound);
}

TEST_F(Service, OperatorsMayNotStopTheMonitorsCaptures) {
  ASSERT_TRUE(call("capture.start", {{"port", "vb1"}, {"file", dir_ + "/captures/m.pcapng"}}).ok);
  fake_.monitor_captures.insert("vb1");
  refused("capture.stop", {{"port", "vb1"}}, code::kForbidden, op_blue());
  EXPECT_TRUE(call("capture.stop", {{"port", "vb1"}}).ok);  // an admin may
}

TEST_F(Service, CaptureRefusals) {
  refused("capture.start", {{"port", "vb1"}, {"file", "rel.pcapng"}}, code::kBadRequest);
  refused("capture.start", {{"port", "vr1"}, {"file", dir_ + "/x.pcapng"}}, code::kForbidden,
          op_blue());
  // vigild writes as root: operators only directly inside control.capture_dir.
  refused("capture.start", {{"port", "vb1"}, {"file", dir_ + "/captures/../vb1.pcapng"}},
          code::kBadRequest, op_blue());  // not a normal path: a symlink could lead elsewhere
  for (const std::string& f :
       {dir_ + "/vb1.pcapng", dir_ + "/captures/sub/vb1.pcapng", std::string("/etc/cron.d/x")}) {
    refused("capture.start", {{"port", "vb1"}, {"file", f}}, code::kForbidden, op_blue());
  }
  // A trunk carries other tenants' traffic: not for operators.
  refused("capture.start", {{"port", "uplink"}, {"file", dir_ + "/x.pcapng"}}, code::kForbidden,
          op_blue());
  refused("capture.start", {{"port", "nope"}, {"file", dir_ + "/x.pcapng"}}, code::kNotFound);
  // Never over an existing file (vigild writes as root).
  refused("capture.start", {{"port", "vb1"}, {"file", path_}}, code::kConflict);
  fake_.fail_capture = true;
  refused("capture.start", {{"port", "vb1"}, {"file", dir_ + "/x.pcapng"}}, code::kInternal);
  EXPECT_TRUE(fake_.captures.empty());
}

}  // namespace
}  // namespace vigil::control::testing
