// A small host for the monitors' scenario tests: VMs a, b, c (tenant blue) and d (tenant red)
// on ports 1-4 with ordinary noisy traffic, a clock of one-second ticks, and the attacks the
// tests add to a tick's samples.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tenancy/monitors.h"
#include "tests/tenancy/monitor_test_support.h"

namespace vigil::test {

inline MonitorSettings scenario_settings() {
  MonitorSettings s;
  s.enabled = true;
  s.warmup_intervals = 30;
  s.cooldown_s = 10;
  return s;
}

inline std::vector<MonitoredVm> scenario_vms() {
  return {{1, "a", "blue", {v4(10, 0, 0, 1)}},
          {2, "b", "blue", {v4(10, 0, 0, 2)}},
          {3, "c", "blue", {v4(10, 0, 0, 3)}},
          {4, "d", "red", {v4(10, 1, 0, 4)}}};
}

inline VmSample& at(std::vector<VmSample>& samples, uint16_t port) {
  for (VmSample& s : samples) {
    if (s.port == port) return s;
  }
  throw std::out_of_range("no sample for port " + std::to_string(port));
}

// Attacks, added on top of a VM's ordinary sample.
inline void horizontal_scan(VmSample& a, uint64_t targets = 50) {
  a.out_syn += targets;  // one SYN to port 22 of each, unanswered
  a.out_packets += targets;
  a.out_bytes += targets * 60;
  a.distinct_dst_ips = static_cast<double>(targets);
  a.distinct_dst_ports += 1;
}

// `from` floods `to` (both VMs of the host) with SYNs to one port; `to` answers every one.
inline void syn_flood(VmSample& from, VmSample& to, uint64_t n) {
  from.out_syn += n;
  from.out_packets += n;
  from.out_bytes += n * 60;
  from.distinct_dst_ips += 1;
  from.distinct_dst_ports += 1;
  from.distinct_inner_dsts += 1;
  from.in_synack += n;
  from.in_packets += n;
  to.in_syn += n;
  to.in_packets += n;
  to.distinct_src_ips += 1;
  to.out_packets += n;                              // SYN-ACKs ...
  to.distinct_dst_ips += 1;                         // ... to the flooder
  to.distinct_dst_ports += static_cast<double>(n);  // ... at its random source ports
}

class Scenario {
 public:
  explicit Scenario(MonitorSettings s = scenario_settings(), uint32_t seed = 11)
      : gen_(seed), mon_(std::make_unique<Monitors>(std::move(s), scenario_vms())) {}

  Monitors& mon() { return *mon_; }
  const std::vector<MonitorEvent>& last() const { return last_; }
  uint64_t now() const { return now_; }

  std::vector<VmSample> normal(double scale = 1.0) {
    std::vector<VmSample> out;
    for (uint16_t port = 1; port <= 4; ++port) {
      out.push_back(gen_.normal(port, profiles_[port - 1], scale));
    }
    return out;
  }
  void set_profile(uint16_t port, const Profile& p) { profiles_[port - 1] = p; }

  std::vector<std::string> tick(const std::vector<VmSample>& samples,
                                const std::vector<DetailRecord>& details = {}) {
    now_ += 1'000'000;
    last_ = mon_->tick(now_, samples, details);
    return briefs(last_);
  }
  std::vector<std::string> tick() { return tick(normal()); }

  // n ordinary intervals; they must raise nothing.
  void warm_up(int n = 40) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(tick(), std::vector<std::string>{}) << "interval " << i;
  }

 private:
  TrafficGen gen_;
  Profile profiles_[4];
  std::unique_ptr<Monitors> mon_;
  uint64_t now_ = 0;
  std::vector<MonitorEvent> last_;
};

using Events = std::vector<std::string>;

}  // namespace vigil::test
