// The monitors' fast path, level 1 and 2 (issue 6; tenancy/monitor_types.h has the vocabulary):
//  - MonitorTap, one per worker: after the bridge, before tx (drops and out_port known), it
//    counts each VM port's frames from and to the VM and adds addresses and ports to
//    HyperLogLog sketches; for ports at level 2 it also queues a DetailRecord per frame.
//  - MonitorCollector, on the control thread: owns the taps, advances the sketches' epoch and
//    turns the taps' counters into one VmSample per VM port and interval; drains the details.
//
// Costs on the fast path: a few relaxed adds per frame, two loads per burst; no allocation, lock
// or syscall. Counters are monotonic with one writer (their worker): the collector differences
// successive sums. Sketches are per interval, double-buffered by the epoch's parity (see
// monitor_tap.cc for the hand-over).
//
// What counts where (a frame is "from" VM port p when it came in on p; "to" p when it is not
// dropped and its unicast out_port is p, or it is a flood of p's tenant reaching p):
//  - from: every frame, dropped or not (attempts are what VSEM watches): packets, bytes, SYNs
//    without ACK, ARP, drops split into host_access / spoofed / limited (the response stage's
//    reasons) / other; destination address (ARP: the target IP), destination port (TCP/UDP,
//    with the protocol), and the destination address again when the unicast out_port is a VM
//    port of this host (fan-out).
//  - to: packets, bytes (without the trunk's tag), SYN, SYN-ACK, RST, ICMP/ICMPv6 unreachable,
//    source address. Frames tx then loses (link down, queue full) are counted all the same.
//  - A firewall/IDS reject (meta.reply) replaced the VM's frame with the RST or ICMP
//    unreachable sent back to it: it counts as one frame from the VM (bytes: the reply's,
//    destination: the reply's source; a RST+ACK answers a segment without ACK, so a SYN) and
//    as one delivered to it (in_rst / in_unreachable), which is what the VM sees.
//  - DetailRecord: family 4/6 for IP; ARP is family 4, proto 0, with the ARP's sender/target
//    IPs; other frames family 0. Records of a full ring are counted lost, never waited for.
//
// Threads: observe() from the tap's worker only; MonitorCollector from one control thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/packet_batch.h"
#include "dataplane/switch_state.h"
#include "tenancy/hyperloglog.h"
#include "tenancy/monitor_types.h"

struct rte_ring;

namespace vigil {

enum class TapCounter : uint8_t {
  kOutPackets,
  kOutBytes,
  kOutSyn,
  kOutArp,
  kHostAccess,
  kSpoofed,
  kOtherDrops,
  kLimited,
  kInPackets,
  kInBytes,
  kInSyn,
  kInSynack,
  kInRst,
  kInUnreachable,
  kCount
};
inline constexpr std::size_t kTapCounterCount = static_cast<std::size_t>(TapCounter::kCount);

// One port's counters as the control thread read them (summed over workers, or a difference).
struct TapSnapshot {
  std::array<uint64_t, kTapCounterCount> v{};
  uint64_t operator[](TapCounter c) const { return v[static_cast<std::size_t>(c)]; }
  TapSnapshot& operator+=(const TapSnapshot& o) {
    for (std::size_t i = 0; i < kTapCounterCount; ++i) v[i] += o.v[i];
    return *this;
  }
};

// One port's distinct counts over one interval.
struct TapSketches {
  HyperLogLog dst_ips, dst_ports, inner_dsts, src_ips;
  void clear();
  void merge(const TapSketches& o);
};

// Written by the control thread (the collector), read by every tap.
struct MonitorShared {
  std::atomic<uint32_t> epoch{1};         // current sketch interval
  std::atomic<uint64_t> detail_ports{0};  // bit p: port p is at level 2 (kMaxPorts is 64)
};

class MonitorTap {
 public:
  // `details` (SP/SC ring of DetailRecord elements, may be null: no level 2) is drained by the
  // collector; the tap does not own it.
  MonitorTap(const MonitorShared& shared, uint16_t n_ports, rte_ring* details);
  MonitorTap(const MonitorTap&) = delete;
  MonitorTap& operator=(const MonitorTap&) = delete;

