// Baseline arithmetic: the EWMA's mean and variance, thresholds, warm-up, floors, and that
// VSEM does not learn anomalous intervals.
#include "tenancy/monitor_baseline.h"

#include <gtest/gtest.h>

#include <random>

#include "tenancy/vsem.h"
#include "tests/tenancy/monitor_test_support.h"

namespace vigil {
namespace {

TEST(Ewma, YoungBaselineIsThePlainMeanAndVariance) {
  Ewma e;
  for (double x : {1.0, 2.0, 3.0, 4.0}) e.update(x, 0.05);
  EXPECT_DOUBLE_EQ(e.mean(), 2.5);
  EXPECT_DOUBLE_EQ(e.variance(), 1.25);  // population variance of 1..4
  EXPECT_EQ(e.samples(), 4u);
}

TEST(Ewma, ConvergesToTheStreamsMeanAndStddev) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(100, 10);
  Ewma e;
  double worst_mean = 0, worst_sd = 0;
  for (int i = 0; i < 5000; ++i) {
    e.update(noise(rng), 0.05);
    if (i > 1000) {
      worst_mean = std::max(worst_mean, std::abs(e.mean() - 100));
      worst_sd = std::max(worst_sd, std::abs(e.stddev() - 10));
    }
  }
  // alpha 0.05 remembers about 40 samples: the mean wanders by ~1.6, the stddev by ~1.5.
  EXPECT_LT(worst_mean, 7);
  EXPECT_LT(worst_sd, 5);
  EXPECT_GT(e.stddev(), 5);
}

TEST(Ewma, FollowsALevelShiftAtTheRateOfAlpha) {
  Ewma e;
  for (int i = 0; i < 100; ++i) e.update(10, 0.1);
  EXPECT_DOUBLE_EQ(e.mean(), 10);
  EXPECT_DOUBLE_EQ(e.variance(), 0);
  e.update(20, 0.1);
  EXPECT_DOUBLE_EQ(e.mean(), 11);
  EXPECT_DOUBLE_EQ(e.variance(), 0.9 * (0 + 10 * 1));
}

TEST(Ewma, ThresholdIsTheLargestOfSigmaRatioAndFloor) {
  Ewma e;
  e.restore(100, 25, 50);                       // stddev 5
  EXPECT_DOUBLE_EQ(e.threshold(4, 1, 0), 120);  // mean + 4 sigma
  EXPECT_DOUBLE_EQ(e.threshold(4, 2, 0), 200);  // twice the mean
  EXPECT_DOUBLE_EQ(e.threshold(4, 2, 500), 500);
}

TEST(MetricNames, RoundTripAndFloors) {
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    Metric m;
    ASSERT_TRUE(parse_metric(metric_name(static_cast<Metric>(i)), &m));
    EXPECT_EQ(idx(m), i);
  }
  Metric m;
  EXPECT_FALSE(parse_metric("pps", &m));
  EXPECT_EQ(default_floor(Metric::kOutPps), 200);
  EXPECT_EQ(default_floor(Metric::kDistinctInnerDsts), 5);
  EXPECT_EQ(default_floor(Metric::kInSynPerS), 50);
  MonitorSettings s;
  s.floors["out_pps"] = 1000;
  EXPECT_EQ(floor_of(s, Metric::kOutPps), 1000);
  EXPECT_EQ(floor_of(s, Metric::kInPps), 500);
  EXPECT_TRUE(is_outbound(Metric::kSpoofed));
  EXPECT_FALSE(is_outbound(Metric::kDistinctSrcIps));
}

MetricValues flat(double x) {
  MetricValues v;
  v.fill(x);
  v[idx(Metric::kHostAccess)] = 0;
  v[idx(Metric::kSpoofed)] = 0;
  return v;
}

