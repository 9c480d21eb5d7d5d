// The last stage: hands each surviving frame to its output port (copies for a flood, 802.1Q tag
// pushed toward trunks), frees dropped frames and counts them by reason and ingress port.
// Frames wait in a per-port buffer sent as one burst when full and at flush(), DPDK l2fwd style;
// a tx queue shared with other workers is locked once per burst (worker_plan.h).
#pragma once

#include <vector>

#include "dataplane/packet_batch.h"
#include "dataplane/ports.h"
#include "dataplane/worker_counters.h"
#include "dataplane/worker_plan.h"
#include "tenancy/tenancy_map.h"

struct rte_mempool;

namespace vigil {

class TxStage {
 public:
  // tx[i]: the queue this worker sends on for vigil port i.
  TxStage(const TenancyMap& tenancy, const LinkState& links, rte_mempool* pool,
          const std::vector<TxQueueRef>& tx, WorkerCounters& counters);
  // The tenancy of the bursts that follow (the control API may replace it between bursts).
  void use(const TenancyMap& tenancy) { tenancy_ = &tenancy; }
  ~TxStage();
  TxStage(const TxStage&) = delete;
  TxStage& operator=(const TxStage&) = delete;

  void process(PacketBatch& batch);
  void flush();

 private:
  struct Pending {
    uint16_t count = 0;
    rte_mbuf* pkts[kBurstSize];
  };
  void emit(uint16_t port, rte_mbuf* m, const PacketMeta& meta);
  void drain(uint16_t port);
  void count_drop(uint16_t port, DropReason reason, uint64_t n = 1) {
    counters_.drops[static_cast<size_t>(reason)] += n;
    counters_.port_drops[port][static_cast<size_t>(reason)] += n;
  }

  const TenancyMap* tenancy_;
  const LinkState& links_;
  rte_mempool* pool_;
  std::vector<TxQueueRef> tx_;
  WorkerCounters& counters_;
  std::vector<Pending> pending_;
};

}  // namespace vigil
