// The per-tenant learning bridge: learns (tenant, source MAC) -> ingress port, then chooses each
// frame's output: the learned port for known unicast, kFloodPort for broadcast, multicast and
// unknown unicast (the tx stage floods inside the tenant only).
#pragma once

#include "dataplane/mac_table.h"
#include "dataplane/packet_batch.h"
#include "tenancy/tenancy_map.h"

namespace vigil {

class BridgeStage {
 public:
  BridgeStage(const TenancyMap& tenancy, MacTable& macs) : tenancy_(&tenancy), macs_(macs) {}
  // The tenancy of the bursts that follow (the control API may replace it between bursts).
  void use(const TenancyMap& tenancy) { tenancy_ = &tenancy; }
  void process(PacketBatch& batch);

 private:
  const TenancyMap* tenancy_;
  MacTable& macs_;
};

}  // namespace vigil