TEST(Baseline, WarmUpHoldsStatisticsButNotViolations) {
  MonitorSettings s;
  s.warmup_intervals = 5;
  MonitorTuning t;
  Baseline b;
  for (int i = 0; i < 4; ++i) b.learn(flat(10), s);
  MetricValues huge = flat(1e9);
  EXPECT_FALSE(b.warm(s));
  EXPECT_FALSE(b.judge(huge, s, t).any());
  huge[idx(Metric::kSpoofed)] = 1;
  const Judgement early = b.judge(huge, s, t);
  EXPECT_EQ(early.anomalous.count(), 1u);
  EXPECT_TRUE(early.anomalous.test(idx(Metric::kSpoofed)));

  b.learn(flat(10), s);
  ASSERT_TRUE(b.warm(s));
  const Judgement j = b.judge(flat(1e9), s, t);
  EXPECT_EQ(j.anomalous.count(), kMetricCount - 2);  // all but the two violations
  // Constant history: no spread, so the floor (or twice the mean) decides.
  EXPECT_DOUBLE_EQ(j.threshold[idx(Metric::kOutPps)], 200);
  EXPECT_DOUBLE_EQ(j.threshold[idx(Metric::kDistinctInnerDsts)], 20);
  EXPECT_FALSE(b.judge(flat(19), s, t).anomalous.test(idx(Metric::kDistinctInnerDsts)));
  EXPECT_TRUE(b.judge(flat(21), s, t).anomalous.test(idx(Metric::kDistinctInnerDsts)));
}

TEST(Vsem, AnomalousIntervalsAreNotLearnt) {
  MonitorSettings s;
  s.warmup_intervals = 30;
  MonitorTuning t;
  test::TrafficGen gen(3);
  test::Profile p;
  VsemState st;
  for (int i = 0; i < 40; ++i) {
    const VsemReport r = vsem_observe(st, gen.normal(1, p), s, t);
    ASSERT_FALSE(r.judgement.any()) << "interval " << i;
  }
  const double syn_mean = st.baseline.metric(Metric::kOutSynPerS).mean();
  const uint64_t learnt = st.baseline.intervals();
  EXPECT_EQ(learnt, 40u);
  EXPECT_NEAR(syn_mean, 3, 1);

  for (int i = 0; i < 5; ++i) {
    VmSample attack = gen.normal(1, p);
    attack.out_syn += 500;
    attack.out_packets += 500;
    const VsemReport r = vsem_observe(st, attack, s, t);
    EXPECT_TRUE(r.judgement.anomalous.test(idx(Metric::kOutSynPerS)));
    EXPECT_EQ(r.escalated, i == 0);
  }
  EXPECT_EQ(st.level, 2);
  EXPECT_EQ(st.escalations, 1u);
  EXPECT_EQ(st.baseline.intervals(), learnt);
  EXPECT_DOUBLE_EQ(st.baseline.metric(Metric::kOutSynPerS).mean(), syn_mean);

  vsem_observe(st, gen.normal(1, p), s, t);  // ordinary again: learnt
  EXPECT_EQ(st.baseline.intervals(), learnt + 1);
}

TEST(Vsem, MetricsAreRatesPerSecond) {
  VmSample s;
  s.seconds = 2;
  s.out_packets = 400;
  s.out_bytes = 100'000;
  s.out_syn = 50;
  s.in_synack = 10;
  s.in_rst = 6;
  s.in_unreachable = 4;
  s.host_access = 3;
  s.distinct_dst_ips = 33;
  s.in_packets = 1000;
  s.in_syn = 8;
  const MetricValues v = compute_metrics(s);
  EXPECT_DOUBLE_EQ(v[idx(Metric::kOutPps)], 200);
  EXPECT_DOUBLE_EQ(v[idx(Metric::kOutBps)], 400'000);
  EXPECT_DOUBLE_EQ(v[idx(Metric::kOutSynPerS)], 25);
  EXPECT_DOUBLE_EQ(v[idx(Metric::kFailedPerS)], (40 + 6 + 4) / 2.0);
  EXPECT_DOUBLE_EQ(v[idx(Metric::kDistinctDstIps)], 33);  // per interval
  EXPECT_DOUBLE_EQ(v[idx(Metric::kHostAccess)], 3);       // frames, not a rate
  EXPECT_DOUBLE_EQ(v[idx(Metric::kInPps)], 500);
  EXPECT_DOUBLE_EQ(v[idx(Metric::kInSynPerS)], 4);
  s.in_synack = 80;  // more answers than attempts (retransmitted SYN-ACKs): no negative failures
  s.in_rst = s.in_unreachable = 0;
  EXPECT_DOUBLE_EQ(compute_metrics(s)[idx(Metric::kFailedPerS)], 0);
}

}  // namespace
}  // namespace vigil
