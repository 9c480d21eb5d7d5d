#include "control/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "control/config_reader.h"
#include "control/monitor_config.h"
#include "control/policy_config.h"

namespace vigil {
namespace {

using detail::Reader;

// Idle timeouts in seconds, named as OVS's timeout policies name them.
void read_timeouts(const Reader& r, const YAML::Node& node, ConnTimeouts& t) {
  if (!node.IsDefined()) return;
  const std::pair<const char*, uint32_t*> fields[] = {{"tcp_syn_sent", &t.tcp.tcp_syn_sent},
                                                      {"tcp_syn_recv", &t.tcp.tcp_syn_recv},
                                                      {"tcp_established", &t.tcp.tcp_established},
                                                      {"tcp_fin_wait", &t.tcp.tcp_fin_wait},
                                                      {"tcp_time_wait", &t.tcp.tcp_time_wait},
                                                      {"tcp_close", &t.tcp.tcp_close},
                                                      {"udp_first", &t.udp_first},
                                                      {"udp_multiple", &t.udp_multiple},
                                                      {"icmp_first", &t.icmp_first},
                                                      {"icmp_reply", &t.icmp_reply},
                                                      {"other_first", &t.other_first},
                                                      {"other_multiple", &t.other_multiple}};
  r.check_keys(node, "switch.conntrack.timeouts",
               {"tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_time_wait",
                "tcp_close", "udp_first", "udp_multiple", "icmp_first", "icmp_reply", "other_first",
                "other_multiple"});
  for (const auto& [key, value] : fields) {
    if (node[key]) {
      *value = static_cast<uint32_t>(
          r.number(node[key], std::string("switch.conntrack.timeouts.") + key, 1, 7 * 86400));
    }
  }
}

void read_settings(const Reader& r, const YAML::Node& node, SwitchSettings& s) {
  if (!node.IsDefined()) return;
  r.check_keys(node, "switch",
               {"max_frame", "mac_aging_s", "mac_table_size", "workers", "conntrack"});
  if (const YAML::Node ct = node["conntrack"]) {
    r.check_keys(ct, "switch.conntrack",
                 {"size", "vm_max_connections", "vm_max_new_per_second", "timeouts"});
    read_timeouts(r, ct["timeouts"], s.timeouts);
    if (ct["size"]) s.conntrack_size = r.number(ct["size"], "switch.conntrack.size", 64, 1 << 24);
    if (ct["vm_max_connections"]) {
      s.vm_max_connections =
          r.number(ct["vm_max_connections"], "switch.conntrack.vm_max_connections", 0, 1 << 24);
    }
    if (ct["vm_max_new_per_second"]) {
      s.vm_max_new_per_second = r.number(ct["vm_max_new_per_second"],
                                         "switch.conntrack.vm_max_new_per_second", 0, 1 << 24);
    }
  }
  if (node["workers"]) s.workers = r.number(node["workers"], "switch.workers", 1, 16);
  // The mbuf data room is 2048 B: a larger frame would be split across segments.
  if (node["max_frame"]) s.max_frame = r.number(node["max_frame"], "switch.max_frame", 64, 2040);
  if (node["mac_aging_s"]) {
    s.mac_aging_s = r.number(node["mac_aging_s"], "switch.mac_aging_s", 1, 86400);
  }
  if (node["mac_table_size"]) {
    s.mac_table_size = r.number(node["mac_table_size"], "switch.mac_table_size", 1, 1 << 22);
  }
}

PortSpec read_port(const Reader& r, const YAML::Node& node, const std::string& where) {
  r.check_keys(
      node, where,
      {"name", "kind", "rx_pcap", "tx_pcap", "iface", "socket", "mode", "queues", "device"});
  PortSpec p;
  p.line = node.Mark().line + 1;
  if (!node["name"]) r.fail(node, where, "missing 'name'");
  p.name = r.text(node["name"], where + ".name");
  if (p.name.empty() || p.name.size() > 32 ||
      !std::all_of(p.name.begin(), p.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      })) {
    r.fail(node["name"], where + ".name", "'" + p.name + "' must be 1-32 of [A-Za-z0-9_-]");
  }
  if (!node["kind"]) r.fail(node, where, "missing 'kind'");
  const std::string kind = r.text(node["kind"], where + ".kind");
  if (kind == "pcap") {
    p.type = PortType::kPcap;
  } else if (kind == "ring") {
    p.type = PortType::kRing;
  } else if (kind == "vhost-user") {
    p.type = PortType::kVhostUser;
  } else if (kind == "pci") {
    p.type = PortType::kPci;
  } else if (kind == "af_packet") {
    p.type = PortType::kAfPacket;
  } else if (kind == "tap") {
    p.type = PortType::kTap;
  } else {
    r.fail(node["kind"], where + ".kind",
           "unknown kind '" + kind + "' (expected pcap, ring, vhost-user, af_packet, tap or pci)");
  }
  if (node["rx_pcap"]) p.rx_pcap = r.path(node["rx_pcap"], where + ".rx_pcap");
  if (node["tx_pcap"]) p.tx_pcap = r.path(node["tx_pcap"], where + ".tx_pcap");
  if (node["iface"]) p.iface = r.text(node["iface"], where + ".iface");
  const bool vhost_keys = node["socket"] || node["mode"] || node["queues"];
  if (vhost_keys && p.type != PortType::kVhostUser) {
    r.fail(node, where, "only vhost-user ports take 'socket', 'mode' or 'queues'");
  }
  if (p.type == PortType::kVhostUser) {
    if (!node["socket"]) r.fail(node, where, "a vhost-user port needs 'socket'");
    p.socket = r.path(node["socket"], where + ".socket");
    const std::string dir = std::filesystem::path(p.socket).parent_path().string();
    if (!std::filesystem::is_directory(dir)) {
      r.fail(node["socket"], where + ".socket", "no such directory: " + dir);
    }
    if (node["mode"]) {
      const std::string mode = r.text(node["mode"], where + ".mode");
      if (mode != "server" && mode != "client") {
        r.fail(node["mode"], where + ".mode", "'" + mode + "' is not server or client");
      }
      p.vhost_client = mode == "client";
    }
    if (node["queues"]) p.queues = r.number(node["queues"], where + ".queues", 1, 8);
  }
  if (node["device"] && p.type != PortType::kPci) {
    r.fail(node, where, "only pci ports take 'device'");
  }
  if (p.type == PortType::kPci) {
    if (!node["device"]) r.fail(node, where, "a pci port needs 'device' (e.g. 0000:03:00.0)");
    p.device = r.text(node["device"], where + ".device");
    unsigned dom, bus, dev, fn;
    char tail;
    if (std::sscanf(p.device.c_str(), "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
      r.fail(node["device"], where + ".device",
             "'" + p.device + "' is not a PCI address (dddd:bb:dd.f)");
    }
  }
  if (p.type == PortType::kAfPacket || p.type == PortType::kTap) {
    if (!node["iface"]) r.fail(node, where, "this port kind needs 'iface'");
    if (p.iface.size() > 15 || p.iface.find_first_of(",=/ ") != std::string::npos) {
      r.fail(node["iface"], where + ".iface", "'" + p.iface + "' is not an interface name");
    }
    if (node["rx_pcap"] || node["tx_pcap"]) {
      r.fail(node, where, "only pcap ports take 'rx_pcap' or 'tx_pcap'");
    }
  } else if (p.type == PortType::kPcap) {
    if (!p.iface.empty() && (!p.rx_pcap.empty() || !p.tx_pcap.empty())) {
      r.fail(node, where, "give either 'iface' or 'rx_pcap'/'tx_pcap', not both");
    }
    if (p.iface.empty() && p.rx_pcap.empty() && p.tx_pcap.empty()) {
      r.fail(node, where, "a pcap port needs 'rx_pcap', 'tx_pcap' or 'iface'");
    }
    if (!p.rx_pcap.empty() && !std::filesystem::exists(p.rx_pcap)) {
      r.fail(node["rx_pcap"], where + ".rx_pcap", "no such file: " + p.rx_pcap);
    }
  } else if (!p.rx_pcap.empty() || !p.tx_pcap.empty() || !p.iface.empty()) {
    r.fail(node, where, "only pcap, af_packet and tap ports take 'rx_pcap', 'tx_pcap' or 'iface'");
  }
  return p;
}

}  // namespace

Config parse_config(const std::string& text, const std::string& origin,
                    const std::string& base_dir) {
  Reader r(origin, base_dir);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  Config c;
  c.path = origin;
  if (!root.IsMap()) r.fail(root, "config", "expected a mapping at the top level");
  r.check_keys(root, "config",
               {"switch", "eal", "ports", "tenants", "trunks", "host", "cross_tenant", "ids",
                "control", "monitor"});
  read_settings(r, root["switch"], c.settings);

  if (const YAML::Node eal = root["eal"]) {
    if (!eal.IsSequence()) r.fail(eal, "eal", "expected a list of EAL arguments");
    for (std::size_t i = 0; i < eal.size(); ++i) c.eal_args.push_back(r.text(eal[i], "eal"));
  }

  const YAML::Node ports = root["ports"];
  if (!ports || !ports.IsSequence() || ports.size() == 0) {
    r.fail(ports ? ports : root, "ports", "expected a non-empty list of ports");
  }
  if (ports.size() > 64) r.fail(ports, "ports", "at most 64 ports");
  std::set<std::string> port_names;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string where = "ports[" + std::to_string(i) + "]";
    PortSpec p = read_port(r, ports[i], where);
    if (!port_names.insert(p.name).second) {
      r.fail(ports[i]["name"], where + ".name", "duplicate port name '" + p.name + "'");
    }
    c.ports.push_back(std::move(p));
  }

