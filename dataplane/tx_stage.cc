#include "dataplane/tx_stage.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/vlan_tag.h"

namespace vigil {
namespace {

// The tx queue worker w uses among those the guest enabled (mask), spreading workers over them;
// `fallback` when the mask is unknown.
uint16_t enabled_queue(uint32_t mask, uint16_t worker, uint16_t fallback) {
  const int enabled = __builtin_popcount(mask);
  if (enabled == 0) return fallback;
  int nth = worker % enabled;
  while (nth-- > 0) mask &= mask - 1;  // drop the lowest set bits
  return static_cast<uint16_t>(__builtin_ctz(mask));
}

}  // namespace

TxStage::TxStage(const TenancyMap& tenancy, const LinkState& links, rte_mempool* pool,
                 const std::vector<TxQueueRef>& tx, WorkerCounters& counters)
    : tenancy_(&tenancy),
      links_(links),
      pool_(pool),
      tx_(tx),
      counters_(counters),
      pending_(tx.size()) {}

TxStage::~TxStage() {
  flush();
}

void TxStage::drain(uint16_t port) {
  Pending& p = pending_[port];
  const TxQueueRef& q = tx_[port];
  uint16_t queue = q.queue;
  rte_spinlock_t* lock = q.lock;
  if (q.follows_guest) {
    queue = enabled_queue(links_.tx_queues(port), q.worker, q.queue);
    lock = reinterpret_cast<rte_spinlock_t*>(reinterpret_cast<uint8_t*>(q.queue_locks) +
                                             size_t(queue) * q.stride);
  }
  if (lock != nullptr) rte_spinlock_lock(lock);
  const uint16_t sent = rte_eth_tx_burst(q.port_id, queue, p.pkts, p.count);
  if (lock != nullptr) rte_spinlock_unlock(lock);
  if (sent < p.count) {
    PortCounters& pc = counters_.ports[port];
    for (uint16_t i = sent; i < p.count; ++i) {
      pc.tx_packets--;
      pc.tx_bytes -= rte_pktmbuf_pkt_len(p.pkts[i]);
      rte_pktmbuf_free(p.pkts[i]);
    }
    pc.tx_dropped += p.count - sent;
    count_drop(port, DropReason::kTxFull, p.count - sent);
  }
  p.count = 0;
}

void TxStage::emit(uint16_t port, rte_mbuf* m, const PacketMeta& meta) {
  if (tenancy_->egress_tagged(port, meta.tenant)) {
    const uint16_t tci = static_cast<uint16_t>(meta.pcp << 13 | tenancy_->vlan(meta.tenant));
    if (!push_vlan_tag(m, tci)) {
      count_drop(port, DropReason::kNoMbuf);
      rte_pktmbuf_free(m);
      return;
    }
  }
  PortCounters& pc = counters_.ports[port];
  pc.tx_packets++;
  pc.tx_bytes += rte_pktmbuf_pkt_len(m);
  Pending& p = pending_[port];
  p.pkts[p.count++] = m;
  if (p.count == kBurstSize) drain(port);
}

void TxStage::process(PacketBatch& batch) {
  for (uint16_t i = 0; i < batch.count; ++i) {
    rte_mbuf* m = batch.pkts[i];
    const PacketMeta& meta = batch.meta[i];
    if (!batch.alive(i)) {
      count_drop(meta.in_port, meta.drop);
      counters_.dropped++;
      if (meta.reply && links_.up(meta.in_port)) {
        emit(meta.in_port, m, meta);  // a firewall reject's answer, back to the sender
      } else {
        rte_pktmbuf_free(m);
      }
      continue;
    }
    if (meta.tagged) strip_vlan_tag(m);  // frames travel untagged; egress adds the tag it needs
    if (meta.out_port != kFloodPort) {
      if (links_.up(meta.out_port)) {
        counters_.forwarded++;
        emit(meta.out_port, m, meta);
      } else {
        count_drop(meta.out_port, DropReason::kDestPortDown);
        counters_.dropped++;
        rte_pktmbuf_free(m);
      }
      continue;
    }
    // Flood: a copy for every member with its link up but the last, which takes the original.
    // A member that is down counts a port_down copy; with none up, the frame is dropped whole.
    const std::vector<uint16_t>& members = tenancy_->members(meta.tenant);
    bool any_up = false;
    for (uint16_t port : members) any_up |= port != meta.in_port && links_.up(port);
    if (!any_up) {
      count_drop(meta.in_port, DropReason::kDestPortDown);
      counters_.dropped++;
      rte_pktmbuf_free(m);
      continue;
    }
    uint16_t last = kNoPort;
    for (uint16_t port : members) {
      if (port == meta.in_port) continue;
      if (!links_.up(port)) {
        count_drop(port, DropReason::kPortDown);
        continue;
      }
      if (last != kNoPort) {
        rte_mbuf* copy = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
        if (copy == nullptr) {
          count_drop(last, DropReason::kNoMbuf);
        } else {
          emit(last, copy, meta);
        }
      }
      last = port;
    }
    counters_.forwarded++;
    emit(last, m, meta);
  }
  batch.clear();
}

void TxStage::flush() {
  for (uint16_t port = 0; port < pending_.size(); ++port) {
    if (pending_[port].count > 0) drain(port);
  }
}

}  // namespace vigil
