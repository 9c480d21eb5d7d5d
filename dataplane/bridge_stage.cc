#include "dataplane/bridge_stage.h"

#include <rte_mbuf.h>

namespace vigil {

void BridgeStage::process(PacketBatch& batch) {
  for (uint16_t i = 0; i < batch.count; ++i) {
    if (!batch.alive(i)) continue;
    PacketMeta& m = batch.meta[i];
    const uint8_t* frame = rte_pktmbuf_mtod(batch.pkts[i], const uint8_t*);
    macs_.learn(m.tenant, frame + 6, m.in_port, m.time_us);

    if (frame[0] & 1) {  // broadcast or multicast
      m.out_port = kFloodPort;
    } else {
      uint16_t port = macs_.lookup(m.tenant, frame, m.time_us);
      // Learned before the port changed hands (a VM moved or removed): not this tenant's now.
      if (port != kNoPort && !tenancy_->serves(port, m.tenant)) port = kNoPort;
      m.out_port = port == kNoPort ? kFloodPort : port;
      if (port == m.in_port) batch.drop(i, DropReason::kSamePort);
    }
    if (m.out_port == kFloodPort && tenancy_->members(m.tenant).size() < 2) {
      batch.drop(i, DropReason::kFloodNoMember);
    }
  }
}

}  // namespace vigil
