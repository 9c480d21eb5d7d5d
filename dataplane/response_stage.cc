#include "dataplane/response_stage.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tenancy/cidr.h"

namespace vigil {
namespace {

constexpr uint8_t kTcp = 6, kIcmpv6 = 58;
constexpr uint8_t kSyn = 0x02, kAck = 0x10;
constexpr uint8_t kNeighborSolicit = 135, kNeighborAdvert = 136;

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

uint32_t prefix_mask(uint8_t len) {
  return len == 0 ? 0 : ~uint32_t(0) << (32 - len);
}

}  // namespace

ResponseTable::ResponseTable(uint16_t n_ports, unsigned workers,
                             const std::vector<std::string>& management,
                             std::vector<uint16_t> pollers)
    : n_ports_(n_ports) {
  if (n_ports > kMaxPorts) throw std::invalid_argument("monitor responses: too many ports");
  if (workers == 0) throw std::invalid_argument("monitor responses: no worker");
  divisor_.assign(n_ports, static_cast<uint16_t>(workers));
  for (std::size_t p = 0; p < n_ports && p < pollers.size(); ++p) {
    if (pollers[p] != 0) divisor_[p] = pollers[p];
  }
  for (const std::string& text : management) {
    Cidr c;
    std::string why;
    if (!parse_cidr(text, &c, &why)) {
      throw std::invalid_argument("monitor management address '" + text + "': " + why);
    }
    if (c.v6) {
      mgmt6_.push_back(Net6{c.addr, c.len});
    } else {
      const uint32_t mask = prefix_mask(c.len);
      mgmt4_.emplace_back(be32(c.addr.data()) & mask, mask);
    }
  }
}

void ResponseTable::set(uint16_t port, const VmResponse& r) {
  if (port >= n_ports_) return;
  std::lock_guard<std::mutex> lock(write_);
  const uint64_t s = seq_.load(std::memory_order_relaxed);
  seq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // odd before any field changes
  Slot& slot = slots_[port];
  slot.quarantine.store(r.quarantine, std::memory_order_relaxed);
  slot.capture.store(r.capture, std::memory_order_relaxed);
  slot.rate_pps.store(r.rate_pps, std::memory_order_relaxed);
  slot.new_conn_per_s.store(r.new_conn_per_s, std::memory_order_relaxed);
  seq_.store(s + 2, std::memory_order_release);
}

VmResponse ResponseTable::get(uint16_t port) const {
  VmResponse r;
  if (port >= n_ports_) return r;
  const Slot& slot = slots_[port];
  r.quarantine = slot.quarantine.load(std::memory_order_relaxed);
  r.capture = slot.capture.load(std::memory_order_relaxed);
  r.rate_pps = slot.rate_pps.load(std::memory_order_relaxed);
  r.new_conn_per_s = slot.new_conn_per_s.load(std::memory_order_relaxed);
  return r;
}

bool ResponseTable::read(uint64_t generation, std::vector<VmResponse>& out) const {
  if (generation & 1) return false;
  out.resize(n_ports_);  // sized once: no allocation after the first read
  for (uint16_t p = 0; p < n_ports_; ++p) out[p] = get(p);
  std::atomic_thread_fence(std::memory_order_acquire);  // the fields before the re-check
  return seq_.load(std::memory_order_relaxed) == generation;
}

uint64_t ResponseTable::worker_rate(uint16_t port, uint64_t rate) const {
  const uint64_t d = port < n_ports_ ? divisor_[port] : 1;
  return (rate + d - 1) / d;
}

bool ResponseTable::management(bool v4, const uint8_t* addr) const {
  if (v4) {
    const uint32_t a = be32(addr);
    for (const auto& [net, mask] : mgmt4_) {
      if ((a & mask) == net) return true;
    }
    return false;
  }
  for (const Net6& n : mgmt6_) {
    const unsigned whole = n.len / 8, bits = n.len % 8;
    if (std::memcmp(addr, n.addr.data(), whole) != 0) continue;
    if (bits == 0) return true;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[whole] & mask) == n.addr[whole]) return true;
  }
  return false;
}

