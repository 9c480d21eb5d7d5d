// One worker's run-to-completion pipeline over a burst:
//   parse -> tenancy (classify) -> bridge (learn, choose output) -> tx (copy, tag, send; free
//   drops)
// Each stage is a plain call over the whole batch: no per-packet virtual call, no allocation.
// The pipeline owns the worker's state (counters, MAC table, tx buffers) and is used by one
// thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/bridge_stage.h"
#include "dataplane/frame_parser.h"
#include "dataplane/mac_table.h"
#include "dataplane/packet_batch.h"
#include "dataplane/tx_stage.h"
#include "dataplane/worker_counters.h"
#include "tenancy/tenancy_map.h"

namespace vigil {

struct PipelineConfig {
  ParseLimits limits;
  uint32_t mac_table_size = 4096;
  uint64_t mac_aging_us = 300'000'000;
};

class Pipeline {
 public:
  Pipeline(const PipelineConfig& config, const TenancyMap& tenancy, rte_mempool* pool,
           const std::vector<uint16_t>& port_ids, uint16_t tx_queue);

  // Frames carry their ingress port and arrival time in batch.meta[i].
  void process(PacketBatch& batch);
  void flush() { tx_.flush(); }

  const WorkerCounters& counters() const { return counters_; }
  const MacTable& macs() const { return macs_; }

 private:
  WorkerCounters counters_;
  ParseLimits limits_;
  const TenancyMap& tenancy_;
  MacTable macs_;
  BridgeStage bridge_;
  TxStage tx_;
};

}  // namespace vigil
