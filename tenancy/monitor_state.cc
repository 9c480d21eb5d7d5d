// A VM's monitor state to and from JSON, and its status view (see monitor_state.h).
#include "tenancy/monitor_state.h"

namespace vigil {

using nlohmann::json;

namespace {

constexpr int kVersion = 1;

template <typename T>
T get_or(const json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  return it == j.end() ? fallback : it->get<T>();
}

}  // namespace

json response_to_json(const VmResponse& r) {
  return json{{"quarantine", r.quarantine},
              {"rate_pps", r.rate_pps},
              {"new_conn_per_s", r.new_conn_per_s},
              {"capture", r.capture}};
}

json evidence_to_json(const std::vector<Evidence>& e) {
  json out = json::array();
  for (const Evidence& x : e) {
    out.push_back({{"metric", x.metric},
                   {"value", x.value},
                   {"baseline_mean", x.baseline_mean},
                   {"threshold", x.threshold}});
  }
  return out;
}

json detections_to_json(const std::vector<Detection>& d) {
  json out = json::array();
  for (Detection x : d) out.push_back(detection_name(x));
  return out;
}

json state_to_json(const VmMonitorState& st) {
  json baselines = json::object();
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    const Metric m = static_cast<Metric>(i);
    const Ewma& e = st.vsem.baseline.metric(m);
    baselines[metric_name(m)] = {
        {"mean", e.mean()}, {"variance", e.variance()}, {"samples", e.samples()}};
  }
  const HsemState& h = st.hsem;
  const VremState& w = st.vrem;
  return json{{"version", kVersion},
              {"intervals", st.vsem.baseline.intervals()},
              {"baselines", baselines},
              {"level", st.vsem.level},
              {"escalations", st.vsem.escalations},
              {"verdict", verdict_name(h.verdict)},
              {"detections", detections_to_json(h.detections)},
              {"evidence", evidence_to_json(h.evidence)},
              {"response", response_to_json(h.response)},
              {"actions", h.actions},
              {"release_after_s", h.release_after_s},
              {"quiet_s", h.quiet_s},
              {"workload",
               {{"intervals", w.intervals},
                {"out_pps",
                 {{"mean", w.out_pps.mean()},
                  {"variance", w.out_pps.variance()},
                  {"samples", w.out_pps.samples()}}},
                {"near_capacity_intervals", w.near_capacity_intervals},
                {"near_capacity_run", w.near_capacity_run},
                {"overflow_reported", w.overflow_reported},
                {"inactive_s", w.inactive_s},
                {"idle_reported", w.idle_reported}}}};
}

