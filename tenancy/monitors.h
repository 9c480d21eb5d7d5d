// Monitors: the host's VSEM/VREM (one per VM port) and HSEM/HREM, driven by the control thread
// once per interval. It turns level-1 samples and level-2 detail records into events and into
// the response the switch must enforce on each VM port. Pure decision logic: no DPDK, no wall
// clock (time is what tick() is given), so the same inputs give the same events.
//
// Per VM and interval (tick):
//  1. VSEM judges the sample against the VM's baseline (monitor_baseline.h), learns it if
//     nothing was anomalous, and escalates a level-1 VM with an anomaly to level 2 (kEscalated).
//  2. The interval's detail records of level-2 VMs are aggregated per peer (vsem.h).
//  3. HSEM classifies each level-2 VM (hsem.h): attacker / victim with detections; a new verdict
//     or new detections give kVerdict and the first matching playbook's response. A level-2 VM
//     quiet for the playbook's release_after_s (cooldown_s without one) is released (kReleased,
//     verdict benign, response cleared).
//  4. VREM/HREM: kOverflow once per near-capacity episode, kIdle once per silence.
// Events come VM by VM in port order, and per VM in that order.
//
// State is kept by VM name: set_vms() may add, remove, move or re-attach VMs; a removed VM's
// state is parked and returns when a VM of that name is attached again (forget() drops it).
// Responses change on tick(), release(), load(), import_vm() and set_vms(); generation() counts
// those changes so a caller can push responses to the dataplane only when needed.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tenancy/hsem.h"
#include "tenancy/monitor_state.h"
#include "tenancy/monitor_types.h"
#include "tenancy/vsem.h"

namespace vigil {

struct MonitoredVm {
  uint16_t port = 0;
  std::string name;  // the VM's port name
  std::string tenant;
  std::vector<IpAddress> addresses;  // its bound addresses, to name it in others' details
};

class Monitors {
 public:
  Monitors(MonitorSettings settings, std::vector<MonitoredVm> vms, MonitorTuning tuning = {});

  void set_vms(std::vector<MonitoredVm> vms);
  // The host's own and management addresses, named "host" in details.
  void set_host_addresses(std::vector<IpAddress> addresses);

  // One interval: the samples of the VM ports (others are ignored) and the detail records
  // drained since the last tick. Returns this interval's events.
  std::vector<MonitorEvent> tick(uint64_t now_us, const std::vector<VmSample>& samples,
                                 const std::vector<DetailRecord>& details);

  // What the switch must enforce on a port now (empty for unknown ports).
  const VmResponse& response(uint16_t port) const;
  int level(uint16_t port) const;  // 1 or 2 (1 for unknown ports)
  bool wants_detail(uint16_t port) const { return level(port) == 2; }
  uint64_t generation() const { return generation_; }

  // Operator: back to level 1 now. False when the VM is unknown or at level 1. The event
  // (kReleased, actions ["operator_release"], time_us 0) is for the caller to publish.
  bool release(const std::string& vm, MonitorEvent* event = nullptr);
  bool forget(const std::string& vm);

  // Per attached VM (port order): name, port, tenant and state_status(), plus top peers at
  // level 2; and the names of parked VMs.
  nlohmann::json status() const;
  // All VMs' state (attached and parked), and back. load() replaces everything or nothing.
  nlohmann::json save() const;
  bool load(const nlohmann::json& j, std::string* error);
  // One VM's state for migration; import replaces the named VM's state.
  nlohmann::json export_vm(const std::string& vm) const;
  bool import_vm(const nlohmann::json& j, std::string* error);

  const MonitorSettings& settings() const { return settings_; }

 private:
  const MonitoredVm* vm_at(uint16_t port) const;
  const VmMonitorState* state_at(uint16_t port) const;
  MonitorEvent event(uint64_t now_us, MonitorEventType type, const MonitoredVm& vm) const;
  void step(uint64_t now_us, const MonitoredVm& vm, const VmSample& s, VmMonitorState& st,
            std::vector<MonitorEvent>& events);
  void rebuild_book();

  MonitorSettings settings_;
  MonitorTuning tuning_;
  std::vector<Playbook> playbooks_;
  std::vector<MonitoredVm> vms_;                 // attached, in port order
  std::map<uint16_t, std::size_t> by_port_;      // port -> index in vms_
  std::map<std::string, VmMonitorState> state_;  // by VM name, attached or parked
  std::vector<IpAddress> host_;
  AddressBook book_;
  uint64_t generation_ = 0;
};

}  // namespace vigil
