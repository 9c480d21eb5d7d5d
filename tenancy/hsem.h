// HSEM and HREM, the host-level monitors (DESIGN.md, "The monitors"). They never look at
// packets themselves: HSEM reads VSEM's judgements of level-2 VMs and decides attacker / victim
// (with named detections), picks the playbook and so the VM's response, and releases the VM
// after a quiet cool-down; HREM reads VREM's workload figures and reports overflow and idle VMs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tenancy/monitor_baseline.h"
#include "tenancy/monitor_types.h"
#include "tenancy/vrem.h"

namespace vigil {

// One interval of a level-2 VM, classified.
struct Classification {
  Verdict verdict = Verdict::kNone;
  std::vector<Detection> detections;  // sorted, unique
};

// Attacker when an outbound metric is anomalous, victim when only inbound ones are; attacker
// wins. Outbound surges that are a VM's answers to an inbound SYN flood (its SYN-ACKs and RSTs:
// no anomalous SYNs of its own, no more packets out than in beyond its normal rate) are not
// held against it. host_access and spoofed always are.
Classification classify(const MetricValues& v, const Judgement& j, double seconds,
                        const MonitorTuning& t);

// The playbooks in force: settings.playbooks, or when there are none the defaults:
// attacker + spoofing|host_access -> quarantine + capture; attacker -> rate_limit
// (Playbook's rate_pps / new_conn_per_s); victim -> alert. Defaults release after cooldown_s.
std::vector<Playbook> effective_playbooks(const MonitorSettings& s);
// The first playbook for the verdict whose detections are empty or meet `detections`.
const Playbook* choose_playbook(const std::vector<Playbook>& books, Verdict v,
                                const std::vector<Detection>& detections);
VmResponse response_of(const Playbook& p);
const char* playbook_action_name(PlaybookAction a);  // "alert", "rate_limit", ...
bool parse_playbook_action(const std::string& name, PlaybookAction* out);
bool parse_verdict(const std::string& name, Verdict* out);

// HSEM's view of one level-2 VM: the episode since it was escalated.
struct HsemState {
  Verdict verdict = Verdict::kNone;   // attacker once any interval was; else victim once any was
  std::vector<Detection> detections;  // the verdict's detections over the episode
  std::vector<Evidence> evidence;     // of the interval that last changed the verdict
  VmResponse response;                // what the switch enforces
  std::vector<std::string> actions;   // the playbook's actions, by name
  uint32_t release_after_s = 0;       // quiet time before release (playbook or cooldown_s)
  double quiet_s = 0;                 // seconds at level 2 with nothing anomalous
};

struct HsemStep {
  bool verdict_changed = false;  // emit a verdict event (verdict or detections changed)
  bool release = false;          // quiet long enough: back to level 1
};

// One interval of a level-2 VM. `anomalous`: any metric was (even one HSEM discounted).
HsemStep hsem_step(HsemState& st, const Classification& c, bool anomalous, double seconds,
                   const MonitorSettings& s, const std::vector<Playbook>& books);

// HREM. Overflow: true once per episode of overflow_intervals near-capacity intervals in a row,
// each with an outbound packet rate unusual for VREM's history (above its threshold without
// floor, once that history has warmup_intervals samples). Updates the run and the episode flag.
bool hrem_overflow(VremState& st, const VmSample& sample, const MonitorSettings& s,
                   const MonitorTuning& t);
// Idle: true once per silence of idle_after_s or more.
bool hrem_idle(VremState& st, const MonitorSettings& s);

}  // namespace vigil
