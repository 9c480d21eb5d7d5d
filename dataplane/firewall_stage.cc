#include "dataplane/firewall_stage.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/reject_in_place.h"
#include "dataplane/reject_reply.h"

namespace vigil {
namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

bool is_icmp_echo(uint8_t proto, uint8_t type) {
  return (proto == kProtoIcmp && (type == 8 || type == 0)) ||
         (proto == kProtoIcmpv6 && (type == 128 || type == 129));
}

bool is_icmp_error(uint8_t proto, uint8_t type) {
  return (proto == kProtoIcmp &&
          (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)) ||
         (proto == kProtoIcmpv6 && type >= 1 && type <= 4);
}

// The connection key of an IP packet at `ip` (family 4 or 6), `l4` its L4 header or null.
ConnKey key_of(uint16_t tenant, uint8_t family, uint8_t proto, const uint8_t* ip, const uint8_t* l4,
               bool* src_is_lo) {
  uint16_t sport = 0, dport = 0;
  if (l4 != nullptr && (proto == kProtoTcp || proto == kProtoUdp)) {
    sport = be16(l4);
    dport = be16(l4 + 2);
  } else if (l4 != nullptr && is_icmp_echo(proto, l4[0])) {
    sport = dport = be16(l4 + 4);  // the echo identifier ties request and reply
  }
  const uint8_t* src = family == 4 ? ip + 12 : ip + 8;
  const uint8_t* dst = family == 4 ? ip + 16 : ip + 24;
  return make_conn_key(tenant, family, proto, src, dst, sport, dport, src_is_lo);
}

}  // namespace

bool FirewallStage::quoted_key(const PacketMeta& m, const uint8_t* frame, ConnKey& key) const {
  // The error quotes the offending packet: its IP header and at least 8 bytes of its L4.
  const uint8_t* l4 = frame + m.l4_offset;
  const uint8_t* ip_end =
      frame + m.l3_offset +
      (m.l3 == L3Kind::kIpv4 ? be16(frame + m.l3_offset + 2) : 40u + be16(frame + m.l3_offset + 4));
  const uint8_t* inner = l4 + 8;
  if (m.l3 == L3Kind::kIpv4) {
    if (inner + 20 > ip_end || (inner[0] >> 4) != 4) return false;
    const uint32_t ihl = (inner[0] & 0x0f) * 4u;
    if (ihl < 20 || inner + ihl + 8 > ip_end) return false;
    key = key_of(m.tenant, 4, inner[9], inner, inner + ihl, nullptr);
    return true;
  }
  if (inner + 48 > ip_end || (inner[0] >> 4) != 6) return false;
  key = key_of(m.tenant, 6, inner[6], inner, inner + 40, nullptr);
  return true;
}

bool FirewallStage::track(PacketBatch& batch, uint16_t i) {
  Frame& f = frames_[i];
  const PacketMeta& m = batch.meta[i];
  Conn* c = conns_.find(f.key);
  if (c == nullptr) return false;
  rte_spinlock_lock(&c->lock);
  if (!c->in_use.load(std::memory_order_relaxed) || !(c->key == f.key)) {
    rte_spinlock_unlock(&c->lock);  // expired or reused under our feet: a new connection
    return false;
  }
  // Idle past its timeout but not yet swept: gone, and this packet may start it anew.
  const uint64_t last = c->last_seen_us.load(std::memory_order_relaxed);
  if (m.time_us > last && m.time_us - last > uint64_t(conns_.idle_timeout_s(*c)) * 1'000'000) {
    f.reopen = c;
    rte_spinlock_unlock(&c->lock);
    return false;
  }
  const int dir = f.side == c->origin ? 0 : 1;
  if (f.key.proto == kProtoTcp) {
    TcpSegment seg;
    if (!parse_tcp_segment(f.data + m.l4_offset, f.l4_len, seg)) {
      rte_spinlock_unlock(&c->lock);
      batch.drop(i, DropReason::kTcpInvalid);
      return true;
    }
    const TcpVerdict v = tcp_track(c->tcp, dir, seg);
    if (v.action == TcpAction::kReopen) {
      f.reopen = c;  // a new connection on the same key: the policy decides again
      rte_spinlock_unlock(&c->lock);
      return false;
    }
    if (v.action == TcpAction::kInvalid) {
      rte_spinlock_unlock(&c->lock);
      batch.drop(i, DropReason::kTcpInvalid);
      return true;
    }
  }
  if (dir == 1) c->replied = true;
  c->packets++;
  c->bytes += rte_pktmbuf_pkt_len(batch.pkts[i]);
  c->last_seen_us.store(m.time_us, std::memory_order_relaxed);
  rte_spinlock_unlock(&c->lock);
  return true;
}

