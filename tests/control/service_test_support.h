// Test support for the control service: a fake DataplaneControl that records apply() calls and
// can fail, and a fixture that writes a config to a temporary directory and runs commands
// against a ControlService over it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "control/config.h"
#include "control/control_service.h"
#include "control/state_store.h"

namespace vigil::control::testing {

class FakeDataplane : public DataplaneControl {
 public:
  bool apply(const Config& next, std::string* error) override {
    applied.push_back(next);
    if (fail_apply) *error = "fake apply failure";
    return !fail_apply;
  }
  Json stats() override { return stats_json; }
  Json flows(size_t top, const std::string& tenant) override {
    flow_calls.push_back({top, tenant});
    return Json::array({Json{{"tenant", tenant}, {"bytes", 1}}});
  }
  Json status() override {
    return Json{{"version", "test"}, {"uptime_s", 5}, {"workers", 1}, {"ports", port_names}};
  }
  bool ids_enabled() override { return ids; }
  bool ids_reload(Json* report, std::string* error) override {
    ++reloads;
    if (!reload_ok) {
      *error = "rules.rules:3: bad rule";
      return false;
    }
    *report = Json{{"loaded", 7}};
    return true;
  }
  Json ids_report() override { return Json{{"loaded", 7}, {"skipped", 1}}; }
  bool capture_start(const std::string& port, const std::string& file, uint64_t max_packets,
                     std::string* error) override {
    if (fail_capture) {
      *error = "cannot create file";
      return false;
    }
    captures[port] = file;
    last_max_packets = max_packets;
    return true;
  }
  bool capture_stop(const std::string& port, Json* result) override {
    const auto it = captures.find(port);
    if (it == captures.end()) return false;
    *result = Json{{"port", port}, {"file", it->second}, {"packets", 3}, {"dropped", 0}};
    captures.erase(it);
    return true;
  }
  Json capture_list() override {
    Json out = Json::array();
    for (const auto& [port, file] : captures) {
      out.push_back(Json{{"port", port},
                         {"file", file},
                         {"packets", 0},
                         {"dropped", 0},
                         {"by_monitor", monitor_captures.count(port) > 0}});
    }
    return out;
  }

  // Monitors: an exported state per VM, and what imports installed (vm -> state).
  bool monitor_enabled() override { return monitors; }
  Json monitor_export(const std::string& vm) override {
    return Json{{"vm", vm}, {"state", {{"level", 2}}}};
  }
  bool monitor_import(const Json& state, const std::string& vm, std::string* error) override {
    if (!state.contains("state")) {
      *error = "no state";
      return false;
    }
    imported_monitor[vm] = state;
    return true;
  }
  Json recent_events(size_t limit, const std::string& tenant) override {
    event_calls.push_back({limit, tenant});
    return Json::array({Json{{"event_type", "alert"}, {"vigil", {{"tenant", tenant}}}}});
  }
  std::vector<std::pair<size_t, std::string>> event_calls;
  bool monitors = false;
  std::set<std::string> monitor_captures;
  std::map<std::string, Json> imported_monitor;

  std::vector<Config> applied;
  bool fail_apply = false;
  Json stats_json = Json::object();
  std::vector<std::pair<size_t, std::string>> flow_calls;
  Json port_names = Json::array();
  bool ids = false;
  bool reload_ok = true;
  int reloads = 0;
  bool fail_capture = false;
  std::map<std::string, std::string> captures;
  uint64_t last_max_packets = 0;
};

// Blue has four VMs, groups and a policy naming them; red one VM; a trunk; a pcap port with a
// relative path; three free ports; admins and one operator per tenant.
inline const char* kServiceConfig =
    R"(# vigild test config (this comment is lost on the first change)
switch: {mac_aging_s: 300}
ports:
  - {name: vb1, kind: ring}
  - {name: vb2, kind: ring}
  - {name: vb3, kind: ring}
  - {name: vb4, kind: ring}
  - {name: vr1, kind: ring}
  - {name: spare1, kind: ring}
  - {name: spare2, kind: ring}
  - {name: replay, kind: pcap, rx_pcap: in/replay.pcap}
  - {name: uplink, kind: ring}
tenants:
  - name: blue
    vlan: 10
    vms:
      - {port: vb1, mac: "02:00:00:00:0a:01", ipv4: [10.0.10.1], ipv6: ["fd00:10::1"]}
      - {port: vb2, mac: "02:00:00:00:0a:02", ipv4: [10.0.10.2]}
      - {port: vb3, mac: "02:00:00:00:0a:03", ipv4: [10.0.10.3]}
      - {port: vb4, mac: "02:00:00:00:0a:04", ipv4: [10.0.10.4], port_security: false}
    groups: {web: [vb1, vb2, vb4], solo: [vb2]}
    policy:
      default: deny
      rules:
        - {priority: 100, src: web, dst: any, proto: tcp, dst_port: 80, action: allow}
        - {src: vb1, dst: vb3, proto: udp, dst_port: "5000-5999", action: log}
        - {proto: icmp, icmp_type: 8, action: allow}
  - name: red
    vlan: 20
    vms:
      - {port: vr1, mac: "02:00:00:00:14:01", ipv4: [10.0.20.1]}
trunks:
  - {port: uplink}
cross_tenant:
  - {from: blue, to: red, src: [vb1], dst: [vr1], proto: tcp, dst_port: 22, action: allow}
control:
  socket: /run/vigil-test/control.sock
  capture_dir: captures
  admins: {uids: [1000]}
  operators:
    - {tenant: blue, uids: [2001]}
    - {tenant: red, uids: [2002], groups: [ops-red]}
)";

