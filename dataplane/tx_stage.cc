#include "dataplane/tx_stage.h"

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <stdexcept>

#include "dataplane/vlan_tag.h"

namespace vigil {

TxStage::TxStage(const TenancyMap& tenancy, rte_mempool* pool,
                 const std::vector<uint16_t>& port_ids, uint16_t tx_queue, WorkerCounters& counters)
    : tenancy_(tenancy),
      pool_(pool),
      port_ids_(port_ids),
      tx_queue_(tx_queue),
      counters_(counters),
      error_contexts_(port_ids.size()) {
  for (uint16_t p = 0; p < port_ids_.size(); ++p) {
    auto* buffer = static_cast<rte_eth_dev_tx_buffer*>(
        rte_zmalloc("tx_buffer", RTE_ETH_TX_BUFFER_SIZE(kBurstSize), 0));
    if (buffer == nullptr) throw std::runtime_error("cannot allocate tx buffers");
    rte_eth_tx_buffer_init(buffer, kBurstSize);
    error_contexts_[p] = ErrorContext{&counters_, p};
    rte_eth_tx_buffer_set_err_callback(buffer, on_unsent, &error_contexts_[p]);
    buffers_.push_back(buffer);
  }
}

TxStage::~TxStage() {
  flush();
  for (auto* buffer : buffers_) rte_free(buffer);
}

void TxStage::on_unsent(rte_mbuf** pkts, uint16_t count, void* userdata) {
  const auto* ctx = static_cast<const ErrorContext*>(userdata);
  PortCounters& port = ctx->counters->ports[ctx->port];
  for (uint16_t i = 0; i < count; ++i) {
    port.tx_packets--;
    port.tx_bytes -= rte_pktmbuf_pkt_len(pkts[i]);
    rte_pktmbuf_free(pkts[i]);
  }
  port.tx_dropped += count;
  ctx->counters->drops[static_cast<size_t>(DropReason::kTxFull)] += count;
}

void TxStage::emit(uint16_t port, rte_mbuf* m, const PacketMeta& meta) {
  if (tenancy_.egress_tagged(port, meta.tenant)) {
    const uint16_t tci = static_cast<uint16_t>(meta.pcp << 13 | tenancy_.vlan(meta.tenant));
    if (!push_vlan_tag(m, tci)) {
      counters_.drops[static_cast<size_t>(DropReason::kNoMbuf)]++;
      rte_pktmbuf_free(m);
      return;
    }
  }
  PortCounters& pc = counters_.ports[port];
  pc.tx_packets++;
  pc.tx_bytes += rte_pktmbuf_pkt_len(m);
  rte_eth_tx_buffer(port_ids_[port], tx_queue_, buffers_[port], m);
}

void TxStage::process(PacketBatch& batch) {
  for (uint16_t i = 0; i < batch.count; ++i) {
    rte_mbuf* m = batch.pkts[i];
    const PacketMeta& meta = batch.meta[i];
    if (!batch.alive(i)) {
      counters_.drops[static_cast<size_t>(meta.drop)]++;
      counters_.dropped++;
      rte_pktmbuf_free(m);
      continue;
    }
    counters_.forwarded++;
    if (meta.tagged) strip_vlan_tag(m);  // frames travel untagged; egress adds the tag it needs
    if (meta.out_port != kFloodPort) {
      emit(meta.out_port, m, meta);
      continue;
    }
    // Flood: a copy for every member but the last, which takes the original.
    const std::vector<uint16_t>& members = tenancy_.members(meta.tenant);
    uint16_t last = kNoPort;
    for (uint16_t port : members) {
      if (port == meta.in_port) continue;
      if (last != kNoPort) {
        rte_mbuf* copy = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
        if (copy == nullptr) {
          counters_.drops[static_cast<size_t>(DropReason::kNoMbuf)]++;
        } else {
          emit(last, copy, meta);
        }
      }
      last = port;
    }
    emit(last, m, meta);
  }
  batch.clear();
}

void TxStage::flush() {
  for (uint16_t p = 0; p < buffers_.size(); ++p) {
    rte_eth_tx_buffer_flush(port_ids_[p], tx_queue_, buffers_[p]);
  }
}

}  // namespace vigil
