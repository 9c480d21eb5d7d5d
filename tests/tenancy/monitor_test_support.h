// Synthetic level-1 samples for the monitors' tests: a VM's ordinary traffic around a profile
// (scaled, e.g. by a diurnal sine) as Poisson packet counts and distinct peers that are a working
// set give or take one; the attacks are added on top by each test. Plus a compact one-line form
// of events to compare.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tenancy/monitor_types.h"
#include "tenancy/monitors.h"

namespace vigil::test {

// A VM's ordinary traffic per second (distinct counts per interval).
struct Profile {
  double out_pps = 60, bytes_per_packet = 400, out_syn = 3, dst_ips = 6, dst_ports = 4, inner = 2,
         in_pps = 80, in_syn = 2, src_ips = 5;
};

class TrafficGen {
 public:
  explicit TrafficGen(uint32_t seed) : rng_(seed) {}

  // One second of ordinary traffic, every rate multiplied by `scale`. All SYNs are answered.
  VmSample normal(uint16_t port, const Profile& p, double scale = 1.0) {
    VmSample s;
    s.port = port;
    s.seconds = 1;
    s.out_packets = poisson(p.out_pps * scale);
    s.out_bytes = s.out_packets * static_cast<uint64_t>(p.bytes_per_packet);
    s.out_syn = std::min(s.out_packets, poisson(p.out_syn * scale));
    s.in_synack = s.out_syn;
    s.distinct_dst_ips = peers(p.dst_ips * scale);
    s.distinct_dst_ports = peers(p.dst_ports * scale);
    s.distinct_inner_dsts = peers(p.inner * scale);
    s.in_packets = poisson(p.in_pps * scale) + s.in_synack;
    s.in_bytes = s.in_packets * static_cast<uint64_t>(p.bytes_per_packet);
    s.in_syn = poisson(p.in_syn * scale);
    s.distinct_src_ips = peers(p.src_ips * scale);
    s.rx_ring_size = 256;
    s.rx_ring_used = static_cast<uint32_t>(poisson(4));
    return s;
  }

 private:
  // Distinct peers: a working set that follows the load, give or take one.
  double peers(double mean) {
    const double jitter = static_cast<double>(std::uniform_int_distribution<int>(-1, 1)(rng_));
    return std::max(0.0, std::round(mean) + jitter);
  }
  uint64_t poisson(double mean) {
    if (mean <= 0) return 0;
    return std::poisson_distribution<uint64_t>(mean)(rng_);
  }
  std::mt19937_64 rng_;
};

// "verdict a attacker horizontal_scan,failed_connections [rate_limit]".
inline std::string brief(const MonitorEvent& e) {
  std::string s = std::string(monitor_event_name(e.type)) + " " + e.vm;
  if (e.verdict != Verdict::kNone) s += std::string(" ") + verdict_name(e.verdict);
  for (std::size_t i = 0; i < e.detections.size(); ++i) {
    s += i == 0 ? " " : ",";
    s += detection_name(e.detections[i]);
  }
  if (!e.actions.empty()) {
    s += " [";
    for (std::size_t i = 0; i < e.actions.size(); ++i) {
      if (i > 0) s += ",";
      s += e.actions[i];
    }
    s += "]";
  }
  return s;
}

inline std::vector<std::string> briefs(const std::vector<MonitorEvent>& events) {
  std::vector<std::string> out;
  for (const MonitorEvent& e : events) out.push_back(brief(e));
  return out;
}

// Everything an event holds, for determinism checks.
inline std::string full(const MonitorEvent& e) {
  std::string s = std::to_string(e.time_us) + " " + std::to_string(e.port) + " " + brief(e);
  for (const Evidence& x : e.evidence) {
    s += " " + x.metric + "=" + std::to_string(x.value) + "/" + std::to_string(x.baseline_mean) +
         "/" + std::to_string(x.threshold);
  }
  for (const std::string& d : e.details) s += " | " + d;
  return s;
}

inline IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress x;
  x.family = 4;
  x.bytes[0] = a;
  x.bytes[1] = b;
  x.bytes[2] = c;
  x.bytes[3] = d;
  return x;
}

inline DetailRecord record(uint16_t port, bool inbound, IpAddress src, IpAddress dst, uint8_t proto,
                           uint16_t dport) {
  DetailRecord r;
  r.port = port;
  r.inbound = inbound;
  r.family = src.family;
  r.proto = proto;
  r.src = src.bytes;
  r.dst = dst.bytes;
  r.sport = 40000;
  r.dport = dport;
  r.tcp_flags = proto == 6 ? 0x02 : 0;
  return r;
}

}  // namespace vigil::test
