#include "control/config.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

const char* kGood = R"(
switch:
  max_frame: 1500
ports:
  - {name: vm1, kind: pcap, tx_pcap: out/vm1.pcap}
  - {name: vm2, kind: ring}
  - {name: uplink, kind: pcap, iface: veth0}
tenants:
  - name: blue
    vlan: 10
    vms:
      - {port: vm1, mac: "02:00:00:00:0a:01", ipv4: [10.0.10.1], ipv6: ["fd00:10::1"]}
  - name: red
    vlan: 20
    vms:
      - {port: vm2, mac: "02:00:00:00:14:01"}
trunks:
  - {port: uplink, native_vlan: 10, allowed: [blue, red]}
)";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "test.yaml", "/base");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// kGood with one substring replaced.
std::string good_with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(Config, ParsesAGoodConfig) {
  const Config c = parse_config(kGood, "test.yaml", "/base");
  EXPECT_EQ(c.settings.max_frame, 1500u);
  ASSERT_EQ(c.ports.size(), 3u);
  EXPECT_EQ(c.ports[0].tx_pcap, "/base/out/vm1.pcap");
  EXPECT_EQ(c.ports[1].type, PortType::kRing);
  EXPECT_EQ(c.ports[2].iface, "veth0");
  ASSERT_EQ(c.tenancy.tenants.size(), 2u);
  EXPECT_EQ(c.tenancy.tenants[0].vms[0].mac, (MacAddress{2, 0, 0, 0, 0x0a, 1}));
  EXPECT_EQ(c.tenancy.tenants[0].vms[0].ipv4.size(), 1u);
  EXPECT_EQ(c.tenancy.trunks[0].native_vlan, 10);
  EXPECT_EQ(c.tenancy.trunks[0].allowed.size(), 2u);
}

TEST(Config, ParsesVhostUserPorts) {
  const Config c = parse_config(
      good_with("kind: ring", "kind: vhost-user, socket: /tmp/vm2.sock, mode: client, queues: 2"),
      "test.yaml", "/base");
  EXPECT_EQ(c.ports[1].type, PortType::kVhostUser);
  EXPECT_EQ(c.ports[1].socket, "/tmp/vm2.sock");
  EXPECT_TRUE(c.ports[1].vhost_client);
  EXPECT_EQ(c.ports[1].queues, 2);
}

TEST(Config, ReadsConntrackSettings) {
  const Config c = parse_config(good_with("max_frame: 1500",
                                          "max_frame: 1500\n  conntrack: {size: 4096, "
                                          "vm_max_connections: 10, timeouts: {udp_first: 5}}"),
                                "test.yaml", "/base");
  EXPECT_EQ(c.settings.conntrack_size, 4096u);
  EXPECT_EQ(c.settings.vm_max_connections, 10u);
  EXPECT_EQ(c.settings.timeouts.udp_first, 5u);
  EXPECT_EQ(c.settings.timeouts.tcp.tcp_established, 86400u);  // OVS's default kept
  EXPECT_NE(error_of(good_with("max_frame: 1500", "conntrack: {timeouts: {udp_frist: 5}}"))
                .find("unknown key"),
            std::string::npos);
}

TEST(Config, ReadsCrossTenantRules) {
  const Config c =
      parse_config(std::string(kGood) +
                       "cross_tenant:\n  - {from: blue, to: red, src: [vm1], dst: vm2, proto: udp, "
                       "dst_port: 53, action: allow}\n",
                   "test.yaml", "/base");
  ASSERT_EQ(c.tenancy.cross_tenant.size(), 1u);
  EXPECT_EQ(c.tenancy.cross_tenant[0].from, "blue");
  EXPECT_EQ(c.tenancy.cross_tenant[0].rule.src, std::vector<std::string>{"vm1"});
  EXPECT_EQ(c.tenancy.cross_tenant[0].rule.dport_lo, 53);
  auto error = [](const std::string& rule) {
    return error_of(std::string(kGood) + "cross_tenant:\n  - " + rule + "\n");
  };
  EXPECT_NE(error("{from: blue, to: green, action: allow}").find("no tenant 'green'"),
            std::string::npos);
  EXPECT_NE(error("{from: blue, to: blue, action: allow}").find("same tenant"), std::string::npos);
  EXPECT_NE(error("{from: blue, to: red, src: vm2, action: allow}").find("tenant 'blue'"),
            std::string::npos)
      << "src names are the sending tenant's";
  EXPECT_NE(error("{to: red, action: allow}").find("'from' and 'to'"), std::string::npos);
}

