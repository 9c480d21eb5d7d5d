// One worker's run-to-completion pipeline over a burst:
//   parse -> tenancy (classify) -> port security (anti-spoofing, host protection)
//   -> firewall (tenants with a policy) -> inspector (the IDS, when configured)
//   -> bridge (learn, choose output)
//   -> tx (copy, tag, send; free drops)
// Each stage is a plain call over the whole batch: no per-packet virtual call, no allocation.
// The pipeline owns the worker's state (counters, tx buffers) and is used by one thread only;
// the MAC table is shared by all workers.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/bridge_stage.h"
#include "dataplane/burst_stage.h"
#include "dataplane/conn_table.h"
#include "dataplane/firewall_stage.h"
#include "dataplane/frame_parser.h"
#include "dataplane/mac_table.h"
#include "dataplane/packet_batch.h"
#include "dataplane/tx_stage.h"
#include "dataplane/worker_counters.h"
#include "tenancy/address_owners.h"
#include "tenancy/port_security.h"
#include "tenancy/tenancy_map.h"

namespace vigil {

// What a worker needs for the stateful firewall (absent when no tenant has a policy).
struct FirewallContext {
  std::atomic<const PolicyClassifier*> policy;  // swapped on reload (vigild, SIGHUP)
  ConnTable* conns;
  std::vector<bool> filtered;             // per tenant
  std::vector<bool> vm_port;              // per port
  const AddressOwners* owners = nullptr;  // cross-tenant detection (two tenants or more)
};

class Pipeline {
 public:
  // `macs` is shared with the other workers; `tx` is this worker's tx queue for each port.
  // `firewall` may be null; `worker` is this worker's id among its peers (RCU reader id).
  // `inspector` (may be null) runs after the firewall; the pipeline owns it.
  Pipeline(const ParseLimits& limits, const TenancyMap& tenancy, const PortSecurity& security,
           MacTable& macs, const LinkState& links, rte_mempool* pool,
           const std::vector<TxQueueRef>& tx, const FirewallContext* firewall = nullptr,
           unsigned worker = 0, std::unique_ptr<BurstStage> inspector = nullptr);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Frames carry their ingress port and arrival time in batch.meta[i].
  void process(PacketBatch& batch);
  void flush() { tx_.flush(); }
  // Between polling rounds, busy or not: this worker holds nothing shared (RCU quiescent state).
  void quiescent() {
    if (conns_ != nullptr) conns_->quiescent(worker_);
    if (inspector_) inspector_->quiescent();
  }
  const BurstStage* inspector() const { return inspector_.get(); }

  const WorkerCounters& counters() const { return counters_; }

 private:
  WorkerCounters counters_;
  ParseLimits limits_;
  const TenancyMap& tenancy_;
  const PortSecurity& security_;
  std::unique_ptr<FirewallStage> firewall_;
  std::unique_ptr<BurstStage> inspector_;
  ConnTable* conns_ = nullptr;
  unsigned worker_;
  BridgeStage bridge_;
  TxStage tx_;
};

}  // namespace vigil
