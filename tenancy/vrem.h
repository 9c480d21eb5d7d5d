// VREM, the per-VM reliability monitor (DESIGN.md, "The monitors"): the VM's workload each
// interval (packet and bit rates, drops, rx ring occupancy), how often and how long in a row it
// ran near its capacity, and how long it has been silent. HREM (hsem.h) turns these into
// overflow and idle reports.
#pragma once

#include <cstdint>

#include "tenancy/monitor_baseline.h"
#include "tenancy/monitor_types.h"

namespace vigil {

struct VremState {
  // The last interval.
  double pps = 0;          // both directions
  double bps = 0;          // both directions, bits
  double drops_per_s = 0;  // the VM's dropped frames (any reason, monitors' limits included)
  double limited_per_s = 0;
  double ring_occupancy = 0;  // rx ring used / size, 0..1
  bool link_up = true;
  // History.
  Ewma out_pps;  // packets from the VM, learnt from ordinary intervals only (not near capacity)
  uint64_t intervals = 0;
  uint64_t near_capacity_intervals = 0;  // in all
  uint32_t near_capacity_run = 0;        // in a row, up to this interval (HREM sets it)
  bool overflow_reported = false;        // this near-capacity episode was reported
  double inactive_s = 0;                 // seconds without a packet either way
  bool idle_reported = false;            // this silence was reported
};

// True when the interval had no packet either way.
bool silent(const VmSample& s);
// True when the VM ran near its capacity: rx ring above `ring_full` or frames limited.
bool near_capacity(const VmSample& s, double ring_full);

// Updates the workload figures, the near-capacity count and the silence counter (re-arming the
// idle report on activity). The packet-rate history learns the interval when `ordinary` (VSEM
// found nothing anomalous) and the VM was not near capacity: an overload must not become the norm.
void vrem_observe(VremState& st, const VmSample& s, bool ordinary, const MonitorSettings& settings,
                  const MonitorTuning& t);

}  // namespace vigil
