// Per-port packet capture to pcapng files (vigilctl capture start/stop), on DPDK's librte_pcapng.
//
// A capture of port P records the frames received on P (direction in, dropped or not) and the
// frames the switch sends out of P (direction out: unicast to P, or a flood of a tenant whose
// bridge domain holds P, from another port; dropped frames are not sent). Out frames are
// recorded as tx sends them: 802.1Q tag stripped toward a VM port, pushed toward a trunk. A
// firewall reject's reply (meta.reply) has replaced the received frame in its mbuf: it is
// recorded as an out frame of its ingress port, and the frame that caused it is lost to the
// capture. Frames that tx then loses (link down, tx queue full) were recorded all the same.
//
// Workers call tap() between the bridge and tx stages: with no capture running it is one relaxed
// load. A captured frame is copied (rte_pcapng_copy) into the table's own mempool and queued on
// the port's MP/SC ring; a writer thread drains the rings into the files. A full ring or an empty
// pool loses the copy and counts it in `dropped`; a worker never waits.
//
// Timestamps: CaptureClock::kTsc stamps each frame with the wall-clock time of its tap;
// kFrameTime uses meta.time_us as microseconds since the epoch, so a replay's capture carries the
// input captures' time (deterministic output). vigil writes the timestamp itself: DPDK
// 22.11.11's TSC conversion in rte_pcapng_copy overflows a few seconds after start (measured),
// and keeps global state no worker synchronises. Frames are kept up to 2048 B (longer ones
// truncated, their length recorded): the writer takes single-segment copies only.
//
// Threads: create/start/stop/list/destructor from one control thread; tap() from any number of
// workers. Destroy the table only once no worker can call tap() any more. The writer thread
// inherits the CPU affinity of the thread calling create() (in vigild: the main lcore's CPU).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/packet_batch.h"
#include "tenancy/tenancy_map.h"

struct rte_mempool;
struct rte_ring;
struct rte_pcapng;

namespace vigil {

struct CaptureInfo {
  std::string port, file;
  uint64_t packets = 0;      // frames written to the file
  uint64_t dropped = 0;      // copies lost: pool empty, ring full, or the file could not be written
  uint64_t max_packets = 0;  // 0: unlimited
  bool active = false;       // still recording: false once max_packets frames were taken
  std::string error;         // a write error that ended the capture's file early, else empty
};

enum class CaptureClock : uint8_t { kTsc, kFrameTime };

struct CaptureOptions {
  // DPDK port id of each vigil port (rte_pcapng names interfaces by DPDK port); empty: the same
  // as the vigil port index.
  std::vector<uint16_t> dpdk_port_ids;
  CaptureClock clock = CaptureClock::kTsc;
  uint32_t pool_size = 8191;  // copies in flight, all captures together (~2.3 KB each)
  uint32_t ring_size = 2048;  // copies queued per port (a power of two)
};

class CaptureTable {
 public:
  // Creates the copy pool, one ring per port and the writer thread. Null with *error when the
  // pool or a ring cannot be created, or n_ports is 0 or above kMaxPorts.
  static std::unique_ptr<CaptureTable> create(uint16_t n_ports, std::string* error,
                                              const CaptureOptions& options = {});
  ~CaptureTable();  // stops every capture (flushing it) and the writer thread
  CaptureTable(const CaptureTable&) = delete;
  CaptureTable& operator=(const CaptureTable&) = delete;

  // Control thread. Creates `file` (mode 0640; an existing file is refused, as is a symlink) and
  // starts recording port `port`. False with *error: port out of range or without a DPDK port,
  // port already captured, file cannot be created or written, max_packets of 2^40 or more.
  bool start(uint16_t port, const std::string& port_name, const std::string& file,
             uint64_t max_packets, std::string* error);
  // Writes what was tapped before the call, closes the file and forgets the capture; false when
  // the port is not being captured.
  bool stop(uint16_t port, CaptureInfo* out);
  std::vector<CaptureInfo> list() const;

  // Workers: no allocation beyond the copy pool, no lock, no syscall. Does not take the mbufs.
  void tap(const PacketBatch& batch, const TenancyMap& tenancy);

 private:
  static constexpr unsigned kCountBits = 40;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;

  struct alignas(64) Slot {
    // Read by workers. state: capture generation << kCountBits | frames taken (counted only
    // with a max_packets). The generation tells the writer which copies belong to the open file.
    std::atomic<uint64_t> state{0};
    std::atomic<uint64_t> max_packets{0};
    std::atomic<uint64_t> dropped{0};  // generation << kCountBits | copies lost
    rte_ring* ring = nullptr;
    uint16_t dpdk_port = 0;
    // Control thread and writer, under mu_.
    rte_pcapng* out = nullptr;
    bool starting = false;
    uint32_t gen = 0;
    uint64_t written = 0;
    std::string name, file, error;
  };

  CaptureTable() = default;
  // Fast path: copies one frame for `port`'s capture; tsc and now_ns: the burst's tap time.
  void record(uint16_t port, rte_mbuf* m, const PacketMeta& meta, bool out,
              const TenancyMap& tenancy, uint64_t tsc, uint64_t now_ns);
  void count_loss(Slot& s, uint32_t gen);
  uint64_t tsc_to_ns(uint64_t tsc) const;
  CaptureInfo info(const Slot& s) const;

  // Writer side (capture_writer.cc), under mu_.
  void writer_loop();
  // Moves one burst of copies from the ring of `port` into its file (copies of an earlier
  // capture are freed); returns how many were dequeued.
  unsigned drain(uint16_t port);
  // Writes the statistics block, closes the file and frees the slot.
  void close_file(Slot& s);
  bool open_file(const std::string& file, const std::string& port_name, uint16_t dpdk_port,
                 rte_pcapng** out, std::string* error);

  std::atomic<uint64_t> active_{0};  // bit p: port p is being captured
  uint16_t n_ports_ = 0;
  std::unique_ptr<Slot[]> slots_;
  rte_mempool* pool_ = nullptr;
  CaptureClock clock_ = CaptureClock::kTsc;
  uint64_t base_tsc_ = 0, base_ns_ = 0, tsc_hz_ = 1;

  // Taken by the control calls through control_lock(): the writer, which holds mu_ while it
  // writes, steps aside as soon as one is waiting.
  std::unique_lock<std::mutex> control_lock() const;
  bool control_waiting() const;
  mutable std::atomic<unsigned> control_waiting_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  unsigned open_ = 0;  // captures with an open file
  bool quit_ = false;
  std::thread writer_;
};

}  // namespace vigil
