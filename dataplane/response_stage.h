// The monitors' service limits on VM ports (issue 6): what HSEM's playbooks apply to a suspect.
//  - ResponseTable, shared: the control thread sets each port's VmResponse; workers read the
//    whole table under a seqlock (a generation counter, odd while a writer is inside). A worker
//    that finds a writer busy keeps the responses it had and tries again next burst: it never
//    waits, and nothing has to be kept alive for it (no pointers are published).
//  - ResponseStage, one per worker, right after port security (only frames still alive): for a
//    port with a response,
//      quarantine: every frame from the VM is dropped (monitor_quarantine) except ARP, IPv6
//        neighbour solicitations/advertisements (IPv6's ARP) and IP packets to a `management`
//        CIDR;
//      rate_pps: an rte_meter srTCM, colour blind, counts packets (pkt_len = 1 token per frame):
//        cir = the port's rate / the workers receiving its frames (rounded up), cbs =
//        max(cir / 10, 16), ebs = 0; a frame without a token (red) is dropped
//        (monitor_rate_limit);
//      new_conn_per_s: TCP SYN without ACK through a second such meter (monitor_conn_limit).
//    Time is the frame's meta.time_us in TSC units (rte_meter's clock), so a replay is metered
//    the same way every time; a meter starts full at its first frame, and a frame older than
//    the meter's last update is metered at that update's time.
#pragma once

#include <rte_meter.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/packet_batch.h"
#include "dataplane/worker_counters.h"
#include "tenancy/monitor_types.h"

namespace vigil {

class ResponseTable {
 public:
  // `management`: CIDRs a quarantined VM may still reach ("192.0.2.0/24", "fd00:99::/64").
  // `pollers[p]`: how many workers receive port p's frames (a vhost port with one queue has
  // one), among whom its rates are split; missing or 0: `workers`. Throws std::invalid_argument
  // for a bad CIDR, n_ports above kMaxPorts or no worker.
  ResponseTable(uint16_t n_ports, unsigned workers, const std::vector<std::string>& management,
                std::vector<uint16_t> pollers = {});
  ResponseTable(const ResponseTable&) = delete;
  ResponseTable& operator=(const ResponseTable&) = delete;

  // Control thread(s). Ports out of range are ignored. A VmResponse{} lifts every limit.
  void set(uint16_t port, const VmResponse& r);
  void clear(uint16_t port) { set(port, VmResponse{}); }
  VmResponse get(uint16_t port) const;

  uint16_t ports() const { return n_ports_; }
  // The per-worker share of `rate` for `port` (rounded up, so a small rate is never 0).
  uint64_t worker_rate(uint16_t port, uint64_t rate) const;
  // Whether a quarantined VM may send to `addr` (network byte order, 4 or 16 bytes).
  bool management(bool v4, const uint8_t* addr) const;

  // Workers: the current generation (even when stable), and a copy of every port's response
  // made under it; false when a writer was inside (keep the old copy, try again later).
  uint64_t generation() const { return seq_.load(std::memory_order_acquire); }
  bool read(uint64_t generation, std::vector<VmResponse>& out) const;

 private:
  struct Slot {
    std::atomic<bool> quarantine{false}, capture{false};
    std::atomic<uint64_t> rate_pps{0}, new_conn_per_s{0};
  };
  struct Net6 {
    std::array<uint8_t, 16> addr;
    uint8_t len;
  };

  uint16_t n_ports_;
  std::array<Slot, kMaxPorts> slots_;
  std::atomic<uint64_t> seq_{0};
  std::mutex write_;  // writers only
  std::vector<uint16_t> divisor_;
  std::vector<std::pair<uint32_t, uint32_t>> mgmt4_;  // network, mask (host order)
  std::vector<Net6> mgmt6_;
};

class ResponseStage {
 public:
  explicit ResponseStage(const ResponseTable& table);
  ResponseStage(const ResponseStage&) = delete;
  ResponseStage& operator=(const ResponseStage&) = delete;

  void process(PacketBatch& batch);

  // A frame time in rte_meter's clock: microseconds to TSC cycles (rte_get_tsc_hz()).
  static uint64_t to_tsc(uint64_t time_us);

 private:
  struct Meter {
    uint64_t rate = 0;  // per worker, packets per second; 0: off
    bool started = false;
    rte_meter_srtcm_profile profile{};
    rte_meter_srtcm state{};
    void configure(uint64_t per_worker_rate);
    bool admit(uint64_t tsc);
  };
  struct PortLimits {
    bool quarantine = false;
    Meter rate, conn;
    bool active() const { return quarantine || rate.rate != 0 || conn.rate != 0; }
  };

  void refresh();
  bool quarantine_allows(const uint8_t* frame, const PacketMeta& m) const;

  const ResponseTable& table_;
  uint64_t generation_ = ~uint64_t(0);  // none adopted yet
  bool any_ = false;                    // some port has a response
  std::vector<VmResponse> copy_;
  std::vector<PortLimits> ports_;
};

}  // namespace vigil
