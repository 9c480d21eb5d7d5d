// What the control service (control_service.h) needs from the running switch; vigild implements
// it over its ports, pipelines and IDS. Called from the control API's thread, one call at a time.
#pragma once

#include <cstdint>
#include <string>

#include "control/config.h"
#include "control/control_types.h"

namespace vigil::control {

class DataplaneControl {
 public:
  virtual ~DataplaneControl() = default;

  // Makes `next` (already validated, already persisted) the running tenancy: tenants, VM
  // bindings, anti-spoofing, policies, cross-tenant rules, host addresses, IDS tenants. Built
  // off the fast path and published atomically; false with *error when it cannot be (the
  // previous state then stays in force). Only those parts of a Config may differ from the one
  // vigild started with; the service refuses other changes before calling this.
  virtual bool apply(const Config& next, std::string* error) = 0;

  // The stats JSON, as --stats-json writes it (README "Statistics").
  virtual Json stats() = 0;
  // Tracked connections, most bytes first: [{tenant, proto, src, sport, dst, dport, packets,
  // bytes, state}], at most `top`; only tenant `tenant` when not empty.
  virtual Json flows(size_t top, const std::string& tenant) = 0;
  // {version, uptime_s, workers, ports: [names]}.
  virtual Json status() = 0;

  // The IDS: false/unavailable when the config has no `ids:` section.
  virtual bool ids_enabled() = 0;
  virtual bool ids_reload(Json* report, std::string* error) = 0;
  virtual Json ids_report() = 0;

  // Packet capture of one port to a pcapng file. False with *error (unknown port, file cannot be
  // created, already capturing).
  virtual bool capture_start(const std::string& port, const std::string& file, uint64_t max_packets,
                             std::string* error) = 0;
  // {port, file, packets, dropped}; false when the port is not being captured.
  virtual bool capture_stop(const std::string& port, Json* result) = 0;
  virtual Json capture_list() = 0;

  // The latest EVE events (IDS alerts, monitor events), oldest first, at most `limit`; only
  // those of tenant `tenant` when not empty.
  virtual Json recent_events(size_t limit, const std::string& tenant) {
    (void)limit;
    (void)tenant;
    return Json::array();
  }

  // The monitors (VSEM/VREM/HSEM/HREM): false/unavailable when the config has no `monitor:`.
  virtual bool monitor_enabled() { return false; }
  // Per VM: level, verdict, detections, evidence, response, baseline summary.
  virtual Json monitor_status() { return Json::object(); }
  // Back to level 1 now (limits lifted); false with *error when there is no such VM.
  virtual bool monitor_release(const std::string& vm, std::string* error) {
    *error = "monitors are not configured";
    (void)vm;
    return false;
  }
  // A VM's monitor state (baselines, level, verdict) for migration; null when there is none.
  virtual Json monitor_export(const std::string& vm) {
    (void)vm;
    return nullptr;
  }
  // Installs an exported state as VM `vm`'s (the VM may have a new port name here).
  virtual bool monitor_import(const Json& state, const std::string& vm, std::string* error) {
    (void)state;
    (void)vm;
    *error = "monitors are not configured";
    return false;
  }
};

}  // namespace vigil::control