  std::set<std::string> bound;  // ports already given to a VM or a trunk
  auto bind = [&](const YAML::Node& node, const std::string& key) {
    const std::string name = r.text(node, key);
    if (!port_names.count(name)) r.fail(node, key, "no port named '" + name + "'");
    if (!bound.insert(name).second) r.fail(node, key, "port '" + name + "' is already bound");
    return name;
  };

  std::set<std::string> tenant_names;
  std::map<uint16_t, std::string> vlans;
  if (const YAML::Node tenants = root["tenants"]) {
    if (!tenants.IsSequence()) r.fail(tenants, "tenants", "expected a list of tenants");
    for (std::size_t i = 0; i < tenants.size(); ++i) {
      const YAML::Node t = tenants[i];
      const std::string where = "tenants[" + std::to_string(i) + "]";
      r.check_keys(t, where, {"name", "vlan", "vms", "groups", "policy"});
      TenantSpec spec;
      if (!t["name"] || !t["vlan"]) r.fail(t, where, "a tenant needs 'name' and 'vlan'");
      spec.name = r.text(t["name"], where + ".name");
      if (spec.name.empty() || !tenant_names.insert(spec.name).second) {
        r.fail(t["name"], where + ".name", "missing or duplicate tenant name '" + spec.name + "'");
      }
      spec.vlan = static_cast<uint16_t>(r.number(t["vlan"], where + ".vlan", 1, 4094));
      if (vlans.count(spec.vlan)) {
        r.fail(
            t["vlan"], where + ".vlan",
            "VLAN " + std::to_string(spec.vlan) + " is already tenant '" + vlans[spec.vlan] + "'");
      }
      vlans[spec.vlan] = spec.name;
      if (const YAML::Node vms = t["vms"]) {
        if (!vms.IsSequence()) r.fail(vms, where + ".vms", "expected a list of VM ports");
        for (std::size_t j = 0; j < vms.size(); ++j) {
          const std::string vw = where + ".vms[" + std::to_string(j) + "]";
          r.check_keys(vms[j], vw,
                       {"port", "mac", "ipv4", "ipv6", "port_security", "allow_dhcp_server",
                        "allow_router_advertisement"});
          if (!vms[j]["port"] || !vms[j]["mac"]) r.fail(vms[j], vw, "a VM needs 'port' and 'mac'");
          VmSpec vm;
          vm.port = bind(vms[j]["port"], vw + ".port");
          vm.mac = r.mac(vms[j]["mac"], vw + ".mac");
          vm.ipv4 = r.addresses<4>(vms[j]["ipv4"], vw + ".ipv4", AF_INET);
          vm.ipv6 = r.addresses<16>(vms[j]["ipv6"], vw + ".ipv6", AF_INET6);
          vm.port_security = r.flag(vms[j]["port_security"], vw + ".port_security", true);
          vm.allow_dhcp_server =
              r.flag(vms[j]["allow_dhcp_server"], vw + ".allow_dhcp_server", false);
          vm.allow_router_advertisement = r.flag(vms[j]["allow_router_advertisement"],
                                                 vw + ".allow_router_advertisement", false);
          spec.vms.push_back(std::move(vm));
        }
      }
      read_tenant_policy(r, t, where, spec);
      c.tenancy.tenants.push_back(std::move(spec));
    }
  }

