// The last stage: hands each surviving frame to its output port's tx buffer (copies for a flood,
// 802.1Q tag pushed toward trunks), frees dropped frames and counts them by reason.
// Tx buffers drain when full and at flush(), DPDK l2fwd style.
#pragma once

#include <rte_ethdev.h>

#include <vector>

#include "dataplane/packet_batch.h"
#include "dataplane/worker_counters.h"
#include "tenancy/tenancy_map.h"

struct rte_mempool;

namespace vigil {

class TxStage {
 public:
  // port_ids[i]: the DPDK port of vigil port i. Allocates the tx buffers (setup, not fast path).
  TxStage(const TenancyMap& tenancy, rte_mempool* pool, const std::vector<uint16_t>& port_ids,
          uint16_t tx_queue, WorkerCounters& counters);
  ~TxStage();
  TxStage(const TxStage&) = delete;
  TxStage& operator=(const TxStage&) = delete;

  void process(PacketBatch& batch);
  void flush();

 private:
  struct ErrorContext {
    WorkerCounters* counters;
    uint16_t port;
  };
  static void on_unsent(rte_mbuf** pkts, uint16_t count, void* userdata);
  void emit(uint16_t port, rte_mbuf* m, const PacketMeta& meta);

  const TenancyMap& tenancy_;
  rte_mempool* pool_;
  std::vector<uint16_t> port_ids_;
  uint16_t tx_queue_;
  WorkerCounters& counters_;
  std::vector<rte_eth_dev_tx_buffer*> buffers_;
  std::vector<ErrorContext> error_contexts_;
};

}  // namespace vigil
