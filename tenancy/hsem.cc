// HSEM (verdicts, playbooks, release) and HREM (overflow, idle); see hsem.h.
#include "tenancy/hsem.h"

#include <algorithm>

namespace vigil {
namespace {

void add_unique(std::vector<Detection>& d, Detection x) {
  if (std::find(d.begin(), d.end(), x) == d.end()) d.push_back(x);
}

void sort_detections(std::vector<Detection>& d) {
  std::sort(d.begin(), d.end());
  d.erase(std::unique(d.begin(), d.end()), d.end());
}

}  // namespace

Classification classify(const MetricValues& v, const Judgement& j, double seconds,
                        const MonitorTuning& t) {
  MetricSet a = j.anomalous;
  const auto on = [&a](Metric m) { return a.test(idx(m)); };
  const auto val = [&v](Metric m) { return v[idx(m)]; };
  const auto thr = [&j](Metric m) { return j.threshold[idx(m)]; };

  // A VM answering an inbound SYN flood sends SYN-ACKs or RSTs to many (spoofed) peers: that
  // surge is the flood's echo, not an attack of its own.
  if (on(Metric::kInSynPerS) && !on(Metric::kOutSynPerS) &&
      val(Metric::kOutPps) <= val(Metric::kInPps) + thr(Metric::kOutPps)) {
    for (Metric m : {Metric::kOutPps, Metric::kOutBps, Metric::kFailedPerS, Metric::kDistinctDstIps,
                     Metric::kDistinctDstPorts, Metric::kDistinctInnerDsts}) {
      a.reset(idx(m));
    }
  }
  bool outbound = false, inbound = false;
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    if (!a.test(i)) continue;
    (is_outbound(static_cast<Metric>(i)) ? outbound : inbound) = true;
  }

  Classification c;
  std::vector<Detection>& d = c.detections;
  if (outbound) {
    c.verdict = Verdict::kAttacker;
    const bool horizontal = on(Metric::kDistinctDstIps);
    const bool vertical = on(Metric::kDistinctDstPorts);
    if (horizontal) d.push_back(Detection::kHorizontalScan);
    if (vertical) d.push_back(Detection::kVerticalScan);
    if (on(Metric::kOutSynPerS)) {
      // A scan tries each destination once or twice; a flood hammers a few.
      const double attempts = val(Metric::kOutSynPerS) * (seconds > 0 ? seconds : 1);
      const double endpoints = std::max(1.0, val(Metric::kDistinctDstIps)) *
                               std::max(1.0, val(Metric::kDistinctDstPorts));
      if (!(horizontal || vertical) || attempts >= t.syn_per_endpoint * endpoints) {
        d.push_back(Detection::kSynFlood);
      }
    }
    // A packet flood when the rate is abnormal even without the SYNs already accounted for.
    const bool pps_flood = on(Metric::kOutPps) &&
                           (!on(Metric::kOutSynPerS) ||
                            val(Metric::kOutPps) - val(Metric::kOutSynPerS) > thr(Metric::kOutPps));
    if (pps_flood || on(Metric::kOutBps)) d.push_back(Detection::kFlood);
    if (on(Metric::kSpoofed)) d.push_back(Detection::kSpoofing);
    if (on(Metric::kDistinctInnerDsts)) d.push_back(Detection::kFanOut);
    if (on(Metric::kHostAccess)) d.push_back(Detection::kHostAccess);
    if (on(Metric::kFailedPerS)) d.push_back(Detection::kFailedConnections);
  } else if (inbound) {
    c.verdict = Verdict::kVictim;
    if (on(Metric::kDistinctSrcIps)) d.push_back(Detection::kSpoofedFlood);
    if (on(Metric::kInSynPerS)) d.push_back(Detection::kSynFlood);
    if (on(Metric::kInPps) &&
        (!on(Metric::kInSynPerS) ||
         val(Metric::kInPps) - val(Metric::kInSynPerS) > thr(Metric::kInPps))) {
      d.push_back(Detection::kFlood);
    }
  }
  sort_detections(d);
  return c;
}

