// Human-readable rendering of vigilctl results: a table per list-shaped result, a few
// confirmations for results that are empty, and a generic "key: value" form for the rest.
// Unexpected shapes never fail: they fall back to the generic form.
#include "control/cli_render.h"

#include <algorithm>
#include <map>

namespace vigil::control::cli {
namespace {

std::string text_of(const Json& obj, const char* key) {
  if (!obj.is_object()) return "-";
  const auto it = obj.find(key);
  return it == obj.end() ? "-" : cell(*it);
}

// The first of `keys` present in `obj` (rules may say dst_port or dport).
std::string first_of(const Json& obj, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (obj.is_object() && obj.contains(k)) return cell(obj[k]);
  }
  return "-";
}

bool is_list_of_objects(const Json& v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); });
}

void render_object(const Json& obj, std::ostream& out, const std::string& indent);

// A list of objects: one column per key, in order of first appearance.
void render_list(const Json& list, std::ostream& out, const std::string& indent) {
  std::vector<std::string> keys;
  for (const auto& item : list) {
    for (const auto& [k, v] : item.items()) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  std::vector<std::string> headers;
  std::vector<bool> numeric;
  for (const auto& k : keys) {
    std::string h = k;
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::toupper(c); });
    headers.push_back(h);
    numeric.push_back(std::all_of(list.begin(), list.end(), [&](const Json& item) {
      return !item.contains(k) || item[k].is_number();
    }));
  }
  Table t(headers, numeric);
  for (const auto& item : list) {
    std::vector<std::string> row;
    for (const auto& k : keys) row.push_back(text_of(item, k.c_str()));
    t.add(row);
  }
  t.print(out, indent);
}

// Keys in the order people read them (JSON objects come sorted by name): who, then what, then
// counters; keys not listed follow in name order.
const std::vector<std::string>& key_order() {
  static const std::vector<std::string> order = {"uid",
                                                 "gid",
                                                 "pid",
                                                 "role",
                                                 "tenant",
                                                 "name",
                                                 "vlan",
                                                 "vms",
                                                 "policy",
                                                 "port",
                                                 "mac",
                                                 "ipv4",
                                                 "ipv6",
                                                 "port_security",
                                                 "allow_dhcp_server",
                                                 "allow_router_advertisement",
                                                 "file",
                                                 "packets",
                                                 "dropped",
                                                 "version",
                                                 "uptime_s",
                                                 "workers",
                                                 "config",
                                                 "ports",
                                                 "tenants",
                                                 "ids"};
  return order;
}

std::vector<std::string> ordered_keys(const Json& obj) {
  std::vector<std::string> keys;
  for (const auto& k : key_order()) {
    if (obj.contains(k)) keys.push_back(k);
  }
  for (const auto& [k, v] : obj.items()) {
    if (std::find(key_order().begin(), key_order().end(), k) == key_order().end()) {
      keys.push_back(k);
    }
  }
  return keys;
}

void render_object(const Json& obj, std::ostream& out, const std::string& indent) {
  for (const std::string& k : ordered_keys(obj)) {
    const Json& v = obj[k];
    if (v.is_object() && !v.empty()) {
      out << indent << k << ":\n";
      render_object(v, out, indent + "  ");
    } else if (is_list_of_objects(v)) {
      out << indent << k << ":\n";
      render_list(v, out, indent + "  ");
    } else {
      out << indent << k << ": " << cell(v) << "\n";
    }
  }
}

void render_tenants(const Json& list, std::ostream& out) {
  if (list.empty()) {
    out << "no tenants\n";
    return;
  }
  Table t({"NAME", "VLAN", "VMS", "POLICY"}, {false, true, false, false});
  for (const auto& ten : list) {
    t.add(
        {text_of(ten, "name"), text_of(ten, "vlan"), text_of(ten, "vms"), text_of(ten, "policy")});
  }
  t.print(out);
}

void render_vms(const Json& list, std::ostream& out) {
  if (list.empty()) {
    out << "no VMs\n";
    return;
  }
  Table t({"TENANT", "PORT", "MAC", "IPV4", "IPV6", "PORT_SECURITY", "DHCP_SERVER", "ROUTER_ADV"});
  for (const auto& vm : list) {
    t.add({text_of(vm, "tenant"), text_of(vm, "port"), text_of(vm, "mac"), text_of(vm, "ipv4"),
           text_of(vm, "ipv6"), text_of(vm, "port_security"), text_of(vm, "allow_dhcp_server"),
           text_of(vm, "allow_router_advertisement")});
  }
  t.print(out);
}

void render_policy(const Json& args, const Json& policy, std::ostream& out) {
  const std::string tenant =
      args.is_object() && args.contains("tenant") ? cell(args["tenant"]) : "";
  if (policy.contains("present") && policy["present"] == false) {
    out << "tenant " << tenant << ": no policy (its traffic is not filtered)\n";
    return;
  }
  if (!tenant.empty()) out << "tenant: " << tenant << "\n";
  out << "default: " << (policy.contains("default") ? cell(policy["default"]) : "allow") << "\n";
  const Json groups = policy.value("groups", Json::object());
  if (groups.is_object() && !groups.empty()) {
    out << "groups:\n";
    for (const auto& [name, members] : groups.items()) {
      out << "  " << name << ": " << cell(members) << "\n";
    }
  }
  const Json rules = policy.value("rules", Json::array());
  if (!rules.is_array() || rules.empty()) {
    out << "rules: none\n";
    return;
  }
  out << "rules:\n";
  Table t({"#", "PRIORITY", "SRC", "DST", "PROTO", "SRC_PORT", "DST_PORT", "ICMP", "ACTION"},
          {true, true});
  size_t index = 0;
  for (const auto& r : rules) {
    std::string icmp = first_of(r, {"icmp_type"});
    if (r.is_object() && r.contains("icmp_code")) icmp.append("/").append(cell(r["icmp_code"]));
    t.add({std::to_string(index++), first_of(r, {"priority"}), first_of(r, {"src"}),
           first_of(r, {"dst"}), first_of(r, {"proto"}), first_of(r, {"src_port", "sport"}),
           first_of(r, {"dst_port", "dport"}), icmp, first_of(r, {"action"})});
  }
  t.print(out, "  ");
}