void FirewallStage::answer_reject(PacketBatch& batch, uint16_t i) {
  reject_in_place(batch.pkts[i], batch.meta[i], reply_);
}

void FirewallStage::decide(PacketBatch& batch, uint16_t i, PolicyAction action) {
  if (action == PolicyAction::kDeny) {
    const bool cross = frames_[i].acl_tenant != batch.meta[i].tenant;
    batch.drop(i, cross ? DropReason::kCrossTenantDeny : DropReason::kPolicyDeny);
    return;
  }
  if (action == PolicyAction::kReject) {
    batch.drop(i, DropReason::kPolicyReject);
    answer_reject(batch, i);
    return;
  }
  const PacketMeta& m = batch.meta[i];
  Frame& f = frames_[i];
  if (m.is_fragment) return;  // no ports, no connection: allowed as it stands
  TcpConn tcp{};
  if (f.key.proto == kProtoTcp) {
    TcpSegment seg;
    if (!parse_tcp_segment(f.data + m.l4_offset, f.l4_len, seg) ||
        tcp_track(tcp, 0, seg).action != TcpAction::kNew) {
      batch.drop(i, DropReason::kTcpInvalid);
      return;
    }
  }
  Conn* c = f.reopen;
  if (c != nullptr) {
    rte_spinlock_lock(&c->lock);
    conns_.restart(c, f.side, m.time_us);
  } else {
    ConnRefusal why;
    c = conns_.create(f.key, f.side, m.in_port, m.time_us, &why, (*view_.vm_port)[m.in_port]);
    switch (why) {
      case ConnRefusal::kNone:
        break;
      case ConnRefusal::kVmConnectionLimit:
        batch.drop(i, DropReason::kConnLimit);
        return;
      case ConnRefusal::kVmRateLimit:
        batch.drop(i, DropReason::kConnRate);
        return;
      case ConnRefusal::kTableFull:
        batch.drop(i, DropReason::kConnTableFull);
        return;
    }
    rte_spinlock_lock(&c->lock);
  }
  c->verdict = static_cast<uint8_t>(action);
  c->packets = 1;
  c->bytes = rte_pktmbuf_pkt_len(batch.pkts[i]);
  if (f.key.proto == kProtoTcp) c->tcp = tcp;
  c->last_seen_us.store(m.time_us, std::memory_order_relaxed);
  rte_spinlock_unlock(&c->lock);
  if (action == PolicyAction::kLog) counters_.fw_logged++;
}

void FirewallStage::prepare(PacketBatch& batch, uint16_t i, uint16_t acl_tenant) {
  const PacketMeta& m = batch.meta[i];
  Frame& f = frames_[i];
  f.data = rte_pktmbuf_mtod(batch.pkts[i], const uint8_t*);
  f.reopen = nullptr;
  f.acl_tenant = acl_tenant;
  const uint8_t* ip = f.data + m.l3_offset;
  const bool v4 = m.l3 == L3Kind::kIpv4;
  const uint32_t ip_len = v4 ? be16(ip + 2) : 40u + be16(ip + 4);
  f.l4_len = m.l4_proto != 0 ? m.l3_offset + ip_len - m.l4_offset : 0;
  // The parser names the L4 protocols it checks; for the others take the header's own field.
  f.proto = m.l4_proto != 0 ? m.l4_proto : (v4 ? ip[9] : ip[6]);
  f.l4 = m.l4_proto != 0 ? f.data + m.l4_offset : nullptr;
  bool lo;
  f.key = key_of(m.tenant, v4 ? 4 : 6, f.proto, ip, f.l4, &lo);
  f.side = lo ? 0 : 1;
}

bool FirewallStage::waits_for_pending(const ConnKey& key) const {
  for (const Pending* p : {&v4_, &v6_}) {
    for (uint16_t k = 0; k < p->count; ++k) {
      if (frames_[p->index[k]].key == key) return true;
    }
  }
  return false;
}