void ResponseStage::Meter::configure(uint64_t per_worker_rate) {
  if (per_worker_rate == rate) return;  // unchanged: keep the bucket as it is
  rate = per_worker_rate;
  started = false;
  if (rate == 0) return;
  // Tokens are packets: each frame is metered with pkt_len 1.
  rte_meter_srtcm_params params{};
  params.cir = rate;
  params.cbs = std::max<uint64_t>(rate / 10, 16);
  params.ebs = 0;  // no yellow: a frame is green (passes) or red (dropped)
  if (rte_meter_srtcm_profile_config(&profile, &params) != 0 ||
      rte_meter_srtcm_config(&state, &profile) != 0) {
    rate = 0;  // cannot happen with cir, cbs > 0; fail open rather than drop everything
  }
}

bool ResponseStage::Meter::admit(uint64_t tsc) {
  // rte_meter_srtcm_config stamped the meter with the current TSC; frame time is another
  // clock, and the meter's unsigned arithmetic must never see time go backwards.
  if (!started) {
    state.time = tsc;
    started = true;
  }
  if (tsc < state.time) tsc = state.time;
  return rte_meter_srtcm_color_blind_check(&state, &profile, tsc, 1) == RTE_COLOR_GREEN;
}

ResponseStage::ResponseStage(const ResponseTable& table)
    : table_(table), copy_(table.ports()), ports_(table.ports()) {}

uint64_t ResponseStage::to_tsc(uint64_t time_us) {
  const uint64_t hz = rte_get_tsc_hz();
  // Split so that epoch microseconds times a GHz clock does not overflow.
  return time_us / 1000000 * hz + time_us % 1000000 * hz / 1000000;
}

void ResponseStage::refresh() {
  const uint64_t g = table_.generation();
  if (g == generation_ || !table_.read(g, copy_)) return;
  generation_ = g;
  any_ = false;
  for (uint16_t p = 0; p < ports_.size(); ++p) {
    const VmResponse& r = copy_[p];
    PortLimits& pl = ports_[p];
    pl.quarantine = r.quarantine;
    pl.rate.configure(table_.worker_rate(p, r.rate_pps));
    pl.conn.configure(table_.worker_rate(p, r.new_conn_per_s));
    any_ |= pl.active();
  }
}

bool ResponseStage::quarantine_allows(const uint8_t* frame, const PacketMeta& m) const {
  const uint8_t* l3 = frame + m.l3_offset;
  switch (m.l3) {
    case L3Kind::kArp:
      return true;
    case L3Kind::kIpv4:
      return table_.management(true, l3 + 16);
    case L3Kind::kIpv6:
      if (m.l4_proto == kIcmpv6) {
        const uint8_t type = frame[m.l4_offset];
        if (type == kNeighborSolicit || type == kNeighborAdvert) return true;
      }
      return table_.management(false, l3 + 24);
    default:
      return false;
  }
}

void ResponseStage::process(PacketBatch& batch) {
  refresh();
  if (!any_) return;
  for (uint16_t i = 0; i < batch.count; ++i) {
    if (!batch.alive(i)) continue;
    const PacketMeta& m = batch.meta[i];
    if (m.in_port >= ports_.size()) continue;
    PortLimits& pl = ports_[m.in_port];
    if (!pl.active()) continue;
    const uint8_t* frame = rte_pktmbuf_mtod(batch.pkts[i], const uint8_t*);
    if (pl.quarantine && !quarantine_allows(frame, m)) {
      batch.drop(i, DropReason::kMonitorQuarantine);
      continue;
    }
    const uint64_t now = to_tsc(m.time_us);
    if (pl.rate.rate != 0 && !pl.rate.admit(now)) {
      batch.drop(i, DropReason::kMonitorRateLimit);
      continue;
    }
    const bool syn = m.l4_proto == kTcp && (frame[m.l4_offset + 13] & (kSyn | kAck)) == kSyn;
    if (syn && pl.conn.rate != 0 && !pl.conn.admit(now)) {
      batch.drop(i, DropReason::kMonitorConnLimit);
    }
  }
}

}  // namespace vigil
