// One worker's run-to-completion pipeline over a burst:
//   parse -> tenancy (classify) -> port security (anti-spoofing, host protection)
//   -> monitor responses (quarantine, rate limits of suspect VMs)
//   -> firewall (tenants with a policy) -> inspector (the IDS, when configured)
//   -> bridge (learn, choose output) -> capture tap (ports being recorded)
//   -> tx (copy, tag, send; free drops)
// Each stage is a plain call over the whole batch: no per-packet virtual call, no allocation.
// The pipeline owns the worker's state (counters, tx buffers) and is used by one thread only;
// the MAC table is shared by all workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/bridge_stage.h"
#include "dataplane/burst_stage.h"
#include "dataplane/capture.h"
#include "dataplane/conn_table.h"
#include "dataplane/firewall_stage.h"
#include "dataplane/frame_parser.h"
#include "dataplane/mac_table.h"
#include "dataplane/monitor_tap.h"
#include "dataplane/packet_batch.h"
#include "dataplane/response_stage.h"
#include "dataplane/switch_state.h"
#include "dataplane/tx_stage.h"
#include "dataplane/worker_counters.h"

namespace vigil {

// The optional parts of a worker's pipeline.
struct PipelineExtras {
  std::unique_ptr<BurstStage> inspector;     // the IDS, after the firewall; owned
  CaptureTable* capture = nullptr;           // ports being recorded (pcapng)
  const ResponseTable* responses = nullptr;  // the monitors' limits, after port security
  MonitorTap* tap = nullptr;                 // the monitors' level-1/2 counters, after the bridge
};

class Pipeline {
 public:
  // `state` is the tenancy snapshot the control thread publishes (switch_state.h); `conns` the
  // firewall's connection table, whose RCU also covers the snapshot. `macs` is shared with the
  // other workers; `tx` is this worker's tx queue for each port; `worker` is this worker's id
  // among its peers (RCU reader id).
  Pipeline(const ParseLimits& limits, const std::atomic<const SwitchState*>& state,
           ConnTable& conns, MacTable& macs, const LinkState& links, rte_mempool* pool,
           const std::vector<TxQueueRef>& tx, unsigned worker = 0,
           PipelineExtras extras = PipelineExtras());
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Frames carry their ingress port and arrival time in batch.meta[i].
  void process(PacketBatch& batch);
  void flush() { tx_.flush(); }
  // Between polling rounds, busy or not: this worker holds nothing shared (RCU quiescent state).
  void quiescent() {
    conns_.quiescent(worker_);
    if (inspector_) inspector_->quiescent();
  }
  const BurstStage* inspector() const { return inspector_.get(); }
  // This worker stops polling: RCU waits (reloads, tenancy changes) no longer wait for it.
  void offline() {
    conns_.offline(worker_);
    if (inspector_) inspector_->offline();
  }

  const WorkerCounters& counters() const { return counters_; }

 private:
  // Points the stages at snapshot `s` (when it changed since the last burst).
  void adopt(const SwitchState* s);

  WorkerCounters counters_;
  ParseLimits limits_;
  const std::atomic<const SwitchState*>& state_;
  const SwitchState* current_ = nullptr;
  ConnTable& conns_;
  FirewallStage firewall_;
  std::unique_ptr<BurstStage> inspector_;
  CaptureTable* capture_;
  std::unique_ptr<ResponseStage> responses_;
  MonitorTap* tap_;
  unsigned worker_;
  BridgeStage bridge_;
  TxStage tx_;
};

}  // namespace vigil