bool state_from_json(const json& j, VmMonitorState* out, std::string* error) {
  const auto fail = [error](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (!j.is_object()) return fail("monitor state: expected an object");
  VmMonitorState st;
  try {
    if (j.at("version").get<int>() != kVersion) {
      return fail("monitor state: unsupported version " + j.at("version").dump());
    }
    st.vsem.baseline.restore_intervals(j.at("intervals").get<uint64_t>());
    for (const auto& [name, b] : j.at("baselines").items()) {
      Metric m;
      if (!parse_metric(name, &m)) continue;  // a metric this build does not know
      Ewma e;
      const double var = b.at("variance").get<double>();
      if (var < 0) return fail("monitor state: negative variance for " + name);
      e.restore(b.at("mean").get<double>(), var, b.at("samples").get<uint64_t>());
      st.vsem.baseline.restore(m, e);
    }
    st.vsem.level = j.at("level").get<int>();
    if (st.vsem.level != 1 && st.vsem.level != 2)
      return fail("monitor state: level must be 1 or 2");
    st.vsem.escalations = get_or<uint64_t>(j, "escalations", 0);

    HsemState& h = st.hsem;
    if (!parse_verdict(get_or<std::string>(j, "verdict", "none"), &h.verdict)) {
      return fail("monitor state: unknown verdict " + j.at("verdict").dump());
    }
    for (const json& d : get_or<json>(j, "detections", json::array())) {
      Detection x;
      if (!parse_detection(d.get<std::string>(), &x)) {
        return fail("monitor state: unknown detection " + d.dump());
      }
      h.detections.push_back(x);
    }
    for (const json& e : get_or<json>(j, "evidence", json::array())) {
      h.evidence.push_back({e.at("metric").get<std::string>(), e.at("value").get<double>(),
                            e.at("baseline_mean").get<double>(), e.at("threshold").get<double>()});
    }
    const json r = get_or<json>(j, "response", json::object());
    h.response.quarantine = get_or<bool>(r, "quarantine", false);
    h.response.rate_pps = get_or<uint64_t>(r, "rate_pps", 0);
    h.response.new_conn_per_s = get_or<uint64_t>(r, "new_conn_per_s", 0);
    h.response.capture = get_or<bool>(r, "capture", false);
    h.actions = get_or<std::vector<std::string>>(j, "actions", {});
    h.release_after_s = get_or<uint32_t>(j, "release_after_s", 0);
    h.quiet_s = get_or<double>(j, "quiet_s", 0);
    if (st.vsem.level == 1 && (h.verdict != Verdict::kNone || !(h.response == VmResponse{}))) {
      return fail("monitor state: a level-1 VM has no verdict or response");
    }

    const json w = get_or<json>(j, "workload", json::object());
    st.vrem.intervals = get_or<uint64_t>(w, "intervals", 0);
    if (const auto p = w.find("out_pps"); p != w.end()) {
      st.vrem.out_pps.restore(p->at("mean").get<double>(), p->at("variance").get<double>(),
                              p->at("samples").get<uint64_t>());
    }
    st.vrem.near_capacity_intervals = get_or<uint64_t>(w, "near_capacity_intervals", 0);
    st.vrem.near_capacity_run = get_or<uint32_t>(w, "near_capacity_run", 0);
    st.vrem.overflow_reported = get_or<bool>(w, "overflow_reported", false);
    st.vrem.inactive_s = get_or<double>(w, "inactive_s", 0);
    st.vrem.idle_reported = get_or<bool>(w, "idle_reported", false);
  } catch (const json::exception& e) {
    return fail(std::string("monitor state: ") + e.what());
  }
  *out = std::move(st);
  return true;
}

json state_status(const VmMonitorState& st, const MonitorSettings& s) {
  const Baseline& b = st.vsem.baseline;
  json metrics = json::object();
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    const Metric m = static_cast<Metric>(i);
    metrics[metric_name(m)] = {{"value", st.vsem.last[i]},
                               {"mean", b.metric(m).mean()},
                               {"stddev", b.metric(m).stddev()},
                               {"threshold", st.vsem.last_judgement.threshold[i]},
                               {"anomalous", st.vsem.last_judgement.anomalous.test(i)}};
  }
  const HsemState& h = st.hsem;
  const VremState& w = st.vrem;
  return json{{"level", st.vsem.level},
              {"verdict", verdict_name(h.verdict)},
              {"detections", detections_to_json(h.detections)},
              {"evidence", evidence_to_json(h.evidence)},
              {"response", response_to_json(h.response)},
              {"actions", h.actions},
              {"quiet_s", h.quiet_s},
              {"release_after_s", h.release_after_s},
              {"escalations", st.vsem.escalations},
              {"warm", b.warm(s)},
              {"intervals", b.intervals()},
              {"metrics", metrics},
              {"workload",
               {{"pps", w.pps},
                {"bps", w.bps},
                {"drops_per_s", w.drops_per_s},
                {"limited_per_s", w.limited_per_s},
                {"ring_occupancy", w.ring_occupancy},
                {"link_up", w.link_up},
                {"near_capacity_intervals", w.near_capacity_intervals},
                {"overflow", w.overflow_reported},
                {"inactive_s", w.inactive_s},
                {"idle", w.idle_reported}}},
              {"detail_records", st.detail.records()}};
}

}  // namespace vigil
