#include "control/monitor_runtime.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "ids/eve_format.h"

namespace vigil {
namespace {

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "unreadable";
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string timestamp(uint64_t us) {
  char buf[40];
  const size_t n = ids::format_eve_timestamp(us, buf);
  return std::string(buf, n);
}

nlohmann::json event_json(const MonitorEvent& e) {
  nlohmann::json m = {{"type", monitor_event_name(e.type)},
                      {"vm", e.vm},
                      {"tenant", e.tenant},
                      {"verdict", verdict_name(e.verdict)}};
  nlohmann::json det = nlohmann::json::array();
  for (Detection d : e.detections) det.push_back(detection_name(d));
  m["detections"] = det;
  nlohmann::json ev = nlohmann::json::array();
  for (const Evidence& x : e.evidence) {
    ev.push_back({{"metric", x.metric},
                  {"value", x.value},
                  {"baseline_mean", x.baseline_mean},
                  {"threshold", x.threshold}});
  }
  m["evidence"] = ev;
  m["details"] = e.details;
  m["actions"] = e.actions;
  return {{"timestamp", timestamp(e.time_us)}, {"event_type", "vigil_monitor"}, {"monitor", m}};
}

// A VM's identity across moves: its tenant and MAC (its port may change).
std::string vm_key(const std::string& tenant, const MacAddress& mac) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "/%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return tenant + buf;
}

// The config reader checked the spec's scheme (parse_syslog_spec).
std::unique_ptr<ids::EveSink> syslog_sink(const std::string& spec) {
  ids::EveSyslogSink::Options o;
  ids::parse_syslog_spec(spec, &o);
  return std::make_unique<ids::EveSyslogSink>(o);
}

}  // namespace

std::vector<MonitoredVm> MonitorRuntime::vms_of(const Config& c) const {
  std::vector<MonitoredVm> out;
  for (const TenantSpec& t : c.tenancy.tenants) {
    for (const VmSpec& vm : t.vms) {
      MonitoredVm m;
      m.name = vm.port;
      m.tenant = t.name;
      bool found = false;
      for (size_t p = 0; p < port_names_.size(); ++p) {
        if (port_names_[p] == vm.port) {
          m.port = static_cast<uint16_t>(p);
          found = true;
        }
      }
      if (!found) continue;  // not attached here: its state waits, kept by name
      for (const auto& a : vm.ipv4) {
        IpAddress ip;
        ip.family = 4;
        std::copy(a.begin(), a.end(), ip.bytes.begin());
        m.addresses.push_back(ip);
      }
      for (const auto& a : vm.ipv6) {
        IpAddress ip;
        ip.family = 6;
        std::copy(a.begin(), a.end(), ip.bytes.begin());
        m.addresses.push_back(ip);
      }
      out.push_back(std::move(m));
    }
  }
  return out;
}

