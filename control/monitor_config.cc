#include "control/monitor_config.h"

#include "control/config_reader.h"
#include "ids/eve_writer.h"
#include "tenancy/cidr.h"

namespace vigil {
namespace {

// Metrics a floor may be given for (tenancy/vsem.h computes them).
const char* const kMetrics[] = {"out_pps",
                                "out_bps",
                                "out_syn_per_s",
                                "failed_per_s",
                                "distinct_dst_ips",
                                "distinct_dst_ports",
                                "distinct_inner_dsts",
                                "host_access",
                                "spoofed",
                                "in_pps",
                                "in_syn_per_s",
                                "distinct_src_ips"};

double real(const detail::Reader& r, const YAML::Node& n, const std::string& key, double lo,
            double hi) {
  if (!n.IsScalar()) r.fail(n, key, "expected a number");
  try {
    size_t used = 0;
    const double v = std::stod(n.Scalar(), &used);
    if (used != n.Scalar().size() || v < lo || v > hi) throw std::invalid_argument("range");
    return v;
  } catch (const std::exception&) {
    r.fail(n, key,
           "'" + n.Scalar() + "' is not a number in " + std::to_string(lo) + ".." +
               std::to_string(hi));
  }
}

Playbook read_playbook(const detail::Reader& r, const YAML::Node& n, const std::string& where) {
  r.check_keys(
      n, where,
      {"verdict", "detections", "actions", "rate_pps", "new_conn_per_s", "release_after_s"});
  Playbook p;
  const std::string v = n["verdict"] ? r.text(n["verdict"], where + ".verdict") : "attacker";
  if (v == "attacker") {
    p.verdict = Verdict::kAttacker;
  } else if (v == "victim") {
    p.verdict = Verdict::kVictim;
  } else {
    r.fail(n["verdict"], where + ".verdict", "expected attacker or victim");
  }
  if (const YAML::Node d = n["detections"]) {
    if (!d.IsSequence()) r.fail(d, where + ".detections", "expected a list of detections");
    for (std::size_t i = 0; i < d.size(); ++i) {
      Detection det;
      const std::string name = r.text(d[i], where + ".detections");
      if (!parse_detection(name, &det))
        r.fail(d[i], where + ".detections", "unknown '" + name + "'");
      p.detections.push_back(det);
    }
  }
  const YAML::Node a = n["actions"];
  if (!a || !a.IsSequence() || a.size() == 0) {
    r.fail(a ? a : n, where + ".actions",
           "expected a list of alert, rate_limit, quarantine, capture");
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string s = r.text(a[i], where + ".actions");
    if (s == "alert") {
      p.actions.push_back(PlaybookAction::kAlert);
    } else if (s == "rate_limit") {
      p.actions.push_back(PlaybookAction::kRateLimit);
    } else if (s == "quarantine") {
      p.actions.push_back(PlaybookAction::kQuarantine);
    } else if (s == "capture") {
      p.actions.push_back(PlaybookAction::kCapture);
    } else {
      r.fail(a[i], where + ".actions", "unknown action '" + s + "'");
    }
  }
  if (n["rate_pps"]) p.rate_pps = r.number(n["rate_pps"], where + ".rate_pps", 1, 100'000'000);
  if (n["new_conn_per_s"]) {
    p.new_conn_per_s = r.number(n["new_conn_per_s"], where + ".new_conn_per_s", 1, 10'000'000);
  }
  if (n["release_after_s"]) {
    p.release_after_s =
        static_cast<uint32_t>(r.number(n["release_after_s"], where + ".release_after_s", 1, 86400));
  }
  return p;
}

}  // namespace

void read_monitor(const detail::Reader& r, const YAML::Node& node, MonitorSettings& s) {
  r.check_keys(node, "monitor",
               {"interval_s", "warmup_intervals", "margin", "floors", "ewma_alpha", "cooldown_s",
                "idle_after_s", "state", "eve", "syslog", "management", "playbooks"});
  s.enabled = true;
  if (node["interval_s"]) {
    s.interval_s =
        static_cast<uint32_t>(r.number(node["interval_s"], "monitor.interval_s", 1, 3600));
  }
  if (node["warmup_intervals"]) {
    s.warmup_intervals = static_cast<uint32_t>(
        r.number(node["warmup_intervals"], "monitor.warmup_intervals", 1, 1'000'000));
  }
  if (node["margin"]) s.margin = real(r, node["margin"], "monitor.margin", 0.5, 100);
  if (node["ewma_alpha"])
    s.ewma_alpha = real(r, node["ewma_alpha"], "monitor.ewma_alpha", 0.001, 1);
  if (node["cooldown_s"]) {
    s.cooldown_s =
        static_cast<uint32_t>(r.number(node["cooldown_s"], "monitor.cooldown_s", 1, 86400));
  }
  if (node["idle_after_s"]) {
    s.idle_after_s = static_cast<uint32_t>(
        r.number(node["idle_after_s"], "monitor.idle_after_s", 1, 30 * 86400));
  }
  if (const YAML::Node f = node["floors"]) {
    if (!f.IsMap()) r.fail(f, "monitor.floors", "expected a mapping of metric: floor");
    for (const auto& kv : f) {
      const std::string m = kv.first.as<std::string>();
      bool known = false;
      for (const char* k : kMetrics) known |= m == k;
      if (!known) r.fail(kv.first, "monitor.floors." + m, "unknown metric");
      s.floors[m] = real(r, kv.second, "monitor.floors." + m, 0, 1e12);
    }
  }
  if (node["state"]) s.state = r.path(node["state"], "monitor.state");
  if (node["eve"]) s.eve = r.path(node["eve"], "monitor.eve");
  if (node["syslog"]) {
    s.syslog = r.text(node["syslog"], "monitor.syslog");
    if (ids::EveSyslogSink::Options o; !ids::parse_syslog_spec(s.syslog, &o)) {
      r.fail(node["syslog"], "monitor.syslog",
             "expected unix:/path, udp:host:port or tcp:host:port");
    }
  }
  if (const YAML::Node m = node["management"]) {
    if (!m.IsSequence()) r.fail(m, "monitor.management", "expected a list of CIDRs");
    for (std::size_t i = 0; i < m.size(); ++i) {
      const std::string c = r.text(m[i], "monitor.management");
      Cidr parsed;
      std::string why;
      if (!parse_cidr(c, &parsed, &why)) r.fail(m[i], "monitor.management", why);
      s.management.push_back(c);
    }
  }
  if (const YAML::Node p = node["playbooks"]) {
    if (!p.IsSequence()) r.fail(p, "monitor.playbooks", "expected a list of playbooks");
    for (std::size_t i = 0; i < p.size(); ++i) {
      s.playbooks.push_back(read_playbook(r, p[i], "monitor.playbooks[" + std::to_string(i) + "]"));
    }
  }
}

}  // namespace vigil