unsigned long long sum_counts(const Json& v) {
  if (v.is_number_unsigned()) return v.get<unsigned long long>();
  if (v.is_number_integer())
    return static_cast<unsigned long long>(std::max<long long>(0, v.get<long long>()));
  unsigned long long total = 0;
  if (v.is_object()) {
    for (const auto& [k, n] : v.items()) total += sum_counts(n);
  }
  return total;
}

void render_ports(const Json& ports, std::ostream& out) {
  Table t({"PORT", "LINK", "RX_PACKETS", "RX_BYTES", "TX_PACKETS", "TX_BYTES", "DROPS"},
          {false, false, true, true, true, true, true});
  for (const auto& [name, p] : ports.items()) {
    t.add({name, text_of(p, "link"), text_of(p, "rx_packets"), text_of(p, "rx_bytes"),
           text_of(p, "tx_packets"), text_of(p, "tx_bytes"),
           p.is_object() && p.contains("drops") ? std::to_string(sum_counts(p["drops"])) : "-"});
  }
  if (t.rows() == 0) {
    out << "no ports\n";
    return;
  }
  t.print(out);
}

void render_drops(const Json& drops, std::ostream& out) {
  std::vector<std::pair<std::string, unsigned long long>> rows;
  for (const auto& [reason, n] : drops.items()) {
    if (!n.is_number()) return render_value(drops, out);
    if (sum_counts(n) != 0) rows.emplace_back(reason, sum_counts(n));
  }
  if (rows.empty()) {
    out << "no drops\n";
    return;
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  Table t({"REASON", "PACKETS"}, {false, true});
  for (const auto& [reason, n] : rows) t.add({reason, std::to_string(n)});
  t.print(out);
}

void render_rows(const Json& list, std::ostream& out, const char* none,
                 const std::vector<std::string>& headers, const std::vector<const char*>& keys,
                 const std::vector<bool>& numeric) {
  if (list.empty()) {
    out << none << "\n";
    return;
  }
  Table t(headers, numeric);
  for (const auto& item : list) {
    std::vector<std::string> row;
    for (const char* k : keys) row.push_back(text_of(item, k));
    t.add(row);
  }
  t.print(out);
}

}  // namespace

Table::Table(std::vector<std::string> headers, std::vector<bool> numeric)
    : headers_(std::move(headers)), numeric_(std::move(numeric)) {
  numeric_.resize(headers_.size(), false);
}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out, const std::string& indent) const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& r : rows_) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text = indent;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      const bool last = c + 1 == cells.size();
      if (numeric_[c]) {
        text += pad + cells[c];
      } else {
        text += cells[c];
        if (!last) text += pad;
      }
      if (!last) text += "  ";
    }
    out << text << "\n";
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

std::string cell(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_null()) return "-";
  if (value.is_array() &&
      std::all_of(value.begin(), value.end(), [](const Json& e) { return e.is_primitive(); })) {
    if (value.empty()) return "-";
    std::string out;
    for (const auto& e : value) {
      if (!out.empty()) out += ", ";
      out += cell(e);
    }
    return out;
  }
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void render_value(const Json& value, std::ostream& out) {
  if (value.is_object()) {
    render_object(value, out, "");
  } else if (is_list_of_objects(value)) {
    render_list(value, out, "");
  } else if (value.is_array() && value.empty()) {
    out << "none\n";
  } else {
    out << cell(value) << "\n";
  }
}

void render(const std::string& command, const Json& args, const Json& result, std::ostream& out) {
  const auto arg = [&](const char* key) { return text_of(args, key); };
  if (command == "tenant.list" && result.is_array()) return render_tenants(result, out);
  if (command == "vm.list" && result.is_array()) return render_vms(result, out);
  if (command.rfind("policy.", 0) == 0 && command != "policy.clear" && result.is_object()) {
    return render_policy(args, result, out);
  }
  if (command == "stats.ports" && result.is_object()) return render_ports(result, out);
  if (command == "stats.drops" && result.is_object()) return render_drops(result, out);
  if (command == "stats.flows" && result.is_array()) {
    return render_rows(
        result, out, "no tracked connections",
        {"TENANT", "PROTO", "SRC", "SPORT", "DST", "DPORT", "PACKETS", "BYTES", "STATE"},
        {"tenant", "proto", "src", "sport", "dst", "dport", "packets", "bytes", "state"},
        {false, false, false, true, false, true, true, true, false});
  }
  if (command == "capture.list" && result.is_array()) {
    return render_rows(result, out, "no captures", {"PORT", "FILE", "PACKETS", "DROPPED"},
                       {"port", "file", "packets", "dropped"}, {false, false, true, true});
  }
  if (command == "vm.export") {
    out << result.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return;
  }
  if (result.is_object() && result.empty()) {
    if (command == "tenant.remove") out << "removed tenant " << arg("name") << "\n";
    if (command == "vm.remove") out << "removed the VM of port " << arg("port") << "\n";
    if (command == "policy.clear") {
      out << "cleared the policy of tenant " << arg("tenant") << " (not filtered)\n";
    }
    return;
  }
  render_value(result, out);
}

}  // namespace vigil::control::cli
