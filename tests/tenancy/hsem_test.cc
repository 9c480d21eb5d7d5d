// HSEM's pieces on their own: classification of one judged interval, the episode's verdict,
// playbooks and responses, release timing; HREM's overflow and idle; the vocabulary's names.
#include "tenancy/hsem.h"

#include <gtest/gtest.h>

#include "tenancy/monitor_state.h"

namespace vigil {
namespace {

using D = Detection;

// A judgement where the listed metrics are anomalous; thresholds 100 for all.
struct Interval {
  MetricValues v{};
  Judgement j;
  Interval& set(Metric m, double value, bool anomalous = true) {
    v[idx(m)] = value;
    j.anomalous.set(idx(m), anomalous);
    return *this;
  }
  Interval() { j.threshold.fill(100); }
};

Classification run(const Interval& i) {
  return classify(i.v, i.j, 1, MonitorTuning{});
}

TEST(Classify, NothingAnomalousIsNoVerdict) {
  const Classification c = run(Interval().set(Metric::kOutPps, 50, false));
  EXPECT_EQ(c.verdict, Verdict::kNone);
  EXPECT_TRUE(c.detections.empty());
}

TEST(Classify, ScansAreNotSynFloods) {
  Interval h;
  h.set(Metric::kOutSynPerS, 100).set(Metric::kDistinctDstIps, 100);
  h.set(Metric::kDistinctDstPorts, 1, false);
  EXPECT_EQ(run(h).detections, (std::vector<D>{D::kHorizontalScan}));
  Interval v;
  v.set(Metric::kOutSynPerS, 200).set(Metric::kDistinctDstPorts, 200);
  v.set(Metric::kDistinctDstIps, 1, false);
  EXPECT_EQ(run(v).detections, (std::vector<D>{D::kVerticalScan}));
  Interval both;  // a block scan
  both.set(Metric::kDistinctDstPorts, 50).set(Metric::kDistinctDstIps, 50);
  EXPECT_EQ(run(both).detections, (std::vector<D>{D::kHorizontalScan, D::kVerticalScan}));
}

TEST(Classify, ManyAttemptsPerDestinationAreASynFlood) {
  Interval i;
  i.set(Metric::kOutSynPerS, 3000).set(Metric::kOutPps, 3050);
  i.set(Metric::kDistinctDstIps, 2, false).set(Metric::kDistinctDstPorts, 2, false);
  EXPECT_EQ(run(i).verdict, Verdict::kAttacker);
  EXPECT_EQ(run(i).detections, (std::vector<D>{D::kSynFlood}));  // pps explained by the SYNs
  i.set(Metric::kOutPps, 3200);  // 200 non-SYN packets above the threshold of 100
  EXPECT_EQ(run(i).detections, (std::vector<D>{D::kSynFlood, D::kFlood}));
  // A scan so fast that it repeats each destination: a flood as well.
  i.set(Metric::kDistinctDstPorts, 300).set(Metric::kOutPps, 3050);
  EXPECT_EQ(run(i).detections, (std::vector<D>{D::kVerticalScan, D::kSynFlood}));
}

TEST(Classify, ViolationsAndFanOut) {
  Interval i;
  i.set(Metric::kSpoofed, 3).set(Metric::kHostAccess, 1).set(Metric::kDistinctInnerDsts, 9);
  i.set(Metric::kFailedPerS, 40);
  EXPECT_EQ(run(i).detections,
            (std::vector<D>{D::kSpoofing, D::kFanOut, D::kHostAccess, D::kFailedConnections}));
}

TEST(Classify, VictimOnlyWhenNothingOutboundAndAttackerWins) {
  Interval i;
  i.set(Metric::kInSynPerS, 5000).set(Metric::kInPps, 5000).set(Metric::kDistinctSrcIps, 4000);
  Classification c = run(i);
  EXPECT_EQ(c.verdict, Verdict::kVictim);
  EXPECT_EQ(c.detections, (std::vector<D>{D::kSynFlood, D::kSpoofedFlood}));
  i.set(Metric::kInPps, 9000);  // 4000 non-SYN packets too
  EXPECT_EQ(run(i).detections, (std::vector<D>{D::kSynFlood, D::kFlood, D::kSpoofedFlood}));
  i.set(Metric::kHostAccess, 1);
  c = run(i);
  EXPECT_EQ(c.verdict, Verdict::kAttacker);
  EXPECT_EQ(c.detections, (std::vector<D>{D::kHostAccess}));
}

TEST(Classify, AnswersToAnInboundSynFloodAreNotAnAttack) {
  Interval i;
  i.set(Metric::kInSynPerS, 2000).set(Metric::kInPps, 2050);
  // SYN-ACKs to 2000 source ports of the flooder.
  i.set(Metric::kOutPps, 2040).set(Metric::kDistinctDstPorts, 2000);
  Classification c = run(i);
  EXPECT_EQ(c.verdict, Verdict::kVictim);
  EXPECT_EQ(c.detections, (std::vector<D>{D::kSynFlood}));
  // Sending more than it receives (beyond its normal rate) is its own doing.
  i.set(Metric::kOutPps, 2500);
  EXPECT_EQ(run(i).verdict, Verdict::kAttacker);
  // So are SYNs of its own.
  i.set(Metric::kOutPps, 2040).set(Metric::kOutSynPerS, 300);
  EXPECT_EQ(run(i).verdict, Verdict::kAttacker);
}

TEST(Playbooks, DefaultsAndFirstMatch) {
  MonitorSettings s;
  s.cooldown_s = 42;
  const std::vector<Playbook> books = effective_playbooks(s);
  ASSERT_EQ(books.size(), 3u);
  const Playbook* p = choose_playbook(books, Verdict::kAttacker, {D::kVerticalScan, D::kSpoofing});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(response_of(*p), (VmResponse{true, 0, 0, true}));
  EXPECT_EQ(p->release_after_s, 42u);
  p = choose_playbook(books, Verdict::kAttacker, {D::kHorizontalScan});
  EXPECT_EQ(response_of(*p), (VmResponse{false, 1000, 10, false}));
  p = choose_playbook(books, Verdict::kVictim, {D::kSynFlood});
  EXPECT_EQ(response_of(*p), VmResponse{});
  EXPECT_EQ(p->actions, (std::vector<PlaybookAction>{PlaybookAction::kAlert}));

  Playbook only;
  only.verdict = Verdict::kVictim;
  only.detections = {D::kSpoofedFlood};
  only.actions = {PlaybookAction::kCapture};
  s.playbooks = {only};
  const std::vector<Playbook> mine = effective_playbooks(s);
  EXPECT_EQ(choose_playbook(mine, Verdict::kAttacker, {D::kSpoofing}), nullptr);
  EXPECT_EQ(choose_playbook(mine, Verdict::kVictim, {D::kSynFlood}), nullptr);
  ASSERT_NE(choose_playbook(mine, Verdict::kVictim, {D::kSynFlood, D::kSpoofedFlood}), nullptr);
}

TEST(HsemStep, VerdictChangesOnlyWhenSomethingNewAndReleasesAfterQuiet) {
  MonitorSettings s;
  s.cooldown_s = 3;
  const std::vector<Playbook> books = effective_playbooks(s);
  HsemState st;
  const Classification victim{Verdict::kVictim, {D::kSynFlood}};
  const Classification scan{Verdict::kAttacker, {D::kHorizontalScan}};
  const Classification spoof{Verdict::kAttacker, {D::kSpoofing}};

  EXPECT_TRUE(hsem_step(st, victim, true, 1, s, books).verdict_changed);
  EXPECT_EQ(st.actions, (std::vector<std::string>{"alert"}));
  EXPECT_FALSE(hsem_step(st, victim, true, 1, s, books).verdict_changed);
  EXPECT_TRUE(hsem_step(st, scan, true, 1, s, books).verdict_changed);  // attacker wins
  EXPECT_EQ(st.detections, (std::vector<D>{D::kHorizontalScan}));
  EXPECT_EQ(st.response.rate_pps, 1000u);
  EXPECT_FALSE(hsem_step(st, victim, true, 1, s, books).verdict_changed);  // stays attacker
  EXPECT_EQ(st.verdict, Verdict::kAttacker);
  EXPECT_TRUE(hsem_step(st, spoof, true, 1, s, books).verdict_changed);
  EXPECT_EQ(st.detections, (std::vector<D>{D::kHorizontalScan, D::kSpoofing}));
  EXPECT_TRUE(st.response.quarantine);
  EXPECT_EQ(st.actions, (std::vector<std::string>{"quarantine", "capture"}));

  const Classification none;
  EXPECT_FALSE(hsem_step(st, none, false, 1, s, books).release);
  EXPECT_FALSE(hsem_step(st, none, false, 1, s, books).release);
  EXPECT_FALSE(hsem_step(st, spoof, true, 1, s, books).release);  // quiet starts again
  EXPECT_FALSE(hsem_step(st, none, false, 1, s, books).release);
  EXPECT_FALSE(hsem_step(st, none, false, 1, s, books).release);
  EXPECT_TRUE(hsem_step(st, none, false, 1, s, books).release);
}

VmSample loaded(uint64_t out, uint32_t ring_used, uint64_t limited = 0) {
  VmSample s;
  s.out_packets = out;
  s.rx_ring_size = 100;
  s.rx_ring_used = ring_used;
  s.limited = limited;
  return s;
}

TEST(Hrem, OverflowOncePerEpisodeAndOnlyWhenUnusual) {
  MonitorSettings s;
  s.warmup_intervals = 5;
  MonitorTuning t;
  t.overflow_intervals = 3;
  VremState st;
  for (int i = 0; i < 5; ++i) vrem_observe(st, loaded(100, 10), true, s, t);
  EXPECT_DOUBLE_EQ(st.out_pps.mean(), 100);
  // Near capacity at the usual rate: a busy VM, not an overflow.
  for (int i = 0; i < 5; ++i) {
    vrem_observe(st, loaded(100, 90), true, s, t);
    EXPECT_FALSE(hrem_overflow(st, loaded(100, 90), s, t));
  }
  // Near capacity (ring, then limits) at three times its rate.
  std::vector<bool> fired;
  for (int i = 0; i < 6; ++i) {
    const VmSample x = i < 2 ? loaded(300, 95) : loaded(300, 10, 50);
    vrem_observe(st, x, false, s, t);
    fired.push_back(hrem_overflow(st, x, s, t));
  }
  EXPECT_EQ(fired, (std::vector<bool>{false, false, true, false, false, false}));
  EXPECT_EQ(st.near_capacity_intervals, 11u);
  EXPECT_DOUBLE_EQ(st.out_pps.mean(), 100);  // overloaded intervals are not learnt
  vrem_observe(st, loaded(100, 10), true, s, t);
  EXPECT_FALSE(hrem_overflow(st, loaded(100, 10), s, t));
  EXPECT_FALSE(st.overflow_reported);
}

TEST(Hrem, IdleOncePerSilence) {
  MonitorSettings s;
  s.idle_after_s = 3;
  MonitorTuning t;
  VremState st;
  VmSample quiet;
  VmSample busy;
  busy.in_packets = 1;
  std::vector<bool> fired;
  for (const VmSample& x : {quiet, quiet, quiet, quiet, busy, quiet, quiet, quiet}) {
    vrem_observe(st, x, true, s, t);
    fired.push_back(hrem_idle(st, s));
  }
  EXPECT_EQ(fired, (std::vector<bool>{false, false, true, false, false, false, false, true}));
}

TEST(Names, RoundTrip) {
  for (int i = 0; i < static_cast<int>(Detection::kCount); ++i) {
    Detection d;
    ASSERT_TRUE(parse_detection(detection_name(static_cast<Detection>(i)), &d));
    EXPECT_EQ(static_cast<int>(d), i);
  }
  EXPECT_STREQ(detection_name(D::kFanOut), "fan_out");
  EXPECT_STREQ(detection_name(D::kConfigTamper), "config_tamper");
  Detection d;
  EXPECT_FALSE(parse_detection("portscan", &d));
  for (Verdict v : {Verdict::kNone, Verdict::kAttacker, Verdict::kVictim, Verdict::kBenign}) {
    Verdict back;
    ASSERT_TRUE(parse_verdict(verdict_name(v), &back));
    EXPECT_EQ(back, v);
  }
  EXPECT_STREQ(verdict_name(Verdict::kVictim), "victim");
  EXPECT_STREQ(monitor_event_name(MonitorEventType::kEscalated), "escalated");
  EXPECT_STREQ(monitor_event_name(MonitorEventType::kTamper), "tamper");
  PlaybookAction a;
  ASSERT_TRUE(parse_playbook_action("rate_limit", &a));
  EXPECT_EQ(a, PlaybookAction::kRateLimit);
  EXPECT_STREQ(playbook_action_name(PlaybookAction::kQuarantine), "quarantine");
}

}  // namespace
}  // namespace vigil
