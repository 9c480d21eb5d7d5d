// CaptureTable: creation, the control calls (start, stop, list) and the workers' tap.
// The writer thread and the files are in capture_writer.cc.
#ifndef ALLOW_EXPERIMENTAL_API
#define ALLOW_EXPERIMENTAL_API  // rte_pcapng is experimental in DPDK 22.11
#endif

#include "dataplane/capture.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include <cstring>
#include <ctime>

#include "dataplane/worker_counters.h"

namespace vigil {
namespace {

// Longest frame a copy keeps: max_frame's ceiling (2040 B) + a received tag + a pushed one.
// Longer frames are truncated (pcapng keeps their original length): rte_pcapng_write_packets
// only accepts single-segment copies.
constexpr uint32_t kSnapLen = 2048;

// Offsets in a pcapng Enhanced Packet Block, the layout rte_pcapng_copy builds at the start of
// the copy (pcapng spec, host byte order).
constexpr uint32_t kEpbType = 6;
constexpr size_t kEpbBlockLen = 4, kEpbTsHigh = 12, kEpbTsLow = 16, kEpbCapLen = 20,
                 kEpbOrigLen = 24, kEpbHeader = 28;

uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void put32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
void add32(uint8_t* p, int32_t delta) {
  put32(p, get32(p) + static_cast<uint32_t>(delta));
}

// The frame in copy c grew or shrank by delta bytes: fixes the block's lengths.
void adjust_epb(rte_mbuf* c, int32_t delta) {
  uint8_t* epb = rte_pktmbuf_mtod(c, uint8_t*);
  add32(epb + kEpbBlockLen, delta);
  add32(epb + kEpbCapLen, delta);
  add32(epb + kEpbOrigLen, delta);
  put32(epb + rte_pktmbuf_data_len(c) - 4, get32(epb + kEpbBlockLen));  // trailing length
}

void put_tag(uint8_t* tag, uint16_t tci) {
  tag[0] = 0x81;
  tag[1] = 0x00;
  tag[2] = static_cast<uint8_t>(tci >> 8);
  tag[3] = static_cast<uint8_t>(tci);
}

// Makes the frame in copy c what tx sends out of `port` (tx_stage.cc): the received outer tag
// removed, the tenant's tag pushed when the port carries the tenant tagged.
void retag(rte_mbuf* c, const PacketMeta& meta, uint16_t port, const TenancyMap& tenancy) {
  if (c->nb_segs != 1 || meta.tenant >= tenancy.tenant_count()) return;
  uint8_t* epb = rte_pktmbuf_mtod(c, uint8_t*);
  const uint32_t cap_len = get32(epb + kEpbCapLen);
  const bool egress = tenancy.egress_tagged(port, meta.tenant);
  const uint16_t tci = static_cast<uint16_t>(meta.pcp << 13 | tenancy.vlan(meta.tenant));
  if (meta.tagged) {
    if (cap_len < 16) return;
    if (egress) {
      put_tag(epb + kEpbHeader + 12, tci);
      return;
    }
    std::memmove(epb + 4, epb, kEpbHeader + 12);
    rte_pktmbuf_adj(c, 4);
    adjust_epb(c, -4);
  } else if (egress) {
    if (cap_len < 12) return;
    auto* moved = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(c, 4));
    if (moved == nullptr) return;
    std::memmove(moved, moved + 4, kEpbHeader + 12);
    put_tag(moved + kEpbHeader + 12, tci);
    adjust_epb(c, 4);
  }
}

std::atomic<unsigned> table_serial{0};  // DPDK object names are global: one suffix per table

}  // namespace

