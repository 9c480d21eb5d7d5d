#include "ids/ids_stage.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>

#include <algorithm>
#include <cstring>

#include "dataplane/reject_in_place.h"
#include "dataplane/tcp_tracker.h"

namespace vigil::ids {
namespace {

constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;
constexpr uint32_t kStreamKeep = 1024;  // bytes kept when a full raw stream window slides
constexpr int kMaxTransactionsPerSegment = 16;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

AppKind app_kind(AppProto a) {
  switch (a) {
    case AppProto::kHttp:
      return AppKind::kHttp;
    case AppProto::kDns:
      return AppKind::kDns;
    case AppProto::kTls:
      return AppKind::kTls;
    default:
      return AppKind::kNone;
  }
}

}  // namespace

struct IdsStage::Packet {
  uint8_t family = 4, proto = 0;
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  const uint8_t* payload = nullptr;
  uint32_t payload_len = 0;
  uint16_t sport = 0, dport = 0;
  bool tcp = false;
  uint8_t tcp_flags = 0;
  uint32_t seq = 0;
  bool icmp = false;
  uint8_t icmp_type = 0, icmp_code = 0;
};

void IdsCounters::add(const IdsCounters& o) {
  packets += o.packets, bytes += o.bytes, inspections += o.inspections;
  candidates += o.candidates, alerts += o.alerts, alerts_suppressed += o.alerts_suppressed;
  alerts_lost += o.alerts_lost, hits_lost += o.hits_lost, drops += o.drops;
  rejects += o.rejects, passes += o.passes, flows_bypassed += o.flows_bypassed;
  bypassed_packets += o.bypassed_packets, fragments += o.fragments;
  flow_table_full += o.flow_table_full, no_stream_buffer += o.no_stream_buffer;
  stream_gaps += o.stream_gaps, stream_truncated += o.stream_truncated;
  http_requests += o.http_requests, http_responses += o.http_responses;
  http_errors += o.http_errors, dns_queries += o.dns_queries, dns_errors += o.dns_errors;
  tls_client_hellos += o.tls_client_hellos, flowbits_overflow += o.flowbits_overflow;
  stream.in_order += o.stream.in_order, stream.out_of_order += o.stream.out_of_order;
  stream.retransmit += o.stream.retransmit, stream.overlap += o.stream.overlap;
  stream.overlap_mismatch += o.stream.overlap_mismatch;
  stream.beyond_buffer += o.stream.beyond_buffer, stream.ooo_dropped += o.stream.ooo_dropped;
}

IdsStage::IdsStage(IdsShared& shared, unsigned worker) : shared_(shared), worker_(worker) {
  shared_.flows->register_worker(worker_);
}

IdsStage::~IdsStage() {
  shared_.flows->unregister_worker(worker_);
}

void IdsStage::quiescent() {
  shared_.flows->quiescent(worker_);
}

void IdsStage::offline() {
  shared_.flows->offline(worker_);
}

void IdsStage::process(PacketBatch& batch) {
  engine_ = shared_.engine.load(std::memory_order_acquire);
  if (engine_ == nullptr) return;
  batch_ = &batch;
  for (uint16_t i = 0; i < batch.count; ++i) {
    if (!batch.alive(i)) continue;
    const PacketMeta& m = batch.meta[i];
    if (m.l3 != L3Kind::kIpv4 && m.l3 != L3Kind::kIpv6) continue;
    const bool inspected = m.tenant < shared_.inspected.size() ? bool(shared_.inspected[m.tenant])
                                                               : shared_.inspect_all;
    if (!inspected) continue;
    handle(batch, i);
  }
}

bool IdsStage::parse(const PacketBatch& batch, uint16_t i, Packet& p) {
  const PacketMeta& m = batch.meta[i];
  const uint8_t* frame = rte_pktmbuf_mtod(batch.pkts[i], const uint8_t*);
  const uint8_t* ip = frame + m.l3_offset;
  uint32_t l3_end;
  if (m.l3 == L3Kind::kIpv4) {
    p.family = 4;
    p.src = ip + 12;
    p.dst = ip + 16;
    l3_end = m.l3_offset + be16(ip + 2);
  } else {
    p.family = 6;
    p.src = ip + 8;
    p.dst = ip + 24;
    l3_end = m.l3_offset + 40 + be16(ip + 4);
  }
  if (m.is_fragment) {
    ++counters_.fragments;
    return false;
  }
  p.proto = m.l4_proto;
  if (m.l4_proto == 0) {
    // A protocol the parser does not look into (GRE, ESP, SCTP, ...): its payload is what
    // follows the IP header (IPv4 options included; IPv6 extension headers are not walked).
    const uint32_t hdr = m.l3 == L3Kind::kIpv4 ? uint32_t(ip[0] & 0x0f) * 4 : 40;
    p.proto = m.l3 == L3Kind::kIpv4 ? ip[9] : ip[6];
    if (m.l3_offset + hdr < l3_end) {
      p.payload = ip + hdr;
      p.payload_len = l3_end - m.l3_offset - hdr;
    }
    return true;
  }
  if (m.l4_offset == 0 || l3_end <= m.l4_offset) return true;
  const uint8_t* l4 = frame + m.l4_offset;
  const uint32_t l4_len = l3_end - m.l4_offset;
  switch (m.l4_proto) {
    case kProtoTcp: {
      const uint32_t doff = uint32_t(l4[12] >> 4) * 4;
      p.tcp = true;
      p.sport = be16(l4);
      p.dport = be16(l4 + 2);
      p.seq = be32(l4 + 4);
      p.tcp_flags = l4[13];
      if (doff <= l4_len) {
        p.payload = l4 + doff;
        p.payload_len = l4_len - doff;
      }
      break;
    }
    case kProtoUdp:
      p.sport = be16(l4);
      p.dport = be16(l4 + 2);
      p.payload = l4 + 8;
      // The datagram's own length (the parser checked 8 <= it <= the bytes present).
      p.payload_len = std::min<uint32_t>(l4_len, be16(l4 + 4)) - 8;
      break;
    case kProtoIcmp:
    case kProtoIcmpv6: {
      p.icmp = true;
      p.icmp_type = l4[0];
      p.icmp_code = l4[1];
      const bool echo = m.l4_proto == kProtoIcmp ? (p.icmp_type == 8 || p.icmp_type == 0)
                                                 : (p.icmp_type == 128 || p.icmp_type == 129);
      if (echo) p.sport = p.dport = be16(l4 + 4);  // the identifier keys the flow
      p.payload = l4 + 8;
      p.payload_len = l4_len - 8;
      break;
    }
    default:
      p.payload = l4;
      p.payload_len = l4_len;
  }
  return true;
}

void IdsStage::fill_base(const Packet& p, bool to_server, bool established) {
  for (BufferView& b : insp_.buffers) b.present = false;
  insp_.family = p.family;
  insp_.src = p.src;
  insp_.dst = p.dst;
  const bool ports = p.tcp || p.proto == kProtoUdp;
  insp_.sport = ports ? p.sport : 0;
  insp_.dport = ports ? p.dport : 0;
  insp_.ip_proto = p.proto;
  insp_.app = AppKind::kNone;
  insp_.to_server = to_server;
  insp_.established = established;
  insp_.stream = false;
  insp_.has_tcp = p.tcp;
  insp_.tcp_flags = p.tcp_flags;
  insp_.has_icmp = p.icmp;
  insp_.icmp_type = p.icmp_type;
  insp_.icmp_code = p.icmp_code;
  insp_.dsize = p.payload_len;
  insp_.flowbits = nullptr;
  insp_.fired = nullptr;
  insp_.first_in_direction = true;
  insp_.time_us = batch_->meta[index_].time_us;
  insp_.tenant = batch_->meta[index_].tenant;
}

void IdsStage::handle(PacketBatch& batch, uint16_t i) {
  Packet p;
  index_ = i;
  verdict_drop_ = verdict_reject_ = verdict_pass_ = false;
  http_tx_ = nullptr;
  dns_tx_ = false;
  tls_tx_ = false;
  if (!parse(batch, i, p)) return;
  const PacketMeta& m = batch.meta[i];
  ++counters_.packets;
  counters_.bytes += rte_pktmbuf_pkt_len(batch.pkts[i]);

  bool src_is_lo = false;
  const ConnKey key =
      make_conn_key(m.tenant, p.family, p.proto, p.src, p.dst, p.sport, p.dport, &src_is_lo);
  const uint8_t side = src_is_lo ? 0 : 1;
  ConnTable& flows = *shared_.flows;
  Conn* c = flows.find(key);
  if (c == nullptr) {
    ConnRefusal why;
    c = flows.create(key, side, m.in_port, m.time_us, &why, false);
  }
  if (c != nullptr) rte_spinlock_lock(&c->lock);
  if (c == nullptr || !c->in_use) {
    if (c != nullptr) rte_spinlock_unlock(&c->lock);
    ++counters_.flow_table_full;
    flow_id_ = 0;
    fill_base(p, true, false);
    insp_.set_buffer(Buffer::kPayload, p.payload, p.payload_len);
    run(nullptr);
    apply_verdict(batch, i, nullptr);
    return;
  }
  const uint32_t index = flows.index_of(c);
  IdsFlow& f = shared_.states[index];
  if (p.tcp && (p.tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn &&
      (c->tcp.state == TcpState::kClose || c->tcp.state == TcpState::kTimeWait)) {
    flows.restart(c, side, m.time_us);  // a new connection on a closed one's 5-tuple
  }
  if (f.generation != c->generation) f.reset(c->generation);
  flow_id_ = (uint64_t(index) + 1) << 32 | c->generation;
  c->last_seen_us.store(m.time_us, std::memory_order_relaxed);
  const bool to_server = side == c->origin;
  const int d = to_server ? 0 : 1;

  if (f.dropped != DropReason::kNone) {
    rte_spinlock_unlock(&c->lock);
    batch.drop(i, f.dropped);
    return;
  }
  if (f.passed || f.bypassed) {
    rte_spinlock_unlock(&c->lock);
    ++counters_.bypassed_packets;
    return;
  }
  IdsDirection& sd = f.dir[d];
  if (p.tcp) {
    track_tcp(*c, f, d, p);
  } else if (p.payload_len > 0 || p.icmp) {
    sd.data_seen = true;
    if (f.dir[0].data_seen && f.dir[1].data_seen) {
      f.established = true;
      c->replied = true;
    }
  }
  const uint32_t gen = engine_->generation();
  if (f.bits.engine_generation != gen) {
    f.bits = FlowBits{};
    f.bits.engine_generation = gen;
  }
  for (IdsDirection& dir : f.dir) {
    if (dir.fired.engine_generation != gen) {
      dir.fired = FiredRules{};
      dir.fired.engine_generation = gen;
    }
  }

  if (p.tcp) {
    // Encrypted from here on (once the handshake got an answer): behaviour monitoring only.
    if (f.app == AppProto::kTls && f.tls_hello_done && f.dir[1].data_seen &&
        tls_is_application_data(p.payload, p.payload_len)) {
      f.bypassed = true;
      ++counters_.flows_bypassed;
      release_buffers(f);
      rte_spinlock_unlock(&c->lock);
      return;
    }
    bool inspected = false;
    if (p.payload_len > 0) inspected = inspect_stream(f, d, p);
    if (!inspected) {
      fill_flow_base(f, p, to_server, d);
      if (p.payload_len > 0 && sd.buf == nullptr) {
        insp_.set_buffer(Buffer::kPayload, p.payload, p.payload_len);  // no stream buffer
      }
      run(&f);
    }
    if (f.app == AppProto::kSsh && f.dir[0].data_seen && f.dir[1].data_seen && !f.bypassed) {
      f.bypassed = true;  // both banners seen: the rest is encrypted
      ++counters_.flows_bypassed;
    }
  } else {
    fill_flow_base(f, p, to_server, d);
    insp_.set_buffer(Buffer::kPayload, p.payload, p.payload_len);
    if (p.proto == kProtoUdp && (p.sport == 53 || p.dport == 53) && p.payload_len > 0) {
      if (parse_dns_query_name(p.payload, p.payload_len, dns_)) {
        f.app = AppProto::kDns;
        insp_.app = AppKind::kDns;
        if (!dns_.is_response) {  // dns.query inspects requests, as Suricata's does
          ++counters_.dns_queries;
          insp_.set_buffer(Buffer::kDnsQuery, reinterpret_cast<const uint8_t*>(dns_.name),
                           dns_.name_len);
          set_dotted(Buffer::kDnsQueryDotPrefix, dns_.name, dns_.name_len);
          dns_tx_ = true;
        }
      } else {
        ++counters_.dns_errors;
      }
    }
    run(&f);
  }
  if (f.bits.overflow) {
    ++counters_.flowbits_overflow;
    f.bits.overflow = false;
  }
  apply_verdict(batch, i, &f);
  // A flow that will not be inspected again gives its stream buffers back now.
  if (f.passed || f.bypassed || f.dropped != DropReason::kNone) release_buffers(f);
  rte_spinlock_unlock(&c->lock);
}

void IdsStage::release_buffers(IdsFlow& f) {
  for (IdsDirection& d : f.dir) {
    if (d.buf == nullptr) continue;
    rte_mempool_put(shared_.stream_pool, d.buf);
    d.buf = nullptr;
  }
}

void IdsStage::set_dotted(Buffer b, const char* value, uint32_t len) {
  if (len + 1 > sizeof(dot_)) return;
  dot_[0] = '.';
  std::memcpy(dot_ + 1, value, len);
  insp_.set_buffer(b, dot_, len + 1);
}

void IdsStage::track_tcp(Conn& c, IdsFlow& f, int d, const Packet& p) {
  IdsDirection& sd = f.dir[d];
  const uint8_t fl = p.tcp_flags;
  if (fl & kTcpSyn) {
    // Only a SYN before any data starts (or restarts) this direction: a SYN in the middle of
    // a stream (forged, to desynchronise the IDS) leaves it alone, as the receiver would.
    if (!sd.data_seen) {
      sd.syn_seen = true;
      sd.isn = p.seq;
      sd.stream = StreamState{};
    }
    if (fl & kTcpAck) {
      f.synack_seen = true;
    } else if (c.tcp.state == TcpState::kNone) {
      c.tcp.state = TcpState::kSynSent;
    }
  } else if (!f.established && (fl & kTcpAck) && (f.synack_seen || !f.dir[0].syn_seen)) {
    // The handshake's last ACK, or a flow picked up mid-stream (taken as established for the
    // rules, but given the short timeout of an unconfirmed flow).
    f.established = true;
    if (f.synack_seen) c.tcp.state = TcpState::kEstablished;
  }
  if (fl & kTcpFin) sd.fin_seen = true;
  if (f.dir[0].fin_seen && f.dir[1].fin_seen) c.tcp.state = TcpState::kTimeWait;
  if (fl & kTcpRst) c.tcp.state = TcpState::kClose;
}

void IdsStage::fill_flow_base(IdsFlow& f, const Packet& p, bool to_server, int d) {
  fill_base(p, to_server, f.established);
  insp_.first_in_direction = !f.dir[d].header_checked;
  insp_.flowbits = &f.bits;
  insp_.fired = &f.dir[d].fired;
  insp_.app = app_kind(f.app);
}

bool IdsStage::inspect_stream(IdsFlow& f, int d, const Packet& p) {
  IdsDirection& sd = f.dir[d];
  sd.data_seen = true;
  if (sd.buf == nullptr) {
    void* obj = nullptr;
    if (rte_mempool_get(shared_.stream_pool, &obj) != 0) {
      ++counters_.no_stream_buffer;
      return false;
    }
    sd.buf = static_cast<uint8_t*>(obj);
  }
  const uint32_t cap = shared_.stream_buffer;
  // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
  const uint32_t seq = p.seq + ((p.tcp_flags & kTcpSyn) ? 1 : 0);
  if (!sd.stream.initialized) stream_init(sd.stream, sd.syn_seen ? sd.isn + 1 : seq);
  uint32_t added =
      stream_add(sd.stream, sd.buf, cap, seq, p.payload, p.payload_len, counters_.stream);
  if (added == 0 && stream_held_end(sd.stream) >= cap) {
    // Full, with a hole that holds everything up: give up on the hole (a match must not span
    // it) and go on with what follows.
    ++counters_.stream_gaps;
    added = stream_skip_gap(sd.stream, sd.buf);
  }
  if (added == 0) return false;
  const bool to_server = d == 0;
  if (f.app == AppProto::kUnknown) {
    f.app = detect_app(sd.buf, sd.stream.contiguous, to_server, kProtoTcp, p.sport, p.dport);
  }
  fill_flow_base(f, p, to_server, d);
  switch (f.app) {
    case AppProto::kHttp:
      inspect_http(f, d, p);
      break;
    case AppProto::kTls:
      if (to_server && !f.tls_hello_done) {
        const TlsParse r = parse_tls_client_hello(sd.buf, sd.stream.contiguous, tls_);
        if (r == TlsParse::kClientHello) {
          ++counters_.tls_client_hellos;
          f.tls_hello_done = true;
          if (tls_.sni_len > 0) {
            insp_.set_buffer(Buffer::kTlsSni, reinterpret_cast<const uint8_t*>(tls_.sni),
                             tls_.sni_len);
            set_dotted(Buffer::kTlsSniDotPrefix, tls_.sni, tls_.sni_len);
            tls_tx_ = true;
          }
        } else if (r != TlsParse::kIncomplete) {
          f.app = AppProto::kFailed;
          insp_.app = AppKind::kNone;
        }
      }
      inspect_raw_stream(f, d);
      break;
    case AppProto::kDns: {
      uint32_t msg_len = 0;
      int n = 0;
      while (sd.stream.contiguous > 0 && n++ < kMaxTransactionsPerSegment) {
        if (!parse_dns_tcp_query_name(sd.buf, sd.stream.contiguous, dns_, &msg_len)) {
          // A whole message that is not a readable query: skip it, or wait for the rest.
          const uint32_t whole = sd.stream.contiguous >= 2 ? 2u + be16(sd.buf) : UINT32_MAX;
          if (whole > sd.stream.contiguous) break;
          ++counters_.dns_errors;
          stream_consume(sd.stream, sd.buf, whole);
          continue;
        }
        fill_flow_base(f, p, to_server, d);
        if (!dns_.is_response) {
          ++counters_.dns_queries;
          insp_.set_buffer(Buffer::kDnsQuery, reinterpret_cast<const uint8_t*>(dns_.name),
                           dns_.name_len);
          set_dotted(Buffer::kDnsQueryDotPrefix, dns_.name, dns_.name_len);
        }
        insp_.set_buffer(Buffer::kPayload, sd.buf, msg_len, sd.stream.consumed);
        insp_.stream = true;
        dns_tx_ = !dns_.is_response;
        run(&f);
        dns_tx_ = false;
        stream_consume(sd.stream, sd.buf, msg_len);
      }
      if (sd.stream.contiguous >= cap) inspect_raw_stream(f, d);
      break;
    }
    default:
      inspect_raw_stream(f, d);
  }
  return true;
}

void IdsStage::inspect_raw_stream(IdsFlow& f, int d) {
  IdsDirection& sd = f.dir[d];
  insp_.set_buffer(Buffer::kPayload, sd.buf, sd.stream.contiguous, sd.stream.consumed);
  insp_.stream = true;
  run(&f);
  if (sd.stream.contiguous >= shared_.stream_buffer) {
    // The window is full: slide it, keeping a tail so a pattern across the cut still matches.
    stream_consume(sd.stream, sd.buf, sd.stream.contiguous - kStreamKeep);
    ++counters_.stream_truncated;
  }
}

}  // namespace vigil::ids