MonitorRuntime::MonitorRuntime(const Config& config, const std::vector<std::string>& port_names,
                               unsigned workers, const WorkerPlan& plan,
                               const std::string& eve_override, CaptureTable& capture)
    : settings_(config.monitor),
      config_path_(config.path),
      port_names_(port_names),
      capture_(capture),
      applied_(port_names.size()),
      capturing_(port_names.size(), false),
      capture_failed_(port_names.size(), false) {
  std::string error;
  const auto n_ports = static_cast<uint16_t>(port_names.size());
  collector_ = MonitorCollector::create(n_ports, workers, &error);
  if (!collector_) throw std::runtime_error("monitor: " + error);
  std::vector<uint16_t> pollers(n_ports, 0);
  for (unsigned w = 0; w < workers; ++w) {
    std::vector<bool> seen(n_ports, false);
    for (const RxPort& rx : plan.worker(w).rx) {
      if (!seen[rx.port]) pollers[rx.port]++;
      seen[rx.port] = true;
    }
  }
  try {
    responses_ = std::make_unique<ResponseTable>(n_ports, workers, settings_.management, pollers);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("monitor.management: ") + e.what());
  }
  monitors_ = std::make_unique<Monitors>(settings_, vms_of(config));
  std::vector<IpAddress> host;
  for (const auto& a : config.tenancy.host_ipv4) {
    IpAddress ip;
    std::copy(a.begin(), a.end(), ip.bytes.begin());
    host.push_back(ip);
  }
  for (const auto& a : config.tenancy.host_ipv6) {
    IpAddress ip;
    ip.family = 6;
    std::copy(a.begin(), a.end(), ip.bytes.begin());
    host.push_back(ip);
  }
  monitors_->set_host_addresses(host);
  if (!settings_.state.empty() && std::filesystem::exists(settings_.state)) {
    std::ifstream in(settings_.state);
    try {
      const nlohmann::json j = nlohmann::json::parse(in);
      if (!monitors_->load(j, &error)) throw std::runtime_error(error);
      std::cerr << "vigild: monitor: baselines loaded from " << settings_.state << "\n";
    } catch (const std::exception& e) {
      throw std::runtime_error("monitor.state " + settings_.state + ": " + e.what());
    }
  }
  const std::string eve = eve_override.empty() ? settings_.eve : eve_override;
  if (!eve.empty()) sinks_.push_back(std::make_unique<ids::EveFileSink>(eve));
  if (!settings_.syslog.empty()) sinks_.push_back(syslog_sink(settings_.syslog));
  for (auto& s : sinks_) {
    if (!s->open(&error)) throw std::runtime_error("monitor: " + error);
  }
  const std::string base = !eve.empty() ? eve : std::filesystem::absolute(config.path).string();
  capture_dir_ = std::filesystem::path(base).parent_path().string();
  expected_digest_ = file_digest(config_path_);
  for (const TenantSpec& t : config.tenancy.tenants) {
    for (const VmSpec& vm : t.vms) vm_ports_[vm_key(t.name, vm.mac)] = vm.port;
  }
}

MonitorRuntime::~MonitorRuntime() {
  save_state();
  for (auto& s : sinks_) s->flush();
}

void MonitorRuntime::save_state() {
  if (settings_.state.empty()) return;
  // Temporary file, fsync, rename: a crash leaves the old state or the new one, never half.
  const std::string tmp = settings_.state + ".tmp";
  const std::string text = monitors_->save().dump() + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  bool ok =
      fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, settings_.state, ec);
  if (!ok || ec) std::cerr << "vigild: monitor: cannot write " << settings_.state << "\n";
}

void MonitorRuntime::write_event(const MonitorEvent& e) {
  const std::string line = event_json(e).dump() + "\n";
  for (auto& s : sinks_) s->write(line.data(), line.size());
  ++events_written_;
}

void MonitorRuntime::apply_responses(uint64_t now_us) {
  for (uint16_t p = 0; p < port_names_.size(); ++p) {
    const VmResponse& r = monitors_->response(p);
    collector_->set_detail(p, monitors_->wants_detail(p));
    if (!(r == applied_[p])) {
      responses_->set(p, r);
      applied_[p] = r;
    }
    if (r.capture && !capturing_[p] && !capture_failed_[p]) {
      const std::string file = capture_dir_ + "/vigil-" + port_names_[p] + "-" +
                               std::to_string(now_us / 1'000'000) + ".pcapng";
      std::string error;
      if (capture_.start(p, port_names_[p], file, 0, &error)) {
        capturing_[p] = true;
        std::cerr << "vigild: monitor: capturing " << port_names_[p] << " to " << file << "\n";
      } else {
        // Someone else's capture, or the file: not ours to stop later, and not retried.
        std::cerr << "vigild: monitor: cannot capture " << port_names_[p] << ": " << error << "\n";
        capture_failed_[p] = true;
      }
    } else if (!r.capture) {
      if (capturing_[p]) {
        CaptureInfo info;
        capture_.stop(p, &info);  // only the capture the monitors started
      }
      capturing_[p] = false;
      capture_failed_[p] = false;
    }
  }
}