std::vector<Playbook> effective_playbooks(const MonitorSettings& s) {
  if (!s.playbooks.empty()) return s.playbooks;
  Playbook contain;
  contain.verdict = Verdict::kAttacker;
  contain.detections = {Detection::kSpoofing, Detection::kHostAccess};
  contain.actions = {PlaybookAction::kQuarantine, PlaybookAction::kCapture};
  contain.release_after_s = s.cooldown_s;
  Playbook limit;
  limit.verdict = Verdict::kAttacker;
  limit.actions = {PlaybookAction::kRateLimit};
  limit.release_after_s = s.cooldown_s;
  Playbook alert;
  alert.verdict = Verdict::kVictim;
  alert.actions = {PlaybookAction::kAlert};
  alert.release_after_s = s.cooldown_s;
  return {contain, limit, alert};
}

const Playbook* choose_playbook(const std::vector<Playbook>& books, Verdict v,
                                const std::vector<Detection>& detections) {
  for (const Playbook& p : books) {
    if (p.verdict != v) continue;
    if (p.detections.empty()) return &p;
    for (Detection d : p.detections) {
      if (std::find(detections.begin(), detections.end(), d) != detections.end()) return &p;
    }
  }
  return nullptr;
}

VmResponse response_of(const Playbook& p) {
  VmResponse r;
  for (PlaybookAction a : p.actions) {
    switch (a) {
      case PlaybookAction::kAlert:
        break;
      case PlaybookAction::kRateLimit:
        r.rate_pps = p.rate_pps;
        r.new_conn_per_s = p.new_conn_per_s;
        break;
      case PlaybookAction::kQuarantine:
        r.quarantine = true;
        break;
      case PlaybookAction::kCapture:
        r.capture = true;
        break;
    }
  }
  return r;
}

HsemStep hsem_step(HsemState& st, const Classification& c, bool anomalous, double seconds,
                   const MonitorSettings& s, const std::vector<Playbook>& books) {
  HsemStep r;
  st.quiet_s = anomalous ? 0 : st.quiet_s + (seconds > 0 ? seconds : 1);
  if (c.verdict != Verdict::kNone) {
    Verdict verdict = st.verdict;
    std::vector<Detection> detections = st.detections;
    if (st.verdict == Verdict::kNone ||
        (c.verdict == Verdict::kAttacker && st.verdict != Verdict::kAttacker)) {
      // First verdict, or a victim turning attacker: the attacker's detections replace the
      // victim's.
      verdict = c.verdict;
      detections = c.detections;
    } else if (c.verdict == st.verdict) {
      for (Detection d : c.detections) add_unique(detections, d);
      sort_detections(detections);
    }  // else an attacker's victim-like interval: attacker wins
    if (verdict != st.verdict || detections != st.detections) {
      st.verdict = verdict;
      st.detections = std::move(detections);
      const Playbook* p = choose_playbook(books, st.verdict, st.detections);
      st.response = p ? response_of(*p) : VmResponse{};
      st.actions.clear();
      if (p) {
        for (PlaybookAction a : p->actions) st.actions.push_back(playbook_action_name(a));
      }
      st.release_after_s = p ? p->release_after_s : s.cooldown_s;
      r.verdict_changed = true;
    }
  }
  const uint32_t after = st.release_after_s > 0 ? st.release_after_s : s.cooldown_s;
  r.release = !anomalous && st.quiet_s >= after;
  return r;
}

bool hrem_overflow(VremState& st, const VmSample& sample, const MonitorSettings& s,
                   const MonitorTuning& t) {
  const double out_pps =
      static_cast<double>(sample.out_packets) / (sample.seconds > 0 ? sample.seconds : 1);
  const bool unusual = st.out_pps.samples() >= s.warmup_intervals &&
                       out_pps > st.out_pps.threshold(s.margin, t.min_ratio, 0);
  if (near_capacity(sample, t.ring_full) && unusual) {
    ++st.near_capacity_run;
  } else {
    st.near_capacity_run = 0;
    st.overflow_reported = false;  // the episode is over
  }
  if (st.near_capacity_run >= t.overflow_intervals && !st.overflow_reported) {
    st.overflow_reported = true;
    return true;
  }
  return false;
}

bool hrem_idle(VremState& st, const MonitorSettings& s) {
  if (st.idle_reported || st.inactive_s < static_cast<double>(s.idle_after_s)) return false;
  st.idle_reported = true;
  return true;
}

}  // namespace vigil