  // Worker: the burst after the bridge stage, before tx.
  void observe(const PacketBatch& batch, const SwitchState& state);

  // Control thread. Adds port's counters to `out`.
  void read(uint16_t port, TapSnapshot& out) const;
  // Merges port's sketches of interval `epoch` into `into`; false (nothing merged) when this
  // worker recorded nothing for the port in that interval.
  bool merge_sketches(uint32_t epoch, uint16_t port, TapSketches& into) const;
  uint64_t details_lost() const { return details_lost_.load(std::memory_order_relaxed); }
  uint16_t ports() const { return n_ports_; }

 private:
  struct Facts;
  struct alignas(64) PortTap {
    std::atomic<uint64_t> c[kTapCounterCount] = {};
    std::atomic<uint32_t> tag[2] = {};  // the epoch sketches[parity] belong to
    TapSketches sketches[2];
  };

  void bump(uint16_t port, TapCounter c, uint64_t n = 1) {
    std::atomic<uint64_t>& a = ports_[port].c[static_cast<std::size_t>(c)];
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);  // one writer
  }
  static Facts read_facts(const uint8_t* frame, const PacketMeta& m);
  TapSketches& sketches(uint16_t port);
  void count_from(uint16_t port, const Facts& f, const PacketMeta& m, uint32_t len, bool inner);
  void count_to(uint16_t port, const Facts& f, const PacketMeta& m, uint32_t len);
  void observe_reply(uint16_t port, const uint8_t* frame, uint32_t len, const PacketMeta& m);
  void record(uint16_t port, bool inbound, const Facts& f, const PacketMeta& m, uint32_t len);

  const MonitorShared& shared_;
  uint16_t n_ports_;
  rte_ring* details_;
  std::unique_ptr<PortTap[]> ports_;
  uint32_t epoch_ = 0;   // the interval this worker writes sketches for
  uint64_t detail_ = 0;  // level-2 ports, loaded once per burst
  std::atomic<uint64_t> details_lost_{0};
};

// One VM port's level-1 sample: `now - before` of the counters, the sketches' estimates.
VmSample make_sample(uint16_t port, double seconds, const TapSnapshot& now,
                     const TapSnapshot& before, const TapSketches& merged);

class MonitorCollector {
 public:
  // One tap (and one detail ring of `detail_ring` records, a power of two) per worker. Null with
  // *error when n_ports is 0 or above kMaxPorts, or a ring cannot be created (needs the EAL).
  static std::unique_ptr<MonitorCollector> create(uint16_t n_ports, unsigned workers,
                                                  std::string* error, uint32_t detail_ring = 4096);
  ~MonitorCollector();  // frees the rings: destroy only once no worker calls observe()
  MonitorCollector(const MonitorCollector&) = delete;
  MonitorCollector& operator=(const MonitorCollector&) = delete;

  MonitorTap& tap(unsigned worker) { return *taps_[worker]; }
  unsigned workers() const { return static_cast<unsigned>(taps_.size()); }
  uint32_t epoch() const { return shared_.epoch.load(std::memory_order_relaxed); }

  // Closes the interval: a sample for every port with vm_port[p] set (counters since the last
  // collect, sketches of the interval just closed). `seconds` is the interval's length.
  std::vector<VmSample> collect(double seconds, const std::vector<bool>& vm_port);

  // Level 2 for `port` on or off; drain_details() takes what the taps queued (up to `max`).
  void set_detail(uint16_t port, bool on);
  bool detail(uint16_t port) const;
  std::vector<DetailRecord> drain_details(std::size_t max = 65536);
  uint64_t details_lost() const;  // records dropped because a ring was full, all workers

 private:
  explicit MonitorCollector(uint16_t n_ports) : n_ports_(n_ports), before_(n_ports) {}

  uint16_t n_ports_;
  MonitorShared shared_;
  std::vector<rte_ring*> rings_;
  std::vector<std::unique_ptr<MonitorTap>> taps_;
  std::vector<TapSnapshot> before_;
  std::unique_ptr<TapSketches> scratch_ = std::make_unique<TapSketches>();
};

}  // namespace vigil