void FirewallStage::screen(PacketBatch& batch, uint16_t i, uint16_t* deferred,
                           uint16_t& n_deferred) {
  const PacketMeta& m = batch.meta[i];
  Frame& f = frames_[i];
  // An earlier frame of this burst on the same connection is still before the policy (a reply
  // in the same burst as its request, frames after a reopening SYN): decide that one first.
  if (!m.is_fragment && waits_for_pending(f.key)) {
    deferred[n_deferred++] = i;
    return;
  }
  if (!m.is_fragment && track(batch, i)) return;
  const bool icmp = f.proto == kProtoIcmp || f.proto == kProtoIcmpv6;
  ConnKey quoted;
  if (f.l4 != nullptr && icmp && is_icmp_error(f.proto, f.l4[0]) && quoted_key(m, f.data, quoted)) {
    if (conns_.find(quoted) != nullptr) {
      counters_.fw_related++;
      return;
    }
    if (waits_for_pending(quoted)) {  // about a connection this burst is opening
      deferred[n_deferred++] = i;
      return;
    }
  }
  if (f.proto == kProtoTcp && !m.is_fragment &&
      (f.l4 == nullptr || (f.l4[13] & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) != kTcpSyn)) {
    batch.drop(i, DropReason::kTcpNoConnection);  // no mid-stream pickup
    return;
  }
  const bool v4 = m.l3 == L3Kind::kIpv4;
  const uint16_t l4_off = f.l4 == nullptr || m.is_fragment ? 0 : m.l4_offset;
  Pending& p = v4 ? v4_ : v6_;
  if (v4) {
    fill_key_v4(keys_v4_[p.count], f.data, m.l3_offset, l4_off, f.proto, f.acl_tenant);
    p.keys[p.count] = reinterpret_cast<const uint8_t*>(&keys_v4_[p.count]);
  } else {
    fill_key_v6(keys_v6_[p.count], f.data, m.l3_offset, l4_off, f.proto, f.acl_tenant);
    p.keys[p.count] = reinterpret_cast<const uint8_t*>(&keys_v6_[p.count]);
  }
  p.index[p.count++] = i;
}

void FirewallStage::process(PacketBatch& batch) {
  uint16_t todo[kBurstSize];
  uint16_t n_todo = 0;
  for (uint16_t i = 0; i < batch.count; ++i) {
    if (!batch.alive(i)) continue;
    const PacketMeta& m = batch.meta[i];
    if (m.l3 != L3Kind::kIpv4 && m.l3 != L3Kind::kIpv6) continue;
    // From another tenant's VM (routed in through a trunk): cross-tenant rules decide. Toward
    // another tenant's VM: tracked even in a tenant without a policy, so that the answer
    // coming back in (cross-tenant) finds its connection.
    uint16_t acl_tenant = m.tenant;
    bool toward_other = false;
    if (view_.owners != nullptr) {
      const uint8_t* ip = rte_pktmbuf_mtod(batch.pkts[i], const uint8_t*) + m.l3_offset;
      const bool v4 = m.l3 == L3Kind::kIpv4;
      const uint16_t from = view_.owners->foreign_owner(m.tenant, v4, v4 ? ip + 12 : ip + 8);
      if (from != kNoTenant) {
        acl_tenant = from < kMaxCrossTenants && m.tenant < kMaxCrossTenants
                         ? cross_tenant_code(from, m.tenant)
                         : 0xffff;  // a pair no rule can name: denied
      }
      toward_other = view_.owners->foreign_owner(m.tenant, v4, v4 ? ip + 16 : ip + 24) != kNoTenant;
    }
    if (acl_tenant == m.tenant && !toward_other && !(*view_.filtered)[m.tenant]) continue;
    prepare(batch, i, acl_tenant);
    todo[n_todo++] = i;
  }
  const PolicyClassifier* policy = view_.policy;
  // Rounds: frames waiting on an earlier frame's connection go again once it is decided. Each
  // round decides at least one frame, so this ends; with no replies in the burst it is one round.
  while (n_todo > 0) {
    v4_.count = v6_.count = 0;
    uint16_t deferred[kBurstSize];
    uint16_t n_deferred = 0;
    for (uint16_t k = 0; k < n_todo; ++k) screen(batch, todo[k], deferred, n_deferred);
    // One policy classification per family for the whole round.
    if (v4_.count > 0) policy->classify_v4(v4_.keys, v4_.count, v4_.results);
    if (v6_.count > 0) policy->classify_v6(v6_.keys, v6_.count, v6_.results);
    for (Pending* p : {&v4_, &v6_}) {
      for (uint16_t k = 0; k < p->count; ++k) {
        const uint16_t i = p->index[k];
        decide(batch, i, policy->action_of(frames_[i].acl_tenant, p->results[k]));
      }
    }
    std::copy(deferred, deferred + n_deferred, todo);
    n_todo = n_deferred;
  }
}

}  // namespace vigil
