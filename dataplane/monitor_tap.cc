#include "dataplane/monitor_tap.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "dataplane/frame_parser.h"
#include "dataplane/worker_counters.h"

// Sketch hand-over between a worker and the collector. Each port has two sketch buffers, tagged
// with the epoch they hold. A worker loads the epoch e once per burst and writes to buffer e&1;
// the first time it touches a port's buffer in epoch e it clears it and then publishes tag e
// (release). The collector advances the epoch to e+1, then merges buffer e&1 of every worker
// whose tag (acquire) is e. A buffer is never cleared while it is read: workers clear buffer
// (e+1)&1 now, and buffer e&1 again only in epoch e+2, which the collector itself starts after
// this read. A worker still in its burst of epoch e when the collector reads may add a few late
// frames of the old interval to the registers being read: they land in this sample or are lost,
// which a distinct count over a whole interval does not notice. (Registers are bytes: a read is
// never torn on x86-64; as for WorkerCounters, the formal race is accepted for the fast path's
// sake.) A worker with no traffic in an interval never tags that buffer: nothing is merged, so
// an old interval is never counted twice.

namespace vigil {

static_assert(std::is_trivially_copyable_v<DetailRecord> && sizeof(DetailRecord) % 4 == 0,
              "rte_ring elements are copied as 4-byte words");

namespace {

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmpv6 = 58;
constexpr uint8_t kSyn = 0x02, kRst = 0x04, kAck = 0x10;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint64_t addr_hash(uint8_t family, const uint8_t* a) {
  if (family == 4) {
    uint32_t v;
    std::memcpy(&v, a, 4);
    return hll_hash(uint64_t(v) | uint64_t(4) << 32);
  }
  uint64_t hi, lo;
  std::memcpy(&hi, a, 8);
  std::memcpy(&lo, a + 8, 8);
  return hll_hash(hi ^ hll_hash(lo ^ 6));
}

uint64_t port_hash(uint8_t proto, uint16_t port) {
  return hll_hash(uint64_t(proto) << 16 | port);
}

enum class DropKind : uint8_t { kNone, kHostAccess, kSpoofed, kLimited, kOther };

DropKind drop_kind(DropReason r) {
  switch (r) {
    case DropReason::kNone:
      return DropKind::kNone;
    case DropReason::kHostAccess:
      return DropKind::kHostAccess;
    case DropReason::kSpoofedSrcMac:
    case DropReason::kSpoofedSrcIp:
    case DropReason::kSpoofedArp:
      return DropKind::kSpoofed;
    case DropReason::kMonitorQuarantine:
    case DropReason::kMonitorRateLimit:
    case DropReason::kMonitorConnLimit:
      return DropKind::kLimited;
    default:
      return DropKind::kOther;
  }
}

}  // namespace

// What the tap needs of a frame, read where the parser's offsets guarantee the bytes.
struct MonitorTap::Facts {
  uint8_t family = 0;  // 4 or 6 when src/dst are valid (ARP: 4, its protocol addresses)
  bool arp = false;
  uint8_t proto = 0;  // L4 protocol whose header was parsed, else 0
  uint8_t tcp_flags = 0;
  bool has_ports = false;  // TCP/UDP
  bool unreachable = false;
  uint16_t sport = 0, dport = 0;
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
};

void TapSketches::clear() {
  dst_ips.clear();
  dst_ports.clear();
  inner_dsts.clear();
  src_ips.clear();
}

void TapSketches::merge(const TapSketches& o) {
  dst_ips.merge(o.dst_ips);
  dst_ports.merge(o.dst_ports);
  inner_dsts.merge(o.inner_dsts);
  src_ips.merge(o.src_ips);
}

MonitorTap::MonitorTap(const MonitorShared& shared, uint16_t n_ports, rte_ring* details)
    : shared_(shared), n_ports_(n_ports), details_(details), ports_(new PortTap[n_ports]) {}

TapSketches& MonitorTap::sketches(uint16_t port) {
  PortTap& t = ports_[port];
  const unsigned parity = epoch_ & 1;
  if (t.tag[parity].load(std::memory_order_relaxed) != epoch_) {
    t.sketches[parity].clear();
    t.tag[parity].store(epoch_, std::memory_order_release);
  }
  return t.sketches[parity];
}

void MonitorTap::observe(const PacketBatch& batch, const SwitchState& state) {
  epoch_ = shared_.epoch.load(std::memory_order_acquire);
  detail_ = shared_.detail_ports.load(std::memory_order_relaxed);
  const std::vector<bool>& vm = state.vm_port;
  const std::size_t n = std::min<std::size_t>(n_ports_, vm.size());
  auto is_vm = [&](uint16_t p) { return p < n && vm[p]; };
  const TenancyMap& tenancy = *state.tenancy;

  for (uint16_t i = 0; i < batch.count; ++i) {
    const PacketMeta& m = batch.meta[i];
    const rte_mbuf* mb = batch.pkts[i];
    const uint8_t* frame = rte_pktmbuf_mtod(mb, const uint8_t*);
    const uint32_t len = rte_pktmbuf_pkt_len(mb);
    const bool from_vm = is_vm(m.in_port);
    if (m.reply) {
      if (from_vm) observe_reply(m.in_port, frame, len, m);
      continue;
    }
    const bool alive = m.drop == DropReason::kNone;
    const bool unicast_vm = alive && m.out_port != kFloodPort && is_vm(m.out_port);
    const bool flood = alive && m.out_port == kFloodPort && m.tenant < tenancy.tenant_count();
    if (!from_vm && !unicast_vm && !flood) continue;

    const Facts f = read_facts(frame, m);
    if (from_vm) count_from(m.in_port, f, m, len, unicast_vm);
    const uint32_t delivered = m.tagged ? len - 4 : len;  // VM ports get frames untagged
    if (unicast_vm) {
      count_to(m.out_port, f, m, delivered);
    } else if (flood) {
      for (uint16_t p : tenancy.members(m.tenant)) {
        if (p != m.in_port && is_vm(p)) count_to(p, f, m, delivered);
      }
    }
  }
}

void MonitorTap::count_from(uint16_t port, const Facts& f, const PacketMeta& m, uint32_t len,
                            bool inner) {
  bump(port, TapCounter::kOutPackets);
  bump(port, TapCounter::kOutBytes, len);
  if (f.arp) bump(port, TapCounter::kOutArp);
  if (f.proto == kTcp && (f.tcp_flags & (kSyn | kAck)) == kSyn) bump(port, TapCounter::kOutSyn);
  switch (drop_kind(m.drop)) {
    case DropKind::kNone:
      break;
    case DropKind::kHostAccess:
      bump(port, TapCounter::kHostAccess);
      break;
    case DropKind::kSpoofed:
      bump(port, TapCounter::kSpoofed);
      break;
    case DropKind::kLimited:
      bump(port, TapCounter::kLimited);
      break;
    case DropKind::kOther:
      bump(port, TapCounter::kOtherDrops);
      break;
  }
  if (f.family != 0) {
    TapSketches& s = sketches(port);
    const uint64_t h = addr_hash(f.family, f.dst);
    s.dst_ips.add(h);
    if (inner) s.inner_dsts.add(h);
    if (f.has_ports) s.dst_ports.add(port_hash(f.proto, f.dport));
  }
  if (detail_ >> port & 1) record(port, false, f, m, len);
}

void MonitorTap::count_to(uint16_t port, const Facts& f, const PacketMeta& m, uint32_t len) {
  bump(port, TapCounter::kInPackets);
  bump(port, TapCounter::kInBytes, len);
  if (f.proto == kTcp) {
    const uint8_t syn_ack = f.tcp_flags & (kSyn | kAck);
    if (syn_ack == kSyn) bump(port, TapCounter::kInSyn);
    if (syn_ack == (kSyn | kAck)) bump(port, TapCounter::kInSynack);
    if (f.tcp_flags & kRst) bump(port, TapCounter::kInRst);
  }
  if (f.unreachable) bump(port, TapCounter::kInUnreachable);
  if (f.family != 0) sketches(port).src_ips.add(addr_hash(f.family, f.src));
  if (detail_ >> port & 1) record(port, true, f, m, len);
}

// The mbuf holds the reply vigil sends back to the VM instead of the VM's rejected frame.
void MonitorTap::observe_reply(uint16_t port, const uint8_t* frame, uint32_t len,
                               const PacketMeta& m) {
  PacketMeta r;
  if (parse_frame(frame, len, ParseLimits{}, r) != DropReason::kNone) {
    count_from(port, Facts{}, m, len, false);  // cannot happen for vigil's own replies
    return;
  }
  const Facts reply = read_facts(frame, r);
  // The VM's frame, as far as the reply tells: addresses and ports swapped.
  Facts orig = reply;
  std::swap(orig.src, orig.dst);
  std::swap(orig.sport, orig.dport);
  orig.unreachable = false;
  orig.tcp_flags = 0;
  if (reply.proto == kTcp && (reply.tcp_flags & kAck)) orig.tcp_flags = kSyn;  // RFC 9293
  // An ICMP error quotes the rejected packet's IP header (always whole) and first L4 bytes.
  const uint8_t* q = frame + r.l4_offset + 8;
  const uint8_t* end = frame + len;
  const bool v4 = reply.family == 4;
  if (reply.unreachable && q + (v4 ? 20 : 40) <= end) {
    const uint32_t ihl = v4 ? (q[0] & 0x0f) * 4u : 40u;
    orig.proto = v4 ? q[9] : q[6];
    orig.has_ports = (orig.proto == kTcp || orig.proto == kUdp) && q + ihl + 4 <= end;
    orig.sport = orig.has_ports ? be16(q + ihl) : 0;
    orig.dport = orig.has_ports ? be16(q + ihl + 2) : 0;
  }
  count_from(port, orig, m, len, false);
  count_to(port, reply, m, len);
}

void MonitorTap::record(uint16_t port, bool inbound, const Facts& f, const PacketMeta& m,
                        uint32_t len) {
  if (details_ == nullptr) return;
  DetailRecord d;
  d.time_us = m.time_us;
  d.port = port;
  d.inbound = inbound;
  d.family = f.family;
  d.proto = f.proto;
  d.tcp_flags = f.tcp_flags;
  if (f.family != 0) {
    const std::size_t n = f.family == 4 ? 4 : 16;
    std::memcpy(d.src.data(), f.src, n);
    std::memcpy(d.dst.data(), f.dst, n);
  }
  d.sport = f.sport;
  d.dport = f.dport;
  d.length = static_cast<uint16_t>(std::min<uint32_t>(len, UINT16_MAX));
  if (rte_ring_sp_enqueue_elem(details_, &d, sizeof d) != 0) {
    details_lost_.store(details_lost_.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
  }
}

void MonitorTap::read(uint16_t port, TapSnapshot& out) const {
  const PortTap& t = ports_[port];
  for (std::size_t i = 0; i < kTapCounterCount; ++i) {
    out.v[i] += t.c[i].load(std::memory_order_relaxed);
  }
}

bool MonitorTap::merge_sketches(uint32_t epoch, uint16_t port, TapSketches& into) const {
  const PortTap& t = ports_[port];
  const unsigned parity = epoch & 1;
  if (t.tag[parity].load(std::memory_order_acquire) != epoch) return false;
  into.merge(t.sketches[parity]);
  return true;
}

MonitorTap::Facts MonitorTap::read_facts(const uint8_t* frame, const PacketMeta& m) {
  Facts f;
  const uint8_t* l3 = frame + m.l3_offset;
  switch (m.l3) {
    case L3Kind::kArp:  // sender and target protocol addresses
      f.family = 4;
      f.arp = true;
      f.src = l3 + 14;
      f.dst = l3 + 24;
      return f;
    case L3Kind::kIpv4:
      f.family = 4;
      f.src = l3 + 12;
      f.dst = l3 + 16;
      break;
    case L3Kind::kIpv6:
      f.family = 6;
      f.src = l3 + 8;
      f.dst = l3 + 24;
      break;
    default:
      return f;
  }
  if (m.l4_proto == 0) return f;  // fragment, or an L4 header the parser refused
  const uint8_t* l4 = frame + m.l4_offset;
  f.proto = m.l4_proto;
  switch (f.proto) {
    case kTcp:
      f.tcp_flags = l4[13];
      [[fallthrough]];
    case kUdp:
      f.has_ports = true;
      f.sport = be16(l4);
      f.dport = be16(l4 + 2);
      break;
    case kIcmp:
      f.unreachable = l4[0] == 3;
      break;
    case kIcmpv6:
      f.unreachable = l4[0] == 1;
      break;
    default:
      break;
  }
  return f;
}

VmSample make_sample(uint16_t port, double seconds, const TapSnapshot& now,
                     const TapSnapshot& before, const TapSketches& merged) {
  auto d = [&](TapCounter c) { return now[c] - before[c]; };
  VmSample s;
  s.port = port;
  s.seconds = seconds;
  s.out_packets = d(TapCounter::kOutPackets);
  s.out_bytes = d(TapCounter::kOutBytes);
  s.out_syn = d(TapCounter::kOutSyn);
  s.out_arp = d(TapCounter::kOutArp);
  s.host_access = d(TapCounter::kHostAccess);
  s.spoofed = d(TapCounter::kSpoofed);
  s.other_drops = d(TapCounter::kOtherDrops);
  s.limited = d(TapCounter::kLimited);
  s.in_packets = d(TapCounter::kInPackets);
  s.in_bytes = d(TapCounter::kInBytes);
  s.in_syn = d(TapCounter::kInSyn);
  s.in_synack = d(TapCounter::kInSynack);
  s.in_rst = d(TapCounter::kInRst);
  s.in_unreachable = d(TapCounter::kInUnreachable);
  s.distinct_dst_ips = merged.dst_ips.estimate();
  s.distinct_dst_ports = merged.dst_ports.estimate();
  s.distinct_inner_dsts = merged.inner_dsts.estimate();
  s.distinct_src_ips = merged.src_ips.estimate();
  return s;
}

std::unique_ptr<MonitorCollector> MonitorCollector::create(uint16_t n_ports, unsigned workers,
                                                           std::string* error,
                                                           uint32_t detail_ring) {
  if (n_ports == 0 || n_ports > kMaxPorts) {
    *error = "monitor: port count must be 1.." + std::to_string(kMaxPorts);
    return nullptr;
  }
  if (workers == 0 || detail_ring < 2 || (detail_ring & (detail_ring - 1)) != 0) {
    *error = "monitor: needs a worker and a power-of-two detail ring size";
    return nullptr;
  }
  static std::atomic<unsigned> serial{0};  // ring names are global to the process
  const unsigned id = serial.fetch_add(1);
  std::unique_ptr<MonitorCollector> c(new MonitorCollector(n_ports));
  for (unsigned w = 0; w < workers; ++w) {
    const std::string name = "vmon" + std::to_string(id) + "_" + std::to_string(w);
    rte_ring* r = rte_ring_create_elem(name.c_str(), sizeof(DetailRecord), detail_ring,
                                       SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (r == nullptr) {
      *error = "monitor: cannot create detail ring " + name + ": " + rte_strerror(rte_errno);
      return nullptr;  // the destructor frees the rings made so far
    }
    c->rings_.push_back(r);
    c->taps_.push_back(std::make_unique<MonitorTap>(c->shared_, n_ports, r));
  }
  return c;
}

MonitorCollector::~MonitorCollector() {
  taps_.clear();
  for (rte_ring* r : rings_) rte_ring_free(r);
}

std::vector<VmSample> MonitorCollector::collect(double seconds, const std::vector<bool>& vm_port) {
  const uint32_t closed = shared_.epoch.load(std::memory_order_relaxed);
  uint32_t next = closed + 1;
  if (next == 0) next = 1;  // tag 0 means "never written"
  shared_.epoch.store(next, std::memory_order_release);

  std::vector<VmSample> samples;
  for (uint16_t port = 0; port < n_ports_; ++port) {
    TapSnapshot now;
    for (const auto& t : taps_) t->read(port, now);
    if (port < vm_port.size() && vm_port[port]) {
      scratch_->clear();
      for (const auto& t : taps_) t->merge_sketches(closed, port, *scratch_);
      samples.push_back(make_sample(port, seconds, now, before_[port], *scratch_));
    }
    before_[port] = now;
  }
  return samples;
}

void MonitorCollector::set_detail(uint16_t port, bool on) {
  if (port >= n_ports_) return;
  const uint64_t bit = uint64_t(1) << port;
  if (on) {
    shared_.detail_ports.fetch_or(bit, std::memory_order_relaxed);
  } else {
    shared_.detail_ports.fetch_and(~bit, std::memory_order_relaxed);
  }
}

bool MonitorCollector::detail(uint16_t port) const {
  return port < n_ports_ && (shared_.detail_ports.load(std::memory_order_relaxed) >> port & 1);
}

std::vector<DetailRecord> MonitorCollector::drain_details(std::size_t max) {
  std::vector<DetailRecord> out;
  for (rte_ring* r : rings_) {
    while (out.size() < max) {
      const std::size_t have = out.size();
      const unsigned want = static_cast<unsigned>(std::min<std::size_t>(max - have, 256));
      out.resize(have + want);
      const unsigned got =
          rte_ring_sc_dequeue_burst_elem(r, out.data() + have, sizeof(DetailRecord), want, nullptr);
      out.resize(have + got);
      if (got < want) break;
    }
  }
  return out;
}

uint64_t MonitorCollector::details_lost() const {
  uint64_t n = 0;
  for (const auto& t : taps_) n += t->details_lost();
  return n;
}

}  // namespace vigil