inline Identity admin() {
  return Identity{Peer{1000, 1000, 11}, Role::kAdmin, ""};
}
inline Identity op_blue() {
  return Identity{Peer{2001, 2001, 12}, Role::kOperator, "blue"};
}
inline Identity op_red() {
  return Identity{Peer{2002, 2002, 13}, Role::kOperator, "red"};
}
inline Identity nobody() {
  return Identity{Peer{3000, 3000, 14}, Role::kNone, ""};
}

// What of a Config the service changes, comparable with ==.
inline Json tenancy_summary(const Config& c) {
  Json tenants = Json::array();
  for (const TenantSpec& t : c.tenancy.tenants) {
    Json vms = Json::array();
    for (const VmSpec& vm : t.vms) {
      vms.push_back(Json{{"port", vm.port},
                         {"mac", std::vector<int>(vm.mac.begin(), vm.mac.end())},
                         {"v4", vm.ipv4.size()},
                         {"v6", vm.ipv6.size()},
                         {"ps", vm.port_security}});
    }
    Json groups = Json::object();
    for (const auto& [name, members] : t.policy.groups) groups[name] = members;
    Json rules = Json::array();
    for (const PolicyRule& r : t.policy.rules) {
      rules.push_back(Json{{"src", r.src},
                           {"dst", r.dst},
                           {"proto", r.proto},
                           {"dport", {r.dport_lo, r.dport_hi}},
                           {"action", static_cast<int>(r.action)},
                           {"priority", r.priority}});
    }
    tenants.push_back(Json{{"name", t.name},
                           {"vlan", t.vlan},
                           {"vms", vms},
                           {"groups", groups},
                           {"policy", t.policy.present},
                           {"default", static_cast<int>(t.policy.default_action)},
                           {"rules", rules}});
  }
  Json ops = Json::array();
  for (const OperatorSpec& op : c.control.operators) ops.push_back(op.tenant);
  return Json{
      {"tenants", tenants}, {"cross_tenant", c.tenancy.cross_tenant.size()}, {"operators", ops}};
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { start(kServiceConfig); }
  void TearDown() override {
    service_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A fresh directory holding `text` as config.yaml, and a service over it.
  void start(const std::string& text, StateStore::Writer writer = replace_file_atomically) {
    service_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    char tmpl[] = "/tmp/vigil_service_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/config.yaml";
    std::filesystem::create_directories(dir_ + "/in");
    std::ofstream(dir_ + "/in/replay.pcap") << "";
    std::ofstream(path_) << text;
    original_ = text;
    fake_ = FakeDataplane();
    service_ = std::make_unique<ControlService>(StateStore(path_, std::move(writer)), text, fake_);
    original_summary_ = tenancy_summary(service_->config());
  }

  Response call(const std::string& command, Json args = Json::object(),
                const Identity& who = admin()) {
    Request r;
    r.id = 1;
    r.command = command;
    r.args = std::move(args);
    return service_->handle(r, who);
  }

  // A successful call: the response is ok, the file was rewritten and parses to the running
  // state, and the dataplane got exactly that state once.
  Json changed(const std::string& command, Json args, const Identity& who = admin()) {
    const Response r = call(command, std::move(args), who);
    EXPECT_TRUE(r.ok) << command << ": " << r.error_code << ": " << r.error_message;
    expect_persisted_and_applied();
    return r.result;
  }

  void expect_persisted_and_applied() {
    const std::string text = read_text(path_);
    EXPECT_NE(text, original_) << "the file was not rewritten";
    EXPECT_EQ(text, service_->running().text());
    const Config on_disk = load_config(path_);
    EXPECT_EQ(tenancy_summary(on_disk), tenancy_summary(service_->config()));
    ASSERT_EQ(fake_.applied.size(), 1u);
    EXPECT_EQ(tenancy_summary(fake_.applied[0]), tenancy_summary(on_disk));
    EXPECT_NE(tenancy_summary(on_disk), original_summary_) << "nothing changed";
  }

  // A refused call: the error code, and nothing changed anywhere.
  Response refused(const std::string& command, Json args, const std::string& code,
                   const Identity& who = admin()) {
    const Response r = call(command, std::move(args), who);
    EXPECT_FALSE(r.ok) << command;
    EXPECT_EQ(r.error_code, code) << command << ": " << r.error_message;
    expect_untouched();
    return r;
  }

  void expect_untouched() {
    EXPECT_EQ(read_text(path_), original_);
    EXPECT_EQ(tenancy_summary(service_->config()), original_summary_);
    EXPECT_TRUE(fake_.applied.empty());
  }

  std::string dir_, path_, original_;
  Json original_summary_;
  FakeDataplane fake_;
  std::unique_ptr<ControlService> service_;
};

}  // namespace vigil::control::testing