std::unique_ptr<CaptureTable> CaptureTable::create(uint16_t n_ports, std::string* error,
                                                   const CaptureOptions& options) {
  if (n_ports == 0 || n_ports > kMaxPorts) {
    *error = "capture: " + std::to_string(n_ports) + " ports (1.." + std::to_string(kMaxPorts) +
             " supported)";
    return nullptr;
  }
  if (!options.dpdk_port_ids.empty() && options.dpdk_port_ids.size() != n_ports) {
    *error = "capture: " + std::to_string(options.dpdk_port_ids.size()) + " DPDK port ids for " +
             std::to_string(n_ports) + " ports";
    return nullptr;
  }
  std::unique_ptr<CaptureTable> t(new CaptureTable());
  t->n_ports_ = n_ports;
  t->slots_ = std::make_unique<Slot[]>(n_ports);
  t->clock_ = options.clock;
  const std::string suffix = std::to_string(table_serial.fetch_add(1));
  const std::string pool_name = "vigil_cap" + suffix;
  const unsigned cache = options.pool_size >= 1024 ? 128 : 0;
  t->pool_ =
      rte_pktmbuf_pool_create(pool_name.c_str(), options.pool_size, cache, 0,
                              static_cast<uint16_t>(rte_pcapng_mbuf_size(kSnapLen)), SOCKET_ID_ANY);
  if (t->pool_ == nullptr) {
    *error = "capture: cannot create the copy pool: " + std::string(rte_strerror(rte_errno));
    return nullptr;
  }
  for (uint16_t p = 0; p < n_ports; ++p) {
    Slot& s = t->slots_[p];
    s.dpdk_port = options.dpdk_port_ids.empty() ? p : options.dpdk_port_ids[p];
    const std::string ring_name = "vigil_cap" + suffix + "_" + std::to_string(p);
    s.ring = rte_ring_create(ring_name.c_str(), options.ring_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (s.ring == nullptr) {
      *error = "capture: cannot create ring " + ring_name + ": " + rte_strerror(rte_errno);
      return nullptr;  // the destructor frees what was made
    }
  }
  // Wall clock of the TSC, for kTsc timestamps.
  t->tsc_hz_ = rte_get_tsc_hz();
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  t->base_tsc_ = rte_get_tsc_cycles();
  t->base_ns_ = uint64_t(now.tv_sec) * 1'000'000'000 + uint64_t(now.tv_nsec);
  if (t->tsc_hz_ == 0) t->tsc_hz_ = 1;
  t->writer_ = std::thread([raw = t.get()] { raw->writer_loop(); });
  return t;
}

CaptureTable::~CaptureTable() {
  if (writer_.joinable()) {
    {
      auto lock = control_lock();
      quit_ = true;
    }
    wake_.notify_all();
    writer_.join();
  }
  for (uint16_t p = 0; p < n_ports_; ++p) {
    Slot& s = slots_[p];
    if (s.out != nullptr) {
      CaptureInfo ignored;
      stop(p, &ignored);
    }
    if (s.ring == nullptr) continue;
    void* obj;
    while (rte_ring_sc_dequeue(s.ring, &obj) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(obj));
    rte_ring_free(s.ring);
  }
  rte_mempool_free(pool_);
}

std::unique_lock<std::mutex> CaptureTable::control_lock() const {
  control_waiting_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock<std::mutex> lock(mu_);
  control_waiting_.fetch_sub(1, std::memory_order_relaxed);
  return lock;
}

uint64_t CaptureTable::tsc_to_ns(uint64_t tsc) const {
  const uint64_t delta = tsc > base_tsc_ ? tsc - base_tsc_ : 0;
  // Whole seconds first: delta * 1e9 alone overflows after a few seconds.
  return base_ns_ + delta / tsc_hz_ * 1'000'000'000 + delta % tsc_hz_ * 1'000'000'000 / tsc_hz_;
}

bool CaptureTable::start(uint16_t port, const std::string& port_name, const std::string& file,
                         uint64_t max_packets, std::string* error) {
  if (port >= n_ports_) {
    *error = "capture: no port " + std::to_string(port);
    return false;
  }
  if (max_packets > kCountMask) {
    *error = "capture: max_packets must be below 2^" + std::to_string(kCountBits);
    return false;
  }
  Slot& s = slots_[port];
  if (!rte_eth_dev_is_valid_port(s.dpdk_port)) {
    *error = "capture: port " + port_name + " has no DPDK port " + std::to_string(s.dpdk_port);
    return false;
  }
  {
    auto lock = control_lock();
    if (s.out != nullptr || s.starting) {
      *error = "capture: port " + port_name + " is already being captured to " + s.file;
      return false;
    }
    s.starting = true;
  }
  // Outside the lock: writing the interface blocks asks every port for its link (may be slow).
  rte_pcapng* out = nullptr;
  const bool opened = open_file(file, port_name, s.dpdk_port, &out, error);
  auto lock = control_lock();
  s.starting = false;
  if (!opened) return false;
  // Copies still queued from an earlier capture of the port carry the old generation and are
  // discarded by the writer.
  s.gen = static_cast<uint32_t>((s.gen + 1) & (UINT64_MAX >> kCountBits));
  s.out = out;
  s.written = 0;
  s.name = port_name;
  s.file = file;
  s.error.clear();
  s.dropped.store(uint64_t(s.gen) << kCountBits, std::memory_order_relaxed);
  s.max_packets.store(max_packets, std::memory_order_relaxed);
  s.state.store(uint64_t(s.gen) << kCountBits, std::memory_order_release);
  active_.fetch_or(uint64_t{1} << port, std::memory_order_release);
  ++open_;
  wake_.notify_all();
  return true;
}

bool CaptureTable::stop(uint16_t port, CaptureInfo* out) {
  if (port >= n_ports_) return false;
  Slot& s = slots_[port];
  auto lock = control_lock();
  if (s.out == nullptr) return false;
  active_.fetch_and(~(uint64_t{1} << port), std::memory_order_release);
  while (drain(port) > 0) {
  }
  *out = info(s);
  out->active = false;
  close_file(s);
  return true;
}

std::vector<CaptureInfo> CaptureTable::list() const {
  std::vector<CaptureInfo> all;
  auto lock = control_lock();
  for (uint16_t p = 0; p < n_ports_; ++p) {
    if (slots_[p].out != nullptr) all.push_back(info(slots_[p]));
  }
  return all;
}

CaptureInfo CaptureTable::info(const Slot& s) const {
  CaptureInfo i;
  i.port = s.name;
  i.file = s.file;
  i.packets = s.written;
  i.dropped = s.dropped.load(std::memory_order_relaxed) & kCountMask;
  i.max_packets = s.max_packets.load(std::memory_order_relaxed);
  const uint64_t taken = s.state.load(std::memory_order_relaxed) & kCountMask;
  i.active = s.error.empty() && (i.max_packets == 0 || taken < i.max_packets);
  i.error = s.error;
  return i;
}

void CaptureTable::tap(const PacketBatch& batch, const TenancyMap& tenancy) {
  const uint64_t mask = active_.load(std::memory_order_relaxed);
  if (mask == 0) return;
  std::atomic_thread_fence(std::memory_order_acquire);  // the slots start() filled in
  const auto captured = [mask](uint16_t port) { return port < 64 && (mask >> port & 1) != 0; };
  const uint64_t tsc = rte_get_tsc_cycles();
  const uint64_t now_ns = clock_ == CaptureClock::kTsc ? tsc_to_ns(tsc) : 0;
  for (uint16_t i = 0; i < batch.count; ++i) {
    const PacketMeta& m = batch.meta[i];
    rte_mbuf* mb = batch.pkts[i];
    if (m.reply) {  // the mbuf holds the reply tx sends back out of in_port
      if (captured(m.in_port)) record(m.in_port, mb, m, true, tenancy, tsc, now_ns);
      continue;
    }
    if (captured(m.in_port)) record(m.in_port, mb, m, false, tenancy, tsc, now_ns);
    if (!batch.alive(i)) continue;
    if (m.out_port != kFloodPort) {
      if (captured(m.out_port)) record(m.out_port, mb, m, true, tenancy, tsc, now_ns);
      continue;
    }
    if (m.tenant >= tenancy.tenant_count()) continue;
    for (uint16_t port : tenancy.members(m.tenant)) {
      if (port != m.in_port && captured(port)) record(port, mb, m, true, tenancy, tsc, now_ns);
    }
  }
}

void CaptureTable::record(uint16_t port, rte_mbuf* m, const PacketMeta& meta, bool out,
                          const TenancyMap& tenancy, uint64_t tsc, uint64_t now_ns) {
  if (port >= n_ports_) return;
  Slot& s = slots_[port];
  // start() stores max_packets before state: the max read after a state is that capture's.
  const uint64_t seen = s.state.load(std::memory_order_acquire);
  const uint64_t max = s.max_packets.load(std::memory_order_relaxed);
  if (max != 0) {
    const uint64_t taken = s.state.fetch_add(1, std::memory_order_relaxed);
    // Finished, or restarted meanwhile (then `max` may not be the new capture's).
    if ((taken & kCountMask) >= max || (taken ^ seen) >> kCountBits != 0) return;
  }
  const uint32_t gen = static_cast<uint32_t>(seen >> kCountBits);
  rte_mbuf* c = rte_pcapng_copy(s.dpdk_port, 0, m, pool_, kSnapLen, tsc,
                                out ? RTE_PCAPNG_DIRECTION_OUT : RTE_PCAPNG_DIRECTION_IN);
  if (c == nullptr) {
    count_loss(s, gen);
    return;
  }
  c->hash.usr = gen;
  uint8_t* epb = rte_pktmbuf_mtod(c, uint8_t*);
  if (get32(epb) == kEpbType) {
    const uint64_t ns = clock_ == CaptureClock::kTsc ? now_ns : meta.time_us * 1000;
    put32(epb + kEpbTsHigh, static_cast<uint32_t>(ns >> 32));
    put32(epb + kEpbTsLow, static_cast<uint32_t>(ns));
    if (out) retag(c, meta, port, tenancy);
  }
  if (rte_ring_mp_enqueue(s.ring, c) != 0) {
    rte_pktmbuf_free(c);
    count_loss(s, gen);
  }
}

void CaptureTable::count_loss(Slot& s, uint32_t gen) {
  // Only against the capture the copy was for: a late worker does not charge its successor.
  uint64_t v = s.dropped.load(std::memory_order_relaxed);
  while (v >> kCountBits == gen &&
         !s.dropped.compare_exchange_weak(v, v + 1, std::memory_order_relaxed)) {
  }
}

}  // namespace vigil