void MonitorRuntime::check_config_file(uint64_t now_us) {
  const std::string digest = file_digest(config_path_);
  if (digest == expected_digest_ || digest == reported_digest_) {
    tamper_seen_ = 0;
    return;
  }
  // A change through the API is written before it is applied (and before reconfigure()
  // updates the expected digest): only a difference seen twice in a row is tampering.
  if (++tamper_seen_ < 2) return;
  reported_digest_ = digest;
  MonitorEvent e;
  e.time_us = now_us;
  e.type = MonitorEventType::kTamper;
  e.vm = "";
  e.verdict = Verdict::kNone;
  e.detections.push_back(Detection::kConfigTamper);
  e.details.push_back("config " + config_path_ + " sha256 " + digest + ", expected " +
                      expected_digest_ + " (changed outside the control API)");
  write_event(e);
}

void MonitorRuntime::tick(uint64_t now_us, double seconds, const std::vector<bool>& vm_port,
                          const std::vector<PortStatus>& status) {
  std::vector<VmSample> samples = collector_->collect(seconds, vm_port);
  for (VmSample& s : samples) {
    if (s.port < status.size()) {
      s.link_up = status[s.port].link_up;
      if (status[s.port].rx_queue_used >= 0) {
        s.rx_ring_used = static_cast<uint32_t>(status[s.port].rx_queue_used);
        s.rx_ring_size = 1024;
      }
    }
  }
  const std::vector<DetailRecord> details = collector_->drain_details();
  for (const MonitorEvent& e : monitors_->tick(now_us, samples, details)) write_event(e);
  apply_responses(now_us);
  check_config_file(now_us);
  for (auto& s : sinks_) s->flush();
  if (++ticks_ % 60 == 0) save_state();
}

void MonitorRuntime::advance(uint64_t now_us, const std::vector<bool>& vm_port,
                             const std::vector<PortStatus>& status) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t interval = uint64_t(settings_.interval_s) * 1'000'000;
  if (next_tick_us_ == 0) {
    next_tick_us_ = now_us + interval;  // the first interval starts with the first call
    return;
  }
  while (now_us >= next_tick_us_) {
    tick(next_tick_us_, settings_.interval_s, vm_port, status);
    next_tick_us_ += interval;
  }
}

void MonitorRuntime::reconfigure(const Config& next) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> now;
  for (const TenantSpec& t : next.tenancy.tenants) {
    for (const VmSpec& vm : t.vms) now[vm_key(t.name, vm.mac)] = vm.port;
  }
  monitors_->set_vms(vms_of(next));
  // The monitors key their history by port name: a VM that moved takes its history (level,
  // verdict, limits) to its new port; a removed VM's history is dropped, so that the next VM
  // on that port does not inherit it.
  for (const auto& [key, old_port] : vm_ports_) {
    const auto it = now.find(key);
    if (it != now.end() && it->second == old_port) continue;
    if (it != now.end()) {
      nlohmann::json state = monitors_->export_vm(old_port);
      std::string error;
      if (!state.is_null()) {
        state["vm"] = it->second;
        monitors_->import_vm(state, &error);
      }
    }
    monitors_->forget(old_port);
  }
  vm_ports_ = std::move(now);
  expected_digest_ = file_digest(config_path_);
  tamper_seen_ = 0;
  // Limits follow the VMs at once, not at the next interval.
  apply_responses(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count()));
}

nlohmann::json MonitorRuntime::export_vm(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  return monitors_->export_vm(vm);
}

bool MonitorRuntime::import_vm(nlohmann::json state, const std::string& vm, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!state.is_object()) {
    *error = "monitor state must be an object";
    return false;
  }
  state["vm"] = vm;  // it may come back on another port
  return monitors_->import_vm(state, error);
}

nlohmann::json MonitorRuntime::status() {
  std::lock_guard<std::mutex> lock(mu_);
  return monitors_->status();
}

bool MonitorRuntime::release(const std::string& vm, std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  MonitorEvent e;
  if (!monitors_->release(vm, &e)) {
    *error = "no monitored VM '" + vm + "'";
    return false;
  }
  e.time_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  write_event(e);
  apply_responses(e.time_us);
  for (auto& s : sinks_) s->flush();
  return true;
}

}  // namespace vigil
