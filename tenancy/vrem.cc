// VREM: per-VM workload figures (see vrem.h).
#include "tenancy/vrem.h"

namespace vigil {

bool silent(const VmSample& s) {
  return s.out_packets == 0 && s.in_packets == 0;
}

bool near_capacity(const VmSample& s, double ring_full) {
  const double ring = s.rx_ring_size > 0 ? static_cast<double>(s.rx_ring_used) / s.rx_ring_size : 0;
  return ring > ring_full || s.limited > 0;
}

void vrem_observe(VremState& st, const VmSample& s, bool ordinary, const MonitorSettings& settings,
                  const MonitorTuning& t) {
  const double sec = s.seconds > 0 ? s.seconds : 1;
  st.pps = static_cast<double>(s.out_packets + s.in_packets) / sec;
  st.bps = static_cast<double>(s.out_bytes + s.in_bytes) * 8 / sec;
  const uint64_t drops = s.host_access + s.spoofed + s.other_drops + s.limited;
  st.drops_per_s = static_cast<double>(drops) / sec;
  st.limited_per_s = static_cast<double>(s.limited) / sec;
  st.ring_occupancy = s.rx_ring_size > 0 ? static_cast<double>(s.rx_ring_used) / s.rx_ring_size : 0;
  st.link_up = s.link_up;
  ++st.intervals;
  if (near_capacity(s, t.ring_full)) {
    ++st.near_capacity_intervals;
  } else if (ordinary) {
    st.out_pps.update(static_cast<double>(s.out_packets) / sec, settings.ewma_alpha);
  }
  if (silent(s)) {
    st.inactive_s += sec;
  } else {
    st.inactive_s = 0;
    st.idle_reported = false;  // a later silence is a new one
  }
}

}  // namespace vigil