  if (const YAML::Node host = root["host"]) {
    r.check_keys(host, "host", {"addresses"});
    const YAML::Node addrs = host["addresses"];
    if (addrs && !addrs.IsSequence())
      r.fail(addrs, "host.addresses", "expected a list of addresses");
    for (std::size_t i = 0; addrs && i < addrs.size(); ++i) {
      const std::string s = r.text(addrs[i], "host.addresses");
      std::array<uint8_t, 4> v4;
      std::array<uint8_t, 16> v6;
      if (inet_pton(AF_INET, s.c_str(), v4.data()) == 1) {
        c.tenancy.host_ipv4.push_back(v4);
      } else if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) {
        c.tenancy.host_ipv6.push_back(v6);
      } else {
        r.fail(addrs[i], "host.addresses", "'" + s + "' is not an IPv4 or IPv6 address");
      }
    }
  }

  if (const YAML::Node cross = root["cross_tenant"]) read_cross_tenant(r, cross, c.tenancy);
  if (const YAML::Node ids = root["ids"]) {
    std::vector<std::string> names;
    for (const auto& t : c.tenancy.tenants) names.push_back(t.name);
    read_ids(r, ids, names, c.ids);
  }
  if (const YAML::Node mon = root["monitor"]) read_monitor(r, mon, c.monitor);
  if (const YAML::Node ctl = root["control"]) {
    std::vector<std::string> names;
    for (const auto& t : c.tenancy.tenants) names.push_back(t.name);
    read_control(r, ctl, names, c.control);
  }

  if (const YAML::Node trunks = root["trunks"]) {
    if (!trunks.IsSequence()) r.fail(trunks, "trunks", "expected a list of trunks");
    for (std::size_t i = 0; i < trunks.size(); ++i) {
      const YAML::Node t = trunks[i];
      const std::string where = "trunks[" + std::to_string(i) + "]";
      r.check_keys(t, where, {"port", "native_vlan", "allowed"});
      if (!t["port"]) r.fail(t, where, "a trunk needs 'port'");
      TrunkSpec spec;
      spec.port = bind(t["port"], where + ".port");
      if (const YAML::Node allowed = t["allowed"]) {
        if (!allowed.IsSequence())
          r.fail(allowed, where + ".allowed", "expected a list of tenants");
        for (std::size_t j = 0; j < allowed.size(); ++j) {
          const std::string name = r.text(allowed[j], where + ".allowed");
          if (!tenant_names.count(name))
            r.fail(allowed[j], where + ".allowed", "no tenant '" + name + "'");
          spec.allowed.push_back(name);
        }
      }
      if (t["native_vlan"]) {
        spec.native_vlan =
            static_cast<uint16_t>(r.number(t["native_vlan"], where + ".native_vlan", 1, 4094));
        const auto it = vlans.find(spec.native_vlan);
        const bool carried =
            it != vlans.end() && (spec.allowed.empty() ||
                                  std::count(spec.allowed.begin(), spec.allowed.end(), it->second));
        if (!carried) {
          r.fail(
              t["native_vlan"], where + ".native_vlan",
              "VLAN " + std::to_string(spec.native_vlan) + " is not a tenant this trunk carries");
        }
      }
      c.tenancy.trunks.push_back(std::move(spec));
    }
  }
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::stringstream text;
  text << in.rdbuf();
  const std::string dir = std::filesystem::absolute(path).parent_path().string();
  return parse_config(text.str(), path, dir);
}

}  // namespace vigil
