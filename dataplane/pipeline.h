// One worker's run-to-completion pipeline over a burst:
//   parse -> tenancy (classify) -> port security (anti-spoofing, host protection)
//   -> bridge (learn, choose output) -> tx (copy, tag, send; free drops)
// Each stage is a plain call over the whole batch: no per-packet virtual call, no allocation.
// The pipeline owns the worker's state (counters, tx buffers) and is used by one thread only;
// the MAC table is shared by all workers.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/bridge_stage.h"
#include "dataplane/frame_parser.h"
#include "dataplane/mac_table.h"
#include "dataplane/packet_batch.h"
#include "dataplane/tx_stage.h"
#include "dataplane/worker_counters.h"
#include "tenancy/port_security.h"
#include "tenancy/tenancy_map.h"

namespace vigil {

class Pipeline {
 public:
  // `macs` is shared with the other workers; `tx` is this worker's tx queue for each port.
  Pipeline(const ParseLimits& limits, const TenancyMap& tenancy, const PortSecurity& security,
           MacTable& macs, const LinkState& links, rte_mempool* pool,
           const std::vector<TxQueueRef>& tx);

  // Frames carry their ingress port and arrival time in batch.meta[i].
  void process(PacketBatch& batch);
  void flush() { tx_.flush(); }

  const WorkerCounters& counters() const { return counters_; }

 private:
  WorkerCounters counters_;
  ParseLimits limits_;
  const TenancyMap& tenancy_;
  const PortSecurity& security_;
  BridgeStage bridge_;
  TxStage tx_;
};

}  // namespace vigil
