#include "control/stats_report.h"

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>

namespace vigil {
namespace {

std::string format_mac(uint64_t mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(mac >> 40 & 0xff),
                unsigned(mac >> 32 & 0xff), unsigned(mac >> 24 & 0xff), unsigned(mac >> 16 & 0xff),
                unsigned(mac >> 8 & 0xff), unsigned(mac & 0xff));
  return buf;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

struct Learned {
  std::string mac;
  uint16_t port;
};

// Learned entries per tenant, sorted by MAC so the output is stable.
std::vector<std::vector<Learned>> learned_by_tenant(const StatsView& v) {
  std::vector<std::map<uint64_t, uint16_t>> sorted(v.tenancy.tenant_count());
  v.macs.for_each(v.now_us, [&](uint16_t tenant, uint64_t mac, uint16_t port) {
    if (tenant < sorted.size()) sorted[tenant][mac] = port;
  });
  std::vector<std::vector<Learned>> out(sorted.size());
  for (std::size_t t = 0; t < sorted.size(); ++t) {
    for (const auto& [mac, port] : sorted[t]) out[t].push_back(Learned{format_mac(mac), port});
  }
  return out;
}

uint64_t load(const uint64_t& v) {
  return __atomic_load_n(&v, __ATOMIC_RELAXED);
}

}  // namespace

std::unique_ptr<WorkerCounters> sum_counters(const std::vector<const WorkerCounters*>& workers) {
  auto sum = std::make_unique<WorkerCounters>();
  for (const WorkerCounters* w : workers) {
    sum->received += load(w->received);
    sum->forwarded += load(w->forwarded);
    sum->dropped += load(w->dropped);
    sum->fw_logged += load(w->fw_logged);
    sum->fw_related += load(w->fw_related);
    for (size_t r = 0; r < kDropReasonCount; ++r) sum->drops[r] += load(w->drops[r]);
    for (size_t p = 0; p < kMaxPorts; ++p) {
      PortCounters& s = sum->ports[p];
      const PortCounters& c = w->ports[p];
      s.rx_packets += load(c.rx_packets);
      s.rx_bytes += load(c.rx_bytes);
      s.tx_packets += load(c.tx_packets);
      s.tx_bytes += load(c.tx_bytes);
      s.tx_dropped += load(c.tx_dropped);
      for (size_t r = 0; r < kDropReasonCount; ++r) {
        sum->port_drops[p][r] += load(w->port_drops[p][r]);
      }
    }
  }
  return sum;
}

bool write_stats_file(const std::string& path, const StatsView& view) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    write_stats_json(out, view);
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

void print_stats(std::ostream& out, const StatsView& v) {
  const WorkerCounters& c = v.counters;
  out << "vigil: " << c.received << " frames received, " << c.forwarded << " forwarded, "
      << c.dropped << " dropped\n\n";
  out << std::left << std::setw(16) << "port" << std::right << std::setw(12) << "rx pkts"
      << std::setw(14) << "rx bytes" << std::setw(12) << "tx pkts" << std::setw(14) << "tx bytes"
      << std::setw(12) << "tx dropped" << std::setw(7) << "link"
      << "\n";
  for (std::size_t p = 0; p < v.port_names.size(); ++p) {
    const PortCounters& pc = c.ports[p];
    out << std::left << std::setw(16) << v.port_names[p] << std::right << std::setw(12)
        << pc.rx_packets << std::setw(14) << pc.rx_bytes << std::setw(12) << pc.tx_packets
        << std::setw(14) << pc.tx_bytes << std::setw(12) << pc.tx_dropped << std::setw(7)
        << (v.status[p].link_up ? "up" : "down") << "\n";
  }
  out << "\ndrops by reason:\n";
  bool any = false;
  for (std::size_t r = 1; r < kDropReasonCount; ++r) {
    if (c.drops[r] == 0) continue;
    any = true;
    out << "  " << std::left << std::setw(26) << kDropReasonNames[r] << std::right << std::setw(10)
        << c.drops[r] << "  " << kDropReasonHelp[r] << "\n";
  }
  if (!any) out << "  (none)\n";

  if (v.conns != nullptr) {
    const ConnTableStats cs = v.conns->stats();
    out << "\nfirewall: " << v.conns->count() << " connections tracked (" << cs.created
        << " created, " << cs.expired << " expired), " << c.fw_logged << " logged, " << c.fw_related
        << " related ICMP errors passed\n";
  }
  if (v.ids != nullptr) print_ids_stats(out, *v.ids);
  const MacTableStats ms = v.macs.stats();
  out << "\nlearned MAC addresses (" << ms.learned << " learned, " << ms.moves << " moves, "
      << ms.aged << " aged, " << ms.table_full << " refused: table full):\n";
  const auto learned = learned_by_tenant(v);
  for (std::size_t t = 0; t < learned.size(); ++t) {
    if (v.tenancy.tenant_name(t).empty()) continue;  // a removed tenant's slot
    out << "  tenant " << v.tenancy.tenant_name(t) << " (VLAN " << v.tenancy.vlan(t) << ")\n";
    if (learned[t].empty()) out << "    (none)\n";
    for (const Learned& l : learned[t]) {
      out << "    " << l.mac << "  on " << v.port_names[l.port] << "\n";
    }
  }
}

void write_stats_json(std::ostream& out, const StatsView& v) {
  const WorkerCounters& c = v.counters;
  out << "{\n  \"workers\": " << v.workers << ",\n  \"totals\": {\"received\": " << c.received
      << ", \"forwarded\": " << c.forwarded << ", \"dropped\": " << c.dropped
      << "},\n  \"drops\": {";
  for (std::size_t r = 1; r < kDropReasonCount; ++r) {
    out << (r > 1 ? ", " : "") << "\"" << kDropReasonNames[r] << "\": " << c.drops[r];
  }
  out << "},\n  \"ports\": {";
  for (std::size_t p = 0; p < v.port_names.size(); ++p) {
    const PortCounters& pc = c.ports[p];
    // Port names are validated to [A-Za-z0-9_-]: no JSON escaping needed.
    out << (p ? "," : "") << "\n    \"" << v.port_names[p]
        << "\": {\"rx_packets\": " << pc.rx_packets << ", \"rx_bytes\": " << pc.rx_bytes
        << ", \"tx_packets\": " << pc.tx_packets << ", \"tx_bytes\": " << pc.tx_bytes
        << ", \"tx_dropped\": " << pc.tx_dropped << ", \"link\": \""
        << (v.status[p].link_up ? "up" : "down") << "\", \"rx_queue_used\": ";
    if (v.status[p].rx_queue_used < 0) {
      out << "null";
    } else {
      out << v.status[p].rx_queue_used;
    }
    out << ", \"drops\": {";
    bool first = true;
    for (std::size_t r = 1; r < kDropReasonCount; ++r) {
      if (c.port_drops[p][r] == 0) continue;
      out << (first ? "" : ", ") << "\"" << kDropReasonNames[r] << "\": " << c.port_drops[p][r];
      first = false;
    }
    out << "}}";
  }
  const MacTableStats ms = v.macs.stats();
  out << "\n  },\n  \"learning\": {\"learned\": " << ms.learned << ", \"moves\": " << ms.moves
      << ", \"table_full\": " << ms.table_full << ", \"aged\": " << ms.aged
      << "},\n  \"bridge\": {";
  const auto learned = learned_by_tenant(v);
  bool first_tenant = true;
  for (std::size_t t = 0; t < learned.size(); ++t) {
    if (v.tenancy.tenant_name(t).empty()) continue;  // a removed tenant's slot
    out << (first_tenant ? "" : ",") << "\n    \"" << json_escape(v.tenancy.tenant_name(t))
        << "\": [";
    for (std::size_t i = 0; i < learned[t].size(); ++i) {
      out << (i ? ", " : "") << "{\"mac\": \"" << learned[t][i].mac << "\", \"port\": \""
          << v.port_names[learned[t][i].port] << "\"}";
    }
    out << "]";
    first_tenant = false;
  }
  out << "\n  }";
  if (v.conns != nullptr) {
    const ConnTableStats cs = v.conns->stats();
    out << ",\n  \"firewall\": {\"connections\": " << v.conns->count()
        << ", \"created\": " << cs.created << ", \"expired\": " << cs.expired
        << ", \"logged\": " << c.fw_logged << ", \"related\": " << c.fw_related
        << ", \"refused_vm_limit\": " << cs.vm_connection_limit
        << ", \"refused_vm_rate\": " << cs.vm_rate_limit
        << ", \"refused_table_full\": " << cs.table_full << "}";
  }
  if (v.ids != nullptr) {
    out << ",\n  \"ids\": ";
    write_ids_json(out, *v.ids);
  }
  out << "\n}\n";
}

}  // namespace vigil