TEST(Config, ErrorsNameTheLineAndKey) {
  const std::string e = error_of(good_with("max_frame: 1500", "max_frme: 1500"));
  EXPECT_NE(e.find("test.yaml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
}

TEST(Config, RejectsBadInput) {
  struct Case {
    std::string from, to, expect;
  };
  const Case cases[] = {
      {"kind: ring", "kind: vhost-user", "needs 'socket'"},
      {"kind: ring", "kind: pci", "needs 'device'"},
      {"kind: ring", "kind: pci, device: 3:0", "not a PCI address"},
      {"kind: ring", "kind: tap", "needs 'iface'"},
      {"kind: ring", "kind: af_packet, iface: a_very_long_interface", "not an interface name"},
      {"kind: ring", "kind: vhost-user, socket: /nonexistent/s.sock", "no such directory"},
      {"kind: ring", "kind: vhost-user, socket: /tmp/s.sock, mode: both", "not server or client"},
      {"kind: ring", "kind: ring, queues: 2", "only vhost-user ports"},
      {"max_frame: 1500", "workers: 0", "out of range"},
      {"kind: ring", "kind: floppy", "unknown kind"},
      {"name: vm2", "name: vm1", "duplicate port name"},
      {"vlan: 20", "vlan: 10", "already tenant 'blue'"},
      {"vlan: 20", "vlan: 4095", "out of range"},
      {"vlan: 20", "vlan: ten", "not a whole number"},
      {"02:00:00:00:14:01", "02:00:00:00:14", "not a MAC address"},
      {"02:00:00:00:14:01", "01:00:00:00:14:01", "multicast"},
      {"10.0.10.1", "10.0.10.300", "not an IPv4 address"},
      {"fd00:10::1", "fd00::10::1", "not an IPv6 address"},
      {"{port: vm2,", "{port: vm1,", "already bound"},
      {"{port: vm2,", "{port: vm9,", "no port named 'vm9'"},
      {"allowed: [blue, red]", "allowed: [green]", "no tenant 'green'"},
      {"native_vlan: 10, allowed: [blue, red]", "native_vlan: 10, allowed: [red]", "not a tenant"},
      {"max_frame: 1500", "max_frame: 9000", "out of range"},
      {"tx_pcap: out/vm1.pcap", "tx_pcap: \"a,b.pcap\"", "may not contain"},
      {"tx_pcap: out/vm1.pcap", "rx_pcap: /nonexistent.pcap", "no such file"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of(good_with(c.from, c.to));
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.to << " gave: " << e;
  }
}

TEST(Config, RejectsBrokenYaml) {
  EXPECT_NE(error_of("ports: [").find("test.yaml:"), std::string::npos);
  EXPECT_NE(error_of("- a\n- b\n").find("top level"), std::string::npos);
  EXPECT_NE(error_of("switch: {}\n").find("ports"), std::string::npos);
}

const char* kPolicy = R"(
ports:
  - {name: blue1, kind: ring}
  - {name: blue2, kind: ring}
tenants:
  - name: blue
    vlan: 10
    vms:
      - {port: blue1, mac: "02:00:00:00:0a:01", ipv4: [10.0.10.1]}
      - {port: blue2, mac: "02:00:00:00:0a:02", ipv4: [10.0.10.2]}
    groups: {web: [blue1, blue2], admins: ["10.0.99.0/24", "fd00:99::/64"], all: [web, admins]}
    policy:
      default: deny
      rules:
        - {priority: 100, src: web, dst: any, proto: tcp, dst_port: 80, action: allow}
        - {src: "10.0.10.0/24", dst: [blue2], proto: tcp, dst_port: "8000-8080", action: reject}
        - {proto: icmp, icmp_type: 8, action: allow}
        - {proto: udp, src_port: 53, action: log}
        - {proto: 47, src: all, action: deny}
)";

std::string policy_with(const std::string& from, const std::string& to) {
  std::string s = kPolicy;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(ConfigPolicy, ParsesGroupsAndRules) {
  const Config c = parse_config(kPolicy, "test.yaml", "/base");
  const TenantPolicy& p = c.tenancy.tenants[0].policy;
  EXPECT_EQ(p.default_action, PolicyAction::kDeny);
  ASSERT_EQ(p.groups.size(), 3u);
  EXPECT_EQ(p.groups.at("web"), (std::vector<std::string>{"blue1", "blue2"}));
  EXPECT_EQ(p.groups.at("all"), (std::vector<std::string>{"web", "admins"}));
  ASSERT_EQ(p.rules.size(), 5u);
  const PolicyRule& r0 = p.rules[0];
  EXPECT_EQ(r0.priority, 100);
  EXPECT_EQ(r0.src, (std::vector<std::string>{"web"}));
  EXPECT_EQ(r0.dst, (std::vector<std::string>{"any"}));
  EXPECT_EQ(r0.proto, 6);
  EXPECT_EQ(r0.dport_lo, 80);
  EXPECT_EQ(r0.dport_hi, 80);
  EXPECT_EQ(r0.sport_lo, 0);
  EXPECT_EQ(r0.sport_hi, 65535);
  EXPECT_EQ(r0.action, PolicyAction::kAllow);
  EXPECT_EQ(r0.line, 15);
  const PolicyRule& r1 = p.rules[1];
  EXPECT_EQ(r1.priority, 0);
  EXPECT_EQ(r1.dst, (std::vector<std::string>{"blue2"}));
  EXPECT_EQ(r1.dport_lo, 8000);
  EXPECT_EQ(r1.dport_hi, 8080);
  EXPECT_EQ(r1.action, PolicyAction::kReject);
  EXPECT_EQ(p.rules[2].proto, 1);
  EXPECT_EQ(p.rules[2].icmp_type, 8);
  EXPECT_EQ(p.rules[2].icmp_code, -1);
  EXPECT_TRUE(p.rules[2].src.empty());
  EXPECT_EQ(p.rules[3].sport_lo, 53);
  EXPECT_EQ(p.rules[3].action, PolicyAction::kLog);
  EXPECT_EQ(p.rules[4].proto, 47);
}

TEST(ConfigPolicy, TenantWithoutPolicyAllows) {
  const Config c = parse_config(kGood, "test.yaml", "/base");
  EXPECT_EQ(c.tenancy.tenants[0].policy.default_action, PolicyAction::kAllow);
  EXPECT_TRUE(c.tenancy.tenants[0].policy.rules.empty());
}

TEST(ConfigPolicy, RejectsBadPolicies) {
  struct Case {
    std::string from, to, expect;
  };
  const Case cases[] = {
      {"default: deny", "default: log", "not allow, deny or reject"},
      {"dst: any, proto: tcp", "dst: nowhere, proto: tcp", "'nowhere' is neither"},
      {"src: all,", "src: [],", "non-empty list"},
      {"admins: [\"10.0.99.0/24\"", "admins: [\"10.0.99.1/24\"", "host bits"},
      {"admins: [\"10.0.99.0/24\"", "admins: [\"10.0.99.0/33\"", "bad prefix length"},
      {"admins: [\"10.0.99.0/24\"", "admins: [\"10.0.999.0/24\"", "not an IPv4 or IPv6"},
      {"all: [web, admins]", "all: [web, ghosts]", "'ghosts' is neither"},
      {"all: [web, admins]", "blue1: [web]", "not a VM port name"},
      {"\"8000-8080\"", "\"8080-8000\"", "empty range"},
      {"\"8000-8080\"", "\"80-70000\"", "not a port or a range"},
      {"dst_port: 80", "dst_port: 65536", "out of range"},
      {"proto: icmp, icmp_type: 8", "proto: icmp, dst_port: 8", "need proto tcp or udp"},
      {"proto: udp, src_port: 53", "proto: any, src_port: 53", "need proto tcp or udp"},
      {"proto: udp, src_port: 53", "proto: udp, icmp_code: 3", "needs proto icmp"},
      {"icmp_type: 8", "icmp_type: 256", "out of range"},
      {"proto: 47", "proto: gre", "not tcp, udp"},
      {"proto: 47", "proto: 256", "out of range"},
      {"action: log", "action: drop", "not allow, deny, reject or log"},
      {"action: log", "verdict: log", "unknown key"},
      {"priority: 100", "priority: -1", "not a whole number"},
      {"{proto: 47, src: all, action: deny}", "{proto: 47, src: all}", "needs 'action'"},
  };
  for (const Case& c : cases) {
    std::string e;
    try {
      parse_config(policy_with(c.from, c.to), "test.yaml", "/base");
    } catch (const ConfigError& err) {
      e = err.what();
    }
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.to << " gave: " << e;
    EXPECT_EQ(e.rfind("test.yaml:", 0), 0u) << e;
  }
}

TEST(ConfigPolicy, ErrorsNameTheRuleLineAndKey) {
  std::string e;
  try {
    parse_config(policy_with("dst: [blue2]", "dst: [blue3]"), "test.yaml", "/base");
  } catch (const ConfigError& err) {
    e = err.what();
  }
  EXPECT_NE(e.find("test.yaml:16: tenants[0].policy.rules[1].dst:"), std::string::npos) << e;
}

}  // namespace
}  // namespace vigil
