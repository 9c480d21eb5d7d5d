// Metric names and floors, the EWMA and the per-VM baseline (see monitor_baseline.h).
#include "tenancy/monitor_baseline.h"

#include <algorithm>
#include <cmath>

namespace vigil {
namespace {

struct MetricInfo {
  const char* name;
  double floor;
  bool outbound;
};

constexpr MetricInfo kInfo[] = {
#define VIGIL_METRIC_INFO(id, name, floor, outbound) {name, floor, outbound},
    VIGIL_METRICS(VIGIL_METRIC_INFO)
#undef VIGIL_METRIC_INFO
};
static_assert(sizeof kInfo / sizeof kInfo[0] == kMetricCount);

}  // namespace

const char* metric_name(Metric m) {
  return m < Metric::kCount ? kInfo[idx(m)].name : "?";
}

bool parse_metric(const std::string& name, Metric* out) {
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    if (name == kInfo[i].name) {
      *out = static_cast<Metric>(i);
      return true;
    }
  }
  return false;
}

double default_floor(Metric m) {
  return kInfo[idx(m)].floor;
}

double floor_of(const MonitorSettings& s, Metric m) {
  const auto it = s.floors.find(metric_name(m));
  return it == s.floors.end() ? default_floor(m) : it->second;
}

bool is_outbound(Metric m) {
  return kInfo[idx(m)].outbound;
}

bool is_violation(Metric m) {
  return m == Metric::kHostAccess || m == Metric::kSpoofed;
}

void Ewma::update(double x, double alpha) {
  ++n_;
  const double a = std::max(alpha, 1.0 / static_cast<double>(n_));
  const double diff = x - mean_;
  const double incr = a * diff;
  mean_ += incr;
  var_ = (1 - a) * (var_ + diff * incr);
}

double Ewma::stddev() const {
  return std::sqrt(std::max(var_, 0.0));
}

double Ewma::threshold(double margin, double ratio, double floor) const {
  return std::max({mean_ + margin * stddev(), ratio * mean_, floor});
}

Judgement Baseline::judge(const MetricValues& v, const MonitorSettings& s,
                          const MonitorTuning& t) const {
  Judgement j;
  const bool statistics = warm(s);
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    const Metric m = static_cast<Metric>(i);
    if (is_violation(m)) {
      j.threshold[i] = 0;  // any frame
      j.anomalous[i] = v[i] > 0;
      continue;
    }
    j.threshold[i] = ewma_[i].threshold(s.margin, t.min_ratio, floor_of(s, m));
    j.anomalous[i] = statistics && v[i] > j.threshold[i];
  }
  return j;
}

void Baseline::learn(const MetricValues& v, const MonitorSettings& s) {
  for (std::size_t i = 0; i < kMetricCount; ++i) ewma_[i].update(v[i], s.ewma_alpha);
  ++intervals_;
}

}  // namespace vigil
