// A VM's history as the monitors see it: the level-1 metrics VSEM computes every interval, an
// exponentially weighted mean and variance per metric (the baseline), and the judgement of one
// interval against it (anomalous: above mean + margin * stddev, above min_ratio * mean and above
// an absolute floor).
// Pure arithmetic, no DPDK; persisted by monitor_state.h.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>

#include "tenancy/monitor_types.h"

namespace vigil {

// The level-1 metrics, in the order evidence lists them. Rates are per second; distinct counts
// are per interval (HyperLogLog estimates do not scale with time); host_access and spoofed are
// frame counts of the interval (violations: any frame counts).
#define VIGIL_METRICS(X)                                  \
  X(kOutPps, "out_pps", 200, true)                        \
  X(kOutBps, "out_bps", 10e6, true) /* bits per second */ \
  X(kOutSynPerS, "out_syn_per_s", 20, true)               \
  X(kFailedPerS, "failed_per_s", 10, true)                \
  X(kDistinctDstIps, "distinct_dst_ips", 20, true)        \
  X(kDistinctDstPorts, "distinct_dst_ports", 20, true)    \
  X(kDistinctInnerDsts, "distinct_inner_dsts", 5, true)   \
  X(kHostAccess, "host_access", 0, true)                  \
  X(kSpoofed, "spoofed", 0, true)                         \
  X(kInPps, "in_pps", 500, false)                         \
  X(kInSynPerS, "in_syn_per_s", 50, false)                \
  X(kDistinctSrcIps, "distinct_src_ips", 50, false)

enum class Metric : uint8_t {
#define VIGIL_METRIC_ENUM(id, name, floor, outbound) id,
  VIGIL_METRICS(VIGIL_METRIC_ENUM)
#undef VIGIL_METRIC_ENUM
      kCount
};
constexpr std::size_t kMetricCount = static_cast<std::size_t>(Metric::kCount);

const char* metric_name(Metric m);
bool parse_metric(const std::string& name, Metric* out);
// The absolute floor when settings.floors does not name the metric (the table above).
double default_floor(Metric m);
double floor_of(const MonitorSettings& s, Metric m);
// Outbound metrics describe what the VM sends (attacker evidence); the others what it receives.
bool is_outbound(Metric m);
// host_access and spoofed: anomalous from the first frame, warm-up or not.
bool is_violation(Metric m);

// Decision constants that are not (yet) config settings (used by VSEM, HSEM and HREM); these
// are their defaults.
struct MonitorTuning {
  // Anomalous also means this many times the baseline mean: margin * stddev alone flags the
  // tail of ordinary noise once in a few thousand intervals on a busy metric.
  double min_ratio = 2;
  // A SYN flood sends this many attempts (or more) per destination it may have tried (distinct
  // addresses x distinct ports) in an interval; fewer, across many destinations, is a scan.
  double syn_per_endpoint = 3;
  // VREM: the rx ring is near capacity above this occupancy ...
  double ring_full = 0.8;
  // ... and HREM reports overflow after this many such intervals in a row, each with an
  // outbound packet rate above the VM's baseline (its threshold without the floor).
  uint32_t overflow_intervals = 10;
  // Level-2 details listed in events.
  std::size_t top_details = 5;
};

using MetricValues = std::array<double, kMetricCount>;
using MetricSet = std::bitset<kMetricCount>;

inline std::size_t idx(Metric m) {
  return static_cast<std::size_t>(m);
}

// EWMA of mean and variance (Finch, "Incremental calculation of weighted mean and variance").
// The first samples use weight max(alpha, 1/n) so that a young baseline is the plain mean and
// variance of what it has seen instead of leaning on its first sample.
class Ewma {
 public:
  void update(double x, double alpha);
  double mean() const { return mean_; }
  double variance() const { return var_; }
  double stddev() const;
  uint64_t samples() const { return n_; }
  // The value above which a sample is anomalous: max(mean + margin * stddev, ratio * mean,
  // floor).
  double threshold(double margin, double ratio, double floor) const;

  void restore(double mean, double variance, uint64_t n) {
    mean_ = mean;
    var_ = variance;
    n_ = n;
  }

 private:
  double mean_ = 0, var_ = 0;
  uint64_t n_ = 0;
};

// One interval judged against a baseline.
struct Judgement {
  MetricSet anomalous;
  MetricValues threshold{};  // per metric, what the value had to exceed
  bool any() const { return anomalous.any(); }
};

// A VM's baselines, one per metric, and how many intervals they have learnt.
class Baseline {
 public:
  // Anomalous metrics of one interval. Before warm-up only violations count.
  Judgement judge(const MetricValues& v, const MonitorSettings& s, const MonitorTuning& t) const;
  // Learns an interval. Callers pass only intervals that were not anomalous, so an attack never
  // becomes the norm.
  void learn(const MetricValues& v, const MonitorSettings& s);
  bool warm(const MonitorSettings& s) const { return intervals_ >= s.warmup_intervals; }
  uint64_t intervals() const { return intervals_; }
  const Ewma& metric(Metric m) const { return ewma_[idx(m)]; }

  void restore(Metric m, const Ewma& e) { ewma_[idx(m)] = e; }
  void restore_intervals(uint64_t n) { intervals_ = n; }

 private:
  std::array<Ewma, kMetricCount> ewma_{};
  uint64_t intervals_ = 0;
};

}  // namespace vigil
