// The monitors as vigild runs them (issue 6): the workers' level-1/2 taps and limits
// (dataplane/monitor_tap.h, response_stage.h), the decision logic (tenancy/monitors.h), and what
// the control thread does every interval: collect a sample per VM port, let VSEM/VREM/HSEM/HREM
// decide, publish the responses (limits, level-2 detail, captures), write the events as EVE JSON
// lines (event_type "vigil_monitor") to a file and syslog, persist the baselines, and check that
// vigild's config file was not changed outside its control API (a hyperjacking indicator).
// Intervals are wall-clock time live and capture time in replay, so replays are deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/config.h"
#include "dataplane/capture.h"
#include "dataplane/monitor_tap.h"
#include "dataplane/ports.h"
#include "dataplane/response_stage.h"
#include "dataplane/worker_plan.h"
#include "ids/eve_writer.h"
#include "tenancy/monitors.h"

namespace vigil {

class MonitorRuntime {
 public:
  // Throws std::runtime_error when the monitors cannot start (rings, event file, state file).
  MonitorRuntime(const Config& config, const std::vector<std::string>& port_names, unsigned workers,
                 const WorkerPlan& plan, const std::string& eve_override, CaptureTable& capture);
  ~MonitorRuntime();  // saves the baselines

  ResponseTable& responses() { return *responses_; }
  MonitorCollector& collector() { return *collector_; }

  // Called as time passes (capture time in replay, wall clock live): runs every interval that
  // has ended by `now_us`. `vm_port`: the running snapshot's VM ports; `status`: per port.
  void advance(uint64_t now_us, const std::vector<bool>& vm_port,
               const std::vector<PortStatus>& status);
  // The running configuration changed through the control API: VMs, and the config file's new
  // content is the expected one.
  void reconfigure(const Config& next);

  nlohmann::json status();
  bool release(const std::string& vm, std::string* error);
  // Migration: a VM's state out, and in under (possibly) another name.
  nlohmann::json export_vm(const std::string& vm);
  bool import_vm(nlohmann::json state, const std::string& vm, std::string* error);
  uint64_t events_written() const { return events_written_; }
  // Whether the capture running on `port` was started by a playbook (forensics).
  bool owns_capture(uint16_t port) {
    std::lock_guard<std::mutex> lock(mu_);
    return port < capturing_.size() && capturing_[port];
  }

 private:
  void tick(uint64_t now_us, double seconds, const std::vector<bool>& vm_port,
            const std::vector<PortStatus>& status);
  void apply_responses(uint64_t now_us);
  void write_event(const MonitorEvent& e);
  void check_config_file(uint64_t now_us);
  void save_state();
  std::vector<MonitoredVm> vms_of(const Config& c) const;

  MonitorSettings settings_;
  std::string config_path_;
  std::string capture_dir_;
  std::vector<std::string> port_names_;
  CaptureTable& capture_;
  std::unique_ptr<MonitorCollector> collector_;
  std::unique_ptr<ResponseTable> responses_;
  std::unique_ptr<Monitors> monitors_;
  std::vector<std::unique_ptr<ids::EveSink>> sinks_;
  std::vector<VmResponse> applied_;              // per port, as last published
  std::vector<bool> capturing_;                  // per port: a capture the monitors started
  std::vector<bool> capture_failed_;             // per port: could not start one (not retried)
  std::map<std::string, std::string> vm_ports_;  // "tenant/mac" -> port, as last configured
  int tamper_seen_ = 0;          // consecutive checks that found an unexpected digest
  std::string expected_digest_;  // of the config file, as vigild last wrote or read it
  std::string reported_digest_;  // last tampered content already reported
  uint64_t next_tick_us_ = 0;
  uint64_t ticks_ = 0;
  uint64_t events_written_ = 0;
  std::mutex mu_;  // tick (main thread) vs. status/release/reconfigure (control API thread)
};

}  // namespace vigil
