// VSEM: level-1 metrics and escalation, level-2 per-peer aggregation (see vsem.h).
#include "tenancy/vsem.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace vigil {
namespace {

constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpv6 = 58;

std::string service(uint8_t proto, uint16_t port, bool inbound) {
  if (proto == kTcp || proto == kUdp) {
    const std::string p = std::to_string(port) + (proto == kTcp ? "/tcp" : "/udp");
    return inbound ? " to port " + p : ":" + p;
  }
  if (proto == kIcmp) return " icmp";
  if (proto == kIcmpv6) return " icmpv6";
  if (proto == 0) return " other";  // ARP, fragments
  return " proto " + std::to_string(proto);
}

std::string owner_label(const IpAddress& a, const AddressBook& book, const std::string& tenant) {
  const auto it = book.vms.find(a);
  if (it != book.vms.end()) {
    const std::string who = "vm " + it->second.vm + ", ";
    if (it->second.tenant == tenant) return who + "same tenant";
    return who + "tenant " + it->second.tenant;
  }
  if (std::find(book.host.begin(), book.host.end(), a) != book.host.end()) return "host";
  return "off host";
}

}  // namespace

std::string format_address(const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.family == 6) {
    inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
    return buf;
  }
  inet_ntop(AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

bool parse_address(const std::string& text, IpAddress* out) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
  } else {
    return false;
  }
  *out = a;
  return true;
}

MetricValues compute_metrics(const VmSample& s) {
  const double sec = s.seconds > 0 ? s.seconds : 1;
  const auto rate = [sec](double x) { return x / sec; };
  // Attempts not answered by a SYN-ACK, plus refusals (RST) and ICMP unreachables.
  const uint64_t unanswered = s.out_syn > s.in_synack ? s.out_syn - s.in_synack : 0;
  MetricValues v{};
  v[idx(Metric::kOutPps)] = rate(static_cast<double>(s.out_packets));
  v[idx(Metric::kOutBps)] = rate(static_cast<double>(s.out_bytes) * 8);
  v[idx(Metric::kOutSynPerS)] = rate(static_cast<double>(s.out_syn));
  v[idx(Metric::kFailedPerS)] = rate(static_cast<double>(unanswered + s.in_rst + s.in_unreachable));
  v[idx(Metric::kDistinctDstIps)] = s.distinct_dst_ips;
  v[idx(Metric::kDistinctDstPorts)] = s.distinct_dst_ports;
  v[idx(Metric::kDistinctInnerDsts)] = s.distinct_inner_dsts;
  v[idx(Metric::kHostAccess)] = static_cast<double>(s.host_access);
  v[idx(Metric::kSpoofed)] = static_cast<double>(s.spoofed);
  v[idx(Metric::kInPps)] = rate(static_cast<double>(s.in_packets));
  v[idx(Metric::kInSynPerS)] = rate(static_cast<double>(s.in_syn));
  v[idx(Metric::kDistinctSrcIps)] = s.distinct_src_ips;
  return v;
}

std::vector<Evidence> evidence_of(const MetricValues& v, const Judgement& j, const Baseline& b) {
  std::vector<Evidence> out;
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    if (!j.anomalous[i]) continue;
    const Metric m = static_cast<Metric>(i);
    out.push_back({metric_name(m), v[i], b.metric(m).mean(), j.threshold[i]});
  }
  return out;
}

void DetailAggregate::add(const DetailRecord& r) {
  if (r.family != 4 && r.family != 6) return;  // not IP: nothing to name
  Key k;
  k.addr.family = r.family;
  const std::size_t n = r.family == 4 ? 4 : 16;
  std::memcpy(k.addr.bytes.data(), (r.inbound ? r.src : r.dst).data(), n);
  k.proto = r.proto;
  k.port = (r.proto == kTcp || r.proto == kUdp) ? r.dport : 0;
  ++records_;
  std::map<Key, uint64_t>& m = r.inbound ? in_ : out_;
  const auto it = m.find(k);
  if (it != m.end()) {
    ++it->second;
  } else if (m.size() < kMaxPeers) {
    m.emplace(k, 1);
  } else {
    ++others_[r.inbound];
  }
}

void DetailAggregate::clear() {
  out_.clear();
  in_.clear();
  records_ = 0;
  others_[0] = others_[1] = 0;
}

std::vector<std::string> DetailAggregate::top(bool inbound, std::size_t n, const AddressBook& book,
                                              const std::string& tenant) const {
  const std::map<Key, uint64_t>& m = inbound ? in_ : out_;
  std::vector<std::pair<const Key*, uint64_t>> order;
  order.reserve(m.size());
  for (const auto& [k, c] : m) order.emplace_back(&k, c);
  // Stable: equal counts stay in key order, so the output is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < order.size() && i < n; ++i) {
    const Key& k = *order[i].first;
    std::string addr = format_address(k.addr);
    if (!inbound && k.addr.family == 6 && (k.proto == kTcp || k.proto == kUdp)) {
      addr = "[" + addr + "]";
    }
    std::string line = inbound ? "from " + addr : addr;
    line += service(k.proto, k.port, inbound);
    line += " x" + std::to_string(order[i].second);
    line += " (" + owner_label(k.addr, book, tenant) + ")";
    out.push_back(std::move(line));
  }
  if (others_[inbound] > 0 && out.size() < n + 1) {
    out.push_back(std::to_string(others_[inbound]) + " more records beyond " +
                  std::to_string(kMaxPeers) + " peers");
  }
  return out;
}

VsemReport vsem_observe(VsemState& st, const VmSample& s, const MonitorSettings& settings,
                        const MonitorTuning& tuning) {
  VsemReport r;
  r.values = compute_metrics(s);
  r.judgement = st.baseline.judge(r.values, settings, tuning);
  if (!r.judgement.any()) st.baseline.learn(r.values, settings);
  if (st.level == 1 && r.judgement.any()) {
    st.level = 2;
    ++st.escalations;
    r.escalated = true;
  }
  st.last = r.values;
  st.last_judgement = r.judgement;
  return r;
}

}  // namespace vigil
